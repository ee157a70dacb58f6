"""Retrieval precision and classification scores, checked against direct counts."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from astrolens.evaluation import classification_scores, retrieval_precision


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 8))
def test_retrieval_precision_counts_same_class_neighbours(seed, k):
    rng = np.random.default_rng(seed)
    references = rng.normal(size=(40, 5)).astype(np.float32)
    queries = rng.normal(size=(7, 5)).astype(np.float32)
    reference_labels = rng.integers(0, 3, 40)
    query_labels = rng.integers(0, 3, 7)
    distances = np.linalg.norm(queries[:, None] - references[None], axis=2)
    order = np.argsort(distances, axis=1)[:, :k]
    gap = np.sort(distances, axis=1)
    assume(np.all(gap[:, k] - gap[:, k - 1] > 1e-4))  # no tie at the k-th neighbour
    expected = (reference_labels[order] == query_labels[:, None]).mean(axis=1)
    got = retrieval_precision(queries, query_labels, references, reference_labels, k)
    np.testing.assert_allclose(got, expected)


def test_retrieval_precision_needs_enough_references():
    with pytest.raises(ValueError, match="k must be"):
        retrieval_precision([[0.0]], [0], [[1.0]], [0], k=2)


def test_classification_scores_match_direct_counts():
    true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    predicted = np.array([0, 1, 0, 1, 1, 2, 0, 2, 2])
    scores = classification_scores(true, predicted, ["EA", "EW", "ROT"])
    assert scores["accuracy"] == pytest.approx(7 / 9, abs=1e-4)
    assert scores["confusion_matrix"] == [[2, 1, 0], [0, 2, 0], [1, 0, 3]]
    ea = scores["per_class"]["EA"]
    assert ea["precision"] == pytest.approx(2 / 3, abs=1e-3)
    assert ea["recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert ea["support"] == 3
    assert scores["per_class"]["ROT"]["recall"] == pytest.approx(0.75)
