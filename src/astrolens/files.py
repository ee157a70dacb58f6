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
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["CACHE_ENV_VAR", "cache_dir", "file_sha256", "written_atomically"]

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
