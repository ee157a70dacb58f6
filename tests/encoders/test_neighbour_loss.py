"""The neighbour loss of the supervised objective: values, what it leaves out, what it learns."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from astrolens.cli import main
from astrolens.encoders.hybrid_cnn import HybridCNN, packed_shape
from astrolens.encoders.keras_encoder import EMBEDDING_LAYER
from astrolens.objectives import CLASS_OUTPUT, PERIOD_OUTPUT, Supervised
from astrolens.objectives.contrastive import PairedViews
from astrolens.objectives.neighbours import (
    NEIGHBOUR_OUTPUT,
    NeighbourBatches,
    neighbour_loss,
    neighbour_targets,
)
from astrolens.splits import TrainingData, stratified_split
from astrolens.trainconfig import TrainConfig


def reference_loss(labels, periods, embeddings, sigma, temperature):
    """The loss written out pair by pair (module description of astrolens.objectives.neighbours)."""
    n = len(labels)
    out = np.zeros(n)
    for a in range(n):
        others = [b for b in range(n) if b != a]
        distances = np.array([np.sum((embeddings[a] - embeddings[b]) ** 2) for b in others])
        logits = -distances / temperature
        log_p = logits - np.log(np.sum(np.exp(logits - logits.max()))) - logits.max()
        wanted = np.zeros(len(others))
        for i, b in enumerate(others):
            if labels[b] != labels[a]:
                continue
            known_a, known_b = np.isfinite(periods[a]), np.isfinite(periods[b])
            if known_a and known_b:
                delta = np.log10(periods[a]) - np.log10(periods[b])
                wanted[i] = np.exp(-0.5 * (delta / sigma) ** 2)
            elif not known_a and not known_b:
                wanted[i] = 1.0
        if wanted.sum() > 0:
            out[a] = -np.sum(wanted / wanted.sum() * log_p)
    return out


def test_the_loss_is_the_cross_entropy_of_the_two_neighbour_distributions():
    rng = np.random.default_rng(3)
    labels = np.array([0, 0, 0, 1, 1, 2, 3, 3, 0])
    periods = np.array([0.5, 0.52, 0.9, 3.0, 3.3, 40.0, np.nan, np.nan, np.nan])
    embeddings = rng.normal(size=(9, 5)).astype(np.float32)
    targets, weights = neighbour_targets(labels, periods)
    got = np.asarray(neighbour_loss(0.05, 4.0)(targets, embeddings))
    expected = reference_loss(labels, periods, embeddings.astype(np.float64), 0.05, 4.0)
    assert weights.tolist() == [1.0] * 9
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    # alone in its class (2), and the RRab without a period among RRab with one (8): nothing
    assert got[5] == 0.0 and got[8] == 0.0 and (got[[0, 1, 2, 3, 4, 6, 7]] > 0).all()


def test_the_nearest_class_mate_in_period_is_the_wanted_neighbour():
    loss = neighbour_loss(0.02, 1.0)
    labels, periods = [0, 0, 0, 1], [0.50, 0.51, 0.60, 0.505]
    targets = neighbour_targets(labels, periods)[0]
    near_in_period = np.array([[0, 0], [0.3, 0], [3, 0], [0.1, 0]], np.float32)
    near_in_class_only = np.array([[0, 0], [3, 0], [0.3, 0], [0.1, 0]], np.float32)
    first = np.asarray(loss(targets, near_in_period))[0]
    second = np.asarray(loss(targets, near_in_class_only))[0]
    # the wanted one 0.3 away costs 0.74 (the other class's star, 0.1 away, takes a share of the
    # predicted neighbours; it is never wanted); 3 away, 9.6
    assert first < 1.0 and second > 9.0
    for embeddings, value in ((near_in_period, first), (near_in_class_only, second)):
        expected = reference_loss(np.array(labels), np.array(periods), embeddings, 0.02, 1.0)[0]
        assert value == pytest.approx(expected, rel=1e-4)


def test_free_embeddings_fitted_to_it_order_each_class_by_period():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 30)
    periods = np.concatenate([rng.uniform(0.4, 0.8, 30), rng.uniform(2.0, 4.0, 30)])
    targets = tf.constant(neighbour_targets(labels, periods)[0])
    embeddings = tf.Variable(rng.normal(size=(60, 4)).astype(np.float32))
    loss = neighbour_loss(0.02, 1.0)
    optimizer = keras.optimizers.Adam(0.05)
    for _ in range(300):
        with tf.GradientTape() as tape:
            value = tf.reduce_mean(loss(targets, embeddings))
        optimizer.apply_gradients([(tape.gradient(value, embeddings), embeddings)])
    vectors = embeddings.numpy()
    distances = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    assert np.mean(labels[nearest] == labels) == 1.0
    error = np.abs(np.log(periods[nearest] / periods))
    random_pairs = np.abs(np.log(periods / rng.permutation(periods.reshape(2, 30), axis=1).ravel()))
    assert np.median(error) < 0.25 * np.median(random_pairs)


def training_data(n=12):
    labels = np.arange(n) % 2
    split = stratified_split([f"KIC {i}" for i in range(n)], labels, 0.25, 0.25)
    catalog = pd.DataFrame({"period_days": np.linspace(0.5, 5.0, n)})
    inputs = np.random.default_rng(1).random((n, *packed_shape()), dtype=np.float32)
    return TrainingData(inputs, labels, ("EA", "EW"), catalog, split, (0.1, 10.0))


def test_the_supervised_objective_adds_it_only_when_weighted():
    data = training_data()
    plain = Supervised().fit_targets(data, TrainConfig(period_bins=8))
    with_it = Supervised().fit_targets(data, TrainConfig(period_bins=8, neighbour_weight=0.5))
    without_heads = Supervised().fit_targets(data, TrainConfig(period_bins=0, neighbour_weight=1))
    assert sorted(plain.targets) == [CLASS_OUTPUT, PERIOD_OUTPUT]
    assert sorted(with_it.targets) == [CLASS_OUTPUT, NEIGHBOUR_OUTPUT, PERIOD_OUTPUT]
    assert with_it.loss_weights[NEIGHBOUR_OUTPUT] == 0.5
    assert with_it.targets[NEIGHBOUR_OUTPUT].shape == (12, 3)
    assert sorted(without_heads.targets) == [CLASS_OUTPUT, NEIGHBOUR_OUTPUT]
    assert plain.batches is None and with_it.batches is None  # random batches by default
    config = TrainConfig(period_bins=8, neighbour_weight=0.5, neighbour_twins=True)
    gathered = Supervised().fit_targets(data, config)
    assert isinstance(gathered.batches, NeighbourBatches) and gathered.batches.twins
    assert not gathered.validation_batches  # validation stays the plain inputs


def test_batches_of_a_few_classes_take_equal_shares_of_their_part():
    labels = np.arange(400) % 16
    parts = np.where(np.arange(400) < 300, 0, 1)
    views = PairedViews(np.arange(400), parts)
    batches = NeighbourBatches({}, {}, views, labels, classes_per_batch=8, twins=False)
    rng = np.random.default_rng(5)
    for rows, part in ((np.arange(128), 0), (np.arange(300, 400), 1)):
        chosen = batches.rows_for(rows, rng)
        counts = np.bincount(labels[chosen], minlength=16)
        assert chosen.size == rows.size and (parts[chosen] == part).all()
        assert np.count_nonzero(counts) == 8 and sorted(set(counts) - {0})[0] == rows.size // 8


def test_twins_of_the_training_set_meet_in_its_batches():
    n = 40
    catalog = pd.DataFrame(
        {
            "object_id": [f"SIM {i}" for i in range(n)],
            "twin_of": [f"SIM {i - 20}" if i >= 20 else "" for i in range(n)],
            "period_days": np.linspace(0.5, 5.0, n),
        }
    )
    labels = np.arange(n) % 2
    split = stratified_split(catalog["object_id"], labels, 0.25, 0.25)
    inputs = np.arange(float(n))[:, None]
    data = TrainingData(inputs, labels, ("EA", "EW"), catalog, split, (0.1, 10.0))
    config = TrainConfig(period_bins=0, neighbour_weight=1.0, neighbour_twins=True)
    fit = Supervised().fit_targets(data, config)
    train = set(split.train.tolist())
    pairs_in_training = {(i, i + 20) for i in range(20) if {i, i + 20} <= train}
    met = set()
    for seed in range(30):
        rows = np.random.default_rng(seed).permutation(split.train)[:8]
        x, targets, weights = fit.batches(  # weights: as the targets
            data.inputs, rows, np.random.default_rng(seed), lambda x, rng, config: x, None
        )
        chosen = x[:, 0].astype(int)
        assert len(chosen) == 8 and set(chosen) <= train  # never a twin from another part
        assert (targets[CLASS_OUTPUT] == labels[chosen]).all()
        assert weights[NEIGHBOUR_OUTPUT].tolist() == [1.0] * 8
        met |= {pair for pair in pairs_in_training if set(pair) <= set(chosen)}
    assert pairs_in_training and len(met) >= len(pairs_in_training) // 2


def test_training_with_it_saves_the_model_as_built(tmp_path):
    config = TrainConfig(
        survey="tiny",
        encoder="hybrid_cnn",
        epochs=2,
        batch_size=4,
        filters=(4, 8),
        embedding_dim=8,
        period_bins=8,
        neighbour_weight=1.0,
        threads=1,
    )
    data = training_data()
    encoder = HybridCNN.create(config, data.class_names, data.inputs.shape[1:])
    before = encoder.model.get_layer("embedding_dense").get_weights()[0].copy()
    history = encoder.fit(data, progress=False)
    assert f"{NEIGHBOUR_OUTPUT}_loss" in history and np.isfinite(history["loss"]).all()
    after = encoder.model.get_layer("embedding_dense").get_weights()[0]
    assert not np.allclose(before, after)
    assert sorted(encoder.model.output) == [CLASS_OUTPUT, PERIOD_OUTPUT]
    encoder.save(tmp_path)
    loaded = HybridCNN.load(tmp_path, config, data.class_names)
    np.testing.assert_allclose(loaded.embed(data.inputs), encoder.embed(data.inputs), atol=1e-5)
    assert loaded.model.get_layer(EMBEDDING_LAYER) is not None


@pytest.mark.parametrize("field, value", [("neighbour_weight", -1.0), ("neighbour_sigma_dex", 0.0)])
def test_bad_settings_are_refused_by_name(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_the_cli_trains_with_it_and_the_run_records_it(tmp_path, capsys):
    arguments = ["-q", "train", "--survey", "tiny", "--encoder", "hybrid_cnn", "--epochs", "1"]
    arguments += ["--neighbour-weight", "0.5", "--neighbour-sigma-dex", "0.01"]
    arguments += ["--runs", str(tmp_path), "--name", "n"]
    assert main([*arguments, "--wavelets", str(tmp_path / "wavelets")]) == 0
    assert "test accuracy" in capsys.readouterr().out
    saved = json.loads((tmp_path / "n" / "config.json").read_text())["train"]
    assert saved["neighbour_weight"] == 0.5 and saved["neighbour_classes_per_batch"] == 0
    assert saved["neighbour_sigma_dex"] == 0.01
    assert "embedding_loss" in pd.read_csv(tmp_path / "n" / "history.csv")
