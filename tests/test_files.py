"""Cache folders, atomic writes, and removing what killed writers left."""

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from astrolens.files import (
    CACHE_ENV_VAR,
    UNKNOWN_OWNER_MAX_AGE_SECONDS,
    cache_dir,
    previous_folders,
    remove_leftovers,
    written_atomically,
    written_folder,
)
from astrolens.index.base import readable_directory

linux = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="writers are identified through /proc (Linux)"
)


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


_TEMPORARY = re.compile(r"\.table\.csv\.writing-(\d+)-(\d+)-([0-9a-f]{8})-[0-9a-f]{8}\.csv")

_WRITER = textwrap.dedent(
    """
    import os
    import signal
    import sys
    from pathlib import Path

    from astrolens import files

    how, folder = sys.argv[1], Path(sys.argv[2])


    def stop():
        if how.startswith("killed"):
            os.kill(os.getpid(), signal.SIGKILL)
        print("writing", flush=True)
        sys.stdin.readline()


    rename, rmtree = Path.rename, files.shutil.rmtree


    def rename_then_stop(self, target):  # between the two renames of a swap
        if ".writing-" in self.name and how.endswith("swap"):
            stop()
        return rename(self, target)


    def stop_then_rmtree(path, *args, **kwargs):  # after the swap, removing the old folder
        if ".previous-" in Path(path).name and how.endswith("cleanup"):
            stop()
        return rmtree(path, *args, **kwargs)


    Path.rename, files.shutil.rmtree = rename_then_stop, stop_then_rmtree
    with files.written_atomically(folder / "table.csv") as temporary:
        temporary.write_text("new")
        with files.written_folder(folder / "index") as write:
            (write.staging / "manifest.json").write_text("new")
            if how.endswith("write"):
                stop()
    """
)


def _killed_writer(folder: Path, where: str) -> None:
    """Run a writer of ``folder/table.csv`` and ``folder/index`` killed (SIGKILL) at ``where``:
    ``write`` (both half written), ``swap`` (between the two renames of the folder),
    ``cleanup`` (removing the old folder)."""
    writer = subprocess.run([sys.executable, "-c", _WRITER, f"killed-{where}", str(folder)])
    assert writer.returncode == -signal.SIGKILL


@contextmanager
def _live_writer(folder: Path, where: str) -> Iterator[None]:
    """The writer of :func:`_killed_writer`, paused at ``where`` during the block, then let go."""
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, f"paused-{where}", str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert writer.stdout.readline() == b"writing\n"
        yield
        writer.stdin.write(b"\n")
        writer.stdin.flush()
        assert writer.wait(timeout=60) == 0
    finally:
        writer.kill()
        writer.wait()


def _index(folder: Path, text: str = "old") -> None:
    folder.mkdir()
    (folder / "manifest.json").write_text(text)


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _age(path: Path) -> None:
    """Make ``path`` and what it holds look untouched for longer than the threshold."""
    then = time.time() - UNKNOWN_OWNER_MAX_AGE_SECONDS - 60
    for item in [path, *path.rglob("*")]:
        os.utime(item, (then, then))


@linux
def test_a_temporary_name_says_which_process_of_which_machine_writes_it(tmp_path):
    with written_atomically(tmp_path / "table.csv") as temporary:
        match = _TEMPORARY.fullmatch(temporary.name)
        assert match, temporary.name
        pid, start, machine = match.groups()
        assert int(pid) == os.getpid()
        assert start == Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]
        with written_atomically(tmp_path / "table.csv") as again:  # as another thread would
            assert again != temporary and _TEMPORARY.fullmatch(again.name)[3] == machine
    with written_folder(tmp_path / "index") as write:
        assert write.staging.name.startswith(f".index.writing-{pid}-{start}-{machine}-")


@linux
@pytest.mark.parametrize("tidied_by", ["remove_leftovers", "written_atomically", "written_folder"])
def test_what_a_killed_writer_left_is_removed_by_the_next_write(tmp_path, tidied_by):
    folder = tmp_path  # a new folder: the first written_atomically into it in this process
    _index(folder / "index")
    _killed_writer(folder, "write")
    assert len(_names(folder)) == 3  # the index, its staging folder, the temporary table
    if tidied_by == "remove_leftovers":
        remove_leftovers(folder)
    elif tidied_by == "written_atomically":
        with written_atomically(folder / "table.csv") as temporary:
            temporary.write_text("next")
    else:
        with written_folder(folder / "index") as write:
            (write.staging / "manifest.json").write_text("next")
    written = ["table.csv"] if tidied_by == "written_atomically" else []
    assert _names(folder) == ["index", *written]
    expected = "next" if tidied_by == "written_folder" else "old"
    assert (folder / "index" / "manifest.json").read_text() == expected


@linux
def test_a_folder_moved_aside_by_a_killed_swap_is_read_then_put_back(tmp_path):
    _index(tmp_path / "index")
    _killed_writer(tmp_path, "swap")
    assert "index" not in _names(tmp_path)
    (previous,) = previous_folders(tmp_path / "index")
    assert previous.name.startswith(".index.previous-")
    assert readable_directory(tmp_path / "index") == previous
    remove_leftovers(tmp_path)
    assert _names(tmp_path) == ["index"]
    assert (tmp_path / "index" / "manifest.json").read_text() == "old"  # the last good copy


@linux
def test_a_folder_moved_aside_and_replaced_is_removed(tmp_path):
    _index(tmp_path / "index")
    _killed_writer(tmp_path, "cleanup")
    assert len(previous_folders(tmp_path / "index")) == 1
    remove_leftovers(tmp_path)
    assert _names(tmp_path) == ["index"]
    assert (tmp_path / "index" / "manifest.json").read_text() == "new"


@pytest.mark.parametrize("where", ["write", "swap"])
def test_a_live_writers_temporaries_are_never_removed(tmp_path, where):
    _index(tmp_path / "index")
    with _live_writer(tmp_path, where):
        during = _names(tmp_path)
        remove_leftovers(tmp_path)
        with written_folder(tmp_path / "other") as write:  # which tidies the folder first
            (write.staging / "a.txt").write_text("other")
        assert _names(tmp_path) == sorted([*during, "other"])
        assert (readable_directory(tmp_path / "index") / "manifest.json").read_text() == "old"
    assert _names(tmp_path) == ["index", "other", "table.csv"]
    assert (tmp_path / "index" / "manifest.json").read_text() == "new"


@linux
def test_a_process_given_a_dead_writers_id_is_not_taken_for_it(tmp_path):
    with written_atomically(tmp_path / "table.csv") as temporary:
        pid, start, machine = _TEMPORARY.fullmatch(temporary.name).groups()
        earlier = tmp_path / f".table.csv.writing-{pid}-{int(start) - 1}-{machine}-0123abcd.csv"
        earlier.write_text("from an earlier process that had this process id")
        remove_leftovers(tmp_path)
        assert temporary.exists() and not earlier.exists()


def test_leftovers_whose_writer_cannot_be_checked_are_removed_once_untouched_long(tmp_path):
    with written_atomically(tmp_path / "table.csv") as temporary:
        pid, start, machine = _TEMPORARY.fullmatch(temporary.name).groups()
    other_machine = "f" * 8 if machine != "f" * 8 else "e" * 8
    folders = [
        tmp_path / f".index.writing-{pid}-{start}-{other_machine}-0123abcd",  # another computer
        tmp_path / ".index.writing-k2_9xq0a",  # and the names of older versions
        tmp_path / "..index.building-abcd1234.saving-efgh5678",
        tmp_path / ".k2-20260101-120000-2-ab12cd34.tmp",
    ]
    for folder in folders:
        folder.mkdir()
        (folder / "vectors.npy").write_bytes(b"half")
    older_file = tmp_path / ".table-x1y2z3w4.csv"  # beside table.csv
    older_file.write_text("half")
    everything = _names(tmp_path)
    remove_leftovers(tmp_path)
    assert _names(tmp_path) == everything
    for folder in folders:
        _age(folder)
        os.utime(folder / "vectors.npy")  # a writer still at work wrote there just now
    _age(older_file)
    remove_leftovers(tmp_path)
    assert _names(tmp_path) == sorted([folder.name for folder in folders] + ["table.csv"])
    for folder in folders:
        _age(folder)
    remove_leftovers(tmp_path)
    assert _names(tmp_path) == ["table.csv"]


def test_an_old_folder_left_by_an_older_version_is_put_back_or_removed(tmp_path):
    _index(tmp_path / ".index.previous")
    _index(tmp_path / "..index.building-abcd1234.previous")  # of a staging folder: not put back
    _index(tmp_path / ".other.previous", "older")
    _index(tmp_path / "other", "newer")
    for name in _names(tmp_path):
        _age(tmp_path / name)
    assert readable_directory(tmp_path / "index") == tmp_path / ".index.previous"
    remove_leftovers(tmp_path)
    assert _names(tmp_path) == ["index", "other"]
    assert (tmp_path / "index" / "manifest.json").read_text() == "old"
    assert (tmp_path / "other" / "manifest.json").read_text() == "newer"


def test_names_that_are_not_ours_are_never_touched(tmp_path):
    for name in [".git", ".config.previous", ".index.writing-a1b2c3d4.bak"]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "settings").write_text("kept")
    for name in [
        ".index.writing-a1b2c3d4",  # a file, never a staging folder
        ".settings-abcdefgh.json",  # no settings.json beside it
        ".table.csv.writing-12-34-0123abcd-0123abcd.json",  # not the suffix of table.csv
        "notes-abcdefgh.txt",
        "table.csv",
    ]:
        (tmp_path / name).write_text("kept")
    for name in _names(tmp_path):
        _age(tmp_path / name)
    everything = _names(tmp_path)
    remove_leftovers(tmp_path)
    assert _names(tmp_path) == everything
