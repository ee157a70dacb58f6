"""Figures of search results for notebooks: the query beside its matches, and what the matches say
about the query's physical parameters.

The light curves and power images come from a callable (``images``) that turns a catalogue row
into a :class:`~astrolens.preprocess.UniformSeries` and a :class:`~astrolens.wavelets.PowerImage`;
:func:`simulated_images` does it for the simulated survey by regenerating the light curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from astrolens.catalog import column_label
from astrolens.modalities.lightcurve import LightCurveModality
from astrolens.plots import COLORBAR_LABEL, plot_power_image, plot_series
from astrolens.preprocess import PreprocessConfig, UniformSeries
from astrolens.simulate import source_arrays
from astrolens.wavelets import PowerImage, WaveletConfig

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from astrolens.search.core import SearchResult

__all__ = [
    "ImageSource",
    "PictureSource",
    "plot_image_matches",
    "plot_matches",
    "plot_parameter_distributions",
    "simulated_images",
]

ImageSource = Callable[[pd.Series], tuple[UniformSeries, PowerImage | None]]
"""Turns a catalogue row into its cleaned light curve and power image (None: too sparse)."""

PictureSource = Callable[[pd.Series], "np.ndarray"]
"""Turns a catalogue row of a survey of images into its colour picture ``(H, W, 3)`` uint8."""


def simulated_images(
    row: pd.Series,
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
) -> tuple[UniformSeries, PowerImage | None]:
    """The light curve and power image of a simulated survey's catalogue row (no image for a
    ground-based light curve: :meth:`~astrolens.modalities.LightCurveModality.picture`).

    :func:`astrolens.simulate.source_arrays` -> :func:`astrolens.transform.series_from_arrays`
    -> :func:`astrolens.wavelets.power_image`.

    Examples
    --------
    >>> from astrolens.simulate import SurveyConfig, generate_catalog
    >>> row = generate_catalog(SurveyConfig(name="mini", n_objects=4)).iloc[0]
    >>> series, image = simulated_images(row)
    >>> image.object_id == row["object_id"], image.image.shape
    (True, (64, 64))
    """
    modality = LightCurveModality(preprocess, wavelet)
    return modality.picture(modality.load(source_arrays(row, preprocess.quality_bitmask)))


def plot_matches(
    result: SearchResult,
    images: ImageSource = simulated_images,
    *,
    n: int = 8,
    columns: int = 4,
    query_images: tuple[UniformSeries, PowerImage | None] | None = None,
) -> Figure:
    """The query (light curve above power image) beside a grid of its first ``n`` matches.

    Parameters
    ----------
    result
        A search result.
    images
        Light curve and power image of a catalogue row (default: regenerate a simulated one).
    n, columns
        Matches shown, and matches per row of the grid.
    query_images
        The query's light curve and power image, for a query that is not a catalogued object
        (an uploaded light curve); a catalogued query object is drawn with ``images``.

    Examples
    --------
    >>> from astrolens.catalog import Catalog
    >>> from astrolens.index import build_index
    >>> from astrolens.search import SimilaritySearch
    >>> from astrolens.simulate import SurveyConfig, generate_catalog
    >>> table = generate_catalog(SurveyConfig(name="mini", n_objects=6))
    >>> vectors = np.arange(12, dtype=np.float32).reshape(6, 2)
    >>> index = build_index(vectors, table["object_id"], run="demo", progress=False)
    >>> result = SimilaritySearch(index, Catalog(table)).by_object(table["object_id"][0], k=2)
    >>> figure = plot_matches(result, n=2)
    >>> len(figure.subfigs)
    2
    """
    import matplotlib.pyplot as plt

    shown = result.matches.head(n)
    if shown.empty:
        raise ValueError(f"no matches to draw for {result.query.label}")
    columns = max(1, min(columns, len(shown)))
    grid_rows = math.ceil(len(shown) / columns)
    figure = plt.figure(figsize=(3.2 * (columns + 1) + 1, 3.6 * grid_rows), layout="constrained")
    query_figure, matches_figure = figure.subfigures(1, 2, width_ratios=[1, columns])
    top, bottom = query_figure.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.6]})
    if query_images is None and result.query.row is not None:
        query_images = images(result.query.row)
    if query_images is None:
        for ax in (top, bottom):
            ax.set_axis_off()
        top.text(0.5, 0.5, "no light curve", ha="center", va="center", transform=top.transAxes)
    else:
        _plot_pair(query_images, top, bottom)
    query_figure.suptitle(f"query: {_query_title(result)}", fontsize=10)
    axes = matches_figure.subplots(
        2 * grid_rows,
        columns,
        squeeze=False,
        gridspec_kw={"height_ratios": [1, 1.6] * grid_rows},
    )
    for number, (_, match) in enumerate(shown.iterrows()):
        grid_row, column = divmod(number, columns)
        series_ax, image_ax = axes[2 * grid_row, column], axes[2 * grid_row + 1, column]
        _plot_pair(images(match), series_ax, image_ax)
        series_ax.set_title(_match_title(match), fontsize=8)
    for number in range(len(shown), grid_rows * columns):
        grid_row, column = divmod(number, columns)
        axes[2 * grid_row, column].set_axis_off()
        axes[2 * grid_row + 1, column].set_axis_off()
    matches_figure.colorbar(
        axes[1, 0].collections[0], ax=axes, label=COLORBAR_LABEL, pad=0.01, shrink=0.8
    )
    return figure


def plot_parameter_distributions(
    result: SearchResult,
    columns: Sequence[str] | None = None,
    *,
    bins: int = 15,
    per_row: int = 4,
) -> Figure:
    """Histograms of the matches' physical parameters: median, 16-84 % band, query's value.

    Parameters
    ----------
    result
        A search result.
    columns
        Parameters to draw (default: those :meth:`SearchResult.parameters` summarises).
    bins, per_row
        Histogram bins, and panels per row.

    Raises
    ------
    ValueError
        If no parameter has a value among the matches.

    Examples
    --------
    >>> from astrolens.catalog import Catalog
    >>> from astrolens.index import build_index
    >>> from astrolens.search import SimilaritySearch
    >>> table = pd.DataFrame({"object_id": list("abcde"), "ra": np.arange(5.0),
    ...                       "dec": np.zeros(5), "period_days": [1.0, 1.1, 1.3, 0.9, 5.0]})
    >>> index = build_index(np.arange(10.0).reshape(5, 2), table["object_id"], run="demo",
    ...                     progress=False)
    >>> result = SimilaritySearch(index, Catalog(table)).by_object("a", k=3)
    >>> plot_parameter_distributions(result).axes[0].get_xlabel()
    'period_days [d]'
    """
    import matplotlib.pyplot as plt

    summary = result.parameters(columns)
    summary = summary[summary["n"] > 0]
    if summary.empty:
        raise ValueError(
            f"no physical parameter has a value among the matches of {result.query.label}"
        )
    per_row = max(1, min(per_row, len(summary)))
    n_rows = math.ceil(len(summary) / per_row)
    figure, axes = plt.subplots(
        n_rows, per_row, figsize=(3.2 * per_row, 2.6 * n_rows), squeeze=False, layout="constrained"
    )
    for ax, (name, stats) in zip(axes.flat, summary.iterrows(), strict=False):
        values = result.matches[name].to_numpy(dtype=np.float64)
        _plot_histogram(ax, values[np.isfinite(values)], stats, bins)
        ax.set_xlabel(column_label(str(name)))
        ax.set_ylabel("matches")
    for ax in axes.flat[len(summary) :]:
        ax.set_axis_off()
    axes.flat[0].legend(fontsize=7, loc="best")
    figure.suptitle(
        f"parameters of the {len(result.matches)} matches of {result.query.label}", fontsize=10
    )
    return figure


def plot_image_matches(
    result: SearchResult,
    pictures: PictureSource,
    *,
    n: int = 8,
    columns: int = 4,
    query_picture: np.ndarray | None = None,
) -> Figure:
    """The query picture beside a grid of the pictures of its first ``n`` matches (a search of
    galaxy images), each titled with its rank, id, class and distance.

    ``pictures`` draws a catalogue row; ``query_picture`` is the picture of a query that is not
    a catalogued object (an upload), else the query object is drawn with ``pictures``.

    Examples
    --------
    >>> from astrolens.catalog import Catalog
    >>> from astrolens.index import build_index
    >>> from astrolens.search import SimilaritySearch
    >>> table = pd.DataFrame({"object_id": ["A", "B", "C"], "class": ["ring", "spiral", "ring"]})
    >>> vectors = np.arange(6, dtype=np.float32).reshape(3, 2)
    >>> index = build_index(vectors, table["object_id"], run="demo", progress=False)
    >>> result = SimilaritySearch(index, Catalog(table)).by_object("A", k=2)
    >>> grey = lambda row: np.full((8, 8, 3), 128, np.uint8)
    >>> len(plot_image_matches(result, grey).subfigs)
    2
    """
    import matplotlib.pyplot as plt

    shown = result.matches.head(n)
    if shown.empty:
        raise ValueError(f"no matches to draw for {result.query.label}")
    columns = max(1, min(columns, len(shown)))
    grid_rows = math.ceil(len(shown) / columns)
    figure = plt.figure(figsize=(2.6 * (columns + 1) + 0.5, 2.9 * grid_rows), layout="constrained")
    query_figure, matches_figure = figure.subfigures(1, 2, width_ratios=[1, columns])
    query_ax = query_figure.subplots()
    if query_picture is None and result.query.row is not None:
        query_picture = pictures(result.query.row)
    if query_picture is None:
        query_ax.text(0.5, 0.5, "no picture", ha="center", va="center")
    else:
        query_ax.imshow(query_picture, origin="upper")
    query_ax.set_axis_off()
    query_ax.set_title(f"query: {_query_title(result)}", fontsize=9)
    axes = matches_figure.subplots(grid_rows, columns, squeeze=False)
    for number, (_, match) in enumerate(shown.iterrows()):
        ax = axes[divmod(number, columns)]
        ax.imshow(pictures(match), origin="upper")
        ax.set_title(_match_title(match), fontsize=8)
    for ax in axes.flat:
        ax.set_axis_off()
    return figure


def _plot_histogram(ax: Axes, values: np.ndarray, stats: pd.Series, bins: int) -> None:
    ax.hist(values, bins=bins, color="0.65")
    ax.axvspan(stats["p16"], stats["p84"], color="C0", alpha=0.2, label="16-84 %")
    ax.axvline(stats["median"], color="C0", label="median")
    if np.isfinite(stats["query"]):
        ax.axvline(stats["query"], color="C3", linestyle="--", label="query")


def _plot_pair(
    pair: tuple[UniformSeries, PowerImage | None], series_ax: Axes, image_ax: Axes
) -> None:
    series, image = pair
    plot_series(series, series_ax)
    plot_power_image(image, image_ax, colorbar=False)


def _query_title(result: SearchResult) -> str:
    row = result.query.row
    if row is None or "class" not in row.index:
        return result.query.label
    return f"{result.query.label} ({row['class']})"


def _match_title(match: pd.Series) -> str:
    """Rank, id, class and distance; "period fits" when the query's own period ranked it first
    (``period_match``)."""
    score = "distance" if "distance" in match.index else "anomaly_score"
    kind = f" {match['class']}" if "class" in match.index else ""
    fits = ", period fits" if bool(match.get("period_match", False)) else ""
    return f"#{match['rank']} {match['object_id']}{kind}\n{score} {match[score]:.3g}{fits}"
