"""Similarity from physical parameters: the objective of metric learning without class labels alone.

Each training object gets a vector of its catalogued physical parameters
(:func:`parameter_vectors`), and each pair of objects a target similarity: the cosine similarity
of their two vectors. The network is fitted so that the cosine similarity of the two
embeddings matches it, over every pair of a training batch at once
(:func:`similarity_regression`), as a Siamese network is trained on pairs (the protostellar image
matcher's recipe). No pair is ever labelled "same" or
"different": two RR Lyrae stars of near periods, amplitudes and Fourier shapes come close, two of
different periods less so, an RR Lyrae star and a classical Cepheid of the same period nearer than
an RR Lyrae star and a Mira. The best matches of an object then carry distributions of its
physical parameters.

The parameters and their scaling (``ParameterWeights`` sets the weights)
-------------------------------------------------------------------
``class``
    One-hot, times ``class_weight`` (1): the catalogue's variability type, one parameter among
    the others.
``log10 period``
    ``log10(period_days)``, standardised (mean and standard deviation of the training objects
    that have one), times ``period`` (2): the parameter the matches' distribution matters most
    for.
``log10 amplitude``
    ``log10(amplitude)`` (relative flux, the catalogue's ``amplitude``), standardised, times
    ``amplitude`` (1).
``Fourier shape``
    ``fourier_r21`` and ``fourier_r31`` standardised, ``fourier_phi21`` and ``fourier_phi31`` as
    cosine and sine (a phase has no scale): six numbers, times ``fourier`` (0.5).
``log10 depth``
    ``log10(radius_ratio**2)`` (a transit's or an eclipse's depth), standardised, times
    ``depth`` (1).

A parameter an object does not have (a constant star's period, a rotating star's Fourier shape)
is 0: the mean of the standardised values, so it adds nothing to a cosine similarity. Two
objects of one class without any other parameter (two constant stars) are as alike as can be.

Examples
--------
>>> import pandas as pd
>>> catalog = pd.DataFrame({"class": ["RRab", "RRab", "MIRA"],
...                         "period_days": [0.5, 0.52, 300.0], "amplitude": [0.6, 0.6, 2.0]})
>>> vectors = parameter_vectors(catalog, np.array([0, 0, 1]), 2, np.arange(3))
>>> similarity = vectors @ vectors.T / np.outer(*2 * [np.linalg.norm(vectors, axis=1)])
>>> bool(similarity[0, 1] > 0.99), bool(similarity[0, 2] < 0)
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd
from keras import ops
from numpy.typing import NDArray

from astrolens.objectives import FitTargets, Objective
from astrolens.splits import TrainingData

if TYPE_CHECKING:
    from astrolens.trainconfig import TrainConfig

__all__ = [
    "ParameterSimilarity",
    "ParameterWeights",
    "parameter_vectors",
    "similarity_regression",
]


@dataclass(frozen=True)
class ParameterWeights:
    """How much each parameter counts in the target similarity (see the module description)."""

    class_weight: float = 1.0
    period: float = 2.0
    amplitude: float = 1.0
    fourier: float = 0.5
    depth: float = 1.0


def parameter_vectors(
    catalog: pd.DataFrame,
    labels: NDArray[np.int64],
    n_classes: int,
    reference_rows: NDArray[np.int64],
    weights: ParameterWeights = ParameterWeights(),
) -> NDArray[np.float32]:
    """The parameter vector of every object ``(N, n_classes + 9)`` (see the module description),
    standardised by the objects of ``reference_rows`` (the training set)."""
    one_hot = np.eye(n_classes, dtype=np.float64)[np.asarray(labels)] * weights.class_weight
    columns = [
        weights.period * _standardised(_log10(catalog, "period_days"), reference_rows),
        weights.amplitude * _standardised(_log10(catalog, "amplitude"), reference_rows),
        weights.depth * _standardised(2 * _log10(catalog, "radius_ratio"), reference_rows),
    ]
    for ratio, phase in (("fourier_r21", "fourier_phi21"), ("fourier_r31", "fourier_phi31")):
        columns.append(weights.fourier * _standardised(_column(catalog, ratio), reference_rows))
        angle = _column(catalog, phase)
        columns += [
            weights.fourier * np.nan_to_num(np.cos(angle)),
            weights.fourier * np.nan_to_num(np.sin(angle)),
        ]
    return np.column_stack([one_hot, *columns]).astype(np.float32)


def _column(catalog: pd.DataFrame, name: str) -> NDArray[np.float64]:
    if name not in catalog:
        return np.full(len(catalog), np.nan)
    return pd.to_numeric(catalog[name], errors="coerce").to_numpy(dtype=np.float64)


def _log10(catalog: pd.DataFrame, name: str) -> NDArray[np.float64]:
    values = _column(catalog, name)
    out = np.full(values.shape, np.nan)
    positive = values > 0
    out[positive] = np.log10(values[positive])
    return out


def _standardised(values: NDArray[np.float64], reference_rows: NDArray[np.int64]) -> NDArray:
    """``(values - mean) / std`` over the finite reference values; 0 where not finite."""
    reference = values[reference_rows]
    reference = reference[np.isfinite(reference)]
    if reference.size < 2:
        return np.zeros(values.shape)
    scale = float(np.std(reference)) or 1.0
    return np.nan_to_num((values - float(np.mean(reference))) / scale, nan=0.0)


@keras.saving.register_keras_serializable(package="astrolens")
def similarity_regression(parameters: Any, embeddings: Any) -> Any:
    """Per object of a batch: the mean squared difference, over every object of the batch, between
    the cosine similarity of the two embeddings and that of the two parameter vectors."""
    targets = ops.normalize(parameters, axis=-1)
    vectors = ops.normalize(embeddings, axis=-1)
    target = ops.matmul(targets, ops.transpose(targets))
    predicted = ops.matmul(vectors, ops.transpose(vectors))
    return ops.mean(ops.square(predicted - target), axis=-1)


class ParameterSimilarity(Objective):
    """Embeddings whose cosine similarities are those of the objects' physical parameters.

    Examples
    --------
    >>> from astrolens.splits import stratified_split
    >>> from astrolens.trainconfig import TrainConfig
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> split = stratified_split([f"KIC {i}" for i in range(6)], labels, 0.2, 0.2)
    >>> catalog = pd.DataFrame({"period_days": [1.0, 2.0, np.nan, 3.0, 4.0, 5.0]})
    >>> data = TrainingData(np.zeros((6, 1)), labels, ("EA", "EW"), catalog, split, (0.5, 10.0))
    >>> fit = ParameterSimilarity().fit_targets(data, TrainConfig(period_bins=0))
    >>> fit.targets.shape, fit.loss is similarity_regression
    ((6, 11), True)
    """

    name = "parameters"
    loss_label = "squared error of cosine similarity"

    def fit_targets(self, data: TrainingData, config: TrainConfig) -> FitTargets:
        vectors = parameter_vectors(
            data.catalog, data.labels, len(data.class_names), data.split.train
        )
        weights = np.ones(len(vectors), dtype=np.float32)
        return FitTargets(vectors, weights, similarity_regression, None, None)
