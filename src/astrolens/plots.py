"""Figures of light curves and their wavelet power images (matplotlib, labelled with units).

matplotlib is imported by the functions that draw, not with the module.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from astrolens.files import written_atomically

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from astrolens.preprocess import UniformSeries
    from astrolens.wavelets import PowerImage

COLORBAR_LABEL = "scaled log power"

__all__ = ["plot_power_image", "plot_series", "plot_transform", "plot_transforms", "save_figure"]


def plot_series(series: UniformSeries, ax: Axes) -> Axes:
    """Relative flux against time on ``ax``; long gaps (invalid cells) are left blank, and a
    sparse light curve (most epochs alone in their cell: ground-based, a night apart) is drawn
    as points.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from astrolens.preprocess import resample
    >>> series = resample(np.arange(0.0, 10.0, 0.02), np.zeros(500))
    >>> plot_series(series, plt.figure().gca()).get_ylabel()
    'relative flux'
    """
    flux = np.where(series.valid, series.flux, np.nan) + 1.0
    valid = series.valid
    alone = valid & ~np.roll(valid, 1) & ~np.roll(valid, -1)
    if alone.sum() > valid.sum() / 2:
        ax.plot(series.time_days[valid], flux[valid], ".", ms=1.5, color="k")
    else:
        ax.plot(series.time_days, flux, lw=0.6, color="k")
    ax.set_xlabel("time [d]")
    ax.set_ylabel("relative flux")
    ax.set_xlim(series.time_days[0], series.time_days[-1])
    return ax


def plot_power_image(image: PowerImage | None, ax: Axes, colorbar: bool = True) -> Axes:
    """The power image on ``ax``: time across, period up (log scale, days); masked pixels grey.
    None (a light curve too sparse for the uniform grid) says so in the panel.

    The colour is the image value: log10 power scaled to [0, 1] by the wavelet configuration's
    fixed range, so colours compare across light curves.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from astrolens.preprocess import resample
    >>> from astrolens.wavelets import power_image
    >>> time = np.arange(0.0, 27.0, 0.0204)
    >>> image = power_image(resample(time, 1e-2 * np.sin(2 * np.pi * time / 2.0)))
    >>> plot_power_image(image, plt.figure().gca()).get_ylabel()
    'period [d]'
    """
    if image is None:
        ax.text(
            0.5,
            0.5,
            "no wavelet image:\nsampled too sparsely",
            ha="center",
            va="center",
            fontsize=7,
            color="0.4",
            transform=ax.transAxes,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return ax
    import matplotlib.pyplot as plt

    shown = np.ma.masked_where(~image.mask, image.image)
    colormap = plt.get_cmap("magma").with_extremes(bad="0.85")
    edges = np.geomspace(image.periods_days[0], image.periods_days[-1], len(image.periods_days) + 1)
    mesh = ax.pcolormesh(image.time_edges_days, edges, shown, cmap=colormap, vmin=0, vmax=1)
    ax.set_yscale("log")
    ax.set_xlabel("time [d]")
    ax.set_ylabel("period [d]")
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=COLORBAR_LABEL, pad=0.01)
    return ax


def plot_transform(series: UniformSeries, image: PowerImage, title: str | None = None) -> Figure:
    """A light curve above its power image, sharing the time axis."""
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(8, 5.5),
        sharex=True,
        layout="constrained",
        gridspec_kw={"height_ratios": [1, 1.6]},
    )
    plot_series(series, top)
    top.set_xlabel("")
    plot_power_image(image, bottom, colorbar=False)
    figure.colorbar(bottom.collections[0], ax=[top, bottom], label=COLORBAR_LABEL, pad=0.01)
    top.set_title(title or image.object_id or series.source, fontsize=10)
    return figure


def plot_transforms(
    pairs: Sequence[tuple[UniformSeries, PowerImage]], titles: Sequence[str] | None = None
) -> Figure:
    """Several light curves, each above its power image, side by side in one figure; an image
    may be None (a light curve too sparse for one: a ground-based survey's), the panel says so."""
    import matplotlib.pyplot as plt

    n = len(pairs)
    figure, axes = plt.subplots(
        2,
        n,
        figsize=(3.8 * n + 1, 5.5),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"height_ratios": [1, 1.6]},
    )
    for column, (series, image) in enumerate(pairs):
        plot_series(series, axes[0, column])
        plot_power_image(image, axes[1, column], colorbar=False)
        title = titles[column] if titles else getattr(image, "object_id", None) or series.source
        axes[0, column].set_title(title, fontsize=9)
    drawn = [ax.collections[0] for ax in axes[1] if ax.collections]
    if drawn:
        figure.colorbar(drawn[-1], ax=axes, label=COLORBAR_LABEL, pad=0.01)
    return figure


def save_figure(figure: Figure, path: str | PathLike[str], dpi: int = 110) -> Path:
    """Save ``figure`` as PNG (atomically: written aside, then renamed) and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    try:
        with written_atomically(path) as temporary:
            figure.savefig(temporary, dpi=dpi, format="png")
    finally:
        plt.close(figure)
    return path
