"""The features baseline: standardised hand-crafted light-curve features as the embedding.

What a light-curve astronomer tries first, and what every learned encoder is compared with: the
periods, amplitudes, shape statistics and Fourier parameters of :mod:`astrolens.features`, each
centred on its median and divided by its spread (half the 16-84 percentile range) over the
training set, and clipped to +-10 so that one extreme value cannot dominate a distance. Fitting
learns only these two numbers per feature: no neural network, nothing random. Saved as
``features.json`` in the run folder with the feature names, so a run made with other features is
refused rather than misread.

Examples
--------
>>> from astrolens.trainconfig import TrainConfig
>>> encoder = FeaturesEncoder.create(TrainConfig(encoder="features"), ("EA", "EW"), (3,))
>>> encoder.centre, encoder.scale = np.zeros(3), np.full(3, 2.0)
>>> encoder.embed(np.array([[1.0, -4.0, 100.0]])).tolist()
[[0.5, -2.0, 10.0]]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from astrolens.encoders.base import Encoder, TrainingData
from astrolens.errors import CacheError
from astrolens.features import FEATURE_NAMES

if TYPE_CHECKING:
    from astrolens.trainconfig import TrainConfig

__all__ = ["CLIP", "FEATURES_FILE", "FeaturesEncoder"]

FEATURES_FILE = "features.json"
"""The encoder's file in a run folder: feature names, centres and scales."""

CLIP = 10.0
"""Standardised features are clipped to [-CLIP, CLIP]."""


class FeaturesEncoder(Encoder):
    """Standardised light-curve features (see the module description).

    A subclass standardises other numbers of another modality by setting the class variables
    below (:class:`astrolens.encoders.morphology_galaxy.MorphologyGalaxy`).
    """

    name = "features"
    representation = "features"
    columns: ClassVar[tuple[str, ...]] = FEATURE_NAMES
    """Names of the numbers standardised, in the order of the representation's columns."""
    file_name: ClassVar[str] = FEATURES_FILE
    """The encoder's file in a run folder."""
    names_key: ClassVar[str] = "feature_names"
    """Key of the names in that file."""
    described: ClassVar[str] = "light-curve features"
    """What the numbers are, for errors."""

    def __init__(
        self,
        config: TrainConfig,
        class_names: tuple[str, ...],
        centre: NDArray[np.float64] | None = None,
        scale: NDArray[np.float64] | None = None,
    ) -> None:
        super().__init__(config, class_names)
        n = len(self.columns)
        self.centre = np.zeros(n) if centre is None else np.asarray(centre, dtype=np.float64)
        self.scale = np.ones(n) if scale is None else np.asarray(scale, dtype=np.float64)

    @classmethod
    def model_inputs(
        cls, batch: dict[str, NDArray[Any]], config: TrainConfig
    ) -> NDArray[np.float32]:
        return np.asarray(batch[cls.representation], dtype=np.float32)

    @classmethod
    def create(
        cls, config: TrainConfig, class_names: tuple[str, ...], input_shape: tuple[int, ...]
    ) -> FeaturesEncoder:
        return cls(config, class_names, np.zeros(input_shape[0]), np.ones(input_shape[0]))

    @property
    def dim(self) -> int:
        return int(self.centre.size)

    def fit(self, data: TrainingData, progress: bool = True) -> pd.DataFrame:
        """Centre and spread of each feature over the training rows (one "epoch")."""
        features = np.asarray(data.inputs[data.split.train], dtype=np.float64)
        low, self.centre, high = np.percentile(features, [15.87, 50.0, 84.13], axis=0)
        spread = (high - low) / 2
        fallback = features.std(axis=0)  # a feature that is mostly one value
        self.scale = np.where(spread > 0, spread, np.where(fallback > 0, fallback, 1.0))
        return pd.DataFrame({"epoch": [1]})

    def embed(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        standard = (np.asarray(inputs, dtype=np.float64) - self.centre) / self.scale
        return np.clip(standard, -CLIP, CLIP).astype(np.float32)

    @property
    def n_parameters(self) -> int:
        return 2 * self.dim

    def save(self, folder: Path) -> None:
        record = {
            self.names_key: list(self.columns),
            "centre": self.centre.tolist(),
            "scale": self.scale.tolist(),
        }
        (Path(folder) / self.file_name).write_text(json.dumps(record, indent=2) + "\n")

    @classmethod
    def load(
        cls, folder: Path, config: TrainConfig, class_names: tuple[str, ...]
    ) -> FeaturesEncoder:
        path = Path(folder) / cls.file_name
        if not path.is_file():
            raise FileNotFoundError(f"{folder}: not a training run (no {cls.file_name})")
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            names, centre, scale = record[cls.names_key], record["centre"], record["scale"]
        except (ValueError, KeyError, TypeError) as error:
            raise CacheError(f"{path}: unreadable ({error})") from error
        if tuple(names) != cls.columns or not len(centre) == len(scale) == len(names):
            raise CacheError(
                f"{path}: made with other {cls.described} ({', '.join(map(str, names))}) than "
                f"astrolens computes now ({', '.join(cls.columns)}); train the run again"
            )
        return cls(config, class_names, np.asarray(centre), np.asarray(scale))
