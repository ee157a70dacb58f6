"""The similarity-index interface: embeddings and their object ids in, nearest neighbours out.

An index is a folder on disk::

    <name>/
        manifest.json   model run, dimension, count, index type, nprobe, file checksums, ...
        vectors.npy     (N, dimension) float32 embeddings, memory-mapped on load
        ids.npy         (N,) object ids (strings or integers), memory-mapped on load
        <backend files> e.g. faiss.index

:class:`VectorIndex` keeps the embeddings and ids, reads and writes the folder, and turns a
backend's candidate neighbours into exact Euclidean distances ("re-ranking" from the stored
vectors); a backend (:class:`~astrolens.index.faiss.FaissIndex`) only finds candidates.
:func:`brute_force_search` is the exact NumPy search: the oracle of the tests and the baseline of
the benchmarks.

Saving is atomic: the folder is written beside the target under a hidden name, then renamed over
it, so a reader always finds either the previous index or the new one, whole. What a writer killed
mid-save leaves behind (a hidden ``.<name>.writing-<pid>-*`` folder) is removed by the next save
beside it (:func:`astrolens.files.remove_leftovers`).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> vectors = rng.normal(size=(100, 8)).astype(np.float32)
>>> distances, positions = brute_force_search(vectors, vectors[:2], k=3)
>>> positions[:, 0].tolist(), distances[:, 0].tolist()
([0, 1], [0.0, 0.0])
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

import astrolens
from astrolens.config import JsonConfig
from astrolens.errors import CorruptIndex, IndexMismatch
from astrolens.files import file_sha256, previous_folders, written_folder
from astrolens.kept import KeptByArray

__all__ = [
    "MANIFEST_NAME",
    "ColumnConditions",
    "CorruptIndex",
    "IndexManifest",
    "VectorIndex",
    "brute_force_search",
    "load_manifest",
]

MANIFEST_NAME = "manifest.json"
"""Name of the manifest file of an index folder."""

VECTORS_NAME = "vectors.npy"
IDS_NAME = "ids.npy"
FORMAT_VERSION = 1
"""Version of the folder layout, written to the manifest."""

_KEPT_MASKS = 16
"""Filters (read-only masks of allowed positions) whose counts and backend structures an index
keeps (:class:`~astrolens.kept.KeptByArray`; FAISS: a bit per vector and a count per list)."""

_GATHER_ROWS = 1 << 20
"""Most candidate vectors gathered at once when re-ranking (256 MiB at 64 dimensions)."""

_DISTANCE_BLOCK_BYTES = 1 << 27
"""Bytes of one block of the distance matrix in :func:`brute_force_search`."""

_COPY_ROWS = 1 << 18
"""Rows copied at a time when writing vectors."""

IndexT = TypeVar("IndexT", bound="VectorIndex")


@dataclass(frozen=True)
class IndexManifest(JsonConfig):
    """What an index folder holds; saved as ``manifest.json``.

    Attributes
    ----------
    backend
        Name of the backend that wrote the folder and reads it (``"faiss"``), as registered in
        :mod:`astrolens.index.registry`.
    run
        Name or id of the model run whose embeddings the index holds.
    dimension, count
        Embedding dimension and number of vectors.
    factory
        The index type, as a FAISS factory string (``"Flat"``, ``"IVF4096,Flat"``, ...).
    nprobe
        Inverted lists visited per query (None for indexes without lists).
    refine_factor
        Candidates per wanted neighbour that are re-ranked with exact distances.
    files
        SHA-256 of each file of the folder (manifest excluded), by file name.
    ids_dtype
        NumPy dtype of the ids (``"<U14"``, ``"int64"``).
    created
        When the folder was written (ISO 8601, UTC).
    astrolens_version, backend_version
        Versions that wrote it.
    format_version
        Version of the folder layout.

    Examples
    --------
    >>> manifest = IndexManifest(backend="faiss", run="run-1", dimension=64, count=10,
    ...                          factory="Flat")
    >>> IndexManifest.from_dict(manifest.to_dict()) == manifest
    True
    """

    backend: str
    run: str
    dimension: int
    count: int
    factory: str
    nprobe: int | None = None
    refine_factor: int = 1
    files: dict[str, str] = field(default_factory=dict)
    ids_dtype: str = "<U1"
    created: str = ""
    astrolens_version: str = astrolens.__version__
    backend_version: str = ""
    format_version: int = FORMAT_VERSION


@dataclass(frozen=True)
class ColumnConditions:
    """Conditions on catalogue columns that a filtered search's ``allowed`` positions pass.

    What :meth:`VectorIndex.search_positions` is given besides the mask, for a backend that stores
    the columns (:attr:`VectorIndex.keeps_columns`) and can filter by them where the vectors are.

    Attributes
    ----------
    values
        ``{column: values}``: the column holds one of ``values`` (a missing value never passes).
    ranges
        ``{column: (low, high)}``: the column is between the bounds, inclusive; None leaves an end
        open; NaN never passes.

    Examples
    --------
    >>> ColumnConditions(values={"class": ("EA", "EW")}, ranges={"period_days": (1.0, None)})
    ColumnConditions(values={'class': ('EA', 'EW')}, ranges={'period_days': (1.0, None)})
    """

    values: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)

    @property
    def columns(self) -> set[str]:
        """The columns the conditions are on."""
        return {*self.values, *self.ranges}


class VectorIndex(ABC):
    """Nearest-neighbour search over embeddings, with the embeddings and ids kept alongside.

    A backend is a subclass with a :attr:`backend` name: it finds candidate neighbours
    (:meth:`_candidates`), stores its own structure (:meth:`_add_to_backend`,
    :meth:`_write_backend`, :meth:`_read_backend`) and, if it has settings that depend on the
    number of vectors, says how to make a new index for them (:meth:`_for_vectors`). This class
    does the rest: ids, re-ranking with exact distances, the folder on disk, and handing out the
    stored vectors (:meth:`get_vectors`).

    Parameters
    ----------
    dimension
        Length of each embedding.
    run
        Name or id of the model run that produced the embeddings (checked on load).
    refine_factor
        Candidates fetched per wanted neighbour and re-ranked by exact distance from the stored
        vectors; 1: no re-ranking, the backend's distances are exact (it stores the vectors).
    """

    backend: ClassVar[str]
    """Registry name of the backend (:func:`astrolens.index.register_backend`), written to the
    manifest: the key :func:`astrolens.index.build_index` and :func:`astrolens.index.load_index`
    dispatch on."""

    keeps_columns: ClassVar[bool] = False
    """Whether the backend stores catalogue columns beside the vectors, to filter by them while it
    searches (:class:`ColumnConditions`): its build then takes a ``columns`` option, a DataFrame of
    one catalogue row per vector (:func:`astrolens.index.folder.write_index_folder` gives it)."""

    def __init__(self, dimension: int, *, run: str, refine_factor: int = 1) -> None:
        if dimension < 1:
            raise ValueError(f"dimension must be positive, got {dimension}")
        if refine_factor < 1:
            raise ValueError(f"refine_factor must be at least 1, got {refine_factor}")
        self.dimension = int(dimension)
        self.run = str(run)
        self.refine_factor = int(refine_factor)
        self._vectors: NDArray[np.float32] = np.empty((0, self.dimension), dtype=np.float32)
        self._ids: NDArray[Any] = np.empty(0, dtype=str)
        self._by_mask = KeptByArray(size=_KEPT_MASKS)

    # -- what a backend provides -------------------------------------------------------------

    @property
    @abstractmethod
    def factory(self) -> str:
        """The index type as a FAISS factory string."""

    @property
    def nprobe(self) -> int | None:
        """Inverted lists visited per query, or None when the index has none."""
        return None

    @classmethod
    def _for_vectors(
        cls: type[IndexT], count: int, dimension: int, *, run: str, **options: Any
    ) -> IndexT:
        """A new, empty index for ``count`` vectors; ``options`` are the backend's settings.

        By default ``cls(dimension, run=run, **options)``; a backend whose settings depend on
        ``count`` (the FAISS index type) chooses them here.
        """
        return cls(dimension, run=run, **options)

    @abstractmethod
    def _add_to_backend(self, vectors: NDArray[np.float32], progress: bool) -> None:
        """Add ``vectors`` (already validated) after those already held."""

    @abstractmethod
    def _candidates(
        self, queries: NDArray[np.float32], n_candidates: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Squared distances and positions of candidate neighbours, nearest first.

        Both ``(n_queries, n_candidates)``; position -1 where the backend found too few.
        """

    def _allowed_candidates(
        self,
        queries: NDArray[np.float32],
        n_candidates: int,
        allowed: NDArray[np.bool_],
        conditions: ColumnConditions | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """As :meth:`_candidates`, among the positions where ``allowed`` is True only.

        ``conditions``, if known, say the same in catalogue columns, for a backend that keeps
        them. By default an exact search over the allowed vectors; a backend that can filter
        while it searches does better.
        """
        subset = np.flatnonzero(allowed)
        distances, rows = brute_force_search(self._vectors[subset], queries, n_candidates)
        return distances**2, subset[rows]

    @abstractmethod
    def _write_backend(self, directory: Path) -> list[str]:
        """Write the backend's own files into ``directory``; return their names."""

    @classmethod
    @abstractmethod
    def _read_backend(
        cls: type[IndexT],
        directory: Path,
        manifest: IndexManifest,
        vectors: NDArray[np.float32],
        ids: NDArray[Any],
    ) -> IndexT:
        """Rebuild the index from its folder; ``vectors`` and ``ids`` are already read."""

    @classmethod
    @abstractmethod
    def _backend_version(cls) -> str:
        """Version of the library behind the backend."""

    # -- the interface ------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._vectors.shape[0])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(factory={self.factory!r}, run={self.run!r}, "
            f"count={len(self)}, dimension={self.dimension})"
        )

    @property
    def ids(self) -> NDArray[Any]:
        """The id of each vector, in the order added (position ``i`` is ``vectors[i]``)."""
        return self._ids

    @property
    def vectors(self) -> NDArray[np.float32]:
        """The ``(N, dimension)`` float32 embeddings (memory-mapped after :meth:`load`).

        For the index package and tests; code that searches asks for rows with
        :meth:`get_vectors`, which does not assume the vectors are in this process.
        """
        return self._vectors

    def get_vectors(self, positions: ArrayLike | slice) -> NDArray[np.float32]:
        """The stored embeddings at ``positions``, as a new ``(n, dimension)`` float32 array.

        Only the rows asked for are read, so this is cheap on a memory-mapped index; the result
        is a copy, never a view of the index's own array.

        Parameters
        ----------
        positions
            Positions in :attr:`ids`: integers (in any order, repeats allowed), one integer (one
            row), or a slice.

        Raises
        ------
        IndexError
            If a position is not an integer from 0 to ``len(self) - 1``.

        Examples
        --------
        >>> from astrolens.index import build_index
        >>> index = build_index(np.arange(8.0).reshape(4, 2), ["a", "b", "c", "d"], run="r",
        ...                     progress=False)
        >>> index.get_vectors([3, 0]).tolist(), index.get_vectors(1).shape
        ([[6.0, 7.0], [0.0, 1.0]], (1, 2))
        >>> index.get_vectors(slice(1, 3)).tolist()
        [[2.0, 3.0], [4.0, 5.0]]
        """
        if isinstance(positions, slice):
            return np.array(self._vectors[positions], dtype=np.float32)
        rows = np.atleast_1d(np.asarray(positions))
        if rows.size == 0:
            return np.empty((0, self.dimension), dtype=np.float32)
        if rows.ndim != 1 or rows.dtype.kind not in "iu":
            raise IndexError(
                f"positions must be integers or a slice, got {rows.dtype} of shape {rows.shape}"
            )
        if rows.min() < 0 or rows.max() >= len(self):
            raise IndexError(
                f"positions must be between 0 and {len(self) - 1} (the index holds {len(self)} "
                f"vectors), got {rows.min()} to {rows.max()}"
            )
        return np.asarray(self._vectors[rows], dtype=np.float32)

    def add(self, vectors: ArrayLike, ids: ArrayLike, *, progress: bool = False) -> None:
        """Add embeddings and their ids (unique strings or integers) after those already held.

        A NumPy memory map (``np.load(..., mmap_mode="r")``) is kept by reference when it is
        the first thing added, so an index over more vectors than memory holds keeps them on
        disk; other arrays are copied.

        Raises
        ------
        ValueError
            On a wrong shape, non-finite values (not checked in a memory map, which is not read
            through), ids of another length or type, or repeated ids.
        """
        vectors = _as_vectors(vectors, self.dimension, "vectors")
        ids = _as_ids(ids, len(vectors))
        if len(vectors) == 0:
            return
        if len(self) == 0:
            self._check_unique(ids)
            stored = vectors if isinstance(vectors, np.memmap) else np.array(vectors)
        else:
            ids = np.concatenate([self._ids, ids])
            self._check_unique(ids)
            stored = np.concatenate([self._vectors, vectors])
        self._add_to_backend(vectors, progress)
        self._vectors, self._ids = stored, ids

    @classmethod
    def build(
        cls: type[IndexT],
        embeddings: ArrayLike,
        ids: ArrayLike,
        *,
        run: str,
        progress: bool = True,
        **options: Any,
    ) -> IndexT:
        """A new index of this backend holding ``embeddings`` and their ``ids``.

        What :func:`astrolens.index.build_index` calls: an empty index for the number of vectors
        (:meth:`_for_vectors`, given ``options``), then :meth:`add`.

        Raises
        ------
        ValueError
            If ``embeddings`` is not 2-d, or as :meth:`add`.
        """
        shape = np.shape(embeddings)
        if len(shape) != 2:
            raise ValueError(f"embeddings must have shape (n, d), got {shape}")
        index = cls._for_vectors(shape[0], shape[1], run=run, **options)
        index.add(embeddings, ids, progress=progress)
        return index

    def search(self, queries: ArrayLike, k: int) -> tuple[NDArray[np.float32], NDArray[Any]]:
        """The ``k`` nearest neighbours of each query: Euclidean distances and ids.

        Parameters
        ----------
        queries
            ``(n_queries, dimension)`` or one ``(dimension,)`` vector.
        k
            Neighbours per query; at most the size of the index (larger values are reduced).

        Returns
        -------
        distances, ids
            ``(n_queries, k)`` arrays, nearest first.
        """
        distances, positions = self.search_positions(queries, k)
        return distances, self._ids[positions]

    def search_positions(
        self,
        queries: ArrayLike,
        k: int,
        *,
        allowed: ArrayLike | None = None,
        conditions: ColumnConditions | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """As :meth:`search`, with positions in :attr:`ids` and :attr:`vectors` instead of ids.

        ``allowed`` (a boolean per position) restricts the neighbours to those positions: the
        backend filters while it searches (FAISS: an ID selector, visiting more lists until
        every query has its neighbours), so a selective filter costs no more than a search.
        ``conditions`` say the same in catalogue columns, for a backend that filters by the
        columns it keeps (:attr:`keeps_columns`); ``allowed`` stays the truth, as others use it.

        Every query gets exactly ``min(k, len(self))`` neighbours (``min(k, allowed.sum())``):
        a query for which the backend found too few (e.g. too small ``nprobe``) is answered by
        exact search.
        """
        queries = _as_vectors(queries, self.dimension, "queries", allow_single=True)
        if len(self) == 0:
            raise ValueError("the index is empty: add vectors before searching")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        available = len(self)
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=bool)
            if allowed.shape != (len(self),):
                raise ValueError(
                    f"allowed must be one boolean per vector ({len(self)}), got {allowed.shape}"
                )
            available = self._by_mask.get(allowed, "count", lambda: int(np.count_nonzero(allowed)))
        k = min(int(k), available)
        if k == 0:
            return np.empty((len(queries), 0), np.float32), np.empty((len(queries), 0), np.int64)
        n_candidates = min(available, k * self.refine_factor)
        block = max(1, _GATHER_ROWS // n_candidates)
        distances = np.empty((len(queries), k), dtype=np.float32)
        positions = np.empty((len(queries), k), dtype=np.int64)
        for start in range(0, len(queries), block):
            rows = slice(start, start + block)
            if allowed is None:
                squared, candidates = self._candidates(queries[rows], n_candidates)
            else:
                squared, candidates = self._allowed_candidates(
                    queries[rows], n_candidates, allowed, conditions
                )
            if self.refine_factor > 1:
                squared, candidates = self._rerank(queries[rows], candidates, k)
            distances[rows] = np.sqrt(np.maximum(squared, 0.0))
            positions[rows] = candidates
        incomplete = np.flatnonzero((positions < 0).any(axis=1))
        if incomplete.size:
            subset = None if allowed is None else np.flatnonzero(allowed)
            vectors = self._vectors if subset is None else self._vectors[subset]
            found, rows_found = brute_force_search(vectors, queries[incomplete], k)
            distances[incomplete] = found
            positions[incomplete] = rows_found if subset is None else subset[rows_found]
        return distances, positions

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the index to the folder ``directory``, atomically replacing what is there.

        Returns
        -------
        pathlib.Path
            The folder.
        """
        directory = Path(directory)
        with written_folder(directory) as write:
            self.write_files(write.staging)
        return directory

    def write_files(self, folder: Path) -> None:
        """Write the files of the index into ``folder``, a folder being written whole (the
        ``staging`` folder of :func:`astrolens.files.written_folder`), as :meth:`save` does.

        Examples
        --------
        >>> import tempfile
        >>> from astrolens.files import written_folder
        >>> from astrolens.index import build_index, load_index
        >>> vectors = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
        >>> index = build_index(vectors, np.arange(50), run="demo", progress=False)
        >>> with written_folder(Path(tempfile.mkdtemp()) / "index") as write:
        ...     index.write_files(write.staging)
        >>> len(load_index(write.target))
        50
        """
        _write_vectors(self._vectors, folder / VECTORS_NAME)
        np.save(folder / IDS_NAME, self._ids, allow_pickle=False)
        names = [VECTORS_NAME, IDS_NAME, *self._write_backend(folder)]
        manifest = IndexManifest(
            backend=self.backend,
            run=self.run,
            dimension=self.dimension,
            count=len(self),
            factory=self.factory,
            nprobe=self.nprobe,
            refine_factor=self.refine_factor,
            files={name: file_sha256(folder / name) for name in names},
            ids_dtype=self._ids.dtype.str,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            backend_version=self._backend_version(),
        )
        text = json.dumps(manifest.to_dict(), indent=2) + "\n"
        (folder / MANIFEST_NAME).write_text(text)

    @classmethod
    def load(
        cls: type[IndexT],
        directory: str | os.PathLike[str],
        *,
        expected_run: str | None = None,
        verify: bool = True,
    ) -> IndexT:
        """Read an index folder written by :meth:`save`.

        Parameters
        ----------
        directory
            The folder.
        expected_run
            The model run whose embeddings the caller will search with; an index of another run
            is refused.
        verify
            Check the SHA-256 of every file against the manifest (reads every byte once).

        Raises
        ------
        FileNotFoundError
            If there is no index folder at ``directory``.
        CorruptIndex
            If a file is missing, unreadable or does not match its checksum (named).
        IndexMismatch
            If the index was built by another model run or another backend.
        """
        directory = readable_directory(directory)
        manifest = load_manifest(directory, expected_run=expected_run)
        if manifest.backend != cls.backend:
            raise IndexMismatch(
                f"{directory}: a {manifest.backend!r} index, not {cls.backend!r}; "
                "open it with astrolens.index.load_index"
            )
        if verify:
            verify_files(directory, manifest)
        vectors = _load_array(directory / VECTORS_NAME)
        ids = _load_array(directory / IDS_NAME)
        if vectors.shape != (manifest.count, manifest.dimension) or ids.shape != (manifest.count,):
            raise CorruptIndex(
                f"{directory}: vectors {vectors.shape} and ids {ids.shape} do not match the "
                f"manifest ({manifest.count} x {manifest.dimension})"
            )
        return cls._read_backend(directory, manifest, vectors, ids)

    # -- helpers ------------------------------------------------------------------------------

    def _rerank(
        self, queries: NDArray[np.float32], candidates: NDArray[np.int64], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """The ``k`` candidates nearest by exact squared distance from the stored vectors."""
        valid = candidates >= 0
        gathered = self._vectors[np.where(valid, candidates, 0).ravel()]
        difference = gathered.reshape(*candidates.shape, self.dimension) - queries[:, None]
        squared = np.einsum("qcd,qcd->qc", difference, difference)
        squared[~valid] = np.inf
        order = np.argsort(squared, axis=1, kind="stable")[:, :k]
        best = np.take_along_axis(squared, order, axis=1)
        positions = np.take_along_axis(candidates, order, axis=1)
        positions[~np.isfinite(best)] = -1
        return best, positions

    @staticmethod
    def _check_unique(ids: NDArray[Any]) -> None:
        repeated = pd.Index(ids).duplicated()
        if repeated.any():
            raise ValueError(f"ids must be unique; repeated: {ids[repeated][:5].tolist()}")


def brute_force_search(
    vectors: ArrayLike,
    queries: ArrayLike,
    k: int,
    *,
    squared_norms: NDArray[np.float32] | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Exact nearest neighbours with NumPy (``|x|^2 - 2 x.q + |q|^2``, then argpartition).

    Works through ``vectors`` in blocks, so a memory-mapped array larger than memory is fine.

    Parameters
    ----------
    vectors
        ``(N, d)`` database.
    queries
        ``(n_queries, d)``, or one ``(d,)`` vector.
    k
        Neighbours per query (at most ``N``).
    squared_norms
        ``|x|^2`` of each database vector, if already known (saves one pass over ``vectors``).

    Returns
    -------
    distances, positions
        ``(n_queries, k)`` Euclidean distances (recomputed directly for the neighbours found)
        and row numbers in ``vectors``, nearest first.

    Examples
    --------
    >>> vectors = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]], dtype=np.float32)
    >>> distances, positions = brute_force_search(vectors, [0.0, 0.0], k=2)
    >>> positions.tolist(), distances.tolist()
    ([[0, 2]], [[0.0, 1.0]])
    """
    vectors = np.asarray(vectors)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    if k < 1 or k > len(vectors):
        raise ValueError(f"k must be between 1 and the number of vectors ({len(vectors)}), got {k}")
    block = max(k, _DISTANCE_BLOCK_BYTES // (4 * max(1, len(queries))))
    best_squared = np.full((len(queries), 0), np.inf, dtype=np.float32)
    best_positions = np.empty((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), block):
        chunk = np.asarray(vectors[start : start + block], dtype=np.float32)
        if squared_norms is None:
            norms = np.einsum("ij,ij->i", chunk, chunk)
        else:
            norms = squared_norms[start : start + len(chunk)]
        squared = norms[None, :] - 2.0 * (queries @ chunk.T)
        keep = min(k, chunk.shape[0])
        nearest = np.argpartition(squared, keep - 1, axis=1)[:, :keep]
        best_squared = np.concatenate(
            [best_squared, np.take_along_axis(squared, nearest, axis=1)], axis=1
        )
        best_positions = np.concatenate([best_positions, nearest + start], axis=1)
        if best_squared.shape[1] > k:
            top = np.argpartition(best_squared, k - 1, axis=1)[:, :k]
            best_squared = np.take_along_axis(best_squared, top, axis=1)
            best_positions = np.take_along_axis(best_positions, top, axis=1)
    neighbours = np.asarray(vectors[best_positions.ravel()], dtype=np.float32)
    difference = neighbours.reshape(*best_positions.shape, -1) - queries[:, None]
    distances = np.sqrt(np.einsum("qkd,qkd->qk", difference, difference))
    order = np.argsort(distances, axis=1, kind="stable")
    return (
        np.take_along_axis(distances, order, axis=1).astype(np.float32),
        np.take_along_axis(best_positions, order, axis=1),
    )


def load_manifest(
    directory: str | os.PathLike[str], *, expected_run: str | None = None
) -> IndexManifest:
    """Read the manifest of an index folder, refusing an index of another model run.

    Raises
    ------
    CorruptIndex
        If the manifest is missing or unreadable.
    IndexMismatch
        If ``expected_run`` is given and the index was built by another run.
    """
    directory = readable_directory(directory)
    path = directory / MANIFEST_NAME
    try:
        manifest = IndexManifest.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise CorruptIndex(f"{path}: missing; not an astrolens index folder") from None
    except (ValueError, TypeError) as error:
        raise CorruptIndex(f"{path}: unreadable manifest ({error})") from None
    if expected_run is not None and manifest.run != expected_run:
        raise IndexMismatch(
            f"{directory} was built from the embeddings of model run {manifest.run!r}, not "
            f"{expected_run!r}; embeddings of two runs cannot be compared: rebuild the index "
            f"with run {expected_run!r}'s embeddings"
        )
    return manifest


def verify_files(directory: Path, manifest: IndexManifest) -> None:
    """Check each file of the folder against its SHA-256 in the manifest.

    Raises
    ------
    CorruptIndex
        Naming the first file that is missing or differs.
    """
    for name, expected in manifest.files.items():
        path = directory / name
        try:
            actual = file_sha256(path)
        except FileNotFoundError:
            raise CorruptIndex(f"{path}: missing (listed in the manifest)") from None
        if actual != expected:
            raise CorruptIndex(
                f"{path}: SHA-256 does not match the manifest (file modified or truncated); "
                "rebuild the index or restore the file"
            )


def readable_directory(directory: str | os.PathLike[str]) -> Path:
    """The index folder to read at ``directory``.

    Normally ``directory`` itself. While a save is between moving the previous folder aside and
    renaming the new one into place, or if it was killed there, the previous one
    (``.<name>.previous-*``, see :func:`astrolens.files.previous_folders`) is read.

    Raises
    ------
    FileNotFoundError
        If neither exists.
    """
    directory = Path(directory)
    if directory.is_dir():
        return directory
    previous = previous_folders(directory)
    if previous:
        return previous[0]
    raise FileNotFoundError(f"{directory}: no index folder there")


def _write_vectors(vectors: NDArray[np.float32], path: Path) -> None:
    output = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=vectors.shape)
    for start in range(0, len(vectors), _COPY_ROWS):
        output[start : start + _COPY_ROWS] = vectors[start : start + _COPY_ROWS]
    output.flush()
    del output


def _load_array(path: Path) -> NDArray[Any]:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise CorruptIndex(f"{path}: missing") from None
    except ValueError as error:
        raise CorruptIndex(f"{path}: unreadable ({error})") from None


def _as_vectors(
    values: ArrayLike, dimension: int, what: str, allow_single: bool = False
) -> NDArray[np.float32]:
    array = values if isinstance(values, np.memmap) else np.asarray(values)
    if allow_single and array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != dimension:
        raise ValueError(f"{what} must have shape (n, {dimension}), got {array.shape}")
    if array.dtype != np.float32:
        array = array.astype(np.float32)
    if not isinstance(array, np.memmap):
        array = np.ascontiguousarray(array)
        if not np.isfinite(array).all():
            raise ValueError(f"{what} hold NaN or infinite values")
    return array


def _as_ids(ids: ArrayLike, n: int) -> NDArray[Any]:
    array = np.asarray(ids)
    if array.dtype == object:
        array = array.astype(str)
    if array.ndim != 1 or len(array) != n:
        raise ValueError(f"ids must be a 1-d array of {n} values, got shape {array.shape}")
    if array.dtype.kind not in "iuU":
        raise ValueError(f"ids must be strings or integers, got dtype {array.dtype}")
    return array
