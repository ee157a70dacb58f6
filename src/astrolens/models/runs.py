"""Trained models on disk: the run folders of ``astrolens train`` and the default run.

A run folder (see :func:`astrolens.training.train`) holds ``model.keras`` and ``config.json`` with
the training, preprocessing and wavelet configurations and the class names; :func:`load_run`
reads them back, loading the model with ``safe_mode=True``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import keras

from astrolens.errors import CacheError
from astrolens.preprocess import PreprocessConfig
from astrolens.wavelets import WaveletConfig

if TYPE_CHECKING:
    from astrolens.training import TrainConfig

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_RUN_NAME",
    "MODEL_FILE",
    "TrainedRun",
    "default_run_path",
    "load_default",
    "load_run",
]

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"
DEFAULT_RUN_NAME = "default"

_CHECKOUT_RUNS = Path(__file__).resolve().parents[3] / "runs"
"""``runs/`` of the source checkout that astrolens is installed from (editable installs)."""


@dataclass(frozen=True, eq=False)
class TrainedRun:
    """A trained model with everything needed to use it on new light curves.

    Attributes
    ----------
    model
        The classifier; its layer ``"embedding"`` gives the embedding.
    config
        The training configuration.
    class_names
        Class of each output unit of the model.
    preprocess, wavelet
        How light curves were turned into the power images the model was trained on; new light
        curves must go through the same.
    path
        The run folder.
    """

    model: keras.Model
    config: TrainConfig
    class_names: tuple[str, ...]
    preprocess: PreprocessConfig
    wavelet: WaveletConfig
    path: Path


def load_run(path: str | os.PathLike[str]) -> TrainedRun:
    """Load the model and configuration of a run folder (``safe_mode=True``).

    Raises
    ------
    FileNotFoundError
        If the folder has no ``model.keras`` or ``config.json``.
    CacheError
        If ``config.json`` is unreadable.

    Examples
    --------
    >>> run = load_default()
    >>> run.model.get_layer("embedding").output.shape[-1], len(run.class_names)
    (64, 16)
    """
    from astrolens.training import TrainConfig

    folder = Path(path)
    for name in (MODEL_FILE, CONFIG_FILE):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder}: not a training run (no {name})")
    try:
        saved = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        config = TrainConfig.from_dict(saved["train"])
        preprocess = PreprocessConfig.from_dict(saved["preprocess"])
        wavelet = WaveletConfig.from_dict(saved["wavelet"])
        class_names = tuple(str(name) for name in saved["class_names"])
    except (ValueError, KeyError, TypeError) as error:
        raise CacheError(
            f"{folder / CONFIG_FILE}: unreadable run configuration ({error})"
        ) from error
    model = keras.saving.load_model(folder / MODEL_FILE, compile=False, safe_mode=True)
    return TrainedRun(model, config, class_names, preprocess, wavelet, folder)


def default_run_path() -> Path:
    """The default run: ``runs/default`` of the working directory, else of the source checkout.

    Raises
    ------
    FileNotFoundError
        If neither holds a model; ``make train`` makes one.
    """
    candidates = [Path("runs") / DEFAULT_RUN_NAME, _CHECKOUT_RUNS / DEFAULT_RUN_NAME]
    for folder in candidates:
        if (folder / MODEL_FILE).is_file():
            return folder
    raise FileNotFoundError(
        f"no default model in {' or '.join(str(folder) for folder in candidates)}; "
        "train one with `make train`"
    )


def load_default() -> TrainedRun:
    """The default model shipped with astrolens, trained on the ``demo`` survey (``runs/default``).

    Examples
    --------
    >>> load_default().path.name
    'default'
    """
    return load_run(default_run_path())
