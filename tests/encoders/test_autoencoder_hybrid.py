"""The autoencoder: the reconstruction loss and weights, the encoder, its figure and a run of it."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from astrolens.datasets import survey_data
from astrolens.encoders.autoencoder_hybrid import (
    BATCH_NORM_MOMENTUM,
    AutoencoderHybrid,
    build_decoder,
    example_rows,
)
from astrolens.encoders.hybrid_cnn import packed_shape
from astrolens.objectives import objective_class
from astrolens.objectives.reconstruction import (
    PackedLayout,
    Reconstruction,
    masked_mse,
    reconstruction_batch,
    reconstruction_weights,
)
from astrolens.runfolder import RECONSTRUCTION_FIGURE
from astrolens.runs import load_run
from astrolens.sources import example_files
from astrolens.splits import DataSplit, TrainingData
from astrolens.trainconfig import AugmentConfig, TrainConfig
from astrolens.training import run_split, train

SHAPE = packed_shape()
LAYOUT = PackedLayout.of(SHAPE)
CONFIG = TrainConfig(
    encoder="autoencoder_hybrid",
    objective="reconstruction",
    filters=(4, 8),
    embedding_dim=8,
    threads=None,
)


def packed(n, seed=0, images=None):
    """Packed inputs in (0.1, 1): every object with an image but those ``images`` says not."""
    x = np.random.default_rng(seed).uniform(0.1, 1.0, (n, *SHAPE)).astype(np.float32)
    if images is not None:
        x[~np.asarray(images), : LAYOUT.image_rows] = 0.0
    return x


def loss(truth, weights, prediction):
    return np.asarray(masked_mse(np.concatenate([truth, weights], -1), prediction))


def test_the_loss_is_zero_where_weighted_and_blind_elsewhere():
    rng = np.random.default_rng(0)
    truth = rng.random((3, 4, 5, 2)).astype(np.float32)
    weights = (rng.random(truth.shape) < 0.5).astype(np.float32)
    elsewhere = np.where(weights > 0, truth, rng.normal(size=truth.shape).astype(np.float32))
    assert loss(truth, weights, elsewhere).shape == (3,)
    np.testing.assert_array_equal(loss(truth, weights, elsewhere), 0.0)
    wrong = truth + 0.5 * weights
    np.testing.assert_allclose(loss(truth, weights, wrong), 0.25, rtol=1e-6)
    changed = np.where(weights > 0, wrong, 7.0)
    np.testing.assert_allclose(loss(truth, weights, changed), loss(truth, weights, wrong))


def test_the_loss_is_the_weighted_mean_of_squared_errors():
    truth = np.array([[[1.0, 2.0, 3.0]], [[0.0, 0.0, 0.0]]], np.float32)
    weights = np.array([[[2.0, 1.0, 0.0]], [[0.0, 0.0, 0.5]]], np.float32)
    prediction = np.array([[[2.0, 4.0, 9.0]], [[1.0, 1.0, 2.0]]], np.float32)
    # (2 * 1 + 1 * 4) / 3 = 2; the second: 0.5 * 4 / max(0.5, 1) = 2
    np.testing.assert_allclose(loss(truth, weights, prediction), [2.0, 2.0])


def test_the_weights_skip_scalars_padding_and_empty_images():
    x = packed(2, images=[True, False])
    weights = reconstruction_weights(x)
    vector = weights[:, LAYOUT.image_rows :].reshape(2, -1)
    assert (vector[:, : LAYOUT.folds.stop] == 1.0).all()
    assert not vector[:, LAYOUT.scalars.start :].any()  # the scalars, then the padding
    assert not weights[1, : LAYOUT.image_rows].any()  # no image: nothing to reconstruct
    image = weights[0, : LAYOUT.image_rows]
    assert np.unique(image).size == 1 and image.sum() == pytest.approx(vector[0].sum())


def test_a_batch_is_the_augmented_input_as_input_and_target():
    x = packed(5, images=[True, True, False, True, False])

    def augmentation(batch, rng, config):
        return batch + rng.random(batch.shape).astype(np.float32)

    rows = np.array([0, 2, 4])
    inputs, targets, sample_weights = reconstruction_batch(
        x, rows, np.random.default_rng(3), augmentation, AugmentConfig()
    )
    assert not np.allclose(inputs, x[rows])
    np.testing.assert_array_equal(targets[..., :4], inputs)
    np.testing.assert_array_equal(targets[..., 4:], reconstruction_weights(inputs))
    np.testing.assert_array_equal(sample_weights, 1.0)
    again = reconstruction_batch(x, rows, np.random.default_rng(3), augmentation, AugmentConfig())
    np.testing.assert_array_equal(again[1], targets)
    fit = objective_class("reconstruction")().fit_targets(None, CONFIG)
    assert isinstance(objective_class("reconstruction")(), Reconstruction)
    assert fit.loss is masked_mse and fit.batches is reconstruction_batch


def test_the_decoder_gives_the_packed_shape_of_any_image_size():
    embedding = keras.Input((8,))
    assert tuple(build_decoder(embedding, (32, 48)).shape[1:]) == packed_shape((32, 48))
    with pytest.raises(ValueError, match="multiples of 8"):
        build_decoder(embedding, (60, 64))


def test_the_encoder_embeds_has_no_heads_and_loads_safely(tmp_path):
    encoder = AutoencoderHybrid.create(CONFIG, ("EA", "EW"), SHAPE)
    x = packed(4, images=[True, False, True, False])
    embeddings = encoder.embed(x)
    assert embeddings.shape == (4, 8) and encoder.heads(x) == {}
    assert encoder.model.output_shape == (None, *SHAPE)
    assert encoder.reconstruct(x).shape == x.shape
    assert AutoencoderHybrid.objectives == ("reconstruction",)
    encoder.save(tmp_path)
    loaded = AutoencoderHybrid.load(tmp_path, CONFIG, ("EA", "EW"))
    np.testing.assert_allclose(loaded.embed(x), embeddings, rtol=1e-5, atol=1e-6)
    norms = [
        layer for layer in loaded.model.layers if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and all(layer.momentum == BATCH_NORM_MOMENTUM for layer in norms)


def test_the_figure_shows_objects_of_distinct_classes_with_and_without_an_image():
    labels = np.array([0, 0, 1, 1, 2, 2, 3])
    x = packed(7, images=[True, True, True, False, False, False, True])
    split = DataSplit(np.arange(0), np.arange(0), np.arange(7))
    data = TrainingData(x, labels, ("EA", "EW", "MIRA", "ROT"), None, split, (0.04, 2000.0))
    rows = example_rows(data)
    assert rows.tolist() == [0, 3, 6, 4]
    encoder = AutoencoderHybrid.create(CONFIG, data.class_names, SHAPE)
    figures = encoder.figures(data)
    assert list(figures) == [RECONSTRUCTION_FIGURE] and isinstance(
        figures[RECONSTRUCTION_FIGURE], Figure
    )
    titles = [ax.get_title() for ax in figures[RECONSTRUCTION_FIGURE].axes]
    assert titles[:3] == ["EA: input (the truth)", "reconstruction", "EA: periodogram power"]
    assert "EW: periodogram power" in titles and "MIRA: input (the truth)" in titles


@pytest.fixture(scope="module")
def survey_cache(tmp_path_factory):
    """The tiny mixed survey's representations, in pytest's base temporary folder: computed
    once, for both reconstruction runs."""
    return tmp_path_factory.getbasetemp() / "tiny-mixed-cache"


@pytest.mark.slow
def test_an_autoencoder_run_reconstructs_held_out_objects(tmp_path, survey_cache):
    config = TrainConfig(
        survey="tiny-mixed",
        encoder="autoencoder_hybrid",
        objective="reconstruction",
        epochs=6,
        batch_size=16,
        filters=(4, 8),
        embedding_dim=16,
        threads=None,
        workers=1,
    )
    folder = train(config, tmp_path, name="autoencoder", progress=False, cache_root=survey_cache)
    assert (folder / RECONSTRUCTION_FIGURE).is_file()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["test"]["classifier"].startswith("random forest")
    history = pd.read_csv(folder / "history.csv")
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    run = load_run(folder)
    assert run.embed_item(run.load(example_files("Kepler")[0])).shape == (16,)

    survey = survey_data("tiny-mixed", "hybrid", cache_root=survey_cache, progress=False)
    labels = np.array([run.class_names.index(label) for label in survey.labels])
    split = run_split(survey.object_ids, labels, config)
    inputs = run.encoder.model_inputs(survey.arrays, config)
    shown, targets, _ = reconstruction_batch(
        inputs, split.test, None, lambda batch, rng, augment: batch, config.augment
    )
    untrained = AutoencoderHybrid.create(config, run.class_names, inputs.shape[1:])
    mean = np.broadcast_to(inputs[split.train].mean(axis=0), shown.shape)
    errors = {
        name: float(np.mean(masked_mse(targets, prediction)))
        for name, prediction in (
            ("trained", run.encoder.reconstruct(shown)),
            ("untrained", untrained.reconstruct(shown)),
            ("mean", mean),
        )
    }
    assert errors["trained"] < 0.85 * min(errors["untrained"], errors["mean"]), errors
