"""Encoders side by side: label efficiency, retrieval, parameters, twins, cost.

Several trained runs (``--runs``; e.g. the supervised hybrid CNN, the metric-learning hybrid and
the features baseline), all trained on the same survey with the same split, compared on the same
held-out test set: the test rows of the split that each run folder rebuilds exactly
(``astrolens.training.run_split`` of the run's configuration; the script stops, naming the run,
if the test objects of two runs differ). References are the training rows (not the validation rows).
Every object of the survey is embedded by each run (its representations read from the cache,
``--cache``); no metric needs a class head.

1. **Linear probe**: a logistic regression (``max_iter=2000``) on standardised embeddings, trained
   on 20, 100 and 500 labelled training objects per class (fewer where a class has fewer) and on
   200 in all (stratified: ``200 // n_classes`` a class, the remainder to classes drawn at random),
   drawn with seeds ``0 .. draws-1``; accuracy on every test object, mean ± standard deviation
   over the draws.
2. **k-NN accuracy** (10 neighbours, Euclidean, raw embeddings) on the same labelled subsets.
3. **Retrieval precision@10** of the class, with no labels: each test object queries the training
   objects (exact Euclidean 10-NN).
4. **Parameter recovery** from the same neighbours: the share of test objects whose neighbours'
   median ``period_days`` is within 5 % of theirs (those with a period under half their own light
   curve's baseline, the periodogram scalar ``baseline_days_log10``) and whose neighbours' median
   ``amplitude`` is within 20 % (those with a positive amplitude, CONSTANT stars left out).
5. **Cross-survey twins**: ground-based test objects (OGLE-, MACHO/ASAS-, ZTF-like) that are the
   twin of a space object query the space light curves (Kepler, TESS 2-min, TESS FFI) of the whole
   survey; recall@10 of the own twin.
6. **Several-example query**: for each class, the centroid of 5 test objects of that class (drawn
   with the same seeds; fewer where the class has fewer) queries the training objects; how many
   of its 25 nearest are of the class (per class and mean over classes; the anchor from the
   literature is 23 of 25).
7. **Cost**: the training (fit) time the run folder records in ``metrics.json``, and the
   embedding rate of the network alone (``encoder.embed`` on the inputs of the whole survey).

Baseline in the same run: the other runs; the features run is the non-neural one. Prints one
Markdown table (a row per run), the per-class table of the several-example query, the machine,
date and command; ``--json`` writes everything.

Usage: ``python benchmarks/encoders.py --runs runs/default runs/metric runs/features [--draws 5]
[--json FILE] [--workers 2] [--cache wavelets]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mixed_cadences import GROUND, SPACE, neighbours, precision
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from astrolens.periodogram import SCALAR_NAMES
from astrolens.runfolder import METRICS_FILE
from astrolens.runs import TrainedRun, load_run
from astrolens.simulate.survey import family
from astrolens.training import run_split, run_survey_data

PER_CLASS = (20, 100, 500)
"""Labelled training objects per class of the probes."""
IN_ALL = 200
"""Labelled training objects in all of the stratified probe."""
K = 10
"""Neighbours of the k-NN classifier, of precision@k, of parameter recovery and of twin recall."""
PERIOD_TOLERANCE = 0.05
AMPLITUDE_TOLERANCE = 0.20
EXAMPLES = 5
"""Test objects averaged into one several-example query."""
EXAMPLE_K = 25
"""Neighbours counted of a several-example query."""
LITERATURE_ANCHOR = 23
"""Of the 25 neighbours of a 5-example centroid, those of the class in the literature."""
SPLIT_FIELDS = ("survey", "survey_seed", "seed", "validation_fraction", "test_fraction")
"""The training configuration that fixes the survey and the split."""


@dataclass(frozen=True, eq=False)
class Embedded:
    """A run's embeddings of every object of its survey, with the split it was trained on.

    Attributes
    ----------
    name
        The run folder's name and its encoder's, for the tables.
    embeddings
        ``(N, dim)`` float32, in catalogue order.
    catalog
        The catalogue rows of the N objects.
    families
        The cadence family of each row.
    train, test
        Rows of the training and test sets.
    seconds_embedding
        Time of ``encoder.embed`` on the inputs of all N objects.
    baseline_days
        The time span of each object's light curve (periodogram scalar), by object id, or None
        when the run's representation has no periodogram.
    """

    name: str
    embeddings: NDArray[np.float32]
    catalog: pd.DataFrame
    families: NDArray[np.str_]
    train: NDArray[np.int64]
    test: NDArray[np.int64]
    seconds_embedding: float
    baseline_days: pd.Series | None

    @property
    def classes(self) -> NDArray[np.object_]:
        """The variability class of each row."""
        return self.catalog["class"].to_numpy(dtype=object)

    def ids(self, rows: NDArray[np.int64]) -> NDArray[np.object_]:
        """The object ids of some rows."""
        return self.catalog["object_id"].to_numpy(dtype=object)[rows]


def check_same_split(runs: dict[str, TrainedRun]) -> None:
    """Raise a ValueError naming the first run trained on another survey or split than the first.

    Examples
    --------
    >>> check_same_split({})
    """
    names = list(runs)
    for name in names[1:]:
        for field in SPLIT_FIELDS:
            mine, first = getattr(runs[name].config, field), getattr(runs[names[0]].config, field)
            if mine != first:
                raise ValueError(
                    f"{name}: trained with {field}={mine!r}, but {names[0]} with {first!r}; "
                    "compare runs of the same survey and split"
                )


def check_same_objects(embedded: dict[str, Embedded]) -> None:
    """Raise a ValueError naming the first run whose test or training objects differ."""
    names = list(embedded)
    first = embedded[names[0]]
    for name in names[1:]:
        for part in ("test", "train"):
            mine, theirs = embedded[name], first
            if not np.array_equal(mine.ids(getattr(mine, part)), theirs.ids(getattr(theirs, part))):
                raise ValueError(
                    f"{name}: its {part} objects differ from those of {names[0]} (a representation "
                    "that skips other light curves?); the runs cannot be compared on one test set"
                )


def embed_run(folder: str, run: TrainedRun, cache: str | None, workers: int) -> Embedded:
    """Embed every object of the run's survey and rebuild its split (see :class:`Embedded`)."""
    config = run.config
    data = run_survey_data(run, cache_root=cache, workers=workers)
    catalog = data.catalog.reset_index(drop=True)
    labels = np.array([run.class_names.index(label) for label in data.labels])
    split = run_split(data.object_ids, labels, config)
    inputs = run.encoder.model_inputs(data.arrays, config)
    started = time.perf_counter()
    embeddings = run.encoder.embed(inputs)
    seconds = time.perf_counter() - started
    return Embedded(
        name=f"{Path(folder).name} ({config.encoder})",
        embeddings=np.asarray(embeddings, dtype=np.float32),
        catalog=catalog,
        families=np.array([family(row) for row in catalog.to_dict("records")]),
        train=np.asarray(split.train),
        test=np.asarray(split.test),
        seconds_embedding=seconds,
        baseline_days=(
            light_curve_baselines(data.arrays, catalog) if "scalars" in data.arrays else None
        ),
    )


def light_curve_baselines(arrays: dict[str, NDArray[Any]], catalog: pd.DataFrame) -> pd.Series:
    """Each light curve's time span in days by object id, from the periodogram scalars."""
    days = 10.0 ** arrays["scalars"][:, SCALAR_NAMES.index("baseline_days_log10")]
    return pd.Series(days.astype(np.float64), index=catalog["object_id"].to_numpy())


def periodogram_baselines(run: TrainedRun, cache: str | None, workers: int) -> pd.Series:
    """Light-curve baselines from the ``periodogram`` representation of the run's survey."""
    data = run_survey_data(run, "periodogram", cache_root=cache, workers=workers)
    return light_curve_baselines(data.arrays, data.catalog.reset_index(drop=True))


def draw_labelled(
    labels: NDArray[np.object_], counts: dict[str, int], rng: np.random.Generator
) -> NDArray[np.int64]:
    """Positions of ``counts[class]`` objects of each class (fewer if it has fewer), at random."""
    chosen = []
    for name, count in counts.items():
        members = np.flatnonzero(labels == name)
        chosen.append(rng.choice(members, min(count, members.size), replace=False))
    return np.sort(np.concatenate(chosen))


def labelled_subsets(labels: NDArray[np.object_], draws: int) -> dict[str, list[NDArray[np.int64]]]:
    """The labelled training subsets of every probe, one per draw (seeds ``0 .. draws-1``).

    Examples
    --------
    >>> labels = np.array(["EA"] * 30 + ["EW"] * 3, dtype=object)
    >>> subsets = labelled_subsets(labels, 2)
    >>> list(subsets), [len(rows) for rows in subsets["20/class"]], len(subsets["200 in all"][0])
    (['20/class', '100/class', '500/class', '200 in all'], [23, 23], 33)
    """
    names = sorted(set(labels.tolist()))
    subsets: dict[str, list[NDArray[np.int64]]] = {}
    for n in PER_CLASS:
        subsets[f"{n}/class"] = [
            draw_labelled(labels, dict.fromkeys(names, n), np.random.default_rng(seed))
            for seed in range(draws)
        ]
    subsets[f"{IN_ALL} in all"] = []
    for seed in range(draws):
        rng = np.random.default_rng(seed)
        counts = np.full(len(names), IN_ALL // len(names))
        counts[rng.choice(len(names), IN_ALL % len(names), replace=False)] += 1
        subsets[f"{IN_ALL} in all"].append(
            draw_labelled(labels, dict(zip(names, counts.tolist(), strict=True)), rng)
        )
    return subsets


def probe_accuracy(
    train: NDArray[np.float32],
    train_labels: NDArray[np.object_],
    test: NDArray[np.float32],
    test_labels: NDArray[np.object_],
    seed: int,
) -> float:
    """Test accuracy of a logistic regression on standardised embeddings."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    return float(model.fit(train, train_labels).score(test, test_labels))


def knn_accuracy(
    train: NDArray[np.float32],
    train_labels: NDArray[np.object_],
    test: NDArray[np.float32],
    test_labels: NDArray[np.object_],
) -> float:
    """Test accuracy of a k-NN classifier (Euclidean) on the raw embeddings."""
    model = KNeighborsClassifier(n_neighbors=min(K, len(train_labels)))
    return float(model.fit(train, train_labels).score(test, test_labels))


def summary(values: list[float]) -> dict[str, Any]:
    """Mean and standard deviation (ddof 1; 0 for one draw) of the draws, and the draws."""
    spread = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"mean": round(float(np.mean(values)), 4), "std": round(spread, 4), "draws": values}


def label_efficiency(
    run: Embedded, subsets: dict[str, list[NDArray[np.int64]]]
) -> dict[str, dict[str, Any]]:
    """Probe and k-NN accuracy (mean ± std over the draws) for every labelled subset."""
    classes, embeddings = run.classes, run.embeddings
    train, train_labels = embeddings[run.train], classes[run.train]
    test, test_labels = embeddings[run.test], classes[run.test]
    probe: dict[str, list[float]] = {name: [] for name in subsets}
    knn: dict[str, list[float]] = {name: [] for name in subsets if name.endswith("/class")}
    tasks = [
        (name, seed, rows) for name, draws in subsets.items() for seed, rows in enumerate(draws)
    ]
    for name, seed, rows in tqdm(tasks, desc=f"probes {run.name}", unit="fit"):
        x, y = train[rows], train_labels[rows]
        probe[name].append(round(probe_accuracy(x, y, test, test_labels, seed), 4))
        if name in knn:
            knn[name].append(round(knn_accuracy(x, y, test, test_labels), 4))
    return {
        "probe": {name: summary(values) for name, values in probe.items()},
        "knn": {name: summary(values) for name, values in knn.items()},
    }


def neighbour_median(values: NDArray[np.float64], rows: NDArray[np.int64]) -> NDArray[np.float64]:
    """The median of ``values`` over each row of neighbours, NaNs left out (NaN where all are:
    neighbours without the parameter count as a miss)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN neighbours
        return np.array([np.nanmedian(values[row]) for row in rows])


def recovered_share(
    truth: NDArray[np.float64], found: NDArray[np.float64], tolerance: float
) -> dict[str, Any]:
    """The share of queries whose neighbours' median is within ``tolerance`` of the truth."""
    if truth.size == 0:
        return {"queries": 0, "within": None}
    within = np.abs(found / truth - 1.0) <= tolerance
    return {"queries": int(truth.size), "within": round(float(np.mean(within)), 4)}


def retrieval(run: Embedded, baselines: pd.Series) -> dict[str, Any]:
    """Precision@10 of the class, period and amplitude recovery of the test objects."""
    catalog, train, test = run.catalog, run.train, run.test
    found = train[neighbours(run.embeddings[train], run.embeddings[test])]
    periods = catalog["period_days"].to_numpy(dtype=np.float64)
    amplitudes = catalog["amplitude"].to_numpy(dtype=np.float64)
    span = baselines.reindex(catalog["object_id"].to_numpy()).to_numpy()
    with np.errstate(invalid="ignore"):
        periodic = np.isfinite(periods[test]) & (periods[test] < span[test] / 2)
        varying = (amplitudes[test] > 0) & (run.classes[test] != "CONSTANT")
    period = neighbour_median(periods, found[periodic])
    amplitude = neighbour_median(amplitudes, found[varying])
    return {
        "precision_at_10": round(precision(run.classes, found, run.classes[test]), 4),
        "period_within_5_percent": recovered_share(
            periods[test][periodic], period, PERIOD_TOLERANCE
        ),
        "amplitude_within_20_percent": recovered_share(
            amplitudes[test][varying], amplitude, AMPLITUDE_TOLERANCE
        ),
    }


def twin_recall(run: Embedded) -> dict[str, Any]:
    """Recall@10 of the space twin of each ground-based test twin among the space light curves."""
    twin_of = run.catalog["twin_of"].fillna("").to_numpy(dtype=object)
    test = run.test
    queries = test[(twin_of[test] != "") & np.isin(run.families[test], GROUND)]
    space = np.flatnonzero(np.isin(run.families, SPACE))
    if queries.size == 0 or space.size == 0:
        return {"queries": int(queries.size), "index": int(space.size), "recall_at_10": None}
    found = space[neighbours(run.embeddings[space], run.embeddings[queries])]
    hits = np.any(run.ids(found) == twin_of[queries][:, None], axis=1)
    return {
        "queries": int(queries.size),
        "index": int(space.size),
        "recall_at_10": round(float(np.mean(hits)), 4),
    }


def example_draws(labels: NDArray[np.object_], draws: int) -> dict[str, list[NDArray[np.int64]]]:
    """For each class, the positions of :data:`EXAMPLES` of its objects per draw (seeded)."""
    names = sorted(set(labels.tolist()))
    chosen: dict[str, list[NDArray[np.int64]]] = {name: [] for name in names}
    for seed in range(draws):
        rng = np.random.default_rng(seed)
        for name in names:
            chosen[name].append(draw_labelled(labels, {name: EXAMPLES}, rng))
    return chosen


def several_example_query(
    run: Embedded, examples: dict[str, list[NDArray[np.int64]]]
) -> dict[str, float]:
    """Per class, how many of the 25 training neighbours of a 5-example centroid are of the class
    (mean over the draws)."""
    test = run.embeddings[run.test]
    names = [name for name, draws in examples.items() for _ in draws]
    centroids = np.stack([test[rows].mean(axis=0) for draws in examples.values() for rows in draws])
    k = min(EXAMPLE_K, run.train.size)
    found = neighbours(run.embeddings[run.train], centroids, k)
    same = (run.classes[run.train][found] == np.array(names, dtype=object)[:, None]).sum(axis=1)
    return {name: round(float(np.mean(same[np.array(names) == name])), 2) for name in examples}


def training_seconds(folder: str) -> float | None:
    """The fit time the run folder records (``metrics.json``: ``timing_seconds.fit``), or None."""
    path = Path(folder) / METRICS_FILE
    if not path.exists():
        return None
    fit = json.loads(path.read_text()).get("timing_seconds", {}).get("fit")
    return None if fit is None else float(fit)


def evaluate(
    folder: str,
    run: Embedded,
    baselines: pd.Series,
    subsets: dict[str, list[NDArray[np.int64]]],
    examples: dict[str, list[NDArray[np.int64]]],
) -> dict[str, Any]:
    """Every metric of one run (see the module description)."""
    per_class = several_example_query(run, examples)
    return {
        "name": run.name,
        "run": folder,
        "test_objects": int(run.test.size),
        "training_objects": int(run.train.size),
        **label_efficiency(run, subsets),
        **retrieval(run, baselines),
        "twins": twin_recall(run),
        "several_example": {
            "mean_of_classes": round(float(np.mean(list(per_class.values()))), 2),
            "per_class": per_class,
        },
        "training_seconds": training_seconds(folder),
        "embeddings_per_second": round(len(run.embeddings) / run.seconds_embedding, 1),
    }


def shown(value: float | None, digits: int = 3) -> str:
    """A number for the table, ``n/a`` for none."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def shown_summary(entry: dict[str, Any]) -> str:
    return f"{entry['mean']:.3f} ± {entry['std']:.3f}"


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, the first column left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main_table(results: list[dict[str, Any]]) -> str:
    header = ["run", *(f"probe {n}/class" for n in PER_CLASS), f"probe {IN_ALL} in all"]
    header += [f"kNN {n}/class" for n in PER_CLASS]
    header += ["p@10", "period 5 %", "amplitude 20 %", "twin R@10"]
    header += [f"{EXAMPLES}-example top-{EXAMPLE_K}", "training s", "embeddings/s"]
    rows = []
    for entry in results:
        rows.append(
            [
                entry["name"],
                *(shown_summary(value) for value in entry["probe"].values()),
                *(shown_summary(value) for value in entry["knn"].values()),
                shown(entry["precision_at_10"]),
                shown(entry["period_within_5_percent"]["within"]),
                shown(entry["amplitude_within_20_percent"]["within"]),
                shown(entry["twins"]["recall_at_10"]),
                shown(entry["several_example"]["mean_of_classes"], 1),
                shown(entry["training_seconds"], 1),
                shown(entry["embeddings_per_second"], 0),
            ]
        )
    return markdown(header, rows)


def class_table(results: list[dict[str, Any]], class_order: tuple[str, ...]) -> str:
    header = ["class", *(entry["name"] for entry in results)]
    per_run = [entry["several_example"]["per_class"] for entry in results]
    names = [name for name in class_order if name in per_run[0]]
    rows = [[name, *(shown(counts[name], 1) for counts in per_run)] for name in names]
    rows.append(["**mean**", *(shown(e["several_example"]["mean_of_classes"], 1) for e in results)])
    return markdown(header, rows)


def queries_line(entry: dict[str, Any]) -> str:
    return (
        f"{entry['test_objects']} test objects, {entry['training_objects']} training references; "
        f"period queries {entry['period_within_5_percent']['queries']}, amplitude queries "
        f"{entry['amplitude_within_20_percent']['queries']}, twin queries "
        f"{entry['twins']['queries']} among {entry['twins']['index']} space light curves"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", required=True, help="run folders to compare")
    parser.add_argument("--draws", type=int, default=5, help="random draws (seeds 0 .. draws-1)")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes computing representations"
    )
    parser.add_argument("--cache", default="wavelets", help="cache root of the representations")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    started = time.perf_counter()
    runs = {folder: load_run(folder) for folder in args.runs}
    check_same_split(runs)
    embedded = {
        folder: embed_run(folder, run, args.cache, args.workers) for folder, run in runs.items()
    }
    check_same_objects(embedded)
    found = [e.baseline_days for e in embedded.values() if e.baseline_days is not None]
    first_folder, first = args.runs[0], embedded[args.runs[0]]
    baselines = (
        found[0] if found else periodogram_baselines(runs[first_folder], args.cache, args.workers)
    )
    subsets = labelled_subsets(first.classes[first.train], args.draws)
    examples = example_draws(first.classes[first.test], args.draws)
    results = [
        evaluate(folder, embedded[folder], baselines, subsets, examples) for folder in args.runs
    ]
    config = runs[first_folder].config
    report = {
        "survey": config.survey,
        "survey_seed": config.survey_seed,
        "split_seed": config.seed,
        "draws": args.draws,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "command": "python " + shlex.join(sys.argv),
        "runs": results,
    }
    print(f"\nEncoders on the test set of {config.survey} (split seed {config.seed})")
    print(queries_line(results[0]))
    print(f"mean ± std over {args.draws} draws\n")
    print(main_table(results))
    print(
        f"\nSeveral-example query: of the {EXAMPLE_K} training neighbours of the centroid of "
        f"{EXAMPLES} test objects of a class, those of the class (literature: "
        f"{LITERATURE_ANCHOR} of {EXAMPLE_K})\n"
    )
    print(class_table(results, runs[first_folder].class_names))
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n{report['machine']}, {report['date']}, {report['seconds']} s: `{report['command']}`")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
