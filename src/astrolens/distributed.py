"""A simulated survey's embeddings as a Dask computation: one task per fixed partition of rows.

:func:`embed_survey_dask` does what :func:`astrolens.embed.embed_survey` does, on the worker
processes of a Dask cluster (a local one it starts, or one it joins). The survey is cut into
partitions of ``partition_size`` rows (partition ``i`` holds rows ``i * size`` to
``(i + 1) * size``); each is a task that reads its rows of the catalogue, regenerates and
represents its light curves, embeds them with the run (loaded once per worker process) and writes
``part-<i>.parquet``, the table of :func:`~astrolens.embed.embed_survey` for those rows,
atomically (a temporary name, then a rename). ``_manifest.json`` ties the folder to its job: the
survey, its catalogue (by :func:`~astrolens.simulate.cache.survey_catalog_key`), the run and the
partition size.

The catalogue is drawn by the workers too, never whole by this process: one task per chunk of
the survey (:func:`~astrolens.simulate.cache.survey_catalog_chunk`, kept in the cache, so a
resumed job or a later index build reads it), on which the partitions of that chunk wait; the
next chunk is drawn while the partitions of one are embedded. A survey of any size costs this
process its partitions' names, and each worker a chunk and a partition.

So a task can run twice without harm: when a worker dies, Dask runs its task again elsewhere and
the rerun writes the same file under the same name; nothing is lost or duplicated. A second call
on the same folder computes only the partitions whose file is missing, and refuses a folder made
for another survey, catalogue, run or partition size. :func:`read_partitioned_embeddings` reads
the folder back as one table, in catalogue order; the embeddings equal those of
:func:`~astrolens.embed.embed_survey` within :data:`~astrolens.embed.EMBEDDING_RTOL` and
:data:`~astrolens.embed.EMBEDDING_ATOL` (each row is embedded at another position of its batch).

Every worker must see the run folder and the output folder at the same paths as this process
(one machine, or a shared file system).

A worker process that runs these tasks keeps the memory it frees for reuse
(:func:`~astrolens.datasets.keep_freed_memory`), as the single-process path's workers do. Dask's
nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which fixes glibc's thresholds low:
every few-MiB array of a light curve's transform was then mapped afresh and faulted in, and a Dask
worker spent twice the CPU time of a plain process on the same light curves.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from astrolens.datasets import keep_freed_memory, represent_rows, survey_config
from astrolens.embed import (
    Embeddings,
    EmbedResult,
    read_embeddings,
    write_embeddings,
)
from astrolens.errors import CacheError, IndexMismatch
from astrolens.files import remove_leftovers, written_atomically
from astrolens.runfolder import default_run_path, run_folder, run_id
from astrolens.runs import TrainedRun, load_run
from astrolens.simulate.cache import (
    AnySurveyConfig,
    cache_folder,
    survey_catalog_chunk,
    survey_catalog_key,
    survey_catalog_rows,
)

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "MANIFEST",
    "PARTITION_SIZE",
    "PartitionedEmbedResult",
    "cluster_client",
    "embed_survey_dask",
    "partition_path",
    "read_partitioned_embeddings",
]

PARTITION_SIZE = 1024
"""Catalogue rows of one task and one file (default of :func:`embed_survey_dask`). Best a multiple
of 128: a Keras encoder embeds in batches of 128 and pads the last one, so a partition of 40 rows
costs the encoder as much as one of 128."""

MANIFEST = "_manifest.json"
"""The file of a partitioned folder that names its job."""

_MANIFEST_FORMAT = 2
"""Version of the partitioned folder's layout."""

_JOB_FIELDS = {
    "format": "layout version",
    "survey": "survey",
    "catalog": "catalogue",
    "run": "run",
    "partition_size": "partition size",
    "partitions": "number of partitions",
}
"""The manifest's fields that must match for a folder to be resumed, and their names in errors."""

_RUNS: dict[str, TrainedRun] = {}
"""Runs loaded in this (worker) process, by folder: TensorFlow and the model load once."""


@dataclass(frozen=True)
class PartitionedEmbedResult:
    """What :func:`embed_survey_dask` wrote.

    Attributes
    ----------
    path
        The folder of partitions (:func:`read_partitioned_embeddings`).
    n_embedded
        Rows in all its partitions.
    n_partitions
        Partition files of the job.
    computed
        Partitions computed by this call (the others were there already).
    skipped
        ``(source, reason)`` of each light curve left out of the partitions computed by this call.
    """

    path: Path
    n_embedded: int
    n_partitions: int
    computed: tuple[int, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def partition_path(folder: str | os.PathLike[str], index: int) -> Path:
    """The file of partition ``index`` of a partitioned folder.

    Examples
    --------
    >>> partition_path("out", 12).name
    'part-00012.parquet'
    """
    return Path(folder) / f"part-{index:05d}.parquet"


def embed_survey_dask(
    survey: AnySurveyConfig | str,
    out_dir: str | os.PathLike[str],
    *,
    run: TrainedRun | str | os.PathLike[str] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    partition_size: int = PARTITION_SIZE,
    progress: bool = True,
    cache: str | os.PathLike[str] | None = None,
) -> PartitionedEmbedResult:
    """Embeddings of every object of a simulated survey, one Dask task per partition of rows.

    Parameters
    ----------
    survey
        A survey configuration or a named size (``"tiny"``, ``"demo"``, ``"large"``).
    out_dir
        The folder of partition files and manifest (created; resumed if it holds this job).
    run
        A trained run (loaded, or its folder); None: the default model. Workers load it from
        its folder.
    scheduler
        Address of a running Dask scheduler (``"tcp://HOST:8786"``); None: start a local
        cluster for this call and close it after (its workers are spawned processes: a script
        that calls this must guard its main code with ``if __name__ == "__main__":``).
    workers
        Worker processes of the local cluster (one thread each); default: one per CPU.
    partition_size
        Catalogue rows per task and per file.
    progress
        Show a progress bar over the partitions.
    cache
        Root of the caches (default ``$ASTROLENS_CACHE``) where the workers keep the catalogue's
        chunks (:func:`~astrolens.simulate.cache.survey_catalog_chunk`); every worker must see
        it at the same path.

    Raises
    ------
    CacheError
        If ``out_dir`` holds another job's partitions (the error names what differs), or files
        but no manifest.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig
    >>> folder = Path(tempfile.mkdtemp()) / "mini"
    >>> survey = SurveyConfig(name="mini", n_objects=6)
    >>> result = embed_survey_dask(
    ...     survey, folder, workers=1, partition_size=4, progress=False, cache=folder.parent
    ... )  # doctest: +SKIP
    >>> result.n_partitions, len(read_partitioned_embeddings(folder).object_ids)  # doctest: +SKIP
    (2, 6)
    """
    if partition_size < 1:
        raise ValueError(f"partition_size={partition_size} must be at least 1")
    if scheduler is not None and workers is not None:
        raise ValueError("workers= sizes a local cluster; a scheduler's cluster has its own")
    config = survey_config(survey)
    folder = _run_folder(run)
    n_partitions = -(-config.n_objects // partition_size)
    manifest = {
        "format": _MANIFEST_FORMAT,
        "survey": json.loads(json.dumps(config.to_dict())),
        "catalog": survey_catalog_key(config),
        "run": run_id(folder),
        "partition_size": partition_size,
        "partitions": n_partitions,
        "rows": config.n_objects,
    }
    out = Path(out_dir)
    _claim(out, manifest)
    todo = [index for index in range(n_partitions) if not partition_path(out, index).is_file()]
    skipped: list[tuple[str, str]] = []
    if todo:
        root = str(cache_folder(cache, "").resolve())  # the same for every worker
        job = _Job(config, root, str(folder), out, partition_size)
        with cluster_client(scheduler, workers) as client:
            skipped = _run_partitions(client, job, todo, progress)
    remove_leftovers(out)  # temporary files of workers killed while writing
    n_embedded = sum(
        pq.read_metadata(partition_path(out, index)).num_rows for index in range(n_partitions)
    )
    return PartitionedEmbedResult(out, n_embedded, n_partitions, tuple(todo), tuple(skipped))


def read_partitioned_embeddings(
    folder: str | os.PathLike[str],
    *,
    survey: AnySurveyConfig | str | None = None,
    run: str | os.PathLike[str] | None = None,
) -> Embeddings:
    """Read a folder written by :func:`embed_survey_dask` as one table, in catalogue order.

    Parameters
    ----------
    folder
        The folder of partitions.
    survey, run
        When given, the survey and the run folder the embeddings must be of (an index of a
        survey is built from its own embeddings only).

    Raises
    ------
    CacheError
        If the folder has no manifest or lacks partitions (run the job again to finish it).
    IndexMismatch
        If the folder holds embeddings of another survey or run than those asked (named).
    """
    folder = Path(folder)
    manifest = _read_manifest(folder)
    if manifest is None:
        raise CacheError(f"{folder}: no {MANIFEST}; not a folder of embed_survey_dask")
    differences = []
    if survey is not None:
        asked = json.loads(json.dumps(survey_config(survey).to_dict()))
        differences += _differences("survey", manifest.get("survey"), asked)
    if run is not None:
        differences += _differences("run", manifest.get("run"), run_id(run_folder(run)))
    if differences:
        raise IndexMismatch(
            f"{folder}: embeddings of another job than asked ({'; '.join(differences)})"
        )
    paths = [partition_path(folder, index) for index in range(manifest["partitions"])]
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        raise CacheError(
            f"{folder}: unfinished, {len(missing)} of {len(paths)} partitions missing "
            f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}); "
            "run embed_survey_dask again to compute them"
        )
    parts = [read_embeddings(path) for path in paths]
    return Embeddings(
        object_ids=[name for part in parts for name in part.object_ids],
        sources=[name for part in parts for name in part.sources],
        vectors=np.concatenate([part.vectors for part in parts]),
        metadata=parts[0].metadata,
    )


def _run_folder(run: TrainedRun | str | os.PathLike[str] | None) -> Path:
    """The run's folder as an absolute path, which every worker can load."""
    if isinstance(run, TrainedRun):
        return run.path.resolve()
    return (default_run_path() if run is None else run_folder(run)).resolve()


def _claim(out: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest into a new or empty folder, or check that the folder holds this job."""
    found = _read_manifest(out)
    if found is None:
        if out.is_dir() and any(not path.name.startswith(".") for path in out.iterdir()):
            raise CacheError(f"{out}: has files but no {MANIFEST}; give an empty or new folder")
        with written_atomically(out / MANIFEST) as temporary:
            temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return
    differences = [
        difference
        for key, name in _JOB_FIELDS.items()
        for difference in _differences(name, found.get(key), manifest[key])
    ]
    if differences:
        raise CacheError(
            f"{out}: made for another job ({'; '.join(differences)}); "
            "give another folder, or delete this one to start again"
        )


def _differences(name: str, found: Any, asked: Any) -> list[str]:
    """How a manifest value differs from the one asked for (a configuration: key by key)."""
    if isinstance(found, dict) and isinstance(asked, dict):
        keys = sorted(
            key for key in found.keys() | asked.keys() if found.get(key) != asked.get(key)
        )
        return [
            f"{name} {key}: {found.get(key)!r} in the folder, {asked.get(key)!r} asked"
            for key in keys
        ]
    return [] if found == asked else [f"{name}: {found!r} in the folder, {asked!r} asked"]


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CacheError(f"{path}: unreadable manifest ({error})") from None
    if not isinstance(manifest, dict) or "partitions" not in manifest:
        raise CacheError(f"{path}: not a manifest of embed_survey_dask")
    return manifest


@contextlib.contextmanager
def cluster_client(scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, or (None) of a local cluster of ``workers``
    single-threaded worker processes on 127.0.0.1 (default: one per core) started here; both
    closed after. The cluster :func:`embed_survey_dask` runs on."""
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(scheduler))
        yield client


@dataclass(frozen=True)
class _Job:
    """What every task of one :func:`embed_survey_dask` call needs."""

    survey: AnySurveyConfig
    cache: str
    run: str
    out: Path
    partition_size: int

    def rows(self, index: int) -> tuple[int, int]:
        """The catalogue rows of partition ``index``."""
        start = index * self.partition_size
        return start, min(start + self.partition_size, self.survey.n_objects)

    def chunks(self, index: int) -> range:
        """The catalogue chunks that hold partition ``index``."""
        start, stop = self.rows(index)
        return range(start // self.survey.chunk_size, -(-stop // self.survey.chunk_size))


def _run_partitions(
    client: Client, job: _Job, todo: list[int], progress: bool
) -> list[tuple[str, str]]:
    """Submit the partitions, a few per worker thread at a time, each after the tasks that draw
    its catalogue chunks (and the chunk after them, drawn ahead), and wait for all; returns the
    light curves left out."""
    from distributed import as_completed

    limit = 2 * max(sum(client.nthreads().values()), 1)
    pending = iter(todo)
    skipped: dict[int, tuple[tuple[str, str], ...]] = {}
    drawn: dict[int, Any] = {}

    def chunk(index: int) -> Any:
        if index not in drawn:
            drawn[index] = client.submit(_draw_chunk, job.survey, index, job.cache, pure=False)
        return drawn[index]

    def submit(index: int) -> Any:
        numbers = job.chunks(index)
        chunks = [chunk(number) for number in numbers]
        if numbers[-1] + 1 < job.survey.n_chunks:
            chunk(numbers[-1] + 1)  # drawn while this chunk's partitions are embedded
        path = str(partition_path(job.out, index))
        return client.submit(_embed_partition, index, job, path, chunks, pure=False)

    running = as_completed([submit(index) for index in itertools.islice(pending, limit)])
    with tqdm(total=len(todo), desc="partitions", unit="part", disable=not progress) as bar:
        for future in running:
            index, result = future.result()
            skipped[index] = result.skipped
            bar.update()
            following = next(pending, None)
            if following is not None:
                running.add(submit(following))
    return [entry for index in sorted(skipped) for entry in skipped[index]]


def _draw_chunk(survey: AnySurveyConfig, index: int, cache: str) -> int:
    """The task of one catalogue chunk: draw it and keep it in the cache (or find it kept)."""
    keep_freed_memory()
    survey_catalog_chunk(survey, index, cache=cache)
    return index


def _embed_partition(
    index: int, job: _Job, path: str, chunks: list[int]
) -> tuple[int, EmbedResult]:
    """The task of one partition, once its chunks are kept: read its rows, regenerate,
    represent, embed, write its file atomically."""
    keep_freed_memory()  # Dask's nanny sets glibc's trim threshold low; a few microseconds
    trained = _RUNS.get(job.run)
    if trained is None:
        trained = _RUNS[job.run] = load_run(job.run)
    rows = survey_catalog_rows(job.survey, *job.rows(index), cache=job.cache)
    batch = represent_rows(
        rows.to_dict("records"),
        trained.representation,
        trained.preprocess,
        trained.wavelet,
        trained.periodogram,
    )
    return index, write_embeddings([batch], path, run=trained, chunk_size=max(len(batch), 1))
