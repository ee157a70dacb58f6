"""Locating the real example light curves shipped with altaipony."""

from __future__ import annotations

import importlib.util

import pytest

from astrolens.sources import examples
from astrolens.sources.examples import example_files


def test_all_examples_are_light_curves_of_the_three_missions():
    names = [path.name for path in example_files()]
    assert names == [
        "kplr010002792-2009259160929_llc.fits",
        "kplr010002792-2010174085026_llc.fits",
        "ktwo211117077-c04_llc.fits",
        "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits",
    ]
    assert all(path.is_file() for path in example_files())


@pytest.mark.parametrize(
    ("mission", "count", "prefix"), [("Kepler", 2, "kplr"), ("k2", 1, "ktwo"), ("TESS", 1, "tess")]
)
def test_examples_of_one_mission(mission, count, prefix):
    files = example_files(mission)
    assert len(files) == count
    assert all(path.name.startswith(prefix) for path in files)


def test_unknown_mission_is_refused():
    with pytest.raises(ValueError, match="mission='CoRoT' is not one of Kepler, K2, TESS"):
        example_files("CoRoT")


def test_missing_altaipony_says_how_to_install_it(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        examples.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "altaipony" else real_find_spec(name, *args),
    )
    with pytest.raises(ModuleNotFoundError, match="pip install --no-deps altaipony"):
        example_files()


def test_an_altaipony_without_examples_is_reported(monkeypatch, tmp_path):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "ktwo210994964-c04_lpd-targ.fits").write_bytes(b"")
    monkeypatch.setattr(examples, "_examples_folder", lambda: tmp_path / "examples")
    with pytest.raises(FileNotFoundError, match="no example light curve of K2"):
        example_files("K2")
