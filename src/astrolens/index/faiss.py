"""FAISS behind the index interface: exact search, IVF-Flat, and IVF-PQ with exact re-ranking.

The index type is a FAISS factory string. :func:`choose_factory` picks one from the number of
vectors (thresholds in :data:`FLAT_MAX_VECTORS` and :data:`IVF_FLAT_MAX_BYTES`):

=====================================  =========================  ==============================
vectors                                factory                    memory
=====================================  =========================  ==============================
up to 100,000                          ``"Flat"`` (exact)         the raw vectors
raw vectors up to 1 GiB (4.2M at 64-d) ``"IVF<n>,Flat"``          the raw vectors
more                                   ``"IVF<n>,PQ<d/4>"``       d/4 bytes a vector; re-ranked
                                                                  from vectors.npy on disk
=====================================  =========================  ==============================

with ``<n>`` lists, a power of two near 4 sqrt(N), at most :data:`MAX_LISTS`, and ``nprobe``
from :func:`default_nprobe` (16 for 4096 lists: recall@10 above 0.99 on a million clustered
64-d vectors, see ``benchmarks/bench_index.py``). Distances are Euclidean: the square root of
FAISS's squared L2 for indexes that store the vectors (Flat, IVF-Flat); compressed indexes (PQ,
SQ, ...) fetch ``refine_factor`` x k candidates (default :data:`DEFAULT_REFINE_FACTOR`) and rank
them by exact distance from the stored vectors, which can stay memory-mapped on disk.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> vectors = rng.normal(size=(500, 16)).astype(np.float32)
>>> index = FaissIndex.build(vectors, [f"KIC {i}" for i in range(500)], run="demo", progress=False)
>>> index.factory, len(index)
('Flat', 500)
>>> distances, ids = index.search(vectors[7], k=3)
>>> str(ids[0, 0]), float(distances[0, 0])
('KIC 7', 0.0)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from astrolens.index.base import ColumnConditions, IndexManifest, VectorIndex

__all__ = [
    "ALLOWED_WIDENING",
    "DEFAULT_REFINE_FACTOR",
    "FLAT_MAX_VECTORS",
    "IVF_FLAT_MAX_BYTES",
    "MAX_LISTS",
    "FaissIndex",
    "choose_factory",
    "default_nprobe",
]

FLAT_MAX_VECTORS = 100_000
"""Up to this many vectors, :func:`choose_factory` picks exact search (``"Flat"``)."""

ALLOWED_WIDENING = 4.0
"""A filtered IVF search visits lists holding this many times as many allowed vectors as an
unfiltered search meets vectors (see :meth:`FaissIndex._allowed_candidates`)."""

IVF_FLAT_MAX_BYTES = 1 << 30
"""Raw vectors up to this size stay in memory (IVF-Flat); beyond, IVF-PQ with re-ranking."""

MAX_LISTS = 4096
"""Most inverted lists :func:`choose_factory` asks for (training takes ~a minute, 2 cores)."""

DEFAULT_REFINE_FACTOR = 10
"""Candidates per wanted neighbour re-ranked exactly for compressed (PQ, SQ) indexes."""

TRAINING_ROWS_PER_LIST = 64
"""Rows of the training sample per inverted list (FAISS asks for at least 39)."""

MIN_TRAINING_ROWS = 10_000
"""Smallest training sample (product quantizers train 256 centroids: FAISS asks for 9984)."""

CHUNK_ROWS = 65_536
"""Vectors added to FAISS at a time (one step of the progress bar)."""

INDEX_FILE = "faiss.index"


def choose_factory(
    n_vectors: int, dimension: int = 64, *, memory_budget_bytes: int = IVF_FLAT_MAX_BYTES
) -> str:
    """The FAISS factory string for ``n_vectors`` embeddings (see the module's table).

    Examples
    --------
    >>> choose_factory(20_000), choose_factory(1_000_000), choose_factory(10_000_000)
    ('Flat', 'IVF4096,Flat', 'IVF4096,PQ16')
    >>> choose_factory(1_000_000, memory_budget_bytes=100_000_000)
    'IVF4096,PQ16'
    """
    if n_vectors <= FLAT_MAX_VECTORS:
        return "Flat"
    n_lists = min(MAX_LISTS, 2 ** round(math.log2(4 * math.sqrt(n_vectors))))
    if n_vectors * dimension * 4 <= memory_budget_bytes:
        return f"IVF{n_lists},Flat"
    sub_quantizers = max(m for m in range(1, max(1, dimension // 4) + 1) if dimension % m == 0)
    return f"IVF{n_lists},PQ{sub_quantizers}"


def default_nprobe(n_lists: int) -> int:
    """Lists visited per query: 1/256 of the lists, between 16 and 64 (and at most all).

    Examples
    --------
    >>> default_nprobe(8), default_nprobe(4096), default_nprobe(8192), default_nprobe(65536)
    (8, 16, 32, 64)
    """
    return min(n_lists, max(16, min(64, n_lists // 256)))


class FaissIndex(VectorIndex):
    """A FAISS index of embeddings with their ids; see the module's docstring for the types.

    Parameters
    ----------
    dimension
        Length of each embedding.
    factory
        FAISS factory string: ``"Flat"``, ``"IVF1024,Flat"``, ``"IVF4096,PQ16"``, ...
        (Euclidean metric).
    run
        Name or id of the model run whose embeddings the index holds.
    nprobe
        Lists visited per query for IVF indexes (default :func:`default_nprobe`).
    refine_factor
        Candidates per wanted neighbour re-ranked with exact distances; default 1 for indexes
        that store exact vectors (Flat, IVF-Flat, HNSW), :data:`DEFAULT_REFINE_FACTOR` otherwise.
    seed
        Seed of the training sample.

    These are also the options of the ``"faiss"`` backend in :func:`astrolens.index.build_index`,
    where ``factory`` defaults to :func:`choose_factory` for the number of vectors.

    Raises
    ------
    ValueError
        If FAISS does not understand ``factory``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> vectors = rng.normal(size=(3000, 8)).astype(np.float32)
    >>> index = FaissIndex(8, "IVF32,Flat", run="run-1", nprobe=4)
    >>> index.add(vectors, np.arange(3000))  # trains the lists on the vectors first
    >>> index.n_lists, index.nprobe, index.refine_factor
    (32, 4, 1)
    >>> distances, ids = index.search(vectors[:3] + 0.01, k=2)
    >>> ids[:, 0].tolist()
    [0, 1, 2]
    """

    backend = "faiss"

    def __init__(
        self,
        dimension: int,
        factory: str = "Flat",
        *,
        run: str,
        nprobe: int | None = None,
        refine_factor: int | None = None,
        seed: int = 0,
    ) -> None:
        index = _index_from_factory(dimension, factory)
        if refine_factor is None:
            refine_factor = 1 if _stores_exact_vectors(index) else DEFAULT_REFINE_FACTOR
        super().__init__(dimension, run=run, refine_factor=refine_factor)
        self._factory = factory
        self._index = index
        self._seed = seed
        self._lists: NDArray[np.int32] | None = None
        self._centroids: tuple[NDArray[np.float32], NDArray[np.float32]] | None = None
        if _inverted_lists(index) is not None:
            self.nprobe = default_nprobe(self.n_lists) if nprobe is None else nprobe
        elif nprobe is not None:
            raise ValueError(f"nprobe applies to IVF indexes only, not {factory!r}")

    @classmethod
    def _for_vectors(
        cls,
        count: int,
        dimension: int,
        *,
        run: str,
        factory: str | None = None,
        nprobe: int | None = None,
        refine_factor: int | None = None,
        seed: int = 0,
    ) -> FaissIndex:
        """An empty index of type ``factory``, by default :func:`choose_factory` for ``count``.

        Examples
        --------
        >>> FaissIndex._for_vectors(2_000_000, 64, run="r").factory
        'IVF4096,Flat'
        """
        factory = factory or choose_factory(count, dimension)
        return cls(
            dimension, factory, run=run, nprobe=nprobe, refine_factor=refine_factor, seed=seed
        )

    @property
    def factory(self) -> str:
        """The FAISS factory string."""
        return self._factory

    @property
    def n_lists(self) -> int | None:
        """Number of inverted lists, or None for an index without lists."""
        ivf = _inverted_lists(self._index)
        return None if ivf is None else int(ivf.nlist)

    @property
    def nprobe(self) -> int | None:
        """Lists visited per query (IVF indexes; None otherwise). Settable."""
        ivf = _inverted_lists(self._index)
        return None if ivf is None else int(ivf.nprobe)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        ivf = _inverted_lists(self._index)
        if ivf is None:
            raise ValueError(f"nprobe applies to IVF indexes only, not {self.factory!r}")
        if not 1 <= value <= ivf.nlist:
            raise ValueError(f"nprobe must be between 1 and {ivf.nlist} (the lists), got {value}")
        ivf.nprobe = int(value)

    @property
    def faiss_index(self) -> faiss.Index:
        """The underlying FAISS index (positions in :attr:`ids` are its labels)."""
        return self._index

    def _add_to_backend(self, vectors: NDArray[np.float32], progress: bool) -> None:
        if not self._index.is_trained:
            self._train(vectors)
        with tqdm(total=len(vectors), desc="indexing", unit="vec", disable=not progress) as bar:
            for start in range(0, len(vectors), CHUNK_ROWS):
                chunk = np.ascontiguousarray(vectors[start : start + CHUNK_ROWS])
                self._index.add(chunk)
                bar.update(len(chunk))

    def _train(self, vectors: NDArray[np.float32]) -> None:
        ivf = _inverted_lists(self._index)
        n_rows = max(MIN_TRAINING_ROWS, TRAINING_ROWS_PER_LIST * (0 if ivf is None else ivf.nlist))
        rng = np.random.default_rng(self._seed)
        if len(vectors) > n_rows:
            rows = np.sort(rng.choice(len(vectors), n_rows, replace=False))
            sample = np.ascontiguousarray(vectors[rows])
        else:
            sample = np.ascontiguousarray(vectors)
        if ivf is not None and len(sample) < ivf.nlist:
            raise ValueError(
                f"{self.factory!r} needs at least {ivf.nlist} vectors to train its lists, got "
                f"{len(sample)}; use fewer lists or 'Flat'"
            )
        self._index.train(sample)
        self._centroids = None

    def _candidates(
        self, queries: NDArray[np.float32], n_candidates: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        return self._index.search(queries, n_candidates)

    def _allowed_candidates(
        self,
        queries: NDArray[np.float32],
        n_candidates: int,
        allowed: NDArray[np.bool_],
        conditions: ColumnConditions | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Candidates among ``allowed`` through a FAISS ID selector (a bitmap of positions);
        FAISS keeps no catalogue columns, so ``conditions`` go unused.

        The nearest allowed vectors may lie in lists or graph regions an unfiltered search never
        reaches. An IVF index visits, for each query, the lists nearest to it among those that
        hold allowed vectors, until they hold :data:`ALLOWED_WIDENING` times as many allowed
        vectors as an unfiltered search meets vectors (``nprobe`` lists of the mean size), and
        searches those (:meth:`_ivf_allowed_candidates`). HNSW widens ``efSearch`` by
        ``1 / f`` for a filter passing a fraction ``f`` of the vectors.
        """
        index = faiss.downcast_index(self._index)
        if isinstance(index, faiss.IndexIVF):
            return self._ivf_allowed_candidates(index, queries, n_candidates, allowed)
        bitmap = np.packbits(allowed, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        fraction = max(float(np.count_nonzero(allowed)) / len(allowed), 1e-9)
        if isinstance(index, faiss.IndexHNSW):
            ef = math.ceil(max(index.hnsw.efSearch, n_candidates) / fraction)
            parameters = faiss.SearchParametersHNSW(sel=selector, efSearch=min(len(allowed), ef))
        elif isinstance(index, faiss.IndexFlat):
            parameters = faiss.SearchParameters(sel=selector)
        else:
            return super()._allowed_candidates(queries, n_candidates, allowed)
        return index.search(queries, n_candidates, params=parameters)

    def _ivf_allowed_candidates(
        self,
        index: faiss.IndexIVF,
        queries: NDArray[np.float32],
        n_candidates: int,
        allowed: NDArray[np.bool_],
        widening: float = ALLOWED_WIDENING,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Squared distances and positions of the nearest allowed vectors in the lists an IVF
        search of each query visits under a filter (see :meth:`_allowed_candidates`;
        ``widening`` times as many allowed vectors as an unfiltered search meets vectors), as
        FAISS's own search with the lists given; -1 where those lists hold fewer than
        ``n_candidates``.

        Ordering the lists by their centroid's distance alone, as an unfiltered search does,
        spends the visits on lists with few allowed vectors when the query lies far from them
        (a rotator's nearest RR Lyrae stars): on a million real embeddings with a filter passing
        3.8 % of them, the ``nprobe / f`` lists of that rule found fewer of the 22 nearest than
        these lists do (``benchmarks/filtered_lists.py``).
        """
        bitmap = self._by_mask.get(
            allowed, "bitmap", lambda: np.packbits(allowed, bitorder="little")
        )
        held = self._by_mask.get(
            allowed, f"held {index.ntotal}", lambda: self._held_by_list(index, allowed)
        )
        wanted = max(n_candidates, widening * index.nprobe * index.ntotal / index.nlist)
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        centroid_distances = self._centroid_distances(index, queries)
        squared = np.empty((len(queries), n_candidates), dtype=np.float32)
        positions = np.empty((len(queries), n_candidates), dtype=np.int64)
        holding = np.flatnonzero(held)
        first_guess = math.ceil(2 * wanted * len(holding) / max(int(held.sum()), 1))
        for row in range(len(queries)):
            order = _nearest_holding(centroid_distances[row], held, holding, wanted, first_guess)
            lists = np.ascontiguousarray(order[None, :], dtype=np.int64)
            distances = np.ascontiguousarray(centroid_distances[row][lists])
            parameters = faiss.SearchParametersIVF(sel=selector, nprobe=lists.shape[1])
            query = np.ascontiguousarray(queries[row : row + 1], dtype=np.float32)
            index.search_preassigned_c(  # the lists chosen here, the selector as in a search
                1,
                faiss.swig_ptr(query),
                n_candidates,
                faiss.swig_ptr(lists),
                faiss.swig_ptr(distances),
                faiss.swig_ptr(squared[row]),
                faiss.swig_ptr(positions[row]),
                False,
                parameters,
            )
        return squared, positions

    def _centroid_distances(
        self, index: faiss.IndexIVF, queries: NDArray[np.float32]
    ) -> NDArray[np.float32]:
        """Squared distances from each query to every list's centroid, ``(n_queries, nlist)``
        (the centroids read from the quantizer once: a quantizer's own search of all its lists
        sorts them through a heap, several times slower)."""
        if self._centroids is None:
            centroids = index.quantizer.reconstruct_n(0, index.nlist)
            self._centroids = (centroids, np.einsum("ij,ij->i", centroids, centroids))
        centroids, norms = self._centroids
        queries = np.asarray(queries, dtype=np.float32)
        squared = norms[None, :] - 2.0 * (queries @ centroids.T)
        squared += np.einsum("ij,ij->i", queries, queries)[:, None]
        return np.maximum(squared, 0.0, out=squared)

    def _held_by_list(self, index: faiss.IndexIVF, allowed: NDArray[np.bool_]) -> NDArray[np.int64]:
        """How many allowed vectors each IVF list holds (kept with a read-only mask, by its
        identity: :attr:`_by_mask`)."""
        lists = self._list_of_positions()[np.flatnonzero(allowed)]
        return np.bincount(lists, minlength=index.nlist)

    def _list_of_positions(self) -> NDArray[np.int32]:
        """The IVF list of each stored vector, by position (read from FAISS's inverted lists
        once, and again after vectors are added)."""
        index = faiss.extract_index_ivf(self._index)
        if self._lists is None or self._lists.size != index.ntotal:
            lists = np.full(index.ntotal, -1, dtype=np.int32)
            inverted = index.invlists
            for number in range(index.nlist):
                size = inverted.list_size(number)
                if size:
                    lists[faiss.rev_swig_ptr(inverted.get_ids(number), size)] = number
            self._lists = lists
        return self._lists

    def _write_backend(self, directory: Path) -> list[str]:
        faiss.write_index(self._index, str(directory / INDEX_FILE))
        return [INDEX_FILE]

    @classmethod
    def _read_backend(
        cls,
        directory: Path,
        manifest: IndexManifest,
        vectors: NDArray[np.float32],
        ids: NDArray[Any],
    ) -> FaissIndex:
        index = cls(
            manifest.dimension,
            manifest.factory,
            run=manifest.run,
            nprobe=manifest.nprobe,
            refine_factor=manifest.refine_factor,
        )
        index._index = faiss.read_index(str(directory / INDEX_FILE))
        if manifest.nprobe is not None:
            index.nprobe = manifest.nprobe
        index._vectors, index._ids = vectors, ids
        return index

    @classmethod
    def _backend_version(cls) -> str:
        return str(faiss.__version__)


def _nearest_holding(
    distances: NDArray[np.float32],
    held: NDArray[np.int64],
    holding: NDArray[np.int64],
    wanted: float,
    guess: int,
) -> NDArray[np.int64]:
    """The lists ``holding`` allowed vectors (``held`` of them each), nearest first by
    ``distances``, until they hold ``wanted`` (all of them if they hold fewer).

    Only the nearest ``guess`` lists are sorted, twice as many while they hold too few: a full
    sort of thousands of lists costs more than the search of the lists chosen.

    Examples
    --------
    >>> held = np.array([5, 0, 5, 5])
    >>> distances = np.array([3.0, 0.0, 1.0, 2.0], dtype=np.float32)
    >>> _nearest_holding(distances, held, np.flatnonzero(held), 8, guess=1).tolist()
    [2, 3]
    """
    candidates = distances[holding]
    guess = max(1, guess)
    while True:
        if guess >= len(holding):
            order = holding[np.argsort(candidates, kind="stable")]
        else:  # the nearest ``guess``, and any as near as the last of them: a full sort's first
            farthest = np.partition(candidates, guess - 1)[guess - 1]
            nearest = np.flatnonzero(candidates <= farthest)
            order = holding[nearest[np.argsort(candidates[nearest], kind="stable")]]
        total = np.cumsum(held[order])
        if len(order) == len(holding) or total[-1] >= wanted:
            return order[: int(np.searchsorted(total, wanted)) + 1]
        guess *= 2


def _index_from_factory(dimension: int, factory: str) -> faiss.Index:
    """A new FAISS index; IVF-PQ without polysemous training (slow, and unused by searches)."""
    try:
        index = faiss.index_factory(int(dimension), factory, faiss.METRIC_L2)
    except RuntimeError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "unknown"
        raise ValueError(
            f"FAISS cannot build an index from factory string {factory!r} ({reason}); "
            "examples: 'Flat', 'IVF1024,Flat', 'IVF4096,PQ16'"
        ) from None
    ivf = _inverted_lists(index)
    if isinstance(ivf, faiss.IndexIVFPQ):
        ivf.do_polysemous_training = False
    return index


def _inverted_lists(index: faiss.Index) -> faiss.IndexIVF | None:
    try:
        return faiss.downcast_index(faiss.extract_index_ivf(index))
    except RuntimeError:
        return None


def _stores_exact_vectors(index: faiss.Index) -> bool:
    exact = (faiss.IndexFlat, faiss.IndexIVFFlat, faiss.IndexHNSWFlat)
    return isinstance(faiss.downcast_index(index), exact)
