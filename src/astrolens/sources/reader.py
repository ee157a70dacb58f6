"""Read local light-curve files of any format: ``read``, ``read_arrays``, ``read_many``.

The format is recognised by content first: a file that starts with the FITS signature (also
after gunzipping) is read as FITS (:mod:`astrolens.sources.fits`), anything else as a text
table (:mod:`astrolens.sources.text`). A file with a FITS name that is not FITS is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tqdm.auto import tqdm

from astrolens.errors import InvalidLightCurve, skip_reason
from astrolens.sources.arrays import LightCurveArrays
from astrolens.sources.bintable import FITS_SUFFIXES, is_fits
from astrolens.sources.columns import DEFAULT_FLUX_COLUMN
from astrolens.sources.fits import read_fits, read_fits_arrays
from astrolens.sources.quality import QualityBitmask, check_bitmask
from astrolens.sources.text import ALL_BANDS, check_band, read_text_arrays

if TYPE_CHECKING:
    import lightkurve as lk

log = logging.getLogger(__name__)


def detect_format(path: str | PathLike[str]) -> Literal["fits", "text"]:
    """Whether a file is to be read as FITS or as a text table.

    Parameters
    ----------
    path
        The file; only its first bytes are read.

    Returns
    -------
    str
        ``"fits"`` when the file starts with the FITS signature, else ``"text"``.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InvalidLightCurve
        If the file is named like a FITS file but does not start with the FITS signature.

    Examples
    --------
    >>> from astrolens.sources.examples import example_files
    >>> detect_format(example_files("TESS")[0])
    'fits'
    """
    if is_fits(path):
        return "fits"
    if Path(path).name.lower().endswith(FITS_SUFFIXES):
        raise InvalidLightCurve(
            path,
            "is named like a FITS file but does not start with the FITS signature "
            "'SIMPLE  ='; it is corrupt (download it again) or not FITS",
        )
    return "text"


def _check_fits_band(path: str | PathLike[str], band: str | None) -> None:
    """Refuse a band other than None or ``"all"`` for a FITS light curve, which has one band."""
    if band not in (None, ALL_BANDS):
        raise InvalidLightCurve(
            path,
            f"band={band!r} was asked for, but a FITS light curve is of one band; bands are "
            "chosen in text tables that hold several (read it with band=None)",
        )


def read(
    path: str | PathLike[str],
    flux_column: str = DEFAULT_FLUX_COLUMN,
    quality_bitmask: QualityBitmask = "default",
    band: str | None = None,
) -> lk.LightCurve:
    """Read a light curve from a FITS file or a text table.

    Parameters
    ----------
    path
        A Kepler, K2 or TESS light-curve FITS file, a file written by
        ``lightkurve.LightCurve.to_fits()``, another FITS table, or a CSV/ASCII table with time
        and flux columns (names in :mod:`astrolens.sources.columns`).
    flux_column
        ``"pdcsap_flux"`` (default; falls back on the first of
        :data:`~astrolens.sources.columns.FLUX_COLUMNS` present where absent) or
        ``"sap_flux"``, or any column of the table (any case).
    quality_bitmask
        ``"default"``, ``"none"``, ``"hard"``, ``"hardest"`` or an integer; cadences with any
        of these quality bits set are removed. The bits of each named bitmask are listed in
        :mod:`astrolens.sources.quality` (lightkurve's ``KeplerQualityFlags`` and
        ``TessQualityFlags``; ``"default"`` is 1130799 for Kepler and K2, 17087 for TESS).
    band
        For a text table of several bands (a ``band``/``filter``/``fid`` column, or magnitude
        columns such as ``mag_g``, ``mag_r``): the band to read (``"r"``), or ``"all"`` for
        all of them, each relative to its median, in time order. None (default) refuses a
        table of several bands, naming them (see :mod:`astrolens.sources.text`).

    Returns
    -------
    lightkurve.LightCurve
        With ``meta`` holding ``object_id``, ``mission``, ``ra``, ``dec``, ``mag``,
        ``cadence_days``, ``flux_column`` and ``source``, and for a table that names its bands
        ``band`` and ``bands`` too. Missing values are NaN.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InvalidLightCurve
        If the file cannot be used as a light curve, or has no band ``band``; the message
        names the file and says why.
    ValueError
        For an invalid ``quality_bitmask`` or ``band``.

    Examples
    --------
    >>> from astrolens.sources.examples import example_files
    >>> light_curve = read(example_files("K2")[0])
    >>> light_curve.meta["object_id"], light_curve.meta["mission"], len(light_curve)
    ('EPIC 211117077', 'K2', 3294)
    """
    check_bitmask(quality_bitmask)
    check_band(band)
    if detect_format(path) == "fits":
        _check_fits_band(path, band)
        return read_fits(path, flux_column, quality_bitmask)
    return read_text_arrays(path, flux_column, quality_bitmask, band).to_lightcurve()


def read_arrays(
    path: str | PathLike[str],
    flux_column: str = DEFAULT_FLUX_COLUMN,
    quality_bitmask: QualityBitmask = "default",
    band: str | None = None,
) -> LightCurveArrays:
    """Read a light curve into numpy arrays: the fast path, without ``lightkurve.read``.

    Parameters
    ----------
    path, flux_column, quality_bitmask, band
        As for :func:`read`.

    Returns
    -------
    LightCurveArrays
        The same cadences, times, flux values and metadata as :func:`read`;
        ``.to_lightcurve()`` makes a ``lightkurve.LightCurve`` of it.

    Raises
    ------
    FileNotFoundError, InvalidLightCurve, ValueError
        As :func:`read`.

    Examples
    --------
    >>> from astrolens.sources.examples import example_files
    >>> arrays = read_arrays(example_files("Kepler")[0], quality_bitmask="hard")
    >>> arrays.object_id, arrays.flux_column, len(arrays)
    ('KIC 10002792', 'pdcsap_flux', 3849)
    """
    check_bitmask(quality_bitmask)
    check_band(band)
    if detect_format(path) == "fits":
        _check_fits_band(path, band)
        return read_fits_arrays(path, flux_column, quality_bitmask)
    return read_text_arrays(path, flux_column, quality_bitmask, band)


def read_as_asked(
    path: str | PathLike[str], band: str | None = None, flux_column: str | None = None
) -> Path | LightCurveArrays:
    """A file to search with, as the command line and the web API hand it on: the path itself
    (the run's model reads it, a light curve or an image), or where a ``band`` or a
    ``flux_column`` of it is asked for, its light curve read here with them.

    Examples
    --------
    >>> from astrolens.sources.examples import example_files
    >>> path = example_files("Kepler")[0]
    >>> read_as_asked(path) == path, read_as_asked(path, flux_column="sap_flux").flux_column
    (True, 'sap_flux')
    """
    if band is None and flux_column is None:
        return Path(path)
    return read_arrays(path, flux_column or DEFAULT_FLUX_COLUMN, band=band)


@dataclass(frozen=True)
class ReadManyResult:
    """What :func:`read_many` read, and what it skipped and why.

    Attributes
    ----------
    light_curves
        The light curves read, in the order of the paths.
    skipped
        ``(path, reason)`` for each file that could not be read (only with ``errors="skip"``).
    """

    light_curves: tuple[LightCurveArrays, ...]
    skipped: tuple[tuple[Path, str], ...] = ()


def read_many(
    paths: Iterable[str | PathLike[str]],
    flux_column: str = DEFAULT_FLUX_COLUMN,
    quality_bitmask: QualityBitmask = "default",
    errors: Literal["raise", "skip"] = "raise",
    progress: bool = True,
    band: str | None = None,
) -> ReadManyResult:
    """Read many light-curve files with :func:`read_arrays`, with a progress bar.

    Parameters
    ----------
    paths
        The files.
    flux_column, quality_bitmask
        As for :func:`read`, for every file.
    errors
        ``"raise"`` (default): stop at the first file that cannot be read and raise its error.
        ``"skip"``: go on, and list each such file with the reason in ``skipped`` (a warning
        is logged with their number).
    progress
        Show a tqdm progress bar.
    band
        As for :func:`read`, for every file.

    Returns
    -------
    ReadManyResult
        The light curves read, and the files skipped.

    Raises
    ------
    FileNotFoundError, InvalidLightCurve
        With ``errors="raise"``, for the first file that is missing or unusable.
    ValueError
        For an invalid ``errors``, ``quality_bitmask`` or ``band``.

    Examples
    --------
    >>> from astrolens.sources.examples import example_files
    >>> result = read_many([*example_files(), "missing.fits"], errors="skip", progress=False)
    >>> [arrays.mission for arrays in result.light_curves]
    ['Kepler', 'Kepler', 'K2', 'TESS']
    >>> result.skipped[0][0].name
    'missing.fits'
    """
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors={errors!r} is not 'raise' or 'skip'")
    check_bitmask(quality_bitmask)
    check_band(band)
    light_curves: list[LightCurveArrays] = []
    skipped: list[tuple[Path, str]] = []
    bar = tqdm(paths, desc="reading light curves", unit="file", disable=not progress)
    for path in bar:
        try:
            light_curves.append(read_arrays(path, flux_column, quality_bitmask, band))
        except (InvalidLightCurve, FileNotFoundError) as exc:
            if errors == "raise":
                raise
            skipped.append((Path(path), skip_reason(exc)))
            bar.set_postfix(skipped=len(skipped))
    if skipped:
        log.warning(
            "skipped %d of %d light-curve files that could not be read; see ReadManyResult.skipped",
            len(skipped),
            len(skipped) + len(light_curves),
        )
    return ReadManyResult(light_curves=tuple(light_curves), skipped=tuple(skipped))
