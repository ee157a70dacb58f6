"""Searching by a light curve of several quarters stitched together, as a user makes one.

A Kepler user downloads a star's quarters and stitches them (``lightkurve``'s
``LightCurveCollection.stitch``: each quarter divided by its median, then joined). The survey
holds single quarters and sectors. For objects of the ``demo-mixed`` survey's Kepler light
curves, this script simulates two quarters of the same star (its noiseless flux at its quarter's
times and again ``OFFSET_DAYS`` later, as Kepler's Q2 and Q5, each observed with the mission's
noise and normalised by its median) and searches the survey's index by

1. **one quarter**: the first quarter alone (the reference: what the survey is made of);
2. **stitched, whole**: the two quarters as one light curve (what the search did before it cut
   light curves into pieces; the encoder's ``pieces`` replaced by "no cut");
3. **stitched, as pieces**: the search as it is (``LightCurveModality.pieces``).

For each: precision@10 of the class, the share whose 10 matches' median catalogued period is
within 5 % of the star's (periodic classes with a period under 44 days, what a quarter shows),
and the share the domain check warns about. Then the real case of the ``altaipony`` examples:
KIC 10002792's two quarters (Q2, Q5), each alone and stitched by ``lightkurve``.

Usage: ``python benchmarks/stitched_quarters.py [--index indexes/demo-mixed-default] [--n 200]``
(the index folder is built with ``runs/default`` if missing: ``build_survey_index``).
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from astrolens.pipeline import build_survey_index
from astrolens.search import open_search
from astrolens.simulate import astrophysical_flux, observing_mode
from astrolens.simulate.survey import family, observation_times
from astrolens.sources import example_files
from astrolens.sources.arrays import Target, assemble_arrays

OFFSET_DAYS = 273.7
"""From the start of Kepler's Q2 to that of Q5 (BKJD 169.8 and 443.5)."""
SEED = 20261205
K = 10
PERIOD_LIMIT_DAYS = 44.0
NON_PERIODIC = {"CONSTANT", "FLARE", "GRANULATION", "TRANSIT"}


def stitched(row: pd.Series) -> object:
    """Two quarters of the star of ``row``, each normalised by its median, joined."""
    first = observation_times(row)
    times = np.concatenate([first, first + OFFSET_DAYS])
    signal = astrophysical_flux(row, times)
    mode = observing_mode(row)
    rng = np.random.default_rng([SEED, int(row["seed"])])
    parts = [mode.observe(half, float(row["mag"]), rng) for half in np.split(signal, 2)]
    flux = [part[0] / np.nanmedian(part[0]) for part in parts]
    flux_err = [part[1] / np.nanmedian(part[0]) for part in parts]
    target = Target(
        str(row["object_id"]), "Kepler", float(row["ra"]), float(row["dec"]), float(row["mag"])
    )
    return assemble_arrays(
        time=times,
        flux=np.concatenate(flux),
        flux_err=np.concatenate(flux_err),
        quality=np.concatenate([part[2] for part in parts]),
        target=target,
        flux_column="pdcsap_flux",
        source=f"{row['object_id']} (two simulated quarters, stitched)",
        time_format=mode.time_format,
    )


def first_quarter(arrays):
    """The first of the two quarters alone."""
    keep = arrays.time < arrays.time[0] + OFFSET_DAYS
    names = ("time", "flux", "flux_err", "quality")
    return dataclasses.replace(arrays, **{name: getattr(arrays, name)[keep] for name in names})


def scores(result, row: pd.Series) -> tuple[float, float | None, bool]:
    classes = result.column("class").astype(str)
    precision = float(np.mean(classes == row["class"]))
    period = float(row["period_days"])
    recovered = None
    if row["class"] not in NON_PERIODIC and 0 < period < PERIOD_LIMIT_DAYS:
        median = float(np.nanmedian(result.column("period_days").astype(float)))
        recovered = abs(median / period - 1) <= 0.05
    return precision, recovered, not result.domain.in_domain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("indexes/demo-mixed-default"))
    parser.add_argument("--n", type=int, default=200, help="Kepler objects to query")
    args = parser.parse_args()
    if not args.index.exists():
        build_survey_index("demo-mixed", "runs/default", args.index)
    search = open_search(args.index)
    catalog = search.catalog.table
    kepler = catalog[[family(row) == "Kepler" for _, row in catalog.iterrows()]]
    rows = kepler.sample(min(args.n, len(kepler)), random_state=SEED)
    print(
        f"machine: {platform.machine()}, {platform.python_version()}; index {args.index} "
        f"({len(catalog):,} objects, run {search.index.run}); {len(rows)} Kepler objects"
    )
    encoder = search.encoder
    variants = {
        "one quarter": lambda arrays: search.by_lightcurve(first_quarter(arrays), K),
        "stitched, whole": lambda arrays: whole(search, encoder, arrays),
        "stitched, as pieces": lambda arrays: search.by_lightcurve(arrays, K),
    }
    table = {name: [] for name in variants}
    start = time.perf_counter()
    for _, row in tqdm(list(rows.iterrows()), desc="queries"):
        arrays = stitched(row)
        for name, ask in variants.items():
            table[name].append(scores(ask(arrays), row))
    print(f"{len(rows)} objects x {len(variants)} searches in {time.perf_counter() - start:.0f} s")
    print(f"\n{'query':<22} {'class precision@10':>19} {'period within 5 %':>18} {'warned':>7}")
    for name, results in table.items():
        precision = np.mean([p for p, _, _ in results])
        periods = [r for _, r, _ in results if r is not None]
        warned = np.mean([w for _, _, w in results])
        print(
            f"{name:<22} {precision:>19.3f} {np.mean(periods):>12.3f} ({len(periods)}) "
            f"{warned:>7.3f}"
        )
    real_case(search)


def whole(search, encoder, arrays):
    """The search before light curves were cut: the encoder cuts nothing."""
    encoder.pieces = lambda item, samplings: [item]
    try:
        return search.by_lightcurve(arrays, K)
    finally:
        del encoder.pieces


def real_case(search) -> None:
    import lightkurve

    paths = example_files("Kepler")
    with warnings.catch_warnings():  # lightkurve's own, writing the time column
        warnings.simplefilter("ignore")
        joined = lightkurve.LightCurveCollection([lightkurve.read(p) for p in paths]).stitch()
        path = Path(tempfile.mkdtemp()) / "kplr010002792_q2_q5_stitched.fits"
        joined.to_fits(path)
    print("\nKIC 10002792 (altaipony's Kepler Q2 and Q5), top-10 classes and median period:")
    for name, source in [("Q2", paths[0]), ("Q5", paths[1]), ("Q2+Q5 stitched", path)]:
        result = search.by_lightcurve(source, K)
        classes = pd.Series(result.column("class")).value_counts().to_dict()
        median = np.nanmedian(result.column("period_days").astype(float))
        print(f"  {name:<15} {result.query.label:<44} {classes} median {median:.3g} d")
    encoder = search.encoder
    result = whole(search, encoder, path)
    classes = pd.Series(result.column("class")).value_counts().to_dict()
    median = np.nanmedian(result.column("period_days").astype(float))
    print(f"  {'stitched, whole':<15} {result.query.label:<44} {classes} median {median:.3g} d")


if __name__ == "__main__":
    main()
