"""Red noise: the damped random walk and red-giant granulation."""

from __future__ import annotations

import numpy as np
import pytest

from astrolens.simulate import OBSERVING_MODES, astrophysical_flux
from astrolens.simulate.noise_models import damped_random_walk, granulation_components


def autocorrelation(series: np.ndarray, lag: int) -> float:
    centred = series - series.mean()
    return float(np.dot(centred[:-lag], centred[lag:]) / np.dot(centred, centred))


def test_damped_random_walk_has_its_rms_and_timescale():
    time = np.arange(0.0, 2000.0, 0.05)
    walk = damped_random_walk(time, timescale_days=2.0, rms=3e-3, rng=np.random.default_rng(0))
    assert walk.std() == pytest.approx(3e-3, rel=0.1)
    assert autocorrelation(walk, 40) == pytest.approx(np.exp(-1.0), abs=0.05)  # lag = tau
    assert autocorrelation(walk, 120) == pytest.approx(np.exp(-3.0), abs=0.05)


def test_damped_random_walk_decorrelates_across_gaps():
    step = 0.01
    before = np.arange(0.0, 1.0, step)
    after = np.arange(50.0, 51.0, step)
    walks = np.array(
        [
            damped_random_walk(np.r_[before, after], 0.5, 1.0, np.random.default_rng(seed))
            for seed in range(200)
        ]
    )
    across = np.corrcoef(walks[:, before.size - 1], walks[:, before.size])[0, 1]
    within = np.corrcoef(walks[:, 0], walks[:, 1])[0, 1]
    assert abs(across) < 0.2 < 0.9 < within


def test_granulation_follows_the_kallinger_scalings(bright_sample):
    (tau_low, rms_low), _ = granulation_components(20.0)
    (tau_high, rms_high), _ = granulation_components(200.0)
    assert tau_low > tau_high and rms_low > rms_high  # bigger giants: slower, stronger
    for _, row in bright_sample("GRANULATION", "kepler_long", 8).iterrows():
        flux = astrophysical_flux(row)
        assert flux.std() == pytest.approx(row["amplitude"], rel=0.35)
    tess = bright_sample("GRANULATION", "tess_2min", 8)
    expected = np.sqrt(2) * 3382e-6 * tess["nu_max_uhz"] ** -0.609 * 0.85
    np.testing.assert_allclose(tess["amplitude"], expected)


def test_constant_stars_vary_only_through_the_instrument(bright_sample):
    row = bright_sample("CONSTANT", "tess_2min", 1).iloc[0]
    np.testing.assert_array_equal(
        astrophysical_flux(row), np.ones(OBSERVING_MODES["tess_2min"].time().size)
    )
