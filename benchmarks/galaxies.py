"""Galaxy-image encoders side by side: label efficiency, retrieval, orientation, real images, cost.

Trained galaxy runs (``--runs``, e.g. the contrastive and the supervised encoder, and the
morphology baseline ``morphology_galaxy``: standardised CAS, Gini-M20 and colours, no network),
all on the same simulated survey with the same split, and a non-neural baseline computed here (the
first 64 principal components of the normalised cutouts' pixels, fitted on the training rows),
compared on the held-out test rows of the split (``astrolens.training.run_split``). Each run
embeds the cutouts through its own representation (a network the pictures, the morphology
baseline the numbers measured on them):

1. **Linear probe** and **k-NN accuracy** with 20, 100 and 500 labelled training galaxies per
   class and 200 in all (``benchmarks/encoders.py``'s functions, seeds ``0 .. draws-1``).
2. **Retrieval precision@10** of the class: each test galaxy queries the training galaxies.
3. **Several-example query**: per class, the centroid of 5 test galaxies queries the training
   galaxies; how many of its 25 nearest are of the class.
4. **Orientation**: ``--turned`` test galaxies, each turned by 90 degrees, by 180 degrees, and
   mirrored, query the embeddings of the whole survey: the share whose nearest neighbour is the
   original (the target: >= 0.99).
5. **Real images** (when the Debian package ``stellarium-data`` is there, see
   ``astrolens.sources.stellarium``): every Stellarium deep-sky image embedded; each queries the
   others (leave one out): precision@5 of the object kind (galaxy, globular cluster, planetary
   nebula, open cluster, nebula) and, among the galaxies with a Hubble type, of the coarse type
   (E/S0, S/SB, Irr), against the class prior (the precision of neighbours drawn at random:
   the sum of the squared shares of the kinds).
6. **Cost**: the run's training time (``metrics.json``) and the embedding rate (for the
   morphology baseline, measuring the pictures' numbers in this process).

Prints Markdown tables, the machine, date and command; ``--json`` writes everything.

Usage: ``python benchmarks/galaxies.py --runs runs/galaxy-contrastive runs/galaxy-supervised
runs/galaxy-morphology [--draws 5] [--turned 500] [--json FILE] [--cache wavelets]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from encoders import (
    EXAMPLE_K,
    EXAMPLES,
    IN_ALL,
    PER_CLASS,
    Embedded,
    example_draws,
    label_efficiency,
    labelled_subsets,
    markdown,
    several_example_query,
    shown,
    shown_summary,
    training_seconds,
)
from mixed_cadences import neighbours, precision
from numpy.typing import NDArray
from sklearn.decomposition import PCA
from tqdm.auto import tqdm

from astrolens.cutouts import normalised_cutouts
from astrolens.datasets import survey_data
from astrolens.runs import TrainedRun, load_run
from astrolens.simulate.cache import survey_config
from astrolens.sources.stellarium import stellarium_catalog, stellarium_folder
from astrolens.training import run_split

K = 10
REAL_K = 5
"""Neighbours of the real-image precision."""
TARGET_ORIENTATION = 0.99


class PixelBaseline:
    """The non-neural baseline: the first 64 principal components of the normalised cutouts'
    pixels (fitted on the training rows)."""

    def __init__(self, pictures: NDArray[np.float32], train: NDArray[np.int64]) -> None:
        flat = normalised_cutouts(pictures[train]).reshape(len(train), -1)
        self.pca = PCA(64, random_state=0).fit(flat)

    def embed(self, pictures: NDArray[np.float32]) -> NDArray[np.float32]:
        flat = normalised_cutouts(pictures).reshape(len(pictures), -1)
        return self.pca.transform(flat).astype(np.float32)


def survey_pictures(run: TrainedRun, cache: str | None, workers: int) -> tuple[Any, Any, Any]:
    """The survey's cutouts, catalogue and the run's split."""
    config = run.config
    data = survey_data(
        survey_config(config.survey, config.survey_seed),
        "cutout",
        cache_root=cache,
        workers=workers,
    )
    labels = np.array([run.class_names.index(label) for label in data.labels])
    split = run_split(data.object_ids, labels, config)
    return data.arrays["cutout"], data.catalog.reset_index(drop=True), split


def embedded(
    name: str, embed: Any, pictures: NDArray[np.float32], catalog: pd.DataFrame, split: Any
) -> Embedded:
    started = time.perf_counter()
    vectors = np.concatenate(
        [
            embed(pictures[start : start + 2048])
            for start in tqdm(
                range(0, len(pictures), 2048), desc=f"embed {name}", unit="batch", disable=None
            )
        ]
    )
    return Embedded(
        name=name,
        embeddings=np.asarray(vectors, dtype=np.float32),
        catalog=catalog,
        families=np.full(len(catalog), "galaxies"),
        train=np.asarray(split.train),
        test=np.asarray(split.test),
        seconds_embedding=time.perf_counter() - started,
        baseline_days=None,
    )


def orientation(
    run: Embedded, embed: Any, pictures: NDArray[np.float32], n: int
) -> dict[str, float]:
    """Share of ``n`` test galaxies whose turned or mirrored cutout finds the original first."""
    rows = np.random.default_rng(0).choice(run.test, min(n, run.test.size), replace=False)
    changes = {
        "turned 90": lambda x: np.rot90(x, 1, axes=(1, 2)),
        "turned 180": lambda x: np.rot90(x, 2, axes=(1, 2)),
        "mirrored": lambda x: x[:, :, ::-1],
    }
    found = {}
    for name, change in changes.items():
        queries = embed(np.ascontiguousarray(change(pictures[rows])))
        first = neighbours(run.embeddings, queries, 1)[:, 0]
        found[name] = round(float(np.mean(first == rows)), 4)
    return found


def real_images(embed: Any) -> dict[str, Any] | None:
    """Leave-one-out precision@5 of object kind and coarse Hubble type among the Stellarium
    images, and the class prior (None without the package)."""
    from astrolens.modalities.galaxy import GalaxyImageModality

    if stellarium_folder() is None:
        return None
    table = stellarium_catalog()
    modality = GalaxyImageModality()
    pictures = np.stack(
        [
            modality.load(path).data
            for path in tqdm(table["path"], desc="Stellarium", unit="img", disable=None)
        ]
    )
    vectors = embed(pictures)
    found = neighbours(vectors, vectors, REAL_K + 1)[:, 1:]  # the first is itself
    result: dict[str, Any] = {"n_images": len(table)}
    kinds = table["object_kind"].to_numpy(dtype=object)
    known = np.isin(kinds, KINDS)
    result["object_kind"] = _scored(kinds, found, known)
    coarse = table["coarse_hubble"].to_numpy(dtype=object)
    galaxies = (kinds == "galaxy") & (coarse != "")
    galaxy_rows = np.flatnonzero(galaxies)
    among = neighbours(vectors[galaxy_rows], vectors[galaxy_rows], REAL_K + 1)[:, 1:]
    result["coarse_hubble"] = _scored(coarse[galaxy_rows], among, np.ones(galaxy_rows.size, bool))
    return result


KINDS = ("galaxy", "globular cluster", "planetary nebula", "open cluster", "nebula")


def _scored(labels: NDArray[np.object_], found: NDArray[np.int64], rows: NDArray[np.bool_]):
    shares = pd.Series(labels[rows]).value_counts(normalize=True)
    return {
        "n": int(rows.sum()),
        "precision_at_5": round(precision(labels, found[rows], labels[rows]), 4),
        "class_prior": round(float(np.sum(shares.to_numpy() ** 2)), 4),
        "counts": pd.Series(labels[rows]).value_counts().to_dict(),
    }


def evaluate(
    name: str,
    run: Embedded,
    embed: Any,
    pictures: NDArray[np.float32],
    args: argparse.Namespace,
    seconds_training: float | None,
) -> dict[str, Any]:
    classes = run.classes
    subsets = labelled_subsets(classes[run.train], args.draws)  # positions among the training rows
    efficiency = label_efficiency(run, subsets)
    found = neighbours(run.embeddings[run.train], run.embeddings[run.test], K)
    result = {
        "name": name,
        **efficiency,
        "precision_at_10": round(precision(classes[run.train], found, classes[run.test]), 4),
        "several_example": _several(run, args.draws),
        "orientation": orientation(run, embed, pictures, args.turned),
        "real_images": real_images(embed),
        "training_seconds": seconds_training,
        "embeddings_per_second": round(len(pictures) / run.seconds_embedding, 1),
    }
    return result


def _several(run: Embedded, draws: int) -> dict[str, Any]:
    examples = example_draws(run.classes[run.test], draws)
    per_class = several_example_query(run, examples)
    return {
        "per_class": per_class,
        "mean_of_classes": round(float(np.mean(list(per_class.values()))), 2),
    }


def _embedder(run: TrainedRun) -> Any:
    """Embeddings of pictures ``(N, 64, 64, 3)`` through the run's representation of them."""

    def embed(pictures: NDArray[np.float32]) -> NDArray[np.float32]:
        return run.embed(run.modality.represent_pictures(pictures, run.representation))

    return embed


def main_table(results: list[dict[str, Any]]) -> str:
    header = ["run", *(f"probe {n}/class" for n in PER_CLASS), f"probe {IN_ALL} in all"]
    header += ["p@10", f"{EXAMPLES}-ex top-{EXAMPLE_K}", "turned 90", "mirrored"]
    header += ["real kind p@5", "real Hubble p@5", "training s", "images/s"]
    rows = []
    for entry in results:
        real = entry["real_images"]
        rows.append(
            [
                entry["name"],
                *(shown_summary(value) for value in entry["probe"].values()),
                shown(entry["precision_at_10"]),
                shown(entry["several_example"]["mean_of_classes"], 1),
                shown(entry["orientation"]["turned 90"]),
                shown(entry["orientation"]["mirrored"]),
                shown(real["object_kind"]["precision_at_5"]) if real else "n/a",
                shown(real["coarse_hubble"]["precision_at_5"]) if real else "n/a",
                shown(entry["training_seconds"], 1),
                shown(entry["embeddings_per_second"], 0),
            ]
        )
    return markdown(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", nargs="+", required=True, help="galaxy run folders")
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--turned", type=int, default=500, help="test galaxies turned")
    parser.add_argument("--cache", default="wavelets")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    runs = {folder: load_run(folder) for folder in args.runs}
    first = next(iter(runs.values()))
    pictures, catalog, split = survey_pictures(first, args.cache, args.workers)
    results = []
    for folder, run in runs.items():
        _, _, own = survey_pictures(run, args.cache, args.workers)
        if not np.array_equal(np.sort(own.test), np.sort(split.test)):
            sys.exit(f"{folder}: another test set than {args.runs[0]}'s; train on the same split")
        embed = _embedder(run)
        name = f"{Path(folder).name} ({run.config.encoder})"
        table = embedded(name, embed, pictures, catalog, split)
        results.append(evaluate(name, table, embed, pictures, args, training_seconds(folder)))
    baseline = PixelBaseline(pictures, np.asarray(split.train))
    table = embedded("pixels PCA-64 (no training)", baseline.embed, pictures, catalog, split)
    results.append(evaluate(table.name, table, baseline.embed, pictures, args, None))
    print(main_table(results))
    for entry in results:
        real = entry["real_images"]
        if real:
            print(
                f"\n{entry['name']}: real images {real['n_images']}; object kind p@5 "
                f"{real['object_kind']['precision_at_5']:.3f} (prior "
                f"{real['object_kind']['class_prior']:.3f}, {real['object_kind']['counts']}); "
                f"coarse Hubble p@5 {real['coarse_hubble']['precision_at_5']:.3f} (prior "
                f"{real['coarse_hubble']['class_prior']:.3f}, {real['coarse_hubble']['counts']})"
            )
    print(
        f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d')}, {time.perf_counter() - started:.0f} s: "
        f"python benchmarks/galaxies.py {shlex.join(sys.argv[1:])}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
