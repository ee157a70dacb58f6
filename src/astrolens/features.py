"""Hand-crafted light-curve features: the non-neural baseline embedding.

:func:`lightcurve_features` turns one cleaned light curve (relative flux, ``flux / median - 1``,
any sampling) into a fixed, ordered vector of the statistics a variable-star astronomer computes
first (Richards et al. 2011, ApJ 733, 10), most of them with the Rust extractors of the
``light-curve`` package (Malanchev et al. 2021, MNRAS 502, 5147). Standardised, the vector is an
embedding that needs no training. :data:`FEATURE_NAMES` names the entries, in order:

Periods (unweighted, floating-mean Lomb-Scargle periodogram)
    ``period_{1,2,3}_days_log10``, ``period_{1,2,3}_power``
        log10 of the period, in days, and the normalised power (fraction of the variance a sine
        explains, 0 to 1) of the three highest peaks, highest first. Peaks closer than
        1.5 / baseline in frequency to a higher one (its side lobes) are skipped. Periods are
        searched from one hour (or twice the cadence, if the sampling is regular and coarser) up
        to the baseline, on a grid oversampled at least 5 times, by the fast (NFFT) periodogram of
        ``light-curve``; each peak's frequency is refined by a parabola through the powers at its
        grid point and the two neighbours, and its power is then computed exactly.
    ``period_1_cycles_log10``
        log10 of the number of cycles of period 1 in the baseline: near 0, the period is barely
        constrained (a trend, or a slow variation seen once).

Amplitude (relative flux, log10)
    ``amplitude_5_95_log10``
        Range between the 5th and 95th flux percentiles.
    ``max_deviation_log10``
        Largest absolute deviation from the median flux (Richards' percent amplitude).
    ``std_log10``, ``mad_log10``
        Standard deviation; median absolute deviation from the median.

Shape of the flux distribution
    ``skewness_slog10``, ``kurtosis_slog10``
        Skewness and excess kurtosis, as ``sign(x) * log10(1 + |x|)``: eclipses give negative
        skewness (this is flux, not magnitude), flares positive, and both large kurtosis.
    ``flux_percentile_ratio_mid{20,35,50,65,80}``
        Richards' flux percentile ratios: the range between the 40th and 60th (32.5th and 67.5th,
        25th and 75th, 17.5th and 82.5th, 10th and 90th) percentiles over the 5-95 range.
    ``beyond_1_std``
        Fraction of points more than one standard deviation from the mean.
    ``median_buffer_fraction_10``
        Fraction of points within 0.1 times the half range, (max - min) / 2, of the median.
    ``stetson_k``
        Stetson's K, the mean absolute over the root-mean-square normalised deviation: 0.80 for
        Gaussian noise, 0.90 for a sine, lower for rare large excursions.

Variability and time structure
    ``reduced_chi2_log10``
        Reduced chi-squared of a constant (the weighted mean) given the flux errors.
    ``von_neumann_eta_log10``, ``von_neumann_eta_e_log10``
        Von Neumann's ratio of the mean squared successive difference to the variance: 2 for white
        noise, near 0 for variability slower than the cadence; ``eta_e`` divides each difference
        by its time step, for irregular sampling (Kim et al. 2014).
    ``max_slope_log10``
        Largest absolute flux change between consecutive points per day.
    ``linear_trend_r``
        Correlation coefficient of flux with time (-1 to 1): the linear trend's share of the
        variability.
    ``cusum``
        Range of the cumulative sum of the standardised flux (0 to 1): high for a drift or step.

Fourier shape at period 1 (3-harmonic least-squares fit ``A_k sin(2 pi k t / P + phi_k)``)
    ``fourier_amplitude_1_log10``
        Semi-amplitude ``A_1`` of the fundamental, relative flux.
    ``fourier_r21``, ``fourier_r31``
        Amplitude ratios ``A_2 / A_1`` and ``A_3 / A_1`` (Simon & Lee 1981), clipped at 10; these
        and the phase differences are 0 if ``A_1`` is below ``LOG_FLOOR``.
    ``fourier_phi21_cos``, ``fourier_phi21_sin``, ``fourier_phi31_cos``, ``fourier_phi31_sin``
        Cosine and sine of the phase differences ``phi_21 = phi_2 - 2 phi_1`` and
        ``phi_31 = phi_3 - 3 phi_1``, continuous where the phase wraps. Sine series in flux: in
        magnitudes (flux upside down) ``phi_21`` is larger by pi and ``phi_31`` is the same.
    ``fourier_explained_variance``
        Fraction of the variance the 3-harmonic fit explains.
    ``folded_p2p_scatter_over_mad``
        Median absolute flux difference between consecutive points of the light curve folded at
        period 1, over the median absolute deviation (Richards' ``p2p_scatter_pfold_over_mad``):
        near 0 for a clean periodic signal, about 1.4 for white noise; clipped at 10, and 0 if the
        median absolute deviation is below ``LOG_FLOOR``.

Conventions
-----------
Nothing depends on the time origin or on the order of the points. Points closer than
``MERGE_DAYS`` in time are averaged into one. Without flux errors, every point gets the robust
point-to-point scatter: 1.4826 times the median absolute deviation of consecutive differences over
sqrt(2), but at least a millionth of the standard deviation and at least ``LOG_FLOOR`` (so that
log10 chi-squared is at most about 12). Sparse sampling of a large variation inflates this
estimate, so the chi-squared then measures less. The periodogram and the Fourier fit are unweighted.

Every entry is finite. Undefined values (0 / 0, as for the shape of a constant light curve) are 0;
log10 of a quantity below ``LOG_FLOOR`` is log10(``LOG_FLOOR``) = -8 (a constant light curve).
A missing periodogram peak (a baseline no longer than the shortest period searched, or fewer than
three peaks in the range) has period log10 0, power 0 and cycles 0; without period 1 the Fourier
amplitude is log10(``LOG_FLOOR``) and the other Fourier features are 0. With a few tens of points
the 7-parameter Fourier fit is poorly constrained.

Examples
--------
>>> time = np.arange(0.0, 27.0, 2 / 1440 * 15)             # 30-min cadence, 27 days
>>> flux = 0.01 * np.sin(2 * np.pi * time / 3.7)
>>> features = dict(zip(FEATURE_NAMES, lightcurve_features(time, flux)))
>>> round(float(10 ** features["period_1_days_log10"]), 3)
3.7
>>> round(float(features["period_1_power"]), 3)
1.0
>>> round(float(features["fourier_amplitude_1_log10"]), 3)          # log10(0.01)
-2.0
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import light_curve as lc
import numpy as np
from numpy.typing import ArrayLike, NDArray

from astrolens.errors import InvalidLightCurve

__all__ = [
    "FEATURE_NAMES",
    "LOG_FLOOR",
    "MERGE_DAYS",
    "MIN_PERIOD_DAYS",
    "MIN_POINTS",
    "features_of_many",
    "lightcurve_features",
]

MIN_POINTS = 10
"""Fewest distinct finite points a light curve must have."""

MIN_PERIOD_DAYS = 1 / 24
"""Shortest period searched, one hour (longer if regular sampling is coarser)."""

MERGE_DAYS = 1e-8
"""Points closer than this in time (about 1 ms) are averaged into one."""

LOG_FLOOR = 1e-8
"""Smallest value whose log10 is taken; smaller (zero) values give log10(LOG_FLOOR)."""

_N_PEAKS = 3
_N_HARMONICS = 3
_OVERSAMPLING = 5
"""Fewest frequency grid points per periodogram resolution element (1 / baseline)."""
_MAX_GRID_EXPONENT = 20
"""At most 2**20 grid frequencies; longer baselines (over a century) are searched more coarsely."""
_CACHED_GRID_EXPONENT = 16
"""Grids of up to 2**16 frequencies (a few years of nightly epochs, a Kepler quarter) are kept."""
_PEAK_EXCLUSION = 1.5
"""Peaks closer than this many resolution elements to a higher one are its side lobes."""
_MAX_RATIO = 10.0
_MAD_TO_SIGMA = 1.4826
_MIN_NOISE_FRACTION = 1e-6
"""The noise estimated without flux errors is at least this fraction of the standard deviation."""

_PERIOD_NAMES = (
    *(f"period_{k}_{what}" for k in range(1, _N_PEAKS + 1) for what in ("days_log10", "power")),
    "period_1_cycles_log10",
)
_DISTRIBUTION_NAMES = (
    "amplitude_5_95_log10",
    "max_deviation_log10",
    "std_log10",
    "mad_log10",
    "skewness_slog10",
    "kurtosis_slog10",
    "flux_percentile_ratio_mid20",
    "flux_percentile_ratio_mid35",
    "flux_percentile_ratio_mid50",
    "flux_percentile_ratio_mid65",
    "flux_percentile_ratio_mid80",
    "beyond_1_std",
    "median_buffer_fraction_10",
    "stetson_k",
    "reduced_chi2_log10",
    "von_neumann_eta_log10",
    "von_neumann_eta_e_log10",
    "max_slope_log10",
    "linear_trend_r",
    "cusum",
)
_FOURIER_NAMES = (
    "fourier_amplitude_1_log10",
    "fourier_r21",
    "fourier_r31",
    "fourier_phi21_cos",
    "fourier_phi21_sin",
    "fourier_phi31_cos",
    "fourier_phi31_sin",
    "fourier_explained_variance",
    "folded_p2p_scatter_over_mad",
)

FEATURE_NAMES: tuple[str, ...] = _PERIOD_NAMES + _DISTRIBUTION_NAMES + _FOURIER_NAMES
"""Names of the entries of :func:`lightcurve_features`, in order (see the module docstring)."""

_EXTRACTOR = lc.Extractor(
    lc.InterPercentileRange(0.05),
    lc.PercentAmplitude(),
    lc.StandardDeviation(),
    lc.MedianAbsoluteDeviation(),
    lc.Skew(),
    lc.Kurtosis(),
    *(lc.MagnitudePercentageRatio(q, 0.05) for q in (0.40, 0.325, 0.25, 0.175, 0.10)),
    lc.BeyondNStd(1.0),
    lc.MedianBufferRangePercentage(0.1),
    lc.StetsonK(),
    lc.ReducedChi2(),
    lc.Eta(),
    lc.EtaE(),
    lc.MaximumSlope(),
    lc.LinearTrend(),
    lc.Cusum(),
)
"""The light-curve extractors, in the order of ``_DISTRIBUTION_NAMES``."""

_KEPT_COLUMNS = [
    i
    for i, name in enumerate(_EXTRACTOR.names)
    if name not in ("linear_trend_sigma", "linear_trend_noise")
]
"""Columns of the extractor's output that are features (not the slope's error or residuals)."""

_LOG_ENTRIES = [i for i, name in enumerate(_DISTRIBUTION_NAMES) if name.endswith("_log10")]
_SLOG_ENTRIES = [i for i, name in enumerate(_DISTRIBUTION_NAMES) if name.endswith("_slog10")]
_SLOPE_ENTRY = _DISTRIBUTION_NAMES.index("linear_trend_r")


def lightcurve_features(
    time_days: ArrayLike,
    flux: ArrayLike,
    flux_err: ArrayLike | None = None,
    *,
    source: str = "light curve",
) -> NDArray[np.float64]:
    """The hand-crafted feature vector of one light curve, named by :data:`FEATURE_NAMES`.

    Parameters
    ----------
    time_days
        Times in days, any origin and order, regular or irregular.
    flux
        Relative flux, ``flux / median - 1``.
    flux_err
        Flux errors; ``None`` gives every point the robust point-to-point scatter.
    source
        Names the light curve in error messages.

    Returns
    -------
    numpy.ndarray
        Float64 array of ``len(FEATURE_NAMES)`` finite values.

    Raises
    ------
    InvalidLightCurve
        If the arrays differ in shape or are not 1-D, if fewer than ``MIN_POINTS`` distinct points
        have finite time and flux (and finite, positive error), or if the time span is zero.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> time = np.sort(rng.uniform(0.0, 1000.0, 200))               # sparse, ground-based
    >>> flux = 0.2 * np.sin(2 * np.pi * time / 0.61) + rng.normal(0.0, 0.02, 200)
    >>> values = lightcurve_features(time, flux)
    >>> values.shape == (len(FEATURE_NAMES),), bool(np.isfinite(values).all())
    (True, True)
    >>> round(float(10 ** values[FEATURE_NAMES.index("period_1_days_log10")]), 4)
    0.61
    """
    time, values, errors = _clean(time_days, flux, flux_err, source)
    time = time - time[0]
    if errors is None:
        errors = np.full(values.size, _robust_noise(values))
    peak_freqs, peak_powers = _period_search(time, values)
    period = 1.0 / peak_freqs[0] if peak_powers[0] > 0 else None
    return np.concatenate(
        [
            _period_features(peak_freqs, peak_powers, time[-1]),
            _distribution_features(time, values, errors),
            _fourier_features(time, values, period),
        ]
    )


def features_of_many(
    series: Sequence[tuple[ArrayLike, ArrayLike, ArrayLike | None]],
) -> NDArray[np.float64]:
    """:func:`lightcurve_features` of many light curves, one row each.

    Parameters
    ----------
    series
        ``(time_days, flux, flux_err)`` triples; ``flux_err`` may be ``None``.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(len(series), len(FEATURE_NAMES))``.

    Raises
    ------
    InvalidLightCurve
        As :func:`lightcurve_features`, naming the light curve by its index.

    Examples
    --------
    >>> time = np.linspace(0.0, 10.0, 500)
    >>> series = [(time, a * np.sin(2 * np.pi * time / 1.3), None) for a in (0.01, 0.1)]
    >>> rows = features_of_many(series)
    >>> rows.shape == (2, len(FEATURE_NAMES))
    True
    >>> std_log10 = rows[:, FEATURE_NAMES.index("std_log10")]      # ten times the amplitude
    >>> round(float(std_log10[1] - std_log10[0]), 6)
    1.0
    """
    rows = [
        lightcurve_features(time, flux, flux_err, source=f"light curve {i}")
        for i, (time, flux, flux_err) in enumerate(series)
    ]
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))


# --- input ----------------------------------------------------------------------------------------


def _clean(
    time_days: ArrayLike, flux: ArrayLike, flux_err: ArrayLike | None, source: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """Check the arrays, drop unusable points, sort by time and merge coincident points."""
    time = np.asarray(time_days, dtype=np.float64)
    values = np.asarray(flux, dtype=np.float64)
    errors = None if flux_err is None else np.asarray(flux_err, dtype=np.float64)
    shapes = [a.shape for a in (time, values, errors) if a is not None]
    if time.ndim != 1 or len(set(shapes)) != 1:
        named = "time_days, flux and flux_err" if errors is not None else "time_days and flux"
        raise InvalidLightCurve(source, f"{named} must be 1-D with one shape, got {shapes}")
    usable = np.isfinite(time) & np.isfinite(values)
    if errors is not None:
        usable &= np.isfinite(errors) & (errors > 0)
    _check_count(int(usable.sum()), time.size, errors is not None, source)
    order = np.argsort(time[usable], kind="stable")
    time, values = time[usable][order], values[usable][order]
    errors = None if errors is None else errors[usable][order]
    if time[-1] == time[0]:
        raise InvalidLightCurve(source, f"zero time span: all {time.size} points are at one time")
    if np.any(np.diff(time) < MERGE_DAYS):
        time, values, errors = _merge_close(time, values, errors)
        if time.size < MIN_POINTS:
            raise InvalidLightCurve(
                source,
                f"too few distinct times: {time.size} after averaging points closer than "
                f"{MERGE_DAYS:g} d; need at least {MIN_POINTS}",
            )
    return time, values, errors


def _check_count(n_usable: int, n_total: int, has_errors: bool, source: str) -> None:
    """Raise if fewer than ``MIN_POINTS`` points are usable, saying what they lack."""
    if n_usable >= MIN_POINTS:
        return
    needs = "finite time and flux" + (" and a finite, positive flux_err" if has_errors else "")
    if n_total == 0:
        raise InvalidLightCurve(source, f"no points; need at least {MIN_POINTS}")
    if n_usable == 0:
        raise InvalidLightCurve(source, f"no finite points: none of {n_total} has {needs}")
    raise InvalidLightCurve(
        source, f"too few points: {n_usable} of {n_total} have {needs}; need at least {MIN_POINTS}"
    )


def _merge_close(
    time: NDArray[np.float64], values: NDArray[np.float64], errors: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """Average runs of sorted points closer than ``MERGE_DAYS`` (errors add in quadrature / n)."""
    group = np.concatenate([[0], np.cumsum(np.diff(time) >= MERGE_DAYS)])
    counts = np.bincount(group).astype(np.float64)
    mean_time = np.bincount(group, weights=time) / counts
    mean_values = np.bincount(group, weights=values) / counts
    if errors is None:
        return mean_time, mean_values, None
    return mean_time, mean_values, np.sqrt(np.bincount(group, weights=errors**2)) / counts


def _robust_noise(values: NDArray[np.float64]) -> float:
    """Per-point noise from the scatter of consecutive differences (see the module docstring)."""
    steps = np.diff(values)
    sigma = _MAD_TO_SIGMA * float(np.median(np.abs(steps - np.median(steps)))) / np.sqrt(2)
    return max(sigma, _MIN_NOISE_FRACTION * float(np.std(values)), LOG_FLOOR)


# --- periods --------------------------------------------------------------------------------------


def _period_search(
    time: NDArray[np.float64], values: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Frequencies (cycles per day) and powers of the highest periodogram peaks; 0 where none."""
    freqs, powers = np.zeros(_N_PEAKS), np.zeros(_N_PEAKS)
    baseline = time[-1]
    top_freq = 1.0 / _shortest_period(time)
    if top_freq * baseline <= 1.0:
        return freqs, powers
    exponent = int(np.ceil(np.log2(top_freq * baseline * _OVERSAMPLING)))
    exponent = min(max(exponent, 6), _MAX_GRID_EXPONENT)
    grid, grid_power = _periodogram(exponent, top_freq).freq_power(time, values)
    grid = grid / (2 * np.pi)
    chosen = np.array(_highest_peaks(grid, grid_power, 1.0 / baseline, top_freq), dtype=int)
    if chosen.size:
        step = grid[1] - grid[0]
        exact = _exact_power_around(time, values - values.mean(), grid[chosen], step)
        offset, peak_power = _parabola_vertex(exact)
        freqs[: chosen.size] = np.clip(grid[chosen] + offset * step, 1.0 / baseline, top_freq)
        powers[: chosen.size] = peak_power
    return freqs, powers


def _shortest_period(time: NDArray[np.float64]) -> float:
    """One hour, or twice the median time step if the sampling is regular and coarser."""
    tenth, median = np.quantile(np.diff(time), [0.1, 0.5])
    return max(MIN_PERIOD_DAYS, 2 * median) if tenth >= 0.5 * median else MIN_PERIOD_DAYS


def _periodogram(exponent: int, top_freq: float) -> lc.Periodogram:
    """Fast periodogram on ``2**exponent + 1`` angular frequencies from 0 to ``top_freq``; kept
    for the next light curve when the grid is small (the grids of a survey's few cadences and
    baselines), made anew when it is large (a rare long baseline must not stay in memory)."""
    if exponent <= _CACHED_GRID_EXPONENT:
        return _cached_periodogram(exponent, top_freq)
    return _new_periodogram(exponent, top_freq)


def _new_periodogram(exponent: int, top_freq: float) -> lc.Periodogram:
    angular = np.linspace(0.0, 2 * np.pi * top_freq, 2**exponent + 1)
    return lc.Periodogram(freqs=angular, fast=True, normalization="standard")


_cached_periodogram = lru_cache(maxsize=8)(_new_periodogram)


def _highest_peaks(
    grid: NDArray[np.float64], power: NDArray[np.float64], low: float, high: float
) -> list[int]:
    """Grid indices of the highest local maxima in ``[low, high]``, side lobes skipped."""
    step = grid[1] - grid[0]
    first = max(int(np.ceil((low - grid[0]) / step - 1e-9)), 1)
    last = min(int(np.floor((high - grid[0]) / step + 1e-9)), grid.size - 2)
    middle = power[first : last + 1]
    is_peak = (middle > power[first - 1 : last]) & (middle >= power[first + 1 : last + 2])
    candidates = np.flatnonzero(is_peak) + first
    candidates = candidates[np.argsort(-power[candidates], kind="stable")]
    chosen: list[int] = []
    for index in candidates:
        if all(abs(grid[index] - grid[c]) > _PEAK_EXCLUSION * low for c in chosen):
            chosen.append(int(index))
            if len(chosen) == _N_PEAKS:
                break
    return chosen


def _exact_power_around(
    time: NDArray[np.float64], centred: NDArray[np.float64], freqs: NDArray[np.float64], step: float
) -> NDArray[np.float64]:
    """Exact power at ``freqs - step``, ``freqs`` and ``freqs + step``, one row per frequency.

    The floating-mean Lomb-Scargle power needs the sums of ``z = exp(2 pi i f t)``, of ``z**2``
    and of ``y z`` (whose real and imaginary parts are the sums of cos, sin and their products);
    the neighbours' phasors are ``z`` times ``exp(+-2 pi i step t)``.
    """
    phasor = _phasors(2 * np.pi * freqs[:, None] * time)
    shift = _phasors(2 * np.pi * step * time)
    shifts = np.column_stack([shift.conj(), np.ones(time.size), shift])
    first = phasor @ shifts
    second = (phasor * phasor) @ (shifts * shifts)
    data = phasor @ (centred[:, None] * shifts)
    return _lomb_scargle_power(first, second, data, centred)


def _phasors(phase: NDArray[np.float64]) -> NDArray[np.complex128]:
    """``exp(i phase)``, from a sine and a cosine (faster than numpy's complex exp)."""
    phasors = np.empty(phase.shape, dtype=np.complex128)
    phasors.real = np.cos(phase)
    phasors.imag = np.sin(phase)
    return phasors


def _lomb_scargle_power(
    first: NDArray[np.complex128],
    second: NDArray[np.complex128],
    data: NDArray[np.complex128],
    centred: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Floating-mean Lomb-Scargle power (variance explained, 0 to 1) from the phasor sums."""
    total = float(centred @ centred)
    if not total > 0:
        return np.zeros(first.shape)
    n = centred.size
    cc = 0.5 * (n + second.real) - first.real**2 / n
    ss = 0.5 * (n - second.real) - first.imag**2 / n
    sc = 0.5 * second.imag - first.real * first.imag / n
    yc, ys = data.real, data.imag
    det = ss * cc - sc**2
    with np.errstate(divide="ignore", invalid="ignore"):
        explained = (cc * ys**2 - 2 * sc * ys * yc + ss * yc**2) / det
    explained = np.where(det > 1e-12 * np.abs(ss * cc), explained, 0.0)
    return np.clip(explained / total, 0.0, 1.0)


def _parabola_vertex(
    power: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vertex offsets (in grid steps, within +-0.5) and heights of parabolas through rows of 3."""
    left, middle, right = power.T
    curvature = left - 2 * middle + right
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    offset = np.clip(offset, -0.5, 0.5)
    height = middle + 0.5 * offset * (right - left) + 0.5 * offset**2 * curvature
    return offset, np.clip(height, 0.0, 1.0)


def _period_features(
    freqs: NDArray[np.float64], powers: NDArray[np.float64], baseline: float
) -> NDArray[np.float64]:
    """Log10 periods and powers of the peaks, then log10 of the cycles of period 1 seen."""
    found = powers > 0
    log_periods = np.where(found, -np.log10(np.where(found, freqs, 1.0)), 0.0)
    pairs = np.column_stack([log_periods, np.where(found, powers, 0.0)]).ravel()
    cycles = np.log10(max(freqs[0] * baseline, 1.0)) if found[0] else 0.0
    return np.append(pairs, cycles)


# --- flux distribution and time structure ---------------------------------------------------------


def _distribution_features(
    time: NDArray[np.float64], values: NDArray[np.float64], errors: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The ``light-curve`` statistics, in the order of ``_DISTRIBUTION_NAMES``, transformed."""
    raw = _EXTRACTOR(time, values, errors, sorted=True, check=False, fill_value=np.nan)
    out = raw[_KEPT_COLUMNS]
    out[_LOG_ENTRIES] = _log10(out[_LOG_ENTRIES])
    out[_SLOG_ENTRIES] = np.sign(out[_SLOG_ENTRIES]) * np.log10(1.0 + np.abs(out[_SLOG_ENTRIES]))
    out[_SLOPE_ENTRY] = _correlation_from_slope(out[_SLOPE_ENTRY], time, values)
    return np.where(np.isfinite(out), out, 0.0)


def _correlation_from_slope(
    slope: float, time: NDArray[np.float64], values: NDArray[np.float64]
) -> float:
    """Pearson correlation of flux with time, from the least-squares slope."""
    spread = float(np.std(values))
    if not (spread > 0 and np.isfinite(slope)):
        return 0.0
    return float(np.clip(slope * np.std(time) / spread, -1.0, 1.0))


def _log10(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """log10, floored at log10(``LOG_FLOOR``); NaN stays NaN."""
    with np.errstate(invalid="ignore"):
        return np.log10(np.where(np.isnan(x), np.nan, np.maximum(x, LOG_FLOOR)))


# --- Fourier shape at the best period -------------------------------------------------------------


def _fourier_features(
    time: NDArray[np.float64], values: NDArray[np.float64], period: float | None
) -> NDArray[np.float64]:
    """Fundamental amplitude, R21, R31, phase differences, explained variance, folded scatter."""
    out = np.zeros(len(_FOURIER_NAMES))
    out[0] = np.log10(LOG_FLOOR)
    if period is None:
        return out
    amplitudes, phases, explained = _harmonic_fit(time, values, period)
    out[0] = _log10(amplitudes[:1])[0]
    if amplitudes[0] > LOG_FLOOR:
        out[1:3] = np.minimum(amplitudes[1:] / amplitudes[0], _MAX_RATIO)
        differences = phases[1:] - np.arange(2, _N_HARMONICS + 1) * phases[0]
        out[3:7] = np.column_stack([np.cos(differences), np.sin(differences)]).ravel()
    out[7] = explained
    out[8] = _folded_scatter(time, values, period)
    return np.where(np.isfinite(out), out, 0.0)


def _harmonic_fit(
    time: NDArray[np.float64], values: NDArray[np.float64], period: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """Amplitudes ``A_k`` and phases ``phi_k`` of ``sum A_k sin(2 pi k t / P + phi_k)``, and R^2."""
    design = _harmonic_design(2 * np.pi * time / period)
    # normal equations: 7 unknowns, a well-conditioned basis, and min-norm if singular
    coefficients = np.linalg.lstsq(design.T @ design, design.T @ values, rcond=None)[0]
    sin_part, cos_part = coefficients[1 : 1 + _N_HARMONICS], coefficients[1 + _N_HARMONICS :]
    total = float(np.sum((values - values.mean()) ** 2))
    residual = float(np.sum((values - design @ coefficients) ** 2))
    explained = float(np.clip(1.0 - residual / total, 0.0, 1.0)) if total > 0 else 0.0
    return np.hypot(sin_part, cos_part), np.arctan2(cos_part, sin_part), explained


def _harmonic_design(phase: NDArray[np.float64]) -> NDArray[np.float64]:
    """Columns 1, sin(k phase) for k = 1..3, cos(k phase) for k = 1..3 (multiple-angle formulas)."""
    sin1, cos1 = np.sin(phase), np.cos(phase)
    sin2, cos2 = 2 * sin1 * cos1, cos1 * cos1 - sin1 * sin1
    sin3, cos3 = sin2 * cos1 + cos2 * sin1, cos2 * cos1 - sin2 * sin1
    return np.column_stack([np.ones(phase.size), sin1, sin2, sin3, cos1, cos2, cos3])


def _folded_scatter(time: NDArray[np.float64], values: NDArray[np.float64], period: float) -> float:
    """Median absolute difference of phase-consecutive points over the median absolute deviation."""
    mad = float(np.median(np.abs(values - np.median(values))))
    if not mad > LOG_FLOOR:
        return 0.0
    folded = values[np.argsort(np.mod(time / period, 1.0), kind="stable")]
    return min(float(np.median(np.abs(np.diff(folded)))) / mad, _MAX_RATIO)
