"""Non-parametric morphology of galaxy pictures: the values of known shapes."""

from __future__ import annotations

import numpy as np
import pytest

from astrolens.morphology import MORPHOLOGY_NAMES, morphology

SIZE = 64


def _sersic(n: float, r_half: float, axis_ratio: float = 1.0, centre=(31.5, 31.5)) -> np.ndarray:
    """A Sersic profile of index ``n`` on a 64 x 64 grid (peak 1)."""
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(float)
    b = 2.0 * n - 1.0 / 3.0
    radius = np.hypot(yy - centre[0], (xx - centre[1]) * axis_ratio)
    return np.exp(-b * ((radius / r_half) ** (1.0 / n) - 1.0)) / np.exp(b)


def _picture(light: np.ndarray, noise: float = 0.005, seed: int = 0) -> np.ndarray:
    """A grey display picture: sky 0.1, the light scaled to 0.8 at its peak, noise."""
    shown = 0.1 + 0.8 * light / light.max()
    shown = shown + np.random.default_rng(seed).normal(0.0, noise, shown.shape)
    return np.repeat(np.clip(shown, 0.0, 1.0)[..., None], 3, axis=-1)


def test_the_numbers_are_named_in_order_and_finite():
    numbers = morphology(_picture(_sersic(1.0, 5.0)))
    assert tuple(numbers) == MORPHOLOGY_NAMES
    assert all(np.isfinite(value) for value in numbers.values())


def test_a_de_vaucouleurs_profile_is_more_concentrated_than_an_exponential_disk():
    disk = morphology(_picture(_sersic(1.0, 6.0)))
    spheroid = morphology(_picture(_sersic(4.0, 6.0)))
    assert 2.3 < disk["concentration"] < 3.1  # 2.7 for an exponential profile
    assert spheroid["concentration"] > disk["concentration"] + 0.7
    assert spheroid["gini"] > disk["gini"]
    assert spheroid["m20"] < disk["m20"]  # the brightest fifth of the light: the very centre


def test_a_symmetric_galaxy_has_no_asymmetry_and_a_lopsided_one_has():
    symmetric = morphology(_picture(_sersic(1.0, 5.0)))
    lopsided = _sersic(1.0, 5.0) + 0.8 * _sersic(0.5, 2.0, centre=(31.5, 40.0))
    assert symmetric["asymmetry"] < 0.05
    assert morphology(_picture(lopsided))["asymmetry"] > symmetric["asymmetry"] + 0.15


def test_the_ellipticity_of_an_inclined_disk_is_one_minus_its_axis_ratio():
    round_disk = morphology(_picture(_sersic(0.5, 6.0), noise=0.001))
    flat_disk = morphology(_picture(_sersic(0.5, 6.0, axis_ratio=2.0), noise=0.001))
    assert round_disk["ellipticity"] < 0.05
    assert flat_disk["ellipticity"] == pytest.approx(0.5, abs=0.05)


def test_grey_colour_and_uint8_pictures_of_one_galaxy_are_measured_alike():
    grey = _picture(_sersic(1.0, 5.0))
    tinted = grey * np.array([1.2, 1.0, 0.8])  # same mean of the colours
    as_uint8 = (grey * 255 + 0.5).astype(np.uint8)
    reference = morphology(grey)
    assert morphology(tinted) == pytest.approx(reference, abs=1e-6)
    assert morphology(grey[..., 0]) == pytest.approx(reference, abs=1e-6)
    assert morphology(as_uint8) == pytest.approx(reference, abs=0.1)  # 8-bit steps


def test_other_sources_in_the_field_are_counted():
    light = _sersic(1.0, 4.0)
    for centre in ((8.0, 8.0), (8.0, 55.0), (55.0, 10.0)):
        light = light + _sersic(0.5, 1.5, centre=centre)
    assert morphology(_picture(_sersic(1.0, 4.0)))["log_sources"] == 0.0
    assert morphology(_picture(light))["log_sources"] == pytest.approx(np.log10(4))


def test_a_galaxy_larger_than_its_frame_fills_it_and_a_streak_is_cut_by_its_edge():
    small = morphology(_picture(_sersic(1.0, 4.0)))
    filling = morphology(_picture(_sersic(0.5, 60.0)))
    streak = morphology(_picture(_sersic(0.5, 3.0, axis_ratio=0.05)))  # a trail across
    assert small["area_share"] < 0.2 and small["border_share"] < 0.01
    assert filling["area_share"] > 0.5
    assert streak["border_share"] > 0.08 and streak["ellipticity"] > 0.8


def test_a_burnt_out_core_is_measured_and_noise_has_no_central_object():
    light = _sersic(1.0, 5.0) / _sersic(1.0, 5.0).max()
    burnt = np.repeat(np.clip(0.1 + 4.0 * light, 0.0, 1.0)[..., None], 3, axis=-1)
    assert morphology(burnt)["saturated_share"] > 0.1
    assert morphology(_picture(_sersic(1.0, 5.0)))["saturated_share"] == 0.0
    noise = np.random.default_rng(3).random((SIZE, SIZE, 3))
    numbers = morphology(noise)
    assert numbers["area_share"] == 0.0 and numbers["concentration"] == 0.0
    assert numbers["log_noise"] > -0.6  # the noise is about half the peak
