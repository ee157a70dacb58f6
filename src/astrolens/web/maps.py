"""The embedding map the page draws: the t-SNE map an index folder keeps
(:mod:`astrolens.index.embedding_map`), with each point's class, and the positions of a query and
its matches on it.

The map is a sample (at most :data:`~astrolens.index.embedding_map.MAP_POINTS` objects), so a
page over an index of a million objects draws a few thousand points; a query or match outside the
sample is placed by its nearest mapped neighbours in embedding space.

Examples
--------
>>> import numpy as np, pandas as pd
>>> table = pd.DataFrame({"object_id": ["a", "b"], "x": [-1.0, 1.0], "y": [0.0, 0.0]})
>>> view = EmbeddingMapView(table, np.eye(2, dtype=np.float32), ["EA", "RRab"], 2)
>>> view.payload()["classes"], view.place(np.array([[1.0, 0.0]])).tolist()
(['EA', 'RRab'], [[-1.0, 0.0]])
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from astrolens.index.embedding_map import MAP_METHOD, MapPlacer
from astrolens.index.folder import read_index_map
from astrolens.search import Search, SearchResult

__all__ = ["EmbeddingMapView", "open_map"]


@dataclass(eq=False)
class EmbeddingMapView:
    """A map's points (``object_id``, ``x``, ``y``), their embeddings and classes, and the size of
    the index it samples."""

    points: pd.DataFrame
    vectors: NDArray[np.float32]
    classes: Sequence[str | None]
    n_indexed: int
    index_ids: pd.Index | None = field(default=None, repr=False)
    """The id of each index position, for :meth:`positions` of a result that does not know its
    matches' index positions (built once: at a million objects, an id table per request costs a
    second)."""

    def payload(self) -> dict[str, Any]:
        """The map as the API sends it: columns of the points, the class names, how it was
        made."""
        names = sorted({str(name) for name in self.classes if name})
        number = {name: code for code, name in enumerate(names)}
        return {
            "method": MAP_METHOD,
            "n_indexed": self.n_indexed,
            "n_mapped": len(self.points),
            "classes": names,
            "object_id": self.points["object_id"].astype(str).tolist(),
            "x": np.round(self.points["x"].to_numpy(np.float64), 5).tolist(),
            "y": np.round(self.points["y"].to_numpy(np.float64), 5).tolist(),
            "class": [number.get(str(name), -1) if name else -1 for name in self.classes],
        }

    def place(self, vectors: NDArray[np.float32]) -> NDArray[np.float64]:
        """Map positions of embeddings (``(n, 2)``)."""
        return self._placer(vectors)

    @functools.cached_property
    def _placer(self) -> MapPlacer:
        """The mapped embeddings and their positions, indexed once."""
        return MapPlacer(self.vectors, self.points[["x", "y"]].to_numpy(np.float64))

    def positions(self, search: Search, result: SearchResult) -> dict[str, Any]:
        """Where the query (its mean embedding) and each match lie on the map (the matches'
        embeddings read at their index positions, or at their ids' when the result has none)."""
        ids = [str(name) for name in result.object_ids]
        positions = result.positions
        if positions is None:
            if self.index_ids is None:
                self.index_ids = _id_table(search)
            positions = self.index_ids.get_indexer(ids)
            positions = np.asarray(positions[positions >= 0], dtype=np.int64)
        vectors = np.concatenate(
            [
                np.asarray(result.query.vectors, np.float32).mean(axis=0, keepdims=True),
                search.index.get_vectors(positions),
            ]
        )
        xy = np.round(self.place(vectors), 5)
        return {
            "query": xy[0].tolist(),
            "matches": [
                {"object_id": name, "x": point[0], "y": point[1]}
                for name, point in zip(ids, xy[1:].tolist(), strict=True)
            ],
        }


def _id_table(search: Search) -> pd.Index:
    """The ids of the index's positions, as a table to look them up."""
    return pd.Index(np.asarray(search.index.ids).astype(str))


def open_map(search: Search) -> EmbeddingMapView | None:
    """The map of the index folder ``search`` was opened from (its ``folder``), or None: a
    search without a folder, or a folder written before maps were."""
    folder = getattr(search, "folder", None)
    points = read_index_map(folder) if folder is not None else None
    if points is None or points.empty:
        return None
    index_ids = _id_table(search)
    positions = index_ids.get_indexer(points["object_id"].astype(str))
    points = points[positions >= 0].reset_index(drop=True)
    vectors = search.index.get_vectors(positions[positions >= 0])
    table = search.catalog.table
    if "class" in table.columns:
        rows = search.catalog.locate(points["object_id"].tolist())
        labels = table["class"].to_numpy(dtype=object)[rows]
        classes = [
            None if row < 0 or pd.isna(label) else str(label)
            for row, label in zip(rows, labels, strict=True)
        ]
    else:
        classes = [None] * len(points)
    return EmbeddingMapView(points, vectors, classes, len(search.index), index_ids)
