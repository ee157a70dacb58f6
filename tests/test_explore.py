"""The similarity explorer: map coordinates, picking, drawing, clicks and the notebook widget."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backend_bases import MouseEvent
from sklearn.decomposition import PCA

from astrolens.catalog import Catalog, UnknownObject
from astrolens.explore import MAP_TITLE, SimilarityExplorer
from astrolens.index import FaissIndex, build_index
from astrolens.search import Filters, SimilaritySearch
from astrolens.simulate import SurveyConfig, generate_catalog

DIMENSION = 8


@pytest.fixture(scope="module")
def search():
    """80 objects of four classes, each class a cluster of embeddings."""
    config = SurveyConfig(
        name="explore-test",
        n_objects=80,
        seed=3,
        class_weights={"RRab": 1, "EA": 1, "TRANSIT": 1, "DSCT": 1},
    )
    table = generate_catalog(config)
    rng = np.random.default_rng(5)
    centres = {name: rng.normal(0, 6.0, DIMENSION) for name in sorted(table["class"].unique())}
    vectors = np.stack([centres[name] + rng.normal(0, 0.5, DIMENSION) for name in table["class"]])
    index = build_index(vectors.astype(np.float32), table["object_id"], run="t", progress=False)
    return SimilaritySearch(index, Catalog(table))


@pytest.fixture(scope="module")
def explorer(search):
    return SimilarityExplorer(search, k=4)


def test_every_object_is_on_the_map_at_its_principal_components(search, explorer):
    vectors = search.index.get_vectors(slice(None)).astype(np.float64)
    expected = PCA(n_components=2, random_state=0).fit_transform(vectors)
    assert explorer.points["object_id"].tolist() == list(search.index.ids)
    np.testing.assert_allclose(explorer.points[["x", "y"]].to_numpy(), expected, atol=1e-6)
    classes = search.catalog.table.set_index("object_id").loc[explorer.points["object_id"], "class"]
    assert explorer.points["class"].tolist() == classes.tolist()


def test_a_large_survey_is_subsampled_on_the_map_but_every_object_can_be_picked(search):
    small = SimilarityExplorer(search, k=3, max_points=20, seed=1)
    assert len(small.points) == 20 and small.points["object_id"].is_unique
    hidden = next(i for i in search.index.ids if i not in set(small.points["object_id"]))
    assert small.select(hidden).query.label == hidden


def test_select_is_the_search_by_object(search, explorer):
    object_id = search.index.ids[10]
    result = explorer.select(object_id)
    expected = search.by_object(object_id, k=4)
    assert result.matches["object_id"].tolist() == expected.matches["object_id"].tolist()
    assert explorer.result is result
    query_class = result.query.row["class"]
    assert (result.matches["class"] == query_class).all()  # clusters are far apart


def test_select_with_a_new_k_and_filters(search, explorer):
    object_id = search.index.ids[0]
    result = explorer.select(object_id, k=6, filters=Filters(classes="EA"))
    assert len(result) == 6 and set(result.matches["class"]) == {"EA"}
    assert explorer.k == 6
    explorer.select(object_id, k=4)


def test_unknown_object_raises(explorer):
    with pytest.raises(UnknownObject):
        explorer.select("KIC 1")


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 79), st.floats(-1e-3, 1e-3), st.floats(-1e-3, 1e-3))
def test_pick_finds_the_object_drawn_nearest(explorer, row, dx, dy):
    points = explorer.points
    x, y = points.at[row, "x"] + dx, points.at[row, "y"] + dy
    distances = np.hypot(points["x"] - x, points["y"] - y)
    assert distances[points["object_id"] == explorer.pick(x, y)].iloc[0] == distances.min()


def test_draw_marks_the_query_and_its_matches(search, explorer):
    explorer.select(search.index.ids[3])
    figure = explorer.draw()
    map_ax = next(ax for ax in figure.axes if ax.get_title() == MAP_TITLE)
    labels = [collection.get_label() for collection in map_ax.collections]
    assert "query" in labels and "match" in labels
    assert {"RRab", "EA", "TRANSIT", "DSCT"} <= set(labels)
    titles = [ax.get_title() for ax in figure.axes if ax.get_title().startswith(("#", "query"))]
    assert titles[0].startswith(f"query {search.index.ids[3]}")
    assert [title.split()[0] for title in titles[1:]] == [f"#{rank}" for rank in range(1, 5)]
    plt.close(figure)


def test_a_click_on_the_map_picks_the_nearest_object_and_redraws(search, explorer):
    figure = explorer.draw()
    explorer.connect(figure)
    figure.canvas.draw()
    target = explorer.points.iloc[42]
    map_ax = next(ax for ax in figure.axes if ax.get_title() == MAP_TITLE)
    x, y = map_ax.transData.transform((target["x"], target["y"]))
    event = MouseEvent("button_press_event", figure.canvas, x, y, button=1)
    figure.canvas.callbacks.process("button_press_event", event)
    assert explorer.result.query.label == target["object_id"]
    assert any(ax.get_title().startswith(f"query {target['object_id']}") for ax in figure.axes)
    plt.close(figure)


def test_a_click_outside_the_map_changes_nothing(search, explorer):
    before = explorer.select(search.index.ids[5])
    figure = explorer.draw()
    explorer.connect(figure)
    figure.canvas.draw()
    event = MouseEvent("button_press_event", figure.canvas, 1, 1, button=1)
    figure.canvas.callbacks.process("button_press_event", event)
    assert explorer.result is before
    plt.close(figure)


def test_widget_offers_objects_of_every_class_and_redraws_on_change(search, explorer):
    widget = explorer.widget(per_class=2)
    dropdown, slider = widget.children[0].children
    offered = [label.split(":")[0] for label, _ in dropdown.options]
    assert sorted(set(offered)) == ["DSCT", "EA", "RRab", "TRANSIT"] and len(offered) == 8
    assert explorer.result.query.label == dropdown.value  # drawn once when made
    dropdown.value = dropdown.options[-1][1]
    assert explorer.result.query.label == dropdown.options[-1][1]
    slider.value = 2
    assert len(explorer.result) == 2
    explorer.select(search.index.ids[0], k=4)


def test_widget_with_given_choices(search, explorer):
    choices = list(search.index.ids[:3])
    dropdown = explorer.widget(choices).children[0].children[0]
    assert [value for _, value in dropdown.options] == choices


def test_settings_are_checked(search):
    with pytest.raises(ValueError, match="at least 1"):
        SimilarityExplorer(search, k=0)


class _VectorsElsewhere(FaissIndex):
    """A FAISS index whose vectors array cannot be read directly, as if held by a server."""

    @property
    def vectors(self):
        raise AssertionError("the explorer must read stored vectors with get_vectors")


def test_the_explorer_reads_stored_vectors_only_by_position(search, explorer):
    index = _VectorsElsewhere.build(
        search.index.get_vectors(slice(None)), search.index.ids, run="t", progress=False
    )
    elsewhere = SimilarityExplorer(SimilaritySearch(index, search.catalog), k=4)
    pd.testing.assert_frame_equal(elsewhere.points, explorer.points)
    object_id = search.index.ids[3]
    result = elsewhere.select(object_id)
    assert result.matches.equals(explorer.select(object_id).matches)
    figure = elsewhere.draw()
    map_ax = next(ax for ax in figure.axes if ax.get_title() == MAP_TITLE)
    assert "match" in [collection.get_label() for collection in map_ax.collections]
    plt.close(figure)
