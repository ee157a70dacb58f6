"""Which columns of a table hold the time, the flux, its uncertainty, the quality flags, the band.

Names are matched case-insensitively against the lists below, first match wins. The flux column
is the one asked for (``flux_column``); when that is the default ``"pdcsap_flux"`` and the table
has no such column (a CSV file, a file written by ``lightkurve.LightCurve.to_fits``), the first
of :data:`FLUX_COLUMNS` present is used instead, and failing that the magnitude columns named
after a band (``V``, ``I``, ``g``, ``r``, ``mag_g``, ``gmag``, ``Imag``, ``r_mag``: one light
curve per band, see :func:`find_band_columns`). The uncertainty is looked for under names built
from the flux column (``pdcsap_flux_err``, ``e_mag``, ``magerr_g``, ...) first, then under
generic names. The time column is the first of :data:`TIME_COLUMNS` present, else the first
column whose name gives a time system (``HJD-2450000``, ``bjd_tdb``, ``RJD``: see
:mod:`astrolens.sources.timesystems`).

Several bands in one table come in two layouts: *long*, one row per observation with a column
naming its band (:data:`BAND_COLUMNS`: ``band``, ``filter``, ZTF's ``fid`` and ``filtercode``,
...), and *wide*, one magnitude column per band.

Examples
--------
>>> find_columns(["BJD", "Flux", "Flux_Err"], "pdcsap_flux", "star.csv")  # doctest: +ELLIPSIS
TableColumns(time='BJD', flux='Flux', flux_err='Flux_Err', quality=None, ...)
>>> find_columns(["HJD", "mag", "e_mag"], "pdcsap_flux", "star.dat").is_magnitude
True
>>> [(c.band, c.flux, c.flux_err) for c in find_band_columns(
...     ["mjd", "mag_g", "magerr_g", "mag_r", "magerr_r"], "pdcsap_flux", "ztf.csv")]
[('g', 'mag_g', 'magerr_g'), ('r', 'mag_r', 'magerr_r')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike

from astrolens.errors import InvalidLightCurve
from astrolens.sources.timesystems import time_system

DEFAULT_FLUX_COLUMN = "pdcsap_flux"
"""The flux of Kepler, K2 and TESS light-curve files corrected for systematics (PDC)."""

TIME_COLUMNS = ("time", "t", "bjd", "btjd", "bkjd", "mjd", "hjd", "jd")
"""Names of a time column, in order of preference (then any name giving a time system)."""

FLUX_COLUMNS = (
    "pdcsap_flux",
    "flux",
    "flux_corr",
    "corr_flux",
    "fcor",
    "psf_flux_cor",
    "cal_psf_flux",
    "sap_flux",
    "mag",
    "magnitude",
    "magpsf_corr",
    "magpsf",
    "ujy",
)
"""Names of a flux column, in order of preference, used when the default flux is absent: the
fluxes corrected for systematics of the TESS and K2 high-level science products (TASOC's
``FLUX_CORR``, eleanor's ``CORR_FLUX``, K2SFF's ``FCOR``, PATHOS's ``PSF_FLUX_COR``, TGLC's
``CAL_PSF_FLUX``: the columns lightkurve reads them in) before a raw ``SAP_FLUX`` (QLP's, as
lightkurve reads it: its ``KSPSAP_FLUX`` is filtered of variations slower than a transit);
``magpsf_corr`` is the total magnitude of a ZTF alert (ALeRCE), where ``magpsf`` measures the
difference image; ``uJy`` is the flux of ATLAS forced photometry."""

MAGNITUDE_COLUMNS = ("mag", "magnitude", "magpsf_corr", "magpsf")
"""Flux columns that hold magnitudes (converted to relative flux by the readers); a magnitude
column named after its band (``mag_g``, ``V``) is recorded as ``"mag"``."""

QUALITY_COLUMNS = ("quality", "sap_quality", "dquality", "tess_flags")
"""Names of a column of integer quality flags (the mission's bits: PATHOS keeps them in
``DQUALITY``, TGLC in ``TESS_flags``)."""

BAND_COLUMNS = ("band", "filter", "passband", "filtercode", "fid", "phot_filter", "f")
"""Names of a column naming the band of each row (ZTF: ``fid`` 1, 2, 3 for g, r, i; ASAS-SN:
``phot_filter``; ATLAS: ``F``, ``c`` or ``o``); never the flux column itself."""

REJECTION_COLUMNS = ("catflags", "rejected_by_photometry", "rejected_by_variability")
"""Columns in which the survey marks the rows it rejects itself, by a value that is not 0 (or
``true``): ZTF's ``catflags`` (IRSA keeps ``catflags = 0``), and Gaia DR3 epoch photometry's
``rejected_by_photometry`` and ``rejected_by_variability``."""

BANDS = (
    *("U", "B", "V", "R", "I", "J", "H", "K", "Ks"),
    *("u", "g", "r", "i", "z", "y"),
    *("G", "BP", "RP", "c", "o"),
)
"""Bands that name magnitude columns ``mag_<band>``, ``mag<band>``, ``<band>mag``,
``<band>_mag`` (band in any case): Johnson-Cousins, 2MASS, SDSS/Pan-STARRS/ZTF, Gaia, ATLAS
(cyan, orange). Alone, a column name is a band only for one of :data:`BARE_BANDS`, in that
case."""

BARE_BANDS = ("U", "B", "V", "R", "I", "J", "H", "K", "u", "g", "r", "i", "z")
"""Column names taken for magnitudes of that band (``HJD,V,V_err``)."""

_BAND_WORDS = frozenset(band.lower() for band in BANDS)
_BAND_IN_NAME = re.compile(
    r"mag_?(?P<after>[a-z]{1,2})|(?P<before>[a-z]{1,2})_?mag", flags=re.IGNORECASE
)

_GENERIC_ERROR_COLUMNS = ("err", "error", "sigma", "uncertainty")
_ERROR_COLUMNS_OF = {"magpsf": ("sigmapsf",), "magpsf_corr": ("sigmapsf_corr",)}


def _error_names(flux: str) -> tuple[str, ...]:
    return (f"{flux}_err", f"{flux}_error", f"{flux}err", f"e_{flux}", f"sigma_{flux}", f"d{flux}")


def _band_error_names(band: str) -> tuple[str, ...]:
    return (
        *_error_names(band),
        f"err_{band}",
        f"magerr_{band}",
        f"mag_err_{band}",
        f"e_mag_{band}",
        f"{band}_mag_err",
        f"{band}magerr",
        f"e_{band}mag",
    )


@dataclass(frozen=True)
class TableColumns:
    """The columns chosen in a table, named as they are written in it.

    Attributes
    ----------
    time, flux
        The time and flux columns.
    flux_err, quality
        The uncertainty and quality-flag columns, or None where the table has none.
    band
        The band of a magnitude column named after it (``"g"`` for ``mag_g``), else None.
    band_column
        The column naming the band of each row (long layout), or None.
    rejections
        The columns of :data:`REJECTION_COLUMNS` the table has.
    """

    time: str
    flux: str
    flux_err: str | None
    quality: str | None
    band: str | None = None
    band_column: str | None = None
    rejections: tuple[str, ...] = ()

    @property
    def flux_column(self) -> str:
        """The flux column's name in lower case, as recorded in light-curve metadata; ``"mag"``
        for a magnitude column named after its band."""
        return "mag" if self.band is not None else self.flux.lower()

    @property
    def is_magnitude(self) -> bool:
        """Whether the flux column holds magnitudes."""
        return self.flux_column in MAGNITUDE_COLUMNS

    @property
    def time_format(self) -> str | None:
        """The astropy format of the time column's values as its name gives it, or None (for
        ``time``, and for a reduced date such as ``HJD-2450000``)."""
        system = time_system(self.time)
        return None if system is None else system.time_format

    @property
    def names(self) -> tuple[str, ...]:
        """The columns used, without repeats."""
        names = (self.time, self.flux, self.flux_err, self.quality, self.band_column)
        names += self.rejections
        return tuple(name for name in dict.fromkeys(names) if name is not None)


def band_of_column(name: str) -> str | None:
    """The band a magnitude column is named after, as written, or None.

    Examples
    --------
    >>> [band_of_column(name) for name in ["mag_g", "Imag", "r_mag", "V", "BPmag", "y", "flux"]]
    ['g', 'I', 'r', 'V', 'BP', None, None]
    """
    stripped = name.strip()
    if stripped in BARE_BANDS:
        return stripped
    match = _BAND_IN_NAME.fullmatch(stripped)
    if match is None:
        return None
    band = match["after"] or match["before"]
    return band if band.lower() in _BAND_WORDS else None


def _first(lower_to_name: dict[str, str], candidates: Sequence[str]) -> str | None:
    return next((lower_to_name[name] for name in candidates if name in lower_to_name), None)


def _time_column(names: Sequence[str], lower_to_name: dict[str, str]) -> str | None:
    preferred = _first(lower_to_name, TIME_COLUMNS)
    if preferred is not None:
        return preferred
    return next((name for name in names if time_system(name) is not None), None)


def _flux_columns(
    names: Sequence[str],
    lower_to_name: dict[str, str],
    flux_column: str,
    source: str | PathLike[str],
) -> list[str]:
    """The flux column asked for, or for the default the first of FLUX_COLUMNS, or the
    magnitude columns named after a band."""
    found = ", ".join(names) if names else "none"
    wanted = flux_column.lower()
    if wanted in lower_to_name:
        return [lower_to_name[wanted]]
    if wanted != DEFAULT_FLUX_COLUMN:
        raise InvalidLightCurve(
            source, f"no flux column {flux_column!r}; the table has columns: {found}"
        )
    flux = _first(lower_to_name, FLUX_COLUMNS)
    if flux is not None:
        return [flux]
    by_band: dict[str, str] = {}
    for name in names:
        band = band_of_column(name)
        if band is not None:
            by_band.setdefault(band, name)
    if not by_band:
        raise InvalidLightCurve(
            source,
            f"no flux column (looked for {', '.join(FLUX_COLUMNS)}, any case, and magnitudes "
            f"named after a band such as V, I, g, mag_r, gmag); the table has columns: {found}; "
            "name the one to read (flux_column= in Python and in the web API, --flux-column on "
            "the command line)",
        )
    return list(by_band.values())


def _flux_err(
    lower_to_name: dict[str, str], flux: str, band: str | None, only_flux: bool
) -> str | None:
    """The uncertainty column of a flux column; under a generic name (``err``, ``mag_err``)
    only when the table has no other flux column (``only_flux``)."""
    family = "mag" if band is not None or flux.lower() in MAGNITUDE_COLUMNS else "flux"
    candidates = (
        *_error_names(flux.lower()),
        *_ERROR_COLUMNS_OF.get(flux.lower(), ()),
        *(() if band is None else _band_error_names(band.lower())),
        *((*_error_names(family), *_GENERIC_ERROR_COLUMNS) if only_flux else ()),
    )
    return _first(lower_to_name, tuple(dict.fromkeys(candidates)))


def find_band_columns(
    names: Sequence[str], flux_column: str, source: str | PathLike[str]
) -> tuple[TableColumns, ...]:
    """The columns of each light curve of a table: one per band for a wide table, else one.

    Parameters
    ----------
    names
        The table's column names.
    flux_column
        The flux column asked for (case-insensitive); the default ``"pdcsap_flux"`` falls back
        on :data:`FLUX_COLUMNS`, then on magnitude columns named after a band, when absent.
    source
        The file, named in errors.

    Returns
    -------
    tuple of TableColumns
        Several only for a table with magnitude columns named after bands and no flux column of
        :data:`FLUX_COLUMNS`, one per band in the order of the columns (``band`` set); a band
        column (long layout) is named in ``band_column``.

    Raises
    ------
    InvalidLightCurve
        If no time column is found, or no flux column (the one asked for, or for the default
        any of :data:`FLUX_COLUMNS` or band magnitudes); the message lists the table's columns.

    Examples
    --------
    >>> ogle = find_band_columns(["HJD-2450000", "V", "V_err", "I", "Ierr"], "pdcsap_flux", "a")
    >>> [(columns.band, columns.flux, columns.flux_err, columns.flux_column) for columns in ogle]
    [('V', 'V', 'V_err', 'mag'), ('I', 'I', 'Ierr', 'mag')]
    >>> ztf = find_band_columns(["mjd", "mag", "magerr", "filtercode"], "pdcsap_flux", "ztf.csv")
    >>> ztf[0].band_column, ztf[0].flux_err
    ('filtercode', 'magerr')
    """
    lower_to_name: dict[str, str] = {}
    for name in names:
        lower_to_name.setdefault(name.lower(), name)
    time = _time_column(names, lower_to_name)
    if time is None:
        raise InvalidLightCurve(
            source,
            f"no time column (looked for {', '.join(TIME_COLUMNS)}, any case, and reduced "
            "dates such as HJD-2450000); the table has columns: "
            f"{', '.join(names) if names else 'none'}",
        )
    quality = _first(lower_to_name, QUALITY_COLUMNS)
    fluxes = _flux_columns(names, lower_to_name, flux_column, source)
    band_column = _first(
        {lower: name for lower, name in lower_to_name.items() if name not in fluxes},
        BAND_COLUMNS,
    )
    rejections = tuple(lower_to_name[name] for name in REJECTION_COLUMNS if name in lower_to_name)
    columns = []
    for flux in fluxes:
        band = band_of_column(flux)
        columns.append(
            TableColumns(
                time=time,
                flux=flux,
                flux_err=_flux_err(lower_to_name, flux, band, only_flux=len(fluxes) == 1),
                quality=quality,
                band=band,
                band_column=band_column,
                rejections=rejections,
            )
        )
    return tuple(columns)


def find_columns(
    names: Sequence[str], flux_column: str, source: str | PathLike[str]
) -> TableColumns:
    """Choose the time, flux, uncertainty and quality columns of a table of one light curve.

    Parameters
    ----------
    names, flux_column, source
        As for :func:`find_band_columns`.

    Returns
    -------
    TableColumns
        The chosen columns.

    Raises
    ------
    InvalidLightCurve
        As :func:`find_band_columns`, and for a table with magnitudes in several bands (the
        message names them: choose one with ``flux_column``).

    Examples
    --------
    >>> find_columns(["TIME", "SAP_FLUX", "PDCSAP_FLUX", "SAP_QUALITY"], "sap_flux", "kplr.fits")
    ... # doctest: +ELLIPSIS
    TableColumns(time='TIME', flux='SAP_FLUX', flux_err=None, quality='SAP_QUALITY', ...)
    >>> try:
    ...     find_columns(["a", "b"], "pdcsap_flux", "x.csv")
    ... except InvalidLightCurve as error:
    ...     print(error.reason.split("; ")[-1])
    the table has columns: a, b
    """
    columns = find_band_columns(names, flux_column, source)
    if len(columns) > 1:
        fluxes = ", ".join(column.flux for column in columns)
        raise InvalidLightCurve(
            source,
            f"holds magnitudes in {len(columns)} bands (columns {fluxes}); choose one with "
            f"flux_column={columns[0].flux!r}",
        )
    return columns[0]
