"""A Milvus index backend: the embeddings and the catalogue columns in a Milvus collection.

``build_index(..., backend="milvus", uri="http://127.0.0.1:19530")`` (the command line:
``astrolens index build --backend milvus --uri http://127.0.0.1:19530``) writes a collection of
one entity per vector, through pymilvus's ``MilvusClient``::

    position   INT64, primary key      the vector's position in the index folder's ids
    embedding  FLOAT_VECTOR            the embedding, indexed with L2 distance
    c0, c1, .. DOUBLE or VARCHAR       the catalogue columns filters use (class, mission, ...)

The index folder stays the record: ``manifest.json`` names the backend ``"milvus"``,
``milvus.json`` (checksummed with the other files) the server's ``uri``, the collection and the
catalogue column of each field; ``load_index``, ``open_search`` and ``astrolens serve`` reconnect
to the collection from it, checking that it still holds every vector. The folder also keeps
``vectors.npy`` and ``ids.npy``, as every backend's does: :meth:`VectorIndex.get_vectors` reads
the embeddings of an indexed object from there, and the exact searches of the search layer (a
filter that leaves a few objects) need no round trip to the server.

**Index types** use the FAISS vocabulary (:attr:`VectorIndex.factory`): ``"HNSW16"`` (the
default: Milvus HNSW, ``M=16``, ``efConstruction=200``, searched with ``ef=max(64, k)``, divided by
the fraction of vectors a filter passes),
``"IVF1024,Flat"`` (IVF_FLAT, ``nprobe`` lists visited) and ``"Flat"`` (exact). Distances are
Milvus's squared L2, returned as Euclidean distances like FAISS's.

**Filters** reach an index as a mask of allowed positions and, from
:class:`astrolens.search.Filters`, as :class:`~astrolens.index.base.ColumnConditions`. Classes
and missions become ``cN in ["EA", "EW"]``, ranges ``cN >= low and cN <= high`` (NaN, stored
for missing and infinite values, never passes, as in the catalogue); Milvus then filters while
it searches. A condition on a column the collection lacks, a bound that is not finite or more
than :data:`MAX_LIMIT` neighbours fall back to the base class: an exact search over the allowed
vectors of ``vectors.npy``. A position Milvus returns that the mask does not allow is dropped, and
a query left with too few neighbours is answered exactly by :meth:`VectorIndex.search_positions`.

**The server of the tests** is the ``milvus`` package's embedded Milvus 2.3 standalone server
(``milvus.MilvusServer``: one process, its own etcd and local storage in a data folder), which
starts here in about 10 s; the tests give it a temporary folder, free ports, and stop it. Its
gRPC and HTTP ports listen on every interface (Milvus 2.3 has no setting for the listening
address; ``ip: 127.0.0.1`` only sets the address it advertises), so tests connect to
``127.0.0.1``. Milvus Lite (a local ``.db`` uri) is not needed: the same ``MilvusClient`` code
serves a local server and a deployment, and a uri of Milvus Lite works as well where
``milvus-lite`` is installed.

A build replaces a collection of the same name (default ``astrolens_<model run>``); give each
index folder its own ``collection`` to keep several.

Examples
--------
>>> parse_factory("HNSW32"), parse_factory("IVF256,Flat"), parse_factory("Flat")
(('HNSW', 32), ('IVF_FLAT', 256), ('FLAT', 0))
>>> expression({"class": "c0", "period_days": "c1"}, {"class"},
...            ColumnConditions(values={"class": ("EA", "EW")}, ranges={"period_days": (1, None)}))
'(c0 in ["EA", "EW"]) and (c1 >= 1.0)'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pymilvus
from numpy.typing import NDArray
from pymilvus import DataType, MilvusClient, MilvusException
from tqdm.auto import tqdm

from astrolens.config import JsonConfig
from astrolens.errors import IndexUnavailable
from astrolens.index.base import ColumnConditions, IndexManifest, VectorIndex, brute_force_search

__all__ = ["DEFAULT_FACTORY", "MAX_LIMIT", "MilvusIndex", "MilvusSettings", "parse_factory"]

DEFAULT_FACTORY = "HNSW16"
"""Index type when none is given: HNSW with 16 links per node."""

EF_CONSTRUCTION = 200
"""HNSW candidate list while building."""

DEFAULT_EF = 64
"""HNSW candidate list while searching (at least the neighbours asked for)."""

DEFAULT_URI = "http://127.0.0.1:19530"
"""A Milvus server on this machine, on its default port."""

MAX_LIMIT = 16_384
"""Most neighbours Milvus returns per query (its ``topk`` limit)."""

CONNECT_TIMEOUT_S = 10.0
"""Seconds to wait for the server when connecting."""

SETTINGS_FILE = "milvus.json"
"""The backend's file in the index folder (:class:`MilvusSettings`)."""

_INSERT_ROWS = 4096
_QUERY_ROWS = 1024
_CONSISTENCY = "Bounded"
"""Consistency of the searches: the collection is flushed and loaded when built and never
written to after, so a search need not wait for the server's next time tick as a "Strong" one
does (200-400 ms each, measured with Milvus 2.3; "Bounded" answers in milliseconds)."""
_MAX_TEXT_BYTES = 65_535
_MAX_EF = 32_768
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
_POSITION, _EMBEDDING = "position", "embedding"


@dataclass(frozen=True)
class MilvusSettings(JsonConfig):
    """Where an index's collection is; saved as ``milvus.json`` in the index folder.

    Attributes
    ----------
    uri
        The Milvus server (``http://host:19530``).
    collection
        The collection's name.
    fields
        The field of each catalogue column in the collection (``{"class": "c0", ...}``).
    text_columns
        The columns stored as text (VARCHAR); the others are numbers (DOUBLE).
    ef
        HNSW candidate list while searching.
    """

    uri: str
    collection: str
    fields: dict[str, str] = field(default_factory=dict)
    text_columns: tuple[str, ...] = ()
    ef: int = DEFAULT_EF

    def __post_init__(self) -> None:
        object.__setattr__(self, "text_columns", tuple(self.text_columns))


def parse_factory(factory: str) -> tuple[str, int]:
    """The Milvus index type and its size parameter (HNSW ``M``, IVF ``nlist``) of a factory
    string.

    Raises
    ------
    ValueError
        For a factory string that has no Milvus index type here.
    """
    if factory == "Flat":
        return "FLAT", 0
    if match := re.fullmatch(r"HNSW(\d+)", factory):
        return "HNSW", int(match[1])
    if match := re.fullmatch(r"IVF(\d+),Flat", factory):
        return "IVF_FLAT", int(match[1])
    raise ValueError(
        f"the milvus backend has no index type for factory string {factory!r}; "
        "examples: 'HNSW16', 'IVF1024,Flat', 'Flat'"
    )


def expression(
    fields: Mapping[str, str], text_columns: set[str], conditions: ColumnConditions
) -> str | None:
    """``conditions`` as a Milvus boolean expression on ``fields``; None where one cannot be
    written (a column without a field, a bound that is not finite)."""
    if not conditions.columns <= set(fields):
        return None
    terms = []
    for column, values in conditions.values.items():
        if column not in text_columns:
            return None
        listed = ", ".join(json.dumps(str(value)) for value in values)
        terms.append(f"{fields[column]} in [{listed}]")
    for column, (low, high) in conditions.ranges.items():
        if column in text_columns:
            return None
        bounds = [bound for bound in (low, high) if bound is not None]
        if not all(math.isfinite(bound) for bound in bounds):
            return None
        name = fields[column]
        parts = [] if low is None else [f"{name} >= {float(low)!r}"]
        parts += [] if high is None else [f"{name} <= {float(high)!r}"]
        terms.append(" and ".join(parts) or f"{name} >= 0.0 or {name} < 0.0")  # not NaN
    return " and ".join(f"({term})" for term in terms)


class MilvusIndex(VectorIndex):
    """Embeddings with their ids in a Milvus collection; see the module's docstring.

    Parameters
    ----------
    dimension
        Length of each embedding.
    factory
        Index type: ``"HNSW<M>"``, ``"IVF<nlist>,Flat"`` or ``"Flat"`` (default
        :data:`DEFAULT_FACTORY`).
    run
        Name or id of the model run whose embeddings the index holds.
    uri
        The Milvus server, ``http://host:19530`` (default :data:`DEFAULT_URI`).
    collection
        The collection (default ``astrolens_<run>``); a build replaces one of that name.
    columns
        Catalogue columns to store for filters, one row per vector added (a DataFrame); numeric
        ones as DOUBLE, text ones (class, mission) as VARCHAR.
    nprobe
        Lists visited per query (IVF only; default 16, at most the lists).
    ef
        HNSW candidate list while searching (at least the neighbours asked for).
    refine_factor
        Candidates per neighbour re-ranked with the vectors of ``vectors.npy`` (default 1: the
        collection stores exact vectors).

    Raises
    ------
    IndexUnavailable
        If no Milvus server answers at ``uri`` (within :data:`CONNECT_TIMEOUT_S`).
    ValueError
        For an unknown factory string or an invalid collection name.
    """

    backend = "milvus"
    keeps_columns = True

    def __init__(
        self,
        dimension: int,
        factory: str | None = None,
        *,
        run: str,
        uri: str = DEFAULT_URI,
        collection: str | None = None,
        columns: pd.DataFrame | None = None,
        nprobe: int | None = None,
        ef: int = DEFAULT_EF,
        refine_factor: int = 1,
    ) -> None:
        super().__init__(dimension, run=run, refine_factor=refine_factor)
        self._factory = factory or DEFAULT_FACTORY
        self._index_type, self._size = parse_factory(self._factory)
        if self._index_type == "IVF_FLAT":
            self._nprobe: int | None = min(self._size, 16) if nprobe is None else int(nprobe)
            if not 1 <= self._nprobe <= self._size:
                raise ValueError(f"nprobe must be between 1 and {self._size}, got {nprobe}")
        elif nprobe is not None:
            raise ValueError(f"nprobe applies to IVF indexes only, not {self._factory!r}")
        else:
            self._nprobe = None
        name = collection or "astrolens_" + re.sub(r"\W", "_", run)
        if not _NAME.fullmatch(name):
            raise ValueError(
                f"{name!r} is not a Milvus collection name (letters, digits and _, not first a "
                "digit, at most 255)"
            )
        self._columns = columns
        self._settings = MilvusSettings(uri=uri, collection=name, ef=int(ef))
        self._client = _connect(uri)

    @property
    def factory(self) -> str:
        """The index type as a FAISS factory string (``"HNSW16"``)."""
        return self._factory

    @property
    def nprobe(self) -> int | None:
        """Lists visited per query (IVF indexes; None otherwise)."""
        return self._nprobe

    @property
    def settings(self) -> MilvusSettings:
        """Where the collection is, and its fields (:class:`MilvusSettings`)."""
        return self._settings

    # -- building ---------------------------------------------------------------------------

    def _add_to_backend(self, vectors: NDArray[np.float32], progress: bool) -> None:
        start = len(self)
        if start == 0:
            self._create_collection(len(vectors))
        elif self._settings.fields:
            raise ValueError(
                f"collection {self._settings.collection!r} keeps catalogue columns for the "
                "vectors it was built with; build the index again to add more"
            )
        columns = self._field_values(len(vectors))
        with (
            _server_errors(self._settings),
            tqdm(total=len(vectors), desc="indexing", unit="vec", disable=not progress) as bar,
        ):
            for first in range(0, len(vectors), _INSERT_ROWS):
                chunk = np.asarray(vectors[first : first + _INSERT_ROWS], dtype=np.float32)
                rows = [
                    {_POSITION: start + first + i, _EMBEDDING: vector}
                    for i, vector in enumerate(chunk.tolist())
                ]
                for name, values in columns.items():
                    for row, value in zip(rows, values[first : first + len(chunk)], strict=True):
                        row[name] = value
                self._client.insert(self._settings.collection, rows)
                bar.update(len(chunk))
            self._client.flush(self._settings.collection)
            if start == 0:
                self._create_vector_index()

    def _create_collection(self, count: int) -> None:
        """A new, empty collection (replacing one of that name) with a field per column."""
        fields, text_columns = _column_fields(self._columns, count)
        self._settings = MilvusSettings(
            uri=self._settings.uri,
            collection=self._settings.collection,
            fields=fields,
            text_columns=tuple(text_columns),
            ef=self._settings.ef,
        )
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(_POSITION, DataType.INT64, is_primary=True)
        schema.add_field(_EMBEDDING, DataType.FLOAT_VECTOR, dim=self.dimension)
        for column, name in fields.items():
            if column in text_columns:
                length = max(1, _text(self._columns[column]).str.encode("utf-8").str.len().max())
                schema.add_field(name, DataType.VARCHAR, max_length=int(length))
            else:
                schema.add_field(name, DataType.DOUBLE)
        collection = self._settings.collection
        with _server_errors(self._settings):
            if self._client.has_collection(collection):
                self._client.drop_collection(collection)
            self._client.create_collection(
                collection, schema=schema, consistency_level=_CONSISTENCY
            )

    def _field_values(self, count: int) -> dict[str, list[Any]]:
        """The values of each field for the rows being added (missing text: ``""``; missing
        or infinite numbers: NaN)."""
        values = {}
        for column, name in self._settings.fields.items():
            series = self._columns[column]  # type: ignore[index]
            if column in self._settings.text_columns:
                values[name] = _text(series).tolist()
            else:
                numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
                values[name] = np.where(np.isfinite(numbers), numbers, np.nan).tolist()
        return values

    def _create_vector_index(self) -> None:
        parameters = {}
        if self._index_type == "HNSW":
            parameters = {"M": self._size, "efConstruction": EF_CONSTRUCTION}
        elif self._index_type == "IVF_FLAT":
            parameters = {"nlist": self._size}
        index_parameters = MilvusClient.prepare_index_params()
        index_parameters.add_index(
            field_name=_EMBEDDING,
            index_type=self._index_type,
            metric_type="L2",
            params=parameters,
        )
        self._client.create_index(self._settings.collection, index_parameters)
        self._client.load_collection(self._settings.collection)

    # -- searching --------------------------------------------------------------------------

    def _candidates(
        self, queries: NDArray[np.float32], n_candidates: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        if n_candidates > MAX_LIMIT:
            distances, positions = brute_force_search(self._vectors, queries, n_candidates)
            return distances**2, positions
        return self._search(queries, n_candidates, "")

    def _allowed_candidates(
        self,
        queries: NDArray[np.float32],
        n_candidates: int,
        allowed: NDArray[np.bool_],
        conditions: ColumnConditions | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Candidates among ``allowed``, filtered by Milvus with ``conditions`` where they can
        be written as its expression; otherwise the base class's exact search."""
        written = None
        if conditions is not None and n_candidates <= MAX_LIMIT:
            text_columns = set(self._settings.text_columns)
            written = expression(self._settings.fields, text_columns, conditions)
        if not written:
            return super()._allowed_candidates(queries, n_candidates, allowed, conditions)
        fraction = max(float(np.count_nonzero(allowed)) / len(allowed), 1e-6)
        squared, positions = self._search(queries, n_candidates, written, fraction)
        refused = positions >= 0
        refused[refused] = ~allowed[positions[refused]]
        positions[refused], squared[refused] = -1, np.inf
        return squared, positions

    def _search(
        self,
        queries: NDArray[np.float32],
        limit: int,
        filter_expression: str,
        fraction: float = 1.0,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Squared distances and positions of ``limit`` neighbours per query (-1: none).

        A filter passing ``fraction`` of the vectors widens HNSW's candidate list by
        ``1 / fraction``, so it meets as many vectors that pass as an unfiltered search.
        """
        parameters: dict[str, Any] = {"metric_type": "L2", "params": {}}
        if self._index_type == "HNSW":
            ef = math.ceil(max(self._settings.ef, limit) / fraction)
            parameters["params"] = {"ef": min(_MAX_EF, ef)}
        elif self._index_type == "IVF_FLAT":
            parameters["params"] = {"nprobe": self._nprobe}
        squared = np.full((len(queries), limit), np.inf, dtype=np.float32)
        positions = np.full((len(queries), limit), -1, dtype=np.int64)
        with _server_errors(self._settings):
            for first in range(0, len(queries), _QUERY_ROWS):
                block = queries[first : first + _QUERY_ROWS]
                answers = self._client.search(
                    self._settings.collection,
                    data=block.tolist(),
                    filter=filter_expression,
                    limit=limit,
                    search_params=parameters,
                    anns_field=_EMBEDDING,
                    consistency_level=_CONSISTENCY,
                )
                for row, hits in enumerate(answers, start=first):
                    positions[row, : len(hits)] = [hit["id"] for hit in hits]
                    squared[row, : len(hits)] = [hit["distance"] for hit in hits]
        return squared, positions

    # -- the folder -------------------------------------------------------------------------

    def _write_backend(self, directory: Path) -> list[str]:
        text = json.dumps(self._settings.to_dict(), indent=2) + "\n"
        (directory / SETTINGS_FILE).write_text(text, encoding="utf-8")
        return [SETTINGS_FILE]

    @classmethod
    def _read_backend(
        cls,
        directory: Path,
        manifest: IndexManifest,
        vectors: NDArray[np.float32],
        ids: NDArray[Any],
    ) -> MilvusIndex:
        settings = MilvusSettings.from_dict(
            json.loads((directory / SETTINGS_FILE).read_text(encoding="utf-8"))
        )
        index = cls(
            manifest.dimension,
            manifest.factory,
            run=manifest.run,
            uri=settings.uri,
            collection=settings.collection,
            nprobe=manifest.nprobe,
            ef=settings.ef,
            refine_factor=manifest.refine_factor,
        )
        index._settings = settings
        held = index._count()
        if held != manifest.count:
            raise IndexUnavailable(
                f"{settings.uri}: collection {settings.collection!r} holds {held} vectors, the "
                f"index folder {directory} {manifest.count}; rebuild the index"
            )
        index._vectors, index._ids = vectors, ids
        return index

    def _count(self) -> int:
        """Entities in the collection (loading it for searches)."""
        collection = self._settings.collection
        with _server_errors(self._settings):
            if not self._client.has_collection(collection):
                raise IndexUnavailable(
                    f"{self._settings.uri}: the Milvus server has no collection {collection!r} "
                    "(dropped, or another server); rebuild the index with "
                    f"`astrolens index build --backend milvus --uri {self._settings.uri}`"
                )
            self._client.load_collection(collection)
            answer = self._client.query(collection, filter="", output_fields=["count(*)"])
        return int(answer[0]["count(*)"])

    @classmethod
    def _backend_version(cls) -> str:
        return str(pymilvus.__version__)


def _connect(uri: str) -> MilvusClient:
    try:
        return MilvusClient(uri=uri, timeout=CONNECT_TIMEOUT_S)
    except MilvusException as error:
        reason = f" ({error.message})" if getattr(error, "message", "") else ""
        raise IndexUnavailable(
            f"{uri}: no Milvus server answers{reason}; start one, or give the uri of yours"
        ) from None


@contextmanager
def _server_errors(settings: MilvusSettings) -> Iterator[None]:
    """Milvus's errors as :class:`IndexUnavailable`, naming the server and the collection."""
    try:
        yield
    except MilvusException as error:
        raise IndexUnavailable(
            f"{settings.uri}: collection {settings.collection!r}: {error.message or error}"
        ) from error


def _column_fields(columns: pd.DataFrame | None, count: int) -> tuple[dict[str, str], list[str]]:
    """A field name for each column filters can use, and which of them are text."""
    if columns is None:
        return {}, []
    if len(columns) != count:
        raise ValueError(f"columns must have one row per vector ({count}), got {len(columns)}")
    fields: dict[str, str] = {}
    text_columns = []
    for column in columns.columns:
        values = columns[column]
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_numeric_dtype(values):
            fields[str(column)] = f"c{len(fields)}"
        elif _storable_text(values):
            fields[str(column)] = f"c{len(fields)}"
            text_columns.append(str(column))
    return fields, text_columns


def _storable_text(values: pd.Series) -> bool:
    """Whether a column is text that VARCHAR keeps apart from missing values (stored as "")."""
    present = values.dropna()
    if not all(isinstance(value, str) for value in present):
        return False
    if present.size < values.size and (present == "").any():
        return False
    return bool(present.str.encode("utf-8").str.len().max() <= _MAX_TEXT_BYTES)


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str)
