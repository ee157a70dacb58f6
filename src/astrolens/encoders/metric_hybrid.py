"""Metric learning from physical parameters: the hybrid encoder's branches, no class head.

The network reads what the hybrid encoder reads (:mod:`astrolens.encoders.hybrid_cnn`: the
wavelet image where the light curve is dense, the periodogram, folds and scalars everywhere) and
ends in its embedding, scaled to unit length: the cosine similarity of two embeddings is fitted to
the similarity of the two objects' physical parameters (:mod:`astrolens.objectives.parameters`:
class, period, amplitude, Fourier shape, depth). Euclidean distance between unit vectors orders
neighbours as their cosine similarity does, so the index and the search need nothing new.

Trained with ``astrolens train --encoder metric_hybrid`` (objective ``"parameters"``, the only
one it learns); augmented as the hybrid encoder is.

Examples
--------
>>> model = build_metric_hybrid(embedding_dim=8, filters=(4, 8))
>>> from astrolens.encoders.hybrid_cnn import packed_shape
>>> x = np.random.default_rng(0).random((3, *packed_shape()), dtype=np.float32)
>>> embeddings = np.asarray(model(x))
>>> embeddings.shape, bool(np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5))
((3, 8), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import keras
import numpy as np
from keras import layers
from numpy.typing import NDArray

from astrolens.encoders.hybrid_cnn import HybridCNN, hybrid_features
from astrolens.encoders.keras_encoder import EMBEDDING_LAYER
from astrolens.periodogram import PeriodogramConfig

if TYPE_CHECKING:
    from astrolens.trainconfig import TrainConfig

__all__ = ["MetricHybrid", "build_metric_hybrid"]


def build_metric_hybrid(
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 4,
    embedding_dim: int = 64,
    filters: Sequence[int] = (8, 16, 32, 64),
    dropout: float = 0.2,
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> keras.Model:
    """The metric-learning network: the hybrid branches, two dense layers, batch normalisation,
    unit length (the layer
    :data:`~astrolens.encoders.keras_encoder.EMBEDDING_LAYER`, the model's only output)."""
    inputs, features = hybrid_features(image_shape, channels, filters, periodogram)
    x = layers.Dropout(dropout, name="features_dropout")(features)
    x = layers.Dense(256, activation="relu", name="projection")(x)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding_dense")(x)
    x = layers.BatchNormalization(name="embedding_norm")(x)  # centred: not all one direction
    embedding = layers.UnitNormalization(name=EMBEDDING_LAYER)(x)
    return keras.Model(inputs, embedding, name="metric_hybrid")


class MetricHybrid(HybridCNN):
    """The metric-learning encoder (see the module description); no heads.

    Examples
    --------
    >>> from astrolens.trainconfig import TrainConfig
    >>> from astrolens.encoders.hybrid_cnn import packed_shape
    >>> config = TrainConfig(survey="tiny", encoder="metric_hybrid", objective="parameters",
    ...                      filters=(4, 8), embedding_dim=8, period_bins=0, threads=None)
    >>> encoder = MetricHybrid.create(config, ("EA", "EW"), packed_shape())
    >>> x = np.zeros((3, *packed_shape()), np.float32)
    >>> encoder.embed(x).shape, encoder.heads(x)
    ((3, 8), {})
    """

    name = "metric_hybrid"
    objectives: ClassVar[tuple[str, ...]] = ("parameters",)

    @classmethod
    def build(
        cls, config: TrainConfig, class_names: tuple[str, ...], image_shape: tuple[int, int]
    ) -> keras.Model:
        return build_metric_hybrid(
            image_shape=image_shape,
            channels=config.channels,
            embedding_dim=config.embedding_dim,
            filters=config.filters,
            dropout=config.dropout,
        )

    def heads(self, inputs: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        """None: the network has no class or period head."""
        return {}
