"""A light curve as plain numpy arrays plus the metadata every reader fills in.

:class:`LightCurveArrays` is what the fast readers return; :func:`assemble_arrays` turns the raw
columns of any table (FITS or text) into one, so that every reader removes the same cadences,
checks the same things and fills in the same metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from astrolens.errors import InvalidLightCurve
from astrolens.sources.columns import MAGNITUDE_COLUMNS
from astrolens.sources.quality import QualityBitmask, quality_mask, resolve_bitmask

if TYPE_CHECKING:
    import lightkurve as lk

META_KEYS = (
    "object_id",
    "mission",
    "ra",
    "dec",
    "mag",
    "cadence_days",
    "flux_column",
    "source",
)
"""The keys of ``LightCurve.meta`` set by every astrolens reader, whatever the file format."""


@dataclass(frozen=True)
class Target:
    """Who a light curve is of, as the file tells it.

    Attributes
    ----------
    object_id
        ``"KIC 10002792"``, ``"EPIC 211117077"``, ``"TIC 358108509"``, or the file name's stem.
    mission
        ``"Kepler"``, ``"K2"``, ``"TESS"``, or None when the file does not say.
    ra, dec
        Coordinates in degrees, or None.
    mag
        Kepler (``KEPMAG``) or TESS (``TESSMAG``) magnitude, or None.
    """

    object_id: str
    mission: str | None = None
    ra: float | None = None
    dec: float | None = None
    mag: float | None = None


@dataclass(frozen=True, eq=False)
class LightCurveArrays:
    """A light curve as numpy arrays, after quality masking, with its metadata.

    Attributes
    ----------
    time
        Times in days (float64), in the file's own system: BKJD (BJD - 2454833) for Kepler and
        K2, BTJD (BJD - 2457000) for TESS; see ``time_format``.
    flux, flux_err
        Flux and its uncertainty (float64, NaN where missing); relative flux for a table of
        magnitudes.
    quality
        Quality flags (int64; zeros when the file has none).
    object_id, mission, ra, dec, mag
        See :class:`Target`.
    cadence_days
        Median time between consecutive cadences, or None for a single cadence.
    flux_column
        The column the flux was read from, in lower case (``"pdcsap_flux"``, ``"mag"``, ...).
    source
        The file it was read from.
    time_format
        The ``astropy.time.Time`` format of ``time`` (``"bkjd"``, ``"btjd"``, ``"jd"``,
        ``"mjd"``), or None when the file does not say.
    flux_unit
        The unit of ``flux`` (``"electron / s"``), or None (dimensionless or unknown).

    Examples
    --------
    >>> import numpy as np
    >>> arrays = assemble_arrays(
    ...     time=np.array([1.0, 1.5, 2.0]), flux=np.array([10.0, 11.0, 9.0]),
    ...     target=Target("my star"), flux_column="flux", source="star.csv")
    >>> len(arrays), arrays.cadence_days, arrays.meta["object_id"]
    (3, 0.5, 'my star')
    >>> arrays.to_lightcurve().flux.value
    array([10., 11.,  9.])
    """

    time: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    quality: np.ndarray
    object_id: str
    mission: str | None
    ra: float | None
    dec: float | None
    mag: float | None
    cadence_days: float | None
    flux_column: str
    source: str
    time_format: str | None = None
    flux_unit: str | None = None

    def __len__(self) -> int:
        return len(self.time)

    @property
    def meta(self) -> dict[str, Any]:
        """The metadata as set on ``LightCurve.meta``: exactly the keys of :data:`META_KEYS`."""
        return {key: getattr(self, key) for key in META_KEYS}

    def to_lightcurve(self) -> lk.LightCurve:
        """The same light curve as a ``lightkurve.LightCurve`` with ``meta`` set.

        Returns
        -------
        lightkurve.LightCurve
            Columns ``time`` (TDB; lightkurve's default format when ``time_format`` is None),
            ``flux``, ``flux_err`` (in ``flux_unit``) and ``quality``.
        """
        import astropy.units as u
        import lightkurve as lk  # registers the bkjd and btjd time formats
        from astropy.time import Time

        time = self.time
        if self.time_format is not None:
            time = Time(self.time, format=self.time_format, scale="tdb")
        unit = u.Unit(self.flux_unit) if self.flux_unit else u.dimensionless_unscaled
        light_curve = lk.LightCurve(
            time=time, flux=self.flux * unit, flux_err=self.flux_err * unit, meta=self.meta
        )
        light_curve["quality"] = self.quality
        return light_curve


def magnitudes_to_relative_flux(
    mag: np.ndarray, mag_err: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Convert magnitudes to flux relative to the median magnitude, propagating uncertainties.

    ``flux = 10 ** (-0.4 * (mag - median(mag)))`` and ``flux_err = 0.4 ln(10) flux mag_err``.

    Parameters
    ----------
    mag, mag_err
        Magnitudes and their uncertainties (NaN allowed).

    Returns
    -------
    tuple of numpy.ndarray
        Relative flux (1 at the median magnitude) and its uncertainty.

    Examples
    --------
    >>> flux, flux_err = magnitudes_to_relative_flux(np.array([12.0, 13.0, 14.5]), np.zeros(3))
    >>> flux.round(4)
    array([2.5119, 1.    , 0.2512])
    """
    flux = 10.0 ** (-0.4 * (mag - np.nanmedian(mag)))
    return flux, 0.4 * np.log(10.0) * flux * mag_err


def _as_quality(quality: ArrayLike | None, n_rows: int, source: str) -> np.ndarray:
    if quality is None:
        return np.zeros(n_rows, dtype=np.int64)
    values = np.asarray(quality)
    if values.dtype.kind == "f" and not np.all(np.isfinite(values) & (values == np.round(values))):
        raise InvalidLightCurve(source, "the quality column holds values that are not integers")
    return values.astype(np.int64)


def _cadence_days(time: np.ndarray) -> float | None:
    """Median time between consecutive cadences, in time order."""
    if len(time) < 2:
        return None
    steps = np.diff(time)
    if np.any(steps < 0):
        steps = np.diff(np.sort(time))
    return float(np.median(steps))


def _check_cadences(
    n_rows: int, n_kept: int, flux: np.ndarray, flux_column: str, bitmask: int, source: str
) -> None:
    """Raise unless at least one cadence with a finite flux is left."""
    if n_rows == 0:
        raise InvalidLightCurve(source, "the light-curve table has no rows")
    if n_kept == 0:
        raise InvalidLightCurve(
            source,
            f"all {n_rows} cadences were removed (time is NaN or a quality flag in bitmask "
            f"{bitmask} is set); try quality_bitmask='none'",
        )
    if not np.any(np.isfinite(flux)):
        raise InvalidLightCurve(
            source, f"all {len(flux)} values of flux column {flux_column!r} are NaN"
        )


def assemble_arrays(
    *,
    time: ArrayLike,
    flux: ArrayLike,
    target: Target,
    flux_column: str,
    source: str | PathLike[str],
    flux_err: ArrayLike | None = None,
    quality: ArrayLike | None = None,
    quality_bitmask: QualityBitmask = "default",
    time_format: str | None = None,
    flux_unit: str | None = None,
) -> LightCurveArrays:
    """Build a :class:`LightCurveArrays` from the raw columns of a table.

    Removes the cadences whose time is not finite (astropy ``Time`` cannot hold NaN) and those
    flagged by ``quality_bitmask`` (see :mod:`astrolens.sources.quality`), converts magnitudes to
    relative flux, then checks that a cadence with a finite flux is left.

    Parameters
    ----------
    time, flux
        One value per row.
    target
        Who the light curve is of.
    flux_column
        The name of the flux column, lower case; magnitudes when in ``MAGNITUDE_COLUMNS``.
    source
        The file the columns come from.
    flux_err, quality
        One value per row, or None when the table has no such column (NaN, zeros).
    quality_bitmask
        Named or integer bitmask of the quality flags that remove a cadence.
    time_format, flux_unit
        See :class:`LightCurveArrays`.

    Returns
    -------
    LightCurveArrays
        The cadences kept, as float64 (time, flux, flux_err) and int64 (quality) arrays.

    Raises
    ------
    InvalidLightCurve
        For an empty table, a non-integer quality column, no cadence left, or all-NaN flux.
    ValueError
        For an invalid ``quality_bitmask``.

    Examples
    --------
    >>> arrays = assemble_arrays(
    ...     time=[1.0, np.nan, 3.0, 4.0], flux=[5.0, 6.0, 7.0, 8.0], quality=[0, 0, 1, 0],
    ...     target=Target("KIC 1", mission="Kepler"), flux_column="sap_flux", source="k.fits")
    >>> arrays.time, arrays.flux
    (array([1., 4.]), array([5., 8.]))
    """
    source = str(source)
    bitmask = resolve_bitmask(quality_bitmask, target.mission)
    time = np.asarray(time, dtype=np.float64)
    n_rows = len(time)
    flux = np.asarray(flux, dtype=np.float64)
    flux_err = np.full(n_rows, np.nan) if flux_err is None else np.asarray(flux_err, np.float64)
    quality = _as_quality(quality, n_rows, source)
    keep = np.isfinite(time) & quality_mask(quality, bitmask)
    time, flux, flux_err, quality = time[keep], flux[keep], flux_err[keep], quality[keep]
    _check_cadences(n_rows, len(time), flux, flux_column, bitmask, source)
    if flux_column in MAGNITUDE_COLUMNS:
        flux, flux_err = magnitudes_to_relative_flux(flux, flux_err)
        flux_unit = None
    return LightCurveArrays(
        time=time,
        flux=flux,
        flux_err=flux_err,
        quality=quality,
        object_id=target.object_id,
        mission=target.mission,
        ra=target.ra,
        dec=target.dec,
        mag=target.mag,
        cadence_days=_cadence_days(time),
        flux_column=flux_column,
        source=source,
        time_format=time_format,
        flux_unit=flux_unit,
    )
