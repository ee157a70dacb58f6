"""The wavelet CNN: shapes, the embedding layer, time-shift insensitivity, safe save/load."""

import tempfile

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.encoders.keras_encoder import EMBEDDING_LAYER, Embedder, embedding_model
from astrolens.encoders.wavelet_cnn import build_wavelet_cnn, model_inputs


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(7)
    return build_wavelet_cnn(n_classes=5, filters=(4, 8), embedding_dim=16)


def test_default_model_shapes_and_size():
    default = build_wavelet_cnn(n_classes=16)
    assert default.input_shape == (None, 64, 64, 2)
    assert default.output_shape == (None, 16)
    layer = default.get_layer(EMBEDDING_LAYER)
    assert isinstance(layer, keras.layers.BatchNormalization)
    assert layer.output.shape == (None, 64)
    assert 10_000 <= default.count_params() <= 300_000


def test_probabilities_sum_to_one(model):
    x = np.random.default_rng(0).random((3, 64, 64, 2), dtype=np.float32)
    probabilities = model(x, training=False).numpy()
    assert probabilities.shape == (3, 5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_embedding_model_outputs_the_embedding_layer(model):
    encoder = embedding_model(model)
    assert encoder.output_shape == (None, 16)
    x = np.random.default_rng(1).random((2, 64, 64, 2), dtype=np.float32)
    probe = keras.Model(model.input, [model.get_layer(EMBEDDING_LAYER).output, model.output])
    expected = probe(x, training=False)[0].numpy()
    np.testing.assert_array_equal(encoder(x, training=False).numpy(), expected)


def test_embedding_model_needs_an_embedding_layer():
    inputs = keras.Input((4,))
    plain = keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))
    with pytest.raises(ValueError, match="embedding"):
        embedding_model(plain)


def test_single_channel_and_bad_arguments():
    assert build_wavelet_cnn(3, channels=1, filters=(4,)).input_shape == (None, 64, 64, 1)
    with pytest.raises(ValueError, match="classes"):
        build_wavelet_cnn(1)
    with pytest.raises(ValueError, match="filters"):
        build_wavelet_cnn(3, filters=())


@settings(max_examples=8, deadline=None)
@given(start=st.integers(2, 6), shift_blocks=st.integers(1, 5))
def test_when_a_feature_occurs_does_not_matter(model, start, shift_blocks):
    """A feature away from the image edges, moved in time by whole pooling blocks (4 bins)."""
    early = np.zeros((64, 64, 2), dtype=np.float32)
    early[..., 1] = 1.0
    early[20:30, 4 * start : 4 * start + 6, 0] = 0.8
    late = np.roll(early, 4 * shift_blocks, axis=1)
    embeddings = embedding_model(model)(np.stack([early, late])).numpy()
    np.testing.assert_allclose(embeddings[0], embeddings[1], rtol=1e-5, atol=1e-5)


def test_save_load_round_trip_with_safe_mode(model, tmp_path):
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    x = np.random.default_rng(2).random((5, 64, 64, 2), dtype=np.float32)
    np.testing.assert_array_equal(Embedder(loaded, batch_size=8)(x), Embedder(model, 8)(x))
    np.testing.assert_array_equal(
        loaded(x, training=False).numpy(),
        model(x, training=False).numpy(),
    )


def test_embedding_writes_no_file_to_the_temporary_folder(model, tmp_path, monkeypatch):
    # AutoGraph would leave a __autograph_generated_file*.py there in each killed process.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    embedder = Embedder(model, batch_size=4)
    x = np.random.default_rng(3).random((5, 64, 64, 2), dtype=np.float32)
    assert embedder(x).shape == (5, 16) and embedder(x[:1]).shape == (1, 16)
    assert list(tmp_path.iterdir()) == []


def test_model_inputs_stack_power_and_mask():
    images = np.random.default_rng(3).random((2, 64, 64), dtype=np.float32)
    masks = images > 0.5
    x = model_inputs(images, masks)
    assert x.shape == (2, 64, 64, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], images)
    np.testing.assert_array_equal(x[..., 1], masks.astype(np.float32))
    assert model_inputs(images, masks, channels=1).shape == (2, 64, 64, 1)
    with pytest.raises(ValueError, match="shape"):
        model_inputs(images, masks[:1])
    with pytest.raises(ValueError, match="channels"):
        model_inputs(images, masks, channels=3)


def test_model_inputs_with_the_harmonic_coherence():
    rng = np.random.default_rng(4)
    images = rng.random((2, 64, 64), dtype=np.float32)
    masks = images > 0.5
    harmonics = rng.uniform(-1, 1, (2, 2, 64, 64)).astype(np.float32)
    x = model_inputs(images, masks, channels=4, harmonics=harmonics)
    assert x.shape == (2, 64, 64, 4)
    np.testing.assert_array_equal(x[..., 2], harmonics[:, 0])
    np.testing.assert_array_equal(x[..., 3], harmonics[:, 1])
    one = model_inputs(images[0], masks[0], channels=4, harmonics=harmonics[0])
    np.testing.assert_array_equal(one[0], x[0])
    with pytest.raises(ValueError, match="harmonic_phase=True"):
        model_inputs(images, masks, channels=4)
    with pytest.raises(ValueError, match="do not match"):
        model_inputs(images, masks, channels=4, harmonics=harmonics[:, :1])
    model = build_wavelet_cnn(n_classes=3, channels=4, filters=(4, 8), embedding_dim=8)
    assert model(x, training=False).shape == (2, 3)
