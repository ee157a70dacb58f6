"""TensorFlow imported without the start-up lines its C++ logging writes whatever the log level.

TensorFlow 2.21 writes, when it is imported, lines that ``TF_CPP_MIN_LOG_LEVEL`` no longer
silences (its libraries log through Abseil before Abseil's logging is set up):

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1796441928.722599   17124 port.cc:153] oneDNN custom operations are on. ...

Two pairs of them, before every command that loads a model. :func:`quiet_tensorflow_import`
makes the first ``import tensorflow`` of the process leave out exactly these lines and let every
other line through (a warning, an error of a broken installation). The command line installs it;
a process forked afterwards (the server's workers) keeps it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

__all__ = ["TENSORFLOW_NOISE", "filtered_stderr", "quiet_tensorflow_import"]

TENSORFLOW_NOISE = (
    re.compile(rb"WARNING: All log messages before absl::InitializeLog\(\) is called"),
    re.compile(rb"I\d{4} [\d:.]+ +\d+ port\.cc:\d+\] oneDNN custom operations are on"),
)
"""The lines left out: Abseil's notice that it is not set up, and TensorFlow's oneDNN notice."""


@contextmanager
def filtered_stderr(noise: Sequence[re.Pattern[bytes]]) -> Iterator[None]:
    """Leave out the lines ``noise`` matches of what is written to descriptor 2 during the block.

    Works at the level of the descriptor, so it also sees what compiled libraries write. Every other
    line reaches the real standard error as it was written, before the block ends. Where the
    descriptor cannot be redirected (no standard error), the block runs as it is.

    Examples
    --------
    >>> import re
    >>> with filtered_stderr([re.compile(rb"noise")]):
    ...     _ = os.write(2, b"noise that nobody needs\\n")
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    forwarder = threading.Thread(target=_forward_lines, args=(read_end, saved, noise), daemon=True)
    forwarder.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last writing end: the forwarder reads to its end
        forwarder.join()
        os.close(read_end)
        os.close(saved)


def _forward_lines(read_end: int, destination: int, noise: Sequence[re.Pattern[bytes]]) -> None:
    """Copy the lines of ``read_end`` to ``destination``, less those ``noise`` matches."""
    pending = b""
    while chunk := os.read(read_end, 65536):
        *lines, pending = (pending + chunk).split(b"\n")
        _write_kept(destination, [line + b"\n" for line in lines], noise)
    _write_kept(destination, [pending] if pending else [], noise)


def _write_kept(destination: int, lines: list[bytes], noise: Sequence[re.Pattern[bytes]]) -> None:
    kept = b"".join(line for line in lines if not any(p.match(line) for p in noise))
    while kept:
        kept = kept[os.write(destination, kept) :]


class _QuietLoader(importlib.abc.Loader):
    """The loader of a module, executing it inside :func:`filtered_stderr`."""

    def __init__(self, loader: Any, noise: Sequence[re.Pattern[bytes]]) -> None:
        self._loader = loader
        self._noise = noise

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        with filtered_stderr(self._noise):
            self._loader.exec_module(module)

    def __getattr__(self, name: str) -> Any:  # resources and the like: the real loader's
        return getattr(self._loader, name)


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds one top-level module as usual, once, and gives it a :class:`_QuietLoader`."""

    def __init__(self, name: str, noise: Sequence[re.Pattern[bytes]]) -> None:
        self.name = name
        self._noise = noise

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)  # by the finders after this one
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader, self._noise)
        return spec


def quiet_tensorflow_import() -> None:
    """Have this process's first ``import tensorflow`` leave out :data:`TENSORFLOW_NOISE`.

    Costs nothing until TensorFlow is imported, and nothing if it already is. Only the lines of
    :data:`TENSORFLOW_NOISE` are left out, and only while TensorFlow's own module runs.

    Examples
    --------
    >>> quiet_tensorflow_import()
    >>> import tensorflow  # no Abseil or oneDNN notice on standard error
    """
    if "tensorflow" in sys.modules:
        return
    if any(isinstance(f, _QuietFinder) and f.name == "tensorflow" for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietFinder("tensorflow", TENSORFLOW_NOISE))
