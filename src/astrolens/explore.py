"""Explore a survey's embedding space: a map of the objects, and the neighbours of the one picked.

A :class:`SimilarityExplorer` projects the embeddings of a
:class:`~astrolens.search.SimilaritySearch` onto their first two principal components (a linear
map, so every object, and any new embedding, has a place on it), draws the map coloured by class,
and for the object picked (by id, from a notebook widget, or by a click on the map) runs the
search and draws the query and its neighbours as wavelet power images, the neighbours circled on
the map.

Examples
--------
>>> from astrolens.catalog import Catalog
>>> from astrolens.index import build_index
>>> from astrolens.search import SimilaritySearch
>>> from astrolens.simulate import SurveyConfig, generate_catalog
>>> table = generate_catalog(SurveyConfig(name="mini", n_objects=40))
>>> vectors = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)
>>> index = build_index(vectors, table["object_id"], run="demo", progress=False)
>>> explorer = SimilarityExplorer(SimilaritySearch(index, Catalog(table)), k=3)
>>> result = explorer.select(table["object_id"][0])
>>> len(result), len(explorer.draw().axes) > 4
(3, True)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseEvent
from matplotlib.figure import Figure, SubFigure
from numpy.typing import ArrayLike, NDArray
from sklearn.decomposition import PCA

from astrolens.plots import COLORBAR_LABEL, plot_power_image
from astrolens.search import Filters, SearchResult, SimilaritySearch
from astrolens.search.figures import ImageSource, simulated_images

__all__ = ["SimilarityExplorer"]

MAP_TITLE = "embedding map (PCA)"
"""Title of the map panel; a click inside it picks the nearest object."""


class SimilarityExplorer:
    """Pick an object on the embedding map and see its most similar objects.

    Parameters
    ----------
    search
        The survey's similarity search.
    k
        Neighbours shown.
    max_points
        Objects drawn on the map (a random subsample of larger surveys; every object can still
        be selected by id). The principal components are fitted on the same subsample.
    seed
        Seed of the subsample.
    images
        Light curve and power image of a catalogue row (default: regenerate a simulated one).
    filters
        Conditions every neighbour must meet.
    """

    def __init__(
        self,
        search: SimilaritySearch,
        *,
        k: int = 6,
        max_points: int = 4000,
        seed: int = 0,
        images: ImageSource = simulated_images,
        filters: Filters | None = None,
    ) -> None:
        if k < 1 or max_points < 1:
            raise ValueError(f"k and max_points must be at least 1, got {k} and {max_points}")
        self.search = search
        self.k = k
        self.images = images
        self.filters = filters
        n = len(search.index)
        rng = np.random.default_rng(seed)
        positions = np.arange(n) if n <= max_points else np.sort(rng.choice(n, max_points, False))
        vectors = search.index.get_vectors(positions).astype(np.float64)
        self._pca = PCA(n_components=min(2, *vectors.shape), random_state=seed).fit(vectors)
        self.points = pd.DataFrame(
            {
                "object_id": np.asarray(search.index.ids)[positions].astype(str),
                "class": self._classes(positions),
            }
        )
        self.points[["x", "y"]] = self.coordinates(vectors)
        self.result: SearchResult | None = None

    def coordinates(self, vectors: ArrayLike) -> NDArray[np.float64]:
        """Map coordinates ``(n, 2)`` of embeddings ``(n, dim)`` (or one embedding)."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
        projected = self._pca.transform(vectors)
        if projected.shape[1] < 2:
            projected = np.column_stack([projected, np.zeros(len(projected))])
        return projected

    def select(
        self, object_id: str, k: int | None = None, *, filters: Filters | None = None
    ) -> SearchResult:
        """Search the neighbours of a catalogued object and keep them for :meth:`draw`.

        Raises
        ------
        UnknownObject
            If the object is not in the catalogue or has no embedding.
        """
        if k is not None:
            self.k = k
        chosen = self.filters if filters is None else filters
        self.result = self.search.by_object(object_id, self.k, filters=chosen)
        return self.result

    def pick(self, x: float, y: float) -> str:
        """The object drawn nearest to the map position ``(x, y)``."""
        distance = np.hypot(self.points["x"] - x, self.points["y"] - y)
        return str(self.points["object_id"].iloc[int(np.argmin(distance))])

    def draw(self, figure: Figure | None = None) -> Figure:
        """The map, with the query and its neighbours marked, beside their power images.

        ``figure`` is cleared and drawn again (to update a figure on screen); by default a new
        one is made.
        """
        if figure is None:
            figure = plt.figure(figsize=(13, 5.2), layout="constrained")
        else:
            figure.clear()
        map_figure, images_figure = figure.subfigures(1, 2, width_ratios=[1.0, 1.45])
        self._draw_map(map_figure.subplots())
        if self.result is None:
            images_figure.text(0.5, 0.5, "pick an object", ha="center", va="center")
        else:
            self._draw_images(images_figure, self.result)
        return figure

    def show(self, object_id: str, k: int | None = None) -> Figure:
        """:meth:`select` then :meth:`draw`: the callback of :meth:`widget`."""
        self.select(object_id, k)
        return self.draw()

    def connect(self, figure: Figure) -> int:
        """Make a click on the map of ``figure`` pick the nearest object and redraw.

        Needs an interactive matplotlib backend (``%matplotlib widget`` in a notebook, or a
        desktop window). Returns the connection id (``figure.canvas.mpl_disconnect`` undoes it).
        """

        def on_click(event: MouseEvent) -> None:
            axes = event.inaxes
            if axes is None or axes.get_title() != MAP_TITLE or event.xdata is None:
                return
            self.select(self.pick(event.xdata, event.ydata))
            self.draw(figure)
            figure.canvas.draw_idle()

        return figure.canvas.mpl_connect("button_press_event", on_click)

    def widget(self, choices: Sequence[str] | None = None, per_class: int = 4) -> Any:
        """A notebook widget: choose an object and a number of neighbours, see them.

        Parameters
        ----------
        choices
            Object ids offered; default ``per_class`` objects of each class on the map.
        per_class
            Objects per class offered by default.

        Returns
        -------
        ipywidgets.VBox
            The controls above the figure; it is drawn once for the first choice when made.
        """
        import ipywidgets
        from IPython.display import display

        if choices is None:
            offered = self.points.groupby("class", sort=True).head(per_class)
            options = [
                (f"{row['class']}: {row['object_id']}", row["object_id"])
                for _, row in offered.sort_values(["class", "object_id"]).iterrows()
            ]
        else:
            options = [(str(object_id), str(object_id)) for object_id in choices]
        dropdown = ipywidgets.Dropdown(options=options, description="object")
        slider = ipywidgets.IntSlider(value=self.k, min=1, max=16, description="neighbours")
        output = ipywidgets.Output()

        def update(_change: Any = None) -> None:
            with output:
                output.clear_output(wait=True)
                figure = self.show(dropdown.value, slider.value)
                display(figure)
                plt.close(figure)

        dropdown.observe(update, names="value")
        slider.observe(update, names="value")
        update()
        return ipywidgets.VBox([ipywidgets.HBox([dropdown, slider]), output])

    def _classes(self, positions: NDArray[np.int64]) -> NDArray[np.object_]:
        catalog = self.search.catalog
        if "class" not in catalog.table.columns:
            return np.full(len(positions), "object", dtype=object)
        rows = catalog.locate(np.asarray(self.search.index.ids)[positions])
        return catalog.table["class"].to_numpy(dtype=object)[rows]

    def _draw_map(self, ax: Axes) -> None:
        colours = plt.get_cmap("tab20")
        classes = [
            ax.scatter(group["x"], group["y"], s=4, color=colours(number % 20), label=name)
            for number, (name, group) in enumerate(self.points.groupby("class", sort=True))
        ]
        if self.result is not None:
            self._mark_result(ax, self.result)
        ax.set_xlabel("principal component 1")
        ax.set_ylabel("principal component 2")
        ax.set_title(MAP_TITLE)
        ax.legend(
            handles=classes, markerscale=3, fontsize=6, loc="center left", bbox_to_anchor=(1, 0.5)
        )

    def _mark_result(self, ax: Axes, result: SearchResult) -> None:
        positions = self._index_positions(result.matches["object_id"])
        neighbours = self.coordinates(self.search.index.get_vectors(positions))
        ax.scatter(*neighbours.T, s=60, facecolors="none", edgecolors="k", lw=1.2, label="match")
        for rank, (x, y) in enumerate(neighbours, start=1):
            ax.annotate(str(rank), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        query = self.coordinates(result.query.vectors.mean(axis=0))[0]
        ax.scatter(*query, s=180, marker="*", color="k", edgecolors="w", label="query")

    def _index_positions(self, object_ids: pd.Series) -> NDArray[np.int64]:
        return self._position_of_id.loc[object_ids.astype(str)].to_numpy(dtype=np.int64)

    @functools.cached_property
    def _position_of_id(self) -> pd.Series:
        """Index position by object id, built once (a million ids take a second)."""
        ids = np.asarray(self.search.index.ids).astype(str)
        return pd.Series(np.arange(ids.size), index=ids)

    def _draw_images(self, figure: SubFigure, result: SearchResult) -> None:
        shown = result.matches
        columns = max(2, math.ceil((len(shown) + 1) / 2))
        axes = figure.subplots(2, columns, squeeze=False, sharey=True)
        panels: list[tuple[pd.Series | None, str]] = [(result.query.row, _query_title(result))]
        panels += [(row, _match_title(row)) for _, row in shown.iterrows()]
        for ax, (row, title) in zip(axes.flat, panels, strict=False):
            if row is None:
                ax.set_axis_off()
                ax.text(0.5, 0.5, "no light curve", ha="center", va="center", fontsize=8)
            else:
                plot_power_image(self.images(row)[1], ax, colorbar=False)
            ax.set_title(title, fontsize=8)
            ax.set_xlabel("time [d]", fontsize=7)
            ax.tick_params(labelsize=6)
        for ax in axes.flat[len(panels) :]:
            ax.set_axis_off()
        drawn = [ax for ax in axes.flat if ax.collections]
        if drawn:
            figure.colorbar(drawn[0].collections[0], ax=axes, label=COLORBAR_LABEL, shrink=0.8)


def _query_title(result: SearchResult) -> str:
    row = result.query.row
    kind = f" ({row['class']})" if row is not None and "class" in row.index else ""
    return f"query {result.query.label}{kind}"


def _match_title(row: pd.Series) -> str:
    kind = f" {row['class']}" if "class" in row.index else ""
    return f"#{row['rank']}{kind}, d={row['distance']:.2f}"
