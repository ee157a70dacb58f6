"""Where astrolens keeps files, and writing them so that an interrupted run never leaves a
half-written one behind, nor litter that grows with every crash.

A file or folder is written under a hidden temporary name beside its place, then renamed into it.
Every temporary name says whose it is::

    .<name>.writing-<pid>-<start>-<machine>-<random>[<suffix>]   a file or folder being written
    .<name>.previous-<pid>-<start>-<machine>-<random>            an old folder being swapped out

``pid`` is the writer's process id, ``start`` when that process started (clock ticks after boot, so
that a later process given the same id is not taken for it), ``machine`` eight hex digits naming the
boot of the machine and its process-id namespace (another computer sharing the disk, another
container), ``random`` makes the name unique. A killed writer cannot tidy up, so every writer starts
by tidying its folder (:func:`remove_leftovers`): it removes the temporary names there whose
process is gone, and puts back an old folder that a swap moved aside but never replaced.

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

import functools
import hashlib
import os
import re
import secrets
import shutil
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CACHE_ENV_VAR",
    "UNKNOWN_OWNER_MAX_AGE_SECONDS",
    "FolderWrite",
    "cache_dir",
    "file_sha256",
    "free_path",
    "fsync_path",
    "previous_folders",
    "remove_leftovers",
    "replace_directory",
    "written_atomically",
    "written_folder",
]

CACHE_ENV_VAR = "ASTROLENS_CACHE"
"""Environment variable naming the astrolens cache folder (default ``~/.cache/astrolens``)."""

UNKNOWN_OWNER_MAX_AGE_SECONDS = 86_400.0
"""How long a temporary name whose writer cannot be checked is left alone, counted from the last
change of anything in it: names of an older astrolens (no process id), of another machine or
container, or of a system without ``/proc`` (not Linux)."""

_WRITING = "writing"
_PREVIOUS = "previous"
_UNKNOWN_MACHINE = "0" * 8

_NAME = re.compile(
    r"\.(?P<target>.+)\.(?P<kind>writing|previous)-(?P<pid>\d+)-(?P<start>\d+)"
    r"-(?P<machine>[0-9a-f]{8})-[0-9a-f]{8}(?P<suffix>.*)"
)
"""A temporary name of this module (see the module)."""

_OLDER_FOLDERS = (
    # written_folder staging, and index saves and builds before it
    (re.compile(r"\.(?P<target>.+)\.(?:writing|saving|building)-[a-z0-9_]{8}"), _WRITING),
    # training runs before written_folder: .<survey>-<yyyymmdd>-<hhmmss>[-n]-<random>.tmp
    (re.compile(r"\.(?P<target>.+-\d{8}-\d{6}(?:-\d+)?)-[a-z0-9_]{8}\.tmp"), _WRITING),
    # replace_directory, which only ever swapped index folders
    (re.compile(r"\.(?P<target>.+)\.previous"), _PREVIOUS),
)
"""Temporary folders of older versions of astrolens, without owners (``tempfile`` randoms)."""

_OLDER_FILE = re.compile(r"\.(?P<stem>.+)-[a-z0-9_]{8}(?P<suffix>\.[^.]*)?")
"""``written_atomically`` before owners were named: ``.<stem>-<random><suffix>``; taken for a
temporary file only beside the file ``<stem><suffix>``, a name this general being no proof alone."""

_INDEX_MANIFEST = "manifest.json"
"""The file that marks an index folder (:mod:`astrolens.index.base`): all older versions swapped."""


def cache_dir(name: str) -> Path:
    """The cache folder ``name`` (``mast``, ``ogle3``, ...) under ``$ASTROLENS_CACHE``.

    Examples
    --------
    >>> cache_dir("mast").name
    'mast'
    """
    base = os.environ.get(CACHE_ENV_VAR)
    return (Path(base) if base else Path("~/.cache/astrolens")).expanduser() / name


_tidied: set[Path] = set()
"""Folders :func:`written_atomically` has tidied in this process: once is enough (what it finds
was left by processes that ended before), and a cache folder of thousands of files is not listed
at every write."""


@contextmanager
def written_atomically(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, else delete it.

    The folder is created if needed, and the file is readable by everyone (0644) like a file
    written directly. The first write into a folder in a process removes what killed writers
    left there (:func:`remove_leftovers`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent not in _tidied:
        remove_leftovers(path.parent)
        _tidied.add(path.parent)
    temporary = _temporary_path(path, _WRITING, path.suffix)
    temporary.touch(exist_ok=False)
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

    First removes what killed writers left beside the target (:func:`remove_leftovers`). Then
    yields a :class:`FolderWrite` whose ``staging`` folder (``.<name>.writing-<owner>-*`` beside
    the target, see the module) the block fills. When the block ends, every file is flushed to
    disk and the folder is renamed into place: over the old folder, which stays readable until
    the rename (``overwrite=True``, :func:`replace_directory`), or never over anything
    (``overwrite=False``: :class:`FileExistsError`, or with ``rename_if_taken`` the next free
    name ``<name>-2``, ...). If the block raises, the staging folder is deleted and the target
    is untouched.

    Examples
    --------
    >>> import tempfile
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
    remove_leftovers(target.parent)
    staging = _temporary_path(target, _WRITING)
    staging.mkdir()
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
    >>> import tempfile
    >>> free_path(Path(tempfile.mkdtemp()) / "run").name
    'run'
    """
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def replace_directory(staging: Path, directory: Path) -> None:
    """Rename ``staging`` to ``directory``; the old folder stays readable until the rename.

    POSIX cannot rename a folder over a non-empty one, so the old folder is first renamed to
    ``.<name>.previous-<owner>-*`` (which readers fall back to, see :func:`previous_folders`),
    then removed. A writer killed between the two renames leaves only that folder, which the
    next :func:`remove_leftovers` beside it renames back.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("index", "staging"):
    ...     (folder / name).mkdir()
    ...     _ = (folder / name / "manifest.json").write_text(name)
    >>> replace_directory(folder / "staging", folder / "index")
    >>> (folder / "index" / "manifest.json").read_text(), [p.name for p in folder.iterdir()]
    ('staging', ['index'])
    """
    aside: Path | None = _temporary_path(directory, _PREVIOUS)
    try:
        directory.rename(aside)
    except FileNotFoundError:  # nothing to replace
        aside = None
    staging.rename(directory)
    fsync_path(directory.parent)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def previous_folders(directory: str | os.PathLike[str]) -> list[Path]:
    """The old copies of ``directory`` that swaps (:func:`replace_directory`) moved aside, newest
    first: where to read while ``directory`` is missing, between the two renames of a swap.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / ".index.previous").mkdir()  # as older versions named it
    >>> [path.name for path in previous_folders(folder / "index")]
    ['.index.previous']
    """
    directory = Path(directory)
    found = [
        leftover.path
        for leftover in _leftovers(directory.parent)
        if leftover.kind == _PREVIOUS and leftover.target == directory.name
    ]
    return sorted(found, key=_changed, reverse=True)


def remove_leftovers(folder: str | os.PathLike[str]) -> None:
    """Remove from ``folder`` the temporary files and folders that killed writers left.

    A temporary name of :func:`written_atomically`, :func:`written_folder` or
    :func:`replace_directory` (see the module, and older versions' names) is left alone while its
    writer runs: the process it names is alive, or, where that cannot be checked (an older name,
    another machine), while anything in it changed less than
    :data:`UNKNOWN_OWNER_MAX_AGE_SECONDS` ago. Once stale, a folder being written or a temporary
    file is deleted; an old folder moved aside by a swap is deleted if the folder it was moved
    aside from exists, else renamed back there (it is the last good copy). Nothing else is
    touched.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "index").mkdir()
    >>> (folder / ".index.previous").mkdir()  # an old folder left by a swap, long ago
    >>> os.utime(folder / ".index.previous", (0, 0))
    >>> remove_leftovers(folder)
    >>> [path.name for path in folder.iterdir()]
    ['index']
    """
    folder = Path(folder)
    newest_first = sorted(_leftovers(folder), key=lambda found: _changed(found.path), reverse=True)
    for leftover in newest_first:
        if not leftover.is_stale():
            continue
        if leftover.is_last_copy():
            _restore(leftover.path, folder / leftover.target)
        else:
            _remove(leftover.path)


def fsync_path(path: Path) -> None:
    """Flush a file's or folder's entry to disk (``os.fsync``), so a rename survives a crash."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@dataclass(frozen=True)
class _Leftover:
    """A temporary name found in a folder.

    Attributes
    ----------
    path
        The temporary file or folder.
    target
        The name of what it was written for, in the same folder.
    kind
        ``"writing"``, or ``"previous"`` for an old folder moved aside by a swap.
    owner
        The writer's process id, start and machine; None for a name of an older version.
    """

    path: Path
    target: str
    kind: str
    owner: tuple[int, str, str] | None

    def is_stale(self) -> bool:
        """Whether its writer is gone (see :func:`remove_leftovers`)."""
        if self.owner is not None:
            pid, start, machine = self.owner
            if machine == _machine() and machine != _UNKNOWN_MACHINE:
                return _process_start(pid) != start
        try:
            return time.time() - _last_change(self.path) > UNKNOWN_OWNER_MAX_AGE_SECONDS
        except FileNotFoundError:  # removed by another writer meanwhile
            return False

    def is_last_copy(self) -> bool:
        """Whether this is an old folder moved aside from a folder now missing (not from the
        staging folder of a write, never put back)."""
        return (
            self.kind == _PREVIOUS
            and not _is_temporary_folder(self.target)
            and not (self.path.parent / self.target).exists()
        )


def _leftovers(folder: Path) -> list[_Leftover]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    found = (_parse(folder / name) for name in names if name.startswith("."))
    return [leftover for leftover in found if leftover is not None]


def _parse(path: Path) -> _Leftover | None:
    """The temporary name ``path``, or None if it is not one of ours."""
    name = path.name
    match = _NAME.fullmatch(name)
    if match and match["suffix"] in ("", Path(match["target"]).suffix):
        owner = (int(match["pid"]), match["start"], match["machine"])
        return _Leftover(path, match["target"], match["kind"], owner)
    for pattern, kind in _OLDER_FOLDERS:
        match = pattern.fullmatch(name)
        if match and path.is_dir() and (kind == _WRITING or _is_index_or_empty(path)):
            return _Leftover(path, match["target"], kind, None)
    match = _OLDER_FILE.fullmatch(name)
    if match:
        target = match["stem"] + (match["suffix"] or "")
        if (path.parent / target).is_file():
            return _Leftover(path, target, _WRITING, None)
    return None


def _is_index_or_empty(folder: Path) -> bool:
    try:
        return (folder / _INDEX_MANIFEST).is_file() or not any(folder.iterdir())
    except OSError:  # removed meanwhile, or not ours to read
        return False


def _is_temporary_folder(name: str) -> bool:
    """Whether ``name`` is that of a temporary folder (which is never put back as is)."""
    return bool(_NAME.fullmatch(name)) or any(
        pattern.fullmatch(name) for pattern, _ in _OLDER_FOLDERS
    )


def _temporary_path(target: Path, kind: str, suffix: str = "") -> Path:
    """A new temporary name beside ``target`` owned by this process (see the module)."""
    pid = os.getpid()
    owner = f"{pid}-{_process_start(pid) or 0}-{_machine()}"
    return target.with_name(f".{target.name}.{kind}-{owner}-{secrets.token_hex(4)}{suffix}")


@functools.cache
def _machine() -> str:
    """Eight hex digits naming this boot of this machine and this process-id namespace, or
    zeros where the system does not say (not Linux)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return _UNKNOWN_MACHINE
    return hashlib.sha256(f"{boot} {namespace}".encode()).hexdigest()[:8]


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks after boot); None if none runs (or not Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    state, start = fields[0], fields[19]
    return None if state in ("Z", "X") else start  # a zombie writes no more


def _last_change(path: Path) -> float:
    """The latest modification time of ``path`` and, for a folder, of anything in it."""
    latest = path.lstat().st_mtime
    for root, folders, files in os.walk(path):
        for name in folders + files:
            latest = max(latest, os.lstat(os.path.join(root, name)).st_mtime)
    return latest


def _changed(path: Path) -> float:
    try:
        return path.lstat().st_ctime
    except FileNotFoundError:  # removed by another writer meanwhile
        return 0.0


def _restore(previous: Path, target: Path) -> None:
    try:
        previous.rename(target)
    except FileNotFoundError:  # another writer restored it first
        return
    except OSError:  # the target appeared meanwhile: the old copy is stale
        _remove(previous)
        return
    fsync_path(target.parent)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:  # another writer removed it first
        pass
    except OSError as error:
        warnings.warn(
            f"{path}: cannot remove this temporary left by a killed writer ({error})",
            RuntimeWarning,
            stacklevel=3,
        )
