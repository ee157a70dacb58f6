"""Helpers shared by the index benchmarks: memory readings, recall, per-query latencies."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def memory_mib(field: str = "RssAnon") -> float:
    """A memory figure of this process from /proc/self/status, in MiB (NaN elsewhere).

    ``RssAnon`` is resident memory not backed by a file (memory-mapped vectors are not counted);
    ``VmHWM`` is the peak resident memory.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of each query's true k nearest neighbours that were found."""
    hits = [np.intersect1d(a, b).size for a, b in zip(found, truth, strict=True)]
    return float(np.mean(hits) / truth.shape[1])


def per_query_seconds(search: Callable[[np.ndarray], object], queries: np.ndarray) -> np.ndarray:
    """Wall-clock time of ``search(query)`` for each query, one at a time (after a warm-up)."""
    search(queries[0])
    times = np.empty(len(queries))
    for number, query in enumerate(queries):
        start = time.perf_counter()
        search(query)
        times[number] = time.perf_counter() - start
    return times


def interleaved_per_query_seconds(
    first: Callable[[np.ndarray], object],
    second: Callable[[np.ndarray], object],
    queries: np.ndarray,
    block: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-query times of two searches over the same queries, taking turns block by block.

    Each search answers ``block`` queries in a row (as a service would, with its data warm in
    the caches), then the other does the same queries, so that changes in machine load hit
    both alike.
    """
    times = []
    for start in range(0, len(queries), block):
        rows = queries[start : start + block]
        times.append((per_query_seconds(first, rows), per_query_seconds(second, rows)))
    return np.concatenate([a for a, _ in times]), np.concatenate([b for _, b in times])
