"""The index folder: a self-contained, checksummed folder of an index, its catalogue and its source.

An index folder (default ``indexes/<survey>-<run name>/``) holds::

    manifest.json  vectors.npy  ids.npy  faiss.index    the index (astrolens.index)
    map.parquet                                          its 2-D map (astrolens.index.embedding_map)
    catalog.parquet                                      the survey catalogue, every object
    survey.json                                          IndexSource: survey, catalogue, model run

It is written whole or not at all (:func:`astrolens.files.written_folder`), so a reader finds the
previous folder or the new one, and what a killed build left beside it is removed by the next.
:mod:`astrolens.pipeline` builds such folders from a survey or from embeddings of files and opens
them as a search.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

import astrolens
from astrolens.config import JsonConfig
from astrolens.errors import CorruptIndex, IndexMismatch
from astrolens.files import file_sha256, written_folder
from astrolens.fingerprint import CatalogFingerprint
from astrolens.index.base import MANIFEST_NAME, load_manifest, readable_directory, verify_files
from astrolens.index.embedding_map import MAP_FILE, read_map, write_map
from astrolens.index.registry import backend_class, build_index
from astrolens.simulate.cache import AnySurveyConfig

__all__ = [
    "CATALOG_FILE",
    "DUPLICATE_POLICIES",
    "INDEXES_DIR",
    "SOURCE_FILE",
    "IndexSource",
    "check_replaceable",
    "default_index_dir",
    "is_current",
    "read_index_map",
    "read_index_source",
    "verify_catalog",
    "verify_map",
    "write_index_folder",
]

CATALOG_FILE = "catalog.parquet"
"""The catalogue in an index folder."""

SOURCE_FILE = "survey.json"
"""The :class:`IndexSource` of an index folder."""

INDEXES_DIR = Path("indexes")
"""Where :func:`default_index_dir` puts index folders (relative to the working directory)."""

DUPLICATE_POLICIES = ("raise", "source")
"""What :func:`build_embeddings_index` does with an object id that has several light curves."""


@dataclass(frozen=True)
class IndexSource(JsonConfig):
    """Where the embeddings of an index folder come from; saved as ``survey.json`` in it.

    Attributes
    ----------
    survey
        The survey's name (``"demo"``), or the catalogue file's name.
    catalog_fingerprint
        The identity of the whole catalogue, before duplicates were split
        (:meth:`astrolens.fingerprint.CatalogFingerprint.to_dict`, as a run's ``data.json``
        records it): two builds compare their catalogues to another CPU's last-bit rounding.
    run
        The model run's identity (:func:`~astrolens.runfolder.run_id`), as in ``manifest.json``.
    run_path
        The run folder (absolute) whose model embeds new light curves.
    embeddings
        The Parquet table of embeddings the index was built from.
    survey_config
        The :class:`~astrolens.simulate.SurveyConfig` of a simulated survey (None otherwise).
    factory
        The FAISS factory string asked for (None: chosen by size).
    backend, backend_options
        The index backend (:func:`astrolens.index.backend_names`) and its options, such as a
        Milvus deployment's ``uri``.
    excluded
        Object ids left out of the index (sorted).
    duplicates
        The policy for repeated object ids, one of :data:`DUPLICATE_POLICIES`.
    n_indexed
        Vectors in the index.
    catalog_file_sha256
        SHA-256 of ``catalog.parquet``.
    map_file_sha256
        SHA-256 of ``map.parquet`` (empty: a folder written before the map was checksummed).
    created
        When the folder was written (ISO 8601, UTC).
    astrolens_version
        Version that wrote it.

    Examples
    --------
    >>> source = IndexSource(survey="demo", catalog_fingerprint={}, run="default@3f2a9c1b0d4e",
    ...                      run_path="/runs/default", embeddings="demo.parquet",
    ...                      excluded=["KIC 2", "KIC 1"])
    >>> source.excluded, IndexSource.from_dict(source.to_dict()) == source
    (('KIC 1', 'KIC 2'), True)
    """

    survey: str
    catalog_fingerprint: dict[str, Any]
    run: str
    run_path: str
    embeddings: str
    survey_config: dict[str, Any] | None = None
    factory: str | None = None
    backend: str = "faiss"
    backend_options: dict[str, Any] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    duplicates: str = "raise"
    n_indexed: int = 0
    catalog_file_sha256: str = ""
    map_file_sha256: str = ""
    created: str = ""
    astrolens_version: str = astrolens.__version__

    def __post_init__(self) -> None:
        object.__setattr__(self, "excluded", tuple(sorted(set(map(str, self.excluded)))))
        if self.duplicates not in DUPLICATE_POLICIES:
            raise ValueError(
                f"duplicates must be one of {DUPLICATE_POLICIES}, got {self.duplicates!r}"
            )

    def same_build(self, other: IndexSource) -> bool:
        """True when both describe the same index: survey, catalogue, run, exclusions, type."""
        keys = ("survey", "run", "factory", "backend", "backend_options", "excluded", "duplicates")
        return all(getattr(self, key) == getattr(other, key) for key in keys) and _same_catalog(
            self.catalog_fingerprint, other.catalog_fingerprint
        )


def _same_catalog(recorded: dict[str, Any], wanted: dict[str, Any]) -> bool:
    try:
        mine, theirs = map(CatalogFingerprint.from_dict, (recorded, wanted))
    except ValueError:  # a folder written before catalogues had fingerprints
        return False
    return mine.matches(theirs)


def default_index_dir(
    survey: str | AnySurveyConfig = "demo", run: str | os.PathLike[str] = "runs/default"
) -> Path:
    """Where :func:`build_survey_index` puts the index of a survey: ``indexes/<survey>-<run>``.

    Examples
    --------
    >>> default_index_dir("demo", "runs/default")
    PosixPath('indexes/demo-default')
    """
    name = survey if isinstance(survey, str) else survey.name
    return INDEXES_DIR / f"{name}-{Path(run).name}"


def read_index_source(index_dir: str | os.PathLike[str]) -> IndexSource:
    """The :class:`IndexSource` (``survey.json``) of an index folder.

    Raises
    ------
    FileNotFoundError
        If there is no index folder there.
    CorruptIndex
        If ``survey.json`` is missing or unreadable.

    Examples
    --------
    >>> read_index_source("no/such/index")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no/such/index: no index folder there
    """
    folder = readable_directory(index_dir)
    path = folder / SOURCE_FILE
    try:
        return IndexSource.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise CorruptIndex(
            f"{path}: missing; not an index folder of astrolens.pipeline (rebuild it with "
            "`astrolens index build`)"
        ) from None
    except (ValueError, TypeError) as error:
        raise CorruptIndex(
            f"{path}: unreadable ({error}); rebuild the index with `astrolens index build`"
        ) from None


def is_current(out: Path, wanted: IndexSource) -> bool:
    """Whether ``out`` holds, whole and unmodified, the index ``wanted`` describes."""
    try:
        source = read_index_source(out)
        manifest = load_manifest(out, expected_run=wanted.run)
        folder = readable_directory(out)
        verify_files(folder, manifest)
        verify_catalog(folder / CATALOG_FILE, source)
        verify_map(folder, source)
    except (FileNotFoundError, CorruptIndex, IndexMismatch):
        return False
    return source.same_build(wanted)


def write_index_folder(
    out: Path,
    object_ids: list[str],
    vectors: NDArray[np.float32],
    catalog: pd.DataFrame,
    source: IndexSource,
    progress: bool,
) -> Path:
    """Index the vectors not excluded; write index, catalogue and ``survey.json`` atomically."""
    keep = ~pd.Index(object_ids).isin(source.excluded)
    if not keep.any():
        raise ValueError(f"nothing to index: all {len(object_ids)} objects are excluded")
    ids = np.asarray(object_ids, dtype=str)[keep]
    options = dict(source.backend_options)
    if backend_class(source.backend).keeps_columns:  # one catalogue row per vector
        rows = pd.Index(catalog["object_id"].astype(str)).get_indexer(ids)
        options["columns"] = catalog.iloc[rows].reset_index(drop=True)
    index = build_index(
        vectors[keep],
        ids,
        run=source.run,
        backend=source.backend,
        factory=source.factory,
        progress=progress,
        **options,
    )
    with written_folder(out) as write:
        staging = write.staging
        index.write_files(staging)
        write_map(staging, vectors[keep], ids)  # the page's embedding map
        catalog.to_parquet(staging / CATALOG_FILE, index=False)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        source = replace(
            source,
            n_indexed=int(keep.sum()),
            catalog_file_sha256=file_sha256(staging / CATALOG_FILE),
            map_file_sha256=file_sha256(staging / MAP_FILE),
            created=created,
        )
        text = json.dumps(source.to_dict(), indent=2) + "\n"
        (staging / SOURCE_FILE).write_text(text, encoding="utf-8")
    return out


def check_replaceable(out: Path) -> None:
    """Refuse to replace a folder that is not an index, or a file (a mistyped ``out`` must not
    be lost)."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: is a file; an index is a folder")
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
        raise FileExistsError(
            f"{out}: exists and is not an index folder; give another folder for the index"
        )


def verify_map(folder: Path, source: IndexSource) -> None:
    """Check the folder's ``map.parquet`` against ``survey.json`` (nothing to check in a folder
    written before the map was checksummed).

    Raises
    ------
    CorruptIndex
        If the map is missing, modified or truncated.
    """
    if source.map_file_sha256:
        _verify_file(folder / MAP_FILE, source.map_file_sha256, "the index folder's embedding map")


def read_index_map(index_dir: str | os.PathLike[str]) -> pd.DataFrame | None:
    """The embedding map of an index folder, checked against its ``survey.json``
    (:func:`verify_map`); None for a folder written before maps were.

    Raises
    ------
    CorruptIndex
        If the map does not match the checksum the folder recorded.
    """
    folder = readable_directory(index_dir)
    verify_map(folder, read_index_source(folder))
    return read_map(folder)


def verify_catalog(path: Path, source: IndexSource) -> None:
    _verify_file(path, source.catalog_file_sha256, "the index folder's catalogue")


def _verify_file(path: Path, expected_sha256: str, what: str) -> None:
    """Raise :class:`CorruptIndex` naming ``path`` (``what`` it is) if it is missing or its
    SHA-256 is not the one ``survey.json`` recorded."""
    try:
        actual = file_sha256(path)
    except FileNotFoundError:
        raise CorruptIndex(f"{path}: missing ({what})") from None
    if actual != expected_sha256:
        raise CorruptIndex(
            f"{path}: SHA-256 does not match {SOURCE_FILE} (file modified or truncated); "
            "rebuild the index"
        )
