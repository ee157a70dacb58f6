"""Reading light-curve FITS files: ``astrolens.sources.read_arrays`` against ``lightkurve.read``.

Both read the real Kepler, K2 and TESS example files (``astrolens.sources.example_files``) with
the default PDCSAP flux and quality bitmask; each file is read ``--repeats`` times by each reader,
alternating, and the median time per read is reported. The baseline is ``lightkurve.read``; the
speed-up is its median time over ``read_arrays``'s (the requirement is at least 5x).

Usage: ``python benchmarks/bench_read.py [--quick] [--repeats N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import lightkurve as lk

from astrolens.sources import example_files, read_arrays

REQUIRED_SPEEDUP = 5.0


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _lightkurve_read(path: Path) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lk.read(str(path))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats")
    parser.add_argument("--repeats", type=int, default=41, help="reads per file and reader")
    arguments = parser.parse_args(argv)
    repeats = 3 if arguments.quick else arguments.repeats

    files = example_files()
    for path in files:  # warm up imports, caches and the page cache
        _lightkurve_read(path)
        read_arrays(path)

    print(f"{'file':<58} {'cadences':>8} {'lightkurve ms':>14} {'read_arrays ms':>15} {'ratio':>6}")
    baseline_total = fast_total = 0.0
    for path in files:
        baseline_times, fast_times = [], []
        for _ in range(repeats):  # alternate the readers so that machine noise hits both alike
            baseline_times.append(_seconds(lambda path=path: _lightkurve_read(path)))
            fast_times.append(_seconds(lambda path=path: read_arrays(path)))
        baseline = statistics.median(baseline_times)
        fast = statistics.median(fast_times)
        baseline_total += baseline
        fast_total += fast
        print(
            f"{path.name:<58} {len(read_arrays(path)):>8} {baseline * 1e3:>14.2f} "
            f"{fast * 1e3:>15.2f} {baseline / fast:>5.1f}x"
        )
    speedup = baseline_total / fast_total
    print(
        f"{'all files (sum of medians)':<58} {'':>8} {baseline_total * 1e3:>14.2f} "
        f"{fast_total * 1e3:>15.2f} {speedup:>5.1f}x"
    )
    print(
        f"speed-up of read_arrays over lightkurve.read: {speedup:.1f}x "
        f"(required >= {REQUIRED_SPEEDUP:.0f}x, {repeats} repeats)"
    )
    return 0 if speedup >= REQUIRED_SPEEDUP else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
