"""Light curves to embeddings, in batches: files or a simulated survey in, a Parquet table out.

The pipeline of :func:`embed_files` and :func:`embed_survey`: light curves are read (or
regenerated), cleaned, resampled and turned into the representation the run's encoder reads
(power images, features) in worker processes (:func:`astrolens.datasets.parallel_map`), in
chunks, and each chunk goes through the run's encoder in this process and is appended to the
output table.
Memory holds one chunk and the few batches in flight, however many light curves there are.

Output: a Parquet file with one row per light curve, in input order: ``object_id``, ``source``
(the file, or the object id for a simulated one) and the embedding as float32 columns ``e00``,
``e01``, ... (:func:`read_embeddings` gives them back as one matrix).

The embedding of a light curve does not depend on which other light curves share its batch: a
Keras encoder always runs on batches of exactly 128 inputs (the last one padded with zeros), in
inference mode, so the numerical kernels see the same shapes whatever the number of light curves
(:class:`astrolens.encoders.keras_encoder.Embedder`). Where the kernels treat every row of a
batch alike (AVX-512 machines) that makes the embedding the same to the last bit; an AVX2 kernel
may round a row differently at another position of the batch, so the promise, on every CPU, is
agreement within :data:`EMBEDDING_RTOL` and :data:`EMBEDDING_ATOL` (``numpy.allclose``). The same
inputs at the same positions give the same bits on one machine.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray
from tqdm.auto import tqdm

from astrolens.config import stable_key
from astrolens.datasets import (
    Batch,
    SurveyData,
    cached_survey_data,
    concatenate,
    parallel_map,
    represent_files,
    represent_rows_task,
    survey_batches,
    survey_config,
)
from astrolens.errors import NO_SUCH_FILE, InvalidLightCurve
from astrolens.files import written_atomically
from astrolens.fingerprint import catalog_fingerprint
from astrolens.runfolder import run_folder, run_id
from astrolens.runs import TrainedRun, resolve_run
from astrolens.simulate.cache import AnySurveyConfig, cache_folder, catalog_chunks, survey_catalog

if TYPE_CHECKING:
    pass

__all__ = [
    "EMBEDDINGS_CACHE",
    "EMBEDDING_ATOL",
    "EMBEDDING_PREFIX",
    "EMBEDDING_RTOL",
    "EmbedResult",
    "Embeddings",
    "embed_files",
    "embed_lightcurve",
    "embed_survey",
    "leave_survey_embeddings",
    "left_embeddings_path",
    "read_embeddings",
    "resolve_run",
    "survey_embeddings",
    "write_embeddings",
]

EMBEDDING_PREFIX = "e"
"""Embedding columns are ``e00``, ``e01``, ..."""

ITEMS_PER_TASK = 64
"""Light curves a worker process transforms per task."""

EMBEDDING_RTOL = 1e-5
"""Relative tolerance within which one input's embedding agrees wherever it is embedded: alone or
in a batch, at any position, on any CPU (float32 rounds to 6e-8; AVX2 kernels differ by ~1e-7)."""

EMBEDDING_ATOL = 1e-6
"""Absolute tolerance, with :data:`EMBEDDING_RTOL`, for components near zero."""


@dataclass(frozen=True)
class EmbedResult:
    """What :func:`embed_files` or :func:`embed_survey` wrote.

    Attributes
    ----------
    path
        The Parquet table.
    n_embedded
        Rows written.
    skipped
        ``(source, reason)`` of each light curve left out (only with ``errors="skip"``).
    """

    path: Path
    n_embedded: int
    skipped: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, eq=False)
class Embeddings:
    """Embeddings read back from a table written by :func:`embed_files` or :func:`embed_survey`."""

    object_ids: list[str]
    sources: list[str]
    vectors: NDArray[np.float32]
    metadata: dict[str, str] = field(default_factory=dict)


def embed_lightcurve(
    lightcurve: Any,
    run: TrainedRun | str | os.PathLike[str] | None = None,
) -> NDArray[np.float32]:
    """The embedding of one light curve: a file, arrays from a reader, or a ``LightCurve``.

    Read as the run reads (its modality: flux column, quality bitmask, cleaning, transform).
    The same vector as :func:`embed_files` gives for the same light curve, within
    :data:`EMBEDDING_RTOL` and :data:`EMBEDDING_ATOL` (to the last bit on machines whose kernels
    treat every row of a batch alike).

    Raises
    ------
    FileNotFoundError, InvalidLightCurve
        If the light curve cannot be read or transformed.

    Examples
    --------
    >>> from astrolens.sources import example_files
    >>> vector = embed_lightcurve(example_files("K2")[0])
    >>> vector.shape, vector.dtype
    ((64,), dtype('float32'))
    """
    trained = resolve_run(run)
    return trained.embed_item(trained.load(lightcurve))


def embed_files(
    paths: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    run: TrainedRun | str | os.PathLike[str] | None = None,
    flux_column: str | None = None,
    errors: Literal["raise", "skip"] = "raise",
    chunk_size: int = 1024,
    workers: int = 2,
    progress: bool = True,
) -> EmbedResult:
    """Embeddings of light-curve files (FITS, CSV), written to a Parquet table in input order.

    Parameters
    ----------
    paths
        Light-curve files, as for :func:`astrolens.sources.read_arrays`.
    out
        The Parquet file to write (replaced if it exists).
    run
        A trained run (loaded, or its folder); None: the default model.
    flux_column
        FITS flux column to read instead of the run's (``sap_flux``); default: the run's.
    errors
        ``"raise"``: stop at the first missing or unusable file. ``"skip"``: leave it out and list
        it in :attr:`EmbedResult.skipped`.
    chunk_size
        Light curves embedded and written at a time (bounds memory).
    workers
        Processes that read and transform light curves (see
        :func:`~astrolens.datasets.parallel_map`); 1: all in this process.
    progress
        Show a progress bar.

    Raises
    ------
    FileNotFoundError
        With ``errors="raise"``, if a file is missing (checked before anything is computed).
    InvalidLightCurve
        With ``errors="raise"``, for the first file that cannot be used; nothing is written.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.sources import example_files
    >>> out = Path(tempfile.mkdtemp()) / "examples.parquet"
    >>> result = embed_files(example_files(), out, workers=1, progress=False)
    >>> table = read_embeddings(out)
    >>> result.n_embedded, table.object_ids[0], table.vectors.shape
    (4, 'KIC 10002792', (4, 64))
    """
    paths = [Path(path) for path in paths]
    if errors == "raise":
        missing = [path for path in paths if not path.is_file()]
        if missing:
            raise FileNotFoundError(f"{missing[0]}: no such file")
    trained = resolve_run(run)
    modality = trained.modality
    if flux_column is not None:  # light curves read from another column than the run's
        modality = dataclasses.replace(modality, flux_column=flux_column)
    tasks = (
        (paths[start : start + ITEMS_PER_TASK], modality, trained.representation)
        for start in range(0, len(paths), ITEMS_PER_TASK)
    )
    batches = parallel_map(_represent_files_task, tasks, workers)
    return _write_embeddings(batches, len(paths), out, trained, errors, chunk_size, progress)


def embed_survey(
    survey: AnySurveyConfig | str,
    out: str | os.PathLike[str],
    *,
    run: TrainedRun | str | os.PathLike[str] | None = None,
    errors: Literal["raise", "skip"] = "skip",
    chunk_size: int = 1024,
    workers: int = 2,
    progress: bool = True,
    stacks: str | os.PathLike[str] | None = "wavelets",
) -> EmbedResult:
    """Embeddings of every object of a simulated survey, regenerated from its catalogue.

    Parameters are those of :func:`embed_files`; ``survey`` is a configuration or a named size
    (``"tiny"``, ``"demo"``, ``"large"``), and unusable light curves are skipped by default. The
    catalogue is drawn chunk by chunk, so memory stays bounded for the ``large`` survey too.
    Where the run's training left the survey's stack of its representation under ``stacks``
    (the wavelet cache root; None: never) and the stack holds it exactly
    (:func:`~astrolens.datasets.cached_survey_data`: the galaxy cutouts), the objects are
    embedded from it instead of being rendered again: the same embeddings, sooner; and where
    the training left the survey's embeddings beside that stack
    (:func:`leave_survey_embeddings`), they are copied, not computed again.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig, generate_catalog
    >>> out = Path(tempfile.mkdtemp()) / "mini.parquet"
    >>> survey = SurveyConfig(name="mini", n_objects=5)
    >>> result = embed_survey(survey, out, workers=1, progress=False)
    >>> read_embeddings(out).object_ids == generate_catalog(survey)["object_id"].tolist()
    True
    """
    config = survey_config(survey)
    trained = resolve_run(run)
    cached = None
    if stacks is not None:
        cached = cached_survey_data(
            config,
            trained.representation,
            preprocess=trained.preprocess,
            wavelet=trained.wavelet,
            periodogram=trained.periodogram,
            cache_root=stacks,
        )
    if cached is not None:
        left = left_embeddings_path(cached, trained.path)
        if left.is_file():
            return _copied_embeddings(left, out, cached, errors)
        batches = survey_batches(cached)
        return _write_embeddings(
            batches, config.n_objects, out, trained, errors, chunk_size, progress
        )
    tasks = (
        (
            rows[start : start + ITEMS_PER_TASK],
            trained.representation,
            trained.preprocess,
            trained.wavelet,
            trained.periodogram,
        )
        for catalog in catalog_chunks(config)
        for rows in [catalog.to_dict("records")]
        for start in range(0, len(rows), ITEMS_PER_TASK)
    )
    batches = parallel_map(represent_rows_task, tasks, workers)
    return _write_embeddings(batches, config.n_objects, out, trained, errors, chunk_size, progress)


def write_embeddings(
    batches: Iterable[Batch],
    out: str | os.PathLike[str],
    *,
    run: TrainedRun | str | os.PathLike[str] | None = None,
    errors: Literal["raise", "skip"] = "skip",
    chunk_size: int = 1024,
    progress: bool = False,
) -> EmbedResult:
    """Embed batches of representations with a run and write them, in order, as the table of
    :func:`embed_files` and :func:`embed_survey` (atomically: ``out`` is whole or absent).

    The last step of :func:`embed_survey`, for callers that compute the representations
    themselves (:func:`~astrolens.datasets.represent_rows`,
    :func:`~astrolens.datasets.represent_files`), such as the partitions of
    :mod:`astrolens.distributed`.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.datasets import represent_rows
    >>> from astrolens.simulate import SurveyConfig, generate_catalog
    >>> rows = generate_catalog(SurveyConfig(name="mini", n_objects=3)).to_dict("records")
    >>> run = resolve_run(None)
    >>> settings = (run.preprocess, run.wavelet, run.periodogram)
    >>> batch = represent_rows(rows, run.representation, *settings)
    >>> out = Path(tempfile.mkdtemp()) / "rows.parquet"
    >>> write_embeddings([batch], out, run=run).n_embedded
    3
    """
    trained = resolve_run(run)
    return _write_embeddings(iter(batches), None, out, trained, errors, chunk_size, progress)


def left_embeddings_path(data: SurveyData, run: str | os.PathLike[str]) -> Path:
    """Where :func:`leave_survey_embeddings` puts the embeddings of a cached survey stack by a
    run: beside the stack, named by the run's identity (a retrained run gets another file).

    Raises
    ------
    ValueError
        If the stack is not cached exactly (:attr:`~astrolens.datasets.SurveyData.cached_exactly`).
    """
    if data.path is None or not data.cached_exactly:
        raise ValueError("only a survey stack cached exactly has embeddings left beside it")
    key = stable_key({"format": _EMBEDDINGS_FORMAT, "run": run_id(run)})
    return data.path.with_name(f"{data.path.stem}-embeddings-{key}.parquet")


def leave_survey_embeddings(
    data: SurveyData, vectors: NDArray[np.float32], run: str | os.PathLike[str]
) -> Path:
    """Write the embeddings a training computed of every object of its survey stack (one row
    each, in its order) beside the stack (:func:`left_embeddings_path`), as the table
    :func:`embed_survey` writes, so that indexing the survey with that run copies them. They
    equal the run's embeddings computed again within :data:`EMBEDDING_RTOL` and
    :data:`EMBEDDING_ATOL` (the same inputs at other positions of a batch; see the module).

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.datasets import survey_data
    >>> from astrolens.simulate.galaxies import GalaxySurveyConfig
    >>> survey = GalaxySurveyConfig(name="mini", n_objects=3)
    >>> data = survey_data(survey, "cutout", cache_root=tempfile.mkdtemp(), workers=1,
    ...                    progress=False)
    >>> run = resolve_run(None)
    >>> vectors = np.zeros((3, run.encoder.dim), np.float32)
    >>> path = leave_survey_embeddings(data, vectors, run.path)
    >>> read_embeddings(path).object_ids == data.object_ids.tolist()
    True
    """
    path = left_embeddings_path(data, run)
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.shape[0] != len(data.catalog):
        raise ValueError(f"{vectors.shape[0]} embeddings for {len(data.catalog)} objects")
    ids = [str(name) for name in data.object_ids]
    schema = _schema(vectors.shape[1], Path(run).resolve())
    with written_atomically(path) as temporary:
        pq.write_table(_table(ids, ids, vectors, schema), temporary)
    return path


def _copied_embeddings(
    left: Path, out: str | os.PathLike[str], data: SurveyData, errors: str
) -> EmbedResult:
    """The embeddings a training left, copied byte for byte to ``out`` (atomically); the objects
    the stack left out are skipped, or raised with ``errors="raise"`` as an embedding would."""
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors={errors!r} is not 'raise' or 'skip'")
    if errors == "raise" and data.skipped:
        source, reason = data.skipped[0]
        raise InvalidLightCurve(source, reason)
    with written_atomically(Path(out)) as temporary:
        shutil.copyfile(left, temporary)
    rows = pq.read_metadata(out).num_rows
    return EmbedResult(path=Path(out), n_embedded=rows, skipped=data.skipped)


def _represent_files_task(task: tuple[Any, ...]) -> Batch:
    return represent_files(*task)


def _write_embeddings(
    batches: Iterator[Batch],
    total: int | None,
    out: str | os.PathLike[str],
    trained: TrainedRun,
    errors: str,
    chunk_size: int,
    progress: bool,
) -> EmbedResult:
    """Embed the batches chunk by chunk and append them to the table (written atomically)."""
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors={errors!r} is not 'raise' or 'skip'")
    out = Path(out)
    schema = _schema(trained.encoder.dim, trained.path)
    skipped: list[tuple[str, str]] = []
    written = 0
    with (
        written_atomically(out) as temporary,
        pq.ParquetWriter(temporary, schema) as writer,
        tqdm(total=total, desc="embeddings", unit="lc", disable=not progress) as bar,
    ):
        for chunk in _chunks(batches, chunk_size):
            good = chunk.good
            for source, reason in zip(chunk.sources, chunk.reasons, strict=True):
                if reason is None:
                    continue
                if errors == "raise":
                    if reason == NO_SUCH_FILE:
                        raise FileNotFoundError(f"{source}: no such file")
                    raise InvalidLightCurve(source, reason)
                skipped.append((source, reason))
            vectors = trained.embed({name: values[good] for name, values in chunk.arrays.items()})
            ids = [name for name, ok in zip(chunk.object_ids, good, strict=True) if ok]
            sources = [name for name, ok in zip(chunk.sources, good, strict=True) if ok]
            writer.write_table(_table(ids, sources, vectors, schema))
            written += len(ids)
            bar.update(len(chunk))
    return EmbedResult(path=out, n_embedded=written, skipped=tuple(skipped))


def _chunks(batches: Iterator[Batch], chunk_size: int) -> Iterator[Batch]:
    """Regroup batches into chunks of ``chunk_size`` light curves (the last may be short)."""
    pending: list[Batch] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += len(batch)
        if count >= chunk_size:
            yield concatenate(pending)
            pending, count = [], 0
    if pending:
        yield concatenate(pending)


def _column_names(dim: int) -> list[str]:
    width = len(str(dim - 1))
    return [f"{EMBEDDING_PREFIX}{index:0{width}d}" for index in range(dim)]


def _schema(dim: int, run: Path) -> pa.Schema:
    fields = [pa.field("object_id", pa.string()), pa.field("source", pa.string())]
    fields += [pa.field(name, pa.float32()) for name in _column_names(dim)]
    metadata = {
        "astrolens.run": str(run),
        "astrolens.embedding_dim": str(dim),
    }
    return pa.schema(fields, metadata=metadata)


def _table(
    object_ids: list[str], sources: list[str], vectors: NDArray[np.float32], schema: pa.Schema
) -> pa.Table:
    columns: list[Any] = [pa.array(object_ids, pa.string()), pa.array(sources, pa.string())]
    columns += [pa.array(vectors[:, index]) for index in range(vectors.shape[1])]
    return pa.Table.from_arrays(columns, schema=schema)


def read_embeddings(path: str | os.PathLike[str]) -> Embeddings:
    """Read a table written by :func:`embed_files` or :func:`embed_survey`.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.sources import example_files
    >>> out = Path(tempfile.mkdtemp()) / "k2.parquet"
    >>> _ = embed_files(example_files("K2"), out, workers=1, progress=False)
    >>> table = read_embeddings(out)
    >>> table.vectors.dtype, table.metadata["astrolens.embedding_dim"]
    (dtype('float32'), '64')
    """
    table = pq.read_table(path)
    names = [name for name in table.column_names if name.startswith(EMBEDDING_PREFIX)]
    frame: pd.DataFrame = table.select(names).to_pandas()
    metadata = {
        key.decode(): value.decode() for key, value in (table.schema.metadata or {}).items()
    }
    return Embeddings(
        object_ids=table.column("object_id").to_pylist(),
        sources=table.column("source").to_pylist(),
        vectors=frame.to_numpy(dtype=np.float32),
        metadata={key: value for key, value in metadata.items() if key.startswith("astrolens.")},
    )


EMBEDDINGS_CACHE = "embeddings"
"""Cache folder (under :func:`astrolens.files.cache_dir`) of :func:`survey_embeddings`."""

_EMBEDDINGS_FORMAT = 1
"""Version of the cached survey embeddings; part of their key."""


def survey_embeddings(
    survey: str | AnySurveyConfig = "demo",
    run: str | os.PathLike[str] = "runs/default",
    *,
    workers: int = 2,
    progress: bool = True,
    cache: str | os.PathLike[str] | None = None,
    catalog: pd.DataFrame | None = None,
    stacks: str | os.PathLike[str] | None = "wavelets",
) -> Path:
    """The embeddings of every object of a simulated survey, computed once and cached.

    Written by :func:`astrolens.embed.embed_survey` (objects whose light curve cannot be used are
    left out) to ``<cache>/<survey>-<run name>-<key>.parquet``, the key naming the survey, its
    exact catalogue (:attr:`~astrolens.fingerprint.CatalogFingerprint.key`) and the run's
    identity (``runfolder.run_id``): a second call computes nothing, and a retrained model or a
    changed catalogue gets a new file.

    Parameters
    ----------
    survey
        A named size (``"tiny"``, ``"demo"``, ``"large"``) or a survey configuration.
    run
        The run folder; ``runs/default`` falls back to the default run of the installation
        (:func:`astrolens.runfolder.default_run_path`) when the working directory has none.
    workers
        Processes that regenerate and transform light curves.
    progress
        Show a progress bar.
    cache
        Root of the caches (default ``$ASTROLENS_CACHE``, see :func:`astrolens.files.cache_dir`):
        the embeddings go to its ``embeddings`` folder, the catalogue to ``catalogs``
        (:func:`survey_catalog`).
    catalog
        The survey's catalogue, when the caller has it already (:func:`survey_catalog`).
    stacks
        Root of the survey stacks a training leaves (as :func:`embed_survey`).

    Returns
    -------
    pathlib.Path
        The Parquet table (:func:`astrolens.embed.read_embeddings`).

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig
    >>> folder = tempfile.mkdtemp()
    >>> survey = SurveyConfig(name="mini", n_objects=8)
    >>> path = survey_embeddings(survey, cache=folder, workers=1, progress=False)
    >>> path == survey_embeddings(survey, cache=folder, workers=1, progress=False)
    True
    """
    config = survey_config(survey)
    folder = run_folder(run)
    if catalog is None:
        catalog = survey_catalog(config, cache=cache)
    key = stable_key(
        {
            "format": _EMBEDDINGS_FORMAT,
            "survey": config.to_dict(),
            "catalog": catalog_fingerprint(catalog).key,
            "run": run_id(folder),
        }
    )
    name = f"{config.name}-{folder.resolve().name}-{key}.parquet"
    path = cache_folder(cache, EMBEDDINGS_CACHE) / name
    if not path.is_file():
        embed_survey(
            config, path, run=folder.resolve(), workers=workers, progress=progress, stacks=stacks
        )
    return path
