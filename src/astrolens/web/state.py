"""What the web app serves from: the search, its settings, the thumbnail cache."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from astrolens.config import JsonConfig
from astrolens.search import Search
from astrolens.web.thumbnails import ThumbnailCache

__all__ = ["WebConfig", "WebState"]


@dataclass(frozen=True)
class WebConfig(JsonConfig):
    """Settings of the web app and its API.

    Parameters
    ----------
    max_upload_bytes
        Largest light-curve file accepted (larger: 413). A Kepler quarter is about 0.5 MB,
        a TESS 2-minute sector about 2 MB.
    max_k
        Most matches one query may ask for.
    max_examples
        Most object ids of one query by several examples.
    histogram_bins
        Bins of each parameter's histogram in a search result.

    Examples
    --------
    >>> WebConfig(max_upload_bytes=1_000_000).max_k
    100
    """

    max_upload_bytes: int = 16 * 2**20
    max_k: int = 100
    max_examples: int = 50
    histogram_bins: int = 10

    def __post_init__(self) -> None:
        for name in ("max_upload_bytes", "max_k", "max_examples", "histogram_bins"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


@dataclass(eq=False)
class WebState:
    """The objects one app serves from (kept as ``app.state.astrolens``).

    Attributes
    ----------
    search
        The search over the index and its catalogue.
    config
        The app's settings.
    thumbnails
        Thumbnails of catalogue objects.
    """

    search: Search
    config: WebConfig
    thumbnails: ThumbnailCache

    @cached_property
    def catalog_summary(self) -> dict[str, Any]:
        """The catalogue's name, size, columns and the values its filters can take."""
        table = self.search.catalog.table
        summary: dict[str, Any] = {
            "name": self.search.catalog.name,
            "count": len(table),
            "columns": [str(name) for name in table.columns],
            "physical_columns": list(self.search.catalog.physical_columns),
        }
        for key, column in (("classes", "class"), ("missions", "mission")):
            if column in table.columns:
                summary[key] = sorted(str(value) for value in table[column].dropna().unique())
        if "mag" in table.columns:
            mags = table["mag"].to_numpy(dtype=np.float64)
            finite = mags[np.isfinite(mags)]
            bounds = [float(finite.min()), float(finite.max())] if finite.size else None
            summary["mag_range"] = bounds
        return summary
