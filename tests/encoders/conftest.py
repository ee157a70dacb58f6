"""Shared data of the galaxy encoder tests: the tiny galaxy survey's cutouts, test pictures, a
small training configuration."""

from __future__ import annotations

import numpy as np
import pytest

from astrolens.cutouts import normalised_cutouts
from astrolens.datasets import survey_data
from astrolens.trainconfig import TrainConfig


@pytest.fixture(scope="session")
def survey_cache(tmp_path_factory):
    """The tiny galaxy survey's cutouts, in pytest's base temporary folder: simulated once for
    the galaxy encoder tests."""
    return tmp_path_factory.getbasetemp() / "galaxies-tiny-cache"


@pytest.fixture(scope="session")
def cutouts(survey_cache):
    """60 normalised cutouts of the tiny galaxy survey, their classes and the class names."""
    survey = survey_data("galaxies-tiny", "cutout", cache_root=survey_cache, progress=False)
    names = sorted(set(survey.labels.tolist()))
    labels = np.array([names.index(label) for label in survey.labels[:60]])
    return normalised_cutouts(survey.arrays["cutout"][:60]), labels, tuple(names)


def _bars_off_centre(n: int = 3, seed: int = 0) -> np.ndarray:
    """Asymmetric pictures ``(n, 64, 64, 3)``: a bright bar off centre on noise."""
    x = np.random.default_rng(seed).normal(0.0, 0.05, (n, 64, 64, 3)).astype(np.float32)
    x[:, 20:30, 36:50, :] += 1.0
    return x


@pytest.fixture
def pictures():
    """``pictures(n, seed)``: asymmetric test pictures, a bright bar off centre on noise."""
    return _bars_off_centre


def _small_galaxy_config(encoder: str, objective: str) -> TrainConfig:
    """A small, quick configuration of ``encoder`` learning ``objective`` on the tiny galaxy
    survey: filters 4 and 8, embeddings of 8, batches of 4, TensorFlow's threads as the test
    session set them."""
    return TrainConfig(
        survey="galaxies-tiny",
        encoder=encoder,
        objective=objective,
        filters=(4, 8),
        embedding_dim=8,
        batch_size=4,
        learning_rate=5e-3,
        threads=None,
    )


@pytest.fixture
def galaxy_train_config():
    """``galaxy_train_config(encoder, objective)``: a small training configuration of a galaxy
    encoder on the tiny galaxy survey."""
    return _small_galaxy_config
