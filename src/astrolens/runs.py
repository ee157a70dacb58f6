"""Trained runs on disk: load the encoder and the configurations of a run folder.

A run folder (:mod:`astrolens.runfolder`) records its modality and its encoder by name;
:func:`load_run` asks the encoder registry (:mod:`astrolens.encoders`) for the class and lets it
load its own files. :func:`load_default` loads the model shipped in ``runs/default``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from astrolens.encoders import Encoder, encoder_class
from astrolens.errors import CacheError
from astrolens.modalities import Item, Modality, modality_class
from astrolens.periodogram import PeriodogramConfig
from astrolens.preprocess import PreprocessConfig
from astrolens.runfolder import CONFIG_FILE, default_run_path, read_run_config
from astrolens.trainconfig import TrainConfig
from astrolens.wavelets import WaveletConfig

__all__ = [
    "MODALITY",
    "UNKNOWN_ENCODER",
    "TrainedRun",
    "encoder_name_or_unknown",
    "load_default",
    "load_run",
    "resolve_run",
    "run_encoder_name",
]

MODALITY = "lightcurve"
"""The modality of the runs astrolens trains now (and of runs that record none)."""


@dataclass(frozen=True, eq=False)
class TrainedRun:
    """A trained encoder with everything needed to use it on new light curves.

    Attributes
    ----------
    encoder
        The trained encoder (:class:`astrolens.encoders.Encoder`).
    config
        The training configuration (``config.encoder`` names the encoder).
    class_names
        The classes it was trained on.
    preprocess, wavelet, periodogram
        How light curves were turned into the representation the encoder was trained on; new
        light curves must go through the same.
    path
        The run folder.
    modality_name
        The modality of the run's inputs (``"lightcurve"``).
    """

    encoder: Encoder
    config: TrainConfig
    class_names: tuple[str, ...]
    preprocess: PreprocessConfig
    wavelet: WaveletConfig
    path: Path
    modality_name: str = MODALITY
    periodogram: PeriodogramConfig = PeriodogramConfig()

    @cached_property
    def modality(self) -> Modality:
        """The run's modality, configured as the run was trained (one reader configuration)."""
        saved = {
            "preprocess": self.preprocess.to_dict(),
            "wavelet": self.wavelet.to_dict(),
            "periodogram": self.periodogram.to_dict(),
        }
        return modality_class(self.modality_name).from_run_config(saved)

    def load(self, source: Any, *, label: str | None = None) -> Item:
        """Read an input once, as this run reads it (:meth:`Modality.load`)."""
        return self.modality.load(source, label=label)

    def embed_item(self, item: Item) -> NDArray[np.float32]:
        """The embedding ``(dim,)`` of a loaded input (its representation computed once)."""
        arrays = self.modality.represent(item, self.representation)
        return self.embed({name: values[None] for name, values in arrays.items()})[0]

    def load_row(self, row: Any) -> Item:
        """A simulated survey's object, regenerated from its catalogue row, as the run reads it
        (:meth:`~astrolens.modalities.Modality.load_row`)."""
        return self.modality.load_row(row)

    def picture(self, item: Item) -> Any:
        """What to draw of a loaded input (:meth:`Modality.picture`)."""
        return self.modality.picture(item)

    def sampling(self, item: Item) -> dict[str, float]:
        """How a loaded input was observed (:meth:`Modality.sampling`)."""
        return self.modality.sampling(item)

    def statistics(self, item: Item) -> dict[str, float]:
        """What a loaded input looks like, in named numbers (:meth:`Modality.statistics`)."""
        return self.modality.statistics(item)

    def samples(self, item: Item) -> tuple[NDArray[np.float64], NDArray[np.float64], Any] | None:
        """A loaded input's measurements as observed (:meth:`Modality.samples`)."""
        return self.modality.samples(item)

    def pieces(self, item: Item, survey_samplings: Sequence[Mapping[str, float]]) -> list[Item]:
        """A loaded input as inputs like the survey's (:meth:`Modality.pieces`)."""
        return self.modality.pieces(item, survey_samplings)

    def own_period(self, item: Item) -> float | None:
        """The period a loaded input shows by itself (:meth:`Modality.own_period`)."""
        return self.modality.own_period(item)

    @property
    def representation(self) -> str:
        """What the encoder reads (``"wavelet"``, ``"features"``)."""
        return self.encoder.representation

    def embed(self, batch: dict[str, NDArray[Any]]) -> NDArray[np.float32]:
        """Embeddings ``(N, dim)`` of a batch of representations (arrays by name)."""
        return self.encoder.embed(self.encoder.model_inputs(batch, self.config))


def load_run(path: str | os.PathLike[str]) -> TrainedRun:
    """Load the encoder and configuration of a run folder (safe loading: no code runs).

    Raises
    ------
    FileNotFoundError
        If the folder is not a training run.
    CacheError
        If ``config.json`` is unreadable, or names a modality or encoder astrolens lacks.

    Examples
    --------
    >>> run = load_default()
    >>> run.config.encoder, run.encoder.dim, len(run.class_names)
    ('hybrid_cnn', 64, 16)
    """
    folder = Path(path)
    saved = read_run_config(folder)
    try:
        modality = saved.get("modality", MODALITY)
        modality_class(modality)
        config = TrainConfig.from_dict(saved["train"])
        preprocess = PreprocessConfig.from_dict(saved["preprocess"])
        wavelet = WaveletConfig.from_dict(saved["wavelet"])
        periodogram = PeriodogramConfig.from_dict(saved.get("periodogram", {}))
        class_names = tuple(str(name) for name in saved["class_names"])
        encoder = encoder_class(config.encoder)
    except (ValueError, KeyError, TypeError) as error:
        raise CacheError(
            f"{folder / CONFIG_FILE}: unreadable run configuration ({error})"
        ) from error
    trained = encoder.load(folder, config, class_names)
    return TrainedRun(
        trained, config, class_names, preprocess, wavelet, folder, modality, periodogram
    )


def run_encoder_name(path: str | os.PathLike[str]) -> str:
    """The registered name of a run folder's encoder, as its ``config.json`` records it; nothing
    is loaded (no model, no TensorFlow).

    Raises
    ------
    FileNotFoundError
        If the folder is not a training run.
    CacheError
        If ``config.json`` is unreadable.

    Examples
    --------
    >>> run_encoder_name(default_run_path())
    'hybrid_cnn'
    """
    saved = read_run_config(path)
    train = saved.get("train")
    if not isinstance(train, dict):
        raise CacheError(f"{Path(path) / CONFIG_FILE}: unreadable run configuration (no 'train')")
    return str(train.get("encoder", TrainConfig.encoder))


UNKNOWN_ENCODER = "unknown"
"""What :func:`encoder_name_or_unknown` says of a run folder that is not there."""


def encoder_name_or_unknown(path: str | os.PathLike[str] | None) -> str:
    """:func:`run_encoder_name`, or :data:`UNKNOWN_ENCODER` when there is no run folder (none
    given, or gone: searches by id still work without it).

    Examples
    --------
    >>> encoder_name_or_unknown(default_run_path()), encoder_name_or_unknown("no/such/run")
    ('hybrid_cnn', 'unknown')
    """
    if path is None:
        return UNKNOWN_ENCODER
    try:
        return run_encoder_name(path)
    except FileNotFoundError:
        return UNKNOWN_ENCODER


def load_default() -> TrainedRun:
    """The default model shipped with astrolens, trained on the ``demo`` survey (``runs/default``).

    Examples
    --------
    >>> load_default().path.name
    'default'
    """
    return load_run(default_run_path())


def resolve_run(run: TrainedRun | str | os.PathLike[str] | None) -> TrainedRun:
    """A loaded run as it is, a run folder loaded, or the default run for None."""
    if isinstance(run, TrainedRun):
        return run
    return load_default() if run is None else load_run(run)
