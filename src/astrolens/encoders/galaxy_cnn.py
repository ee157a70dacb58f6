"""A convolutional encoder of galaxy images, supervised by class, whose embedding does not change
when the picture is rotated by a right angle or mirrored.

The network reads a cutout (:mod:`astrolens.modalities.galaxy`, normalised by
:func:`~astrolens.cutouts.normalised_cutouts`): blocks of two 3x3 convolutions with
batch normalisation and ReLU, each halving the picture, then global average pooling, a dense
layer, the batch-normalised embedding (the layer ``"embedding"``, what the index searches) and
the class softmax.

**Orientation.** A galaxy has no "up" on the sky: the same galaxy rotated or seen in a mirror
must find itself. Training sees every cutout rotated by a random multiple of 90 degrees and
flipped half the time (:func:`augment_cutouts`), and the searched embedding is the mean of the
embeddings of the 8 rotations and reflections of the cutout (the dihedral group of the square,
:func:`dihedral_views`): a cutout turned by 90 degrees or mirrored has the same 8 views, so the
same embedding, up to the order of a floating-point sum. It costs 8 passes of the network per
embedding (measured in ``benchmarks/galaxies.py``). Other angles are left to the augmentation.

Examples
--------
>>> model = build_galaxy_cnn(n_classes=3, filters=(4, 8), embedding_dim=8)
>>> model.get_layer("embedding").output.shape, model.output_shape
((None, 8), (None, 3))
>>> x = np.random.default_rng(0).random((2, 64, 64, 3), dtype=np.float32)
>>> views = dihedral_views(x)
>>> views.shape, bool(np.array_equal(views[1, 0], np.rot90(x[0])))
((8, 2, 64, 64, 3), True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import keras
import numpy as np
import pandas as pd
from keras import layers
from numpy.typing import NDArray

from astrolens.cutouts import CUTOUT_SIZE, normalised_cutouts
from astrolens.encoders.backend import configure_backend
from astrolens.encoders.keras_encoder import EMBEDDING_LAYER, KerasEncoder
from astrolens.encoders.wavelet_cnn import fit_encoder
from astrolens.objectives import CLASS_OUTPUT

if TYPE_CHECKING:
    from astrolens.trainconfig import AugmentConfig, TrainConfig
    from astrolens.training import TrainingData

__all__ = [
    "BATCH_NORM_MOMENTUM",
    "GALAXY_FILTERS",
    "MAX_SHIFT_PIXELS",
    "GalaxyCNN",
    "augment_cutouts",
    "build_galaxy_cnn",
    "dihedral_views",
    "galaxy_features",
]

GALAXY_FILTERS = (16, 32, 64, 128)
"""Filters of the convolution blocks when the training configuration keeps the light-curve
default (:attr:`~astrolens.trainconfig.TrainConfig.filters`)."""

MAX_SHIFT_PIXELS = 3
"""Most pixels a training cutout is moved by, either way (a centring error)."""

BATCH_NORM_MOMENTUM = 0.9
"""Momentum of the moving statistics of the batch normalisations (Keras: 0.99). A short run
(the main job's: 28 batches an epoch for 6 epochs) must embed with the statistics of its last
batches, not of its first: with 0.99 its validation accuracy stayed at 0.24 while its training
accuracy reached 0.73."""


def dihedral_views(inputs: NDArray[Any]) -> NDArray[Any]:
    """The 8 rotations by right angles and reflections of pictures ``(N, H, W, C)``, as
    ``(8, N, H, W, C)``: turned by 0, 90, 180, 270 degrees, then the same mirrored."""
    turned = [np.rot90(inputs, k, axes=(1, 2)) for k in range(4)]
    return np.stack(turned + [view[:, :, ::-1] for view in turned])


def augment_cutouts(
    inputs: NDArray[np.float32], rng: np.random.Generator, config: AugmentConfig | None = None
) -> NDArray[np.float32]:
    """Training copies of normalised cutouts ``(N, H, W, C)``: each turned by a random multiple
    of 90 degrees, mirrored half the time, moved by up to :data:`MAX_SHIFT_PIXELS` pixels.

    >>> x = np.random.default_rng(0).random((4, 16, 16, 3), dtype=np.float32)
    >>> out = augment_cutouts(x, np.random.default_rng(1))
    >>> out.shape, bool(np.isclose(out.sum(), x.sum()))
    ((4, 16, 16, 3), True)
    """
    out = np.empty_like(inputs)
    turns = rng.integers(0, 4, len(inputs))
    mirrored = rng.random(len(inputs)) < 0.5
    shifts = rng.integers(-MAX_SHIFT_PIXELS, MAX_SHIFT_PIXELS + 1, (len(inputs), 2))
    for index, picture in enumerate(inputs):
        picture = np.rot90(picture, turns[index])
        if mirrored[index]:
            picture = picture[:, ::-1]
        out[index] = np.roll(picture, tuple(shifts[index]), axis=(0, 1))
    return out


def galaxy_features(
    image_size: int = CUTOUT_SIZE, filters: Sequence[int] = GALAXY_FILTERS
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The convolutional trunk: input ``"cutout"`` ``(size, size, 3)`` to pooled features."""
    inputs = keras.Input((image_size, image_size, 3), name="cutout")
    x = inputs
    for block, width in enumerate(filters):
        for step in ("a", "b"):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"conv{block}{step}")(
                x
            )
            x = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"bn{block}{step}")(x)
            x = layers.ReLU(name=f"relu{block}{step}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{block}")(x)
    return inputs, layers.GlobalAveragePooling2D(name="pooled")(x)


def build_galaxy_cnn(
    n_classes: int,
    image_size: int = CUTOUT_SIZE,
    filters: Sequence[int] = GALAXY_FILTERS,
    embedding_dim: int = 64,
    dropout: float = 0.2,
) -> keras.Model:
    """The supervised galaxy network: trunk, dense layer, embedding, class softmax."""
    inputs, features = galaxy_features(image_size, filters)
    x = layers.Dense(256, activation="relu", name="hidden")(features)
    x = layers.Dropout(dropout, name="hidden_dropout")(x)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding_dense")(x)
    embedding = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=EMBEDDING_LAYER)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name=CLASS_OUTPUT)(
        layers.ReLU(name="embedding_relu")(embedding)
    )
    return keras.Model(inputs, outputs, name="galaxy_cnn")


def galaxy_filters(config: TrainConfig) -> tuple[int, ...]:
    """The filters of a run: :data:`GALAXY_FILTERS` unless the configuration names others than
    the light-curve default."""
    default = type(config)().filters
    return GALAXY_FILTERS if tuple(config.filters) == tuple(default) else tuple(config.filters)


class GalaxyCNN(KerasEncoder):
    """The supervised galaxy encoder (see the module description).

    Examples
    --------
    >>> from astrolens.trainconfig import TrainConfig
    >>> config = TrainConfig(survey="galaxies-tiny", encoder="galaxy_cnn", filters=(4, 8),
    ...                      embedding_dim=8, period_bins=0, threads=None)
    >>> encoder = GalaxyCNN.create(config, ("spiral", "elliptical"), (64, 64, 3))
    >>> x = np.random.default_rng(0).random((3, 64, 64, 3), dtype=np.float32)
    >>> turned = np.rot90(x, 1, axes=(1, 2))
    >>> bool(np.allclose(encoder.embed(x), encoder.embed(turned), atol=1e-5))
    True
    """

    name: ClassVar[str] = "galaxy_cnn"
    representation: ClassVar[str] = "cutout"
    modality: ClassVar[str] = "galaxy_image"

    @classmethod
    def model_inputs(cls, batch: Any, config: TrainConfig) -> NDArray[np.float32]:
        """Normalised cutouts (:func:`~astrolens.cutouts.normalised_cutouts`)."""
        return normalised_cutouts(batch["cutout"])

    @classmethod
    def build(cls, config: TrainConfig, class_names: tuple[str, ...], size: int) -> keras.Model:
        return build_galaxy_cnn(
            len(class_names), size, galaxy_filters(config), config.embedding_dim, config.dropout
        )

    @classmethod
    def create(
        cls, config: TrainConfig, class_names: tuple[str, ...], input_shape: tuple[int, ...]
    ) -> GalaxyCNN:
        configure_backend(seed=config.seed, threads=config.threads)
        # what is trained, as the run folder records it: the galaxy filters, no period head
        config = dataclasses.replace(config, filters=galaxy_filters(config), period_bins=0)
        return cls(cls.build(config, class_names, int(input_shape[0])), config, class_names)

    def fit(self, data: TrainingData, progress: bool = True) -> pd.DataFrame:
        """Learn the classes from rotated, mirrored, shifted cutouts (galaxies have no period:
        no period head, whatever ``period_bins`` says)."""
        config = dataclasses.replace(self.config, period_bins=0)
        return fit_encoder(self.model, data, config, progress, augment_cutouts)

    def embed(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        """The mean embedding of the 8 rotations and reflections of each cutout."""
        views = dihedral_views(np.asarray(inputs, dtype=np.float32))
        total = np.zeros((len(inputs), self.dim), dtype=np.float64)
        for view in views:
            total += self.embedder(np.ascontiguousarray(view))
        return (total / len(views)).astype(np.float32)

    def heads(self, inputs: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        """Class probabilities, averaged over the 8 rotations and reflections."""
        views = dihedral_views(np.asarray(inputs, dtype=np.float32))
        outputs = [super(GalaxyCNN, self).heads(np.ascontiguousarray(view)) for view in views]
        return {
            name: np.mean([output[name] for output in outputs], axis=0).astype(np.float32)
            for name in outputs[0]
        }
