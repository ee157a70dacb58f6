"""The simulated, labelled galaxy survey: g, r, z images of galaxy classes and artefacts.

The second modality of astrolens: a catalogue of physical parameters per object
(:func:`generate_galaxy_catalog`, named sizes ``tiny``, ``demo``, ``large``) whose images are
rendered on demand from each row with GalSim (:func:`render_galaxy`, in nanomaggies, and
:func:`render_rgb` for display), in the manner of DESI Legacy Surveys cutouts. The classes and
their priors are in :mod:`~astrolens.simulate.galaxies.classes`, the rendering and what it leaves
out in :mod:`~astrolens.simulate.galaxies.render`; :func:`galaxy_gallery` shows one of each.

Examples
--------
>>> from astrolens.simulate import galaxies
>>> catalog = galaxies.generate_galaxy_catalog(galaxies.GalaxySurveyConfig(n_objects=11))
>>> galaxies.render_galaxy(catalog.iloc[0]).shape
(3, 64, 64)
"""

from astrolens.simulate.galaxies.classes import (
    GALAXY_CLASS_NAMES,
    GALAXY_CLASSES,
    GalaxyClass,
    galaxy_class_named,
)
from astrolens.simulate.galaxies.gallery import galaxy_gallery, galaxy_gallery_examples
from astrolens.simulate.galaxies.render import (
    DEPTH_5SIGMA,
    SATURATION_NMGY,
    counts_per_nanomaggy,
    flux_from_mag,
    render_galaxy,
    render_rgb,
)
from astrolens.simulate.galaxies.survey import (
    BANDS,
    DEFAULT_SEED,
    GALAXY_COLUMNS,
    SIZES,
    GalaxySurveyConfig,
    galaxy_catalog_chunk,
    generate_galaxy_catalog,
    iter_galaxy_catalog_chunks,
)

__all__ = [
    "BANDS",
    "DEFAULT_SEED",
    "DEPTH_5SIGMA",
    "GALAXY_CLASSES",
    "GALAXY_CLASS_NAMES",
    "GALAXY_COLUMNS",
    "SATURATION_NMGY",
    "SIZES",
    "GalaxyClass",
    "GalaxySurveyConfig",
    "counts_per_nanomaggy",
    "flux_from_mag",
    "galaxy_catalog_chunk",
    "galaxy_class_named",
    "galaxy_gallery",
    "galaxy_gallery_examples",
    "generate_galaxy_catalog",
    "iter_galaxy_catalog_chunks",
    "render_galaxy",
    "render_rgb",
]
