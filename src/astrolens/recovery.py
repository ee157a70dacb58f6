"""What the neighbours say about a star it has never seen: held-out recovery of the period.

The question: give astrolens the light curve of a periodic variable that is not in its index;
do the catalogued periods of its ``k`` nearest neighbours tell its period? The held-out objects
are the test set of a training run, rebuilt exactly from what the run folder records
(:func:`training_split`); the index holds the run's training and validation objects
(:func:`astrolens.pipeline.build_survey_index` with the test set excluded), so neither the model
nor the index has seen a query. For each query, the median of its matches' ``period_days``
(:func:`astrolens.search.parameter_distributions`) is compared with its true period
(:func:`period_recovery`), and :func:`recovery_summary` gives, overall and per class, the
fraction of queries whose median lies within a relative tolerance (5 %) of the truth and the
fraction whose 16th-84th percentile band holds it.

Examples
--------
>>> recovery = pd.DataFrame({"class": ["EA", "EA", "RRab"], "within_tolerance": [True, False, True],
...                          "in_band": [True, True, False], "relative_error": [0.01, 0.3, 0.02]})
>>> summary = recovery_summary(recovery)
>>> int(summary.at["all", "n"]), float(summary.at["all", "fraction_within"])
(3, 0.6667)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from astrolens.catalog import column_label
from astrolens.datasets import recorded_catalog_difference
from astrolens.embed import read_embeddings, survey_embeddings
from astrolens.errors import CacheError
from astrolens.fingerprint import catalog_fingerprint
from astrolens.pipeline import build_survey_index
from astrolens.runfolder import CONFIG_FILE, DATA_FILE, run_folder
from astrolens.search import SimilaritySearch, open_search, parameter_distributions
from astrolens.simulate import SurveyConfig
from astrolens.simulate.cache import survey_catalog
from astrolens.splits import DataSplit
from astrolens.trainconfig import TrainConfig
from astrolens.training import run_split

__all__ = [
    "HeldOutRecovery",
    "RunSplit",
    "held_out_period_recovery",
    "period_recovery",
    "plot_period_recovery",
    "recovery_summary",
    "same_class_recovery",
    "training_split",
]

"""What a run folder records about its data (see :func:`astrolens.training.train`)."""


@dataclass(frozen=True, eq=False)
class RunSplit:
    """The objects a run was trained on and how they were split.

    Attributes
    ----------
    catalog
        Catalogue rows of the objects the run used (those with a power image), index reset, in
        the order the run saw them; the split's row numbers point into it.
    split
        Training, validation and test row numbers.
    survey
        The survey configuration.
    """

    catalog: pd.DataFrame
    split: DataSplit
    survey: SurveyConfig

    def object_ids(self, part: str) -> list[str]:
        """The object ids of ``"train"``, ``"validation"`` or ``"test"``."""
        rows = getattr(self.split, part)
        return self.catalog["object_id"].iloc[rows].astype(str).tolist()


def training_split(
    run: str | os.PathLike[str], *, cache: str | os.PathLike[str] | None = None
) -> RunSplit:
    """Rebuild, exactly, the training/validation/test split of a training run.

    The run folder records the survey configuration and its catalogue's fingerprint, the objects
    left out (no usable light curve), the class names, the split's seed and fractions, and the
    objects per class of each set (``config.json``, ``data.json``). The catalogue is regenerated
    (or read from the cache, :func:`~astrolens.simulate.cache.survey_catalog`, whose root ``cache``
    is)
    and checked against the fingerprint (which allows another CPU's last-bit rounding), and
    :func:`astrolens.training.run_split` is called as training called it; the counts per
    class are checked against the record (the record does not say which object went where, so a
    split drawn with another seed would pass this check).

    Raises
    ------
    FileNotFoundError
        If the folder lacks ``config.json`` or ``data.json``.
    CacheError
        If the regenerated catalogue or split differs from what the run recorded (the simulation
        changed since the run was trained).

    Examples
    --------
    >>> from astrolens.runfolder import default_run_path
    >>> data = training_split(default_run_path())  # doctest: +SKIP
    >>> len(data.object_ids("test"))  # doctest: +SKIP
    3007
    """
    folder = Path(run)
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    data = json.loads((folder / DATA_FILE).read_text(encoding="utf-8"))
    train_config = TrainConfig.from_dict(config["train"])
    class_names = list(config["class_names"])
    survey = SurveyConfig.from_dict(data["survey_config"])
    catalog = survey_catalog(survey, cache=cache)
    difference = recorded_catalog_difference(data, catalog_fingerprint(catalog))
    if difference is not None:
        raise CacheError(
            f"{folder / DATA_FILE}: the {survey.name} catalogue generated now differs from the "
            f"one the run was trained on ({difference}); the simulation changed since: retrain "
            "the run"
        )
    skipped = {object_id for object_id, _ in data["skipped"]}
    used = catalog[~catalog["object_id"].isin(skipped)].reset_index(drop=True)
    labels = np.array([class_names.index(name) for name in used["class"]], dtype=np.int64)
    split = run_split(used["object_id"], labels, train_config)
    for part, recorded in data["objects_per_class"].items():
        counts = np.bincount(labels[getattr(split, part)], minlength=len(class_names))
        if dict(zip(class_names, counts.tolist(), strict=True)) != recorded:
            raise CacheError(
                f"{folder}: the {part} set rebuilt from the run's record does not have the "
                f"objects per class it records; the split cannot be reproduced"
            )
    return RunSplit(used, split, survey)


def period_recovery(
    search: SimilaritySearch,
    queries: pd.DataFrame,
    vectors: ArrayLike,
    *,
    k: int = 10,
    column: str = "period_days",
    tolerance: float = 0.05,
) -> pd.DataFrame:
    """How well the matches of each query give its ``column`` (its period).

    Parameters
    ----------
    search
        A search whose index does not hold the queries.
    queries
        Catalogue rows of the query objects (``object_id``, ``class``, ``column``).
    vectors
        Their embeddings, row by row.
    k
        Matches per query.
    column
        The catalogue column to recover.
    tolerance
        Largest relative error of the median counted as recovered.

    Returns
    -------
    pandas.DataFrame
        One row per query: ``object_id``, ``class``, ``true``, the matches' ``median``, ``p16``,
        ``p84`` and ``n`` (matches with a value), ``relative_error`` (median / true - 1),
        ``within_tolerance`` and ``in_band`` (p16 <= true <= p84).

    Examples
    --------
    >>> from astrolens.catalog import Catalog
    >>> from astrolens.index import build_index
    >>> table = pd.DataFrame({"object_id": ["a", "b", "c"], "class": ["EA"] * 3,
    ...                       "period_days": [1.0, 1.02, 5.0]})
    >>> search = SimilaritySearch(build_index([[0.0], [0.1], [5.0]], table["object_id"],
    ...                                       run="demo", progress=False), Catalog(table))
    >>> queries = pd.DataFrame({"object_id": ["q"], "class": ["EA"], "period_days": [1.0]})
    >>> period_recovery(search, queries, [[0.05]], k=2)[["median", "within_tolerance"]]
       median  within_tolerance
    0    1.01              True
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) != len(queries):
        raise ValueError(f"{len(queries)} queries but {len(vectors)} embeddings")
    matches = (search.by_vector(vector, k).matches for vector in vectors)
    return _recovery_table(queries, matches, column, tolerance)


def same_class_recovery(
    references: pd.DataFrame,
    queries: pd.DataFrame,
    *,
    k: int = 10,
    column: str = "period_days",
    tolerance: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """The baseline of :func:`period_recovery`: ``k`` references of the query's class at random.

    What the matches would say if the embedding knew a query's class and nothing else.

    Parameters
    ----------
    references
        Catalogue rows to draw from (``class``, ``column``): the indexed objects.
    queries, k, column, tolerance
        As for :func:`period_recovery`.
    seed
        Seed of the draws.

    Returns
    -------
    pandas.DataFrame
        As :func:`period_recovery`.

    Examples
    --------
    >>> references = pd.DataFrame({"class": ["EA"] * 3, "period_days": [1.0, 1.0, 1.0]})
    >>> queries = pd.DataFrame({"object_id": ["q"], "class": ["EA"], "period_days": [1.02]})
    >>> bool(same_class_recovery(references, queries, k=2)["within_tolerance"][0])
    True
    """
    rng = np.random.default_rng(seed)
    by_class = {name: group for name, group in references.groupby("class", sort=False)}
    empty = references.iloc[:0]

    def draw(name: str) -> pd.DataFrame:
        members = by_class.get(name, empty)
        return members.iloc[rng.choice(len(members), min(k, len(members)), replace=False)]

    matches = (draw(name) for name in queries["class"])
    return _recovery_table(queries, matches, column, tolerance)


def recovery_summary(recovery: pd.DataFrame) -> pd.DataFrame:
    """Per class and overall (``"all"``): queries, fraction recovered, fraction in the band.

    Returns
    -------
    pandas.DataFrame
        Indexed by class, then ``"all"``: ``n``, ``fraction_within``, ``fraction_in_band`` and
        ``median_abs_error`` (median absolute relative error), rounded to 4 digits.
    """

    def summarise(group: pd.DataFrame) -> pd.Series:
        return pd.Series(
            {
                "n": len(group),
                "fraction_within": round(float(group["within_tolerance"].mean()), 4),
                "fraction_in_band": round(float(group["in_band"].mean()), 4),
                "median_abs_error": round(float(np.nanmedian(np.abs(group["relative_error"]))), 4),
            }
        )

    per_class = {name: summarise(group) for name, group in recovery.groupby("class", sort=False)}
    per_class["all"] = summarise(recovery)
    frame = pd.DataFrame(per_class).T
    frame["n"] = frame["n"].astype(np.int64)
    return frame


def plot_period_recovery(
    recovery: pd.DataFrame, *, tolerance: float = 0.05, column: str = "period_days"
) -> Figure:
    """True against recovered (median of the matches) values, log-log, one colour per class.

    Error bars span the 16th-84th percentiles of the matches; the grey band is the tolerance.

    Examples
    --------
    >>> recovery = pd.DataFrame({"class": ["EA", "RRab"], "true": [2.0, 0.5],
    ...                          "median": [2.1, 0.5], "p16": [1.9, 0.4], "p84": [2.3, 0.6]})
    >>> len(plot_period_recovery(recovery).axes[0].get_legend().get_texts())
    2
    """
    figure, ax = plt.subplots(figsize=(7.5, 6.5), layout="constrained")
    limits = np.array(
        [
            np.nanmin(recovery[["true", "p16"]].to_numpy()),
            np.nanmax(recovery[["true", "p84"]].to_numpy()),
        ]
    )
    limits = limits * np.array([0.7, 1.4])
    line = np.geomspace(*limits, 50)
    ax.fill_between(line, line * (1 - tolerance), line * (1 + tolerance), color="0.85", lw=0)
    ax.plot(line, line, color="0.4", lw=0.8)
    for number, (name, group) in enumerate(recovery.groupby("class", sort=False)):
        errors = np.abs(group[["p16", "p84"]].to_numpy().T - group["median"].to_numpy())
        ax.errorbar(
            group["true"],
            group["median"],
            yerr=errors,
            linestyle="none",
            ms=2.5,
            lw=0.4,
            alpha=0.6,
            color=f"C{number % 10}",
            marker="os^"[number // 10 % 3],
            label=str(name),
        )
    ax.set(xscale="log", yscale="log", xlim=limits, ylim=limits)
    ax.set_xlabel(f"true {column_label(column)}")
    ax.set_ylabel(f"median of the matches' {column_label(column)}")
    ax.legend(fontsize=7, ncols=2, markerscale=2)
    return figure


def _recovery_table(
    queries: pd.DataFrame, matches: Iterable[pd.DataFrame], column: str, tolerance: float
) -> pd.DataFrame:
    """The table of :func:`period_recovery` from the matches of each query."""
    summaries = [parameter_distributions(found, [column]).loc[column] for found in matches]
    truth = queries[column].to_numpy(dtype=np.float64)
    frame = pd.DataFrame(summaries, columns=["median", "p16", "p84", "n"]).reset_index(drop=True)
    frame.insert(0, "true", truth)
    frame.insert(0, "class", queries["class"].to_numpy())
    frame.insert(0, "object_id", queries["object_id"].to_numpy())
    frame["n"] = frame["n"].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["relative_error"] = frame["median"] / truth - 1.0
    frame["within_tolerance"] = np.abs(frame["relative_error"]) <= tolerance
    frame["in_band"] = (frame["p16"] <= truth) & (truth <= frame["p84"])
    return frame


@dataclass(frozen=True, eq=False)
class HeldOutRecovery:
    """What :func:`held_out_period_recovery` found.

    Attributes
    ----------
    matches
        :func:`period_recovery` of the test objects: their neighbours in embedding space.
    same_class
        :func:`same_class_recovery` of the same objects: the baseline.
    index_dir
        The index folder of the training and validation objects.
    """

    matches: pd.DataFrame
    same_class: pd.DataFrame
    index_dir: Path


def held_out_period_recovery(
    run: str | os.PathLike[str] = "runs/default",
    *,
    index_dir: str | os.PathLike[str] | None = None,
    k: int = 10,
    tolerance: float = 0.05,
    column: str = "period_days",
    max_per_class: int | None = None,
    seed: int = 0,
    workers: int = 2,
    progress: bool = True,
    cache: str | os.PathLike[str] | None = None,
) -> HeldOutRecovery:
    """:func:`period_recovery` of a run's test objects against its training and validation ones.

    Parameters
    ----------
    run
        The training run (its survey is the one searched).
    index_dir
        Folder of the index of the training and validation objects (default:
        ``indexes/<survey>-<run name>-heldout``); reused when current.
    k, tolerance, column
        As for :func:`period_recovery`.
    max_per_class
        Use at most this many test objects per class (the first ones; None: all).
    seed
        Seed of the baseline's draws (:func:`same_class_recovery`).
    workers, progress, cache
        As for :func:`astrolens.embed.survey_embeddings`.

    Returns
    -------
    HeldOutRecovery
        The tables of :func:`period_recovery` and of its baseline for the test objects with a
        finite ``column`` and an embedding.
    """
    folder = run_folder(run)
    data = training_split(folder, cache=cache)
    test = data.catalog.iloc[data.split.test]
    out = index_dir or Path("indexes") / f"{data.survey.name}-{folder.resolve().name}-heldout"
    index = build_survey_index(
        data.survey,
        folder,
        out,
        exclude=test["object_id"],
        progress=progress,
        workers=workers,
        cache=cache,
    )
    embeddings = read_embeddings(
        survey_embeddings(data.survey, folder, workers=workers, progress=progress, cache=cache)
    )
    position = pd.Index(embeddings.object_ids)
    queries = test[np.isfinite(test[column]) & test["object_id"].isin(position)]
    if max_per_class is not None:
        queries = queries.groupby("class", sort=False).head(max_per_class)
    vectors = embeddings.vectors[position.get_indexer(queries["object_id"])]
    search = open_search(index)
    references = search.catalog.rows(search.index.ids)
    return HeldOutRecovery(
        matches=period_recovery(search, queries, vectors, k=k, column=column, tolerance=tolerance),
        same_class=same_class_recovery(
            references, queries, k=k, column=column, tolerance=tolerance, seed=seed
        ),
        index_dir=index,
    )
