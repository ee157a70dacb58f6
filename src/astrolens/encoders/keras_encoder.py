"""What every Keras encoder shares: the embedding sub-model, fixed-shape batches, ``.keras`` files.

A Keras encoder wraps one ``keras.Model`` whose layer named ``"embedding"`` gives the embedding;
it may end in heads that train it (a class softmax named ``"class_probabilities"``, a period
softmax named ``"period_probabilities"``, a decoder, ...). Saved as ``model.keras`` in the run
folder, built from built-in layers only, loaded with ``safe_mode=True``.

A Keras encoder whose network ends in a decoder back to its input (an autoencoder, masked
modelling) mixes in :class:`Reconstructor`: no heads, the reconstructions, and the run folder's
``reconstructions.png``.
"""

from __future__ import annotations

import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike, NDArray

from astrolens.encoders.base import Encoder
from astrolens.objectives import CLASS_OUTPUT, PERIOD_OUTPUT
from astrolens.runfolder import MODEL_FILE, RECONSTRUCTION_FIGURE

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from astrolens.splits import TrainingData
    from astrolens.trainconfig import TrainConfig

__all__ = [
    "CLASS_OUTPUT",
    "DEFAULT_BATCH_SIZE",
    "EMBEDDING_LAYER",
    "PERIOD_OUTPUT",
    "Embedder",
    "KerasEncoder",
    "Reconstructor",
    "class_probabilities",
    "embedding_model",
]

EMBEDDING_LAYER = "embedding"
"""Name of the layer whose output is the embedding."""


DEFAULT_BATCH_SIZE = 128
"""Images per call of the model."""


def embedding_model(model: keras.Model) -> keras.Model:
    """The sub-model from the input of ``model`` to the output of its ``"embedding"`` layer.

    Raises
    ------
    ValueError
        If ``model`` has no layer named ``"embedding"``.

    Examples
    --------
    >>> from astrolens.encoders.wavelet_cnn import build_wavelet_cnn
    >>> embedding_model(build_wavelet_cnn(n_classes=4)).output_shape
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


def class_probabilities(
    model: keras.Model, inputs: ArrayLike, batch_size: int = 512
) -> NDArray[np.float32]:
    """Class probabilities ``(N, n_classes)`` of a model with one output or with several.

    Examples
    --------
    >>> from astrolens.encoders.wavelet_cnn import build_wavelet_cnn
    >>> x = np.zeros((3, 64, 64, 4), dtype=np.float32)
    >>> class_probabilities(build_wavelet_cnn(5, channels=4, period_bins=8), x).shape
    (3, 5)
    """
    outputs = _predict(model, inputs, batch_size)
    if isinstance(outputs, dict):
        outputs = outputs[CLASS_OUTPUT]
    return np.asarray(outputs, dtype=np.float32)


def _predict(model: keras.Model, inputs: ArrayLike, batch_size: int = 512) -> object:
    return model.predict(np.asarray(inputs, dtype=np.float32), batch_size=batch_size, verbose=0)


class Embedder:
    """Embeddings of model inputs, independent of batching (to ``EMBEDDING_RTOL``).

    Several inputs run on batches of exactly ``batch_size`` (the last one padded with zeros), in
    inference mode, so the numerical kernels see the same shapes whatever the number of inputs:
    an input embeds to the same bits at the same position of a batch. A single input (a query)
    runs alone, unpadded, in a graph of its own: ``batch_size`` times less work, the same
    embedding within the tolerance (see :mod:`astrolens.embed` for what that promises on which
    CPU).

    Parameters
    ----------
    model
        A model with a layer named ``"embedding"`` (see :func:`embedding_model`).
    batch_size
        Inputs per call of the model; every call gets exactly this many (zero-padded).

    Examples
    --------
    >>> from astrolens.embed import EMBEDDING_ATOL, EMBEDDING_RTOL
    >>> from astrolens.encoders.wavelet_cnn import build_wavelet_cnn
    >>> embedder = Embedder(build_wavelet_cnn(n_classes=4), batch_size=8)
    >>> x = np.random.default_rng(0).random((10, 64, 64, 2), dtype=np.float32)
    >>> together = embedder(x)
    >>> alone = embedder(x[3:4])[0]
    >>> together.shape, bool(np.allclose(alone, together[3], EMBEDDING_RTOL, EMBEDDING_ATOL))
    ((10, 64), True)
    """

    def __init__(self, model: keras.Model, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.encoder = embedding_model(model)
        self.batch_size = batch_size
        self.input_shape = tuple(self.encoder.input_shape[1:])
        self.dim = int(self.encoder.output_shape[-1])
        self._embed_batch = self._graph(batch_size)
        self._embed_one = self._graph(1)

    def _graph(self, size: int) -> tf.types.experimental.PolymorphicFunction:
        """The model on batches of ``size``, traced once into a TensorFlow graph.

        Without AutoGraph: the call has no Python control flow to convert, and AutoGraph would
        write its conversion to a ``__autograph_generated_file*.py`` in the system's temporary
        folder, which a killed process (or a worker leaving by ``os._exit``) never removes.
        """
        signature = tf.TensorSpec((size, *self.input_shape), tf.float32)
        return tf.function(
            lambda x: self.encoder(x, training=False), input_signature=[signature], autograph=False
        )

    def __call__(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        """Embeddings ``(N, dim)`` of inputs ``(N, *input_shape)``."""
        inputs = np.asarray(inputs, dtype=np.float32)
        if inputs.shape[1:] != self.input_shape:
            raise ValueError(
                f"inputs of shape {inputs.shape[1:]}; the model takes {self.input_shape}"
            )
        if len(inputs) == 1:
            return self._embed_one(inputs).numpy()
        out = np.empty((len(inputs), self.dim), dtype=np.float32)
        batch = np.zeros((self.batch_size, *self.input_shape), dtype=np.float32)
        for start in range(0, len(inputs), self.batch_size):
            part = inputs[start : start + self.batch_size]
            batch[: len(part)] = part
            batch[len(part) :] = 0.0
            out[start : start + len(part)] = self._embed_batch(batch).numpy()[: len(part)]
        return out


class KerasEncoder(Encoder):
    """An encoder that is one ``keras.Model`` with an ``"embedding"`` layer (see the module)."""

    def __init__(
        self, model: keras.Model, config: TrainConfig, class_names: tuple[str, ...]
    ) -> None:
        super().__init__(config, class_names)
        self.model = model

    @property
    def embedder(self) -> Embedder:
        """The fixed-batch :class:`Embedder` of the model (made once, its graph reused)."""
        embedder = _EMBEDDERS.get(self.model)
        if embedder is None:
            embedder = _EMBEDDERS[self.model] = Embedder(self.model)
        return embedder

    @property
    def dim(self) -> int:
        return int(self.model.get_layer(EMBEDDING_LAYER).output.shape[-1])

    @property
    def n_parameters(self) -> int:
        return int(self.model.count_params())

    def embed(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        return self.embedder(inputs)

    def heads(self, inputs: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        outputs = _predict(self.model, inputs)
        if not isinstance(outputs, dict):  # one output: the class softmax
            outputs = {CLASS_OUTPUT: outputs}
        return {name: np.asarray(values, dtype=np.float32) for name, values in outputs.items()}

    def save(self, folder: Path) -> None:
        self.model.save(Path(folder) / MODEL_FILE)

    @classmethod
    def load(cls, folder: Path, config: TrainConfig, class_names: tuple[str, ...]) -> KerasEncoder:
        path = Path(folder) / MODEL_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{folder}: not a training run (no {MODEL_FILE})")
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
        return cls(model, config, class_names)


class Reconstructor(ABC):
    """What a Keras encoder whose network redraws its input adds: no heads, the decoder's
    reconstructions, and the run folder's ``reconstructions.png``.

    Mixed in before the encoder's own base class (``class AutoencoderGalaxy(Reconstructor,
    GalaxyCNN)``). A subclass says which test rows the figure shows (:meth:`figure_rows`) and
    how it draws them (:meth:`reconstruction_plot`); masked modelling also says what the network
    is shown of them (:meth:`shown_inputs`).

    Examples
    --------
    >>> from astrolens.encoders.autoencoder_galaxy import AutoencoderGalaxy
    >>> from astrolens.splits import DataSplit, TrainingData
    >>> from astrolens.trainconfig import TrainConfig
    >>> x = np.zeros((2, 64, 64, 3), np.float32)
    >>> split = DataSplit(np.array([], int), np.array([], int), np.arange(2))
    >>> data = TrainingData(x, np.array([1, 0]), ("spiral", "ring"), None, split, (0.04, 2000.0))
    >>> config = TrainConfig(survey="galaxies-tiny", encoder="autoencoder_galaxy",
    ...                      objective="reconstruction", filters=(4, 8), embedding_dim=8,
    ...                      threads=None)
    >>> encoder = AutoencoderGalaxy.create(config, data.class_names, x.shape[1:])
    >>> encoder.heads(x), encoder.reconstruct(x).shape, list(encoder.figures(data))
    ({}, (2, 64, 64, 3), ['reconstructions.png'])
    """

    model: keras.Model

    def heads(self, inputs: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        """None: the network's only output is its reconstruction."""
        return {}

    def reconstruct(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        """The decoder's reconstructions of inputs, of their shape."""
        inputs = np.asarray(inputs, dtype=np.float32)
        return np.asarray(self.model.predict(inputs, batch_size=128, verbose=0), np.float32)

    def shown_inputs(
        self, truths: NDArray[np.float32]
    ) -> tuple[NDArray[np.float32], NDArray[np.bool_] | None]:
        """What the network is shown of inputs in the figures, and what of them is hidden:
        the inputs themselves, nothing hidden."""
        return truths, None

    @abstractmethod
    def figure_rows(self, data: TrainingData) -> NDArray[np.int64]:
        """The test rows of ``data`` that ``reconstructions.png`` shows, one per class."""

    @abstractmethod
    def reconstruction_plot(self, data: TrainingData) -> Callable[..., Figure]:
        """The function that draws ``reconstructions.png`` for ``data``, called as
        ``plot(shown, reconstructions, truths, titles, hidden=hidden)``: what the network was
        shown, its reconstructions and the truth (one object a row), the rows' titles (their
        classes) and what :meth:`shown_inputs` hid."""

    def figures(self, data: TrainingData) -> dict[str, Figure]:
        """``reconstructions.png``: a few test objects of distinct classes
        (:meth:`figure_rows`), what the network is shown of them (:meth:`shown_inputs`), its
        reconstructions and the truth (:meth:`reconstruction_plot`); none without test
        objects."""
        rows = self.figure_rows(data)
        if not rows.size:
            return {}
        truths = np.asarray(data.inputs[rows], dtype=np.float32)
        shown, hidden = self.shown_inputs(truths)
        titles = [data.class_names[data.labels[row]] for row in rows.tolist()]
        plot = self.reconstruction_plot(data)
        figure = plot(shown, self.reconstruct(shown), truths, titles, hidden=hidden)
        return {RECONSTRUCTION_FIGURE: figure}


_EMBEDDERS: weakref.WeakKeyDictionary[keras.Model, Embedder] = weakref.WeakKeyDictionary()
