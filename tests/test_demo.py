"""The main job (``astrolens demo``): every stage once, then nothing again, on the tiny survey."""

import dataclasses
import json
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from astrolens.cli import main
from astrolens.demo import TABLE_COLUMNS, DemoConfig, query_file, run_demo, run_galaxy_demo
from astrolens.errors import UnknownObject
from astrolens.index.folder import read_index_source
from astrolens.simulate import SIZES, SurveyConfig, generate_catalog, simulate_survey
from astrolens.sources import example_files

CONFIG = DemoConfig(survey="tiny", k=5, workers=1, galaxies=False)
GALAXIES = DemoConfig(survey="tiny", k=5, workers=1, galaxy_survey="galaxies-tiny", galaxy_epochs=1)
STAGES = {"examples", "simulate", "embed", "index", "open", "query", "figure"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A fresh working directory and cache: the demo writes only there."""
    work = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASTROLENS_CACHE", str(work / "cache"))
        patch.chdir(work)
        yield work


@pytest.fixture(scope="module")
def first(workdir):
    return run_demo(CONFIG, progress=False)


@pytest.fixture(scope="module")
def tiny_catalog():
    return generate_catalog(SurveyConfig.named("tiny"))


def test_first_run_makes_every_stage(workdir, first, tiny_catalog):
    assert first.reused == frozenset()
    assert set(first.seconds) == STAGES
    catalog = pd.read_csv(workdir / first.catalog)
    assert first.catalog == Path("catalogs/tiny.csv") and len(catalog) == SIZES["tiny"]
    assert first.embeddings.is_relative_to(workdir / "cache")
    assert read_index_source(first.index).survey == "tiny"
    assert first.index.resolve().is_relative_to(workdir)


def test_the_bundled_examples_are_transformed_and_drawn(workdir, first):
    examples = first.examples
    assert not examples.figure_was_cached
    assert examples.cache_dir.resolve().is_relative_to(workdir / "wavelets")
    assert len(list(examples.cache_dir.glob("*.npz"))) == len(example_files())
    assert examples.figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_example_query_is_the_bundled_kepler_light_curve(first, tiny_catalog):
    result = first.result
    assert result.query.kind == "lightcurve" and result.query.label == "KIC 10002792"
    assert len(result) == CONFIG.k
    assert result.matches["distance"].is_monotonic_increasing
    assert set(result.matches["object_id"]) <= set(tiny_catalog["object_id"])


def test_the_answer_is_written_as_table_figure_and_record(first):
    table = pd.read_csv(first.table)
    assert table["object_id"].tolist() == first.result.matches["object_id"].tolist()
    assert first.figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record = json.loads(first.table.with_suffix(".json").read_text())
    assert DemoConfig.from_dict(record["config"]) == CONFIG
    assert record["run"].startswith("default@")
    assert set(record["seconds"]) == set(first.seconds)


def test_second_run_reuses_everything(first):
    index_files = {path: path.stat().st_mtime_ns for path in first.index.rglob("*")}
    figure_time = first.figure.stat().st_mtime_ns
    second = run_demo(CONFIG, progress=False)
    assert second.reused >= {"examples", "simulate", "embed", "index", "figure"}
    assert second.examples.figure_was_cached
    assert "figure" not in second.seconds
    assert {path: path.stat().st_mtime_ns for path in second.index.rglob("*")} == index_files
    assert second.figure.stat().st_mtime_ns == figure_time
    pd.testing.assert_frame_equal(second.result.matches, first.result.matches)


def test_query_by_object_id_leaves_the_object_out(first, tiny_catalog):
    object_id = tiny_catalog["object_id"].iloc[7]
    config = DemoConfig(
        survey="tiny", k=3, workers=1, query=object_id, results="by-id", galaxies=False
    )
    result = run_demo(config, progress=False).result
    assert result.query.kind == "object" and result.query.label == object_id
    assert len(result) == 3 and object_id not in set(result.matches["object_id"])


def test_query_by_another_light_curve_file(first):
    path = example_files("TESS")[0]
    config = DemoConfig(
        survey="tiny", k=3, workers=1, query=str(path), results="by-file", galaxies=False
    )
    result = run_demo(config, progress=False).result
    assert result.query.label == "TIC 358108509" and len(result) == 3


def test_unknown_query_raises_and_names_it(first):
    config = DemoConfig(survey="tiny", workers=1, query="KIC 1", results="unknown", galaxies=False)
    with pytest.raises(UnknownObject, match="KIC 1"):
        run_demo(config, progress=False)


def test_a_catalogue_of_another_survey_is_rewritten(first, tiny_catalog):
    stale = simulate_survey("tiny", seed=5, out_dir="stale", progress=False)
    config = DemoConfig(survey="tiny", k=CONFIG.k, workers=1, catalogs="stale", galaxies=False)
    result = run_demo(config, progress=False)
    assert result.catalog == stale and "simulate" not in result.reused
    rewritten = pd.read_csv(stale)
    assert rewritten["object_id"].tolist() == tiny_catalog["object_id"].tolist()
    assert rewritten["ra"].tolist() == pytest.approx(tiny_catalog["ra"].tolist())


def test_query_file_tells_files_from_ids(tmp_path):
    assert query_file(None) == example_files("Kepler")[0]
    csv = tmp_path / "star.csv"
    csv.write_text("time,flux\n")
    assert query_file(str(csv)) == csv
    assert query_file("KIC 900000001") is None


def test_config_refuses_no_matches():
    with pytest.raises(ValueError, match="at least 1"):
        DemoConfig(k=0)


def test_command_prints_the_table_and_what_it_reused(first, capsys):
    assert (
        main(["-q", "demo", "--survey", "tiny", "--workers", "1", "-k", "5", "--no-galaxies"]) == 0
    )
    out = capsys.readouterr().out
    assert f"figure (already there): {first.examples.figure}" in out
    assert all(mission in out for mission in ("Kepler", "K2", "TESS"))
    for what in ("catalogue", "embeddings", "index"):
        assert f"{what} (reused" in out
    header = next(line for line in out.splitlines() if line.split()[:2] == ["rank", "object_id"])
    light_curve_columns = [name for name in TABLE_COLUMNS if name not in ("redshift", "mag_r")]
    assert header.split() == light_curve_columns[: light_curve_columns.index("mag") + 1]
    rows = out.split(header)[1].strip().splitlines()[: CONFIG.k]
    assert [" ".join(row.split()[1:3]) for row in rows] == first.result.matches[
        "object_id"
    ].tolist()
    assert f"result figure: {first.figure}" in out
    printed = out.split("seconds: ")[1].splitlines()[0].split(", ")
    assert {part.split()[0] for part in printed} == STAGES - {"figure"}  # the figure is reused


def test_command_serves_the_index_when_asked(first, monkeypatch, capsys):
    calls = []
    web = types.ModuleType("astrolens.web")
    web.serve = lambda index_dir, host, port: calls.append((index_dir, host, port))
    monkeypatch.setitem(sys.modules, "astrolens.web", web)
    args = ["-q", "demo", "--survey", "tiny", "--workers", "1", "-k", "5", "--no-galaxies"]
    assert main([*args, "--serve", "--port", "8765"]) == 0
    assert calls == [([first.index], "127.0.0.1", 8765)]
    assert "http://127.0.0.1:8765/" in capsys.readouterr().out


@pytest.fixture(scope="module")
def galaxies(first):
    """The galaxy part, after the light curves' (same working folder): a galaxy run of one
    epoch on the tiny galaxy survey, its index and the answer to the uploaded picture."""
    return run_galaxy_demo(GALAXIES, progress=False)


def test_the_galaxy_part_trains_indexes_and_answers_an_uploaded_picture(workdir, galaxies):
    saved = json.loads((galaxies.run / "config.json").read_text())
    assert saved["modality"] == "galaxy_image"
    assert saved["train"]["encoder"] == "morphology_galaxy"  # measured: no network to train
    assert saved["train"]["survey"] == "galaxies-tiny" and saved["train"]["epochs"] == 1
    assert galaxies.index == Path("indexes/galaxies-tiny-galaxy-demo")
    assert read_index_source(galaxies.index).n_indexed == 320
    picture = np.asarray(Image.open(galaxies.query))
    assert picture.shape == (64, 64, 3) and picture.dtype == np.uint8
    assert galaxies.result.query.kind == "image" and len(galaxies.result) == 5
    assert galaxies.result.matches["distance"].iloc[0] > 0  # a galaxy the survey does not hold
    table = pd.read_csv(galaxies.table)
    assert table["object_id"].tolist() == galaxies.result.matches["object_id"].tolist()
    assert {"sersic_n", "class"} <= set(table.columns)
    assert galaxies.figure.stat().st_size > 0
    record = json.loads((workdir / "results" / "demo-galaxy-search.json").read_text())
    assert set(record["seconds"]) == {"train", "index", "open", "query", "figure"}


def test_the_galaxy_part_refuses_a_run_of_another_encoder(galaxies):
    """The run folder holds the morphology run: asking for a network there is refused by name,
    nothing trained over it."""
    asked = dataclasses.replace(GALAXIES, galaxy_run=str(galaxies.run), galaxy_encoder="galaxy_cnn")
    with pytest.raises(ValueError, match="a run of the morphology_galaxy encoder, not galaxy_cnn"):
        run_galaxy_demo(asked, progress=False)


def test_the_galaxy_part_run_again_trains_nothing_and_gives_the_same_answer(galaxies):
    drawn = galaxies.figure.stat().st_mtime_ns
    again = run_galaxy_demo(GALAXIES, progress=False)
    assert again.seconds["train"] < 1.0
    assert (
        again.result.matches["object_id"].tolist() == galaxies.result.matches["object_id"].tolist()
    )
    assert "figure" not in again.seconds and again.figure.stat().st_mtime_ns == drawn  # reused


def test_the_command_prints_both_answers_and_serves_both_indexes(
    first, galaxies, monkeypatch, capsys
):
    calls = []
    web = types.ModuleType("astrolens.web")
    web.serve = lambda index_dir, host, port: calls.append((index_dir, host, port))
    monkeypatch.setitem(sys.modules, "astrolens.web", web)
    args = ["-q", "demo", "--survey", "tiny", "--workers", "1", "-k", "5"]
    assert main([*args, "--galaxy-survey", "galaxies-tiny", "--serve"]) == 0
    out = capsys.readouterr().out
    assert calls == [([first.index, galaxies.index], "127.0.0.1", 8000)]
    assert f"{galaxies.query} (a simulated galaxy the index does not hold)" in out
    assert f"result figure: {galaxies.figure}" in out


def test_command_without_serve_starts_no_web_app(first, monkeypatch, capsys):
    web = types.ModuleType("astrolens.web")
    web.serve = lambda *args: pytest.fail("served without --serve")
    monkeypatch.setitem(sys.modules, "astrolens.web", web)
    args = ["-q", "demo", "--survey", "tiny", "--workers", "1", "-k", "5", "--no-galaxies"]
    assert main(args) == 0
    assert "serving" not in capsys.readouterr().out
