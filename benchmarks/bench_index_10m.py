"""Ten million embeddings in bounded memory: IVF-PQ with exact re-ranking from vectors on disk.

1. 10,000,000 x 64 clustered vectors (:class:`astrolens.index.ClusteredEmbeddings`, 3000
   clusters, seeded) are generated in chunks of one million into a ``.npy`` file on disk
   (2.4 GiB; never all in memory).
2. :func:`astrolens.index.build_index` indexes the memory-mapped file with the automatic choice
   for that size (raw vectors above the 1 GiB budget: ``IVF4096,PQ16``, trained on a 262,144-row
   sample, 16 bytes a vector, 10 candidates per neighbour re-ranked exactly from the file), on 2
   threads. The index is saved, the build dropped, and the saved folder loaded back: vectors and
   ids stay memory-mapped, so the index's memory is what the load adds to anonymous resident
   memory (``RssAnon``; pages of mapped files are not counted).
3. 1000 new queries, one at a time on one thread: p50 and p99 latency of ``index.search(q, 10)``
   (re-ranking included; the vector file is in the page cache, as on a warm service) and
   recall@10 against exact search over the file (FAISS ``Flat`` block by block, the oracle).

Targets: recall@10 >= 0.95, p99 <= 10 ms, index memory <= 1.2 GB. Heavy (several minutes, ~5 GiB
of temporary files, removed at the end): develop with ``--quick`` (1,000,000 vectors, with the
memory budget lowered to 128 MiB so that the same IVF-PQ index is chosen).

Usage: ``python benchmarks/bench_index_10m.py [--quick] [--workdir DIR]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import shutil
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from faiss.contrib.exhaustive_search import knn_ground_truth
from index_common import memory_mib, per_query_seconds, recall_at_k
from threadpoolctl import threadpool_limits

from astrolens.index import ClusteredEmbeddings, build_index, choose_factory, load_index
from astrolens.index.faiss import IVF_FLAT_MAX_BYTES

SEED = 20240614
K = 10
N_QUERIES = 1000
CHUNK_ROWS = 1_000_000
DIMENSION = 64


def write_vectors(mixture: ClusteredEmbeddings, n: int, path: Path) -> np.memmap:
    """Generate ``n`` vectors chunk by chunk into a ``.npy`` file; return it memory-mapped."""
    output = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, DIMENSION))
    for number, chunk in enumerate(mixture.chunks(n, CHUNK_ROWS, stream=1)):
        output[number * CHUNK_ROWS : number * CHUNK_ROWS + len(chunk)] = chunk
    output.flush()
    del output
    return np.load(path, mmap_mode="r")


def exact_neighbours(vectors: np.memmap, queries: np.ndarray) -> np.ndarray:
    """Exact k nearest neighbours, streaming the file through FAISS ``Flat`` in blocks."""
    blocks = (vectors[start : start + CHUNK_ROWS] for start in range(0, len(vectors), CHUNK_ROWS))
    _, truth = knn_ground_truth(queries, blocks, K)
    return truth


def build(n: int, factory: str, mixture: ClusteredEmbeddings, folder: Path) -> None:
    """Write the vectors, index them, save the index folder; print what it cost."""
    faiss.omp_set_num_threads(2)
    threadpool_limits(2)
    start = time.perf_counter()
    vectors = write_vectors(mixture, n, folder / "embeddings.npy")
    print(
        f"generate + write vectors: {time.perf_counter() - start:.1f} s "
        f"({vectors.nbytes / 2**30:.2f} GiB on disk)"
    )
    before = memory_mib()
    start = time.perf_counter()
    index = build_index(
        vectors, np.arange(n), run="bench", factory=factory, progress=False, seed=SEED
    )
    build_s = time.perf_counter() - start
    print(
        f"build (train + add, 2 threads): {build_s:.1f} s, RssAnon +{memory_mib() - before:.0f} MiB"
    )
    start = time.perf_counter()
    index.save(folder / "index")
    files = {path.name: path.stat().st_size / 2**20 for path in (folder / "index").iterdir()}
    print(
        f"save {time.perf_counter() - start:.1f} s; files (MiB): "
        + ", ".join(f"{name} {size:.0f}" for name, size in sorted(files.items()))
    )
    print(
        f"peak RSS while building {memory_mib('VmHWM'):.0f} MiB "
        "(counting the pages of the memory-mapped vector file)"
    )


def serve(folder: Path, queries: np.ndarray) -> dict[str, float]:
    """In a fresh process: load the index, then time and check the queries."""
    faiss.omp_set_num_threads(2)
    threadpool_limits(2)
    before = memory_mib()
    start = time.perf_counter()
    index = load_index(folder / "index", expected_run="bench")
    results = {"load_s": time.perf_counter() - start, "memory_mib": memory_mib() - before}
    results.update(nprobe=index.nprobe, refine_factor=index.refine_factor)
    start = time.perf_counter()
    truth = exact_neighbours(np.load(folder / "index" / "vectors.npy", mmap_mode="r"), queries)
    results["exact_s"] = time.perf_counter() - start
    faiss.omp_set_num_threads(1)
    threadpool_limits(1)
    times = per_query_seconds(lambda query: index.search(query, K), queries)
    results["p50_ms"], results["p99_ms"] = np.percentile(times, [50, 99]) * 1e3
    results["recall"] = recall_at_k(index.search(queries, K)[1], truth)
    return results


def main(quick: bool, workdir: str | None) -> None:
    n = 1_000_000 if quick else 10_000_000
    budget = 128 * 2**20 if quick else IVF_FLAT_MAX_BYTES
    factory = choose_factory(n, DIMENSION, memory_budget_bytes=budget)
    mixture = ClusteredEmbeddings(dimension=DIMENSION, n_clusters=3000, spread=0.7, seed=SEED)
    queries, _ = mixture.sample(N_QUERIES, stream=2)
    print(f"{n:,} x {DIMENSION} clustered float32 vectors, memory budget {budget / 2**20:.0f} MiB")
    print(f"automatic choice: {factory}; machine {platform.machine()}, faiss {faiss.__version__}")
    folder = Path(tempfile.mkdtemp(prefix="astrolens-bench-10m-", dir=workdir))
    try:
        build(n, factory, mixture, folder)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            results = pool.apply(serve, (folder, queries))
    finally:
        shutil.rmtree(folder)
    print(
        f"load + verify checksums {results['load_s']:.1f} s; nprobe {results['nprobe']}, "
        f"refine factor {results['refine_factor']}; exact neighbours of {N_QUERIES} queries "
        f"(2 threads) {results['exact_s']:.1f} s"
    )
    print(f"\n  {'measurement (fresh process, 1 thread)':<40} {'value':>9} {'target':>9}")
    rows = [
        (f"recall@{K} ({N_QUERIES} queries)", f"{results['recall']:.4f}", ">= 0.95"),
        ("p50 latency, ms", f"{results['p50_ms']:.3f}", ""),
        ("p99 latency, ms", f"{results['p99_ms']:.3f}", "<= 10"),
        ("index memory after load, MiB", f"{results['memory_mib']:.0f}", "<= 1144"),
    ]
    for name, value, target in rows:
        print(f"  {name:<40} {value:>9} {target:>9}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000,000 vectors (smoke run)")
    parser.add_argument("--workdir", help="folder for the temporary files (default: the system's)")
    arguments = parser.parse_args()
    main(arguments.quick, arguments.workdir)
