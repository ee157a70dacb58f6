"""Periodograms of irregularly sampled light curves on one log-period axis shared by every survey.

The wavelet power images of :mod:`astrolens.wavelets` need a uniform grid and reach 30 days; a
ground-based survey (OGLE, MACHO, ASAS, ZTF) gives 100-1,500 epochs, at most one a night, in
seasons over 3-9 years, and periods up to years. :func:`periodogram_arrays` works on the samples
as observed and puts every light curve, a Kepler quarter as well as eight years of OGLE, on the
same ``n_periods`` log-spaced period bins of :class:`PeriodogramConfig` (1 hour to 2,000 days by
default), so that the same star lands on the same bins whichever survey observed it.

Arrays
------
``"power"`` (``n_periods``,)
    Generalised Lomb-Scargle power (Zechmeister & Kuerster 2009: a sine plus a floating mean,
    weighted by ``1 / flux_err**2`` when errors are given; the fraction of the variance the sine
    explains, 0 to 1), computed on a fine uniform frequency grid and pooled into the period bins
    by its maximum. 0 in bins without coverage.
``"window"`` (``n_periods``,)
    The spectral window of the sampling (Deeming 1975), ``|sum w exp(2 pi i f t)|**2`` with the
    weights ``w`` normalised to sum to 1, pooled the same way: 1 for a frequency at which all
    epochs are in phase, ~1 / epochs for well-spread phases. Nightly sampling peaks at 1 day and
    its fractions, seasons at one year; peaks of ``"power"`` there may be aliases.
``"coverage"`` (``n_periods``,)
    1 where the light curve constrains the period bin (see Coverage), 0 elsewhere.
``"folded"`` (2, ``n_phase_bins``)
    The light curve folded at the best period (row 0) and at twice it (row 1: eclipsing and
    ellipsoidal binaries are found at half their orbital period, and the doubled fold shows their
    two unequal minima): the median relative flux in each phase bin, divided by the light curve's
    robust amplitude (``"amplitude_log10"`` below) so that the shape does not depend on the
    amplitude, rolled so that the faintest bin comes first (phase 0 at minimum light). Empty
    bins are interpolated circularly. Values are near 0 where the fold shows no coherent signal.
``"scalars"`` (``len(SCALAR_NAMES)``,)
    Summary numbers, named by :data:`SCALAR_NAMES` (below).
``"best_period_days"`` ()
    The period of the highest peak of the fine grid, refined by the exact power on a local grid
    10 times finer (float64).

Every array is float32 but ``"best_period_days"``, and every value is finite.

Scalars
-------
``amplitude_log10``
    log10 of the range between the 5th and 95th percentiles of the relative flux.
``skewness_quantile``
    ``(q98 + q2 - 2 q50) / (q98 - q2)`` of the relative flux, from -1 to 1: positive for flares
    and outbursts, negative for eclipses and dips (this is flux, not magnitude), 0 for a sine or
    noise. Quantiles make it robust to a few bad points.
``kurtosis_quantile_log10``
    log10 of ``(q98 - q2) / (q75 - q25)``: 0.48 for Gaussian noise, 0.15 for a sine, larger for
    rare large excursions (flares, eclipses).
``von_neumann_eta_robust``
    ``(median |consecutive difference| / MAD)**2``, the robust von Neumann ratio: 2 for white
    noise, near 0 for variability slower than the spacing of the epochs (rotation, granulation in
    dense data), back towards 2 when the spacing is longer than the time scale (short periods in
    nightly data).
``period_days_log10``, ``period_power``
    log10 of ``"best_period_days"`` and its power.
``folded_explained_variance``
    Fraction of the variance explained by the phase-bin medians of the fold at twice the best
    period, 0 to 1: high for any strictly periodic signal, whatever its shape; near
    ``n_phase_bins / epochs`` for noise and stochastic variability.
``epochs_log10``, ``baseline_days_log10``, ``spacing_days_log10``
    log10 of the number of points, of the time span and of the median time between consecutive
    points: what the sampling can tell.

The distribution scalars (the first four) and the fold use every cleaned point; the periodogram
uses the points averaged in time (see Speed). Quantities below ``1e-8`` give log10 = -8, ratios
of zero by zero give 0.

Coverage
--------
A period bin is covered when its central period ``P`` satisfies both

- ``P <= baseline / min_cycles``: at least ``min_cycles`` cycles were observed;
- ``P >= 2 * cadence`` if the sampling is a regular grid of step ``cadence`` (at least 90 % of the
  time steps within 1 % of a whole number of cadences): shorter periods are mirror images of
  longer ones about the Nyquist frequency. Irregular sampling has no such limit (Eyer & Bartholdi
  1999): nightly epochs taken at varying hours do constrain periods of hours, through the
  aliases that ``"window"`` shows, so they are not masked for being shorter than the spacing.

Kepler's 29.4-min cadence thus covers every period from 1 hour, and a 89-day quarter reaches
44.5 days; eight years of OGLE cover 1 hour to 1,460 days.

Frequency grid
--------------
The fine grid runs from the longest covered period to the shortest with a uniform step of
``1 / (oversampling * baseline)`` (the resolution, ``1 / baseline``, sampled ``oversampling``
times), capped at ``max_frequencies`` points: a longer baseline is searched more coarsely, the
default cap keeps ``oversampling = 5`` up to a baseline of 5.7 years (with the default shortest
period of 1 hour; 8 years get 3.6). A peak between two grid points loses at most
``1 - sinc(1 / (2 oversampling))**2`` of its power when pooled (3.3 % at 5, 6.3 % at 3.6). A
bin narrower than the grid step (long periods) takes the power interpolated at its centre.

The sums ``sum w y exp(2 pi i f t)``, ``sum w exp(2 pi i f t)`` and ``sum w exp(4 pi i f t)``
that the generalised periodogram needs on the whole grid are computed by a non-uniform FFT
(Gaussian gridding, Greengard & Lee 2004, in the spirit of Press & Rybicki 1989): the samples are
spread onto a uniform grid 1.5 times longer than the frequency grid, Fourier transformed in single
precision and deconvolved. Powers agree with the exact ones of astropy's ``LombScargle`` (method
``"cython"``) to 1e-6; astropy's own fast method takes about a second on the 8-year grid below.

One sine, not a multi-harmonic model: with astropy's two-term periodogram (``nterms=2``) on
simulated nightly light curves of RR Lyrae stars, eclipsing binaries and three-harmonic
pulsators (3-8 years, 150-800 epochs, noise 3 % of the flux), both found all 24 periods; with
100-300 epochs and 12 % noise the two-term model found 24 of 30 and one term 20 (binaries: 4
and 2 of 10). Two terms need twice the transforms and a 5 x 5 solution per frequency, and
binaries found at half their period are shown by the doubled fold.

Speed
-----
Dense light curves with more than ``max_points`` points are first averaged into time bins of
``baseline / max_points``, never longer than an eighth of the shortest period (a sine of the
shortest period keeps 97 % of its amplitude). One thread of an AMD EPYC (shared with other
work; fastest and median of 15 calls):

===================================== ======== ========== ===============
light curve                           points   fine grid  time
===================================== ======== ========== ===============
TESS 2-min sector (27.8 d)            20,000   3,325      9 ms (9 ms)
Kepler long-cadence quarter (89 d)    4,356    10,670     6 ms (6 ms)
OGLE-like, 6 years of nightly epochs  800      247,768    16 ms (16 ms)
OGLE-like, 8 years of nightly epochs  1,500    250,000    18 ms (20 ms)
Kepler, 4 years of long cadence       71,451   175,189    70 ms (80 ms)
===================================== ======== ========== ===============

Most of the time of long baselines is the three FFTs; their length is 5-smooth (factors 2, 3
and 5), which here was up to twice as fast as other lengths of the same size (a 2**18-point cap
took 27 ms for 8 years).

dm-dt maps
----------
:func:`dmdt_image` is another candidate representation, to be compared by measurement: the
histogram of the magnitude differences of all pairs of epochs against the log of their time
differences (Mahabal et al. 2017), computed by the ``light-curve`` package's ``DmDt``.

References
----------
- Deeming, T. J. 1975, Ap&SS 36, 137 (the spectral window)
- Eyer, L. & Bartholdi, P. 1999, A&AS 135, 1 (Nyquist frequency of irregular sampling)
- Greengard, L. & Lee, J.-Y. 2004, SIAM Review 46, 443 (non-uniform FFT by Gaussian gridding)
- Mahabal, A. et al. 2017, IEEE SSCI, arXiv:1709.06257 (dm-dt maps)
- Press, W. H. & Rybicki, G. B. 1989, ApJ 338, 277 (fast Lomb-Scargle)
- Zechmeister, M. & Kuerster, M. 2009, A&A 496, 577 (generalised Lomb-Scargle)

Examples
--------
>>> rng = np.random.default_rng(0)
>>> time = np.sort(rng.uniform(0.0, 300.0, 400))
>>> flux = 1 + 0.05 * np.sin(2 * np.pi * time / 3.7) + rng.normal(0.0, 0.01, time.size)
>>> arrays = periodogram_arrays(time, flux)
>>> round(float(arrays["best_period_days"]), 2)
3.7
>>> edges, peak = PeriodogramConfig().period_edges_days, int(arrays["power"].argmax())
>>> bool(edges[peak] < 3.7 < edges[peak + 1])               # the bin holding 3.7 days
True
>>> sorted(arrays)
['best_period_days', 'coverage', 'folded', 'power', 'scalars', 'window']
>>> arrays["folded"].shape, arrays["scalars"].shape
((2, 32), (10,))
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import light_curve as lc
import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray

from astrolens.config import JsonConfig
from astrolens.errors import InvalidLightCurve

__all__ = [
    "MIN_POINTS",
    "SCALAR_NAMES",
    "DmDtConfig",
    "PeriodogramConfig",
    "dmdt_image",
    "periodogram_arrays",
]

MIN_POINTS = 10
"""Fewest points with finite time, flux (and flux error, if given) a light curve must have."""

SCALAR_NAMES: tuple[str, ...] = (
    "amplitude_log10",
    "skewness_quantile",
    "kurtosis_quantile_log10",
    "von_neumann_eta_robust",
    "period_days_log10",
    "period_power",
    "folded_explained_variance",
    "epochs_log10",
    "baseline_days_log10",
    "spacing_days_log10",
)
"""Names of the entries of ``periodogram_arrays(...)["scalars"]``, in order (module docstring)."""

_FLOOR = 1e-8
"""Smallest value whose log10 is taken; smaller ones give log10(_FLOOR) = -8."""
_REGULAR_TOLERANCE = 0.01
"""Time steps within this fraction of a whole number of cadences belong to a regular grid..."""
_REGULAR_SHARE = 0.9
"""...and sampling with at least this share of such steps is a regular grid."""
_BINS_PER_SHORTEST_PERIOD = 8
"""Time bins of dense light curves are at most the shortest period over this."""
_REFINE_POINTS = 21
"""Frequencies of the local grid (one fine-grid step either side) refining the best period."""
_SPREAD_HALF_WIDTH = 7
"""Half-width, in grid points, of the Gaussian spreading kernel of the non-uniform FFT..."""
_UPSAMPLING = 1.5
"""...and points of its uniform grid per output frequency: powers within 1e-6 of the exact ones."""
_MIN_DETERMINANT = 1e-5
"""Frequencies at which a sine is so nearly a constant on the epochs (the spectral window there
and at twice the frequency near 1) that its covariance determinant is below this get power 0."""


@dataclass(frozen=True)
class PeriodogramConfig(JsonConfig):
    """How :func:`periodogram_arrays` computes its arrays; saved as JSON next to them.

    Parameters
    ----------
    period_min_days, period_max_days
        Edges of the shared period axis, in days.
    n_periods
        Number of log-spaced period bins between them.
    oversampling
        Fine frequency grid points per resolution element ``1 / baseline``.
    max_frequencies
        Most points of the fine frequency grid: caps the time of long baselines (see the module
        docstring); at least 16.
    min_cycles
        A period is covered only if the baseline holds at least this many cycles.
    n_phase_bins
        Phase bins of the folded light curves; at least 4.
    max_points
        Light curves with more points are first averaged into time bins (see Speed in the module
        docstring); at least ``MIN_POINTS``.

    Examples
    --------
    >>> config = PeriodogramConfig(period_min_days=1.0, period_max_days=16.0, n_periods=4)
    >>> config.period_edges_days.round(6).tolist()
    [1.0, 2.0, 4.0, 8.0, 16.0]
    >>> config.periods_days.round(3).tolist()
    [1.414, 2.828, 5.657, 11.314]
    >>> PeriodogramConfig.from_dict(config.to_dict()) == config
    True
    >>> config.key() != PeriodogramConfig().key()
    True
    """

    period_min_days: float = 1 / 24
    period_max_days: float = 2000.0
    n_periods: int = 128
    oversampling: float = 5.0
    max_frequencies: int = 250_000
    min_cycles: float = 2.0
    n_phase_bins: int = 32
    max_points: int = 5000

    def __post_init__(self) -> None:
        if not 0 < self.period_min_days < self.period_max_days:
            raise ValueError(
                "need 0 < period_min_days < period_max_days, got "
                f"{self.period_min_days} and {self.period_max_days}"
            )
        if self.n_periods < 1 or self.n_phase_bins < 4:
            raise ValueError(
                f"need n_periods >= 1 and n_phase_bins >= 4, got {self.n_periods}, "
                f"{self.n_phase_bins}"
            )
        if not (self.oversampling >= 1 and self.min_cycles > 0):
            raise ValueError(
                f"need oversampling >= 1 and min_cycles > 0, got {self.oversampling}, "
                f"{self.min_cycles}"
            )
        if self.max_frequencies < 16 or self.max_points < MIN_POINTS:
            raise ValueError(
                f"need max_frequencies >= 16 and max_points >= {MIN_POINTS}, got "
                f"{self.max_frequencies}, {self.max_points}"
            )

    @property
    def period_edges_days(self) -> NDArray[np.float64]:
        """The ``n_periods + 1`` log-spaced edges of the period bins, in days, shortest first."""
        return np.geomspace(self.period_min_days, self.period_max_days, self.n_periods + 1)

    @property
    def periods_days(self) -> NDArray[np.float64]:
        """The centres (geometric means of the edges) of the period bins, in days."""
        edges = self.period_edges_days
        return np.sqrt(edges[:-1] * edges[1:])


@dataclass(frozen=True)
class DmDtConfig(JsonConfig):
    """How :func:`dmdt_image` bins pairs of epochs; saved as JSON next to the maps.

    Parameters
    ----------
    min_lgdt, max_lgdt
        log10 of the shortest and longest time difference, in days (default 14 min to 8.7 years).
    lgdt_size
        Number of log-spaced time-difference bins.
    min_abs_dm, max_abs_dm
        Magnitude differences from ``-max_abs_dm`` to ``max_abs_dm``, in ``dm_size`` bins whose
        edges are log-spaced in ``|dm|`` from ``min_abs_dm`` (with one bin from 0 to it on each
        side), so that millimagnitude rotation and magnitude-sized pulsations both spread over
        several bins. Pairs beyond ``max_abs_dm`` are not counted.
    dm_size
        Number of magnitude-difference bins; even.
    max_points
        Light curves with more points are first averaged in time bins of ``baseline /
        max_points``: the cost grows as the square of the number of points (about 20 ms for
        1,000 points).

    Examples
    --------
    >>> config = DmDtConfig(min_abs_dm=0.01, max_abs_dm=1.0, dm_size=6)
    >>> config.dm_edges.round(3).tolist()
    [-1.0, -0.1, -0.01, 0.0, 0.01, 0.1, 1.0]
    >>> DmDtConfig().lgdt_edges.shape
    (33,)
    """

    min_lgdt: float = -2.0
    max_lgdt: float = 3.5
    lgdt_size: int = 32
    min_abs_dm: float = 1e-3
    max_abs_dm: float = 3.0
    dm_size: int = 32
    max_points: int = 1000

    def __post_init__(self) -> None:
        if not (self.min_lgdt < self.max_lgdt and 0 < self.min_abs_dm < self.max_abs_dm):
            raise ValueError(
                "need min_lgdt < max_lgdt and 0 < min_abs_dm < max_abs_dm, got "
                f"{self.min_lgdt}, {self.max_lgdt}, {self.min_abs_dm}, {self.max_abs_dm}"
            )
        if self.lgdt_size < 1 or self.dm_size < 2 or self.dm_size % 2:
            raise ValueError(
                "need lgdt_size >= 1 and an even dm_size >= 2, got "
                f"{self.lgdt_size}, {self.dm_size}"
            )
        if self.max_points < MIN_POINTS:
            raise ValueError(f"need max_points >= {MIN_POINTS}, got {self.max_points}")

    @property
    def lgdt_edges(self) -> NDArray[np.float64]:
        """Edges of the time-difference bins, log10 of days."""
        return np.linspace(self.min_lgdt, self.max_lgdt, self.lgdt_size + 1)

    @property
    def dm_edges(self) -> NDArray[np.float64]:
        """Edges of the magnitude-difference bins, symmetric about 0, in magnitudes."""
        positive = np.geomspace(self.min_abs_dm, self.max_abs_dm, self.dm_size // 2)
        return np.concatenate([-positive[::-1], [0.0], positive])


class _Series(NamedTuple):
    """A cleaned light curve: sorted times, flux relative to the median minus 1, weights."""

    time: NDArray[np.float64]
    flux: NDArray[np.float64]
    weight: NDArray[np.float64]
    """``1 / error**2`` in relative flux, or 1 for every point without flux errors."""


class _Grid(NamedTuple):
    """The fine frequency grid ``first + step * arange(size)``, in cycles per day."""

    first: float
    step: float
    size: int

    @property
    def frequencies(self) -> NDArray[np.float64]:
        return self.first + self.step * np.arange(self.size)


def periodogram_arrays(
    time: ArrayLike,
    flux: ArrayLike,
    flux_err: ArrayLike | None = None,
    config: PeriodogramConfig = PeriodogramConfig(),
    source: str = "light curve",
) -> dict[str, NDArray[np.float32] | NDArray[np.float64]]:
    """The periodogram, spectral window, coverage, folds and scalars of a light curve.

    Parameters
    ----------
    time
        Times of the epochs in days, any order and origin.
    flux
        Relative flux about 1 (magnitudes converted by ``10**(-0.4 (m - median m))``); it is
        divided by its median.
    flux_err
        Flux errors, same units as ``flux``; without them every point has the same weight.
    config
        The period axis, grids and folds.
    source
        Names the light curve in errors.

    Returns
    -------
    dict
        The arrays described in the module docstring: ``"power"``, ``"window"``, ``"coverage"``
        (``n_periods``,), ``"folded"`` (2, ``n_phase_bins``), ``"scalars"``
        (``len(SCALAR_NAMES)``,), all float32, and ``"best_period_days"`` (float64 scalar).

    Raises
    ------
    InvalidLightCurve
        Fewer than ``MIN_POINTS`` points with finite time, flux and (given) positive flux error,
        a median flux that is not positive, or a baseline too short to hold ``min_cycles``
        cycles of the shortest period.

    Examples
    --------
    >>> time = np.arange(0.0, 89.0, 29.4244 / 1440)                # a Kepler quarter
    >>> flux = 1 + 1e-3 * np.cos(2 * np.pi * time / 5.0)
    >>> arrays = periodogram_arrays(time, flux)
    >>> round(float(arrays["best_period_days"]), 3)
    5.0
    >>> periods = PeriodogramConfig().periods_days
    >>> float(periods[arrays["coverage"] > 0].max()) < 89.0 / 2
    True
    >>> periodogram_arrays([0.0, 1.0, 2.0], [1.0, 1.1, 0.9], source="star 7")
    Traceback (most recent call last):
    ...
    astrolens.errors.InvalidLightCurve: star 7: 3 points with finite time and flux, need at least 10
    """
    series = _cleaned(time, flux, flux_err, source)
    baseline = float(series.time[-1] - series.time[0])
    nyquist_period = _nyquist_period(series.time)
    grid = _frequency_grid(baseline, nyquist_period, config, source)
    width = min(baseline / config.max_points, config.period_min_days / _BINS_PER_SHORTEST_PERIOD)
    averaged = _averaged_in_time(series, width, config.max_points)
    sums = _grid_sums(averaged, grid)
    grid_power = _gls_power(*sums, _weighted_variance(averaged))
    power, window = _pooled(np.stack([grid_power, np.abs(sums[1]) ** 2]), grid, config)
    coverage = _coverage(config.periods_days, baseline, nyquist_period, config.min_cycles)
    best_frequency, best_power = _refined_peak(averaged, grid, int(np.argmax(grid_power)))
    best_period = 1.0 / best_frequency
    amplitude = float(np.subtract(*np.percentile(series.flux, [95, 5])))
    folded, explained = _folds(series, best_period, config.n_phase_bins, amplitude)
    scalars = [
        *_distribution_scalars(series.flux, amplitude),
        math.log10(best_period),
        best_power,
        explained,
        math.log10(series.time.size),
        math.log10(baseline),
        math.log10(max(float(np.median(np.diff(series.time))), _FLOOR)),
    ]
    return {
        "power": (power * coverage).astype(np.float32),
        "window": (window * coverage).astype(np.float32),
        "coverage": coverage.astype(np.float32),
        "folded": folded.astype(np.float32),
        "scalars": np.array(scalars, dtype=np.float32),
        "best_period_days": np.array(best_period, dtype=np.float64),
    }


def dmdt_image(
    time: ArrayLike,
    flux: ArrayLike,
    config: DmDtConfig = DmDtConfig(),
    source: str = "light curve",
) -> NDArray[np.float32]:
    """The dm-dt map of a light curve: magnitude differences of pairs of epochs against time.

    Each pair of epochs ``t1 < t2`` counts in the bin of ``(m2 - m1, log10(t2 - t1))``, where
    ``m = -2.5 log10(flux / median flux)``; each time-difference column is divided by the number
    of pairs in it (pairs beyond ``max_abs_dm`` included), so that it is the distribution of
    ``dm`` at that ``dt`` and does not depend on the number of epochs. Columns without pairs are
    0. Points with a non-positive flux have no magnitude and are left out; flux errors are not
    used (``DmDt.gausses``, which smears each pair by its errors, costs about 10 times more).

    Parameters
    ----------
    time
        Times of the epochs in days, any order.
    flux
        Relative flux about 1; it is divided by its median.
    config
        The bins, and the number of points above which the light curve is averaged in time.
    source
        Names the light curve in errors.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(dm_size, lgdt_size)``: row 0 is the most negative ``dm`` (brightening),
        column 0 the shortest ``dt``.

    Raises
    ------
    InvalidLightCurve
        Fewer than ``MIN_POINTS`` points with finite time and positive flux, or zero baseline.

    Examples
    --------
    >>> time = np.arange(0.0, 100.0, 0.5)
    >>> image = dmdt_image(time, 1 + 0.1 * np.sin(2 * np.pi * time / 7.0))
    >>> image.shape, image.dtype.name
    ((32, 32), 'float32')
    >>> bool(np.allclose(image.sum(axis=0)[image.sum(axis=0) > 0], 1.0))
    True
    """
    series = _cleaned(time, flux, None, source)
    baseline = float(series.time[-1] - series.time[0])
    series = _averaged_in_time(series, baseline / config.max_points, config.max_points)
    positive = series.flux > -1.0
    if np.count_nonzero(positive) < MIN_POINTS:
        raise InvalidLightCurve(
            source,
            f"{np.count_nonzero(positive)} points with a positive flux, need at least {MIN_POINTS}",
        )
    magnitude = -2.5 * np.log10(1.0 + series.flux[positive])
    image = _dmdt_producer(config).points(series.time[positive], magnitude, sorted=True)
    return np.ascontiguousarray(image.T, dtype=np.float32)


@functools.lru_cache(maxsize=4)
def _dmdt_producer(config: DmDtConfig) -> lc.DmDt:
    """The ``light-curve`` map maker of a configuration, one thread (parallelise over stars)."""
    return lc.DmDt(
        10.0**config.lgdt_edges,
        config.dm_edges,
        dt_type="log",
        dm_type="asis",
        norm=["dt"],
        n_jobs=1,
    )


# --- cleaning and sampling ------------------------------------------------------------------------


def _cleaned(time: ArrayLike, flux: ArrayLike, flux_err: ArrayLike | None, source: str) -> _Series:
    """Finite points sorted by time, flux relative to the median minus 1, weights."""
    time = np.asarray(time, dtype=np.float64).ravel()
    flux = np.asarray(flux, dtype=np.float64).ravel()
    columns = {"time": time, "flux": flux}
    if flux_err is not None:
        columns["flux error"] = np.asarray(flux_err, dtype=np.float64).ravel()
    sizes = {name: values.size for name, values in columns.items()}
    if len(set(sizes.values())) > 1:
        raise InvalidLightCurve(source, f"columns of different lengths: {sizes}")
    keep = np.isfinite(time) & np.isfinite(flux)
    if flux_err is not None:
        keep &= np.isfinite(columns["flux error"]) & (columns["flux error"] > 0)
    what = "finite time and flux" if flux_err is None else "finite time, flux and flux error > 0"
    if np.count_nonzero(keep) < MIN_POINTS:
        raise InvalidLightCurve(
            source, f"{np.count_nonzero(keep)} points with {what}, need at least {MIN_POINTS}"
        )
    order = np.argsort(time[keep], kind="stable")
    time, flux = time[keep][order], flux[keep][order]
    if time[-1] == time[0]:
        raise InvalidLightCurve(source, "every point has the same time: the baseline is zero")
    median = float(np.median(flux))
    if not median > 0:
        raise InvalidLightCurve(
            source, f"median flux {median:g} is not positive: give relative flux about 1"
        )
    weight = (
        np.ones_like(flux)
        if flux_err is None
        else (median / columns["flux error"][keep][order]) ** 2
    )
    return _Series(time, flux / median - 1.0, weight)


def _nyquist_period(time: NDArray[np.float64]) -> float:
    """Twice the cadence if the sampling is a regular grid (module docstring), else 0."""
    steps = np.diff(time)
    steps = steps[steps > 0]
    cadence = float(np.median(steps))
    cycles = steps / cadence
    on_grid = (cycles > 0.5) & (np.abs(cycles - np.rint(cycles)) <= _REGULAR_TOLERANCE)
    return 2.0 * cadence if np.mean(on_grid) >= _REGULAR_SHARE else 0.0


def _coverage(
    periods: NDArray[np.float64], baseline: float, nyquist_period: float, min_cycles: float
) -> NDArray[np.float64]:
    """1 for the periods the sampling constrains (module docstring), else 0."""
    return ((periods <= baseline / min_cycles) & (periods >= nyquist_period)).astype(np.float64)


def _averaged_in_time(series: _Series, width: float, max_points: int) -> _Series:
    """Weighted means in time bins of ``width`` days if there are more than ``max_points``."""
    if series.time.size <= max_points:
        return series
    bins = np.floor((series.time - series.time[0]) / width).astype(np.int64)
    inverse = np.unique(bins, return_inverse=True)[1]
    weight = np.bincount(inverse, series.weight)
    time = np.bincount(inverse, series.weight * series.time) / weight
    flux = np.bincount(inverse, series.weight * series.flux) / weight
    return _Series(time, flux, weight)


# --- the periodogram ------------------------------------------------------------------------------


def _frequency_grid(
    baseline: float, nyquist_period: float, config: PeriodogramConfig, source: str
) -> _Grid:
    """The fine grid over the covered frequencies (module docstring)."""
    low = max(1.0 / config.period_max_days, config.min_cycles / baseline)
    high = 1.0 / max(config.period_min_days, nyquist_period)
    if not high > low:
        raise InvalidLightCurve(
            source,
            f"a baseline of {baseline:.4g} d holds fewer than {config.min_cycles:g} cycles of "
            f"the shortest period searched, {1.0 / high:.4g} d",
        )
    wanted = math.ceil((high - low) * config.oversampling * baseline) + 1
    size = min(config.max_frequencies, max(wanted, 2))
    return _Grid(low, (high - low) / (size - 1), size)


def _normalised(
    series: _Series,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Times from the first, weights summing to 1, and flux minus its weighted mean."""
    weight = series.weight / series.weight.sum()
    return series.time - series.time[0], weight, series.flux - weight @ series.flux


def _weighted_variance(series: _Series) -> float:
    """The weighted variance of the flux, the normalisation of the power."""
    _, weight, flux = _normalised(series)
    return float(weight @ flux**2)


def _grid_sums(
    series: _Series, grid: _Grid
) -> tuple[NDArray[np.complexfloating], NDArray[np.complexfloating], NDArray[np.complexfloating]]:
    """``sum w y exp(2 pi i f t)``, ``sum w exp(2 pi i f t)``, ``sum w exp(4 pi i f t)``."""
    time, weight, flux = _normalised(series)
    phase = 2 * np.pi * grid.step * time
    first = np.exp(2j * np.pi * grid.first * time)
    flux_sum, weight_sum = _nonuniform_fft(
        phase, np.stack([weight * flux, weight]) * first, grid.size
    )
    double_sum = _nonuniform_fft(2 * phase, (weight * first**2)[None, :], grid.size)[0]
    return flux_sum, weight_sum, double_sum


def _direct_sums(
    series: _Series, first: float, spacing: float, count: int
) -> tuple[NDArray[np.complexfloating], NDArray[np.complexfloating], NDArray[np.complexfloating]]:
    """The sums of :func:`_grid_sums`, exactly, at ``count`` frequencies ``first + spacing * k``."""
    time, weight, flux = _normalised(series)
    terms = np.empty((count, time.size), dtype=np.complex128)
    terms[0] = np.exp(2j * np.pi * first * time)
    ratio = np.exp(2j * np.pi * spacing * time)
    for k in range(1, count):
        np.multiply(terms[k - 1], ratio, out=terms[k])
    return terms @ (weight * flux), terms @ weight, terms**2 @ weight


def _nonuniform_fft(
    phase: NDArray[np.float64], amplitudes: NDArray[np.complexfloating], size: int
) -> NDArray[np.complex64]:
    """``sum_j a_j exp(i k phase_j)`` for ``k = 0 .. size - 1``, for each row ``a`` of amplitudes.

    Gaussian gridding (Greengard & Lee 2004): each term is spread onto a uniform grid over one
    period of ``phase`` by a Gaussian of half-width ``_SPREAD_HALF_WIDTH`` grid points, the grid is
    Fourier transformed, and the transform of the Gaussian divided out.
    """
    points, tau, deconvolution = _gridding(size)
    half = size // 2
    spacing = 2 * np.pi / points
    wrapped = np.mod(phase, 2 * np.pi)
    nearest = np.floor(wrapped / spacing).astype(np.int64)
    cells = nearest[:, None] + np.arange(1 - _SPREAD_HALF_WIDTH, _SPREAD_HALF_WIDTH + 1)
    kernel = np.exp(-((wrapped[:, None] - cells * spacing) ** 2) / (4 * tau))
    index = np.mod(cells, points).ravel()
    grid = np.empty((amplitudes.shape[0], points), dtype=np.complex64)
    for row, values in zip(grid, amplitudes * np.exp(1j * half * phase), strict=True):
        row.real = np.bincount(index, (values.real[:, None] * kernel).ravel(), points)
        row.imag = np.bincount(index, (values.imag[:, None] * kernel).ravel(), points)
    transform = scipy.fft.ifft(grid, axis=1, overwrite_x=True)
    ordered = np.concatenate([transform[:, points - half :], transform[:, : size - half]], axis=1)
    return ordered * deconvolution


@functools.lru_cache(maxsize=4)
def _gridding(size: int) -> tuple[int, float, NDArray[np.float32]]:
    """Length of the uniform grid, Gaussian width ``tau`` and deconvolution of a non-uniform FFT.

    The length is 5-smooth (see Speed in the module docstring). Cached: light curves with long
    baselines all have ``max_frequencies`` frequencies.
    """
    points = scipy.fft.next_fast_len(math.ceil(_UPSAMPLING * size), real=True)
    ratio = points / size
    tau = math.pi * _SPREAD_HALF_WIDTH / (size * size * ratio * (ratio - 0.5))
    modes = np.arange(-(size // 2), size - size // 2)
    deconvolution = (np.sqrt(np.pi / tau) * np.exp(modes * modes * tau)).astype(np.float32)
    deconvolution.flags.writeable = False
    return points, tau, deconvolution


def _gls_power(
    flux_sum: NDArray[np.complexfloating],
    weight_sum: NDArray[np.complexfloating],
    double_sum: NDArray[np.complexfloating],
    variance: float,
) -> NDArray[np.floating]:
    """Generalised Lomb-Scargle power from the sums (Zechmeister & Kuerster 2009, eqs. 5-15)."""
    if not variance > 0:
        return np.zeros(flux_sum.shape)
    cos, sin = weight_sum.real, weight_sum.imag
    cos_cos = 0.5 * (1 + double_sum.real) - cos * cos
    sin_sin = 0.5 * (1 - double_sum.real) - sin * sin
    cos_sin = 0.5 * double_sum.imag - cos * sin
    flux_cos, flux_sin = flux_sum.real, flux_sum.imag
    determinant = cos_cos * sin_sin - cos_sin * cos_sin
    explained = sin_sin * flux_cos**2 + cos_cos * flux_sin**2 - 2 * cos_sin * flux_cos * flux_sin
    usable = determinant > _MIN_DETERMINANT
    power = np.divide(explained, variance * determinant, out=np.zeros_like(explained), where=usable)
    return np.clip(power, 0.0, 1.0)


def _refined_peak(series: _Series, grid: _Grid, index: int) -> tuple[float, float]:
    """Frequency and exact power of the highest point of a finer grid around point ``index``."""
    low = grid.first + grid.step * max(index - 1, 0)
    high = grid.first + grid.step * min(index + 1, grid.size - 1)
    spacing = (high - low) / (_REFINE_POINTS - 1)
    sums = _direct_sums(series, low, spacing, _REFINE_POINTS)
    power = _gls_power(*sums, _weighted_variance(series))
    best = int(np.argmax(power))
    return low + spacing * best, float(power[best])


def _pooled(
    values: NDArray[np.float64], grid: _Grid, config: PeriodogramConfig
) -> NDArray[np.float64]:
    """Maximum of each row of grid values in each period bin (and at its centre), shortest first."""
    frequencies = grid.frequencies
    starts = np.searchsorted(frequencies, 1.0 / config.period_edges_days[::-1])
    filled = np.diff(starts) > 0
    pooled = np.zeros((values.shape[0], config.n_periods))
    pooled[:, filled] = np.maximum.reduceat(values, starts[:-1][filled], axis=1)
    centres = 1.0 / config.periods_days[::-1]
    at_centres = [np.interp(centres, frequencies, row) for row in values]
    return np.maximum(pooled, at_centres)[:, ::-1]


# --- folds and scalars ----------------------------------------------------------------------------


def _folds(
    series: _Series, period: float, n_bins: int, amplitude: float
) -> tuple[NDArray[np.float64], float]:
    """Profiles folded at ``period`` and twice it (module docstring), and the explained variance."""
    single, _ = _folded_medians(series, period, n_bins)
    double, explained = _folded_medians(series, 2 * period, n_bins)
    profiles = np.stack([single, double])
    profiles = profiles / amplitude if amplitude > _FLOOR else np.zeros_like(profiles)
    rolled = [np.roll(profile, -int(np.argmin(profile))) for profile in profiles]
    return np.stack(rolled), explained


def _folded_medians(
    series: _Series, period: float, n_bins: int
) -> tuple[NDArray[np.float64], float]:
    """Median flux in each phase bin (empty ones interpolated), and the variance they explain."""
    phase = ((series.time - series.time[0]) / period) % 1.0
    bins = np.minimum((phase * n_bins).astype(np.intp), n_bins - 1)
    by_flux = np.argsort(series.flux)
    ordered = series.flux[by_flux[np.argsort(bins[by_flux], kind="stable")]]
    counts = np.bincount(bins, minlength=n_bins)
    starts = np.cumsum(counts) - counts
    filled = counts > 0
    medians = np.empty(n_bins)
    medians[filled] = 0.5 * (
        ordered[(starts + (counts - 1) // 2)[filled]] + ordered[(starts + counts // 2)[filled]]
    )
    centres = (np.arange(n_bins) + 0.5) / n_bins
    medians[~filled] = np.interp(centres[~filled], centres[filled], medians[filled], period=1.0)
    total = float(np.sum((series.flux - series.flux.mean()) ** 2))
    residual = float(np.sum((series.flux - medians[bins]) ** 2))
    explained = min(max(1.0 - residual / total, 0.0), 1.0) if total > 0 else 0.0
    return medians, explained


def _distribution_scalars(flux: NDArray[np.float64], amplitude: float) -> list[float]:
    """Amplitude, skewness, kurtosis and von Neumann ratio (module docstring)."""
    low, quarter, middle, three_quarters, high = np.percentile(flux, [2, 25, 50, 75, 98])
    wide = high - low
    skewness = (high + low - 2 * middle) / wide if wide > 0 else 0.0
    kurtosis = math.log10(max(wide, _FLOOR) / max(three_quarters - quarter, _FLOOR))
    spread = float(np.median(np.abs(flux - middle)))
    step = float(np.median(np.abs(np.diff(flux))))
    eta = (step / spread) ** 2 if spread > _FLOOR else 0.0
    return [math.log10(max(amplitude, _FLOOR)), float(skewness), kurtosis, eta]
