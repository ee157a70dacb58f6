"""The clustered synthetic embeddings of the index benchmarks."""

import numpy as np
import pytest

from astrolens.index import ClusteredEmbeddings


def test_samples_are_seeded_and_streams_differ():
    mixture = ClusteredEmbeddings(dimension=8, n_clusters=20, seed=3)
    first, labels = mixture.sample(500, stream=1)
    again, labels_again = ClusteredEmbeddings(dimension=8, n_clusters=20, seed=3).sample(500)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(labels, labels_again)
    assert not np.array_equal(first, mixture.sample(500, stream=2)[0])
    assert not np.array_equal(first, ClusteredEmbeddings(8, 20, seed=4).sample(500)[0])


def test_chunks_have_the_requested_sizes_and_repeat():
    mixture = ClusteredEmbeddings(dimension=4, n_clusters=5)
    chunks = list(mixture.chunks(2500, chunk_size=1000))
    assert [chunk.shape for chunk in chunks] == [(1000, 4), (1000, 4), (500, 4)]
    assert all(chunk.dtype == np.float32 for chunk in chunks)
    np.testing.assert_array_equal(chunks[1], list(mixture.chunks(2500, chunk_size=1000))[1])
    assert not np.array_equal(chunks[0][:500], chunks[2])


def test_vectors_gather_around_their_own_centre():
    mixture = ClusteredEmbeddings(dimension=16, n_clusters=30, spread=0.5, seed=1)
    vectors, labels = mixture.sample(3000)
    to_centres = np.linalg.norm(vectors[:, None, :] - mixture.centres[None], axis=-1)
    assert np.mean(np.argmin(to_centres, axis=1) == labels) > 0.95
    sizes = np.bincount(labels, minlength=30)
    assert sizes.max() > 4 * np.median(sizes)  # log-normal weights: a few big clusters


@pytest.mark.parametrize("changes", [{"dimension": 0}, {"n_clusters": 0}, {"spread": 0.0}])
def test_bad_settings_are_refused(changes):
    with pytest.raises(ValueError, match="must be positive"):
        ClusteredEmbeddings(**changes)
