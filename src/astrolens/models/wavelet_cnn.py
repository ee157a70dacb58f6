"""The wavelet CNN: a small convolutional network over power images, with a 64-d embedding.

Input: a power image, its validity mask and (optionally) the harmonic coherence as channels,
``(n_periods, n_time_bins, channels)`` (:func:`model_inputs`). Axis 0 of the image is the period,
axis 1 the time. Convolution blocks (3x3 convolution, batch normalisation, ReLU, 2x2 max pooling)
are followed by a max pool over the whole time axis, so the network sees *whether* a feature
occurs at a given period, not *when*; the period axis is kept, since the period is physical
information. A dense layer with batch
normalisation, named ``"embedding"``, gives the embedding; a softmax over the survey's classes
trains it. An optional second softmax over log-spaced period bins, trained on soft labels around the
catalogued period, makes objects of different periods lie apart in the embedding, so that the
nearest neighbours of a variable star share its period and not only its class.

Only built-in Keras layers are used, so a saved ``.keras`` file loads with ``safe_mode=True``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CLASS_OUTPUT",
    "EMBEDDING_LAYER",
    "PERIOD_OUTPUT",
    "build_wavelet_cnn",
    "class_probabilities",
    "embedding_model",
    "model_inputs",
]

EMBEDDING_LAYER = "embedding"
"""Name of the layer whose output is the embedding."""

CLASS_OUTPUT = "class_probabilities"
"""Name of the class softmax (the model's only output, or its key among several)."""

PERIOD_OUTPUT = "period_probabilities"
"""Name of the optional softmax over period bins."""


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
    x = inputs
    for block, n_filters in enumerate(filters, start=1):
        x = layers.Conv2D(n_filters, 3, padding="same", use_bias=False, name=f"conv{block}")(x)
        x = layers.BatchNormalization(name=f"conv{block}_norm")(x)
        x = layers.Activation("relu", name=f"conv{block}_relu")(x)
        if block < len(filters):
            x = layers.MaxPooling2D(2, name=f"conv{block}_pool")(x)
    whole_time_axis = (1, x.shape[2])
    peak = layers.MaxPooling2D(whole_time_axis, name="max_over_time")(x)
    mean = layers.AveragePooling2D(whole_time_axis, name="mean_over_time")(x)
    x = layers.Concatenate(name="per_period_features")([peak, mean])
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="features_dropout")(x)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding_dense")(x)
    embedding = layers.BatchNormalization(name=EMBEDDING_LAYER)(x)
    x = layers.Activation("relu", name="embedding_relu")(embedding)
    x = layers.Dropout(dropout, name="embedding_dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name=CLASS_OUTPUT)(x)
    if period_bins <= 0:
        return keras.Model(inputs, outputs, name="wavelet_cnn")
    periods = layers.Dense(period_bins, activation="softmax", name=PERIOD_OUTPUT)(x)
    return keras.Model(inputs, {CLASS_OUTPUT: outputs, PERIOD_OUTPUT: periods}, name="wavelet_cnn")


def class_probabilities(
    model: keras.Model, inputs: ArrayLike, batch_size: int = 512
) -> NDArray[np.float32]:
    """Class probabilities ``(N, n_classes)`` of a model with one output or with several.

    Examples
    --------
    >>> x = np.zeros((3, 64, 64, 4), dtype=np.float32)
    >>> class_probabilities(build_wavelet_cnn(5, channels=4, period_bins=8), x).shape
    (3, 5)
    """
    outputs = model.predict(np.asarray(inputs, dtype=np.float32), batch_size=batch_size, verbose=0)
    if isinstance(outputs, dict):
        outputs = outputs[CLASS_OUTPUT]
    return np.asarray(outputs, dtype=np.float32)


def embedding_model(model: keras.Model) -> keras.Model:
    """The sub-model from the input of ``model`` to the output of its ``"embedding"`` layer.

    Raises
    ------
    ValueError
        If ``model`` has no layer named ``"embedding"``.

    Examples
    --------
    >>> encoder = embedding_model(build_wavelet_cnn(n_classes=4))
    >>> encoder.output_shape
    (None, 64)
    """
    try:
        layer = model.get_layer(EMBEDDING_LAYER)
    except ValueError:
        raise ValueError(
            f"model {model.name!r} has no layer named {EMBEDDING_LAYER!r}; name the layer whose "
            "output is the embedding so"
        ) from None
    return keras.Model(model.input, layer.output, name=f"{model.name}_embedding")


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
