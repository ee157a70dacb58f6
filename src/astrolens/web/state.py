"""What the web app serves from: its indexes (each a search, its encoder and its thumbnails)
and its settings."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from astrolens.config import JsonConfig
from astrolens.errors import CorruptIndex
from astrolens.runs import UNKNOWN_ENCODER, encoder_name_or_unknown
from astrolens.search import MAX_K, Search
from astrolens.web.maps import EmbeddingMapView, open_map
from astrolens.web.thumbnails import ThumbnailCache

__all__ = [
    "LOOPBACK_HOSTS",
    "UNKNOWN_ENCODER",
    "ServedIndex",
    "WebConfig",
    "WebState",
    "search_encoder",
    "served_indexes",
    "upload_kind",
]

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


def search_encoder(search: Search) -> str:
    """The registered name of the encoder whose embeddings ``search`` holds, as its model run
    records it (the ``run_path`` of a search over an index folder);
    :data:`~astrolens.runs.UNKNOWN_ENCODER` without a run folder. Nothing is loaded.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from astrolens.runfolder import default_run_path
    >>> search_encoder(SimpleNamespace(run_path=default_run_path()))
    'hybrid_cnn'
    >>> search_encoder(SimpleNamespace())
    'unknown'
    """
    return encoder_name_or_unknown(getattr(search, "run_path", None))


def upload_kind(search: Search) -> str | None:
    """What an upload to a search is: ``"lightcurve"``, ``"image"``, or None when the search
    cannot embed one (no model run)."""
    if search.encoder is None:
        return None
    return str(getattr(search.encoder, "query_kind", "lightcurve"))


@dataclass(eq=False)
class ServedIndex:
    """One index the app serves, under a name.

    Attributes
    ----------
    name
        What requests call it (the ``index`` parameter).
    search
        The search over the index and its catalogue.
    encoder
        The registered name of the encoder that made its embeddings (:func:`search_encoder`).
    thumbnails
        Thumbnails of its catalogue objects, drawn as its model run prepares light curves.
    """

    name: str
    search: Search
    encoder: str
    thumbnails: ThumbnailCache

    def describe(self) -> dict[str, Any]:
        """Name, encoder, model run, size, embedding dimension and catalogue of the index.

        Examples
        --------
        >>> import pandas as pd
        >>> from astrolens.catalog import Catalog
        >>> from astrolens.index import build_index
        >>> from astrolens.search import SimilaritySearch
        >>> table = pd.DataFrame({"object_id": ["a", "b"], "ra": [0.0, 1], "dec": [0.0, 0]})
        >>> index = build_index(np.eye(2, dtype=np.float32), table["object_id"], run="r@1",
        ...                     progress=False)
        >>> search = SimilaritySearch(index, Catalog(table, name="two stars"))
        >>> served = ServedIndex("mine", search, "features", ThumbnailCache(search.images))
        >>> served.describe()  # doctest: +NORMALIZE_WHITESPACE
        {'name': 'mine', 'encoder': 'features', 'run': 'r@1', 'count': 2, 'dim': 2,
         'factory': 'Flat', 'catalog': 'two stars', 'lightcurve_search': False,
         'upload_kind': None}
        """
        index = self.search.index
        return {
            "name": self.name,
            "encoder": self.encoder,
            "run": index.run,
            "count": len(index),
            "dim": index.dimension,
            "factory": index.factory,
            "catalog": self.search.catalog.name,
            "lightcurve_search": upload_kind(self.search) == "lightcurve",
            "upload_kind": upload_kind(self.search),
        }

    @property
    def embedding_map(self) -> EmbeddingMapView | None:
        """The embedding map its index folder keeps, read the first time; None: none kept, or
        one that does not match the folder's checksum (:attr:`map_problem` says so: the searches
        go on without placing their matches on it)."""
        return self._map[0]

    @property
    def map_problem(self) -> str | None:
        """Why a kept map is not used (it does not match its checksum), or None."""
        return self._map[1]

    @cached_property
    def _map(self) -> tuple[EmbeddingMapView | None, str | None]:
        try:
            return open_map(self.search), None
        except CorruptIndex as error:
            return None, str(error)

    @cached_property
    def example_candidates(self) -> np.ndarray:
        """The objects the page may open on: the indexed ones with a catalogued period (their
        thumbnails show the light curve folded), or all indexed ones when none has one."""
        ids = np.asarray(self.search.index.ids).astype(str)
        table = self.search.catalog.table
        if "period_days" not in table.columns:
            return ids
        periods = table["period_days"].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            periodic = table["object_id"].astype(str)[np.isfinite(periods) & (periods > 0)]
        chosen = ids[np.isin(ids, periodic.to_numpy())]
        return chosen if len(chosen) else ids

    def example(self, seed: int | None = None) -> str:
        """An object to open the page on, drawn at random from :attr:`example_candidates`
        (``seed``: the same one each time)."""
        candidates = self.example_candidates
        return str(candidates[int(np.random.default_rng(seed).integers(len(candidates)))])

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
        for key, column in (("mag_range", "mag"), ("period_range", "period_days")):
            if column in table.columns:
                values = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
                finite = values[np.isfinite(values)]
                summary[key] = [float(finite.min()), float(finite.max())] if finite.size else None
        return summary


def served_indexes(
    searches: Search | Mapping[str, Search],
    thumbnail_dir: str | os.PathLike[str] | None = None,
) -> dict[str, ServedIndex]:
    """The indexes an app serves, by name, the default first.

    Parameters
    ----------
    searches
        One search, served under its model run's name (``index.run`` up to its ``@``), or
        several by name (the first is the default).
    thumbnail_dir
        Where thumbnails are kept (default: ``cache_dir("thumbnails")``); each index's are
        told apart by its model run.

    Raises
    ------
    ValueError
        If there is no search, or a name is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> from astrolens.catalog import Catalog
    >>> from astrolens.index import build_index
    >>> from astrolens.search import SimilaritySearch
    >>> table = pd.DataFrame({"object_id": ["a", "b"], "ra": [0.0, 1], "dec": [0.0, 0]})
    >>> index = build_index(np.eye(2, dtype=np.float32), table["object_id"], run="cnn@3f2a",
    ...                     progress=False)
    >>> search = SimilaritySearch(index, Catalog(table))
    >>> list(served_indexes(search)), list(served_indexes({"b": search, "a": search}))
    (['cnn'], ['b', 'a'])
    """
    if not isinstance(searches, Mapping):
        searches = {searches.index.run.partition("@")[0] or "index": searches}
    if not searches:
        raise ValueError("no index to serve: give at least one search")
    served = {}
    for name, search in searches.items():
        if not str(name).strip():
            raise ValueError(f"an index needs a name, got {name!r}")
        thumbnails = ThumbnailCache(search.images, thumbnail_dir, namespace=search.index.run)
        served[str(name)] = ServedIndex(str(name), search, search_encoder(search), thumbnails)
    return served


@dataclass(eq=False)
class WebState:
    """The objects one app serves from (kept as ``app.state.astrolens``).

    Attributes
    ----------
    indexes
        The indexes served, by name (:func:`served_indexes`); the first is the default.
    config
        The app's settings.
    """

    indexes: dict[str, ServedIndex]
    config: WebConfig

    def __post_init__(self) -> None:
        if not self.indexes:
            raise ValueError("no index to serve")

    @property
    def default(self) -> ServedIndex:
        """The index a request that names none searches."""
        return next(iter(self.indexes.values()))

    def index(self, name: str | None = None) -> ServedIndex:
        """The index called ``name`` (None: the default).

        Raises
        ------
        LookupError
            If no index of that name is served; the message names those that are.
        """
        if name is None:
            return self.default
        try:
            return self.indexes[name]
        except KeyError:
            known = ", ".join(self.indexes)
            raise LookupError(
                f"index {name!r}: not served here; the indexes are {known} (GET /api/indexes)"
            ) from None

    @cached_property
    def upload_slots(self) -> threading.BoundedSemaphore:
        """Taken by each upload while it is read and embedded, whichever index it searches
        (:attr:`WebConfig.max_concurrent_uploads`)."""
        return threading.BoundedSemaphore(self.config.max_concurrent_uploads)
