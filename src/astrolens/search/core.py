"""Similarity search over a survey: "what else looks like this?"

A :class:`SimilaritySearch` joins an index of embeddings (:mod:`astrolens.index`) to the survey
:class:`~astrolens.catalog.Catalog` and answers queries

- by object id (:meth:`~SimilaritySearch.by_object`), by sky position
  (:meth:`~SimilaritySearch.by_coordinates`: the catalogued object there, then its neighbours),
  by light curve or uploaded FITS/CSV file (:meth:`~SimilaritySearch.by_lightcurve`, through the
  ``embed`` function), by raw embedding (:meth:`~SimilaritySearch.by_vector`), by a handful of
  examples at once (:meth:`~SimilaritySearch.by_examples`), or from a random object
  (:meth:`~SimilaritySearch.random`);
- with :class:`Filters` on catalogue columns. A filtered query still returns exactly ``k``
  matches whenever ``k`` objects pass: the index is asked for more neighbours until enough
  survive, and a subset of at most :attr:`SearchConfig.exact_subset_max` objects is searched
  exactly instead;
- without the query object itself, and without sky duplicates: of several matches within
  :attr:`SearchConfig.duplicate_radius_arcsec` of each other (or of the query), only the one
  nearest in embedding space is kept (two missions observing one star are one star).

Results (:class:`SearchResult`) are a DataFrame of rank, distance and every catalogue column, with
:meth:`~SearchResult.parameters`, an estimate of the query's physical parameters from its matches.
:meth:`~SimilaritySearch.anomaly_scores` (distance to the k-th neighbour) and
:meth:`~SimilaritySearch.least_similar` find the survey's oddest objects.

Examples
--------
>>> from astrolens.index import build_index
>>> table = pd.DataFrame({"object_id": [f"TIC {i}" for i in range(6)],
...                       "ra": np.arange(6.0), "dec": np.zeros(6), "mag": np.full(6, 10.0),
...                       "class": ["EA", "EA", "EA", "RRab", "RRab", "RRab"]})
>>> vectors = np.array([[0.0, 0], [0, 1], [0, 2], [9, 0], [9, 1], [9, 3]], dtype=np.float32)
>>> search = SimilaritySearch(build_index(vectors, table["object_id"], run="demo",
...                                       progress=False), Catalog(table))
>>> search.by_object("TIC 3", k=2).matches[["rank", "object_id", "distance"]]
   rank object_id  distance
0     1     TIC 4       1.0
1     2     TIC 5       3.0
>>> search.by_object("TIC 3", k=2, filters=Filters(classes="EA")).matches["object_id"].tolist()
['TIC 0', 'TIC 1']
"""

from __future__ import annotations

import functools
import math
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from astrolens.catalog import (
    NON_PHYSICAL_COLUMNS,
    Catalog,
    Selection,
    UnknownObject,
    angular_chord,
    column_unit,
    unit_vectors,
)
from astrolens.config import JsonConfig
from astrolens.errors import IndexMismatch
from astrolens.files import written_atomically
from astrolens.index.base import ColumnConditions, VectorIndex, brute_force_search
from astrolens.kept import KeptByArray
from astrolens.search.domain import (
    ClassStatistics,
    DomainCheck,
    LoneDip,
    NoveltyReference,
    ObjectProfile,
    PeriodCoverage,
    SamplingEnvelope,
    novelty_reference,
)
from astrolens.search.figures import (
    ImageSource,
    plot_image_matches,
    plot_matches,
    simulated_images,
)
from astrolens.search.periods import moved_forward, period_first

if TYPE_CHECKING:
    from astropy.table import Table
    from matplotlib.figure import Figure

    from astrolens.modalities import Item

__all__ = [
    "COMBINE_METHODS",
    "MAX_K",
    "Filters",
    "Query",
    "QueryEncoder",
    "Search",
    "SearchConfig",
    "SearchResult",
    "SimilaritySearch",
    "check_writable_file",
    "parameter_distributions",
]


class QueryEncoder(Protocol):
    """What embeds a query that is not in the catalogue: a trained run
    (:class:`astrolens.runs.TrainedRun`) or anything that reads and embeds as one does."""

    def load(self, source: Any, *, label: str | None = None) -> Item:
        """Read an input once (a file path, or an object in memory)."""
        ...

    def embed_item(self, item: Item) -> NDArray[np.float32]:
        """The embedding of a loaded input."""
        ...

    def picture(self, item: Item) -> Any:
        """What to draw of a loaded input."""
        ...


@runtime_checkable
class Search(Protocol):
    """What a front end (the web app, the command line, a notebook) searches: the queries of
    :class:`SimilaritySearch` over an index, its catalogue, what embeds new queries and what
    draws catalogued objects.

    :class:`SimilaritySearch` and the index-folder service
    (:class:`astrolens.search.service.IndexedSearch`) are searches; so is anything with these
    members, e.g. a search whose index lives on a server.
    """

    index: VectorIndex
    """The embeddings searched (``run``, ``dimension``, ``factory`` and ``len`` describe it)."""
    catalog: Catalog
    """The survey catalogue of the indexed objects."""
    config: SearchConfig
    """The search settings."""
    encoder: QueryEncoder | None
    """Reads and embeds queries that are not in the catalogue (None: search by id only)."""
    images: ImageSource
    """Light curve and power image of a catalogue row, for figures and thumbnails."""

    def by_object(
        self, object_id: str, k: int = 10, *, filters: Filters | None = None
    ) -> SearchResult:
        """The neighbours of a catalogued object."""
        ...

    def by_coordinates(
        self,
        coordinates: Any,
        k: int = 10,
        *,
        radius_arcsec: float | None = None,
        filters: Filters | None = None,
    ) -> SearchResult:
        """The neighbours of the catalogued object at a sky position."""
        ...

    def by_lightcurve(
        self,
        lightcurve: Any,
        k: int = 10,
        *,
        filters: Filters | None = None,
        label: str | None = None,
    ) -> SearchResult:
        """The objects most similar to a query that is not catalogued (read by ``encoder``)."""
        ...

    def by_input(
        self,
        source: Any,
        k: int = 10,
        *,
        filters: Filters | None = None,
        label: str | None = None,
    ) -> SearchResult:
        """The objects most similar to an input of the search's modality (a light curve, an
        image), what the front ends call for an upload."""
        ...

    def by_examples(
        self,
        examples: Sequence[str | ArrayLike],
        k: int = 10,
        *,
        filters: Filters | None = None,
        combine: str = "centroid",
    ) -> SearchResult:
        """One query from several examples of a kind of object."""
        ...

    def by_inputs(
        self,
        sources: Sequence[Any],
        k: int = 10,
        *,
        filters: Filters | None = None,
        combine: str = "centroid",
        labels: Sequence[str | None] | None = None,
    ) -> SearchResult:
        """One query from several inputs that are not catalogued (files an upload holds)."""
        ...

    def random(
        self, k: int = 10, *, seed: int | None = None, filters: Filters | None = None
    ) -> SearchResult:
        """The neighbours of an object drawn at random."""
        ...


MAX_K = 100
"""Most matches one query of a front end may ask for (the web API's limit, the command line's)."""


def check_writable_file(path: Path) -> None:
    """Refuse, before any work, a file path that is a folder or lies in no folder.

    Examples
    --------
    >>> check_writable_file(Path("."))
    Traceback (most recent call last):
    ...
    IsADirectoryError: .: is a folder; give a file name (such as matches.csv)
    """
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder; give a file name (such as matches.csv)")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: the folder {path.parent} does not exist")


_Ranking = tuple[NDArray[np.int64], dict[str, NDArray[Any]]]
"""Index positions, best first, and score columns (``distance``, ``rrf_score``) in that order."""


_SELECTIVE = 0.5
"""A filter passing less than this fraction of the catalogue is applied inside the index (if
the catalogue keeps its mask; a magnitude window around the query's is checked on the index's
neighbours first). A period range passing 28.5 % of a million real embeddings, checked first,
fell back to the index for 83 of 100 objects (the neighbours of an object share its period)."""

_KEPT_MASKS = 16
"""Filters whose masks in index order and counts a search keeps, and the vectors of those it
searches exactly (at most :attr:`SearchConfig.exact_subset_max` objects each: 5 MiB at 64
dimensions and the default; a mask is a byte per object)."""


@dataclass(frozen=True)
class _Ranker:
    """How one query is ranked: ``rank(fetch)`` gives the ``fetch`` best positions (of ``total``
    that can be ranked); ``passes`` tells which of them pass the filter; ``fallback`` is the
    ranking to switch to when too few pass."""

    rank: Callable[[int], _Ranking]
    total: int
    overfetch: float
    check: Callable[[NDArray[np.int64]], NDArray[np.bool_]] | None = None
    fallback: Callable[[], _Ranker] | None = None

    def expected(self, wanted: int) -> float:
        """Neighbours to ask for first, to have ``wanted`` left after the filter."""
        return wanted * self.overfetch

    def passes(self, positions: NDArray[np.int64]) -> NDArray[np.bool_]:
        if self.check is None:
            return np.ones(len(positions), dtype=bool)
        return self.check(positions)


COMBINE_METHODS = ("centroid", "rrf")
"""How :meth:`SimilaritySearch.by_examples` combines several examples."""

RESULT_COLUMNS = ("rank", "distance", "anomaly_score", "rrf_score")
"""Columns a search adds in front of the catalogue's."""

_ASTROPY_UNITS = {
    "d": "d",
    "h": "h",
    "deg": "deg",
    "mag": "mag",
    "1/d": "1 / d",
    "μHz": "uHz",
    "rad": "rad",
}


def parse_range(text: str) -> tuple[str, tuple[float | None, float | None]]:
    """A range filter written ``COLUMN:MIN:MAX`` (an empty end is open), as the command line's
    ``--range`` and the web API's ``range`` take it, for :attr:`Filters.ranges`.

    Raises
    ------
    ValueError
        For text of another shape, or a bound that is not a finite number.

    Examples
    --------
    >>> parse_range("period_days:0.5:2"), parse_range("amplitude_mag::0.3")
    (('period_days', (0.5, 2.0)), ('amplitude_mag', (None, 0.3)))
    """
    parts = text.split(":")
    try:
        if len(parts) != 3 or not parts[0].strip():
            raise ValueError
        low, high = (float(part) if part.strip() else None for part in parts[1:])
        if not all(np.isfinite(bound) for bound in (low, high) if bound is not None):
            raise ValueError
    except ValueError:
        raise ValueError(
            f"range {text!r}: expected COLUMN:MIN:MAX with finite numbers, such as "
            "period_days:0.5:2 (MIN or MAX may be empty)"
        ) from None
    return parts[0].strip(), (low, high)


@dataclass(frozen=True)
class Filters:
    """Conditions on catalogue columns that every match must meet.

    Parameters
    ----------
    classes
        Keep matches of these variability classes (``"RRab"`` or ``("EA", "EW")``).
    missions
        Keep matches observed by these missions (``"Kepler"``, ``"TESS"``).
    mag_window
        Keep matches whose magnitude is within this many magnitudes of the query's.
    ranges
        ``{column: (low, high)}`` on any numeric column, inclusive; None leaves an end open.
        NaN never passes.

    Examples
    --------
    >>> Filters(classes="EA", ranges={"period_days": (1.0, None)}).is_empty
    False
    """

    classes: str | Sequence[str] | None = None
    missions: str | Sequence[str] | None = None
    mag_window: float | None = None
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mag_window is not None and not self.mag_window >= 0:
            raise ValueError(f"mag_window must be non-negative, got {self.mag_window}")
        for column, bounds in self.ranges.items():
            try:
                low, high = (None if end is None else float(end) for end in bounds)
            except (TypeError, ValueError):
                raise ValueError(
                    f"range on {column!r}: expected (min, max) numbers or None, got {bounds!r}"
                ) from None
            if (low is not None and np.isnan(low)) or (high is not None and np.isnan(high)):
                raise ValueError(f"range on {column!r}: NaN is not a bound, got {bounds!r}")
            if low is not None and high is not None and low > high:
                raise ValueError(
                    f"range on {column!r}: min {low:g} is larger than max {high:g}; "
                    "nothing could pass"
                )

    @property
    def is_empty(self) -> bool:
        """True when no condition is set."""
        return (
            self.classes is None
            and self.missions is None
            and self.mag_window is None
            and not self.ranges
        )

    def mask(self, catalog: Catalog, query_mag: float | None = None) -> NDArray[np.bool_]:
        """Which catalogue rows pass.

        Raises
        ------
        ValueError
            If ``mag_window`` is set and the query's magnitude is unknown, or a column is
            missing or not numeric.
        """
        return self.selection(catalog, query_mag).mask().copy()

    def selection(self, catalog: Catalog, query_mag: float | None = None) -> Selection:
        """The catalogue rows that pass, evaluated lazily (:meth:`Catalog.selection`); the
        magnitude window moves with the query, so its mask is not kept.

        Raises
        ------
        ValueError
            As :meth:`mask`.
        """
        conditions = self.conditions(query_mag)
        return catalog.selection(
            classes=conditions.values.get("class"),
            missions=conditions.values.get("mission"),
            ranges=conditions.ranges,
            moving=() if self.mag_window is None else ("mag",),
        )

    def conditions(self, query_mag: float | None = None) -> ColumnConditions:
        """The filter as conditions on catalogue columns, the magnitude window made a range.

        Raises
        ------
        ValueError
            If ``mag_window`` is set and the query's magnitude is unknown.

        Examples
        --------
        >>> Filters(classes="EA", mag_window=1.0).conditions(query_mag=12.0)
        ColumnConditions(values={'class': ('EA',)}, ranges={'mag': (11.0, 13.0)})
        """
        values: dict[str, tuple[str, ...]] = {}
        for column, wanted in (("class", self.classes), ("mission", self.missions)):
            if wanted is not None:
                values[column] = (wanted,) if isinstance(wanted, str) else tuple(wanted)
        ranges = dict(self.ranges)
        if self.mag_window is not None:
            if query_mag is None:
                raise ValueError(
                    "mag_window needs the query's magnitude, which is unknown for this query; "
                    "pass mag= or filter on a magnitude range instead"
                )
            window = (query_mag - self.mag_window, query_mag + self.mag_window)
            if "mag" in ranges:
                low, high = ranges["mag"]
                window = (
                    window[0] if low is None else max(low, window[0]),
                    window[1] if high is None else min(high, window[1]),
                )
            ranges["mag"] = window
        return ColumnConditions(values=values, ranges=ranges)


@dataclass(frozen=True)
class SearchConfig(JsonConfig):
    """Settings of a :class:`SimilaritySearch`.

    Parameters
    ----------
    duplicate_radius_arcsec
        Matches closer than this on the sky to a better match or to the query are dropped
        (None keeps them).
    coordinate_radius_arcsec
        Default radius of :meth:`SimilaritySearch.by_coordinates`.
    exact_subset_max
        A filter that leaves at most this many objects is answered by exact search over them.
    overfetch
        First request to the index: this many times the neighbours expected to pass the filter.
    rrf_constant
        The constant ``c`` of reciprocal-rank fusion, ``sum 1 / (c + rank)`` (Cormack et al. 2009).
    novelty_k, novelty_sample, novelty_percentile
        The domain check of a query that is not catalogued (:mod:`astrolens.search.domain`): its
        distance to its ``novelty_k``-th neighbour against that of ``novelty_sample`` survey
        objects; beyond the ``novelty_percentile`` of theirs it is out of domain.
    period_pool, period_tolerance, period_class_share
        A query by light curve with a period of its own (its periodogram's best) ranks first,
        among its ``period_pool * k`` nearest candidates, those whose catalogued ``period_days``
        that period supports (1/3 to 4 times it, within ``period_tolerance``) and, where the
        catalogue has a ``class``, whose class holds ``period_class_share`` of the nearest ``k``
        (:mod:`astrolens.search.periods`); the result says which moved forward in
        ``period_match``.
        ``period_pool = 0`` ranks by the embedding alone.
    """

    duplicate_radius_arcsec: float | None = 2.0
    coordinate_radius_arcsec: float = 5.0
    exact_subset_max: int = 20_000
    overfetch: float = 2.0
    rrf_constant: float = 60.0
    novelty_k: int = 10
    novelty_sample: int = 2000
    novelty_percentile: float = 0.99
    period_pool: float = 5.0
    period_tolerance: float = 0.03
    period_class_share: float = 0.2


@dataclass(frozen=True, eq=False)
class Query:
    """What a search was asked.

    Attributes
    ----------
    kind
        ``"object"``, ``"coordinates"``, ``"lightcurve"``, ``"vector"``, ``"examples"``,
        ``"random"`` or ``"least_similar"``.
    label
        A short description for titles (``"KIC 900000003"``, ``"3 examples (centroid)"``).
    vectors
        ``(m, d)`` embeddings searched with: one row, or one per example for ``"rrf"``.
    object_ids
        Catalogued objects the query came from (excluded from the matches).
    catalog, row_number
        For a single catalogued query object: the catalogue and its row there (:attr:`row`).
    mag
        The query's magnitude, if known (for :attr:`Filters.mag_window`).
    sky
        ``(ra, dec)`` in degrees of the query's position(s), for sky-duplicate removal.
    positions
        Index positions of :attr:`object_ids`.
    separation_arcsec
        For coordinate queries: how far the catalogued object is from the position asked for.
    combine
        For several examples: ``"centroid"`` or ``"rrf"``.
    period_days
        For a query by light curve: the period it shows by itself (its periodogram's best),
        which ranks the matches' catalogued periods (:attr:`SearchConfig.period_pool`); None
        for other queries or when it has none.
    """

    kind: str
    label: str
    vectors: NDArray[np.float32]
    object_ids: tuple[str, ...] = ()
    catalog: Catalog | None = field(default=None, repr=False)
    row_number: int | None = None
    mag: float | None = None
    sky: tuple[tuple[float, float], ...] = ()
    positions: tuple[int, ...] = ()
    separation_arcsec: float | None = None
    combine: str | None = None
    period_days: float | None = None

    @functools.cached_property
    def row(self) -> pd.Series | None:
        """The catalogue row of a single catalogued query object, else None (read when first
        asked for: a search that returns ids and distances does not need it)."""
        if self.catalog is None or self.row_number is None:
            return None
        return self.catalog.table.iloc[self.row_number]


class SearchResult:
    """The matches of a query: ``matches`` has rank, distance and every catalogue column.

    ``distance`` is the Euclidean distance in embedding space from the query (for ``"rrf"``: from
    the nearest example); :meth:`SimilaritySearch.least_similar` gives ``anomaly_score`` instead.
    A search by light curve with a period of its own ranks first the matches whose catalogued
    period it supports (of a class common among its nearest), and says which in the boolean
    ``period_match``
    (:attr:`SearchConfig.period_pool`): its distances rise within each group, not across them.

    Parameters
    ----------
    query
        What was asked.
    k
        Matches asked for.
    catalog
        The catalogue the matches are rows of.
    rows
        Their row numbers in ``catalog``, best first.
    scores
        Columns the search adds in front of the catalogue's (``distance``, ...), one value per
        match; ``rank`` comes first.
    domain
        For a query that is not catalogued: how it compares with the survey
        (:class:`~astrolens.search.domain.DomainCheck`); its ``warning`` says when the matches
        should not be believed.
    positions
        Their positions in the index searched, when the search knows them (the map of the
        answer places them by their embeddings).

    ``matches`` is built from the catalogue the first time it is read (a DataFrame of every
    catalogue column costs more than the search); :attr:`object_ids`, :meth:`column` and
    :meth:`records` read the rows without it.
    """

    def __init__(
        self,
        query: Query,
        k: int,
        catalog: Catalog,
        rows: NDArray[np.int64],
        scores: Mapping[str, NDArray[Any]],
        domain: DomainCheck | None = None,
        positions: NDArray[np.int64] | None = None,
    ) -> None:
        self.query = query
        self.k = k
        self.domain = domain
        self.catalog = catalog
        self.rows = np.asarray(rows, dtype=np.int64)
        self.positions = None if positions is None else np.asarray(positions, dtype=np.int64)
        self.scores = {"rank": np.arange(1, len(self.rows) + 1)} | {
            name: _score_column(values) for name, values in scores.items()
        }

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"SearchResult({self.query.label!r}, {len(self)} matches)"

    @functools.cached_property
    def matches(self) -> pd.DataFrame:
        """Rank, the scores and every catalogue column of the matches, best first."""
        table = self.catalog.take(self.rows)
        for offset, (name, values) in enumerate(self.scores.items()):
            table.insert(offset, name, values)
        return table

    @property
    def columns(self) -> list[str]:
        """The columns of :attr:`matches`."""
        return [*self.scores, *(str(name) for name in self.catalog.table.columns)]

    @property
    def object_ids(self) -> list[str]:
        """The ids of the matches, best first."""
        return self.catalog.object_ids[self.rows].tolist()

    def column(self, name: str) -> NDArray[Any]:
        """One column of :attr:`matches` as an array (without building the table)."""
        if name in self.scores:
            return self.scores[name]
        return self.catalog.table[name].to_numpy()[self.rows]

    def records(self) -> list[list[Any]]:
        """The matches as rows of Python values, in the order of :attr:`columns` (fast)."""
        catalog_rows = self.catalog.records(self.rows)
        scores = zip(*(values.tolist() for values in self.scores.values()), strict=True)
        return [[*score, *row] for score, row in zip(scores, catalog_rows, strict=True)]

    def _repr_html_(self) -> str:
        return f"<p>{self.query.label}: {len(self)} matches</p>" + self.matches._repr_html_()

    def to_frame(self) -> pd.DataFrame:
        """A copy of the matches."""
        return self.matches.copy()

    def to_table(self) -> Table:
        """The matches as an astropy Table, with units on the columns that have one."""
        from astropy.table import Table

        table = Table.from_pandas(self.matches)
        for name in table.colnames:
            unit = _ASTROPY_UNITS.get(column_unit(name) or "")
            if unit is not None:
                table[name].unit = unit
        table.meta["query"] = self.query.label
        return table

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the matches as CSV (atomically); returns the path.

        Raises
        ------
        IsADirectoryError, FileNotFoundError
            If ``path`` is a folder, or its folder does not exist (nothing is written).
        """
        path = Path(path)
        check_writable_file(path)
        with written_atomically(path) as temporary:
            self.matches.to_csv(temporary, index=False)
        return path

    def parameters(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The query's physical parameters estimated from its matches.

        See :func:`parameter_distributions`; the ``query`` column holds the query object's
        catalogue values when it is a catalogued object.
        """
        return parameter_distributions(self.matches, columns, truth=self.query.row)


def parameter_distributions(
    matches: pd.DataFrame,
    columns: Sequence[str] | None = None,
    truth: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Median and 16th/84th percentiles of numeric physical columns over the matches.

    NaN values (parameters that do not apply to a match's class) are left out.

    Parameters
    ----------
    matches
        Search results (or any catalogue rows).
    columns
        Columns to summarise; default: every numeric column outside
        :data:`~astrolens.catalog.NON_PHYSICAL_COLUMNS` with at least one value.
    truth
        The query's own values (a catalogue row), copied to the ``query`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed by column: ``median``, ``p16``, ``p84``, ``n`` (values used), ``query``.

    Examples
    --------
    >>> matches = pd.DataFrame({"period_days": [1.0, 2.0, 3.0, np.nan], "mag": [9, 10, 11, 12]})
    >>> summary = parameter_distributions(matches)
    >>> summary.index.tolist(), float(summary.at["period_days", "median"])
    (['period_days'], 2.0)
    """
    automatic = columns is None
    if columns is None:
        numeric = matches.select_dtypes(include="number").columns
        columns = [
            name
            for name in numeric
            if name not in NON_PHYSICAL_COLUMNS and name not in RESULT_COLUMNS
        ]
    records = []
    for name in columns:
        values = matches[name].to_numpy(dtype=np.float64)
        values = values[np.isfinite(values)]
        if automatic and values.size == 0:
            continue
        low, median, high = np.percentile(values, [16, 50, 84]) if values.size else [np.nan] * 3
        true_value = np.nan if truth is None else _as_float(truth.get(name))
        records.append(
            {
                "column": name,
                "median": median,
                "p16": low,
                "p84": high,
                "n": values.size,
                "query": true_value,
            }
        )
    frame = pd.DataFrame(records, columns=["column", "median", "p16", "p84", "n", "query"])
    return frame.set_index("column")


class SimilaritySearch:
    """Queries over an index of embeddings and the catalogue of the same objects.

    Parameters
    ----------
    index
        Embeddings of (some of) the catalogue's objects, ids = object ids.
    catalog
        The survey catalogue.
    encoder
        Reads and embeds a light curve (file path, arrays, ``lightkurve.LightCurve``) as the
        index's model run does (:class:`QueryEncoder`); needed by :meth:`by_lightcurve` only.
    config
        See :class:`SearchConfig`.
    images
        Light curve and power image of a catalogue row, for :meth:`plot_matches` and the web
        app's thumbnails (default: regenerate the row as an object of a simulated survey,
        :func:`astrolens.search.figures.simulated_images`).

    Raises
    ------
    IndexMismatch
        If the index holds ids the catalogue does not have.

    Examples
    --------
    >>> from astrolens.index import build_index
    >>> table = pd.DataFrame({"object_id": ["a", "b", "c", "d"], "ra": [0.0, 1, 2, 3],
    ...                       "dec": [0.0, 0, 0, 0], "period_days": [1.0, 1.2, 0.9, 30.0]})
    >>> vectors = np.array([[0, 0], [0, 1], [1, 0], [9, 9]], dtype=np.float32)
    >>> search = SimilaritySearch(build_index(vectors, table["object_id"], run="demo",
    ...                                       progress=False), Catalog(table))
    >>> search.by_examples(["a", "b"], k=1).matches["object_id"].tolist()
    ['c']
    >>> search.least_similar(n=1, k=1).matches["object_id"].tolist()
    ['d']
    """

    def __init__(
        self,
        index: VectorIndex,
        catalog: Catalog,
        encoder: QueryEncoder | None = None,
        config: SearchConfig = SearchConfig(),
        images: ImageSource | None = None,
    ) -> None:
        rows = catalog.locate(index.ids)
        if (rows < 0).any():
            missing = [str(object_id) for object_id in np.asarray(index.ids)[rows < 0][:5]]
            raise IndexMismatch(
                f"{(rows < 0).sum()} object(s) of the index are not in the {catalog.name} "
                f"(e.g. {', '.join(missing)}): index and catalogue belong to different surveys"
            )
        self.index = index
        self.catalog = catalog
        self.encoder = encoder
        self.config = config
        self.images: ImageSource = simulated_images if images is None else images
        self._rows = rows
        self._rows_in_order = len(rows) == len(catalog) and bool(
            np.all(rows == np.arange(len(rows)))
        )
        self._position_of_row = np.full(len(catalog), -1, dtype=np.int64)
        self._position_of_row[rows] = np.arange(len(rows))
        self._survey_scores: dict[int, NDArray[np.float32]] = {}
        self._by_mask = KeptByArray(size=_KEPT_MASKS)
        self._has_sky = {"ra", "dec"} <= set(catalog.table.columns)

    def __repr__(self) -> str:
        return f"SimilaritySearch({self.index!r}, {self.catalog!r})"

    # -- queries ------------------------------------------------------------------------------

    def by_object(
        self, object_id: str, k: int = 10, *, filters: Filters | None = None
    ) -> SearchResult:
        """The ``k`` objects most similar to a catalogued object.

        Raises
        ------
        UnknownObject
            If the object is not in the catalogue, or has no embedding in the index.
        """
        return self._run(self._object_query(object_id, "object"), k, filters)

    def by_coordinates(
        self,
        coordinates: Any,
        k: int = 10,
        *,
        radius_arcsec: float | None = None,
        filters: Filters | None = None,
    ) -> SearchResult:
        """The neighbours of the catalogued object nearest to a sky position.

        Parameters
        ----------
        coordinates
            ``"19h22m40.1s +44d30m00s"``, ``"19:22:40.1 +44:30:00"``, ``(ra_deg, dec_deg)`` or
            a ``SkyCoord``.
        k
            Number of matches.
        radius_arcsec
            Largest distance to the catalogued object (default
            :attr:`SearchConfig.coordinate_radius_arcsec`).
        filters
            Conditions on the matches.

        Raises
        ------
        InvalidCoordinates
            If the coordinates cannot be read.
        UnknownObject
            If no catalogued object (with an embedding) lies within the radius.
        """
        radius = radius_arcsec or self.config.coordinate_radius_arcsec
        match = self.catalog.cone_search(coordinates, radius)
        query = self._object_query(match.object_id, "coordinates")
        query = replace(query, separation_arcsec=match.separation_arcsec)
        return self._run(query, k, filters)

    def by_lightcurve(
        self,
        lightcurve: Any,
        k: int = 10,
        *,
        filters: Filters | None = None,
        label: str | None = None,
    ) -> SearchResult:
        """The objects most similar to a light curve: a ``LightCurve``, a FITS/CSV file, arrays,
        or an input the encoder has loaded already (:meth:`QueryEncoder.load`).

        The light curve is read once by the search's ``encoder`` and embedded; its metadata
        (``object_id``, ``ra``, ``dec``, ``mag``, as astrolens readers set them) is used to leave
        the object itself out, to drop sky duplicates of it, and for :attr:`Filters.mag_window`.
        ``label`` names the query in the result (default: its object id or file).

        Raises
        ------
        ValueError
            If the search has no ``encoder`` or it returns a vector of the wrong size.
        FileNotFoundError, InvalidLightCurve
            If a file cannot be read.
        """
        return self._by_input(lightcurve, "lightcurve", k, filters, label)

    def by_input(
        self,
        source: Any,
        k: int = 10,
        *,
        filters: Filters | None = None,
        label: str | None = None,
    ) -> SearchResult:
        """The objects most similar to an input of the search's modality, whichever it is: a
        light curve for a survey of light curves (:meth:`by_lightcurve`), an image for one of
        galaxy images (:meth:`by_image`); the encoder's ``query_kind`` says which."""
        kind = getattr(self.encoder, "query_kind", "lightcurve")
        return self._by_input(source, kind, k, filters, label)

    def by_image(
        self,
        image: Any,
        k: int = 10,
        *,
        filters: Filters | None = None,
        label: str | None = None,
    ) -> SearchResult:
        """The objects most similar to an image (a search of galaxy images): a JPEG, PNG or
        FITS file, an array, or an input the encoder has loaded already; as
        :meth:`by_lightcurve` (a FITS header's ``OBJECT``, ``RA`` and ``DEC`` are its metadata).

        Raises
        ------
        ValueError
            If the search has no ``encoder`` or it returns a vector of the wrong size.
        FileNotFoundError, InvalidImage
            If a file cannot be read.
        """
        return self._by_input(image, "image", k, filters, label)

    def by_inputs(
        self,
        sources: Sequence[Any],
        k: int = 10,
        *,
        filters: Filters | None = None,
        combine: str = "centroid",
        labels: Sequence[str | None] | None = None,
    ) -> SearchResult:
        """One query from several inputs that are not catalogued (light-curve files, images,
        arrays: what :meth:`by_input` takes), combined as :meth:`by_examples` combines ids.

        ``labels`` name the inputs that do not name their object (as ``label`` of
        :meth:`by_input`). An input the encoder cuts into pieces (stitched quarters, as
        :meth:`by_input` cuts them) counts as its pieces. The domain check judges each input:
        the answer carries the doubts about any of them, each reason prefixed with the input's
        name, and the largest of their distance percentiles.

        Raises
        ------
        ValueError
            For no inputs, an unknown ``combine``, labels that do not match the inputs, or a
            search without an ``encoder``.
        FileNotFoundError, InvalidLightCurve, InvalidImage
            If a file cannot be read (the error names it).
        """
        if combine not in COMBINE_METHODS:
            raise ValueError(f"combine must be one of {COMBINE_METHODS}, got {combine!r}")
        if len(sources) == 0:
            raise ValueError("by_inputs needs at least one input")
        names = [None] * len(sources) if labels is None else list(labels)
        if len(names) != len(sources):
            raise ValueError(f"{len(names)} labels for {len(sources)} inputs")
        kind = getattr(self.encoder, "query_kind", "lightcurve")
        read = [
            one
            for source, name in zip(sources, names, strict=True)
            for one in self._read_pieces(source, kind, name)[1]
        ]
        words = "light curves" if kind == "lightcurve" else f"{kind}s"
        label = f"{len(sources)} {words} ({combine})"
        return self._by_several(read, k, filters, combine, "examples", label)

    def _by_several(
        self,
        read: Sequence[tuple[Any, Query, DomainCheck | None]],
        k: int,
        filters: Filters | None,
        combine: str,
        kind: str,
        label: str,
        period_days: float | None = None,
    ) -> SearchResult:
        """One search for inputs read and embedded (:meth:`_read_input`), combined; the answer
        carries the domain check's doubts about each, prefixed with its label."""
        stacked = np.concatenate([single.vectors for _, single, _ in read])
        query = Query(
            kind=kind,
            label=label,
            vectors=stacked.mean(axis=0, keepdims=True) if combine == "centroid" else stacked,
            object_ids=tuple(dict.fromkeys(i for _, one, _ in read for i in one.object_ids)),
            mag=_median_or_none([single.mag for _, single, _ in read]),
            sky=tuple(dict.fromkeys(s for _, single, _ in read for s in single.sky)),
            positions=tuple(dict.fromkeys(p for _, one, _ in read for p in one.positions)),
            combine=combine,
            period_days=period_days,
        )
        checks = [domain for _, _, domain in read if domain is not None]
        result = self._run(query, k, filters, None)
        if checks:
            reasons: list[str] = []
            for item, _, domain in read:
                if domain is not None:
                    own = domain.reasons + self._answer_reasons(item, result)
                    reasons += [f"{item.label}: {reason}" for reason in own]
            worst = max(checks, key=lambda check: check.percentile)
            result.domain = replace(worst, reasons=tuple(reasons))
        return result

    def _by_input(
        self, source: Any, kind: str, k: int, filters: Filters | None, label: str | None
    ) -> SearchResult:
        """Read, embed and search one input of the encoder's modality (``kind`` names it); one
        unlike the survey's objects that the encoder cuts into pieces like them (a continuous
        light curve longer than the survey's: :meth:`~astrolens.modalities.Modality.pieces`)
        as its pieces together, around their mean embedding, at the median of their own
        periods."""
        item, read = self._read_pieces(source, kind, label)
        if len(read) > 1 or read[0][0] is not item:
            period = _median_or_none([one.period_days for _, one, _ in read])
            several = f"{item.label}, as its {len(read)} pieces (centroid)"
            label = read[0][0].label if len(read) == 1 else several
            return self._by_several(read, k, filters, "centroid", kind, label, period)
        ((item, query, domain),) = read
        result = self._run(query, k, filters, domain)
        if domain is not None:
            result.domain = domain.with_reasons(*self._answer_reasons(item, result))
        return result

    def _read_pieces(
        self, source: Any, kind: str, label: str | None
    ) -> tuple[Any, list[tuple[Any, Query, DomainCheck | None]]]:
        """An input loaded, and read and embedded (:meth:`_read_input`) as its pieces when the
        encoder cuts it (:meth:`_pieces`), else whole (the one piece is the input itself)."""
        item = self._load(source, kind, label)
        return item, [self._read_input(piece, kind, None) for piece in self._pieces(item)]

    def _load(self, source: Any, kind: str, label: str | None) -> Any:
        """An input loaded by the search's encoder (``kind`` names it in the error of a search
        without one)."""
        if self.encoder is None:
            words = "light curve" if kind == "lightcurve" else kind
            raise ValueError(
                f"searching by {words} needs an encoder: "
                "SimilaritySearch(index, catalog, encoder=run), run = astrolens.load_run(...)"
            )
        return self.encoder.load(source, label=label)

    def _pieces(self, item: Any) -> list[Any]:
        """The input as the encoder cuts it into inputs like the survey's objects, given their
        sampling (:attr:`survey_profiles`); ``[item]`` for an encoder that does not cut or a
        search that knows no survey sampling."""
        pieces = getattr(self.encoder, "pieces", None)  # optional, as sampling
        if pieces is None:
            return [item]
        samplings = [profile.sampling for profile in self.survey_profiles if profile.sampling]
        return list(pieces(item, samplings)) if samplings else [item]

    def _read_input(
        self, source: Any, kind: str, label: str | None
    ) -> tuple[Any, Query, DomainCheck | None]:
        """One input read and embedded: the loaded input, its query, and its domain check
        before the answer is known (embedding distance and sampling)."""
        words = "light curve" if kind == "lightcurve" else kind
        item = self._load(source, kind, label)
        vector = self._as_vector(self.encoder.embed_item(item), f"the embedding of the {words}")
        domain = self.domain_check(vector)
        sampling = getattr(self.encoder, "sampling", None)  # optional: readers that can say
        numbers = sampling(item) if sampling is not None else {}
        if domain is not None and numbers:  # images have no sampling to compare
            domain = domain.with_reasons(*self.sampling_envelope.reasons(numbers))
        meta = item.meta
        object_id = meta.get("object_id")
        row_number = int(self.catalog.locate([object_id])[0]) if object_id else -1
        position = int(self._position_of_row[row_number]) if row_number >= 0 else -1
        ra, dec = _as_float(meta.get("ra")), _as_float(meta.get("dec"))
        own_period = getattr(self.encoder, "own_period", None)  # optional, as sampling
        query = Query(
            kind=kind,
            label=item.label,
            vectors=vector[None],
            object_ids=(str(object_id),) if position >= 0 else (),
            mag=_finite_or_none(meta.get("mag")),
            sky=((ra, dec),) if np.isfinite(ra) and np.isfinite(dec) else (),
            positions=(position,) if position >= 0 else (),
            period_days=own_period(item) if own_period is not None else None,
        )
        return item, query, domain

    def by_vector(
        self,
        vector: ArrayLike,
        k: int = 10,
        *,
        filters: Filters | None = None,
        mag: float | None = None,
    ) -> SearchResult:
        """The objects nearest to an embedding; ``mag`` is the query's magnitude, if known."""
        query = Query(
            kind="vector",
            label="embedding",
            vectors=self._as_vector(vector, "vector")[None],
            mag=mag,
        )
        return self._run(query, k, filters)

    def by_examples(
        self,
        examples: Sequence[str | ArrayLike],
        k: int = 10,
        *,
        filters: Filters | None = None,
        combine: str = "centroid",
    ) -> SearchResult:
        """One query from several examples of a kind of object (object ids or embeddings).

        ``combine="centroid"`` searches around the mean of the example embeddings (in the
        index's own Euclidean space): what the examples have in common. ``combine="rrf"``
        searches around each example and merges the lists by reciprocal-rank fusion, score
        ``sum_i 1 / (c + rank_i)``: objects near several examples come first, and examples
        that do not form one cluster each keep their neighbours. The examples themselves are
        left out, as are sky duplicates of them. For ``"rrf"``, ``distance`` is the distance
        to the nearest example and ``rrf_score`` the fused score.

        Raises
        ------
        ValueError
            For no examples or an unknown ``combine``.
        UnknownObject
            For an example id without an embedding.
        """
        if combine not in COMBINE_METHODS:
            raise ValueError(f"combine must be one of {COMBINE_METHODS}, got {combine!r}")
        if len(examples) == 0:
            raise ValueError("by_examples needs at least one example")
        vectors, object_ids, positions, sky, mags = [], [], [], [], []
        for example in examples:
            if isinstance(example, str):
                single = self._object_query(example, "object")
                vectors.append(single.vectors[0])
                object_ids += single.object_ids
                positions += single.positions
                sky += single.sky
                mags += [single.mag] if single.mag is not None else []
            else:
                vectors.append(self._as_vector(example, "example"))
        stacked = np.stack(vectors)
        query = Query(
            kind="examples",
            label=f"{len(examples)} examples ({combine})",
            vectors=stacked.mean(axis=0, keepdims=True) if combine == "centroid" else stacked,
            object_ids=tuple(object_ids),
            mag=_median_or_none(mags),
            sky=tuple(sky),
            positions=tuple(positions),
            combine=combine,
        )
        return self._run(query, k, filters)

    def random(
        self, k: int = 10, *, seed: int | None = None, filters: Filters | None = None
    ) -> SearchResult:
        """The neighbours of an object of the index drawn at random (reproducible with ``seed``)."""
        position = int(np.random.default_rng(seed).integers(len(self.index)))
        query = self._object_query(str(self.index.ids[position]), "random")
        return self._run(query, k, filters)

    # -- domain -------------------------------------------------------------------------------

    @functools.cached_property
    def novelty(self) -> NoveltyReference:
        """The survey's own distances to their ``novelty_k``-th neighbour (computed once, from a
        seeded sample of :attr:`SearchConfig.novelty_sample` objects)."""
        config = self.config
        return novelty_reference(
            self.index, config.novelty_k, config.novelty_sample, limit=config.novelty_percentile
        )

    @functools.cached_property
    def survey_profiles(self) -> list[ObjectProfile]:
        """A sample of the survey's objects as the domain check sees them (made once)."""
        return self._survey_profiles()

    def _survey_profiles(self) -> list[ObjectProfile]:
        """Class, sampling and statistics of a sample of the survey's objects; none here (a
        search that can read its survey's light curves says, as the index-folder service does).
        """
        return []

    @functools.cached_property
    def sampling_envelope(self) -> SamplingEnvelope:
        """The range of the survey objects' sampling numbers (:attr:`survey_profiles`)."""
        return SamplingEnvelope.of([profile.sampling for profile in self.survey_profiles])

    @functools.cached_property
    def class_statistics(self) -> ClassStatistics | None:
        """The statistics of the survey's objects by class (:attr:`survey_profiles`); None
        when the sample has no classes or no statistics."""
        profiles = [p for p in self.survey_profiles if p.label is not None and p.statistics]
        if not profiles:
            return None
        names = tuple(profiles[0].statistics)
        return ClassStatistics.of(
            np.array([[p.statistics[name] for name in names] for p in profiles]),
            [str(p.label) for p in profiles],
            names,
            spread_percentile=float(getattr(self.encoder, "spread_percentile", 100.0)),
        )

    def _answer_reasons(self, item: Any, result: SearchResult) -> tuple[str, ...]:
        """Why the answer does not fit the query: the matches' class is unlike it
        (:class:`ClassStatistics`), their periods are longer than its light curve can show
        (:class:`PeriodCoverage`), or its only dip does not come back where their period puts
        it (:class:`LoneDip`); empty when it fits, or when the encoder or the survey cannot
        say."""
        if len(result) == 0:
            return ()
        return (
            self._class_reasons(item, result)
            + self._period_reasons(item, result)
            + self._dip_reasons(item, result)
        )

    def _period_reasons(self, item: Any, result: SearchResult) -> tuple[str, ...]:
        """Why the matches' catalogued periods cannot be seen in the query's baseline
        (:class:`PeriodCoverage`): only where the encoder says the baseline (light curves) and
        the catalogue has ``period_days``."""
        sampling = getattr(self.encoder, "sampling", None)  # optional, as in _read_input
        if sampling is None or "period_days" not in self.catalog.table.columns:
            return ()
        baseline = sampling(item).get("baseline_days")
        if baseline is None:  # a modality without a baseline (images)
            return ()
        return PeriodCoverage().reasons(baseline, result.column("period_days"))

    def _dip_reasons(self, item: Any, result: SearchResult) -> tuple[str, ...]:
        """Why the matches' catalogued periods do not fit the query's only dip
        (:class:`LoneDip`): only where the encoder gives the measurements (light curves) and
        the catalogue has ``period_days``."""
        samples = getattr(self.encoder, "samples", None)  # optional, as sampling
        if samples is None or "period_days" not in self.catalog.table.columns:
            return ()
        measured = samples(item)
        if measured is None:  # a modality without measurements in time (images)
            return ()
        time, flux, _ = measured
        return LoneDip().reasons(time, flux, result.column("period_days"))

    def _class_reasons(self, item: Any, result: SearchResult) -> tuple[str, ...]:
        """Why the matches' class does not fit the query (:class:`ClassStatistics`): empty when
        it fits, or when the encoder or the survey cannot say."""
        statistics = getattr(self.encoder, "statistics", None)  # optional, as sampling
        if statistics is None or "class" not in self.catalog.table.columns:
            return ()
        numbers = statistics(item)
        if not numbers:  # a modality without statistics is not judged
            return ()
        reference = self.class_statistics
        if reference is None:
            return ()
        answer = Counter(str(name) for name in result.column("class")).most_common(1)[0][0]
        return reference.reasons(numbers, answer)

    def domain_check(self, vector: ArrayLike) -> DomainCheck | None:
        """How an embedding compares with the survey's (None for a survey too small to say)."""
        if len(self.index) <= self.config.novelty_k:
            return None
        query = self._as_vector(vector, "vector")[None]
        distances, _ = self.index.search_positions(query, self.config.novelty_k)
        return self.novelty.check(float(distances[0, -1]))

    # -- figures ------------------------------------------------------------------------------

    def plot_matches(self, result: SearchResult, *, lightcurve: Any = None, n: int = 8) -> Figure:
        """:func:`astrolens.search.figures.plot_matches` of a result of this search, the matches
        drawn by :attr:`images`.

        ``lightcurve`` is the query of a search by light curve (a file, arrays, a loaded
        input), drawn as the search's ``encoder`` sees it; for a search of images, the query
        image, and the figure is :func:`~astrolens.search.figures.plot_image_matches`.

        Raises
        ------
        ValueError
            If ``lightcurve`` is given and the search has no ``encoder``.
        """
        query = None
        if lightcurve is not None:
            if self.encoder is None:
                raise ValueError("drawing a query that is not in the survey needs an encoder")
            query = self.encoder.picture(self.encoder.load(lightcurve))
        if getattr(self.encoder, "query_kind", "lightcurve") == "image":
            return plot_image_matches(result, self.images, n=n, query_picture=query)
        return plot_matches(result, self.images, n=n, query_images=query)

    # -- anomalies ----------------------------------------------------------------------------

    def anomaly_scores(
        self,
        k: int = 10,
        *,
        object_ids: Sequence[str] | None = None,
        batch_size: int = 65_536,
        progress: bool = False,
    ) -> pd.Series:
        """Distance from each object to its ``k``-th nearest other object in embedding space.

        Large scores mark objects unlike anything else in the survey. Computed in batches
        through the index (approximate indexes give approximate neighbours, exact distances);
        the scores of the whole survey are kept for :meth:`least_similar`.

        Parameters
        ----------
        k
            Which neighbour (1: the nearest); less than the number of objects.
        object_ids
            Objects to score (default: every object of the index).
        batch_size
            Queries per call to the index.
        progress
            Show a progress bar.

        Returns
        -------
        pandas.Series
            ``anomaly_score`` by object id.
        """
        if object_ids is None:
            scores = self._scores_of_survey(k, batch_size, progress)
            return pd.Series(scores, index=pd.Index(self.index.ids), name="anomaly_score")
        positions = self._positions_of(object_ids)
        scores = self._scores(positions, k, batch_size, progress)
        return pd.Series(scores, index=pd.Index(list(object_ids)), name="anomaly_score")

    def least_similar(
        self,
        n: int = 10,
        *,
        k: int = 10,
        filters: Filters | None = None,
        progress: bool = False,
    ) -> SearchResult:
        """The ``n`` objects with the largest :meth:`anomaly_scores` (among those passing
        ``filters``), most anomalous first, with an ``anomaly_score`` column."""
        scores = self._scores_of_survey(k, 65_536, progress)
        allowed = self._allowed(filters, None)
        candidates = np.arange(len(self.index)) if allowed is None else np.flatnonzero(allowed)
        order = np.argsort(-scores[candidates], kind="stable")[:n]
        positions = candidates[order]
        query = Query(
            kind="least_similar",
            label=f"least similar objects (distance to neighbour {k})",
            vectors=np.empty((0, self.index.dimension), dtype=np.float32),
        )
        return SearchResult(
            query,
            n,
            self.catalog,
            self._rows[positions],
            {"anomaly_score": scores[positions]},
            positions=positions,
        )

    # -- internals ----------------------------------------------------------------------------

    def _object_query(self, object_id: str, kind: str) -> Query:
        row_number = self.catalog.row_number(object_id)
        position = int(self._position_of_row[row_number])
        if position < 0:
            raise UnknownObject(
                f"{object_id}: in the {self.catalog.name} but not in the index (no embedding)"
            )
        ra, dec, mag = (self._catalog_value(row_number, name) for name in ("ra", "dec", "mag"))
        return Query(
            kind=kind,
            label=str(object_id),
            vectors=self.index.get_vectors([position]),
            object_ids=(str(object_id),),
            catalog=self.catalog,
            row_number=row_number,
            mag=_finite_or_none(mag),
            sky=((ra, dec),) if np.isfinite(ra) and np.isfinite(dec) else (),
            positions=(position,),
        )

    def _catalog_value(self, row_number: int, name: str) -> float:
        """A number of a catalogue row (NaN where the catalogue has no such column or value)."""
        if name not in self.catalog.table.columns:
            return float("nan")
        return _as_float(self.catalog.table[name].to_numpy()[row_number])

    def _positions_of(self, object_ids: Sequence[str]) -> NDArray[np.int64]:
        positions = self._position_of_row[self.catalog.row_numbers(object_ids)]
        if (positions < 0).any():
            missing = [str(object_ids[i]) for i in np.flatnonzero(positions < 0)[:5]]
            raise UnknownObject(f"{', '.join(missing)}: not in the index (no embedding)")
        return positions

    def _as_vector(self, values: ArrayLike, what: str) -> NDArray[np.float32]:
        vector = np.asarray(values, dtype=np.float32).ravel()
        if vector.size != self.index.dimension or not np.isfinite(vector).all():
            raise ValueError(
                f"{what} must be {self.index.dimension} finite numbers (the index's dimension), "
                f"got shape {np.shape(values)}"
            )
        return vector

    def _allowed(
        self, filters: Filters | None, query_mag: float | None
    ) -> NDArray[np.bool_] | None:
        """Which index positions pass ``filters`` (None: all)."""
        if filters is None or filters.is_empty:
            return None
        return self._positions_mask(filters.selection(self.catalog, query_mag).mask())

    def _positions_mask(self, rows_mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """A mask over catalogue rows as a mask over index positions (read-only; for a mask
        the catalogue keeps, kept too)."""
        if self._rows_in_order:
            return rows_mask

        def in_index_order() -> NDArray[np.bool_]:
            mask = rows_mask[self._rows]
            mask.flags.writeable = False
            return mask

        return self._by_mask.get(rows_mask, "positions", in_index_order)

    def _run(
        self, query: Query, k: int, filters: Filters | None, domain: DomainCheck | None = None
    ) -> SearchResult:
        """Rank, drop what fails the filter, the query itself and sky duplicates, keep ``k``.

        Without a filter, the index is asked for ``k`` neighbours and a few more. With one, the
        catalogue is not scanned: a filter that leaves at most
        :attr:`SearchConfig.exact_subset_max` objects is searched exactly over them; a selective
        filter whose mask the catalogue keeps (classes, missions, fixed ranges) is handed to the
        index, which filters while it searches; any other filter (a magnitude window around
        the query's) is checked on the index's neighbours, and handed to the index when too
        few pass. Asks for more neighbours (x4 at a time) until
        ``k`` survive or nothing is left. A query with a period of its own ranks the first
        ``period_pool * k`` of them by it (:mod:`astrolens.search.periods`) before ``k`` are
        kept.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        excluded = np.asarray(query.positions, dtype=np.int64)
        selection = conditions = None
        if filters is not None and not filters.is_empty:
            selection = filters.selection(self.catalog, query.mag)
            conditions = filters.conditions(query.mag)
        if selection is None:
            ranking = self._index_ranking(query)
        elif self._exhaustive(selection):
            ranking = self._subset_ranking(query, selection.rows(), keep=selection.kept)
        elif selection.kept and selection.estimate < _SELECTIVE * len(self.catalog):
            ranking = self._index_ranking(query, self._positions_mask(selection.mask()), conditions)
        else:
            ranking = self._checked_ranking(query, selection, conditions)
        fetch = min(ranking.total, math.ceil(ranking.expected(k + excluded.size)))
        pool = self._period_pool(query, k)
        fetch = min(ranking.total, max(fetch, pool))
        while True:
            positions, scores = ranking.rank(fetch)
            keep = ranking.passes(positions)
            if excluded.size:
                keep &= ~_among(positions, excluded)
            positions = positions[keep]
            scores = {name: values[keep] for name, values in scores.items()}
            if pool:
                positions, scores = self._period_first(query, positions, scores, pool, k)
            chosen = self._without_sky_duplicates(query, positions, k)
            if chosen.size == k or fetch >= ranking.total:
                break
            if ranking.fallback is not None:  # too few neighbours passed: filter in the index
                ranking = ranking.fallback()
                fetch = min(ranking.total, math.ceil((k + excluded.size) * self.config.overfetch))
            else:
                fetch = min(ranking.total, fetch * 4)
        columns = {name: values[chosen] for name, values in scores.items()}
        positions = positions[chosen]
        return SearchResult(
            query, k, self.catalog, self._rows[positions], columns, domain, positions
        )

    def _period_pool(self, query: Query, k: int) -> int:
        """How many candidates a query's own period ranks (0: none; see :class:`SearchConfig`)."""
        if query.period_days is None or self._periods_by_position is None:
            return 0
        return math.ceil(self.config.period_pool * k)

    def _period_first(
        self,
        query: Query,
        positions: NDArray[np.int64],
        scores: dict[str, NDArray[Any]],
        pool: int,
        k: int,
    ) -> tuple[NDArray[np.int64], dict[str, NDArray[Any]]]:
        """Candidates whose catalogued period the query's own supports first among the first
        ``pool``, of a class common in the first ``k``
        (:func:`~astrolens.search.periods.moved_forward`), flagged in ``period_match``."""
        periods = self._periods_by_position[positions]
        classes = (
            None if self._classes_by_position is None else self._classes_by_position[positions]
        )
        moved = moved_forward(
            periods,
            query.period_days,
            self.config.period_tolerance,
            pool,
            classes=classes,
            k=k,
            class_share=self.config.period_class_share,
        )
        order = period_first(moved)
        scores = {name: values[order] for name, values in scores.items()}
        scores["period_match"] = moved[order]
        return positions[order], scores

    @functools.cached_property
    def _periods_by_position(self) -> NDArray[np.float64] | None:
        """The catalogued ``period_days`` of the index's objects, by position (NaN: none); None
        when the catalogue has no periods or the search does not rank by them."""
        if self.config.period_pool <= 0 or "period_days" not in self.catalog.table.columns:
            return None
        periods = pd.to_numeric(self.catalog.table["period_days"], errors="coerce")
        return periods.to_numpy(dtype=np.float64)[self._rows]

    @functools.cached_property
    def _classes_by_position(self) -> NDArray[np.str_] | None:
        """The catalogued ``class`` of the index's objects, by position; None without one."""
        if "class" not in self.catalog.table.columns:
            return None
        return self.catalog.table["class"].astype(str).to_numpy()[self._rows]

    def _exhaustive(self, selection: Selection) -> bool:
        """Whether the objects passing are few enough to search them all exactly."""
        limit = self.config.exact_subset_max
        if selection.upper_bound <= limit:
            return True
        return selection.estimate <= 4 * limit and selection.count() <= limit

    def _index_ranking(
        self,
        query: Query,
        allowed: NDArray[np.bool_] | None = None,
        conditions: ColumnConditions | None = None,
    ) -> _Ranker:
        """Ranking through the index, among the ``allowed`` positions if given (``conditions``:
        the same in catalogue columns, for an index that keeps them)."""
        if allowed is None:
            total = len(self.index)
        else:
            total = self._by_mask.get(allowed, "count", lambda: int(np.count_nonzero(allowed)))

        def rank(fetch: int) -> _Ranking:
            if fetch == 0:
                return np.empty(0, dtype=np.int64), {"distance": np.empty(0, dtype=np.float32)}
            found = self.index.search_positions(
                query.vectors, fetch, allowed=allowed, conditions=conditions
            )
            return self._combined(query, *found)

        return _Ranker(rank, total, self.config.overfetch)

    def _checked_ranking(
        self, query: Query, selection: Selection, conditions: ColumnConditions | None
    ) -> _Ranker:
        """Ranking through the index, keeping the neighbours that pass ``selection``; the index
        filters itself (:meth:`_index_ranking`) when too few of them do."""
        n = len(self.index)
        unfiltered = self._index_ranking(query)

        def passes(positions: NDArray[np.int64]) -> NDArray[np.bool_]:
            return selection.passes(positions if self._rows_in_order else self._rows[positions])

        def fallback() -> _Ranker:
            mask = self._positions_mask(selection.mask())
            return self._index_ranking(query, mask, conditions)

        overfetch = self.config.overfetch * n / max(selection.estimate, 1.0)
        return _Ranker(unfiltered.rank, n, overfetch, passes, fallback)

    def _subset_ranking(self, query: Query, rows: NDArray[np.int64], *, keep: bool) -> _Ranker:
        """Exact ranking over the indexed objects among the catalogue ``rows`` (their positions,
        vectors and norms gathered once; kept if ``keep``, for rows the catalogue keeps)."""
        if keep:
            subset, vectors, norms = self._by_mask.get(rows, "subset", lambda: self._gathered(rows))
        else:
            subset, vectors, norms = self._gathered(rows)

        def rank(fetch: int) -> _Ranking:
            if fetch == 0:
                return np.empty(0, dtype=np.int64), {"distance": np.empty(0, dtype=np.float32)}
            distances, rows = brute_force_search(vectors, query.vectors, fetch, squared_norms=norms)
            return self._combined(query, distances, subset[rows])

        return _Ranker(rank, len(subset), self.config.overfetch)

    def _gathered(
        self, rows: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.float32]]:
        """The index positions of the catalogue ``rows`` that are indexed, their vectors and
        squared norms."""
        positions = self._position_of_row[rows]
        subset = positions[positions >= 0]
        vectors = self.index.get_vectors(subset)
        return subset, vectors, np.einsum("ij,ij->i", vectors, vectors)

    def _combined(
        self, query: Query, distances: NDArray[np.float32], positions: NDArray[np.int64]
    ) -> _Ranking:
        """One ranking from the neighbour lists of the query's vectors."""
        if query.combine != "rrf":
            return positions[0], {"distance": distances[0]}
        return _reciprocal_rank_fusion(positions, distances, self.config.rrf_constant)

    def _without_sky_duplicates(
        self, query: Query, positions: NDArray[np.int64], k: int
    ) -> NDArray[np.int64]:
        """Indices into ``positions`` of the first ``k`` that are not sky duplicates (of the
        query, or of a candidate before them that is kept)."""
        radius = self.config.duplicate_radius_arcsec
        if radius is None or not self._has_sky:
            return np.arange(min(k, positions.size))
        limit = float(angular_chord(radius)) ** 2
        taken = unit_vectors(*np.transpose(query.sky)) if query.sky else np.empty((0, 3))
        chosen: list[int] = []
        start = 0
        while len(chosen) < k and start < positions.size:  # in blocks of 2k: usually one
            stop = min(positions.size, start + 2 * k)
            sky = self.catalog.sky_vectors(self._rows[positions[start:stop]])
            near = _squared_chords(sky, np.concatenate([taken, sky])) <= limit
            near_taken = near[:, : len(taken)].any(axis=1)
            near_earlier = np.tril(near[:, len(taken) :], -1)  # [i, j]: j < i in the block
            kept = _kept_greedily(~near_taken, near_earlier)[: k - len(chosen)]
            chosen.extend((kept + start).tolist())
            taken = np.concatenate([taken, sky[kept]])
            start = stop
        return np.asarray(chosen, dtype=np.int64)

    def _scores_of_survey(self, k: int, batch_size: int, progress: bool) -> NDArray[np.float32]:
        if k not in self._survey_scores:
            positions = np.arange(len(self.index))
            self._survey_scores[k] = self._scores(positions, k, batch_size, progress)
        return self._survey_scores[k]

    def _scores(
        self, positions: NDArray[np.int64], k: int, batch_size: int, progress: bool
    ) -> NDArray[np.float32]:
        if not 1 <= k < len(self.index):
            raise ValueError(f"k must be between 1 and {len(self.index) - 1}, got {k}")
        scores = np.empty(len(positions), dtype=np.float32)
        starts = range(0, len(positions), batch_size)
        for start in tqdm(starts, desc="anomaly scores", unit="batch", disable=not progress):
            batch = positions[start : start + batch_size]
            queries = self.index.get_vectors(batch)
            distances, neighbours = self.index.search_positions(queries, k + 1)
            is_self = neighbours == batch[:, None]
            is_self[~is_self.any(axis=1), -1] = True
            scores[start : start + len(batch)] = distances[~is_self].reshape(len(batch), k)[:, -1]
        return scores


def _among(values: NDArray[np.int64], members: NDArray[np.int64]) -> NDArray[np.bool_]:
    """``np.isin(values, members)``; for the few members of a query (its own objects), compared
    directly (``isin`` sorts)."""
    if members.size > 32:
        return np.isin(values, members)
    return np.asarray((values[:, None] == members[None, :]).any(axis=1))


def _kept_greedily(free: NDArray[np.bool_], near_earlier: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Indices of the candidates kept in order: each ``free`` one not near (``near_earlier[i,
    j]``, for ``j < i``) one kept before it. Those near no earlier candidate at all are kept
    without a look at the others; only the rest (a few duplicates) are decided one by one.

    Examples
    --------
    >>> near = np.zeros((4, 4), dtype=bool)
    >>> near[1, 0] = near[2, 1] = near[3, 0] = True  # 2 is near 1 only, which is left out
    >>> _kept_greedily(np.array([True, True, True, True]), near).tolist()
    [0, 2]
    """
    kept = free & ~near_earlier.any(axis=1)
    for i in np.flatnonzero(free & ~kept).tolist():  # in order: those before i are decided
        kept[i] = not (near_earlier[i] & kept).any()
    return np.flatnonzero(kept)


def _squared_chords(
    points: NDArray[np.float64], others: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Squared straight-line distances ``(n, m)`` between unit vectors (NaN for a missing
    position: never within a radius)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(((points[:, None, :] - others[None, :, :]) ** 2).sum(axis=2))


def _reciprocal_rank_fusion(
    positions: NDArray[np.int64], distances: NDArray[np.float32], constant: float
) -> _Ranking:
    """Merge ranked lists (one row each): by fused score, then by distance to the nearest."""
    ranks = np.broadcast_to(np.arange(1, positions.shape[1] + 1), positions.shape)
    unique, inverse = np.unique(positions.ravel(), return_inverse=True)
    fused = np.zeros(unique.size)
    np.add.at(fused, inverse, 1.0 / (constant + ranks.ravel()))
    nearest = np.full(unique.size, np.inf)
    np.minimum.at(nearest, inverse, distances.ravel())
    order = np.lexsort((nearest, -fused))
    return unique[order], {"distance": nearest[order], "rrf_score": fused[order]}


def _score_column(values: ArrayLike) -> NDArray[Any]:
    """A score column: flags stay booleans, anything else becomes float64."""
    array = np.asarray(values)
    return array if array.dtype == np.bool_ else array.astype(np.float64)


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _finite_or_none(value: Any) -> float | None:
    number = _as_float(value)
    return number if np.isfinite(number) else None


def _median_or_none(values: Sequence[float | None]) -> float | None:
    """The median of the known values (None: none known)."""
    known = [value for value in values if value is not None]
    return float(np.median(known)) if known else None
