"""Scaling of ``astrolens.distributed.embed_survey_dask``: 1 and 2 Dask workers against one process.

One run measures, on the same survey (default ``demo-mixed`` cut to ``--objects`` objects) and the
same trained run (default ``runs/default``), each embedding written to a new folder of a temporary
directory (nothing is reused from one measured run to the next; representation stacks are not
read, ``stacks=None``):

1. Baseline: ``astrolens.embed.embed_survey(..., workers=1)`` in this process (it draws its
   catalogue itself; the draw is timed on its own too, so the baseline's embedding part is the
   difference). One small untimed call first, so that TensorFlow's first prediction is not timed.
2. ``embed_survey_dask`` on a local cluster of 1, then of 2 worker processes of one thread each
   (the cluster the module starts, ``astrolens.distributed.cluster_client``, started here so that
   its worker processes can be watched): the cluster's start, the first job (each worker imports
   astrolens and TensorFlow and loads the run) and a second, warm job on the same cluster with a
   new output folder. Figures of merit: the speed-up of 2 workers over 1 (warm jobs; target >=
   1.7x) and the Dask overhead, the 1-worker warm job over the baseline's embedding part.
   The catalogue's chunks are drawn once before (``survey_catalog_chunk`` into the temporary
   cache, what the first job's workers would draw) and read by every job.
3. Peak resident memory (RSS) of each worker process and of this (client) process during each
   job: a thread of this process reads the RSS of the worker pids (``client.run(os.getpid)``)
   and its own with psutil every 0.2 s.
4. Every Dask output (``read_partitioned_embeddings``) must equal the baseline's
   (``read_embeddings``) within ``EMBEDDING_RTOL`` / ``EMBEDDING_ATOL``; else the script stops.

Also printed: scaled estimates (not measurements) of 1,000,000 and 50,000,000 objects on this
machine and on a 16-core one, from the measured warm per-worker rate and 2-worker efficiency.
Writes ``benchmarks/results/dask_scaling.json`` (``--json``) with the machine, date and command.
One thread per library (set here unless already set; the worker processes inherit it).

Usage: ``python benchmarks/dask_scaling.py [--objects 2000] [--survey demo-mixed]
[--run runs/default] [--partition-size 256] [--json FILE]``
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import dask  # noqa: E402
import distributed  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402

from astrolens.distributed import (  # noqa: E402
    cluster_client,
    embed_survey_dask,
    read_partitioned_embeddings,
)
from astrolens.embed import (  # noqa: E402
    EMBEDDING_ATOL,
    EMBEDDING_RTOL,
    Embeddings,
    embed_survey,
    read_embeddings,
)
from astrolens.runs import TrainedRun, load_run  # noqa: E402
from astrolens.simulate import SurveyConfig  # noqa: E402
from astrolens.simulate.cache import (  # noqa: E402
    AnySurveyConfig,
    survey_catalog,
    survey_catalog_chunk,
    survey_config,
)

TARGET_SPEEDUP = 1.7
CHUNK_ROWS = SurveyConfig(name="default", n_objects=1).chunk_size
"""Rows of a catalogue chunk (the default), one held per worker."""
SAMPLE_SECONDS = 0.2
MIB = 2**20
ESTIMATE_OBJECTS = (1_000_000, 50_000_000)
ESTIMATE_CORES = 16
WORKER_COUNTS = (1, 2)


class PeakRSS:
    """Peak resident memory of some processes, sampled by a thread every ``SAMPLE_SECONDS``."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peaks = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def __enter__(self) -> PeakRSS:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def peaks_mib(self) -> dict[str, float]:
        return {name: round(peak / MIB, 1) for name, peak in self.peaks.items()}

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample()

    def _sample(self) -> None:
        for name, process in self.processes.items():
            self.peaks[name] = max(self.peaks[name], process.memory_info().rss)


def machine_facts() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "dask": dask.__version__,
        "distributed": distributed.__version__,
        "threads": {
            name: os.environ[name] for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")
        },
    }


def check_equal(expected: Embeddings, got: Embeddings, label: str) -> float:
    """Stop the script unless ``got`` equals ``expected`` within the embedding tolerances;
    returns the largest absolute difference."""
    if got.object_ids != expected.object_ids:
        raise SystemExit(
            f"FAILED: {label}: object ids differ from the single-process embeddings "
            f"({len(got.object_ids)} rows against {len(expected.object_ids)})"
        )
    close = np.isclose(got.vectors, expected.vectors, rtol=EMBEDDING_RTOL, atol=EMBEDDING_ATOL)
    difference = float(np.max(np.abs(got.vectors - expected.vectors), initial=0.0))
    if not close.all():
        rows = np.flatnonzero(~close.all(axis=1))
        raise SystemExit(
            f"FAILED: {label}: {len(rows)} embeddings differ from the single-process ones beyond "
            f"rtol={EMBEDDING_RTOL}, atol={EMBEDDING_ATOL} (largest difference {difference:.3g}; "
            f"first: {expected.object_ids[rows[0]]})"
        )
    return difference


def time_baseline(config: AnySurveyConfig, run: TrainedRun, folder: Path) -> dict[str, Any]:
    """``embed_survey(workers=1)`` in this process, after an untimed small call."""
    warm_up = dataclasses.replace(config, n_objects=min(config.n_objects, 64))
    embed_survey(
        warm_up, folder / "warm-up.parquet", run=run, workers=1, progress=False, stacks=None
    )
    out = folder / "baseline.parquet"
    with PeakRSS({"client": os.getpid()}) as memory:
        start = time.perf_counter()
        result = embed_survey(config, out, run=run, workers=1, progress=False, stacks=None)
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "embedded": result.n_embedded,
        "skipped": len(result.skipped),
        "peak_rss_mib": memory.peaks_mib(),
        "path": out,
    }


def time_dask(
    config: AnySurveyConfig,
    run: Path,
    workers: int,
    folder: Path,
    cache: Path,
    partition_size: int,
) -> dict[str, Any]:
    """A local cluster of ``workers`` processes: its start, then two jobs into new folders."""
    start = time.perf_counter()
    with cluster_client(None, workers) as client:
        started = time.perf_counter() - start
        pids = client.run(os.getpid)
        watched = {f"worker {n}": pid for n, pid in enumerate(sorted(pids.values()), 1)}
        jobs = {}
        for job in ("first", "warm"):
            out = folder / f"dask-{workers}-{job}"
            with PeakRSS({**watched, "client": os.getpid()}) as memory:
                start = time.perf_counter()
                result = embed_survey_dask(
                    config,
                    out,
                    run=run,
                    scheduler=client.scheduler.address,
                    partition_size=partition_size,
                    progress=False,
                    cache=cache,
                )
                seconds = time.perf_counter() - start
            if sorted(client.run(os.getpid).values()) != sorted(pids.values()):
                raise SystemExit(f"FAILED: a worker of the {workers}-worker cluster restarted")
            jobs[job] = {
                "seconds": seconds,
                "embedded": result.n_embedded,
                "partitions": result.n_partitions,
                "peak_rss_mib": memory.peaks_mib(),
                "path": out,
            }
    return {"workers": workers, "cluster_start_seconds": started, "jobs": jobs}


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def scaled_estimates(
    per_worker_rate: float,
    efficiency: float,
    start_seconds: float,
    draw_seconds_per_object: float,
    catalog_bytes_per_object: float,
) -> list[dict[str, Any]]:
    """Times for large surveys from the measured rates: NOT measurements. ``W`` workers (one per
    core) embed at ``W * per_worker_rate * efficiency`` (the 2-worker efficiency, assumed to
    hold at ``W``), after ``start_seconds``; they also draw the catalogue, chunk by chunk
    (``draw_seconds_per_object`` of one core a row, shared by the ``W`` cores), each holding one
    chunk of ``SurveyConfig.chunk_size`` rows at a time."""
    estimates = []
    for cores in sorted({os.cpu_count() or 1, ESTIMATE_CORES}):
        rate = cores * per_worker_rate * (efficiency if cores > 1 else 1.0)
        for objects in ESTIMATE_OBJECTS:
            estimates.append(
                {
                    "objects": objects,
                    "cores": cores,
                    "this_machine": cores == os.cpu_count(),
                    "embedding_seconds": (
                        start_seconds + objects / rate + objects * draw_seconds_per_object / cores
                    ),
                    "catalogue_draw_seconds": objects * draw_seconds_per_object / cores,
                    "worker_chunk_gib": CHUNK_ROWS * catalog_bytes_per_object / 2**30,
                }
            )
    return estimates


def print_report(report: dict[str, Any]) -> None:
    n = report["objects"]
    baseline = report["baseline"]
    baseline_embed = baseline["seconds"] - report["catalogue_draw_seconds"]
    print(
        f"\nembed_survey_dask scaling: {report['survey']} cut to {n} objects, run {report['run']}, "
        f"partitions of {report['partition_size']} rows"
    )
    header = (
        f"  {'measurement':<44} {'s':>7} {'lc/s':>7} {'t/base':>7} "
        f"{'worker MiB':>15} {'client MiB':>10}"
    )
    print(header)

    def row(
        name: str, seconds: float, ratio: str = "", workers: str = "", client: str = ""
    ) -> None:
        rate = f"{n / seconds:7.1f}" if ratio or client else ""
        print(f"  {name:<44} {seconds:7.2f} {rate:>7} {ratio:>7} {workers:>15} {client:>10}")

    row("catalogue draw, once (client; cached for Dask)", report["catalogue_draw_seconds"])
    peak = baseline["peak_rss_mib"]["client"]
    row("embed_survey(workers=1), incl. its draw", baseline["seconds"], "", "", f"{peak:.0f}")
    row("  its embedding part (minus the draw): baseline", baseline_embed, "1.00x")
    for cluster in report["dask"]:
        workers = cluster["workers"]
        row(f"dask {workers} worker(s): cluster start", cluster["cluster_start_seconds"])
        for job, label in (("first", "first job (imports, model)"), ("warm", "warm job")):
            entry = cluster["jobs"][job]
            memory = entry["peak_rss_mib"]
            worker_mib = " / ".join(f"{v:.0f}" for k, v in memory.items() if k != "client")
            row(
                f"  {label}",
                entry["seconds"],
                f"{entry['seconds'] / baseline_embed:.2f}x",
                worker_mib,
                f"{memory['client']:.0f}",
            )
    summary = report["summary"]
    verdict = "met" if summary["speedup_warm"] >= TARGET_SPEEDUP else "NOT met"
    print(
        f"  speed-up of 2 workers over 1: {summary['speedup_warm']:.2f}x warm "
        f"(target >= {TARGET_SPEEDUP}x: {verdict}), {summary['speedup_first']:.2f}x first jobs; "
        f"2-worker efficiency {summary['efficiency_2_workers']:.2f}"
    )
    print(
        f"  Dask overhead, 1 worker: warm job {summary['overhead_warm']:.2f}x the baseline's "
        f"embedding part; catalogue draw + cluster start + first job "
        f"{summary['overhead_cold']:.2f}x the whole baseline"
    )
    print(
        f"  embeddings equal to the single-process ones (rtol {EMBEDDING_RTOL}, atol "
        f"{EMBEDDING_ATOL}): all {len(report['largest_differences'])} Dask outputs, largest "
        f"difference {max(report['largest_differences'].values()):.2g}"
    )
    print(
        "  memory: peak RSS, psutil every 0.2 s from the client on the worker pids; "
        "the client holds TensorFlow and the model of the baseline"
    )
    print(
        "\nScaled estimates (NOT measurements): warm per-worker rate "
        f"{summary['per_worker_rate']:.1f} lc/s x workers x 2-worker efficiency "
        f"{summary['efficiency_2_workers']:.2f} (assumed to hold at 16 workers), one worker per "
        f"core, + {summary['start_seconds']:.0f} s start; the workers draw the catalogue too, "
        f"a chunk of {CHUNK_ROWS:,} rows at a time (the catalogue draw measured here, shared by "
        "the cores)"
    )
    for estimate in report["scaled_estimates"]:
        where = "this machine" if estimate["this_machine"] else "a 16-core machine"
        print(
            f"  scaled estimate, {estimate['objects']:>10,} objects, {where} "
            f"({estimate['cores']} workers): {hours(estimate['embedding_seconds'])} in all, of "
            f"which drawing the catalogue {hours(estimate['catalogue_draw_seconds'])}; a chunk "
            f"holds {estimate['worker_chunk_gib'] * 1024:.0f} MiB in a worker"
        )
    machine = report["machine"]
    print(
        f"\n{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, load "
        f"{machine['load_average_1min_at_start']} at the start; {report['date']}, "
        f"{report['seconds']:.0f} s: `{report['command']}`"
    )


def summarise(report: dict[str, Any]) -> dict[str, float]:
    n = report["objects"]
    baseline_embed = report["baseline"]["seconds"] - report["catalogue_draw_seconds"]
    one, two = ({job: e["seconds"] for job, e in c["jobs"].items()} for c in report["dask"])
    speedup_warm = one["warm"] / two["warm"]
    cold_two = report["dask"][1]["cluster_start_seconds"] + two["first"]
    return {
        "speedup_warm": speedup_warm,
        "speedup_first": one["first"] / two["first"],
        "efficiency_2_workers": speedup_warm / 2,
        "overhead_warm": one["warm"] / baseline_embed,
        "overhead_cold": (
            report["catalogue_draw_seconds"]
            + report["dask"][0]["cluster_start_seconds"]
            + one["first"]
        )
        / report["baseline"]["seconds"],
        "per_worker_rate": n / one["warm"],
        "start_seconds": cold_two - two["warm"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survey", default="demo-mixed", help="named survey (size) to cut")
    parser.add_argument("--objects", type=int, default=2000, help="objects of the survey")
    parser.add_argument("--run", type=Path, default=Path("runs/default"), help="trained run")
    parser.add_argument(
        "--partition-size",
        type=int,
        default=256,
        help="rows per Dask task (the module's default of 1024 gives 2000 objects only 2 tasks)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).parent / "results" / "dask_scaling.json",
        help="write the results here",
    )
    args = parser.parse_args()
    begun = time.perf_counter()
    machine = machine_facts()
    config = dataclasses.replace(survey_config(args.survey), n_objects=args.objects)
    run_path = args.run.resolve()
    run = load_run(run_path)
    with tempfile.TemporaryDirectory(prefix="dask-scaling-") as temporary:
        folder = Path(temporary)
        cache = folder / "cache"
        start = time.perf_counter()
        for chunk in range(config.n_chunks):  # what the jobs' workers would draw first
            survey_catalog_chunk(config, chunk, cache=cache)
        draw_seconds = time.perf_counter() - start
        catalog = survey_catalog(config, cache=cache)
        catalog_bytes = float(catalog.memory_usage(deep=True).sum())
        del catalog
        baseline = time_baseline(config, run, folder)
        dask_runs = [
            time_dask(config, run_path, workers, folder, cache, args.partition_size)
            for workers in WORKER_COUNTS
        ]
        expected = read_embeddings(baseline.pop("path"))
        differences = {
            f"{cluster['workers']} worker(s), {job} job": check_equal(
                expected,
                read_partitioned_embeddings(entry.pop("path")),
                f"{cluster['workers']} worker(s), {job} job",
            )
            for cluster in dask_runs
            for job, entry in cluster["jobs"].items()
        }
    report: dict[str, Any] = {
        "survey": args.survey,
        "objects": args.objects,
        "run": str(args.run),
        "partition_size": args.partition_size,
        "machine": machine,
        "date": time.strftime("%Y-%m-%d"),
        "command": "python " + shlex.join(sys.argv),
        "memory_sampling": (
            f"RSS by psutil every {SAMPLE_SECONDS} s, from a thread of the client process, of "
            "the worker pids (client.run(os.getpid)) and of the client"
        ),
        "catalogue_draw_seconds": draw_seconds,
        "catalogue_bytes_per_object": catalog_bytes / args.objects,
        "baseline": baseline,
        "dask": dask_runs,
        "largest_differences": differences,
    }
    report["summary"] = summarise(report)
    report["scaled_estimates"] = scaled_estimates(
        report["summary"]["per_worker_rate"],
        report["summary"]["efficiency_2_workers"],
        report["summary"]["start_seconds"],
        draw_seconds / args.objects,
        catalog_bytes / args.objects,
    )
    report["seconds"] = time.perf_counter() - begun
    print_report(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
