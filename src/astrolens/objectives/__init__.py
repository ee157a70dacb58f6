"""What an encoder learns to do: objectives by name, the first the supervised one.

An objective turns the labelled training data (:class:`astrolens.splits.TrainingData`) into what a
network is fitted on: targets and sample weights for each output, the losses and their weights,
the metrics (:class:`FitTargets`). Each is one class, registered with one line
(:func:`register_objective`); ``TrainConfig.objective`` names the one a run trains with, and a
Keras encoder fits with whatever it returns. :class:`Supervised` is the survey's classes (weighted
so that every class counts alike) and, when the network has a period head, soft labels over
log-spaced period bins around the catalogued period; ``"parameters"``
(:mod:`astrolens.objectives.parameters`) the similarity of the objects' physical parameters, for
metric learning. The helpers are plain NumPy.

Examples
--------
>>> objective_names(), objective_class("supervised").name
(('contrastive', 'masked', 'parameters', 'reconstruction', 'supervised'), 'supervised')
>>> objective_class("triplet")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: no objective named 'triplet'; known: contrastive, masked, ..., supervised
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from astrolens.plugins import Registry
from astrolens.splits import TrainingData

if TYPE_CHECKING:
    from astrolens.trainconfig import AugmentConfig, TrainConfig

__all__ = [
    "CLASS_OUTPUT",
    "PERIOD_OUTPUT",
    "Augmentation",
    "BatchMaker",
    "FitTargets",
    "Objective",
    "Supervised",
    "class_weights",
    "objective_class",
    "objective_names",
    "period_bin_centres",
    "period_targets",
    "register_objective",
    "take_rows",
]

CLASS_OUTPUT = "class_probabilities"
"""Name of a network's class softmax (its only output, or its key among several)."""

PERIOD_OUTPUT = "period_probabilities"
"""Name of a network's optional softmax over period bins."""


def period_bin_centres(bins: int, period_range_days: tuple[float, float]) -> NDArray[np.float64]:
    """Periods of the ``bins`` log-spaced period bins over ``period_range_days``, shortest first.

    Examples
    --------
    >>> period_bin_centres(3, (1.0, 100.0)).tolist()
    [1.0, 10.0, 100.0]
    """
    return np.geomspace(*period_range_days, bins)


def period_targets(
    period_days: ArrayLike,
    bins: int,
    period_range_days: tuple[float, float],
    sigma_bins: float = 1.0,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Soft labels over log-spaced period bins, and which objects have one.

    The label of a period is a Gaussian of ``sigma_bins`` bins around its position on the grid of
    :func:`period_bin_centres`, normalised to 1 (soft labels keep the bins ordered: a near miss
    costs less than a far one). Objects without a period (NaN: stochastic variables, constant
    stars) or with a period outside the range (e.g. Miras, longer than any light curve) get an
    all-zero label and weight 0.

    Returns
    -------
    labels, weights
        ``(N, bins)`` and ``(N,)`` float32.

    Examples
    --------
    >>> labels, weights = period_targets([1.0, 10.0, np.nan, 1e4], 5, (0.1, 100.0), 0.5)
    >>> int(labels[0].argmax()), int(labels[1].argmax()), weights.tolist()
    (1, 3, [1.0, 1.0, 0.0, 0.0])
    >>> bool(np.allclose(labels[:2].sum(axis=1), 1.0)), float(labels[2:].sum())
    (True, 0.0)
    """
    periods = np.asarray(period_days, dtype=np.float64)
    low, high = period_range_days
    known = np.isfinite(periods) & (periods >= low) & (periods <= high)
    position = np.zeros(periods.shape)
    position[known] = np.log(periods[known] / low) / np.log(high / low) * (bins - 1)
    grid = np.arange(bins)
    labels = np.exp(-0.5 * ((grid[None, :] - position[:, None]) / sigma_bins) ** 2)
    labels /= labels.sum(axis=1, keepdims=True)
    labels[~known] = 0.0
    return labels.astype(np.float32), known.astype(np.float32)


def class_weights(labels: ArrayLike, n_classes: int) -> dict[int, float]:
    """Weights that make every class count as much in the loss: ``n / (n_classes * count)``.

    Classes without examples get weight 0.

    Examples
    --------
    >>> class_weights([0, 0, 0, 1], n_classes=2)
    {0: 0.667, 1: 2.0}
    """
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes)
    total = counts.sum()
    return {
        index: round(float(total / (n_classes * count)), 3) if count else 0.0
        for index, count in enumerate(counts.tolist())
    }


Augmentation = Callable[[NDArray[np.float32], np.random.Generator, "AugmentConfig"], NDArray]
"""An encoder's augmentation of a batch of its inputs: ``(inputs, rng, config) -> inputs``."""

BatchMaker = Callable[
    [NDArray[np.float32], NDArray[np.int64], np.random.Generator, Augmentation, "AugmentConfig"],
    tuple[Any, Any, Any],
]
"""Makes one batch ``(inputs, targets, sample_weights)`` from all the inputs and the rows of the
batch, with a generator, the encoder's augmentation and its configuration."""


def take_rows(values: Any, rows: NDArray[np.int64]) -> Any:
    """``values[rows]`` of an array, or of each array of a dict.

    Examples
    --------
    >>> take_rows({"a": np.arange(4)}, np.array([3, 1]))["a"].tolist()
    [3, 1]
    """
    if isinstance(values, dict):
        return {name: array[rows] for name, array in values.items()}
    return values[rows]


@dataclass(frozen=True)
class FitTargets:
    """What a network is fitted on, for every object of the training data (rows as its inputs).

    Attributes
    ----------
    targets, sample_weights
        An array, or arrays by output name.
    loss
        A Keras loss name, or names by output.
    loss_weights
        Weights of the outputs' losses (None: one output).
    metrics
        Keras metric names, or names by output.
    batches
        For an objective that makes its own views or masks (contrastive, masked modelling): what
        makes each batch, the validation batches included (with generators that stay the same
        from epoch to epoch, so that validation losses compare). None: a batch is the augmented
        inputs of its rows with their targets and weights, and validation is not augmented.
    validation_batches
        False: validation is the plain inputs with their targets and weights even where
        ``batches`` makes the training batches (a batch maker that only chooses rows).
    """

    targets: Any
    sample_weights: Any
    loss: Any
    loss_weights: dict[str, float] | None
    metrics: Any
    batches: BatchMaker | None = None
    validation_batches: bool = True


class Objective(ABC):
    """What an encoder learns (see the module description)."""

    name: ClassVar[str]
    """The registry name, recorded as ``TrainConfig.objective``."""

    loss_label: ClassVar[str] = "loss"
    """What the loss is, for the training history's figure."""

    @abstractmethod
    def fit_targets(self, data: TrainingData, config: TrainConfig) -> FitTargets:
        """Targets, weights, losses and metrics of every object of ``data``."""


class Supervised(Objective):
    """The survey's classes, its periods when the network has a period head, and, with
    ``TrainConfig.neighbour_weight``, the neighbour loss on the embedding
    (:mod:`astrolens.objectives.neighbours`; optionally in batches that gather class-mates and
    twins).

    Examples
    --------
    >>> import pandas as pd
    >>> from astrolens.splits import stratified_split
    >>> from astrolens.trainconfig import TrainConfig
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> split = stratified_split([f"KIC {i}" for i in range(6)], labels, 0.2, 0.2)
    >>> catalog = pd.DataFrame({"period_days": [1.0, 2.0, np.nan, 3.0, 4.0, 5.0]})
    >>> data = TrainingData(np.zeros((6, 1)), labels, ("EA", "EW"), catalog, split, (0.5, 10.0))
    >>> fit = Supervised().fit_targets(data, TrainConfig(period_bins=8))
    >>> sorted(fit.targets), fit.targets[PERIOD_OUTPUT].shape
    (['class_probabilities', 'period_probabilities'], (6, 8))
    >>> fit.sample_weights[PERIOD_OUTPUT].tolist()
    [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    """

    name = "supervised"
    loss_label = "cross-entropy loss"

    def fit_targets(self, data: TrainingData, config: TrainConfig) -> FitTargets:
        labels, split = data.labels, data.split
        weights = class_weights(labels[split.train], len(data.class_names))
        class_weight = np.array([weights[label] for label in labels.tolist()], np.float32)
        if not (config.period_bins or config.neighbour_weight):
            return FitTargets(
                labels, class_weight, "sparse_categorical_crossentropy", None, ["accuracy"]
            )
        targets: dict[str, Any] = {CLASS_OUTPUT: labels}
        sample_weights: dict[str, Any] = {CLASS_OUTPUT: class_weight}
        loss: dict[str, Any] = {CLASS_OUTPUT: "sparse_categorical_crossentropy"}
        loss_weights = {CLASS_OUTPUT: 1.0}
        if config.period_bins:
            targets[PERIOD_OUTPUT], sample_weights[PERIOD_OUTPUT] = period_targets(
                data.period_days,
                config.period_bins,
                data.period_range_days,
                config.period_sigma_bins,
            )
            loss[PERIOD_OUTPUT] = "categorical_crossentropy"
            loss_weights[PERIOD_OUTPUT] = config.period_weight
        metrics = {CLASS_OUTPUT: ["accuracy"]}
        if not config.neighbour_weight:
            return FitTargets(targets, sample_weights, loss, loss_weights, metrics)
        from astrolens.objectives.contrastive import PairedViews, split_parts, star_ids
        from astrolens.objectives.neighbours import (
            NEIGHBOUR_OUTPUT,
            NeighbourBatches,
            neighbour_loss,
            neighbour_targets,
        )

        targets[NEIGHBOUR_OUTPUT], sample_weights[NEIGHBOUR_OUTPUT] = neighbour_targets(
            labels, data.period_days
        )
        loss[NEIGHBOUR_OUTPUT] = neighbour_loss(
            config.neighbour_sigma_dex, config.neighbour_temperature
        )
        loss_weights[NEIGHBOUR_OUTPUT] = config.neighbour_weight
        if not (config.neighbour_classes_per_batch or config.neighbour_twins):
            return FitTargets(targets, sample_weights, loss, loss_weights, metrics)
        stars = star_ids(data.catalog)
        views = PairedViews(stars, split_parts(split, len(stars)))
        batches = NeighbourBatches(
            targets,
            sample_weights,
            views,
            labels,
            config.neighbour_classes_per_batch,
            config.neighbour_twins,
        )
        return FitTargets(targets, sample_weights, loss, loss_weights, metrics, batches, False)


_OBJECTIVES: Registry[Objective] = Registry("objective", Objective)


register_objective = _OBJECTIVES.register
"""Register a class (``"package.module:Class"``) under a name: one line per plug-in."""

objective_names = _OBJECTIVES.names
"""The registered names, sorted."""

objective_class = _OBJECTIVES.load
"""The class registered under a name (its module imported on first use); a ValueError lists the
known names for an unknown one."""


register_objective("supervised", "astrolens.objectives:Supervised")
register_objective("parameters", "astrolens.objectives.parameters:ParameterSimilarity")
register_objective("contrastive", "astrolens.objectives.contrastive:Contrastive")
register_objective("masked", "astrolens.objectives.reconstruction:MaskedReconstruction")
register_objective("reconstruction", "astrolens.objectives.reconstruction:Reconstruction")
