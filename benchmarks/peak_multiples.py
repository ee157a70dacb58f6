"""Where the strongest periodogram peak of a ground-based light curve lies, in multiples of P.

The search by light curve ranks first the matches whose catalogued period is the query's own
periodogram period times 1/3, 1/2, 1, 2, 3 or 4 (:mod:`astrolens.search.periods`). This script
measures, on ground-based light curves of the ``demo-mixed`` survey (OGLE-, MACHO/ASAS- and
ZTF-like cadences; objects whose period is under half their baseline), at which multiple of the
catalogued period ``P`` the best period of :func:`astrolens.periodogram.periodogram_arrays` lies:
``P``, ``P/2``, ``P/3``, ``P/4``, ``2P``, ``3P``, ``4P`` or none of them (within 2 %). One row
per class.

Usage: ``python benchmarks/peak_multiples.py [--per-class 30] [--classes EA,EW,...]``
"""

from __future__ import annotations

import argparse
import platform
import time
from collections import Counter
from fractions import Fraction

import numpy as np
from tqdm import tqdm

from astrolens.periodogram import periodogram_arrays
from astrolens.simulate.cache import survey_catalog
from astrolens.simulate.survey import source_arrays

GROUND = ("OGLE", "MACHO", "ASAS", "ZTF")
MULTIPLES = tuple(
    Fraction(n, d) for n, d in ((1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (3, 1), (4, 1))
)
TOLERANCE = 0.02
SEED = 1


def multiple(ratio: float) -> str:
    """The multiple of the true period a found one is (``"1/2"``), or ``"other"``."""
    for fraction in MULTIPLES:
        if abs(ratio / float(fraction) - 1) <= TOLERANCE:
            return str(fraction)
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=30, help="light curves of each class")
    parser.add_argument("--classes", default="EA,EW,DSCT,RRab,RRc,T2CEP,MIRA,SR")
    parser.add_argument("--survey", default="demo-mixed")
    args = parser.parse_args()
    started = time.perf_counter()
    catalog = survey_catalog(args.survey)
    ground = catalog[catalog["mission"].isin(GROUND) & np.isfinite(catalog["period_days"])]
    found: dict[str, Counter[str]] = {}
    for name in args.classes.split(","):
        rows = ground[ground["class"] == name].sample(frac=1.0, random_state=SEED)
        counts: Counter[str] = Counter()
        measured = 0
        with tqdm(total=args.per_class, desc=name, unit="lc") as bar:
            for _, row in rows.iterrows():
                if measured == args.per_class:
                    break
                arrays = source_arrays(row)
                good = arrays.quality == 0
                time_ = arrays.time[good]
                if row["period_days"] >= (time_.max() - time_.min()) / 2:
                    continue
                result = periodogram_arrays(
                    time_, arrays.flux[good], arrays.flux_err[good], source=str(row["object_id"])
                )
                counts[multiple(float(result["best_period_days"]) / row["period_days"])] += 1
                measured += 1
                bar.update()
        found[name] = counts
    columns = [str(fraction) for fraction in MULTIPLES] + ["other"]
    print(f"# {args.survey}, ground-based, period < baseline / 2; {platform.platform()}")
    print("| class | n | " + " | ".join(f"at {c} P" for c in columns) + " |")
    print("|---|---:|" + "---:|" * len(columns))
    for name, counter in found.items():
        total = sum(counter.values())
        shares = " | ".join(f"{counter[c] / max(total, 1):.2f}" for c in columns)
        print(f"| {name} | {total} | {shares} |")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
