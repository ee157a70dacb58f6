"""The astrolens command line: exit codes, messages, outputs."""

import time

import numpy as np
import pandas as pd
import pytest

from astrolens.cli import EXIT_BAD_INPUT, main
from astrolens.simulate import SIZES
from astrolens.sources import example_files
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


def test_demo_writes_images_and_figure_then_reuses_them(tmp_path, capsys):
    assert main(["-q", "demo", "--wavelets", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "figure (written)" in out
    for mission in ("Kepler", "K2", "TESS"):
        assert mission in out
    directory = WaveletCache(tmp_path).directory
    assert len(list(directory.glob("*.npz"))) == len(example_files())
    assert (directory / "examples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["-q", "demo", "--wavelets", str(tmp_path)]) == 0
    assert "figure (already there)" in capsys.readouterr().out


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
