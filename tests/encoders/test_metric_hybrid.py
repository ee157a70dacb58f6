"""Metric learning from physical parameters: targets, loss, the encoder and a run of it."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

from astrolens.cli import main
from astrolens.datasets import survey_data
from astrolens.encoders.hybrid_cnn import packed_shape
from astrolens.encoders.metric_hybrid import MetricHybrid
from astrolens.evaluation import plot_history
from astrolens.objectives.parameters import (
    ParameterSimilarity,
    ParameterWeights,
    parameter_vectors,
    similarity_regression,
)
from astrolens.runs import load_run
from astrolens.sources import example_files
from astrolens.splits import TrainingData, stratified_split
from astrolens.trainconfig import TrainConfig
from astrolens.training import train


def cosine(vectors):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit @ unit.T


CATALOG = pd.DataFrame(
    {
        "class": ["RRab", "RRab", "RRab", "DCEP-F", "CONSTANT", "CONSTANT", "TRANSIT"],
        "period_days": [0.50, 0.51, 0.70, 0.52, np.nan, np.nan, 3.0],
        "amplitude": [0.6, 0.6, 0.5, 0.3, 0.0, 0.0, 0.01],
        "fourier_r21": [0.45, 0.46, 0.40, 0.3, np.nan, np.nan, np.nan],
        "fourier_phi21": [4.0, 4.0, 4.1, 4.5, np.nan, np.nan, np.nan],
        "radius_ratio": [np.nan] * 6 + [0.1],
    }
)
LABELS = np.array([0, 0, 0, 1, 2, 2, 3])


def test_target_similarity_follows_the_parameters():
    vectors = parameter_vectors(CATALOG, LABELS, 4, np.arange(len(CATALOG)))
    similarity = cosine(vectors.astype(np.float64))
    assert vectors.shape == (7, 4 + 9) and np.isfinite(vectors).all()
    assert similarity[0, 1] > similarity[0, 2] > similarity[0, 6]  # nearer period: more alike
    assert similarity[0, 3] > similarity[0, 6]  # a Cepheid of the same period, not a transit
    assert similarity[4, 5] == pytest.approx(1.0)  # two constant stars: nothing but their class
    assert vectors[4, 4:].tolist() == [0.0] * 9  # parameters it does not have add nothing


def test_parameters_are_scaled_by_the_reference_rows_only():
    reference = np.arange(4)
    changed = CATALOG.copy()
    changed.loc[6, "period_days"] = 3000.0  # not a reference row
    before = parameter_vectors(CATALOG, LABELS, 4, reference)
    after = parameter_vectors(changed, LABELS, 4, reference)
    np.testing.assert_array_equal(before[:6], after[:6])
    heavier = parameter_vectors(CATALOG, LABELS, 4, reference, ParameterWeights(period=4.0))
    np.testing.assert_allclose(heavier[:, 4], 2 * before[:, 4], rtol=1e-6)


def test_the_loss_is_zero_when_embeddings_have_the_targets_similarities():
    rng = np.random.default_rng(0)
    parameters = rng.normal(size=(6, 5)).astype(np.float32)
    rotation = np.linalg.qr(rng.normal(size=(5, 5)))[0].astype(np.float32)
    same = np.asarray(similarity_regression(parameters, 3.0 * parameters @ rotation))
    other = np.asarray(similarity_regression(parameters, rng.normal(size=(6, 5)).astype("f4")))
    assert same.shape == (6,) and np.allclose(same, 0.0, atol=1e-6)
    assert (other > 0.01).all()


def test_the_encoder_gives_unit_vectors_has_no_heads_and_loads_safely(tmp_path):
    config = TrainConfig(
        encoder="metric_hybrid",
        objective="parameters",
        filters=(4, 8),
        embedding_dim=8,
        threads=None,
    )
    encoder = MetricHybrid.create(config, ("EA", "EW"), packed_shape())
    x = np.random.default_rng(1).random((4, *packed_shape()), dtype=np.float32)
    embeddings = encoder.embed(x)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    assert encoder.heads(x) == {} and MetricHybrid.objectives == ("parameters",)
    encoder.save(tmp_path)
    loaded = MetricHybrid.load(tmp_path, config, ("EA", "EW"))
    np.testing.assert_allclose(loaded.embed(x), embeddings, rtol=1e-5, atol=1e-6)
    assert isinstance(loaded.model.get_layer("embedding"), keras.layers.UnitNormalization)


def test_an_encoder_refuses_an_objective_it_does_not_learn(tmp_path):
    config = TrainConfig(survey="tiny", encoder="metric_hybrid", objective="supervised")
    with pytest.raises(ValueError, match="metric_hybrid encoder learns 'parameters'"):
        train(config, tmp_path, name="wrong", progress=False)
    assert not (tmp_path / "wrong").exists()


def test_the_cli_trains_an_encoder_with_its_own_objective(monkeypatch, tmp_path):
    asked = []

    def fake_train(config, *args, **kwargs):
        asked.append(config)
        raise FileExistsError("stop here")

    monkeypatch.setattr("astrolens.training.train", fake_train)
    for encoder, objective in (("metric_hybrid", "parameters"), ("hybrid_cnn", "supervised")):
        main(["-q", "train", "--survey", "tiny", "--encoder", encoder, "--runs", str(tmp_path)])
        assert (asked[-1].encoder, asked[-1].objective) == (encoder, objective)


@pytest.mark.slow
def test_a_metric_run_learns_the_parameter_similarity_and_is_usable(tmp_path):
    config = TrainConfig(
        survey="tiny-mixed",
        encoder="metric_hybrid",
        objective="parameters",
        epochs=10,
        batch_size=64,
        filters=(4, 8),
        embedding_dim=16,
        threads=None,
        workers=1,
    )
    folder = train(config, tmp_path, name="metric", progress=False, cache_root=tmp_path / "cache")
    saved = json.loads((folder / "config.json").read_text())
    assert (saved["train"]["encoder"], saved["train"]["objective"]) == (
        "metric_hybrid",
        "parameters",
    )
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["test"]["classifier"].startswith("random forest")
    history = pd.read_csv(folder / "history.csv")
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    labels = [ax.get_ylabel() for ax in plot_history(history, "squared error").axes]
    assert labels == ["squared error"] and (folder / "history.png").is_file()  # no accuracy
    run = load_run(folder)
    vector = run.embed_item(run.load(example_files("Kepler")[0]))
    assert vector.shape == (16,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)

    survey = survey_data("tiny-mixed", "hybrid", cache_root=tmp_path / "cache", progress=False)
    labels = np.array([run.class_names.index(label) for label in survey.labels])
    split = stratified_split(
        survey.object_ids, labels, config.validation_fraction, config.test_fraction, config.seed
    )
    inputs = run.encoder.model_inputs(survey.arrays, config)
    data = TrainingData(inputs, labels, run.class_names, survey.catalog, split, (0.04, 2000.0))
    targets = ParameterSimilarity().fit_targets(data, config).targets[split.test]
    upper = np.triu_indices(len(split.test), 1)
    wanted = cosine(targets.astype(np.float64))[upper]
    learned = cosine(run.encoder.embed(inputs[split.test]).astype(np.float64))[upper]
    untrained = MetricHybrid.create(config, run.class_names, inputs.shape[1:])
    before = cosine(untrained.embed(inputs[split.test]).astype(np.float64))[upper]
    assert np.corrcoef(learned, wanted)[0, 1] > np.corrcoef(before, wanted)[0, 1] + 0.15
