"""The morphology baseline of galaxy images: their standardised morphology as the embedding.

What a galaxy astronomer tries first, and what every learned galaxy encoder is compared with: the
numbers of :func:`astrolens.morphology.morphology_and_colours` measured on the cutout (the
representation ``"morphology"`` of :mod:`astrolens.modalities.galaxy`): concentration and
asymmetry (CAS, Conselice 2003, ApJS 147, 1), Gini and M20 (Lotz, Primack & Madau 2004, AJ 128,
163), ellipticity, size and depth, and the ``g - r`` and ``r - z`` colours of the central light.
As the light-curve features baseline (:mod:`astrolens.encoders.features`) does, each number is
centred on its median and divided by its spread (half the 16-84 percentile range) over the
training set, and clipped to +-10; fitting learns only these two numbers per column: no neural
network, nothing random. The numbers barely change when a picture is turned by right angles or
mirrored, so neither does the embedding. Saved as ``morphology.json`` in the run folder with the
names of the numbers, so a run made with other numbers is refused rather than misread.

Examples
--------
>>> import numpy as np
>>> from astrolens.morphology import MORPHOLOGY_AND_COLOUR_NAMES
>>> from astrolens.trainconfig import TrainConfig
>>> config = TrainConfig(survey="galaxies-tiny", encoder="morphology_galaxy")
>>> n = len(MORPHOLOGY_AND_COLOUR_NAMES)
>>> encoder = MorphologyGalaxy.create(config, ("spiral", "ring"), (n,))
>>> encoder.centre, encoder.scale = np.zeros(n), np.full(n, 2.0)
>>> encoder.embed(np.full((1, n), 3.0, np.float32))[0, :3].tolist()
[1.5, 1.5, 1.5]
"""

from __future__ import annotations

from typing import ClassVar

from astrolens.encoders.features import FeaturesEncoder
from astrolens.morphology import MORPHOLOGY_AND_COLOUR_NAMES

__all__ = ["MORPHOLOGY_FILE", "MorphologyGalaxy"]

MORPHOLOGY_FILE = "morphology.json"
"""The encoder's file in a run folder: names of the numbers, centres and scales."""


class MorphologyGalaxy(FeaturesEncoder):
    """Standardised morphology and colours of a galaxy cutout (see the module description): the
    features baseline's fit, embedding and run file, on another modality's numbers."""

    name: ClassVar[str] = "morphology_galaxy"
    representation: ClassVar[str] = "morphology"
    modality: ClassVar[str] = "galaxy_image"
    columns: ClassVar[tuple[str, ...]] = MORPHOLOGY_AND_COLOUR_NAMES
    file_name: ClassVar[str] = MORPHOLOGY_FILE
    names_key: ClassVar[str] = "names"
    described: ClassVar[str] = "galaxy morphology numbers"
