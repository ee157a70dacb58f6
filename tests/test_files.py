"""Cache folders and atomic writes."""

import os
from pathlib import Path

import pytest

from astrolens.files import CACHE_ENV_VAR, cache_dir, written_atomically


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV_VAR, os.fspath(tmp_path))
    assert cache_dir("ogle3") == tmp_path / "ogle3"
    monkeypatch.delenv(CACHE_ENV_VAR)
    assert cache_dir("mast") == Path("~/.cache/astrolens/mast").expanduser()


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "deep" / "table.csv"
    with written_atomically(target) as temporary:
        temporary.write_text("old")
    with pytest.raises(RuntimeError), written_atomically(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [path.name for path in target.parent.iterdir()] == ["table.csv"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"
