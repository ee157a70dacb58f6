"""Contrastive self-supervision: the loss, the paired views, the encoder and a run of it."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

from astrolens.datasets import survey_data
from astrolens.encoders.contrastive_hybrid import (
    FOLD_JITTER_BINS,
    POWER_NOISE_SIGMA,
    SAMPLING_NOISE_SIGMA,
    SCALAR_NOISE,
    VIEW_AUGMENTATION,
    ContrastiveHybrid,
    augment_views,
)
from astrolens.encoders.hybrid_cnn import model_inputs, packed_shape
from astrolens.objectives.contrastive import (
    TEMPERATURE,
    Contrastive,
    contrastive_loss,
    star_ids,
)
from astrolens.periodogram import SCALAR_NAMES
from astrolens.runs import load_run
from astrolens.sources import example_files
from astrolens.splits import DataSplit, TrainingData
from astrolens.trainconfig import AugmentConfig, TrainConfig
from astrolens.training import run_split, train


def reference_loss(ids, projections):
    """The loss written out with NumPy, view by view."""
    unit = projections / np.linalg.norm(projections, axis=1, keepdims=True)
    logits = unit @ unit.T / TEMPERATURE
    losses = []
    for i in range(len(ids)):
        others = [j for j in range(len(ids)) if j != i]
        log_normaliser = np.log(np.sum(np.exp(logits[i, others])))
        positives = [j for j in others if ids[j] == ids[i]]
        losses.append(-np.mean([logits[i, j] - log_normaliser for j in positives] or [0.0]))
    return np.array(losses)


def loss(ids, projections):
    return np.asarray(contrastive_loss(np.asarray(ids), np.asarray(projections, np.float32)))


def test_the_loss_is_the_normalised_temperature_scaled_cross_entropy():
    projections = np.array([[1.0, 0.2], [0.8, 0.5], [0.3, 1.0], [0.6, 0.9]], np.float32)
    ids = [0, 0, 1, 1]
    expected = reference_loss(ids, projections)
    assert np.all(expected > 0.1)
    np.testing.assert_allclose(loss(ids, projections), expected, rtol=1e-5, atol=1e-6)
    as_floats = contrastive_loss(np.array([[0.0], [0.0], [1.0], [1.0]], np.float32), projections)
    np.testing.assert_allclose(np.asarray(as_floats), loss(ids, projections), rtol=1e-6)
    np.testing.assert_allclose(loss(ids, 7.0 * projections), loss(ids, projections), rtol=1e-5)
    alone = loss([0, 0, 1, 2], projections)
    assert alone.shape == (4,) and alone[2] == 0.0 and alone[3] == 0.0 and alone[0] > 0.0


def test_the_loss_is_low_when_views_of_one_star_are_close_and_others_far():
    rng = np.random.default_rng(0)
    stars = rng.normal(size=(8, 16))
    ids = np.r_[np.arange(8), np.arange(8)]
    close = np.r_[stars, stars + 0.05 * rng.normal(size=stars.shape)]
    random = rng.normal(size=(16, 16))
    assert loss(ids, close).mean() < 0.5 * loss(ids, random).mean()


CATALOG = pd.DataFrame(
    {
        "object_id": ["KIC 1", "OGLE 1", "KIC 2", "OGLE 2", "KIC 3", "KIC 4", "OGLE 3", "KIC 5"],
        "twin_of": ["", "KIC 1", "", "KIC 2", "", "", "KIC 5", ""],
    }
)
SPLIT = DataSplit(np.array([0, 1, 2, 4, 5]), np.array([3, 6, 7]), np.array([], dtype=np.int64))


def paired_views():
    inputs = np.arange(len(CATALOG), dtype=np.float32)[:, None]
    data = TrainingData(inputs, np.zeros(8, np.int64), ("EA",), CATALOG, SPLIT, (0.1, 10.0))
    return inputs, Contrastive().fit_targets(data, TrainConfig(period_bins=0))


def test_twins_share_a_star_and_only_twins_of_one_part_of_the_split_are_paired():
    inputs, fit = paired_views()
    assert fit.targets.tolist() == star_ids(CATALOG).tolist() == [0, 0, 1, 1, 2, 3, 4, 4]

    def unchanged(x, rng, config):
        return x

    seen = {row: set() for row in range(8)}
    for seed in range(40):
        for rows in (SPLIT.train, SPLIT.validation):
            x, y, weights = fit.batches(
                inputs, rows, np.random.default_rng(seed), unchanged, AugmentConfig()
            )
            partners = x[len(rows) :, 0].astype(int)
            assert x.shape == (2 * len(rows), 1) and x[: len(rows), 0].tolist() == rows.tolist()
            assert y[: len(rows)].tolist() == y[len(rows) :].tolist() == fit.targets[rows].tolist()
            assert weights.tolist() == [1.0] * (2 * len(rows))
            for row, partner in zip(rows, partners, strict=True):
                seen[row].add(int(partner))
    assert seen[0] == seen[1] == {0, 1}  # twins, both training objects
    assert seen[6] == seen[7] == {6, 7}  # twins, both validation objects
    assert seen[2] == {2} and seen[3] == {3}  # twins in different parts
    assert seen[4] == {4}


def test_the_batches_are_the_same_for_the_same_generator():
    fit = paired_views()[1]
    images = np.random.default_rng(0).random((8, *packed_shape()), dtype=np.float32)
    first, second = (
        fit.batches(images, SPLIT.train, np.random.default_rng(5), augment_views, VIEW_AUGMENTATION)
        for _ in range(2)
    )
    other = fit.batches(
        images, SPLIT.train, np.random.default_rng(6), augment_views, VIEW_AUGMENTATION
    )
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first[0].shape == (10, *packed_shape()) and not np.array_equal(first[0], other[0])


def hybrid_batch(n):
    """Packed inputs with a strong periodogram peak (bin 40), a window, coverage, folds and
    scalars."""
    rng = np.random.default_rng(2)
    power = np.full((n, 128), 0.05)
    power[:, 40] = 0.9
    fold = np.cos(2 * np.pi * (np.arange(32) + 0.5) / 32)
    batch = {
        "image": rng.random((n, 64, 64)),
        "mask": np.ones((n, 64, 64), bool),
        "harmonic": rng.random((n, 2, 64, 64)),
        "power": power,
        "window": rng.random((n, 128)),
        "coverage": np.ones((n, 128)),
        "folded": np.stack([np.stack([fold, -fold])] * n),
        "scalars": rng.normal(size=(n, 10)),
    }
    return model_inputs(batch)


def unpacked(x):
    """The periodogram's arrays of packed inputs, in the order of ``model_inputs``."""
    vector = x[:, 64:].reshape(len(x), -1)
    return {
        "power": vector[:, :128],
        "window": vector[:, 128:256],
        "coverage": vector[:, 256:384],
        "folded": vector[:, 384:448].reshape(-1, 2, 32),
        "scalars": vector[:, 448:458],
    }


def fold_shift(fold, unchanged):
    """The roll, within the jitter, that makes ``fold`` of ``unchanged``; None if none does."""
    jitter = range(-FOLD_JITTER_BINS, FOLD_JITTER_BINS + 1)
    return next((k for k in jitter if np.allclose(np.roll(unchanged, k), fold)), None)


def test_views_keep_the_period_axis_and_roll_the_folds_a_little():
    x = hybrid_batch(200)
    views = augment_views(x, np.random.default_rng(0))
    assert views.shape == x.shape and views.dtype == np.float32
    before, after = unpacked(x), unpacked(views)
    for name in ("window", "coverage"):  # sampled another way, bin by bin
        ratio = after[name] / before[name]
        assert np.all(np.abs(np.log(ratio)) < 6 * SAMPLING_NOISE_SIGMA) and ratio.std() > 0.1
    shift = after["scalars"] - before["scalars"]
    sigma = np.array([SCALAR_NOISE[name] for name in SCALAR_NAMES])
    assert np.all(np.abs(shift) < 6 * sigma) and np.allclose(shift.std(axis=0), sigma, rtol=0.3)
    ratio = after["power"] / before["power"]
    assert np.all(np.abs(np.log(ratio)) < 6 * POWER_NOISE_SIGMA) and ratio.std() > 0.05
    assert np.all(after["power"].argmax(axis=1) == 40)
    folds = zip(after["folded"].reshape(-1, 32), before["folded"].reshape(-1, 32), strict=True)
    shifts = [fold_shift(fold, unchanged) for fold, unchanged in folds]
    assert set(shifts) == set(range(-FOLD_JITTER_BINS, FOLD_JITTER_BINS + 1))
    dropped = ~views[:, :64].any(axis=(1, 2, 3))
    assert 60 < dropped.sum() < 140  # half the views have no wavelet image
    again = augment_views(x, np.random.default_rng(0))
    np.testing.assert_array_equal(again, views)


def test_the_encoder_has_no_heads_and_loads_safely(tmp_path):
    config = TrainConfig(
        encoder="contrastive_hybrid",
        objective="contrastive",
        filters=(4, 8),
        embedding_dim=8,
        threads=None,
    )
    encoder = ContrastiveHybrid.create(config, ("EA", "EW"), packed_shape())
    x = np.random.default_rng(1).random((4, *packed_shape()), dtype=np.float32)
    embeddings = encoder.embed(x)
    assert embeddings.shape == (4, 8) and encoder.dim == 8
    assert encoder.heads(x) == {} and ContrastiveHybrid.objectives == ("contrastive",)
    assert encoder.model.output_shape == (None, 64)
    encoder.save(tmp_path)
    loaded = ContrastiveHybrid.load(tmp_path, config, ("EA", "EW"))
    np.testing.assert_allclose(loaded.embed(x), embeddings, rtol=1e-5, atol=1e-6)
    assert isinstance(loaded.model.get_layer("projection"), keras.layers.Dense)


def partner_ranks(embeddings):
    """Rank of each view's other view among all the other views (0: nearest), by Euclidean
    distance; the first half of the rows are views of the objects the second half are too."""
    n = len(embeddings) // 2
    distances = np.linalg.norm(embeddings[:, None] - embeddings[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    partner = np.r_[np.arange(n, 2 * n), np.arange(n)]
    nearer = distances < distances[np.arange(2 * n), partner][:, None]
    return nearer.sum(axis=1)


@pytest.mark.slow
def test_a_contrastive_run_brings_views_of_one_star_together_and_is_usable(tmp_path):
    config = TrainConfig(
        survey="tiny-mixed",
        encoder="contrastive_hybrid",
        objective="contrastive",
        epochs=6,
        batch_size=64,
        filters=(4, 8),
        embedding_dim=16,
        threads=None,
        workers=1,
    )
    folder = train(
        config, tmp_path, name="contrastive", progress=False, cache_root=tmp_path / "cache"
    )
    saved = json.loads((folder / "config.json").read_text())
    assert (saved["train"]["encoder"], saved["train"]["objective"]) == (
        "contrastive_hybrid",
        "contrastive",
    )
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["test"]["classifier"].startswith("random forest")
    history = pd.read_csv(folder / "history.csv")
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    run = load_run(folder)
    vector = run.embed_item(run.load(example_files("Kepler")[0]))
    assert vector.shape == (16,) and np.isfinite(vector).all()

    survey = survey_data("tiny-mixed", "hybrid", cache_root=tmp_path / "cache", progress=False)
    labels = np.array([run.class_names.index(label) for label in survey.labels])
    test = run_split(survey.object_ids, labels, config).test
    inputs = run.encoder.model_inputs(survey.arrays, config)[test]
    rng = np.random.default_rng(1)
    views = augment_views(np.concatenate([inputs, inputs]), rng)
    untrained = ContrastiveHybrid.create(config, run.class_names, inputs.shape[1:])
    learned = partner_ranks(run.encoder.embed(views)).mean()
    before = partner_ranks(untrained.embed(views)).mean()
    assert learned < 0.7 * before
