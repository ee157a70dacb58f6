"""Index backends by name: a toy backend plugged in with one line; stored vectors by position."""

import json

import numpy as np
import pytest

from astrolens.errors import IndexMismatch
from astrolens.index import (
    FaissIndex,
    VectorIndex,
    backend_class,
    backend_names,
    brute_force_search,
    build_index,
    load_index,
    register_backend,
    registry,
)

DIMENSION = 8


class ToyIndex(VectorIndex):
    """Exact search by direct distances, in memory; its one file keeps its ``note`` option."""

    backend = "toy"

    def __init__(self, dimension, *, run, note="plain"):
        super().__init__(dimension, run=run)
        self.note = note

    @property
    def factory(self):
        return "Flat"

    def _add_to_backend(self, vectors, progress):
        pass  # the base class keeps the vectors; the toy searches them directly

    def _candidates(self, queries, n_candidates):
        vectors = np.asarray(self.vectors, dtype=np.float64)
        squared = ((vectors[None, :, :] - queries[:, None, :]) ** 2).sum(axis=-1)
        order = np.argsort(squared, axis=1, kind="stable")[:, :n_candidates]
        return np.take_along_axis(squared, order, axis=1).astype(np.float32), order

    def _write_backend(self, directory):
        (directory / "toy.json").write_text(json.dumps({"note": self.note}))
        return ["toy.json"]

    @classmethod
    def _read_backend(cls, directory, manifest, vectors, ids):
        note = json.loads((directory / "toy.json").read_text())["note"]
        index = cls(manifest.dimension, run=manifest.run, note=note)
        index._vectors, index._ids = vectors, ids
        return index

    @classmethod
    def _backend_version(cls):
        return "0.1"


class MisnamedIndex(ToyIndex):
    backend = "something-else"


@pytest.fixture
def toy_backend(monkeypatch):
    """The registry with "toy" added, as its one line in astrolens.index would add it."""
    monkeypatch.setattr(registry._BACKENDS, "_targets", dict(registry._BACKENDS._targets))
    register_backend("toy", f"{__name__}:ToyIndex")
    return "toy"


@pytest.fixture(scope="module")
def embeddings():
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(400, DIMENSION)).astype(np.float32)
    queries = rng.normal(size=(9, DIMENSION)).astype(np.float32)
    ids = np.array([f"TIC {1000 + i}" for i in range(400)])
    return vectors, ids, queries


def assert_equals_oracle(index, vectors, ids, queries, k):
    expected_distances, expected_positions = brute_force_search(vectors, queries, k)
    distances, found = index.search(queries, k)
    np.testing.assert_array_equal(found, ids[expected_positions])
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-5, atol=1e-5)


# -- the registry ------------------------------------------------------------------------------


def test_a_registered_backend_builds_saves_loads_and_searches(toy_backend, embeddings, tmp_path):
    vectors, ids, queries = embeddings
    assert backend_names() == ("faiss", "milvus", "toy")
    index = build_index(vectors, ids, run="run-t", backend="toy", note="hello", progress=False)
    assert type(index) is ToyIndex and index.note == "hello" and len(index) == 400
    assert_equals_oracle(index, vectors, ids, queries, 7)
    folder = index.save(tmp_path / "index")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["backend"], manifest["backend_version"]) == ("toy", "0.1")
    assert sorted(manifest["files"]) == ["ids.npy", "toy.json", "vectors.npy"]
    loaded = load_index(folder, expected_run="run-t")
    assert type(loaded) is ToyIndex and loaded.note == "hello"
    assert_equals_oracle(loaded, vectors, ids, queries, 7)
    with pytest.raises(IndexMismatch, match="'run-t', not 'run-u'"):
        load_index(folder, expected_run="run-u")


def test_an_unknown_backend_names_the_known_ones(toy_backend, embeddings):
    vectors, ids, _ = embeddings
    message = r"^no index backend named 'annoy'; known: faiss, milvus, toy$"
    with pytest.raises(ValueError, match=message):
        build_index(vectors, ids, run="t", backend="annoy", progress=False)
    with pytest.raises(ValueError, match=message):
        backend_class("annoy")


def test_a_folder_of_an_unregistered_backend_is_refused(toy_backend, embeddings, tmp_path):
    vectors, ids, _ = embeddings
    folder = build_index(vectors, ids, run="t", backend="toy", progress=False).save(tmp_path / "i")
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "backend": "annoy"}))
    with pytest.raises(
        IndexMismatch, match="'annoy', which is not registered; known: faiss, milvus, toy"
    ):
        load_index(folder)


def test_registering_checks_the_target(toy_backend):
    with pytest.raises(ValueError, match=r"must read 'package\.module:Class'"):
        register_backend("toy", "ToyIndex")
    register_backend("misnamed", f"{__name__}:MisnamedIndex")
    with pytest.raises(TypeError, match="calls its backend 'something-else', not 'misnamed'"):
        backend_class("misnamed")
    register_backend("not-an-index", f"{__name__}:assert_equals_oracle")
    with pytest.raises(TypeError, match="is not an astrolens VectorIndex"):
        backend_class("not-an-index")
    assert backend_class("toy") is ToyIndex and backend_class("faiss") is FaissIndex


def test_an_option_the_backend_lacks_is_refused(toy_backend, embeddings):
    vectors, ids, _ = embeddings
    with pytest.raises(TypeError, match="factory"):
        build_index(vectors, ids, run="t", backend="toy", factory="Flat", progress=False)
    with pytest.raises(TypeError, match="note"):
        build_index(vectors, ids, run="t", note="hello", progress=False)
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        build_index(vectors[0], ids[:1], run="t", backend="toy", progress=False)


# -- FAISS through the registry ----------------------------------------------------------------


def test_faiss_is_the_default_backend_and_keeps_its_options(embeddings):
    vectors, ids, queries = embeddings
    index = build_index(
        vectors, ids, run="t", factory="IVF8,Flat", nprobe=8, seed=3, progress=False
    )
    assert type(index) is FaissIndex and (index.factory, index.nprobe) == ("IVF8,Flat", 8)
    same = FaissIndex(DIMENSION, "IVF8,Flat", run="t", nprobe=8, seed=3)
    same.add(vectors, ids)
    for a, b in zip(index.search(queries, 5), same.search(queries, 5), strict=True):
        np.testing.assert_array_equal(a, b)
    assert_equals_oracle(index, vectors, ids, queries, 5)  # nprobe 8 of 8 lists: exact
    chosen = build_index(vectors, ids, run="t", backend="faiss", progress=False)
    assert (chosen.factory, chosen.nprobe, chosen.refine_factor) == ("Flat", None, 1)
    assert_equals_oracle(chosen, vectors, ids, queries, 5)


# -- stored vectors by position ----------------------------------------------------------------


@pytest.fixture(params=["in memory", "memory-mapped"])
def faiss_index(request, embeddings, tmp_path):
    vectors, ids, _ = embeddings
    index = build_index(vectors, ids, run="t", factory="Flat", progress=False)
    if request.param == "in memory":
        return index
    loaded = load_index(index.save(tmp_path / "index"))
    assert isinstance(loaded.vectors, np.memmap)
    return loaded


def test_get_vectors_returns_copies_of_the_vectors_given(faiss_index, embeddings):
    vectors, _, _ = embeddings
    positions = np.array([399, 0, 17, 17, 250])
    for asked, expected in [
        (positions, vectors[positions]),
        (positions.tolist(), vectors[positions]),
        (np.uint32(5), vectors[[5]]),
        (7, vectors[[7]]),
        (slice(10, 30, 3), vectors[10:30:3]),
        (slice(None), vectors),
        ([], vectors[:0]),
    ]:
        got = faiss_index.get_vectors(asked)
        assert type(got) is np.ndarray and got.dtype == np.float32
        np.testing.assert_array_equal(got, expected)
        assert not np.shares_memory(got, faiss_index.vectors)
    got = faiss_index.get_vectors(slice(None))
    got[0] = 99.0  # a copy: the index is unchanged
    np.testing.assert_array_equal(faiss_index.get_vectors(0), vectors[[0]])


@pytest.mark.parametrize(
    ("positions", "message"),
    [
        ([0, 400], "between 0 and 399 .*got 0 to 400"),
        ([-1], "between 0 and 399 .*got -1 to -1"),
        ([1.0, 2.0], "integers or a slice, got float64"),
        (np.ones(400, dtype=bool), "integers or a slice, got bool"),
        ([[1, 2]], r"shape \(1, 2\)"),
    ],
)
def test_get_vectors_refuses_positions_outside_the_index(faiss_index, positions, message):
    with pytest.raises(IndexError, match=message):
        faiss_index.get_vectors(positions)
