"""Training, validation and test sets (by object, stratified by class, from a seed), and the
labelled data an encoder learns from (:class:`TrainingData`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["DataSplit", "TrainingData", "labelled_subset", "stratified_split"]


@dataclass(frozen=True)
class DataSplit:
    """Row indices of the training, validation and test sets (sorted, disjoint)."""

    train: NDArray[np.int64]
    validation: NDArray[np.int64]
    test: NDArray[np.int64]

    def sizes(self) -> dict[str, int]:
        """Number of rows in each set."""
        return {
            "train": self.train.size,
            "validation": self.validation.size,
            "test": self.test.size,
        }


def stratified_split(
    object_ids: ArrayLike,
    labels: ArrayLike,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
) -> DataSplit:
    """Split rows into training, validation and test sets, by object and stratified by class.

    All rows of one object go to the same set. In each class, objects are shuffled and the
    first ``round(test_fraction * n)`` go to the test set, the next
    ``round(validation_fraction * n)`` to the validation set, the rest to the training set; a
    class with at least three objects has at least one in every set.

    Raises
    ------
    ValueError
        If one object has rows of two classes.

    Examples
    --------
    >>> labels = ["EA"] * 10 + ["EW"] * 10
    >>> split = stratified_split([f"KIC {i}" for i in range(20)], labels, 0.2, 0.2, seed=1)
    >>> split.sizes()
    {'train': 12, 'validation': 4, 'test': 4}
    """
    object_ids = np.asarray(object_ids, dtype=object)
    labels = np.asarray(labels, dtype=object)
    objects, first_row, object_of_row = np.unique(
        object_ids, return_index=True, return_inverse=True
    )
    object_labels = labels[first_row]
    if np.any(labels != object_labels[object_of_row]):
        raise ValueError("an object has rows of different classes; cannot stratify by object")
    rng = np.random.default_rng(seed)
    set_of_object = np.zeros(objects.size, dtype=np.int8)
    for label in sorted(set(object_labels.tolist()), key=str):
        members = rng.permutation(np.flatnonzero(object_labels == label))
        n_test, n_validation = _held_out_counts(members.size, validation_fraction, test_fraction)
        set_of_object[members[:n_test]] = 2
        set_of_object[members[n_test : n_test + n_validation]] = 1
    set_of_row = set_of_object[object_of_row]
    return DataSplit(*(np.flatnonzero(set_of_row == which) for which in range(3)))


def labelled_subset(
    split: DataSplit, labels: ArrayLike, per_class: int, seed: int = 0
) -> DataSplit:
    """The split with at most ``per_class`` training rows and as many validation rows of each
    class, drawn at random (seeded); the test rows unchanged: a few-label training set.

    Examples
    --------
    >>> labels = ["EA"] * 10 + ["EW"] * 10
    >>> split = stratified_split([f"KIC {i}" for i in range(20)], labels, 0.2, 0.2, seed=1)
    >>> few = labelled_subset(split, labels, 2)
    >>> few.sizes(), bool(np.array_equal(few.test, split.test))
    ({'train': 4, 'validation': 4, 'test': 4}, True)
    """
    labels = np.asarray(labels, dtype=object)
    rng = np.random.default_rng(seed)

    def few(rows: NDArray[np.int64]) -> NDArray[np.int64]:
        chosen = []
        for label in sorted(set(labels[rows].tolist()), key=str):
            members = rows[labels[rows] == label]
            chosen.append(rng.choice(members, min(per_class, members.size), replace=False))
        return np.sort(np.concatenate(chosen)) if chosen else rows[:0]

    return DataSplit(few(split.train), few(split.validation), split.test)


def _held_out_counts(n: int, validation_fraction: float, test_fraction: float) -> tuple[int, int]:
    """Test and validation counts of a class of ``n`` objects (at least one each if n >= 3)."""
    floor = 1 if n >= 3 else 0
    n_test = max(floor, round(test_fraction * n))
    n_validation = max(floor, round(validation_fraction * n))
    return n_test, n_validation


@dataclass(frozen=True)
class TrainingData:
    """The labelled objects an encoder learns from, split into sets.

    Attributes
    ----------
    inputs
        The encoder's inputs ``(N, ...)`` (:meth:`Encoder.model_inputs`).
    labels
        Class index of each object, into ``class_names``.
    class_names
        The classes.
    catalog
        The objects' catalogue rows (physical parameters such as ``period_days``), index reset.
    split
        Training, validation and test rows.
    period_range_days
        The periods the representation can show, shortest and longest (a period head's bins
        span them).
    """

    inputs: NDArray[Any]
    labels: NDArray[np.int64]
    class_names: tuple[str, ...]
    catalog: pd.DataFrame
    split: DataSplit
    period_range_days: tuple[float, float]

    @property
    def period_days(self) -> NDArray[np.float64]:
        """The catalogued period of each object (NaN where it has none)."""
        if "period_days" not in self.catalog:
            return np.full(len(self.catalog), np.nan)
        return self.catalog["period_days"].to_numpy(dtype=np.float64)
