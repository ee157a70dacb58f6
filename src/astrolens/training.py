"""Train the wavelet CNN on a simulated survey into a new, self-describing run folder.

:func:`train` computes (or reads from the cache) the power images of a survey, splits the objects
into training, validation and test sets stratified by class, fits the model with class weights,
light augmentation and early stopping, evaluates it on the test set, and writes everything into
``runs/<name>/`` (see :func:`train` for the files). The folder appears complete or not at all: it
is written under a temporary name and renamed at the end, and an existing run is never
overwritten.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from numpy.typing import ArrayLike, NDArray

import astrolens
from astrolens.config import JsonConfig
from astrolens.datasets import SurveyImages, survey_config, survey_images
from astrolens.embed import Embedder
from astrolens.evaluation import (
    classification_scores,
    plot_confusion_matrix,
    plot_embedding_map,
    plot_history,
    retrieval_precision,
)
from astrolens.models import (
    CLASS_OUTPUT,
    PERIOD_OUTPUT,
    build_wavelet_cnn,
    configure_backend,
    model_inputs,
)
from astrolens.models.runs import CONFIG_FILE, MODEL_FILE
from astrolens.plots import save_figure
from astrolens.preprocess import PreprocessConfig
from astrolens.simulate import CLASSES, DEFAULT_SEED
from astrolens.wavelets import WaveletConfig

__all__ = [
    "AugmentConfig",
    "DataSplit",
    "TrainConfig",
    "augment",
    "class_weights",
    "code_version",
    "load_model_builder",
    "period_bin_centres",
    "period_targets",
    "stratified_split",
    "train",
]

RUN_FILES = (
    CONFIG_FILE,
    MODEL_FILE,
    "history.csv",
    "metrics.json",
    "data.json",
    "version.json",
    "history.png",
    "confusion_matrix.png",
    "embedding_map.png",
)
"""What every run folder holds."""

ModelBuilder = Callable[..., keras.Model]


@dataclass(frozen=True)
class AugmentConfig(JsonConfig):
    """Light, label-preserving changes to training images, drawn anew for every batch.

    Parameters
    ----------
    noise_sigma
        Standard deviation of Gaussian noise added to the valid pixels of the scaled log power
        (clipped back to [0, 1]); 0 disables it.
    time_shift
        Roll each image by a random number of time bins (the model should not care when).
    gap_probability
        Chance that an image gets a gap: a random run of time bins set to invalid (power 0).
    max_gap_fraction
        Longest gap, as a fraction of the time bins.

    Examples
    --------
    >>> AugmentConfig(noise_sigma=0.0).gap_probability
    0.3
    """

    noise_sigma: float = 0.02
    time_shift: bool = True
    gap_probability: float = 0.3
    max_gap_fraction: float = 0.25

    def __post_init__(self) -> None:
        if self.noise_sigma < 0:
            raise ValueError(f"noise_sigma must be >= 0, got {self.noise_sigma}")
        if not 0 <= self.gap_probability <= 1 or not 0 <= self.max_gap_fraction < 1:
            raise ValueError(
                "need 0 <= gap_probability <= 1 and 0 <= max_gap_fraction < 1, got "
                f"{self.gap_probability} and {self.max_gap_fraction}"
            )


@dataclass(frozen=True)
class TrainConfig(JsonConfig):
    """Everything that defines a training run; saved as ``config.json`` in the run folder.

    Parameters
    ----------
    survey
        Named simulated survey (``"tiny"``, ``"demo"``, ``"large"``) to train on.
    survey_seed
        Seed of the survey.
    seed
        Seed of the split, the weights, the batches and the augmentation.
    epochs
        Most epochs; early stopping usually ends sooner.
    batch_size
        Images per gradient step.
    learning_rate
        Initial Adam learning rate, decayed along a cosine to 1 % of it at ``epochs``.
    patience
        Epochs without a better validation loss before training stops; the best weights are kept.
    validation_fraction, test_fraction
        Fractions of the objects of each class held out for validation and for the test metrics.
    augment
        Augmentation settings (a dict in JSON).
    threads
        TensorFlow intra-op threads; None keeps TensorFlow's choice (or ``TF_NUM_INTRAOP_THREADS``).
    workers
        Processes that compute power images the first time a survey is used.
    channels
        Model input channels: 2 for power and validity mask, 1 for power only, 4 with the
        harmonic coherence (needs ``WaveletConfig(harmonic_phase=True)``).
    embedding_dim
        Size of the embedding.
    filters
        Filters of the convolution blocks of the default architecture.
    dropout
        Dropout rate of the default architecture.
    model_file
        A Python file defining ``build_model(n_classes, image_shape, channels, embedding_dim,
        filters, dropout, period_bins)`` (such as ``model.py``) to train instead of the default
        architecture (``period_bins`` is passed only when it is not 0).
    retrieval_k
        Neighbours per query for the retrieval precision.
    period_bins
        0, or the number of log-spaced period bins over the wavelet image's period range of a
        second softmax fed by the embedding (see :func:`period_targets`); it teaches the embedding
        the period, so that neighbours share it.
    period_weight
        Weight of the period loss against the class loss.
    period_sigma_bins
        Width, in bins, of the Gaussian soft label around the catalogued period.

    Examples
    --------
    >>> config = TrainConfig(survey="tiny", epochs=2, filters=[4, 8])
    >>> config.filters, TrainConfig.from_dict(config.to_dict()) == config
    ((4, 8), True)
    """

    survey: str = "demo"
    survey_seed: int = DEFAULT_SEED
    seed: int = 0
    epochs: int = 45
    batch_size: int = 128
    learning_rate: float = 2e-3
    patience: int = 8
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    augment: AugmentConfig = AugmentConfig()
    threads: int | None = 2
    workers: int = 2
    channels: int = 4
    embedding_dim: int = 64
    filters: tuple[int, ...] = (8, 16, 32, 64)
    dropout: float = 0.2
    model_file: str | None = None
    retrieval_k: int = 10
    period_bins: int = 128
    period_weight: float = 1.0
    period_sigma_bins: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.augment, Mapping):
            object.__setattr__(self, "augment", AugmentConfig.from_dict(self.augment))
        object.__setattr__(self, "filters", tuple(int(n) for n in self.filters))
        held_out = self.validation_fraction + self.test_fraction
        if not (self.validation_fraction > 0 and self.test_fraction > 0 and held_out < 1):
            raise ValueError(
                "validation_fraction and test_fraction must be positive with a sum below 1, got "
                f"{self.validation_fraction} and {self.test_fraction}"
            )
        if min(self.epochs, self.batch_size, self.patience, self.retrieval_k) < 1:
            raise ValueError("epochs, batch_size, patience and retrieval_k must be >= 1")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.period_bins < 0 or self.period_bins == 1:
            raise ValueError(f"period_bins must be 0 or at least 2, got {self.period_bins}")
        if not (self.period_weight >= 0 and self.period_sigma_bins > 0):
            raise ValueError(
                "period_weight must be >= 0 and period_sigma_bins > 0, got "
                f"{self.period_weight}, {self.period_sigma_bins}"
            )


@dataclass(frozen=True)
class DataSplit:
    """Row indices of the training, validation and test sets (sorted, disjoint)."""

    train: NDArray[np.int64]
    validation: NDArray[np.int64]
    test: NDArray[np.int64]

    def sizes(self) -> dict[str, int]:
        """Number of rows in each set."""
        return {
            "train": self.train.size,
            "validation": self.validation.size,
            "test": self.test.size,
        }


def stratified_split(
    object_ids: ArrayLike,
    labels: ArrayLike,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
) -> DataSplit:
    """Split rows into training, validation and test sets, by object and stratified by class.

    All rows of one object go to the same set. In each class, objects are shuffled and the
    first ``round(test_fraction * n)`` go to the test set, the next
    ``round(validation_fraction * n)`` to the validation set, the rest to the training set; a
    class with at least three objects has at least one in every set.

    Raises
    ------
    ValueError
        If one object has rows of two classes.

    Examples
    --------
    >>> labels = ["EA"] * 10 + ["EW"] * 10
    >>> split = stratified_split([f"KIC {i}" for i in range(20)], labels, 0.2, 0.2, seed=1)
    >>> split.sizes()
    {'train': 12, 'validation': 4, 'test': 4}
    """
    object_ids = np.asarray(object_ids, dtype=object)
    labels = np.asarray(labels, dtype=object)
    objects, first_row, object_of_row = np.unique(
        object_ids, return_index=True, return_inverse=True
    )
    object_labels = labels[first_row]
    if np.any(labels != object_labels[object_of_row]):
        raise ValueError("an object has rows of different classes; cannot stratify by object")
    rng = np.random.default_rng(seed)
    set_of_object = np.zeros(objects.size, dtype=np.int8)
    for label in sorted(set(object_labels.tolist()), key=str):
        members = rng.permutation(np.flatnonzero(object_labels == label))
        n_test, n_validation = _held_out_counts(members.size, validation_fraction, test_fraction)
        set_of_object[members[:n_test]] = 2
        set_of_object[members[n_test : n_test + n_validation]] = 1
    set_of_row = set_of_object[object_of_row]
    return DataSplit(*(np.flatnonzero(set_of_row == which) for which in range(3)))


def _held_out_counts(n: int, validation_fraction: float, test_fraction: float) -> tuple[int, int]:
    """Test and validation counts of a class of ``n`` objects (at least one each if n >= 3)."""
    floor = 1 if n >= 3 else 0
    n_test = max(floor, round(test_fraction * n))
    n_validation = max(floor, round(validation_fraction * n))
    return n_test, n_validation


def period_bin_centres(bins: int, period_range_days: tuple[float, float]) -> NDArray[np.float64]:
    """Periods of the ``bins`` log-spaced period bins over ``period_range_days``, shortest first.

    Examples
    --------
    >>> period_bin_centres(3, (1.0, 100.0)).tolist()
    [1.0, 10.0, 100.0]
    """
    return np.geomspace(*period_range_days, bins)


def period_targets(
    period_days: ArrayLike,
    bins: int,
    period_range_days: tuple[float, float],
    sigma_bins: float = 1.0,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Soft labels over log-spaced period bins, and which objects have one.

    The label of a period is a Gaussian of ``sigma_bins`` bins around its position on the grid of
    :func:`period_bin_centres`, normalised to 1 (soft labels keep the bins ordered: a near miss
    costs less than a far one). Objects without a period (NaN: stochastic variables, constant
    stars) or with a period outside the range (e.g. Miras, longer than any light curve) get an
    all-zero label and weight 0.

    Returns
    -------
    labels, weights
        ``(N, bins)`` and ``(N,)`` float32.

    Examples
    --------
    >>> labels, weights = period_targets([1.0, 10.0, np.nan, 1e4], 5, (0.1, 100.0), 0.5)
    >>> int(labels[0].argmax()), int(labels[1].argmax()), weights.tolist()
    (1, 3, [1.0, 1.0, 0.0, 0.0])
    >>> bool(np.allclose(labels[:2].sum(axis=1), 1.0)), float(labels[2:].sum())
    (True, 0.0)
    """
    periods = np.asarray(period_days, dtype=np.float64)
    low, high = period_range_days
    known = np.isfinite(periods) & (periods >= low) & (periods <= high)
    position = np.zeros(periods.shape)
    position[known] = np.log(periods[known] / low) / np.log(high / low) * (bins - 1)
    grid = np.arange(bins)
    labels = np.exp(-0.5 * ((grid[None, :] - position[:, None]) / sigma_bins) ** 2)
    labels /= labels.sum(axis=1, keepdims=True)
    labels[~known] = 0.0
    return labels.astype(np.float32), known.astype(np.float32)


def class_weights(labels: ArrayLike, n_classes: int) -> dict[int, float]:
    """Weights that make every class count as much in the loss: ``n / (n_classes * count)``.

    Classes without examples get weight 0.

    Examples
    --------
    >>> class_weights([0, 0, 0, 1], n_classes=2)
    {0: 0.667, 1: 2.0}
    """
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes)
    total = counts.sum()
    return {
        index: round(float(total / (n_classes * count)), 3) if count else 0.0
        for index, count in enumerate(counts.tolist())
    }


def augment(
    inputs: NDArray[np.float32], rng: np.random.Generator, config: AugmentConfig = AugmentConfig()
) -> NDArray[np.float32]:
    """Augmented copies of model inputs ``(N, n_periods, n_time_bins, channels)``.

    Channel 0 is the scaled log power, channel 1 (if present) the validity mask. Each image is
    rolled along the time axis, gets a gap, then noise on its valid pixels, as ``config`` says.

    Examples
    --------
    >>> x = np.full((2, 8, 16, 2), 0.5, dtype=np.float32)
    >>> a = augment(x, np.random.default_rng(3))
    >>> b = augment(x, np.random.default_rng(3))
    >>> a.shape, bool(np.array_equal(a, b)), bool(np.array_equal(a, x))
    ((2, 8, 16, 2), True, False)
    """
    out = np.array(inputs, dtype=np.float32, copy=True)
    n, _, n_bins, _ = out.shape
    if config.time_shift:
        shifts = rng.integers(0, n_bins, n)
        columns = (np.arange(n_bins)[None, :] - shifts[:, None]) % n_bins
        out = np.take_along_axis(out, columns[:, None, :, None], axis=2)
    max_gap = int(config.max_gap_fraction * n_bins)
    if max_gap >= 1:
        gapped = np.flatnonzero(rng.random(n) < config.gap_probability)
        widths = rng.integers(1, max_gap + 1, gapped.size)
        starts = rng.integers(0, n_bins - widths + 1)
        for index, start, width in zip(gapped, starts, widths, strict=True):
            out[index, :, start : start + width, :] = 0.0
    if config.noise_sigma > 0:
        valid = out[..., 1] > 0 if out.shape[-1] > 1 else out[..., 0] > 0
        noise = rng.normal(0.0, config.noise_sigma, valid.shape).astype(np.float32)
        out[..., 0] = np.clip(out[..., 0] + np.where(valid, noise, 0.0), 0.0, 1.0)
    return out


class _AugmentedBatches(keras.utils.PyDataset):
    """Shuffled, augmented training batches with targets and sample weights (arrays, or dicts of
    arrays by output name); batch ``i`` of epoch ``e`` is drawn from the generator seeded
    ``(seed, e, i)``, whatever the order Keras asks in."""

    def __init__(
        self,
        inputs: NDArray[np.float32],
        targets: NDArray[Any] | dict[str, NDArray[Any]],
        sample_weights: NDArray[np.float32] | dict[str, NDArray[np.float32]],
        batch_size: int,
        config: AugmentConfig,
        seed: int,
    ) -> None:
        super().__init__()
        self.inputs, self.targets, self.sample_weights = inputs, targets, sample_weights
        self.batch_size, self.config, self.seed = batch_size, config, seed
        self.epoch = 0

    def __len__(self) -> int:
        return math.ceil(len(self.inputs) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[NDArray, Any, Any]:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.inputs))
        rows = np.sort(order[index * self.batch_size : (index + 1) * self.batch_size])
        rng = np.random.default_rng([self.seed, self.epoch, index])
        batch = augment(self.inputs[rows], rng, self.config)
        return batch, _take(self.targets, rows), _take(self.sample_weights, rows)

    def on_epoch_end(self) -> None:
        self.epoch += 1


def _take(values: NDArray[Any] | dict[str, NDArray[Any]], rows: NDArray[np.int64]) -> Any:
    """``values[rows]`` of an array or of each array of a dict."""
    if isinstance(values, dict):
        return {name: array[rows] for name, array in values.items()}
    return values[rows]


def load_model_builder(path: str | os.PathLike[str]) -> ModelBuilder:
    """The ``build_model`` function of a Python file such as ``model.py``.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file defines no ``build_model``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    spec = importlib.util.spec_from_file_location(f"astrolens_user_model_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    builder = getattr(module, "build_model", None)
    if not callable(builder):
        raise ValueError(f"{path}: defines no function build_model(n_classes, ...)")
    return builder


def code_version() -> dict[str, Any]:
    """The astrolens version, its git commit and whether the checkout has uncommitted changes.

    ``commit`` and ``dirty`` are None when astrolens does not run from a git checkout.

    Examples
    --------
    >>> sorted(code_version())[:4]
    ['astrolens', 'commit', 'dirty', 'keras']
    """
    source = Path(astrolens.__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=source, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {
        "astrolens": astrolens.__version__,
        "commit": commit,
        "dirty": None if status is None else bool(status),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


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
    """Train a model as ``config`` says and write the run folder ``<runs_dir>/<name>/``.

    The folder holds ``config.json`` (training, preprocessing and wavelet configurations and class
    names), ``model.keras``, ``history.csv`` (per epoch), ``metrics.json`` (test accuracy,
    per-class precision, recall and F1, confusion matrix, precision@k of test embeddings among
    training embeddings), ``data.json`` (survey, catalogue fingerprint, objects per set),
    ``version.json`` (:func:`code_version`), and the figures ``history.png``,
    ``confusion_matrix.png`` and ``embedding_map.png``.

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
        Root of the wavelet cache, where the survey's power images are kept (None: not kept).
    preprocess, wavelet
        How light curves become power images.

    Returns
    -------
    pathlib.Path
        The run folder.

    Raises
    ------
    FileExistsError
        If a run called ``name`` exists already.
    """
    runs_dir = Path(runs_dir)
    final = _new_run_path(runs_dir, name, config.survey)
    started = time.perf_counter()
    version = code_version()  # the code that trains, before any later change to the checkout
    configure_backend(seed=config.seed, threads=config.threads)
    data = survey_images(
        survey_config(config.survey, config.survey_seed),
        preprocess=preprocess,
        wavelet=wavelet,
        cache_root=cache_root,
        workers=config.workers,
        progress=progress,
    )
    class_names = _class_names(data.labels)
    labels = np.array([class_names.index(label) for label in data.labels], dtype=np.int64)
    split = stratified_split(
        data.object_ids, labels, config.validation_fraction, config.test_fraction, config.seed
    )
    inputs = model_inputs(data.images, data.masks, config.channels, data.harmonics)
    model = _build(config, len(class_names), inputs.shape[1:3])
    periods = _period_targets(data.catalog, config, wavelet) if config.period_bins else None
    fit_started = time.perf_counter()
    history = _fit(model, inputs, labels, periods, split, config, progress)
    fit_seconds = time.perf_counter() - fit_started
    runs_dir.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=runs_dir, prefix=f".{final.name}-", suffix=".tmp"))
    try:
        metrics = _evaluate(
            model, inputs, labels, split, class_names, config, temporary, periods, wavelet
        )
        metrics["timing_seconds"] = {
            "fit": round(fit_seconds, 1),
            "total": round(time.perf_counter() - started, 1),
        }
        metrics["epochs_run"] = len(history)
        metrics["best_epoch"] = int(history["epoch"][history["val_loss"].idxmin()])
        metrics["n_parameters"] = int(model.count_params())
        _write_run(temporary, model, history, metrics, config, preprocess, wavelet, class_names)
        _write_json(temporary / "version.json", version)
        _write_json(temporary / "data.json", _data_description(data, split, labels, class_names))
        final = _publish(temporary, final, explicit_name=name is not None)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return final


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
    return _free_path(runs_dir / f"{survey}-{stamp}")


def _free_path(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``, ... whichever does not exist yet."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def _publish(temporary: Path, final: Path, explicit_name: bool) -> Path:
    """Rename the finished temporary folder to its final name (never onto an existing run)."""
    temporary.chmod(0o755)
    if final.exists():
        if explicit_name:
            raise FileExistsError(f"{final}: a run of this name appeared while training")
        final = _free_path(final)
    os.rename(temporary, final)
    return final


def _class_names(labels: NDArray[np.object_]) -> list[str]:
    """Classes present, in the order of :data:`astrolens.simulate.CLASSES`, others sorted after."""
    present = set(labels.tolist())
    known = [name for name in CLASSES if name in present]
    return known + sorted(present - set(known))


def _build(config: TrainConfig, n_classes: int, image_shape: Sequence[int]) -> keras.Model:
    builder = load_model_builder(config.model_file) if config.model_file else build_wavelet_cnn
    period_head = {"period_bins": config.period_bins} if config.period_bins else {}
    return builder(
        n_classes,
        image_shape=tuple(image_shape),
        channels=config.channels,
        embedding_dim=config.embedding_dim,
        filters=config.filters,
        dropout=config.dropout,
        **period_head,
    )


class _PeriodTargets(NamedTuple):
    """Soft period labels, which objects have a usable period (weight 1), and the periods."""

    labels: NDArray[np.float32]
    known: NDArray[np.float32]
    period_days: NDArray[np.float64]


def _period_targets(
    catalog: pd.DataFrame, config: TrainConfig, wavelet: WaveletConfig
) -> _PeriodTargets:
    period_days = (
        catalog["period_days"].to_numpy(dtype=np.float64)
        if "period_days" in catalog
        else np.full(len(catalog), np.nan)
    )
    labels, known = period_targets(
        period_days, config.period_bins, _range(wavelet), config.period_sigma_bins
    )
    return _PeriodTargets(labels, known, period_days)


def _fit(
    model: keras.Model,
    inputs: NDArray[np.float32],
    labels: NDArray[np.int64],
    periods: _PeriodTargets | None,
    split: DataSplit,
    config: TrainConfig,
    progress: bool,
) -> pd.DataFrame:
    """Compile and fit with early stopping on the validation loss; the history as a table.

    With a period head, the history's class columns keep their single-output names
    (``accuracy``, ``val_accuracy``); ``loss`` is the weighted sum of both losses.
    """
    weights = class_weights(labels[split.train], int(labels.max()) + 1)
    class_weight = np.array([weights[label] for label in labels.tolist()], np.float32)
    targets: NDArray[Any] | dict[str, NDArray[Any]] = labels
    sample_weights: NDArray[np.float32] | dict[str, NDArray[np.float32]] = class_weight
    loss: Any = "sparse_categorical_crossentropy"
    loss_weights = None
    metrics: Any = ["accuracy"]
    if periods is not None:
        targets = {CLASS_OUTPUT: labels, PERIOD_OUTPUT: periods.labels}
        sample_weights = {CLASS_OUTPUT: class_weight, PERIOD_OUTPUT: periods.known}
        loss = {CLASS_OUTPUT: loss, PERIOD_OUTPUT: "categorical_crossentropy"}
        loss_weights = {CLASS_OUTPUT: 1.0, PERIOD_OUTPUT: config.period_weight}
        metrics = {CLASS_OUTPUT: ["accuracy"]}
    batches = _AugmentedBatches(
        inputs[split.train],
        _take(targets, split.train),
        _take(sample_weights, split.train),
        config.batch_size,
        config.augment,
        config.seed,
    )
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=config.epochs * len(batches), alpha=0.01
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=loss,
        loss_weights=loss_weights,
        metrics=metrics,
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=config.patience, restore_best_weights=True
    )
    result = model.fit(
        batches,
        epochs=config.epochs,
        validation_data=(
            inputs[split.validation],
            _take(targets, split.validation),
            _take(sample_weights, split.validation),
        ),
        callbacks=[stop],
        verbose=2 if progress else 0,
    )
    history = pd.DataFrame(result.history).rename(
        columns=lambda name: name.replace(f"{CLASS_OUTPUT}_accuracy", "accuracy")
    )
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    return history


def _evaluate(
    model: keras.Model,
    inputs: NDArray[np.float32],
    labels: NDArray[np.int64],
    split: DataSplit,
    class_names: list[str],
    config: TrainConfig,
    folder: Path,
    periods: _PeriodTargets | None,
    wavelet: WaveletConfig,
) -> dict[str, Any]:
    """Test-set scores and retrieval precision; saves the confusion matrix and embedding map."""
    outputs = model.predict(inputs[split.test], batch_size=512, verbose=0)
    probabilities = outputs[CLASS_OUTPUT] if isinstance(outputs, dict) else outputs
    predicted = probabilities.argmax(axis=1)
    scores = classification_scores(labels[split.test], predicted, class_names)
    embedder = Embedder(model)
    test_embeddings = embedder(inputs[split.test])
    train_embeddings = embedder(inputs[split.train])
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
        folder / "confusion_matrix.png",
    )
    save_figure(
        plot_embedding_map(test_embeddings, labels[split.test], class_names, seed=config.seed),
        folder / "embedding_map.png",
    )
    metrics = {"test": scores, "retrieval": retrieval, "class_names": class_names}
    if periods is not None and isinstance(outputs, dict) and PERIOD_OUTPUT in outputs:
        metrics["period"] = _period_scores(
            outputs[PERIOD_OUTPUT], periods, split, wavelet, labels, class_names
        )
    return metrics


def _period_scores(
    period_probabilities: NDArray[np.float32],
    periods: _PeriodTargets,
    split: DataSplit,
    wavelet: WaveletConfig,
    labels: NDArray[np.int64],
    class_names: list[str],
) -> dict[str, Any]:
    """How well the period head alone gives the period of the test objects that have one."""
    known = periods.known[split.test] > 0
    period_days = periods.period_days[split.test]
    centres = np.log(period_bin_centres(period_probabilities.shape[1], _range(wavelet)))
    predicted = period_probabilities[known] @ centres  # probability-weighted mean log period
    error = np.abs(np.expm1(predicted - np.log(period_days[known])))
    test_labels = labels[split.test][known]
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


def _range(wavelet: WaveletConfig) -> tuple[float, float]:
    return (wavelet.period_min_days, wavelet.period_max_days)


def _write_run(
    folder: Path,
    model: keras.Model,
    history: pd.DataFrame,
    metrics: dict[str, Any],
    config: TrainConfig,
    preprocess: PreprocessConfig,
    wavelet: WaveletConfig,
    class_names: list[str],
) -> None:
    saved_config = {
        "train": config.to_dict(),
        "preprocess": preprocess.to_dict(),
        "wavelet": wavelet.to_dict(),
        "class_names": class_names,
    }
    _write_json(folder / CONFIG_FILE, saved_config)
    model.save(folder / MODEL_FILE)
    history.to_csv(folder / "history.csv", index=False, float_format="%.6g")
    save_figure(plot_history(history), folder / "history.png")
    _write_json(folder / "metrics.json", metrics)
    if config.model_file:
        shutil.copyfile(config.model_file, folder / "model.py")


def _data_description(
    data: SurveyImages, split: DataSplit, labels: NDArray[np.int64], class_names: list[str]
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
