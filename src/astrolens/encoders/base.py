"""What every encoder does, and the registry of encoders by name.

An encoder turns one representation of an object (the wavelet power image of a light curve, its
hand-crafted features, ...) into an embedding: a float32 vector whose Euclidean distances say how
alike two objects are. Each encoder is one class in one module of :mod:`astrolens.encoders`,
registered by name with one line (:func:`register_encoder`); a run folder records the name in its
``config.json``, and everything downstream (embedding, index, search, web) asks the run for its
encoder, never assumes one.

The protocol (:class:`Encoder`):

- ``name``: the registry name; ``representation``: what it reads, one of the representations the
  modality computes (for light curves, :data:`astrolens.modalities.lightcurve.REPRESENTATIONS`);
- :meth:`Encoder.model_inputs`: a batch of representations to the encoder's input array;
- :meth:`Encoder.create`: a new, untrained encoder for a training configuration;
- :meth:`Encoder.fit`: learn from the training set (an objective: supervised classes and periods,
  self-supervision, or none for a fixed transform), validated on the validation set;
- :meth:`Encoder.embed`: inputs ``(N, ...)`` to embeddings ``(N, dim)`` float32, the same for one
  input whatever else is in the batch (within :data:`astrolens.embed.EMBEDDING_RTOL`);
- :meth:`Encoder.heads`: the encoder's own class and period predictions, if it has heads;
- :meth:`Encoder.figures`: figures of what it learned beyond the embedding (a decoder's
  reconstructions), saved in the run folder;
- :meth:`Encoder.save` and :meth:`Encoder.load`: the encoder's files in a run folder.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from astrolens.plugins import Registry
from astrolens.splits import TrainingData

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from astrolens.trainconfig import TrainConfig

__all__ = [
    "Encoder",
    "TrainingData",
    "encoder_class",
    "encoder_names",
    "register_encoder",
]


class Encoder(ABC):
    """An encoder of one representation; see the module description for the protocol."""

    name: ClassVar[str]
    """The registry name, recorded in a run's ``config.json``."""

    representation: ClassVar[str]
    """Which representation of its modality it reads (``"wavelet"``, ``"features"``)."""

    modality: ClassVar[str] = "lightcurve"
    """The modality (:mod:`astrolens.modalities`) whose representation it reads."""

    objectives: ClassVar[tuple[str, ...]] = ("supervised",)
    """The objectives (:mod:`astrolens.objectives`) it can learn, its default first."""

    def __init__(self, config: TrainConfig, class_names: tuple[str, ...]) -> None:
        self.config = config
        self.class_names = tuple(class_names)

    @classmethod
    @abstractmethod
    def model_inputs(cls, batch: Any, config: TrainConfig) -> NDArray[np.float32]:
        """A batch of representations (of :attr:`representation`) as the encoder's inputs."""

    @classmethod
    @abstractmethod
    def create(
        cls, config: TrainConfig, class_names: tuple[str, ...], input_shape: tuple[int, ...]
    ) -> Encoder:
        """A new, untrained encoder for inputs of ``input_shape`` (one object's)."""

    @abstractmethod
    def fit(self, data: TrainingData, progress: bool = True) -> pd.DataFrame:
        """Learn from ``data``'s training rows; the history (one row per epoch, ``epoch`` first)."""

    @abstractmethod
    def embed(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        """Embeddings ``(N, dim)`` float32 of inputs ``(N, ...)``."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Size of the embedding."""

    @property
    def n_parameters(self) -> int:
        """Trained numbers in the encoder (0 for a fixed transform)."""
        return 0

    def heads(self, inputs: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        """The outputs of the encoder's own heads, by name, in one pass: class probabilities
        ``(N, n_classes)`` as :data:`astrolens.objectives.CLASS_OUTPUT`, probabilities over period
        bins as :data:`~astrolens.objectives.PERIOD_OUTPUT`; empty without heads."""
        return {}

    def figures(self, data: TrainingData) -> dict[str, Figure]:
        """Figures of what the encoder learned, by file name in the run folder, drawn from the
        test objects of ``data`` (a decoder's reconstructions); none by default."""
        return {}

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write the encoder's files into a run folder."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, config: TrainConfig, class_names: tuple[str, ...]) -> Encoder:
        """The encoder saved in a run folder (safe loading: no code from the folder runs)."""


_ENCODERS: Registry[Encoder] = Registry("encoder", Encoder)


register_encoder = _ENCODERS.register
"""Register a class (``"package.module:Class"``) under a name: one line per plug-in."""

encoder_names = _ENCODERS.names
"""The registered names, sorted."""

encoder_class = _ENCODERS.load
"""The class registered under a name (its module imported on first use); a ValueError lists the
known names for an unknown one."""
