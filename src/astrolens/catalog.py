"""The survey catalogue: objects by id, the catalogued object at a sky position, column filters.

:class:`Catalog` wraps a survey table (one row per object, an ``object_id`` column; the simulated
survey's columns are listed in :data:`astrolens.simulate.CATALOG_COLUMNS`). Cone searches use a
KD-tree on unit vectors, built once, so matching a million positions against a million objects
takes seconds.

Examples
--------
>>> catalog = Catalog(pd.DataFrame({"object_id": ["KIC 1", "TIC 2"], "ra": [290.667, 10.0],
...                                 "dec": [44.5, -30.0], "mag": [12.0, 9.5]}))
>>> float(catalog.row("TIC 2")["mag"])
9.5
>>> match = catalog.cone_search("19h22m40.1s +44d30m00s", radius_arcsec=5.0)
>>> match.object_id, round(match.separation_arcsec, 2)
('KIC 1', 0.21)
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from astrolens.errors import InvalidCoordinates, UnknownObject
from astrolens.simulate import read_catalog

if TYPE_CHECKING:
    from astropy.coordinates import SkyCoord
    from scipy.spatial import cKDTree

__all__ = [
    "NON_PHYSICAL_COLUMNS",
    "Catalog",
    "InvalidCoordinates",
    "Selection",
    "SkyMatch",
    "UnknownObject",
    "angular_chord",
    "column_label",
    "column_unit",
    "parse_coordinates",
    "unit_vectors",
]

NON_PHYSICAL_COLUMNS = frozenset(
    {
        "target_id",
        "seed",
        "ra",
        "dec",
        "mag",
        "cadence_days",
        "epoch_days",
        "ogle_i_mag",
        "ogle_v_mag",
        "pixel_scale_arcsec",
        "image_size",
        "seeing_fwhm_arcsec",
        "sky_mag_arcsec2_g",
        "sky_mag_arcsec2_r",
        "sky_mag_arcsec2_z",
        "n_neighbours",
        "n_field_stars",
    }
)
"""Numeric columns that describe the observation or bookkeeping, not the object's physics (the
light-curve survey's and the galaxy survey's)."""

_UNIT_SUFFIXES = (
    ("_per_day", "1/d"),
    ("_days", "d"),
    ("_hours", "h"),
    ("_deg", "deg"),
    ("_arcsec", "arcsec"),
    ("_mag", "mag"),
    ("_uhz", "μHz"),
)
_UNITS = {
    "amplitude": "relative flux",
    "flare_min_amplitude": "relative flux",
    "fourier_phi21": "rad",
    "fourier_phi31": "rad",
    "ra": "deg",
    "dec": "deg",
    "mag": "mag",
}


class SkyMatch(NamedTuple):
    """The catalogued object nearest to a sky position."""

    object_id: str
    row: pd.Series
    separation_arcsec: float


def parse_coordinates(coordinates: Any) -> SkyCoord:
    """ICRS coordinates from a ``SkyCoord``, ``(ra, dec)`` in degrees, or a string.

    Strings: two decimal numbers are degrees (``"290.667 44.5"``); otherwise sexagesimal with
    right ascension in hours (``"19h22m40.1s +44d30m00s"``, ``"19:22:40.1 +44:30:00"``,
    ``"19 22 40.1 +44 30 00"``) or in degrees when marked so (``"290d40m01.5s +44d30m"``).

    Raises
    ------
    InvalidCoordinates
        If the input cannot be read or lies outside the sky (``|dec| > 90``, NaN).

    Examples
    --------
    >>> position = parse_coordinates("19:22:40.1 +44:30:00")
    >>> print(f"{position.ra.deg:.4f} {position.dec.deg:.4f}")
    290.6671 44.5000
    >>> float(parse_coordinates((290.6671, 44.5)).dec.deg)
    44.5
    >>> parse_coordinates("19h22m +95d")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    astrolens.errors.InvalidCoordinates: cannot read sky coordinates '19h22m +95d': ...
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    if isinstance(coordinates, SkyCoord):
        return coordinates.icrs
    try:
        if isinstance(coordinates, str):
            degrees = _two_numbers(coordinates)
            if degrees is not None:
                return parse_coordinates(degrees)
            position = SkyCoord(coordinates, unit=_string_units(coordinates), frame="icrs")
        else:
            ra, dec = coordinates
            if isinstance(ra, str) or isinstance(dec, str):
                return parse_coordinates(f"{ra} {dec}")
            ra, dec = float(ra), float(dec)
            if not (0.0 <= ra <= 360.0 and -90.0 <= dec <= 90.0):
                raise InvalidCoordinates(
                    f"sky coordinates {coordinates!r} are outside the sky: right ascension "
                    "must be within 0-360 deg and declination within -90-+90 deg"
                )
            position = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")
    except (ValueError, TypeError, u.UnitsError) as error:
        raise InvalidCoordinates(
            f"cannot read sky coordinates {coordinates!r}: {error}; write them as "
            "'19h22m40.1s +44d30m00s', '19:22:40.1 +44:30:00' or (ra_deg, dec_deg)"
        ) from None
    if not (np.isfinite(position.ra.deg) and np.isfinite(position.dec.deg)):
        raise InvalidCoordinates(f"sky coordinates {coordinates!r} are not finite")
    return position


def unit_vectors(ra_deg: ArrayLike, dec_deg: ArrayLike) -> NDArray[np.float64]:
    """``(N, 3)`` Cartesian unit vectors of positions in degrees.

    Examples
    --------
    >>> unit_vectors([0.0, 90.0], [0.0, 0.0]).round(12).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    ra = np.radians(np.asarray(ra_deg, dtype=np.float64))
    dec = np.radians(np.asarray(dec_deg, dtype=np.float64))
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def angular_chord(separation_arcsec: ArrayLike) -> NDArray[np.float64]:
    """Straight-line distance between unit vectors ``separation_arcsec`` apart on the sky.

    Examples
    --------
    >>> float(angular_chord(180 * 3600.0))
    2.0
    """
    return 2.0 * np.sin(np.radians(np.asarray(separation_arcsec, dtype=np.float64) / 3600.0) / 2.0)


def column_unit(name: str) -> str | None:
    """The unit of a catalogue column, from its name (``period_days`` -> ``"d"``), or None.

    Examples
    --------
    >>> column_unit("period_days"), column_unit("amplitude"), column_unit("mass_ratio")
    ('d', 'relative flux', None)
    """
    if name in _UNITS:
        return _UNITS[name]
    return next((unit for suffix, unit in _UNIT_SUFFIXES if name.endswith(suffix)), None)


def column_label(name: str) -> str:
    """An axis label for a catalogue column with its unit: ``"period_days [d]"``.

    Examples
    --------
    >>> column_label("nu_max_uhz"), column_label("mass_ratio")
    ('nu_max_uhz [μHz]', 'mass_ratio')
    """
    unit = column_unit(name)
    return f"{name} [{unit}]" if unit else name


class Catalog:
    """A survey table indexed by ``object_id``: lookups, cone searches and column filters.

    Parameters
    ----------
    table
        One row per object, with unique ``object_id`` strings and, for cone searches, ``ra`` and
        ``dec`` in degrees.
    name
        What error messages call the catalogue.

    Raises
    ------
    ValueError
        If ``object_id`` is missing or repeated.

    Examples
    --------
    >>> from astrolens.simulate import SurveyConfig, generate_catalog
    >>> catalog = Catalog(generate_catalog(SurveyConfig(name="mini", n_objects=16)))
    >>> catalog.row("KIC 900000003")["class"]
    'MIRA'
    >>> int(catalog.mask(classes="MIRA", missions="Kepler").sum())
    1
    """

    def __init__(self, table: pd.DataFrame, *, name: str = "catalogue") -> None:
        if "object_id" not in table.columns:
            raise ValueError(f"{name} has no 'object_id' column; columns: {list(table.columns)}")
        self.name = name
        self._table = table.copy()  # consolidated: rows are taken from a few blocks, fast
        self._table.index = pd.RangeIndex(len(table))
        self._factorized: dict[str, _Factorized] = {}
        self._sorted: dict[str, tuple[NDArray[Any], NDArray[np.int64], NDArray[Any]]] = {}
        self._kept: OrderedDict[tuple[Any, ...], NDArray[Any]] = OrderedDict()
        self._ids = pd.Index(self._table["object_id"].astype(str))
        if self._ids.has_duplicates:
            repeated = self._ids[self._ids.duplicated()].unique()[:5].tolist()
            raise ValueError(f"{name}: object_id values repeat: {repeated}")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Catalog:
        """A catalogue written by :func:`astrolens.simulate.write_survey` (CSV or Parquet)."""
        return cls(read_catalog(path), name=os.fspath(path))

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._ids

    def __repr__(self) -> str:
        return f"Catalog({self.name!r}, {len(self)} objects)"

    @property
    def table(self) -> pd.DataFrame:
        """The table (row ``i`` is object ``i``); do not modify it."""
        return self._table

    @property
    def object_ids(self) -> pd.Index:
        """The object ids, in row order."""
        return self._ids

    @cached_property
    def physical_columns(self) -> tuple[str, ...]:
        """Numeric columns that describe the star (not in :data:`NON_PHYSICAL_COLUMNS`)."""
        numeric = self._table.select_dtypes(include="number").columns
        return tuple(name for name in numeric if name not in NON_PHYSICAL_COLUMNS)

    def row(self, object_id: str) -> pd.Series:
        """The row of one object.

        Raises
        ------
        UnknownObject
            If the object is not in the catalogue.
        """
        return self._table.iloc[self.row_number(object_id)]

    def records(self, row_numbers: ArrayLike) -> list[list[Any]]:
        """The rows at ``row_numbers`` as lists of Python values in column order, the values
        ``take(row_numbers).to_numpy(dtype=object)`` gives (fast for a few rows: no table is
        built).

        Examples
        --------
        >>> catalog = Catalog(pd.DataFrame({"object_id": ["a", "b"], "mag": [12.5, 13.0]}))
        >>> catalog.records([1, 0])
        [['b', 13.0], ['a', 12.5]]
        """
        rows = np.asarray(row_numbers, dtype=np.int64)
        columns = [
            self._table.iloc[:, number].take(rows).to_numpy(dtype=object).tolist()
            if values is None
            else values[rows].tolist()
            for number, values in enumerate(self._column_arrays)
        ]
        return [list(row) for row in zip(*columns, strict=True)]

    @cached_property
    def _column_arrays(self) -> list[NDArray[Any] | None]:
        """Each column's values as a NumPy array (a view) where its ``tolist`` gives what the
        table's ``to_numpy(dtype=object)`` does; None for the others (dates, categories, nullable
        numbers: read through pandas)."""
        arrays: list[NDArray[Any] | None] = []
        for number in range(self._table.shape[1]):
            column = self._table.iloc[:, number]
            plain = isinstance(column.dtype, np.dtype) and column.dtype.kind in "biufcO"
            arrays.append(column.to_numpy() if plain else None)
        return arrays

    def take(self, row_numbers: ArrayLike) -> pd.DataFrame:
        """The rows at ``row_numbers``, in that order (index reset): fast for a few rows."""
        rows = self._table.take(np.asarray(row_numbers, dtype=np.int64))
        rows.index = pd.RangeIndex(len(rows))
        return rows

    def rows(self, object_ids: Iterable[str]) -> pd.DataFrame:
        """The rows of several objects, in the order given (index reset).

        Raises
        ------
        UnknownObject
            Naming the objects that are not in the catalogue.
        """
        return self._table.iloc[self.row_numbers(object_ids)].reset_index(drop=True)

    def locate(self, object_ids: Iterable[Any]) -> NDArray[np.int64]:
        """Row numbers of ``object_ids``, -1 for those not in the catalogue."""
        if isinstance(object_ids, np.ndarray) and object_ids.dtype.kind == "U":
            keys = pd.Index(object_ids, dtype=object)
        else:  # Python strings as they are (a NumPy string array would drop trailing NULs)
            keys = pd.Index([str(object_id) for object_id in object_ids], dtype=object)
        return self._ids.get_indexer(keys).astype(np.int64)

    def row_number(self, object_id: str) -> int:
        """The row number of one object (a hash lookup).

        Raises
        ------
        UnknownObject
            If the object is not in the catalogue.
        """
        try:
            row = self._ids.get_loc(str(object_id))
        except KeyError:
            raise UnknownObject(f"{object_id}: not in the {self.name} (1 unknown id(s))") from None
        return int(row)

    def row_numbers(self, object_ids: Iterable[Any]) -> NDArray[np.int64]:
        """Row numbers of ``object_ids``.

        Raises
        ------
        UnknownObject
            Naming (up to five of) the objects that are not in the catalogue.
        """
        object_ids = list(object_ids)
        rows = self.locate(object_ids)
        if (rows < 0).any():
            missing = [object_ids[i] for i in np.flatnonzero(rows < 0)[:5]]
            raise UnknownObject(
                f"{', '.join(map(str, missing))}: not in the {self.name} "
                f"({(rows < 0).sum()} unknown id(s))"
            )
        return rows

    @cached_property
    def _sky_xyz(self) -> NDArray[np.float64]:
        for column in ("ra", "dec"):
            if column not in self._table.columns:
                raise ValueError(f"{self.name} has no {column!r} column for sky positions")
        return unit_vectors(self._table["ra"], self._table["dec"])

    @cached_property
    def _sky_tree(self) -> cKDTree:
        """KD-tree of the unit vectors; objects without a position lie far outside the sphere."""
        from scipy.spatial import cKDTree

        xyz = self._sky_xyz
        finite = np.isfinite(xyz).all(axis=1)
        return cKDTree(np.where(finite[:, None], xyz, 10.0))

    def sky_vectors(self, rows: ArrayLike | None = None) -> NDArray[np.float64]:
        """Unit vectors of the objects at row numbers ``rows`` (all objects by default)."""
        xyz = self._sky_xyz
        return xyz if rows is None else xyz[np.asarray(rows, dtype=np.int64)]

    def match(
        self, ra_deg: ArrayLike, dec_deg: ArrayLike, radius_arcsec: float
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The nearest catalogued object to each position, within ``radius_arcsec``.

        Returns
        -------
        rows, separation_arcsec
            Row numbers (-1 where nothing lies within the radius) and separations (inf there).

        Examples
        --------
        >>> catalog = Catalog(pd.DataFrame({"object_id": ["a", "b"], "ra": [10.0, 20.0],
        ...                                 "dec": [0.0, 0.0]}))
        >>> rows, separations = catalog.match([10.0, 15.0], [1 / 3600, 0.0], radius_arcsec=2)
        >>> rows.tolist(), separations.round(3).tolist()
        ([0, -1], [1.0, inf])
        """
        if not radius_arcsec > 0:
            raise ValueError(f"radius_arcsec must be positive, got {radius_arcsec}")
        if len(self) == 0:
            size = np.size(ra_deg)
            return np.full(size, -1, dtype=np.int64), np.full(size, np.inf)
        queries = np.atleast_2d(unit_vectors(ra_deg, dec_deg))
        chord, rows = self._sky_tree.query(
            queries, k=1, distance_upper_bound=float(angular_chord(radius_arcsec))
        )
        found = np.isfinite(chord)
        separation = np.full(len(queries), np.inf)
        separation[found] = np.degrees(2.0 * np.arcsin(np.minimum(chord[found] / 2.0, 1.0))) * 3600
        return np.where(found, rows, -1).astype(np.int64), separation

    def cone_search(self, coordinates: Any, radius_arcsec: float = 5.0) -> SkyMatch:
        """The catalogued object nearest to ``coordinates`` within ``radius_arcsec``.

        Parameters
        ----------
        coordinates
            Anything :func:`parse_coordinates` reads.
        radius_arcsec
            Search radius.

        Raises
        ------
        InvalidCoordinates
            If the coordinates cannot be read.
        UnknownObject
            If no object lies within the radius.
        """
        position = parse_coordinates(coordinates)
        rows, separation = self.match(position.ra.deg, position.dec.deg, radius_arcsec)
        if rows[0] < 0:
            raise UnknownObject(
                f"no object of the {self.name} within {radius_arcsec} arcsec of "
                f"{position.to_string('hmsdms', precision=1)} ({coordinates!r})"
            )
        row = self._table.iloc[int(rows[0])]
        return SkyMatch(str(row["object_id"]), row, float(separation[0]))

    def mask(
        self,
        *,
        classes: str | Sequence[str] | None = None,
        missions: str | Sequence[str] | None = None,
        ranges: Mapping[str, tuple[float | None, float | None]] | None = None,
    ) -> NDArray[np.bool_]:
        """Which rows pass column filters (all of them: logical and).

        Parameters
        ----------
        classes, missions
            Keep rows whose ``class`` / ``mission`` is one of these.
        ranges
            ``{column: (low, high)}``: keep rows with ``low <= value <= high`` (None: open end);
            NaN never passes.

        Raises
        ------
        ValueError
            For a column the catalogue lacks or a range on a non-numeric column.

        Examples
        --------
        >>> catalog = Catalog(pd.DataFrame({"object_id": ["a", "b", "c"],
        ...                                 "class": ["EA", "EW", "EA"],
        ...                                 "period_days": [1.0, 0.3, np.nan]}))
        >>> catalog.mask(classes="EA", ranges={"period_days": (0.5, None)}).tolist()
        [True, False, False]
        """
        return self.selection(classes=classes, missions=missions, ranges=ranges).mask().copy()

    def selection(
        self,
        *,
        classes: str | Sequence[str] | None = None,
        missions: str | Sequence[str] | None = None,
        ranges: Mapping[str, tuple[float | None, float | None]] | None = None,
        moving: Collection[str] = (),
    ) -> Selection:
        """The rows that pass column filters, as :meth:`mask` has them, evaluated lazily: a
        :class:`Selection` counts them and tests given rows without a pass over the catalogue.

        The mask of each filter (and the rows passing a narrow one), once computed, is kept
        among the last :data:`_KEPT_ARRAYS` arrays asked for (a server answers the same filters
        again and again), except for the ranges on ``moving`` columns, whose bounds move with
        every query (a magnitude window around the query's).

        Raises
        ------
        ValueError
            For a column the catalogue lacks or a range on a non-numeric column.
        """
        categorical = []
        for column, wanted in (("class", classes), ("mission", missions)):
            if wanted is not None:
                values = [wanted] if isinstance(wanted, str) else list(wanted)
                categorical.append(self._category_test(column, values))
        numeric = []
        for column, (low, high) in (ranges or {}).items():
            numeric.append(self._range_test(column, low, high, kept=column not in moving))
        return Selection(self, [*categorical, *numeric])

    def _codes(self, column: str) -> _Factorized:
        """Category codes of ``column`` (-1: missing), its categories, rows per category and the
        code of each category."""
        if column not in self._factorized:
            codes, categories = pd.factorize(self._column(column))
            counts = np.bincount(codes[codes >= 0], minlength=len(categories))
            code_of = {value: code for code, value in enumerate(categories)}
            self._factorized[column] = _Factorized(codes, categories, counts, code_of)
        return self._factorized[column]

    def _category_test(self, column: str, values: list[Any]) -> _Condition:
        """Rows whose ``column`` is one of ``values``, through cached category codes."""
        codes, categories, counts, code_of = self._codes(column)
        wanted = np.array([code_of.get(value, -1) for value in values], dtype=np.int64)
        if (wanted < 0).any():
            unknown = [str(value) for value, code in zip(values, wanted, strict=True) if code < 0]
            known = sorted(str(value) for value in categories)
            listed = ", ".join(known[:30]) + (", ..." if len(known) > 30 else "")
            raise ValueError(
                f"{column} {', '.join(map(repr, unknown))}: no object of the {self.name} has it; "
                f"{column} values: {listed}"
            )
        lookup = np.zeros(len(categories) + 1, dtype=bool)  # the last entry: code -1 (missing)
        lookup[wanted[wanted >= 0]] = True
        count = int(counts[lookup[:-1]].sum())
        key = ("category", column, frozenset(np.flatnonzero(lookup).tolist()))

        def mask() -> NDArray[np.bool_]:
            return self._keep(key, lambda: lookup[codes])

        def rows() -> NDArray[np.int64]:
            return self._keep(("rows", *key), lambda: np.flatnonzero(mask()))

        return _Condition(count, lambda rows: lookup[codes[rows]], mask, rows, key)

    def _range_test(
        self, column: str, low: float | None, high: float | None, *, kept: bool = True
    ) -> _Condition:
        """Rows with ``low <= column <= high`` (NaN never passes), found in the sorted column;
        their mask is kept (:meth:`_keep`) if ``kept``."""
        numbers, order, ordered = self._sorted_column(column)
        first = 0 if low is None else int(np.searchsorted(ordered, low, side="left"))
        last = len(ordered) if high is None else int(np.searchsorted(ordered, high, side="right"))
        last = max(first, last)
        low_value = -np.inf if low is None else low
        high_value = np.inf if high is None else high
        key = ("range", column, first, last) if kept else None  # the rows passing, exactly

        def test(rows: NDArray[np.int64] | slice) -> NDArray[np.bool_]:
            picked = numbers[rows]
            with np.errstate(invalid="ignore"):
                return (picked >= low_value) & (picked <= high_value) & np.isfinite(picked)

        def mask() -> NDArray[np.bool_]:
            if key is None:
                return _read_only(test(slice(None)))
            return self._keep(key, lambda: test(slice(None)))

        def rows() -> NDArray[np.int64]:
            if key is None or last - first > len(numbers) // 8:  # kept no larger than a mask
                return _read_only(np.sort(order[first:last]))
            return self._keep(("rows", *key), lambda: np.sort(order[first:last]))

        return _Condition(last - first, test, mask, rows, key)

    def _keep(self, key: tuple[Any, ...], compute: Callable[[], NDArray[Any]]) -> NDArray[Any]:
        """``compute()``, made read-only and kept under ``key`` for the last
        :data:`_KEPT_ARRAYS` keys asked for (least recently used first out)."""
        value = self._kept.pop(key, None)
        if value is None:
            value = _read_only(compute())
        self._kept[key] = value
        while len(self._kept) > _KEPT_ARRAYS:
            self._kept.popitem(last=False)
        return value

    def _sorted_column(
        self, column: str
    ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
        """A numeric column, the rows of its finite values in increasing order, those values."""
        if column not in self._sorted:
            values = self._column(column)
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                raise ValueError(f"range filter on {column!r}, which is not numeric")
            numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
            finite = np.flatnonzero(np.isfinite(numbers))
            order = finite[np.argsort(numbers[finite], kind="stable")]
            self._sorted[column] = (numbers, order, numbers[order])
        return self._sorted[column]

    def _column(self, name: str) -> pd.Series:
        if name not in self._table.columns:
            raise ValueError(
                f"the {self.name} has no column {name!r}; columns: {list(self._table.columns)}"
            )
        return self._table[name]


_KEPT_ARRAYS = 64
"""Masks and row numbers of filters a catalogue keeps: a mask is a byte per row, and rows are
kept only for filters passing at most an eighth of them (8 bytes a row), so 64 MiB at most for a
million rows, about four arrays per filter (each condition's mask and rows, and all of them)."""


class _Factorized(NamedTuple):
    codes: NDArray[np.int64]  # of each row; -1: missing
    categories: pd.Index
    counts: NDArray[np.int64]  # rows of each category
    code_of: dict[Any, int]  # category -> its code


def _read_only(array: NDArray[Any]) -> NDArray[Any]:
    array.flags.writeable = False
    return array


class _Condition(NamedTuple):
    count: int
    test: Any  # rows -> NDArray[np.bool_]
    mask: Any  # () -> NDArray[np.bool_], read-only
    rows: Any  # () -> NDArray[np.int64], the rows that pass, increasing, read-only
    key: tuple[Any, ...] | None  # what its mask is kept under; None: not kept


class Selection:
    """Catalogue rows that pass every one of some column conditions (:meth:`Catalog.selection`).

    It is built without a pass over the catalogue: the rows passing each condition are counted
    from cached category counts and sorted columns, and :meth:`passes` tests only the rows asked
    about, so a search can check its candidates instead of the whole survey.

    Examples
    --------
    >>> catalog = Catalog(pd.DataFrame({"object_id": list("abcd"), "class": list("EEWE"),
    ...                                 "period_days": [1.0, 5.0, 2.0, np.nan]}))
    >>> selection = catalog.selection(classes="E", ranges={"period_days": (0.5, 2.0)})
    >>> selection.upper_bound, selection.count(), selection.passes(np.array([0, 1, 2])).tolist()
    (2, 1, [True, False, False])
    >>> window = catalog.selection(ranges={"period_days": (1, 2)}, moving=["period_days"])
    >>> selection.kept, window.kept
    (True, False)
    """

    def __init__(self, catalog: Catalog, conditions: Sequence[_Condition]) -> None:
        self._n = len(catalog)
        self._keep = catalog._keep
        self._conditions = tuple(conditions)
        self._mask: NDArray[np.bool_] | None = None
        self._rows: NDArray[np.int64] | None = None

    @property
    def upper_bound(self) -> int:
        """At least as many rows as pass (exact for a single condition)."""
        return min((condition.count for condition in self._conditions), default=self._n)

    @property
    def estimate(self) -> float:
        """Rows expected to pass if the conditions were independent (exact for one)."""
        if len(self._conditions) == 1:
            return float(self._conditions[0].count)
        fraction = np.prod([condition.count / max(self._n, 1) for condition in self._conditions])
        return float(self._n * fraction)

    @property
    def kept(self) -> bool:
        """Whether the catalogue keeps its mask once computed (no condition moves with the
        query), so that a search can ask for it every time."""
        return all(condition.key is not None for condition in self._conditions)

    def count(self) -> int:
        """The rows that pass (exact; for several conditions, :meth:`rows` are found)."""
        if len(self._conditions) <= 1:
            return self.upper_bound
        return len(self.rows())

    def rows(self) -> NDArray[np.int64]:
        """The row numbers that pass, increasing (read-only): the rows of the most selective
        condition, tested against the others (work in proportion to its count, not to the
        catalogue)."""
        if self._rows is None:
            if not self._conditions:
                self._rows = _read_only(np.arange(self._n))
            elif len(self._conditions) == 1:
                self._rows = self._conditions[0].rows()
            elif self.kept and self.upper_bound <= self._n // 8:
                keys = tuple(condition.key for condition in self._conditions)
                self._rows = self._keep(("rows", "all", *keys), self._rows_of_all)
            else:
                self._rows = _read_only(self._rows_of_all())
        return self._rows

    def _rows_of_all(self) -> NDArray[np.int64]:
        first = min(self._conditions, key=lambda condition: condition.count)
        rows = first.rows()
        for condition in self._conditions:
            if condition is not first:
                rows = rows[condition.test(rows)]
        return rows

    def mask(self) -> NDArray[np.bool_]:
        """Which rows pass, for every row (read-only)."""
        if self._mask is None:
            if len(self._conditions) == 1:
                self._mask = self._conditions[0].mask()
            elif self.kept:
                keys = tuple(condition.key for condition in self._conditions)
                self._mask = self._keep(("all", *keys), self._all_conditions)
            else:
                self._mask = _read_only(self._all_conditions())
        return self._mask

    def _all_conditions(self) -> NDArray[np.bool_]:
        keep = np.ones(self._n, dtype=bool)
        for condition in self._conditions:
            keep &= condition.mask()
        return keep

    def passes(self, rows: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which of the rows ``rows`` pass."""
        keep = np.ones(len(rows), dtype=bool)
        for condition in self._conditions:
            keep &= condition.test(rows)
        return keep


def _two_numbers(text: str) -> tuple[float, float] | None:
    """``"290.667 44.5"`` -> ``(290.667, 44.5)``; None for any other text."""
    tokens = text.replace(",", " ").split()
    try:
        numbers = [float(token) for token in tokens]
    except ValueError:
        return None
    return (numbers[0], numbers[1]) if len(numbers) == 2 else None


def _string_units(text: str) -> Any:
    """Degrees for two decimal numbers, else right ascension in hours (unless marked ``d``)."""
    import astropy.units as u

    tokens = text.replace(",", " ").split()
    try:
        [float(token) for token in tokens]
    except ValueError:
        return (u.hourangle, u.deg)
    return u.deg if len(tokens) == 2 else (u.hourangle, u.deg)
