"""From a survey and a trained model to a searchable index folder.

:func:`astrolens.embed.survey_embeddings` embeds every object of a simulated survey once (cached);
:func:`build_survey_index` turns the embeddings into a self-contained index folder
(:mod:`astrolens.index.folder`);
:func:`astrolens.search.open_search` reads the folder back as a search.
:func:`build_embeddings_index` does the same for embeddings of light-curve files
(:func:`astrolens.embed.embed_files`) and a catalogue of those objects.

An index folder (default ``indexes/<survey>-<run name>/``) holds::

    manifest.json  vectors.npy  ids.npy  faiss.index    the index (astrolens.index)
    catalog.parquet                                      the survey catalogue, every object
    survey.json                                          IndexSource: survey, catalogue, model run

It is written under a hidden name beside its final place and renamed into place whole, as
:meth:`astrolens.index.VectorIndex.save` does, so a reader finds the previous folder or the new one.

**Which model run.** The manifest's ``run`` is the run's identity (``runfolder.run_id``): ``<run
folder name>@<hash of config.json and the encoder's files>`` (``default@3f2a9c1b0d4e``). A run
retrained in place (a new ``runs/default``) has a new identity, and the same run copied elsewhere
keeps it. ``survey.json`` adds where the run folder was (``run_path``):
:func:`~astrolens.search.open_search` refuses
the index (:class:`~astrolens.errors.IndexMismatch`) when the model found there now has another
identity, or when the run it is asked to search with (``run=``) does, because embeddings of two
models cannot be compared; ``astrolens.index.load_index(folder, expected_run=run_id(run))`` refuses
it in the same way. Embeddings of files name the run folder that made them in their Parquet metadata
(``astrolens.run``); :func:`build_embeddings_index` takes the run from there, or checks it against
the one given.

**One vector per id.** Embeddings of files can hold one object twice (two Kepler quarters of one
star) while an index needs unique ids. By default :func:`build_embeddings_index` refuses them,
naming the repeated objects; ``duplicates="source"`` indexes every light curve of a repeated object
on its own, as ``"<object_id> [<file stem>]"``, with a copy of the object's catalogue row under that
id (and the file in a ``source`` column). Searches then treat the copies as the one star they are:
matches closer on the sky than :attr:`~astrolens.search.SearchConfig.duplicate_radius_arcsec` to a
better match, or to the query, are left out.

Examples
--------
>>> import tempfile
>>> from astrolens.search import open_search
>>> from astrolens.simulate import SurveyConfig
>>> work = Path(tempfile.mkdtemp())
>>> survey = SurveyConfig(name="mini", n_objects=24)
>>> folder = build_survey_index(survey, out=work / "mini", cache=work / "cache",
...                             workers=1, progress=False)
>>> search = open_search(folder)
>>> result = search.by_object("KIC 900000003", k=3)
>>> len(result), "KIC 900000003" in set(result.matches["object_id"])
(3, False)
>>> from astrolens.index.folder import read_index_source
>>> from astrolens.runfolder import default_run_path, run_id
>>> read_index_source(folder).survey, search.index.run == run_id(default_run_path())
('mini', True)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from astrolens.catalog import UnknownObject
from astrolens.datasets import survey_config
from astrolens.distributed import read_partitioned_embeddings
from astrolens.embed import Embeddings, read_embeddings, survey_embeddings
from astrolens.errors import IndexMismatch
from astrolens.fingerprint import catalog_fingerprint
from astrolens.index.folder import (
    DUPLICATE_POLICIES,
    IndexSource,
    check_replaceable,
    default_index_dir,
    is_current,
    write_index_folder,
)
from astrolens.runfolder import CONFIG_FILE, run_folder, run_id
from astrolens.simulate import CATALOG_COLUMNS, read_catalog
from astrolens.simulate.cache import AnySurveyConfig, survey_catalog

if TYPE_CHECKING:
    pass

__all__ = [
    "build_embeddings_index",
    "build_survey_index",
]


def build_survey_index(
    survey: str | AnySurveyConfig = "demo",
    run: str | os.PathLike[str] = "runs/default",
    out: str | os.PathLike[str] | None = None,
    *,
    factory: str | None = None,
    backend: str = "faiss",
    backend_options: Mapping[str, Any] | None = None,
    exclude: Iterable[str] = (),
    progress: bool = True,
    workers: int = 2,
    cache: str | os.PathLike[str] | None = None,
    stacks: str | os.PathLike[str] | None = "wavelets",
    embeddings: str | os.PathLike[str] | None = None,
) -> Path:
    """An index folder of a simulated survey's embeddings, with its catalogue; reused if current.

    A folder that already holds the index of this survey, catalogue, run, exclusions and factory
    (and passes its checksums) is returned as it is; otherwise the embeddings
    (:func:`survey_embeddings`) are indexed (:func:`astrolens.index.build_index`) and the folder
    is written atomically.

    Parameters
    ----------
    survey, run, workers, cache, stacks
        As for :func:`survey_embeddings`.
    out
        The folder (default :func:`default_index_dir`, ``indexes/<survey>-<run name>``).
    factory
        FAISS factory string (``"Flat"``, ``"IVF256,Flat"``); default: chosen by size.
    backend, backend_options
        The index backend (:func:`astrolens.index.backend_names`) and its options, e.g.
        ``"milvus"`` with ``{"uri": "http://127.0.0.1:19530"}``.
    exclude
        Object ids to leave out of the index (they stay in the catalogue), e.g. the held-out
        objects of an evaluation.
    progress
        Show progress bars.
    embeddings
        A folder of :func:`astrolens.distributed.embed_survey_dask` holding this survey's
        embeddings by this run, to index instead of computing them (:func:`survey_embeddings`).

    Returns
    -------
    pathlib.Path
        The index folder, for :func:`astrolens.search.open_search`.

    Raises
    ------
    UnknownObject
        If ``exclude`` names objects the catalogue does not have.
    IndexMismatch
        If ``embeddings`` holds another survey's or run's embeddings.
    CacheError
        If ``embeddings`` is not a finished folder of partitions.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate import SurveyConfig
    >>> work = Path(tempfile.mkdtemp())
    >>> survey = SurveyConfig(name="mini", n_objects=12)
    >>> folder = build_survey_index(survey, out=work / "index", exclude=["KIC 900000001"],
    ...                             cache=work, workers=1, progress=False)
    >>> from astrolens.index.folder import read_index_source
    >>> read_index_source(folder).n_indexed
    11
    """
    config = survey_config(survey)
    folder = run_folder(run)
    out = Path(out) if out is not None else default_index_dir(config, run)
    check_replaceable(out)
    catalog = survey_catalog(config, cache=cache)
    fingerprint = catalog_fingerprint(catalog)
    identity = run_id(folder)
    excluded = _checked_exclusions(exclude, catalog)
    wanted = IndexSource(
        survey=config.name,
        catalog_fingerprint=fingerprint.to_dict(),
        run=identity,
        run_path=str(folder.resolve()),
        embeddings="",
        survey_config=config.to_dict(),
        factory=factory,
        backend=backend,
        backend_options=dict(backend_options or {}),
        excluded=excluded,
    )
    if is_current(out, wanted):
        return out
    if embeddings is not None:
        path = Path(embeddings)
        table = read_partitioned_embeddings(path, survey=config, run=folder)
    else:
        path = survey_embeddings(
            config,
            folder,
            workers=workers,
            progress=progress,
            cache=cache,
            catalog=catalog,
            stacks=stacks,
        )
        table = read_embeddings(path)
    source = replace(wanted, embeddings=str(path.resolve()))
    return write_index_folder(out, table.object_ids, table.vectors, catalog, source, progress)


def build_embeddings_index(
    embeddings: str | os.PathLike[str],
    catalog: str | os.PathLike[str] | pd.DataFrame,
    out: str | os.PathLike[str],
    *,
    run: str | os.PathLike[str] | None = None,
    factory: str | None = None,
    backend: str = "faiss",
    backend_options: Mapping[str, Any] | None = None,
    exclude: Iterable[str] = (),
    duplicates: Literal["raise", "source"] = "raise",
    progress: bool = True,
) -> Path:
    """An index folder of embeddings of light-curve files and a catalogue of their objects.

    Parameters
    ----------
    embeddings
        A Parquet table of :func:`astrolens.embed.embed_files` (or ``embed_survey``).
    catalog
        The objects, one row each with ``object_id`` (``ra``/``dec`` for coordinate queries): a
        CSV or Parquet file or a DataFrame. Catalogues written by
        :func:`astrolens.simulate.write_survey` keep their exact column types.
    out
        The index folder to write (replaced atomically).
    run
        The run folder that made the embeddings; default: the one their metadata names. Given,
        it must be that run (same ``runfolder.run_id``) when the run named there still exists.
    factory, backend, backend_options, exclude, progress
        As for :func:`build_survey_index`.
    duplicates
        ``"raise"``: refuse an object id that has several light curves; ``"source"``: index each
        as ``"<object_id> [<file stem>]"`` (see the module's description).

    Raises
    ------
    ValueError
        For repeated object ids with ``duplicates="raise"`` (named), or an unknown policy.
    IndexMismatch
        If light curves of objects the catalogue lacks are embedded, or ``run`` is not the run
        that made the embeddings.
    FileNotFoundError
        If neither ``run`` nor the embeddings' metadata name an existing run folder.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.embed import embed_files
    >>> from astrolens.sources import example_files
    >>> work = Path(tempfile.mkdtemp())
    >>> from astrolens.search import open_search
    >>> _ = embed_files(example_files(), work / "e.parquet", workers=1, progress=False)
    >>> catalog = pd.DataFrame({"object_id": ["KIC 10002792", "EPIC 211117077", "TIC 358108509"]})
    >>> folder = build_embeddings_index(work / "e.parquet", catalog, work / "index",
    ...                                 duplicates="source", progress=False)
    >>> sorted(open_search(folder).index.ids.tolist())[:2]
    ['EPIC 211117077', 'KIC 10002792 [kplr010002792-2009259160929_llc]']
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}, got {duplicates!r}")
    check_replaceable(Path(out))
    table = read_embeddings(embeddings)
    folder = _embeddings_run(table, embeddings, run)
    frame, name = (
        (catalog, "catalogue") if isinstance(catalog, pd.DataFrame) else _read_catalog(catalog)
    )
    fingerprint = catalog_fingerprint(frame)
    object_ids = _unique_ids(table, embeddings, duplicates)
    frame = _split_duplicates(frame, table, object_ids)
    unknown = ~pd.Index(object_ids).isin(frame["object_id"].astype(str))
    if unknown.any():
        missing = [object_ids[i] for i in np.flatnonzero(unknown)[:5]]
        raise IndexMismatch(
            f"{embeddings}: {unknown.sum()} light curve(s) of objects that are not in the "
            f"{name} (e.g. {', '.join(missing)}); give the catalogue of these objects"
        )
    source = IndexSource(
        survey=name,
        catalog_fingerprint=fingerprint.to_dict(),
        run=run_id(folder),
        run_path=str(folder.resolve()),
        embeddings=str(Path(embeddings).resolve()),
        factory=factory,
        backend=backend,
        backend_options=dict(backend_options or {}),
        excluded=_checked_exclusions(exclude, frame),
        duplicates=duplicates,
    )
    return write_index_folder(Path(out), object_ids, table.vectors, frame, source, progress)


# -- internals ----------------------------------------------------------------------------------


def _checked_exclusions(exclude: Iterable[str], catalog: pd.DataFrame) -> tuple[str, ...]:
    excluded = tuple(sorted({str(object_id) for object_id in exclude}))
    unknown = ~pd.Index(excluded).isin(catalog["object_id"].astype(str))
    if unknown.any():
        missing = [excluded[i] for i in np.flatnonzero(unknown)[:5]]
        raise UnknownObject(
            f"{', '.join(missing)}: cannot be excluded, not in the catalogue "
            f"({unknown.sum()} unknown id(s))"
        )
    return excluded


def _embeddings_run(
    table: Embeddings, path: str | os.PathLike[str], run: str | os.PathLike[str] | None
) -> Path:
    """The run folder that made the embeddings: ``run``, checked against their metadata."""
    recorded = table.metadata.get("astrolens.run")
    if run is None:
        if recorded is None or not (Path(recorded) / CONFIG_FILE).is_file():
            raise FileNotFoundError(
                f"{path}: made by model run {recorded or '(not recorded)'}, which is not there; "
                "give the run folder that made these embeddings (run=, --run)"
            )
        return Path(recorded)
    folder = Path(run)
    if recorded is not None and (Path(recorded) / CONFIG_FILE).is_file():
        made_by, given = run_id(recorded), run_id(folder)
        if made_by != given:
            raise IndexMismatch(
                f"{path} was made by model run {made_by} ({recorded}), not {given} ({folder}); "
                "embeddings of two models cannot be compared"
            )
    return folder


def _read_catalog(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, str]:
    """A catalogue file: a simulated survey's with its exact types, any other as it is."""
    path = Path(path)
    if path.suffix == ".parquet":
        columns = pq.read_schema(path).names
    else:
        columns = pd.read_csv(path, nrows=0).columns.tolist()
    if "object_id" not in columns:
        raise ValueError(f"{path}: no 'object_id' column; columns: {columns}")
    if set(CATALOG_COLUMNS) <= set(columns):
        return read_catalog(path), path.name
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path, dtype={"object_id": str})
    table["object_id"] = table["object_id"].astype(str)
    return table, path.name


def _unique_ids(table: Embeddings, path: str | os.PathLike[str], duplicates: str) -> list[str]:
    """One id per vector: the object ids, with repeated ones made unique by file (or refused)."""
    ids = pd.Series(table.object_ids, dtype=object)
    repeated = ids.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return list(table.object_ids)
    if duplicates == "raise":
        names = ids[repeated].unique()
        example = names[0]
        files = [Path(table.sources[i]).name for i in np.flatnonzero(ids == example)]
        raise ValueError(
            f"{path}: {len(names)} object(s) have several light curves ({', '.join(names[:5])}; "
            f"{example}: {', '.join(files)}); an index holds one vector per id: pass "
            "duplicates='source' (--duplicates source) to index each light curve as "
            "'<object_id> [<file stem>]'"
        )
    unique = [
        f"{object_id} [{Path(source).stem}]" if twice else object_id
        for object_id, source, twice in zip(ids, table.sources, repeated, strict=True)
    ]
    still = pd.Index(unique)
    if still.has_duplicates:
        raise ValueError(
            f"{path}: the same light curve is embedded twice ({still[still.duplicated()][0]})"
        )
    return unique


def _split_duplicates(
    catalog: pd.DataFrame, table: Embeddings, object_ids: list[str]
) -> pd.DataFrame:
    """The catalogue with each repeated object's row replaced by one row per light curve."""
    renamed = [
        (original, new, source)
        for original, new, source in zip(table.object_ids, object_ids, table.sources, strict=True)
        if original != new
    ]
    if not renamed:
        return catalog
    originals = catalog["object_id"].astype(str)
    rows = []
    for original, new, source in renamed:
        row = catalog[originals == original]
        rows.append(row.assign(object_id=new, source=source))
    repeated = {original for original, _, _ in renamed}
    kept = catalog[~originals.isin(repeated)]
    return pd.concat([kept, *rows], ignore_index=True)
