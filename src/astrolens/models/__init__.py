"""Encoders that turn wavelet power images into embeddings, and trained runs on disk.

The default encoder is the wavelet CNN (:mod:`astrolens.models.wavelet_cnn`); ``model.py`` at the
top of the repository is where to try another architecture. :func:`load_default` loads the model
shipped in ``runs/default``.

Examples
--------
>>> from astrolens.models import build_wavelet_cnn, embedding_model
>>> embedding_model(build_wavelet_cnn(n_classes=16)).output_shape
(None, 64)
"""

from astrolens.models.backend import configure_backend
from astrolens.models.runs import TrainedRun, default_run_path, load_default, load_run
from astrolens.models.wavelet_cnn import (
    CLASS_OUTPUT,
    EMBEDDING_LAYER,
    PERIOD_OUTPUT,
    build_wavelet_cnn,
    class_probabilities,
    embedding_model,
    model_inputs,
)

__all__ = [
    "CLASS_OUTPUT",
    "EMBEDDING_LAYER",
    "PERIOD_OUTPUT",
    "TrainedRun",
    "build_wavelet_cnn",
    "class_probabilities",
    "configure_backend",
    "default_run_path",
    "embedding_model",
    "load_default",
    "load_run",
    "model_inputs",
]
