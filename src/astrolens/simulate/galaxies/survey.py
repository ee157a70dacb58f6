"""The simulated galaxy survey: a labelled catalogue of physical parameters, images on demand.

A survey is a table with one row per object, in the way of the light-curve survey
(:mod:`astrolens.simulate.survey`): each row holds the object's class, its physical parameters,
its observing conditions (seeing, sky brightness, pixel scale, image size) and its own rendering
``seed``, so that :func:`~astrolens.simulate.galaxies.render.render_galaxy` rebuilds its image from
the row alone and no image needs to be stored.

Named sizes (:data:`SIZES`): ``tiny`` (320 objects, for tests), ``small`` (5,000, what ``make
demo`` trains its galaxy model on and serves), ``demo`` (20,000) and ``large`` (200,000). The
observing conditions imitate the DESI Legacy Imaging Surveys (DECaLS, Dey et al. 2019, AJ 157,
168): DECam g, r, z at 0.262 arcsec per pixel, seeing 0.9-1.7 arcsec FWHM, dark
sky of 22.04, 20.91 and 18.46 mag per square arcsec with 0.3 mag of scatter, objects in a
patch of sky. The priors of each class are in :mod:`astrolens.simulate.galaxies.classes`.

Determinism: the class of every object is fixed by the survey seed (exact class balance,
shuffled); chunk k of the catalogue draws from its own random stream ``(seed, k)``.

Examples
--------
>>> catalog = generate_galaxy_catalog(GalaxySurveyConfig.named("tiny", seed=1))
>>> len(catalog), int(catalog["class"].value_counts().min())
(320, 29)
>>> catalog["object_id"].iloc[3]
'SIMGAL 000000003'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from astrolens.config import JsonConfig
from astrolens.simulate.galaxies.classes import GALAXY_CLASS_NAMES, GALAXY_CLASSES
from astrolens.simulate.survey import check_weights, exact_counts

__all__ = [
    "BANDS",
    "DEFAULT_SEED",
    "GALAXY_COLUMNS",
    "SIZES",
    "GalaxySurveyConfig",
    "galaxy_catalog_chunk",
    "generate_galaxy_catalog",
    "iter_galaxy_catalog_chunks",
]

DEFAULT_SEED = 2024
"""Seed of the named surveys unless another is given."""

SIZES = {"tiny": 320, "small": 5_000, "demo": 20_000, "large": 200_000}
"""Number of objects of the named surveys."""

BANDS = ("g", "r", "z")
"""The bands a survey may observe in (DECam, as the Legacy Surveys)."""

_STR, _INT, _FLOAT = "str", "int64", "float64"
GALAXY_COLUMNS: dict[str, tuple[str, str]] = {
    "object_id": (_STR, "'SIMGAL <9-digit index>'"),
    "class": (_STR, "class name, see astrolens.simulate.galaxies.classes"),
    "ra": (_FLOAT, "right ascension, degrees"),
    "dec": (_FLOAT, "declination, degrees"),
    "redshift": (_FLOAT, "redshift of the galaxy (the deflector of a lens)"),
    "mag_r": (_FLOAT, "total r magnitude (AB) of the galaxy, companion and arc not included"),
    "half_light_radius_arcsec": (_FLOAT, "half-light radius of the disk (of a spheroid: its own)"),
    "bulge_radius_arcsec": (_FLOAT, "half-light radius of the bulge or spheroid"),
    "sersic_n": (_FLOAT, "Sersic index of the bulge or spheroid (irregulars: of the disk)"),
    "bulge_fraction": (_FLOAT, "bulge-to-total r flux"),
    "axis_ratio": (_FLOAT, "projected minor over major axis"),
    "inclination_deg": (_FLOAT, "disk inclination, 0 face-on, 90 edge-on"),
    "position_angle_deg": (_FLOAT, "major axis, counter-clockwise from the image x axis"),
    "bulge_g_r": (_FLOAT, "g-r colour of the bulge or spheroid, mag"),
    "bulge_r_z": (_FLOAT, "r-z colour of the bulge or spheroid, mag"),
    "disk_g_r": (_FLOAT, "g-r colour of the disk (arms, clumps, ring: 0.2 mag bluer)"),
    "disk_r_z": (_FLOAT, "r-z colour of the disk (arms, clumps, ring: 0.1 mag bluer)"),
    "arm_count": (_FLOAT, "spirals: number of arms"),
    "pitch_angle_deg": (_FLOAT, "spirals: pitch angle of the logarithmic arms"),
    "arm_flux_fraction": (_FLOAT, "spirals: share of the disk's r flux in the arms"),
    "bar_length_arcsec": (_FLOAT, "barred spirals: bar semi-major axis"),
    "bar_flux_fraction": (_FLOAT, "barred spirals: bar-to-total r flux (the bar strength)"),
    "bar_axis_ratio": (_FLOAT, "barred spirals: bar minor over major axis"),
    "bar_angle_deg": (_FLOAT, "barred spirals: bar angle in the disk plane from the major axis"),
    "dust_lane_depth": (_FLOAT, "edge-on disks: g-band attenuation of the midplane, 0-1"),
    "n_clumps": (_FLOAT, "irregulars: number of star-forming clumps"),
    "clump_flux_fraction": (_FLOAT, "irregulars: share of the r flux in the clumps"),
    "companion_offset_arcsec": (_FLOAT, "mergers: separation of the companion"),
    "companion_angle_deg": (_FLOAT, "mergers: direction of the companion from the x axis"),
    "companion_flux_ratio": (_FLOAT, "mergers: companion over main r flux"),
    "tail_length_arcsec": (_FLOAT, "mergers: length of the tidal tails"),
    "tail_flux_fraction": (_FLOAT, "mergers: share of the r flux in the tails"),
    "ring_radius_arcsec": (_FLOAT, "rings: ring radius in the disk plane"),
    "ring_flux_fraction": (_FLOAT, "rings: share of the r flux in the ring"),
    "einstein_radius_arcsec": (_FLOAT, "lenses: Einstein radius, where the arc lies"),
    "arc_length_deg": (_FLOAT, "lenses: angle the arc subtends at the deflector"),
    "arc_angle_deg": (_FLOAT, "lenses: direction of the arc's middle from the x axis"),
    "arc_mag_r": (_FLOAT, "lenses: r magnitude of the arc"),
    "arc_g_r": (_FLOAT, "lenses: g-r colour of the arc"),
    "arc_r_z": (_FLOAT, "lenses: r-z colour of the arc"),
    "trail_angle_deg": (_FLOAT, "trails: direction from the x axis"),
    "trail_offset_arcsec": (_FLOAT, "trails: distance of the trail from the image centre"),
    "trail_mag_per_arcsec": (_FLOAT, "trails: flux per arcsec of length, as a magnitude"),
    "trail_band": (_STR, "trails: the band of the exposure the trail is in ('' for others)"),
    "star_mag_r": (_FLOAT, "saturated stars: r magnitude"),
    "star_g_r": (_FLOAT, "saturated stars: g-r colour"),
    "star_r_z": (_FLOAT, "saturated stars: r-z colour"),
    "spike_angle_deg": (_FLOAT, "saturated stars: direction of the diffraction spikes"),
    "seeing_fwhm_arcsec": (_FLOAT, "FWHM of the Moffat point-spread function"),
    "sky_mag_arcsec2_g": (_FLOAT, "sky brightness in g, mag per square arcsec"),
    "sky_mag_arcsec2_r": (_FLOAT, "sky brightness in r, mag per square arcsec"),
    "sky_mag_arcsec2_z": (_FLOAT, "sky brightness in z, mag per square arcsec"),
    "pixel_scale_arcsec": (_FLOAT, "arcsec per pixel"),
    "image_size": (_INT, "image side, pixels"),
    "bands": (_STR, "bands of the image, e.g. 'grz'"),
    "n_neighbours": (_INT, "other galaxies in the field"),
    "n_field_stars": (_INT, "stars in the field"),
    "seed": (_INT, "seed of this object's image (structure, neighbours and noise)"),
}
"""Catalogue columns: name -> (dtype, meaning). NaN (or '') where a parameter does not apply."""

_ALLOCATION_STREAM = 1_000_003
_SEED_LIMIT = 2**31
"""Row seeds stay below it: GalSim's random deviates take 32-bit seeds."""

_NOMINAL_SKY = {"g": 22.04, "r": 20.91, "z": 18.46}


def _default_class_weights() -> dict[str, float]:
    return {name: 1.0 for name in GALAXY_CLASS_NAMES}


def _default_sky() -> dict[str, float]:
    return dict(_NOMINAL_SKY)


@dataclass(frozen=True)
class GalaxySurveyConfig(JsonConfig):
    """Everything that defines a simulated galaxy survey; saved as JSON beside its catalogue.

    Parameters
    ----------
    name
        Survey name.
    n_objects
        Number of objects.
    seed
        Survey seed.
    class_weights
        Relative number of objects per class (names of
        :data:`~astrolens.simulate.galaxies.classes.GALAXY_CLASSES`); counts exact up to rounding.
    image_size
        Side of the images, pixels.
    pixel_scale_arcsec
        Arcsec per pixel (0.262: DECam, the Legacy Surveys' coadds).
    bands
        Bands of the images, a subset of :data:`BANDS` in that order.
    seeing_fwhm_arcsec
        Range of the seeing FWHM, drawn uniformly.
    sky_mag_arcsec2
        Median sky brightness per band, mag per square arcsec.
    sky_scatter_mag
        Standard deviation of the sky brightness around it.
    patch
        ``(ra_min, ra_max, dec_min, dec_max)`` of the patch of sky, degrees.
    mean_neighbours, mean_field_stars
        Mean (Poisson) numbers of other galaxies and of stars in each image.
    chunk_size
        Objects drawn at a time; each chunk has its own random stream.

    Examples
    --------
    >>> config = GalaxySurveyConfig.named("demo")
    >>> config.n_objects, config.image_size, config.bands
    (20000, 64, ('g', 'r', 'z'))
    >>> GalaxySurveyConfig.from_dict(config.to_dict()) == config
    True
    >>> GalaxySurveyConfig(class_weights={"quasar": 1.0})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown class(es) ['quasar'] in class_weights; known: elliptical, lenticular, ...
    """

    name: str = "demo"
    n_objects: int = SIZES["demo"]
    seed: int = DEFAULT_SEED
    class_weights: dict[str, float] = field(default_factory=_default_class_weights)
    image_size: int = 64
    pixel_scale_arcsec: float = 0.262
    bands: tuple[str, ...] = BANDS
    seeing_fwhm_arcsec: tuple[float, float] = (0.9, 1.7)
    sky_mag_arcsec2: dict[str, float] = field(default_factory=_default_sky)
    sky_scatter_mag: float = 0.3
    patch: tuple[float, float, float, float] = (150.0, 160.0, 0.0, 10.0)
    mean_neighbours: float = 1.5
    mean_field_stars: float = 1.0
    chunk_size: int = 50_000

    def __post_init__(self) -> None:
        for name in ("bands", "seeing_fwhm_arcsec", "patch"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        known = {name: None for name in GALAXY_CLASS_NAMES}
        check_weights(self.class_weights, known, "class_weights", "class(es)")
        if not self.bands or self.bands != tuple(b for b in BANDS if b in self.bands):
            raise ValueError(f"bands must be a subset of {BANDS} in that order, got {self.bands}")
        if set(self.sky_mag_arcsec2) != set(BANDS):
            raise ValueError(f"sky_mag_arcsec2 needs the bands {BANDS}, got {self.sky_mag_arcsec2}")
        low, high = self.seeing_fwhm_arcsec
        if not 0 < low <= high:
            raise ValueError(f"seeing_fwhm_arcsec must be 0 < low <= high, got {low, high}")
        if (
            min(self.n_objects, self.chunk_size, self.image_size) < 1
            or self.pixel_scale_arcsec <= 0
        ):
            raise ValueError(
                "n_objects, chunk_size, image_size and pixel_scale_arcsec must be positive"
            )

    @classmethod
    def named(cls, size: str, seed: int = DEFAULT_SEED, **changes: Any) -> GalaxySurveyConfig:
        """The configuration of a named size: ``"tiny"``, ``"demo"`` or ``"large"``.

        Examples
        --------
        >>> GalaxySurveyConfig.named("tiny").n_objects
        320
        >>> GalaxySurveyConfig.named("huge")
        Traceback (most recent call last):
        ...
        ValueError: unknown survey size 'huge'; choose one of tiny, small, demo, large
        """
        if size not in SIZES:
            raise ValueError(f"unknown survey size {size!r}; choose one of {', '.join(SIZES)}")
        return cls(name=size, n_objects=SIZES[size], seed=seed, **changes)

    @property
    def n_chunks(self) -> int:
        """Number of chunks the catalogue is drawn in."""
        return -(-self.n_objects // self.chunk_size)


def generate_galaxy_catalog(config: GalaxySurveyConfig) -> pd.DataFrame:
    """The whole catalogue of ``config`` in memory, one row per object (:data:`GALAXY_COLUMNS`).

    Examples
    --------
    >>> config = GalaxySurveyConfig(n_objects=22, seed=5)
    >>> generate_galaxy_catalog(config).equals(generate_galaxy_catalog(config))
    True
    """
    return pd.concat(list(iter_galaxy_catalog_chunks(config)), ignore_index=True)


def iter_galaxy_catalog_chunks(config: GalaxySurveyConfig) -> Iterator[pd.DataFrame]:
    """The catalogue of ``config`` in chunks of ``config.chunk_size`` rows.

    Examples
    --------
    >>> config = GalaxySurveyConfig(n_objects=50, chunk_size=20)
    >>> [len(chunk) for chunk in iter_galaxy_catalog_chunks(config)]
    [20, 20, 10]
    """
    labels = _allocate(config)
    for index in range(config.n_chunks):
        yield _chunk(config, labels, index)


def galaxy_catalog_chunk(config: GalaxySurveyConfig, index: int) -> pd.DataFrame:
    """Chunk ``index`` of the catalogue of ``config`` alone, as :func:`iter_galaxy_catalog_chunks`
    yields it at that position (each chunk has its own random stream).

    Examples
    --------
    >>> config = GalaxySurveyConfig(n_objects=50, chunk_size=20)
    >>> galaxy_catalog_chunk(config, 1).equals(list(iter_galaxy_catalog_chunks(config))[1])
    True
    """
    if not 0 <= index < config.n_chunks:
        raise IndexError(
            f"chunk {index} of survey {config.name!r}: it has chunks 0 to {config.n_chunks - 1}"
        )
    return _chunk(config, _allocate(config), index)


def _allocate(config: GalaxySurveyConfig) -> np.ndarray:
    allocation = np.random.default_rng([config.seed, _ALLOCATION_STREAM])
    counts = exact_counts(config.class_weights, list(GALAXY_CLASS_NAMES), config.n_objects)
    return allocation.permutation(np.repeat(np.arange(len(GALAXY_CLASSES)), counts))


def _chunk(config: GalaxySurveyConfig, labels: np.ndarray, index: int) -> pd.DataFrame:
    start = index * config.chunk_size
    stop = min(start + config.chunk_size, config.n_objects)
    rng = np.random.default_rng([config.seed, index])
    return _draw_chunk(config, start, labels[start:stop], rng)


def _draw_chunk(
    config: GalaxySurveyConfig, start: int, labels: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    n = labels.size
    columns: dict[str, Any] = {
        name: np.full(n, "" if dtype == _STR else np.nan, dtype=object if dtype == _STR else float)
        for name, (dtype, _) in GALAXY_COLUMNS.items()
    }
    columns["object_id"] = np.array([f"SIMGAL {i:09d}" for i in range(start, start + n)], object)
    columns["seed"] = rng.integers(0, _SEED_LIMIT, n)
    ra_min, ra_max, dec_min, dec_max = config.patch
    columns["ra"] = rng.uniform(ra_min, ra_max, n)
    sin_dec = rng.uniform(np.sin(np.radians(dec_min)), np.sin(np.radians(dec_max)), n)
    columns["dec"] = np.degrees(np.arcsin(sin_dec))
    columns["seeing_fwhm_arcsec"] = rng.uniform(*config.seeing_fwhm_arcsec, n)
    sky_offset = rng.normal(0.0, config.sky_scatter_mag, n)
    for band in BANDS:
        columns[f"sky_mag_arcsec2_{band}"] = config.sky_mag_arcsec2[band] + sky_offset
    columns["pixel_scale_arcsec"] = np.full(n, config.pixel_scale_arcsec)
    columns["image_size"] = np.full(n, config.image_size)
    columns["bands"] = np.full(n, "".join(config.bands), dtype=object)
    columns["n_neighbours"] = rng.poisson(config.mean_neighbours, n)
    columns["n_field_stars"] = rng.poisson(config.mean_field_stars, n)
    for label, galaxy_class in enumerate(GALAXY_CLASSES):
        selected = np.flatnonzero(labels == label)
        if selected.size == 0:
            continue
        columns["class"][selected] = galaxy_class.name
        for column, values in galaxy_class.draw(rng, selected.size).items():
            columns[column][selected] = values
    table = pd.DataFrame(columns)
    for name, (dtype, _) in GALAXY_COLUMNS.items():
        table[name] = table[name].astype(object if dtype == _STR else dtype)
    return table
