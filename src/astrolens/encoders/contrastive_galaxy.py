"""Contrastive self-supervised learning of galaxy images, without labels.

As SimCLR (Chen et al. 2020) and, for survey galaxies, Hayat et al. (2021, ApJL 911, L33) train
theirs: every galaxy of a batch is seen as two *views* (:func:`augment_views`), and the objective
(:mod:`astrolens.objectives.contrastive`, NT-Xent) pulls the two views of one galaxy together and
pushes the views of the others apart. A view is what another observation of the same galaxy
could look like:

- turned by a multiple of 90 degrees and mirrored half the time (a galaxy has no "up");
- moved by up to :data:`~astrolens.encoders.galaxy_cnn.MAX_SHIFT_PIXELS` pixels (centring);
- blurred by a Gaussian of up to :data:`MAX_BLUR_PIXELS` pixels (worse seeing);
- dimmed: noise of up to :data:`MAX_NOISE` of the peak brightness added (a fainter or more
  distant galaxy, a shallower exposure: the cutout is normalised to its peak, so dimming shows
  as noise);
- its colours changed by a few per cent each (another calibration, another stretch), and shown
  in grey one time in five (a one-band FITS image or a grey picture).

The network is the trunk of :mod:`astrolens.encoders.galaxy_cnn`, a dense layer, the
batch-normalised embedding (searched, as the mean over the 8 rotations and reflections of the
cutout), and a projection head (not searched) where the loss compares views. Trained with
``astrolens train --survey galaxies-demo --encoder contrastive_galaxy``.

Examples
--------
>>> x = np.random.default_rng(0).random((4, 64, 64, 3), dtype=np.float32)
>>> a, b = (augment_views(x, np.random.default_rng(1)) for _ in range(2))
>>> a.shape, bool(np.array_equal(a, b)), bool(np.array_equal(a, x))
((4, 64, 64, 3), True, False)
>>> model = build_contrastive_galaxy(filters=(4, 8), embedding_dim=8)
>>> model.get_layer("embedding").output.shape, model.output_shape
((None, 8), (None, 64))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import keras
import numpy as np
import pandas as pd
from keras import layers
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter

from astrolens.cutouts import CUTOUT_SIZE
from astrolens.encoders.galaxy_cnn import (
    GALAXY_FILTERS,
    GalaxyCNN,
    augment_cutouts,
    galaxy_features,
    galaxy_filters,
)
from astrolens.encoders.keras_encoder import EMBEDDING_LAYER
from astrolens.encoders.wavelet_cnn import fit_encoder

if TYPE_CHECKING:
    from astrolens.trainconfig import AugmentConfig, TrainConfig
    from astrolens.training import TrainingData

__all__ = [
    "COLOUR_JITTER",
    "GREY_PROBABILITY",
    "MAX_BLUR_PIXELS",
    "MAX_NOISE",
    "ContrastiveGalaxy",
    "augment_views",
    "build_contrastive_galaxy",
]

MAX_BLUR_PIXELS = 1.5
"""Largest standard deviation, in pixels, of the Gaussian a view is blurred with (drawn
uniformly from 0)."""

MAX_NOISE = 0.15
"""Largest standard deviation of the Gaussian noise added to a view, in units of its peak
brightness (drawn uniformly from 0)."""

COLOUR_JITTER = 0.1
"""Standard deviation of the log of the factor each colour of a view is multiplied by."""

GREY_PROBABILITY = 0.2
"""Share of the views shown in grey (the three colours averaged)."""

PROJECTION_DIM = 64
"""Size of the projection head's output, where the loss compares views."""


def augment_views(
    inputs: NDArray[np.float32], rng: np.random.Generator, config: AugmentConfig | None = None
) -> NDArray[np.float32]:
    """Views of normalised cutouts ``(N, H, W, 3)`` (see the module description)."""
    out = augment_cutouts(inputs, rng)
    n = len(out)
    blur = rng.uniform(0.0, MAX_BLUR_PIXELS, n)
    noise = rng.uniform(0.0, MAX_NOISE, n)
    colours = np.exp(rng.normal(0.0, COLOUR_JITTER, (n, 1, 1, out.shape[-1])))
    grey = rng.random(n) < GREY_PROBABILITY
    for index in range(n):
        if blur[index] > 0.1:
            out[index] = gaussian_filter(out[index], (blur[index], blur[index], 0.0))
    out = out * colours.astype(np.float32)
    out += rng.normal(0.0, 1.0, out.shape).astype(np.float32) * noise[:, None, None, None]
    out[grey] = out[grey].mean(axis=-1, keepdims=True)  # one plane: its noise too
    return out.astype(np.float32)


def build_contrastive_galaxy(
    image_size: int = CUTOUT_SIZE,
    filters: Sequence[int] = GALAXY_FILTERS,
    embedding_dim: int = 64,
    dropout: float = 0.2,
    projection_dim: int = PROJECTION_DIM,
) -> keras.Model:
    """The contrastive network: trunk, dense layer, batch-normalised embedding, then the
    projection head, whose output ``"projection"`` is the model's only one."""
    inputs, features = galaxy_features(image_size, filters)
    x = layers.Dense(256, activation="relu", name="hidden")(features)
    x = layers.Dropout(dropout, name="hidden_dropout")(x)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding_dense")(x)
    embedding = layers.BatchNormalization(name=EMBEDDING_LAYER)(x)
    x = layers.Dense(128, activation="relu", name="projection_hidden")(embedding)
    projection = layers.Dense(projection_dim, name="projection")(x)
    return keras.Model(inputs, projection, name="contrastive_galaxy")


class ContrastiveGalaxy(GalaxyCNN):
    """The contrastive galaxy encoder (see the module description); no heads."""

    name: ClassVar[str] = "contrastive_galaxy"
    objectives: ClassVar[tuple[str, ...]] = ("contrastive",)

    @classmethod
    def build(cls, config: TrainConfig, class_names: tuple[str, ...], size: int) -> keras.Model:
        return build_contrastive_galaxy(
            size, galaxy_filters(config), config.embedding_dim, config.dropout
        )

    def fit(self, data: TrainingData, progress: bool = True) -> pd.DataFrame:
        """Learn from two views of every training galaxy (:func:`augment_views`); validated on
        views of the validation galaxies, the same every epoch."""
        config = dataclasses.replace(self.config, period_bins=0)
        return fit_encoder(self.model, data, config, progress, augment_views)

    def heads(self, inputs: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        """None: the projection head compares views and is not an answer."""
        return {}
