"""Start-up of the command line: ``astrolens search --id`` as a whole process, against its floor.

1. The index of the ``tiny`` simulated survey with the default run (``runs/default``) is built
   once by :func:`astrolens.pipeline.build_survey_index` into ``--index`` (default: a folder in
   the system's temporary directory) and reused while it is current.
2. The full command ``astrolens search --index <folder> --id <first object id> -k 5`` runs as a
   subprocess: interpreter start, imports, opening the index (checksums verified), the search,
   printing the table. Wall-clock time, median of ``--repeats`` runs after one warm-up run.
3. The baseline, run in turns with it, is the floor that no search can go under:
   ``python -c "import numpy, pandas, faiss"`` (the libraries that hold the index and the
   catalogue). The ratio is the search's time over the floor's.

Target: the search answers in <= 1.5 s on the 2-core machine of ``benchmarks/README.md``.

Usage: ``python benchmarks/bench_startup.py [--quick] [--repeats N] [--index FOLDER]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from astrolens.index.folder import CATALOG_FILE
from astrolens.pipeline import build_survey_index

TARGET_SECONDS = 1.5
K = 5
DEFAULT_INDEX = Path(tempfile.gettempdir()) / "astrolens-bench-startup" / "tiny-default"


def _cli() -> list[str]:
    """The ``astrolens`` console script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("astrolens")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "astrolens.cli"]


def _process_seconds(command: list[str]) -> float:
    """Wall-clock time of one run of ``command``, which must succeed."""
    start = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{finished.stderr}")
    return seconds


def _alternating_medians(
    first: list[str], second: list[str], repeats: int
) -> tuple[float, float, list[float]]:
    """Median times of two commands run in turns after one warm-up each (page cache, .pyc);
    also every time of the second."""
    _process_seconds(first), _process_seconds(second)
    pairs = [(_process_seconds(first), _process_seconds(second)) for _ in range(repeats)]
    seconds = [b for _, b in pairs]
    return statistics.median(a for a, _ in pairs), statistics.median(seconds), seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each command")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (cached)")
    arguments = parser.parse_args(argv)
    repeats = 3 if arguments.quick else arguments.repeats

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average (1 min) at the start: {os.getloadavg()[0]:.1f}"
    )
    start = time.perf_counter()
    folder = build_survey_index("tiny", out=arguments.index, workers=1, progress=False)
    print(f"index: {folder} (built or checked in {time.perf_counter() - start:.1f} s)")
    object_id = str(pd.read_parquet(folder / CATALOG_FILE, columns=["object_id"]).iloc[0, 0])

    search = [*_cli(), "search", "--index", str(folder), "--id", object_id, "-k", str(K)]
    floor = [sys.executable, "-c", "import numpy, pandas, faiss"]
    floor_seconds, search_seconds, every = _alternating_medians(floor, search, repeats)

    rows = (
        ('python -c "import numpy, pandas, faiss" (baseline: the floor)', floor_seconds),
        (f'astrolens search --id "{object_id}" -k {K}', search_seconds),
    )
    print(f"\nwhole process, wall clock, median of {repeats} after one warm-up, in turns")
    print(f"  {'command':<64} {'s':>6}")
    for label, seconds in rows:
        print(f"  {label:<64} {seconds:6.2f}")
    print(f"  every search: {', '.join(f'{seconds:.2f}' for seconds in every)} s")
    met = search_seconds <= TARGET_SECONDS
    print(
        f"search by id: {search_seconds:.2f} s, {search_seconds / floor_seconds:.1f}x the floor "
        f"({floor_seconds:.2f} s); target <= {TARGET_SECONDS} s: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
