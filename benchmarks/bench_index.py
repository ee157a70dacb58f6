"""Recall and speed of the similarity index on a million clustered 64-d embeddings.

1. 1,000,000 vectors of :class:`astrolens.index.ClusteredEmbeddings` (3000 clusters, seeded) are
   indexed with :func:`astrolens.index.build_index` and the automatic choice of index
   (IVF-Flat, 4096 lists, nprobe 16) on 2 threads; build time, memory, and save/load of the index
   folder are printed.
2. Recall@10 of 1000 new queries against exact search (FAISS ``Flat``, the oracle), and an
   ``nprobe`` sweep.
3. Single-query latency on one thread: ``index.search(query, 10)`` against NumPy brute force
   (``|x|^2 - 2 x.q`` with precomputed norms, then argpartition:
   :func:`astrolens.index.brute_force_search`) on the same 200 queries, taking turns in blocks
   of 20 queries. The ratio of the medians is the figure of merit (target >= 40x, with
   recall@10 >= 0.98).
4. The search layer on top (:class:`astrolens.search.SimilaritySearch` with a synthetic
   million-row catalogue): a query by object id without and with filters, in turns with FAISS
   alone searching the same vectors, and the ratio (targets: <= 3x unfiltered, <= 6x filtered);
   anomaly scores.

With ``--embeddings FOLDER`` the same measurements run on real embeddings instead: a folder of
``astrolens embed --survey S --dask`` (``benchmarks/embed_large.py`` writes the ``large`` survey's),
read back in catalogue order; one object in every thousand (``N_RECALL_QUERIES`` of them) is held
out as a query and the rest indexed; the search layer uses the survey's own catalogue (its classes,
missions, magnitudes and periods) with filters of the same kinds.

Usage: ``python benchmarks/bench_index.py [--quick] [--embeddings FOLDER [--survey large]]
[--factory IVF4096,Flat]``
(``--quick``: 100,000 vectors and ``IVF1024,Flat``, what the automatic choice gives just above
100,000).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import pandas as pd
from index_common import (
    interleaved_per_query_seconds,
    memory_mib,
    per_query_seconds,
    recall_at_k,
)
from threadpoolctl import threadpool_limits

from astrolens.catalog import Catalog
from astrolens.distributed import read_partitioned_embeddings
from astrolens.index import (
    ClusteredEmbeddings,
    FaissIndex,
    brute_force_search,
    build_index,
    choose_factory,
    load_index,
)
from astrolens.search import Filters, SimilaritySearch
from astrolens.simulate.cache import survey_catalog

SEED = 20240613
K = 10
N_RECALL_QUERIES = 1000
N_BASELINE_QUERIES = 200
N_SEARCH_QUERIES = 100
N_ANOMALY_OBJECTS = 20_000


def bench_build(vectors: np.ndarray, object_ids: list[str], factory: str) -> FaissIndex:
    faiss.omp_set_num_threads(2)
    threadpool_limits(2)
    before = memory_mib()
    start = time.perf_counter()
    index = build_index(
        vectors, object_ids, run="bench", factory=factory, progress=False, seed=SEED
    )
    build_s = time.perf_counter() - start
    grown = memory_mib() - before
    folder = Path(tempfile.mkdtemp(prefix="astrolens-bench-index-")) / "index"
    try:
        start = time.perf_counter()
        index.save(folder)
        save_s = time.perf_counter() - start
        start = time.perf_counter()
        load_index(folder, expected_run="bench")
        load_s = time.perf_counter() - start
        size_mib = sum(path.stat().st_size for path in folder.iterdir()) / 2**20
    finally:
        shutil.rmtree(folder.parent)
    print(
        f"build (train + add, 2 threads): {build_s:.1f} s; memory +{grown:.0f} MiB "
        f"(raw vectors {vectors.nbytes / 2**20:.0f} MiB, kept by astrolens and by FAISS)"
    )
    print(f"index folder {size_mib:.0f} MiB: save {save_s:.2f} s, load + verify {load_s:.2f} s")
    return index


def bench_recall(index: FaissIndex, vectors: np.ndarray, queries: np.ndarray) -> float:
    exact = faiss.IndexFlatL2(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, K)
    faiss.omp_set_num_threads(1)
    threadpool_limits(1)  # NumPy's BLAS too: every timing from here runs on one thread
    default_nprobe = index.nprobe
    print(f"\nrecall@{K} of {len(queries)} queries against exact search, by nprobe (1 thread)")
    print(f"  {'nprobe':>6} {'recall':>8} {'median ms':>10}")
    lists = index.n_lists or default_nprobe
    for nprobe in sorted({n for n in (4, 8, default_nprobe, 32, 64) if n <= lists}):
        index.nprobe = nprobe
        _, found = index.search_positions(queries, K)
        times = per_query_seconds(lambda query: index.search(query, K), queries[:300])
        marker = "  <- default" if nprobe == default_nprobe else ""
        line = f"{nprobe:6d} {recall_at_k(found, truth):8.4f} {np.median(times) * 1e3:10.3f}"
        print(f"  {line}{marker}")
    index.nprobe = default_nprobe
    return recall_at_k(index.search_positions(queries, K)[1], truth)


def bench_latency(index: FaissIndex, vectors: np.ndarray, queries: np.ndarray) -> float:
    norms = np.einsum("ij,ij->i", vectors, vectors)
    baseline = queries[:N_BASELINE_QUERIES]
    numpy_s, index_s = interleaved_per_query_seconds(
        lambda query: brute_force_search(vectors, query, K, squared_norms=norms),
        lambda query: index.search(query, K),
        baseline,
    )
    faiss_only = per_query_seconds(lambda query: index.faiss_index.search(query[None], K), baseline)
    all_index = per_query_seconds(lambda query: index.search(query, K), queries)
    print(f"\nsingle-query latency, k={K}, 1 thread ({len(baseline)} queries, in turns of 20)")
    print(f"  {'method':<50} {'median ms':>10} {'p99 ms':>8}")
    rows = [
        ("NumPy brute force (norm trick + argpartition)", numpy_s),
        (f"astrolens index.search ({index.factory}, nprobe {index.nprobe})", index_s),
        ("FAISS search alone (no astrolens wrapper)", faiss_only),
        (f"astrolens index.search, all {len(queries)} queries", all_index),
    ]
    for name, times in rows:
        print(f"  {name:<50} {np.median(times) * 1e3:10.3f} {np.percentile(times, 99) * 1e3:8.3f}")
    return float(np.median(numpy_s) / np.median(index_s))


def synthetic_catalog(object_ids: list[str], labels: np.ndarray) -> pd.DataFrame:
    """A catalogue row per vector: class from its cluster, random sky position, mag, period."""
    rng = np.random.default_rng(SEED)
    n = len(labels)
    classes = np.array([f"class{number:02d}" for number in range(16)])
    return pd.DataFrame(
        {
            "object_id": object_ids,
            "ra": rng.uniform(0.0, 360.0, n),
            "dec": np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n))),
            "mission": np.where(rng.random(n) < 0.4, "Kepler", "TESS"),
            "mag": rng.uniform(8.0, 16.0, n),
            "class": classes[labels % 16],
            "period_days": rng.lognormal(0.0, 1.5, n),
        }
    )


def filter_cases(one_class: str, narrow_period: tuple[float, float]) -> list[tuple]:
    """The filters of the search-layer table: (name, filters, target)."""
    strict = Filters(classes=one_class, ranges={"period_days": narrow_period})
    low, high = narrow_period
    return [
        ("no filter", None, "<= 3x"),
        ("mission TESS (60 % pass)", Filters(missions="TESS"), "<= 6x"),
        (f"one class, {one_class} (6 % pass)", Filters(classes=one_class), "<= 6x"),
        ("mag window +-0.5", Filters(mag_window=0.5), "<= 6x"),
        ("period 1-5 d", Filters(ranges={"period_days": (1.0, 5.0)}), "<= 6x"),
        (f"class + period {low:g}-{high:g} d (exact on subset)", strict, ""),
    ]


def bench_search_layer(index: FaissIndex, catalog: pd.DataFrame, cases: list[tuple]) -> None:
    start = time.perf_counter()
    search = SimilaritySearch(index, Catalog(catalog))
    setup_s = time.perf_counter() - start
    step = len(index) // N_SEARCH_QUERIES
    positions = np.arange(0, len(index), step)[:N_SEARCH_QUERIES]
    object_ids = [str(object_id) for object_id in index.ids[positions]]
    vectors = index.get_vectors(positions)
    print(
        f"\nSimilaritySearch.by_object, k={K}, 1 thread, {N_SEARCH_QUERIES} queries, in turns with "
        f"FAISS alone on the same vectors (set-up with the catalogue: {setup_s:.1f} s)"
    )
    print(
        f"  {'filter':<48} {'FAISS ms':>9} {'by_object':>10} {'ratio':>6} {'+ table':>8} "
        f"{'ratio':>6}  target"
    )
    queries = np.arange(N_SEARCH_QUERIES)
    for name, filters, target in cases:
        if filters is not None and filters.mag_window is None:
            name = f"{name.split(' (')[0]} ({filters.mask(search.catalog).mean():.1%} pass)"

        def faiss_alone(number: int) -> object:
            return index.faiss_index.search(vectors[number : number + 1], K)

        def layer(number: int, filters: Filters | None = filters) -> object:
            return search.by_object(object_ids[number], K, filters=filters)

        def with_table(number: int, filters: Filters | None = filters) -> object:
            return search.by_object(object_ids[number], K, filters=filters).matches

        alone, result = interleaved_per_query_seconds(faiss_alone, layer, queries)
        _, table = interleaved_per_query_seconds(faiss_alone, with_table, queries)
        base = np.median(alone)
        print(
            f"  {name:<48} {base * 1e3:9.3f} {np.median(result) * 1e3:10.3f} "
            f"{np.median(result) / base:5.1f}x {np.median(table) * 1e3:8.3f} "
            f"{np.median(table) / base:5.1f}x  {target}"
        )
    print(
        "  by_object: the result (ids, distances, rows: what the web API sends); "
        "+ table: its .matches DataFrame built too"
    )
    faiss.omp_set_num_threads(2)
    threadpool_limits(2)
    start = time.perf_counter()
    search.anomaly_scores(k=K, object_ids=list(search.catalog.object_ids[:N_ANOMALY_OBJECTS]))
    seconds = time.perf_counter() - start
    print(
        f"  anomaly scores, batch of {N_ANOMALY_OBJECTS:,} objects (2 threads): {seconds:.2f} s "
        f"({N_ANOMALY_OBJECTS / seconds:,.0f} objects/s)"
    )


def synthetic_data(quick: bool) -> tuple:
    """Clustered vectors, their ids, new queries and a catalogue of them."""
    n = 100_000 if quick else 1_000_000
    mixture = ClusteredEmbeddings(dimension=64, n_clusters=3000, spread=0.7, seed=SEED)
    vectors, labels = mixture.sample(n, stream=1)
    queries, _ = mixture.sample(N_RECALL_QUERIES, stream=2)
    object_ids = [f"KIC {900_000_000 + number}" for number in range(n)]
    print(f"{n:,} x 64 clustered float32 vectors ({mixture.n_clusters} clusters)")
    catalog = synthetic_catalog(object_ids, labels)
    return vectors, object_ids, queries, catalog, filter_cases("class03", (2.0, 3.0))


def real_data(folder: Path, survey: str) -> tuple:
    """A survey's embeddings (a partitioned folder), one in every thousand held out as a query,
    and the survey's catalogue of the rest."""
    start = time.perf_counter()
    table = read_partitioned_embeddings(folder, survey=survey)
    catalog = survey_catalog(survey)
    read_s = time.perf_counter() - start
    n = len(table.object_ids)
    held_out = np.zeros(n, dtype=bool)
    held_out[np.linspace(0, n - 1, min(N_RECALL_QUERIES, n // 10)).astype(np.int64)] = True
    object_ids = [name for name, out in zip(table.object_ids, held_out, strict=True) if not out]
    rows = catalog.set_index("object_id").loc[object_ids].reset_index()
    run = table.metadata.get("astrolens.run", folder)
    print(
        f"{survey}: {n:,} real embeddings of {run} (read with the catalogue in {read_s:.1f} s); "
        f"{held_out.sum():,} held out as queries, "
        f"{len(object_ids):,} indexed"
    )
    return (
        np.ascontiguousarray(table.vectors[~held_out]),
        object_ids,
        np.ascontiguousarray(table.vectors[held_out]),
        rows,
        filter_cases("RRab", (0.5, 0.55)),
    )


def main(quick: bool, embeddings: Path | None, survey: str, factory: str | None) -> None:
    if embeddings is None:
        vectors, object_ids, queries, catalog, cases = synthetic_data(quick)
    else:
        vectors, object_ids, queries, catalog, cases = real_data(embeddings, survey)
    if factory is None:
        factory = "IVF1024,Flat" if quick else choose_factory(len(vectors), 64)
    print(f"index {factory}; machine: {platform.machine()}, faiss {faiss.__version__}")
    index = bench_build(vectors, object_ids, factory)
    recall = bench_recall(index, vectors, queries)
    ratio = bench_latency(index, vectors, queries)
    print(f"  recall@{K}: {recall:.4f} (target >= 0.98)")
    print(f"  speed-up over NumPy brute force: {ratio:.0f}x (target >= 40x)")
    bench_search_layer(index, catalog, cases)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 vectors (smoke run)")
    parser.add_argument("--embeddings", type=Path, help="a folder of real embeddings (Dask)")
    parser.add_argument("--survey", default="large", help="the survey of --embeddings")
    parser.add_argument("--factory", help="FAISS index (default: the automatic choice)")
    arguments = parser.parse_args()
    main(arguments.quick, arguments.embeddings, arguments.survey, arguments.factory)
