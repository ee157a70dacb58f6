"""The index folder, its manifest, and exact NumPy search."""

import hashlib
import json
import os
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import astrolens
from astrolens.errors import IndexMismatch
from astrolens.files import UNKNOWN_OWNER_MAX_AGE_SECONDS, file_sha256
from astrolens.index import (
    CorruptIndex,
    IndexManifest,
    base,
    brute_force_search,
    build_index,
    load_index,
    load_manifest,
)
from astrolens.index.base import readable_directory


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 80),
    dimension=st.integers(1, 9),
    n_queries=st.integers(1, 6),
    k_fraction=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_brute_force_equals_direct_distances(
    exact_neighbours, n, dimension, n_queries, k_fraction, seed
):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dimension)).astype(np.float32)
    queries = rng.normal(size=(n_queries, dimension)).astype(np.float32)
    k = 1 + int(k_fraction * (n - 1))
    distances, positions = brute_force_search(vectors, queries, k)
    expected_distances, expected_positions = exact_neighbours(vectors, queries, k)
    assert positions.shape == distances.shape == (n_queries, k)
    np.testing.assert_array_equal(positions, expected_positions)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-5, atol=1e-6)


def test_brute_force_in_blocks_and_from_a_memory_map(monkeypatch, tmp_path, exact_neighbours):
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(1000, 8)).astype(np.float32)
    np.save(tmp_path / "vectors.npy", vectors)
    mapped = np.load(tmp_path / "vectors.npy", mmap_mode="r")
    queries = rng.normal(size=(7, 8)).astype(np.float32)
    monkeypatch.setattr(base, "_DISTANCE_BLOCK_BYTES", 4 * 7 * 37)  # blocks of 37 rows
    distances, positions = brute_force_search(mapped, queries, 12)
    expected_distances, expected_positions = exact_neighbours(vectors, queries, 12)
    np.testing.assert_array_equal(positions, expected_positions)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-5)


def test_brute_force_with_known_norms_and_one_query(exact_neighbours):
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(300, 5)).astype(np.float32)
    norms = np.einsum("ij,ij->i", vectors, vectors)
    distances, positions = brute_force_search(vectors, vectors[42], 3, squared_norms=norms)
    assert positions.shape == (1, 3) and positions[0, 0] == 42 and distances[0, 0] == 0.0
    np.testing.assert_array_equal(positions, exact_neighbours(vectors, vectors[42], 3)[1])


@pytest.mark.parametrize("k", [0, 11])
def test_brute_force_refuses_k_out_of_range(k):
    with pytest.raises(ValueError, match="k must be between 1 and"):
        brute_force_search(np.zeros((10, 2), np.float32), np.zeros(2), k)


def test_manifest_round_trip_through_json():
    manifest = IndexManifest(
        backend="faiss",
        run="run-7",
        dimension=64,
        count=3,
        factory="IVF16,Flat",
        nprobe=8,
        files={"vectors.npy": "ab" * 32},
        created="2026-01-01T00:00:00+00:00",
    )
    again = IndexManifest.from_dict(json.loads(json.dumps(manifest.to_dict())))
    assert again == manifest
    assert again.astrolens_version == astrolens.__version__


def _write_manifest(directory, **changes):
    fields = {"backend": "faiss", "run": "a", "dimension": 2, "count": 0, "factory": "Flat"}
    directory.mkdir()
    (directory / "manifest.json").write_text(json.dumps({**fields, **changes}))


def test_load_manifest_refuses_another_run(tmp_path):
    _write_manifest(tmp_path / "index", run="run-a")
    assert load_manifest(tmp_path / "index", expected_run="run-a").run == "run-a"
    with pytest.raises(IndexMismatch, match="'run-a', not 'run-b'"):
        load_manifest(tmp_path / "index", expected_run="run-b")


def test_load_manifest_names_a_missing_or_broken_manifest(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorruptIndex, match=r"manifest.json: missing"):
        load_manifest(tmp_path / "empty")
    _write_manifest(tmp_path / "broken", colour="blue")
    with pytest.raises(CorruptIndex, match=r"manifest.json: unreadable"):
        load_manifest(tmp_path / "broken")
    with pytest.raises(FileNotFoundError, match="no index folder"):
        load_manifest(tmp_path / "nowhere")


def test_a_folder_moved_aside_by_an_interrupted_swap_is_still_read(tmp_path):
    # A writer of an older version that died between its two renames left .<name>.previous.
    _write_manifest(tmp_path / ".index.previous", run="old")
    assert readable_directory(tmp_path / "index") == tmp_path / ".index.previous"
    assert load_manifest(tmp_path / "index").run == "old"


def test_a_save_after_a_swap_killed_long_ago_leaves_only_the_new_index(tmp_path):
    vectors = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    build_index(vectors, np.arange(40), run="old", progress=False).save(tmp_path / "index")
    # An older version killed between its two renames left only .<name>.previous, a day ago.
    (tmp_path / "index").rename(tmp_path / ".index.previous")
    for path in [tmp_path / ".index.previous", *(tmp_path / ".index.previous").iterdir()]:
        os.utime(path, (0, time.time() - UNKNOWN_OWNER_MAX_AGE_SECONDS - 60))
    assert load_index(tmp_path / "index").run == "old"
    build_index(vectors, np.arange(40), run="new", progress=False).save(tmp_path / "index")
    assert load_index(tmp_path / "index").run == "new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["index"]


def test_file_sha256_matches_hashlib(tmp_path):
    data = np.random.default_rng(0).bytes(20_000_000)
    (tmp_path / "blob").write_bytes(data)
    assert file_sha256(tmp_path / "blob") == hashlib.sha256(data).hexdigest()
