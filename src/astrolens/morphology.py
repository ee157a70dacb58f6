"""What a galaxy picture looks like, in the numbers of non-parametric morphology.

A search by image compares its query with the survey's objects of the class its matches are
(:class:`astrolens.search.domain.ClassStatistics`): a real picture of M 51 that fills its frame,
answered with small ring galaxies, is unlike every ring galaxy of the survey, and the search says
so. These are the numbers it compares, measured on the picture as a network reads it
(:func:`~astrolens.cutouts.normalised_cutouts`: sky removed, object peak near 1), on the grey
mean of the colours (a grey upload and a colour one are measured alike):

- the **segment**: the pixels above :data:`DETECTION_SIGMA` times the sky noise (and at least
  :data:`MIN_LEVEL` of the peak) connected to the brightest pixel near the centre, after a
  1-pixel Gaussian smoothing; ``area_share`` is its share of the frame and ``border_share`` the
  share of its light within 4 pixels of the frame's edge (an object cut by the frame);
- **concentration** ``C = 5 log10(r80 / r20)``, the radii holding 20 and 80 % of the segment's
  light about its centroid (Conselice 2003, ApJS 147, 1);
- **asymmetry** ``A``: the light that differs from the picture turned by 180 degrees about the
  centroid, over twice the light (Conselice 2003);
- **Gini** of the segment's pixel values and **M20**, the log of the second moment of its
  brightest pixels holding 20 % of the light over the total's (Lotz, Primack & Madau 2004, AJ
  128, 163);
- ``ellipticity``, from the light's second moments;
- ``log_noise``: the sky noise of the frame over the peak (log10, at least -3), how deep the
  picture is;
- ``saturated_share``: the segment's share of pixels white in every colour (burnt out);
- ``log_sources``: ``log10(1 + n)`` of the other objects of at least 4 pixels in the field.

The morphology baseline encoder (:mod:`astrolens.encoders.morphology_galaxy`) reads these numbers
and two more, the ``g - r`` and ``r - z`` :func:`colours` of the light within
:data:`COLOUR_APERTURE_PIXELS` of the centre: :func:`morphology_and_colours`, for many pictures.

Examples
--------
>>> yy, xx = np.mgrid[:64, :64] - 31.5
>>> disk = np.exp(-np.hypot(yy, xx) / 4.0)
>>> picture = np.repeat((0.1 + 0.8 * disk)[..., None], 3, axis=-1)
>>> numbers = morphology(picture + np.random.default_rng(0).normal(0, 0.01, picture.shape))
>>> tuple(numbers) == MORPHOLOGY_NAMES
True
>>> round(numbers["concentration"], 1), round(numbers["asymmetry"], 2), numbers["log_sources"]
(2.7, 0.04, 0.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from astrolens.cutouts import normalised_cutouts

__all__ = [
    "COLOUR_APERTURE_PIXELS",
    "COLOUR_NAMES",
    "DETECTION_SIGMA",
    "MIN_LEVEL",
    "MORPHOLOGY_AND_COLOUR_NAMES",
    "MORPHOLOGY_NAMES",
    "colours",
    "morphology",
    "morphology_and_colours",
]

MORPHOLOGY_NAMES = (
    "area_share",
    "border_share",
    "concentration",
    "asymmetry",
    "gini",
    "m20",
    "ellipticity",
    "log_noise",
    "saturated_share",
    "log_sources",
)
"""The numbers :func:`morphology` returns, in order."""

COLOUR_NAMES = ("g_r", "r_z")
"""The colours :func:`colours` returns, in order."""

MORPHOLOGY_AND_COLOUR_NAMES = MORPHOLOGY_NAMES + COLOUR_NAMES
"""The columns of :func:`morphology_and_colours`, in order."""

COLOUR_APERTURE_PIXELS = 8.0
"""Radius of the central aperture whose light :func:`colours` measures (2.1" in the survey's
0.262"/pixel)."""

_FAINTEST_BAND = 0.01
"""A band's light counts as at least this share of the brightest band's (a colour is at most 5
magnitudes)."""

DETECTION_SIGMA = 3.0
"""A pixel belongs to an object when it is this many times the sky noise above the sky."""

MIN_LEVEL = 0.03
"""... and at least this share of the object's peak (a noiseless picture has no noise)."""

_BORDER = 4
_SATURATED = 0.99


def morphology(picture: ArrayLike) -> dict[str, float]:
    """The morphology numbers (:data:`MORPHOLOGY_NAMES`) of one picture ``(H, W, 3)`` or
    ``(H, W)``, from 0 to 1 (or uint8), the object at its centre (see the module description).
    """
    raw = np.asarray(picture)
    if raw.ndim == 2:
        raw = raw[..., None]
    shown = raw.astype(np.float64) / (255.0 if np.issubdtype(raw.dtype, np.integer) else 1.0)
    grey = normalised_cutouts(np.repeat(shown.mean(axis=-1, keepdims=True), 3, -1)[None])[0]
    grey = grey[..., 0].astype(np.float64)
    frame = np.ones(grey.shape, dtype=bool)
    frame[_BORDER:-_BORDER, _BORDER:-_BORDER] = False
    noise = 1.4826 * float(np.median(np.abs(grey[frame] - np.median(grey[frame]))))
    smooth = ndimage.gaussian_filter(grey, 1.0)
    threshold = max(DETECTION_SIGMA * noise / 2.0, MIN_LEVEL)  # smoothing by 1 px: noise / 2
    labels, _ = ndimage.label(smooth > threshold)
    central = _central_label(labels, smooth)
    segment = (labels == central) if central else np.zeros(labels.shape, dtype=bool)
    light = np.where(segment, np.clip(grey, 0.0, None), 0.0)
    total = float(light.sum())
    sizes = np.bincount(labels.ravel())
    sizes[[0, central]] = 0
    others = int(np.count_nonzero(sizes >= 4))
    numbers = {
        "area_share": float(segment.mean()),
        "border_share": float(light[frame].sum() / total) if total > 0 else 0.0,
        **_light_shape(light, total),
        "log_noise": float(np.log10(max(noise, 1e-3))),
        "saturated_share": float(np.mean(np.all(shown >= _SATURATED, axis=-1)[segment]))
        if segment.any()
        else 0.0,
        "log_sources": float(np.log10(1 + others)),
    }
    return {name: numbers[name] for name in MORPHOLOGY_NAMES}


def _central_label(labels: NDArray[np.int32], smooth: NDArray[np.float64]) -> int:
    """The label of the segment holding the brightest pixel within the central quarter of the
    frame (0, the background, when no pixel there is detected)."""
    height, width = labels.shape
    rows = slice(3 * height // 8, height - 3 * height // 8)
    columns = slice(3 * width // 8, width - 3 * width // 8)
    centre = np.where(labels[rows, columns] > 0, smooth[rows, columns], -np.inf)
    if not np.isfinite(centre).any():
        return 0
    row, column = np.unravel_index(np.argmax(centre), centre.shape)
    return int(labels[rows, columns][row, column])


def _light_shape(light: NDArray[np.float64], total: float) -> dict[str, Any]:
    """Concentration, asymmetry, Gini, M20 and ellipticity of the light of a segment."""
    if total <= 0:
        return dict.fromkeys(("concentration", "asymmetry", "gini", "m20", "ellipticity"), 0.0)
    yy, xx = np.indices(light.shape, dtype=np.float64)
    cy, cx = float((light * yy).sum() / total), float((light * xx).sum() / total)
    dy, dx = yy - cy, xx - cx
    radius = np.hypot(dy, dx)
    inside = light > 0
    order = np.argsort(radius[inside])
    cumulative = np.cumsum(light[inside][order]) / total
    radii = radius[inside][order]
    r20 = max(float(radii[np.searchsorted(cumulative, 0.2)]), 0.5)
    r80 = max(float(radii[min(np.searchsorted(cumulative, 0.8), radii.size - 1)]), 0.5)
    # turned by 180 degrees about the centroid: about the frame's centre, then moved
    shift = (2 * cy - (light.shape[0] - 1), 2 * cx - (light.shape[1] - 1))
    turned = ndimage.shift(light[::-1, ::-1], shift, order=1)
    values = np.sort(light[inside])
    n = values.size
    gini = 0.0
    if n > 1:
        gini = float(np.sum((2 * np.arange(1, n + 1) - n - 1) * values) / (values.sum() * (n - 1)))
    moments = light * radius**2
    # equal pixels (a burnt-out core) nearest the centre first: the same set whichever way the
    # picture is turned or mirrored
    brightest = np.lexsort((radius[inside], -light[inside]))
    holding = np.cumsum(light[inside][brightest]) <= 0.2 * total
    holding[0] = True
    m20 = 0.0
    if moments.sum() > 0:
        m20 = float(np.log10(max(moments[inside][brightest][holding].sum(), 1e-12) / moments.sum()))
    yy_, xy_, xx_ = ((light * a * b).sum() / total for a, b in ((dy, dy), (dy, dx), (dx, dx)))
    covariance = np.array([[yy_, xy_], [xy_, xx_]])
    low, high = np.linalg.eigvalsh(covariance)
    return {
        "concentration": float(5.0 * np.log10(r80 / r20)),
        "asymmetry": float(np.abs(light - turned).sum() / (2.0 * total)),
        "gini": gini,
        "m20": m20,
        "ellipticity": float(1.0 - np.sqrt(max(low, 0.0) / high)) if high > 0 else 0.0,
    }


def colours(picture: ArrayLike) -> dict[str, float]:
    """The ``g - r`` and ``r - z`` colours (magnitudes) of the light within
    :data:`COLOUR_APERTURE_PIXELS` of the centre of a colour picture ``(H, W, 3)``, from 0 to 1
    (or uint8), each colour's sky removed (:func:`~astrolens.cutouts.normalised_cutouts`).

    The picture's planes are z, r and g (red, green, blue) as the Legacy Surveys' viewer scales
    them, whose asinh stretch keeps the bands' ratios (Lupton et al. 2004): the colours are
    those of the bands up to a constant offset per colour. A grey picture has colours 0.

    >>> yy, xx = np.mgrid[:64, :64] - 31.5
    >>> disk = np.exp(-np.hypot(yy, xx) / 4.0)[..., None]
    >>> blue = 0.1 + disk * np.array([0.2, 0.4, 0.8])  # z, r, g
    >>> {name: round(value, 2) for name, value in colours(blue).items()}
    {'g_r': -0.75, 'r_z': -0.75}
    """
    raw = np.asarray(picture)
    if raw.ndim == 2:
        raw = np.repeat(raw[..., None], 3, axis=-1)
    light = normalised_cutouts(raw[None])[0].astype(np.float64)
    height, width = light.shape[:2]
    yy, xx = np.indices((height, width), dtype=np.float64)
    aperture = np.hypot(yy - (height - 1) / 2, xx - (width - 1) / 2) <= COLOUR_APERTURE_PIXELS
    z, r, g = np.maximum(light[aperture].sum(axis=0), 0.0)
    floor = max(_FAINTEST_BAND * max(z, r, g), 1e-6)
    z, r, g = max(z, floor), max(r, floor), max(g, floor)
    return {"g_r": float(-2.5 * np.log10(g / r)), "r_z": float(-2.5 * np.log10(r / z))}


def morphology_and_colours(pictures: ArrayLike) -> NDArray[np.float64]:
    """The morphology (:func:`morphology`) and colours (:func:`colours`) of pictures
    ``(N, H, W, 3)``, as rows ``(N, len(MORPHOLOGY_AND_COLOUR_NAMES))``.

    >>> pictures = np.random.default_rng(0).random((2, 32, 32, 3))
    >>> morphology_and_colours(pictures).shape == (2, len(MORPHOLOGY_AND_COLOUR_NAMES))
    True
    """
    rows = [
        [*morphology(picture).values(), *colours(picture).values()]
        for picture in np.asarray(pictures)
    ]
    return np.array(rows, dtype=np.float64).reshape(-1, len(MORPHOLOGY_AND_COLOUR_NAMES))
