"""The features baseline through the encoder seam: train, run folder, load, embed, index, search."""

import json

import numpy as np
import pytest

from astrolens.cli import main
from astrolens.encoders import encoder_class, encoder_names
from astrolens.encoders.features import CLIP, FEATURES_FILE, FeaturesEncoder
from astrolens.errors import CacheError
from astrolens.features import FEATURE_NAMES
from astrolens.pipeline import build_survey_index
from astrolens.review import held_out_predictions
from astrolens.runfolder import (
    CONFIG_FILE,
    MODEL_CODE_FILE,
    MODEL_FILE,
    RECONSTRUCTION_FIGURE,
    RESULT_FILES,
    run_id,
)
from astrolens.runs import load_run
from astrolens.search import open_search
from astrolens.sources import example_files
from astrolens.training import TrainConfig, train

CONFIG = TrainConfig(encoder="features", survey="tiny", threads=1, workers=1)


@pytest.fixture(scope="module")
def wavelets(tmp_path_factory):
    return tmp_path_factory.mktemp("wavelets")


@pytest.fixture(scope="module")
def run(tmp_path_factory, wavelets):
    runs = tmp_path_factory.mktemp("runs")
    return train(CONFIG, runs, name="features", progress=False, cache_root=wavelets)


def test_the_registry_names_both_encoders_and_refuses_others():
    assert {"features", "wavelet_cnn"} <= set(encoder_names())
    assert encoder_class("features") is FeaturesEncoder
    known = "known: " + ", ".join(sorted(encoder_names()))  # sorted, in one line
    with pytest.raises(ValueError, match=rf"no encoder named 'cnn'; {known}"):
        encoder_class("cnn")


def test_the_run_folder_holds_the_features_not_a_network(run):
    names = {path.name for path in run.iterdir()}
    assert names == {CONFIG_FILE, FEATURES_FILE, *RESULT_FILES} - {
        MODEL_CODE_FILE,
        RECONSTRUCTION_FIGURE,
    }
    assert MODEL_FILE not in names
    saved = json.loads((run / CONFIG_FILE).read_text())
    assert saved["modality"] == "lightcurve" and saved["train"]["encoder"] == "features"
    record = json.loads((run / FEATURES_FILE).read_text())
    assert record["feature_names"] == list(FEATURE_NAMES)
    assert all(scale > 0 for scale in record["scale"])


def test_metrics_come_from_a_forest_on_the_features(run):
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["classifier"].startswith("random forest (300 trees)")
    matrix = np.array(metrics["test"]["confusion_matrix"])
    assert metrics["test"]["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum(), abs=1e-4)
    assert metrics["test"]["accuracy"] > 0.3  # 16 classes: chance is about 0.06
    assert metrics["n_parameters"] == 2 * len(FEATURE_NAMES) and "period" not in metrics
    held_out = held_out_predictions(run, cache_root=None, workers=1, progress=False)
    assert round(held_out.accuracy, 4) == metrics["test"]["accuracy"]


def test_embeddings_are_the_standardised_features(run):
    loaded = load_run(run)
    assert isinstance(loaded.encoder, FeaturesEncoder) and loaded.encoder.dim == len(FEATURE_NAMES)
    record = json.loads((run / FEATURES_FILE).read_text())
    features = np.random.default_rng(0).normal(size=(5, len(FEATURE_NAMES)))
    expected = (features - np.array(record["centre"])) / np.array(record["scale"])
    embedded = loaded.embed({"features": features.astype(np.float32)})
    assert embedded.dtype == np.float32
    np.testing.assert_allclose(embedded, np.clip(expected, -CLIP, CLIP), rtol=1e-5, atol=1e-5)


def test_a_run_made_with_other_features_is_refused(run, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in run.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    record = json.loads((copy / FEATURES_FILE).read_text())
    record["feature_names"][0] = "something_else"
    (copy / FEATURES_FILE).write_text(json.dumps(record))
    with pytest.raises(CacheError, match="other light-curve features"):
        load_run(copy)
    assert run_id(copy) != run_id(run)


def test_index_and_search_by_light_curve_with_the_features_run(run, tmp_path, monkeypatch):
    monkeypatch.setenv("ASTROLENS_CACHE", str(tmp_path / "cache"))
    folder = build_survey_index("tiny", run, tmp_path / "index", workers=1, progress=False)
    search = open_search(folder)
    assert search.source.run == run_id(run) and search.index.dimension == len(FEATURE_NAMES)
    first = search.catalog.object_ids[0]
    by_object = search.by_object(first, k=5)
    assert len(by_object.matches) == 5 and first not in set(by_object.matches["object_id"])
    by_file = search.by_lightcurve(example_files("Kepler")[0], k=5)
    assert len(by_file.matches) == 5 and np.all(np.diff(by_file.matches["distance"]) >= 0)


def test_cli_trains_the_features_encoder(tmp_path, wavelets, capsys):
    code = main(
        [
            "-q",
            "train",
            "--encoder",
            "features",
            "--survey",
            "tiny",
            "--runs",
            str(tmp_path),
            "--name",
            "cli",
            "--wavelets",
            str(wavelets),
        ]
    )
    assert code == 0
    assert "random forest" in capsys.readouterr().out
    assert (tmp_path / "cli" / FEATURES_FILE).is_file()
