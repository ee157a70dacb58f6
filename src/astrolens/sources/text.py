"""Read light curves from text tables: CSV, whitespace- or tab-separated ASCII, ECSV.

The table format is guessed by ``astropy.io.ascii`` (a header line, possibly commented out as
``# time flux flux_err``; ``#`` comment lines; comma, tab or whitespace separators). Its time,
flux, uncertainty and quality columns are chosen by name (:mod:`astrolens.sources.columns`).
A text table says nothing about its target: ``object_id`` is the file name's stem and
``mission``, ``ra``, ``dec``, ``mag`` are None.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from astrolens.errors import InvalidLightCurve
from astrolens.sources.arrays import LightCurveArrays, Target, assemble_arrays
from astrolens.sources.columns import DEFAULT_FLUX_COLUMN, find_columns
from astrolens.sources.quality import QualityBitmask, check_bitmask

if TYPE_CHECKING:
    from astropy.table import Table


def _read_table(path: Path) -> Table:
    from astropy.io import ascii as astropy_ascii

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InvalidLightCurve(
            path, "is neither a FITS file nor a text table (it holds binary data)"
        ) from exc
    if not any(line.strip() for line in lines):
        raise InvalidLightCurve(path, "the text file is empty")
    try:
        return astropy_ascii.read(lines)
    except (ValueError, TypeError, IndexError) as exc:
        raise InvalidLightCurve(
            path,
            "cannot be parsed as a text table (rows of different lengths?); expected a header "
            "line naming the columns, then one row per cadence",
        ) from exc


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
        columns found), has no rows, a non-numeric column, or only NaN flux.

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
    table = _read_table(source)
    columns = find_columns(table.colnames, flux_column, source)
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
