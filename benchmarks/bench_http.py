"""Speed of the web API (``astrolens.web``) over HTTP with a million objects indexed.

1. 1,000,000 clustered 64-d vectors (:class:`astrolens.index.ClusteredEmbeddings`, seeded) are
   indexed with the automatic choice (``IVF4096,Flat``), beside a 1,000,000-row catalogue with the
   columns of the simulated survey: the rows of the ``tiny`` survey repeated (each vector's cluster
   picks the class of its row), each with its own object id, sky position and magnitude. Drawing
   the ``large`` survey's own catalogue takes about 7 minutes; this takes seconds, and the search
   reads the same columns.
2. A real server (``astrolens.web.run_app`` of :func:`astrolens.web.create_app`, as ``astrolens
   serve`` runs it: httptools, uvloop, orjson, and by default one process per core (2 here),
   forked after the index is loaded; one thread per numerical library) serves them on
   127.0.0.1; uploads are embedded with the default model, loaded by each process's first.
3. Latency seen by a client on loopback, one request at a time: query by object id (k = 5), and
   query by an uploaded Kepler FITS file (a real quarter from the ``altaipony`` examples). The
   baseline, measured in the same run and in turns with the HTTP requests, is the same search in
   this process (``SimilaritySearch.by_object`` / ``by_lightcurve``, no HTTP, no JSON); the ratio
   is what the web layer costs.
4. Sustained load: 8 keep-alive connections of an asyncio client send queries by random object id
   for 60 s; requests per second, every answer that is not a 200, and the CPU time the server
   processes used per answer (what a busy machine cannot hide). Then the same against a server
   of one process: the baseline of the default.

Targets: query by id p99 <= 10 ms, query by uploaded FITS p99 <= 60 ms, >= 800 requests/s with
zero errors and <= 1.5 ms of server CPU per request.

With ``--index FOLDER`` the server serves an index folder of ``astrolens index build`` instead
(real embeddings and their survey's catalogue: ``astrolens index build --survey large
--embeddings FOLDER`` after ``benchmarks/embed_large.py``), as ``astrolens serve FOLDER`` does; the
uploads are embedded with the run that made the index.

Usage: ``python benchmarks/bench_http.py [--quick] [--workers N] [--index FOLDER [--run RUN]]``
(``--quick``: 100,000 objects, ``IVF1024,Flat``, fewer requests, 5 s of load).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import faiss
import httpx
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from astrolens.catalog import Catalog
from astrolens.index import ClusteredEmbeddings, build_index, choose_factory, load_index
from astrolens.runs import load_default
from astrolens.search import SimilaritySearch, open_search
from astrolens.simulate import SurveyConfig, generate_catalog
from astrolens.sources import example_files
from astrolens.web.app import default_workers

SEED = 20240613
K = 5
KEPLER_FILE = example_files("Kepler")[0]
LOAD_CONNECTIONS = 8
THREADS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


@dataclass(frozen=True)
class Plan:
    n_objects: int
    factory: str
    id_queries: int
    uploads: int
    load_seconds: float


PLANS = {
    "full": Plan(1_000_000, choose_factory(1_000_000, 64), 1000, 200, 60.0),
    "quick": Plan(100_000, "IVF1024,Flat", 200, 20, 5.0),
}


# -- the survey --------------------------------------------------------------------------------


def synthetic_catalog(labels: np.ndarray) -> pd.DataFrame:
    """One catalogue row per vector: a ``tiny`` survey row of the cluster's class, renamed."""
    template = generate_catalog(SurveyConfig.named("tiny"))
    classes = np.array(sorted(template["class"].unique()))
    rows_of_class = [np.flatnonzero(template["class"] == name) for name in classes]
    n = len(labels)
    rng = np.random.default_rng(SEED)
    choice = rng.integers(0, 1 << 30, n)
    template_rows = np.empty(n, dtype=np.int64)
    for number, rows in enumerate(rows_of_class):
        members = labels % len(classes) == number
        template_rows[members] = rows[choice[members] % len(rows)]
    table = template.iloc[template_rows].reset_index(drop=True)
    kepler = (table["mission"] == "Kepler").to_numpy()
    target_id = np.where(kepler, 900_000_000, 9_000_000_000) + np.arange(n)
    table["target_id"] = target_id
    table["object_id"] = np.where(kepler, "KIC ", "TIC ") + pd.Series(target_id).astype(str)
    table["ra"] = rng.uniform(0.0, 360.0, n)
    table["dec"] = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    table["mag"] = table["mag"] + rng.normal(0.0, 0.3, n)
    return table


def build_survey(plan: Plan, folder: Path) -> SimilaritySearch:
    """Index and catalogue written to ``folder`` (for the server), and the same search here."""
    mixture = ClusteredEmbeddings(dimension=64, n_clusters=3000, spread=0.7, seed=SEED)
    start = time.perf_counter()
    vectors, labels = mixture.sample(plan.n_objects, stream=1)
    table = synthetic_catalog(labels)
    drawn_s = time.perf_counter() - start
    faiss.omp_set_num_threads(2)
    start = time.perf_counter()
    index = build_index(
        vectors, table["object_id"], run="bench", factory=plan.factory, seed=SEED, progress=False
    )
    build_s = time.perf_counter() - start
    index.save(folder / "index")
    table.to_parquet(folder / "catalog.parquet", index=False)
    faiss.omp_set_num_threads(1)
    print(
        f"{plan.n_objects:,} objects: vectors and catalogue drawn in {drawn_s:.1f} s, "
        f"{index.factory} built in {build_s:.1f} s"
    )
    return SimilaritySearch(index, Catalog(table), encoder=load_default())


# -- the server --------------------------------------------------------------------------------


def serve(folder: Path, port: int, workers: int | None, run: Path | None = None) -> None:
    """Run in the server process: the search over ``folder`` on 127.0.0.1:``port`` (an index
    folder of ``astrolens index build``, or the synthetic survey's folder)."""
    from astrolens.web import create_app, run_app

    if (folder / "index").is_dir():
        index = load_index(folder / "index", expected_run="bench")
        catalog = Catalog(pd.read_parquet(folder / "catalog.parquet"))
        search = SimilaritySearch(index, catalog, encoder=DefaultRunOnFirstUse())
    else:
        search = open_search(folder, run=run)  # as astrolens serve: the run loads on first upload
    run_app(create_app(search), port=port, log_level="warning", workers=workers)


class DefaultRunOnFirstUse:
    """The default run as a query encoder, loaded by the first upload a worker process gets
    (as ``astrolens serve`` does: TensorFlow is not loaded before the workers are forked)."""

    @functools.cached_property
    def run(self):
        return load_default()

    def load(self, source, *, label=None):
        return self.run.load(source, label=label)

    def embed_item(self, item):
        return self.run.embed_item(item)

    def picture(self, item):
        return self.run.picture(item)


def start_server(
    folder: Path, workers: int, run: Path | None = None
) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, __file__, "--serve", str(folder), "--port", str(port)]
    command += ["--workers", str(workers)]
    command += [] if run is None else ["--run", str(run)]
    process = subprocess.Popen(command, env={**os.environ, **THREADS})
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    while time.perf_counter() - start < 600:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2.0).status_code == 200:
                print(
                    f"server with {workers} process(es) ready after "
                    f"{time.perf_counter() - start:.1f} s (load, import)"
                )
                return process, url
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not start within 600 s")


# -- measurements ------------------------------------------------------------------------------


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def in_turns(http, local, items: list, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Seconds per item of ``http(item)`` and ``local(item)``, block by block in turns."""
    http_s, local_s = [], []
    for start in range(0, len(items), block):
        part = items[start : start + block]
        http_s += [timed(lambda item=item: http(item)) for item in part]
        local_s += [timed(lambda item=item: local(item)) for item in part]
    return np.array(http_s), np.array(local_s)


def checked(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response


def bench_queries(search: SimilaritySearch, url: str, plan: Plan) -> list[tuple]:
    rng = np.random.default_rng(SEED + 1)
    ids = [str(i) for i in search.index.ids[rng.integers(len(search.index), size=plan.id_queries)]]
    file_bytes = KEPLER_FILE.read_bytes()
    with httpx.Client(base_url=url, timeout=60.0) as client:

        def by_id(object_id: str) -> None:
            checked(client.get("/api/search/object", params={"id": object_id, "k": K}))

        def by_upload(_: int) -> None:
            files = {"file": (KEPLER_FILE.name, file_bytes, "application/octet-stream")}
            checked(client.post("/api/search/upload", params={"k": K}, files=files))

        for object_id in ids[:50]:
            by_id(object_id)
            search.by_object(object_id, K)
        for number in range(5):
            by_upload(number)
            search.by_lightcurve(KEPLER_FILE, K)
        id_http, id_local = in_turns(by_id, lambda i: search.by_object(i, K), ids, 50)
        up_http, up_local = in_turns(
            by_upload, lambda _: search.by_lightcurve(KEPLER_FILE, K), list(range(plan.uploads)), 10
        )
    return [
        (f"query by id over HTTP ({len(ids)} queries)", id_http, "p99 <= 10 ms"),
        ("  baseline: by_object in this process", id_local, ""),
        (f"query by uploaded FITS over HTTP ({plan.uploads})", up_http, "p99 <= 60 ms"),
        ("  baseline: by_lightcurve in this process", up_local, ""),
    ]


@dataclass
class LoadResult:
    seconds: float = 0.0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    server_cpu_seconds: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def read_answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response; return its status."""
    status = int((await reader.readline()).split()[1])
    length = None
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ConnectionError("answer without Content-Length")
    await reader.readexactly(length)
    return status


async def load(url: str, paths: list[str], seconds: float, connections: int) -> LoadResult:
    """``connections`` keep-alive clients sending ``paths`` in turn for ``seconds``."""
    host, port = url.removeprefix("http://").split(":")
    result = LoadResult()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    counter = iter(range(10**12))

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while loop.time() < deadline:
            path = paths[next(counter) % len(paths)]
            start = time.perf_counter()
            try:
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                status = await read_answer(reader)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
                result.error(type(error).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
                continue
            result.latencies.append(time.perf_counter() - start)
            if status == 200:
                result.ok += 1
            else:
                result.error(f"HTTP {status}")
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    result.seconds = time.perf_counter() - start
    return result


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its worker processes (Linux)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for number in [pid, *map(int, children)]:
        fields = Path(f"/proc/{number}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def bench_load(search: SimilaritySearch, url: str, plan: Plan, pid: int) -> LoadResult:
    rng = np.random.default_rng(SEED + 2)
    ids = search.index.ids[rng.integers(len(search.index), size=20_000)]
    paths = [f"/api/search/object?id={quote(str(object_id))}&k={K}" for object_id in ids]
    before = cpu_seconds(pid)
    result = asyncio.run(load(url, paths, plan.load_seconds, LOAD_CONNECTIONS))
    result.server_cpu_seconds = cpu_seconds(pid) - before
    return result


def print_load(result: LoadResult, workers: int) -> float:
    rate = result.ok / result.seconds
    p50, p99 = np.percentile(result.latencies, [50, 99]) * 1e3
    errors = sum(result.errors.values())
    cpu_ms = result.server_cpu_seconds / max(result.ok, 1) * 1e3
    print(
        f"  {workers} server process(es): {result.ok:,} answers, {rate:.0f} requests/s "
        f"(target >= 800), {errors} errors {result.errors or ''}\n"
        f"    latency p50 {p50:.1f} ms, p99 {p99:.1f} ms; server CPU {cpu_ms:.2f} ms per request "
        f"(target <= 1.5)"
    )
    return rate


def main(quick: bool, workers: int, index: Path | None, run: Path | None = None) -> None:
    plan = PLANS["quick" if quick else "full"]
    threadpool_limits(1)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average (1 min) at the start: {os.getloadavg()[0]:.1f}"
    )
    folder = index or Path(tempfile.mkdtemp(prefix="astrolens-bench-http-"))
    process = None
    try:
        if index is None:
            search = build_survey(plan, folder)
        else:
            start = time.perf_counter()
            search = open_search(index, run=run)
            print(
                f"{index}: {len(search.index):,} objects ({search.index.factory}) of run "
                f"{search.run_path}, opened in {time.perf_counter() - start:.1f} s"
            )
        process, url = start_server(folder, workers, run)
        rows = bench_queries(search, url, plan)
        print(f"\nlatency seen by a client on 127.0.0.1, k = {K}, one request at a time")
        print(f"  {'measurement':<52} {'p50 ms':>8} {'p99 ms':>8}  target")
        for name, seconds, target in rows:
            p50, p99 = np.percentile(seconds, [50, 99]) * 1e3
            print(f"  {name:<52} {p50:8.2f} {p99:8.2f}  {target}")
        id_ratio = np.median(rows[0][1]) / np.median(rows[1][1])
        upload_ratio = np.median(rows[2][1]) / np.median(rows[3][1])
        print(
            f"  HTTP / in-process (medians): by id {id_ratio:.2f}x, by upload {upload_ratio:.2f}x"
        )
        print(
            f"\nsustained load, {LOAD_CONNECTIONS} keep-alive connections for "
            f"{plan.load_seconds:.0f} s each, queries by random id (k = {K}):"
        )
        rate = print_load(bench_load(search, url, plan, process.pid), workers)
        stop(process)
        process, url = start_server(folder, 1, run)
        baseline = print_load(bench_load(search, url, plan, process.pid), 1)
        print(
            f"  {workers} processes / 1 process: {rate / baseline:.2f}x the requests per second"
            f"\n  machine load average (1 min) at the end: {os.getloadavg()[0]:.1f}"
        )
    finally:
        if process is not None:
            stop(process)
        if index is None:
            shutil.rmtree(folder, ignore_errors=True)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 objects, 5 s of load")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="server processes (default: astrolens serve's default on this machine)",
    )
    parser.add_argument("--index", type=Path, help="serve this index folder (real embeddings)")
    parser.add_argument(
        "--run", type=Path, help="with --index: the run that made it (default: the one it records)"
    )
    arguments = parser.parse_args()
    if arguments.serve is not None:
        serve(arguments.serve, arguments.port, arguments.workers, arguments.run)
    else:
        main(arguments.quick, arguments.workers, arguments.index, arguments.run)
