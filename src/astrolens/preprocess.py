"""Clean a light curve and put it on the uniform time grid that the wavelet transform needs.

The steps, each one function, composed by :func:`prepare`:

1. :func:`mask_bad` -- cadences with NaN time, flux or flux error, or a bad quality flag;
2. :func:`normalise` -- relative flux minus one, ``flux / median(flux) - 1``;
3. :func:`clip_outliers` -- isolated single-cadence outliers (cosmic rays), never longer events;
4. :func:`resample` -- bin-average onto one uniform grid shared by every mission (Kepler long
   cadence by default), interpolate across short gaps, flag long gaps as invalid;
5. :func:`detrend` (optional) -- running-median high-pass filter on the uniform grid.

Kepler long cadence (29.4 min), K2, TESS 2-min and TESS FFI cadences (10 min, 200 s) all end up on
the same 29.4-min grid, so the same star looks the same whichever mission observed it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.ndimage import median_filter

from astrolens.config import JsonConfig
from astrolens.errors import InvalidLightCurve
from astrolens.sources import limits
from astrolens.sources.quality import QualityBitmask, check_bitmask, quality_mask, resolve_bitmask

__all__ = [
    "KEPLER_LONG_CADENCE_DAYS",
    "PreprocessConfig",
    "UniformSeries",
    "clip_outliers",
    "detrend",
    "mask_bad",
    "normalise",
    "point_to_point_scatter",
    "prepare",
    "prepare_lightcurve",
    "resample",
    "robust_scatter",
]

KEPLER_LONG_CADENCE_DAYS = 29.4244 / (24 * 60)
"""Kepler/K2 long cadence, 29.4244 min in days: the default grid for every mission."""

_MAD_TO_SIGMA = 1.4826
"""Ratio of the standard deviation to the median absolute deviation of Gaussian noise."""


@dataclass(frozen=True)
class PreprocessConfig(JsonConfig):
    """How a light curve is cleaned and resampled; saved as JSON next to what it produced.

    Parameters
    ----------
    quality_bitmask
        Quality flags to drop, as for :func:`mask_bad`; a bitmask name means the bits of the
        ``"mission"`` meta entry (none for an unknown mission, so give an integer for arrays of
        unknown origin).
    clip_sigma
        Threshold of :func:`clip_outliers`, in units of the point-to-point scatter; ``None``
        disables clipping.
    clip_window_cadences
        Width, in cadences, of the running median that :func:`clip_outliers` compares against.
    detrend_window_days
        ``None`` keeps all variability; a number applies :func:`detrend` with this window, which
        keeps periods shorter than the window and removes slower trends.
    grid_cadence_days
        Spacing of the uniform output grid; Kepler long cadence by default for every mission.
    max_interp_gap_days
        Gaps in the data up to this long are linearly interpolated and count as valid; longer gaps
        are filled with 0 and flagged invalid.

    Examples
    --------
    >>> config = PreprocessConfig(detrend_window_days=2.0)
    >>> PreprocessConfig.from_dict(config.to_dict()) == config
    True
    >>> round(config.grid_cadence_days * 24 * 60, 4)
    29.4244
    """

    quality_bitmask: QualityBitmask = "default"
    clip_sigma: float | None = 5.0
    clip_window_cadences: int = 15
    detrend_window_days: float | None = None
    grid_cadence_days: float = KEPLER_LONG_CADENCE_DAYS
    max_interp_gap_days: float = 0.5

    def __post_init__(self) -> None:
        check_bitmask(self.quality_bitmask)
        if self.clip_sigma is not None and not self.clip_sigma > 0:
            raise ValueError(f"clip_sigma must be positive or None, got {self.clip_sigma}")
        if self.clip_window_cadences < 3:
            raise ValueError(f"clip_window_cadences must be >= 3, got {self.clip_window_cadences}")
        if self.detrend_window_days is not None and not self.detrend_window_days > 0:
            raise ValueError(
                f"detrend_window_days must be positive or None, got {self.detrend_window_days}"
            )
        if not self.grid_cadence_days > 0:
            raise ValueError(f"grid_cadence_days must be positive, got {self.grid_cadence_days}")
        if not self.max_interp_gap_days >= 0:
            raise ValueError(f"max_interp_gap_days must be >= 0, got {self.max_interp_gap_days}")


@dataclass(frozen=True, eq=False)
class UniformSeries:
    """A light curve on a uniform time grid, ready for the wavelet transform.

    Parameters
    ----------
    time_days
        Centres of the grid cells, in the time system of the input (e.g. BKJD, BTJD), uniformly
        spaced.
    flux
        Relative flux minus one (``flux / median - 1``) in each cell; 0 where ``valid`` is False.
    valid
        True where the cell holds data or lies in a short, interpolated gap.
    cadence_days
        Grid spacing.
    meta
        Passed through from the input: ``"object_id"``, ``"source"``, ``"mission"``, ...

    Examples
    --------
    >>> time, flux, valid = np.arange(4) * 0.5, np.zeros(4), np.ones(4, bool)
    >>> series = UniformSeries(time, flux, valid, 0.5, {"object_id": "X"})
    >>> series.baseline_days, series.object_id, series.source
    (2.0, 'X', 'X')
    """

    time_days: NDArray[np.float64]
    flux: NDArray[np.float64]
    valid: NDArray[np.bool_]
    cadence_days: float
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.time_days.shape == self.flux.shape == self.valid.shape):
            raise ValueError(
                f"time_days, flux and valid must have one shape, got {self.time_days.shape}, "
                f"{self.flux.shape} and {self.valid.shape}"
            )

    @property
    def baseline_days(self) -> float:
        """Time covered by the grid cells, first to last."""
        return float(self.time_days.size * self.cadence_days)

    @property
    def object_id(self) -> str | None:
        """The ``"object_id"`` meta entry, if any."""
        return self.meta.get("object_id")

    @property
    def source(self) -> str:
        """Where the light curve came from, for messages: meta ``"source"``, else the object id."""
        return _source(self.meta)


def _source(meta: Mapping[str, Any]) -> str:
    """What a light curve is called in messages: meta ``"source"``, else ``"object_id"``."""
    return str(meta.get("source") or meta.get("object_id") or "light curve")


def mask_bad(
    time: ArrayLike,
    flux: ArrayLike,
    flux_err: ArrayLike | None = None,
    quality: ArrayLike | None = None,
    bitmask: QualityBitmask = "default",
    mission: str | None = None,
) -> NDArray[np.bool_]:
    """Flag cadences that cannot be used.

    Parameters
    ----------
    time, flux, flux_err
        Cadences with a non-finite value in any of these are bad.
    quality
        Integer quality flags; cadences with any bit of the bitmask set are bad.
    bitmask, mission
        Quality bits to reject: an integer, or a lightkurve bitmask name (``"default"``, ``"hard"``,
        ``"hardest"``, ``"none"``) that means the bits of ``mission`` (``"Kepler"``, ``"K2"``,
        ``"TESS"``) and no bit for an unknown mission; see :mod:`astrolens.sources.quality`.

    Returns
    -------
    numpy.ndarray
        Boolean array, True for the cadences to drop.

    Examples
    --------
    >>> mask_bad([1.0, 2.0, 3.0], [1.0, np.nan, 1.0], quality=[0, 0, 32], mission="TESS").tolist()
    [False, True, True]
    """
    bad = ~np.isfinite(np.asarray(time, dtype=float)) | ~np.isfinite(np.asarray(flux, dtype=float))
    if flux_err is not None:
        bad |= ~np.isfinite(np.asarray(flux_err, dtype=float))
    if quality is not None:
        bad |= ~quality_mask(quality, resolve_bitmask(bitmask, mission))
    return bad


def normalise(flux: ArrayLike, source: str = "light curve") -> NDArray[np.float64]:
    """Relative flux minus one: ``flux / median(flux) - 1`` (0 is the median level, 0.01 is +1 %).

    Raises
    ------
    InvalidLightCurve
        If the median flux is not positive, where relative flux is undefined.

    Examples
    --------
    >>> normalise([50.0, 100.0, 150.0]).tolist()
    [-0.5, 0.0, 0.5]
    """
    flux = np.asarray(flux, dtype=float)
    finite = flux[np.isfinite(flux)]
    median = np.median(finite) if finite.size else np.nan
    if not median > 0:
        raise InvalidLightCurve(
            source,
            f"median flux is {median:g}, so relative flux is undefined; use a flux column with a "
            "positive level (e.g. PDCSAP or SAP flux, not a background-subtracted difference)",
        )
    return flux / median - 1.0


def clip_outliers(
    flux: ArrayLike, clip_sigma: float = 5.0, window_cadences: int = 15
) -> NDArray[np.bool_]:
    """Flag isolated single-cadence outliers (cosmic rays, glitches) in a time-ordered flux array.

    A cadence deviates if its residual from the running median of ``window_cadences`` cadences
    (mirrored at the ends) is more than ``clip_sigma`` times the point-to-point scatter (the robust
    standard deviation of consecutive differences over sqrt(2), which a strong but smooth signal
    only raises). It is flagged only if it is *isolated*: neither neighbour deviates in the same
    direction by more than half that threshold. A flare, eclipse or transit that moves two or more
    consecutive cadences is therefore kept, however deep, and so is the peak of smooth variability
    that the running median cannot follow; a flare shorter than one cadence looks like a cosmic ray
    and is clipped. The first and last cadence are never clipped, as nothing tells whether an
    event goes on beyond them.

    Returns
    -------
    numpy.ndarray
        Boolean array, True for the cadences to drop.

    Examples
    --------
    >>> flux = np.random.default_rng(0).normal(0.0, 1e-4, 30)
    >>> flux[5] = 0.01                 # a cosmic ray
    >>> flux[20:25] += 0.02            # a five-cadence flare
    >>> np.flatnonzero(clip_outliers(flux)).tolist()
    [5]
    """
    flux = np.asarray(flux, dtype=float)
    if flux.size < 3:
        return np.zeros(flux.shape, dtype=bool)
    residual = flux - median_filter(flux, size=window_cadences, mode="mirror")
    threshold = clip_sigma * point_to_point_scatter(flux)
    high = _isolated(residual > threshold, residual > threshold / 2)
    low = _isolated(residual < -threshold, residual < -threshold / 2)
    return high | low


def robust_scatter(values: NDArray[np.float64]) -> float:
    """Standard deviation of Gaussian noise estimated from the median absolute deviation.

    Examples
    --------
    >>> round(robust_scatter(np.random.default_rng(0).normal(0.0, 2.0, 100_000)), 1)
    2.0
    """
    return float(_MAD_TO_SIGMA * np.median(np.abs(values - np.median(values))))


def point_to_point_scatter(flux: NDArray[np.float64]) -> float:
    """The noise of one point from the scatter of consecutive differences (over sqrt 2), which
    variability slower than the spacing of the points does not inflate.

    Examples
    --------
    >>> time = np.linspace(0.0, 10.0, 100_000)
    >>> flux = np.sin(time) + np.random.default_rng(0).normal(0.0, 0.01, time.size)
    >>> round(point_to_point_scatter(flux), 3)
    0.01
    """
    return robust_scatter(np.diff(flux)) / float(np.sqrt(2))


def _isolated(deviant: NDArray[np.bool_], raised: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """True where ``deviant`` is set and neither neighbour is ``raised`` (never at the ends)."""
    isolated = deviant.copy()
    isolated[[0, -1]] = False
    isolated[1:] &= ~raised[:-1]
    isolated[:-1] &= ~raised[1:]
    return isolated


def resample(
    time: ArrayLike,
    flux: ArrayLike,
    cadence_days: float = KEPLER_LONG_CADENCE_DAYS,
    max_interp_gap_days: float = 0.5,
    meta: Mapping[str, Any] | None = None,
) -> UniformSeries:
    """Put a light curve on a uniform grid of cells ``cadence_days`` wide.

    The grid cells are ``[k, k + 1) * cadence_days`` for integer ``k`` (anchored at time zero, so
    light curves in the same time system share cells), from the cell of the first cadence to that of
    the last. Cadences are averaged per cell (flux and time), and the cell-centre values are
    linearly interpolated from these averages. For cadences much shorter than the grid this is the
    bin average; for cadences close to the grid (Kepler long cadence) it removes the sub-cell offset
    between the two clocks. Empty cells between two averages at most ``max_interp_gap_days`` apart
    are interpolated and valid; cells in longer gaps get flux 0 and ``valid=False``.

    Parameters
    ----------
    time, flux
        Finite values (see :func:`mask_bad`), any order; flux is usually relative (see
        :func:`normalise`).
    cadence_days
        Grid spacing.
    max_interp_gap_days
        Longest stretch between two data points that is interpolated.
    meta
        Copied into the result; its ``"source"`` (else ``"object_id"``) is named in errors.

    Raises
    ------
    InvalidLightCurve
        If a time is beyond :data:`~astrolens.sources.limits.MAX_ABS_TIME_DAYS` (or not finite),
        or the grid would have more cells than :data:`~astrolens.sources.limits.MAX_GRID_CELLS`;
        checked before the grid is made.
    ValueError
        If ``time`` and ``flux`` are empty or differ in shape.

    Examples
    --------
    >>> time = np.r_[0.05:1.0:0.1, 2.05:3.0:0.1]           # a one-day gap in the middle
    >>> series = resample(time, np.ones(time.size), cadence_days=0.1, max_interp_gap_days=0.5)
    >>> series.time_days.size, int(series.valid.sum()), float(series.flux[~series.valid].max())
    (30, 20, 0.0)
    """
    time = np.asarray(time, dtype=float)
    flux = np.asarray(flux, dtype=float)
    if time.size == 0 or time.shape != flux.shape:
        raise ValueError(f"need equal, non-empty time and flux, got {time.shape} and {flux.shape}")
    _check_grid(time, cadence_days, _source(meta or {}))
    cell = np.floor(time / cadence_days).astype(np.int64)
    first_cell = cell.min()
    cell -= first_cell
    n_cells = int(cell.max()) + 1
    counts = np.bincount(cell, minlength=n_cells)
    filled = counts > 0
    mean_time = np.bincount(cell, weights=time, minlength=n_cells)[filled] / counts[filled]
    mean_flux = np.bincount(cell, weights=flux, minlength=n_cells)[filled] / counts[filled]

    grid = (first_cell + np.arange(n_cells) + 0.5) * cadence_days
    after = np.clip(np.searchsorted(mean_time, grid), 1, mean_time.size - 1)
    bracket = mean_time[after] - mean_time[after - 1] if mean_time.size > 1 else np.zeros(1)
    valid = filled | (bracket <= max_interp_gap_days)
    grid_flux = np.where(valid, np.interp(grid, mean_time, mean_flux), 0.0)
    return UniformSeries(grid, grid_flux, valid, float(cadence_days), dict(meta or {}))


def _check_grid(time: NDArray[np.float64], cadence_days: float, source: str) -> None:
    """Refuse times that would make the grid of :func:`resample` too long, or its cells inexact."""
    advice = "a time value is corrupt, or the times are not in days"
    limits.check(
        source, "MAX_ABS_TIME_DAYS", float(np.abs(time).max()), "largest |time| in days", advice
    )
    first, last = float(time.min()), float(time.max())
    cells = np.floor(last / cadence_days) - np.floor(first / cadence_days) + 1
    limits.check(
        source,
        "MAX_GRID_CELLS",
        float(cells),
        f"cells of the {cadence_days * 24 * 60:.4g}-min grid from time {first:.6g} to {last:.6g} d",
        f"{advice}; a longer light curve needs a coarser grid (grid_cadence_days)",
    )


def detrend(series: UniformSeries, window_days: float) -> UniformSeries:
    """Remove variations slower than ``window_days`` with a running median (high-pass filter).

    The running median is taken over each stretch of valid cells separately (gaps never leak into
    it) and subtracted; periods shorter than the window survive, much longer ones are removed.

    Examples
    --------
    >>> time = np.arange(2000) * 0.02
    >>> fast, slow = 1e-3 * np.sin(2 * np.pi * time / 0.5), 1e-2 * time / time[-1]
    >>> series = UniformSeries(time, fast + slow, np.ones(time.size, bool), 0.02)
    >>> residual = detrend(series, window_days=2.0).flux - fast
    >>> bool(np.abs(residual[100:-100]).max() < 2e-4)
    True
    """
    size = max(3, round(window_days / series.cadence_days) | 1)
    trend = np.zeros_like(series.flux)
    for start, stop in _valid_runs(series.valid):
        trend[start:stop] = median_filter(series.flux[start:stop], size=size, mode="nearest")
    return dataclasses.replace(series, flux=np.where(series.valid, series.flux - trend, 0.0))


def _valid_runs(valid: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``(start, stop)`` index pairs of the runs of True in ``valid``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], valid.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def prepare(
    time: ArrayLike,
    flux: ArrayLike,
    flux_err: ArrayLike | None = None,
    quality: ArrayLike | None = None,
    config: PreprocessConfig = PreprocessConfig(),
    source: str = "light curve",
    meta: Mapping[str, Any] | None = None,
) -> UniformSeries:
    """Clean, normalise and resample a light curve given as arrays (time in days).

    Cadences are sorted by time and duplicated times dropped (the first is kept), then the steps of
    :func:`mask_bad`, :func:`normalise`, :func:`clip_outliers`, :func:`resample` and :func:`detrend`
    are applied as ``config`` says.

    Parameters
    ----------
    time, flux, flux_err, quality
        One value per cadence; ``flux_err`` and ``quality`` are optional. A ``flux_err`` of only
        NaN means unknown uncertainties (a table without that column) and masks no cadence.
    config
        Preprocessing settings.
    source
        Named in error messages (file name or object id).
    meta
        Passed through to the result; its ``"mission"`` entry selects the default quality bitmask.

    Raises
    ------
    InvalidLightCurve
        Empty input, arrays of different lengths, all-NaN flux, no cadence left after masking, a
        non-positive median flux, or times beyond the limits of :func:`resample`.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> time = np.arange(0.0, 27.0, 2 / 60 / 24)               # a TESS sector at 2-min cadence
    >>> flux = 1000 * (1 + 1e-3 * np.sin(2 * np.pi * time / 3.0)) + rng.normal(0, 0.5, time.size)
    >>> series = prepare(time, flux, meta={"object_id": "TIC 1"})
    >>> error = series.flux - 1e-3 * np.sin(2 * np.pi * series.time_days / 3.0)
    >>> series.time_days.size, bool(series.valid.all()), float(np.abs(error).max()) < 1e-3
    (1322, True, True)
    """
    time, flux, flux_err, quality = _sorted_unique(time, flux, flux_err, quality, source=source)
    if not np.isfinite(flux).any():
        raise InvalidLightCurve(source, "all flux values are NaN")
    if flux_err is not None and not np.isfinite(flux_err.astype(float)).any():
        flux_err = None
    meta = {"source": source, **(meta or {})}
    bitmask = config.quality_bitmask
    good = ~mask_bad(time, flux, flux_err, quality, bitmask, mission=meta.get("mission"))
    if not good.any():
        raise InvalidLightCurve(
            source,
            f"none of the {time.size} cadences is usable: each has a NaN time, flux or flux error, "
            f"or a quality flag in the {bitmask!r} bitmask",
        )
    time, flux = time[good], normalise(flux[good], source=source)
    if config.clip_sigma is not None:
        keep = ~clip_outliers(flux, config.clip_sigma, config.clip_window_cadences)
        time, flux = time[keep], flux[keep]
    series = resample(time, flux, config.grid_cadence_days, config.max_interp_gap_days, meta)
    if config.detrend_window_days is not None:
        series = detrend(series, config.detrend_window_days)
    return series


def _sorted_unique(
    time: ArrayLike, *columns: ArrayLike | None, source: str
) -> tuple[NDArray[Any], ...]:
    """Time and the given columns (None stays None) sorted by time, duplicated times dropped."""
    time = np.asarray(time, dtype=float).ravel()
    arrays = [None if column is None else np.asarray(column).ravel() for column in columns]
    if time.size == 0:
        raise InvalidLightCurve(source, "the light curve is empty (no cadences)")
    for name, array in zip(("flux", "flux_err", "quality"), arrays, strict=True):
        if array is not None and array.size != time.size:
            raise InvalidLightCurve(
                source, f"time has {time.size} values but {name} has {array.size}"
            )
    order = np.argsort(time, kind="stable")
    first = np.ones(time.size, dtype=bool)
    first[1:] = np.diff(time[order]) != 0
    order = order[first]
    return (time[order], *(None if array is None else array[order] for array in arrays))


def prepare_lightcurve(
    lc: Any,
    config: PreprocessConfig = PreprocessConfig(),
) -> UniformSeries:
    """:func:`prepare` for a :class:`lightkurve.LightCurve`.

    Uses the ``flux``, ``flux_err`` (ignored when all NaN) and ``quality`` columns, masked values
    counting as NaN, and the time in days of its own time system (BKJD, BTJD, ...). The object id
    and source for the result's meta and for error messages come from ``lc.meta`` (``"object_id"``,
    else ``"OBJECT"``/``"LABEL"``; ``"source"``, else ``"FILENAME"``), the mission from
    ``"mission"``/``"MISSION"``.

    Examples
    --------
    >>> import lightkurve as lk
    >>> time = 0.01 + np.arange(500) * KEPLER_LONG_CADENCE_DAYS
    >>> lc = lk.LightCurve(time=time, flux=np.full(500, 7.0), meta={"OBJECT": "KIC 1"})
    >>> series = prepare_lightcurve(lc)
    >>> series.object_id, series.time_days.size, float(np.abs(series.flux).max())
    ('KIC 1', 500, 0.0)
    """
    meta = lc.meta
    object_id = meta.get("object_id") or meta.get("OBJECT") or meta.get("LABEL")
    source = meta.get("source") or meta.get("FILENAME") or object_id or "light curve"
    mission = meta.get("mission") or meta.get("MISSION")
    series_meta = {
        key: str(value)
        for key, value in (("object_id", object_id), ("source", source), ("mission", mission))
        if value
    }
    quality = _filled(lc["quality"], fill=0) if "quality" in lc.colnames else None
    return prepare(
        _time_in_days(lc.time),
        _filled(lc.flux),
        _filled(lc.flux_err),
        None if quality is None else quality.astype(np.int64),
        config=config,
        source=str(source),
        meta=series_meta,
    )


def _filled(column: Any, fill: float = np.nan) -> NDArray[np.float64]:
    """A (possibly masked, possibly Quantity) column as float, masked entries set to ``fill``."""
    values = getattr(column, "value", column)
    data = np.array(getattr(values, "unmasked", values), dtype=float)
    data[np.asarray(getattr(values, "mask", False), dtype=bool)] = fill
    return data


def _time_in_days(time: Any) -> NDArray[np.float64]:
    """Times of an astropy ``Time`` in days of its own format (BKJD, BTJD, JD, MJD), else JD."""
    if getattr(time, "format", None) in {"bkjd", "btjd", "jd", "mjd", "tjd"}:
        return np.asarray(time.value, dtype=float)
    return np.asarray(time.jd, dtype=float)
