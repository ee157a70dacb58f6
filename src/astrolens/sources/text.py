"""Read light curves from text tables: CSV, whitespace- or tab-separated ASCII, ECSV.

The table format is guessed by ``astropy.io.ascii`` (a header line, possibly commented out as
``# time flux flux_err``; ``#`` comment lines; comma, tab or whitespace separators; UTF-8, with
or without a byte-order mark); its size and number of lines are checked against
:mod:`astrolens.sources.limits` before it is parsed. Its time, flux, uncertainty and quality
columns are chosen by name (:mod:`astrolens.sources.columns`). A text table says nothing about
its target: ``object_id`` is the file name's stem and ``mission``, ``ra``, ``dec``, ``mag`` are
None.
"""

from __future__ import annotations

import csv
import re
from dataclasses import astuple
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from astrolens.errors import InvalidLightCurve
from astrolens.sources import limits
from astrolens.sources.arrays import LightCurveArrays, Target, assemble_arrays
from astrolens.sources.columns import DEFAULT_FLUX_COLUMN, TableColumns, find_columns
from astrolens.sources.quality import QualityBitmask, check_bitmask

if TYPE_CHECKING:
    from astropy.table import Table

_SAMPLE_ROWS = 20
"""Rows, after the header, from which the table's format and columns are guessed."""

_SAMPLE_CHARS = 65_536
"""... unless they are longer than this in all (with at least one row)."""

_UNCHECKED_TABLE_CHARS = 2**20
"""Tables whose rows times their longest row stay below this are not checked for long rows."""

_DOUBLE_QUOTED = re.compile(r'"[^"]*"')


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
    lines = text.splitlines()
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


def _read_table(path: Path, flux_column: str) -> tuple[Table, TableColumns]:
    """The table's time, flux, uncertainty and quality columns, and which they are.

    The format and the column names are guessed from the first lines; the whole table is then
    parsed with only those columns converted, so other columns, whatever they hold, take no
    memory.
    """
    lines = _lines(path)
    columns = find_columns(_parse(_sample(lines), path).colnames, flux_column, path)
    wanted = {name for name in astuple(columns) if name is not None}
    table = _parse(lines, path, include_names=sorted(wanted))
    if set(table.colnames) != wanted:
        raise InvalidLightCurve(
            path,
            "cannot be parsed as a text table: its first rows have the columns "
            f"{', '.join(sorted(wanted))}, the whole table not (rows of different lengths?)",
        )
    return table, columns


def _floats(table: Table, name: str, source: Path) -> np.ndarray:
    """A column as float64, NaN where a value is blank."""
    try:
        return np.ma.asarray(table[name], dtype=np.float64).filled(np.nan)
    except ValueError as exc:
        raise InvalidLightCurve(
            source, f"column {name!r} holds values that are not numbers"
        ) from exc


def _unit(table: Table, name: str) -> str | None:
    unit = table[name].unit
    return None if unit is None else unit.to_string()


def read_text_arrays(
    path: str | PathLike[str],
    flux_column: str = DEFAULT_FLUX_COLUMN,
    quality_bitmask: QualityBitmask = "default",
) -> LightCurveArrays:
    """Read a light curve from a text table.

    Parameters
    ----------
    path
        A CSV, ASCII or ECSV file with a header line naming its columns.
    flux_column
        The flux column (case-insensitive); with the default, the first of ``pdcsap_flux``,
        ``flux``, ``sap_flux``, ``mag``, ``magnitude`` present. Magnitudes become relative flux.
    quality_bitmask
        Applied to a ``quality`` column if there is one. The mission of a text table is unknown,
        so only an integer bitmask removes cadences (see :mod:`astrolens.sources.quality`).

    Returns
    -------
    LightCurveArrays
        The light curve; ``time_format`` follows from the time column's name (``bjd``, ``hjd``,
        ``jd``: ``"jd"``; ``mjd``; ``btjd``; ``bkjd``), None for ``time`` or ``t``.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InvalidLightCurve
        If the file is not a text table, has no time or flux column (the message lists the
        columns found), has no rows, a non-numeric column, or only NaN flux, or is larger than
        :data:`~astrolens.sources.limits.MAX_FILE_BYTES` or has more lines than
        :data:`~astrolens.sources.limits.MAX_CADENCES`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "my_star.csv"
    >>> _ = path.write_text("BJD,Flux,Flux_Err\\n2455000.0,1.01,0.01\\n2455000.5,0.99,0.01\\n")
    >>> arrays = read_text_arrays(path)
    >>> arrays.object_id, arrays.flux_column, arrays.time_format, arrays.flux
    ('my_star', 'flux', 'jd', array([1.01, 0.99]))
    """
    check_bitmask(quality_bitmask)
    source = Path(path)
    table, columns = _read_table(source, flux_column)
    return assemble_arrays(
        time=_floats(table, columns.time, source),
        flux=_floats(table, columns.flux, source),
        flux_err=None if columns.flux_err is None else _floats(table, columns.flux_err, source),
        quality=None if columns.quality is None else _floats(table, columns.quality, source),
        target=Target(object_id=source.stem),
        flux_column=columns.flux_column,
        source=source,
        quality_bitmask=quality_bitmask,
        time_format=columns.time_format,
        flux_unit=_unit(table, columns.flux),
    )
