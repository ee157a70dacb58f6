"""The run folder: every file name a training run writes, and the run's identity.

A run folder (``runs/<name>/``, see :func:`astrolens.training.train`) holds ``config.json`` (what
defines the run: modality, encoder, training, preprocessing and wavelet configurations, class
names), the encoder's own files (``model.keras`` for a Keras encoder, ``features.json`` for the
features baseline: each encoder names them), and the results: ``metrics.json``, ``history.csv``,
``data.json``, ``version.json`` and the figures. The identity of a run (:func:`run_id`) is its
folder name and a hash of everything but the results, so an index built with one run refuses
another, and a retrained run is another run.

Examples
--------
>>> name, digest = run_id(default_run_path()).split("@")
>>> name, len(digest)
('default', 12)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from astrolens.config import stable_key
from astrolens.errors import CacheError
from astrolens.files import file_sha256

__all__ = [
    "CONFIG_FILE",
    "CONFUSION_FIGURE",
    "DATA_FILE",
    "DEFAULT_RUN_NAME",
    "HISTORY_FIGURE",
    "HISTORY_FILE",
    "MAP_FIGURE",
    "METRICS_FILE",
    "MODEL_CODE_FILE",
    "MODEL_FILE",
    "RECONSTRUCTION_FIGURE",
    "RESULT_FILES",
    "VERSION_FILE",
    "default_run_path",
    "read_run_config",
    "run_id",
]

CONFIG_FILE = "config.json"
"""What defines the run: modality, encoder, training, preprocessing, wavelet, class names."""

MODEL_FILE = "model.keras"
"""A Keras encoder's model."""

HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
DATA_FILE = "data.json"
VERSION_FILE = "version.json"
HISTORY_FIGURE = "history.png"
CONFUSION_FIGURE = "confusion_matrix.png"
MAP_FIGURE = "embedding_map.png"
RECONSTRUCTION_FIGURE = "reconstructions.png"
"""An encoder with a decoder: inputs (masked where the encoder learned to fill in), their
reconstructions and the truth, for a few test objects."""
MODEL_CODE_FILE = "model.py"
"""A copy of the architecture file a run was trained with (``astrolens train --model``)."""

RESULT_FILES = (
    HISTORY_FILE,
    METRICS_FILE,
    DATA_FILE,
    VERSION_FILE,
    HISTORY_FIGURE,
    CONFUSION_FIGURE,
    MAP_FIGURE,
    RECONSTRUCTION_FIGURE,
    MODEL_CODE_FILE,
)
"""What a run reports about itself: not part of its identity."""

DEFAULT_RUN_NAME = "default"

_CHECKOUT_RUNS = Path(__file__).resolve().parents[2] / "runs"
"""``runs/`` of the source checkout that astrolens is installed from (editable installs)."""


def run_id(run: str | os.PathLike[str]) -> str:
    """The identity of a run: ``<folder name>@<hash of config.json and the encoder's files>``.

    Two folders with the same configuration and trained encoder give the same hash; retraining
    gives another.

    Raises
    ------
    FileNotFoundError
        If the folder is not a training run.
    """
    folder = Path(run)
    if not (folder / CONFIG_FILE).is_file():
        raise FileNotFoundError(f"{folder}: not a training run (no {CONFIG_FILE})")
    names = sorted(
        path.name
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.name not in RESULT_FILES
    )
    if names == [CONFIG_FILE]:
        raise FileNotFoundError(f"{folder}: not a training run (no trained encoder in it)")
    hashes = {name: file_sha256(folder / name) for name in names}
    return f"{folder.resolve().name}@{stable_key(hashes)}"


def read_run_config(run: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``config.json`` of a run folder, as saved.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``config.json``.
    CacheError
        If it is not JSON.
    """
    path = Path(run) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{Path(run)}: not a training run (no {CONFIG_FILE})")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CacheError(f"{path}: unreadable run configuration ({error})") from error


def default_run_path() -> Path:
    """The default run: ``runs/default`` of the working directory, else of the source checkout.

    Raises
    ------
    FileNotFoundError
        If neither holds a run; ``make train`` makes one.
    """
    candidates = [Path("runs") / DEFAULT_RUN_NAME, _CHECKOUT_RUNS / DEFAULT_RUN_NAME]
    for folder in candidates:
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise FileNotFoundError(
        f"no default model in {' or '.join(str(folder) for folder in candidates)}; "
        "train one with `make train`"
    )


def run_folder(run: str | os.PathLike[str]) -> Path:
    """The run folder ``run``, or, for ``runs/default`` when the working directory has none, the
    installation's default run (:func:`astrolens.runfolder.default_run_path`).

    Examples
    --------
    >>> (run_folder("runs/default") / "config.json").is_file()
    True
    """
    folder = Path(run)
    if not (folder / CONFIG_FILE).is_file() and folder == Path("runs") / DEFAULT_RUN_NAME:
        return default_run_path()
    return folder
