"""Similarity indexes: find the embeddings nearest to a query among millions, and keep them on disk.

:func:`build_index` indexes embeddings with a backend chosen by name (default ``"faiss"``:
exact, IVF-Flat or IVF-PQ with exact re-ranking, chosen by size); :meth:`VectorIndex.save`
writes an index folder atomically and :func:`load_index` reads one back with the backend its
manifest names, checking checksums and the model run. Code that searches reads stored embeddings
with :meth:`VectorIndex.get_vectors`, never the array itself, so a backend may keep them
elsewhere.

Adding a backend
----------------
One module and one line:

1. ``astrolens/index/<name>.py`` with a :class:`VectorIndex` subclass whose ``backend`` is
   ``"<name>"`` and which implements the abstract methods (see
   :mod:`astrolens.index.base`; :mod:`astrolens.index.faiss` is the example). Its settings are
   keyword arguments of its constructor, or of its ``_for_vectors`` when they depend on the
   number of vectors; they reach it as the options of ``build_index(..., backend="<name>",
   **options)``.
2. ``register_backend("<name>", "astrolens.index.<name>:<Class>")`` below. The module is imported
   the first time the backend is used, so its library is needed only then.

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
>>> backend_names()
('faiss', 'milvus')
"""

from astrolens.index.base import (
    ColumnConditions,
    CorruptIndex,
    IndexManifest,
    VectorIndex,
    brute_force_search,
    load_manifest,
)
from astrolens.index.faiss import FaissIndex, choose_factory, default_nprobe
from astrolens.index.registry import (
    backend_class,
    backend_names,
    backend_settings,
    build_index,
    load_index,
    register_backend,
)
from astrolens.index.synthetic import ClusteredEmbeddings

register_backend("faiss", "astrolens.index.faiss:FaissIndex")
register_backend("milvus", "astrolens.index.milvus:MilvusIndex")

__all__ = [
    "ClusteredEmbeddings",
    "ColumnConditions",
    "CorruptIndex",
    "FaissIndex",
    "IndexManifest",
    "VectorIndex",
    "backend_class",
    "backend_names",
    "backend_settings",
    "brute_force_search",
    "build_index",
    "choose_factory",
    "default_nprobe",
    "load_index",
    "load_manifest",
    "register_backend",
]
