"""Galaxy cutouts as a network reads them: one size, each picture's sky and brightness removed.

The representation ``"cutout"`` of :mod:`astrolens.modalities.galaxy` is a colour picture
``(CUTOUT_SIZE, CUTOUT_SIZE, 3)`` from 0 to 1; :func:`normalised_cutouts` is what every galaxy
encoder does to it first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CUTOUT_SIZE", "normalised_cutouts"]

CUTOUT_SIZE = 64
"""Pixels on a side of the representation (the simulated survey's cutouts)."""

_BORDER = 4
"""Width in pixels of the frame whose median is a picture's sky level."""


def normalised_cutouts(cutouts: NDArray[Any]) -> NDArray[np.float32]:
    """Cutouts ``(N, H, W, 3)`` (uint8 0-255 or float 0-1) as a network reads them: each
    picture's sky level (the median of its outer 4-pixel frame, per colour) subtracted, then
    divided by the 99.5th percentile of its brightness (mean of the colours) within the central
    half, so that its object peaks near 1 whatever the stretch; clipped to -0.5 to 3.

    >>> faint = np.full((1, 16, 16, 3), 0.1, np.float32)
    >>> faint[0, 6:10, 6:10] = 0.3
    >>> bright = 0.2 + 3 * (faint - 0.1)
    >>> bool(np.allclose(normalised_cutouts(faint), normalised_cutouts(bright), atol=1e-5))
    True
    """
    raw = np.asarray(cutouts)
    x = raw.astype(np.float32)
    if np.issubdtype(raw.dtype, np.integer):
        x /= 255.0
    n, height, width, _ = x.shape
    frame = np.ones((height, width), dtype=bool)
    frame[_BORDER:-_BORDER, _BORDER:-_BORDER] = False
    sky = np.median(x[:, frame, :], axis=1)  # (N, 3)
    x = x - sky[:, None, None, :]
    centre = x[:, height // 4 : height - height // 4, width // 4 : width - width // 4, :]
    peak = np.percentile(centre.mean(axis=-1).reshape(n, -1), 99.5, axis=1)
    x = x / np.maximum(peak, 1e-3)[:, None, None, None]
    return np.clip(x, -0.5, 3.0).astype(np.float32)
