"""The galaxy autoencoder: the network, the objective on cutouts, orientation, learning, its
figure and a run of it on the tiny galaxy survey."""

from __future__ import annotations

import dataclasses
import json

import keras
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from astrolens.encoders.autoencoder_galaxy import (
    AutoencoderGalaxy,
    build_autoencoder_galaxy,
    build_cutout_decoder,
    example_rows,
)
from astrolens.encoders.autoencoder_hybrid import BATCH_NORM_MOMENTUM
from astrolens.encoders.galaxy_cnn import augment_cutouts
from astrolens.objectives.reconstruction import (
    PackedLayout,
    input_layout,
    masked_mse,
    reconstruction_batch,
    reconstruction_weights,
)
from astrolens.runfolder import RECONSTRUCTION_FIGURE
from astrolens.runs import load_run
from astrolens.splits import DataSplit, TrainingData
from astrolens.trainconfig import AugmentConfig
from astrolens.training import train

CLASSES = ("elliptical", "spiral", "ring")


@pytest.fixture
def config(galaxy_train_config):
    """The small training configuration of the galaxy autoencoder."""
    return galaxy_train_config("autoencoder_galaxy", "reconstruction")


def reconstruction_loss(encoder, x):
    """The autoencoder's loss on cutouts ``x``, not augmented, per cutout."""
    _, targets, _ = reconstruction_batch(
        x, np.arange(len(x)), None, lambda batch, rng, config: batch, AugmentConfig()
    )
    return np.asarray(masked_mse(targets, encoder.reconstruct(x)))


def test_the_network_redraws_a_cutout_from_a_linear_bottleneck():
    model = build_autoencoder_galaxy(filters=(4, 8), embedding_dim=8)
    assert model.output_shape == (None, 64, 64, 3) and model.layers[-1].name == "reconstruction"
    embedding = model.get_layer("embedding")
    assert isinstance(embedding, keras.layers.Dense) and embedding.output.shape == (None, 8)
    assert embedding.get_config()["activation"] == "linear"
    assert model.get_layer("conv1b") and model.get_layer("flattened").output.shape == (None, 2048)
    assert "pooled" not in [layer.name for layer in model.layers]  # where things are: kept
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(layer.momentum == BATCH_NORM_MOMENTUM for layer in norms)
    assert build_cutout_decoder(keras.Input((8,)), 32).shape == (None, 32, 32, 3)
    with pytest.raises(ValueError, match="multiple of 8"):
        build_cutout_decoder(keras.Input((8,)), 60)


def test_the_objective_weighs_every_pixel_of_the_augmented_cutout(pictures):
    x = pictures(5)
    assert input_layout(x.shape[1:]) == PackedLayout.picture((64, 64, 3))
    np.testing.assert_array_equal(reconstruction_weights(x), 1.0)
    rows = np.array([0, 3, 4])
    inputs, targets, sample_weights = reconstruction_batch(
        x, rows, np.random.default_rng(2), augment_cutouts, AugmentConfig()
    )
    np.testing.assert_array_equal(inputs, augment_cutouts(x[rows], np.random.default_rng(2)))
    assert not np.array_equal(inputs, x[rows])
    np.testing.assert_array_equal(targets[..., :3], inputs)
    np.testing.assert_array_equal(targets[..., 3:], 1.0)
    np.testing.assert_array_equal(sample_weights, 1.0)
    prediction = inputs + 0.5
    np.testing.assert_allclose(np.asarray(masked_mse(targets, prediction)), 0.25, rtol=1e-6)


def test_the_embedding_does_not_change_when_the_cutout_is_turned_or_mirrored(config, pictures):
    encoder = AutoencoderGalaxy.create(config, CLASSES, (64, 64, 3))
    x = pictures(3)
    reference = encoder.embed(x)
    assert reference.shape == (3, 8) and encoder.heads(x) == {}
    assert encoder.reconstruct(x).shape == x.shape
    scale = np.abs(reference).max()
    for changed in (np.rot90(x, 1, axes=(1, 2)), x[:, :, ::-1]):
        turned = encoder.embed(changed)
        np.testing.assert_allclose(turned, reference, atol=1e-5)
        assert np.abs(turned - reference).max() < 1e-4 * scale
    assert np.abs(encoder.embed(np.roll(x, 12, axis=2)) - reference).max() > 1e-2 * scale


def test_training_reduces_the_reconstruction_loss(config, cutouts):
    x, labels, names = cutouts
    split = DataSplit(np.arange(0, 40), np.arange(40, 48), np.arange(48, 60))
    data = TrainingData(x, labels, names, None, split, (1.0, 2.0))
    encoder = AutoencoderGalaxy.create(dataclasses.replace(config, epochs=3), names, x.shape[1:])
    before = reconstruction_loss(encoder, x[split.test]).mean()
    history = encoder.fit(data, progress=False)
    assert list(history["epoch"]) == [1, 2, 3]
    after = reconstruction_loss(encoder, x[split.test]).mean()
    assert after < 0.8 * before, (before, after)


def test_the_figure_shows_galaxies_of_distinct_classes_as_pictures(config, tmp_path, pictures):
    x = 1.5 * pictures(5)  # brighter than 1: clipped for display
    split = DataSplit(np.arange(0), np.arange(0), np.arange(5))
    data = TrainingData(x, np.array([1, 1, 0, 2, 0]), CLASSES, None, split, (1.0, 2.0))
    assert example_rows(data).tolist() == [0, 2, 3]
    encoder = AutoencoderGalaxy.create(config, CLASSES, (64, 64, 3))
    figures = encoder.figures(data)
    assert list(figures) == [RECONSTRUCTION_FIGURE]
    figure = figures[RECONSTRUCTION_FIGURE]
    assert isinstance(figure, Figure) and len(figure.axes) == 6
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[:3] == [
        "spiral: input (the truth)",
        "reconstruction",
        "elliptical: input (the truth)",
    ]
    shown = figure.axes[0].images[0].get_array()
    assert shown.shape == (64, 64, 3) and shown.min() >= 0.0 and shown.max() == 1.0
    encoder.save(tmp_path)
    loaded = AutoencoderGalaxy.load(tmp_path, config, CLASSES)
    np.testing.assert_allclose(loaded.embed(x), encoder.embed(x), rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_an_autoencoder_run_on_the_tiny_galaxy_survey_draws_its_reconstructions(
    config, tmp_path, survey_cache, pictures
):
    config = dataclasses.replace(config, epochs=2, batch_size=64, learning_rate=2e-3, workers=1)
    folder = train(config, tmp_path, name="autoencoder", progress=False, cache_root=survey_cache)
    assert (folder / RECONSTRUCTION_FIGURE).is_file()
    saved = json.loads((folder / "config.json").read_text())
    assert saved["modality"] == "galaxy_image" and saved["train"]["objective"] == "reconstruction"
    history = pd.read_csv(folder / "history.csv")
    assert len(history) == 2 and np.isfinite(history["loss"]).all()
    run = load_run(folder)
    assert run.representation == "cutout"
    assert run.embed_item(run.load(pictures(1)[0])).shape == (8,)
