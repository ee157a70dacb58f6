"""Held-out period recovery: the run's split rebuilt, the neighbours' periods against an oracle."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.catalog import Catalog
from astrolens.errors import CacheError
from astrolens.fingerprint import catalog_fingerprint
from astrolens.index import brute_force_search, build_index, load_index
from astrolens.recovery import (
    held_out_period_recovery,
    period_recovery,
    plot_period_recovery,
    recovery_summary,
    same_class_recovery,
    training_split,
)
from astrolens.search import SearchConfig, SimilaritySearch
from astrolens.simulate import SurveyConfig, generate_catalog
from astrolens.training import stratified_split

RUN = "runs/default"


@pytest.fixture(scope="module")
def default_split(tmp_path_factory):
    return training_split(RUN, cache=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """runs/default's model, recorded as if trained on the tiny survey (its split, its counts)."""
    folder = shutil.copytree(RUN, tmp_path_factory.mktemp("runs") / "tiny")
    config = json.loads((folder / "config.json").read_text())
    survey = SurveyConfig.named("tiny")
    catalog = generate_catalog(survey)
    names = config["class_names"]
    labels = np.array([names.index(name) for name in catalog["class"]])
    train = config["train"]
    split = stratified_split(
        catalog["object_id"],
        labels,
        train["validation_fraction"],
        train["test_fraction"],
        train["seed"],
    )
    counts = {}
    for part in ("train", "validation", "test"):
        numbers = np.bincount(labels[getattr(split, part)], minlength=len(names)).tolist()
        counts[part] = dict(zip(names, numbers, strict=True))
    data = {
        "survey": "tiny",
        "survey_config": survey.to_dict(),
        "catalog_fingerprint": catalog_fingerprint(catalog).to_dict(),
        "skipped": [],
        "objects_per_class": counts,
    }
    (folder / "data.json").write_text(json.dumps(data))
    return folder


@pytest.mark.fp_identity
@pytest.mark.slow  # draws the demo catalogue (about 10 s)
def test_the_default_run_split_is_rebuilt_as_recorded(default_split):
    data = json.loads((Path(RUN) / "data.json").read_text())
    split = default_split.split
    assert split.sizes() == {part: data["n_objects"][part] for part in split.sizes()}
    for part in ("train", "validation", "test"):
        counts = default_split.catalog["class"].iloc[getattr(split, part)].value_counts()
        assert counts.to_dict() == {k: v for k, v in data["objects_per_class"][part].items() if v}
    every = np.concatenate([split.train, split.validation, split.test])
    assert np.array_equal(np.sort(every), np.arange(len(default_split.catalog)))
    skipped = {object_id for object_id, _ in data["skipped"]}
    assert not skipped & set(default_split.catalog["object_id"])
    assert len(default_split.object_ids("test")) == data["n_objects"]["test"]


def test_a_run_whose_catalogue_changed_is_refused(tmp_path):
    folder = shutil.copytree(RUN, tmp_path / "run")
    data = json.loads((folder / "data.json").read_text())
    data["survey_config"] = SurveyConfig.named("tiny").to_dict()
    (folder / "data.json").write_text(json.dumps(data))
    with pytest.raises(CacheError, match="differs"):
        training_split(folder, cache=tmp_path)


def test_held_out_recovery_never_searches_a_query_among_its_own(tiny_run, tmp_path, monkeypatch):
    monkeypatch.setenv("ASTROLENS_CACHE", str(tmp_path / "cache"))
    found = held_out_period_recovery(
        tiny_run, index_dir=tmp_path / "index", k=5, workers=1, progress=False
    )
    split = training_split(tiny_run)
    test = split.catalog.iloc[split.split.test]
    periodic = test[np.isfinite(test["period_days"])]
    assert found.matches["object_id"].tolist() == periodic["object_id"].tolist()
    assert found.same_class["object_id"].tolist() == periodic["object_id"].tolist()
    index = load_index(found.index_dir)
    assert len(index) == len(split.catalog) - len(test)
    assert not set(test["object_id"]) & set(index.ids.tolist())
    assert found.matches["n"].between(0, 5).all()  # classes without a period add none
    assert (found.same_class["n"] == 5).all()
    assert {"CONSTANT", "GRANULATION"}.isdisjoint(found.matches["class"])


def oracle_search(n=200, dimension=4, seed=0):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dimension)).astype(np.float32)
    table = pd.DataFrame(
        {
            "object_id": [f"TIC {i}" for i in range(n)],
            "class": rng.choice(["EA", "RRab", "ROT"], n),
            "period_days": rng.lognormal(0.0, 1.0, n),
        }
    )
    index = build_index(vectors, table["object_id"], run="test", progress=False)
    config = SearchConfig(duplicate_radius_arcsec=None)
    return SimilaritySearch(index, Catalog(table), config=config), vectors, table


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 15), st.floats(0.01, 0.5))
def test_recovered_period_is_the_median_of_the_nearest_neighbours(seed, k, tolerance):
    search, vectors, table = oracle_search(seed=seed)
    rng = np.random.default_rng(seed + 1)
    queries_vectors = rng.normal(size=(6, vectors.shape[1])).astype(np.float32)
    queries = pd.DataFrame(
        {
            "object_id": [f"q{i}" for i in range(6)],
            "class": ["EA"] * 6,
            "period_days": rng.lognormal(0.0, 1.0, 6),
        }
    )
    found = period_recovery(search, queries, queries_vectors, k=k, tolerance=tolerance)
    _, rows = brute_force_search(vectors, queries_vectors, k)
    periods = table["period_days"].to_numpy()[rows]
    np.testing.assert_allclose(found["median"], np.median(periods, axis=1))
    np.testing.assert_allclose(found["p16"], np.percentile(periods, 16, axis=1))
    error = np.median(periods, axis=1) / queries["period_days"] - 1
    assert found["within_tolerance"].tolist() == (np.abs(error) <= tolerance).tolist()
    inside = (np.percentile(periods, 16, axis=1) <= queries["period_days"]) & (
        queries["period_days"] <= np.percentile(periods, 84, axis=1)
    )
    assert found["in_band"].tolist() == inside.tolist()


def test_same_class_baseline_draws_only_from_the_query_class():
    references = pd.DataFrame(
        {"class": ["EA"] * 20 + ["RRab"] * 20, "period_days": [3.0] * 20 + [0.5] * 20}
    )
    queries = pd.DataFrame(
        {
            "object_id": ["a", "b", "c"],
            "class": ["EA", "RRab", "RRab"],
            "period_days": [3.1, 0.5, 2],
        }
    )
    found = same_class_recovery(references, queries, k=7, seed=3)
    assert found["median"].tolist() == [3.0, 0.5, 0.5] and (found["n"] == 7).all()
    assert found["within_tolerance"].tolist() == [True, True, False]
    again = same_class_recovery(references, queries, k=7, seed=3)
    pd.testing.assert_frame_equal(found, again)


def test_summary_counts_per_class_and_overall():
    recovery = pd.DataFrame(
        {
            "class": ["EA", "EA", "EA", "RRab"],
            "within_tolerance": [True, True, False, False],
            "in_band": [True, False, False, True],
            "relative_error": [0.01, -0.03, 0.5, -0.2],
        }
    )
    summary = recovery_summary(recovery)
    assert summary.index.tolist() == ["EA", "RRab", "all"]
    assert summary["n"].tolist() == [3, 1, 4]
    assert summary["fraction_within"].tolist() == [0.6667, 0.0, 0.5]
    assert summary["fraction_in_band"].tolist() == [0.3333, 1.0, 0.5]
    assert summary.at["all", "median_abs_error"] == pytest.approx(0.115)


def test_recovery_figure_is_log_log_with_one_series_per_class():
    search, vectors, table = oracle_search()
    found = period_recovery(search, table.iloc[:30], vectors[:30] + 0.01, k=5)
    figure = plot_period_recovery(found)
    ax = figure.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert len(ax.get_legend().get_texts()) == found["class"].nunique()
