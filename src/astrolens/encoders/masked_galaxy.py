"""Masked image modelling of galaxies: the galaxy autoencoder's network, taught to fill in what
was hidden of a cutout.

The network is the galaxy autoencoder's (:mod:`astrolens.encoders.autoencoder_galaxy`: the
galaxy trunk's convolutions, their feature map flattened so that it keeps where things are, a
dense bottleneck that is the embedding, a decoder back to the cutout); what it learns differs.
As SimMIM (Xie et al. 2022, CVPR) trains an image encoder, each training cutout is turned,
mirrored and moved (:func:`~astrolens.encoders.galaxy_cnn.augment_cutouts`), then half of its
square patches of 8 x 8 pixels are hidden, set to 0 in all three colours
(:func:`astrolens.objectives.reconstruction.mask_inputs`; a 64 x 64 cutout has 64 patches, 32
hidden, chosen anew for every cutout of every batch).

The loss (objective ``"masked"``, :mod:`astrolens.objectives.reconstruction`) is the squared
error of the reconstruction on the hidden pixels only: what is visible is given, not learned. To
fill in a hidden arm, the other half of a ring, the far side of a bulge, the embedding has to
hold what the visible rest says about the galaxy's shape, size and colours. Trained with
``astrolens train --survey galaxies-demo --encoder masked_galaxy``; the searched vector is the
bottleneck, as the mean over the 8 rotations and reflections of the whole (unmasked) cutout.

The run folder's ``reconstructions.png`` shows a few test galaxies: the cutout with its hidden
patches in light blue (a fixed mask, seed :data:`FIGURE_MASK_SEED`), the reconstruction, and the
truth.

Examples
--------
>>> from astrolens.trainconfig import TrainConfig
>>> config = TrainConfig(survey="galaxies-tiny", encoder="masked_galaxy", objective="masked",
...                      filters=(4, 8), embedding_dim=8, threads=None)
>>> encoder = MaskedGalaxy.create(config, ("spiral", "ring"), (64, 64, 3))
>>> x = np.zeros((3, 64, 64, 3), np.float32)
>>> encoder.embed(x).shape, encoder.model.name, MaskedGalaxy.objectives
((3, 8), 'masked_galaxy', ('masked',))
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from astrolens.encoders.autoencoder_galaxy import AutoencoderGalaxy
from astrolens.objectives.reconstruction import mask_inputs

__all__ = ["FIGURE_MASK_SEED", "MaskedGalaxy"]

FIGURE_MASK_SEED = 0
"""Seed of the mask of the cutouts shown in ``reconstructions.png``."""


class MaskedGalaxy(AutoencoderGalaxy):
    """The masked-modelling galaxy encoder (see the module description); no heads."""

    name: ClassVar[str] = "masked_galaxy"
    objectives: ClassVar[tuple[str, ...]] = ("masked",)

    def shown_inputs(
        self, truths: NDArray[np.float32]
    ) -> tuple[NDArray[np.float32], NDArray[np.bool_] | None]:
        """The cutouts with half of their patches hidden, by a fixed mask, and which pixels."""
        return mask_inputs(truths, np.random.default_rng(FIGURE_MASK_SEED))
