"""Neighbours of one class and one period: a loss on the embedding's own Euclidean distances.

A class head and a period head teach an embedding what an object is, but not how near two
objects must lie: two RR Lyrae stars of 0.50 and 0.58 d may end up as close as two of 0.50 and
0.51 d, and the median period of a query's ten nearest neighbours then misses its own by several
per cent. This loss shapes the distances the index searches (neighbourhood component analysis,
Goldberger et al. 2005, with soft targets as in SNE, Hinton & Roweis 2002). Over the objects of a
batch, each object (the anchor) gets

- a **target distribution** over the other objects: zero for another class; within its class,
  proportional to ``exp(-(log10 P_a - log10 P_b)^2 / (2 sigma^2))`` between two objects with
  catalogued periods, and equal for two without one (constant stars, granulation). With ``sigma``
  of 0.02 dex (5 %), the object of its class nearest in period dominates, and a twin (the same
  star seen by another survey) is a perfect target;
- a **predicted distribution**: a softmax of ``-d^2 / temperature`` over the squared Euclidean
  distances of its embedding to the others';

and the loss is the cross-entropy between the two. An anchor alone of its class in the batch (or
whose class-mates lack a period it has) adds nothing.

Batches drawn at random hold few objects of a class and hardly ever both observations of one
star (its space light curve and its ground-based one): :class:`NeighbourBatches` draws a batch
from a few classes (``TrainConfig.neighbour_classes_per_batch``) and can put the twins of up to
a quarter of its objects beside them (``neighbour_twins``). Measured on ``demo-mixed`` (README,
"Every survey's light curves"), batches of 8 classes cost class accuracy (batch normalisation
then sees batches unlike the survey), so the default model trains on random batches.

Examples
--------
>>> labels, weights = neighbour_targets([0, 0, 1], [0.5, np.nan, 3.0])
>>> np.round(labels.astype(float), 3).tolist()
[[0.0, -0.301, 1.0], [0.0, 0.0, 0.0], [1.0, 0.477, 1.0]]
>>> loss = neighbour_loss(sigma_dex=0.02, temperature=1.0)
>>> embeddings = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [0.0, 0.2]], np.float32)
>>> close = neighbour_targets([0, 0, 1, 0], [0.50, 0.51, 3.0, 0.80])[0]
>>> far = neighbour_targets([0, 0, 1, 0], [0.50, 0.80, 3.0, 0.51])[0]
>>> bool(np.asarray(loss(close, embeddings))[0] < np.asarray(loss(far, embeddings))[0])
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from keras import ops
from numpy.typing import ArrayLike, NDArray

from astrolens.objectives import Augmentation, take_rows
from astrolens.objectives.contrastive import PairedViews

if TYPE_CHECKING:
    from astrolens.trainconfig import AugmentConfig

__all__ = ["NEIGHBOUR_OUTPUT", "NeighbourBatches", "neighbour_loss", "neighbour_targets"]

NEIGHBOUR_OUTPUT = "embedding"
"""Name of the output the loss is computed on: the embedding layer's, added for training only
(the saved model keeps its heads)."""

_EXCLUDED = 1e9
"""Subtracted from the logits of pairs that must get no probability."""


def neighbour_targets(
    labels: ArrayLike, period_days: ArrayLike
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Per object: ``(class label, log10 period or 0, has a period)`` as ``(N, 3)`` float32, the
    targets :func:`neighbour_loss` reads, and weights of 1."""
    periods = np.asarray(period_days, dtype=np.float64)
    known = np.isfinite(periods) & (periods > 0)
    log_period = np.zeros(periods.shape)
    log_period[known] = np.log10(periods[known])
    targets = np.column_stack([np.asarray(labels, np.float64), log_period, known])
    return targets.astype(np.float32), np.ones(len(targets), np.float32)


def neighbour_loss(sigma_dex: float, temperature: float) -> Callable[[Any, Any], Any]:
    """The loss (see the module description) for targets of :func:`neighbour_targets` and a batch
    of embeddings ``(N, D)``: one value per anchor."""

    def loss(targets: Any, embeddings: Any) -> Any:
        targets = ops.cast(targets, "float32")
        embeddings = ops.cast(embeddings, "float32")
        label, log_period, known = targets[:, 0], targets[:, 1], targets[:, 2]
        others = 1.0 - ops.eye(ops.shape(embeddings)[0])
        squares = ops.sum(ops.square(embeddings), axis=1)
        distances = (
            squares[:, None]
            + squares[None, :]
            - 2.0 * ops.matmul(embeddings, ops.transpose(embeddings))
        )
        logits = -ops.maximum(distances, 0.0) / temperature - _EXCLUDED * (1.0 - others)
        predicted = ops.log_softmax(logits, axis=1)
        same_class = ops.cast(ops.equal(label[:, None], label[None, :]), "float32") * others
        both = known[:, None] * known[None, :]
        neither = (1.0 - known[:, None]) * (1.0 - known[None, :])
        allowed = same_class * (both + neither)
        closeness = -0.5 * ops.square((log_period[:, None] - log_period[None, :]) / sigma_dex)
        wanted = ops.softmax(closeness * both - _EXCLUDED * (1.0 - allowed), axis=1)
        return -ops.sum(wanted * predicted, axis=1) * ops.max(allowed, axis=1)

    loss.__name__ = "neighbour_loss"
    return loss


@dataclass(frozen=True, eq=False)
class NeighbourBatches:
    """Makes a supervised batch (a :data:`~astrolens.objectives.BatchMaker`) in which objects meet
    their class-mates and their twins.

    - With ``classes_per_batch`` ``P`` (0: the rows asked for, as they are): the ``B`` rows are
      ``P`` classes drawn at random with ``B // P`` rows of each (the first class takes the rest),
      drawn from the rows of that class in the part of the split of the rows asked for (training
      or validation), without replacement where the class has enough. A class then has 15 other
      members in a batch of 128 instead of about 7, so that their periods are 2 times closer and
      the neighbour loss sees finer period differences ("P x K" sampling of metric learning).
    - With ``twins``, up to ``B // 4`` rows that have a twin in their part of the split (drawn as
      :meth:`PairedViews.partners` draws, one chance in two) get it in place of other rows,
      the last ones of the batch.

    Returns the augmented inputs of the rows, their targets and weights.

    Examples
    --------
    >>> from astrolens.trainconfig import AugmentConfig
    >>> views = PairedViews(np.array([0, 0, 1, 2, 3, 4, 5, 6]), np.zeros(8, np.int64))
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    >>> batches = NeighbourBatches({"y": np.arange(8) * 10}, {"y": np.ones(8)}, views, labels)
    >>> rows = np.arange(1, 8)
    >>> found = [batches.rows_for(rows, np.random.default_rng(seed)) for seed in range(20)]
    >>> sorted({tuple(r.tolist()) for r in found})
    [(1, 2, 3, 4, 5, 6, 0), (1, 2, 3, 4, 5, 6, 7)]
    >>> x, y, w = batches(np.arange(8.0)[:, None], rows, np.random.default_rng(1),
    ...                   lambda x, rng, config: x, AugmentConfig())
    >>> x.shape, y["y"].tolist() == (x[:, 0] * 10).tolist()
    ((7, 1), True)
    >>> two = NeighbourBatches({}, {}, views, labels, classes_per_batch=2)
    >>> chosen = two.by_class(np.arange(6), np.random.default_rng(0))
    >>> chosen.size, len(set(labels[chosen].tolist()))
    (6, 2)
    """

    targets: Any
    sample_weights: Any
    views: PairedViews
    labels: NDArray[np.int64]
    classes_per_batch: int = 0
    twins: bool = True

    def __call__(
        self,
        inputs: NDArray[np.float32],
        rows: NDArray[np.int64],
        rng: np.random.Generator,
        augmentation: Augmentation,
        config: AugmentConfig,
    ) -> tuple[Any, Any, Any]:
        rows = self.rows_for(rows, rng)
        batch = augmentation(inputs[rows], rng, config)
        return batch, take_rows(self.targets, rows), take_rows(self.sample_weights, rows)

    def rows_for(self, rows: ArrayLike, rng: np.random.Generator) -> NDArray[np.int64]:
        """The rows of the batch made of ``rows`` (see the class description)."""
        rows = np.array(rows, dtype=np.int64)
        if self.classes_per_batch and rows.size:
            rows = self.by_class(rows, rng)
        return self.with_twins(rows, rng) if self.twins else rows

    def by_class(self, rows: NDArray[np.int64], rng: np.random.Generator) -> NDArray[np.int64]:
        """As many rows as ``rows``, of ``classes_per_batch`` classes of their part."""
        members = self._members[int(self.views.parts[rows[0]])]
        names = np.array(sorted(members))
        chosen = rng.choice(names, min(self.classes_per_batch, names.size), replace=False)
        share = rows.size // chosen.size
        counts = [rows.size - share * (chosen.size - 1)] + [share] * (chosen.size - 1)
        return np.concatenate(
            [
                rng.choice(members[name], count, replace=members[name].size < count)
                for name, count in zip(chosen.tolist(), counts, strict=True)
            ]
        )

    def with_twins(self, rows: ArrayLike, rng: np.random.Generator) -> NDArray[np.int64]:
        """``rows``, the last of them replaced by the twins of some of the others."""
        rows = np.array(rows, dtype=np.int64)
        partners = self.views.partners(rows, rng)
        paired = np.flatnonzero(partners != rows)[: rows.size // 4]
        others = np.setdiff1d(np.arange(rows.size), paired)[::-1][: paired.size]
        rows[others] = partners[paired[: others.size]]
        return rows

    @cached_property
    def _members(self) -> dict[int, dict[int, NDArray[np.int64]]]:
        """The rows of each class in each part of the split: ``{part: {class: rows}}``."""
        parts, labels = self.views.parts, np.asarray(self.labels)
        return {
            int(part): {
                int(label): np.flatnonzero((parts == part) & (labels == label))
                for label in np.unique(labels[parts == part])
            }
            for part in np.unique(parts)
        }
