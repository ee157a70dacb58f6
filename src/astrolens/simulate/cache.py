"""Simulated survey catalogues drawn once and kept: :func:`survey_catalog`.

A catalogue is regenerated from its configuration; drawing the ``demo`` one takes seconds and the
``large`` one minutes, so it is kept as Parquet in the cache (``$ASTROLENS_CACHE/catalogs``), named
after the configuration, the simulation's code, NumPy's version (its random streams) and the
OGLE-III catalogue it draws from.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd

from astrolens import simulate
from astrolens.config import stable_key
from astrolens.errors import CacheError
from astrolens.files import cache_dir, file_sha256, written_atomically
from astrolens.simulate.ogle import ogle3_checksum
from astrolens.simulate.survey import (
    SurveyConfig,
    generate_catalog,
    read_catalog,
)

__all__ = ["CATALOGS_CACHE", "cache_folder", "survey_catalog", "survey_config"]

CATALOGS_CACHE = "catalogs"
"""Cache folder (under :func:`astrolens.files.cache_dir`) of :func:`survey_catalog`."""

_CATALOG_FORMAT = 1
"""Version of the cached survey catalogues; part of their key."""


def survey_config(survey: SurveyConfig | str, seed: int | None = None) -> SurveyConfig:
    """A survey configuration from a named size (``"tiny"``, ``"demo"``, ``"large"``; with
    ``-mixed``: ground-based surveys too, :data:`~astrolens.simulate.MIXED_CADENCE_MIX`) or as is.

    Examples
    --------
    >>> survey_config("tiny").n_objects, survey_config("tiny", seed=5).seed
    (320, 5)
    >>> survey_config("tiny-mixed").name, "ogle_i" in survey_config("tiny-mixed").mission_mix
    ('tiny-mixed', True)
    """
    if isinstance(survey, SurveyConfig):
        return survey
    return SurveyConfig.named(survey) if seed is None else SurveyConfig.named(survey, seed=seed)


def survey_catalog(
    survey: str | SurveyConfig = "demo", *, cache: str | os.PathLike[str] | None = None
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
    key = stable_key(
        {"format": _CATALOG_FORMAT, "survey": config.to_dict(), "simulation": _simulation_key()}
    )
    path = cache_folder(cache, CATALOGS_CACHE) / f"{config.name}-{key}.parquet"
    if path.is_file():
        try:
            return read_catalog(path)
        except (OSError, ValueError) as error:
            raise CacheError(f"{path}: unreadable cached catalogue ({error}); delete it") from None
    catalog = generate_catalog(config)
    with written_atomically(path) as temporary:
        catalog.to_parquet(temporary, index=False)
    return catalog


def cache_folder(root: str | os.PathLike[str] | None, name: str) -> Path:
    return Path(root) / name if root is not None else cache_dir(name)


@functools.cache
def _simulation_key() -> str:
    """A hash of what a simulated catalogue depends on besides its configuration: the code of
    :mod:`astrolens.simulate`, NumPy's version (its random streams) and the OGLE-III catalogue."""
    package = Path(simulate.__file__).parent
    code = {path.name: file_sha256(path) for path in sorted(package.glob("*.py"))}
    return stable_key({"code": code, "numpy": np.__version__, "ogle3": ogle3_checksum()})
