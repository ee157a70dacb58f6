"""How often the domain check of a search by image is right: held-out, real and foreign pictures.

The index: the simulated galaxy survey embedded by a galaxy run (``--index``, default
``indexes/galaxies-demo-galaxy-contrastive``: ``astrolens index build --survey galaxies-demo
--run runs/galaxy-contrastive``). Every query goes through ``SimilaritySearch.by_image``; it is
flagged out of domain by (a) its embedding's distance to its 10th neighbour beyond the 99th
percentile of the survey's own, or (b) its morphology (``astrolens.morphology``) farther from
every survey galaxy of the class most of its top 10 are than 1.5 times that class's spread
(``ClassStatistics``). Queries:

1. **Held out** (should pass): ``--per-class`` galaxies of each class of a survey drawn with
   the same configuration and another seed, rendered from their rows: galaxies the index does
   not hold but the model knows the like of.
2. **Real pictures**: the Stellarium deep-sky images by object kind (where the Debian package
   ``stellarium-data`` is there), the galaxies of ``mgefit`` (FITS, one band), 64-pixel crops of
   the Hubble eXtreme Deep Field at random places and the whole field (``scikit-image``).
   Simulation is not the sky: a flag here says so, and is what a user should see.
3. **Foreign** (should be flagged): white noise, a checkerboard, a brightness gradient,
   photographs (``scikit-image``'s astronaut, coffee cup and cat), a plotted light curve.

Printed per kind: how many passed and why the others were flagged, with the class most of the
top 10 of those that passed (the answer a user would get); the machine, date and command.

Usage: ``python benchmarks/galaxy_domain.py [--index DIR] [--per-class 20] [--crops 40]``
"""

from __future__ import annotations

import argparse
import importlib.resources
import io
import os
import platform
import shlex
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from astrolens.search import open_search
from astrolens.simulate.cache import generate_survey_catalog, survey_config
from astrolens.sources.stellarium import stellarium_catalog, stellarium_folder

SEED = 2027
NOVELTY = "nearest neighbours"
STATISTICS = "statistics"


def held_out(survey: str, per_class: int) -> Iterator[tuple[str, Any]]:
    """Rows of a survey of the same configuration drawn with another seed, by class."""
    catalog = generate_survey_catalog(survey_config(survey, seed=SEED))
    for name, rows in catalog.groupby("class"):
        for _, row in rows.head(per_class).iterrows():
            yield f"held out: {name}", row


def real_pictures(crops: int, rng: np.random.Generator) -> Iterator[tuple[str, Any]]:
    """Stellarium pictures by object kind, mgefit's FITS galaxies, Hubble XDF crops."""
    from skimage.data import hubble_deep_field

    if stellarium_folder() is not None:
        for _, row in stellarium_catalog().iterrows():
            yield f"Stellarium: {row['object_kind']}", row["path"]
    folder = importlib.resources.files("mgefit")
    for path in sorted(Path(str(folder)).rglob("*.fits")):
        yield "mgefit galaxies (FITS)", str(path)
    field = hubble_deep_field()
    for _ in range(crops):
        top, left = rng.integers(0, np.array(field.shape[:2]) - 64)
        yield "Hubble XDF, 64-pixel crops", field[top : top + 64, left : left + 64]
    yield "Hubble XDF, whole field", field


def foreign(per_kind: int, rng: np.random.Generator) -> Iterator[tuple[str, Any]]:
    """Pictures of nothing on the sky."""
    from skimage import data

    for _ in range(per_kind):
        yield "white noise", rng.random((64, 64, 3))
        squares = (np.indices((64, 64)).sum(axis=0) // int(rng.integers(4, 16))) % 2
        yield "checkerboard", np.repeat((0.1 + 0.8 * squares)[..., None], 3, axis=-1)
        angle = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[:64, :64] / 63.0
        ramp = 0.5 + 0.5 * ((xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle))
        yield "brightness gradient", np.repeat(ramp[..., None], 3, axis=-1)
        yield "plotted light curve", plotted_lightcurve(rng)
    for name in ("astronaut", "coffee", "chelsea"):
        yield "photographs (astronaut, coffee, cat)", getattr(data, name)()


def plotted_lightcurve(rng: np.random.Generator) -> np.ndarray:
    """A screenshot of a light curve: a matplotlib figure as an RGB array."""
    import matplotlib.pyplot as plt

    time_days = np.sort(rng.uniform(0, 30, 400))
    period = rng.uniform(0.5, 5.0)
    flux = 1 + 0.1 * np.sin(2 * np.pi * time_days / period) + rng.normal(0, 0.02, 400)
    figure, ax = plt.subplots(figsize=(4, 3), dpi=64)
    ax.plot(time_days, flux, "k.", ms=2)
    ax.set_xlabel("time [d]")
    ax.set_ylabel("flux")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    from PIL import Image

    return np.asarray(Image.open(buffer).convert("RGB"))


def outcome(search: Any, query: Any) -> tuple[str, str]:
    """``"in domain"`` or the checks that flagged it, and the class most of its top 10 are."""
    result = search.by_image(query, k=10)
    answer = Counter(str(name) for name in result.column("class")).most_common(1)[0][0]
    if result.domain is None or result.domain.in_domain:
        return "in domain", answer
    said = [NOVELTY if NOVELTY in reason else STATISTICS for reason in result.domain.reasons]
    return " + ".join(sorted(set(said))), answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", default="indexes/galaxies-demo-galaxy-contrastive")
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--crops", type=int, default=40)
    parser.add_argument("--per-kind", type=int, default=10)
    args = parser.parse_args()
    started = time.perf_counter()
    search = open_search(args.index)
    rng = np.random.default_rng(SEED)
    survey = search.source.survey
    groups = [
        ("held out", held_out(survey, args.per_class)),
        ("real", real_pictures(args.crops, rng)),
        ("foreign", foreign(args.per_kind, rng)),
    ]
    print(
        f"index {args.index}: {len(search.index):,} galaxies of {survey}, run {search.source.run}"
    )
    print("\n| queries | n | in domain | flagged | by | answer when in domain |")
    print("|---|---:|---:|---:|---|---|")
    totals: dict[str, Counter] = {}
    for group, queries in groups:
        kinds: dict[str, tuple[Counter, Counter]] = {}
        for kind, query in queries:
            said, answer = outcome(search, query)
            counts, answers = kinds.setdefault(kind, (Counter(), Counter()))
            counts[said] += 1
            if said == "in domain":
                answers[answer] += 1
        total = totals.setdefault(group, Counter())
        for kind, (counts, answers) in kinds.items():
            n = sum(counts.values())
            passed = counts["in domain"]
            by = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "in domain")
            shown = ", ".join(f"{k} {v}" for k, v in answers.most_common(3))
            print(f"| {kind} | {n} | {passed} | {n - passed} | {by} | {shown} |")
            total["n"] += n
            total["flagged"] += n - passed
    print()
    for group, total in totals.items():
        print(f"{group}: flagged {total['flagged']} of {total['n']} "
              f"({total['flagged'] / max(total['n'], 1):.3f})")  # fmt: skip
    print(
        f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d')}, {time.perf_counter() - started:.0f} s: "
        f"python benchmarks/galaxy_domain.py {shlex.join(sys.argv[1:])}"
    )


if __name__ == "__main__":
    main()
