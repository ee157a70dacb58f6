"""Read light curves from text tables: CSV, whitespace- or tab-separated ASCII, ECSV, VOTable.

The table format is guessed by ``astropy.io.ascii`` (a header line, possibly commented out as
``# time flux flux_err``; ``#`` comment lines; comma, tab or whitespace separators; UTF-8, with
or without a byte-order mark); its size and number of lines are checked against
:mod:`astrolens.sources.limits` before it is parsed. Its time, flux, uncertainty, quality and
band columns are chosen by name (:mod:`astrolens.sources.columns`). A text table says nothing
about its target: ``object_id`` is the file name's stem (an OGLE file's less its band) and
``mission``, ``ra``, ``dec``, ``mag`` are None.

Times
    In days, in the system the time column's name gives (``JD``, ``HJD``, ``BJD``, ``MJD``,
    ``BTJD``, ``BKJD``, ``RJD``, reduced dates such as ``HJD-2450000``: see
    :mod:`astrolens.sources.timesystems`); the values of a column named ``time`` or ``t`` are
    taken for Julian dates or modified Julian dates when they all look like them. An ECSV
    table's time column keeps its astropy ``Time`` format, and a unit of time is converted to
    days.
Magnitudes
    Magnitudes (``mag``, ``magnitude``, ``magpsf``, and columns named after a band: ``V``,
    ``mag_g``, ``Imag``, ...) become flux relative to the median magnitude,
    ``10 ** (-0.4 (m - median m))``, with uncertainty ``flux * ln(10) / 2.5 * m_err``. The
    rows that hold no measurement are dropped first: a magnitude that is blank, NaN or
    infinite, written as a limit (``>17.3``, ASAS-SN's non-detections), or a sentinel
    (``|m| >=`` :data:`MAX_ABS_MAGNITUDE`: 99.99, -99, 99.999), and a magnitude whose
    uncertainty is negative or at least :data:`MAX_MAGNITUDE_ERROR` (signal-to-noise below 1,
    which also removes the sentinel uncertainties 9.999, 99.99, 99.999). A blank uncertainty is
    kept as NaN. Both bounds are looked up here when a table is read: set them to change them.
Bands
    A table may hold several bands: *long*, with a column naming each row's band (``band``,
    ``filter``, ``passband``, ``filtercode``, or ZTF's ``fid``, whose 1, 2, 3 are read as
    ``g``, ``r``, ``i``), or *wide*, with one magnitude column per band (``mag_g``, ``mag_r``
    or ``V``, ``I``, each with its own uncertainty column). ``band="r"`` reads one band,
    ``band="all"`` all of them together: each is normalised to its own median (magnitudes
    relative to the band's median magnitude, fluxes divided by the band's median flux), then
    they are merged in time order. The result of a table with bands is a
    :class:`BandLightCurveArrays`, whose ``meta`` adds ``band`` and ``bands``.
Survey tables
    OGLE light-curve files (``*.I.dat``, ``*.V.dat``: HJD, magnitude and uncertainty without a
    header line; any other table without one is refused with what to add), ATLAS forced
    photometry (a header commented out as ``###MJD m dm uJy duJy F ...``: flux ``uJy``, band
    ``F``), Gaia DR3 epoch photometry (``band``, ``time``, ``flux``), ASAS-SN Sky Patrol v2
    (``phot_filter``), ZTF light curves of IRSA (``filtercode``, ``mag``) and alerts of ALeRCE
    (``fid``; the total magnitude ``magpsf_corr`` before the difference-image ``magpsf``). The
    rows a survey rejects itself are dropped: a ``catflags`` other than 0 (ZTF), a
    ``rejected_by_photometry`` or ``rejected_by_variability`` that is true (Gaia), a ``quality``
    of ``B`` (ASAS-SN). A flux column with at least :data:`DIFFERENCE_SHARE` of its fluxes
    :data:`DIFFERENCE_SIGMA` uncertainties below zero is refused: such fluxes are about a level
    the table does not hold (a difference image's).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, fields
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from astrolens.errors import InvalidLightCurve
from astrolens.sources import limits
from astrolens.sources.arrays import LightCurveArrays, Target, assemble_arrays
from astrolens.sources.columns import (
    BAND_COLUMNS,
    DEFAULT_FLUX_COLUMN,
    TableColumns,
    find_band_columns,
)
from astrolens.sources.quality import QualityBitmask, check_bitmask
from astrolens.sources.timesystems import FORMAT_OF_ZERO_POINT, to_days

if TYPE_CHECKING:
    from astropy.table import Table

_SAMPLE_ROWS = 20
"""Rows, after the header, from which the table's format and columns are guessed."""

_SAMPLE_CHARS = 65_536
"""... unless they are longer than this in all (with at least one row)."""

_UNCHECKED_TABLE_CHARS = 2**20
"""Tables whose rows times their longest row stay below this are not checked for long rows."""

_DOUBLE_QUOTED = re.compile(r'"[^"]*"')

_NUMBERED_COLUMN = re.compile(r"col\d+")
"""The names astropy gives the columns of a table without a header line."""

OGLE_FILE = re.compile(r"\.(?P<band>[IV])\.dat$")
"""The name of an OGLE light-curve file (``OGLE-LMC-RRLYR-05990.I.dat``), which has no header
line: its three columns are HJD, the magnitude in the band the name gives, its uncertainty."""

MAX_ABS_MAGNITUDE = 50.0
"""Magnitudes this far from zero, or farther, are sentinels for a missing value (99.99, -99):
no star, nor any instrumental zero point, comes near."""

MAX_MAGNITUDE_ERROR = 2.5 / math.log(10.0)
"""Magnitude uncertainty (1.086 mag) from which a row is dropped: the signal-to-noise ratio
``2.5 / (ln(10) * m_err)`` is below 1, so the flux is not measured."""

DIFFERENCE_SIGMA = 5.0
"""A flux this many (positive) uncertainties below zero is no star's total flux ..."""

DIFFERENCE_SHARE = 0.05
"""... and a flux column with at least this share of such rows is refused: its fluxes are about
a level that is not in the table (a difference-image flux such as ATLAS forced photometry on
difference images, or deviations from the mean), so no relative flux, hence no amplitude, can be
read from it."""

ALL_BANDS = "all"
"""The ``band`` that reads every band of a table together."""

FID_BANDS = {"1": "g", "2": "r", "3": "i"}
"""The bands of ZTF's filter ids (column ``fid``)."""

MAX_BANDS = 32
"""Bands a table may hold (each is read on its own): a column of more different values is not
a column of bands."""

_SHOWN_BANDS = 10
"""Bands named in a message, at most."""

_ASTROPY_TIME_FORMATS = tuple(FORMAT_OF_ZERO_POINT.values())


def _lines(path: Path) -> list[str]:
    """The lines of a text table, checked to be few and short enough to be parsed."""
    limits.check(
        path,
        "MAX_FILE_BYTES",
        path.stat().st_size,
        "bytes of the text table",
        "split the light curve into shorter files",
    )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidLightCurve(
            path, "is neither a FITS file nor a text table (it holds binary data)"
        ) from exc
    lines = _one_hash(text.splitlines())
    if not any(line.strip() for line in lines):
        raise InvalidLightCurve(path, "the text file is empty")
    limits.check(
        path,
        "MAX_CADENCES",
        len(lines) - 1,
        "lines of the text table after its first (one per cadence)",
        "split the light curve into shorter files",
    )
    if '"' in text or "'" in text:
        _check_quotes(lines, path)
    _check_row_widths(lines, path)
    return lines


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _one_hash(lines: list[str]) -> list[str]:
    """The lines, the leading ``#`` marks of the comments before the first row made one (ATLAS
    comments out its header as ``###MJD``); the rows after are not looked at."""
    for number, line in enumerate(lines):
        if line.strip() and not _is_comment(line):
            break
        if line.startswith("##"):
            lines[number] = "#" + line.lstrip("#")
    return lines


def _opening(lines: list[str]) -> str:
    """The first lines of a file, as one text, to recognise what kind of file it is."""
    return "\n".join(lines[:50]).lstrip()


def _check_quotes(lines: list[str], path: Path) -> None:
    """Refuse a quote that is not closed on its line: the value would run on over the lines
    that follow, and every value of its column would take the memory of that one. (An
    apostrophe inside double quotes is text.)"""
    for number, line in enumerate(lines, start=1):
        if ('"' in line or "'" in line) and not _is_comment(line):
            unquoted = _DOUBLE_QUOTED.sub("", line)
            for quote, count in (('"', line.count('"')), ("'", unquoted.count("'"))):
                if count % 2:
                    raise InvalidLightCurve(
                        path,
                        f"cannot be parsed as a text table: line {number} has an unmatched "
                        f"quote ({quote}); a light-curve table has one row per line",
                    )


def _check_row_widths(lines: list[str], path: Path) -> None:
    """Refuse rows much longer than the others (see :data:`limits.MAX_ROW_WIDTH_RATIO`)."""
    widths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    if _rows_alike(widths):
        return
    rows = widths[[bool(line.strip()) and not _is_comment(line) for line in lines]]
    rows = rows[1:]  # the header line names the columns: its width is not a value's
    if _rows_alike(rows):
        return
    raise InvalidLightCurve(
        path,
        f"its longest row ({rows.max():,} characters) is more than MAX_ROW_WIDTH_RATIO = "
        f"{limits.MAX_ROW_WIDTH_RATIO:g} times as long as its mean row ({rows.mean():,.0f} "
        "characters) (astrolens.sources.limits); a light-curve table has rows of about the "
        "same length",
    )


def _rows_alike(widths: NDArray[np.int64]) -> bool:
    """Whether rows of these widths, each as wide as the widest, would not take much more room."""
    if widths.size == 0:
        return True
    box = widths.size * int(widths.max())
    return box <= limits.MAX_ROW_WIDTH_RATIO * int(widths.sum()) + _UNCHECKED_TABLE_CHARS


def _sample(lines: list[str]) -> list[str]:
    """The first lines of a table: its comments and header and a few rows, to guess its format."""
    rows = size = 0  # rows counts the header too
    for number, line in enumerate(lines):
        if rows > _SAMPLE_ROWS or (rows > 1 and size > _SAMPLE_CHARS):
            return lines[:number]
        size += len(line)
        rows += bool(line.strip()) and not _is_comment(line)
    return lines


def _parse(lines: list[str], path: Path, **options: object) -> Table:
    from astropy.io import ascii as astropy_ascii

    try:
        return astropy_ascii.read(lines, **options)
    except (ValueError, TypeError, IndexError, csv.Error) as exc:
        raise InvalidLightCurve(
            path,
            "cannot be parsed as a text table (rows of different lengths?); expected a header "
            "line naming the columns, then one row per cadence",
        ) from exc


def _uses_mission_time_formats(lines: list[str]) -> bool:
    """Whether a table is an ECSV table with an astropy ``Time`` column, which may be in one of
    lightkurve's formats (``btjd``, ``bkjd``): astropy knows them once lightkurve is imported."""
    return lines[0].startswith("# %ECSV") and any(
        "astropy.time.core.Time" in line for line in _sample(lines) if _is_comment(line)
    )


_HTML_TITLE = re.compile(r"<title>(?P<title>[^<]{1,200})</title>", flags=re.IGNORECASE)


def _refuse_html(lines: list[str], path: Path) -> None:
    """Refuse a web page (an archive's error page saved under the light curve's name)."""
    start = _opening(lines)
    if not start[:15].lower().startswith(("<!doctype html", "<html")):
        return
    title = _HTML_TITLE.search(start)
    titled = "" if title is None else f" titled {title['title'].strip()!r}"
    raise InvalidLightCurve(
        path,
        f"is a web page{titled}, not a light-curve table (an archive's error page saved in its "
        "place?); download the light curve again",
    )


def _object_id(source: Path) -> str:
    """A text table's object: its file name's stem, less an OGLE file's band (``.I.dat``)."""
    ogle = OGLE_FILE.search(source.name)
    return source.name[: ogle.start()] if ogle is not None else source.stem


def _is_votable(lines: list[str]) -> bool:
    """Whether a text file is an XML VOTable (as the Gaia archive serves epoch photometry)."""
    start = _opening(lines)
    return start.startswith("<VOTABLE") or (start.startswith("<?xml") and "<VOTABLE" in start)


def _read_votable(
    lines: list[str], path: Path, flux_column: str
) -> tuple[Table, tuple[TableColumns, ...]]:
    """The first table of a VOTable, with its columns chosen as a text table's."""
    from astropy.io.votable import parse_single_table

    try:
        table = parse_single_table(io.BytesIO("\n".join(lines).encode())).to_table()
    except Exception as exc:  # the parser raises many kinds, all meaning one thing here
        raise InvalidLightCurve(path, f"cannot be parsed as a VOTable: {exc}") from exc
    columns = find_band_columns(table.colnames, flux_column, path)
    used = _names_used(columns)
    wanted = [name for name in table.colnames if name in used]
    for name in wanted:
        if table[name].ndim > 1:
            raise InvalidLightCurve(
                path,
                f"VOTable column {name!r} holds an array in each row; a light-curve table has "
                "one row per observation (Gaia: the COMBINED format of epoch photometry)",
            )
    return table[wanted], columns


def _header_of_headerless(names: list[str], lines: list[str], path: Path) -> list[str] | None:
    """Column names for a table without a header line (which astropy numbers ``col1``, ...):
    those of an OGLE light-curve file (:data:`OGLE_FILE`), else an error that says what to add;
    None for a table with a header."""
    if not all(_NUMBERED_COLUMN.fullmatch(name) for name in names):
        return None
    ogle = OGLE_FILE.search(path.name)
    if ogle is not None and len(names) == 3:
        return ["hjd", ogle["band"], f"{ogle['band']}_err"]
    first = next(line for line in lines if line.strip() and not _is_comment(line))
    raise InvalidLightCurve(
        path,
        f"has no header line naming its columns (its first line is {first.strip()[:80]!r}); add "
        "one, e.g. 'hjd mag mag_err' for magnitudes or 'time flux flux_err' for fluxes",
    )


def _names_used(columns: tuple[TableColumns, ...]) -> set[str]:
    """The names of the columns that the light curves of a table are read from."""
    return {name for band_columns in columns for name in band_columns.names}


def _read_table(path: Path, flux_column: str) -> tuple[Table, tuple[TableColumns, ...]]:
    """The table's time, flux, uncertainty, quality and band columns, and which they are (one
    :class:`TableColumns` per band of a wide table).

    The format and the column names are guessed from the first lines; the whole table is then
    parsed with only those columns converted, so other columns, whatever they hold, take no
    memory.
    """
    lines = _lines(path)
    _refuse_html(lines, path)
    if _is_votable(lines):
        return _read_votable(lines, path, flux_column)
    if _uses_mission_time_formats(lines):
        import lightkurve  # noqa: F401  (registers the btjd and bkjd time formats)
    names = _parse(_sample(lines), path).colnames
    header = _header_of_headerless(names, lines, path)
    options = {} if header is None else {"format": "no_header", "names": header}
    columns = find_band_columns(names if header is None else header, flux_column, path)
    wanted = _names_used(columns)
    table = _parse(lines, path, include_names=sorted(wanted), **options)
    if set(table.colnames) != wanted:
        raise InvalidLightCurve(
            path,
            "cannot be parsed as a text table: its first rows have the columns "
            f"{', '.join(sorted(wanted))}, the whole table not (rows of different lengths?)",
        )
    return table, columns


def _floats(table: Table, name: str, source: Path, drop_limits: bool = False) -> np.ndarray:
    """A column as float64, NaN where a value is blank (and, with ``drop_limits``, where it is
    a limit such as ``>17.3``)."""
    values = np.ma.asarray(table[name])
    if values.dtype.kind in "biuf":
        return values.astype(np.float64).filled(np.nan)
    text = values.data
    missing = np.ma.getmaskarray(values) | (text == "")
    if drop_limits:
        missing |= np.char.startswith(text, ">") | np.char.startswith(text, "<")
    text = np.where(missing, "nan", text)
    try:
        return text.astype(np.float64)
    except ValueError as exc:
        row = next(row for row, value in enumerate(text) if not _is_number(value))
        raise InvalidLightCurve(
            source,
            f"column {name!r} holds values that are not numbers: text {str(text[row])!r} in row "
            f"{row + 1}",
        ) from exc


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _unit(table: Table, name: str) -> str | None:
    unit = table[name].unit
    return None if unit is None else unit.to_string()


def _times(table: Table, name: str, source: Path) -> tuple[np.ndarray, str | None]:
    """The time column in days, and its astropy format (None when unknown)."""
    from astropy.time import Time

    column = table[name]
    if isinstance(column, Time):
        if column.format in _ASTROPY_TIME_FORMATS:
            values, time_format = column.value, column.format
        else:
            values, time_format = column.jd, "jd"
        return np.ma.asarray(values, dtype=np.float64).filled(np.nan), time_format
    return to_days(_floats(table, name, source) * _days_per_unit(table, name, source), name, source)


def _days_per_unit(table: Table, name: str, source: Path) -> float:
    """Days per unit of a column (1 without a unit, or with one astropy does not know)."""
    import astropy.units as u

    unit = table[name].unit
    if unit is None or isinstance(unit, u.UnrecognizedUnit):
        return 1.0
    if unit.physical_type != "time":
        raise InvalidLightCurve(
            source, f"time column {name!r} has the unit {unit.to_string()!r}, not a unit of time"
        )
    return float(unit.to(u.day))


def check_band(band: str | None) -> None:
    """Raise unless ``band`` is None, a band name or ``"all"``.

    Examples
    --------
    >>> check_band("r"), check_band("all"), check_band(None)
    (None, None, None)
    >>> check_band(2)
    Traceback (most recent call last):
    ...
    ValueError: band=2 is not a band name (such as 'g' or 'V'), 'all' or None
    """
    if band is not None and not (isinstance(band, str) and band.strip()):
        raise ValueError(f"band={band!r} is not a band name (such as 'g' or 'V'), 'all' or None")


@dataclass(frozen=True, eq=False)
class BandLightCurveArrays(LightCurveArrays):
    """A light curve read from a table that names its bands.

    Attributes
    ----------
    band
        The band read (``"g"``), or ``"all"`` when the light curve merges several.
    bands
        The bands it holds, in the order of the table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ztf.csv"
    >>> _ = path.write_text("mjd,mag,magerr,fid\\n59000.1,18.0,0.1,1\\n59000.2,17.5,0.1,2\\n")
    >>> arrays = read_text_arrays(path, band="all")
    >>> arrays.meta["band"], arrays.meta["bands"], arrays.flux
    ('all', ['g', 'r'], array([1., 1.]))
    """

    band: str = ALL_BANDS
    bands: tuple[str, ...] = ()

    @property
    def meta(self) -> dict[str, Any]:
        """The metadata of :class:`LightCurveArrays`, plus ``band`` and ``bands`` (a list)."""
        return {**super().meta, "band": self.band, "bands": list(self.bands)}


def _with_bands(arrays: LightCurveArrays, **changes: Any) -> BandLightCurveArrays:
    values = {field.name: getattr(arrays, field.name) for field in fields(arrays)}
    return BandLightCurveArrays(**(values | changes))


@dataclass(frozen=True)
class _Band:
    """One band of a table: its name (None for a table without bands), its columns, and its
    rows (None: all of them)."""

    name: str | None
    columns: TableColumns
    rows: np.ndarray | None = None


def _words(values: np.ma.MaskedArray) -> np.ndarray:
    """A column's values as text without surrounding blanks; blank where a value is missing."""
    return np.char.strip(values.astype(str).filled(""))


def _band_labels(table: Table, name: str, source: Path) -> np.ndarray:
    """The band of each row, as text; ZTF's filter ids as ``g``, ``r``, ``i``."""
    values = np.ma.asarray(table[name])
    blank = np.ma.getmaskarray(values).copy()
    if values.dtype.kind == "f":
        blank |= ~np.isfinite(values.filled(np.nan))
        whole = values.filled(0.0)
        if np.all(whole == np.round(whole)):
            values = np.ma.array(whole.astype(np.int64), mask=blank)
    labels = _words(values)
    blank |= labels == ""
    if blank.any():
        row = int(np.flatnonzero(blank)[0])
        raise InvalidLightCurve(
            source,
            f"column {name!r} names no band in row {row + 1}; each row of a table with a band "
            "column needs one",
        )
    if name.lower() == "fid":
        for fid, band in FID_BANDS.items():
            labels = np.where(labels == fid, band, labels)
    return labels


def _bands_of_table(table: Table, columns: tuple[TableColumns, ...], source: Path) -> list[_Band]:
    """The bands of a table, in the order of the table: from its band column (long layout),
    from its magnitude columns named after bands (wide layout), else one band named None."""
    band_column = columns[0].band_column
    if band_column is not None:
        labels = _band_labels(table, band_column, source)
        names, first = np.unique(labels, return_index=True)
        if len(names) > MAX_BANDS:
            raise InvalidLightCurve(
                source,
                f"column {band_column!r} holds {len(names):,} different bands, more than "
                f"MAX_BANDS = {MAX_BANDS} (astrolens.sources.text); is it a band column?",
            )
        return [_Band(str(name), columns[0], labels == name) for name in names[np.argsort(first)]]
    return [_Band(band_columns.band, band_columns) for band_columns in columns]


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN_BANDS])
    return shown if len(names) <= _SHOWN_BANDS else f"{shown} and {len(names) - _SHOWN_BANDS} more"


def _chosen_bands(bands: list[_Band], band: str | None, source: Path) -> list[_Band]:
    """The bands that ``band`` asks for (see :func:`read_text_arrays`)."""
    names = [str(each.name) for each in bands]
    if bands[0].name is None:
        if band in (None, ALL_BANDS):
            return bands
        raise InvalidLightCurve(
            source,
            f"band={band!r} was asked for, but the table names no bands (it has no "
            f"{', '.join(BAND_COLUMNS)} column, nor magnitude columns named after bands such "
            "as V or mag_g); read it with band=None",
        )
    if band == ALL_BANDS or (band is None and len(bands) == 1):
        return bands
    columns = bands[0].columns
    where = (
        f"column {columns.band_column!r}"
        if columns.band_column is not None
        else f"columns {', '.join(each.columns.flux for each in bands)}"
    )
    choose = f"band={names[0]!r}, or band={ALL_BANDS!r} for all of them together"
    if band is None:
        raise InvalidLightCurve(
            source, f"holds {len(bands)} bands in {where} ({_listed(names)}); choose {choose}"
        )
    chosen = [each for each in bands if each.name == band]
    if not chosen:
        raise InvalidLightCurve(
            source, f"no band {band!r} in {where}; its bands are {_listed(names)} (choose {choose})"
        )
    return chosen


def _measured(mag: np.ndarray, mag_err: np.ndarray | None, band: _Band, source: Path) -> np.ndarray:
    """Which rows hold a magnitude measured (see the module's rules)."""
    keep = np.isfinite(mag) & (np.abs(mag) < MAX_ABS_MAGNITUDE)
    if mag_err is not None:
        keep &= ~((mag_err < 0) | (mag_err >= MAX_MAGNITUDE_ERROR))
    if mag.size and not keep.any():
        of_band = "" if band.name is None else f" (band {band.name!r})"
        raise InvalidLightCurve(
            source,
            f"none of the {mag.size} magnitudes in column {band.columns.flux!r}{of_band} is a "
            f"measurement: each is blank, a limit (>m), a sentinel (|m| >= {MAX_ABS_MAGNITUDE:g}) "
            f"or has a negative uncertainty or one of {MAX_MAGNITUDE_ERROR:.3f} mag or more",
        )
    return keep


@dataclass(frozen=True)
class _Table:
    """A parsed table: its numeric columns as float64 (by name), times and their format, quality
    flags, and which rows the survey rejected (None: none)."""

    values: dict[str, np.ndarray]
    time: np.ndarray
    time_format: str | None
    quality: np.ndarray | None
    rejected: np.ndarray | None = None
    rejected_by: tuple[str, ...] = ()


_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0", ""})


def _quality(
    table: Table, name: str | None, source: Path
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The quality flags as numbers; for a column of ASAS-SN's letters (``G`` good, ``B`` bad),
    no flags but the rows it marks bad."""
    if name is None:
        return None, None
    values = np.ma.asarray(table[name])
    if values.dtype.kind not in "biuf":
        letters = np.char.upper(_words(values))
        if np.isin(letters, ("G", "B")).all():
            return None, letters == "B"
    return _floats(table, name, source), None


def _rejected(table: Table, names: tuple[str, ...], source: Path) -> np.ndarray | None:
    """Rows with a value other than 0 or false in one of the columns ``names``
    (:data:`~astrolens.sources.columns.REJECTION_COLUMNS`); a blank value rejects nothing."""
    if not names:
        return None
    rejected = np.zeros(len(table), dtype=bool)
    for name in names:
        values = np.ma.asarray(table[name])
        if values.dtype.kind in "biuf":
            flagged = values.astype(np.float64).filled(0.0)
            rejected |= np.isfinite(flagged) & (flagged != 0)
            continue
        words = np.char.lower(_words(values))
        unknown = ~np.isin(words, list(_TRUE | _FALSE))
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            raise InvalidLightCurve(
                source,
                f"column {name!r} marks the rows the survey rejects, with 0 or false for a good "
                f"one, but holds {str(words[row])!r} in row {row + 1}",
            )
        rejected |= np.isin(words, list(_TRUE))
    return rejected


def _band_arrays(
    table: Table,
    parsed: _Table,
    band: _Band,
    source: Path,
    quality_bitmask: QualityBitmask,
) -> LightCurveArrays:
    """The light curve of one band, magnitudes converted to relative flux."""
    columns = band.columns
    rows = np.ones(len(parsed.time), dtype=bool) if band.rows is None else band.rows
    if parsed.rejected is not None:
        rows = rows & ~parsed.rejected
        if not rows.any():
            of_band = "" if band.name is None else f" of band {band.name!r}"
            raise InvalidLightCurve(
                source,
                f"the survey rejected every row{of_band} (column "
                f"{' or '.join(repr(name) for name in parsed.rejected_by)})",
            )
    flux = parsed.values[columns.flux][rows]
    flux_err = None if columns.flux_err is None else parsed.values[columns.flux_err][rows]
    time = parsed.time[rows]
    quality = None if parsed.quality is None else parsed.quality[rows]
    if columns.is_magnitude:
        keep = _measured(flux, flux_err, band, source)
        flux, time = flux[keep], time[keep]
        flux_err = None if flux_err is None else flux_err[keep]
        quality = None if quality is None else quality[keep]
    elif flux_err is not None:
        _check_total_flux(flux, flux_err, band, source)
    return assemble_arrays(
        time=time,
        flux=flux,
        flux_err=flux_err,
        quality=quality,
        target=Target(object_id=_object_id(source)),
        flux_column=columns.flux_column,
        source=source,
        quality_bitmask=quality_bitmask,
        time_format=parsed.time_format,
        flux_unit=None if columns.is_magnitude else _unit(table, columns.flux),
    )


def _check_total_flux(flux: np.ndarray, flux_err: np.ndarray, band: _Band, source: Path) -> None:
    """Refuse a flux column that is a difference-image flux (see :data:`DIFFERENCE_SHARE`)."""
    with np.errstate(invalid="ignore"):
        below = (flux_err > 0) & (flux < -DIFFERENCE_SIGMA * flux_err)
    if flux.size == 0 or below.mean() < DIFFERENCE_SHARE:
        return
    row = int(np.flatnonzero(below)[0])
    of_band = "" if band.name is None else f" (band {band.name!r})"
    raise InvalidLightCurve(
        source,
        f"{below.sum():,} of the {flux.size:,} fluxes in column {band.columns.flux!r}{of_band} "
        f"are more than {DIFFERENCE_SIGMA:g} uncertainties below zero (e.g. {flux[row]:g} +- "
        f"{flux_err[row]:g}): fluxes about a level that is not in the table (a difference-image "
        "flux, or deviations from the mean), from which no relative flux or amplitude can be "
        "read; use total fluxes (ATLAS: forced photometry on the reduced images)",
    )


def _relative(arrays: LightCurveArrays, band: _Band, source: Path) -> tuple[np.ndarray, ...]:
    """Flux and uncertainty of one band divided by its median flux (magnitudes are already)."""
    if band.columns.is_magnitude:
        return arrays.flux, arrays.flux_err
    median = np.nanmedian(arrays.flux)
    if not median > 0:
        raise InvalidLightCurve(
            source,
            f"band {band.name!r} of column {band.columns.flux!r} has the median flux {median:g}; "
            f"band={ALL_BANDS!r} divides each band by its median flux, which must be positive: "
            f"read one band at a time (band={band.name!r})",
        )
    return arrays.flux / median, arrays.flux_err / median


def _merged(
    parts: list[LightCurveArrays], bands: list[_Band], source: Path
) -> BandLightCurveArrays:
    """The light curves of several bands, each relative to its median, in one in time order."""
    relative = [_relative(arrays, band, source) for arrays, band in zip(parts, bands, strict=True)]
    time = np.concatenate([arrays.time for arrays in parts])
    order = np.argsort(time, kind="stable")
    merged = assemble_arrays(
        time=time[order],
        flux=np.concatenate([flux for flux, _ in relative])[order],
        flux_err=np.concatenate([flux_err for _, flux_err in relative])[order],
        quality=np.concatenate([arrays.quality for arrays in parts])[order],
        target=Target(object_id=_object_id(source)),
        flux_column="relative_flux",  # not a magnitude column: the flux is relative already
        source=source,
        quality_bitmask=0,  # the bands' cadences were chosen already
        time_format=parts[0].time_format,
    )
    return _with_bands(
        merged,
        flux_column=parts[0].flux_column,
        band=ALL_BANDS,
        bands=tuple(str(band.name) for band in bands),
    )


def _parsed(table: Table, bands: list[_Band], source: Path) -> _Table:
    """The times, the numeric columns the chosen bands need, and the quality flags."""
    columns = bands[0].columns
    time, time_format = _times(table, columns.time, source)
    values: dict[str, np.ndarray] = {}
    for band in bands:
        wanted = {band.columns.flux: band.columns.is_magnitude, band.columns.flux_err: False}
        for name, drop_limits in wanted.items():
            if name is not None and name not in values:
                values[name] = _floats(table, name, source, drop_limits=drop_limits)
    quality, bad = _quality(table, columns.quality, source)
    rejected = _rejected(table, columns.rejections, source)
    rejected_by = columns.rejections
    if bad is not None:
        rejected = bad if rejected is None else rejected | bad
        rejected_by += (str(columns.quality),)
    return _Table(values, time, time_format, quality, rejected, rejected_by)


def read_text_arrays(
    path: str | PathLike[str],
    flux_column: str = DEFAULT_FLUX_COLUMN,
    quality_bitmask: QualityBitmask = "default",
    band: str | None = None,
) -> LightCurveArrays:
    """Read a light curve from a text table.

    Parameters
    ----------
    path
        A CSV, ASCII or ECSV file with a header line naming its columns.
    flux_column
        The flux column (case-insensitive); with the default, the first of
        :data:`~astrolens.sources.columns.FLUX_COLUMNS` present (``pdcsap_flux``, ``flux``,
        ..., ``mag``, ...), else the magnitude columns named after bands. Magnitudes become
        relative flux (see the module).
    quality_bitmask
        Applied to a ``quality`` column if there is one. The mission of a text table is unknown,
        so only an integer bitmask removes cadences (see :mod:`astrolens.sources.quality`).
    band
        For a table with several bands: the band to read (``"r"``, as written in the table), or
        ``"all"`` for all of them together, each relative to its median, in time order. None
        (default) reads a table of one band, and refuses one of several.

    Returns
    -------
    LightCurveArrays
        The light curve; for a table that names its bands, a :class:`BandLightCurveArrays`
        whose ``meta`` adds ``band`` and ``bands``. ``time`` is in days with ``time_format``
        ``"jd"`` (JD, HJD, BJD, RJD and reduced dates, their zero point added), ``"mjd"``,
        ``"btjd"`` or ``"bkjd"``; None for a ``time`` or ``t`` column whose values are neither
        Julian dates nor modified Julian dates. ``flux_column`` is ``"mag"`` for a magnitude
        column named after its band.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InvalidLightCurve
        If the file is not a text table, has no time or flux column (the message lists the
        columns found), has no rows, text in a numeric column (the message names the column,
        the value and the row), no magnitude that is a measurement, only NaN flux, several bands
        and ``band=None`` or a band it does not hold (the message lists its bands), or a band
        column with a blank value; or if it is larger than
        :data:`~astrolens.sources.limits.MAX_FILE_BYTES` or has more lines than
        :data:`~astrolens.sources.limits.MAX_CADENCES`.
    ValueError
        For an invalid ``quality_bitmask`` or ``band``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "my_star.csv"
    >>> _ = path.write_text("BJD,Flux,Flux_Err\\n2455000.0,1.01,0.01\\n2455000.5,0.99,0.01\\n")
    >>> arrays = read_text_arrays(path)
    >>> arrays.object_id, arrays.flux_column, arrays.time_format, arrays.flux
    ('my_star', 'flux', 'jd', array([1.01, 0.99]))
    >>> _ = path.write_text("HJD-2450000,V,V_err\\n5000.5,12.0,0.01\\n5001.5,99.999,9.999\\n")
    >>> arrays = read_text_arrays(path)
    >>> arrays.time, arrays.flux, arrays.meta["band"]
    (array([2455000.5]), array([1.]), 'V')
    """
    check_bitmask(quality_bitmask)
    check_band(band)
    source = Path(path)
    table, columns = _read_table(source, flux_column)
    bands = _chosen_bands(_bands_of_table(table, columns, source), band, source)
    parsed = _parsed(table, bands, source)
    parts = [_band_arrays(table, parsed, each, source, quality_bitmask) for each in bands]
    if bands[0].name is None:
        return parts[0]
    if len(parts) == 1:
        name = str(bands[0].name)
        return _with_bands(parts[0], band=name, bands=(name,))
    return _merged(parts, bands, source)
