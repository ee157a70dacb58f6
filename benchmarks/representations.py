"""Which representation of a light curve finds its kind across surveys? k-NN, no network.

Candidate representations of the same light curves, each flattened to one vector per object and
standardised (per dimension, with the mean and standard deviation of the references only), are
compared by exact Euclidean k-nearest-neighbour search (``faiss.IndexFlatL2``), so that the choice
of what an encoder reads is made by measurement before any network is trained:

a. ``wavelet``: the wavelet power image times its mask (dense light curves only: a sparse
   ground-based light curve has no uniform grid, so the candidate cannot represent it);
b. ``periodogram spectrum``: the periodogram's power, spectral window and coverage;
c. ``periodogram + folds + scalars``: b, the two folded light curves (2 x 32) and the scalars;
d. ``dm-dt``: the dm-dt map of the cleaned epochs (:func:`astrolens.periodogram.dmdt_image`);
e. ``features``: the hand-crafted features (the ``features`` encoder's input);
f. ``periodogram + dm-dt``: b and d side by side.

Data: a seeded, class-stratified subset of ``--objects`` rows of the simulated mixed-cadence
survey (``demo-mixed``: Kepler, TESS 2-min, TESS FFI and OGLE-, MACHO/ASAS- and ZTF-like
ground-based light curves), to which the space object of every ground-based twin in it is added,
split 50/50 by class into references and queries (``astrolens.splits.stratified_split``).

Measured for every candidate, on the queries:

1. precision@10 of the class among the references (all families), per cadence family of the
   query, and over all queries; the accuracy of the 10 neighbours' majority vote;
2. cross-survey retrieval: each ground-based twin query searched among the space objects of the
   subset (references and queries): recall@10 of its own twin, precision@10 of the class;
3. period recovery: ground-based queries with a period under half their baseline, the share
   whose 10 neighbours among the references have a median ``period_days`` within 5 %.

A light curve a candidate cannot represent is a failure (precision 0, a wrong vote, no twin, no
period) and is counted in ``missing``; a family none of whose queries it represents shows "n/a"
(it counts 0 in the overall figures). Baseline, in the same run: the class prior, i.e. 10
references drawn at random for each query (the mean of 50 seeded draws; for twins, 10 space
objects).

Usage: ``python benchmarks/representations.py [--objects 3000] [--workers 2] [--json F]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import faiss
import numpy as np
import pandas as pd

from astrolens.datasets import parallel_map
from astrolens.errors import InvalidLightCurve
from astrolens.modalities.base import Item
from astrolens.modalities.lightcurve import LightCurveModality
from astrolens.periodogram import dmdt_image
from astrolens.simulate import GROUND_MODES, MODES, generate_catalog
from astrolens.simulate.cache import survey_config
from astrolens.simulate.survey import family, source_arrays
from astrolens.splits import stratified_split

SURVEY = "demo-mixed"
FAMILIES = tuple(dict.fromkeys(mode.family for mode in MODES.values()))
GROUND = tuple(dict.fromkeys(mode.family for mode in GROUND_MODES.values()))
K = 10
TOLERANCE = 0.05
RANDOM_DRAWS = 50
ROWS_PER_TASK = 8
CANDIDATES = {
    "wavelet": ("wavelet",),
    "periodogram spectrum": ("spectrum",),
    "periodogram + folds + scalars": ("spectrum", "folds", "scalars"),
    "dm-dt": ("dmdt",),
    "features": ("features",),
    "periodogram + dm-dt": ("spectrum", "dmdt"),
}
"""Each candidate by name: the parts (below) its vector concatenates."""
PRIOR = "class prior (random references)"


def wavelet_parts(modality: LightCurveModality, item: Item) -> dict[str, np.ndarray]:
    if not modality.is_dense(item):
        raise InvalidLightCurve(item.label, "sparse: no uniform grid for the wavelet transform")
    arrays = modality.represent(item, "wavelet")
    return {"wavelet": (arrays["image"] * arrays["mask"]).ravel()}


def periodogram_parts(modality: LightCurveModality, item: Item) -> dict[str, np.ndarray]:
    arrays = modality.represent(item, "periodogram")
    spectrum = np.concatenate([arrays["power"], arrays["window"], arrays["coverage"]])
    return {"spectrum": spectrum, "folds": arrays["folded"].ravel(), "scalars": arrays["scalars"]}


def dmdt_parts(modality: LightCurveModality, item: Item) -> dict[str, np.ndarray]:
    time_days, flux, _ = modality.samples(item)
    return {"dmdt": dmdt_image(time_days, flux, source=item.label).ravel()}


def features_parts(modality: LightCurveModality, item: Item) -> dict[str, np.ndarray]:
    return {"features": modality.represent(item, "features")["features"]}


REPRESENTATIONS = {
    "wavelet": (wavelet_parts, ("wavelet",)),
    "periodogram": (periodogram_parts, ("spectrum", "folds", "scalars")),
    "dm-dt": (dmdt_parts, ("dmdt",)),
    "features": (features_parts, ("features",)),
}
"""What is computed per light curve: the function and the parts it gives."""


class Represented(NamedTuple):
    """One light curve's parts (float32 vectors), why the others are missing, its baseline."""

    parts: dict[str, np.ndarray]
    missing: dict[str, str]
    baseline_days: float


def represent_rows(rows: list[dict[str, Any]]) -> list[Represented]:
    """Regenerate the light curves of catalogue rows and compute every representation."""
    modality = LightCurveModality()
    return [represent_row(modality, row) for row in rows]


def represent_row(modality: LightCurveModality, row: Mapping[str, Any]) -> Represented:
    item = modality.load(source_arrays(row))
    try:
        time_days = modality.samples(item)[0]
    except InvalidLightCurve as error:
        return Represented({}, dict.fromkeys(REPRESENTATIONS, error.reason), float("nan"))
    parts: dict[str, np.ndarray] = {}
    missing: dict[str, str] = {}
    for name, (compute, _) in REPRESENTATIONS.items():
        try:
            computed = compute(modality, item)
        except InvalidLightCurve as error:
            missing[name] = error.reason
            continue
        if all(np.isfinite(vector).all() for vector in computed.values()):
            parts.update({part: vector.astype(np.float32) for part, vector in computed.items()})
        else:
            missing[name] = "non-finite values"
    return Represented(parts, missing, float(time_days[-1] - time_days[0]))


@dataclass
class Subset:
    """The objects compared: catalogue rows, their split and what is known of each."""

    catalog: pd.DataFrame
    references: np.ndarray
    queries: np.ndarray
    baseline_days: np.ndarray
    families: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.families = np.array([family(row) for row in self.catalog.to_dict("records")])

    def column(self, name: str) -> np.ndarray:
        return self.catalog[name].to_numpy()

    @property
    def twin_queries(self) -> np.ndarray:
        """Queries that are ground-based twins of a space object of the subset."""
        queries = self.queries
        return queries[(self.column("twin_of")[queries] != "") & self.is_ground(queries)]

    @property
    def space_rows(self) -> np.ndarray:
        return np.flatnonzero(~self.is_ground(np.arange(len(self.catalog))))

    @property
    def period_queries(self) -> np.ndarray:
        """Positions among the queries of the ground-based ones whose period the light curve
        holds twice."""
        queries = self.queries
        period = self.column("period_days")[queries]
        with np.errstate(invalid="ignore"):
            holds = period < self.baseline_days[queries] / 2
        return np.flatnonzero(self.is_ground(queries) & np.isfinite(period) & holds)

    def is_ground(self, rows: np.ndarray) -> np.ndarray:
        return np.isin(self.families[rows], GROUND)


def stratified_subset(catalog: pd.DataFrame, n_objects: int, seed: int) -> tuple[pd.DataFrame, int]:
    """``n_objects`` rows drawn at random in proportion to the classes, plus the space object of
    every ground-based twin among them; returns the rows and how many twins' objects were added."""
    rng = np.random.default_rng(seed)
    classes = catalog["class"].to_numpy()
    names, counts = np.unique(classes, return_counts=True)
    quota = n_objects * counts / counts.sum()
    take = np.floor(quota).astype(int)
    take[np.argsort(take - quota)[: n_objects - take.sum()]] += 1
    chosen = np.concatenate(
        [
            rng.permutation(np.flatnonzero(classes == name))[:n]
            for name, n in zip(names, take, strict=True)
        ]
    )
    twin_of = catalog["twin_of"].to_numpy()[chosen]
    twins = np.flatnonzero(catalog["object_id"].isin(twin_of[twin_of != ""]).to_numpy())
    rows = np.union1d(chosen, twins)
    return catalog.iloc[rows].reset_index(drop=True), rows.size - chosen.size


def neighbours(references: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Positions of the ``K`` nearest references of each query (exact, Euclidean)."""
    index = faiss.IndexFlatL2(references.shape[1])
    index.add(np.ascontiguousarray(references, dtype=np.float32))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), K)[1]


def standardised(vectors: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Vectors less the references' mean, over their standard deviation (1 where it is 0)."""
    mean = vectors[references].mean(axis=0, dtype=np.float64)
    scale = vectors[references].std(axis=0, dtype=np.float64)
    scale[scale == 0] = 1.0
    return ((vectors - mean) / scale).astype(np.float32)


def search(vectors: np.ndarray, present: np.ndarray, index_rows: np.ndarray, query_rows):
    """Rows of the ``K`` neighbours of each query among the index rows that are present; -1 for
    a query that is not."""
    index_rows = index_rows[present[index_rows]]
    found = np.full((query_rows.size, K), -1)
    ok = present[query_rows]
    if ok.any() and index_rows.size >= K:
        found[ok] = index_rows[neighbours(vectors[index_rows], vectors[query_rows[ok]])]
    return found


def majority(labels: np.ndarray) -> str:
    """The most frequent label; a tie goes to the one found first (nearest)."""
    counts = Counter(labels.tolist())
    top = max(counts.values())
    return next(label for label in labels if counts[label] == top)


def median_period(periods: np.ndarray) -> float:
    finite = periods[np.isfinite(periods)]
    return float(np.median(finite)) if finite.size else float("nan")


def scores(found: np.ndarray, found_twins: np.ndarray, subset: Subset) -> dict[str, Any]:
    """The figures of one candidate from its neighbours (-1 rows: queries it cannot represent,
    failures); ``None`` where it represents no query of the group."""
    classes, queries = subset.column("class"), subset.queries
    ok = found[:, 0] >= 0
    precision = np.zeros(queries.size)
    precision[ok] = np.mean(classes[found[ok]] == classes[queries[ok]][:, None], axis=1)
    per_family = {}
    for name in FAMILIES:
        at = subset.families[queries] == name
        per_family[name] = float(np.mean(precision[at])) if ok[at].any() else None
    votes = np.array([majority(classes[row]) if row[0] >= 0 else "" for row in found])

    twins, twin_ok = subset.twin_queries, found_twins[:, 0] >= 0
    object_ids, twin_of = subset.column("object_id"), subset.column("twin_of")
    recall = [
        has and twin_of[query] in object_ids[row]
        for query, row, has in zip(twins, found_twins, twin_ok, strict=True)
    ]
    twin_precision = np.zeros(twins.size)
    twin_precision[twin_ok] = np.mean(
        classes[found_twins[twin_ok]] == classes[twins[twin_ok]][:, None], axis=1
    )

    at = subset.period_queries
    periods = subset.column("period_days")
    recovered = np.array(
        [median_period(periods[row]) if row[0] >= 0 else np.nan for row in found[at]]
    )
    with np.errstate(invalid="ignore"):
        within = np.abs(recovered / periods[queries[at]] - 1.0) <= TOLERANCE
    return {
        "precision_at_10": per_family,
        "precision_at_10_all": float(np.mean(precision)),
        "accuracy": float(np.mean(votes == classes[queries])),
        "twin_recall_at_10": float(np.mean(recall)) if twin_ok.any() else None,
        "twin_precision_at_10": float(np.mean(twin_precision)) if twin_ok.any() else None,
        "period_within_5_percent": float(np.mean(within)) if ok[at].any() else None,
    }


def class_prior(subset: Subset, seed: int) -> dict[str, Any]:
    """:func:`scores` of neighbours drawn at random (references; space objects for twins), the
    mean of ``RANDOM_DRAWS`` seeded draws."""
    rng = np.random.default_rng(seed)
    space = subset.space_rows
    draws = []
    for _ in range(RANDOM_DRAWS):
        found = subset.references[random_rows(rng, subset.queries.size, subset.references.size)]
        found_twins = space[random_rows(rng, subset.twin_queries.size, space.size)]
        draws.append(scores(found, found_twins, subset))
    return mean_scores(draws)


def random_rows(rng: np.random.Generator, n_queries: int, n_rows: int) -> np.ndarray:
    """``K`` distinct positions out of ``n_rows`` for each query."""
    return np.argpartition(rng.random((n_queries, n_rows)), K - 1, axis=1)[:, :K]


def mean_scores(draws: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(values: list[Any]) -> Any:
        if isinstance(values[0], dict):
            return {key: mean([value[key] for value in values]) for key in values[0]}
        return None if values[0] is None else float(np.mean(values))

    return mean(draws)


def assemble(represented: list[Represented]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each part as one ``(objects, size)`` array (zeros where missing) and where it is present."""
    parts = [part for _, names in REPRESENTATIONS.values() for part in names]
    arrays, present = {}, {}
    for part in parts:
        present[part] = np.array([part in one.parts for one in represented])
        size = next((one.parts[part].size for one in represented if part in one.parts), 0)
        arrays[part] = np.zeros((len(represented), size), dtype=np.float32)
        for row in np.flatnonzero(present[part]):
            arrays[part][row] = represented[row].parts[part]
    return arrays, present


def evaluate(arrays, present, subset: Subset) -> dict[str, dict[str, Any]]:
    """The figures of every candidate, and how many objects (per family) each cannot represent."""
    results = {}
    for name, parts in CANDIDATES.items():
        vectors = np.hstack([arrays[part] for part in parts])
        has = np.logical_and.reduce([present[part] for part in parts])
        represented_references = subset.references[has[subset.references]]
        if represented_references.size:
            vectors = standardised(vectors, represented_references)
        found = search(vectors, has, subset.references, subset.queries)
        found_twins = search(vectors, has, subset.space_rows, subset.twin_queries)
        results[name] = {
            "missing": int((~has).sum()),
            "missing_per_family": {
                family_name: int((~has & (subset.families == family_name)).sum())
                for family_name in FAMILIES
            },
            **scores(found, found_twins, subset),
        }
    return results


def missing_reasons(represented: list[Represented], families: np.ndarray) -> dict[str, Any]:
    """Per representation: how many light curves it is missing for, by family and by reason."""
    reasons: dict[str, Any] = {}
    for name in REPRESENTATIONS:
        rows = [row for row, one in enumerate(represented) if name in one.missing]
        reasons[name] = {
            "missing": len(rows),
            "per_family": dict(Counter(families[rows].tolist())),
            "reasons": dict(Counter(represented[row].missing[name] for row in rows)),
        }
    return reasons


def rounded(value: Any) -> Any:
    """The report with its figures to 4 decimals."""
    if isinstance(value, dict):
        return {key: rounded(entry) for key, entry in value.items()}
    return round(value, 4) if isinstance(value, float) else value


def figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def table(results: dict[str, dict[str, Any]], subset: Subset) -> str:
    """The printed table: a row per candidate and the class prior, a column per figure."""
    headers = [
        *(name.removesuffix("-like") for name in FAMILIES),
        "p@10 all",
        "x prior",
        "accuracy",
        "twin R@10",
        "twin p@10",
        "period 5%",
        "missing",
    ]
    queries = subset.families[subset.queries]
    counts = [
        *(int(np.sum(queries == name)) for name in FAMILIES),
        subset.queries.size,
        subset.queries.size,
        subset.queries.size,
        subset.twin_queries.size,
        subset.twin_queries.size,
        subset.period_queries.size,
        len(subset.catalog),
    ]
    width = max(len(name) for name in results) + 2
    prior = results[PRIOR]["precision_at_10_all"]
    lines = [
        "".join([" " * width, *(f"{header:>11}" for header in headers)]),
        "".join([f"{'n (queries; objects)':<{width}}", *(f"{n:>11}" for n in counts)]),
    ]
    for name, result in results.items():
        values = [
            *(figure(result["precision_at_10"][family_name]) for family_name in FAMILIES),
            figure(result["precision_at_10_all"]),
            f"{result['precision_at_10_all'] / prior:.1f}x",
            figure(result["accuracy"]),
            figure(result["twin_recall_at_10"]),
            figure(result["twin_precision_at_10"]),
            figure(result["period_within_5_percent"]),
            str(result.get("missing", "")),
        ]
        lines.append("".join([f"{name:<{width}}", *(f"{value:>11}" for value in values)]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=3000, help="objects drawn (default 3000)")
    parser.add_argument("--workers", type=int, default=2, help="processes computing them")
    parser.add_argument("--seed", type=int, default=0, help="seed of the subset and the split")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    started = time.perf_counter()
    catalog = generate_catalog(survey_config(SURVEY))
    rows, added = stratified_subset(catalog, args.objects, args.seed)
    records = rows.to_dict("records")
    tasks = [
        records[start : start + ROWS_PER_TASK] for start in range(0, len(records), ROWS_PER_TASK)
    ]
    computing = time.perf_counter()
    represented = [
        one for chunk in parallel_map(represent_rows, tasks, args.workers) for one in chunk
    ]
    computing = time.perf_counter() - computing
    split = stratified_split(rows["object_id"], rows["class"], 0.0, 0.5, args.seed)
    queries = np.asarray(split.test)
    subset = Subset(
        rows,
        references=np.setdiff1d(np.arange(len(rows)), queries),
        queries=queries,
        baseline_days=np.array([one.baseline_days for one in represented]),
    )
    arrays, present = assemble(represented)
    results = evaluate(arrays, present, subset)
    results[PRIOR] = class_prior(subset, args.seed)
    seconds = time.perf_counter() - started
    report = {
        "survey": SURVEY,
        "objects": len(rows),
        "objects_drawn": args.objects,
        "twins_added": added,
        "references": int(subset.references.size),
        "queries": int(subset.queries.size),
        "k": K,
        "seed": args.seed,
        "candidates": results,
        "missing_by_representation": missing_reasons(represented, subset.families),
        "seconds": round(seconds, 1),
        "seconds_representing": round(computing, 1),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        "command": " ".join(["python", *sys.argv]),
    }
    print(
        f"Representations compared by exact {K}-NN (Euclidean, standardised on the references): "
        f"{len(rows)} objects of {SURVEY} ({args.objects} drawn by class + {added} space "
        f"twins), {subset.references.size} references, {subset.queries.size} queries, seed "
        f"{args.seed}"
    )
    print("precision@10 of the class per query family, majority-vote accuracy, cross-survey twin")
    print("retrieval, ground-based period recovery; missing = objects a candidate cannot represent")
    print("(failures: scored 0, n/a where it represents no query of the column)\n")
    print(table(results, subset))
    print()
    for name, missing in report["missing_by_representation"].items():
        families = ", ".join(f"{key} {n}" for key, n in missing["per_family"].items())
        reasons = "; ".join(f"{reason}: {n}" for reason, n in missing["reasons"].items())
        detail = f" ({families}; {reasons})" if reasons else ""
        print(f"{name}: missing for {missing['missing']} objects{detail}")
    print(
        f"\n{seconds:.1f} s ({computing:.1f} s computing the representations, "
        f"{args.workers} worker(s)); {report['machine']}, Python {report['python']}; "
        f"{report['date']}; {report['command']}"
    )
    if args.json:
        args.json.write_text(json.dumps(rounded(report), indent=2) + "\n")


if __name__ == "__main__":
    main()
