"""The wavelet CNN: a small convolutional network over power images, with a 64-d embedding.

Input: a power image, its validity mask and (optionally) the harmonic coherence as channels,
``(n_periods, n_time_bins, channels)`` (:func:`model_inputs`). Axis 0 of the image is the period,
axis 1 the time. Convolution blocks (3x3 convolution, batch normalisation, ReLU, 2x2 max pooling)
are followed by a max pool over the whole time axis, so the network sees *whether* a feature
occurs at a given period, not *when*; the period axis is kept, since the period is physical
information. A dense layer with batch normalisation, named ``"embedding"``, gives the embedding; a
softmax over the survey's classes trains it. An optional second softmax over log-spaced period
bins, trained on soft labels around the catalogued period (:mod:`astrolens.objectives`), makes
objects of different periods lie apart in the embedding, so that the nearest neighbours of a
variable star share its period and not only its class.

:class:`WaveletCNN` is the encoder (``"wavelet_cnn"``): trained with class weights, light
augmentation of the images (:func:`augment`), a cosine learning rate and early stopping on the
validation loss. ``model.py`` at the top of the repository is where to try another architecture
(``TrainConfig.model_file``). Only built-in Keras layers are used, so a saved ``.keras`` file
loads with ``safe_mode=True``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd
from keras import layers
from numpy.typing import ArrayLike, NDArray

from astrolens.encoders.backend import configure_backend
from astrolens.encoders.base import TrainingData
from astrolens.encoders.keras_encoder import (
    CLASS_OUTPUT,
    EMBEDDING_LAYER,
    PERIOD_OUTPUT,
    KerasEncoder,
)
from astrolens.objectives import Augmentation, BatchMaker, objective_class, take_rows
from astrolens.objectives.neighbours import NEIGHBOUR_OUTPUT
from astrolens.trainconfig import AugmentConfig

if TYPE_CHECKING:
    from astrolens.trainconfig import TrainConfig

__all__ = [
    "Augmentation",
    "WaveletCNN",
    "augment",
    "build_wavelet_cnn",
    "embedding_and_heads",
    "fit_encoder",
    "load_model_builder",
    "model_inputs",
    "wavelet_features",
]

ModelBuilder = Callable[..., keras.Model]


def build_wavelet_cnn(
    n_classes: int,
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 2,
    embedding_dim: int = 64,
    filters: Sequence[int] = (8, 16, 32, 64),
    dropout: float = 0.2,
    period_bins: int = 0,
) -> keras.Model:
    """The default astrolens encoder: convolutions, max pool over time, embedding, softmax.

    Parameters
    ----------
    n_classes
        Number of variability classes (units of the softmax).
    image_shape
        ``(n_periods, n_time_bins)`` of the power images.
    channels
        Input channels: 2 for power and validity mask, 1 for power only, 4 with the harmonic
        coherence too (see :func:`model_inputs`).
    embedding_dim
        Size of the embedding.
    filters
        Filters of each convolution block; every block but the last halves both image axes.
    dropout
        Dropout rate before the embedding and before the softmax.
    period_bins
        0: the class softmax is the only output. More: a second softmax, :data:`PERIOD_OUTPUT`,
        over this many period bins, also fed by the embedding; the model's output is then a dict
        ``{CLASS_OUTPUT: ..., PERIOD_OUTPUT: ...}``.

    Returns
    -------
    keras.Model
        Uncompiled; input ``(None, *image_shape, channels)``, output ``(None, n_classes)``
        probabilities (or the dict above); the layer :data:`EMBEDDING_LAYER` outputs
        ``(None, embedding_dim)``.

    Examples
    --------
    >>> model = build_wavelet_cnn(n_classes=16)
    >>> model.output_shape, model.get_layer("embedding").output.shape
    ((None, 16), (None, 64))
    >>> two_heads = build_wavelet_cnn(n_classes=16, channels=4, period_bins=128)
    >>> outputs = two_heads(np.zeros((1, 64, 64, 4), dtype=np.float32))
    >>> {name: tuple(value.shape) for name, value in sorted(outputs.items())}
    {'class_probabilities': (1, 16), 'period_probabilities': (1, 128)}
    """
    if n_classes < 2:
        raise ValueError(f"need at least 2 classes, got {n_classes}")
    if not filters:
        raise ValueError("need at least one convolution block (filters is empty)")
    inputs = keras.Input(shape=(*image_shape, channels), name="power_and_mask")
    features = layers.Flatten(name="flatten")(wavelet_features(inputs, filters))
    return embedding_and_heads(
        inputs, features, n_classes, embedding_dim, dropout, period_bins, "wavelet_cnn"
    )


def embedding_and_heads(
    inputs: keras.KerasTensor,
    features: keras.KerasTensor,
    n_classes: int,
    embedding_dim: int,
    dropout: float,
    period_bins: int,
    name: str,
) -> keras.Model:
    """The model from ``inputs`` whose ``features`` make the embedding (dropout, a dense layer,
    batch normalisation: the layer :data:`EMBEDDING_LAYER`) and feed the class softmax and, with
    ``period_bins``, the period softmax."""
    x = layers.Dropout(dropout, name="features_dropout")(features)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding_dense")(x)
    embedding = layers.BatchNormalization(name=EMBEDDING_LAYER)(x)
    x = layers.Activation("relu", name="embedding_relu")(embedding)
    x = layers.Dropout(dropout, name="embedding_dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name=CLASS_OUTPUT)(x)
    if period_bins <= 0:
        return keras.Model(inputs, outputs, name=name)
    periods = layers.Dense(period_bins, activation="softmax", name=PERIOD_OUTPUT)(x)
    return keras.Model(inputs, {CLASS_OUTPUT: outputs, PERIOD_OUTPUT: periods}, name=name)


def wavelet_features(x: keras.KerasTensor, filters: Sequence[int]) -> keras.KerasTensor:
    """Convolution blocks over a power image (every block but the last halves both axes), then
    the maximum and the mean over time of each period row: ``(batch, periods, 1, 2 filters)``."""
    for block, n_filters in enumerate(filters, start=1):
        x = layers.Conv2D(n_filters, 3, padding="same", use_bias=False, name=f"conv{block}")(x)
        x = layers.BatchNormalization(name=f"conv{block}_norm")(x)
        x = layers.Activation("relu", name=f"conv{block}_relu")(x)
        if block < len(filters):
            x = layers.MaxPooling2D(2, name=f"conv{block}_pool")(x)
    whole_time_axis = (1, x.shape[2])
    peak = layers.MaxPooling2D(whole_time_axis, name="max_over_time")(x)
    mean = layers.AveragePooling2D(whole_time_axis, name="mean_over_time")(x)
    return layers.Concatenate(name="per_period_features")([peak, mean])


def model_inputs(
    images: ArrayLike,
    masks: ArrayLike,
    channels: int = 2,
    harmonics: ArrayLike | None = None,
) -> NDArray[np.float32]:
    """Stack power images, masks and harmonic coherence into the model's input ``(N, H, W, C)``.

    Parameters
    ----------
    images
        ``(N, H, W)`` or ``(H, W)`` scaled log power.
    masks
        Same shape, True where valid.
    channels
        1: power only; 2: power and mask; 4: power, mask and the real and imaginary parts of the
        harmonic coherence (:attr:`astrolens.wavelets.PowerImage.harmonic`).
    harmonics
        ``(N, 2, H, W)`` or ``(2, H, W)`` harmonic coherence; needed for 4 channels.

    Examples
    --------
    >>> x = model_inputs(np.full((3, 4), 0.5), np.ones((3, 4), bool))
    >>> x.shape, x[0, 0, 0].tolist()
    ((1, 3, 4, 2), [0.5, 1.0])
    >>> model_inputs(np.full((3, 4), 0.5), np.ones((3, 4), bool), 4, np.zeros((2, 3, 4))).shape
    (1, 3, 4, 4)
    """
    images = np.asarray(images, dtype=np.float32)
    masks = np.asarray(masks, dtype=bool)
    if images.shape != masks.shape:
        raise ValueError(f"images {images.shape} and masks {masks.shape} differ in shape")
    if images.ndim == 2:
        images, masks = images[None], masks[None]
    if channels == 1:
        return images[..., None]
    if channels == 2:
        return np.stack([images, masks.astype(np.float32)], axis=-1)
    if channels != 4:
        raise ValueError(
            f"channels must be 1 (power), 2 (power and mask) or 4 (power, mask and harmonic "
            f"coherence), got {channels}"
        )
    if harmonics is None:
        raise ValueError(
            "4 input channels need the harmonic coherence: compute the power images with "
            "WaveletConfig(harmonic_phase=True)"
        )
    harmonics = np.asarray(harmonics, dtype=np.float32)
    if harmonics.ndim == 3:
        harmonics = harmonics[None]
    if harmonics.shape != (images.shape[0], 2, *images.shape[1:]):
        raise ValueError(
            f"harmonics {harmonics.shape} do not match images {images.shape} (need (N, 2, H, W))"
        )
    return np.stack([images, masks.astype(np.float32), harmonics[:, 0], harmonics[:, 1]], axis=-1)


def augment(
    inputs: NDArray[np.float32], rng: np.random.Generator, config: AugmentConfig = AugmentConfig()
) -> NDArray[np.float32]:
    """Augmented copies of model inputs ``(N, n_periods, n_time_bins, channels)``.

    Channel 0 is the scaled log power, channel 1 (if present) the validity mask. Each image is
    rolled along the time axis, gets a gap, then noise on its valid pixels, as ``config`` says.

    Examples
    --------
    >>> x = np.full((2, 8, 16, 2), 0.5, dtype=np.float32)
    >>> a = augment(x, np.random.default_rng(3))
    >>> b = augment(x, np.random.default_rng(3))
    >>> a.shape, bool(np.array_equal(a, b)), bool(np.array_equal(a, x))
    ((2, 8, 16, 2), True, False)
    """
    out = np.array(inputs, dtype=np.float32, copy=True)
    n, _, n_bins, _ = out.shape
    if config.time_shift:
        shifts = rng.integers(0, n_bins, n)
        columns = (np.arange(n_bins)[None, :] - shifts[:, None]) % n_bins
        out = np.take_along_axis(out, columns[:, None, :, None], axis=2)
    max_gap = int(config.max_gap_fraction * n_bins)
    if max_gap >= 1:
        gapped = np.flatnonzero(rng.random(n) < config.gap_probability)
        widths = rng.integers(1, max_gap + 1, gapped.size)
        starts = rng.integers(0, n_bins - widths + 1)
        for index, start, width in zip(gapped, starts, widths, strict=True):
            out[index, :, start : start + width, :] = 0.0
    if config.noise_sigma > 0:
        valid = out[..., 1] > 0 if out.shape[-1] > 1 else out[..., 0] > 0
        noise = rng.normal(0.0, config.noise_sigma, valid.shape).astype(np.float32)
        out[..., 0] = np.clip(out[..., 0] + np.where(valid, noise, 0.0), 0.0, 1.0)
    return out


class _AugmentedBatches(keras.utils.PyDataset):
    """Shuffled, augmented batches of ``rows`` of the inputs with their targets and sample weights
    (arrays, or dicts of arrays by output name), or what the objective's ``batches`` makes of
    them; batch ``i`` of epoch ``e`` is drawn from the generator seeded ``(seed, e, i)``, whatever
    the order Keras asks in. ``fixed``: the same batches every epoch, in order (validation)."""

    def __init__(
        self,
        inputs: NDArray[np.float32],
        rows: NDArray[np.int64],
        targets: NDArray[Any] | dict[str, NDArray[Any]],
        sample_weights: NDArray[np.float32] | dict[str, NDArray[np.float32]],
        batch_size: int,
        config: AugmentConfig,
        seed: int,
        augmentation: Augmentation,
        batches: BatchMaker | None = None,
        fixed: bool = False,
    ) -> None:
        super().__init__()
        self.inputs, self.rows = inputs, np.asarray(rows, dtype=np.int64)
        self.targets, self.sample_weights = targets, sample_weights
        self.batch_size, self.config, self.seed = batch_size, config, seed
        self.augmentation, self.batches, self.fixed = augmentation, batches, fixed
        self.epoch = 0

    def __len__(self) -> int:
        return math.ceil(len(self.rows) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[NDArray, Any, Any]:
        if self.fixed:
            order = np.arange(len(self.rows))
        else:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.rows))
        rows = self.rows[np.sort(order[index * self.batch_size : (index + 1) * self.batch_size])]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        if self.batches is not None:
            return self.batches(self.inputs, rows, rng, self.augmentation, self.config)
        batch = self.augmentation(self.inputs[rows], rng, self.config)
        return batch, take_rows(self.targets, rows), take_rows(self.sample_weights, rows)

    def on_epoch_end(self) -> None:
        if not self.fixed:
            self.epoch += 1


def load_model_builder(path: str | os.PathLike[str]) -> ModelBuilder:
    """The ``build_model`` function of a Python file such as ``model.py``.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file defines no ``build_model``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    spec = importlib.util.spec_from_file_location(f"astrolens_user_model_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    builder = getattr(module, "build_model", None)
    if not callable(builder):
        raise ValueError(f"{path}: defines no function build_model(n_classes, ...)")
    return builder


class WaveletCNN(KerasEncoder):
    """The supervised wavelet CNN encoder (see the module description).

    Examples
    --------
    >>> from astrolens.trainconfig import TrainConfig
    >>> config = TrainConfig(survey="tiny", filters=(4, 8), embedding_dim=8, period_bins=0,
    ...                      threads=None)
    >>> encoder = WaveletCNN.create(config, ("EA", "EW"), (64, 64, 4))
    >>> encoder.embed(np.zeros((3, 64, 64, 4), np.float32)).shape
    (3, 8)
    """

    name = "wavelet_cnn"
    representation = "wavelet"

    @classmethod
    def model_inputs(
        cls, batch: dict[str, NDArray[Any]], config: TrainConfig
    ) -> NDArray[np.float32]:
        return model_inputs(batch["image"], batch["mask"], config.channels, batch.get("harmonic"))

    @classmethod
    def create(
        cls, config: TrainConfig, class_names: tuple[str, ...], input_shape: tuple[int, ...]
    ) -> WaveletCNN:
        configure_backend(seed=config.seed, threads=config.threads)
        builder = load_model_builder(config.model_file) if config.model_file else build_wavelet_cnn
        period_head = {"period_bins": config.period_bins} if config.period_bins else {}
        model = builder(
            len(class_names),
            image_shape=tuple(input_shape[:2]),
            channels=config.channels,
            embedding_dim=config.embedding_dim,
            filters=config.filters,
            dropout=config.dropout,
            **period_head,
        )
        return cls(model, config, class_names)

    def fit(self, data: TrainingData, progress: bool = True) -> pd.DataFrame:
        return fit_encoder(self.model, data, self.config, progress)


def fit_encoder(
    model: keras.Model,
    data: TrainingData,
    config: TrainConfig,
    progress: bool,
    augmentation: Augmentation = augment,
) -> pd.DataFrame:
    """Compile and fit for the run's objective (``TrainConfig.objective``), with early stopping on
    the validation loss, training batches augmented by ``augmentation``; the history as a table.

    With a period head, the history's class columns keep their single-output names
    (``accuracy``, ``val_accuracy``); ``loss`` is the weighted sum of both losses.
    """
    inputs, split = data.inputs, data.split
    fit = objective_class(config.objective)().fit_targets(data, config)
    targets, sample_weights = fit.targets, fit.sample_weights
    loss, loss_weights, metrics = fit.loss, fit.loss_weights, fit.metrics

    def batches(rows: NDArray[np.int64], fixed: bool = False) -> _AugmentedBatches:
        return _AugmentedBatches(
            inputs,
            rows,
            targets,
            sample_weights,
            config.batch_size,
            config.augment,
            config.seed,
            augmentation,
            fit.batches,
            fixed,
        )

    training = batches(split.train)
    if fit.batches is None or not fit.validation_batches:
        validation: Any = (
            inputs[split.validation],
            take_rows(targets, split.validation),
            take_rows(sample_weights, split.validation),
        )
    else:
        validation = batches(split.validation, fixed=True)
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=config.epochs * len(training), alpha=0.01
    )
    model = _with_embedding_output(model, loss)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=loss,
        loss_weights=loss_weights,
        metrics=metrics,
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=config.patience, restore_best_weights=True
    )
    clock = EpochSeconds()
    result = model.fit(
        training,
        epochs=config.epochs,
        validation_data=validation,
        callbacks=[stop, clock],
        verbose=2 if progress else 0,
    )
    history = pd.DataFrame(result.history).rename(
        columns=lambda name: name.replace(f"{CLASS_OUTPUT}_accuracy", "accuracy")
    )
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    history["seconds"] = clock.seconds
    return history


class EpochSeconds(keras.callbacks.Callback):
    """The wall time of each epoch (validation included), in seconds: the ``seconds`` column of
    a run's ``history.csv``."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.seconds.append(time.perf_counter() - self._started)


def _with_embedding_output(model: keras.Model, loss: Any) -> keras.Model:
    """``model``, or, when ``loss`` has a loss for the embedding itself (the neighbour loss of
    :mod:`astrolens.objectives.neighbours`), a model of the same layers that outputs the embedding
    too: fitting it fits ``model``, which is saved as it was built."""
    if not (isinstance(loss, dict) and NEIGHBOUR_OUTPUT in loss):
        return model
    outputs = model.output if isinstance(model.output, dict) else {CLASS_OUTPUT: model.output}
    embedding = model.get_layer(EMBEDDING_LAYER).output
    return keras.Model(model.inputs, {**outputs, NEIGHBOUR_OUTPUT: embedding}, name=model.name)
