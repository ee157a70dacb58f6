"""Reconstruction: the objectives of an encoder with a decoder, plain and masked.

Both read either the hybrid encoder's packed input (:mod:`astrolens.encoders.hybrid_cnn`: the
wavelet image rows, then the periodogram's numbers packed into a few more rows) or a galaxy's
colour cutout (:mod:`astrolens.cutouts`: image throughout); :class:`PackedLayout` says where
each part lies, and :func:`input_layout` which of the two an input is, from its shape. Both fit
the network's only output, named ``"reconstruction"`` and of the input's shape, to a target of
twice its channels: the truth, then a weight per element (:func:`masked_mse`, per object
``sum(weight * (prediction - truth)**2) / max(sum(weight), 1)``).

``"reconstruction"`` (:class:`Reconstruction`, the autoencoder)
    Each batch is the encoder's own augmentation of its inputs, and the target is that same
    augmented input: the network reconstructs what it was given, through its embedding.
``"masked"`` (:class:`MaskedReconstruction`, masked modelling: SimMIM, Xie et al. 2022, for the
image; Astromer, Donoso-Oliva et al. 2023, for sequences)
    Each batch is augmented, then a share :data:`MASK_RATIO` of it is hidden (set to 0) by
    :func:`mask_inputs`: square patches of the wavelet image or of the cutout (all channels),
    runs of period bins of the power, window and coverage (the same bins of the three), runs of
    phase bins of each fold. The target is the augmented input before hiding; the network fills
    in what was hidden from what was left.

What the loss sees (the weights)
--------------------------------
``image``
    Autoencoder: every element of the four channels of an object that has an image (its
    validity mask has a valid pixel), none of an object without one (a ground-based light curve,
    or a dense one whose image the augmentation left out): an empty image is nothing to learn.
    Masked: the hidden patches only.
``periodogram``
    Power, window, coverage and the two folds: every element (autoencoder) or the hidden ones
    (masked).
``scalars`` and the padding
    Never: the scalars are logs and ratios of other ranges; the encoder still reads them.
a cutout
    Every pixel of its three colours (autoencoder), or the hidden patches (masked): a cutout is
    all image, and every cutout has one.

The weights of an object's image are scaled so that they sum to what its periodogram's do, so
its loss is the mean of the image's and the periodogram's mean squared errors: the 16,384
numbers of an image would otherwise drown the 448 of the periodogram, the part a ground-based
light curve shares with a dense one.

Validation batches are made the same way (augmented, and masked), with generators that stay the
same from epoch to epoch, so validation losses compare across epochs.

Examples
--------
>>> layout = PackedLayout.of((66, 64, 4))
>>> layout.image_rows, layout.vector_length
(64, 458)
>>> x = np.zeros((2, 66, 64, 4), np.float32)
>>> x[0, :64, :, 1] = 1.0  # the first object has an image, the second not
>>> weights = reconstruction_weights(x)
>>> float(weights[0, :64].sum()) == float(weights[0, 64:].sum()) == 448.0
True
>>> float(weights[1, :64].sum()), float(weights[1, 64:].sum())
(0.0, 448.0)
>>> cutouts = np.zeros((2, 64, 64, 3), np.float32)  # colour cutouts: every pixel counts
>>> input_layout(cutouts.shape[1:]).image_rows, float(reconstruction_weights(cutouts).min())
(64, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
from keras import ops
from numpy.typing import NDArray

from astrolens.objectives import Augmentation, FitTargets, Objective
from astrolens.periodogram import SCALAR_NAMES, PeriodogramConfig
from astrolens.splits import TrainingData

if TYPE_CHECKING:
    from astrolens.trainconfig import AugmentConfig, TrainConfig

__all__ = [
    "COLOUR_CHANNELS",
    "IMAGE_PATCH",
    "MASK_RATIO",
    "PERIOD_RUN",
    "PHASE_RUN",
    "MaskedReconstruction",
    "PackedLayout",
    "Reconstruction",
    "balanced_weights",
    "has_image",
    "input_layout",
    "mask_inputs",
    "masked_batch",
    "masked_mse",
    "reconstruction_batch",
    "reconstruction_weights",
]

MASK_RATIO = 0.5
"""Share of the image patches, period runs and phase runs that masked modelling hides."""

IMAGE_PATCH = 8
"""Side of the square patches of the wavelet image or cutout hidden together (SimMIM's
patches)."""

COLOUR_CHANNELS = 3
"""Channels of a colour cutout (:mod:`astrolens.cutouts`); a packed light-curve input has the
wavelet channels, 1, 2 or 4 (:func:`astrolens.encoders.wavelet_cnn.model_inputs` refuses 3)."""

PERIOD_RUN = 8
"""Consecutive period bins of power, window and coverage hidden together."""

PHASE_RUN = 4
"""Consecutive phase bins of a fold hidden together."""

_SPECTRUM_CHANNELS = 3  # power, window, coverage, in this order
_N_FOLDS = 2  # at the best period and at twice it


@dataclass(frozen=True)
class PackedLayout:
    """Where the parts of one packed input ``(rows, width, channels)`` lie.

    Rows ``0 .. image_rows - 1`` hold the wavelet image; the rows after them, read in C order,
    hold the periodogram vector: power, window and coverage (``n_periods`` each), the two folds
    (``n_phase_bins`` each), the scalars (``n_scalars``), then zeros. Channel ``mask_channel``
    of the image says which pixels are valid (None: all of them). A cutout is the layout of
    :meth:`picture`: all image, no periodogram vector, no validity mask.

    Examples
    --------
    >>> layout = PackedLayout.of((66, 64, 4))
    >>> layout.spectrum, layout.folds, layout.scalars
    (slice(0, 384, None), slice(384, 448, None), slice(448, 458, None))
    >>> PackedLayout.picture((64, 64, 3)).vector_length
    0
    """

    image_rows: int
    n_periods: int
    n_phase_bins: int
    n_scalars: int
    mask_channel: int | None = 1

    @classmethod
    def of(
        cls, shape: tuple[int, ...], periodogram: PeriodogramConfig = PeriodogramConfig()
    ) -> PackedLayout:
        """The layout of packed inputs of ``shape`` (one object's) for ``periodogram``."""
        rows, width, channels = shape[-3:]
        n_periods, n_phase_bins = periodogram.n_periods, periodogram.n_phase_bins
        length = _SPECTRUM_CHANNELS * n_periods + _N_FOLDS * n_phase_bins + len(SCALAR_NAMES)
        image_rows = rows - math.ceil(length / (width * channels))
        return cls(image_rows, n_periods, n_phase_bins, len(SCALAR_NAMES))

    @classmethod
    def picture(cls, shape: tuple[int, ...]) -> PackedLayout:
        """The layout of pictures of ``shape`` ``(height, width, channels)`` (one object's):
        every row image, every pixel valid, no periodogram vector."""
        return cls(
            image_rows=int(shape[-3]), n_periods=0, n_phase_bins=0, n_scalars=0, mask_channel=None
        )

    @property
    def spectrum(self) -> slice:
        """Power, window and coverage in the periodogram vector."""
        return slice(0, _SPECTRUM_CHANNELS * self.n_periods)

    @property
    def folds(self) -> slice:
        """The two folds in the periodogram vector."""
        return slice(self.spectrum.stop, self.spectrum.stop + _N_FOLDS * self.n_phase_bins)

    @property
    def scalars(self) -> slice:
        """The scalars in the periodogram vector."""
        return slice(self.folds.stop, self.folds.stop + self.n_scalars)

    @property
    def vector_length(self) -> int:
        """Numbers of the periodogram vector (padding excluded)."""
        return self.scalars.stop


def input_layout(
    shape: tuple[int, ...], periodogram: PeriodogramConfig = PeriodogramConfig()
) -> PackedLayout:
    """The layout of inputs of ``shape`` (one object's), told by their channels: a colour
    cutout has :data:`COLOUR_CHANNELS` (:meth:`PackedLayout.picture`), anything else is the
    hybrid encoder's packing (:meth:`PackedLayout.of`).

    Examples
    --------
    >>> input_layout((66, 64, 4)) == PackedLayout.of((66, 64, 4))
    True
    >>> input_layout((64, 64, 3))
    PackedLayout(image_rows=64, n_periods=0, n_phase_bins=0, n_scalars=0, mask_channel=None)
    """
    if shape[-1] == COLOUR_CHANNELS:
        return PackedLayout.picture(shape)
    return PackedLayout.of(shape, periodogram)


def has_image(inputs: NDArray[np.float32], layout: PackedLayout) -> NDArray[np.bool_]:
    """Which inputs ``(N, rows, width, channels)`` have an image: a valid pixel in the mask
    channel (channel 1 of a packed input); every one where the layout has no mask channel (a
    cutout)."""
    if layout.mask_channel is None:
        return np.ones(len(inputs), dtype=bool)
    return np.asarray(inputs[:, : layout.image_rows, :, layout.mask_channel]).any(axis=(1, 2))


def _periodogram_part(array: NDArray[Any], layout: PackedLayout) -> NDArray[Any]:
    """The periodogram rows of packed arrays, one flat vector per object (a view: writing to it
    writes to ``array``)."""
    return np.reshape(array[:, layout.image_rows :], (len(array), -1), copy=False)


def balanced_weights(weights: NDArray[np.float32], layout: PackedLayout) -> NDArray[np.float32]:
    """``weights`` with each object's image part scaled to sum to its periodogram part (where
    both have weight): the object's loss is then the mean of the two parts' errors.

    Examples
    --------
    >>> layout = PackedLayout.of((66, 64, 4))
    >>> w = np.zeros((1, 66, 64, 4), np.float32)
    >>> w[0, :2], w[0, 64, :3] = 1.0, 1.0  # 512 image elements, 12 periodogram ones
    >>> b = balanced_weights(w, layout)
    >>> float(b[0, :64].sum()), float(b[0, 64:].sum())
    (12.0, 12.0)
    """
    out = np.array(weights, dtype=np.float32, copy=True)
    image = out[:, : layout.image_rows].sum(axis=(1, 2, 3))
    periodogram = _periodogram_part(out, layout).sum(axis=1)
    both = (image > 0) & (periodogram > 0)
    scale = np.ones(len(out), dtype=np.float32)
    scale[both] = periodogram[both] / image[both]
    out[:, : layout.image_rows] *= scale[:, None, None, None]
    return out


def reconstruction_weights(
    inputs: NDArray[np.float32], layout: PackedLayout | None = None
) -> NDArray[np.float32]:
    """The autoencoder's weight of every element of inputs (see the module description): the
    image where there is one, power, window, coverage and folds, balanced; layout by default
    :func:`input_layout`."""
    inputs = np.asarray(inputs, dtype=np.float32)
    layout = layout or input_layout(inputs.shape[1:])
    weights = np.zeros(inputs.shape, dtype=np.float32)
    weights[has_image(inputs, layout), : layout.image_rows] = 1.0
    vector = _periodogram_part(weights, layout)
    vector[:, layout.spectrum] = 1.0
    vector[:, layout.folds] = 1.0
    return balanced_weights(weights, layout)


def _hidden_runs(
    rng: np.random.Generator, n_objects: int, n_runs: int, ratio: float
) -> NDArray[np.bool_]:
    """``(n_objects, n_runs)``: exactly ``round(ratio * n_runs)`` runs of each object hidden,
    chosen at random."""
    ranks = rng.random((n_objects, n_runs)).argsort(axis=1).argsort(axis=1)
    return ranks < round(ratio * n_runs)


def mask_inputs(
    inputs: NDArray[np.float32],
    rng: np.random.Generator,
    ratio: float = MASK_RATIO,
    layout: PackedLayout | None = None,
    patch: int = IMAGE_PATCH,
    period_run: int = PERIOD_RUN,
    phase_run: int = PHASE_RUN,
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Inputs with parts hidden (set to 0), and which elements were hidden.

    Of each object, ``round(ratio * n)`` of its ``n`` square image patches of side ``patch``
    (all channels; none where the object has no image), of its runs of ``period_run`` period
    bins (power, window and coverage alike) and of the runs of ``phase_run`` phase bins of each
    fold. The scalars and the padding are never hidden. A cutout (layout by default
    :func:`input_layout`) is all image: only patches are hidden.

    Returns
    -------
    masked, hidden
        ``masked`` float32 and ``hidden`` bool, both of the shape of ``inputs``.

    Examples
    --------
    >>> x = np.ones((2, 66, 64, 4), np.float32)
    >>> x[1, :64] = 0.0  # a ground-based object: no image
    >>> masked, hidden = mask_inputs(x, np.random.default_rng(0))
    >>> float(hidden[0, :64].mean()), int(hidden[1, :64].sum())
    (0.5, 0)
    >>> bool(np.all(masked[hidden] == 0) and np.all(masked[~hidden] == x[~hidden]))
    True
    >>> vector = hidden[:, 64:].reshape(2, -1)
    >>> vector[:, :384].mean(axis=1).tolist(), vector[:, 384:448].mean(axis=1).tolist()
    ([0.5, 0.5], [0.5, 0.5])
    >>> bool(vector[:, 448:].any())  # scalars and padding
    False

    Colour cutouts: half of the 64 patches of 8 x 8 pixels of each, all three colours.

    >>> cutouts = np.ones((2, 64, 64, 3), np.float32)
    >>> masked, hidden = mask_inputs(cutouts, np.random.default_rng(0))
    >>> patches = hidden[..., 0].reshape(2, 8, 8, 8, 8).any(axis=(2, 4))
    >>> patches.sum(axis=(1, 2)).tolist(), float(hidden.mean())
    ([32, 32], 0.5)
    >>> bool(np.all(hidden == hidden[..., :1])), bool(np.all(masked == np.where(hidden, 0, 1)))
    (True, True)
    """
    inputs = np.asarray(inputs, dtype=np.float32)
    layout = layout or input_layout(inputs.shape[1:])
    n, width = len(inputs), inputs.shape[2]
    hidden = np.zeros(inputs.shape, dtype=bool)

    patch_rows, patch_columns = layout.image_rows // patch, width // patch
    patches = _hidden_runs(rng, n, patch_rows * patch_columns, ratio)
    patches &= has_image(inputs, layout)[:, None]
    pixels = patches.reshape(n, patch_rows, patch_columns).repeat(patch, 1).repeat(patch, 2)
    hidden[:, : patch_rows * patch, : patch_columns * patch] = pixels[..., None]

    vector = _periodogram_part(hidden, layout)
    periods = _hidden_runs(rng, n, layout.n_periods // period_run, ratio).repeat(period_run, 1)
    for channel in range(_SPECTRUM_CHANNELS):
        start = channel * layout.n_periods
        vector[:, start : start + periods.shape[1]] = periods
    for fold in range(_N_FOLDS):
        phases = _hidden_runs(rng, n, layout.n_phase_bins // phase_run, ratio)
        phases = phases.repeat(phase_run, 1)
        start = layout.folds.start + fold * layout.n_phase_bins
        vector[:, start : start + phases.shape[1]] = phases
    return np.where(hidden, np.float32(0.0), inputs), hidden


@keras.saving.register_keras_serializable(package="astrolens")
def masked_mse(y_true: Any, y_pred: Any) -> Any:
    """Per object, the weighted mean squared error of a reconstruction:
    ``sum(weight * (y_pred - truth)**2) / max(sum(weight), 1)``, where ``y_true`` holds the
    truth in its first half of channels and the weights in its second half.

    Examples
    --------
    >>> truth = np.array([[[1.0, 2.0]]], np.float32)  # one object, 2 elements
    >>> y_true = np.concatenate([truth, [[[1.0, 0.0]]]], axis=-1)
    >>> np.asarray(masked_mse(y_true, np.array([[[3.0, 9.0]]], np.float32))).tolist()
    [4.0]
    """
    truth, weights = ops.split(ops.cast(y_true, "float32"), 2, axis=-1)
    axes = tuple(range(1, len(truth.shape)))
    error = ops.sum(weights * ops.square(ops.cast(y_pred, "float32") - truth), axis=axes)
    return error / ops.maximum(ops.sum(weights, axis=axes), 1.0)


def reconstruction_batch(
    inputs: NDArray[np.float32],
    rows: NDArray[np.int64],
    rng: np.random.Generator,
    augmentation: Augmentation,
    config: AugmentConfig,
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """A batch of the autoencoder: the augmented inputs of ``rows``, and as target the same with
    their weights (:func:`reconstruction_weights`)."""
    batch = np.asarray(augmentation(inputs[rows], rng, config), dtype=np.float32)
    targets = np.concatenate([batch, reconstruction_weights(batch)], axis=-1)
    return batch, targets, np.ones(len(batch), dtype=np.float32)


def masked_batch(
    inputs: NDArray[np.float32],
    rows: NDArray[np.int64],
    rng: np.random.Generator,
    augmentation: Augmentation,
    config: AugmentConfig,
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """A batch of masked modelling: the augmented inputs of ``rows`` with parts hidden
    (:func:`mask_inputs`), and as target the augmented inputs with weight on the hidden parts."""
    truth = np.asarray(augmentation(inputs[rows], rng, config), dtype=np.float32)
    layout = input_layout(truth.shape[1:])
    masked, hidden = mask_inputs(truth, rng, layout=layout)
    weights = balanced_weights(hidden.astype(np.float32), layout)
    return masked, np.concatenate([truth, weights], axis=-1), np.ones(len(truth), np.float32)


class Reconstruction(Objective):
    """The autoencoder's objective: reconstruct the (augmented) input; see the module.

    Examples
    --------
    >>> from astrolens.splits import stratified_split
    >>> from astrolens.trainconfig import AugmentConfig, TrainConfig
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> split = stratified_split([f"KIC {i}" for i in range(6)], labels, 0.2, 0.2)
    >>> x = np.random.default_rng(0).random((6, 66, 64, 4), dtype=np.float32)
    >>> data = TrainingData(x, labels, ("EA", "EW"), None, split, (0.04, 2000.0))
    >>> fit = Reconstruction().fit_targets(data, TrainConfig())
    >>> same = lambda batch, rng, config: batch
    >>> inputs, targets, weights = fit.batches(x, np.array([1, 4]), None, same, AugmentConfig())
    >>> inputs.shape, targets.shape, bool(np.array_equal(targets[..., :4], x[[1, 4]]))
    ((2, 66, 64, 4), (2, 66, 64, 8), True)
    """

    name = "reconstruction"
    loss_label = "mean squared error"

    def fit_targets(self, data: TrainingData, config: TrainConfig) -> FitTargets:
        return FitTargets(None, None, masked_mse, None, None, batches=reconstruction_batch)


class MaskedReconstruction(Objective):
    """Masked modelling: fill in hidden parts of the (augmented) input; see the module.

    Examples
    --------
    >>> from astrolens.splits import stratified_split
    >>> from astrolens.trainconfig import AugmentConfig, TrainConfig
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> split = stratified_split([f"KIC {i}" for i in range(6)], labels, 0.2, 0.2)
    >>> x = np.random.default_rng(0).random((6, 66, 64, 4), dtype=np.float32)
    >>> data = TrainingData(x, labels, ("EA", "EW"), None, split, (0.04, 2000.0))
    >>> fit = MaskedReconstruction().fit_targets(data, TrainConfig())
    >>> same = lambda batch, rng, config: batch
    >>> rng = np.random.default_rng(1)
    >>> inputs, targets, weights = fit.batches(x, np.arange(6), rng, same, AugmentConfig())
    >>> hidden = targets[..., 4:] > 0
    >>> bool(np.all(inputs[hidden] == 0) and np.all(targets[..., :4] == x))
    True
    >>> fit.loss is masked_mse, fit.batches is masked_batch
    (True, True)
    """

    name = "masked"
    loss_label = "mean squared error of hidden parts"

    def fit_targets(self, data: TrainingData, config: TrainConfig) -> FitTargets:
        return FitTargets(None, None, masked_mse, None, None, batches=masked_batch)
