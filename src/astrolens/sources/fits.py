"""Read light curves from FITS files.

Supported: Kepler, K2 and TESS SPOC light-curve files (``*_llc.fits``, ``*_lc.fits``), files
written by ``lightkurve.LightCurve.to_fits()``, and other FITS tables whose first binary-table
extension has time and flux columns (named as in :mod:`astrolens.sources.columns`). Target pixel
files and image-only FITS files are refused with a message saying what to do.

Two readers share one parser (:mod:`astrolens.sources.bintable`), so they agree cadence for
cadence: :func:`read_fits_arrays` returns numpy arrays, fast (no ``lightkurve.read``);
:func:`read_fits` returns a ``lightkurve.LightCurve``, read by ``lightkurve.read`` for SPOC
files so that every column of the file is there.
"""

from __future__ import annotations

import functools
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from astrolens.errors import InvalidLightCurve
from astrolens.sources.arrays import LightCurveArrays, Target, assemble_arrays
from astrolens.sources.bintable import FITS_SUFFIXES, FitsTable, read_first_table
from astrolens.sources.columns import DEFAULT_FLUX_COLUMN, TableColumns, find_columns
from astrolens.sources.fitsheader import FitsHeader
from astrolens.sources.quality import QualityBitmask, check_bitmask, resolve_bitmask

if TYPE_CHECKING:
    import lightkurve as lk

_MISSION_NAMES = {"kepler": "Kepler", "k2": "K2", "tess": "TESS"}
_CATALOGUE_OF_MISSION = {"Kepler": "KIC", "K2": "EPIC", "TESS": "TIC"}
_TIME_FORMAT_OF_BJDREFI = {2454833: "bkjd", 2457000: "btjd"}
_DEFAULT_TIME_FORMAT_OF_MISSION = {"Kepler": "bkjd", "K2": "bkjd", "TESS": "btjd"}
_KNOWN_TIME_FORMATS = ("bkjd", "btjd", "jd", "mjd")
_UNIT_SPELLINGS = {"e-/s": "electron / s", "pixels": "pixel"}
_TPF_ADVICE = (
    "is a target pixel file (a time series of pixel images), not a light curve; make a light "
    "curve with lightkurve.read(path).to_lightcurve(aperture_mask='pipeline') and save it with "
    ".to_fits(), or download the mission's light-curve file (*_llc.fits for Kepler/K2, "
    "*_lc.fits for TESS)"
)


def _text(value: object) -> str | None:
    """A header value as stripped text, None when absent, empty or not text."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _number(value: object) -> float | None:
    """A header value as a finite float, None when absent, undefined or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in FITS_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _mission(primary: FitsHeader) -> str | None:
    name = _text(primary.get("MISSION")) or _text(primary.get("TELESCOP"))
    if name is None:
        return None
    return _MISSION_NAMES.get(name.lower(), name)


def _object_id(primary: FitsHeader, mission: str | None, path: Path) -> str:
    catalogue = _CATALOGUE_OF_MISSION.get(mission or "")
    name = _text(primary.get("OBJECT")) or _text(primary.get("LABEL"))
    if name is None:
        numbers = (_number(primary.get(key)) for key in ("KEPLERID", "TICID", "TARGETID"))
        number = next((number for number in numbers if number is not None), None)
        name = None if number is None else str(int(number))
    if name is None:
        return _stem(path)
    if name.isdecimal() and catalogue is not None:
        return f"{catalogue} {int(name)}"
    return name


def _target(primary: FitsHeader, path: Path) -> Target:
    mission = _mission(primary)
    return Target(
        object_id=_object_id(primary, mission, path),
        mission=mission,
        ra=_number(primary.get("RA_OBJ", primary.get("RA"))),
        dec=_number(primary.get("DEC_OBJ", primary.get("DEC"))),
        mag=_number(primary.get("KEPMAG", primary.get("TESSMAG"))),
    )


def _time_format(table: FitsTable, columns: TableColumns, mission: str | None) -> str | None:
    """The Time format of the time column: from BJDREFI, the column's TUNIT, a ``time_format``
    card in the primary header, the column's name, or else the mission's usual one."""
    unit = (table.unit(columns.time) or "").lower()
    card = (_text(table.primary.get("TIME_FORMAT")) or "").lower()
    candidates = (
        _TIME_FORMAT_OF_BJDREFI.get(table.header.get("BJDREFI")),
        unit if unit in _KNOWN_TIME_FORMATS else None,
        card if card in _KNOWN_TIME_FORMATS else None,
        columns.time_format,
        _DEFAULT_TIME_FORMAT_OF_MISSION.get(mission or ""),
    )
    return next((candidate for candidate in candidates if candidate), None)


@functools.lru_cache(maxsize=64)
def _unit_name(unit: str) -> str | None:
    """The astropy name of a FITS unit string, None when astropy does not know it."""
    import astropy.units as u

    parsed = u.Unit(_UNIT_SPELLINGS.get(unit, unit), parse_strict="silent")
    return None if isinstance(parsed, u.UnrecognizedUnit) else parsed.to_string()


def _flux_unit(table: FitsTable, column: str) -> str | None:
    unit = table.unit(column)
    return None if unit is None else _unit_name(unit)


def _is_target_pixel_file(table: FitsTable) -> bool:
    creator = (_text(table.primary.get("CREATOR")) or "").lower()
    flux = next((name for name in table.column_names if name.lower() == "flux"), None)
    return (
        "targetpixel" in creator
        or _text(table.header.get("EXTNAME")) == "TARGETTABLES"
        or (flux is not None and table.repeat(flux) > 1)
    )


def _is_spoc_light_curve(table: FitsTable) -> bool:
    """Whether the file is a light curve of the Kepler/K2/TESS SPOC pipeline (NASA Ames),
    recognised as lightkurve's ``detect_filetype`` does (TELESCOP, CREATOR and ORIGIN)."""
    primary = table.primary
    telescope = (_text(primary.get("TELESCOP")) or _text(primary.get("MISSION")) or "").lower()
    creator = (_text(primary.get("CREATOR")) or "").lower()
    if _text(primary.get("ORIGIN")) is None:
        return False
    if telescope == "kepler":
        return "fluxexporter" in creator or "lightcurveexporter" in creator
    return telescope == "tess" and "lightcurveexporter" in creator


def _read(
    path: str | PathLike[str], flux_column: str, quality_bitmask: QualityBitmask
) -> tuple[LightCurveArrays, bool]:
    """The light curve of a FITS file, and whether it is a SPOC light-curve file."""
    check_bitmask(quality_bitmask)
    source = Path(path)
    table = read_first_table(source)
    if _is_target_pixel_file(table):
        raise InvalidLightCurve(source, _TPF_ADVICE)
    columns = find_columns(table.column_names, flux_column, source)
    target = _target(table.primary, source)
    arrays = assemble_arrays(
        time=table.column(columns.time),
        flux=table.column(columns.flux),
        flux_err=None if columns.flux_err is None else table.column(columns.flux_err),
        quality=None if columns.quality is None else table.column(columns.quality),
        target=target,
        flux_column=columns.flux_column,
        source=source,
        quality_bitmask=quality_bitmask,
        time_format=_time_format(table, columns, target.mission),
        flux_unit=_flux_unit(table, columns.flux),
    )
    return arrays, _is_spoc_light_curve(table)


def read_fits_arrays(
    path: str | PathLike[str],
    flux_column: str = DEFAULT_FLUX_COLUMN,
    quality_bitmask: QualityBitmask = "default",
) -> LightCurveArrays:
    """Read a FITS light curve into numpy arrays, fast.

    Only the headers and the needed columns are decoded (:mod:`astrolens.sources.bintable`);
    about 30 times faster than ``lightkurve.read`` (see ``benchmarks/bench_read.py``).

    Parameters
    ----------
    path
        A Kepler, K2 or TESS light-curve file, a file written by ``LightCurve.to_fits()``, or
        another FITS table with time and flux columns (plain or gzipped).
    flux_column
        ``"pdcsap_flux"`` (default) or ``"sap_flux"``, or any column of the table (any case).
        Where the default is absent the first of
        :data:`~astrolens.sources.columns.FLUX_COLUMNS` present is used (a high-level science
        product's corrected flux before ``sap_flux``).
    quality_bitmask
        ``"default"``, ``"none"``, ``"hard"``, ``"hardest"`` or an integer: cadences with any of
        these quality bits set are removed (bits listed in :mod:`astrolens.sources.quality`).

    Returns
    -------
    LightCurveArrays
        Cadences with a NaN time or a flagged quality removed, as lightkurve does.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InvalidLightCurve
        If the file is not FITS, is corrupt or truncated, is a target pixel file or an image,
        lacks the flux column (the message lists the columns), has no rows, no cadence left
        after masking, or only NaN flux.
    ValueError
        For an invalid ``quality_bitmask``.

    Examples
    --------
    >>> from astrolens.sources.examples import example_files
    >>> arrays = read_fits_arrays(example_files("TESS")[0])
    >>> arrays.object_id, arrays.mission, arrays.time_format, len(arrays)
    ('TIC 358108509', 'TESS', 'btjd', 18101)
    >>> round(arrays.cadence_days * 24 * 60, 3)
    2.0
    """
    return _read(path, flux_column, quality_bitmask)[0]


def _unmask(light_curve: lk.LightCurve) -> lk.LightCurve:
    """Replace masked float columns by plain ones holding NaN where values were masked."""
    from astropy.utils.masked import Masked

    for name in light_curve.colnames:
        column = light_curve[name]
        if isinstance(column, Masked) and column.dtype.kind == "f":
            light_curve[name] = column.filled(np.nan)
    return light_curve


def read_fits(
    path: str | PathLike[str],
    flux_column: str = DEFAULT_FLUX_COLUMN,
    quality_bitmask: QualityBitmask = "default",
) -> lk.LightCurve:
    """Read a FITS light curve into a ``lightkurve.LightCurve``.

    The file is checked and its metadata gathered by :func:`read_fits_arrays`; a SPOC light
    curve is then read by ``lightkurve.read`` (a ``KeplerLightCurve`` or ``TessLightCurve`` with
    every column of the file), any other table is converted from the arrays. Missing float
    values are NaN, never masked, and ``meta`` holds exactly the keys of
    :data:`astrolens.sources.arrays.META_KEYS`.

    Parameters
    ----------
    path, flux_column, quality_bitmask
        As for :func:`read_fits_arrays`.

    Returns
    -------
    lightkurve.LightCurve
        The same cadences, times and flux values as :func:`read_fits_arrays`.

    Raises
    ------
    FileNotFoundError, InvalidLightCurve, ValueError
        As :func:`read_fits_arrays`.

    Examples
    --------
    >>> from astrolens.sources.examples import example_files
    >>> light_curve = read_fits(example_files("Kepler")[0], flux_column="sap_flux")
    >>> type(light_curve).__name__, light_curve.meta["object_id"], light_curve.meta["flux_column"]
    ('KeplerLightCurve', 'KIC 10002792', 'sap_flux')
    """
    arrays, is_spoc = _read(path, flux_column, quality_bitmask)
    if not is_spoc:
        return arrays.to_lightcurve()
    import lightkurve as lk

    bitmask = resolve_bitmask(quality_bitmask, arrays.mission)
    light_curve = lk.read(str(path), flux_column=arrays.flux_column, quality_bitmask=bitmask)
    light_curve.meta = arrays.meta
    return _unmask(light_curve)
