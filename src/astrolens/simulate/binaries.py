"""Binary stars: detached eclipsing (EA), contact (EW, W UMa) and ellipsoidal (ELL) variables.

``EA``, detached eclipsing binaries
    Two uniform spherical stars on a circular orbit. The light lost in an eclipse is the
    overlapping area of the discs (the exact ``lambda_e`` of Mandel & Agol 2002, shared with
    :mod:`astrolens.simulate.transits`) times the surface brightness of the eclipsed star, so the
    secondary eclipse is ``J`` times as deep as the primary one. Tidal distortion adds the
    ellipsoidal term of each star, ``alpha q (R/a)^3 sin^2 i`` with ``alpha = 1.3`` (Morris 1985,
    ApJ 295, 143; Faigler & Mazeh 2011, MNRAS 415, 3921); reflection, limb darkening and
    eccentricity are neglected. Priors: period log-uniform in 1-20 d; primary radius 0.8-2 R_sun
    and total mass 1.5-3.5 M_sun give ``R1/a`` through Kepler's third law
    (``a = 4.208 R_sun (M/M_sun)^(1/3) (P/d)^(2/3)``); radius ratio ``k`` uniform in 0.5-1 with
    main-sequence mass ratio ``q = k^1.25`` (``R ~ M^0.8``) and surface-brightness ratio
    ``J = k^2``; ``cos i`` uniform below ``0.9 (R1 + R2)/a`` so that the stars eclipse (period
    and radius ranges as in the Kepler eclipsing binary catalogue, Prsa et al. 2011, AJ 141, 83).
``EW``, contact binaries (W UMa)
    The cosine series of Rucinski (1993, PASP 105, 1433) in relative flux,
    ``1 + a1 cos(2 pi phi) + a2 cos(4 pi phi) + a4 cos(8 pi phi)``, with the depth of the
    ``a2`` term growing with mass ratio and inclination, ``a2 = -(0.03 + 0.19 s) sin^2 i`` with
    ``s = 2 sqrt(q) / (1 + q)`` (a simple form spanning the observed range of a2 from 0 to about
    -0.22), ``a4`` just above the contact limit ``a2 (0.125 - a2)`` of Rucinski (1997, AJ 113,
    407) and a small O'Connell-like ``a1`` (unequal minima). Priors: period log-normal around
    0.37 d within 0.22-1 d (Rucinski 2007, MNRAS 382, 393), ``q`` log-uniform in 0.08-1,
    inclination isotropic above 35 degrees.
``ELL``, ellipsoidal variables
    Non-eclipsing close binaries whose tidally distorted primary gives
    ``1 - A cos(4 pi phi) + a1 cos(2 pi phi)`` with ``A = alpha q (R1/a)^3 sin^2 i`` and a
    gravity-darkening term ``a1`` up to 20 % of ``A`` (unequal minima). Priors: period
    log-uniform in 1-30 d, ``R1/a`` in 0.15-0.35 (near-Roche-filling primaries), ``q`` in 0.2-1,
    ``cos i`` uniform above the eclipse limit (taking the companion's radius as ``q/2`` times the
    primary's).

Phase 0 (``epoch_days``) is the primary eclipse or minimum. Catalogue columns: ``mass_ratio``,
``inclination_deg``, ``radius_ratio`` and ``radius_primary_over_a`` and
``surface_brightness_ratio`` (EA), ``fourier_a1``, ``fourier_a2``, ``fourier_a4`` (EW, ELL:
relative-flux cosine coefficients) and ``amplitude`` (EA: primary eclipse depth; EW, ELL: peak to
peak).

Examples
--------
>>> params = {"period_days": 2.0, "epoch_days": 0.0, "radius_primary_over_a": 0.15,
...           "radius_ratio": 0.8, "surface_brightness_ratio": 0.64,
...           "inclination_deg": 90.0, "cadence_days": 0.0}
>>> primary, quadrature, secondary = eclipse_flux(np.array([0.0, 0.5, 1.0]), params)
>>> float(quadrature), round(float((1 - secondary) / (1 - primary)), 6)
(1.0, 0.64)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from astrolens.simulate.observations import exposure_average
from astrolens.simulate.transits import occulted_fraction

if TYPE_CHECKING:
    from astrolens.simulate.classes import DrawContext

__all__ = [
    "ELLIPSOIDAL_ALPHA",
    "cosine_binary_flux",
    "detached_binary_flux",
    "draw_contact_binaries",
    "draw_detached_binaries",
    "draw_ellipsoidal",
    "eclipse_duration_days",
    "eclipse_flux",
]

ELLIPSOIDAL_ALPHA = 1.3
"""Coefficient of the ellipsoidal amplitude ``alpha q (R/a)^3 sin^2 i`` (limb and gravity
darkening of a ~6000 K star, Faigler & Mazeh 2011)."""

_PHASE_GRID = np.linspace(0.0, 1.0, 256, endpoint=False)


def eclipse_duration_days(
    period_days: float | NDArray, sum_of_radii: float | NDArray, inclination_deg: float | NDArray
) -> NDArray[np.float64]:
    """First to last contact of an eclipse on a circular orbit (radii in units of ``a``).

    Examples
    --------
    >>> round(float(eclipse_duration_days(2.0, 0.2, 90.0)), 4)   # P/pi asin(0.2)
    0.1282
    """
    cos_i = np.cos(np.radians(inclination_deg))
    chord = np.sqrt(np.clip(np.asarray(sum_of_radii) ** 2 - cos_i**2, 0.0, None))
    return np.asarray(period_days) / np.pi * np.arcsin(np.clip(chord / np.sqrt(1 - cos_i**2), 0, 1))


def draw_detached_binaries(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of detached eclipsing binaries."""
    n = context.n
    period = np.exp(rng.uniform(np.log(1.0), np.log(20.0), n))
    separation = 4.208 * rng.uniform(1.5, 3.5, n) ** (1.0 / 3.0) * period ** (2.0 / 3.0)
    r1 = rng.uniform(0.8, 2.0, n) / separation
    k = rng.uniform(0.5, 1.0, n)
    cos_i = rng.random(n) * 0.9 * r1 * (1.0 + k)
    brightness = k**2
    primary_light = 1.0 / (1.0 + brightness * k**2)
    depth = primary_light * occulted_fraction(k, cos_i / r1)
    return {
        "subclass": np.where(cos_i < r1 * (1.0 - k), "total/annular", "partial").astype(object),
        "period_days": period,
        "epoch_days": context.time_starts + rng.random(n) * period,
        "radius_primary_over_a": r1,
        "radius_ratio": k,
        "surface_brightness_ratio": brightness,
        "mass_ratio": k**1.25,
        "inclination_deg": np.degrees(np.arccos(cos_i)),
        "duration_hours": 24.0
        * eclipse_duration_days(period, r1 * (1 + k), np.degrees(np.arccos(cos_i))),
        "amplitude": depth,
    }


def draw_contact_binaries(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of W UMa contact binaries."""
    n = context.n
    period = np.clip(np.exp(rng.normal(np.log(0.37), 0.25, n)), 0.22, 1.0)
    q = np.exp(rng.uniform(np.log(0.08), np.log(1.0), n))
    cos_i = rng.uniform(0.0, np.cos(np.radians(35.0)), n)
    s = 2.0 * np.sqrt(q) / (1.0 + q)
    a2 = -(0.03 + 0.19 * s) * (1.0 - cos_i**2)
    a4 = a2 * (0.125 - a2) + rng.uniform(0.0, 0.02, n)
    a1 = rng.normal(0.0, 0.01, n)
    return {
        "subclass": np.where(q < 0.3, "A-type", "W-type").astype(object),
        "period_days": period,
        "epoch_days": context.time_starts + rng.random(n) * period,
        "mass_ratio": q,
        "inclination_deg": np.degrees(np.arccos(cos_i)),
        "fourier_a1": a1,
        "fourier_a2": a2,
        "fourier_a4": a4,
        "amplitude": _cosine_peak_to_peak(a1, a2, a4),
    }


def draw_ellipsoidal(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of non-eclipsing ellipsoidal variables."""
    n = context.n
    period = np.exp(rng.uniform(np.log(1.0), np.log(30.0), n))
    r1 = rng.uniform(0.15, 0.35, n)
    q = rng.uniform(0.2, 1.0, n)
    eclipse_limit = r1 * (1.0 + 0.5 * q)
    cos_i = rng.uniform(eclipse_limit, 1.0)
    amplitude = ELLIPSOIDAL_ALPHA * q * r1**3 * (1.0 - cos_i**2)
    a1 = -amplitude * rng.uniform(0.0, 0.2, n)
    return {
        "subclass": np.full(n, "ellipsoidal", dtype=object),
        "period_days": period,
        "epoch_days": context.time_starts + rng.random(n) * period,
        "radius_primary_over_a": r1,
        "mass_ratio": q,
        "inclination_deg": np.degrees(np.arccos(cos_i)),
        "fourier_a1": a1,
        "fourier_a2": -amplitude,
        "fourier_a4": np.zeros(n),
        "amplitude": _cosine_peak_to_peak(a1, -amplitude, np.zeros(n)),
    }


def cosine_binary_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of a contact or ellipsoidal binary from its cosine coefficients.

    Examples
    --------
    >>> params = {"period_days": 0.4, "epoch_days": 0.0, "fourier_a1": 0.0,
    ...           "fourier_a2": -0.2, "fourier_a4": 0.0, "cadence_days": 0.0}
    >>> cosine_binary_flux(np.array([0.0, 0.1, 0.2]), params, np.random.default_rng()).round(3)
    array([0.8, 1.2, 0.8])
    """
    angle = 2.0 * np.pi * (time - params["epoch_days"]) / params["period_days"]
    smoothing = np.sinc(np.array([1.0, 2.0, 4.0]) * params["cadence_days"] / params["period_days"])
    return (
        1.0
        + smoothing[0] * params["fourier_a1"] * np.cos(angle)
        + smoothing[1] * params["fourier_a2"] * np.cos(2.0 * angle)
        + smoothing[2] * params["fourier_a4"] * np.cos(4.0 * angle)
    )


def eclipse_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator | None = None
) -> NDArray[np.float64]:
    """Relative flux of two uniform spheres eclipsing each other (1 out of eclipse).

    Examples
    --------
    >>> params = {"period_days": 2.0, "epoch_days": 0.0, "radius_primary_over_a": 0.15,
    ...           "radius_ratio": 0.8, "surface_brightness_ratio": 0.64,
    ...           "inclination_deg": 88.0, "cadence_days": 0.0}
    >>> primary, secondary = 1 - eclipse_flux(np.array([0.0, 1.0]), params)
    >>> round(float(secondary / primary), 6)
    0.64
    """
    period, epoch = params["period_days"], params["epoch_days"]
    r1 = params["radius_primary_over_a"]
    r2 = r1 * params["radius_ratio"]
    cos_i = np.cos(np.radians(params["inclination_deg"]))
    light1, light2 = _light_fractions(params)

    def model(at: NDArray[np.float64]) -> NDArray[np.float64]:
        angle = 2.0 * np.pi * (at - epoch) / period
        distance = np.sqrt(np.sin(angle) ** 2 + (cos_i * np.cos(angle)) ** 2)
        star2_in_front = np.cos(angle) > 0
        lost1 = np.where(star2_in_front, light1 * occulted_fraction(r2 / r1, distance / r1), 0.0)
        lost2 = np.where(star2_in_front, 0.0, light2 * occulted_fraction(r1 / r2, distance / r2))
        return 1.0 - lost1 - lost2

    half_width = eclipse_duration_days(period, r1 + r2, params["inclination_deg"]) / 2.0
    phase_days = (time - epoch + 0.25 * period) % (0.5 * period) - 0.25 * period
    near = np.abs(phase_days) < half_width + params["cadence_days"]
    flux = np.ones(time.size)
    flux[near] = exposure_average(model, time[near], params["cadence_days"])
    return flux


def detached_binary_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of a detached eclipsing binary: eclipses and ellipsoidal variation.

    Examples
    --------
    >>> params = {"period_days": 2.0, "epoch_days": 0.0, "radius_primary_over_a": 0.15,
    ...           "radius_ratio": 0.8, "surface_brightness_ratio": 0.64, "mass_ratio": 0.76,
    ...           "inclination_deg": 88.0, "cadence_days": 0.0}
    >>> flux = detached_binary_flux(np.array([0.0, 0.5, 1.0]), params, np.random.default_rng())
    >>> bool(flux[0] < flux[2] < flux[1])     # primary eclipse, secondary, quadrature
    True
    """
    r1 = params["radius_primary_over_a"]
    r2 = r1 * params["radius_ratio"]
    sin2_i = np.sin(np.radians(params["inclination_deg"])) ** 2
    q = params["mass_ratio"]
    light1, light2 = _light_fractions(params)
    ellipsoidal = ELLIPSOIDAL_ALPHA * sin2_i * (light1 * q * r1**3 + light2 / q * r2**3)
    angle = 2.0 * np.pi * (time - params["epoch_days"]) / params["period_days"]
    return eclipse_flux(time, params) - ellipsoidal * np.cos(2.0 * angle)


def _light_fractions(params: Mapping[str, Any]) -> tuple[float, float]:
    luminosity2 = params["surface_brightness_ratio"] * params["radius_ratio"] ** 2
    return 1.0 / (1.0 + luminosity2), luminosity2 / (1.0 + luminosity2)


def _cosine_peak_to_peak(a1: NDArray, a2: NDArray, a4: NDArray) -> NDArray[np.float64]:
    angle = 2.0 * np.pi * _PHASE_GRID[:, None]
    curve = a1 * np.cos(angle) + a2 * np.cos(2.0 * angle) + a4 * np.cos(4.0 * angle)
    return np.ptp(curve, axis=0)
