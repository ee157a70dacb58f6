"""Survey -> embeddings -> index folder -> search: caching, reuse, runs, exclusions, duplicates."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens import embed
from astrolens.catalog import UnknownObject
from astrolens.embed import embed_files, read_embeddings, survey_embeddings
from astrolens.errors import CorruptIndex, IndexMismatch
from astrolens.fingerprint import catalog_fingerprint
from astrolens.index import brute_force_search, load_index, load_manifest
from astrolens.index import folder as folder_format
from astrolens.index.folder import CATALOG_FILE, IndexSource, read_index_source
from astrolens.periodogram import PeriodogramConfig
from astrolens.pipeline import build_embeddings_index, build_survey_index
from astrolens.runfolder import run_folder, run_id
from astrolens.search import SearchConfig, open_search
from astrolens.search.domain import LoneDip
from astrolens.simulate import SurveyConfig, generate_catalog, source_arrays
from astrolens.simulate import cache as catalog_cache
from astrolens.simulate.cache import survey_catalog
from astrolens.simulate.export import write_fits
from astrolens.sources import example_files, read_arrays

RUN = "runs/default"
MINI = SurveyConfig(name="mini", n_objects=24)
NO_DEDUP = SearchConfig(duplicate_radius_arcsec=None)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private ASTROLENS_CACHE for the module: tests never touch the user's cache."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASTROLENS_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def tiny_catalog():
    return generate_catalog(SurveyConfig.named("tiny"))


@pytest.fixture(scope="module")
def tiny_index(cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("indexes") / "tiny"
    return build_survey_index("tiny", RUN, out, workers=1, progress=False)


@pytest.fixture(scope="module")
def tiny_embeddings(tiny_index):
    return read_embeddings(read_index_source(tiny_index).embeddings)


@pytest.fixture
def other_run(tmp_path):
    """runs/default with another configuration file: another run, as far as identity goes."""
    folder = shutil.copytree(RUN, tmp_path / "other")
    config = folder / "config.json"
    config.write_text(config.read_text() + "\n")
    return folder


@pytest.fixture(scope="module")
def example_embeddings(tmp_path_factory):
    """The four bundled example light curves, two of them quarters of KIC 10002792."""
    out = tmp_path_factory.mktemp("examples") / "examples.parquet"
    embed_files(example_files(), out, run=RUN, workers=1, progress=False)
    metas = [read_arrays(path).meta for path in example_files()]
    catalog = pd.DataFrame(
        {
            "object_id": [meta["object_id"] for meta in metas],
            "ra": [meta["ra"] for meta in metas],
            "dec": [meta["dec"] for meta in metas],
            "class": ["ROT", "ROT", "EA", "RRab"][: len(metas)],
        }
    ).drop_duplicates("object_id")
    return out, catalog


def test_survey_embeddings_are_cached_under_the_cache_and_computed_once(
    cache, tiny_index, tiny_catalog, monkeypatch
):
    path = survey_embeddings("tiny", RUN, workers=1, progress=False)
    assert path.is_relative_to(cache / "embeddings")
    assert path.resolve() == Path(read_index_source(tiny_index).embeddings)
    table = read_embeddings(path)
    assert table.object_ids == tiny_catalog["object_id"].tolist()
    assert table.metadata["astrolens.run"] == str(run_folder(RUN).resolve())

    def no_embedding(*args, **kwargs):
        raise AssertionError("cached embeddings were computed again")

    monkeypatch.setattr(embed, "embed_survey", no_embedding)
    assert survey_embeddings("tiny", RUN, workers=1, progress=False) == path
    with pytest.raises(AssertionError):
        survey_embeddings(SurveyConfig.named("tiny", seed=5), RUN, workers=1, progress=False)


def test_survey_catalogue_is_drawn_once(cache, tiny_index, tiny_catalog, monkeypatch):
    cached = set((cache / "catalogs").glob("tiny-*.parquet"))
    assert cached
    monkeypatch.setattr(catalog_cache, "generate_catalog", None)  # drawing again would fail
    catalog = survey_catalog("tiny")
    assert set((cache / "catalogs").glob("tiny-*.parquet")) == cached
    assert catalog.equals(tiny_catalog)
    assert catalog_fingerprint(catalog).key == catalog_fingerprint(tiny_catalog).key


def test_index_folder_says_which_survey_catalogue_and_run(tiny_index, tiny_catalog):
    source = read_index_source(tiny_index)
    assert source.survey == "tiny" and source.survey_config["n_objects"] == 320
    assert source.catalog_fingerprint == catalog_fingerprint(tiny_catalog).to_dict()
    assert source.run == run_id(RUN) == load_manifest(tiny_index).run
    assert source.run.startswith("default@")
    assert source.n_indexed == len(load_index(tiny_index)) == len(tiny_catalog)
    stored = pd.read_parquet(tiny_index / CATALOG_FILE)
    assert stored["object_id"].tolist() == tiny_catalog["object_id"].tolist()


def test_second_build_reuses_the_folder(tiny_index, monkeypatch):
    stamp = (tiny_index / "manifest.json").stat().st_mtime_ns

    def no_build(*args, **kwargs):
        raise AssertionError("an up-to-date index was built again")

    monkeypatch.setattr(folder_format, "build_index", no_build)
    assert build_survey_index("tiny", RUN, tiny_index, workers=1, progress=False) == tiny_index
    assert (tiny_index / "manifest.json").stat().st_mtime_ns == stamp
    with pytest.raises(AssertionError, match="built again"):
        build_survey_index("tiny", RUN, tiny_index, factory="IVF4,Flat", workers=1, progress=False)


def test_search_by_object_is_the_exact_neighbours_of_its_embedding(tiny_index, tiny_embeddings):
    search = open_search(tiny_index, config=NO_DEDUP)
    vectors = tiny_embeddings.vectors
    for position in (0, 77, 319):
        object_id = tiny_embeddings.object_ids[position]
        result = search.by_object(object_id, k=8)
        distances, rows = brute_force_search(vectors, vectors[position], k=9)
        expected = [tiny_embeddings.object_ids[row] for row in rows[0] if row != position][:8]
        assert result.matches["object_id"].tolist() == expected
        np.testing.assert_allclose(result.matches["distance"], distances[0][1:9], atol=1e-4)


def test_excluded_objects_stay_in_the_catalogue_but_out_of_the_index(cache, tmp_path):
    catalog = generate_catalog(MINI)
    left_out = catalog["object_id"].iloc[[1, 5, 9]].tolist()
    out = build_survey_index(MINI, RUN, tmp_path / "i", exclude=left_out, workers=1, progress=False)
    search = open_search(out)
    assert len(search.index) == len(catalog) - 3 and len(search.catalog) == len(catalog)
    assert read_index_source(out).excluded == tuple(sorted(left_out))
    assert not set(left_out) & set(search.index.ids.tolist())
    with pytest.raises(UnknownObject, match="not in the index"):
        search.by_object(left_out[0])
    everything = search.by_object(catalog["object_id"].iloc[0], k=len(catalog) - 4)
    assert not set(left_out) & set(everything.matches["object_id"])
    rebuilt = build_survey_index(MINI, RUN, out, exclude=left_out[:1], workers=1, progress=False)
    assert len(open_search(rebuilt).index) == len(catalog) - 1
    with pytest.raises(UnknownObject, match="KIC 1: cannot be excluded"):
        build_survey_index(MINI, RUN, tmp_path / "j", exclude=["KIC 1"], workers=1, progress=False)


def test_light_curve_files_are_searched_through_the_run_model(tiny_index, tiny_catalog, tmp_path):
    search = open_search(tiny_index)
    row = tiny_catalog.iloc[12]
    path = write_fits(row.to_dict(), tmp_path)
    result = search.by_lightcurve(path, k=5)
    assert len(result) == 5 and result.query.object_ids == (row["object_id"],)
    assert row["object_id"] not in set(result.matches["object_id"])
    # the matches its own period supports first (among the 25 nearest), each group by distance
    matched = result.matches["period_match"]
    assert matched.is_monotonic_decreasing
    for _, group in result.matches.groupby("period_match"):
        assert group["distance"].is_monotonic_increasing
    real = search.by_lightcurve(example_files("K2")[0], k=4)
    assert real.query.label == "EPIC 211117077" and len(real) == 4
    assert set(real.matches["object_id"]) <= set(tiny_catalog["object_id"])


def test_an_index_is_refused_for_another_run(tiny_index, other_run):
    with pytest.raises(IndexMismatch) as refused:
        open_search(tiny_index, run=other_run)
    message = str(refused.value)
    assert run_id(RUN) in message and run_id(other_run) in message and "rebuild" in message
    with pytest.raises(IndexMismatch, match="cannot be compared"):
        load_index(tiny_index, expected_run=run_id(other_run))


def test_a_run_retrained_in_place_makes_its_index_stale(cache, tmp_path):
    run = shutil.copytree(RUN, tmp_path / "run")
    out = build_survey_index(MINI, run, tmp_path / "index", workers=1, progress=False)
    assert open_search(out).source.run == run_id(run)
    (run / "config.json").write_text((run / "config.json").read_text() + "\n")
    with pytest.raises(IndexMismatch, match="retrained"):
        open_search(out)
    rebuilt = build_survey_index(MINI, run, out, workers=1, progress=False)
    assert open_search(rebuilt).source.run == run_id(run)


def test_repeated_object_ids_are_refused_by_name(example_embeddings, tmp_path):
    embeddings, catalog = example_embeddings
    with pytest.raises(ValueError, match="KIC 10002792") as refused:
        build_embeddings_index(embeddings, catalog, tmp_path / "index", progress=False)
    assert "duplicates='source'" in str(refused.value)
    assert not (tmp_path / "index").exists()


def test_repeated_object_ids_split_by_file(example_embeddings, tmp_path):
    embeddings, catalog = example_embeddings
    out = build_embeddings_index(
        embeddings, catalog, tmp_path / "index", duplicates="source", progress=False
    )
    search = open_search(out)
    quarters = sorted(i for i in search.index.ids.tolist() if i.startswith("KIC 10002792 ["))
    assert len(quarters) == 2 and len(search.index) == len(example_files())
    assert quarters[0].endswith("[kplr010002792-2009259160929_llc]")
    assert search.catalog.row(quarters[1])["source"].endswith("2010174085026_llc.fits")
    assert "KIC 10002792" not in search.catalog
    result = search.by_object(quarters[0], k=2)
    assert quarters[1] not in set(result.matches["object_id"])  # the same star on the sky
    assert len(result) == 2
    source = read_index_source(out)
    assert source.duplicates == "source" and source.survey_config is None
    assert source.run == run_id(RUN)


def test_embeddings_of_objects_missing_from_the_catalogue_are_refused(example_embeddings, tmp_path):
    embeddings, catalog = example_embeddings
    partial = catalog[catalog["object_id"] != "TIC 358108509"]
    with pytest.raises(IndexMismatch, match="TIC 358108509"):
        build_embeddings_index(
            embeddings, partial, tmp_path / "index", duplicates="source", progress=False
        )


def test_embeddings_are_indexed_only_with_the_run_that_made_them(
    example_embeddings, other_run, tmp_path
):
    embeddings, catalog = example_embeddings
    with pytest.raises(IndexMismatch, match="not"):
        build_embeddings_index(
            embeddings, catalog, tmp_path / "i", run=other_run, duplicates="source"
        )


def test_catalogue_from_a_csv_file(example_embeddings, tmp_path):
    embeddings, catalog = example_embeddings
    path = tmp_path / "objects.csv"
    catalog.to_csv(path, index=False)
    out = build_embeddings_index(embeddings, path, tmp_path / "i", duplicates="source")
    assert read_index_source(out).survey == "objects.csv"
    assert open_search(out).catalog.row("TIC 358108509")["class"] == "RRab"


def test_modified_catalogue_is_detected(tiny_index, tmp_path):
    copy = shutil.copytree(tiny_index, tmp_path / "copy")
    table = pd.read_parquet(copy / CATALOG_FILE)
    table.loc[0, "class"] = "CONSTANT" if table.loc[0, "class"] != "CONSTANT" else "EA"
    table.to_parquet(copy / CATALOG_FILE, index=False)
    with pytest.raises(CorruptIndex, match=r"catalog\.parquet"):
        open_search(copy)
    assert open_search(copy, verify=False).catalog.row(table.loc[0, "object_id"]) is not None


def test_a_folder_that_is_not_an_index_is_never_replaced(cache, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not an index folder"):
        build_survey_index(MINI, RUN, tmp_path, workers=1, progress=False)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="astrolens index build"):
        open_search(tmp_path / "nothing")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([f"KIC {i}" for i in range(8)]), max_size=12), st.randoms())
def test_exclusions_are_a_set(excluded, random):
    shuffled = list(excluded)
    random.shuffle(shuffled)
    fingerprint = catalog_fingerprint(pd.DataFrame({"x": [1.0]})).to_dict()
    common = {"survey": "s", "run": "r", "run_path": "/r", "embeddings": ""}
    common["catalog_fingerprint"] = fingerprint
    first = IndexSource(**common, excluded=excluded)
    second = IndexSource(**common, excluded=shuffled)
    assert first.same_build(second) and first.excluded == tuple(sorted(set(excluded)))
    assert IndexSource.from_dict(json.loads(json.dumps(first.to_dict()))) == first


def test_a_query_sampled_unlike_the_survey_is_out_of_domain_saying_how(tiny_index, tmp_path):
    search = open_search(tiny_index)
    rng = np.random.default_rng(5)
    time = np.sort(rng.uniform(0.0, 5 * 365.25, 1000))  # one epoch a night or so, five years
    flux = 1.0 + 0.05 * np.sin(2 * np.pi * time / 0.125) + rng.normal(0, 2e-3, time.size)
    sparse = tmp_path / "sparse.csv"
    pd.DataFrame({"time": time, "flux": flux, "flux_err": 2e-3}).to_csv(sparse, index=False)
    domain = search.by_lightcurve(sparse, k=5).domain
    assert not domain.in_domain
    assert any(reason.startswith("it spans 18") for reason in domain.reasons), domain.reasons
    assert any("power image can be read" in reason for reason in domain.reasons)
    envelope = search.sampling_envelope
    assert search.sampling_envelope is envelope and envelope.ranges["epochs"][0] > 1000
    held_out = generate_catalog(SurveyConfig.named("tiny", seed=2027)).iloc[0]
    alike = search.by_lightcurve(source_arrays(held_out), k=5).domain
    sampling_reasons = ("it has", "it spans", "it is sampled", "only")
    assert not any(reason.startswith(sampling_reasons) for reason in alike.reasons), alike.reasons


def test_a_random_walk_answered_with_periods_a_quarter_cannot_show_is_said(tiny_index, tmp_path):
    """A 90-day random walk at Kepler cadence is answered with semi-regular variables, whose
    catalogued periods (43-436 d in tiny) a quarter shows only up to 45 d of."""
    search = open_search(tiny_index)
    rng = np.random.default_rng([2027, 3])
    time = np.arange(0.0, 90.0, 29.4244 / (24 * 60))
    flux = 1.0 + np.cumsum(rng.normal(0.0, 2e-4, time.size)) + rng.normal(0.0, 5e-4, time.size)
    walk = tmp_path / "walk.csv"
    pd.DataFrame({"time": time, "flux": flux, "flux_err": 5e-4}).to_csv(walk, index=False)
    result = search.by_lightcurve(walk, k=10)
    assert pd.Series(result.column("class")).mode()[0] == "SR"
    shown = search.sampling(search.load(walk))["baseline_days"] / PeriodogramConfig().min_cycles
    assert shown == pytest.approx(45.0, abs=0.05)
    periods = result.column("period_days")
    beyond = periods[periods > shown]
    said = [reason for reason in result.domain.reasons if "longer than this light" in reason]
    assert said == [
        f"{beyond.size} of its 10 matches vary with periods longer than this light curve can "
        f"show (median {np.median(beyond):.3g} d; its 90-day baseline shows periods up to 45 d):"
        " their class is read from part of a cycle"
    ], result.domain.reasons
    assert beyond.size >= 8 and not result.domain.in_domain and said[0] in result.domain.warning
    assert search.by_object(result.object_ids[0], k=10).domain is None  # by id: as before


def test_a_query_unlike_the_class_of_its_matches_is_out_of_domain_saying_how(tiny_index, tmp_path):
    """A lone 1 % transit in a TESS-like sector is sampled as the survey is, and its embedding
    sits among the survey's; its statistics are unlike every member of its matches' class."""
    search = open_search(tiny_index)
    rng = np.random.default_rng(3)
    time = np.arange(0.0, 27.0, 2.0 / (24 * 60))
    flux = 1.0 - 0.01 * (np.abs(time - 13.2) < 0.15) + rng.normal(0, 5e-4, time.size)
    dip = tmp_path / "dip.csv"
    pd.DataFrame({"time": time, "flux": flux, "flux_err": 5e-4}).to_csv(dip, index=False)
    result = search.by_lightcurve(dip, k=10)
    answer = pd.Series(result.column("class")).mode()[0]
    said = [reason for reason in result.domain.reasons if reason.startswith("its statistics")]
    assert said and f"every {answer} object" in said[0], result.domain.reasons
    time, flux, _ = search.samples(search.load(dip))  # as the run reads it: days, relative flux
    assert time.size == 27 * 720 and np.median(flux) == pytest.approx(1.0, abs=1e-3)
    lone = LoneDip().reasons(time, flux, result.column("period_days"))
    assert lone and lone[0].startswith("its only dip (at t = 13.20 d, 0.3 d long)")
    assert lone[0] in result.domain.reasons  # its matches' periods would have shown it again
    assert not result.domain.in_domain and "unlike what this survey" in result.domain.warning
    reference = search.class_statistics
    assert search.class_statistics is reference and len(reference.members) == 16
    assert all(len(members) == 20 for members in reference.members.values())  # tiny: 20 a class
    held_out = generate_catalog(SurveyConfig.named("tiny", seed=2027))
    for _, row in held_out[held_out["class"].isin(["EA", "RRab", "CONSTANT"])].head(9).iterrows():
        result = search.by_lightcurve(source_arrays(row), k=10)
        if pd.Series(result.column("class")).mode()[0] == row["class"]:
            reasons = result.domain.reasons
            assert not any(reason.startswith("its statistics") for reason in reasons), reasons
