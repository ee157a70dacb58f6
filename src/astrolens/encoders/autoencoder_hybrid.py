"""The autoencoder: the hybrid encoder's branches, a bottleneck, and a decoder back to the input.

The network reads what the hybrid encoder reads (:mod:`astrolens.encoders.hybrid_cnn`: the
wavelet image where the light curve is dense, the periodogram, folds and scalars everywhere),
squeezes it through a dense layer into the embedding, the bottleneck, and decodes the embedding
back into the packed input (:func:`build_decoder`). The bottleneck is the searched vector, as in
the DES galaxy-matching API: what the decoder needs to redraw a light curve's representation is
what makes two of them alike, with no label at all.

Trained with ``astrolens train --encoder autoencoder_hybrid`` (objective ``"reconstruction"``,
:mod:`astrolens.objectives.reconstruction`, the only one it learns): the input is the hybrid
encoder's augmentation of the packed input (time shifts, gaps, noise, the image of a share of
the dense light curves left out), the target the same augmented input. The loss sees the image's
four channels where the object has an image, and the periodogram's power, window, coverage and
folds, each of the two parts counting alike; not the scalars. The masked-modelling encoder
(:mod:`astrolens.encoders.masked_hybrid`) shares the network.

The run folder's ``reconstructions.png`` (:meth:`AutoencoderHybrid.figures`) shows, for a few
test objects, the input, its reconstruction and the periodogram's power.

Examples
--------
>>> from astrolens.encoders.hybrid_cnn import packed_shape
>>> model = build_autoencoder_hybrid(embedding_dim=8, filters=(4, 8))
>>> x = np.zeros((2, *packed_shape()), dtype=np.float32)
>>> tuple(model(x).shape), model.get_layer("embedding").output.shape
((2, 66, 64, 4), (None, 8))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

import keras
import numpy as np
from keras import layers
from numpy.typing import NDArray

from astrolens.encoders.hybrid_cnn import HybridCNN, hybrid_features, packed_shape
from astrolens.encoders.keras_encoder import EMBEDDING_LAYER, Reconstructor
from astrolens.objectives.reconstruction import PackedLayout, has_image
from astrolens.periodogram import PeriodogramConfig
from astrolens.plots import COLORBAR_LABEL
from astrolens.splits import TrainingData
from astrolens.wavelets import WaveletConfig

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import QuadMesh
    from matplotlib.figure import Figure

    from astrolens.trainconfig import TrainConfig

__all__ = [
    "BATCH_NORM_MOMENTUM",
    "DECODER_FILTERS",
    "RECONSTRUCTION_OUTPUT",
    "AutoencoderHybrid",
    "build_autoencoder_hybrid",
    "build_decoder",
    "example_rows",
    "plot_reconstructions",
]

RECONSTRUCTION_OUTPUT = "reconstruction"
"""Name of the decoder's output layer, the model's only output."""

DECODER_FILTERS = (32, 16)
"""Filters of the decoder's transposed convolutions but the last (which gives the channels)."""

BATCH_NORM_MOMENTUM = 0.9
"""Momentum of the moving statistics of the branches' batch normalisations (Keras: 0.99). A
decoder redraws values, so the statistics used when embedding must match those of training
batches early: after 30 batches the default's statistics still hold 74 % of their start."""

_UPSAMPLING = 2 ** (len(DECODER_FILTERS) + 1)  # each transposed convolution doubles both axes


def build_decoder(
    embedding: keras.KerasTensor,
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 4,
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> keras.KerasTensor:
    """The decoder: from the embedding to a packed input ``(rows, width, channels)``.

    The image: a dense layer to a grid 8 times coarser than the image (32 channels), then three
    transposed convolutions of stride 2 up to ``(*image_shape, channels)``. The periodogram: a
    dense layer of 256 units, then one for each number of the periodogram vector, zero-padded
    and reshaped into the rows that hold it. The two concatenated along the rows, as the hybrid
    encoder packs them: the layer :data:`RECONSTRUCTION_OUTPUT`. Linear outputs (the harmonic
    coherence and the folds take negative values).

    Raises
    ------
    ValueError
        If a side of ``image_shape`` is not a multiple of 8.
    """
    height, width = image_shape
    if height % _UPSAMPLING or width % _UPSAMPLING:
        raise ValueError(f"image sides must be multiples of {_UPSAMPLING}, got {image_shape}")
    shape = packed_shape(image_shape, channels, periodogram)
    layout = PackedLayout.of(shape, periodogram)
    coarse = (height // _UPSAMPLING, width // _UPSAMPLING, DECODER_FILTERS[0])
    x = layers.Dense(int(np.prod(coarse)), activation="relu", name="decode_image_dense")(embedding)
    x = layers.Reshape(coarse, name="decode_image_grid")(x)
    for block, n_filters in enumerate(DECODER_FILTERS, start=1):
        x = layers.Conv2DTranspose(
            n_filters, 3, strides=2, padding="same", activation="relu", name=f"decode_image{block}"
        )(x)
    image = layers.Conv2DTranspose(channels, 3, strides=2, padding="same", name="decoded_image")(x)

    extra_rows = shape[0] - image_shape[0]
    padding = extra_rows * width * channels - layout.vector_length
    y = layers.Dense(256, activation="relu", name="decode_periodogram_dense")(embedding)
    y = layers.Dense(layout.vector_length, name="decoded_periodogram")(y)
    y = layers.Reshape((layout.vector_length, 1), name="decoded_periodogram_column")(y)
    y = layers.ZeroPadding1D((0, padding), name="decoded_periodogram_padded")(y)
    rows = layers.Reshape((extra_rows, width, channels), name="decoded_periodogram_rows")(y)
    return layers.Concatenate(axis=1, name=RECONSTRUCTION_OUTPUT)([image, rows])


def build_autoencoder_hybrid(
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 4,
    embedding_dim: int = 64,
    filters: Sequence[int] = (8, 16, 32, 64),
    dropout: float = 0.2,
    periodogram: PeriodogramConfig = PeriodogramConfig(),
    name: str = "autoencoder_hybrid",
) -> keras.Model:
    """The autoencoder: the hybrid branches, a dense layer of 256 units, the embedding (the layer
    :data:`~astrolens.encoders.keras_encoder.EMBEDDING_LAYER`, linear: the bottleneck) and the
    decoder of :func:`build_decoder`, whose reconstruction is the model's only output; the
    batch normalisations of the branches with momentum :data:`BATCH_NORM_MOMENTUM`."""
    inputs, features = hybrid_features(image_shape, channels, filters, periodogram)
    x = layers.Dropout(dropout, name="features_dropout")(features)
    x = layers.Dense(256, activation="relu", name="projection")(x)
    embedding = layers.Dense(embedding_dim, name=EMBEDDING_LAYER)(x)
    outputs = build_decoder(embedding, image_shape, channels, periodogram)
    model = keras.Model(inputs, outputs, name=name)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = BATCH_NORM_MOMENTUM
    return model


def example_rows(data: TrainingData, n: int = 4) -> NDArray[np.int64]:
    """Up to ``n`` test rows of distinct classes to show, taken in turn with a wavelet image and
    without one (a ground-based light curve) while there are such rows of a new class.

    Examples
    --------
    >>> from astrolens.splits import DataSplit
    >>> x = np.zeros((6, 66, 64, 4), np.float32)
    >>> x[[0, 1, 2], :64, :, 1] = 1.0  # rows 0 to 2 have an image
    >>> split = DataSplit(np.array([], int), np.array([], int), np.arange(6))
    >>> data = TrainingData(x, np.array([0, 1, 2, 2, 3, 3]), ("A", "B", "C", "D"), None, split,
    ...                     (0.04, 2000.0))
    >>> example_rows(data).tolist()
    [0, 3, 1, 4]
    """
    rows = data.split.test
    with_image = has_image(data.inputs, PackedLayout.of(data.inputs.shape[1:]))[rows]
    chosen: list[int] = []
    for turn in range(n):
        wanted = with_image == (turn % 2 == 0)
        for candidates in (rows[wanted], rows):
            new = [
                row for row in candidates.tolist() if data.labels[row] not in data.labels[chosen]
            ]
            if new:
                chosen.append(new[0])
                break
    return np.array(chosen, dtype=np.int64)


def plot_reconstructions(
    shown: NDArray[np.float32],
    reconstructions: NDArray[np.float32],
    truths: NDArray[np.float32],
    titles: Sequence[str],
    period_range_days: tuple[float, float],
    hidden: NDArray[np.bool_] | None = None,
) -> Figure:
    """Packed inputs, their reconstructions and the truth, one object a row: the wavelet power
    (period up, time across; invalid pixels grey) of the input, of the reconstruction and, where
    parts were hidden, of the truth; then the periodogram's power against period, the truth and
    the reconstruction.

    Parameters
    ----------
    shown
        What the network was given ``(N, rows, width, channels)``: the truth for an autoencoder,
        the masked input for masked modelling.
    reconstructions, truths
        The network's outputs and what they should be, of the same shape.
    titles
        One per object (its class).
    period_range_days
        The periodogram's period axis, shortest and longest.
    hidden
        Which elements of ``shown`` were hidden (None: nothing was): light blue pixels of the
        image, shaded period bins of the periodogram.

    Examples
    --------
    >>> x = np.zeros((2, 66, 64, 4), np.float32)
    >>> x[0, :64, :, 1] = 1.0
    >>> figure = plot_reconstructions(x, x, x, ["EA", "MIRA"], (0.04, 2000.0))
    >>> len(figure.axes), figure.axes[2].get_xlabel()
    (7, 'period [d]')
    """
    import matplotlib.pyplot as plt

    layout = PackedLayout.of(shown.shape[1:])
    n = len(shown)
    images = [("input (the truth)", shown), ("reconstruction", reconstructions)]
    if hidden is not None:
        images = [("masked input", shown), ("reconstruction", reconstructions), ("truth", truths)]
    with_image = has_image(truths, layout)
    spectrum = PeriodogramConfig(*period_range_days, n_periods=layout.n_periods)
    figure, axes = plt.subplots(
        n,
        len(images) + 1,
        figsize=(12, 3 * n),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"width_ratios": [1] * len(images) + [1.6]},
    )
    mesh = None
    for row in range(n):
        for column, (what, arrays) in enumerate(images):
            ax = axes[row, column]
            ax.set_title(f"{titles[row]}: {what}" if column == 0 else what, fontsize=9)
            if not with_image[row]:
                _no_image(ax)
                continue
            is_hidden = hidden[row] if column == 0 and hidden is not None else None
            mesh = _plot_image(ax, arrays[row, : layout.image_rows], is_hidden)
        _plot_power(
            axes[row, -1],
            _vector(truths[row], layout)[: layout.n_periods],
            _vector(reconstructions[row], layout)[: layout.n_periods],
            spectrum,
            None if hidden is None else _vector(hidden[row], layout)[: layout.n_periods],
        )
        axes[row, -1].set_title(f"{titles[row]}: periodogram power", fontsize=9)
    axes[0, -1].legend(fontsize=7)
    if mesh is not None:
        figure.colorbar(mesh, ax=axes[:, : len(images)], label=COLORBAR_LABEL, shrink=0.5)
    return figure


def _plot_image(ax: Axes, image: NDArray[np.float32], hidden: NDArray[np.bool_] | None) -> QuadMesh:
    """The power channel of one packed image ``(rows, width, channels)``, period up (the
    default wavelet grid's periods), invalid pixels (mask channel below 0.5) grey, hidden ones
    light blue."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    rows, width = image.shape[:2]
    edges = np.geomspace(*WaveletConfig(n_periods=rows).period_range_days, rows + 1)
    columns = np.arange(width + 1)
    power = np.ma.masked_where(image[..., 1] < 0.5, image[..., 0])
    colormap = plt.get_cmap("magma").with_extremes(bad="0.85")
    mesh = ax.pcolormesh(columns, edges, power, cmap=colormap, vmin=0, vmax=1)
    if hidden is not None:
        shade = np.ma.masked_where(~hidden[:rows, :, 0], np.ones((rows, width)))
        ax.pcolormesh(columns, edges, shade, cmap=ListedColormap(["lightblue"]))
    ax.set_yscale("log")
    ax.set_xlabel("time bin")
    ax.set_ylabel("period [d]")
    return mesh


def _vector(packed: NDArray, layout: PackedLayout) -> NDArray:
    """One object's periodogram vector from its packed array."""
    return packed[layout.image_rows :].reshape(-1)


def _no_image(ax: Axes) -> None:
    ax.text(0.5, 0.5, "no wavelet image", ha="center", va="center", fontsize=8, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def _plot_power(
    ax: Axes,
    truth: NDArray[np.float32],
    reconstruction: NDArray[np.float32],
    periodogram: PeriodogramConfig,
    hidden: NDArray[np.bool_] | None,
) -> None:
    """The truth and the reconstruction of the periodogram's power against period, the hidden
    bins shaded."""
    periods, edges = periodogram.periods_days, periodogram.period_edges_days
    if hidden is not None:
        for index in np.flatnonzero(hidden):
            ax.axvspan(edges[index], edges[index + 1], color="lightblue", lw=0)
    ax.plot(periods, truth, color="k", lw=1.0, label="truth")
    ax.plot(periods, reconstruction, color="C1", lw=1.0, label="reconstruction")
    ax.set_xscale("log")
    ax.set_xlabel("period [d]")
    ax.set_ylabel("power")


class AutoencoderHybrid(Reconstructor, HybridCNN):
    """The autoencoder (see the module description); no heads.

    Examples
    --------
    >>> from astrolens.trainconfig import TrainConfig
    >>> config = TrainConfig(encoder="autoencoder_hybrid", objective="reconstruction",
    ...                      filters=(4, 8), embedding_dim=8, threads=None)
    >>> encoder = AutoencoderHybrid.create(config, ("EA", "EW"), packed_shape())
    >>> x = np.zeros((3, *packed_shape()), np.float32)
    >>> encoder.embed(x).shape, encoder.heads(x), encoder.model.output_shape
    ((3, 8), {}, (None, 66, 64, 4))
    """

    name = "autoencoder_hybrid"
    objectives: ClassVar[tuple[str, ...]] = ("reconstruction",)

    @classmethod
    def build(
        cls, config: TrainConfig, class_names: tuple[str, ...], image_shape: tuple[int, int]
    ) -> keras.Model:
        return build_autoencoder_hybrid(
            image_shape=image_shape,
            channels=config.channels,
            embedding_dim=config.embedding_dim,
            filters=config.filters,
            dropout=config.dropout,
            name=cls.name,
        )

    def figure_rows(self, data: TrainingData) -> NDArray[np.int64]:
        """The objects ``reconstructions.png`` shows (:func:`example_rows`)."""
        return example_rows(data)

    def reconstruction_plot(self, data: TrainingData) -> Callable[..., Figure]:
        """The wavelet images and the periodogram's power over ``data``'s period range:
        :func:`plot_reconstructions`."""
        return functools.partial(plot_reconstructions, period_range_days=data.period_range_days)
