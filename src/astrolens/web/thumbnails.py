"""Thumbnails of objects for the web page: a light curve above its wavelet power image, as a PNG;
a periodic object's light curve folded at its period beside it, with units on every axis.

A catalogue object's thumbnail is drawn once (matplotlib, Agg) and kept twice: in memory (the
most recently used ones) and on disk under ``cache_dir("thumbnails")``, so restarts and other
server processes find it too. The file name is a hash of everything the picture depends on (the
catalogue row, the image source, the size), so a changed row or model never shows a stale one.

Examples
--------
>>> import tempfile
>>> from astrolens.simulate import SurveyConfig, generate_catalog
>>> row = generate_catalog(SurveyConfig(name="mini", n_objects=2)).iloc[0]
>>> cache = ThumbnailCache(directory=tempfile.mkdtemp())
>>> png = cache.png(row)
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", cache.png(row) == png
(True, True)
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from astrolens.errors import InvalidLightCurve
from astrolens.files import cache_dir, written_atomically
from astrolens.periodogram import PeriodogramConfig, periodogram_arrays
from astrolens.plots import plot_power_image, plot_series
from astrolens.preprocess import UniformSeries
from astrolens.search.figures import ImageSource, simulated_images
from astrolens.wavelets import PowerImage

__all__ = [
    "THUMBNAIL_CACHE",
    "Periodogram",
    "ThumbnailCache",
    "catalogued_period",
    "lomb_scargle",
    "query_drawing",
    "render_drawing",
    "render_picture",
    "render_thumbnail",
    "thumbnail_figure",
]

THUMBNAIL_CACHE = "thumbnails"
"""Cache folder (under :func:`astrolens.files.cache_dir`) of the thumbnails on disk."""

_FORMAT_VERSION = 2
"""Version of the drawing; part of every thumbnail's key (2: folded at the catalogued period)."""

_PHASE_BINS = 40
"""Phase bins of the median drawn over a folded light curve."""

_DPI = 100
_STYLE = {
    "font.size": 6,
    "axes.labelsize": 6,
    "xtick.labelsize": 5,
    "ytick.labelsize": 5,
    "axes.linewidth": 0.5,
}

_MATPLOTLIB = threading.Lock()
"""matplotlib is not thread-safe: one figure is drawn at a time."""


class Periodogram(NamedTuple):
    """The Lomb-Scargle periodogram of a query that is not catalogued (an upload): power on a
    log-period axis and the best period."""

    periods_days: np.ndarray
    power: np.ndarray
    best_period_days: float


def lomb_scargle(series: UniformSeries) -> Periodogram:
    """The Lomb-Scargle periodogram of a light curve's valid cells
    (:func:`astrolens.periodogram.periodogram_arrays`).

    Raises
    ------
    InvalidLightCurve
        Too few points, or a baseline too short for a period (as ``periodogram_arrays``).

    Examples
    --------
    >>> from astrolens.preprocess import resample
    >>> time = np.arange(0.0, 27.0, 0.0204)
    >>> found = lomb_scargle(resample(time, 1e-2 * np.sin(2 * np.pi * time / 2.0)))
    >>> round(found.best_period_days, 2)
    2.0
    """
    valid = series.valid
    arrays = periodogram_arrays(
        series.time_days[valid], series.flux[valid] + 1.0, source=series.source
    )
    return Periodogram(
        PeriodogramConfig().periods_days,
        np.asarray(arrays["power"], dtype=np.float64),
        float(arrays["best_period_days"]),
    )


def render_thumbnail(
    series: UniformSeries,
    image: PowerImage | None,
    *,
    period_days: float | None = None,
    periodogram: Periodogram | None = None,
    width_px: int = 240,
    height_px: int = 200,
) -> bytes:
    """A small PNG: the light curve (relative flux against time) above its power image (or a
    note that there is none: a ground-based light curve).

    With a period (catalogued, or the periodogram's best), the light curve folded at it is drawn
    beside the unfolded one, two cycles long, with the median in phase bins; with a periodogram
    (an upload's), it is drawn beside the power image, the period marked. Every axis says its
    unit.

    Examples
    --------
    >>> import numpy as np
    >>> from astrolens.preprocess import resample
    >>> from astrolens.wavelets import power_image
    >>> time = np.arange(0.0, 27.0, 0.0204)
    >>> series = resample(time, 1e-2 * np.sin(2 * np.pi * time / 2.0))
    >>> png = render_thumbnail(series, power_image(series), width_px=120, height_px=100)
    >>> int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    (120, 100)
    >>> png = render_thumbnail(series, power_image(series), period_days=2.0)
    >>> int.from_bytes(png[16:20], "big")
    240
    """
    with _MATPLOTLIB, matplotlib.rc_context(_STYLE):
        figure = thumbnail_figure(
            series,
            image,
            period_days=period_days,
            periodogram=periodogram,
            width_px=width_px,
            height_px=height_px,
        )
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


def thumbnail_figure(
    series: UniformSeries,
    image: PowerImage | None,
    *,
    period_days: float | None = None,
    periodogram: Periodogram | None = None,
    width_px: int = 240,
    height_px: int = 200,
) -> Figure:
    """The figure :func:`render_thumbnail` draws, its panels named by their ``label``s
    (``series``, ``folded``, ``image``, ``periodogram``); not thread-safe (matplotlib)."""
    if periodogram is not None and period_days is None:
        period_days = periodogram.best_period_days
    folded = period_days is not None and math.isfinite(period_days) and period_days > 0
    layout = [["series"], ["image"]]
    if folded:
        layout = [["series", "folded"], ["image", "periodogram" if periodogram else "image"]]
    figure = Figure(figsize=(width_px / _DPI, height_px / _DPI), dpi=_DPI, layout="constrained")
    figure.get_layout_engine().set(w_pad=0.01, h_pad=0.01, wspace=0.02, hspace=0.02)
    axes = figure.subplot_mosaic(layout, height_ratios=[1, 1.4])
    plot_series(series, axes["series"])
    plot_power_image(image, axes["image"], colorbar=False)
    axes["series"].set_ylabel("rel. flux")
    if folded:
        assert period_days is not None
        _plot_folded(series, period_days, axes["folded"])
    else:
        axes["series"].sharex(axes["image"])
        axes["series"].set_xlabel("")
    if folded and periodogram is not None:
        _plot_periodogram(periodogram, axes["periodogram"])
    return figure


def _plot_folded(series: UniformSeries, period_days: float, ax: Axes) -> None:
    """The valid cells against phase, two cycles, and the median in 40 phase bins."""
    valid = series.valid
    time, flux = series.time_days[valid], series.flux[valid] + 1.0
    phase = np.mod(time - time[0], period_days) / period_days
    ax.plot(np.concatenate([phase, phase + 1]), np.tile(flux, 2), ".", ms=0.6, color="0.35")
    edges = np.linspace(0.0, 1.0, _PHASE_BINS + 1)
    which = np.clip(np.digitize(phase, edges) - 1, 0, _PHASE_BINS - 1)
    medians = np.array(
        [np.median(flux[which == b]) if np.any(which == b) else np.nan for b in range(_PHASE_BINS)]
    )
    centres = (edges[:-1] + edges[1:]) / 2
    ax.plot(np.concatenate([centres, centres + 1]), np.tile(medians, 2), lw=0.8, color="C3")
    ax.set_xlim(0.0, 2.0)
    ax.set_xlabel(f"phase (P = {period_days:.4g} d)")
    ax.tick_params(labelleft=False)


def _plot_periodogram(periodogram: Periodogram, ax: Axes) -> None:
    """Lomb-Scargle power against period (log axis), the best period marked."""
    ax.plot(periodogram.periods_days, periodogram.power, lw=0.6, color="k")
    ax.axvline(periodogram.best_period_days, color="C3", lw=0.6, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("period [d]")
    ax.set_ylabel("LS power")
    ax.set_ylim(0.0, max(1e-3, float(np.max(periodogram.power)) * 1.05))


def render_picture(picture: np.ndarray, *, width_px: int = 240) -> bytes:
    """A PNG of a colour picture ``(H, W, 3)`` uint8 (a galaxy cutout), enlarged by a whole
    factor to at most ``width_px`` pixels with each pixel kept square and sharp.

    Examples
    --------
    >>> png = render_picture(np.zeros((64, 64, 3), np.uint8), width_px=200)
    >>> int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    (192, 192)
    """
    from PIL import Image

    height, width = picture.shape[:2]
    factor = max(1, width_px // width)
    shown = Image.fromarray(np.ascontiguousarray(picture, dtype=np.uint8))
    if factor > 1:
        shown = shown.resize((width * factor, height * factor), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    shown.save(buffer, format="png")
    return buffer.getvalue()


def render_drawing(
    drawn: Any,
    *,
    period_days: float | None = None,
    periodogram: Periodogram | None = None,
    width_px: int = 240,
    height_px: int = 200,
) -> bytes:
    """The thumbnail of what an image source gives for a row: a colour picture (images) or a
    light curve and its power image (folded at ``period_days``, or at the periodogram's best
    period, with the periodogram; see :func:`render_thumbnail`)."""
    if isinstance(drawn, np.ndarray):
        return render_picture(drawn, width_px=width_px)
    return render_thumbnail(
        *drawn,
        period_days=period_days,
        periodogram=periodogram,
        width_px=width_px,
        height_px=height_px,
    )


def query_drawing(drawn: Any, period_days: float | None = None) -> tuple[bytes, float | None]:
    """The thumbnail of a query that is not catalogued (an upload) and the period it is folded
    at: ``period_days`` (the period the search ranked its matches by) or else the light curve's
    own Lomb-Scargle period, drawn with its periodogram; None for a picture, or a light curve
    too short or sparse for a period (then it is drawn unfolded)."""
    if isinstance(drawn, np.ndarray):
        return render_picture(drawn), None
    series = drawn[0]
    try:
        periodogram: Periodogram | None = lomb_scargle(series)
    except InvalidLightCurve:  # too few points or too short a baseline: no period to fold at
        periodogram = None
    png = render_drawing(drawn, period_days=period_days, periodogram=periodogram)
    if period_days is not None:
        return png, period_days
    return png, None if periodogram is None else periodogram.best_period_days


def catalogued_period(row: pd.Series) -> float | None:
    """A catalogue row's period in days, if it has a finite positive one.

    Examples
    --------
    >>> catalogued_period(pd.Series({"period_days": 0.07})), catalogued_period(pd.Series({}))
    (0.07, None)
    """
    value = row.get("period_days")
    try:
        period = float(value)
    except (TypeError, ValueError):
        return None
    return period if math.isfinite(period) and period > 0 else None


class ThumbnailCache:
    """Thumbnails of catalogue rows, drawn once and kept in memory and on disk.

    Parameters
    ----------
    images
        Light curve and power image of a catalogue row (default: regenerate a simulated one).
    directory
        Folder of the PNG files (default ``cache_dir("thumbnails")``, under ``$ASTROLENS_CACHE``).
    namespace
        Anything else the pictures depend on that the row does not say, e.g. the model run whose
        preprocessing ``images`` follows; part of every key.
    memory_items
        Thumbnails kept in memory (least recently used dropped first).
    width_px, height_px
        Size of the PNG.
    """

    def __init__(
        self,
        images: ImageSource = simulated_images,
        directory: str | os.PathLike[str] | None = None,
        *,
        namespace: str = "",
        memory_items: int = 512,
        width_px: int = 240,
        height_px: int = 200,
    ) -> None:
        if memory_items < 0 or width_px < 16 or height_px < 16:
            raise ValueError(
                "memory_items must be >= 0 and the size at least 16 x 16 pixels, got "
                f"{memory_items}, {width_px} x {height_px}"
            )
        self.images = images
        self.directory = Path(directory) if directory is not None else cache_dir(THUMBNAIL_CACHE)
        self.namespace = namespace
        self.memory_items = memory_items
        self.width_px = width_px
        self.height_px = height_px
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ThumbnailCache({str(self.directory)!r}, {len(self._memory)} in memory)"

    def key(self, row: pd.Series) -> str:
        """The hash that names the thumbnail of ``row`` (hex, 32 digits)."""
        images = self.images
        source = f"{getattr(images, '__module__', '')}.{getattr(images, '__qualname__', '')}"
        text = "|".join(
            [
                f"v{_FORMAT_VERSION}",
                f"{self.width_px}x{self.height_px}",
                source,
                self.namespace,
                row.to_json(double_precision=15),
            ]
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def path(self, row: pd.Series) -> Path:
        """Where the thumbnail of ``row`` is (or will be) on disk."""
        return self.directory / f"{self.key(row)}.png"

    def png(self, row: pd.Series) -> bytes:
        """The thumbnail of a catalogue row: from memory, else from disk, else drawn and saved.

        Raises
        ------
        InvalidLightCurve, ValueError
            As ``images`` raises them for a row whose light curve cannot be drawn.
        """
        key = self.key(row)
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        path = self.directory / f"{key}.png"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = render_drawing(
                self.images(row),
                period_days=catalogued_period(row),
                width_px=self.width_px,
                height_px=self.height_px,
            )
            with written_atomically(path) as temporary:
                temporary.write_bytes(data)
        self._remember(key, data)
        return data

    def _remember(self, key: str, data: bytes) -> None:
        with self._lock:
            self._memory[key] = data
            self._memory.move_to_end(key)
            while len(self._memory) > self.memory_items:
                self._memory.popitem(last=False)
