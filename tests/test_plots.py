"""Figures: the right panels, axes labelled with units, PNG written whole."""

import numpy as np

from astrolens.plots import plot_transform, plot_transforms, save_figure
from astrolens.preprocess import resample
from astrolens.wavelets import power_image


def _pair(period_days=2.0):
    time = np.arange(0.0, 27.0, 0.0204336)
    series = resample(time, 0.01 * np.sin(2 * np.pi * time / period_days))
    return series, power_image(series)


def test_transform_figure_has_light_curve_over_log_period_image(tmp_path):
    figure = plot_transform(*_pair(), title="a sine")
    top, bottom = figure.axes[:2]
    assert top.get_ylabel() == "relative flux" and top.get_title() == "a sine"
    assert bottom.get_ylabel() == "period [d]" and bottom.get_yscale() == "log"
    low, high = bottom.get_ylim()
    assert low < 1 / 24 * 1.1 and high > 30 * 0.9
    path = save_figure(figure, tmp_path / "sub" / "fig.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in path.parent.iterdir()] == ["fig.png"]


def test_grid_has_one_column_per_light_curve():
    figure = plot_transforms([_pair(1.0), _pair(3.0), _pair(5.0)], titles=["a", "b", "c"])
    titled = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titled == ["a", "b", "c"]


def test_grid_takes_light_curves_without_an_image_last_or_alone():
    sparse, _ = _pair(2.0)
    figure = plot_transforms([_pair(1.0), (sparse, None)], titles=["dense", "ground-based"])
    assert [ax.get_label() for ax in figure.axes].count("<colorbar>") == 1  # from the dense one
    alone = plot_transforms([(sparse, None)])
    assert alone.axes[0].get_title() == sparse.source
    assert "<colorbar>" not in [ax.get_label() for ax in alone.axes]
