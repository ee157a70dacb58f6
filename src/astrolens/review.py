"""A closer look at trained runs: held-out predictions, the worst mistakes, runs side by side.

A run folder (:func:`astrolens.training.train`) keeps its test-set scores in ``metrics.json``;
:func:`held_out_predictions` recomputes the per-object predictions behind them (the same survey,
power images and stratified split as the training used), so that a notebook can show *which*
objects were confused and what their light curves look like. :func:`compare_runs` puts the
metrics of every run of a ``runs/`` folder into one table, :func:`plot_run_maps` their embedding
maps side by side.

Examples
--------
>>> from astrolens.runfolder import default_run_path
>>> table = compare_runs(default_run_path().parent)
>>> "default" in table.index, "test_accuracy" in table.columns
(True, True)
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from astrolens.datasets import recorded_catalog_difference
from astrolens.encoders import TrainingData
from astrolens.fingerprint import CatalogFingerprint
from astrolens.modalities.lightcurve import period_range_days
from astrolens.runfolder import CONFIG_FILE, DATA_FILE, MAP_FIGURE, METRICS_FILE, run_id
from astrolens.runs import TrainedRun, resolve_run
from astrolens.training import held_out_probabilities, run_split, run_survey_data

__all__ = [
    "HeldOutPredictions",
    "compare_runs",
    "held_out_predictions",
    "per_class_metrics",
    "plot_run_maps",
    "read_metrics",
]


@dataclass(frozen=True, eq=False)
class HeldOutPredictions:
    """What a trained model says about the objects of its test set.

    Attributes
    ----------
    catalog
        The test objects' catalogue rows, with the columns ``predicted`` (class), ``confidence``
        (probability of the predicted class), ``p_true`` (probability of the true class) and
        ``correct``.
    embeddings
        ``(N, dim)`` embeddings of the test objects, in the rows' order.
    probabilities
        ``(N, n_classes)`` class probabilities, columns in :attr:`class_names` order.
    class_names
        The run's classes.
    run
        The run folder.
    """

    catalog: pd.DataFrame
    embeddings: NDArray[np.float32]
    probabilities: NDArray[np.float32]
    class_names: tuple[str, ...]
    run: Path

    @property
    def accuracy(self) -> float:
        """Fraction of test objects whose predicted class is the true one."""
        return float(self.catalog["correct"].mean())

    @property
    def label_indices(self) -> NDArray[np.int64]:
        """Index of each object's true class in :attr:`class_names`."""
        return _class_indices(self.catalog["class"], self.class_names)

    def misclassified(self, n: int | None = None) -> pd.DataFrame:
        """The wrongly classified objects, most confidently wrong first (``n`` of them, or all)."""
        wrong = self.catalog[~self.catalog["correct"]]
        ordered = wrong.sort_values(["confidence", "object_id"], ascending=[False, True])
        return ordered if n is None else ordered.head(n)


def held_out_predictions(
    run: TrainedRun | str | os.PathLike[str] | None = None,
    *,
    cache_root: str | os.PathLike[str] | None = "wavelets",
    workers: int = 2,
    progress: bool = True,
) -> HeldOutPredictions:
    """Predictions and embeddings of a run's test objects, as its training split them off.

    The survey's power images come from the wavelet cache the training filled (computed if
    absent), the split is :func:`astrolens.training.run_split` with the run's seed and
    fractions, and the model runs in inference mode; the accuracy therefore equals the
    ``test.accuracy`` of the run's ``metrics.json``.

    Parameters
    ----------
    run
        A loaded run, a run folder, or None for the default model.
    cache_root, workers, progress
        As for :func:`astrolens.datasets.survey_data`.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.training import TrainConfig, train
    >>> folder = train(TrainConfig(survey="tiny", epochs=1, threads=None, workers=1),
    ...                tempfile.mkdtemp(), progress=False, cache_root=None)
    >>> held_out = held_out_predictions(folder, cache_root=None, workers=1, progress=False)
    >>> round(held_out.accuracy, 4) == read_metrics(folder)["test"]["accuracy"]
    True
    """
    trained = resolve_run(run)
    config = trained.config
    data = run_survey_data(trained, cache_root=cache_root, workers=workers, progress=progress)
    labels = _class_indices(data.labels, trained.class_names)
    split = run_split(data.object_ids, labels, config)
    _warn_if_data_changed(trained.path, data.catalog_fingerprint, split.sizes())
    inputs = trained.encoder.model_inputs(data.arrays, config)
    periods = period_range_days(trained.representation, trained.wavelet, trained.periodogram)
    training = TrainingData(inputs, labels, trained.class_names, data.catalog, split, periods)
    embeddings = trained.encoder.embed(inputs[split.test])
    probabilities, _ = held_out_probabilities(trained.encoder, training, test_embeddings=embeddings)
    predicted = probabilities.argmax(axis=1)
    rows = np.arange(len(predicted))
    catalog = data.catalog.iloc[split.test].reset_index(drop=True)
    names = np.asarray(trained.class_names, dtype=object)
    catalog["predicted"] = names[predicted]
    catalog["confidence"] = probabilities[rows, predicted]
    catalog["p_true"] = probabilities[rows, labels[split.test]]
    catalog["correct"] = predicted == labels[split.test]
    return HeldOutPredictions(
        catalog, embeddings, probabilities, tuple(trained.class_names), trained.path
    )


def read_metrics(run: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``metrics.json`` of a run folder.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``metrics.json``.
    """
    path = Path(run) / METRICS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{run}: not a training run (no {METRICS_FILE})")
    return json.loads(path.read_text(encoding="utf-8"))


def per_class_metrics(run: str | os.PathLike[str]) -> pd.DataFrame:
    """Precision, recall, F1, support and retrieval precision@k of each class of a run.

    Examples
    --------
    >>> from astrolens.runfolder import default_run_path
    >>> table = per_class_metrics(default_run_path())
    >>> list(table.columns)
    ['precision', 'recall', 'f1', 'support', 'precision_at_10']
    """
    metrics = read_metrics(run)
    table = pd.DataFrame(metrics["test"]["per_class"]).T
    table["support"] = table["support"].astype(int)
    retrieval = metrics["retrieval"]
    table[f"precision_at_{retrieval['k']}"] = pd.Series(retrieval["per_class"])
    table.index.name = "class"
    return table


def compare_runs(runs_dir: str | os.PathLike[str] = "runs") -> pd.DataFrame:
    """One row per complete run folder of ``runs_dir``: survey, size, time and test metrics.

    Folders being written (hidden names) and folders without a model are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by run name, sorted by it; columns ``survey``, ``epochs_run``, ``best_epoch``,
        ``n_parameters``, ``fit_seconds``, ``test_accuracy``, ``macro_f1``,
        ``retrieval_precision`` (at the run's k) and ``retrieval_k``.
    """
    records = []
    for folder in sorted(Path(runs_dir).iterdir()):
        if folder.name.startswith("."):
            continue
        try:
            run_id(folder)
        except FileNotFoundError:  # no trained encoder
            continue
        if not (folder / METRICS_FILE).is_file() or not (folder / CONFIG_FILE).is_file():
            continue
        metrics = read_metrics(folder)
        train = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))["train"]
        retrieval = metrics["retrieval"]
        records.append(
            {
                "run": folder.name,
                "survey": train["survey"],
                "encoder": train.get("encoder", "wavelet_cnn"),
                "epochs_run": metrics["epochs_run"],
                "best_epoch": metrics.get("best_epoch"),
                "n_parameters": metrics["n_parameters"],
                "fit_seconds": metrics["timing_seconds"]["fit"],
                "test_accuracy": metrics["test"]["accuracy"],
                "macro_f1": metrics["test"]["macro_f1"],
                "retrieval_precision": retrieval[f"precision_at_{retrieval['k']}"],
                "retrieval_k": retrieval["k"],
            }
        )
    columns = [
        "run",
        "survey",
        "encoder",
        "epochs_run",
        "best_epoch",
        "n_parameters",
        "fit_seconds",
        "test_accuracy",
        "macro_f1",
        "retrieval_precision",
        "retrieval_k",
    ]
    return pd.DataFrame(records, columns=columns).set_index("run")


def plot_run_maps(runs_dir: str | os.PathLike[str] = "runs", columns: int = 3) -> Figure:
    """The embedding map of every complete run of ``runs_dir`` (the t-SNE map of its test
    embeddings coloured by class, ``embedding_map.png``, drawn when it was trained), side by
    side, each titled with the run, its encoder and its retrieval precision.

    Examples
    --------
    >>> from astrolens.runfolder import default_run_path
    >>> figure = plot_run_maps(default_run_path().parent)
    >>> import json
    >>> metrics = json.loads((default_run_path() / "metrics.json").read_text())
    >>> precision = metrics["retrieval"]["precision_at_10"]
    >>> [ax.get_title() for ax in figure.axes if ax.get_title().startswith("default")] == [
    ...     f"default (hybrid_cnn): precision@10 {precision:.2f}"]
    True
    """
    import matplotlib.image
    import matplotlib.pyplot as plt

    table = compare_runs(runs_dir)
    table = table[[(Path(runs_dir) / name / MAP_FIGURE).is_file() for name in table.index]]
    if table.empty:
        raise FileNotFoundError(f"{runs_dir}: no run folder with an {MAP_FIGURE}")
    columns = min(columns, len(table))
    rows = -(-len(table) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 5 * rows), squeeze=False)
    for ax in axes.flat[len(table) :]:
        ax.remove()
    for ax, (name, run) in zip(axes.flat, table.iterrows(), strict=False):
        ax.imshow(matplotlib.image.imread(Path(runs_dir) / name / MAP_FIGURE))
        ax.set_title(
            f"{name} ({run['encoder']}): precision@{run['retrieval_k']} "
            f"{run['retrieval_precision']:.2f}"
        )
        ax.set_axis_off()
    figure.tight_layout()
    return figure


def _class_indices(labels: Any, class_names: tuple[str, ...]) -> NDArray[np.int64]:
    index_of = {name: index for index, name in enumerate(class_names)}
    unknown = sorted(set(labels) - set(index_of))
    if unknown:
        raise ValueError(f"classes {unknown} are not among the run's classes {list(class_names)}")
    return np.array([index_of[label] for label in labels], dtype=np.int64)


def _warn_if_data_changed(
    run: Path, fingerprint: CatalogFingerprint, sizes: dict[str, int]
) -> None:
    """Warn when the survey or its power images are not those the run was trained on."""
    path = run / DATA_FILE
    if not path.is_file():
        return
    trained_on = json.loads(path.read_text(encoding="utf-8"))
    difference = recorded_catalog_difference(trained_on, fingerprint)
    if difference is not None:
        problem = f"the survey differs from the one the run was trained on ({difference})"
    elif any(trained_on.get("n_objects", {}).get(part, n) != n for part, n in sizes.items()):
        problem = (
            f"the objects with a usable power image differ from the training's ({sizes} against "
            f"{trained_on['n_objects']}): the light curves or the transform have changed since"
        )
    else:
        return
    warnings.warn(f"{run}: {problem}; the split is not the training's", stacklevel=3)
