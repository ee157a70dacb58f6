"""Stochastic stellar variability (damped random walks, red-giant granulation) and constant stars.

A damped random walk (an Ornstein-Uhlenbeck process, Kelly, Bechtold & Siemiginowska 2009,
ApJ 698, 895) has a Lorentzian power spectrum, the original form of the granulation "Harvey
profile" (Harvey 1985, ESA SP-235, 199). Granulation of the ``GRANULATION`` class is the sum of two
such components whose characteristic frequencies and amplitudes follow the red-giant scaling
relations with the frequency of maximum oscillation power nu_max of Kallinger et al. (2014, A&A
570, A41)::

    b1 = 0.317 nu_max^0.970 uHz,   b2 = 0.948 nu_max^0.992 uHz,   a = 3382 nu_max^-0.609 ppm

each component having RMS ``a`` and timescale ``1 / (2 pi b)``. nu_max is drawn log-uniformly in
10-200 uHz (red-clump and red-giant-branch stars seen by Kepler long cadence, whose Nyquist
frequency is 283 uHz). The amplitudes are Kepler-band values; in the redder TESS band they are
scaled by 0.85 (Campante et al. 2016, ApJ 830, 138). Solar-like p-mode oscillations are not
simulated. Catalogue columns: ``nu_max_uhz``, ``granulation_timescale_days`` (the slower
component) and ``amplitude`` (total RMS).

Stars of the ``CONSTANT`` class have a flat relative flux of 1; all their variability is
instrumental (:mod:`astrolens.simulate.observations`).

Examples
--------
>>> rng = np.random.default_rng(3)
>>> time = np.arange(0.0, 90.0, 0.02)
>>> walk = damped_random_walk(time, timescale_days=0.5, rms=1e-3, rng=rng)
>>> bool(0.7e-3 < walk.std() < 1.3e-3)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from astrolens.simulate.classes import DrawContext

__all__ = [
    "TESS_GRANULATION_FACTOR",
    "constant_flux",
    "damped_random_walk",
    "draw_constant",
    "draw_granulation",
    "granulation_components",
    "granulation_flux",
]

TESS_GRANULATION_FACTOR = 0.85
"""Granulation amplitude in the TESS band over that in the Kepler band (Campante et al. 2016)."""

_UHZ_TO_PER_DAY = 86400.0 * 1e-6


def damped_random_walk(
    time: NDArray[np.float64],
    timescale_days: float,
    rms: float,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """A stationary damped random walk (AR(1) process) sampled at ``time``.

    The process is generated on the regular grid of the smallest time step (so gaps in ``time``
    decorrelate it as they should) and read at the requested times.

    Parameters
    ----------
    time
        Sorted times in days, on a regular grid with possible gaps.
    timescale_days
        Damping (correlation) timescale tau.
    rms
        Standard deviation of the stationary process.
    rng
        Random generator.

    Examples
    --------
    >>> time = np.arange(0.0, 10.0, 0.1)
    >>> walk = damped_random_walk(time, 100.0, 1.0, np.random.default_rng(0))
    >>> bool(np.abs(np.diff(walk)).max() < 0.2)
    True
    """
    from scipy.signal import lfilter

    if time.size < 2:
        return rng.normal(0.0, rms, time.size)
    step = float(np.min(np.diff(time)))
    index = np.rint((time - time[0]) / step).astype(np.int64)
    decay = np.exp(-step / timescale_days)
    kick = rms * np.sqrt(1.0 - decay**2)
    start = decay * rng.normal(0.0, rms)
    walk, _ = lfilter([kick], [1.0, -decay], rng.standard_normal(index[-1] + 1), zi=[start])
    return walk[index]


def granulation_components(nu_max_uhz: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """``((timescale_days, rms), ...)`` of the two Kepler-band granulation components.

    Examples
    --------
    >>> (tau1, a1), (tau2, a2) = granulation_components(100.0)
    >>> round(tau1 * 24, 2), round(tau2 * 24, 2), round(a1 * 1e6)
    (1.6, 0.48, 205)
    """
    amplitude = 3382e-6 * nu_max_uhz**-0.609
    b1 = 0.317 * nu_max_uhz**0.970
    b2 = 0.948 * nu_max_uhz**0.992
    return tuple(  # type: ignore[return-value]
        (1.0 / (2.0 * np.pi * b * _UHZ_TO_PER_DAY), amplitude) for b in (b1, b2)
    )


def draw_granulation(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of red giants dominated by granulation.

    Returns ``nu_max_uhz``, ``granulation_timescale_days`` (the slower component) and
    ``amplitude`` (total RMS in relative flux, band-corrected).
    """
    nu_max = np.exp(rng.uniform(np.log(10.0), np.log(200.0), context.n))
    timescale = np.array([granulation_components(value)[0][0] for value in nu_max])
    band = np.where(context.missions == "TESS", TESS_GRANULATION_FACTOR, 1.0)
    rms = np.sqrt(2.0) * 3382e-6 * nu_max**-0.609 * band
    return {
        "subclass": np.where(nu_max < 60.0, "red clump/upper RGB", "lower RGB").astype(object),
        "nu_max_uhz": nu_max,
        "granulation_timescale_days": timescale,
        "amplitude": rms,
    }


def granulation_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of a granulating red giant: 1 plus two damped random walks.

    Examples
    --------
    >>> time = np.arange(0.0, 27.0, 2 / 1440)
    >>> flux = granulation_flux(time, {"nu_max_uhz": 50.0, "amplitude": 4e-4},
    ...                         np.random.default_rng(0))
    >>> bool(2e-4 < flux.std() < 6e-4)
    True
    """
    flux = np.ones(time.size)
    component_rms = params["amplitude"] / np.sqrt(2.0)
    for timescale, _ in granulation_components(params["nu_max_uhz"]):
        flux += damped_random_walk(time, timescale, component_rms, rng)
    return flux


def draw_constant(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of non-variable stars: none but a zero amplitude."""
    return {
        "subclass": np.full(context.n, "non-variable", dtype=object),
        "amplitude": np.zeros(context.n),
    }


def constant_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of a non-variable star: exactly 1 (the instrument adds everything else).

    Examples
    --------
    >>> constant_flux(np.arange(3.0), {}, np.random.default_rng()).tolist()
    [1.0, 1.0, 1.0]
    """
    return np.ones(time.size)
