"""Variants of ranking a search's candidates by the query's own period, on the same embeddings.

A search by light curve ranks first, among the query's ``period_pool * k`` nearest candidates,
those whose catalogued period its own periodogram supports and whose class is common among its
nearest ``k`` (:mod:`astrolens.search.periods`). This script measures that rule and its variants
on the held-out test set of a run's mixed-cadence survey (the split the run folder rebuilds; the
references are its training objects), each as: the ground-based period recovery of
``mixed_cadences.py`` (the median period of the top 10 within 5 % of the truth, for the
variables whose period is under half their baseline), the class precision@10 of the
ground-based and of the Kepler/TESS queries.

Variants: the embedding alone; the rule with pools of 20, 50 and 100 candidates; without the
class condition; with classes holding at least 2, 3 or 5 of the nearest 10; candidates without
a catalogued period kept in front with the supported ones.

Usage: ``python benchmarks/period_ranking.py [--run runs/default]``
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from mixed_cadences import GROUND, SPACE, K, held_out_split, neighbours

from astrolens.periodogram import SCALAR_NAMES
from astrolens.runs import load_run
from astrolens.search import SearchConfig
from astrolens.search.periods import moved_forward, period_first, supported
from astrolens.simulate.survey import family


def ranked_rows(candidates, own, periods, classes, *, pool, share, periodless_first=False):
    """Top ``K`` rows of each query under one variant (``share`` None: no class condition)."""
    tolerance = SearchConfig().period_tolerance
    rows = []
    for found, period in zip(candidates[:, :pool], own, strict=True):
        if periodless_first:
            moved = supported(periods[found], period, tolerance) | ~np.isfinite(periods[found])
        else:
            labels = None if share is None else classes[found]
            moved = moved_forward(
                periods[found], period, tolerance, pool, classes=labels, k=K, class_share=share
            )
        rows.append(found[period_first(moved)][:K])
    return np.stack(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="runs/default")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    run = load_run(args.run)
    config = run.config
    data, _, train, test, inputs = held_out_split(run, args.workers)
    catalog = data.catalog.reset_index(drop=True)
    embeddings = run.encoder.embed(inputs)
    families = np.array([family(row) for row in catalog.to_dict("records")])
    classes = catalog["class"].astype(str).to_numpy()
    periods = catalog["period_days"].to_numpy(dtype=np.float64)
    own = np.asarray(data.arrays["best_period_days"], dtype=np.float64)
    baseline = 10 ** data.arrays["scalars"][:, SCALAR_NAMES.index("baseline_days_log10")]

    candidates = train[neighbours(embeddings[train], embeddings[test], 100)]
    ground = np.isin(families[test], GROUND)
    dense = np.isin(families[test], SPACE)
    measurable = ground & np.isfinite(periods[test]) & (periods[test] < baseline[test] / 2)

    def measured(rows: np.ndarray) -> tuple[float, float, float]:
        same = classes[rows] == classes[test][:, None]
        with np.errstate(all="ignore"):
            median = np.nanmedian(periods[rows[measurable]], axis=1)
        recovered = np.abs(median / periods[test][measurable] - 1.0) <= 0.05
        return recovered.mean(), same[ground].mean(), same[dense].mean()

    variants = {
        "embedding alone": candidates[:, :K],
        "rule (pool 50, classes with 2 of the nearest 10)": None,
        "pool 20": dict(pool=20, share=0.2),
        "pool 100": dict(pool=100, share=0.2),
        "no class condition": dict(pool=50, share=None),
        "classes with 3 of the nearest 10": dict(pool=50, share=0.3),
        "classes with 5 of the nearest 10": dict(pool=50, share=0.5),
        "candidates without a period in front too": dict(pool=50, share=None, periodless_first=1),
    }
    search = SearchConfig()
    rule = dict(pool=int(np.ceil(search.period_pool * K)), share=search.period_class_share)
    print(f"# {args.run} on {config.survey}; {platform.platform()}; {time.strftime('%Y-%m-%d')}")
    print(f"# {int(measurable.sum())} ground-based variables for the period, {int(ground.sum())}")
    print(f"# ground-based and {int(dense.sum())} Kepler/TESS queries for precision@10")
    print("| variant | period recovery | ground precision@10 | Kepler/TESS precision@10 |")
    print("|---|---:|---:|---:|")
    for name, options in variants.items():
        if isinstance(options, np.ndarray):
            rows = options
        else:
            settings = rule if options is None else options
            rows = ranked_rows(
                candidates,
                own[test],
                periods,
                classes,
                pool=settings["pool"],
                share=settings["share"],
                periodless_first=bool(settings.get("periodless_first")),
            )
        recovery, ground_precision, dense_precision = measured(rows)
        print(f"| {name} | {recovery:.4f} | {ground_precision:.4f} | {dense_precision:.4f} |")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
