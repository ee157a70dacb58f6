"""Hostile light-curve files through the path an upload takes: each is read or refused, fast.

Writes ``--cases`` files with ``astrolens.sources.hostile.hostile_files`` (real Kepler, K2, TESS
FITS files and CSV tables of them, bit-flipped, truncated, with extreme values, lying headers,
gzip bombs, text edits, noise; seeded) and puts each through what ``POST /api/search/upload``
does: ``LightCurveModality().load(path)`` then ``.represent(item, "wavelet")``, with the limits of
``astrolens.sources.limits`` as they ship. Every case must end in a power image or an
``InvalidLightCurve``; anything else ("other") is listed with its file and makes the script exit
with 1. The baseline is the unmodified example files through the same path: the slowest hostile
case is reported as a multiple of their median time.

Prints counts by outcome and by mutation, the slowest case, and the peak RSS of the process.

Usage: ``python benchmarks/fuzz_inputs.py [--quick] [--cases N] [--seed S]``
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from astrolens.errors import InvalidLightCurve
from astrolens.modalities.lightcurve import LightCurveModality
from astrolens.sources import example_files
from astrolens.sources.hostile import MUTATIONS, hostile_files

OUTCOMES = ("ok", "InvalidLightCurve", "other")


def _upload(modality: LightCurveModality, path: Path) -> str:
    """Read and transform one file as the upload endpoint does; its outcome."""
    try:
        modality.represent(modality.load(path), "wavelet")
    except InvalidLightCurve:
        return "InvalidLightCurve"
    return "ok"


def _timed(modality: LightCurveModality, path: Path) -> tuple[str, float, str]:
    start = time.perf_counter()
    try:
        outcome, message = _upload(modality, path), ""
    except Exception:  # what this script looks for
        outcome, message = "other", traceback.format_exc(limit=-3)
    return outcome, time.perf_counter() - start, message


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 70 cases")
    parser.add_argument("--cases", type=int, default=5000, help="hostile files to try")
    parser.add_argument("--seed", type=int, default=0, help="seed of the file generator")
    arguments = parser.parse_args(argv)
    n_cases = 70 if arguments.quick else arguments.cases

    modality = LightCurveModality()
    baseline_times = []
    for path in example_files():
        _timed(modality, path)  # warm up imports and caches
        baseline_times.append(_timed(modality, path)[1])
    baseline = statistics.median(baseline_times)
    rss_before = _peak_rss_mib()

    outcomes: Counter[str] = Counter()
    by_mutation: dict[str, Counter[str]] = {mutation: Counter() for mutation in MUTATIONS}
    slowest_of_mutation = dict.fromkeys(MUTATIONS, 0.0)
    slowest = (0.0, "")
    others: list[str] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="astrolens-fuzz-") as folder:
        for case in hostile_files(folder, n_cases, seed=arguments.seed):
            outcome, seconds, message = _timed(modality, case.path)
            outcomes[outcome] += 1
            by_mutation[case.mutation][outcome] += 1
            slowest_of_mutation[case.mutation] = max(slowest_of_mutation[case.mutation], seconds)
            label = f"{case.path.name} ({case.detail})"
            slowest = max(slowest, (seconds, label))
            if outcome == "other":
                others.append(f"{label}\n{message}")
            case.path.unlink()
    total = time.perf_counter() - start

    print(f"{n_cases} hostile files, seed {arguments.seed}, {total:.1f} s in all")
    print(f"{'mutation':<16}" + "".join(f"{outcome:>19}" for outcome in OUTCOMES) + " slowest ms")
    for mutation, counts in by_mutation.items():
        print(
            f"{mutation:<16}"
            + "".join(f"{counts[outcome]:>19}" for outcome in OUTCOMES)
            + f"{slowest_of_mutation[mutation] * 1e3:>11.0f}"
        )
    print(
        f"{'all':<16}"
        + "".join(f"{outcomes[outcome]:>19}" for outcome in OUTCOMES)
        + f"{slowest[0] * 1e3:>11.0f}"
    )
    print(
        f"slowest case: {slowest[0] * 1e3:.0f} ms, {slowest[0] / baseline:.0f}x the median "
        f"{baseline * 1e3:.1f} ms of the unmodified example files: {slowest[1]}"
    )
    print(f"peak RSS: {_peak_rss_mib():.0f} MiB (after the baseline: {rss_before:.0f} MiB)")
    print(f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    for other in others:
        print(f"\nOTHER: {other}")
    return 1 if others else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
