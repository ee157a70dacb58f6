"""Flare stars: spotted, fast-rotating M dwarfs with white-light flares.

Each flare follows the empirical template of Davenport et al. (2014, ApJ 797, 122), fitted to
Kepler short-cadence flares of GJ 1243. Time is in units of the full width at half maximum
``t_half`` from the peak, ``x = (t - t_peak) / t_half``::

    rise  (-1 <= x <= 0): 1 + 1.941 x - 0.175 x^2 - 2.246 x^3 - 1.125 x^4
    decay (x > 0):        0.6890 exp(-1.600 x) + 0.3030 exp(-0.2783 x)

times the flare amplitude (relative to the quiescent flux). Each cadence records the template
averaged over its exposure, integrated analytically, so that a 5-minute flare observed at Kepler
long cadence has the lower, broader profile it has in real data.

Priors: the star's rotation as in :mod:`astrolens.simulate.rotation` with periods log-uniform
in 0.3-10 d and amplitudes in 0.2-3 % (active M dwarfs, McQuillan, Aigrain & Mazeh 2013, MNRAS
432, 1203); flares at a rate log-uniform in 0.2-3 per day above a minimum amplitude log-uniform
in 0.5-2 % (Hawley et al. 2014, ApJ 797, 121; Gunther et al. 2020, AJ 159, 60), amplitudes from
the flare frequency distribution ``dN/dA ~ A^-2`` above that minimum (capped at 3), FWHM
log-uniform in 4-60 min, peak times uniform. The flares come from the object's seed
(:func:`flare_events`).

Catalogue columns: those of the rotation plus ``flare_rate_per_day`` and
``flare_min_amplitude``; ``amplitude`` is the rotational peak-to-peak.

Examples
--------
>>> x = np.array([-1.0, -0.5, 0.0, 1.0, 3.0])
>>> davenport_flare(x * 0.01, peak_time=0.0, fwhm_days=0.01, amplitude=1.0).round(3).tolist()
[0.005, 0.196, 1.0, 0.368, 0.137]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from astrolens.simulate.rotation import draw_rotation, spotted_flux

if TYPE_CHECKING:
    from astrolens.simulate.classes import DrawContext

__all__ = [
    "FLARE_AMPLITUDE_CAP",
    "davenport_flare",
    "draw_flare_stars",
    "flare_events",
    "flare_star_flux",
]

FLARE_AMPLITUDE_CAP = 3.0
"""Largest flare amplitude drawn, in units of the quiescent flux."""

_RISE = (1.0, 1.941, -0.175, -2.246, -1.125)
_DECAY = ((0.6890, 1.600), (0.3030, 0.2783))
_DECAY_END = 30.0
_FLARE_STREAM = 2


def davenport_flare(
    time: NDArray[np.float64],
    peak_time: float,
    fwhm_days: float,
    amplitude: float,
    exposure_days: float = 0.0,
) -> NDArray[np.float64]:
    """Flux added by one flare (Davenport et al. 2014), averaged over each exposure.

    Parameters
    ----------
    time
        Mid-times of the cadences (days).
    peak_time, fwhm_days, amplitude
        Peak time, full width at half maximum and peak height of the flare (relative flux).
    exposure_days
        Exposure of each cadence; 0 evaluates the template at the mid-times.

    Examples
    --------
    >>> time = np.arange(-0.1, 0.3, 0.0204)
    >>> sharp = davenport_flare(time, 0.0, 0.003, 1.0)
    >>> smeared = davenport_flare(time, 0.0, 0.003, 1.0, exposure_days=0.0204)
    >>> bool(smeared.max() < 0.3 < sharp.max())      # a 4-min flare at 29.4-min cadence
    True
    >>> round(float(smeared.sum()) * 0.0204 / 0.003, 2)   # equivalent duration in FWHM: kept
    1.83
    """
    return _flares_on_grid(
        time, np.array([peak_time]), np.array([fwhm_days]), np.array([amplitude]), exposure_days
    )


def draw_flare_stars(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of the ``FLARE`` class (active M dwarfs)."""
    columns = draw_rotation(rng, context, (0.3, 10.0), (2e-3, 3e-2))
    columns["subclass"] = np.full(context.n, "M dwarf", dtype=object)
    columns["flare_rate_per_day"] = np.exp(rng.uniform(np.log(0.2), np.log(3.0), context.n))
    columns["flare_min_amplitude"] = np.exp(rng.uniform(np.log(0.005), np.log(0.02), context.n))
    return columns


def flare_events(params: Mapping[str, Any], start: float, end: float) -> pd.DataFrame:
    """The flares of a ``FLARE`` catalogue row between ``start`` and ``end`` (days).

    Drawn from the row's ``seed`` with a random stream of their own, so they are the same in
    every regeneration of the light curve.

    Returns
    -------
    pandas.DataFrame
        Columns ``peak_time``, ``fwhm_days`` and ``amplitude``, sorted by peak time.

    Examples
    --------
    >>> row = {"seed": 7, "flare_rate_per_day": 1.0, "flare_min_amplitude": 0.01}
    >>> events = flare_events(row, 0.0, 90.0)
    >>> list(events.columns), bool(events["amplitude"].min() >= 0.01)
    (['peak_time', 'fwhm_days', 'amplitude'], True)
    >>> events.equals(flare_events(row, 0.0, 90.0))
    True
    """
    peak_time, fwhm_days, amplitude = _draw_flares(params, start, end)
    events = pd.DataFrame({"peak_time": peak_time, "fwhm_days": fwhm_days, "amplitude": amplitude})
    return events.sort_values("peak_time", ignore_index=True)


def flare_star_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of a flare star: spot modulation plus the flares of :func:`flare_events`."""
    flux = spotted_flux(time, params, rng)
    events = _draw_flares(params, float(time[0]), float(time[-1]))
    return flux + _flares_on_grid(time, *events, params["cadence_days"])


def _flares_on_grid(
    time: NDArray[np.float64],
    peak_time: NDArray[np.float64],
    fwhm_days: NDArray[np.float64],
    amplitude: NDArray[np.float64],
    exposure_days: float,
) -> NDArray[np.float64]:
    """Sum of flares on sorted times, each evaluated only on the cadences it touches."""
    first = np.searchsorted(time, peak_time - fwhm_days - exposure_days)
    last = np.searchsorted(time, peak_time + _DECAY_END * fwhm_days + exposure_days)
    lengths = last - first
    flare = np.repeat(np.arange(peak_time.size), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    cadence = np.repeat(first, lengths) + offsets
    x = (time[cadence] - peak_time[flare]) / fwhm_days[flare]
    if exposure_days <= 0.0:
        shape = _template(x)
    else:
        half = 0.5 * exposure_days / fwhm_days[flare]
        shape = (_cumulative(x + half) - _cumulative(x - half)) / (2.0 * half)
    return np.bincount(cadence, weights=amplitude[flare] * shape, minlength=time.size)


def _template(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The unit flare template at x (in units of the FWHM from the peak)."""
    rise = np.polynomial.polynomial.polyval(np.clip(x, -1.0, 0.0), _RISE)
    decay = sum(a * np.exp(-k * np.clip(x, 0.0, None)) for a, k in _DECAY)
    return np.where(x < -1.0, 0.0, np.where(x <= 0.0, rise, decay))


def _draw_flares(
    params: Mapping[str, Any], start: float, end: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    rng = np.random.default_rng([int(params["seed"]), _FLARE_STREAM])
    count = rng.poisson(params["flare_rate_per_day"] * (end - start))
    amplitude = params["flare_min_amplitude"] / (1.0 - rng.random(count))
    peak_time = rng.uniform(start, end, count)
    fwhm_days = np.exp(rng.uniform(np.log(4.0), np.log(60.0), count)) / 1440.0
    return peak_time, fwhm_days, np.minimum(amplitude, FLARE_AMPLITUDE_CAP)


def _cumulative(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Integral of the unit template from -inf to x (in units of the FWHM)."""
    rise = np.clip(x, -1.0, 0.0)
    powers = np.arange(1, len(_RISE) + 1)
    rise_integral = np.polynomial.polynomial.polyval(rise, np.r_[0.0, np.divide(_RISE, powers)])
    rise_integral -= np.polynomial.polynomial.polyval(-1.0, np.r_[0.0, np.divide(_RISE, powers)])
    decay = np.clip(x, 0.0, None)
    decay_integral = sum(a / k * (1.0 - np.exp(-k * decay)) for a, k in _DECAY)
    return rise_integral + decay_integral
