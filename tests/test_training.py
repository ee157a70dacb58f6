"""Training runs: splits, class weights, augmentation, and the run folder on disk."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import astrolens.training as training
from astrolens.cli import EXIT_BAD_INPUT, main
from astrolens.datasets import survey_data
from astrolens.encoders.keras_encoder import class_probabilities
from astrolens.encoders.wavelet_cnn import augment
from astrolens.fingerprint import catalog_fingerprint
from astrolens.objectives import (
    class_weights,
    objective_names,
    period_bin_centres,
    period_targets,
)
from astrolens.recovery import training_split
from astrolens.runfolder import (
    CONFIG_FILE,
    MODEL_CODE_FILE,
    MODEL_FILE,
    RECONSTRUCTION_FIGURE,
    RESULT_FILES,
)
from astrolens.runs import load_run
from astrolens.simulate import SurveyConfig, generate_catalog
from astrolens.splits import stratified_split
from astrolens.trainconfig import AugmentConfig
from astrolens.training import TrainConfig, code_version, train
from astrolens.wavelets import WaveletConfig

ARCHITECTURE_FILE = Path(__file__).resolve().parents[1] / "model.py"
TINY = TrainConfig(
    survey="tiny",
    epochs=2,
    batch_size=64,
    filters=(4, 8),
    embedding_dim=16,
    threads=None,
    workers=1,
)


@pytest.fixture(scope="module")
def wavelets(tmp_path_factory):
    """A wavelet cache holding the tiny survey's power images (computed once)."""
    root = tmp_path_factory.mktemp("wavelets")
    survey_data("tiny", cache_root=root, workers=1, progress=False)
    return root


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def run(runs, wavelets):
    return train(TINY, runs, name="tiny-run", progress=False, cache_root=wavelets)


# --- splits, weights, augmentation -------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    counts=st.lists(st.integers(3, 40), min_size=2, max_size=6),
    rows_per_object=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_split_is_stratified_disjoint_and_by_object(counts, rows_per_object, seed):
    labels = np.repeat(np.arange(len(counts)), counts)
    object_labels = np.repeat(labels, rows_per_object)
    object_ids = np.repeat([f"KIC {i}" for i in range(labels.size)], rows_per_object)
    split = stratified_split(object_ids, object_labels, 0.2, 0.2, seed=seed)
    parts = [split.train, split.validation, split.test]
    assert sum(part.size for part in parts) == object_ids.size
    assert np.unique(np.concatenate(parts)).size == object_ids.size
    objects_in = [set(object_ids[part]) for part in parts]
    assert not (objects_in[0] & objects_in[1] or objects_in[0] & objects_in[2])
    assert not objects_in[1] & objects_in[2]
    for part in parts:
        assert set(object_labels[part]) == set(range(len(counts)))


def test_split_fractions_and_seed():
    labels = np.repeat(["EA", "EW", "ROT"], 100)
    ids = np.arange(300).astype(str)
    split = stratified_split(ids, labels, 0.1, 0.2, seed=3)
    assert split.sizes() == {"train": 210, "validation": 30, "test": 60}
    assert np.array_equal(split.test, stratified_split(ids, labels, 0.1, 0.2, seed=3).test)
    assert not np.array_equal(split.test, stratified_split(ids, labels, 0.1, 0.2, seed=4).test)


def test_split_refuses_an_object_with_two_classes():
    with pytest.raises(ValueError, match="different classes"):
        stratified_split(["KIC 1", "KIC 1", "KIC 2"], ["EA", "EW", "EA"])


def test_class_weights_balance_the_classes():
    labels = np.repeat([0, 1, 2], [10, 30, 60])
    weights = class_weights(labels, n_classes=4)
    totals = [weights[k] * np.sum(labels == k) for k in range(3)]
    np.testing.assert_allclose(totals, 100 / 4, rtol=1e-2)
    assert weights[3] == 0.0
    assert class_weights(np.repeat([0, 1], 5), 2) == {0: 1.0, 1: 1.0}


@pytest.fixture
def inputs():
    rng = np.random.default_rng(0)
    x = np.zeros((6, 16, 32, 2), dtype=np.float32)
    x[..., 1] = rng.random((6, 16, 32)) > 0.2
    x[..., 0] = rng.random((6, 16, 32)) * x[..., 1]
    return x


def test_augmentation_is_deterministic_per_seed(inputs):
    first = augment(inputs, np.random.default_rng(5))
    np.testing.assert_array_equal(first, augment(inputs, np.random.default_rng(5)))
    assert not np.array_equal(first, augment(inputs, np.random.default_rng(6)))
    assert first.min() >= 0.0 and first.max() <= 1.0


def test_augmentation_leaves_its_input_alone(inputs):
    before = inputs.copy()
    augment(inputs, np.random.default_rng(5))
    np.testing.assert_array_equal(inputs, before)


def test_time_shift_alone_is_a_roll_of_each_image(inputs):
    config = AugmentConfig(noise_sigma=0.0, gap_probability=0.0)
    shifted = augment(inputs, np.random.default_rng(1), config)
    for original, moved in zip(inputs, shifted, strict=True):
        rolls = [k for k in range(32) if np.array_equal(np.roll(original, k, axis=1), moved)]
        assert rolls


def test_gaps_are_invalid_columns_and_noise_stays_on_valid_pixels(inputs):
    gaps_only = AugmentConfig(noise_sigma=0.0, time_shift=False, gap_probability=1.0)
    gapped = augment(inputs, np.random.default_rng(2), gaps_only)
    for original, image in zip(inputs, gapped, strict=True):
        changed = np.flatnonzero(np.any(image != original, axis=(0, 2)))
        assert np.all(image[:, changed] == 0.0)
        blank = np.flatnonzero(np.all(image[..., 1] == 0, axis=0))
        assert 1 <= blank.size <= 8 and np.all(np.diff(blank) == 1)
    noise_only = AugmentConfig(noise_sigma=0.05, time_shift=False, gap_probability=0.0)
    noisy = augment(inputs, np.random.default_rng(3), noise_only)
    invalid = inputs[..., 1] == 0
    np.testing.assert_array_equal(noisy[..., 0][invalid], 0.0)
    np.testing.assert_array_equal(noisy[..., 1], inputs[..., 1])
    assert 0.02 < np.std(noisy[..., 0][~invalid] - inputs[..., 0][~invalid]) < 0.06


def test_config_round_trips_through_json():
    config = TrainConfig(augment=AugmentConfig(noise_sigma=0.0), filters=[8, 16])
    again = TrainConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config and again.filters == (8, 16)
    assert again.augment.noise_sigma == 0.0
    with pytest.raises(ValueError, match="fraction"):
        TrainConfig(validation_fraction=0.6, test_fraction=0.5)


# --- the run folder ----------------------------------------------------------------------------


def test_run_folder_has_every_file(run):
    expected = {CONFIG_FILE, MODEL_FILE, *RESULT_FILES} - {MODEL_CODE_FILE, RECONSTRUCTION_FIGURE}
    assert sorted(path.name for path in run.iterdir()) == sorted(expected)
    assert not list(run.parent.glob(".*"))


def test_run_records_config_data_and_code_version(run):
    saved = json.loads((run / "config.json").read_text())
    assert saved["modality"] == "lightcurve" and saved["train"]["encoder"] == "wavelet_cnn"
    assert saved["train"]["objective"] == "supervised"
    assert TrainConfig.from_dict(saved["train"]) == TINY
    assert saved["wavelet"]["n_periods"] == 64 and "quality_bitmask" in saved["preprocess"]
    data = json.loads((run / "data.json").read_text())
    catalog = generate_catalog(SurveyConfig.named("tiny"))
    assert data["catalog_fingerprint"] == catalog_fingerprint(catalog).to_dict()
    counts = data["n_objects"]
    assert counts["train"] + counts["validation"] + counts["test"] + counts["skipped"] == 320
    assert all(min(per_class.values()) >= 1 for per_class in data["objects_per_class"].values())
    version = json.loads((run / "version.json").read_text())
    assert version["astrolens"] and len(version["commit"]) == 40
    assert isinstance(version["dirty"], bool)


def test_run_metrics_and_history_agree(run):
    metrics = json.loads((run / "metrics.json").read_text())
    history = pd.read_csv(run / "history.csv")
    assert list(history["epoch"]) == [1, 2] and metrics["epochs_run"] == 2
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.columns)
    assert (history["seconds"] > 0).all()  # each epoch's wall time
    matrix = np.array(metrics["test"]["confusion_matrix"])
    assert matrix.shape == (16, 16)
    assert matrix.sum() == json.loads((run / "data.json").read_text())["n_objects"]["test"]
    assert metrics["test"]["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum(), abs=1e-4)
    precision = metrics["retrieval"]["precision_at_10"]
    assert 0.0 <= precision <= 1.0
    assert set(metrics["retrieval"]["per_class"]) == set(metrics["test"]["per_class"])


@settings(max_examples=30, deadline=None)
@given(
    period=st.floats(0.05, 25.0),
    bins=st.integers(8, 256),
    sigma=st.floats(0.3, 3.0),
)
def test_period_targets_peak_on_the_bin_of_the_period(period, bins, sigma):
    labels, weights = period_targets([period, np.nan, 400.0], bins, (1 / 24, 30.0), sigma)
    centres = period_bin_centres(bins, (1 / 24, 30.0))
    assert weights.tolist() == [1.0, 0.0, 0.0]
    assert labels[0].sum() == pytest.approx(1.0, abs=1e-5) and not labels[1:].any()
    nearest = int(np.argmin(np.abs(np.log(centres / period))))
    assert abs(int(labels[0].argmax()) - nearest) <= 1
    # ordered soft labels: the probability falls off on both sides of the peak
    peak = int(labels[0].argmax())
    assert np.all(np.diff(labels[0][peak:]) <= 1e-7) and np.all(
        np.diff(labels[0][: peak + 1]) >= -1e-7
    )


def test_period_head_and_harmonic_channels_train_and_are_scored(tmp_path):
    wavelet = WaveletConfig(harmonic_phase=True, gap_tolerance=0.25)
    config = TrainConfig(**{**TINY.to_dict(), "channels": 4, "period_bins": 32, "threads": None})
    folder = train(
        config,
        tmp_path / "runs",
        name="two-heads",
        progress=False,
        cache_root=tmp_path / "wavelets",
        wavelet=wavelet,
    )
    metrics = json.loads((folder / "metrics.json").read_text())
    history = pd.read_csv(folder / "history.csv")
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.columns)
    period = metrics["period"]
    data = json.loads((folder / "data.json").read_text())
    assert 0 < period["n"] < data["n_objects"]["test"]  # constant stars have no period
    assert 0.0 <= period["within_5_percent"] <= 1.0
    assert "CONSTANT" not in period["within_5_percent_per_class"]
    loaded = load_run(folder)
    assert loaded.config.period_bins == 32 and loaded.wavelet == wavelet
    outputs = loaded.encoder.model(np.zeros((2, 64, 64, 4), np.float32))
    assert tuple(outputs["period_probabilities"].shape) == (2, 32)


def test_run_loads_back(run):
    loaded = load_run(run)
    assert loaded.config == TINY
    assert len(loaded.class_names) == 16 and loaded.class_names[0] == "RRab"
    probabilities = class_probabilities(loaded.encoder.model, np.zeros((3, 64, 64, 4), np.float32))
    assert probabilities.shape == (3, 16)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_runs_are_never_overwritten(run, runs, wavelets):
    before = (run / "model.keras").read_bytes()
    with pytest.raises(FileExistsError, match="never overwritten"):
        train(TINY, runs, name="tiny-run", progress=False, cache_root=wavelets)
    assert (run / "model.keras").read_bytes() == before
    config = TrainConfig(**{**TINY.to_dict(), "epochs": 1})
    first = train(config, runs, progress=False, cache_root=wavelets)
    second = train(config, runs, progress=False, cache_root=wavelets)
    assert first != second and first.name.startswith("tiny-")
    assert (first / "model.keras").is_file() and (second / "model.keras").is_file()


def test_failed_run_leaves_nothing(tmp_path, wavelets, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("evaluation failed")

    monkeypatch.setattr(training, "_evaluate", broken)
    config = TrainConfig(**{**TINY.to_dict(), "epochs": 1})
    with pytest.raises(RuntimeError, match="evaluation failed"):
        train(config, tmp_path, name="broken", progress=False, cache_root=wavelets)
    assert list(tmp_path.iterdir()) == []


def test_cli_train_with_model_file(tmp_path, wavelets, capsys):
    code = main(
        [
            "-q",
            "train",
            "--survey",
            "tiny",
            "--epochs",
            "1",
            "--model",
            str(ARCHITECTURE_FILE),
            "--runs",
            str(tmp_path),
            "--name",
            "cli",
            "--wavelets",
            str(wavelets),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and str(tmp_path / "cli") in out
    saved = json.loads((tmp_path / "cli" / "config.json").read_text())
    assert saved["train"]["model_file"] == str(ARCHITECTURE_FILE)
    assert (tmp_path / "cli" / "model.py").read_text().startswith('"""The model')
    code = main(["-q", "train", "--survey", "tiny", "--runs", str(tmp_path), "--name", "cli"])
    assert code == EXIT_BAD_INPUT
    assert "never overwritten" in capsys.readouterr().err


def test_cli_train_has_help_with_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "example:" in capsys.readouterr().out


def test_an_unknown_objective_is_refused_before_any_work(tmp_path):
    config = TrainConfig(**{**TINY.to_dict(), "objective": "nope"})
    known = "known: " + ", ".join(objective_names())  # every registered one, sorted
    with pytest.raises(ValueError, match=f"no objective named 'nope'; {known}"):
        train(config, tmp_path, progress=False, cache_root=None)
    assert list(tmp_path.iterdir()) == []


def test_a_moved_run_folder_does_not_make_the_code_dirty(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "src").mkdir()
    (tmp_path / "runs" / "default").mkdir(parents=True)
    (tmp_path / "src" / "code.py").write_text("x = 1\n")
    (tmp_path / "runs" / "default" / "model.keras").write_text("weights\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    (tmp_path / "runs" / "default" / "model.keras").unlink()  # as make train asks
    assert code_version(tmp_path / "src")["dirty"] is False
    (tmp_path / "src" / "code.py").write_text("x = 2\n")
    assert code_version(tmp_path / "src")["dirty"] is True
    assert len(code_version(tmp_path / "src")["commit"]) == 40


def test_a_few_label_run_trains_on_that_many_of_each_class_and_is_rebuilt(run, runs, wavelets):
    config = TrainConfig(**{**TINY.to_dict(), "labels_per_class": 4, "epochs": 1})
    folder = train(config, runs, name="few-labels", progress=False, cache_root=wavelets)
    data = json.loads((folder / "data.json").read_text())
    assert set(data["objects_per_class"]["train"].values()) == {4}
    assert set(data["objects_per_class"]["validation"].values()) <= {1, 2, 3, 4}
    full = json.loads((run / "data.json").read_text())
    assert data["objects_per_class"]["test"] == full["objects_per_class"]["test"]
    rebuilt = training_split(folder, cache=wavelets)
    assert rebuilt.split.train.size == 4 * len(data["objects_per_class"]["train"])
    with pytest.raises(ValueError, match="labels_per_class must be >= 1"):
        TrainConfig(labels_per_class=0)
