"""The galaxy autoencoder: the galaxy trunk, a bottleneck, and a decoder back to the cutout.

The network reads a normalised cutout (:mod:`astrolens.encoders.galaxy_cnn`: 64 x 64 pixels,
three colours), passes it through the convolution blocks of the galaxy trunk
(:func:`spatial_galaxy_features`) and a dense layer, and squeezes it into the embedding, a
linear bottleneck; the decoder (:func:`build_cutout_decoder`) redraws the cutout from the
embedding alone. What the decoder needs to redraw a galaxy (its size, shape, brightness profile,
colours, arms, bar, rings) is what makes two galaxies alike, learned with no label at all
(autoencoders: Hinton & Salakhutdinov 2006, Science 313, 504; galaxy morphologies grouped by an
autoencoder's features, without labels: Cheng et al. 2021, MNRAS 503, 4446).

Trained with ``astrolens train --survey galaxies-demo --encoder autoencoder_galaxy`` (objective
``"reconstruction"``, :mod:`astrolens.objectives.reconstruction`, the only one it learns): the
input is a training cutout turned by a multiple of 90 degrees, mirrored half the time and moved
by up to :data:`~astrolens.encoders.galaxy_cnn.MAX_SHIFT_PIXELS` pixels
(:func:`~astrolens.encoders.galaxy_cnn.augment_cutouts`), the target the same augmented cutout;
the loss is the mean squared error over its pixels and colours. The masked-modelling encoder
(:mod:`astrolens.encoders.masked_galaxy`) shares the network.

**Where things are.** The supervised and contrastive galaxy encoders pool their trunk's last
feature map (global average pooling): what was found, not where. A decoder has to put things
back where they were, and masked modelling has to fill in patches at given places from what
lies around them, so here the feature map is flattened instead (4 x 4 cells of the 64 x 64
cutout with the default filters): the embedding can say where the arms, the bar and the
companion lie. The searched vector is still the mean over the 8 rotations and reflections of
the cutout (:meth:`~astrolens.encoders.galaxy_cnn.GalaxyCNN.embed`, as for every galaxy
encoder), unchanged by a turn or a mirror.

The run folder's ``reconstructions.png`` (:meth:`AutoencoderGalaxy.figures`) shows a few test
galaxies of distinct classes: the input and its reconstruction, as colour pictures.

Examples
--------
>>> model = build_autoencoder_galaxy(filters=(4, 8), embedding_dim=8)
>>> x = np.zeros((2, 64, 64, 3), dtype=np.float32)
>>> tuple(model(x).shape), model.get_layer("embedding").output.shape
((2, 64, 64, 3), (None, 8))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

import keras
import numpy as np
from keras import layers
from numpy.typing import NDArray

from astrolens.cutouts import CUTOUT_SIZE
from astrolens.encoders.autoencoder_hybrid import (
    BATCH_NORM_MOMENTUM,
    DECODER_FILTERS,
    RECONSTRUCTION_OUTPUT,
)
from astrolens.encoders.galaxy_cnn import (
    GALAXY_FILTERS,
    GalaxyCNN,
    galaxy_features,
    galaxy_filters,
)
from astrolens.encoders.keras_encoder import EMBEDDING_LAYER, Reconstructor
from astrolens.splits import TrainingData

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from astrolens.trainconfig import TrainConfig

__all__ = [
    "HIDDEN_COLOUR",
    "AutoencoderGalaxy",
    "build_autoencoder_galaxy",
    "build_cutout_decoder",
    "example_rows",
    "plot_cutout_reconstructions",
    "spatial_galaxy_features",
]

_UPSAMPLING = 2 ** (len(DECODER_FILTERS) + 1)  # each transposed convolution doubles both sides


def spatial_galaxy_features(
    image_size: int = CUTOUT_SIZE, filters: Sequence[int] = GALAXY_FILTERS
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The galaxy trunk (:func:`~astrolens.encoders.galaxy_cnn.galaxy_features`) without its
    pooling: input ``"cutout"`` to its last feature map, flattened (the layer ``"flattened"``).

    Examples
    --------
    >>> inputs, features = spatial_galaxy_features(64, (4, 8))
    >>> features.shape  # 16 x 16 cells of 8 filters
    (None, 2048)
    """
    inputs, pooled = galaxy_features(image_size, filters)
    feature_map = keras.Model(inputs, pooled).get_layer("pooled").input
    return inputs, layers.Flatten(name="flattened")(feature_map)


def build_cutout_decoder(
    embedding: keras.KerasTensor, image_size: int = CUTOUT_SIZE, channels: int = 3
) -> keras.KerasTensor:
    """The decoder: from the embedding to a cutout ``(image_size, image_size, channels)``.

    A dense layer to a grid 8 times coarser than the cutout (32 channels), then three
    transposed convolutions of stride 2 (:data:`~astrolens.encoders.autoencoder_hybrid.
    DECODER_FILTERS`, then the colours): the layer ``"reconstruction"``, linear (normalised
    cutouts take values below 0 and above 1).

    Raises
    ------
    ValueError
        If ``image_size`` is not a multiple of 8.

    Examples
    --------
    >>> build_cutout_decoder(keras.Input((8,)), 32).shape
    (None, 32, 32, 3)
    """
    if image_size % _UPSAMPLING:
        raise ValueError(f"the cutout side must be a multiple of {_UPSAMPLING}, got {image_size}")
    side = image_size // _UPSAMPLING
    coarse = (side, side, DECODER_FILTERS[0])
    x = layers.Dense(int(np.prod(coarse)), activation="relu", name="decode_dense")(embedding)
    x = layers.Reshape(coarse, name="decode_grid")(x)
    for block, n_filters in enumerate(DECODER_FILTERS, start=1):
        x = layers.Conv2DTranspose(
            n_filters, 3, strides=2, padding="same", activation="relu", name=f"decode{block}"
        )(x)
    return layers.Conv2DTranspose(
        channels, 3, strides=2, padding="same", name=RECONSTRUCTION_OUTPUT
    )(x)


def build_autoencoder_galaxy(
    image_size: int = CUTOUT_SIZE,
    filters: Sequence[int] = GALAXY_FILTERS,
    embedding_dim: int = 64,
    dropout: float = 0.2,
    name: str = "autoencoder_galaxy",
) -> keras.Model:
    """The autoencoder: the galaxy trunk, flattened (:func:`spatial_galaxy_features`), a dense
    layer of 256 units, the embedding (the layer
    :data:`~astrolens.encoders.keras_encoder.EMBEDDING_LAYER`, linear: the bottleneck) and the
    decoder of :func:`build_cutout_decoder`, whose reconstruction is the model's only output;
    the trunk's batch normalisations with momentum
    :data:`~astrolens.encoders.autoencoder_hybrid.BATCH_NORM_MOMENTUM` (a decoder redraws
    values, so the statistics used when embedding must follow training early)."""
    inputs, features = spatial_galaxy_features(image_size, filters)
    x = layers.Dropout(dropout, name="features_dropout")(features)
    x = layers.Dense(256, activation="relu", name="projection")(x)
    embedding = layers.Dense(embedding_dim, name=EMBEDDING_LAYER)(x)
    model = keras.Model(inputs, build_cutout_decoder(embedding, image_size), name=name)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = BATCH_NORM_MOMENTUM
    return model


def example_rows(data: TrainingData, n: int = 4) -> NDArray[np.int64]:
    """Up to ``n`` test rows of distinct classes to show, the first of each class in turn.

    Examples
    --------
    >>> from astrolens.splits import DataSplit
    >>> split = DataSplit(np.array([], int), np.array([], int), np.arange(6))
    >>> data = TrainingData(np.zeros((6, 8, 8, 3)), np.array([2, 2, 0, 1, 0, 3]),
    ...                     ("A", "B", "C", "D"), None, split, (0.04, 2000.0))
    >>> example_rows(data, 3).tolist()
    [0, 2, 3]
    """
    rows = data.split.test
    _, first = np.unique(data.labels[rows], return_index=True)
    return rows[np.sort(first)[:n]].astype(np.int64)


HIDDEN_COLOUR = (0.68, 0.85, 0.9)
"""Colour (RGB, light blue) of the hidden pixels in ``reconstructions.png``."""


def plot_cutout_reconstructions(
    shown: NDArray[np.float32],
    reconstructions: NDArray[np.float32],
    truths: NDArray[np.float32],
    titles: Sequence[str],
    hidden: NDArray[np.bool_] | None = None,
) -> Figure:
    """Cutouts, their reconstructions and the truth, one galaxy a row, as colour pictures
    (normalised brightness clipped to 0 to 1).

    Parameters
    ----------
    shown
        What the network was given ``(N, H, W, 3)``: the truth for an autoencoder, the masked
        cutout for masked modelling.
    reconstructions, truths
        The network's outputs and what they should be, of the same shape.
    titles
        One per galaxy (its class).
    hidden
        Which pixels of ``shown`` were hidden (None: nothing was), drawn light blue; a third
        column then shows the truth.

    Examples
    --------
    >>> x = np.random.default_rng(0).random((2, 16, 16, 3), dtype=np.float32)
    >>> figure = plot_cutout_reconstructions(x, x, x, ["spiral", "ring"])
    >>> len(figure.axes), figure.axes[0].get_title()
    (4, 'spiral: input (the truth)')
    """
    import matplotlib.pyplot as plt

    columns = [("input (the truth)", shown), ("reconstruction", reconstructions)]
    if hidden is not None:
        columns = [("masked input", shown), ("reconstruction", reconstructions), ("truth", truths)]
    n = len(shown)
    figure, axes = plt.subplots(
        n, len(columns), figsize=(2.6 * len(columns), 2.6 * n), squeeze=False, layout="constrained"
    )
    for row in range(n):
        for column, (what, arrays) in enumerate(columns):
            picture = np.clip(arrays[row], 0.0, 1.0)
            if column == 0 and hidden is not None:
                picture = np.where(hidden[row], np.array(HIDDEN_COLOUR, np.float32), picture)
            ax = axes[row, column]
            ax.imshow(picture, interpolation="nearest")
            ax.set_title(f"{titles[row]}: {what}" if column == 0 else what, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    return figure


class AutoencoderGalaxy(Reconstructor, GalaxyCNN):
    """The galaxy autoencoder (see the module description); no heads.

    Examples
    --------
    >>> from astrolens.trainconfig import TrainConfig
    >>> config = TrainConfig(survey="galaxies-tiny", encoder="autoencoder_galaxy",
    ...                      objective="reconstruction", filters=(4, 8), embedding_dim=8,
    ...                      threads=None)
    >>> encoder = AutoencoderGalaxy.create(config, ("spiral", "ring"), (64, 64, 3))
    >>> x = np.zeros((3, 64, 64, 3), np.float32)
    >>> encoder.embed(x).shape, encoder.heads(x), encoder.model.output_shape
    ((3, 8), {}, (None, 64, 64, 3))
    """

    name: ClassVar[str] = "autoencoder_galaxy"
    objectives: ClassVar[tuple[str, ...]] = ("reconstruction",)

    @classmethod
    def build(cls, config: TrainConfig, class_names: tuple[str, ...], size: int) -> keras.Model:
        return build_autoencoder_galaxy(
            size, galaxy_filters(config), config.embedding_dim, config.dropout, name=cls.name
        )

    def figure_rows(self, data: TrainingData) -> NDArray[np.int64]:
        """The galaxies ``reconstructions.png`` shows (:func:`example_rows`)."""
        return example_rows(data)

    def reconstruction_plot(self, data: TrainingData) -> Callable[..., Figure]:
        """The cutouts as colour pictures: :func:`plot_cutout_reconstructions`."""
        return plot_cutout_reconstructions
