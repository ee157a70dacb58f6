"""Spotted rotating stars whose spots emerge, decay and drift with differential rotation.

A vectorised evolving-spot model in the spirit of ``butterpy`` (Claytor et al. 2022, ApJ 927,
219), fast enough to regenerate thousands of light curves per second. Each spot k has a latitude
``beta_k``, a longitude, a peak dimming ``w_k`` and a Gaussian growth-and-decay envelope of width
``tau_k`` around its time of maximum ``t_k``; it rotates with the period of its latitude under
solar-like differential rotation, ``P(beta) = P_eq / (1 - alpha sin^2 beta)``. Its dimming is its
area projected on the line of sight (with linear limb darkening, u = 0.6)::

    mu_k(t) = cos i sin beta_k + sin i cos beta_k cos(lambda_k + 2 pi t / P(beta_k))
    d(t)    = sum_k w_k exp(-(t - t_k)^2 / (2 tau_k^2)) max(mu_k, 0) (1 - u + u mu_k)

and the relative flux is ``1 - A (d - mean(d)) / ptp(d)``, so the peak-to-peak amplitude of the
observed light curve is exactly the catalogue ``amplitude`` A.

Priors (Kepler field stars): equatorial period log-uniform in 0.5-45 d and amplitude log-uniform
in 0.1-3 % (McQuillan, Mazeh & Aigrain 2014, ApJS 211, 24); isotropic inclination; shear
``alpha`` uniform in 0-0.3 (the Sun: 0.2; Reinhold, Reiners & Basri 2013, A&A 560, A4); spot
lifetimes log-uniform in 1-5 rotations within 2-100 d (Giles, Collier Cameron & Haywood 2017,
MNRAS 472, 1618); spot latitudes uniform in sin(beta) within +-60 degrees; two spots plus, on
average, one per spot lifetime spanned by the observation (at most 12). The individual spots
come from the object's seed.

Catalogue columns: ``rotation_period_days`` (= ``period_days``), ``inclination_deg``,
``differential_rotation`` (alpha), ``spot_lifetime_days`` and ``amplitude``.

Examples
--------
>>> params = {"rotation_period_days": 5.0, "inclination_deg": 70.0, "amplitude": 0.01,
...           "differential_rotation": 0.1, "spot_lifetime_days": 20.0}
>>> time = np.arange(0.0, 90.0, 0.02)
>>> flux = spotted_flux(time, params, np.random.default_rng(4))
>>> round(float(np.ptp(flux)), 6), round(float(flux.mean()), 6)
(0.01, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from astrolens.simulate.classes import DrawContext

__all__ = ["draw_rotation", "draw_spotted_stars", "spotted_flux"]

_LIMB_DARKENING = 0.6
_MAX_SPOTS = 12


def draw_rotation(
    rng: np.random.Generator,
    context: DrawContext,
    period_range: tuple[float, float],
    amplitude_range: tuple[float, float],
) -> dict[str, NDArray]:
    """Rotation parameters within the given period (days) and amplitude ranges (log-uniform)."""
    n = context.n
    period = np.exp(rng.uniform(*np.log(period_range), n))
    lifetime = np.clip(period * np.exp(rng.uniform(0.0, np.log(5.0), n)), 2.0, 100.0)
    return {
        "period_days": period,
        "rotation_period_days": period,
        "inclination_deg": np.degrees(np.arccos(rng.random(n))),
        "differential_rotation": rng.uniform(0.0, 0.3, n),
        "spot_lifetime_days": lifetime,
        "amplitude": np.exp(rng.uniform(*np.log(amplitude_range), n)),
    }


def draw_spotted_stars(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of the ``ROT`` class (spotted FGK stars)."""
    columns = draw_rotation(rng, context, (0.5, 45.0), (1e-3, 3e-2))
    columns["subclass"] = np.where(columns["period_days"] < 5.0, "fast", "slow").astype(object)
    return columns


def spotted_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of a spotted star (mean 1, peak-to-peak ``params["amplitude"]``)."""
    start, end = float(time[0]), float(time[-1])
    lifetime = params["spot_lifetime_days"]
    n_spots = min(2 + rng.poisson((end - start) / lifetime), _MAX_SPOTS)
    latitude = np.arcsin(rng.uniform(-np.sin(np.pi / 3), np.sin(np.pi / 3), n_spots))[:, None]
    longitude = rng.uniform(0.0, 2.0 * np.pi, n_spots)[:, None]
    weight = rng.uniform(0.3, 1.0, n_spots)[:, None]
    peak_time = rng.uniform(start - lifetime, end + lifetime, n_spots)[:, None]
    width = lifetime * rng.uniform(0.5, 1.5, n_spots)[:, None]
    period = params["rotation_period_days"] / (
        1.0 - params["differential_rotation"] * np.sin(latitude) ** 2
    )
    inclination = np.radians(params["inclination_deg"])
    mu = np.cos(inclination) * np.sin(latitude) + np.sin(inclination) * np.cos(latitude) * np.cos(
        longitude + 2.0 * np.pi * (time - start) / period
    )
    mu = np.clip(mu, 0.0, None)
    envelope = weight * np.exp(-0.5 * ((time - peak_time) / width) ** 2)
    dimming = np.sum(envelope * mu * (1.0 - _LIMB_DARKENING + _LIMB_DARKENING * mu), axis=0)
    spread = np.ptp(dimming)
    if spread == 0.0:
        return np.ones(time.size)
    return 1.0 - params["amplitude"] * (dimming - dimming.mean()) / spread
