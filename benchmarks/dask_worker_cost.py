"""What a light curve costs in a Dask worker process against a plain process, and why.

The same work, timed with ``time.process_time`` inside the process that does it: regenerate and
represent ``--objects`` light curves of a survey (default ``large``) with the default run's
representation (``astrolens.datasets.represent_rows``), after a small untimed warm-up, in

1. this process (a plain Python process, glibc's default allocator settings);
2. a fresh Dask worker of a ``LocalCluster`` (one single-threaded worker process), as Dask's
   nanny starts it (it sets ``MALLOC_TRIM_THRESHOLD_=65536``);
3. the same kind of worker after ``astrolens.datasets.keep_freed_memory()``, which the tasks of
   ``astrolens.distributed`` now call: the worker then reuses the memory it frees.

Also printed: the minor page faults per light curve of each (a fresh mapping of freed memory
shows there) and the environment variable as each process saw it.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/dask_worker_cost.py [--objects 400] [--survey large]``
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import dataclasses
import platform
import time
from typing import Any

WARM_UP = 20


def represent_cost(survey: str, n: int, run: str, keep: bool) -> dict[str, Any]:
    """CPU milliseconds and minor page faults per light curve of ``represent_rows`` here."""
    import resource

    from astrolens.datasets import keep_freed_memory, represent_rows
    from astrolens.runs import load_run
    from astrolens.simulate import generate_catalog
    from astrolens.simulate.cache import survey_config

    if keep:
        keep_freed_memory()
    config = survey_config(survey)
    catalog = generate_catalog(dataclasses.replace(config, n_objects=n + WARM_UP))
    rows = catalog.to_dict("records")
    trained = load_run(run)
    settings = (trained.representation, trained.preprocess, trained.wavelet, trained.periodogram)
    represent_rows(rows[:WARM_UP], *settings)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    started = time.process_time()
    represent_rows(rows[WARM_UP:], *settings)
    return {
        "ms": (time.process_time() - started) / n * 1e3,
        "faults": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / n,
        "trim_threshold": os.environ.get("MALLOC_TRIM_THRESHOLD_", "unset"),
    }


def main() -> None:
    from astrolens.distributed import cluster_client

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=400)
    parser.add_argument("--survey", default="large")
    parser.add_argument("--run", default=os.path.abspath("runs/default"))
    args = parser.parse_args()
    job = (args.survey, args.objects, args.run)
    results = {"plain process": represent_cost(*job, keep=False)}
    for name, keep in (("fresh Dask worker", False), ("Dask worker, keep_freed_memory", True)):
        with cluster_client(None, 1) as client:
            results[name] = client.submit(represent_cost, *job, keep=keep, pure=False).result()
    base = results["plain process"]["ms"]
    print(f"{args.objects} light curves of {args.survey}, represented as {args.run} does, one core")
    print(
        f"  {'process':<32} {'ms/lc':>7} {'vs plain':>9} {'faults/lc':>10}  MALLOC_TRIM_THRESHOLD_"
    )
    for name, result in results.items():
        print(
            f"  {name:<32} {result['ms']:7.2f} {result['ms'] / base:8.2f}x "
            f"{result['faults']:10.0f}  {result['trim_threshold']}"
        )
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {time.ctime()}")


if __name__ == "__main__":
    main()
