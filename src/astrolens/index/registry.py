"""Index backends by name: build an index with one, and read a folder with the one it names.

A backend is a :class:`~astrolens.index.base.VectorIndex` subclass in its own module, registered
with one line (:func:`register_backend`) in :mod:`astrolens.index`. Its module is imported the
first time the backend is asked for, so a backend whose library is not installed costs nothing
until it is used. The name is the class's :attr:`~astrolens.index.base.VectorIndex.backend`: it
is written to the manifest of every folder the backend saves, and :func:`load_index` reads the
folder with the class registered under that name.

Examples
--------
>>> backend_class("faiss").__name__
'FaissIndex'
>>> backend_class("nope")
Traceback (most recent call last):
...
ValueError: no index backend named 'nope'; known: faiss, milvus
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from numpy.typing import ArrayLike

from astrolens.errors import IndexMismatch
from astrolens.index.base import VectorIndex, load_manifest
from astrolens.plugins import Registry

__all__ = [
    "backend_class",
    "backend_names",
    "backend_settings",
    "build_index",
    "load_index",
    "register_backend",
]

_BACKENDS: Registry[VectorIndex] = Registry("index backend", VectorIndex)
"""Backend name -> ``"package.module:Class"``, imported when first asked for."""


def register_backend(name: str, target: str) -> None:
    """Register the index class ``target`` (``"package.module:Class"``) as backend ``name``.

    The class's :attr:`~astrolens.index.base.VectorIndex.backend` must be ``name`` (checked when
    it is first used). Registering a name again replaces the class.

    Examples
    --------
    >>> register_backend("faiss", "astrolens.index.faiss:FaissIndex")
    >>> "faiss" in backend_names()
    True
    """
    _BACKENDS.register(name, target)


def backend_names() -> tuple[str, ...]:
    """The registered index backends, sorted.

    Examples
    --------
    >>> backend_names()
    ('faiss', 'milvus')
    """
    return _BACKENDS.names()


def backend_class(name: str) -> type[VectorIndex]:
    """The index class registered as backend ``name``, its module imported if need be.

    Raises
    ------
    ValueError
        If no backend has that name (the message lists those that do).
    TypeError
        If the registered target is not a :class:`~astrolens.index.base.VectorIndex` subclass
        whose ``backend`` is ``name``.
    """
    index_class = _BACKENDS.load(name)
    if index_class.backend != name:
        raise TypeError(
            f"{index_class.__module__}:{index_class.__name__} calls its backend "
            f"{index_class.backend!r}, not {name!r}: the manifests it writes would name another "
            "backend"
        )
    return index_class


def backend_settings(name: str) -> frozenset[str]:
    """The settings a backend takes as options of :func:`build_index`: the keyword arguments of
    its ``_for_vectors`` where it chooses them there, else of its constructor.

    Examples
    --------
    >>> from astrolens.index import backend_settings as settings  # the registered backends
    >>> sorted(settings("faiss"))
    ['factory', 'nprobe', 'refine_factor', 'seed']
    """
    cls = backend_class(name)
    fixed = {"self", "cls", "count", "dimension", "run"}
    for function in (cls._for_vectors, cls.__init__):
        parameters = inspect.signature(function).parameters.values()
        if not any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
            return frozenset(parameter.name for parameter in parameters) - fixed
    return frozenset()


def build_index(
    embeddings: ArrayLike,
    ids: ArrayLike,
    *,
    run: str,
    backend: str = "faiss",
    progress: bool = True,
    **options: Any,
) -> VectorIndex:
    """Index embeddings with the backend ``backend``: :meth:`VectorIndex.build` of its class.

    Parameters
    ----------
    embeddings
        ``(N, d)`` embeddings; a memory-mapped ``.npy`` stays on disk (re-ranking reads it).
    ids
        ``N`` unique object ids (strings or integers).
    run
        Name or id of the model run that produced the embeddings.
    backend
        Registered backend name (:func:`backend_names`).
    progress
        Show a progress bar while adding.
    **options
        The backend's own settings; for ``"faiss"`` (see
        :meth:`~astrolens.index.faiss.FaissIndex.build`): ``factory`` (a FAISS factory string,
        default :func:`~astrolens.index.faiss.choose_factory` for ``N`` vectors), ``nprobe``,
        ``refine_factor`` and ``seed``.

    Raises
    ------
    ValueError
        If no backend is called ``backend`` (the message lists those that are), or the
        embeddings, ids or options are invalid.
    TypeError
        If an option is not one of the backend's.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> vectors = rng.normal(size=(2000, 8)).astype(np.float32)
    >>> index = build_index(vectors, np.arange(2000), run="demo", factory="IVF16,Flat",
    ...                     progress=False)
    >>> index.backend, index.factory, index.nprobe
    ('faiss', 'IVF16,Flat', 16)
    >>> index.search(vectors[:2], k=1)[1].ravel().tolist()
    [0, 1]
    """
    index_class = backend_class(backend)
    return index_class.build(embeddings, ids, run=run, progress=progress, **options)


def load_index(
    directory: str | os.PathLike[str], *, expected_run: str | None = None, verify: bool = True
) -> VectorIndex:
    """Read an index folder with the backend its manifest names; see :meth:`VectorIndex.load`.

    Raises
    ------
    FileNotFoundError, CorruptIndex, IndexMismatch
        As :meth:`VectorIndex.load`; :class:`~astrolens.errors.IndexMismatch` also for a
        backend that is not registered (the message lists those that are).
    """
    manifest = load_manifest(directory, expected_run=expected_run)
    if manifest.backend not in backend_names():
        raise IndexMismatch(
            f"{directory}: written by index backend {manifest.backend!r}, which is not "
            f"registered; known: {', '.join(backend_names())}"
        )
    index_class = backend_class(manifest.backend)
    return index_class.load(directory, expected_run=expected_run, verify=verify)
