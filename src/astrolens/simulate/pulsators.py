"""Pulsating stars with periods, amplitudes and light-curve shapes of real OGLE-III stars.

Every pulsator is a real row of the OGLE-III catalogue of variable stars (see
:mod:`astrolens.simulate.ogle` for the catalogue and its references: Udalski et al. 2008; Soszynski
et al. 2008-2013; Poleski et al. 2010) and keeps its OGLE id, RA/Dec, I and V magnitudes.

``RRab``, ``RRc``, ``DCEP-F``, ``DCEP-1O``, ``T2CEP``
    RR Lyrae stars (fundamental, first overtone), classical Cepheids (fundamental, first
    overtone) and type II Cepheids (BL Her, W Vir, RV Tau): the row's period P, I-band
    peak-to-peak amplitude A and Fourier parameters of the I-band light curve. The magnitude
    variation is the cosine series used by OGLE (phases relative to the first harmonic)::

        dm(phi) = cos(2 pi phi) + R21 cos(4 pi phi + phi21) + R31 cos(6 pi phi + phi31)

    scaled to the row's peak-to-peak amplitude (missing R21 or R31 count as 0).
``DSCT``
    delta Scuti stars (LMC, Poleski et al. 2010): the row's main mode (P, A and, for
    single-mode stars, R21/phi21) plus a second mode, the row's P_2/A_2 for double-mode stars,
    otherwise either the radial first overtone (P1/P0 = 0.773) or a non-radial mode
    (P2/P1 uniform in 0.6-0.95) with 10-50 % of the main amplitude; one to three further
    low-amplitude (1-8 %) modes at 0.8-2 times the main frequency come from the object's seed.
``MIRA``, ``SR``
    Mira and semi-regular (OGLE ``SRV``) long-period variables: the row's P and A. Miras are
    nearly regular (phase wander of 0.03 cycle and amplitude changes of 5 % from cycle to cycle);
    semi-regulars wander strongly (0.15 cycle, 25 %; cf. Kiss et al. 1999, A&AS 136, 213) and add
    the row's secondary period P_2/A_2 when there is one. Both use a mildly asymmetric shape
    (R21 = 0.1, phi21 = 4.3, rising faster than declining).

Amplitudes are converted from the I band to the mission band with
``ObservingMode.band_amplitude_factor`` (see :mod:`astrolens.simulate.observations`). Flux is
``10**(-0.4 dm)``, so the mean magnitude has relative flux 1. The finite exposure of each cadence
smooths harmonic k by ``sinc(k t_exp / P)``.

Catalogue columns: ``amplitude`` is the peak-to-peak relative flux of the main mode,
``amplitude_mag`` its mission-band peak-to-peak in magnitudes, ``period2_days`` and
``amplitude2_mag`` the secondary mode, ``epoch_days`` the time of phase 0.

Examples
--------
>>> phase = np.linspace(0.0, 1.0, 1000, endpoint=False)
>>> shape = fourier_shape(phase, 0.47, 4.34, 0.32, 2.58)   # a typical RRab
>>> rising = np.diff(-shape) > 0                            # brightening (flux increasing)
>>> round(float(rising.mean()), 2)                          # fast rise, slow decline
0.33
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from astrolens.simulate.noise_models import damped_random_walk

if TYPE_CHECKING:
    from astrolens.simulate.classes import DrawContext

__all__ = [
    "FIRST_OVERTONE_RATIO",
    "LPV_SHAPE",
    "delta_scuti_flux",
    "draw_delta_scuti",
    "draw_fourier_pulsators",
    "draw_long_period",
    "fourier_pulsator_flux",
    "fourier_shape",
    "long_period_flux",
]

FIRST_OVERTONE_RATIO = 0.773
"""Period ratio of the radial first overtone to the fundamental mode of delta Scuti stars."""

LPV_SHAPE = (0.1, 4.3)
"""(R21, phi21) of the mildly asymmetric shape of Miras and semi-regulars."""

_WANDER = {"MIRA": (0.03, 0.05), "SR": (0.15, 0.25)}
_PHASE_GRID = np.linspace(0.0, 1.0, 256, endpoint=False)


def fourier_shape(
    phase: NDArray[np.float64],
    r21: float | NDArray[np.float64],
    phi21: float | NDArray[np.float64],
    r31: float | NDArray[np.float64],
    phi31: float | NDArray[np.float64],
    smoothing: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> NDArray[np.float64]:
    """The OGLE cosine series of a light curve in magnitudes (unit first-harmonic amplitude).

    Parameters
    ----------
    phase
        Pulsation phase in cycles; broadcast against the parameters.
    r21, phi21, r31, phi31
        Fourier amplitude ratios and phase differences (radians).
    smoothing
        Factors on the three harmonics (exposure smoothing).

    Examples
    --------
    >>> fourier_shape(np.array([0.0, 0.5]), 0.0, 0.0, 0.0, 0.0).tolist()
    [1.0, -1.0]
    """
    angle = 2.0 * np.pi * phase
    return (
        smoothing[0] * np.cos(angle)
        + smoothing[1] * r21 * np.cos(2.0 * angle + phi21)
        + smoothing[2] * r31 * np.cos(3.0 * angle + phi31)
    )


def draw_fourier_pulsators(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of RR Lyrae stars and Cepheids from random OGLE-III rows."""
    columns = _ogle_columns(rng, context)
    columns["amplitude"] = _peak_to_peak_flux(columns)
    return columns


def draw_delta_scuti(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of delta Scuti stars, with a second mode for every star."""
    columns = _ogle_columns(rng, context)
    missing = ~np.isfinite(columns["period2_days"])
    radial = rng.random(context.n) < 0.5
    ratio = np.where(radial, FIRST_OVERTONE_RATIO, rng.uniform(0.6, 0.95, context.n))
    drawn_amplitude = columns["amplitude_mag"] * rng.uniform(0.1, 0.5, context.n)
    columns["period2_days"] = np.where(
        missing, columns["period_days"] * ratio, columns["period2_days"]
    )
    columns["amplitude2_mag"] = np.where(missing, drawn_amplitude, columns["amplitude2_mag"])
    columns["amplitude"] = _peak_to_peak_flux(columns)
    return columns


MAX_SECONDARY_AMPLITUDE_MAG = 2.5
"""Largest secondary-period amplitude (mission band, mag) a Mira or SR light curve includes.

OGLE-III lists a few secondary amplitudes of tens of magnitudes (11 of 343,785 long-period variables
above 5 mag; 99.9 % are below 1.5 mag): catalogue artefacts, left out of the light curve.
"""


def draw_long_period(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    """Catalogue parameters of Miras and semi-regular variables from random OGLE-III rows."""
    columns = _ogle_columns(rng, context)
    for name in ("fourier_r31", "fourier_phi31"):
        columns[name] = np.full(context.n, np.nan)
    columns["fourier_r21"] = np.full(context.n, LPV_SHAPE[0])
    columns["fourier_phi21"] = np.full(context.n, LPV_SHAPE[1])
    columns["amplitude"] = _peak_to_peak_flux(columns)
    return columns


def fourier_pulsator_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of an RR Lyrae star or Cepheid (deterministic; ``rng`` is unused).

    Examples
    --------
    >>> params = {"period_days": 0.5, "epoch_days": 0.0, "amplitude_mag": 1.0,
    ...           "fourier_r21": 0.5, "fourier_phi21": 4.3, "fourier_r31": 0.3,
    ...           "fourier_phi31": 2.6, "cadence_days": 0.0}
    >>> flux = fourier_pulsator_flux(np.linspace(0, 0.5, 2000), params, np.random.default_rng())
    >>> round(float(2.5 * np.log10(flux.max() / flux.min())), 2)
    1.0
    """
    return 10.0 ** (-0.4 * _main_mode_magnitudes(time, params))


def delta_scuti_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of a multi-mode delta Scuti star; the weakest modes come from ``rng``."""
    magnitudes = _main_mode_magnitudes(time, params)
    main_frequency = 1.0 / params["period_days"]
    frequencies = [1.0 / params["period2_days"]]
    amplitudes = [params["amplitude2_mag"]]
    extra = int(rng.integers(1, 4))
    frequencies.extend(main_frequency * rng.uniform(0.8, 2.0, extra))
    amplitudes.extend(params["amplitude_mag"] * rng.uniform(0.01, 0.08, extra))
    for frequency, amplitude in zip(frequencies, amplitudes, strict=True):
        smoothing = np.sinc(frequency * params["cadence_days"])
        phase = 2.0 * np.pi * (frequency * (time - params["epoch_days"]) + rng.random())
        magnitudes += 0.5 * amplitude * smoothing * np.cos(phase)
    return 10.0 ** (-0.4 * magnitudes)


def long_period_flux(
    time: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Relative flux of a Mira or semi-regular variable with cycle-to-cycle wander."""
    period = params["period_days"]
    phase_wander, amplitude_wander = _WANDER[params["class"]]
    phase = (time - params["epoch_days"]) / period
    phase += damped_random_walk(time, 2.0 * period, phase_wander, rng)
    scale = 1.0 + damped_random_walk(time, 2.0 * period, amplitude_wander, rng)
    shape = fourier_shape(phase, *LPV_SHAPE, 0.0, 0.0)
    magnitudes = (
        params["amplitude_mag"]
        * scale
        * shape
        / np.ptp(fourier_shape(_PHASE_GRID, *LPV_SHAPE, 0.0, 0.0))
    )
    period2 = params["period2_days"]
    if (
        np.isfinite(period2)
        and period2 > 0
        and params["amplitude2_mag"] <= MAX_SECONDARY_AMPLITUDE_MAG
    ):
        phase2 = (time - params["epoch_days"]) / period2 + rng.random()
        magnitudes += 0.5 * params["amplitude2_mag"] * np.cos(2.0 * np.pi * phase2)
    return 10.0 ** (-0.4 * magnitudes)


def _main_mode_magnitudes(
    time: NDArray[np.float64], params: Mapping[str, Any]
) -> NDArray[np.float64]:
    period = params["period_days"]
    harmonics = _finite_or_zero(params["fourier_r21"]), _finite_or_zero(params["fourier_r31"])
    phases = _finite_or_zero(params["fourier_phi21"]), _finite_or_zero(params["fourier_phi31"])
    shape_range = np.ptp(
        fourier_shape(_PHASE_GRID, harmonics[0], phases[0], harmonics[1], phases[1])
    )
    smoothing = tuple(np.sinc(k * params["cadence_days"] / period) for k in (1, 2, 3))
    phase = (time - params["epoch_days"]) / period
    shape = fourier_shape(phase, harmonics[0], phases[0], harmonics[1], phases[1], smoothing)
    return params["amplitude_mag"] * shape / shape_range


def _ogle_columns(rng: np.random.Generator, context: DrawContext) -> dict[str, NDArray]:
    rows = context.ogle.iloc[rng.integers(0, len(context.ogle), context.n)]
    period = rows["period_days"].to_numpy()
    return {
        "subclass": rows["subtype"].to_numpy(dtype=object),
        "ogle_id": rows["ogle_id"].to_numpy(dtype=object),
        "ra": rows["ra"].to_numpy(),
        "dec": rows["dec"].to_numpy(),
        "ogle_i_mag": rows["i_mag"].to_numpy(),
        "ogle_v_mag": rows["v_mag"].to_numpy(),
        "ogle_amplitude_i_mag": rows["amplitude_i_mag"].to_numpy(),
        "period_days": period,
        "epoch_days": context.time_starts + rng.random(context.n) * period,
        "amplitude_mag": rows["amplitude_i_mag"].to_numpy() * context.band_factors,
        "fourier_r21": rows["r21"].to_numpy(),
        "fourier_phi21": rows["phi21"].to_numpy(),
        "fourier_r31": rows["r31"].to_numpy(),
        "fourier_phi31": rows["phi31"].to_numpy(),
        "period2_days": rows["period2_days"].to_numpy(),
        "amplitude2_mag": rows["amplitude2_i_mag"].to_numpy() * context.band_factors,
    }


def _peak_to_peak_flux(columns: Mapping[str, NDArray]) -> NDArray[np.float64]:
    r21, phi21 = _finite_or_zero(columns["fourier_r21"]), _finite_or_zero(columns["fourier_phi21"])
    r31, phi31 = _finite_or_zero(columns["fourier_r31"]), _finite_or_zero(columns["fourier_phi31"])
    shape = fourier_shape(_PHASE_GRID[:, None], r21, phi21, r31, phi31)
    low, high = shape.min(axis=0), shape.max(axis=0)
    scale = columns["amplitude_mag"] / (high - low)
    return 10.0 ** (-0.4 * scale * low) - 10.0 ** (-0.4 * scale * high)


def _finite_or_zero(value: float | NDArray[np.float64]) -> Any:
    return (
        np.where(np.isfinite(value), value, 0.0)
        if np.ndim(value)
        else (value if np.isfinite(value) else 0.0)
    )
