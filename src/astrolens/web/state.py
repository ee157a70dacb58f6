"""What the web app serves from: the search, its settings, the thumbnail cache."""

from __future__ import annotations

import contextlib
import ipaddress
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from astrolens.config import JsonConfig
from astrolens.search import MAX_K, Search
from astrolens.web.thumbnails import ThumbnailCache

__all__ = ["LOOPBACK_HOSTS", "WebConfig", "WebState"]

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
"""The names of this machine that requests may address by default."""

_HOST = re.compile(r"\*|\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?\.?")
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s?#@]+")


@dataclass(frozen=True)
class WebConfig(JsonConfig):
    """Settings of the web app and its API.

    Parameters
    ----------
    max_upload_bytes
        Largest light-curve file accepted (larger: 413). A Kepler quarter is about 0.5 MB,
        a TESS 2-minute sector about 2 MB. The whole request body, all its parts and their
        headers counted, may exceed it by :data:`~astrolens.web.uploads.MULTIPART_OVERHEAD_BYTES`
        at most.
    upload_timeout_seconds
        Longest time an upload's body may take to arrive, from the end of its headers (later:
        408, and the connection is closed). 30 s passes a TESS sector (2 MB) at 0.6 Mbit/s,
        a file of the default ``max_upload_bytes`` at 4.5 Mbit/s.
    max_concurrent_uploads
        Uploads read and embedded at the same time by one server process; others wait their
        turn. With the input limits of :mod:`astrolens.sources.limits` this bounds the memory
        uploads can take at once (a light curve at the grid limit takes about 1 GB while it is
        transformed; a Kepler quarter about 10 MB).
    max_k
        Most matches one query may ask for (default :data:`astrolens.search.MAX_K`, as the
        command line).
    max_examples
        Most object ids of one query by several examples.
    histogram_bins
        Bins of each parameter's histogram in a search result.
    allowed_hosts
        Host names (without the port: any port is allowed) that requests may address in their
        ``Host`` header (others: 400); a guard against DNS rebinding, where a web page's own
        domain is made to point at this server. The address a request reached the server on is
        always allowed too, and :func:`~astrolens.web.serve` adds the host it listens on.
        ``"*"`` allows every host (behind a proxy that checks them).
    allowed_origins
        Web pages (origins: ``"https://portal.example.org"``, scheme, host and port if not the
        default) that may send requests besides the page this server serves itself; requests
        from other pages (their ``Origin`` header, or without one ``Sec-Fetch-Site:
        cross-site``) get 403, links to the server excepted. ``"*"`` allows every page. Behind
        a proxy that rewrites the ``Host`` header, list the public origin of the page here.

    Examples
    --------
    >>> WebConfig(max_upload_bytes=1_000_000).max_k
    100
    >>> WebConfig(allowed_hosts=["Lens.example.org", "::1"]).allowed_hosts  # as read from JSON
    ('lens.example.org', '[::1]')
    >>> WebConfig(allowed_origins=("https://portal.example.org/",)).allowed_origins
    ('https://portal.example.org',)
    """

    max_upload_bytes: int = 16 * 2**20
    upload_timeout_seconds: float = 30.0
    max_concurrent_uploads: int = 2
    max_k: int = MAX_K
    max_examples: int = 50
    histogram_bins: int = 10
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    allowed_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        positive = ("max_upload_bytes", "max_concurrent_uploads", "max_k", "max_examples")
        for name in (*positive, "histogram_bins"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.upload_timeout_seconds > 0:
            raise ValueError(
                f"upload_timeout_seconds must be positive, got {self.upload_timeout_seconds}"
            )
        hosts = tuple(_host_name(host) for host in _strings("allowed_hosts", self.allowed_hosts))
        origins = tuple(
            _origin(origin) for origin in _strings("allowed_origins", self.allowed_origins)
        )
        object.__setattr__(self, "allowed_hosts", hosts)
        object.__setattr__(self, "allowed_origins", origins)


def _strings(name: str, values: Iterable[str]) -> tuple[str, ...]:
    """The entries of a tuple (or list, as read from JSON) of strings."""
    if isinstance(values, str):
        raise TypeError(f"{name} must be a tuple of strings, e.g. ({values!r},), not a string")
    return tuple(str(value).strip().lower() for value in values)


def _host_name(host: str) -> str:
    """``"[::1]"`` for ``"::1"``; a host name or address as it appears in a ``Host`` header."""
    if ":" in host and not host.startswith("["):
        with contextlib.suppress(ValueError):
            return f"[{ipaddress.IPv6Address(host)}]"
    if not _HOST.fullmatch(host):
        raise ValueError(
            f"allowed_hosts: {host!r} is not a host name or address without a port "
            "(e.g. 'lens.example.org', '192.168.1.5', '[::1]', or '*' for any)"
        )
    return host


def _origin(origin: str) -> str:
    """An origin as browsers send it: no trailing slash."""
    origin = origin.rstrip("/")
    if origin not in ("*", "null") and not _ORIGIN.fullmatch(origin):
        raise ValueError(
            f"allowed_origins: {origin!r} is not an origin: scheme, host and port only "
            "(e.g. 'https://portal.example.org', 'http://localhost:3000', or '*' for any)"
        )
    return origin


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
    def upload_slots(self) -> threading.BoundedSemaphore:
        """Taken by each upload while it is read and embedded
        (:attr:`WebConfig.max_concurrent_uploads`)."""
        return threading.BoundedSemaphore(self.config.max_concurrent_uploads)

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
