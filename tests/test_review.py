"""A closer look at trained runs: held-out predictions, per-class scores, runs compared."""

import json
import shutil

import numpy as np
import pytest

from astrolens.review import compare_runs, held_out_predictions, per_class_metrics, read_metrics
from astrolens.runs import load_run
from astrolens.training import TrainConfig, train


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A runs folder with one tiny run (two epochs), a hidden half-written one and a non-run."""
    folder = tmp_path_factory.mktemp("runs")
    config = TrainConfig(survey="tiny", epochs=2, threads=None, workers=1)
    train(config, folder, name="tiny-a", progress=False, cache_root=None)
    (folder / ".tiny-b-123.tmp").mkdir()
    (folder / "notes").mkdir()
    return folder


@pytest.fixture(scope="module")
def held_out(runs):
    return held_out_predictions(runs / "tiny-a", cache_root=None, workers=1, progress=False)


def test_held_out_objects_are_the_test_set_of_the_training(runs, held_out):
    metrics = read_metrics(runs / "tiny-a")
    data = json.loads((runs / "tiny-a" / "data.json").read_text())
    assert len(held_out.catalog) == data["n_objects"]["test"]
    counts = held_out.catalog["class"].value_counts().to_dict()
    assert counts == {name: n for name, n in data["objects_per_class"]["test"].items() if n}
    assert round(held_out.accuracy, 4) == metrics["test"]["accuracy"]


def test_predictions_give_the_runs_confusion_matrix(runs, held_out):
    matrix = np.asarray(read_metrics(runs / "tiny-a")["test"]["confusion_matrix"])
    predicted = held_out.catalog["predicted"].map(held_out.class_names.index).to_numpy()
    for true, row in enumerate(matrix):
        counts = np.bincount(predicted[held_out.label_indices == true], minlength=len(matrix))
        assert counts.tolist() == row.tolist()


def test_probabilities_confidence_and_correctness_agree(held_out):
    probabilities = held_out.probabilities
    rows = np.arange(len(probabilities))
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert np.array_equal(held_out.catalog["confidence"], probabilities.max(axis=1))
    assert np.array_equal(held_out.catalog["p_true"], probabilities[rows, held_out.label_indices])
    correct = held_out.catalog["predicted"] == held_out.catalog["class"]
    assert held_out.catalog["correct"].tolist() == correct.tolist()


def test_embeddings_are_those_of_the_trained_model(runs, held_out):
    from astrolens.embed import embed_lightcurve
    from astrolens.simulate import source_arrays

    run = load_run(runs / "tiny-a")
    row = held_out.catalog.iloc[3]
    assert held_out.embeddings.shape == (len(held_out.catalog), run.config.embedding_dim)
    alone = embed_lightcurve(source_arrays(row), run)
    np.testing.assert_allclose(held_out.embeddings[3], alone, rtol=1e-5, atol=1e-5)


def test_misclassified_are_the_wrong_ones_most_confident_first(held_out):
    wrong = held_out.misclassified()
    assert len(wrong) == int((~held_out.catalog["correct"]).sum())
    assert not wrong["correct"].any()
    assert wrong["confidence"].is_monotonic_decreasing
    assert held_out.misclassified(2).equals(wrong.head(2))


def test_per_class_metrics_of_a_run(runs, held_out):
    table = per_class_metrics(runs / "tiny-a")
    metrics = read_metrics(runs / "tiny-a")
    assert table.index.tolist() == metrics["class_names"]
    assert table["support"].sum() == len(held_out.catalog)
    retrieval = metrics["retrieval"]["per_class"]
    assert table["precision_at_10"].to_dict() == pytest.approx(retrieval)


def test_compare_runs_lists_complete_runs_only(runs):
    table = compare_runs(runs)
    assert table.index.tolist() == ["tiny-a"]
    metrics = read_metrics(runs / "tiny-a")
    row = table.loc["tiny-a"]
    assert row["survey"] == "tiny" and row["epochs_run"] == metrics["epochs_run"] <= 2
    assert row["test_accuracy"] == metrics["test"]["accuracy"]
    assert row["retrieval_precision"] == metrics["retrieval"]["precision_at_10"]


def test_compare_runs_of_an_empty_folder(tmp_path):
    table = compare_runs(tmp_path)
    assert table.empty and "test_accuracy" in table.columns


def test_read_metrics_of_a_folder_that_is_no_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a training run"):
        read_metrics(tmp_path)


def test_a_run_trained_on_another_survey_version_warns(runs, tmp_path):
    copy = shutil.copytree(runs / "tiny-a", tmp_path / "tiny-a")
    data = json.loads((copy / "data.json").read_text())
    data["catalog_fingerprint"]["projections"]["period_days"][0] += 1e-6
    (copy / "data.json").write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="differs from the one the run was trained on"):
        held_out_predictions(copy, cache_root=None, workers=1, progress=False)


def test_a_run_whose_images_were_made_differently_warns(runs, tmp_path):
    copy = shutil.copytree(runs / "tiny-a", tmp_path / "tiny-a")
    data = json.loads((copy / "data.json").read_text())
    data["n_objects"]["test"] += 1
    (copy / "data.json").write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="usable power image differ from the training's"):
        held_out_predictions(copy, cache_root=None, workers=1, progress=False)


def test_the_run_of_its_own_data_does_not_warn(runs, recwarn):
    held_out_predictions(runs / "tiny-a", cache_root=None, workers=1, progress=False)
    assert not [w for w in recwarn if "split is not the training's" in str(w.message)]
