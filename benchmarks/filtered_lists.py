"""The IVF lists a filtered search visits: two rules compared on a survey's real embeddings.

Nearest to the query by their centroid's distance, or nearest among the lists that hold vectors
that pass.

The index: ``IVF4096,Flat`` over a survey's real embeddings (``--embeddings``, a folder of
``astrolens embed --dask``; one object in every thousand held out, as ``backends_1m.py`` does),
filtered by one class and one mission (``--class``, ``--mission``: RRab and TESS pass 3.8 % of
the ``large`` survey). Queries: ``--queries`` indexed objects of every class, drawn with a seed,
searched one at a time, as the search layer asks (k = 22: the layer's first request for 10
matches). Truth: exact search over the vectors that pass. Rules, in turns on the same queries:

- ``nprobe / f``: FAISS's own filtered search (a bitmap selector) over the ``nprobe / f`` lists
  nearest the query by their centroid's distance, ``f`` the passing fraction, four times as many
  when it found too few (the rule until 2026-12-05);
- ``held, x w``: the lists nearest the query among those that hold vectors that pass, until they
  hold ``w`` times as many of them as an unfiltered search meets vectors, searched by FAISS with
  the same selector (``FaissIndex._ivf_allowed_candidates``; ``w`` is ``ALLOWED_WIDENING``, 4 by
  default).

Prints recall@22 and the median time of a query for each rule.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/filtered_lists.py --embeddings FOLDER [--survey
large] [--queries 300]``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import faiss
import numpy as np
from backends_1m import SEED, read_real

from astrolens.catalog import Catalog
from astrolens.index import build_index
from astrolens.index.base import brute_force_search
from astrolens.search import Filters

K = 22


def centroid_rule(index, queries: np.ndarray, n: int, allowed: np.ndarray):
    """The rule until 2026-12-05: ``nprobe / f`` lists by centroid distance, FAISS's selector."""
    ivf = faiss.downcast_index(index._index)
    bitmap = np.packbits(allowed, bitorder="little")
    selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
    nprobe = min(ivf.nlist, math.ceil(ivf.nprobe / max(allowed.mean(), 1e-9)))
    while True:
        parameters = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        squared, positions = ivf.search(queries, n, params=parameters)
        if nprobe >= ivf.nlist or not (positions < 0).any():
            return squared, positions
        nprobe = min(ivf.nlist, nprobe * 4)


def main(arguments: argparse.Namespace) -> None:
    vectors, _, table = read_real(arguments.embeddings, arguments.survey, 1000)
    filters = Filters(classes=arguments.filter_class, missions=arguments.filter_mission)
    allowed = filters.selection(Catalog(table)).mask()  # read-only, as a search passes it
    index = build_index(vectors, table["object_id"], run="bench", progress=False)
    subset = np.flatnonzero(allowed)
    positions = np.random.default_rng(SEED + 1).choice(len(vectors), arguments.queries, False)
    _, rows = brute_force_search(vectors[subset], vectors[positions], K)
    truth = subset[rows]
    print(
        f"{index.factory}, nprobe {index.nprobe}; filter {filters.classes} and "
        f"{filters.missions}: {allowed.mean():.1%} pass; {len(positions)} queries, one at a time"
    )
    rules = {"nprobe / f": lambda q: centroid_rule(index, q, K, allowed)}
    for widening in (1.0, 2.0, 4.0):

        def held(q: np.ndarray, widening: float = widening):
            ivf = faiss.downcast_index(index._index)
            return index._ivf_allowed_candidates(ivf, q, K, allowed, widening)

        rules[f"held, x {widening:g}"] = held
    found = {name: [] for name in rules}
    seconds = {name: [] for name in rules}
    for position, expected in zip(positions, truth, strict=True):
        query = vectors[position : position + 1]
        for name, rule in rules.items():  # in turns: load changes hit every rule alike
            start = time.perf_counter()
            _, neighbours = rule(query)
            seconds[name].append(time.perf_counter() - start)
            found[name].append(len(set(neighbours[0]) & set(expected)) / K)
    print(f"| lists visited | recall@{K} | median ms a query |\n|---|---:|---:|")
    for name in rules:
        print(f"| {name} | {np.mean(found[name]):.3f} | {1000 * np.median(seconds[name]):.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", type=Path, required=True, help="a folder of embed --dask")
    parser.add_argument("--survey", default="large", help="the survey of --embeddings")
    parser.add_argument("--queries", type=int, default=300, help="queries (default 300)")
    parser.add_argument("--class", dest="filter_class", default="RRab", help="class filtered on")
    parser.add_argument("--mission", dest="filter_mission", default="TESS", help="mission too")
    main(parser.parse_args())
