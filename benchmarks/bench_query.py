"""One light curve as a query: ``by_lightcurve`` against its own reading and transform.

A search by light curve reads the file, cleans it, computes its wavelet power image (what the
model sees), embeds it, and searches the index. The first three are the floor no query can go
under; the target is ``by_lightcurve`` median <= 3x that floor. Measured in turns, on one
thread, with the default run, a real Kepler quarter (``altaipony`` examples) and an index of
100,000 clustered 64-d vectors with a catalogue of the same size (random classes and periods,
so that the ranking by the light curve's own period, :mod:`astrolens.search.periods`, runs):

1. floor: ``run.load(file)`` + the run's representation of it (read, clean, power image);
2. the embedding of that one input (unpadded, as a query is embedded) and, as the baseline
   before, the same input padded to a batch of 128;
3. ``SimilaritySearch.by_lightcurve(file, k=10)``: everything, and the same ranked by the
   embedding alone (``SearchConfig(period_pool=0)``), in turns: what the period ranking costs.

Usage: ``python benchmarks/bench_query.py``.
"""

from __future__ import annotations

import os
import platform

for _name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from index_common import interleaved_per_query_seconds  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from astrolens.catalog import Catalog  # noqa: E402
from astrolens.encoders.keras_encoder import DEFAULT_BATCH_SIZE  # noqa: E402
from astrolens.index import ClusteredEmbeddings, build_index  # noqa: E402
from astrolens.runs import load_default  # noqa: E402
from astrolens.search import SearchConfig, SimilaritySearch  # noqa: E402
from astrolens.sources import example_files  # noqa: E402

N_OBJECTS = 100_000
N_QUERIES = 60
K = 10


def main() -> None:
    threadpool_limits(1)
    run = load_default()
    kepler = example_files("Kepler")[0]
    mixture = ClusteredEmbeddings(dimension=run.encoder.dim, n_clusters=300, seed=3)
    vectors, _ = mixture.sample(N_OBJECTS, stream=1)
    ids = [f"TIC {9_000_000_000 + number}" for number in range(N_OBJECTS)]
    index = build_index(vectors, ids, run="bench", progress=False)
    rng = np.random.default_rng(3)
    catalog = Catalog(
        pd.DataFrame(
            {
                "object_id": ids,
                "ra": rng.uniform(0, 360, N_OBJECTS),
                "dec": rng.uniform(-60, 60),
                "class": rng.choice(list(run.class_names), N_OBJECTS),
                "period_days": 10 ** rng.uniform(-1.0, 3.0, N_OBJECTS),
            }
        )
    )
    search = SimilaritySearch(index, catalog, encoder=run)
    unranked = SimilaritySearch(index, catalog, encoder=run, config=SearchConfig(period_pool=0))
    item = run.load(kepler)
    arrays = run.modality.represent(item, run.representation)
    inputs = run.encoder.model_inputs(
        {name: values[None] for name, values in arrays.items()}, run.config
    )
    padded = np.zeros((DEFAULT_BATCH_SIZE, *inputs.shape[1:]), dtype=np.float32)
    padded[:1] = inputs
    embedder = run.encoder.embedder

    def floor(_: int) -> object:
        fresh = run.load(kepler)
        return run.modality.represent(fresh, run.representation)

    def query(_: int) -> object:
        return search.by_lightcurve(kepler, K)

    def embedding_order(_: int) -> object:
        return unranked.by_lightcurve(kepler, K)

    def one(_: int) -> object:
        return embedder(inputs)

    def batch(_: int) -> object:
        return embedder(padded)[:1]

    turns = np.arange(N_QUERIES)
    floor_s, query_s = interleaved_per_query_seconds(floor, query, turns, block=10)
    one_s, batch_s = interleaved_per_query_seconds(one, batch, turns, block=10)
    ranked_s, unranked_s = interleaved_per_query_seconds(query, embedding_order, turns, block=10)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; one thread; {kepler.name}; "
        f"index of {N_OBJECTS:,} ({index.factory})"
    )
    print(f"  {'step':<58} {'median ms':>10} {'p99 ms':>8}")
    rows = [
        ("read + clean + power image (the floor)", floor_s),
        ("embedding of one input, unpadded", one_s),
        (f"  before: the input padded to a batch of {DEFAULT_BATCH_SIZE}", batch_s),
        (f"by_lightcurve(file, k={K}): everything", query_s),
        ("  again, in turns with the next", ranked_s),
        ("  the same, ranked by the embedding alone (period_pool=0)", unranked_s),
    ]
    for name, seconds in rows:
        median, p99 = np.median(seconds) * 1e3, np.percentile(seconds, 99) * 1e3
        print(f"  {name:<58} {median:10.2f} {p99:8.2f}")
    ratio = np.median(query_s) / np.median(floor_s)
    print(f"  by_lightcurve / floor (medians): {ratio:.2f}x (target <= 3x)")
    print(f"  padded / unpadded embedding: {np.median(batch_s) / np.median(one_s):.0f}x")
    extra = (np.median(ranked_s) - np.median(unranked_s)) * 1e3
    print(f"  the ranking by the light curve's own period: {extra:+.2f} ms a query (medians)")


if __name__ == "__main__":
    main()
