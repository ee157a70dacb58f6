"""Similarity indexes: find the embeddings nearest to a query among millions, and keep them on disk.

:func:`build_index` indexes embeddings with FAISS (exact, IVF-Flat or IVF-PQ with exact
re-ranking, chosen by size); :meth:`FaissIndex.save` writes an index folder atomically and
:func:`load_index` reads one back, checking checksums and the model run.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> vectors = rng.normal(size=(300, 64)).astype(np.float32)
>>> index = build_index(vectors, [f"TIC {i}" for i in range(300)], run="run-1", progress=False)
>>> folder = index.save(Path(tempfile.mkdtemp()) / "index")
>>> loaded = load_index(folder, expected_run="run-1")
>>> loaded.search(vectors[:1], k=2)[1].tolist() == index.search(vectors[:1], k=2)[1].tolist()
True
"""

from __future__ import annotations

import os

from astrolens.errors import IndexMismatch
from astrolens.index.base import (
    CorruptIndex,
    IndexManifest,
    VectorIndex,
    brute_force_search,
    load_manifest,
)
from astrolens.index.faiss import (
    FaissIndex,
    build_index,
    choose_factory,
    default_nprobe,
)
from astrolens.index.synthetic import ClusteredEmbeddings

__all__ = [
    "BACKENDS",
    "ClusteredEmbeddings",
    "CorruptIndex",
    "FaissIndex",
    "IndexManifest",
    "VectorIndex",
    "brute_force_search",
    "build_index",
    "choose_factory",
    "default_nprobe",
    "load_index",
    "load_manifest",
]

BACKENDS: dict[str, type[VectorIndex]] = {FaissIndex.backend: FaissIndex}
"""Index classes by the backend name their manifests carry."""


def load_index(
    directory: str | os.PathLike[str], *, expected_run: str | None = None, verify: bool = True
) -> VectorIndex:
    """Read an index folder with the class its manifest names; see :meth:`VectorIndex.load`.

    Raises
    ------
    FileNotFoundError, CorruptIndex, IndexMismatch
        As :meth:`VectorIndex.load`; :class:`~astrolens.errors.IndexMismatch` also for an
        unknown backend.
    """
    manifest = load_manifest(directory, expected_run=expected_run)
    if manifest.backend not in BACKENDS:
        raise IndexMismatch(
            f"{directory}: backend {manifest.backend!r} is not one of {sorted(BACKENDS)}"
        )
    return BACKENDS[manifest.backend].load(directory, expected_run=expected_run, verify=verify)
