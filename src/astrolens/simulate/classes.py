"""The variability classes of the simulated survey: how each draws its parameters and its flux.

Every class pairs a *draw* function (vectorised: the catalogue parameters of ``n`` objects at once)
with a *flux* function (one object: its noiseless relative flux at given times, from its catalogue
row and a random generator seeded by the row). The physics and the priors of each family are
documented in its module of ``astrolens.simulate``:

=============== =================================================== ============
class           what                                                module
=============== =================================================== ============
``RRab``        RR Lyrae star, fundamental mode (OGLE-III rows)     pulsators
``RRc``         RR Lyrae star, first overtone (OGLE-III rows)       pulsators
``DCEP-F``      classical Cepheid, fundamental mode (OGLE-III rows) pulsators
``DCEP-1O``     classical Cepheid, first overtone (OGLE-III rows)   pulsators
``T2CEP``       type II Cepheid: BL Her, W Vir, RV Tau (OGLE-III)   pulsators
``DSCT``        delta Scuti star, multi-mode (OGLE-III rows)        pulsators
``MIRA``        Mira long-period variable (OGLE-III rows)           pulsators
``SR``          semi-regular variable (OGLE-III rows)               pulsators
``EA``          detached eclipsing binary                           binaries
``EW``          contact binary (W UMa)                              binaries
``ELL``         ellipsoidal variable                                binaries
``TRANSIT``     star with a transiting planet                       transits
``ROT``         spotted rotator with evolving spots                 rotation
``FLARE``       flaring M dwarf                                     flares
``GRANULATION`` red giant with granulation (red noise)              noise_models
``CONSTANT``    non-variable star                                   noise_models
=============== =================================================== ============

Examples
--------
>>> len(CLASSES), list(CLASSES)[:3]
(16, ['RRab', 'RRc', 'DCEP-F'])
>>> CLASSES["EA"].description
'detached eclipsing binary'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from astrolens.simulate import binaries, flares, noise_models, pulsators, rotation, transits

__all__ = ["CLASSES", "DrawContext", "VariabilityClass"]

DrawFunction = Callable[[np.random.Generator, "DrawContext"], dict[str, NDArray]]
FluxFunction = Callable[
    [NDArray[np.float64], Mapping[str, Any], np.random.Generator], NDArray[np.float64]
]


@dataclass(frozen=True)
class DrawContext:
    """What a draw function knows about the ``n`` objects it draws parameters for.

    Parameters
    ----------
    n
        Number of objects.
    missions
        Mission of each object (``"Kepler"`` or ``"TESS"``).
    band_factors
        Mission-band over I-band amplitude of each object's observing mode.
    limb_darkening
        ``(n, 2)`` quadratic limb-darkening coefficients of each object's band.
    time_starts
        Time of the first cadence of each object's observation (mission time, days).
    ogle
        For classes drawn from the OGLE-III catalogue, the catalogue rows of the class.
    """

    n: int
    missions: NDArray[np.object_]
    band_factors: NDArray[np.float64]
    limb_darkening: NDArray[np.float64]
    time_starts: NDArray[np.float64]
    ogle: pd.DataFrame | None = None


@dataclass(frozen=True)
class VariabilityClass:
    """One class of the simulated survey.

    Parameters
    ----------
    name
        Class label as written in the catalogue.
    description
        What it is, in a few words.
    draw
        ``draw(rng, context) -> {column: values}``: catalogue parameters of ``context.n`` objects.
    flux
        ``flux(time, row, rng) -> relative flux``: the noiseless light curve of one object.
    ogle_type, ogle_subtypes
        OGLE-III ``Type`` and ``Subtype`` values whose rows the class draws from (None: the class
        does not use the catalogue).
    ground
        Whether ground-based surveys (OGLE, MACHO, ASAS, ZTF) detect and catalogue the class:
        pulsators of 0.01-1 mag, eclipsing and contact binaries, constant stars. Transits,
        ellipsoidal variables, spots, flares and granulation of the amplitudes simulated here
        (1e-5 to a few 1e-3) are below the 0.01-0.1 mag errors of one ground-based epoch.
    """

    name: str
    description: str
    draw: DrawFunction
    flux: FluxFunction
    ogle_type: str | None = None
    ogle_subtypes: tuple[str, ...] = ()
    ground: bool = False


def _classes(*classes: VariabilityClass) -> dict[str, VariabilityClass]:
    return {variability.name: variability for variability in classes}


CLASSES: dict[str, VariabilityClass] = _classes(
    VariabilityClass(
        "RRab",
        "RR Lyrae star, fundamental mode",
        pulsators.draw_fourier_pulsators,
        pulsators.fourier_pulsator_flux,
        "RRLyr",
        ("RRab",),
        ground=True,
    ),
    VariabilityClass(
        "RRc",
        "RR Lyrae star, first overtone",
        pulsators.draw_fourier_pulsators,
        pulsators.fourier_pulsator_flux,
        "RRLyr",
        ("RRc",),
        ground=True,
    ),
    VariabilityClass(
        "DCEP-F",
        "classical Cepheid, fundamental mode",
        pulsators.draw_fourier_pulsators,
        pulsators.fourier_pulsator_flux,
        "Cep",
        ("F",),
        ground=True,
    ),
    VariabilityClass(
        "DCEP-1O",
        "classical Cepheid, first overtone",
        pulsators.draw_fourier_pulsators,
        pulsators.fourier_pulsator_flux,
        "Cep",
        ("1",),
        ground=True,
    ),
    VariabilityClass(
        "T2CEP",
        "type II Cepheid",
        pulsators.draw_fourier_pulsators,
        pulsators.fourier_pulsator_flux,
        "T2Cep",
        ("BLHer", "WVir", "RVTau"),
        ground=True,
    ),
    VariabilityClass(
        "DSCT",
        "delta Scuti star",
        pulsators.draw_delta_scuti,
        pulsators.delta_scuti_flux,
        "DSCT",
        (),
        ground=True,
    ),
    VariabilityClass(
        "MIRA",
        "Mira variable",
        pulsators.draw_long_period,
        pulsators.long_period_flux,
        "LPV",
        ("Mira",),
        ground=True,
    ),
    VariabilityClass(
        "SR",
        "semi-regular variable",
        pulsators.draw_long_period,
        pulsators.long_period_flux,
        "LPV",
        ("SRV",),
        ground=True,
    ),
    VariabilityClass(
        "EA",
        "detached eclipsing binary",
        binaries.draw_detached_binaries,
        binaries.detached_binary_flux,
        ground=True,
    ),
    VariabilityClass(
        "EW",
        "contact binary (W UMa)",
        binaries.draw_contact_binaries,
        binaries.cosine_binary_flux,
        ground=True,
    ),
    VariabilityClass(
        "ELL", "ellipsoidal variable", binaries.draw_ellipsoidal, binaries.cosine_binary_flux
    ),
    VariabilityClass(
        "TRANSIT", "transiting planet", transits.draw_transits, transits.planet_transit_flux
    ),
    VariabilityClass("ROT", "spotted rotator", rotation.draw_spotted_stars, rotation.spotted_flux),
    VariabilityClass("FLARE", "flare star", flares.draw_flare_stars, flares.flare_star_flux),
    VariabilityClass(
        "GRANULATION",
        "red giant granulation",
        noise_models.draw_granulation,
        noise_models.granulation_flux,
    ),
    VariabilityClass(
        "CONSTANT",
        "non-variable star",
        noise_models.draw_constant,
        noise_models.constant_flux,
        ground=True,
    ),
)
"""The classes by name, in catalogue order."""
