"""Masked modelling: the autoencoder's network, taught to fill in what was hidden of its input.

The network is the autoencoder's (:mod:`astrolens.encoders.autoencoder_hybrid`: the hybrid
encoder's branches, a dense bottleneck that is the embedding, a decoder back to the packed
input); what it learns differs. Each training batch is augmented as the hybrid encoder's is,
then half of it is hidden, set to 0 (:func:`astrolens.objectives.reconstruction.mask_inputs`):

- the wavelet image in square patches of 8 x 8 pixels, all four channels, as SimMIM (Xie et al.
  2022) hides image patches; none of an object that has no image (ground-based);
- the periodogram's power, window and coverage in runs of 8 period bins (the same bins of the
  three), and each fold in runs of 4 phase bins, as Astromer (Donoso-Oliva et al. 2023) hides
  parts of a light curve;
- never the scalars.

The loss (objective ``"masked"``, :mod:`astrolens.objectives.reconstruction`) is the squared
error of the reconstruction on the hidden elements only, the image's and the periodogram's
counting alike: to fill in a period range or a patch of the image, the embedding has to hold
what the rest of the light curve says about it, periods and their harmonics, the shape of the
fold, the aliases of the sampling. Trained with ``astrolens train --encoder masked_hybrid``.

The run folder's ``reconstructions.png`` shows, for a few test objects, the input with parts
hidden (a fixed mask, seed :data:`FIGURE_MASK_SEED`), its reconstruction and the truth.

Examples
--------
>>> from astrolens.encoders.hybrid_cnn import packed_shape
>>> from astrolens.trainconfig import TrainConfig
>>> config = TrainConfig(encoder="masked_hybrid", objective="masked", filters=(4, 8),
...                      embedding_dim=8, threads=None)
>>> encoder = MaskedHybrid.create(config, ("EA", "EW"), packed_shape())
>>> x = np.zeros((3, *packed_shape()), np.float32)
>>> encoder.embed(x).shape, encoder.model.name, MaskedHybrid.objectives
((3, 8), 'masked_hybrid', ('masked',))
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from astrolens.encoders.autoencoder_hybrid import AutoencoderHybrid
from astrolens.objectives.reconstruction import mask_inputs

__all__ = ["FIGURE_MASK_SEED", "MaskedHybrid"]

FIGURE_MASK_SEED = 0
"""Seed of the mask of the inputs shown in ``reconstructions.png``."""


class MaskedHybrid(AutoencoderHybrid):
    """The masked-modelling encoder (see the module description); no heads."""

    name = "masked_hybrid"
    objectives: ClassVar[tuple[str, ...]] = ("masked",)

    def shown_inputs(
        self, truths: NDArray[np.float32]
    ) -> tuple[NDArray[np.float32], NDArray[np.bool_] | None]:
        """The inputs with parts hidden, by a fixed mask, and which parts."""
        return mask_inputs(truths, np.random.default_rng(FIGURE_MASK_SEED))
