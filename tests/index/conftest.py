"""Clustered embeddings and a test-local exact search: the oracle of every index test."""

import numpy as np
import pytest

from astrolens.index import ClusteredEmbeddings

DIMENSION = 16


def _exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int):
    """Direct (x - q)^2 distances to every vector, sorted: slow, obviously right."""
    vectors = np.asarray(vectors, dtype=np.float64)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float64))
    distances = np.stack([np.sqrt(((vectors - query) ** 2).sum(axis=1)) for query in queries])
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(distances, order, axis=1), order


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of the true neighbours found."""
    return float(
        np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth, strict=True)])
    )


@pytest.fixture(scope="session")
def exact_neighbours():
    return _exact_neighbours


@pytest.fixture(scope="session")
def recall():
    return _recall


@pytest.fixture(scope="session")
def mixture():
    return ClusteredEmbeddings(dimension=DIMENSION, n_clusters=40, spread=0.7, seed=5)


@pytest.fixture(scope="session")
def clustered(mixture):
    """20,000 database vectors and 100 queries (new draws) from the same mixture."""
    vectors, _ = mixture.sample(20_000, stream=1)
    queries, _ = mixture.sample(100, stream=2)
    return vectors, queries
