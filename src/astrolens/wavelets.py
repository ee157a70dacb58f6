"""Morlet wavelet power images of light curves, computed with FFTs.

The continuous wavelet transform (Torrence & Compo 1998) of a uniformly sampled light curve is
computed with one forward FFT of the zero-padded series, a precomputed bank of Morlet filters
(cached per series length, cadence, periods and ``omega0``, up to :data:`FILTER_CACHE_BYTES`) and
one batched inverse FFT, all in single precision.

Normalisation
-------------
The power at scale ``s`` and time ``t`` is ``P(s, t) = |W(s, t)|**2 / s``, rectified as Liu et al.
(2007) propose so that equal amplitudes give equal power at every period, and scaled so that a sine
of semi-amplitude ``A`` (in relative flux) has ``P ~ A**2 / 2`` on the row of its period. This is
Torrence & Compo's eq. 4 divided by ``s`` and multiplied by ``dt / sqrt(pi)``, so that it does not
depend on the cadence ``dt``. White noise of standard deviation ``sigma`` has a mean power of
``sigma**2 * dt / (sqrt(pi) * s)``.

Scales and periods are related by the exact Morlet Fourier factor,
``period = 4 * pi * s / (omega0 + sqrt(2 + omega0**2))`` (Torrence & Compo's, where the power
before rectification peaks). The rectified power of a sine peaks 1.4 % lower, at
``period = 2 * pi * s / omega0``; rows of the default grid are 11 % apart.

Power images
------------
:func:`power_image` pools the power onto a fixed grid: rows are the ``n_periods`` log-spaced periods
of :class:`WaveletConfig` (row 0 = shortest period; use ``origin="lower"`` in ``imshow`` to put long
periods on top), columns are ``n_time_bins`` equal time bins over the series' baseline. A pixel is
the log10 of the mean power of the valid samples in its bin, mapped linearly from the fixed
``log10_power_range`` to [0, 1] and clipped: the amplitude is physical information, so images are
never normalised one by one. A sample is valid if it lies at least ``coi_factor * s`` (the Morlet
e-folding time, for the default ``sqrt(2)``) from both ends of the series and from every long gap
(the cone of influence); a pixel is valid if at least half of its bin's (kept) samples are.
Invalid pixels are 0. With ``gap_tolerance`` > 0, a long gap cuts only the rows whose period is
shorter than ``1 / gap_tolerance`` times the gap (the transform runs across the gap, filled by
linear interpolation), so that a TESS sector's one-day downlink gap does not hide periods of a
week.

The power of a row changes on the time scale of its period, so a row is computed only at every
``step``-th sample, the largest power of two that leaves at least 4 samples per period and 4 per
time bin: exact coefficients at those samples, from an inverse FFT ``step`` times shorter. The
mean of a bin is over these kept samples; it differs from the mean over every sample by about the
noise of such a mean (a pure sine gives the same pixel), at a fraction of the cost.

Harmonic coherence
------------------
Power drops the phase, yet the phases of a pulsation's harmonics tell classes apart that have the
same period and power spectrum: the Fourier phase difference ``phi21`` separates fundamental-mode
from overtone Cepheids and RR Lyrae stars (Simon & Lee 1981). With ``harmonic_phase``, each row
also gets the normalised bicoherence of its coefficients with those of the row of half its period
(:func:`harmonic_coherence`): modulus ~1 and argument ``phi21`` for a periodic signal with
harmonics, near 0 for noise or stochastic variability.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from astrolens.config import JsonConfig, stable_key
from astrolens.errors import CacheError, InvalidLightCurve
from astrolens.files import written_atomically
from astrolens.preprocess import PreprocessConfig, UniformSeries, prepare
from astrolens.sources import limits

__all__ = [
    "FILTER_CACHE_BYTES",
    "FILTER_CACHE_ENTRY_BYTES",
    "PowerImage",
    "WaveletCache",
    "WaveletConfig",
    "fourier_factor",
    "harmonic_coherence",
    "morlet_power",
    "morlet_transform",
    "power_image",
    "power_images",
    "transform",
]

_CACHE_FORMAT = 2
"""Version of the algorithm and file layout; part of every cache key."""


@dataclass(frozen=True)
class WaveletConfig(JsonConfig):
    """How power images are computed; saved as JSON next to them, hashed into the cache key.

    Parameters
    ----------
    n_periods
        Number of image rows: periods log-spaced from ``period_min_days`` to ``period_max_days``.
    period_min_days, period_max_days
        The fixed, absolute period grid shared by every mission, so the same star lands on the same
        rows whether Kepler or TESS observed it. Periods near the grid's Nyquist period (58.8 min
        for the Kepler long-cadence grid) are attenuated.
    n_time_bins
        Number of image columns: equal time bins over the baseline.
    omega0
        Morlet non-dimensional frequency.
    log10_power_range
        log10 power mapped to 0 and 1 (powers outside are clipped). The default spans 3 ppm to a
        semi-amplitude of 4.5 times the mean flux, so that even large-amplitude Miras keep their
        amplitude.
    coi_factor
        A sample is inside the cone of influence when it is closer than ``coi_factor * scale`` to an
        end of the series or a long gap.
    gap_tolerance
        A long gap shorter than ``gap_tolerance`` times a row's period does not cut that row: the
        transform runs across it (the gap filled by linear interpolation), as a day-long downlink
        gap hardly changes the power of a 10-day signal. 0 makes every long gap cut every row.
    harmonic_phase
        Also compute :attr:`PowerImage.harmonic`, the harmonic coherence of each pixel with the
        pixel of half its period (see :func:`harmonic_coherence`).

    Examples
    --------
    >>> config = WaveletConfig(n_periods=8, period_min_days=1.0, period_max_days=128.0)
    >>> config.periods_days.round(6).tolist()
    [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]
    >>> WaveletConfig.from_dict(config.to_dict()) == config
    True
    >>> config.key() == config.key(PreprocessConfig())
    False
    """

    n_periods: int = 64
    period_min_days: float = 1 / 24
    period_max_days: float = 30.0
    n_time_bins: int = 64
    omega0: float = 6.0
    log10_power_range: tuple[float, float] = (-11.0, 1.0)
    coi_factor: float = math.sqrt(2)
    gap_tolerance: float = 0.25
    harmonic_phase: bool = True

    @property
    def period_range_days(self) -> tuple[float, float]:
        """Shortest and longest period of the image rows."""
        return (self.period_min_days, self.period_max_days)

    def __post_init__(self) -> None:
        low, high = (float(value) for value in self.log10_power_range)
        object.__setattr__(self, "log10_power_range", (low, high))
        if self.n_periods < 1 or self.n_time_bins < 1:
            raise ValueError(
                f"n_periods and n_time_bins must be >= 1, got {self.n_periods}, {self.n_time_bins}"
            )
        if not 0 < self.period_min_days < self.period_max_days:
            raise ValueError(
                "need 0 < period_min_days < period_max_days, got "
                f"{self.period_min_days} and {self.period_max_days}"
            )
        if not low < high:
            raise ValueError(f"log10_power_range must be increasing, got {(low, high)}")
        if not (self.omega0 > 0 and self.coi_factor > 0):
            raise ValueError(
                f"omega0 and coi_factor must be positive, got {self.omega0}, {self.coi_factor}"
            )
        if not self.gap_tolerance >= 0:
            raise ValueError(f"gap_tolerance must be >= 0, got {self.gap_tolerance}")

    @property
    def periods_days(self) -> NDArray[np.float64]:
        """The image rows' periods in days, shortest first."""
        return np.geomspace(self.period_min_days, self.period_max_days, self.n_periods)

    @property
    def harmonic_offset(self) -> int:
        """Rows between a period and (the row nearest to) half of it.

        Examples
        --------
        >>> octaves = WaveletConfig(n_periods=8, period_min_days=1.0, period_max_days=128.0)
        >>> WaveletConfig().harmonic_offset, octaves.harmonic_offset
        (7, 1)
        """
        if self.n_periods < 2:
            return 1
        row_ratio = math.log(self.period_max_days / self.period_min_days) / (self.n_periods - 1)
        return max(1, round(math.log(2.0) / row_ratio))

    def key(self, preprocess: PreprocessConfig | None = None) -> str:
        """Short stable hash of this configuration and, if given, the preprocessing before it."""
        return stable_key(
            {
                "format": _CACHE_FORMAT,
                "wavelet": self.to_dict(),
                "preprocess": None if preprocess is None else preprocess.to_dict(),
            }
        )


@dataclass(frozen=True, eq=False)
class PowerImage:
    """A fixed-size wavelet power image of one light curve.

    Parameters
    ----------
    image
        ``(n_periods, n_time_bins)`` float32 in [0, 1]; row 0 is the shortest period, column 0 the
        earliest time bin; 0 where ``mask`` is False.
    mask
        Same shape, True where the pixel is valid (outside the cone of influence and long gaps).
    periods_days
        Period of each row.
    time_edges_days
        ``n_time_bins + 1`` edges of the time bins.
    object_id
        Identifier of the light curve, if known.
    meta
        Passed through from the :class:`~astrolens.preprocess.UniformSeries`.
    harmonic
        ``(2, n_periods, n_time_bins)`` float32 in [-1, 1], or None if the configuration does not
        ask for it: real and imaginary part of :func:`harmonic_coherence` of each row with the row
        :attr:`WaveletConfig.harmonic_offset` below it (half the period), over the row's samples
        outside the cone of influence, repeated on the row's valid pixels; 0 where ``mask`` is
        False and on the rows that have no row below them. A phase needs cycles to be measured:
        over a baseline of only a few periods even noise can look coherent.

    Examples
    --------
    >>> from astrolens.preprocess import resample
    >>> time = np.arange(0.0, 27.0, 0.0204)
    >>> image = power_image(resample(time, 1e-3 * np.sin(time), meta={"object_id": "TIC 1"}))
    >>> image.object_id, image.periods_days.size, image.time_edges_days.size
    ('TIC 1', 64, 65)
    >>> bool(image.mask[0].all()), bool(image.mask[-1].any())  # 1 hour fits, 30 days does not
    (True, False)
    """

    image: NDArray[np.float32]
    mask: NDArray[np.bool_]
    periods_days: NDArray[np.float64]
    time_edges_days: NDArray[np.float64]
    object_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    harmonic: NDArray[np.float32] | None = None


def fourier_factor(omega0: float = 6.0) -> float:
    """Ratio of Fourier period to Morlet scale (Torrence & Compo 1998, table 1).

    Examples
    --------
    >>> round(fourier_factor(6.0), 3)
    1.033
    """
    return 4 * math.pi / (omega0 + math.sqrt(2 + omega0**2))


def morlet_transform(
    flux: ArrayLike, cadence_days: float, periods_days: ArrayLike, omega0: float = 6.0
) -> NDArray[np.complex64]:
    """Complex Morlet wavelet coefficients of a uniformly sampled series (rectified scaling).

    ``abs(...)**2`` is :func:`morlet_power`; the phase of a coefficient is the phase of the
    signal's component near the row's period at that time.

    Parameters
    ----------
    flux
        Uniformly sampled relative flux, finite (fill gaps with 0).
    cadence_days
        Sampling interval.
    periods_days
        Fourier periods of the rows.
    omega0
        Morlet non-dimensional frequency.

    Returns
    -------
    numpy.ndarray
        ``(len(periods_days), len(flux))`` complex64.

    Examples
    --------
    >>> time = np.arange(4096) * 0.02
    >>> coefficients = morlet_transform(np.cos(2 * np.pi * time / 2.0 + 0.5), 0.02, [2.0])
    >>> round(float(np.angle(coefficients[0, 2000] * np.exp(-2j * np.pi * time[2000] / 2.0))), 2)
    0.5
    """
    flux = np.asarray(flux, dtype=np.float32)
    if flux.ndim != 1 or flux.size == 0 or not np.isfinite(flux).all():
        raise InvalidLightCurve(
            "flux", "need a non-empty 1-D array of finite values (fill gaps with 0)"
        )
    periods = tuple(float(period) for period in np.atleast_1d(periods_days))
    n_fft = _fft_length(flux.size)
    bank, _ = _FILTER_BANKS.get((n_fft, float(cadence_days), periods, float(omega0)))
    return _coefficients(flux, bank, n_fft)


def morlet_power(
    flux: ArrayLike, cadence_days: float, periods_days: ArrayLike, omega0: float = 6.0
) -> NDArray[np.float32]:
    """Rectified Morlet wavelet power of a uniformly sampled series, at full time resolution.

    See the module documentation for the normalisation: a sine of semi-amplitude ``A`` gives a power
    of about ``A**2 / 2`` on the row of its period. Parameters as for :func:`morlet_transform`.

    Returns
    -------
    numpy.ndarray
        ``(len(periods_days), len(flux))`` float32 power.

    Examples
    --------
    >>> time = np.arange(4096) * 0.02
    >>> power = morlet_power(0.01 * np.sin(2 * np.pi * time / 2.0), 0.02, [0.5, 2.0, 8.0])
    >>> [round(float(row), 2) for row in power[:, 2048] / (0.01**2 / 2)]
    [0.0, 0.99, 0.0]
    """
    power = np.abs(morlet_transform(flux, cadence_days, periods_days, omega0))
    return np.square(power, out=power)


def _fft_length(n_samples: int, multiple: int = 1) -> int:
    """FFT length: the series and half its length in zeros, rounded up to a fast size times
    ``multiple`` (so that a row kept every ``multiple`` samples has an inverse FFT of its own).

    The transform is circular. A scale that leaves any pixel outside the cone of influence is at
    most ``n_samples / (2 * sqrt(2))`` samples, so the zeros keep the far end of the series at
    least ``2 * sqrt(2)`` scales from every such pixel: it enters with an amplitude weight below
    ``exp(-4) = 0.018``. (A quarter of the length would be 15 % faster, but errs by up to 0.4 dex
    in faint pixels near the cone.)
    """
    padded = n_samples + n_samples // 2
    return multiple * scipy.fft.next_fast_len(-(-padded // multiple))


_NEGLIGIBLE_GAIN = 1e-12
"""Filter gains below this are set to zero: far below float32 precision, and as subnormal float32
numbers they would slow the FFTs down many times over."""


FILTER_CACHE_BYTES = 32 * 2**20
"""Most bytes of Morlet filter banks kept from one transform to the next (32 MiB).

A bank is made per FFT length, cadence, periods and ``omega0``: 0.9 MB for a Kepler quarter on
the default grid, 0.2 MB for a TESS sector. The least recently used banks are dropped first;
whatever light curves come, the banks kept take no more than this."""

FILTER_CACHE_ENTRY_BYTES = 8 * 2**20
"""Largest filter bank kept (8 MiB: a series of up to about 40,000 samples, 2.2 years at the
default grid, nine Kepler quarters). A longer series is rare, and its bank is made for its
transform and freed with it, so that a server given light curves of ever new lengths keeps
no more than a few of the common ones."""

_BankKey = tuple[int, float, tuple[float, ...], float]
"""``(n_fft, cadence_days, periods_days, omega0)``: what a filter bank is made for."""

_Filters = tuple[NDArray[np.float32], NDArray[np.int64]]
"""A filter bank and its reach."""


class _FilterBanks:
    """Filter banks and their reach by :data:`_BankKey`, at most :data:`FILTER_CACHE_BYTES`
    of them, least recently used dropped first; safe to share between threads.

    Attributes
    ----------
    nbytes
        Bytes held.

    Examples
    --------
    >>> banks = _FilterBanks()
    >>> bank, reach = banks.get((1024, 0.02, (1.0, 2.0), 6.0))
    >>> bank.shape, bank.flags.writeable, banks.nbytes == bank.nbytes + reach.nbytes
    ((2, 513), False, True)
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[_BankKey, _Filters] = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = 0

    def get(self, key: _BankKey) -> _Filters:
        """The filter bank (:func:`_filter_bank`) and reach (:func:`_filter_reach`) for ``key``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
        bank = _filter_bank(*key)
        entry = (bank, _filter_reach(bank))
        self._keep(key, entry)
        return entry

    def _keep(self, key: _BankKey, entry: _Filters) -> None:
        size = sum(array.nbytes for array in entry)
        with self._lock:
            if size > min(FILTER_CACHE_ENTRY_BYTES, FILTER_CACHE_BYTES) or key in self._entries:
                return
            while self._entries and self.nbytes + size > FILTER_CACHE_BYTES:
                _, dropped = self._entries.popitem(last=False)
                self.nbytes -= sum(array.nbytes for array in dropped)
            self._entries[key] = entry
            self.nbytes += size


def _filter_bank(
    n_fft: int, cadence_days: float, periods_days: tuple[float, ...], omega0: float
) -> NDArray[np.float32]:
    """Rectified Morlet filters on the non-negative FFT frequencies, one row per period (read-only).

    The Morlet wavelet is analytic: its filter is zero at negative frequencies (and at zero
    frequency), so only ``n_fft // 2 + 1`` columns are stored. The gain of a row,
    ``sqrt(2) * exp(-(scale * angular_frequency - omega0)**2 / 2)``, is computed only in the band
    of frequencies where it can reach :data:`_NEGLIGIBLE_GAIN` (with a margin of a factor e), one
    row at a time: the values are those of the whole formula, at a fraction of its time and
    memory for a long series.
    """
    angular_frequency = 2 * np.pi * scipy.fft.rfftfreq(n_fft, d=cadence_days)
    scales = np.asarray(periods_days) / fourier_factor(omega0)
    half_width = math.sqrt(-2 * (math.log(_NEGLIGIBLE_GAIN / math.sqrt(2)) - 1))
    starts = np.searchsorted(angular_frequency, (omega0 - half_width) / scales, side="left")
    stops = np.searchsorted(angular_frequency, (omega0 + half_width) / scales, side="right")
    bank = np.zeros((scales.size, angular_frequency.size), dtype=np.float32)
    for row, (scale, start, stop) in enumerate(zip(scales, starts, stops, strict=True)):
        band = angular_frequency[start:stop]
        gain = np.sqrt(2.0) * np.exp(-0.5 * (scale * band - omega0) ** 2)
        gain[gain < _NEGLIGIBLE_GAIN] = 0.0
        bank[row, start:stop] = gain
    bank[:, 0] = 0.0
    bank.flags.writeable = False
    return bank


def _filter_reach(bank: NDArray[np.float32]) -> NDArray[np.int64]:
    """One past the last non-zero frequency of each filter of a bank (read-only)."""
    nonzero = bank != 0
    last = nonzero.shape[1] - np.argmax(nonzero[:, ::-1], axis=1)
    reach = np.where(nonzero.any(axis=1), last, 0)
    reach.flags.writeable = False
    return reach


_FILTER_BANKS = _FilterBanks()
"""The filter banks of this process."""


def _coefficients(
    flux: NDArray[np.float32], bank: NDArray[np.float32], n_fft: int
) -> NDArray[np.complex64]:
    """Complex wavelet coefficients ``W`` of ``flux`` through each filter of ``bank``: one FFT, one
    batched inverse FFT."""
    spectrum = scipy.fft.rfft(flux, n=n_fft, workers=1)
    filtered = np.empty((bank.shape[0], n_fft), dtype=np.complex64)
    np.multiply(bank, spectrum, out=filtered[:, : spectrum.size])
    filtered[:, spectrum.size :] = 0.0
    return scipy.fft.ifft(filtered, axis=1, overwrite_x=True, workers=1)[:, : flux.size]


def harmonic_coherence(
    coefficients: ArrayLike, offset: int, weights: ArrayLike | None = None
) -> NDArray[np.complex64]:
    """How coherently each row's signal is phase-locked to its first harmonic, and at which phase.

    For rows ``r >= offset``, with ``W`` the complex coefficients at row ``r`` (period ``P``) and
    ``V`` those at row ``r - offset`` (period ``P / 2``), this is the normalised bicoherence

    ``sum(V * conj(W)**2) / sqrt(sum(|V|**2) * sum(|W|**4))``

    over the time axis (weighted by ``weights``). A periodic signal with a first harmonic gives a
    value of modulus near 1 whose argument is the Fourier phase difference
    ``phi21 = phi2 - 2 * phi1`` (a Morlet coefficient's phase follows the signal's phase at every
    scale), the quantity that tells Cepheids from RR Lyrae stars of the same period; noise and
    non-periodic variability give values near 0 when the series spans many periods (over a few
    periods there are too few independent samples to tell). Rows below ``offset`` are 0.

    Parameters
    ----------
    coefficients
        ``(n_rows, n_samples)`` complex wavelet coefficients, rows ordered by period.
    offset
        Rows between a period and half of it (:attr:`WaveletConfig.harmonic_offset`).
    weights
        ``(n_rows, n_samples)`` weights (e.g. 1 for samples outside the cone of influence, else 0).

    Returns
    -------
    numpy.ndarray
        ``(n_rows,)`` complex64 of modulus <= 1.

    Examples
    --------
    >>> time = np.arange(4096) * 0.02
    >>> flux = np.cos(2 * np.pi * time / 2.0) + 0.3 * np.cos(4 * np.pi * time / 2.0 + 1.0)
    >>> coefficients = morlet_transform(flux, 0.02, [1.0, 2.0])
    >>> value = harmonic_coherence(coefficients[:, 500:-500], offset=1)[1]
    >>> round(float(abs(value)), 2), round(float(np.angle(value)), 2)  # phi21 = 1 - 2 * 0
    (1.0, 1.0)
    """
    coefficients = np.asarray(coefficients, dtype=np.complex64)
    weights = np.ones(coefficients.shape, np.float32) if weights is None else np.asarray(weights)
    out = np.zeros(coefficients.shape[0], dtype=np.complex64)
    if offset >= coefficients.shape[0]:
        return out
    rows = _DecimatedRows.every_sample(coefficients, weights.astype(np.float32))
    out[offset:] = _normalised_coherence(*rows.harmonic_sums(offset))
    return out


def _normalised_coherence(
    products: NDArray[np.complex64], lower_power: NDArray[Any], upper_power: NDArray[Any]
) -> NDArray[np.complex64]:
    """``products / sqrt(lower_power * upper_power)``, 0 where the denominator is 0."""
    denominator = np.sqrt(lower_power.astype(np.float64) * upper_power.astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(denominator > 0, products / denominator, 0.0)
    return value.astype(np.complex64)


def power_image(series: UniformSeries, config: WaveletConfig = WaveletConfig()) -> PowerImage:
    """The fixed-size wavelet power image of a uniformly sampled light curve.

    See the module documentation for rows, columns, pixel values and the cone of influence.

    Raises
    ------
    InvalidLightCurve
        If the series has fewer valid samples than ``config.n_time_bins``, or no pixel of the image
        is outside the cone of influence (the light curve, or every stretch of it between long gaps,
        is too short for the shortest period); if it has more samples than
        :data:`~astrolens.sources.limits.MAX_GRID_CELLS` or a relative flux beyond
        :data:`~astrolens.sources.limits.MAX_RELATIVE_FLUX` (checked before the transform).

    Examples
    --------
    >>> from astrolens.preprocess import resample
    >>> time = np.arange(0.0, 90.0, 0.0204)                        # a Kepler quarter
    >>> series = resample(time, 1e-3 * np.sin(2 * np.pi * time / 2.0), meta={"object_id": "KIC 1"})
    >>> image = power_image(series)
    >>> image.image.shape, image.image.dtype, image.object_id
    ((64, 64), dtype('float32'), 'KIC 1')
    >>> peak_row = image.image.sum(axis=1).argmax()
    >>> round(float(image.periods_days[peak_row]), 2)
    1.99
    """
    cadence = series.cadence_days
    limits.check(series.source, "MAX_GRID_CELLS", series.flux.size, "samples of the series")
    n_valid = int(np.count_nonzero(series.valid))
    if n_valid < config.n_time_bins:
        raise InvalidLightCurve(
            series.source,
            f"only {n_valid} valid samples ({n_valid * cadence:.2f} d at {cadence * 1440:.1f}-min "
            f"cadence, baseline {series.baseline_days:.2f} d); the wavelet transform needs at "
            f"least {config.n_time_bins} ({config.n_time_bins * cadence:.2f} d)",
        )
    limits.check(
        series.source,
        "MAX_RELATIVE_FLUX",
        float(np.abs(series.flux).max()),
        "largest |relative flux| (flux / median - 1) on the grid",
        "a flux value is corrupt",
    )
    periods = config.periods_days
    reach = config.coi_factor * periods / fourier_factor(config.omega0)
    valid_samples = _valid_samples(series.valid, reach, periods, config.gap_tolerance, cadence)
    rows_with_valid = np.flatnonzero(valid_samples.any(axis=1))
    if rows_with_valid.size == 0:
        raise _too_short_for_transform(series, config, 2 * reach[0])
    n_rows = int(rows_with_valid[-1]) + 1
    flux = series.flux.astype(np.float32)
    if config.gap_tolerance > 0 and not series.valid.all():
        samples = np.arange(flux.size)
        flux = np.interp(samples, samples[series.valid], flux[series.valid]).astype(np.float32)
    time_edges, starts = _time_bins(series, config.n_time_bins)
    rows = _transform_rows(
        flux, cadence, periods[:n_rows], config.omega0, starts, valid_samples[:n_rows]
    )
    mean_power, pixel_valid = rows.pool(starts)
    if not pixel_valid.any():
        raise _too_short_for_transform(series, config, 2 * reach[0])
    mask = np.zeros((config.n_periods, config.n_time_bins), dtype=bool)
    mask[:n_rows] = pixel_valid
    image = np.zeros(mask.shape, dtype=np.float32)
    image[:n_rows] = np.where(pixel_valid, _scaled_log_power(mean_power, config), 0.0)
    harmonic = None
    if config.harmonic_phase:
        harmonic = np.zeros((2, *mask.shape), dtype=np.float32)
        offset = config.harmonic_offset
        if offset < n_rows:
            sums = rows.harmonic_sums(offset)
            coherence = np.where(pixel_valid[offset:], _normalised_coherence(*sums)[:, None], 0.0)
            harmonic[0, offset:n_rows] = coherence.real
            harmonic[1, offset:n_rows] = coherence.imag
    return PowerImage(
        image,
        mask,
        periods,
        time_edges,
        object_id=series.object_id,
        meta=dict(series.meta),
        harmonic=harmonic,
    )


_SAMPLES_PER_PERIOD = 4
"""A row is sampled at least this many times per period (see :func:`_transform_rows`)."""

_SAMPLES_PER_BIN = 4
"""... and at least this many times per time bin."""


@dataclass(frozen=True, eq=False)
class _DecimatedRows:
    """Wavelet coefficients of the rows of an image, each row kept every ``steps[row]`` samples.

    Rows sharing a step form a group: ``groups[i]`` holds the coefficients of the rows
    ``group_rows[i]`` at samples ``0, step, 2 * step, ...`` of the series, ``powers[i]`` their
    power, ``valid[i]`` the weight of each sample (1 outside the cone of influence, else 0) and
    ``valid_powers[i]`` the product of the two. Made by :func:`_transform_rows`, or
    :meth:`every_sample`.
    """

    steps: NDArray[np.int64]
    group_rows: list[NDArray[np.int64]]
    groups: list[NDArray[np.complex64]]
    powers: list[NDArray[np.float32]]
    valid: list[NDArray[np.float32]]
    valid_powers: list[NDArray[np.float32]]

    @classmethod
    def every_sample(
        cls, coefficients: NDArray[np.complex64], weights: NDArray[np.float32]
    ) -> _DecimatedRows:
        """All rows at every sample: one group with step 1."""
        power = np.square(np.abs(coefficients))
        steps = np.ones(coefficients.shape[0], dtype=np.int64)
        rows = np.arange(coefficients.shape[0])
        return cls(steps, [rows], [coefficients], [power], [weights], [power * weights])

    def pool(self, starts: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Mean power of the valid kept samples of each time bin (bins begin at full-resolution
        samples ``starts``), and which bins are valid: at least half of their kept samples."""
        n_rows = self.steps.size
        mean_power = np.zeros((n_rows, starts.size))
        pixel_valid = np.zeros((n_rows, starts.size), dtype=bool)
        for rows, valid, valid_power in zip(
            self.group_rows, self.valid, self.valid_powers, strict=True
        ):
            group_starts = -(-starts // self.steps[rows[0]])
            bin_sizes = np.diff(np.append(group_starts, valid.shape[1]))
            sums = np.add.reduceat(valid_power, group_starts, axis=1)
            counts = np.add.reduceat(valid, group_starts, axis=1)
            mean_power[rows] = sums / np.maximum(counts, 1)
            pixel_valid[rows] = 2 * counts >= bin_sizes
        return mean_power, pixel_valid

    def harmonic_sums(
        self, offset: int
    ) -> tuple[NDArray[np.complex64], NDArray[np.float32], NDArray[np.float32]]:
        """Weighted sums over time of ``V conj(W)**2``, ``|V|**2`` and ``|W|**4`` for the rows ``W``
        from ``offset`` on, ``V`` the row ``offset`` below, over the kept samples of ``W`` (``V``,
        kept at least as often, is taken at the same samples), weighted by those of ``W``."""
        n_rows = self.steps.size
        group_of = np.empty(n_rows, dtype=np.int64)
        index_in_group = np.empty(n_rows, dtype=np.int64)
        for group, rows in enumerate(self.group_rows):
            group_of[rows] = group
            index_in_group[rows] = np.arange(rows.size)
        upper_rows = np.arange(offset, n_rows)
        products = np.zeros(n_rows - offset, dtype=np.complex64)
        lower_power = np.zeros(n_rows - offset, dtype=np.float32)
        upper_power = np.zeros(n_rows - offset, dtype=np.float32)
        n_groups = len(self.groups)
        pairs = group_of[upper_rows] * n_groups + group_of[upper_rows - offset]
        weighted_conjugate_squares = [
            np.square(np.conj(coefficients)) * valid
            for coefficients, valid in zip(self.groups, self.valid, strict=True)
        ]
        for pair in np.unique(pairs).tolist():
            block = upper_rows[pairs == pair]
            upper_group, lower_group = divmod(pair, n_groups)
            upper_index, lower_index = index_in_group[block], index_in_group[block - offset]
            ratio = int(self.steps[block[0]] // self.steps[block[0] - offset])
            lower = self.groups[lower_group][lower_index, ::ratio]
            out = block - offset
            products[out] = np.einsum(
                "ij,ij->i", lower, weighted_conjugate_squares[upper_group][upper_index]
            )
            lower_power[out] = np.einsum(
                "ij,ij->i",
                self.powers[lower_group][lower_index, ::ratio],
                self.valid[upper_group][upper_index],
            )
            upper_power[out] = np.einsum(
                "ij,ij->i",
                self.powers[upper_group][upper_index],
                self.valid_powers[upper_group][upper_index],
            )
        return products, lower_power, upper_power


def _transform_rows(
    flux: NDArray[np.float32],
    cadence: float,
    periods_days: NDArray[np.float64],
    omega0: float,
    starts: NDArray[np.int64],
    valid_samples: NDArray[np.bool_],
) -> _DecimatedRows:
    """Wavelet coefficients and power of each period row, each at the time resolution it needs.

    The power of a row varies on the time scale of its period, so a row is kept only every
    ``step`` samples, the largest power of two that leaves at least :data:`_SAMPLES_PER_PERIOD`
    samples per period and :data:`_SAMPLES_PER_BIN` per time bin (bins begin at ``starts``). The
    kept samples are computed exactly, with an inverse FFT ``step`` times shorter: a row's filter
    is zero beyond ``n_fft / step`` frequencies (the step is halved where it is not).
    ``valid_samples`` (rows, samples) marks the samples outside the cone of influence.
    """
    bin_samples = int(np.diff(np.append(starts, flux.size)).min())
    limit = np.minimum(
        periods_days / (_SAMPLES_PER_PERIOD * cadence), bin_samples / _SAMPLES_PER_BIN
    )
    steps = 2 ** np.floor(np.log2(np.maximum(limit, 1.0))).astype(np.int64)
    n_fft = _fft_length(flux.size, int(steps.max()))
    bank, reach = _FILTER_BANKS.get((n_fft, cadence, tuple(periods_days.tolist()), omega0))
    while np.any(steps * reach > n_fft):
        steps = np.where(steps * reach > n_fft, steps // 2, steps)
    spectrum = scipy.fft.rfft(flux, n=n_fft, workers=1)
    group_rows, groups, powers, valid, valid_powers = [], [], [], [], []
    for step in np.unique(steps).tolist():
        rows = np.flatnonzero(steps == step)
        length, width = n_fft // step, min(n_fft // step, spectrum.size)
        filtered = np.empty((rows.size, length), dtype=np.complex64)
        np.multiply(bank[rows, :width], spectrum[:width] / step, out=filtered[:, :width])
        filtered[:, width:] = 0.0
        kept = -(-flux.size // step)
        coefficients = scipy.fft.ifft(filtered, axis=1, overwrite_x=True, workers=1)[:, :kept]
        power = np.abs(coefficients)
        np.square(power, out=power)
        group_valid = valid_samples[rows, ::step].astype(np.float32)
        group_rows.append(rows)
        groups.append(coefficients)
        powers.append(power)
        valid.append(group_valid)
        valid_powers.append(power * group_valid)
    return _DecimatedRows(steps, group_rows, groups, powers, valid, valid_powers)


def _valid_samples(
    valid: NDArray[np.bool_],
    reach_days: NDArray[np.float64],
    periods_days: NDArray[np.float64],
    tolerance: float,
    cadence: float,
) -> NDArray[np.bool_]:
    """Which samples of each row are outside the cone of influence ``(rows, samples)``.

    A sample is valid on a row when it is at least the row's ``reach_days`` from every invalid
    sample that cuts the row, counting the samples just outside both ends as invalid. Every row is
    cut by the runs of invalid samples at the ends of the series and, inside it, by the runs longer
    than ``tolerance`` times the row's period (every run for ``tolerance = 0``). Each row is the
    stretches between its cuts, shortened at both ends: a few slice assignments per row.
    """
    n_samples = valid.size
    edges = np.diff(np.concatenate([[1], valid.astype(np.int8), [1]]))
    run_starts, run_stops = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    interior = (run_starts > 0) & (run_stops < n_samples)
    run_days = (run_stops - run_starts) * cadence
    # the fewest samples d from an invalid one with d * cadence >= reach, as a float comparison
    min_samples = np.ceil(reach_days / cadence).astype(np.int64)
    min_samples += min_samples * cadence < reach_days
    min_samples -= (min_samples - 1) * cadence >= reach_days
    cuts_by_row = ~interior | (run_days > tolerance * periods_days[:, None])
    cut_rows = [tuple(cuts) for cuts in cuts_by_row.tolist()]
    out = np.zeros((periods_days.size, n_samples), dtype=bool)
    stretches: dict[tuple[bool, ...], list[tuple[int, int]]] = {}
    for row, (cuts, distance) in enumerate(zip(cut_rows, min_samples.tolist(), strict=True)):
        if cuts not in stretches:
            stretch_starts = [0, *run_stops[list(cuts)].tolist()]
            stretch_stops = [*run_starts[list(cuts)].tolist(), n_samples]
            stretches[cuts] = list(zip(stretch_starts, stretch_stops, strict=True))
        for start, stop in stretches[cuts]:
            if start + distance - 1 < stop - distance + 1:
                out[row, start + distance - 1 : stop - distance + 1] = True
    return out


def _time_bins(series: UniformSeries, n_bins: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Edges of ``n_bins`` equal time bins over the series' baseline and each bin's first sample."""
    cadence = series.cadence_days
    steps = np.arange(n_bins + 1) * (series.baseline_days / n_bins)
    time_edges = series.time_days[0] - cadence / 2 + steps
    return time_edges, np.searchsorted(series.time_days, time_edges[:-1])


def _too_short_for_transform(
    series: UniformSeries, config: WaveletConfig, needed_days: float
) -> InvalidLightCurve:
    """The error for a series without any pixel outside the cone of influence."""
    return InvalidLightCurve(
        series.source,
        f"no pixel of the power image is outside the cone of influence: baseline "
        f"{series.baseline_days:.2f} d, and the shortest period ({config.period_min_days:.3g} d) "
        f"needs a stretch of at least {needed_days:.2f} d without gaps longer than the "
        "interpolation limit",
    )


def _scaled_log_power(power: NDArray[np.floating], config: WaveletConfig) -> NDArray[np.float32]:
    """``clip((log10(power) - low) / (high - low), 0, 1)`` as float32 (power 0 maps to 0)."""
    low, high = config.log10_power_range
    with np.errstate(divide="ignore"):
        log_power = np.log10(power)
    return np.clip((log_power - low) / (high - low), 0.0, 1.0).astype(np.float32)


def power_images(
    series_iterable: Iterable[UniformSeries],
    config: WaveletConfig = WaveletConfig(),
    progress: bool = True,
) -> NDArray[np.float32]:
    """Power images (without masks) of many light curves, stacked, with a progress bar.

    Returns
    -------
    numpy.ndarray
        ``(N, n_periods, n_time_bins)`` float32.

    Examples
    --------
    >>> from astrolens.preprocess import resample
    >>> time = np.arange(0.0, 27.0, 0.0204)
    >>> series = [resample(time, a * np.sin(time)) for a in (1e-3, 1e-2)]
    >>> images = power_images(series, progress=False)
    >>> images.shape, bool(images[1].max() > images[0].max())
    ((2, 64, 64), True)
    """
    images = [
        power_image(series, config).image
        for series in tqdm(series_iterable, desc="power images", unit="lc", disable=not progress)
    ]
    if not images:
        return np.zeros((0, config.n_periods, config.n_time_bins), dtype=np.float32)
    return np.stack(images)


def transform(
    time: ArrayLike,
    flux: ArrayLike,
    flux_err: ArrayLike | None = None,
    quality: ArrayLike | None = None,
    *,
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
    source: str = "light curve",
    meta: dict[str, Any] | None = None,
) -> PowerImage:
    """Light curve arrays to power image in one call: :func:`~astrolens.preprocess.prepare`, then
    :func:`power_image`.

    Examples
    --------
    >>> time = np.arange(0.0, 27.0, 2 / 60 / 24)                    # TESS 2-min sector
    >>> flux = 500.0 * (1 + 0.01 * np.sin(2 * np.pi * time / 0.7))
    >>> image = transform(time, flux, meta={"object_id": "TIC 2"})
    >>> peak_row = image.image.sum(axis=1).argmax()
    >>> round(float(image.periods_days[peak_row]), 2)
    0.7
    """
    series = prepare(time, flux, flux_err, quality, config=preprocess, source=source, meta=meta)
    return power_image(series, wavelet)


class WaveletCache:
    """Power images of a set of light curves on disk, so that a second run recomputes nothing.

    Images live in ``<root>/<key>/``, where ``key`` is :meth:`WaveletConfig.key` of the wavelet and
    preprocessing configurations (saved there as ``config.json``), one ``.npz`` file per object id
    (image, mask, periods, time edges, object id, meta as JSON). File names are object ids with
    every run of characters other than letters, digits, ``.``, ``_`` and ``-`` replaced by ``_``
    (``"KIC 10002792"`` -> ``KIC_10002792.npz``). Writes are atomic (temporary file, then
    :func:`os.replace`), so an interrupted run leaves no half-written file.

    A file that cannot be read, or that holds another object id or image shape, raises
    :class:`~astrolens.errors.CacheError` naming the file; delete the file to recompute it.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.preprocess import resample
    >>> time = np.arange(0.0, 27.0, 0.0204)
    >>> cache = WaveletCache(tempfile.mkdtemp())
    >>> compute = lambda: power_image(resample(time, 1e-3 * np.sin(time)))
    >>> first = cache.get_or_compute("TIC 1", compute)
    >>> "TIC 1" in cache, cache.path("TIC 1").name
    (True, 'TIC_1.npz')
    >>> bool(np.array_equal(cache.get("TIC 1").image, first.image))
    True
    """

    def __init__(
        self,
        root: str | os.PathLike[str] = "wavelets",
        wavelet: WaveletConfig = WaveletConfig(),
        preprocess: PreprocessConfig = PreprocessConfig(),
    ) -> None:
        self.wavelet = wavelet
        self.preprocess = preprocess
        self.directory = Path(root) / wavelet.key(preprocess)

    def path(self, object_id: str) -> Path:
        """The file that holds (or will hold) the image of ``object_id``."""
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", object_id.strip()).strip("._")
        if not stem:
            raise ValueError(f"object id {object_id!r} has no letter or digit to name a file")
        return self.directory / f"{stem}.npz"

    def __contains__(self, object_id: str) -> bool:
        return self.path(object_id).exists()

    def get(self, object_id: str) -> PowerImage | None:
        """The cached image of ``object_id``, or None if there is none."""
        path = self.path(object_id)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                image = PowerImage(
                    data["image"],
                    data["mask"],
                    data["periods_days"],
                    data["time_edges_days"],
                    object_id=str(data["object_id"]),
                    meta=json.loads(str(data["meta_json"])),
                    harmonic=data["harmonic"] if "harmonic" in data.files else None,
                )
        except (OSError, ValueError, KeyError, EOFError) as error:
            raise CacheError(
                f"{path}: unreadable cache file ({error}); delete it to recompute"
            ) from error
        if image.object_id != object_id:
            raise CacheError(f"{path}: holds {image.object_id!r}, not {object_id!r}")
        self._check_shape(image, path)
        return image

    def put(self, image: PowerImage, object_id: str | None = None) -> Path:
        """Save ``image`` under ``object_id`` (default: its own ``object_id``); returns the file."""
        object_id = object_id or image.object_id
        if not object_id:
            raise ValueError("an image without object_id needs an explicit object_id to be cached")
        path = self.path(object_id)
        self._check_shape(image, path)
        self.directory.mkdir(parents=True, exist_ok=True)
        config_path = self.directory / "config.json"
        if not config_path.exists():
            config = {"wavelet": self.wavelet.to_dict(), "preprocess": self.preprocess.to_dict()}
            with written_atomically(config_path) as temporary:
                temporary.write_text(json.dumps(config, indent=2, sort_keys=True))
        arrays = {
            "image": image.image,
            "mask": image.mask,
            "periods_days": image.periods_days,
            "time_edges_days": image.time_edges_days,
            "object_id": np.str_(object_id),
            "meta_json": np.str_(json.dumps(image.meta, default=str)),
        }
        if image.harmonic is not None:
            arrays["harmonic"] = image.harmonic
        with written_atomically(path) as temporary:
            np.savez(temporary, **arrays)
        return path

    def get_or_compute(self, object_id: str, compute: Callable[[], PowerImage]) -> PowerImage:
        """The cached image of ``object_id``; if there is none, ``compute()`` it and cache it."""
        cached = self.get(object_id)
        if cached is not None:
            return cached
        image = dataclasses.replace(compute(), object_id=object_id)
        self.put(image)
        return image

    def _check_shape(self, image: PowerImage, path: Path) -> None:
        expected = (self.wavelet.n_periods, self.wavelet.n_time_bins)
        if image.image.shape != expected or image.mask.shape != expected:
            raise CacheError(
                f"{path}: image shape {image.image.shape} does not match the configuration "
                f"{expected}"
            )
        harmonic_shape = None if image.harmonic is None else image.harmonic.shape
        wanted = (2, *expected) if self.wavelet.harmonic_phase else None
        if harmonic_shape != wanted:
            raise CacheError(
                f"{path}: harmonic coherence of shape {harmonic_shape} does not match the "
                f"configuration ({wanted})"
            )
