"""The astrolens command line: exit codes, messages, outputs."""

import json
import time

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from astrolens.cli import EXIT_BAD_INPUT, main
from astrolens.search import SearchConfig, open_search
from astrolens.simulate import SIZES, SurveyConfig, generate_catalog
from astrolens.sources import example_files, read_arrays
from astrolens.wavelets import WaveletCache


@pytest.mark.parametrize("command", ["demo", "simulate", "transform", "fetch"])
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "example:" in out and f"astrolens {command}" in out


def test_transform_caches_and_reuses(tmp_path, capsys):
    path = example_files("K2")[0]
    assert main(["-q", "transform", str(path), "--out", str(tmp_path)]) == 0
    cached = WaveletCache(tmp_path).path(path.stem)
    stamp = cached.stat().st_mtime_ns
    assert main(["-q", "transform", str(path), "--out", str(tmp_path)]) == 0
    assert cached.stat().st_mtime_ns == stamp
    assert path.stem in capsys.readouterr().out


def test_bad_file_exits_2_with_one_line_naming_it(tmp_path, capsys):
    bad = tmp_path / "empty.csv"
    bad.write_text("a,b\n")
    assert main(["-q", "transform", str(bad), "--out", str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("astrolens transform: error:") and "empty.csv" in err


def test_skip_bad_goes_on_and_reports(tmp_path, capsys):
    bad = tmp_path / "junk.fits"
    bad.write_bytes(np.random.default_rng(0).bytes(3000))
    good = example_files("K2")[0]
    args = ["-q", "transform", str(bad), str(good), "--out", str(tmp_path), "--skip-bad"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert good.stem in captured.out
    assert "skipped" in captured.err and "junk.fits" in captured.err


def test_fetch_offline_fails_fast_and_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASTROLENS_CACHE", str(tmp_path))
    start = time.perf_counter()
    code = main(["-q", "fetch", "KIC 10002792", "--mission", "Kepler"])
    assert time.perf_counter() - start < 5
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "MAST" in err and "local" in err


def test_simulate_writes_the_named_survey(tmp_path, capsys):
    assert main(["-q", "simulate", "--size", "tiny", "--out", str(tmp_path)]) == 0
    path = capsys.readouterr().out.strip()
    assert path == str(tmp_path / "tiny.csv")
    catalog = pd.read_csv(path)
    assert len(catalog) == SIZES["tiny"] and catalog["object_id"].is_unique
    assert (
        main(["-q", "simulate", "--size", "tiny", "--seed", "5", "--out", str(tmp_path / "b")]) == 0
    )
    other = pd.read_csv(capsys.readouterr().out.strip())
    assert not np.allclose(catalog["ra"], other["ra"])


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory):
    """`astrolens index build` of the tiny survey with runs/default, in a private cache."""
    cache = tmp_path_factory.mktemp("cache")
    out = tmp_path_factory.mktemp("indexes") / "tiny"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASTROLENS_CACHE", str(cache))
        args = ["-q", "index", "build", "--survey", "tiny", "--run", "runs/default"]
        assert main([*args, "--out", str(out), "--workers", "1"]) == 0
        yield out


@pytest.fixture(scope="module")
def tiny_catalog():
    return generate_catalog(SurveyConfig.named("tiny"))


def search(index, *args):
    return main(["-q", "search", "--index", str(index), *args])


@pytest.mark.parametrize("command", [["index", "build"], ["search"]])
def test_index_build_and_search_have_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "example:" in out and f"astrolens {' '.join(command)} --" in out


def test_index_build_says_what_it_built_and_reuses_it(tiny_index, capsys, monkeypatch, tmp_path):
    source = json.loads((tiny_index / "survey.json").read_text())
    assert source["survey"] == "tiny" and source["n_indexed"] == SIZES["tiny"]
    stamp = (tiny_index / "manifest.json").stat().st_mtime_ns
    monkeypatch.setenv("ASTROLENS_CACHE", str(tmp_path))  # nothing is embedded: reused
    args = ["-q", "index", "build", "--survey", "tiny", "--out", str(tiny_index)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"{SIZES['tiny']} objects of tiny" in out and source["run"] in out
    assert source["created"] in out  # the folder of the first build, not a new one
    assert (tiny_index / "manifest.json").stat().st_mtime_ns == stamp


def test_index_build_refuses_an_option_its_backend_does_not_take(tmp_path, capsys):
    """--uri is a Milvus setting: FAISS refuses it by name before any work, writing nothing."""
    out = tmp_path / "index"
    args = ["-q", "index", "build", "--survey", "tiny", "--out", str(out)]
    assert main([*args, "--uri", "http://127.0.0.1:19530"]) == EXIT_BAD_INPUT
    assert "--backend faiss takes no --uri" in capsys.readouterr().err
    assert not out.exists()


def test_search_by_id_writes_k_matches_without_the_query(tiny_index, tiny_catalog, tmp_path):
    query = tiny_catalog["object_id"].iloc[4]
    out = tmp_path / "matches.csv"
    assert search(tiny_index, "--id", query, "-k", "7", "--csv", str(out)) == 0
    matches = pd.read_csv(out)
    assert len(matches) == 7 and query not in set(matches["object_id"])
    assert matches["rank"].tolist() == list(range(1, 8))
    assert matches["distance"].is_monotonic_increasing


def test_search_prints_a_table_of_the_matches(tiny_index, tiny_catalog, capsys):
    query = tiny_catalog["object_id"].iloc[8]
    assert search(tiny_index, "--id", query, "-k", "3") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{query}: the 3 most similar of tiny")
    assert lines[1].split()[:4] == ["rank", "object_id", "class", "mission"]
    assert len(lines) == 5 and lines[2].split()[0] == "1"


def test_filters_hold_for_every_match(tiny_index, tiny_catalog, tmp_path):
    out = tmp_path / "filtered.csv"
    query = tiny_catalog["object_id"].iloc[0]
    args = ["--id", query, "-k", "6", "--csv", str(out), "--mission", "TESS"]
    args += [
        "--class",
        "EA",
        "--class",
        "RRab",
        "--range",
        "period_days:0.3:",
        "--range",
        "mag::14",
    ]
    assert search(tiny_index, *args) == 0
    matches = pd.read_csv(out)
    assert len(matches) == 6
    assert set(matches["class"]) <= {"EA", "RRab"} and set(matches["mission"]) == {"TESS"}
    assert (matches["period_days"] >= 0.3).all() and (matches["mag"] <= 14).all()
    assert search(tiny_index, "--id", query, "--mag-window", "0.5", "--csv", str(out)) == 0
    query_mag = tiny_catalog["mag"].iloc[0]
    assert (np.abs(pd.read_csv(out)["mag"] - query_mag) <= 0.5).all()


def test_several_ids_are_one_query(tiny_index, tiny_catalog, tmp_path):
    examples = tiny_catalog[tiny_catalog["class"] == "DSCT"]["object_id"].iloc[:3].tolist()
    for combine in ("centroid", "rrf"):
        out = tmp_path / f"{combine}.csv"
        args = ["-k", "5", "--combine", combine, "--csv", str(out)]
        assert search(tiny_index, *[f"--id={example}" for example in examples], *args) == 0
        matches = pd.read_csv(out)
        assert len(matches) == 5 and not set(examples) & set(matches["object_id"])
    assert "rrf_score" in pd.read_csv(tmp_path / "rrf.csv").columns


def test_search_by_sexagesimal_position(tiny_index, tiny_catalog, tmp_path, capsys):
    row = tiny_catalog.iloc[21]
    position = SkyCoord(row["ra"] * u.deg, row["dec"] * u.deg)
    ra = position.ra.to_string(unit=u.hourangle, sep=":", precision=3)
    dec = position.dec.to_string(sep=":", precision=2, alwayssign=True)
    out = tmp_path / "near.csv"
    assert search(tiny_index, "--ra", ra, f"--dec={dec}", "-k", "4", "--csv", str(out)) == 0
    assert capsys.readouterr().out.startswith(f"{row['object_id']} (")
    matches = pd.read_csv(out)
    assert len(matches) == 4 and row["object_id"] not in set(matches["object_id"])
    args = ["--ra", str(row["ra"] + 0.1), "--dec", str(row["dec"]), "--radius", "2"]
    assert search(tiny_index, *args) == EXIT_BAD_INPUT


def test_search_by_a_real_fits_file_with_a_figure(tiny_index, tmp_path, capsys):
    path = example_files("Kepler")[0]
    out, figure = tmp_path / "file.csv", tmp_path / "file.png"
    args = ["--file", str(path), "-k", "3", "--csv", str(out), "--figure", str(figure)]
    assert search(tiny_index, *args) == 0
    assert capsys.readouterr().out.startswith("KIC 10002792: the 3 most similar")
    matches = pd.read_csv(out)
    assert len(matches) == 3 and matches["period_match"].dtype == bool
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plain = tmp_path / "plain.csv"
    args = ["--file", str(path), "-k", "3", "--csv", str(plain), "--embedding-order"]
    assert search(tiny_index, *args) == 0
    by_distance = pd.read_csv(plain)
    assert "period_match" not in by_distance and by_distance["distance"].is_monotonic_increasing
    expected = open_search(tiny_index, config=SearchConfig(period_pool=0)).by_lightcurve(path, 3)
    assert by_distance["object_id"].tolist() == expected.object_ids


def test_search_by_several_files_at_once(tiny_index, tmp_path, capsys):
    paths = [example_files("Kepler")[0], example_files("K2")[0]]
    out, figure = tmp_path / "both.csv", tmp_path / "both.png"
    args = ["--file", str(paths[0]), "--file", str(paths[1]), "-k", "4", "--combine", "rrf"]
    assert search(tiny_index, *args, "--csv", str(out), "--figure", str(figure)) == 0
    assert capsys.readouterr().out.startswith("2 light curves (rrf): the 4 most similar")
    expected = open_search(tiny_index).by_inputs(paths, 4, combine="rrf")
    assert pd.read_csv(out)["object_id"].tolist() == expected.matches["object_id"].tolist()
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_random_query_is_reproducible_with_a_seed(tiny_index, tmp_path):
    first, second, other = (tmp_path / f"{name}.csv" for name in ("a", "b", "c"))
    assert search(tiny_index, "--random", "--seed", "3", "--csv", str(first)) == 0
    assert search(tiny_index, "--random", "--seed", "3", "--csv", str(second)) == 0
    assert search(tiny_index, "--random", "--seed", "4", "--csv", str(other)) == 0
    assert pd.read_csv(first).equals(pd.read_csv(second))
    assert len(pd.read_csv(first)) == 10
    assert not pd.read_csv(first)["object_id"].equals(pd.read_csv(other)["object_id"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--id", "KIC 123"], ["KIC 123"]),
        (["--random", "--range", "period_days:1"], ["COLUMN:MIN:MAX"]),
        (["--random", "--range", "colour:1:2"], ["colour"]),
        (["--ra", "10.0"], ["--ra and --dec"]),
        (["--ra", "10.0", "--dec", "95"], ["95"]),
        (["--file", "missing.fits"], ["missing.fits"]),
        (["--random", "--range", "period_days:5:1"], ["min 5 is larger than max 1"]),
        (["--random", "--class", "NOPE"], ["'NOPE'", "RRab"]),
        (["--random", "--mission", "XX"], ["'XX'", "Kepler"]),
        (["--random", "--range", "period_days:1000:2000"], ["no object", "passes the filters"]),
        (["--random", "-k", "1000000000"], ["between 1 and 100"]),
        (["--ra", "-360", "--dec", "10"], ["outside the sky"]),
        (["--ra", "400", "--dec", "10"], ["outside the sky"]),
        (["--id", "TIC 9000000000\x00"], ["not in the"]),
        (["--random", "--csv", "."], ["is a folder"]),
        (["--random", "--csv", "no/such/folder/m.csv"], ["does not exist"]),
    ],
)
def test_bad_input_exits_2_with_one_line(tiny_index, args, words, capsys):
    assert search(tiny_index, *args) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("astrolens search: error:")
    for word in words:
        assert word in err


def test_a_folder_as_csv_is_refused_before_anything_is_written(tiny_index, tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    assert search(tiny_index, "--random", "--csv", str(folder)) == EXIT_BAD_INPUT
    assert list(tmp_path.iterdir()) == [folder] and not any(folder.iterdir())
    assert "is a folder" in capsys.readouterr().err


def test_index_build_into_a_file_exits_2_in_one_line(tmp_path, capsys):
    target = tmp_path / "README.md"
    target.write_text("keep me")
    args = ["-q", "index", "build", "--survey", "tiny", "--out", str(target)]
    assert main(args) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is a file" in err
    assert target.read_text() == "keep me"


def test_missing_index_exits_2_saying_how_to_build_one(tmp_path, capsys):
    assert search(tmp_path / "none", "--random") == EXIT_BAD_INPUT
    assert "astrolens index build" in capsys.readouterr().err


def test_serve_refuses_a_missing_index_in_one_line(tmp_path, capsys):
    assert main(["serve", "--index", str(tmp_path / "nowhere")]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "nowhere" in error and "index build" in error
    assert main(["serve", "--index", str(tmp_path), "--max-upload-mb", "0"]) == EXIT_BAD_INPUT
    assert "--max-upload-mb" in capsys.readouterr().err


def test_serve_passes_hosts_origins_timeout_and_workers_on(tmp_path, monkeypatch):
    import astrolens.web

    seen = {}
    monkeypatch.setattr(astrolens.web, "serve", lambda *args, **kwargs: seen.update(kwargs))
    args = ["serve", "--index", str(tmp_path), "--workers", "3", "--upload-timeout", "5"]
    args += ["--allow-host", "lens.example.org", "--allow-origin", "https://portal.example.org"]
    assert main(args) == 0
    config = seen["config"]
    assert seen["workers"] == 3 and config.upload_timeout_seconds == 5.0
    assert "lens.example.org" in config.allowed_hosts and "localhost" in config.allowed_hosts
    assert config.allowed_origins == ("https://portal.example.org",)


def test_serve_refuses_a_host_with_a_port_in_one_line(tmp_path, capsys):
    assert main(["serve", "--index", str(tmp_path), "--allow-host", "a.org:80"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "a.org:80" in err


def test_search_by_one_band_of_a_table_of_two(tiny_index, tmp_path, capsys):
    arrays = read_arrays(example_files("Kepler")[0])
    keep = np.isfinite(arrays.flux)
    time, flux = arrays.time[keep], arrays.flux[keep] / np.nanmedian(arrays.flux)
    rows = [f"{t:.6f},{f:.7f},r" for t, f in zip(time, flux, strict=True)]
    rows += [f"{t:.6f},{1 + 1.8 * (f - 1):.7f},g" for t, f in zip(time, flux, strict=True)]
    table = tmp_path / "two bands.csv"
    table.write_text("bkjd,flux,band\n" + "\n".join(rows) + "\n")
    assert search(tiny_index, "--file", str(table), "-k", "3") == 2
    error = capsys.readouterr().err
    assert "2 bands in column 'band' (r, g)" in error and "band='all'" in error
    assert search(tiny_index, "--file", str(table), "--band", "r", "-k", "3") == 0
    assert capsys.readouterr().out.startswith("two bands: the 3 most similar")
    assert search(tiny_index, "--random", "--band", "r") == 2
    assert "--band goes with --file" in capsys.readouterr().err


def test_search_by_a_flux_column_the_table_names_its_own_way(tiny_index, tmp_path, capsys):
    arrays = read_arrays(example_files("Kepler")[0])
    keep = np.isfinite(arrays.flux)
    time, flux = arrays.time[keep], arrays.flux[keep] / np.nanmedian(arrays.flux)
    rows = [f"{t:.6f},{f:.7f},{2 - f:.7f}" for t, f in zip(time, flux, strict=True)]
    table = tmp_path / "k2sff.csv"  # as K2SFF writes its text files
    table.write_text("BJD - 2454833,Corrected Flux,Mirror\n" + "\n".join(rows) + "\n")
    assert search(tiny_index, "--file", str(table), "-k", "3") == 2
    assert "no flux column" in capsys.readouterr().err
    assert (
        search(tiny_index, "--file", str(table), "--flux-column", "corrected flux", "-k", "3") == 0
    )
    by_name = capsys.readouterr().out.splitlines()[1:]  # the table of matches
    renamed = tmp_path / "renamed" / "k2sff.csv"
    renamed.parent.mkdir()
    renamed.write_text("BJD - 2454833,flux\n" + "\n".join(row.rsplit(",", 1)[0] for row in rows))
    assert search(tiny_index, "--file", str(renamed), "-k", "3") == 0
    assert by_name == capsys.readouterr().out.splitlines()[1:]  # the same light curve, answer
    assert search(tiny_index, "--id", "x", "--flux-column", "flux") == 2
    assert "--flux-column goes with --file" in capsys.readouterr().err
