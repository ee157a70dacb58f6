"""Where astrolens keeps files, and writing them so that an interrupted run never leaves a
half-written one behind.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> target = Path(tempfile.mkdtemp()) / "table.csv"
>>> with written_atomically(target) as temporary:
...     _ = temporary.write_text("a,b\\n1,2\\n")
>>> target.read_text()
'a,b\\n1,2\\n'
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CACHE_ENV_VAR",
    "FolderWrite",
    "cache_dir",
    "file_sha256",
    "free_path",
    "fsync_path",
    "previous_path",
    "replace_directory",
    "written_atomically",
    "written_folder",
]

CACHE_ENV_VAR = "ASTROLENS_CACHE"
"""Environment variable naming the astrolens cache folder (default ``~/.cache/astrolens``)."""


def cache_dir(name: str) -> Path:
    """The cache folder ``name`` (``mast``, ``ogle3``, ...) under ``$ASTROLENS_CACHE``.

    Examples
    --------
    >>> cache_dir("mast").name
    'mast'
    """
    base = os.environ.get(CACHE_ENV_VAR)
    return (Path(base) if base else Path("~/.cache/astrolens")).expanduser() / name


@contextmanager
def written_atomically(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, else delete it.

    The folder is created if needed, and the file is readable by everyone (0644) like a file
    written directly.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        temporary.chmod(0o644)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "empty"
    >>> _ = path.write_bytes(b"")
    >>> file_sha256(path)[:16]
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 23), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class FolderWrite:
    """A folder being written by :func:`written_folder`.

    Attributes
    ----------
    staging
        The hidden folder beside the target to write into.
    target
        Where the folder goes; after the block, where it went (another free name when the
        target appeared meanwhile and the write keeps what is there).
    """

    staging: Path
    target: Path


@contextmanager
def written_folder(
    target: str | os.PathLike[str], *, overwrite: bool = True, rename_if_taken: bool = False
) -> Iterator[FolderWrite]:
    """Write a folder whole or not at all: indexes, runs and caches all go through here.

    Yields a :class:`FolderWrite` whose ``staging`` folder (``.<name>.writing-*`` beside the
    target) the block fills. When the block ends, every file is flushed to disk and the folder is
    renamed into place: over the old folder, which stays readable until the rename
    (``overwrite=True``, :func:`replace_directory`), or never over anything (``overwrite=False``:
    :class:`FileExistsError`, or with ``rename_if_taken`` the next free name ``<name>-2``, ...).
    If the block raises, the staging folder is deleted and the target is untouched.

    Examples
    --------
    >>> target = Path(tempfile.mkdtemp()) / "index"
    >>> with written_folder(target) as write:
    ...     _ = (write.staging / "a.txt").write_text("first")
    >>> with written_folder(target) as write:
    ...     _ = (write.staging / "a.txt").write_text("second")
    >>> (target / "a.txt").read_text(), sorted(p.name for p in target.parent.iterdir())
    ('second', ['index'])
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.writing-"))
    write = FolderWrite(staging, target)
    try:
        yield write
        for path in staging.rglob("*"):
            if path.is_file():
                fsync_path(path)
        staging.chmod(0o755)
        if overwrite:
            replace_directory(staging, write.target)
            return
        if write.target.exists():
            if not rename_if_taken:
                raise FileExistsError(f"{write.target}: exists, and is never overwritten")
            write.target = free_path(write.target)
        os.rename(staging, write.target)
        fsync_path(write.target.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def free_path(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``, ... whichever does not exist yet.

    Examples
    --------
    >>> free_path(Path(tempfile.mkdtemp()) / "run").name
    'run'
    """
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def previous_path(directory: Path) -> Path:
    """Where :func:`replace_directory` keeps the old folder while it renames the new one."""
    return directory.parent / f".{directory.name}.previous"


def replace_directory(staging: Path, directory: Path) -> None:
    """Rename ``staging`` to ``directory``; the old folder stays readable until the rename.

    POSIX cannot rename a folder over a non-empty one, so the old folder is first renamed to
    ``.<name>.previous`` (which readers fall back to, see
    :func:`astrolens.index.base.readable_directory`), then removed.
    """
    previous = previous_path(directory)
    if previous.exists():
        if directory.exists():
            shutil.rmtree(previous)
        else:
            previous.rename(directory)
    if directory.exists():
        directory.rename(previous)
    staging.rename(directory)
    fsync_path(directory.parent)
    shutil.rmtree(previous, ignore_errors=True)


def fsync_path(path: Path) -> None:
    """Flush a file's or folder's entry to disk (``os.fsync``), so a rename survives a crash."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
