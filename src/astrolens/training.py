"""Train an encoder on a simulated survey into a new, self-describing run folder.

:func:`train` is one loop for every encoder (:mod:`astrolens.encoders`, named by
``TrainConfig.encoder``): compute (or read from the cache) the representation the encoder reads of
every object of a survey, split the objects into training, validation and test sets stratified by
class, let the encoder learn (:meth:`~astrolens.encoders.Encoder.fit`), evaluate it on the test
set, and write everything into ``runs/<name>/`` (see :func:`train` for the files). The folder
appears complete or not at all: it is written under a temporary name and renamed at the end, and
an existing run is never overwritten.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

import astrolens
from astrolens.datasets import SurveyData, survey_config, survey_data
from astrolens.embed import leave_survey_embeddings
from astrolens.encoders import Encoder, TrainingData, encoder_class
from astrolens.evaluation import (
    classification_scores,
    plot_confusion_matrix,
    plot_embedding_map,
    plot_history,
    retrieval_precision,
)
from astrolens.files import free_path, written_folder
from astrolens.modalities.lightcurve import period_range_days
from astrolens.objectives import (
    CLASS_OUTPUT,
    PERIOD_OUTPUT,
    objective_class,
    period_bin_centres,
)
from astrolens.periodogram import PeriodogramConfig
from astrolens.plots import save_figure
from astrolens.preprocess import PreprocessConfig
from astrolens.runfolder import (
    CONFIG_FILE,
    CONFUSION_FIGURE,
    DATA_FILE,
    HISTORY_FIGURE,
    HISTORY_FILE,
    MAP_FIGURE,
    METRICS_FILE,
    MODEL_CODE_FILE,
    VERSION_FILE,
)
from astrolens.runs import MODALITY, TrainedRun
from astrolens.simulate import CLASSES
from astrolens.simulate.cache import survey_modality
from astrolens.splits import DataSplit, labelled_subset, stratified_split
from astrolens.trainconfig import TrainConfig
from astrolens.wavelets import WaveletConfig

__all__ = [
    "TrainConfig",
    "code_version",
    "held_out_probabilities",
    "run_split",
    "run_survey_data",
    "stratified_split",
    "train",
]


def code_version(checkout: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The astrolens version, its git commit and whether the checkout has uncommitted changes.

    ``commit`` and ``dirty`` are None when astrolens does not run from a git checkout. Changes
    under the top-level ``runs/`` folder do not make the code dirty: they are results, and
    ``make train`` asks for ``runs/default`` to be moved away before it trains it again.
    ``checkout``: a folder of the git checkout to describe (default: astrolens's own).

    Examples
    --------
    >>> sorted(code_version())[:4]
    ['astrolens', 'commit', 'dirty', 'keras']
    """
    source = Path(checkout or Path(astrolens.__file__).resolve().parent)

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=source, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = (
        git("status", "--porcelain", "--untracked-files=no", "--", ":/", ":(top,exclude)runs")
        if commit
        else None
    )
    return {
        "astrolens": astrolens.__version__,
        "commit": commit,
        "dirty": None if status is None else bool(status),
        "keras": _installed("keras"),
        "tensorflow": _installed("tensorflow-cpu") or _installed("tensorflow"),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _installed(package: str) -> str | None:
    """The installed version of a distribution, without importing it (None if absent)."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def train(
    config: TrainConfig = TrainConfig(),
    runs_dir: str | os.PathLike[str] = "runs",
    name: str | None = None,
    progress: bool = True,
    *,
    cache_root: str | os.PathLike[str] | None = "wavelets",
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
) -> Path:
    """Train the encoder ``config.encoder`` as ``config`` says into ``<runs_dir>/<name>/``.

    The folder holds ``config.json`` (modality, encoder, training, preprocessing and wavelet
    configurations, class names), the encoder's files (``model.keras`` for the wavelet CNN,
    ``features.json`` for the features baseline), ``history.csv`` (per epoch), ``metrics.json``
    (test accuracy, per-class precision, recall and F1, confusion matrix, precision@k of test
    embeddings among training embeddings), ``data.json`` (survey, catalogue fingerprint, objects
    per set), ``version.json`` (:func:`code_version`), and the figures ``history.png``,
    ``confusion_matrix.png`` and ``embedding_map.png`` (:mod:`astrolens.runfolder` names them), and
    the encoder's own figures (:meth:`~astrolens.encoders.Encoder.figures`: an autoencoder's
    ``reconstructions.png``).

    The test accuracy is that of the encoder's own class head; an encoder without one (the
    features baseline) is scored by a random forest (300 trees) trained on its training
    embeddings, the classifier astronomers use on light-curve features (Richards et al. 2011).

    Parameters
    ----------
    config
        The training configuration.
    runs_dir
        Where run folders go.
    name
        Name of the run folder; default ``<survey>-<UTC date and time>`` (with ``-2``, ``-3``, ...
        if taken).
    progress
        Show progress bars and per-epoch lines.
    cache_root
        Root of the wavelet cache, where the survey's representations are kept (None: not kept).
    preprocess, wavelet
        How light curves are cleaned and transformed.

    Returns
    -------
    pathlib.Path
        The run folder.

    Raises
    ------
    FileExistsError
        If a run called ``name`` exists already.
    ValueError
        If no encoder is registered under ``config.encoder``, or no objective under
        ``config.objective``, or the encoder does not learn that objective.
    """
    runs_dir = Path(runs_dir)
    final = _new_run_path(runs_dir, name, config.survey)
    started = time.perf_counter()
    version = code_version()  # the code that trains, before any later change to the checkout
    kind = encoder_class(config.encoder)
    objective_class(config.objective)  # an unknown objective fails before any work
    if config.objective not in kind.objectives:
        raise ValueError(
            f"the {config.encoder} encoder learns {' or '.join(map(repr, kind.objectives))}, "
            f"not {config.objective!r}: set objective={kind.objectives[0]!r}"
        )
    survey = survey_config(config.survey, config.survey_seed)
    if survey_modality(survey) != kind.modality:
        raise ValueError(
            f"the {config.encoder} encoder reads {kind.modality} data; the survey "
            f"{config.survey!r} has {survey_modality(survey)} data"
        )
    data = survey_data(
        survey,
        kind.representation,
        preprocess=preprocess,
        wavelet=wavelet,
        cache_root=cache_root,
        workers=config.workers,
        progress=progress,
    )
    class_names = tuple(_class_names(data.labels))
    labels = np.array([class_names.index(label) for label in data.labels], dtype=np.int64)
    split = run_split(data.object_ids, labels, config)
    inputs = kind.model_inputs(data.arrays, config)
    periods = period_range_days(kind.representation, wavelet)
    training = TrainingData(inputs, labels, class_names, data.catalog, split, periods)
    encoder = kind.create(config, class_names, inputs.shape[1:])
    fit_started = time.perf_counter()
    history = encoder.fit(training, progress)
    fit_seconds = time.perf_counter() - fit_started
    test_embeddings = encoder.embed(inputs[split.test])
    train_embeddings = encoder.embed(inputs[split.train])
    with written_folder(final, overwrite=False, rename_if_taken=name is None) as write:
        folder = write.staging
        metrics = _evaluate(encoder, training, folder, train_embeddings, test_embeddings)
        metrics["timing_seconds"] = {
            "fit": round(fit_seconds, 1),
            "total": round(time.perf_counter() - started, 1),
        }
        metrics["epochs_run"] = len(history)
        if "val_loss" in history:
            metrics["best_epoch"] = int(history["epoch"][history["val_loss"].idxmin()])
        metrics["n_parameters"] = encoder.n_parameters
        _write_run(folder, encoder, history, metrics, preprocess, wavelet, kind.modality)
        for file_name, figure in encoder.figures(training).items():
            save_figure(figure, folder / file_name)
        _write_json(folder / VERSION_FILE, version)
        _write_json(folder / DATA_FILE, _data_description(data, split, labels, class_names))
    if data.cached_exactly:  # indexing the survey with this run will copy them (embed_survey)
        vectors = np.empty((len(inputs), encoder.dim), dtype=np.float32)
        vectors[split.test], vectors[split.train] = test_embeddings, train_embeddings
        rest = np.setdiff1d(np.arange(len(inputs)), np.concatenate([split.test, split.train]))
        if rest.size:
            vectors[rest] = encoder.embed(inputs[rest])
        leave_survey_embeddings(data, vectors, write.target)
    return write.target


def _new_run_path(runs_dir: Path, name: str | None, survey: str) -> Path:
    """The folder of a new run; an explicit name must be free, a default one is made free."""
    if name is not None:
        if not name or name.startswith(".") or Path(name).name != name:
            raise ValueError(f"run name {name!r} must be a plain folder name")
        path = runs_dir / name
        if path.exists():
            raise FileExistsError(f"{path}: a run of this name exists; runs are never overwritten")
        return path
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return free_path(runs_dir / f"{survey}-{stamp}")


def _class_names(labels: NDArray[np.object_]) -> list[str]:
    """Classes present, in the order of :data:`astrolens.simulate.CLASSES`, others sorted after."""
    present = set(labels.tolist())
    known = [name for name in CLASSES if name in present]
    return known + sorted(present - set(known))


RANDOM_FOREST_TREES = 300
"""Trees of the random forest that scores an encoder without a class head."""


def run_split(object_ids: ArrayLike, labels: ArrayLike, config: TrainConfig) -> DataSplit:
    """The training, validation and test rows a run of ``config`` uses:
    :func:`~astrolens.splits.stratified_split` with its seed and fractions, then, with
    ``labels_per_class``, the few labelled rows of :func:`~astrolens.splits.labelled_subset`."""
    split = stratified_split(
        object_ids, labels, config.validation_fraction, config.test_fraction, config.seed
    )
    if config.labels_per_class is not None:
        split = labelled_subset(split, labels, config.labels_per_class, config.seed)
    return split


def run_survey_data(
    run: TrainedRun,
    representation: str | None = None,
    *,
    cache_root: str | os.PathLike[str] | None = "wavelets",
    workers: int = 2,
    progress: bool = True,
) -> SurveyData:
    """The survey a run was trained on, represented as the run reads it (its cleaning, wavelet
    transform and periodogram): :func:`~astrolens.datasets.survey_data` with the run's settings,
    for the run's own representation or another one (``"periodogram"``)."""
    config = run.config
    return survey_data(
        survey_config(config.survey, config.survey_seed),
        representation or run.representation,
        preprocess=run.preprocess,
        wavelet=run.wavelet,
        periodogram=run.periodogram,
        cache_root=cache_root,
        workers=workers,
        progress=progress,
    )


def held_out_probabilities(
    encoder: Encoder,
    data: TrainingData,
    train_embeddings: NDArray[np.float32] | None = None,
    test_embeddings: NDArray[np.float32] | None = None,
    heads: dict[str, NDArray[np.float32]] | None = None,
) -> tuple[NDArray[np.float64], str]:
    """Class probabilities of the test objects, and which classifier gave them.

    The encoder's own class head if it has one; otherwise a random forest
    (:data:`RANDOM_FOREST_TREES` trees, seeded by the run) trained on the training embeddings, as
    :func:`train` scores such an encoder. Embeddings and head outputs of the test objects
    already computed can be passed in.
    """
    split = data.split
    if heads is None:
        heads = encoder.heads(data.inputs[split.test])
    probabilities = heads.get(CLASS_OUTPUT)
    if probabilities is not None:
        return probabilities.astype(np.float64), "the encoder's class head"
    if train_embeddings is None:
        train_embeddings = encoder.embed(data.inputs[split.train])
    if test_embeddings is None:
        test_embeddings = encoder.embed(data.inputs[split.test])
    probabilities = _forest_probabilities(
        train_embeddings,
        data.labels[split.train],
        test_embeddings,
        len(data.class_names),
        encoder.config,
    )
    return probabilities, f"random forest ({RANDOM_FOREST_TREES} trees) on the training embeddings"


def _evaluate(
    encoder: Encoder,
    data: TrainingData,
    folder: Path,
    train_embeddings: NDArray[np.float32],
    test_embeddings: NDArray[np.float32],
) -> dict[str, Any]:
    """Test-set scores and retrieval precision; saves the confusion matrix and embedding map."""
    split, labels, class_names, config = data.split, data.labels, data.class_names, encoder.config
    heads = encoder.heads(data.inputs[split.test])
    probabilities, classifier = held_out_probabilities(
        encoder, data, train_embeddings, test_embeddings, heads
    )
    predicted = probabilities.argmax(axis=1)
    scores = classification_scores(labels[split.test], predicted, list(class_names))
    scores["classifier"] = classifier
    k = min(config.retrieval_k, split.train.size)
    precision = retrieval_precision(
        test_embeddings, labels[split.test], train_embeddings, labels[split.train], k
    )
    per_class = {
        name: round(float(precision[labels[split.test] == index].mean()), 4)
        for index, name in enumerate(class_names)
        if np.any(labels[split.test] == index)
    }
    retrieval = {
        "k": k,
        "distance": "euclidean",
        "queries": "test embeddings",
        "references": "training embeddings",
        f"precision_at_{k}": round(float(precision.mean()), 4),
        "per_class": per_class,
    }
    save_figure(
        plot_confusion_matrix(scores["confusion_matrix"], class_names),
        folder / CONFUSION_FIGURE,
    )
    save_figure(
        plot_embedding_map(test_embeddings, labels[split.test], class_names, seed=config.seed),
        folder / MAP_FIGURE,
    )
    metrics = {"test": scores, "retrieval": retrieval, "class_names": list(class_names)}
    if PERIOD_OUTPUT in heads:
        metrics["period"] = _period_scores(heads[PERIOD_OUTPUT], data)
    return metrics


def _forest_probabilities(
    train: NDArray[np.float32],
    train_labels: NDArray[np.int64],
    test: NDArray[np.float32],
    n_classes: int,
    config: TrainConfig,
) -> NDArray[np.float64]:
    from sklearn.ensemble import RandomForestClassifier

    forest = RandomForestClassifier(
        RANDOM_FOREST_TREES, random_state=config.seed, n_jobs=config.threads
    ).fit(train, train_labels)
    probabilities = np.zeros((len(test), n_classes))
    probabilities[:, forest.classes_] = forest.predict_proba(test)
    return probabilities


def _period_scores(period_probabilities: NDArray[np.float32], data: TrainingData) -> dict[str, Any]:
    """How well the period head alone gives the period of the test objects that have one."""
    split, class_names = data.split, data.class_names
    low, high = data.period_range_days
    period_days = data.period_days[split.test]
    known = np.isfinite(period_days) & (period_days >= low) & (period_days <= high)
    centres = np.log(period_bin_centres(period_probabilities.shape[1], data.period_range_days))
    predicted = period_probabilities[known] @ centres  # probability-weighted mean log period
    error = np.abs(np.expm1(predicted - np.log(period_days[known])))
    test_labels = data.labels[split.test][known]
    return {
        "n": int(known.sum()),
        "within_5_percent": round(float(np.mean(error <= 0.05)), 4),
        "median_relative_error": round(float(np.median(error)), 4),
        "within_5_percent_per_class": {
            name: round(float(np.mean(error[test_labels == index] <= 0.05)), 4)
            for index, name in enumerate(class_names)
            if np.any(test_labels == index)
        },
    }


def _write_run(
    folder: Path,
    encoder: Encoder,
    history: pd.DataFrame,
    metrics: dict[str, Any],
    preprocess: PreprocessConfig,
    wavelet: WaveletConfig,
    modality: str = MODALITY,
) -> None:
    config = encoder.config
    saved_config = {
        "modality": modality,
        "train": config.to_dict(),
        "preprocess": preprocess.to_dict(),
        "wavelet": wavelet.to_dict(),
        "periodogram": PeriodogramConfig().to_dict(),
        "class_names": list(encoder.class_names),
    }
    _write_json(folder / CONFIG_FILE, saved_config)
    encoder.save(folder)
    history.to_csv(folder / HISTORY_FILE, index=False, float_format="%.6g")
    loss_label = objective_class(config.objective).loss_label
    save_figure(plot_history(history, loss_label), folder / HISTORY_FIGURE)
    _write_json(folder / METRICS_FILE, metrics)
    if config.model_file:
        shutil.copyfile(config.model_file, folder / MODEL_CODE_FILE)


def _data_description(
    data: SurveyData, split: DataSplit, labels: NDArray[np.int64], class_names: tuple[str, ...]
) -> dict[str, Any]:
    per_class = {
        part: dict(
            zip(
                class_names,
                np.bincount(labels[rows], minlength=len(class_names)).tolist(),
                strict=True,
            )
        )
        for part, rows in (
            ("train", split.train),
            ("validation", split.validation),
            ("test", split.test),
        )
    }
    return {
        "survey": data.survey.name,
        "survey_config": data.survey.to_dict(),
        "catalog_fingerprint": data.catalog_fingerprint.to_dict(),
        "n_objects": {**split.sizes(), "skipped": len(data.skipped)},
        "objects_per_class": per_class,
        "skipped": [list(pair) for pair in data.skipped],
    }


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
