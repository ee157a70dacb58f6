"""Helpers shared by the index benchmarks: memory readings, recall, per-query latencies, and an
embedded Milvus server."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np


def memory_mib(field: str = "RssAnon", pid: int | str = "self") -> float:
    """A memory figure of a process (default this one) from /proc/<pid>/status, in MiB (NaN
    elsewhere).

    ``RssAnon`` is resident memory not backed by a file (memory-mapped vectors are not counted);
    ``VmHWM`` is the peak resident memory.
    """
    try:
        with open(f"/proc/{pid}/status") as status:
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


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class MilvusProcess:
    """A running embedded Milvus server: where clients connect, and its process."""

    uri: str
    pid: int


@contextmanager
def embedded_milvus(data_dir: str | os.PathLike[str]) -> Iterator[MilvusProcess]:
    """A Milvus 2.3 standalone server (the ``milvus`` package), as the tests of the Milvus
    backend start it: data in ``data_dir``, its proxy on a free port of 127.0.0.1; stopped on
    leaving, whatever happens (a process it left behind is killed).

    Raises
    ------
    ModuleNotFoundError
        If the ``milvus`` package is not installed (``pip install milvus``).
    """
    import milvus
    import psutil

    config = milvus.MilvusServerConfig(data_dir=str(data_dir), proxy_port=free_port())
    server = milvus.MilvusServer(config)
    children: list[psutil.Process] = []
    try:
        server.start()
        pid = server.server_proc.pid
        children = psutil.Process(pid).children(recursive=True)
        yield MilvusProcess(f"http://127.0.0.1:{server.listen_port}", pid)
    finally:
        server.stop()
        _, alive = psutil.wait_procs(children, timeout=5)
        for process in alive:
            process.kill()
