"""Which columns of a table hold the time, the flux, its uncertainty and the quality flags.

Names are matched case-insensitively against the lists below, first match wins. The flux column
is the one asked for (``flux_column``); when that is the default ``"pdcsap_flux"`` and the table
has no such column (a CSV file, a file written by ``lightkurve.LightCurve.to_fits``), the first
of :data:`FLUX_COLUMNS` present is used instead. The uncertainty is looked for under names built
from the flux column (``pdcsap_flux_err``, ``e_mag``, ...) first, then under generic names.

Examples
--------
>>> find_columns(["BJD", "Flux", "Flux_Err"], "pdcsap_flux", "star.csv")
TableColumns(time='BJD', flux='Flux', flux_err='Flux_Err', quality=None)
>>> find_columns(["HJD", "mag", "e_mag"], "pdcsap_flux", "star.dat").is_magnitude
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike

from astrolens.errors import InvalidLightCurve

DEFAULT_FLUX_COLUMN = "pdcsap_flux"
"""The flux of Kepler, K2 and TESS light-curve files corrected for systematics (PDC)."""

TIME_COLUMNS = ("time", "t", "bjd", "btjd", "bkjd", "mjd", "hjd", "jd")
"""Names of a time column, in order of preference."""

FLUX_COLUMNS = ("pdcsap_flux", "flux", "sap_flux", "mag", "magnitude")
"""Names of a flux column, in order of preference, used when the default flux is absent."""

MAGNITUDE_COLUMNS = ("mag", "magnitude")
"""Flux columns that hold magnitudes (converted to relative flux by the readers)."""

QUALITY_COLUMNS = ("quality", "sap_quality")
"""Names of a column of integer quality flags."""

_GENERIC_ERROR_COLUMNS = ("err", "error", "sigma", "uncertainty")

TIME_FORMAT_OF_COLUMN = {
    "bjd": "jd",
    "hjd": "jd",
    "jd": "jd",
    "mjd": "mjd",
    "btjd": "btjd",
    "bkjd": "bkjd",
}
"""The ``astropy.time.Time`` format implied by a time column's name (absent: unknown)."""


def _error_names(flux: str) -> tuple[str, ...]:
    return (f"{flux}_err", f"{flux}_error", f"{flux}err", f"e_{flux}", f"sigma_{flux}", f"d{flux}")


@dataclass(frozen=True)
class TableColumns:
    """The columns chosen in a table, named as they are written in it.

    Attributes
    ----------
    time, flux
        The time and flux columns.
    flux_err, quality
        The uncertainty and quality-flag columns, or None where the table has none.
    """

    time: str
    flux: str
    flux_err: str | None
    quality: str | None

    @property
    def flux_column(self) -> str:
        """The flux column's name in lower case, as recorded in light-curve metadata."""
        return self.flux.lower()

    @property
    def is_magnitude(self) -> bool:
        """Whether the flux column holds magnitudes."""
        return self.flux_column in MAGNITUDE_COLUMNS

    @property
    def time_format(self) -> str | None:
        """The time format implied by the time column's name, or None (e.g. for ``time``)."""
        return TIME_FORMAT_OF_COLUMN.get(self.time.lower())


def _first(lower_to_name: dict[str, str], candidates: Sequence[str]) -> str | None:
    return next((lower_to_name[name] for name in candidates if name in lower_to_name), None)


def find_columns(
    names: Sequence[str], flux_column: str, source: str | PathLike[str]
) -> TableColumns:
    """Choose the time, flux, uncertainty and quality columns of a table.

    Parameters
    ----------
    names
        The table's column names.
    flux_column
        The flux column asked for (case-insensitive); the default ``"pdcsap_flux"`` falls back
        on :data:`FLUX_COLUMNS` when absent.
    source
        The file, named in errors.

    Returns
    -------
    TableColumns
        The chosen columns.

    Raises
    ------
    InvalidLightCurve
        If no time column is found, or no flux column (the one asked for, or for the default
        any of :data:`FLUX_COLUMNS`); the message lists the columns the table has.

    Examples
    --------
    >>> find_columns(["TIME", "SAP_FLUX", "PDCSAP_FLUX", "SAP_QUALITY"], "sap_flux", "kplr.fits")
    TableColumns(time='TIME', flux='SAP_FLUX', flux_err=None, quality='SAP_QUALITY')
    >>> try:
    ...     find_columns(["a", "b"], "pdcsap_flux", "x.csv")
    ... except InvalidLightCurve as error:
    ...     print(error.reason.split("; ")[-1])
    the table has columns: a, b
    """
    lower_to_name: dict[str, str] = {}
    for name in names:
        lower_to_name.setdefault(name.lower(), name)
    found = ", ".join(names) if names else "none"
    time = _first(lower_to_name, TIME_COLUMNS)
    if time is None:
        raise InvalidLightCurve(
            source,
            f"no time column (looked for {', '.join(TIME_COLUMNS)}, any case); "
            f"the table has columns: {found}",
        )
    wanted = flux_column.lower()
    flux = lower_to_name.get(wanted)
    if flux is None and wanted == DEFAULT_FLUX_COLUMN:
        flux = _first(lower_to_name, FLUX_COLUMNS)
        if flux is None:
            raise InvalidLightCurve(
                source,
                f"no flux column (looked for {', '.join(FLUX_COLUMNS)}, any case); "
                f"the table has columns: {found}",
            )
    elif flux is None:
        raise InvalidLightCurve(
            source, f"no flux column {flux_column!r}; the table has columns: {found}"
        )
    family = "mag" if flux.lower() in MAGNITUDE_COLUMNS else "flux"
    error_names = dict.fromkeys(
        (*_error_names(flux.lower()), *_error_names(family), *_GENERIC_ERROR_COLUMNS)
    )
    return TableColumns(
        time=time,
        flux=flux,
        flux_err=_first(lower_to_name, tuple(error_names)),
        quality=_first(lower_to_name, QUALITY_COLUMNS),
    )
