"""The search service over an index folder: index, catalogue and the model run that made it.

:func:`open_search` reads a folder written by :func:`astrolens.pipeline.build_survey_index` or
:func:`astrolens.pipeline.build_embeddings_index` (its format: :mod:`astrolens.index.folder`) and
returns an :class:`IndexedSearch`: a :class:`~astrolens.search.SimilaritySearch` that knows where
its embeddings came from and embeds new queries with the model of its run, loaded the first time
one is searched for (a search by object id loads no model and no TensorFlow).

**Which model run.** The index records the identity of the run that made it
(``runfolder.run_id``: ``<run folder name>@<hash of config.json and the encoder's files>``) and
where the run folder was. :func:`open_search` refuses the index
(:class:`~astrolens.errors.IndexMismatch`) when the model found there now has another identity,
or when the run it is asked to search with (``run=``) does, because embeddings of two models
cannot be compared.

Examples
--------
>>> import tempfile
>>> from astrolens.pipeline import build_survey_index
>>> from astrolens.simulate import SurveyConfig
>>> work = Path(tempfile.mkdtemp())
>>> folder = build_survey_index(SurveyConfig(name="mini", n_objects=24), out=work / "mini",
...                             cache=work / "cache", workers=1, progress=False)
>>> search = open_search(folder)
>>> result = search.by_object("KIC 900000003", k=3)
>>> len(result), "KIC 900000003" in set(result.matches["object_id"])
(3, False)
>>> from astrolens.runfolder import default_run_path, run_id
>>> search.source.survey, search.index.run == run_id(default_run_path())
('mini', True)
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from astrolens.catalog import Catalog
from astrolens.errors import IndexMismatch, InvalidImage, InvalidLightCurve
from astrolens.index import VectorIndex, load_index
from astrolens.index.base import readable_directory
from astrolens.index.folder import CATALOG_FILE, IndexSource, read_index_source, verify_catalog
from astrolens.modalities import Item
from astrolens.preprocess import UniformSeries
from astrolens.runfolder import CONFIG_FILE, run_id
from astrolens.runs import TrainedRun, load_run
from astrolens.search.core import SearchConfig, SimilaritySearch
from astrolens.search.domain import ObjectProfile
from astrolens.wavelets import PowerImage

__all__ = [
    "PROFILES_PER_CLASS",
    "PROFILE_CACHE_SIZE",
    "SAMPLING_SAMPLE",
    "IndexedSearch",
    "open_search",
]

SAMPLING_SAMPLE = 200
"""Survey objects a search by light curve or image is compared with, in a catalogue without
classes."""

PROFILES_PER_CLASS = 30
"""Survey objects of each class a search by light curve or image is compared with."""

_PROFILES: OrderedDict[tuple[str, str], list[ObjectProfile]] = OrderedDict()
"""The survey samples of :meth:`IndexedSearch._survey_profiles`, by catalogue and run (the same
index opened again, as a server or a notebook does, does not regenerate them); the
:data:`PROFILE_CACHE_SIZE` used last."""

PROFILE_CACHE_SIZE = 8
"""Survey samples kept by one process (one per index it searches: a server of several indexes, a
notebook comparing runs); the least recently used goes first."""


class IndexedSearch(SimilaritySearch):
    """A :class:`~astrolens.search.SimilaritySearch` opened from an index folder.

    It knows where its embeddings came from (:attr:`source`) and embeds new light curves with
    the model of its run, loaded the first time one is searched for.

    Parameters
    ----------
    folder
        The index folder.
    source
        Its :class:`IndexSource`.
    run_path
        The run folder whose model embeds light curves.
    index, catalog
        As for :class:`~astrolens.search.SimilaritySearch`.
    config
        Search settings (default ``SearchConfig()``).
    """

    def __init__(
        self,
        folder: Path,
        source: IndexSource,
        run_path: Path,
        index: VectorIndex,
        catalog: Catalog,
        config: SearchConfig | None = None,
    ) -> None:
        super().__init__(
            index, catalog, encoder=self, config=config or SearchConfig(), images=self._images
        )
        self.folder = folder
        self.source = source
        self.run_path = run_path

    def __repr__(self) -> str:
        return (
            f"IndexedSearch({str(self.folder)!r}, survey={self.source.survey!r}, "
            f"run={self.source.run!r}, {len(self.index)} objects)"
        )

    @functools.cached_property
    def run(self) -> TrainedRun:
        """The trained run of the index (loaded on first use).

        Raises
        ------
        FileNotFoundError
            If the run folder is not there any more.
        IndexMismatch
            If its model is no longer the one that made the index.
        """
        if not (self.run_path / CONFIG_FILE).is_file():
            raise FileNotFoundError(
                f"{self.run_path}: the model run of the index {self.folder} is not there; "
                "searching by light curve needs it"
            )
        _check_run(self.folder, self.source, self.run_path)
        return load_run(self.run_path)

    def _images(self, row: pd.Series) -> Any:
        """Light curve and power image of a catalogue row of a simulated survey, drawn as the
        index's run prepares them (:attr:`images`); for a survey of images, its picture.

        Raises
        ------
        ValueError
            If the index is not of a simulated survey (its light curves cannot be regenerated).
        """
        if self.source.survey_config is None:
            raise ValueError(
                f"{self.folder}: the light curves of {self.source.survey} cannot be regenerated "
                "(not a simulated survey), so its matches cannot be drawn"
            )
        return self.run.picture(self.run.load_row(row))

    @property
    def query_kind(self) -> str:
        """What a query of the index's modality is called (``"lightcurve"``, ``"image"``)."""
        if not (self.run_path / CONFIG_FILE).is_file():
            return "lightcurve"
        return self.run.modality.query_kind

    def load(self, source: Any, *, label: str | None = None) -> Item:
        """Read a query once, as the index's run reads (its :class:`QueryEncoder` side)."""
        return self.run.load(source, label=label)

    def sampling(self, item: Item) -> dict[str, float]:
        """How a loaded query was observed, as the index's run reads it."""
        return self.run.sampling(item)

    def statistics(self, item: Item) -> dict[str, float]:
        """What a loaded query looks like, in named numbers, as the index's run reads it."""
        return self.run.statistics(item)

    def samples(self, item: Item) -> tuple[NDArray[np.float64], NDArray[np.float64], Any] | None:
        """A loaded query's measurements as observed, as the index's run reads them."""
        return self.run.samples(item)

    def pieces(self, item: Item, survey_samplings: Sequence[Mapping[str, float]]) -> list[Item]:
        """A loaded query as inputs like the survey's, as the index's run reads it."""
        return self.run.pieces(item, survey_samplings)

    def own_period(self, item: Item) -> float | None:
        """The period a loaded query shows by itself, as the index's run reads it."""
        return self.run.own_period(item)

    @property
    def spread_percentile(self) -> float:
        """How wide a survey class is for the domain check (the run's modality's
        :attr:`~astrolens.modalities.Modality.spread_percentile`)."""
        return self.run.modality.spread_percentile

    def _survey_profiles(self) -> list[ObjectProfile]:
        """Class, sampling and statistics of a seeded sample of a simulated survey's objects,
        regenerated: up to :data:`PROFILES_PER_CLASS` of each class (or
        :data:`SAMPLING_SAMPLE` in all without classes); none for other indexes (their light
        curves are not at hand). Made once per process for a survey and run."""
        if self.source.survey_config is None:
            return []
        key = (json.dumps(self.source.catalog_fingerprint, sort_keys=True), self.source.run)
        if key not in _PROFILES:
            _PROFILES[key] = self._regenerated_profiles()
            while len(_PROFILES) > PROFILE_CACHE_SIZE:
                _PROFILES.popitem(last=False)
        _PROFILES.move_to_end(key)
        return _PROFILES[key]

    def _regenerated_profiles(self) -> list[ObjectProfile]:
        table = self.catalog.table
        rows = _profile_rows(table, np.random.default_rng(0))
        found = []
        for number in tqdm(rows, desc="survey sample for the domain check", disable=None):
            row = table.iloc[number]
            with contextlib.suppress(InvalidLightCurve, InvalidImage):
                item = self.run.load_row(row)
                label = str(row["class"]) if "class" in table.columns else None
                found.append(
                    ObjectProfile(label, self.run.sampling(item), self.run.statistics(item))
                )
        return found

    def embed_item(self, item: Item) -> NDArray[np.float32]:
        """The embedding of a loaded query by the index's run."""
        return self.run.embed_item(item)

    def picture(self, item: Item) -> tuple[UniformSeries, PowerImage]:
        """Light curve and power image of a loaded query, as the run's model sees them (reused
        from the embedding when it computed them)."""
        return self.run.picture(item)


def _profile_rows(table: pd.DataFrame, rng: np.random.Generator) -> NDArray[np.int64]:
    """Row numbers of the survey sample: up to :data:`PROFILES_PER_CLASS` of each class, drawn
    with ``rng``, or :data:`SAMPLING_SAMPLE` of all rows when the table has no ``class``."""
    if "class" not in table.columns:
        return np.sort(rng.choice(len(table), min(SAMPLING_SAMPLE, len(table)), replace=False))
    labels = table["class"].astype(str).to_numpy()
    chosen = []
    for label in np.unique(labels):
        positions = np.flatnonzero(labels == label)
        chosen.append(rng.choice(positions, min(PROFILES_PER_CLASS, len(positions)), replace=False))
    return np.sort(np.concatenate(chosen))


def open_search(
    index_dir: str | os.PathLike[str],
    *,
    config: SearchConfig | None = None,
    run: str | os.PathLike[str] | None = None,
    verify: bool = True,
) -> IndexedSearch:
    """The search over an index folder of :func:`~astrolens.pipeline.build_survey_index` or
    :func:`~astrolens.pipeline.build_embeddings_index`: index, catalogue, and (lazily) the run's
    model.

    Parameters
    ----------
    index_dir
        The index folder.
    config
        Search settings (default ``SearchConfig()``).
    run
        The run to embed light curves with (default: the run folder the index records); it must
        be the run that made the index.
    verify
        Check the checksums of the folder's files.

    Raises
    ------
    FileNotFoundError
        If there is no index folder there.
    CorruptIndex
        If a file is missing, unreadable or modified.
    IndexMismatch
        If ``run``, or the model now in the recorded run folder, is not the run that made the
        index (the message says how to rebuild it).

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig
    >>> work = Path(tempfile.mkdtemp())
    >>> from astrolens.pipeline import build_survey_index
    >>> folder = build_survey_index(SurveyConfig(name="mini", n_objects=12), out=work / "index",
    ...                             cache=work, workers=1, progress=False)
    >>> search = open_search(folder)
    >>> search.source.n_indexed == len(search.index) == 12
    True
    """
    index_dir = Path(index_dir)
    try:
        folder = readable_directory(index_dir)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{index_dir}: no index folder there; build one with `astrolens index build`"
        ) from None
    source = read_index_source(folder)
    run_path = Path(source.run_path) if run is None else Path(run)
    if run is not None or (run_path / CONFIG_FILE).is_file():
        _check_run(index_dir, source, run_path)
    index = load_index(folder, expected_run=source.run, verify=verify)
    catalog_path = folder / CATALOG_FILE
    if verify:
        verify_catalog(catalog_path, source)
    catalog = Catalog(pd.read_parquet(catalog_path), name=f"{source.survey} catalogue")
    return IndexedSearch(index_dir, source, run_path, index, catalog, config)


# -- internals


def _check_run(index_dir: Path, source: IndexSource, run_path: Path) -> None:
    """Refuse to search the index with a run whose model is not the one that made it."""
    identity = run_id(run_path)
    if identity != source.run:
        raise IndexMismatch(
            f"{index_dir} holds embeddings of model run {source.run}, but {run_path} is "
            f"{identity} (retrained?); embeddings of two models cannot be compared: rebuild it "
            f"with `astrolens index build --run {run_path} --out {index_dir}`"
        )
