"""Figures of search results."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from astrolens.catalog import Catalog
from astrolens.index import build_index
from astrolens.plots import plot_power_image, plot_series
from astrolens.preprocess import resample
from astrolens.search import SimilaritySearch
from astrolens.search.figures import plot_matches, plot_parameter_distributions, simulated_images
from astrolens.simulate import SurveyConfig, generate_catalog
from astrolens.simulate.survey import MIXED_CADENCE_MIX
from astrolens.wavelets import power_image
from astrolens.web.thumbnails import render_thumbnail


@pytest.fixture(scope="module")
def search():
    table = generate_catalog(SurveyConfig(name="plots", n_objects=40, seed=2))
    vectors = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)
    return SimilaritySearch(
        build_index(vectors, table["object_id"], run="t", progress=False), Catalog(table)
    )


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_simulated_images_regenerate_the_row(search):
    row = search.catalog.table.iloc[3]
    series, image = simulated_images(row)
    assert series.meta["object_id"] == image.object_id == row["object_id"]
    assert image.image.shape == (64, 64) and np.isfinite(image.image).all()


def test_plot_matches_draws_the_query_beside_a_grid(search):
    calls = []

    def images(row):
        calls.append(row["object_id"])
        return simulated_images(row)

    result = search.by_object(search.catalog.object_ids[0], k=5)
    figure = plot_matches(result, images, n=5, columns=3)
    query_figure, matches_figure = figure.subfigs
    assert calls == [result.query.object_ids[0], *result.matches["object_id"]]
    query_class = result.query.row["class"]
    assert query_figure._suptitle.get_text() == f"query: {result.query.label} ({query_class})"
    titles = [ax.get_title() for ax in matches_figure.axes if ax.get_title()]
    assert len(titles) == 5 and titles[0].startswith(f"#1 {result.matches['object_id'][0]}")
    assert sum(ax.get_ylabel() == "period [d]" for ax in matches_figure.axes) == 5
    assert sum(not ax.axison for ax in matches_figure.axes) == 2  # 6 cells, 5 matches


def test_plot_matches_of_a_vector_query(search):
    result = search.by_vector(np.zeros(8), k=2)
    figure = plot_matches(result, n=2)
    assert [ax.axison for ax in figure.subfigs[0].axes] == [False, False]
    time = np.arange(0.0, 27.0, 0.0204)
    series = resample(time, 1e-2 * np.sin(2 * np.pi * time / 3.0))
    figure = plot_matches(result, n=2, query_images=(series, power_image(series)))
    assert figure.subfigs[0].axes[1].get_ylabel() == "period [d]"


def test_parameter_histograms_mark_median_band_and_query(search):
    result = search.by_object(search.catalog.object_ids[4], k=12)
    summary = result.parameters()
    figure = plot_parameter_distributions(result, bins=6)
    panels = [ax for ax in figure.axes if ax.axison]
    assert len(panels) == len(summary)
    for ax, (name, stats) in zip(panels, summary.iterrows(), strict=True):
        assert ax.get_xlabel().startswith(name) and ax.get_ylabel() == "matches"
        assert sum(patch.get_height() for patch in ax.patches[:6]) == stats["n"]
        lines = {line.get_label(): line.get_xdata()[0] for line in ax.get_lines()}
        assert lines["median"] == pytest.approx(stats["median"])
        if np.isfinite(stats["query"]):
            assert lines["query"] == pytest.approx(stats["query"])
        else:
            assert "query" not in lines
    assert "period_days [d]" in [ax.get_xlabel() for ax in panels]


def test_parameter_histograms_need_a_value():
    table = pd.DataFrame(
        {"object_id": list("abc"), "ra": [1.0, 2, 3], "dec": [0.0, 0, 0], "period_days": np.nan}
    )
    index = build_index(np.eye(3, dtype=np.float32), table["object_id"], run="t", progress=False)
    result = SimilaritySearch(index, Catalog(table)).by_object("a", k=2)
    with pytest.raises(ValueError, match="no physical parameter has a value"):
        plot_parameter_distributions(result)


def test_a_ground_based_light_curve_is_drawn_as_points_without_a_wavelet_image():
    config = SurveyConfig(name="m", n_objects=48, mission_mix=MIXED_CADENCE_MIX)
    catalog = generate_catalog(config)
    row = catalog[catalog["mission"] == "OGLE"].iloc[0]
    series, image = simulated_images(row)
    assert image is None and series.baseline_days > 1000
    figure, axes = plt.subplots(2)
    plot_series(series, axes[0])
    assert axes[0].lines[0].get_linestyle() == "None"  # markers, not a line through gaps
    plot_power_image(image, axes[1])
    assert "sparsely" in axes[1].texts[0].get_text()
    plt.close(figure)
    assert render_thumbnail(series, image)[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_match_its_query_ranked_by_period_says_so_in_its_title(search):
    result = search.by_object(search.catalog.object_ids[0], k=3)
    result.scores["period_match"] = np.array([True, False, False])
    figure = plot_matches(result, simulated_images, n=3, columns=3)
    titles = [ax.get_title() for ax in figure.subfigs[1].axes if ax.get_title()]
    assert titles[0].endswith(", period fits")
    assert not any(title.endswith("period fits") for title in titles[1:])
