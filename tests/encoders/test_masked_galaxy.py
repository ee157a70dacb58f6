"""Masked modelling of galaxies: which pixels are hidden, what the loss sees, orientation,
learning, the figure and a run of it on the tiny galaxy survey."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from astrolens.encoders.autoencoder_galaxy import HIDDEN_COLOUR
from astrolens.encoders.galaxy_cnn import augment_cutouts
from astrolens.encoders.masked_galaxy import FIGURE_MASK_SEED, MaskedGalaxy
from astrolens.objectives import objective_class
from astrolens.objectives.reconstruction import (
    IMAGE_PATCH,
    MASK_RATIO,
    mask_inputs,
    masked_batch,
    masked_mse,
)
from astrolens.runfolder import RECONSTRUCTION_FIGURE
from astrolens.runs import load_run
from astrolens.splits import DataSplit, TrainingData
from astrolens.trainconfig import AugmentConfig
from astrolens.training import train

CLASSES = ("elliptical", "spiral", "ring")


@pytest.fixture
def config(galaxy_train_config):
    """The small training configuration of the masked-modelling galaxy encoder."""
    return galaxy_train_config("masked_galaxy", "masked")


def patches(hidden):
    """``(N, 8, 8, 8, 8, 3)``: the hidden pixels of 64 x 64 cutouts by patch row, pixel row,
    patch column, pixel column, colour."""
    return hidden.reshape(len(hidden), 8, IMAGE_PATCH, 8, IMAGE_PATCH, 3)


def test_masking_hides_the_share_in_whole_patches_of_all_colours(pictures):
    x = pictures(40)
    masked, hidden = mask_inputs(x, np.random.default_rng(0), ratio=0.3)
    by_patch = patches(hidden)
    assert (by_patch == by_patch[:, :, :1, :, :1, :1]).all()  # whole patches, all colours
    per_cutout = by_patch[:, :, 0, :, 0, 0].sum(axis=(1, 2))
    np.testing.assert_array_equal(per_cutout, round(0.3 * 64))
    assert abs(hidden.mean() - 0.3) < 0.01
    assert len({h.tobytes() for h in hidden}) == 40  # a mask of its own for each cutout
    assert (masked[hidden] == 0).all()
    np.testing.assert_array_equal(masked[~hidden], x[~hidden])
    _, default = mask_inputs(x, np.random.default_rng(1))
    assert default.mean() == MASK_RATIO


def test_the_loss_counts_the_hidden_pixels_only(config, pictures):
    x = pictures(6)
    rows = np.array([0, 2, 5])
    inputs, targets, sample_weights = masked_batch(
        x, rows, np.random.default_rng(4), augment_cutouts, AugmentConfig()
    )
    truth, weights = targets[..., :3], targets[..., 3:]
    np.testing.assert_array_equal(truth, augment_cutouts(x[rows], np.random.default_rng(4)))
    hidden = weights > 0
    assert np.unique(weights).tolist() == [0.0, 1.0] and abs(hidden.mean() - MASK_RATIO) < 1e-6
    np.testing.assert_array_equal(inputs, np.where(hidden, 0.0, truth))
    np.testing.assert_array_equal(sample_weights, 1.0)
    wrong_where_visible = np.where(hidden, truth, truth + 3.0).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(masked_mse(targets, wrong_where_visible)), 0.0)
    wrong_where_hidden = np.where(hidden, truth + 0.5, truth).astype(np.float32)
    np.testing.assert_allclose(np.asarray(masked_mse(targets, wrong_where_hidden)), 0.25)
    fit = objective_class("masked")().fit_targets(None, config)
    assert fit.loss is masked_mse and fit.batches is masked_batch


def test_the_embedding_does_not_change_when_the_cutout_is_turned_or_mirrored(config, pictures):
    encoder = MaskedGalaxy.create(config, CLASSES, (64, 64, 3))
    assert encoder.model.name == "masked_galaxy" and MaskedGalaxy.objectives == ("masked",)
    x = pictures(3)
    reference = encoder.embed(x)
    assert reference.shape == (3, 8) and encoder.heads(x) == {}
    scale = np.abs(reference).max()
    for changed in (np.rot90(x, 1, axes=(1, 2)), x[:, :, ::-1]):
        turned = encoder.embed(changed)
        np.testing.assert_allclose(turned, reference, atol=1e-5)
        assert np.abs(turned - reference).max() < 1e-4 * scale
    assert np.abs(encoder.embed(np.roll(x, 12, axis=2)) - reference).max() > 1e-2 * scale


def masked_loss(encoder, x):
    """The masked loss of cutouts ``x`` (not augmented, a fixed mask), per cutout."""
    shown, targets, _ = masked_batch(
        x, np.arange(len(x)), np.random.default_rng(7), lambda batch, rng, config: batch, None
    )
    return np.asarray(masked_mse(targets, encoder.reconstruct(shown)))


def test_training_reduces_the_masked_loss(config, cutouts):
    x, labels, names = cutouts
    split = DataSplit(np.arange(0, 40), np.arange(40, 48), np.arange(48, 60))
    data = TrainingData(x, labels, names, None, split, (1.0, 2.0))
    encoder = MaskedGalaxy.create(dataclasses.replace(config, epochs=3), names, x.shape[1:])
    before = masked_loss(encoder, x[split.test]).mean()
    history = encoder.fit(data, progress=False)
    assert list(history["epoch"]) == [1, 2, 3]
    after = masked_loss(encoder, x[split.test]).mean()
    assert after < 0.8 * before, (before, after)


def test_the_figure_shows_the_masked_cutout_the_reconstruction_and_the_truth(config, pictures):
    x = pictures(3)
    split = DataSplit(np.arange(0), np.arange(0), np.arange(3))
    data = TrainingData(x, np.array([2, 0, 2]), CLASSES, None, split, (1.0, 2.0))
    figure = MaskedGalaxy.create(config, CLASSES, (64, 64, 3)).figures(data)[RECONSTRUCTION_FIGURE]
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == [
        "ring: masked input",
        "reconstruction",
        "truth",
        "elliptical: masked input",
        "reconstruction",
        "truth",
    ]
    _, hidden = mask_inputs(x[:1], np.random.default_rng(FIGURE_MASK_SEED))
    shown = figure.axes[0].images[0].get_array()
    light_blue = np.array(HIDDEN_COLOUR, np.float32)
    assert np.allclose(shown[hidden[0, ..., 0]], light_blue)
    np.testing.assert_allclose(figure.axes[2].images[0].get_array(), np.clip(x[0], 0.0, 1.0))


@pytest.mark.slow
def test_a_masked_run_on_the_tiny_galaxy_survey_draws_its_reconstructions(
    config, tmp_path, survey_cache, pictures
):
    config = dataclasses.replace(config, epochs=2, batch_size=64, learning_rate=2e-3, workers=1)
    folder = train(config, tmp_path, name="masked", progress=False, cache_root=survey_cache)
    assert (folder / RECONSTRUCTION_FIGURE).is_file()
    saved = json.loads((folder / "config.json").read_text())
    assert saved["modality"] == "galaxy_image" and saved["train"]["objective"] == "masked"
    history = pd.read_csv(folder / "history.csv")
    assert len(history) == 2 and np.isfinite(history["loss"]).all()
    run = load_run(folder)
    assert run.representation == "cutout"
    assert run.embed_item(run.load(pictures(1)[0])).shape == (8,)
