"""Contrastive self-supervised learning: the hybrid encoder's branches, trained without labels.

The network reads what the hybrid encoder reads (:mod:`astrolens.encoders.hybrid_cnn`: the
wavelet image where the light curve is dense, the periodogram, folds and scalars everywhere) and
is trained as SimCLR (Chen et al. 2020) and, for galaxy images, Hayat et al. (2021) train theirs:
every object of a batch is seen as two *views*, and the objective
(:mod:`astrolens.objectives.contrastive`) pulls the two views of one star together and pushes
the views of the other stars apart. A view is what another observation of the same star could
look like (:func:`augment_views`): another time window (the image rolled along time), gaps,
another noise realisation of the wavelet power and of the periodogram's power, the wavelet image
missing (what a ground-based survey, which has the periodogram only, sees of a star that a space
mission observed), and the phase origin of the folds moved by a few bins (it is set by the
faintest bin, which noise moves). A star observed by two surveys (a twin in the catalogue) has
its other survey's light curve as its second view half the time. The sampling is jittered too:
the spectral window and the coverage bin by bin, the summary scalars that describe the sampling
(epochs, baseline, spacing) by about a factor 1.6 and those that describe the variability by a
little (:data:`SCALAR_NOISE`). Without that, the two views of a star share their exact sampling,
which tells one light curve from every other of a batch on its own: the network learns to match
views by their sampling instead of their variability (a first run without it reached a
contrastive loss of 0.31, near-perfect matching, and a class precision@10 of 0.68). Never varied:
the period axis (where the power lies in period is the physics to keep).

The embedding (the layer :data:`~astrolens.encoders.keras_encoder.EMBEDDING_LAYER`, what the
index searches) is batch-normalised, as the other encoders' are, so that all its coordinates
weigh alike in a Euclidean distance; a projection head (a dense layer with ReLU, then the linear
layer ``"projection"``, the model's only output) maps it to the space where the loss compares
views, and is not searched: SimCLR found the layer before the head the better representation,
since the head learns to discard what the views vary, which a search may still want (here the
noise level, and whether a space mission's wavelet image is there).

Trained with ``astrolens train --encoder contrastive_hybrid`` (objective ``"contrastive"``, the
only one it learns). ``TrainConfig.batch_size`` counts objects: the network sees twice as many
views per step.

Examples
--------
>>> model = build_contrastive_hybrid(embedding_dim=8, filters=(4, 8))
>>> from astrolens.encoders.hybrid_cnn import packed_shape
>>> x = np.random.default_rng(0).random((3, *packed_shape()), dtype=np.float32)
>>> tuple(model(x).shape), model.get_layer("embedding").output.shape
((3, 64), (None, 8))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import keras
import numpy as np
import pandas as pd
from keras import layers
from numpy.typing import NDArray

from astrolens.encoders.hybrid_cnn import HybridCNN, augment_hybrid, hybrid_features
from astrolens.encoders.keras_encoder import EMBEDDING_LAYER
from astrolens.encoders.wavelet_cnn import fit_encoder
from astrolens.periodogram import SCALAR_NAMES, PeriodogramConfig
from astrolens.trainconfig import AugmentConfig

if TYPE_CHECKING:
    from astrolens.trainconfig import TrainConfig
    from astrolens.training import TrainingData

__all__ = [
    "FOLD_JITTER_BINS",
    "POWER_NOISE_SIGMA",
    "PROJECTION_DIM",
    "SAMPLING_NOISE_SIGMA",
    "SCALAR_NOISE",
    "VIEW_AUGMENTATION",
    "ContrastiveHybrid",
    "augment_views",
    "build_contrastive_hybrid",
]

VIEW_AUGMENTATION = AugmentConfig(
    noise_sigma=0.05, gap_probability=0.5, max_gap_fraction=0.3, wavelet_dropout=0.5
)
"""How the wavelet image of a view varies: more than supervised training's
``TrainConfig.augment`` (light changes that keep a class), which the encoder does not use: two
views alike enough to be told apart by their noise alone teach nothing (the strength of the
augmentation is what matters most in SimCLR)."""

POWER_NOISE_SIGMA = 0.1
"""Standard deviation of the log of the factor each bin of a view's periodogram power is
multiplied by (another noise realisation of the periodogram)."""

SAMPLING_NOISE_SIGMA = 0.3
"""Standard deviation of the log of the factor each bin of a view's spectral window and coverage
is multiplied by (kept within 0 to 1): the same star sampled another way."""

SCALAR_NOISE: dict[str, float] = {
    "amplitude_log10": 0.05,
    "skewness_quantile": 0.05,
    "kurtosis_quantile_log10": 0.05,
    "von_neumann_eta_robust": 0.05,
    "period_days_log10": 0.002,
    "period_power": 0.05,
    "folded_explained_variance": 0.05,
    "epochs_log10": 0.2,
    "baseline_days_log10": 0.2,
    "spacing_days_log10": 0.2,
}
"""Standard deviation of the Gaussian noise added to each summary scalar of a view
(:data:`astrolens.periodogram.SCALAR_NAMES`): another noise realisation for the variability's
statistics, another sampling (a factor 10**0.2 in epochs, baseline and spacing) for the rest; the
period barely (0.5 %)."""

FOLD_JITTER_BINS = 2
"""Most phase bins a view's folds are rolled by, either way: the fold puts its faintest bin
first, and noise moves the faintest bin of a broad minimum by a few bins."""

PROJECTION_DIM = 64
"""Size of the projection head's output, where the loss compares views."""

_PERIOD_ROWS = 3
"""Arrays along the period axis at the start of the packed periodogram, power first: power,
window and coverage (:func:`astrolens.encoders.hybrid_cnn.model_inputs`), then the two folds."""


def augment_views(
    inputs: NDArray[np.float32],
    rng: np.random.Generator,
    config: AugmentConfig = VIEW_AUGMENTATION,
    image_rows: int = 64,
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> NDArray[np.float32]:
    """Views of packed hybrid inputs ``(N, image_rows + R, W, C)`` (see the module description).

    The image rows as :func:`~astrolens.encoders.hybrid_cnn.augment_hybrid` with ``config``
    (time shift, gaps, noise, wavelet dropout); the periodogram's power multiplied bin by bin by
    ``exp(N(0, POWER_NOISE_SIGMA))``, its window and coverage by
    ``exp(N(0, SAMPLING_NOISE_SIGMA))`` (all kept within 0 to 1), the scalars shifted by
    :data:`SCALAR_NOISE`, each fold rolled by up to :data:`FOLD_JITTER_BINS` phase bins.

    Examples
    --------
    >>> from astrolens.encoders.hybrid_cnn import packed_shape
    >>> x = np.random.default_rng(0).random((5, *packed_shape()), dtype=np.float32)
    >>> a, b = (augment_views(x, np.random.default_rng(1)) for _ in range(2))
    >>> a.shape, bool(np.array_equal(a, b)), bool(np.array_equal(a, x))
    ((5, 66, 64, 4), True, False)
    """
    out = augment_hybrid(inputs, rng, config, image_rows)
    n, _, width, channels = out.shape
    n_periods, n_phase_bins = periodogram.n_periods, periodogram.n_phase_bins
    vector = out[:, image_rows:].reshape(n, -1).copy()
    power = vector[:, :n_periods]
    factor = np.exp(rng.normal(0.0, POWER_NOISE_SIGMA, power.shape))
    vector[:, :n_periods] = np.clip(power * factor, 0.0, 1.0)
    start = _PERIOD_ROWS * n_periods
    sampling = vector[:, n_periods:start]  # window and coverage
    factor = np.exp(rng.normal(0.0, SAMPLING_NOISE_SIGMA, sampling.shape))
    vector[:, n_periods:start] = np.clip(sampling * factor, 0.0, 1.0)
    scalars = start + 2 * n_phase_bins
    sigma = np.array([SCALAR_NOISE[name] for name in SCALAR_NAMES], dtype=np.float32)
    vector[:, scalars : scalars + sigma.size] += rng.normal(0.0, 1.0, (n, sigma.size)) * sigma
    folds = vector[:, start : start + 2 * n_phase_bins].reshape(n, 2, n_phase_bins)
    shifts = rng.integers(-FOLD_JITTER_BINS, FOLD_JITTER_BINS + 1, (n, 2, 1))
    phases = (np.arange(n_phase_bins) - shifts) % n_phase_bins
    vector[:, start : start + 2 * n_phase_bins] = np.take_along_axis(folds, phases, 2).reshape(
        n, -1
    )
    out[:, image_rows:] = vector.reshape(n, -1, width, channels)
    return out


def build_contrastive_hybrid(
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 4,
    embedding_dim: int = 64,
    filters: Sequence[int] = (8, 16, 32, 64),
    dropout: float = 0.2,
    projection_dim: int = PROJECTION_DIM,
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> keras.Model:
    """The contrastive network: the hybrid branches, a dense layer, the batch-normalised
    embedding (the layer :data:`~astrolens.encoders.keras_encoder.EMBEDDING_LAYER`), then the
    projection head, whose output ``"projection"`` is the model's only one."""
    inputs, features = hybrid_features(image_shape, channels, filters, periodogram)
    x = layers.Dropout(dropout, name="features_dropout")(features)
    x = layers.Dense(256, activation="relu", name="hidden")(x)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding_dense")(x)
    embedding = layers.BatchNormalization(name=EMBEDDING_LAYER)(x)
    x = layers.Dense(128, activation="relu", name="projection_hidden")(embedding)
    projection = layers.Dense(projection_dim, name="projection")(x)
    return keras.Model(inputs, projection, name="contrastive_hybrid")


class ContrastiveHybrid(HybridCNN):
    """The contrastive encoder (see the module description); no heads.

    Examples
    --------
    >>> from astrolens.trainconfig import TrainConfig
    >>> from astrolens.encoders.hybrid_cnn import packed_shape
    >>> config = TrainConfig(survey="tiny", encoder="contrastive_hybrid", objective="contrastive",
    ...                      filters=(4, 8), embedding_dim=8, period_bins=0, threads=None)
    >>> encoder = ContrastiveHybrid.create(config, ("EA", "EW"), packed_shape())
    >>> x = np.zeros((3, *packed_shape()), np.float32)
    >>> encoder.embed(x).shape, encoder.heads(x)
    ((3, 8), {})
    """

    name = "contrastive_hybrid"
    objectives: ClassVar[tuple[str, ...]] = ("contrastive",)

    @classmethod
    def build(
        cls, config: TrainConfig, class_names: tuple[str, ...], image_shape: tuple[int, int]
    ) -> keras.Model:
        return build_contrastive_hybrid(
            image_shape=image_shape,
            channels=config.channels,
            embedding_dim=config.embedding_dim,
            filters=config.filters,
            dropout=config.dropout,
        )

    def fit(self, data: TrainingData, progress: bool = True) -> pd.DataFrame:
        """Learn from two views of every training object (:data:`VIEW_AUGMENTATION`, not
        ``TrainConfig.augment``); validated on views of the validation objects, the same every
        epoch."""
        rows = self.model.get_layer("image").output.shape[1]
        return fit_encoder(
            self.model,
            data,
            self.config,
            progress,
            lambda x, rng, config: augment_views(x, rng, VIEW_AUGMENTATION, rows),
        )

    def heads(self, inputs: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
        """None: the projection head compares views and is not an answer."""
        return {}
