"""The embedding map of an index folder: a 2-D t-SNE projection of a sample of its objects.

Computed once when the folder is written (:func:`~astrolens.index.folder.write_index_folder`)
and kept in it as ``map.parquet`` (``object_id``, ``x``, ``y``), for the web page's map.

**Why t-SNE of a sample.** t-SNE keeps neighbourhoods, which is what a similarity search is
about, and it is the map the runs draw already (``embedding_map.png``, notebook 3); it comes with
scikit-learn, which astrolens uses anyway (UMAP would add ``umap-learn`` and ``numba``). It costs
quadratic-ish time, so at most :data:`MAP_POINTS` objects drawn at random are mapped (about
15 s on one core, whatever the size of the index); any other object, or a query that is not
catalogued, is placed among them by its nearest mapped neighbours in embedding space
(:func:`place`). A map of 1,000,000 objects is then a sample of 2,000 points: light to send and
to draw.

Examples
--------
>>> import numpy as np
>>> vectors = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)
>>> table = embedding_map(vectors, [f"star {i}" for i in range(40)], max_points=30)
>>> list(table.columns), len(table)
(['object_id', 'x', 'y'], 30)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "MAP_FILE",
    "MAP_METHOD",
    "MAP_POINTS",
    "MapPlacer",
    "embedding_map",
    "place",
    "read_map",
    "write_map",
]

MAP_FILE = "map.parquet"
"""The embedding map in an index folder."""

MAP_POINTS = 2000
"""Most objects mapped by t-SNE (a random sample of larger indexes)."""

MAP_METHOD = "t-SNE"
"""How the map was made, as the page names it."""

_NEIGHBOURS = 5
"""Mapped objects whose positions place another object (inverse-distance weighted)."""


def embedding_map(
    vectors: ArrayLike, object_ids: ArrayLike, *, max_points: int = MAP_POINTS, seed: int = 0
) -> pd.DataFrame:
    """The t-SNE map of at most ``max_points`` of the objects (drawn at random with ``seed``).

    Returns
    -------
    pandas.DataFrame
        ``object_id``, ``x``, ``y`` of each mapped object, in index order; coordinates scaled to
        [-1, 1] on the wider axis.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    ids = np.asarray(object_ids).astype(str)
    chosen = np.arange(len(ids))
    if len(ids) > max_points:
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(len(ids), max_points, replace=False))
    points = _tsne(vectors[chosen], seed)
    return pd.DataFrame({"object_id": ids[chosen], "x": points[:, 0], "y": points[:, 1]})


def _tsne(vectors: NDArray[np.float32], seed: int) -> NDArray[np.float64]:
    """t-SNE coordinates scaled to [-1, 1]; fewer than 5 objects lie on a line."""
    n = len(vectors)
    if n < 5:
        points = np.column_stack([np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(n), np.zeros(n)])
        return points
    from sklearn.manifold import TSNE

    perplexity = min(30.0, (n - 1) / 3)
    points = TSNE(perplexity=perplexity, init="pca", random_state=seed, max_iter=500).fit_transform(
        vectors.astype(np.float64)
    )
    points -= points.mean(axis=0)
    scale = float(np.abs(points).max()) or 1.0
    return np.asarray(points / scale, dtype=np.float64)


def write_map(folder: Path, vectors: ArrayLike, object_ids: ArrayLike) -> Path:
    """Compute the map of the objects and write it to ``folder / MAP_FILE``."""
    path = folder / MAP_FILE
    embedding_map(vectors, object_ids).to_parquet(path, index=False)
    return path


def read_map(folder: str | os.PathLike[str]) -> pd.DataFrame | None:
    """The map kept in an index folder, or None for a folder written before maps were."""
    path = Path(folder) / MAP_FILE
    if not path.is_file():
        return None
    return pd.read_parquet(path)


class MapPlacer:
    """Places embeddings on a map (:func:`place`), its mapped embeddings indexed once for many
    calls (an exact FAISS index: a few thousand mapped objects are searched in about 0.1 ms).

    Parameters
    ----------
    mapped_vectors, mapped_xy
        The mapped objects' embeddings ``(m, d)`` and map positions ``(m, 2)``.
    neighbours
        How many nearest mapped objects a position is the weighted mean of.

    Examples
    --------
    >>> mapped, xy = np.array([[0.0, 0], [1, 0], [0, 1]]), np.array([[-1.0, 0], [1, 0], [0, 1]])
    >>> placer = MapPlacer(mapped, xy)
    >>> placer(np.array([[0.0, 1]])).round(3).tolist()
    [[0.0, 1.0]]
    """

    def __init__(
        self, mapped_vectors: ArrayLike, mapped_xy: ArrayLike, neighbours: int = _NEIGHBOURS
    ):
        import faiss

        mapped = np.ascontiguousarray(mapped_vectors, dtype=np.float32)
        self._xy = np.asarray(mapped_xy, dtype=np.float64)
        self._neighbours = min(neighbours, len(mapped))
        self._index = faiss.IndexFlatL2(mapped.shape[1] if mapped.ndim == 2 else 1)
        if len(mapped):
            self._index.add(mapped)

    def __call__(self, vectors: ArrayLike) -> NDArray[np.float64]:
        """Positions ``(n, 2)`` of the embeddings ``vectors`` ``(n, d)``."""
        queries = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if self._neighbours == 0:
            return np.zeros((len(queries), 2))
        squared, nearest = self._index.search(queries, self._neighbours)  # nearest first
        near = np.sqrt(np.maximum(squared.astype(np.float64), 0.0))
        weights = 1.0 / np.maximum(near, 1e-9)
        exact = near[:, :1] < 1e-5
        weights = np.where(exact, np.where(np.arange(near.shape[1]) == 0, 1.0, 0.0), weights)
        result: Any = (weights[:, :, None] * self._xy[nearest]).sum(axis=1)
        return np.asarray(result / weights.sum(axis=1)[:, None], dtype=np.float64)


def place(
    vectors: ArrayLike,
    mapped_vectors: ArrayLike,
    mapped_xy: ArrayLike,
    neighbours: int = _NEIGHBOURS,
) -> NDArray[np.float64]:
    """Positions on the map of embeddings: the inverse-distance weighted mean position of their
    ``neighbours`` nearest mapped objects (a mapped object's own position, at distance 0).
    For many calls on one map, :class:`MapPlacer`.

    Examples
    --------
    >>> mapped = np.array([[0.0, 0], [1, 0], [0, 1]])
    >>> xy = np.array([[-1.0, 0], [1, 0], [0, 1]])
    >>> place(np.array([[1.0, 0], [0.5, 0]]), mapped, xy, neighbours=2).round(3).tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    return MapPlacer(mapped_vectors, mapped_xy, neighbours)(vectors)
