"""The classes of the simulated galaxy survey and the priors of their physical parameters.

Each class draws the catalogue parameters of ``n`` objects at once (vectorised) from priors taken
from the literature; :mod:`~astrolens.simulate.galaxies.render` turns one row into an image.

===================== ==================================================================
class                 what
===================== ==================================================================
``elliptical``        smooth red spheroid, Sersic n 3-6
``lenticular``        S0: red bulge and smooth exponential disk, no arms
``spiral``            disk, bulge and 2-4 blue logarithmic arms
``barred_spiral``     a spiral whose arms start at the ends of a bar
``edge_on_disk``      thin disk seen at 80-90 deg inclination, with a dust lane
``irregular``         faint blue disk with bright star-forming clumps
``merger``            two overlapping galaxies with tidal tails
``ring``              bulge and faint disk inside a bright star-forming ring
``lens_arc``          red massive elliptical and a blue lensed arc at its Einstein radius
``satellite_trail``   an artefact: a satellite or aircraft streak across the field, one band
``saturated_star``    an artefact: a saturated bright star, bleed trail and diffraction spikes
===================== ==================================================================

Priors (distances from the Planck 2018 cosmology, ``astropy.cosmology.Planck18``; no
K-corrections; magnitudes in the DECam r band, AB):

- **Redshift**: uniform in comoving volume (``p(z) ~ z**2``) within each class's range, 0.03-0.15
  for bright galaxies, 0.01-0.05 for dwarf irregulars, 0.25-0.6 for the lenses' deflectors.
- **Luminosity and size**: absolute magnitude ``M_r`` Gaussian per class (about -21.5 for
  ellipticals, -21 for disks, -18.5 for irregulars); half-light radius from the size-luminosity
  relations of Shen et al. (2003, MNRAS 343, 978): ``R_e ~ L**0.65`` for early types,
  ``L**0.26`` for late types, 0.3 dex log-normal scatter, 4-4.5 kpc at ``M_r = -21``.
- **Sersic index**: ellipticals 3-6 (Caon, Capaccioli & D'Onofrio 1993, MNRAS 265, 1013; Graham &
  Driver 2005, PASA 22, 118); bulges 1-4, pseudo-bulges below 2 (Fisher & Drory 2008, AJ 136, 773).
- **Bulge-to-total**: S0 0.3-0.6 (Laurikainen et al. 2010, MNRAS 405, 1089); spirals 0.05-0.35
  (Simard et al. 2011, ApJS 196, 11).
- **Spiral arms**: 2 arms (60%), 3 (25%) or 4 (15%) (Hart et al. 2016, MNRAS 461, 3663); pitch
  angle 10-30 deg (Kennicutt 1981, AJ 86, 1847; Davis et al. 2014, ApJ 789, 124); 30-50% of the
  disk light in the arms, bluer than the disk by 0.2 mag in g-r (young stars, HII regions).
- **Bars**: semi-major axis 0.8-1.5 disk scale lengths, bar-to-total 0.05-0.2, axis ratio
  0.2-0.35 (Gadotti 2011, MNRAS 415, 3308; Erwin 2005, MNRAS 364, 283).
- **Inclination**: random orientations (uniform in cos i), limited to i < 70 deg for classes
  recognised by their face-on structure (arms, bars, rings); edge-on disks 80-90 deg with an
  intrinsic thickness q0 = 0.08-0.2 (Unterborn & Ryden 2008, ApJ 687, 976) and the projected axis
  ratio of Hubble (1926): ``q**2 = q0**2 + (1 - q0**2) cos(i)**2``.
- **Colours** (DECam g-r, r-z): red sequence 0.75 and 0.45, star-forming disks 0.45 and 0.3,
  irregulars 0.3 and 0.2, lens deflectors (luminous red galaxies at z 0.25-0.6) 1.3-1.8 and
  0.7-1.0 (Zhou et al. 2023, AJ 165, 58), lensed sources 0.2 and 0.15.
- **Rings**: radius 1-2 half-light radii, 20-45% of the light (Buta & Combes 1996, Fund. Cosmic
  Phys. 17, 95).
- **Lenses**: Einstein radius 1-3 arcsec, the range of the Legacy Survey lens candidates (Huang et
  al. 2020, ApJ 894, 78); arc r = 19-21 mag, 60-200 deg long.
- **Mergers**: companion at 0.6-1.6 times the sum of the half-light radii, flux ratio 0.3-1,
  tidal tails 1.5-3.5 half-light radii long with 10-25% of the light (Toomre & Toomre 1972, ApJ
  178, 623; Lotz et al. 2008, MNRAS 391, 1137).
- **Artefacts**: trails of 22-24.5 mag per arcsec (one exposure of a coadd) in one band passing
  within 5 arcsec of the centre; stars of r = 10-13.5 mag (saturated in a DECam exposure, Dey
  et al. 2019, AJ 157, 168).

Not simulated: real morphologies (no galaxy is taken from a survey), K-corrections and evolution,
colour gradients within a component, dust other than the edge-on lane, flocculent arms, warps,
shells, satellites bound to the galaxy, and the masking Legacy Survey coadds apply to artefacts.

Examples
--------
>>> [galaxy_class.name for galaxy_class in GALAXY_CLASSES][:3]
['elliptical', 'lenticular', 'spiral']
>>> galaxy_class_named("ring").description
'bulge and faint disk inside a bright star-forming ring'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["GALAXY_CLASSES", "GALAXY_CLASS_NAMES", "GalaxyClass", "galaxy_class_named"]

Columns = dict[str, NDArray]
DrawFunction = Callable[[np.random.Generator, int], Columns]

_KPC_PER_MPC = 1000.0
_ARCSEC_PER_RADIAN = 206_264.806


@dataclass(frozen=True)
class GalaxyClass:
    """One class of the simulated galaxy survey.

    Parameters
    ----------
    name
        Class label as written in the catalogue.
    description
        What it is, in one line.
    draw
        ``draw(rng, n) -> {column: values}``: the class's catalogue parameters of ``n`` objects.
    artefact
        Whether the class is an instrumental artefact rather than a galaxy.
    """

    name: str
    description: str
    draw: DrawFunction
    artefact: bool = False


def _uniform(rng: np.random.Generator, low: float, high: float, n: int) -> NDArray[np.float64]:
    return rng.uniform(low, high, n)


def _volume_redshifts(
    rng: np.random.Generator, z_min: float, z_max: float, n: int
) -> NDArray[np.float64]:
    """Redshifts uniform in (Euclidean) volume: ``p(z) ~ z**2`` within ``[z_min, z_max]``."""
    return (z_min**3 + rng.uniform(0.0, 1.0, n) * (z_max**3 - z_min**3)) ** (1.0 / 3.0)


def _distance_terms(redshift: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Distance modulus (mag) and kpc per arcsec at ``redshift`` (Planck 2018 cosmology)."""
    from astropy.cosmology import Planck18

    modulus = np.asarray(Planck18.distmod(redshift).value)
    angular_mpc = np.asarray(Planck18.angular_diameter_distance(redshift).value)
    return modulus, angular_mpc * _KPC_PER_MPC / _ARCSEC_PER_RADIAN


def _galaxy(
    rng: np.random.Generator,
    n: int,
    *,
    redshift: tuple[float, float],
    absolute_mag: tuple[float, float],
    size_slope: float,
    late_type: bool,
) -> Columns:
    """Redshift, apparent r magnitude and half-light radius (arcsec) of ``n`` galaxies.

    ``absolute_mag`` is the mean and standard deviation of ``M_r``; the half-light radius follows
    ``R_e = R_0 10**(-0.4 size_slope (M_r + 21))`` kpc with 0.3 dex scatter (Shen et al. 2003).
    """
    z = _volume_redshifts(rng, *redshift, n)
    magnitude = rng.normal(*absolute_mag, n)
    modulus, kpc_per_arcsec = _distance_terms(z)
    radius_0 = 4.5 if late_type else 4.0
    radius_kpc = radius_0 * 10 ** (-0.4 * size_slope * (magnitude + 21.0) + rng.normal(0, 0.13, n))
    return {
        "redshift": z,
        "mag_r": magnitude + modulus,
        "half_light_radius_arcsec": radius_kpc / kpc_per_arcsec,
    }


def _inclined(rng: np.random.Generator, n: int, max_inclination_deg: float) -> Columns:
    """Random orientations (uniform in cos i) up to ``max_inclination_deg``, thin disks."""
    cos_i = rng.uniform(np.cos(np.radians(max_inclination_deg)), 1.0, n)
    thickness = rng.uniform(0.1, 0.2, n)
    return {
        "inclination_deg": np.degrees(np.arccos(cos_i)),
        "axis_ratio": np.sqrt(thickness**2 + (1 - thickness**2) * cos_i**2),
        "position_angle_deg": _uniform(rng, 0.0, 180.0, n),
    }


def _colours(
    rng: np.random.Generator, n: int, prefix: str, g_r: float, r_z: float, scatter: float = 0.05
) -> Columns:
    return {
        f"{prefix}_g_r": rng.normal(g_r, scatter, n),
        f"{prefix}_r_z": rng.normal(r_z, scatter, n),
    }


def _bulge(
    rng: np.random.Generator, n: int, sersic: tuple[float, float], radius: Columns
) -> Columns:
    return {
        "sersic_n": _uniform(rng, *sersic, n),
        "bulge_radius_arcsec": radius["half_light_radius_arcsec"] * _uniform(rng, 0.12, 0.3, n),
    }


def draw_ellipticals(rng: np.random.Generator, n: int) -> Columns:
    """Ellipticals: one red Sersic spheroid, n 3-6, axis ratio 0.5-1 (E0-E5)."""
    columns = _galaxy(
        rng, n, redshift=(0.03, 0.15), absolute_mag=(-21.5, 0.7), size_slope=0.65, late_type=False
    )
    columns["sersic_n"] = _uniform(rng, 3.0, 6.0, n)
    columns["bulge_radius_arcsec"] = columns["half_light_radius_arcsec"]
    columns["bulge_fraction"] = np.ones(n)
    columns["axis_ratio"] = _uniform(rng, 0.5, 1.0, n)
    columns["position_angle_deg"] = _uniform(rng, 0.0, 180.0, n)
    return columns | _colours(rng, n, "bulge", 0.75, 0.45)


def _disk_galaxy(
    rng: np.random.Generator,
    n: int,
    *,
    bulge_fraction: tuple[float, float],
    sersic: tuple[float, float],
    max_inclination_deg: float,
    disk_colours: tuple[float, float],
    absolute_mag: tuple[float, float] = (-21.0, 0.7),
) -> Columns:
    columns = _galaxy(
        rng, n, redshift=(0.03, 0.15), absolute_mag=absolute_mag, size_slope=0.26, late_type=True
    )
    columns |= _bulge(rng, n, sersic, columns)
    columns["bulge_fraction"] = _uniform(rng, *bulge_fraction, n)
    columns |= _inclined(rng, n, max_inclination_deg)
    return columns | _colours(rng, n, "bulge", 0.75, 0.45) | _colours(rng, n, "disk", *disk_colours)


def draw_lenticulars(rng: np.random.Generator, n: int) -> Columns:
    """S0s: a bulge (n 1.5-4, B/T 0.3-0.6) and a smooth red disk, any inclination."""
    return _disk_galaxy(
        rng,
        n,
        bulge_fraction=(0.3, 0.6),
        sersic=(1.5, 4.0),
        max_inclination_deg=75.0,
        disk_colours=(0.7, 0.42),
    )


def _arms(rng: np.random.Generator, n: int) -> Columns:
    return {
        "arm_count": rng.choice([2.0, 3.0, 4.0], n, p=[0.6, 0.25, 0.15]),
        "pitch_angle_deg": _uniform(rng, 10.0, 30.0, n),
        "arm_flux_fraction": _uniform(rng, 0.3, 0.5, n),
    }


def draw_spirals(rng: np.random.Generator, n: int) -> Columns:
    """Spirals: bulge (B/T 0.05-0.35), blue disk and 2-4 logarithmic arms, i < 70 deg."""
    columns = _disk_galaxy(
        rng,
        n,
        bulge_fraction=(0.05, 0.35),
        sersic=(1.0, 4.0),
        max_inclination_deg=70.0,
        disk_colours=(0.45, 0.3),
    )
    return columns | _arms(rng, n)


def draw_barred_spirals(rng: np.random.Generator, n: int) -> Columns:
    """Barred spirals: a spiral plus a bar (0.8-1.5 scale lengths, 5-20% of the light)."""
    columns = draw_spirals(rng, n)
    columns["arm_count"] = np.full(n, 2.0)
    scale_length = columns["half_light_radius_arcsec"] / 1.678
    columns["bar_length_arcsec"] = scale_length * _uniform(rng, 0.8, 1.5, n)
    columns["bar_flux_fraction"] = _uniform(rng, 0.05, 0.2, n)
    columns["bar_axis_ratio"] = _uniform(rng, 0.2, 0.35, n)
    columns["bar_angle_deg"] = _uniform(rng, 0.0, 180.0, n)
    return columns


def draw_edge_on_disks(rng: np.random.Generator, n: int) -> Columns:
    """Edge-on disks: i 80-90 deg, q0 0.08-0.2, small bulge, a dust lane of g-band depth 0.3-0.9."""
    columns = _disk_galaxy(
        rng,
        n,
        bulge_fraction=(0.0, 0.3),
        sersic=(1.0, 3.0),
        max_inclination_deg=90.0,
        disk_colours=(0.5, 0.32),
    )
    cos_i = np.cos(np.radians(_uniform(rng, 80.0, 90.0, n)))
    thickness = _uniform(rng, 0.08, 0.2, n)
    columns["inclination_deg"] = np.degrees(np.arccos(cos_i))
    columns["axis_ratio"] = np.sqrt(thickness**2 + (1 - thickness**2) * cos_i**2)
    columns["dust_lane_depth"] = _uniform(rng, 0.3, 0.9, n)
    return columns


def draw_irregulars(rng: np.random.Generator, n: int) -> Columns:
    """Dwarf irregulars: a faint blue disk (n 0.5-1.5), 4-15 clumps with 30-60% of the light."""
    columns = _galaxy(
        rng, n, redshift=(0.01, 0.05), absolute_mag=(-18.5, 0.7), size_slope=0.26, late_type=True
    )
    columns["sersic_n"] = _uniform(rng, 0.5, 1.5, n)
    columns["bulge_fraction"] = np.zeros(n)
    columns["axis_ratio"] = _uniform(rng, 0.4, 1.0, n)
    columns["position_angle_deg"] = _uniform(rng, 0.0, 180.0, n)
    columns["n_clumps"] = rng.integers(4, 16, n).astype(float)
    columns["clump_flux_fraction"] = _uniform(rng, 0.3, 0.6, n)
    return columns | _colours(rng, n, "disk", 0.3, 0.2)


def draw_mergers(rng: np.random.Generator, n: int) -> Columns:
    """Mergers: two bulge-plus-disk galaxies, flux ratio 0.3-1, and two tidal tails."""
    columns = _disk_galaxy(
        rng,
        n,
        bulge_fraction=(0.1, 0.6),
        sersic=(1.0, 4.0),
        max_inclination_deg=75.0,
        disk_colours=(0.5, 0.32),
    )
    radius = columns["half_light_radius_arcsec"]
    ratio = _uniform(rng, 0.3, 1.0, n)
    columns["companion_flux_ratio"] = ratio
    columns["companion_offset_arcsec"] = radius * (1 + np.sqrt(ratio)) * _uniform(rng, 0.6, 1.6, n)
    columns["companion_angle_deg"] = _uniform(rng, 0.0, 360.0, n)
    columns["tail_length_arcsec"] = radius * _uniform(rng, 1.5, 3.5, n)
    columns["tail_flux_fraction"] = _uniform(rng, 0.1, 0.25, n)
    return columns


def draw_rings(rng: np.random.Generator, n: int) -> Columns:
    """Rings: bulge (B/T 0.2-0.5), faint disk, a ring at 1-2 R_e with 20-45% of the light."""
    columns = _disk_galaxy(
        rng,
        n,
        bulge_fraction=(0.2, 0.5),
        sersic=(1.5, 4.0),
        max_inclination_deg=60.0,
        disk_colours=(0.45, 0.3),
    )
    columns["ring_radius_arcsec"] = columns["half_light_radius_arcsec"] * _uniform(rng, 1.0, 2.0, n)
    columns["ring_flux_fraction"] = _uniform(rng, 0.2, 0.45, n)
    return columns


def draw_lenses(rng: np.random.Generator, n: int) -> Columns:
    """Strong lenses: a red massive elliptical at z 0.25-0.6, a blue arc at its Einstein radius."""
    columns = _galaxy(
        rng, n, redshift=(0.25, 0.6), absolute_mag=(-22.5, 0.4), size_slope=0.65, late_type=False
    )
    columns["sersic_n"] = _uniform(rng, 3.0, 5.0, n)
    columns["bulge_radius_arcsec"] = columns["half_light_radius_arcsec"]
    columns["bulge_fraction"] = np.ones(n)
    columns["axis_ratio"] = _uniform(rng, 0.6, 1.0, n)
    columns["position_angle_deg"] = _uniform(rng, 0.0, 180.0, n)
    columns |= _colours(rng, n, "bulge", 1.55, 0.85, scatter=0.1)
    columns["einstein_radius_arcsec"] = _uniform(rng, 1.0, 3.0, n)
    columns["arc_length_deg"] = _uniform(rng, 60.0, 200.0, n)
    columns["arc_angle_deg"] = _uniform(rng, 0.0, 360.0, n)
    columns["arc_mag_r"] = _uniform(rng, 19.0, 21.0, n)
    return columns | _colours(rng, n, "arc", 0.2, 0.15, scatter=0.08)


def draw_satellite_trails(rng: np.random.Generator, n: int) -> Columns:
    """Satellite trails: a straight streak in one band, 22-24.5 mag per arcsec of its length."""
    return {
        "trail_angle_deg": _uniform(rng, 0.0, 180.0, n),
        "trail_offset_arcsec": _uniform(rng, -5.0, 5.0, n),
        "trail_mag_per_arcsec": _uniform(rng, 22.0, 24.5, n),
        "trail_band": rng.choice(np.array(["g", "r", "z"], dtype=object), n),
    }


def draw_saturated_stars(rng: np.random.Generator, n: int) -> Columns:
    """Saturated stars: r = 10-13.5 mag, stellar colours, diffraction spikes at a random angle."""
    return {
        "star_mag_r": _uniform(rng, 10.0, 13.5, n),
        "spike_angle_deg": _uniform(rng, 0.0, 90.0, n),
    } | _colours(rng, n, "star", 0.7, 0.35, scatter=0.25)


GALAXY_CLASSES: tuple[GalaxyClass, ...] = (
    GalaxyClass("elliptical", "smooth red spheroid, Sersic n 3-6", draw_ellipticals),
    GalaxyClass(
        "lenticular", "S0: red bulge and smooth exponential disk, no arms", draw_lenticulars
    ),
    GalaxyClass("spiral", "disk, bulge and 2-4 blue logarithmic arms", draw_spirals),
    GalaxyClass(
        "barred_spiral", "a spiral whose arms start at the ends of a bar", draw_barred_spirals
    ),
    GalaxyClass(
        "edge_on_disk",
        "thin disk seen at 80-90 deg inclination, with a dust lane",
        draw_edge_on_disks,
    ),
    GalaxyClass("irregular", "faint blue disk with bright star-forming clumps", draw_irregulars),
    GalaxyClass("merger", "two overlapping galaxies with tidal tails", draw_mergers),
    GalaxyClass("ring", "bulge and faint disk inside a bright star-forming ring", draw_rings),
    GalaxyClass(
        "lens_arc",
        "red massive elliptical and a blue lensed arc at its Einstein radius",
        draw_lenses,
    ),
    GalaxyClass(
        "satellite_trail",
        "a satellite or aircraft streak across the field, in one band",
        draw_satellite_trails,
        artefact=True,
    ),
    GalaxyClass(
        "saturated_star",
        "a saturated bright star with bleed trail and diffraction spikes",
        draw_saturated_stars,
        artefact=True,
    ),
)
"""The classes in catalogue order."""

GALAXY_CLASS_NAMES: tuple[str, ...] = tuple(galaxy_class.name for galaxy_class in GALAXY_CLASSES)
"""Their names."""


def galaxy_class_named(name: str) -> GalaxyClass:
    """The class called ``name``.

    Raises
    ------
    ValueError
        If there is none, naming the known classes.

    Examples
    --------
    >>> galaxy_class_named("pulsar")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown galaxy class 'pulsar'; known: elliptical, lenticular, spiral, ...
    """
    for galaxy_class in GALAXY_CLASSES:
        if galaxy_class.name == name:
            return galaxy_class
    raise ValueError(f"unknown galaxy class {name!r}; known: {', '.join(GALAXY_CLASS_NAMES)}")
