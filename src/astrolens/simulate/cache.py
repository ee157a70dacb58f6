"""Simulated survey catalogues drawn once and kept: :func:`survey_catalog`.

A catalogue is regenerated from its configuration; drawing the ``demo`` one takes seconds and the
``large`` one minutes, so it is kept as Parquet in the cache (``$ASTROLENS_CACHE/catalogs``), named
after the configuration, the simulation's code, NumPy's version (its random streams) and the
OGLE-III catalogue it draws from (:func:`survey_catalog_key`).

A large survey can also be drawn in parts: :func:`survey_catalog_chunk` draws and keeps one of its
chunks (``<name>-<key>/chunk-00012.parquet``), :func:`survey_catalog_rows` reads any range of
rows from the chunks that hold it, so that the workers of a cluster each draw what they embed and
no process holds the whole catalogue. :func:`survey_catalog` assembles the kept chunks when they
are there instead of drawing the survey again.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from astrolens import simulate
from astrolens.config import stable_key
from astrolens.errors import CacheError
from astrolens.files import cache_dir, file_sha256, written_atomically
from astrolens.simulate.galaxies import (
    SIZES as GALAXY_SIZES,
)
from astrolens.simulate.galaxies import (
    GalaxySurveyConfig,
    galaxy_catalog_chunk,
    generate_galaxy_catalog,
    iter_galaxy_catalog_chunks,
)
from astrolens.simulate.ogle import ogle3_checksum
from astrolens.simulate.survey import (
    SurveyConfig,
    catalog_chunk,
    generate_catalog,
    iter_catalog_chunks,
    read_catalog,
)

__all__ = [
    "CATALOGS_CACHE",
    "GALAXY_SURVEY_PREFIX",
    "AnySurveyConfig",
    "cache_folder",
    "catalog_chunks",
    "generate_survey_catalog",
    "survey_catalog",
    "survey_catalog_chunk",
    "survey_catalog_key",
    "survey_catalog_rows",
    "survey_config",
    "survey_modality",
]

AnySurveyConfig = SurveyConfig | GalaxySurveyConfig
"""A simulated survey of light curves or of galaxy images."""

GALAXY_SURVEY_PREFIX = "galaxies-"
"""How the name of a simulated galaxy survey starts (``galaxies-tiny``, ``galaxies-demo``,
``galaxies-large``), to tell it from a light-curve survey of the same size."""

CATALOGS_CACHE = "catalogs"
"""Cache folder (under :func:`astrolens.files.cache_dir`) of :func:`survey_catalog`."""

_CATALOG_FORMAT = 1
"""Version of the cached survey catalogues; part of their key."""


def survey_config(survey: AnySurveyConfig | str, seed: int | None = None) -> AnySurveyConfig:
    """A survey configuration from a named size (``"tiny"``, ``"demo"``, ``"large"``; with
    ``-mixed``: ground-based surveys too, :data:`~astrolens.simulate.MIXED_CADENCE_MIX`; with
    ``galaxies-`` before it: the simulated galaxy survey of that size) or as is.

    Examples
    --------
    >>> survey_config("tiny").n_objects, survey_config("tiny", seed=5).seed
    (320, 5)
    >>> survey_config("tiny-mixed").name, "ogle_i" in survey_config("tiny-mixed").mission_mix
    ('tiny-mixed', True)
    >>> config = survey_config("galaxies-tiny")
    >>> type(config).__name__, config.name, config.n_objects
    ('GalaxySurveyConfig', 'galaxies-tiny', 320)
    """
    if isinstance(survey, (SurveyConfig, GalaxySurveyConfig)):
        return survey
    if survey.startswith(GALAXY_SURVEY_PREFIX):
        size = survey.removeprefix(GALAXY_SURVEY_PREFIX)
        if size not in GALAXY_SIZES:
            raise ValueError(
                f"unknown galaxy survey {survey!r}; choose one of "
                + ", ".join(GALAXY_SURVEY_PREFIX + name for name in GALAXY_SIZES)
            )
        return GalaxySurveyConfig(
            name=survey,
            n_objects=GALAXY_SIZES[size],
            **({} if seed is None else {"seed": seed}),
        )
    return SurveyConfig.named(survey) if seed is None else SurveyConfig.named(survey, seed=seed)


def survey_modality(config: AnySurveyConfig) -> str:
    """The modality of a simulated survey's objects: ``"galaxy_image"`` or ``"lightcurve"``."""
    return "galaxy_image" if isinstance(config, GalaxySurveyConfig) else "lightcurve"


def generate_survey_catalog(config: AnySurveyConfig) -> pd.DataFrame:
    """The catalogue of a light-curve or galaxy survey configuration, drawn now."""
    if isinstance(config, GalaxySurveyConfig):
        return generate_galaxy_catalog(config)
    return generate_catalog(config)


def catalog_chunks(config: AnySurveyConfig) -> Iterator[pd.DataFrame]:
    """The catalogue of a light-curve or galaxy survey configuration, chunk by chunk."""
    if isinstance(config, GalaxySurveyConfig):
        return iter_galaxy_catalog_chunks(config)
    return iter_catalog_chunks(config)


def survey_catalog(
    survey: str | AnySurveyConfig = "demo", *, cache: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """The catalogue of a simulated survey, generated once and cached as Parquet.

    :func:`astrolens.simulate.generate_catalog` draws the same catalogue for the same
    configuration, simulation code, NumPy and OGLE-III catalogue; a hash of these names the
    cached file (``<cache>/catalogs/<survey>-<key>.parquet``), so that a change of any of them
    draws it anew. The ``demo`` survey takes seconds to draw and milliseconds to read.

    Parameters
    ----------
    survey
        A named size or a survey configuration.
    cache
        Root of the caches (default ``$ASTROLENS_CACHE``, see
        :func:`astrolens.files.cache_dir`); the catalogue goes to its ``catalogs`` folder.

    Raises
    ------
    CacheError
        If the cached file is unreadable (delete it).

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig
    >>> folder = tempfile.mkdtemp()
    >>> survey = SurveyConfig(name="mini", n_objects=8)
    >>> survey_catalog(survey, cache=folder).equals(generate_catalog(survey))
    True
    >>> survey_catalog(survey, cache=folder).equals(survey_catalog(survey, cache=folder))
    True
    """
    config = survey_config(survey)
    folder = _chunk_folder(config, cache)
    path = folder.parent / f"{folder.name}.parquet"
    if path.is_file():
        return _read_kept(config, path, "cached catalogue")
    if folder.is_dir():
        chunks = [survey_catalog_chunk(config, i, cache=cache) for i in range(config.n_chunks)]
        catalog = pd.concat(chunks, ignore_index=True)
    else:
        catalog = generate_survey_catalog(config)
    with written_atomically(path) as temporary:
        catalog.to_parquet(temporary, index=False)
    return catalog


def survey_catalog_key(survey: str | AnySurveyConfig) -> str:
    """What names a survey's kept catalogue: a hash of its configuration, the simulation's code,
    NumPy's version and the OGLE-III catalogue (the same key, the same rows)."""
    config = survey_config(survey)
    return stable_key(
        {"format": _CATALOG_FORMAT, "survey": config.to_dict(), "simulation": _simulation_key()}
    )


def survey_catalog_chunk(
    survey: str | AnySurveyConfig, index: int, *, cache: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Chunk ``index`` of a survey's catalogue (rows ``index * chunk_size`` on), drawn once and
    kept as ``<cache>/catalogs/<name>-<key>/chunk-<index>.parquet``; what :func:`survey_catalog`
    holds at those rows.

    Raises
    ------
    IndexError
        If the survey has no chunk ``index``.
    CacheError
        If the kept file is unreadable (delete it).

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig
    >>> folder = tempfile.mkdtemp()
    >>> survey = SurveyConfig(name="mini", n_objects=8, chunk_size=5)
    >>> chunk = survey_catalog_chunk(survey, 1, cache=folder)
    >>> whole = generate_catalog(survey)
    >>> chunk["object_id"].tolist() == whole["object_id"].iloc[5:].tolist()
    True
    >>> survey_catalog_chunk(survey, 1, cache=folder).equals(chunk)
    True
    """
    config = survey_config(survey)
    path = _chunk_folder(config, cache) / f"chunk-{index:05d}.parquet"
    if path.is_file():
        return _read_kept(config, path, "cached catalogue chunk")
    if isinstance(config, GalaxySurveyConfig):
        chunk = galaxy_catalog_chunk(config, index)
    else:
        chunk = catalog_chunk(config, index)
    with written_atomically(path) as temporary:
        chunk.to_parquet(temporary, index=False)
    return chunk


def survey_catalog_rows(
    survey: str | AnySurveyConfig,
    start: int,
    stop: int,
    *,
    cache: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Rows ``start`` to ``stop`` (excluded) of a survey's catalogue, from the kept chunks that
    hold them (:func:`survey_catalog_chunk`; drawn where missing), numbered from 0.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig
    >>> survey = SurveyConfig(name="mini", n_objects=8, chunk_size=3)
    >>> rows = survey_catalog_rows(survey, 2, 7, cache=tempfile.mkdtemp())
    >>> rows.equals(generate_catalog(survey).iloc[2:7].reset_index(drop=True))
    True
    """
    config = survey_config(survey)
    if not 0 <= start <= stop <= config.n_objects:
        raise IndexError(
            f"rows {start} to {stop} of survey {config.name!r}: it has {config.n_objects} rows"
        )
    size = config.chunk_size
    parts = [
        survey_catalog_chunk(config, index, cache=cache).iloc[
            max(start - index * size, 0) : stop - index * size
        ]
        for index in range(start // size, -(-stop // size))
    ]
    if not parts:
        return survey_catalog_chunk(config, 0, cache=cache).iloc[:0]
    return pd.concat(parts, ignore_index=True)


def _chunk_folder(config: AnySurveyConfig, cache: str | os.PathLike[str] | None) -> Path:
    return cache_folder(cache, CATALOGS_CACHE) / f"{config.name}-{survey_catalog_key(config)}"


def _read_kept(config: AnySurveyConfig, path: Path, what: str) -> pd.DataFrame:
    try:
        if isinstance(config, GalaxySurveyConfig):
            return pd.read_parquet(path)  # Parquet keeps the galaxy columns' types
        return read_catalog(path)
    except (OSError, ValueError) as error:
        raise CacheError(f"{path}: unreadable {what} ({error}); delete it") from None


def cache_folder(root: str | os.PathLike[str] | None, name: str) -> Path:
    return Path(root) / name if root is not None else cache_dir(name)


@functools.cache
def _simulation_key() -> str:
    """A hash of what a simulated catalogue depends on besides its configuration: the code of
    :mod:`astrolens.simulate`, NumPy's version (its random streams) and the OGLE-III catalogue."""
    package = Path(simulate.__file__).parent
    code = {
        str(path.relative_to(package)): file_sha256(path)
        for path in sorted(package.glob("**/*.py"))
    }
    return stable_key({"code": code, "numpy": np.__version__, "ogle3": ogle3_checksum()})
