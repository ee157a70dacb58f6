"""Contrastive self-supervision: two views of one star lie together, views of other stars apart.

No label is used. Each object of a training batch is seen twice, as two *views*: two random
observational variations of its input (the encoder's augmentation: another time window, gaps,
noise, a ground-based survey's periodogram without the space mission's wavelet image), and, for a
star observed by two surveys (catalogue column ``twin_of``), half the time its twin's input as
the second view. The network is fitted so that the two views of a star are each other's nearest
among all the views of the batch (:func:`contrastive_loss`, the normalised temperature-scaled
cross-entropy of SimCLR, Chen et al. 2020, in its form for several positives, Khosla et al.
2020); what the views share, the star's variability, is what the embedding keeps. Hayat et al.
(2021) learned representations of SDSS galaxy images this way, without labels, and searched them
for similar galaxies.

Every row gets a *star id* (:func:`star_ids`): rows of one object, and an object and its twins,
share one, so that they are never each other's negatives. Twins of the same part of the split
(training or validation) are paired; a twin in another part is never seen with its star, so that
validation stays apart from training (:class:`PairedViews`).

Examples
--------
>>> import pandas as pd
>>> catalog = pd.DataFrame({"object_id": ["KIC 1", "OGLE 7", "KIC 2"],
...                         "twin_of": ["", "KIC 1", ""]})
>>> star_ids(catalog).tolist()
[0, 0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd
from keras import ops
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from astrolens.objectives import Augmentation, FitTargets, Objective
from astrolens.splits import DataSplit, TrainingData

if TYPE_CHECKING:
    from astrolens.trainconfig import AugmentConfig, TrainConfig

__all__ = [
    "TEMPERATURE",
    "TWIN_PROBABILITY",
    "Contrastive",
    "PairedViews",
    "contrastive_loss",
    "split_parts",
    "star_ids",
]

TEMPERATURE = 0.1
"""Temperature of the softmax over cosine similarities (SimCLR's best with normalised
projections; a low one weighs the hardest negatives most)."""

TWIN_PROBABILITY = 0.5
"""Chance that the second view of an object with a twin in its part of the split is the twin's."""

_EXCLUDED = 1e9
"""Subtracted from an object's similarity to itself: out of its softmax."""


def star_ids(catalog: pd.DataFrame) -> NDArray[np.int64]:
    """One id per star for every row of a catalogue: rows of one ``object_id``, and objects
    linked by ``twin_of`` (the ``object_id`` of the object whose star a row observes again),
    share it; ids count from 0 in the order of first appearance (exact as the float32 targets
    Keras makes of them, below 2**24 rows). Without an ``object_id`` column, every row is its
    own star.

    Examples
    --------
    >>> catalog = pd.DataFrame({"object_id": ["A", "B", "A", "C", "D"],
    ...                         "twin_of": ["", "", "", "A", "not in the catalogue"]})
    >>> star_ids(catalog).tolist()
    [0, 1, 0, 0, 2]
    """
    n = len(catalog)
    if "object_id" not in catalog:
        return np.arange(n, dtype=np.int64)
    objects = catalog["object_id"].astype(str).to_numpy()
    row_of_object = pd.Series(np.arange(n)).groupby(objects).min()
    rows, linked = np.arange(n), row_of_object[objects].to_numpy()
    if "twin_of" in catalog:
        twin_of = catalog["twin_of"].fillna("").astype(str).to_numpy()
        known = np.isin(twin_of, row_of_object.index)
        rows = np.concatenate([rows, np.flatnonzero(known)])
        linked = np.concatenate([linked, row_of_object[twin_of[known]].to_numpy()])
    graph = coo_matrix((np.ones(rows.size), (rows, linked)), shape=(n, n))
    components = connected_components(graph, directed=False)[1]
    return pd.factorize(components)[0].astype(np.int64)


def split_parts(split: DataSplit, n_rows: int) -> NDArray[np.int64]:
    """The part of the split of every row: 0 training, 1 validation, 2 test, -1 none.

    Examples
    --------
    >>> split_parts(DataSplit(np.array([0, 3]), np.array([1]), np.array([2])), 5).tolist()
    [0, 1, 2, 0, -1]
    """
    parts = np.full(n_rows, -1, dtype=np.int64)
    for part, rows in enumerate((split.train, split.validation, split.test)):
        parts[rows] = part
    return parts


@dataclass(frozen=True, eq=False)
class PairedViews:
    """Makes a contrastive batch (a :data:`~astrolens.objectives.BatchMaker`): for the ``B``
    rows of a batch, the augmented inputs of the rows, then those of their partners (``2B``
    inputs), their star ids as targets, and weights of 1.

    A row's partner is itself, or, with probability :data:`TWIN_PROBABILITY`, another row of its
    star in the same part of the split (a twin), drawn at random.

    Attributes
    ----------
    star_ids
        The star of every row (:func:`star_ids`).
    parts
        The part of the split of every row (:func:`split_parts`).

    Examples
    --------
    >>> from astrolens.trainconfig import AugmentConfig
    >>> views = PairedViews(np.array([0, 0, 1, 2]), np.array([0, 0, 0, 1]))
    >>> inputs = np.arange(4.0)[:, None]
    >>> x, y, weights = views(inputs, np.array([0, 2, 3]), np.random.default_rng(2),
    ...                       lambda x, rng, config: x, AugmentConfig())
    >>> x[:, 0].tolist(), y.tolist(), weights.tolist()
    ([0.0, 2.0, 3.0, 1.0, 2.0, 3.0], [0, 1, 2, 0, 1, 2], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    """

    star_ids: NDArray[np.int64]
    parts: NDArray[np.int64]

    def partners(self, rows: ArrayLike, rng: np.random.Generator) -> NDArray[np.int64]:
        """The partner of each of ``rows`` (see the class description).

        Examples
        --------
        >>> views = PairedViews(np.array([0, 0, 0, 1]), np.array([0, 0, 1, 0]))
        >>> rng = np.random.default_rng(0)
        >>> sorted({int(views.partners([0], rng)[0]) for _ in range(50)})
        [0, 1]
        >>> sorted({int(views.partners([2, 3], rng)[k]) for _ in range(50) for k in (0, 1)})
        [2, 3]
        """
        rows = np.asarray(rows, dtype=np.int64)
        order, start, size, position = self._groups
        twinned = (size[rows] > 1) & (rng.random(rows.size) < TWIN_PROBABILITY)
        step = rng.integers(1, np.maximum(size[rows], 2))
        other = order[start[rows] + (position[rows] + step) % size[rows]]
        return np.where(twinned, other, rows)

    @cached_property
    def _groups(self) -> tuple[NDArray[np.int64], ...]:
        """The rows ordered by part and star, and, for every row, where its group (its star's
        rows in its part) starts in that order, its size and the row's place in it."""
        order = np.lexsort((self.star_ids, self.parts))
        keys = np.stack([self.parts[order], self.star_ids[order]])
        starts = np.flatnonzero(np.r_[True, np.any(keys[:, 1:] != keys[:, :-1], axis=0)])
        sizes = np.diff(np.r_[starts, order.size])
        start, size = np.empty_like(order), np.empty_like(order)
        start[order], size[order] = np.repeat(starts, sizes), np.repeat(sizes, sizes)
        position = np.empty_like(order)
        position[order] = np.arange(order.size) - start[order]
        return order, start, size, position

    def __call__(
        self,
        inputs: NDArray[np.float32],
        rows: NDArray[np.int64],
        rng: np.random.Generator,
        augmentation: Augmentation,
        config: AugmentConfig,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float32]]:
        both = np.concatenate([rows, self.partners(rows, rng)])
        views = augmentation(inputs[both], rng, config)
        return views, self.star_ids[both], np.ones(both.size, dtype=np.float32)


@keras.saving.register_keras_serializable(package="astrolens")
def contrastive_loss(star_ids: Any, projections: Any) -> Any:
    """Per view of a batch: minus the mean, over the other views of its star (its positives), of
    the log of the softmax of its cosine similarities to every other view of the batch divided
    by :data:`TEMPERATURE`; 0 for a view without a positive.

    ``star_ids`` ``(N,)`` or ``(N, 1)`` (integers, or floats that hold them); ``projections``
    ``(N, D)``, of any length (they are normalised). Returns ``(N,)``.

    Examples
    --------
    >>> views = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]], np.float32)
    >>> together = contrastive_loss(np.array([0, 0, 1, 1]), views)
    >>> apart = contrastive_loss(np.array([0, 1, 0, 1]), views)
    >>> bool(np.all(np.asarray(together) < 0.01)), bool(np.all(np.asarray(apart) > 5))
    (True, True)
    """
    ids = ops.reshape(star_ids, (-1,))
    vectors = ops.normalize(ops.convert_to_tensor(projections), axis=-1)
    itself = ops.eye(ops.shape(vectors)[0], dtype=vectors.dtype)
    logits = ops.matmul(vectors, ops.transpose(vectors)) / TEMPERATURE - _EXCLUDED * itself
    log_softmax = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    same_star = ops.cast(ops.equal(ids[:, None], ids[None, :]), vectors.dtype)
    positives = same_star * (1.0 - itself)
    total = ops.sum(positives * log_softmax, axis=-1)
    return -total / ops.maximum(ops.sum(positives, axis=-1), 1.0)


class Contrastive(Objective):
    """Two views of one star together, views of other stars apart (see the module description).

    Examples
    --------
    >>> from astrolens.splits import stratified_split
    >>> from astrolens.trainconfig import TrainConfig
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> split = stratified_split([f"KIC {i}" for i in range(6)], labels, 0.2, 0.2)
    >>> catalog = pd.DataFrame({"object_id": [f"KIC {i}" for i in range(6)]})
    >>> data = TrainingData(np.zeros((6, 1)), labels, ("EA", "EW"), catalog, split, (0.5, 10.0))
    >>> fit = Contrastive().fit_targets(data, TrainConfig(period_bins=0))
    >>> fit.targets.tolist(), fit.loss is contrastive_loss, type(fit.batches).__name__
    ([0, 1, 2, 3, 4, 5], True, 'PairedViews')
    """

    name = "contrastive"
    loss_label = "contrastive loss (NT-Xent)"

    def fit_targets(self, data: TrainingData, config: TrainConfig) -> FitTargets:
        stars = star_ids(data.catalog)
        views = PairedViews(stars, split_parts(data.split, len(stars)))
        weights = np.ones(len(stars), dtype=np.float32)
        return FitTargets(stars, weights, contrastive_loss, None, None, batches=views)
