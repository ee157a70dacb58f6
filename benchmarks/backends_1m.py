"""FAISS in this process against Milvus, side by side on a million clustered 64-d embeddings.

Both index backends hold the same vectors beside the same catalogue, and every figure is
measured in the same run; where both answer the same queries they take turns, block by block,
so that changes in machine load hit both alike.

1. **Data.** ``--n`` vectors (default 1,000,000) of :class:`astrolens.index.ClusteredEmbeddings`
   (64-d, 3000 clusters, seeded) and the catalogue of ``bench_http.py``: the ``tiny`` survey's
   rows repeated, each vector's cluster picking the class of its row, each row with its own
   object id, sky position and magnitude, so that class and mission filters work in both.
2. **Build.** FAISS as ``astrolens index build`` builds it (:func:`astrolens.index.build_index`,
   the factory chosen by size: ``Flat`` up to 100,000 vectors, ``IVF4096,Flat`` at a million;
   ``--threads`` threads). Milvus through its backend, as ``astrolens index build --backend
   milvus`` does: a collection with every catalogue column, the insert, the index (HNSW,
   ``M=16``, ``efConstruction=200``) and the load, on the embedded Milvus 2.3 server of the
   ``milvus`` package, started as the tests start it (a temporary folder, a free port) and
   stopped at the end, also on an error or Ctrl-C. Each index is saved as an index folder beside
   the catalogue.
3. **Memory.** The growth of resident memory (psutil) of a fresh Python process that opens each
   index folder (:func:`astrolens.index.load_index`): FAISS's index lives there; for Milvus that
   is the client, and the server's resident memory (its process tree) after the collection is
   loaded, minus before the insert, is added. The build's growth of this process is recorded too.
4. **Recall@10** of ``--queries`` new queries (other draws of the same mixture) against exact
   search (FAISS ``Flat``), and with the filter (exact search over the vectors that pass).
5. **Queries by vector**: ``index.search(query, 10)``, one at a time, one thread in this process
   (Milvus's server answers with its own threads).
6. **The search layer**: :meth:`astrolens.search.SimilaritySearch.by_object` of ``--id-queries``
   catalogued objects, k = 10, without a filter and with one class and one mission (``--class``,
   ``--mission``). A filter that leaves at most ``SearchConfig.exact_subset_max`` objects is
   searched exactly over them, the same way for both backends; above that, each backend filters
   while it searches (FAISS with a bitmap of positions, Milvus with an expression on its columns).
   For the first 100 objects, every match is checked to pass the filter, and the matches are
   compared with the exact 10 nearest objects that pass (recall@10 of the filtered search).
7. **HTTP**: one server per backend, as ``bench_http.py`` starts it (``astrolens.web.run_app``
   over the index folder, as ``astrolens serve`` runs it; ``--workers`` processes), both running;
   a query by id (``/api/search/object``, k = 10) without and with the filter, one request at a
   time on loopback. For the first 100 objects, the filter is checked and the answers compared
   with those of the same search in this process.

Prints the machine, the versions, a Markdown table for ``benchmarks/README.md`` with the ratios
Milvus / FAISS, and writes every figure to ``--json``.

With ``--embeddings FOLDER`` (a folder of ``astrolens embed --dask``, e.g. the ``large`` survey's
of ``large_end_to_end.sh``) both hold a survey's real embeddings beside its own catalogue
instead: one object in every thousand (``--queries`` of them) is held out as the queries by
vector, the rest indexed.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/backends_1m.py [--n N | --embeddings FOLDER
[--survey large]] [--json PATH]`` (``--n 20000`` for a smoke run of a few minutes).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import faiss
import httpx
import numpy as np
import pandas as pd
import psutil
import pymilvus
from bench_http import SEED, THREADS, checked, start_server, stop, synthetic_catalog
from index_common import (
    MilvusProcess,
    embedded_milvus,
    interleaved_per_query_seconds,
    memory_mib,
    recall_at_k,
)
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

import astrolens
from astrolens.catalog import Catalog, angular_chord, unit_vectors
from astrolens.distributed import read_partitioned_embeddings
from astrolens.index import (
    ClusteredEmbeddings,
    VectorIndex,
    backend_class,
    brute_force_search,
    build_index,
    load_index,
)
from astrolens.search import Filters, SearchConfig, SimilaritySearch
from astrolens.simulate.cache import survey_catalog
from astrolens.web.app import default_workers

K = 10
DIMENSION = 64
N_CLUSTERS = 3000
SPREAD = 0.7
RUN = "bench"
BACKENDS = ("faiss", "milvus")
CHECKED_QUERIES = 100
"""Queries by id whose answers are checked (filter, exact neighbours, HTTP against here)."""
TURN_ROWS = 100
"""Queries per step of the progress bars (each step in turns, blocks of 20)."""


# -- the machine --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """CPU model and cores, memory, system, and the load at the start."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model")]
        model = next((name for name in names if not name.isdigit()), model)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "system": platform.platform(),
        "python": platform.python_version(),
        "load_average_start": os.getloadavg()[0],
    }


def versions(milvus: MilvusProcess) -> dict[str, str]:
    client = pymilvus.MilvusClient(uri=milvus.uri)
    try:
        server = client.get_server_version()
    finally:
        client.close()
    return {
        "astrolens": astrolens.__version__,
        "faiss": faiss.__version__,
        "pymilvus": pymilvus.__version__,
        "milvus package": importlib.metadata.version("milvus"),
        "milvus server": server,
        "numpy": np.__version__,
    }


def command() -> str:
    threads = os.environ.get("OMP_NUM_THREADS")
    prefix = f"OMP_NUM_THREADS={threads} " if threads else ""
    return prefix + shlex.join(sys.orig_argv)


# -- measurements -------------------------------------------------------------------------------


def rss_mib(pid: int | None = None) -> float:
    """Resident memory of a process and its descendants (default: this process alone), MiB."""
    if pid is None:
        return psutil.Process().memory_info().rss / 2**20
    process = psutil.Process(pid)
    tree = [process, *process.children(recursive=True)]
    return sum(member.memory_info().rss for member in tree) / 2**20


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) used so far by a process and its descendants (default: this
    process alone)."""
    process = psutil.Process(pid)
    tree = [process] if pid is None else [process, *process.children(recursive=True)]
    return sum(sum(member.cpu_times()[:2]) for member in tree)


def latency(seconds: np.ndarray) -> dict[str, float]:
    p50, p99 = np.percentile(seconds, [50, 99]) * 1e3
    return {"p50_ms": p50, "p99_ms": p99, "mean_ms": float(np.mean(seconds) * 1e3)}


def in_turns(
    first: Callable[[Any], object], second: Callable[[Any], object], items: np.ndarray, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per-item seconds of two calls on the same items, in turns (blocks of 20), with progress."""
    parts = []
    with tqdm(total=len(items), desc=what, unit="query") as bar:
        for start in range(0, len(items), TURN_ROWS):
            chunk = items[start : start + TURN_ROWS]
            parts.append(interleaved_per_query_seconds(first, second, chunk))
            bar.update(len(chunk))
    return np.concatenate([a for a, _ in parts]), np.concatenate([b for _, b in parts])


def open_in_fresh_process(folder: Path) -> dict[str, float]:
    """Resident memory growth and seconds of opening an index folder in a new process."""
    script = [sys.executable, __file__, "--open-index", str(folder)]
    done = subprocess.run(
        script, env={**os.environ, **THREADS}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"opening {folder} in a new process failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def open_index(folder: Path) -> None:
    """Run in the fresh process: open the folder, print the growth of resident memory."""
    for name in BACKENDS:
        backend_class(name)  # the backends' libraries imported before measuring
    before = rss_mib()
    start = time.perf_counter()
    index = load_index(folder, expected_run=RUN)
    seconds = time.perf_counter() - start
    print(json.dumps({"rss_growth_mib": rss_mib() - before, "open_s": seconds, "n": len(index)}))


# -- the steps ----------------------------------------------------------------------------------


def draw(n: int, n_queries: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    mixture = ClusteredEmbeddings(DIMENSION, N_CLUSTERS, SPREAD, seed=SEED)
    start = time.perf_counter()
    vectors, labels = mixture.sample(n, stream=1)
    queries, _ = mixture.sample(n_queries, stream=2)
    table = synthetic_catalog(labels)
    print(
        f"{n:,} x {DIMENSION} clustered vectors ({N_CLUSTERS} clusters) and a {n:,}-row "
        f"catalogue of {table.shape[1]} columns drawn in {time.perf_counter() - start:.1f} s "
        f"(catalogue {table.memory_usage(deep=True).sum() / 2**20:.0f} MiB in memory)"
    )
    return vectors, queries, table


def read_real(
    folder: Path, survey: str, n_queries: int
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """A survey's real embeddings, ``n_queries`` of them (evenly spread) held out as queries, and
    the survey's catalogue rows of the rest, in the same order."""
    start = time.perf_counter()
    embedded = read_partitioned_embeddings(folder, survey=survey)
    held_out = np.zeros(len(embedded.object_ids), dtype=bool)
    held_out[np.linspace(0, held_out.size - 1, n_queries).astype(np.int64)] = True
    object_ids = np.asarray(embedded.object_ids)[~held_out]
    table = survey_catalog(survey).set_index("object_id").loc[object_ids].reset_index()
    print(
        f"{survey}: {held_out.size:,} real embeddings of {embedded.metadata.get('astrolens.run')}"
        f" and their catalogue of {table.shape[1]} columns read in "
        f"{time.perf_counter() - start:.1f} s; {n_queries:,} held out as queries"
    )
    vectors = np.ascontiguousarray(embedded.vectors[~held_out], dtype=np.float32)
    queries = np.ascontiguousarray(embedded.vectors[held_out], dtype=np.float32)
    return vectors, queries, table


def build(
    backend: str,
    vectors: np.ndarray,
    table: pd.DataFrame,
    folder: Path,
    options: dict[str, Any],
    server: MilvusProcess,
) -> tuple[VectorIndex, dict[str, Any]]:
    """Build and save (``folder/index``); wall-clock and CPU seconds, here and in the server."""
    before, cpu, server_cpu = rss_mib(), cpu_seconds(), cpu_seconds(server.pid)
    start = time.perf_counter()
    index = build_index(vectors, table["object_id"], run=RUN, backend=backend, **options)
    build_s = time.perf_counter() - start
    figures = {
        "factory": index.factory,
        "nprobe": index.nprobe,
        "build_s": build_s,
        "build_cpu_s": cpu_seconds() - cpu,
        "build_server_cpu_s": cpu_seconds(server.pid) - server_cpu,
        "build_rss_growth_mib": rss_mib() - before,
    }
    start = time.perf_counter()
    index.save(folder / "index")
    figures["save_s"] = time.perf_counter() - start
    print(
        f"{backend}: {index.factory} built in {build_s:.1f} s (CPU: {figures['build_cpu_s']:.1f} "
        f"s here, {figures['build_server_cpu_s']:.1f} s in the Milvus server; this process "
        f"+{figures['build_rss_growth_mib']:.0f} MiB), saved in {figures['save_s']:.1f} s"
    )
    return index, figures


def bench_recall(
    indexes: dict[str, VectorIndex],
    vectors: np.ndarray,
    queries: np.ndarray,
    allowed: np.ndarray,
    filters: Filters,
    results: dict[str, dict[str, Any]],
) -> None:
    exact = faiss.IndexFlatL2(DIMENSION)
    exact.add(vectors)
    _, truth = exact.search(queries, K)
    subset = np.flatnonzero(allowed)
    _, rows = brute_force_search(vectors[subset], queries, K)
    filtered_truth = subset[rows]
    conditions = filters.conditions()
    for name, index in indexes.items():
        _, found = index.search_positions(queries, K)
        _, filtered = index.search_positions(queries, K, allowed=allowed, conditions=conditions)
        if not allowed[filtered].all():
            raise RuntimeError(f"{name}: a filtered search returned vectors the filter refuses")
        results[name]["recall"] = recall_at_k(found, truth)
        results[name]["recall_filtered"] = recall_at_k(filtered, filtered_truth)
        print(
            f"{name}: recall@{K} {results[name]['recall']:.4f}, with the filter "
            f"{results[name]['recall_filtered']:.4f} ({len(queries)} queries)"
        )


def bench_vectors(
    indexes: dict[str, VectorIndex], queries: np.ndarray, results: dict[str, dict[str, Any]]
) -> None:
    on_faiss, on_milvus = (indexes[name] for name in BACKENDS)
    faiss_s, milvus_s = in_turns(
        lambda query: on_faiss.search(query, K),
        lambda query: on_milvus.search(query, K),
        queries,
        "queries by vector",
    )
    results["faiss"]["by_vector"] = latency(faiss_s)
    results["milvus"]["by_vector"] = latency(milvus_s)


def passing(filters: Filters, answer: pd.DataFrame, what: str) -> None:
    """Refuse matches of other classes or missions than the filter's."""
    wrong = ~answer["class"].isin([filters.classes]) | ~answer["mission"].isin([filters.missions])
    if wrong.any():
        raise RuntimeError(f"{what}: {int(wrong.sum())} match(es) do not pass {filters}")


def exact_matches(
    vectors: np.ndarray,
    allowed: np.ndarray,
    positions: np.ndarray,
    ids: np.ndarray,
    sky: np.ndarray | None = None,
) -> list[set[str]]:
    """The ids of the ``K`` nearest vectors that pass to each of ``positions``, itself left out,
    and, with ``sky`` (a unit vector per position), as the search layer answers: leaving out a
    vector at the query's sky position or at an earlier one's (another observation of a star
    already found, within ``SearchConfig.duplicate_radius_arcsec``)."""
    subset = np.flatnonzero(allowed)
    fetch = K + 1 if sky is None else min(len(subset), 4 * K + 1)
    _, rows = brute_force_search(vectors[subset], vectors[positions], fetch)
    limit = float(angular_chord(SearchConfig().duplicate_radius_arcsec or 0.0)) ** 2
    truth = []
    for row, query in zip(subset[rows], positions, strict=True):
        kept: list[int] = []
        for found in row:
            if found == query:
                continue
            if sky is not None:
                taken = sky[[query, *kept]]
                if (((taken - sky[found]) ** 2).sum(axis=1) <= limit).any():
                    continue
            kept.append(int(found))
            if len(kept) == K:
                break
        truth.append(set(ids[kept]))
    return truth


def bench_search_layer(
    searches: dict[str, SimilaritySearch],
    vectors: np.ndarray,
    allowed: np.ndarray,
    positions: np.ndarray,
    filters: Filters,
    results: dict[str, dict[str, Any]],
) -> None:
    ids = searches["faiss"].index.ids
    checked_positions = positions[:CHECKED_QUERIES]
    catalog = searches["faiss"].catalog.table
    sky = unit_vectors(catalog["ra"], catalog["dec"]) if {"ra", "dec"} <= set(catalog) else None
    truth = exact_matches(vectors, allowed, checked_positions, ids, sky)
    for name, search in searches.items():
        hits = 0
        for object_id, expected in zip(ids[checked_positions], truth, strict=True):
            result = search.by_object(str(object_id), K, filters=filters)
            passing(filters, result.matches, f"{name} by_object({object_id})")
            hits += len(expected & set(result.object_ids))
        results[name]["recall_by_object_filtered"] = hits / (K * len(truth))
        print(
            f"{name}: by_object + filter, recall@{K} "
            f"{results[name]['recall_by_object_filtered']:.4f} ({len(truth)} objects)"
        )
    object_ids = ids[positions]
    for key, chosen in (("by_object", None), ("by_object_filtered", filters)):

        def on(name: str, filters: Filters | None = chosen) -> Callable[[str], object]:
            return lambda object_id: searches[name].by_object(str(object_id), K, filters=filters)

        what = "by_object" + (" + filter" if chosen else "")
        faiss_s, milvus_s = in_turns(on("faiss"), on("milvus"), object_ids, what)
        results["faiss"][key] = latency(faiss_s)
        results["milvus"][key] = latency(milvus_s)


@contextmanager
def http_servers(folders: dict[str, Path], workers: int) -> Iterator[dict[str, str]]:
    """A server per index folder (bench_http.py's), stopped on leaving."""
    processes: dict[str, subprocess.Popen] = {}
    try:
        urls = {}
        for name, folder in folders.items():
            processes[name], urls[name] = start_server(folder, workers)
        yield urls
    finally:
        for process in processes.values():
            stop(process)


def bench_http(
    urls: dict[str, str],
    searches: dict[str, SimilaritySearch],
    object_ids: np.ndarray,
    filters: Filters,
    results: dict[str, dict[str, Any]],
) -> None:
    wanted = {"class": filters.classes, "mission": filters.missions}
    clients = {name: httpx.Client(base_url=url, timeout=60.0) for name, url in urls.items()}
    try:
        for name, client in clients.items():
            differ = 0
            for object_id in object_ids[:CHECKED_QUERIES]:
                params = {"id": str(object_id), "k": K, **wanted}
                answer = checked(client.get("/api/search/object", params=params)).json()
                passing(filters, pd.DataFrame(answer["matches"]), f"{name} over HTTP")
                here = searches[name].by_object(str(object_id), K, filters=filters).object_ids
                differ += [match["object_id"] for match in answer["matches"]] != here
            results[name]["http_answers_unlike_in_process"] = differ
        for key, extra in (("http", {}), ("http_filtered", wanted)):

            def on(name: str, extra: dict[str, Any] = extra) -> Callable[[str], object]:
                client = clients[name]
                path = "/api/search/object"
                return lambda object_id: checked(
                    client.get(path, params={"id": str(object_id), "k": K, **extra})
                )

            what = "HTTP by id" + (" + filter" if extra else "")
            faiss_s, milvus_s = in_turns(on("faiss"), on("milvus"), object_ids, what)
            results["faiss"][key] = latency(faiss_s)
            results["milvus"][key] = latency(milvus_s)
    finally:
        for client in clients.values():
            client.close()


# -- the report ---------------------------------------------------------------------------------


def ratio(milvus: float, faiss_value: float) -> str:
    return f"{milvus / faiss_value:.2f}x" if faiss_value else "-"


def table_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    faiss_figures, milvus_figures = report["faiss"], report["milvus"]
    settings = report["settings"]
    rows = [
        (
            "build (s): FAISS train + add; Milvus insert + index + load",
            f"{faiss_figures['build_s']:.1f}",
            f"{milvus_figures['build_s']:.1f}",
            ratio(milvus_figures["build_s"], faiss_figures["build_s"]),
        ),
        (
            "memory of the loaded index (MiB): FAISS process; Milvus client + server",
            f"{faiss_figures['memory_mib']:.0f}",
            f"{milvus_figures['memory_mib']:.0f} ({milvus_figures['open_rss_growth_mib']:.0f} + "
            f"{milvus_figures['server_rss_growth_mib']:.0f})",
            ratio(milvus_figures["memory_mib"], faiss_figures["memory_mib"]),
        ),
        (
            f"recall@{K} ({settings['queries']} queries, exact search the truth)",
            f"{faiss_figures['recall']:.4f}",
            f"{milvus_figures['recall']:.4f}",
            ratio(milvus_figures["recall"], faiss_figures["recall"]),
        ),
        (
            f"recall@{K} with the filter ({settings['filter_pass_fraction']:.1%} pass)",
            f"{faiss_figures['recall_filtered']:.4f}",
            f"{milvus_figures['recall_filtered']:.4f}",
            ratio(milvus_figures["recall_filtered"], faiss_figures["recall_filtered"]),
        ),
        (
            f"recall@{K} of by_object + filter ({settings['checked_queries']} objects)",
            f"{faiss_figures['recall_by_object_filtered']:.4f}",
            f"{milvus_figures['recall_by_object_filtered']:.4f}",
            ratio(
                milvus_figures["recall_by_object_filtered"],
                faiss_figures["recall_by_object_filtered"],
            ),
        ),
    ]
    timed = [
        ("by_vector", f"query by vector, k={K}, 1 thread"),
        ("by_object", "by_object, no filter"),
        ("by_object_filtered", f"by_object + filter ({settings['filter_path']})"),
        ("http", "HTTP query by id"),
        ("http_filtered", "HTTP query by id + filter"),
    ]
    for key, name in timed:
        first, second = faiss_figures[key], milvus_figures[key]
        rows.append(
            (
                f"{name}, p50 / p99 (ms)",
                f"{first['p50_ms']:.2f} / {first['p99_ms']:.2f}",
                f"{second['p50_ms']:.2f} / {second['p99_ms']:.2f}",
                f"{ratio(second['p50_ms'], first['p50_ms'])} / "
                f"{ratio(second['p99_ms'], first['p99_ms'])}",
            )
        )
    return rows


def print_report(report: dict[str, Any]) -> None:
    host = report["machine"]
    print(
        f"\nmachine: {host['cpu']}, {host['cores']} cores ({host['usable_cores']} usable), "
        f"{host['memory_gib']} GiB, {host['system']}, Python {host['python']}; load average "
        f"(1 min) {host['load_average_start']:.1f} at the start, {host['load_average_end']:.1f} "
        "at the end"
    )
    print("versions: " + ", ".join(f"{name} {value}" for name, value in report["versions"].items()))
    print(f"date: {report['date']}; command: `{report['command']}`")
    print(f"total {report['total_s']:.0f} s\n")
    faiss_factory, milvus_factory = report["faiss"]["factory"], report["milvus"]["factory"]
    print(f"| {report['settings']['n']:,} vectors | FAISS `{faiss_factory}` | ", end="")
    print(f"Milvus `{milvus_factory}` | Milvus / FAISS |")
    print("|---|---:|---:|---:|")
    for row in table_rows(report):
        print("| " + " | ".join(row) + " |")
    ratios = report["ratios"]
    print(
        f"\nMilvus / FAISS: build {ratios['build_s']:.2f}x, memory {ratios['memory_mib']:.2f}x, "
        f"query by vector p50 {ratios['by_vector_p50']:.2f}x, by_object + filter p50 "
        f"{ratios['by_object_filtered_p50']:.2f}x, HTTP by id p50 {ratios['http_p50']:.2f}x"
    )


def ratios(report: dict[str, Any]) -> dict[str, float]:
    faiss_figures, milvus_figures = report["faiss"], report["milvus"]
    found = {
        key: milvus_figures[key] / faiss_figures[key]
        for key in (
            "build_s",
            "memory_mib",
            "recall",
            "recall_filtered",
            "recall_by_object_filtered",
        )
    }
    for key in ("by_vector", "by_object", "by_object_filtered", "http", "http_filtered"):
        for quantile in ("p50", "p99"):
            found[f"{key}_{quantile}"] = (
                milvus_figures[key][f"{quantile}_ms"] / faiss_figures[key][f"{quantile}_ms"]
            )
    return found


# -- the run ------------------------------------------------------------------------------------


def main(arguments: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    report: dict[str, Any] = {
        "command": command(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    filters = Filters(classes=arguments.filter_class, missions=arguments.filter_mission)
    if arguments.embeddings is None:
        vectors, queries, table = draw(arguments.n, arguments.queries)
    else:
        vectors, queries, table = read_real(
            arguments.embeddings, arguments.survey, arguments.queries
        )
    n = len(vectors)
    catalog = Catalog(table)
    allowed = filters.mask(catalog)
    if not allowed.any():
        raise ValueError(f"no object passes {filters}: choose another --class or --mission")
    exact_max = SearchConfig().exact_subset_max
    n_passing = int(allowed.sum())
    path = (
        f"exact search over the {n_passing:,} that pass"
        if n_passing <= exact_max
        else "filtered by the index"
    )
    report["settings"] = {
        "n": n,
        "data": (
            f"clustered synthetic ({N_CLUSTERS} clusters, spread {SPREAD})"
            if arguments.embeddings is None
            else f"real embeddings of {arguments.survey} ({arguments.embeddings})"
        ),
        "dimension": DIMENSION,
        "seed": SEED,
        "k": K,
        "queries": arguments.queries,
        "id_queries": arguments.id_queries,
        "checked_queries": min(CHECKED_QUERIES, arguments.id_queries),
        "build_threads": arguments.threads,
        "server_workers": arguments.workers,
        "filter": {"class": filters.classes, "mission": filters.missions},
        "filter_pass_fraction": float(allowed.mean()),
        "filter_path": path,
        "exact_subset_max": exact_max,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "catalogue_columns": table.shape[1],
        "catalogue_mib": float(table.memory_usage(deep=True).sum() / 2**20),
    }
    rng = np.random.default_rng(SEED + 1)
    positions = rng.choice(n, arguments.id_queries, replace=False)
    object_ids = table["object_id"].to_numpy()[positions]
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="astrolens-1m-")))
        milvus = stack.enter_context(embedded_milvus(work / "milvus-server"))
        report["versions"] = versions(milvus)
        server_idle = rss_mib(milvus.pid)
        folders = {name: work / name for name in BACKENDS}
        folders["faiss"].mkdir()
        table.to_parquet(folders["faiss"] / "catalog.parquet", index=False)
        folders["milvus"].mkdir()
        os.link(folders["faiss"] / "catalog.parquet", folders["milvus"] / "catalog.parquet")

        faiss.omp_set_num_threads(arguments.threads)
        threadpool_limits(arguments.threads)
        options = {
            "faiss": {"progress": True},
            "milvus": {"uri": milvus.uri, "columns": table, "progress": True},
        }
        indexes, results = {}, {}
        for name in BACKENDS:
            indexes[name], results[name] = build(
                name, vectors, table, folders[name], options[name], milvus
            )
        results["milvus"]["server_rss_idle_mib"] = server_idle
        results["milvus"]["server_rss_loaded_mib"] = rss_mib(milvus.pid)
        faiss.omp_set_num_threads(1)
        threadpool_limits(1)

        for name in BACKENDS:
            opened = open_in_fresh_process(folders[name] / "index")
            results[name]["open_rss_growth_mib"] = opened["rss_growth_mib"]
            results[name]["open_s"] = opened["open_s"]
        server_growth = results["milvus"]["server_rss_loaded_mib"] - server_idle
        results["milvus"]["server_rss_growth_mib"] = server_growth
        results["faiss"]["memory_mib"] = results["faiss"]["open_rss_growth_mib"]
        results["milvus"]["memory_mib"] = results["milvus"]["open_rss_growth_mib"] + server_growth
        for name in BACKENDS:
            print(
                f"{name}: opened in a new process in {results[name]['open_s']:.1f} s, "
                f"+{results[name]['open_rss_growth_mib']:.0f} MiB"
            )
        print(f"milvus server: {server_idle:.0f} MiB idle, +{server_growth:.0f} MiB loaded")

        bench_recall(indexes, vectors, queries, allowed, filters, results)
        bench_vectors(indexes, queries, results)
        searches = {name: SimilaritySearch(index, catalog) for name, index in indexes.items()}
        bench_search_layer(searches, vectors, allowed, positions, filters, results)
        with http_servers(folders, arguments.workers) as urls:
            bench_http(urls, searches, object_ids, filters, results)
        results["milvus"]["server_rss_end_mib"] = rss_mib(milvus.pid)
        results["milvus"]["server_peak_rss_mib"] = memory_mib("VmHWM", milvus.pid)
    report.update(results)
    report["machine"]["load_average_end"] = os.getloadavg()[0]
    report["ratios"] = ratios(report)
    report["total_s"] = time.perf_counter() - started
    return report


def stop_on_sigterm() -> None:
    """SIGTERM ends the run as Ctrl-C does: servers stopped, temporary files removed."""

    def end(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, end)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="vectors (default 1,000,000)")
    parser.add_argument(
        "--embeddings", type=Path, help="a survey's real embeddings (a folder of embed --dask)"
    )
    parser.add_argument("--survey", default="large", help="the survey of --embeddings")
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument(
        "--queries", type=int, default=1000, help="queries by vector: recall and latency"
    )
    parser.add_argument(
        "--id-queries", type=int, default=500, help="queries by id: search layer and HTTP"
    )
    parser.add_argument("--class", dest="filter_class", default="RRab", help="class filtered on")
    parser.add_argument("--mission", dest="filter_mission", default="TESS", help="mission too")
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("OMP_NUM_THREADS", 0)) or len(os.sched_getaffinity(0)),
        help="FAISS threads while building (default $OMP_NUM_THREADS, else every core)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="processes of each HTTP server (default: astrolens serve's on this machine)",
    )
    parser.add_argument("--open-index", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.embeddings is None and arguments.id_queries > arguments.n:
        parser.error("--id-queries must be at most --n")
    return arguments


if __name__ == "__main__":
    options = parse_arguments()
    if options.open_index is not None:
        open_index(options.open_index)
    else:
        stop_on_sigterm()
        figures = main(options)
        print_report(figures)
        if options.json is not None:
            options.json.write_text(json.dumps(figures, indent=2, default=float) + "\n")
            print(f"figures written to {options.json}")
