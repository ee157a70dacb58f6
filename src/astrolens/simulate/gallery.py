"""A gallery of the simulated classes: one example light curve per class in one figure.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> path = make_gallery(Path(tempfile.mkdtemp()) / "gallery.png")
>>> path.stat().st_size < 300_000
True
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from astrolens.plots import save_figure
from astrolens.simulate.classes import CLASSES
from astrolens.simulate.survey import (
    DEFAULT_SEED,
    SurveyConfig,
    generate_catalog,
    lightcurve_arrays,
)

__all__ = ["GALLERY_PATH", "gallery_examples", "make_gallery"]

GALLERY_PATH = Path("docs/images/gallery.png")
"""Where the repository keeps the gallery."""


def gallery_examples(seed: int = DEFAULT_SEED, mission: str = "Kepler") -> pd.DataFrame:
    """One catalogue row per class, observed by ``mission``, from a small survey.

    The brightest object of each class is chosen, so that the variability stands out.

    Examples
    --------
    >>> examples = gallery_examples()
    >>> list(examples["class"]) == list(CLASSES), set(examples["mission"])
    (True, {'Kepler'})
    """
    config = SurveyConfig(
        name="gallery",
        n_objects=40 * len(CLASSES),
        seed=seed,
        mission_mix={"kepler_long": 1.0} if mission == "Kepler" else {"tess_2min": 1.0},
    )
    catalog = generate_catalog(config)
    brightest = catalog.sort_values("mag").groupby("class", sort=False).head(1)
    return brightest.set_index("class", drop=False).loc[list(CLASSES)].reset_index(drop=True)


def make_gallery(
    path: str | os.PathLike[str] = GALLERY_PATH, *, seed: int = DEFAULT_SEED, dpi: int = 64
) -> Path:
    """Plot one simulated Kepler light curve per class and save the figure as PNG.

    Each panel shows relative flux against time in days (the first ten cycles of short-period
    stars, the whole quarter otherwise), titled with the class and its period; cadences with a
    quality flag are left out.

    Returns the path written.
    """
    import matplotlib.pyplot as plt

    examples = gallery_examples(seed)
    columns = 4
    rows = -(-len(examples) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.0 * columns, 2.6 * rows))
    for axis, (_, row) in zip(axes.flat, examples.iterrows(), strict=False):
        time, flux, _, quality = lightcurve_arrays(row)
        period = row["period_days"]
        shown = (time - time[0]) <= _window_days(period)
        good = np.isfinite(flux) & (quality == 0) & shown
        axis.plot(
            time[good],
            flux[good],
            ".-",
            markersize=1.5,
            linewidth=0.3,
            color="0.15",
            rasterized=True,
        )
        label = f"P = {period:.3g} d" if np.isfinite(period) else "aperiodic"
        axis.set_title(f"{row['class']} ({CLASSES[row['class']].description}), {label}", fontsize=8)
        axis.set_xlabel("time [d] (BKJD)", fontsize=7)
        axis.set_ylabel("relative flux", fontsize=7)
        axis.tick_params(labelsize=6)
    for axis in axes.flat[len(examples) :]:
        axis.set_visible(False)
    figure.suptitle(
        "astrolens simulated survey: one Kepler long-cadence light curve per class "
        "(short periods: the first ten cycles)"
    )
    figure.tight_layout()
    return save_figure(figure, path, dpi=dpi)


def _window_days(period_days: float) -> float:
    """Time span shown for a period: ten cycles, at least three days, everything if aperiodic."""
    if not np.isfinite(period_days):
        return np.inf
    return max(10.0 * period_days, 3.0)
