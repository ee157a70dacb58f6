"""Transiting planets: an analytic transit light curve with quadratic limb darkening.

The flux lost when a dark planet of radius ratio ``p = Rp / R*`` crosses the stellar disc at
projected separation ``z`` (in stellar radii) is the small-planet approximation of Mandel & Agol
(2002, ApJ 580, L171, Sect. 5)::

    delta(z) = lambda_e(p, z) * I*(z) / <I>

with ``lambda_e`` the exact fraction of a uniform disc covered (their Eq. 1), ``I*`` the
quadratic-law intensity ``I(mu) = 1 - u1 (1 - mu) - u2 (1 - mu)^2`` under the planet (averaged
over the annulus from ``z - p`` to the limb during ingress and egress) and ``<I> = 1 - u1/3 - u2/6``
the disc-averaged intensity. The approximation is accurate to a few per cent of the depth for
``p < 0.1`` and keeps the transit depth ``~ p^2 I(b) / <I>``. Orbits are circular. Each cadence is
averaged over its exposure near transit (Kipping 2010, MNRAS 408, 1758), which matters for Kepler
long cadence.

Priors (one planet per star; Kepler/TESS discoveries, e.g. Thompson et al. 2018, ApJS 235, 38):
period log-uniform in 0.7-20 d, radius ratio log-uniform in 0.02-0.15 (Earth-size around small
stars to hot Jupiters), host density log-uniform in 0.5-2 solar, giving
``a / R* = 4.206 P[d]^(2/3) (rho / rho_sun)^(1/3)`` (Kepler's third law), impact parameter
uniform in 0-0.9, limb darkening of a Sun-like star in the mission band
(``ObservingMode.limb_darkening``).

Catalogue columns: ``radius_ratio``, ``a_over_rstar``, ``impact_parameter``,
``inclination_deg``, ``limb_darkening_u1``, ``limb_darkening_u2``, ``duration_hours`` (first to
last contact), ``epoch_days`` (a mid-transit time) and ``amplitude`` (the depth at mid-transit).

Examples
--------
>>> occulted_fraction(0.1, np.array([0.0, 0.5, 1.0, 1.2])).round(4).tolist()
[0.01, 0.01, 0.0049, 0.0]
>>> time = np.linspace(-0.2, 0.2, 401)
>>> flux = transit_flux(time, period_days=3.0, epoch_days=0.0, radius_ratio=0.1,
...                     a_over_rstar=10.0, impact_parameter=0.0, u1=0.4, u2=0.26)
>>> round(float(1 - flux.min()), 4), round(0.01 / (1 - 0.4 / 3 - 0.26 / 6), 4)
(0.0121, 0.0121)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from astrolens.simulate.observations import exposure_average

if TYPE_CHECKING:
    from astrolens.simulate.classes import DrawContext

__all__ = [
    "draw_transits",
    "limb_darkened_depth",
    "occulted_fraction",
    "planet_transit_flux",
    "transit_duration_days",
    "transit_flux",
]


def occulted_fraction(
    radius_ratio: float | NDArray[np.float64], separation: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Fraction of a uniform disc hidden by a disc of relative radius ``radius_ratio``.

    This is ``lambda_e`` of Mandel & Agol (2002, Eq. 1), exact for any radius ratio (it also
    serves the eclipses of :mod:`astrolens.simulate.binaries`), in units of the occulted disc's
    area.

    Parameters
    ----------
    radius_ratio
        Radius of the occulting disc over that of the occulted one.
    separation
        Centre-to-centre distance in units of the occulted disc's radius.

    Examples
    --------
    >>> occulted_fraction(2.0, np.array([0.5, 3.5])).tolist()
    [1.0, 0.0]
    """
    p = np.broadcast_to(np.asarray(radius_ratio, dtype=np.float64), np.shape(separation))
    z = np.abs(np.asarray(separation, dtype=np.float64))
    fraction = np.zeros(z.shape)
    inside = z <= 1.0 - p
    fraction[inside] = p[inside] ** 2
    fraction[z <= p - 1.0] = 1.0
    partial = (z < 1.0 + p) & (z > np.abs(1.0 - p))
    zp, pp = z[partial], p[partial]
    kappa1 = np.arccos(np.clip((1.0 - pp**2 + zp**2) / (2.0 * zp), -1.0, 1.0))
    kappa0 = np.arccos(np.clip((pp**2 + zp**2 - 1.0) / (2.0 * pp * zp), -1.0, 1.0))
    chord = np.sqrt(np.clip(4.0 * zp**2 - (1.0 + zp**2 - pp**2) ** 2, 0.0, None)) / 2.0
    # Rounding near grazing contact can leave the difference a hair outside its bounds.
    overlap = (pp**2 * kappa0 + kappa1 - chord) / np.pi
    fraction[partial] = np.clip(overlap, 0.0, np.minimum(pp**2, 1.0))
    return fraction


def limb_darkened_depth(
    radius_ratio: float | NDArray,
    impact_parameter: float | NDArray,
    u1: float | NDArray,
    u2: float | NDArray,
) -> NDArray[np.float64]:
    """Depth at mid-transit, ``p^2 I(b) / <I>`` (for a planet fully inside the disc).

    Examples
    --------
    >>> float(limb_darkened_depth(0.1, 0.0, 0.0, 0.0))
    0.010000000000000002
    """
    mu = np.sqrt(np.clip(1.0 - np.asarray(impact_parameter) ** 2, 0.0, None))
    intensity = 1.0 - u1 * (1.0 - mu) - u2 * (1.0 - mu) ** 2
    return np.asarray(radius_ratio) ** 2 * intensity / (1.0 - u1 / 3.0 - u2 / 6.0)


def transit_duration_days(
    period_days: float | NDArray,
    radius_ratio: float | NDArray,
    a_over_rstar: float | NDArray,
    impact_parameter: float | NDArray,
) -> NDArray[np.float64]:
    """Time from first to last contact on a circular orbit (Seager & Mallen-Ornelas 2003).

    Examples
    --------
    >>> round(float(transit_duration_days(365.25, 0.0092, 215.0, 0.0)) * 24, 1)  # the Earth
    13.1
    """
    a = np.asarray(a_over_rstar)
    b = np.asarray(impact_parameter)
    sin_i = np.sqrt(1.0 - (b / a) ** 2)
    chord = np.sqrt(np.clip((1.0 + np.asarray(radius_ratio)) ** 2 - b**2, 0.0, None))
    return np.asarray(period_days) / np.pi * np.arcsin(np.clip(chord / (a * sin_i), 0.0, 1.0))


def transit_flux(
    time: NDArray[np.float64],
    *,
    period_days: float,
    epoch_days: float,
    radius_ratio: float,
    a_over_rstar: float,
    impact_parameter: float,
    u1: float,
    u2: float,
    exposure_days: float = 0.0,
) -> NDArray[np.float64]:
    """Relative flux of a star with a transiting planet on a circular orbit.

    Parameters
    ----------
    time
        Times in days.
    period_days, epoch_days
        Orbital period and a mid-transit time.
    radius_ratio, a_over_rstar, impact_parameter
        Rp/R*, a/R* and b = a cos(i) / R*.
    u1, u2
        Quadratic limb-darkening coefficients.
    exposure_days
        Exposure of each cadence; the flux near transit is averaged over it.

    Examples
    --------
    >>> flux = transit_flux(np.array([0.0, 1.5]), period_days=3.0, epoch_days=0.0,
    ...                     radius_ratio=0.1, a_over_rstar=10.0, impact_parameter=0.3,
    ...                     u1=0.0, u2=0.0)
    >>> flux.round(4).tolist()
    [0.99, 1.0]
    """
    half_width = (
        transit_duration_days(period_days, radius_ratio, a_over_rstar, impact_parameter) / 2
    )

    def model(at: NDArray[np.float64]) -> NDArray[np.float64]:
        return 1.0 - _deficit(
            at, period_days, epoch_days, radius_ratio, a_over_rstar, impact_parameter, u1, u2
        )

    phase_days = (time - epoch_days + 0.5 * period_days) % period_days - 0.5 * period_days
    near = np.abs(phase_days) < half_width + exposure_days
    flux = np.ones(time.size)
    flux[near] = exposure_average(model, time[near], exposure_days)
    return flux


def draw_transits(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of stars with one transiting planet."""
    n = context.n
    period = np.exp(rng.uniform(np.log(0.7), np.log(20.0), n))
    radius_ratio = np.exp(rng.uniform(np.log(0.02), np.log(0.15), n))
    density = np.exp(rng.uniform(np.log(0.5), np.log(2.0), n))
    a_over_rstar = 4.206 * period ** (2.0 / 3.0) * density ** (1.0 / 3.0)
    impact = rng.uniform(0.0, 0.9, n)
    u1, u2 = context.limb_darkening[:, 0], context.limb_darkening[:, 1]
    return {
        "subclass": np.where(radius_ratio > 0.07, "giant planet", "small planet").astype(object),
        "period_days": period,
        "epoch_days": context.time_starts + rng.random(n) * period,
        "radius_ratio": radius_ratio,
        "a_over_rstar": a_over_rstar,
        "impact_parameter": impact,
        "inclination_deg": np.degrees(np.arccos(impact / a_over_rstar)),
        "limb_darkening_u1": u1,
        "limb_darkening_u2": u2,
        "duration_hours": 24.0 * transit_duration_days(period, radius_ratio, a_over_rstar, impact),
        "amplitude": limb_darkened_depth(radius_ratio, impact, u1, u2),
    }


def planet_transit_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of a catalogue row of the ``TRANSIT`` class (``rng`` is unused)."""
    return transit_flux(
        time,
        period_days=params["period_days"],
        epoch_days=params["epoch_days"],
        radius_ratio=params["radius_ratio"],
        a_over_rstar=params["a_over_rstar"],
        impact_parameter=params["impact_parameter"],
        u1=params["limb_darkening_u1"],
        u2=params["limb_darkening_u2"],
        exposure_days=params["cadence_days"],
    )


def _deficit(
    time: NDArray[np.float64],
    period: float,
    epoch: float,
    p: float,
    a: float,
    b: float,
    u1: float,
    u2: float,
) -> NDArray[np.float64]:
    angle = 2.0 * np.pi * (time - epoch) / period
    cos_i = b / a
    z = a * np.sqrt(np.sin(angle) ** 2 + (cos_i * np.cos(angle)) ** 2)
    z = np.where(np.cos(angle) > 0, z, np.inf)
    covered = occulted_fraction(p, z)
    inner = np.clip(z - p, 0.0, 1.0)
    mu_edge = np.sqrt(1.0 - inner**2)
    ingress_intensity = (
        (1.0 - u1 - u2) + 2.0 / 3.0 * (u1 + 2.0 * u2) * mu_edge - u2 / 2.0 * mu_edge**2
    )
    mu = np.sqrt(np.clip(1.0 - z**2, 0.0, None))
    full_intensity = 1.0 - u1 * (1.0 - mu) - u2 * (1.0 - mu) ** 2
    intensity = np.where(z <= 1.0 - p, full_intensity, ingress_intensity)
    return covered * intensity / (1.0 - u1 / 3.0 - u2 / 6.0)
