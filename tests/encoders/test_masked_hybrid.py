"""Masked modelling: what is hidden, what the loss sees, the encoder, its figure and a run of it."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

from astrolens.datasets import survey_data
from astrolens.encoders.hybrid_cnn import packed_shape
from astrolens.encoders.masked_hybrid import MaskedHybrid
from astrolens.objectives import objective_class
from astrolens.objectives.reconstruction import (
    MaskedReconstruction,
    PackedLayout,
    balanced_weights,
    mask_inputs,
    masked_batch,
    masked_mse,
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
    encoder="masked_hybrid", objective="masked", filters=(4, 8), embedding_dim=8, threads=None
)


def packed(n, seed=0, images=None):
    """Packed inputs in (0.1, 1): every object with an image but those ``images`` says not."""
    x = np.random.default_rng(seed).uniform(0.1, 1.0, (n, *SHAPE)).astype(np.float32)
    if images is not None:
        x[~np.asarray(images), : LAYOUT.image_rows] = 0.0
    return x


def parts(hidden):
    """Hidden image ``(N, rows, width, channels)``, spectrum ``(N, 3, n_periods)``, folds
    ``(N, 2, n_phase_bins)`` and the rest of the periodogram vector."""
    vector = hidden[:, LAYOUT.image_rows :].reshape(len(hidden), -1)
    spectrum = vector[:, LAYOUT.spectrum].reshape(len(hidden), 3, -1)
    folds = vector[:, LAYOUT.folds].reshape(len(hidden), 2, -1)
    return hidden[:, : LAYOUT.image_rows], spectrum, folds, vector[:, LAYOUT.scalars.start :]


def test_the_hidden_share_is_the_ratio_and_only_the_hidden_elements_are_zero():
    x = packed(100, images=np.arange(100) % 3 > 0)
    masked, hidden = mask_inputs(x, np.random.default_rng(0), ratio=0.3)
    image, spectrum, folds, rest = parts(hidden)
    with_image = np.arange(100) % 3 > 0
    assert abs(image[with_image].mean() - 0.3) < 0.05
    assert abs(spectrum.mean() - 0.3) < 0.05 and abs(folds.mean() - 0.3) < 0.1
    assert not image[~with_image].any()  # ground-based: nothing of an empty image
    assert not rest.any()  # the scalars and the padding
    assert (masked[hidden] == 0).all()
    np.testing.assert_array_equal(masked[~hidden], x[~hidden])


def test_the_hidden_parts_are_patches_and_runs():
    _, hidden = mask_inputs(packed(20), np.random.default_rng(1))
    image, spectrum, folds, _ = parts(hidden)
    patches = image[..., 0].reshape(20, 8, 8, 8, 8)
    assert (patches == patches[:, :, :1, :, :1]).all()  # constant over each 8 x 8 patch
    assert (image == image[..., :1]).all()  # all four channels
    assert (spectrum == spectrum[:, :1]).all()  # power, window and coverage alike
    runs = spectrum[:, 0].reshape(20, 16, 8)
    assert (runs == runs[..., :1]).all()
    phase_runs = folds.reshape(20, 2, 8, 4)
    assert (phase_runs == phase_runs[..., :1]).all()
    assert not (folds[:, 0] == folds[:, 1]).all()  # each fold its own runs


def test_the_mask_is_the_same_for_a_seed():
    x = packed(4)
    first = mask_inputs(x, np.random.default_rng(5))
    second = mask_inputs(x, np.random.default_rng(5))
    other = mask_inputs(x, np.random.default_rng(6))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[1], other[1])


def test_a_batch_weighs_the_hidden_parts_of_the_augmented_input():
    x = packed(6, images=[True, False, True, False, True, True])

    def augmentation(batch, rng, config):
        return 2.0 * batch

    rows = np.array([0, 1, 4])
    inputs, targets, sample_weights = masked_batch(
        x, rows, np.random.default_rng(2), augmentation, AugmentConfig()
    )
    truth, weights = targets[..., :4], targets[..., 4:]
    np.testing.assert_array_equal(truth, 2.0 * x[rows])
    hidden = inputs != truth
    assert ((weights > 0) == hidden).all()  # the loss sees the hidden elements only
    np.testing.assert_array_equal(weights, balanced_weights(hidden.astype(np.float32), LAYOUT))
    assert not weights[1, : LAYOUT.image_rows].any()  # an object without an image
    np.testing.assert_array_equal(sample_weights, 1.0)
    # filling in the hidden parts is perfect, whatever is predicted elsewhere
    prediction = np.where(hidden, truth, 0.0).astype(np.float32)
    np.testing.assert_allclose(np.asarray(masked_mse(targets, prediction)), 0.0, atol=1e-7)
    fit = objective_class("masked")().fit_targets(None, CONFIG)
    assert isinstance(objective_class("masked")(), MaskedReconstruction)
    assert fit.loss is masked_mse and fit.batches is masked_batch


def test_the_encoder_embeds_has_no_heads_and_loads_safely(tmp_path):
    encoder = MaskedHybrid.create(CONFIG, ("EA", "EW"), SHAPE)
    x = packed(4, images=[True, False, True, False])
    embeddings = encoder.embed(x)
    assert embeddings.shape == (4, 8) and encoder.heads(x) == {}
    assert encoder.model.output_shape == (None, *SHAPE) and encoder.model.name == "masked_hybrid"
    assert MaskedHybrid.objectives == ("masked",)
    encoder.save(tmp_path)
    loaded = MaskedHybrid.load(tmp_path, CONFIG, ("EA", "EW"))
    np.testing.assert_allclose(loaded.embed(x), embeddings, rtol=1e-5, atol=1e-6)
    assert isinstance(loaded.model.get_layer("embedding"), keras.layers.Dense)


def test_the_figure_shows_the_masked_input_the_reconstruction_and_the_truth():
    x = packed(4, images=[True, False, True, False])
    split = DataSplit(np.arange(0), np.arange(0), np.arange(4))
    data = TrainingData(x, np.arange(4), ("EA", "EW", "MIRA", "ROT"), None, split, (0.04, 2e3))
    figure = MaskedHybrid.create(CONFIG, data.class_names, SHAPE).figures(data)
    axes = figure[RECONSTRUCTION_FIGURE].axes
    titles = [ax.get_title() for ax in axes]
    assert titles[:4] == ["EA: masked input", "reconstruction", "truth", "EA: periodogram power"]
    assert len(axes[0].collections) == 2  # the power, and the hidden patches over it
    assert axes[3].patches  # the hidden period bins shaded


@pytest.fixture(scope="module")
def survey_cache(tmp_path_factory):
    """The tiny mixed survey's representations, in pytest's base temporary folder: computed
    once, for both reconstruction runs."""
    return tmp_path_factory.getbasetemp() / "tiny-mixed-cache"


@pytest.mark.slow
def test_a_masked_run_fills_in_held_out_objects(tmp_path, survey_cache):
    config = TrainConfig(
        survey="tiny-mixed",
        encoder="masked_hybrid",
        objective="masked",
        epochs=6,
        batch_size=16,
        filters=(4, 8),
        embedding_dim=16,
        threads=None,
        workers=1,
    )
    folder = train(config, tmp_path, name="masked", progress=False, cache_root=survey_cache)
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
    shown, targets, _ = masked_batch(
        inputs, split.test, np.random.default_rng(7), lambda x, rng, augment: x, config.augment
    )
    untrained = MaskedHybrid.create(config, run.class_names, inputs.shape[1:])
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
