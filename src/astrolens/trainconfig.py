"""What defines a training run: :class:`TrainConfig` (saved as ``config.json``) and its parts.

Fields that only one encoder reads (the wavelet CNN's ``channels``, ``filters``, ``dropout``,
``period_bins``, ``augment``, ...) are ignored by the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from astrolens.config import JsonConfig
from astrolens.simulate import DEFAULT_SEED

__all__ = ["AugmentConfig", "TrainConfig"]


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
    wavelet_dropout
        Hybrid encoder: chance that a light curve's wavelet image is left out (zeros), so that
        it is embedded from its periodogram alone, as a ground-based light curve is.

    Examples
    --------
    >>> AugmentConfig(noise_sigma=0.0).gap_probability
    0.3
    """

    noise_sigma: float = 0.02
    time_shift: bool = True
    gap_probability: float = 0.3
    max_gap_fraction: float = 0.25
    wavelet_dropout: float = 0.3

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
    encoder
        The encoder to train, by its registered name (:func:`astrolens.encoders.encoder_names`):
        ``"wavelet_cnn"`` (the default) or ``"features"`` (the non-neural baseline).
    objective
        What a trainable encoder learns, by its registered name
        (:func:`astrolens.objectives.objective_names`): ``"supervised"`` (classes and periods).
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
    labels_per_class
        Train with only this many labelled objects of each class, and validate with as many
        (drawn with ``seed`` from the training and validation sets); the test set stays whole.
        None: every one (the few-label baseline of :mod:`benchmarks/encoders.py` uses 20).
    augment
        Augmentation settings (a dict in JSON).
    threads
        TensorFlow intra-op threads; None keeps TensorFlow's choice (or ``TF_NUM_INTRAOP_THREADS``).
    workers
        Processes that compute power images the first time a survey is used.
    channels
        Wavelet CNN input channels: 2 for power and validity mask, 1 for power only, 4 with the
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
    neighbour_weight
        0, or the weight of the neighbour loss of the supervised objective
        (:mod:`astrolens.objectives.neighbours`): the embedding's Euclidean distances fitted so
        that an object's nearest neighbours are of its class and its period.
    neighbour_sigma_dex
        Width of that loss's period closeness, in dex of period (0.02: 5 %).
    neighbour_temperature
        Squared embedding distance that divides the distances in that loss's softmax.
    neighbour_classes_per_batch
        With that loss, the classes of a training batch (0: batches of random objects; see
        :class:`astrolens.objectives.neighbours.NeighbourBatches`).
    neighbour_twins
        With that loss, put the twins of up to a quarter of a batch's objects in the batch.

    Examples
    --------
    >>> config = TrainConfig(survey="tiny", epochs=2, filters=[4, 8])
    >>> config.filters, TrainConfig.from_dict(config.to_dict()) == config
    ((4, 8), True)
    """

    encoder: str = "wavelet_cnn"
    objective: str = "supervised"
    survey: str = "demo"
    survey_seed: int = DEFAULT_SEED
    seed: int = 0
    epochs: int = 45
    batch_size: int = 128
    learning_rate: float = 2e-3
    patience: int = 8
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    labels_per_class: int | None = None
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
    neighbour_weight: float = 0.0
    neighbour_sigma_dex: float = 0.02
    neighbour_temperature: float = 10.0
    neighbour_classes_per_batch: int = 0
    neighbour_twins: bool = False

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
        if self.labels_per_class is not None and self.labels_per_class < 1:
            raise ValueError(f"labels_per_class must be >= 1, got {self.labels_per_class}")
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
        if not (
            self.neighbour_weight >= 0
            and self.neighbour_sigma_dex > 0
            and self.neighbour_temperature > 0
            and self.neighbour_classes_per_batch >= 0
        ):
            raise ValueError(
                "neighbour_weight and neighbour_classes_per_batch must be >= 0, "
                "neighbour_sigma_dex and neighbour_temperature > 0, got "
                f"{self.neighbour_weight}, {self.neighbour_classes_per_batch}, "
                f"{self.neighbour_sigma_dex}, {self.neighbour_temperature}"
            )
