"""The Milvus backend against a real Milvus server and the FAISS exact oracle: neighbours, recall,
filters pushed down, the folder round trip, errors naming the server, searches by id."""

import json
import socket
import time

import numpy as np
import pandas as pd
import pytest

from astrolens.errors import IndexUnavailable
from astrolens.index import ColumnConditions, build_index, load_index, load_manifest
from astrolens.index.milvus import SETTINGS_FILE, MilvusIndex

milvus = pytest.importorskip(
    "milvus", reason="the embedded Milvus server (pip install milvus) is not installed"
)

RUN = "test-milvus"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def milvus_uri(tmp_path_factory):
    """A Milvus 2.3 standalone server (the ``milvus`` package) in a temporary folder, on a free
    port of 127.0.0.1, stopped at the end of the session."""
    config = milvus.MilvusServerConfig(
        data_dir=str(tmp_path_factory.mktemp("milvus")), proxy_port=_free_port()
    )
    server = milvus.MilvusServer(config)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.listen_port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def catalogue_columns(clustered):
    """A class, a mission and a period (some missing) for each clustered vector."""
    rng = np.random.default_rng(7)
    n = len(clustered[0])
    period = rng.lognormal(0.0, 1.0, n)
    period[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "object_id": [f"KIC {i}" for i in range(n)],
            "class": rng.choice(["EA", "EW", "RRab", "ROT"], n, p=[0.05, 0.15, 0.3, 0.5]),
            "mission": rng.choice(["Kepler", "TESS"], n),
            "period_days": period,
            "flagged": rng.random(n) < 0.5,
        }
    )


@pytest.fixture(scope="module")
def hnsw(milvus_uri, clustered, catalogue_columns):
    vectors, _ = clustered
    ids = catalogue_columns["object_id"].to_numpy()
    return build_index(
        vectors,
        ids,
        run=RUN,
        backend="milvus",
        uri=milvus_uri,
        collection="clustered_hnsw",
        columns=catalogue_columns,
        progress=False,
    )


@pytest.fixture(scope="module")
def faiss_flat(clustered, catalogue_columns):
    vectors, _ = clustered
    ids = catalogue_columns["object_id"].to_numpy()
    return build_index(vectors, ids, run=RUN, factory="Flat", progress=False)


def test_flat_collection_gives_the_ids_and_distances_of_faiss_exact(milvus_uri, clustered):
    vectors, queries = clustered
    vectors = vectors[:3000]
    ids = np.arange(3000)
    index = build_index(
        vectors,
        ids,
        run=RUN,
        backend="milvus",
        uri=milvus_uri,
        collection="flat",
        factory="Flat",
        progress=False,
    )
    oracle = build_index(vectors, ids, run=RUN, factory="Flat", progress=False)
    distances, found = index.search(queries, k=10)
    expected_distances, expected = oracle.search(queries, k=10)
    assert (index.backend, index.factory, len(index)) == ("milvus", "Flat", 3000)
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-4, atol=1e-4)


def test_hnsw_recall_at_10_against_faiss_exact_is_at_least_098(hnsw, faiss_flat, clustered, recall):
    _, queries = clustered
    _, found = hnsw.search(queries, k=10)
    _, truth = faiss_flat.search(queries, k=10)
    measured = recall(found, truth)
    print(f"Milvus HNSW M=16 efConstruction=200 ef=64: recall@10 = {measured:.4f}")
    assert hnsw.factory == "HNSW16"
    assert measured >= 0.98


@pytest.mark.parametrize(
    "conditions",
    [
        ColumnConditions(values={"class": ("EA",)}),
        ColumnConditions(values={"class": ("EW", "RRab"), "mission": ("TESS",)}),
        ColumnConditions(ranges={"period_days": (0.5, 2.0)}),
        ColumnConditions(values={"class": ("EA",)}, ranges={"period_days": (None, 1.0)}),
        ColumnConditions(ranges={"period_days": (None, None)}),
    ],
    ids=["class", "classes-and-mission", "range", "class-and-open-range", "not-missing"],
)
def test_filters_pushed_down_give_the_neighbours_of_faiss_with_the_same_filter(
    hnsw, faiss_flat, clustered, catalogue_columns, recall, conditions
):
    _, queries = clustered
    allowed = _mask(catalogue_columns, conditions)
    _, found = hnsw.search_positions(queries, 10, allowed=allowed, conditions=conditions)
    _, truth = faiss_flat.search_positions(queries, 10, allowed=allowed)
    assert allowed[found].all()
    assert recall(found, truth) >= 0.98
    # Milvus itself filters: with every position allowed, the conditions alone select them
    # (a query Milvus finds too few for is completed by exact search, unfiltered here)
    everything = np.ones(len(allowed), dtype=bool)
    _, by_milvus = hnsw.search_positions(queries, 10, allowed=everything, conditions=conditions)
    assert allowed[by_milvus].mean() >= 0.95 > allowed.mean()


def test_conditions_milvus_cannot_write_fall_back_to_exact_search(
    hnsw, faiss_flat, clustered, catalogue_columns
):
    _, queries = clustered
    flagged = catalogue_columns["flagged"].to_numpy()  # a boolean column: not stored
    conditions = ColumnConditions(values={"flagged": (True,)})
    distances, found = hnsw.search_positions(queries, 10, allowed=flagged, conditions=conditions)
    expected_distances, expected = faiss_flat.search_positions(queries, 10, allowed=flagged)
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-5)


def test_save_and_load_reconnect_to_the_collection(hnsw, clustered, tmp_path):
    _, queries = clustered
    folder = hnsw.save(tmp_path / "index")
    manifest = load_manifest(folder)
    settings = json.loads((folder / SETTINGS_FILE).read_text())
    loaded = load_index(folder, expected_run=RUN)
    assert isinstance(loaded, MilvusIndex)
    assert (manifest.backend, manifest.factory, manifest.count) == ("milvus", "HNSW16", 20_000)
    assert SETTINGS_FILE in manifest.files
    assert (settings["uri"], settings["collection"]) == (hnsw.settings.uri, "clustered_hnsw")
    assert settings["fields"].keys() == {"object_id", "class", "mission", "period_days"}
    np.testing.assert_array_equal(loaded.search(queries, 10)[1], hnsw.search(queries, 10)[1])
    np.testing.assert_array_equal(loaded.get_vectors([3, 1]), hnsw.get_vectors([3, 1]))


def test_a_dropped_collection_is_a_clear_error_naming_the_server(milvus_uri, tmp_path):
    vectors = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    index = build_index(
        vectors,
        np.arange(50),
        run=RUN,
        backend="milvus",
        uri=milvus_uri,
        collection="dropped",
        progress=False,
    )
    folder = index.save(tmp_path / "index")
    index._client.drop_collection("dropped")
    start = time.monotonic()
    with pytest.raises(IndexUnavailable, match=f"{milvus_uri}.*no collection 'dropped'"):
        load_index(folder)
    assert time.monotonic() - start < 5


def test_an_unreachable_server_is_a_fast_clear_error_naming_the_uri():
    uri = f"http://127.0.0.1:{_free_port()}"
    vectors = np.zeros((3, 4), dtype=np.float32)
    start = time.monotonic()
    with pytest.raises(IndexUnavailable, match=f"{uri}: no Milvus server answers"):
        build_index(vectors, np.arange(3), run=RUN, backend="milvus", uri=uri)
    assert time.monotonic() - start < 15


def test_searches_by_id_and_by_examples_with_filters_match_faiss(milvus_uri, tmp_path):
    from astrolens.pipeline import build_survey_index
    from astrolens.search import Filters, SearchConfig, open_search
    from astrolens.simulate import SurveyConfig

    survey = SurveyConfig(name="mini", n_objects=24)
    build = {"cache": tmp_path / "cache", "workers": 1, "progress": False, "factory": "Flat"}
    options = {"uri": milvus_uri, "collection": "mini"}
    milvus_folder = build_survey_index(
        survey, out=tmp_path / "milvus", backend="milvus", backend_options=options, **build
    )
    faiss_folder = build_survey_index(survey, out=tmp_path / "faiss", **build)
    config = SearchConfig(exact_subset_max=0)  # filtered queries go to the index
    on_milvus = open_search(milvus_folder, config=config)
    on_faiss = open_search(faiss_folder, config=config)
    assert isinstance(on_milvus.index, MilvusIndex)
    first, second = on_faiss.index.ids[:2]
    classes = sorted(set(on_faiss.catalog.table["class"]))[:2]
    for search in (
        lambda s: s.by_object(first, k=5),
        lambda s: s.by_object(first, k=5, filters=Filters(classes=classes)),
        lambda s: s.by_object(first, k=3, filters=Filters(ranges={"period_days": (0.5, None)})),
        lambda s: s.by_examples([first, second], k=5),
    ):
        assert search(on_milvus).object_ids == search(on_faiss).object_ids


def _mask(columns: pd.DataFrame, conditions: ColumnConditions) -> np.ndarray:
    keep = np.ones(len(columns), dtype=bool)
    for column, values in conditions.values.items():
        keep &= columns[column].isin(values).to_numpy()
    for column, (low, high) in conditions.ranges.items():
        numbers = columns[column].to_numpy(dtype=float)
        keep &= np.isfinite(numbers)
        keep &= numbers >= (-np.inf if low is None else low)
        keep &= numbers <= (np.inf if high is None else high)
    return keep
