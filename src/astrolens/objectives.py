"""The supervised objective's targets: class weights and soft labels over period bins.

Any encoder trained on the survey's classes and periods (the wavelet CNN's two heads) takes its
targets from here; the functions are plain NumPy.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["class_weights", "period_bin_centres", "period_targets"]


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
