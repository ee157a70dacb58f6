"""Many light curves to stacks of representations, in worker processes, in input order.

A representation is what an encoder reads of a light curve (:data:`REPRESENTATIONS`):
``"wavelet"``, the power image with its validity mask and harmonic coherence
(:func:`astrolens.wavelets.power_image`), or ``"features"``, the hand-crafted features of
:func:`astrolens.features.lightcurve_features`. A batch holds them as arrays by name
(:class:`Batch`). Two sources of light curves:

- files (FITS, CSV): :func:`represent_files` reads, cleans and transforms a batch of them;
- a simulated survey: :func:`survey_data` regenerates every light curve from its catalogue
  (:func:`astrolens.simulate.source_arrays`) and saves the whole stack as one ``.npz`` file in the
  wavelet cache folder of the configurations
  (``wavelets/<key>/survey-<name>-<representation>-<survey key>.npz``), so that a second call,
  or a second training run, reads one file. The galaxy survey's representations measured on
  its pictures (:data:`~astrolens.modalities.galaxy.MEASURED_REPRESENTATIONS`: ``"morphology"``)
  are computed from its cached stack of cutouts, not rendered again.

:func:`parallel_map` runs such batches in a pool of worker processes, started once per process and
reused, and yields the results in input order with a bounded number of batches in flight.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from astrolens.config import stable_key
from astrolens.errors import CacheError, InvalidImage, InvalidLightCurve, skip_reason
from astrolens.files import written_atomically
from astrolens.fingerprint import CatalogFingerprint, catalog_fingerprint
from astrolens.modalities import Modality
from astrolens.modalities.galaxy import MEASURED_REPRESENTATIONS, GalaxyImageModality
from astrolens.modalities.galaxy import REPRESENTATIONS as IMAGE_REPRESENTATIONS
from astrolens.modalities.lightcurve import REPRESENTATIONS as LIGHTCURVE_REPRESENTATIONS
from astrolens.modalities.lightcurve import LightCurveModality
from astrolens.periodogram import PeriodogramConfig
from astrolens.preprocess import PreprocessConfig
from astrolens.simulate import source_arrays
from astrolens.simulate.cache import AnySurveyConfig, generate_survey_catalog, survey_config
from astrolens.wavelets import WaveletCache, WaveletConfig

__all__ = [
    "REPRESENTATIONS",
    "Batch",
    "SurveyData",
    "cached_survey_data",
    "concatenate",
    "keep_freed_memory",
    "parallel_map",
    "recorded_catalog_difference",
    "represent_files",
    "represent_rows",
    "represent_rows_task",
    "return_freed_memory",
    "survey_batches",
    "survey_config",
    "survey_data",
]

REPRESENTATIONS = LIGHTCURVE_REPRESENTATIONS + IMAGE_REPRESENTATIONS
"""Every representation of a simulated survey's objects: the light curves' and the galaxy
images' (``"cutout"``, ``"morphology"``)."""

_STACK_FORMAT = 4
"""Version of the survey stack files, part of their key: the file layout, or what the rows hold
(4: ground-based light curves the right way up in brightness, as their tables read)."""

ROWS_PER_TASK = 128
"""Light curves a worker process transforms per task."""


TaskT = TypeVar("TaskT")
ResultT = TypeVar("ResultT")


@dataclass(frozen=True, eq=False)
class Batch:
    """Representations of a batch of light curves, in input order, with what failed and why.

    Attributes
    ----------
    arrays
        Arrays by name, one row per light curve (see :func:`represent`); zeros where a light
        curve failed.
    object_ids
        Object id of each light curve (the file name's stem when the file names none).
    sources
        Where each light curve came from (file path, or object id for a simulated one).
    reasons
        None, or why the light curve has no representation.
    """

    arrays: dict[str, NDArray[Any]]
    object_ids: list[str]
    sources: list[str]
    reasons: list[str | None]

    @property
    def good(self) -> NDArray[np.bool_]:
        """True for the light curves that have a representation."""
        return np.array([reason is None for reason in self.reasons], dtype=bool)

    def __len__(self) -> int:
        return len(self.reasons)


@dataclass(frozen=True, eq=False)
class SurveyData:
    """A representation of every usable object of a simulated survey, in catalogue order.

    Attributes
    ----------
    arrays
        Arrays by name, one row per object (see :func:`represent`).
    catalog
        The catalogue rows of the N objects (index reset), with ``object_id`` and ``class``.
    skipped
        ``(object_id, reason)`` of the catalogue rows without a usable light curve.
    survey
        The survey configuration.
    catalog_fingerprint
        The identity of the full catalogue (:func:`astrolens.fingerprint.catalog_fingerprint`).
    representation
        Which representation the arrays are.
    path
        The stack file they are cached in, or None (not cached).
    """

    arrays: dict[str, NDArray[Any]]
    catalog: pd.DataFrame
    skipped: tuple[tuple[str, str], ...]
    survey: AnySurveyConfig
    catalog_fingerprint: CatalogFingerprint
    representation: str = "wavelet"
    path: Path | None = None

    @property
    def cached_exactly(self) -> bool:
        """True if the stack file holds the arrays as computed: none rounded (the float16
        harmonic coherence of ``"wavelet"`` and ``"hybrid"`` is)."""
        return self.path is not None and not set(self.arrays) & set(_FLOAT16_ARRAYS)

    @property
    def object_ids(self) -> NDArray[np.object_]:
        """The object id of each row."""
        return self.catalog["object_id"].to_numpy(dtype=object)

    @property
    def labels(self) -> NDArray[np.object_]:
        """The variability class of each row."""
        return self.catalog["class"].to_numpy(dtype=object)


def recorded_catalog_difference(
    record: dict[str, Any], fingerprint: CatalogFingerprint
) -> str | None:
    """Why a catalogue is not the one a run recorded in its ``data.json``, or None if it is.

    The comparison allows the last-bit differences of another CPU
    (:class:`~astrolens.fingerprint.CatalogFingerprint`).

    Examples
    --------
    >>> table = pd.DataFrame({"object_id": ["KIC 1"], "period_days": [2.5]})
    >>> record = {"catalog_fingerprint": catalog_fingerprint(table).to_dict()}
    >>> recorded_catalog_difference(record, catalog_fingerprint(table)) is None
    True
    >>> recorded_catalog_difference({}, catalog_fingerprint(table))
    'the run records no catalogue fingerprint (written by an older astrolens): retrain it'
    """
    if "catalog_fingerprint" not in record:
        return (
            "the run records no catalogue fingerprint (written by an older astrolens): retrain it"
        )
    return CatalogFingerprint.from_dict(record["catalog_fingerprint"]).difference(fingerprint)


def represent_files(
    paths: Sequence[str | os.PathLike[str]],
    modality: Modality | None = None,
    representation: str = "wavelet",
) -> Batch:
    """Representations of files: each loaded once by the modality (default: light curves with
    the default configurations) and represented as an encoder reads it.

    A file that is missing or unusable gets a reason instead of a representation; nothing raises.

    Examples
    --------
    >>> from astrolens.sources import example_files
    >>> batch = represent_files([example_files("K2")[0], "missing.fits"])
    >>> batch.object_ids, batch.reasons, batch.arrays["image"].shape
    (['EPIC 211117077', 'missing'], [None, 'no such file'], (2, 64, 64))
    """
    names = [(Path(path).stem, str(path)) for path in paths]
    return _represent_each(paths, names, modality or LightCurveModality(), representation)


def represent_rows(
    rows: Sequence[dict[str, Any]],
    representation: str = "wavelet",
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> Batch:
    """Representations of simulated-survey catalogue rows: regenerate, clean, represent (or,
    for the galaxy survey's ``"cutout"``, render).

    Examples
    --------
    >>> from astrolens.simulate import SurveyConfig, generate_catalog
    >>> catalog = generate_catalog(SurveyConfig(name="mini", n_objects=3))
    >>> batch = represent_rows(catalog.to_dict("records"))
    >>> batch.arrays["image"].shape, batch.reasons
    ((3, 64, 64), [None, None, None])
    >>> batch.object_ids == catalog["object_id"].tolist()
    True
    """
    names = [(str(row["object_id"]), str(row["object_id"])) for row in rows]
    if representation in IMAGE_REPRESENTATIONS:
        return _represent_each(rows, names, GalaxyImageModality(), representation)
    modality = LightCurveModality(preprocess, wavelet, periodogram=periodogram)
    light_curves = (source_arrays(row, preprocess.quality_bitmask) for row in rows)
    return _represent_each(light_curves, names, modality, representation)


def _represent_each(
    sources: Iterable[Any], names: list[tuple[str, str]], modality: Modality, representation: str
) -> Batch:
    """Load and represent each input; ``names`` are the fallback ``(object_id, source)``."""
    arrays = modality.empty(representation, len(names))
    object_ids, sources_out, reasons = [], [], []
    for index, (source, (object_id, origin)) in enumerate(zip(sources, names, strict=True)):
        reason = None
        try:
            item = modality.load(source)
            object_id = item.meta.get("object_id") or object_id
            origin = item.meta.get("source") or origin
            for name, values in modality.represent(item, representation).items():
                arrays[name][index] = values
        except (FileNotFoundError, InvalidLightCurve, InvalidImage) as error:
            reason = skip_reason(error)
        object_ids.append(object_id)
        sources_out.append(origin)
        reasons.append(reason)
    return Batch(arrays, object_ids, sources_out, reasons)


def concatenate(batches: Sequence[Batch]) -> Batch:
    """One batch of several, in order.

    Examples
    --------
    >>> from astrolens.simulate import SurveyConfig, generate_catalog
    >>> catalog = generate_catalog(SurveyConfig(name="mini", n_objects=3)).to_dict("records")
    >>> batch = concatenate([represent_rows(catalog[:1]), represent_rows(catalog[1:])])
    >>> len(batch), batch.object_ids == [row["object_id"] for row in catalog]
    (3, True)
    """
    if not batches:
        raise ValueError("need at least one batch to concatenate")
    if len(batches) == 1:
        return batches[0]
    return Batch(
        {
            name: np.concatenate([batch.arrays[name] for batch in batches])
            for name in batches[0].arrays
        },
        [name for batch in batches for name in batch.object_ids],
        [name for batch in batches for name in batch.sources],
        [reason for batch in batches for reason in batch.reasons],
    )


def parallel_map(
    function: Callable[[TaskT], ResultT],
    tasks: Iterable[TaskT],
    workers: int = 2,
    max_pending: int | None = None,
) -> Iterator[ResultT]:
    """``map(function, tasks)`` in worker processes: results in task order, bounded memory.

    At most ``max_pending`` tasks (default ``2 * workers``) are submitted and not yet yielded, so
    a slow consumer never makes results pile up. The worker processes are started (``spawn``) the
    first time a number of workers is asked for and reused by later calls, so only the first call
    of a process pays their start-up (importing astrolens, about 2 s); each keeps the memory it
    frees for reuse (:func:`keep_freed_memory`). ``function`` must be importable (a module-level
    function); a script that calls this must guard its main code with ``if __name__ ==
    "__main__":``, as for every ``spawn`` pool. With ``workers <= 1`` the tasks run in this
    process.

    Examples
    --------
    >>> list(parallel_map(abs, [-3, 2, -1], workers=1))
    [3, 2, 1]
    """
    if workers <= 1:
        yield from map(function, tasks)
        return
    pool = _worker_pool(workers)
    pending: deque[Any] = deque()
    limit = max_pending or 2 * workers
    for task in tasks:
        pending.append(pool.apply_async(function, (task,)))
        if len(pending) >= limit:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


_MALLOPT_TRIM_THRESHOLD, _MALLOPT_MMAP_THRESHOLD = -1, -3
_KEEP_FREED_BYTES = 32 * 1024 * 1024
"""The largest mmap threshold glibc accepts on 64-bit machines."""


def keep_freed_memory() -> bool:
    """Make this process reuse memory it frees instead of giving it back to the system (glibc).

    A light curve's transform allocates and frees arrays of a few MiB. By default glibc maps each
    one afresh and unmaps it when it is freed (or trims the heap), so every light curve pays the
    page faults of new memory: 40 % of a worker's time on a Kepler quarter. With the mmap and trim
    thresholds raised to 32 MiB, freed arrays are reused; the process keeps at most that much
    memory it does not use. Run in each worker process at start-up; returns False (and changes
    nothing) where the C library is not glibc.

    Examples
    --------
    >>> import sys
    >>> keep_freed_memory() == sys.platform.startswith("linux")
    True
    """
    libc = _glibc()
    if libc is None:
        return False
    return all(
        libc.mallopt(option, _KEEP_FREED_BYTES) == 1
        for option in (_MALLOPT_MMAP_THRESHOLD, _MALLOPT_TRIM_THRESHOLD)
    )


def return_freed_memory() -> bool:
    """Give the memory this process has freed back to the system now (glibc's ``malloc_trim``).

    A server answers an upload with arrays of up to hundreds of MiB that are freed afterwards;
    glibc keeps freed heap for reuse, so without this the process would stay at the size of the
    largest upload it has seen. Returns False where the C library is not glibc.

    Examples
    --------
    >>> import sys
    >>> return_freed_memory() == sys.platform.startswith("linux")
    True
    """
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


@functools.cache
def _worker_pool(workers: int) -> Pool:
    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=keep_freed_memory)
    atexit.register(pool.terminate)
    return pool


def survey_data(
    survey: AnySurveyConfig | str = "demo",
    representation: str = "wavelet",
    *,
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
    periodogram: PeriodogramConfig = PeriodogramConfig(),
    cache_root: str | os.PathLike[str] | None = "wavelets",
    workers: int = 2,
    progress: bool = True,
) -> SurveyData:
    """A representation of every object of a simulated survey, computed once, cached as one file.

    Parameters
    ----------
    survey
        A survey configuration, or the name of a size (``"tiny"``, ``"demo"``, ``"large"``;
        ``"galaxies-tiny"``, ... for the galaxy survey, whose representation is ``"cutout"``).
    representation
        One of :data:`REPRESENTATIONS`.
    preprocess, wavelet, periodogram
        Configurations of the cleaning, of the wavelet transform and of the periodogram; with the
        survey, its catalogue and the representation they name the cache file.
    cache_root
        Root of the wavelet cache; ``None`` computes without caching.
    workers
        Processes that transform light curves (see :func:`parallel_map`).
    progress
        Show a progress bar.

    Raises
    ------
    CacheError
        If the cache file is unreadable or does not match the survey.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig
    >>> survey = SurveyConfig(name="mini", n_objects=16)
    >>> data = survey_data(survey, cache_root=tempfile.mkdtemp(), workers=1, progress=False)
    >>> data.arrays["image"].shape[1:], len(data.catalog) + len(data.skipped)
    ((64, 64), 16)
    """
    if representation not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {representation!r}; known: {REPRESENTATIONS}")
    config = survey_config(survey)
    catalog = generate_survey_catalog(config)
    fingerprint = catalog_fingerprint(catalog)
    path = None
    if cache_root is not None:
        settings = (preprocess, wavelet, periodogram)
        path = _stack_path(config, fingerprint, representation, *settings, cache_root)
        if path.exists():
            return _read_stack(path, catalog, config, fingerprint, representation)
    if representation in MEASURED_REPRESENTATIONS:
        cutouts = survey_data(
            config, "cutout", cache_root=cache_root, workers=workers, progress=progress
        )
        batch = _measured_on_cutouts(catalog, cutouts, representation, workers, progress)
    else:
        settings = (preprocess, wavelet, periodogram)
        batch = _represented_rows(catalog, representation, settings, workers, progress)
    good = batch.good
    result = SurveyData(
        arrays={name: values[good] for name, values in batch.arrays.items()},
        catalog=catalog[good].reset_index(drop=True),
        skipped=tuple(
            (object_id, reason)
            for object_id, reason in zip(batch.object_ids, batch.reasons, strict=True)
            if reason is not None
        ),
        survey=config,
        catalog_fingerprint=fingerprint,
        representation=representation,
        path=path,
    )
    if path is not None:
        _write_stack(path, result, good)
    return result


def cached_survey_data(
    survey: AnySurveyConfig | str,
    representation: str,
    *,
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
    periodogram: PeriodogramConfig = PeriodogramConfig(),
    cache_root: str | os.PathLike[str] = "wavelets",
) -> SurveyData | None:
    """The stack :func:`survey_data` cached for these settings (a training run leaves one), if
    it is there and holds the representation exactly as computed, else None: nothing is
    computed.

    A stack that rounds an array (the float16 harmonic coherence of ``"wavelet"`` and
    ``"hybrid"``) is not returned: an index embedded from it would differ from the same light
    curve transformed again, as a query is. The galaxy cutouts are 8-bit pictures, stored
    exactly.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate.galaxies import GalaxySurveyConfig
    >>> survey, folder = GalaxySurveyConfig(name="mini", n_objects=4), tempfile.mkdtemp()
    >>> cached_survey_data(survey, "cutout", cache_root=folder) is None
    True
    >>> data = survey_data(survey, "cutout", cache_root=folder, workers=1, progress=False)
    >>> cached = cached_survey_data(survey, "cutout", cache_root=folder)
    >>> bool((cached.arrays["cutout"] == data.arrays["cutout"]).all())
    True
    """
    config = survey_config(survey)
    folder = WaveletCache(cache_root, wavelet=wavelet, preprocess=preprocess).directory
    if not any(folder.glob(_stack_name(config, representation, "*"))):
        return None  # no stack of this survey: its catalogue is not drawn (a million rows)
    catalog = generate_survey_catalog(config)
    fingerprint = catalog_fingerprint(catalog)
    settings = (preprocess, wavelet, periodogram)
    path = _stack_path(config, fingerprint, representation, *settings, cache_root)
    if not path.is_file() or set(_stack_array_names(path)) & set(_FLOAT16_ARRAYS):
        return None  # absent, or rounded: not read
    return _read_stack(path, catalog, config, fingerprint, representation)


def survey_batches(data: SurveyData, size: int = ROWS_PER_TASK) -> Iterator[Batch]:
    """A survey stack as the batches :func:`represent_rows` gives for its catalogue, ``size``
    rows each: the objects with a representation in catalogue order, then those skipped, with
    their reasons (and zeros).

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig
    >>> data = survey_data(SurveyConfig(name="mini", n_objects=5), cache_root=None, workers=1,
    ...                    progress=False)
    >>> [len(batch) for batch in survey_batches(data, size=2)]
    [2, 2, 1]
    """
    names = [str(name) for name in data.object_ids]
    for start in range(0, len(names), size):
        chosen = names[start : start + size]
        arrays = {name: values[start : start + size] for name, values in data.arrays.items()}
        yield Batch(arrays, chosen, list(chosen), [None] * len(chosen))
    if data.skipped:
        zeros = {
            name: np.zeros((len(data.skipped), *values.shape[1:]), values.dtype)
            for name, values in data.arrays.items()
        }
        ids = [str(object_id) for object_id, _ in data.skipped]
        yield Batch(zeros, ids, list(ids), [str(reason) for _, reason in data.skipped])


def _stack_path(
    config: AnySurveyConfig,
    fingerprint: CatalogFingerprint,
    representation: str,
    preprocess: PreprocessConfig,
    wavelet: WaveletConfig,
    periodogram: PeriodogramConfig,
    cache_root: str | os.PathLike[str],
) -> Path:
    """Where :func:`survey_data` caches a survey's stack of a representation."""
    folder = WaveletCache(cache_root, wavelet=wavelet, preprocess=preprocess).directory
    key = stable_key(
        {
            "format": _STACK_FORMAT,
            "survey": config.to_dict(),
            "catalog": fingerprint.key,
            "periodogram": periodogram.to_dict(),
        }
    )
    return folder / _stack_name(config, representation, key)


def _stack_name(config: AnySurveyConfig, representation: str, key: str) -> str:
    """The file name of a survey stack (``key``: of its configurations, or a glob pattern)."""
    return f"survey-{config.name}-{representation}-{key}.npz"


def _represented_rows(
    catalog: pd.DataFrame,
    representation: str,
    settings: tuple[PreprocessConfig, WaveletConfig, PeriodogramConfig],
    workers: int,
    progress: bool,
) -> Batch:
    """Every catalogue row regenerated and represented, in worker processes."""
    rows = catalog.to_dict("records")
    tasks = [
        (rows[start : start + ROWS_PER_TASK], representation, *settings)
        for start in range(0, len(rows), ROWS_PER_TASK)
    ]
    parts = []
    description = f"survey {representation}"
    with tqdm(total=len(rows), desc=description, unit="lc", disable=not progress) as bar:
        for part in parallel_map(represent_rows_task, tasks, workers):
            parts.append(part)
            bar.update(len(part))
    return concatenate(parts)


def represent_rows_task(
    task: tuple[list[dict[str, Any]], str, PreprocessConfig, WaveletConfig, PeriodogramConfig],
) -> Batch:
    """:func:`represent_rows` of one ``(rows, representation, preprocess, wavelet,
    periodogram)`` tuple: the task worker pools map (:func:`parallel_map`)."""
    return represent_rows(*task)


def _measured_on_cutouts(
    catalog: pd.DataFrame, cutouts: SurveyData, representation: str, workers: int, progress: bool
) -> Batch:
    """A representation measured on the cutouts of a galaxy survey (``catalog``), one of
    :data:`~astrolens.modalities.galaxy.MEASURED_REPRESENTATIONS`, in worker processes, as a
    batch of the whole catalogue: the rows without a cutout keep their reason."""
    pictures = cutouts.arrays["cutout"]
    tasks = [
        (pictures[start : start + ROWS_PER_TASK], representation)
        for start in range(0, len(pictures), ROWS_PER_TASK)
    ]
    parts = []
    description = f"survey {representation}"
    with tqdm(total=len(pictures), desc=description, unit="img", disable=not progress) as bar:
        for part in parallel_map(_measure_pictures_task, tasks, workers):
            parts.append(part)
            bar.update(len(next(iter(part.values()))))
    object_ids = catalog["object_id"].astype(str).tolist()
    reasons = dict(cutouts.skipped)
    good = np.array([object_id not in reasons for object_id in object_ids], dtype=bool)
    arrays = GalaxyImageModality().empty(representation, len(object_ids))
    for name, values in arrays.items():
        values[good] = np.concatenate([part[name] for part in parts])
    return Batch(arrays, object_ids, object_ids, [reasons.get(name) for name in object_ids])


def _measure_pictures_task(task: tuple[NDArray[np.float32], str]) -> dict[str, NDArray[Any]]:
    return GalaxyImageModality().represent_pictures(*task)


_FLOAT16_ARRAYS = ("harmonic",)
"""Arrays kept as float16 in a survey stack: the harmonic coherence lies in [-1, 1]."""

_UINT8_ARRAYS = ("cutout",)
"""Arrays kept as 8-bit integers in a survey stack: the galaxy survey's pictures are 8-bit
colour images divided by 255, so nothing is lost."""


def _write_stack(path: Path, data: SurveyData, good: NDArray[np.bool_]) -> None:
    """Save the arrays, which rows have one and the skip reasons, atomically."""
    arrays = {f"array_{name}": _stored(name, values) for name, values in data.arrays.items()}
    arrays |= {
        "good": good,
        "skipped_json": np.str_(json.dumps(data.skipped)),
        "catalog_key": np.str_(data.catalog_fingerprint.key),
    }
    with written_atomically(path) as temporary:
        np.savez(temporary, **arrays)


def _stored(name: str, values: NDArray[Any]) -> NDArray[Any]:
    if name in _FLOAT16_ARRAYS:
        return values.astype(np.float16)
    if name in _UINT8_ARRAYS:
        return np.rint(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)
    return values


def _restored(name: str, values: NDArray[Any]) -> NDArray[np.float32]:
    if name in _UINT8_ARRAYS:
        return values.astype(np.float32) / np.float32(255.0)
    return values.astype(np.float32)


def _stack_array_names(path: Path) -> list[str]:
    """The names of the arrays of a stack file, read from its index alone."""
    try:
        with np.load(path, allow_pickle=False) as stack:
            return [name.removeprefix("array_") for name in stack.files]
    except (OSError, ValueError) as error:
        raise CacheError(f"{path}: unreadable survey stack ({error}); delete it") from error


def _read_stack(
    path: Path,
    catalog: pd.DataFrame,
    config: AnySurveyConfig,
    fingerprint: CatalogFingerprint,
    representation: str,
) -> SurveyData:
    try:
        with np.load(path, allow_pickle=False) as data:
            good, key = data["good"], str(data["catalog_key"])
            arrays = {
                name.removeprefix("array_"): data[name]
                for name in data.files
                if name.startswith("array_")
            }
            skipped = tuple(tuple(pair) for pair in json.loads(str(data["skipped_json"])))
    except (OSError, ValueError, KeyError, EOFError) as error:
        raise CacheError(f"{path}: unreadable survey stack ({error}); delete it") from error
    arrays = {
        name: _restored(name, values) if name in _FLOAT16_ARRAYS + _UINT8_ARRAYS else values
        for name, values in arrays.items()
    }
    rows = {len(values) for values in arrays.values()}
    if key != fingerprint.key or good.size != len(catalog) or rows != {int(good.sum())}:
        raise CacheError(f"{path}: does not match the catalogue of survey {config.name!r}")
    return SurveyData(
        arrays=arrays,
        catalog=catalog[good].reset_index(drop=True),
        skipped=skipped,  # type: ignore[arg-type]
        survey=config,
        catalog_fingerprint=fingerprint,
        representation=representation,
        path=path,
    )
