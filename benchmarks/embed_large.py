"""The ``large`` survey (1,000,000 objects) embedded on Dask, in sittings, each measured.

Nine hours of a 2-core machine do not fit in one sitting, so this script runs
``astrolens.distributed.embed_survey_dask`` on the survey's folder of partitions until it is done or
stopped (Ctrl-C, ``timeout``, ``--minutes``), and the next call resumes from the partitions
already written: the job's own promise (nothing lost, nothing duplicated) is what makes it possible.
Each sitting appends one record to ``<out>.sittings.jsonl`` beside the folder:

- the partitions and light curves written in the sitting, its wall time;
- the CPU seconds of the worker processes (user + system, psutil) and so the CPU cost of one light
  curve, a figure that does not depend on what else runs on the machine (the wall time does: with
  ``--nice`` the workers only take the cores nobody else wants);
- the peak resident memory of each worker and of this process (sampled every 0.5 s): the bound
  the Dask path promises per worker;
- the machine, the load average, the command.

The printed summary adds the sittings up: light curves embedded, CPU seconds per light curve, and
what the rest would take on this machine's cores with nothing else running (an estimate from the
measured CPU cost, stated as such). The folder is read back by
``astrolens.distributed.read_partitioned_embeddings`` once every partition is there.

Usage: ``python benchmarks/embed_large.py [--survey large] [--run runs/default] [--workers 2]
[--minutes M] [--nice] [--out FOLDER]``
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")

import argparse  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import psutil  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from dask_scaling import MIB, machine_facts  # noqa: E402

from astrolens.distributed import (  # noqa: E402
    PARTITION_SIZE,
    cluster_client,
    embed_survey_dask,
    partition_path,
)
from astrolens.files import cache_dir  # noqa: E402
from astrolens.simulate.cache import survey_config  # noqa: E402

SAMPLE_SECONDS = 0.5


class Watch:
    """Peak RSS and CPU seconds of the worker processes (and this one's RSS), by a thread."""

    def __init__(self, workers: dict[str, int]) -> None:
        self.workers = {name: psutil.Process(pid) for name, pid in workers.items()}
        self.started = {name: self._cpu(process) for name, process in self.workers.items()}
        self.cpu = dict.fromkeys(self.workers, 0.0)
        self.peaks = dict.fromkeys([*self.workers, "client"], 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _cpu(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(SAMPLE_SECONDS):
                return

    def _sample(self) -> None:
        processes = {**self.workers, "client": psutil.Process()}
        for name, process in processes.items():
            try:
                self.peaks[name] = max(self.peaks[name], process.memory_info().rss)
                if name in self.started:
                    self.cpu[name] = self._cpu(process) - self.started[name]
            except psutil.NoSuchProcess:  # a worker that died: Dask starts another
                continue


def done(out: Path, n_partitions: int) -> dict[int, int]:
    """Rows of each partition file already written."""
    return {
        index: pq.read_metadata(path).num_rows
        for index in range(n_partitions)
        if (path := partition_path(out, index)).is_file()
    }


def sitting(args: argparse.Namespace, out: Path, n_partitions: int) -> dict[str, Any]:
    """One sitting: the job until done or interrupted, watched."""
    before = done(out, n_partitions)
    machine = machine_facts()
    start = time.perf_counter()
    interrupted = False
    with cluster_client(None, args.workers) as client:
        pids = client.run(os.getpid)
        workers = {f"worker {n}": pid for n, pid in enumerate(sorted(pids.values()), 1)}
        with Watch(workers) as watch:
            timer = None
            if args.minutes:
                stop = lambda: os.kill(os.getpid(), signal.SIGINT)  # noqa: E731
                timer = threading.Timer(args.minutes * 60, stop)
                timer.start()
            try:
                embed_survey_dask(
                    args.survey,
                    out,
                    run=args.run,
                    scheduler=client.scheduler.address,
                    partition_size=args.partition_size,
                )
            except KeyboardInterrupt:
                interrupted = True
            finally:
                if timer is not None:
                    timer.cancel()
    seconds = time.perf_counter() - start
    after = done(out, n_partitions)
    rows = sum(count for index, count in after.items() if index not in before)
    cpu = sum(watch.cpu.values())
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "command": "python " + shlex.join(sys.argv),
        "machine": machine,
        "nice": os.nice(0),
        "workers": args.workers,
        "partitions_before": len(before),
        "partitions_after": len(after),
        "partitions": n_partitions,
        "light_curves": rows,
        "seconds": round(seconds, 1),
        "interrupted": interrupted,
        "worker_cpu_seconds": round(cpu, 1),
        "cpu_seconds_per_light_curve": round(cpu / rows, 4) if rows else None,
        "peak_rss_mib": {name: round(peak / MIB, 1) for name, peak in watch.peaks.items()},
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
    }


def summary(records: list[dict[str, Any]], n_objects: int, cores: int) -> str:
    """The sittings added up, and the rest estimated from the measured CPU cost."""
    rows = sum(record["light_curves"] for record in records)
    cpu = sum(record["worker_cpu_seconds"] for record in records)
    peak = max(max(record["peak_rss_mib"].values()) for record in records)
    lines = [f"{len(records)} sitting(s): {rows:,} of {n_objects:,} light curves embedded"]
    if rows:
        per = cpu / rows
        rest = (n_objects - rows) * per / cores / 3600
        lines.append(
            f"worker CPU {per * 1000:.1f} ms per light curve; the rest, {n_objects - rows:,}, "
            f"about {rest:.1f} h on {cores} idle cores (an estimate from that cost)"
        )
    lines.append(f"peak resident memory of any process: {peak:,.0f} MiB")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survey", default="large", help="named survey (default large)")
    parser.add_argument("--run", type=Path, default=Path("runs/default"), help="trained run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--partition-size", type=int, default=PARTITION_SIZE)
    parser.add_argument("--minutes", type=float, help="stop the sitting after this long")
    parser.add_argument(
        "--nice", action="store_true", help="run the workers at the lowest priority (nice 19)"
    )
    parser.add_argument("--out", type=Path, help="the folder of partitions (default: the cache)")
    args = parser.parse_args()
    # Ctrl-C, timeout and --minutes end the sitting with its record, even in the background,
    # where a shell starts a job with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.nice:
        os.nice(19 - os.nice(0))  # the workers inherit it
    config = survey_config(args.survey)
    out = args.out or cache_dir("embeddings") / f"{config.name}-{args.run.resolve().name}-dask"
    n_partitions = -(-config.n_objects // args.partition_size)
    log = out.with_name(f"{out.name}.sittings.jsonl")
    record = sitting(args, out, n_partitions)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as file:
        file.write(json.dumps(record) + "\n")
    print(json.dumps(record, indent=2))
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    print(summary(records, config.n_objects, os.cpu_count() or 1))
    print(f"partitions: {out}\nsittings: {log}")


if __name__ == "__main__":
    main()
