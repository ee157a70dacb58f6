"""Many light curves to stacks of wavelet power images, in worker processes, in input order.

Two sources of light curves:

- files (FITS, CSV): :func:`images_of_files` reads, cleans and transforms a batch of them;
- a simulated survey: :func:`survey_images` regenerates every light curve from its catalogue
  (:func:`astrolens.simulate.source_arrays`) and saves the whole stack of images as one ``.npz``
  file in the wavelet cache folder of the configurations
  (``wavelets/<key>/survey-<name>-<survey key>.npz``), so that a second call, or a second
  training run, reads one file.

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
from astrolens.errors import CacheError, InvalidLightCurve, skip_reason
from astrolens.files import written_atomically
from astrolens.fingerprint import CatalogFingerprint, catalog_fingerprint
from astrolens.preprocess import PreprocessConfig
from astrolens.simulate import SurveyConfig, generate_catalog, source_arrays
from astrolens.sources import LightCurveArrays, read_arrays
from astrolens.transform import series_from_arrays
from astrolens.wavelets import WaveletCache, WaveletConfig, power_image

__all__ = [
    "ImageBatch",
    "SurveyImages",
    "concatenate",
    "images_of_files",
    "images_of_rows",
    "keep_freed_memory",
    "parallel_map",
    "recorded_catalog_difference",
    "survey_config",
    "survey_images",
]

_STACK_FORMAT = 2
"""Version of the survey stack file layout; part of its name."""

ROWS_PER_TASK = 128
"""Light curves a worker process transforms per task."""


TaskT = TypeVar("TaskT")
ResultT = TypeVar("ResultT")


@dataclass(frozen=True, eq=False)
class ImageBatch:
    """Power images of a batch of light curves, in input order, with what failed and why.

    Attributes
    ----------
    images
        ``(N, n_periods, n_time_bins)`` float32; zeros where a light curve failed.
    masks
        Same shape, True where a pixel is valid; all False where a light curve failed.
    object_ids
        Object id of each light curve (the file name's stem when the file names none).
    sources
        Where each light curve came from (file path, or object id for a simulated one).
    reasons
        None, or why the light curve has no image.
    harmonics
        ``(N, 2, n_periods, n_time_bins)`` float32 harmonic coherence (see
        :attr:`~astrolens.wavelets.PowerImage.harmonic`), or None if not computed.
    """

    images: NDArray[np.float32]
    masks: NDArray[np.bool_]
    object_ids: list[str]
    sources: list[str]
    reasons: list[str | None]
    harmonics: NDArray[np.float32] | None = None

    @property
    def good(self) -> NDArray[np.bool_]:
        """True for the light curves that have an image."""
        return np.array([reason is None for reason in self.reasons], dtype=bool)

    def __len__(self) -> int:
        return len(self.reasons)


@dataclass(frozen=True, eq=False)
class SurveyImages:
    """Power images of the objects of a simulated survey, in catalogue order.

    Attributes
    ----------
    images
        ``(N, n_periods, n_time_bins)`` float32 scaled log power.
    masks
        Same shape, True where a pixel is valid.
    catalog
        The catalogue rows of the N objects (index reset), with ``object_id`` and ``class``.
    skipped
        ``(object_id, reason)`` of the catalogue rows without a usable power image.
    survey
        The survey configuration.
    catalog_fingerprint
        The identity of the full catalogue (:func:`astrolens.fingerprint.catalog_fingerprint`).
    harmonics
        ``(N, 2, n_periods, n_time_bins)`` harmonic coherence, or None if not computed.
    """

    images: NDArray[np.float32]
    masks: NDArray[np.bool_]
    catalog: pd.DataFrame
    skipped: tuple[tuple[str, str], ...]
    survey: SurveyConfig
    catalog_fingerprint: CatalogFingerprint
    harmonics: NDArray[np.float32] | None = None

    @property
    def object_ids(self) -> NDArray[np.object_]:
        """The object id of each image."""
        return self.catalog["object_id"].to_numpy(dtype=object)

    @property
    def labels(self) -> NDArray[np.object_]:
        """The variability class of each image."""
        return self.catalog["class"].to_numpy(dtype=object)


def survey_config(survey: SurveyConfig | str, seed: int | None = None) -> SurveyConfig:
    """A survey configuration from a named size (``"tiny"``, ``"demo"``, ``"large"``) or as is.

    Examples
    --------
    >>> survey_config("tiny").n_objects, survey_config("tiny", seed=5).seed
    (320, 5)
    """
    if isinstance(survey, SurveyConfig):
        return survey
    return SurveyConfig.named(survey) if seed is None else SurveyConfig.named(survey, seed=seed)


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


def images_of_files(
    paths: Sequence[str | os.PathLike[str]],
    flux_column: str = "pdcsap_flux",
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
) -> ImageBatch:
    """Power images of light-curve files: :func:`~astrolens.sources.read_arrays`, clean, transform.

    A file that is missing or unusable gets a reason instead of an image; nothing raises.

    Examples
    --------
    >>> from astrolens.sources import example_files
    >>> batch = images_of_files([example_files("K2")[0], "missing.fits"])
    >>> batch.object_ids, batch.reasons, batch.images.shape
    (['EPIC 211117077', 'missing'], [None, 'no such file'], (2, 64, 64))
    """

    def load(path: str | os.PathLike[str]) -> LightCurveArrays:
        return read_arrays(
            path, flux_column=flux_column, quality_bitmask=preprocess.quality_bitmask
        )

    names = [(Path(path).stem, str(path)) for path in paths]
    return _transform_each(paths, load, names, preprocess, wavelet)


def images_of_rows(
    rows: Sequence[dict[str, Any]],
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
) -> ImageBatch:
    """Power images of simulated-survey catalogue rows: regenerate, clean, transform.

    Examples
    --------
    >>> catalog = generate_catalog(SurveyConfig(name="mini", n_objects=3))
    >>> batch = images_of_rows(catalog.to_dict("records"))
    >>> batch.images.shape, batch.reasons, batch.object_ids == catalog["object_id"].tolist()
    ((3, 64, 64), [None, None, None], True)
    """

    def load(row: dict[str, Any]) -> LightCurveArrays:
        return source_arrays(row, preprocess.quality_bitmask)

    names = [(str(row["object_id"]), str(row["object_id"])) for row in rows]
    return _transform_each(rows, load, names, preprocess, wavelet)


def _transform_each(
    items: Sequence[Any],
    load: Callable[[Any], LightCurveArrays],
    names: list[tuple[str, str]],
    preprocess: PreprocessConfig,
    wavelet: WaveletConfig,
) -> ImageBatch:
    """Load, clean and transform each item; ``names`` are the fallback ``(object_id, source)``."""
    shape = (len(items), wavelet.n_periods, wavelet.n_time_bins)
    images = np.zeros(shape, dtype=np.float32)
    masks = np.zeros(shape, dtype=bool)
    harmonics = (
        np.zeros((shape[0], 2, *shape[1:]), dtype=np.float32) if wavelet.harmonic_phase else None
    )
    object_ids, sources, reasons = [], [], []
    for index, (item, (object_id, source)) in enumerate(zip(items, names, strict=True)):
        reason = None
        try:
            arrays = load(item)
            object_id, source = arrays.object_id or object_id, arrays.source or source
            image = power_image(series_from_arrays(arrays, preprocess), wavelet)
            images[index], masks[index] = image.image, image.mask
            if harmonics is not None:
                harmonics[index] = image.harmonic
        except (FileNotFoundError, InvalidLightCurve) as error:
            reason = skip_reason(error)
        object_ids.append(object_id)
        sources.append(source)
        reasons.append(reason)
    return ImageBatch(images, masks, object_ids, sources, reasons, harmonics)


def concatenate(batches: Sequence[ImageBatch]) -> ImageBatch:
    """One batch of several, in order.

    Examples
    --------
    >>> catalog = generate_catalog(SurveyConfig(name="mini", n_objects=3)).to_dict("records")
    >>> batch = concatenate([images_of_rows(catalog[:1]), images_of_rows(catalog[1:])])
    >>> len(batch), batch.object_ids == [row["object_id"] for row in catalog]
    (3, True)
    """
    if not batches:
        raise ValueError("need at least one batch to concatenate")
    if len(batches) == 1:
        return batches[0]
    return ImageBatch(
        np.concatenate([batch.images for batch in batches]),
        np.concatenate([batch.masks for batch in batches]),
        [name for batch in batches for name in batch.object_ids],
        [name for batch in batches for name in batch.sources],
        [reason for batch in batches for reason in batch.reasons],
        None
        if batches[0].harmonics is None
        else np.concatenate([batch.harmonics for batch in batches]),  # type: ignore[misc]
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
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return all(
        mallopt(option, _KEEP_FREED_BYTES) == 1
        for option in (_MALLOPT_MMAP_THRESHOLD, _MALLOPT_TRIM_THRESHOLD)
    )


@functools.cache
def _worker_pool(workers: int) -> Pool:
    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=keep_freed_memory)
    atexit.register(pool.terminate)
    return pool


def survey_images(
    survey: SurveyConfig | str = "demo",
    *,
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
    cache_root: str | os.PathLike[str] | None = "wavelets",
    workers: int = 2,
    progress: bool = True,
) -> SurveyImages:
    """Power images of every object of a simulated survey, computed once and cached as one file.

    Parameters
    ----------
    survey
        A survey configuration, or the name of a size (``"tiny"``, ``"demo"``, ``"large"``).
    preprocess, wavelet
        Configurations of the cleaning and of the transform; with the survey and its catalogue
        they name the cache file.
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
    >>> survey = SurveyConfig(name="mini", n_objects=16)
    >>> data = survey_images(survey, cache_root=tempfile.mkdtemp(), workers=1, progress=False)
    >>> data.images.shape[1:], len(data.catalog) + len(data.skipped)
    ((64, 64), 16)
    """
    config = survey_config(survey)
    catalog = generate_catalog(config)
    fingerprint = catalog_fingerprint(catalog)
    path = None
    if cache_root is not None:
        folder = WaveletCache(cache_root, wavelet=wavelet, preprocess=preprocess).directory
        key = stable_key(
            {"format": _STACK_FORMAT, "survey": config.to_dict(), "catalog": fingerprint.key}
        )
        path = folder / f"survey-{config.name}-{key}.npz"
        if path.exists():
            return _read_stack(path, catalog, config, fingerprint)
    rows = catalog.to_dict("records")
    tasks = [
        (rows[start : start + ROWS_PER_TASK], preprocess, wavelet)
        for start in range(0, len(rows), ROWS_PER_TASK)
    ]
    parts = []
    with tqdm(total=len(rows), desc="survey power images", unit="lc", disable=not progress) as bar:
        for part in parallel_map(_images_of_rows_task, tasks, workers):
            parts.append(part)
            bar.update(len(part))
    batch = concatenate(parts)
    good = batch.good
    result = SurveyImages(
        images=batch.images[good],
        masks=batch.masks[good],
        catalog=catalog[good].reset_index(drop=True),
        skipped=tuple(
            (object_id, reason)
            for object_id, reason in zip(batch.object_ids, batch.reasons, strict=True)
            if reason is not None
        ),
        survey=config,
        catalog_fingerprint=fingerprint,
        harmonics=None if batch.harmonics is None else batch.harmonics[good],
    )
    if path is not None:
        _write_stack(path, result, good)
    return result


def _images_of_rows_task(
    task: tuple[list[dict[str, Any]], PreprocessConfig, WaveletConfig],
) -> ImageBatch:
    return images_of_rows(*task)


def _write_stack(path: Path, data: SurveyImages, good: NDArray[np.bool_]) -> None:
    """Save images, masks, which rows have an image and the skip reasons, atomically."""
    arrays = {
        "images": data.images,
        "masks": data.masks,
        "good": good,
        "skipped_json": np.str_(json.dumps(data.skipped)),
        "catalog_key": np.str_(data.catalog_fingerprint.key),
    }
    if data.harmonics is not None:
        arrays["harmonics"] = data.harmonics.astype(np.float16)  # [-1, 1]: 3 digits suffice
    with written_atomically(path) as temporary:
        np.savez(temporary, **arrays)


def _read_stack(
    path: Path, catalog: pd.DataFrame, config: SurveyConfig, fingerprint: CatalogFingerprint
) -> SurveyImages:
    try:
        with np.load(path, allow_pickle=False) as data:
            good, key = data["good"], str(data["catalog_key"])
            images, masks = data["images"], data["masks"]
            harmonics = data["harmonics"].astype(np.float32) if "harmonics" in data.files else None
            skipped = tuple(tuple(pair) for pair in json.loads(str(data["skipped_json"])))
    except (OSError, ValueError, KeyError, EOFError) as error:
        raise CacheError(f"{path}: unreadable survey image stack ({error}); delete it") from error
    if key != fingerprint.key or good.size != len(catalog) or images.shape[0] != good.sum():
        raise CacheError(f"{path}: does not match the catalogue of survey {config.name!r}")
    return SurveyImages(
        images=images,
        masks=masks,
        catalog=catalog[good].reset_index(drop=True),
        skipped=skipped,  # type: ignore[arg-type]
        survey=config,
        catalog_fingerprint=fingerprint,
        harmonics=harmonics,
    )
