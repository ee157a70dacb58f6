"""The hybrid encoder: the wavelet image where the sampling is dense, the periodogram everywhere.

Dense space photometry (Kepler, K2, TESS) shows flares, spots, granulation and transits in time;
a ground-based light curve (OGLE, MACHO, ASAS, ZTF: an epoch a night over years) shows periods,
up to years, and the shape of the folded light curve. This encoder reads both, from the
``"hybrid"`` representation of :mod:`astrolens.modalities.lightcurve`:

- the wavelet power image, its mask and harmonic coherence (``(64, 64, 4)``, the input of
  :mod:`astrolens.encoders.wavelet_cnn`), all zeros where the light curve is too sparse for a
  uniform grid;
- the periodogram of :mod:`astrolens.periodogram` on the log-period axis shared by every survey
  (1 hour to 2,000 days): power, spectral window and coverage as three channels along the period
  axis, the folds at the best period and twice it, and the summary scalars.

A Keras model has one input array here: the periodogram's numbers are packed behind the image,
in ``extra_rows`` more rows of the same width and channels (:func:`model_inputs`), and the model
crops them apart again with built-in layers (so the ``.keras`` file loads with
``safe_mode=True``). Branches: the wavelet CNN's convolutions, a 1-D CNN over the period axis,
a 1-D CNN over the folds, a dense layer over the scalars (batch-normalised first: they are logs
and ratios of different ranges); their features are concatenated into the 64-d embedding, which
feeds the class softmax and the period softmax, as in the wavelet CNN.

Training drops the wavelet image of a share of the dense light curves
(``AugmentConfig.wavelet_dropout``), so that the embedding of a star observed from space stays
close to what its periodogram alone says: what a ground-based observation of the same star gives.

Examples
--------
>>> model = build_hybrid_cnn(n_classes=16, period_bins=128)
>>> x = np.zeros((2, *packed_shape()), dtype=np.float32)
>>> {name: tuple(value.shape) for name, value in sorted(model(x).items())}
{'class_probabilities': (2, 16), 'period_probabilities': (2, 128)}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd
from keras import layers
from numpy.typing import NDArray

from astrolens.encoders.backend import configure_backend
from astrolens.encoders.keras_encoder import KerasEncoder
from astrolens.encoders.wavelet_cnn import (
    augment,
    embedding_and_heads,
    fit_encoder,
    wavelet_features,
)
from astrolens.encoders.wavelet_cnn import model_inputs as wavelet_inputs
from astrolens.periodogram import SCALAR_NAMES, PeriodogramConfig

if TYPE_CHECKING:
    from astrolens.trainconfig import AugmentConfig, TrainConfig
    from astrolens.training import TrainingData

__all__ = ["HybridCNN", "build_hybrid_cnn", "hybrid_features", "model_inputs", "packed_shape"]

_SPECTRUM = ("power", "window", "coverage")


def _extra_rows(length: int, width: int, channels: int) -> int:
    """Rows of ``width`` x ``channels`` values that hold ``length`` numbers."""
    return math.ceil(length / (width * channels))


def _vector_length(periodogram: PeriodogramConfig) -> int:
    return len(_SPECTRUM) * periodogram.n_periods + 2 * periodogram.n_phase_bins + len(SCALAR_NAMES)


def packed_shape(
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 4,
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> tuple[int, int, int]:
    """The shape of one packed input: the image's rows plus the rows holding the periodogram.

    Examples
    --------
    >>> packed_shape()
    (66, 64, 4)
    """
    extra_rows = _extra_rows(_vector_length(periodogram), image_shape[1], channels)
    return image_shape[0] + extra_rows, image_shape[1], channels


def model_inputs(batch: dict[str, NDArray[Any]], channels: int = 4) -> NDArray[np.float32]:
    """Pack a batch of ``"hybrid"`` representations into the model's input ``(N, H + R, W, C)``.

    The image comes first (see :func:`astrolens.encoders.wavelet_cnn.model_inputs`); then, row by
    row, power, window and coverage, the two folds and the scalars, zero-padded.

    Examples
    --------
    >>> config = PeriodogramConfig()
    >>> batch = {"image": np.zeros((1, 64, 64)), "mask": np.zeros((1, 64, 64), bool),
    ...          "harmonic": np.zeros((1, 2, 64, 64)), "power": np.ones((1, 128)),
    ...          "window": np.zeros((1, 128)), "coverage": np.ones((1, 128)),
    ...          "folded": np.zeros((1, 2, 32)), "scalars": np.arange(10.0)[None]}
    >>> x = model_inputs(batch)
    >>> x.shape, float(x[0, 64:].sum()) == 2 * 128 + sum(range(10))
    ((1, 66, 64, 4), True)
    """
    images = wavelet_inputs(batch["image"], batch["mask"], channels, batch.get("harmonic"))
    n, height, width, depth = images.shape
    vector = np.concatenate(
        [np.asarray(batch[name], np.float32).reshape(n, -1) for name in _SPECTRUM]
        + [np.asarray(batch["folded"], np.float32).reshape(n, -1)]
        + [np.asarray(batch["scalars"], np.float32).reshape(n, -1)],
        axis=1,
    )
    extra_rows = _extra_rows(vector.shape[1], width, depth)
    packed = np.zeros((n, height + extra_rows, width, depth), dtype=np.float32)
    packed[:, :height] = images
    packed[:, height:].reshape(n, -1)[:, : vector.shape[1]] = vector
    return packed


def build_hybrid_cnn(
    n_classes: int,
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 4,
    embedding_dim: int = 64,
    filters: Sequence[int] = (8, 16, 32, 64),
    dropout: float = 0.2,
    period_bins: int = 0,
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> keras.Model:
    """The hybrid encoder (see the module description); arguments as
    :func:`astrolens.encoders.wavelet_cnn.build_wavelet_cnn`, plus the periodogram's shape."""
    if n_classes < 2:
        raise ValueError(f"need at least 2 classes, got {n_classes}")
    inputs, features = hybrid_features(image_shape, channels, filters, periodogram)
    return embedding_and_heads(
        inputs, features, n_classes, embedding_dim, dropout, period_bins, "hybrid_cnn"
    )


def hybrid_features(
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 4,
    filters: Sequence[int] = (8, 16, 32, 64),
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The packed input and the concatenated features of the four branches (wavelet image,
    periodogram along the period axis, folds, scalars), from which an embedding is made."""
    shape = packed_shape(image_shape, channels, periodogram)
    extra_rows = shape[0] - image_shape[0]
    n_periods, n_phase_bins = periodogram.n_periods, periodogram.n_phase_bins
    inputs = keras.Input(shape=shape, name="packed_image_and_periodogram")
    image = layers.Cropping2D(((0, extra_rows), (0, 0)), name="image")(inputs)
    rest = layers.Cropping2D(((image_shape[0], 0), (0, 0)), name="periodogram_rows")(inputs)
    size = extra_rows * shape[1] * shape[2]
    flat = layers.Reshape((size, 1), name="periodogram_vector")(rest)

    def part(start: int, length: int, name: str) -> keras.KerasTensor:
        return layers.Cropping1D((start, size - start - length), name=name)(flat)

    spectrum = part(0, len(_SPECTRUM) * n_periods, "spectrum")
    spectrum = layers.Reshape((len(_SPECTRUM), n_periods), name="spectrum_rows")(spectrum)
    spectrum = layers.Permute((2, 1), name="spectrum_by_period")(spectrum)
    folds = part(len(_SPECTRUM) * n_periods, 2 * n_phase_bins, "folds")
    folds = layers.Reshape((2, n_phase_bins), name="fold_rows")(folds)
    folds = layers.Permute((2, 1), name="folds_by_phase")(folds)
    scalars = part(len(_SPECTRUM) * n_periods + 2 * n_phase_bins, len(SCALAR_NAMES), "scalars")
    scalars = layers.Flatten(name="scalar_values")(scalars)

    features = [
        layers.Flatten(name="wavelet_features")(wavelet_features(image, filters)),
        _conv1d_features(spectrum, (16, 32, 32), "period"),
        _conv1d_features(folds, (16, 16), "phase"),
        _scalar_features(scalars),
    ]
    return inputs, layers.Concatenate(name="all_features")(features)


def _conv1d_features(x: keras.KerasTensor, filters: Sequence[int], name: str) -> keras.KerasTensor:
    """Convolutions along one axis (period or phase), halving it after each block but the last;
    flattened, so where along the axis a feature lies (which period) is kept."""
    for block, n_filters in enumerate(filters, start=1):
        x = layers.Conv1D(n_filters, 5, padding="same", use_bias=False, name=f"{name}{block}")(x)
        x = layers.BatchNormalization(name=f"{name}{block}_norm")(x)
        x = layers.Activation("relu", name=f"{name}{block}_relu")(x)
        if block < len(filters):
            x = layers.MaxPooling1D(2, name=f"{name}{block}_pool")(x)
    return layers.Flatten(name=f"{name}_features")(x)


def _scalar_features(x: keras.KerasTensor) -> keras.KerasTensor:
    x = layers.BatchNormalization(name="scalars_norm")(x)
    return layers.Dense(32, activation="relu", name="scalar_features")(x)


def augment_hybrid(
    inputs: NDArray[np.float32],
    rng: np.random.Generator,
    config: AugmentConfig,
    image_rows: int = 64,
) -> NDArray[np.float32]:
    """The wavelet CNN's augmentation of the image rows, then the image of a share
    (``config.wavelet_dropout``) of the inputs that have one set to zero (mask included).

    Examples
    --------
    >>> from astrolens.trainconfig import AugmentConfig
    >>> x = np.ones((50, 66, 64, 4), dtype=np.float32)
    >>> y = augment_hybrid(x, np.random.default_rng(0), AugmentConfig(wavelet_dropout=0.5))
    >>> dropped = ~y[:, :64].any(axis=(1, 2, 3))
    >>> 10 < int(dropped.sum()) < 40, bool(np.all(y[:, 64:] == 1))
    (True, True)
    """
    out = np.array(inputs, dtype=np.float32, copy=True)
    out[:, :image_rows] = augment(out[:, :image_rows], rng, config)
    has_image = out[:, :image_rows, :, 1].any(axis=(1, 2))
    dropped = has_image & (rng.random(len(out)) < config.wavelet_dropout)
    out[dropped, :image_rows] = 0.0
    return out


class HybridCNN(KerasEncoder):
    """The hybrid encoder (see the module description).

    Examples
    --------
    >>> from astrolens.trainconfig import TrainConfig
    >>> config = TrainConfig(survey="tiny", encoder="hybrid_cnn", filters=(4, 8),
    ...                      embedding_dim=8, period_bins=0, threads=None)
    >>> encoder = HybridCNN.create(config, ("EA", "EW"), packed_shape())
    >>> encoder.embed(np.zeros((3, *packed_shape()), np.float32)).shape
    (3, 8)
    """

    name = "hybrid_cnn"
    representation = "hybrid"

    @classmethod
    def model_inputs(
        cls, batch: dict[str, NDArray[Any]], config: TrainConfig
    ) -> NDArray[np.float32]:
        return model_inputs(batch, config.channels)

    @classmethod
    def create(
        cls, config: TrainConfig, class_names: tuple[str, ...], input_shape: tuple[int, ...]
    ) -> HybridCNN:
        configure_backend(seed=config.seed, threads=config.threads)
        rows, width, channels = input_shape
        extra_rows = _extra_rows(_vector_length(PeriodogramConfig()), width, channels)
        model = cls.build(config, class_names, (rows - extra_rows, width))
        return cls(model, config, class_names)

    @classmethod
    def build(
        cls, config: TrainConfig, class_names: tuple[str, ...], image_shape: tuple[int, int]
    ) -> keras.Model:
        """The network, for wavelet images of ``image_shape``."""
        return build_hybrid_cnn(
            len(class_names),
            image_shape=image_shape,
            channels=config.channels,
            embedding_dim=config.embedding_dim,
            filters=config.filters,
            dropout=config.dropout,
            period_bins=config.period_bins,
        )

    def fit(self, data: TrainingData, progress: bool = True) -> pd.DataFrame:
        rows = self.model.get_layer("image").output.shape[1]
        return fit_encoder(
            self.model,
            data,
            self.config,
            progress,
            lambda x, rng, config: augment_hybrid(x, rng, config, rows),
        )
