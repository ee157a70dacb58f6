"""Placing a search's matches on an index folder's embedding map: the cost per answer.

Every answer of the web API places the query and its matches on the index's map (the page draws
them there): the inverse-distance weighted mean position of each one's 5 nearest mapped objects.
The baseline is NumPy's exact search over the mapped embeddings (float64 distances, a partial sort
per row: what :func:`astrolens.index.embedding_map.place` did until 2026-12-05); against it,
:class:`astrolens.index.embedding_map.MapPlacer`, the mapped embeddings indexed once (FAISS, exact).
The queries are sets of 6 embeddings (a query and its 5 matches) of indexed objects drawn with a
seed, placed in turns by both; the positions must agree to 1e-4 of the map's width.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/map_placement.py [--index indexes/demo-mixed-default]
[--answers 2000]``.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from threadpoolctl import threadpool_limits

from astrolens.index import load_index
from astrolens.index.embedding_map import MapPlacer, read_map

NEIGHBOURS = 5


def numpy_place(queries: np.ndarray, mapped: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """The baseline: exact float64 distances to every mapped embedding, a partial sort per row."""
    queries = np.asarray(queries, dtype=np.float64)
    squared = (queries**2).sum(axis=1)[:, None] - 2 * queries @ mapped.T + (mapped**2).sum(axis=1)
    distances = np.sqrt(np.maximum(squared, 0.0))
    nearest = np.argpartition(distances, NEIGHBOURS - 1, axis=1)[:, :NEIGHBOURS]
    near = np.take_along_axis(distances, nearest, axis=1)
    order = np.argsort(near, axis=1, kind="stable")
    nearest = np.take_along_axis(nearest, order, axis=1)
    near = np.take_along_axis(near, order, axis=1)
    weights = 1.0 / np.maximum(near, 1e-9)
    exact = near[:, :1] < 1e-5
    weights = np.where(exact, np.where(np.arange(NEIGHBOURS) == 0, 1.0, 0.0), weights)
    return (weights[:, :, None] * xy[nearest]).sum(axis=1) / weights.sum(axis=1)[:, None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", default="indexes/demo-mixed-default")
    parser.add_argument("--answers", type=int, default=2000)
    args = parser.parse_args()

    index = load_index(args.index)
    points = read_map(args.index)
    if points is None:
        raise SystemExit(f"{args.index} keeps no embedding map")
    rows = {str(name): row for row, name in enumerate(np.asarray(index.ids).astype(str))}
    mapped = index.get_vectors(np.array([rows[str(name)] for name in points["object_id"]]))
    mapped64, xy = mapped.astype(np.float64), points[["x", "y"]].to_numpy(np.float64)
    rng = np.random.default_rng(0)
    answers = [
        index.get_vectors(rng.choice(len(index), 6, replace=False)) for _ in range(args.answers)
    ]
    placer = MapPlacer(mapped, xy)
    timings: dict[str, list[float]] = {"numpy": [], "placer": []}
    worst = 0.0
    with threadpool_limits(1):
        for vectors in answers:
            start = time.perf_counter()
            expected = numpy_place(vectors, mapped64, xy)
            timings["numpy"].append(time.perf_counter() - start)
            start = time.perf_counter()
            placed = placer(vectors)
            timings["placer"].append(time.perf_counter() - start)
            worst = max(worst, float(np.abs(placed - expected).max()))
    assert worst < 2e-4, f"positions differ by {worst}"
    numpy_ms, placer_ms = (1e3 * float(np.median(timings[k])) for k in ("numpy", "placer"))
    print(
        f"index {args.index}: {len(index):,} objects, {len(points):,} mapped, {mapped.shape[1]}-d"
    )
    print(f"machine: {platform.processor() or platform.machine()}, 1 thread")
    print(f"answers placed: {args.answers:,} (6 embeddings each); largest difference {worst:.2e}")
    print(f"NumPy exact (baseline): median {numpy_ms:.3f} ms per answer")
    ratio = numpy_ms / placer_ms
    print(f"MapPlacer:              median {placer_ms:.3f} ms per answer ({ratio:.1f}x)")


if __name__ == "__main__":
    main()
