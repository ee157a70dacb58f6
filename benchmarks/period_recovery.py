"""Held-out period recovery: do the neighbours of an unseen periodic variable tell its period?

Figure of merit (issue 5): on the demo survey, the median ``period_days`` of the top-10 matches of
a held-out periodic variable is within 5 % of its true period for at least 80 % of such objects.

Index: the objects of the run's training and validation sets (the split rebuilt exactly from the
run folder, ``astrolens.recovery.training_split``). Queries: its test objects with a finite period,
searched by their embeddings (neither the model nor the index has seen them). Baseline, in the
same run: ``k`` indexed objects of the query's own class drawn at random, i.e. what the matches
would say if the embedding knew the class and nothing more. Printed overall, for the queries
whose period is shorter than their own light curve (27-90 days of data cannot show a Mira's year),
and per class: the fraction within the tolerance, the fraction whose 16-84 % band of the matches
holds the truth, and the ratio to the baseline. Writes ``benchmarks/results/period_recovery.png``
(true against recovered period, log-log) and ``period_recovery.csv`` (one row per query).

The first run embeds the survey (about a minute for ``demo``, cached under
``$ASTROLENS_CACHE/embeddings``) and builds the held-out index (reused afterwards).

Usage: ``python benchmarks/period_recovery.py [--quick] [--run runs/default]``
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd

from astrolens.plots import save_figure
from astrolens.recovery import held_out_period_recovery, plot_period_recovery, recovery_summary
from astrolens.simulate import observing_mode
from astrolens.simulate.cache import survey_catalog

RESULTS = Path(__file__).parent / "results"
TARGET_FRACTION = 0.8
SEED = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 queries per class")
    parser.add_argument("--run", default="runs/default", help="training run (default runs/default)")
    parser.add_argument("-k", type=int, default=10, help="matches per query")
    parser.add_argument("--tolerance", type=float, default=0.05, help="relative tolerance")
    parser.add_argument("--workers", type=int, default=2, help="processes embedding the survey")
    args = parser.parse_args()

    start = time.perf_counter()
    found = held_out_period_recovery(
        args.run,
        index_dir=RESULTS / "period-recovery-index",
        k=args.k,
        tolerance=args.tolerance,
        max_per_class=10 if args.quick else None,
        seed=SEED,
        workers=args.workers,
    )
    seconds = time.perf_counter() - start
    ours, baseline = recovery_summary(found.matches), recovery_summary(found.same_class)
    table = pd.DataFrame(
        {
            "n": ours["n"],
            "within": ours["fraction_within"],
            "baseline within": baseline["fraction_within"],
            "in 16-84 band": ours["fraction_in_band"],
            "baseline in band": baseline["fraction_in_band"],
            "median |error|": ours["median_abs_error"],
        }
    )
    print(
        f"Held-out period recovery, run {args.run}, k = {args.k}, tolerance "
        f"{args.tolerance:.0%} ({platform.processor() or 'cpu'}, {os.cpu_count()} cores, "
        f"{seconds:.0f} s)"
    )
    print(f"  index: {found.index_dir}")
    print(table.to_string(float_format=lambda value: f"{value:.3f}"))
    overall, chance = table.at["all", "within"], table.at["all", "baseline within"]
    ratio = overall / chance if chance > 0 else float("inf")
    verdict = "met" if overall >= TARGET_FRACTION else "NOT met"
    print(
        f"  within {args.tolerance:.0%}: {overall:.3f} of {table.at['all', 'n']} queries "
        f"(target >= {TARGET_FRACTION}: {verdict}); baseline (same class at random) {chance:.3f}; "
        f"ratio {ratio:.2f}x"
    )
    seen = _periods_the_light_curves_cover(found.matches)
    shown = found.matches[seen]
    print(
        f"  periods shorter than the query's own light curve (all but "
        f"{int((~seen).sum())} queries, Miras and semi-regulars above all): within "
        f"{args.tolerance:.0%} {shown['within_tolerance'].mean():.3f} of {len(shown)} queries "
        f"(target >= {TARGET_FRACTION}: "
        f"{'met' if shown['within_tolerance'].mean() >= TARGET_FRACTION else 'NOT met'})"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    found.matches.to_csv(RESULTS / "period_recovery.csv", index=False)
    figure = save_figure(
        plot_period_recovery(found.matches, tolerance=args.tolerance),
        RESULTS / "period_recovery.png",
    )
    print(f"  figure: {figure}")


def _periods_the_light_curves_cover(matches: pd.DataFrame) -> pd.Series:
    """True for the queries whose true period is at most the duration of their light curve."""
    catalog = survey_catalog("demo").set_index("object_id")
    rows = catalog.loc[matches["object_id"]]
    durations = [observing_mode(row).duration_days for _, row in rows.iterrows()]
    return pd.Series(matches["true"].to_numpy() <= durations, index=matches.index)


if __name__ == "__main__":
    main()
