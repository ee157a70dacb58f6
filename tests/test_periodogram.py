"""Tests of astrolens.periodogram: periods, coverage, window, folds and scalars of any sampling."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.timeseries import LombScargle

from astrolens.errors import InvalidLightCurve
from astrolens.periodogram import (
    MIN_POINTS,
    SCALAR_NAMES,
    DmDtConfig,
    PeriodogramConfig,
    _cleaned,
    _frequency_grid,
    _gls_power,
    _grid_sums,
    _weighted_variance,
    dmdt_image,
    periodogram_arrays,
)

KEPLER_CADENCE_DAYS = 29.4244 / 1440
PERIODS = PeriodogramConfig().periods_days


def ogle_times(seed: int, years: float = 6.0, n_epochs: int = 800) -> np.ndarray:
    """One epoch on some nights of 8-month seasons, at a random hour of the night."""
    rng = np.random.default_rng(seed)
    nights = np.arange(0.0, 365.25 * years)
    nights = nights[nights % 365.25 < 243]
    chosen = np.sort(rng.choice(nights, size=n_epochs, replace=False))
    return chosen + rng.uniform(-0.15, 0.15, n_epochs)


def kepler_times(days: float = 89.0) -> np.ndarray:
    return np.arange(0.0, days, KEPLER_CADENCE_DAYS)


def tess_times() -> np.ndarray:
    return np.arange(20_000) * 2 / 1440


def observed(time: np.ndarray, signal: np.ndarray, noise: float, seed: int = 0) -> np.ndarray:
    return 1 + signal + np.random.default_rng(seed).normal(0.0, noise, time.size)


def sawtooth(time: np.ndarray, period: float) -> np.ndarray:
    """An RRab-like rise over 15 % of the cycle and a slow decline, from -0.5 to 0.5."""
    phase = time / period % 1.0
    return np.where(phase < 0.15, phase / 0.15, (1 - phase) / 0.85) - 0.5


def eclipses(time: np.ndarray, period: float) -> np.ndarray:
    """A detached binary: a primary eclipse 0.3 deep and a secondary 0.15 deep, half a cycle on."""
    phase = time / period % 1.0
    primary = np.exp(-0.5 * (np.minimum(phase, 1 - phase) / 0.03) ** 2)
    secondary = np.exp(-0.5 * ((phase - 0.5) / 0.03) ** 2)
    return -0.3 * primary - 0.15 * secondary


def mira(time: np.ndarray, period: float) -> np.ndarray:
    """A Mira-like curve: 4 magnitudes peak to peak with a harmonic, as relative flux."""
    angle = 2 * np.pi * time / period
    magnitude = 2.0 * np.sin(angle) + 0.4 * np.sin(2 * angle + 1.0)
    return 10 ** (-0.4 * magnitude) - 1


def best_period(time: np.ndarray, flux: np.ndarray, **kwargs) -> float:
    return float(periodogram_arrays(time, flux, **kwargs)["best_period_days"])


def circular_minima(profile: np.ndarray, below: float) -> list[int]:
    """Indices of the circular local minima of a profile lower than ``below``."""
    lower_than_left = profile < np.roll(profile, 1)
    not_above_right = profile <= np.roll(profile, -1)
    return np.flatnonzero(lower_than_left & not_above_right & (profile < below)).tolist()


# --- periods --------------------------------------------------------------------------------------


def test_rr_lyrae_period_on_nightly_sampling_is_not_a_daily_alias():
    time = ogle_times(seed=1)
    flux = observed(time, 0.3 * sawtooth(time, 0.4972512), noise=0.02)
    period = best_period(time, flux, flux_err=np.full(time.size, 0.02))
    assert period == pytest.approx(0.4972512, rel=0.005)


@pytest.mark.parametrize(
    ("period", "signal"),
    [(117.0, lambda t: 0.1 * np.sin(2 * np.pi * t / 117.0)), (330.0, lambda t: mira(t, 330.0))],
)
def test_long_periods_on_six_years_of_seasons(period, signal):
    time = ogle_times(seed=2)
    flux = observed(time, signal(time), noise=0.02)
    assert best_period(time, flux) == pytest.approx(period, rel=0.03)


def test_five_day_sine_in_a_kepler_quarter():
    time = kepler_times()
    flux = observed(time, 1e-3 * np.sin(2 * np.pi * time / 5.0), noise=2e-4)
    assert best_period(time, flux) == pytest.approx(5.0, rel=0.01)


def test_rotation_in_a_dense_tess_sector_is_found_after_averaging_in_time():
    time = tess_times()
    flux = observed(time, 5e-3 * np.sin(2 * np.pi * time / 1.7), noise=1e-3)
    averaged = periodogram_arrays(time, flux)
    every_point = periodogram_arrays(time, flux, config=PeriodogramConfig(max_points=time.size))
    assert averaged["best_period_days"] == pytest.approx(1.7, rel=0.005)
    assert every_point["best_period_days"] == pytest.approx(1.7, rel=0.005)
    assert averaged["power"].argmax() == every_point["power"].argmax()
    np.testing.assert_array_equal(averaged["coverage"], every_point["coverage"])
    np.testing.assert_array_equal(averaged["scalars"][:4], every_point["scalars"][:4])


@pytest.mark.parametrize(
    "times", [kepler_times, lambda: ogle_times(seed=3)], ids=["kepler", "ogle"]
)
def test_eclipsing_binary_period_and_its_two_minima(times):
    time = times()
    arrays = periodogram_arrays(time, observed(time, eclipses(time, 2.3), noise=0.005))
    period = float(arrays["best_period_days"])
    at_half = period == pytest.approx(2.3 / 2, rel=0.01)
    assert at_half or period == pytest.approx(2.3, rel=0.01)
    orbit = arrays["folded"][1 if at_half else 0]
    minima = circular_minima(orbit, below=-0.3)
    assert len(minima) == 2
    assert minima[0] == 0
    assert orbit[minima[0]] < orbit[minima[1]]
    assert abs(minima[1] - orbit.size // 2) <= 1


def test_power_matches_astropy_exact_generalised_lomb_scargle():
    time = ogle_times(seed=4, years=3.0, n_epochs=300)
    rng = np.random.default_rng(4)
    error = rng.uniform(0.01, 0.05, time.size)
    flux = observed(time, 0.05 * sawtooth(time, 3.3), noise=0.02)
    series = _cleaned(time, flux, error, "test")
    baseline = series.time[-1] - series.time[0]
    grid = _frequency_grid(baseline, 0.0, PeriodogramConfig(), "test")
    power = _gls_power(*_grid_sums(series, grid), _weighted_variance(series))
    every_100th = slice(None, None, 100)
    peak = slice(power.argmax() - 50, power.argmax() + 50)
    for part in (every_100th, peak):
        exact = LombScargle(time, flux, error).power(grid.frequencies[part], method="cython")
        np.testing.assert_allclose(power[part], exact, atol=1e-5)


# --- coverage and window --------------------------------------------------------------------------


def test_a_quarter_covers_one_hour_to_half_its_baseline():
    time = kepler_times()
    coverage = periodogram_arrays(time, observed(time, 0.0 * time, noise=1e-3))["coverage"]
    baseline = time[-1] - time[0]
    np.testing.assert_array_equal(coverage, baseline / 2 >= PERIODS)


def test_six_years_cover_a_thousand_days_and_nightly_epochs_cover_an_hour():
    time = ogle_times(seed=5)
    coverage = periodogram_arrays(time, observed(time, 0.0 * time, noise=0.01))["coverage"]
    edges = PeriodogramConfig().period_edges_days
    assert coverage[np.searchsorted(edges, 1000.0) - 1] == 1
    assert coverage[0] == 1
    assert coverage[-1] == 0


def test_regular_coarse_sampling_does_not_cover_periods_below_two_cadences():
    time = np.arange(0.0, 30.0, 0.1)
    arrays = periodogram_arrays(time, observed(time, 0.0 * time, noise=0.01))
    np.testing.assert_array_equal(arrays["coverage"], (PERIODS >= 0.2) & (PERIODS <= 15.0))
    assert np.all(arrays["power"][PERIODS < 0.2] == 0)
    assert np.all(arrays["window"][PERIODS < 0.2] == 0)


def test_window_of_nightly_seasons_peaks_at_a_day_and_a_year():
    time = ogle_times(seed=6)
    window = periodogram_arrays(time, observed(time, 0.0 * time, noise=0.01))["window"]
    near_day = (PERIODS > 0.6) & (PERIODS < 2.0)
    near_year = (PERIODS > 150.0) & (PERIODS < 900.0)
    assert PERIODS[near_day][window[near_day].argmax()] == pytest.approx(1.0, rel=0.05)
    assert PERIODS[near_year][window[near_year].argmax()] == pytest.approx(365.25, rel=0.05)
    assert window[near_day].max() > 0.5
    assert np.median(window[PERIODS < 0.4]) < 0.05


# --- arrays ---------------------------------------------------------------------------------------


def test_arrays_have_the_documented_shapes_and_types_and_are_reproducible():
    time = ogle_times(seed=7, years=3.0, n_epochs=200)
    flux = observed(time, 0.1 * np.sin(2 * np.pi * time / 13.0), noise=0.02)
    config = PeriodogramConfig(n_periods=64, n_phase_bins=24)
    first = periodogram_arrays(time, flux, config=config)
    second = periodogram_arrays(time, flux, config=config)
    shapes = {name: value.shape for name, value in first.items()}
    assert shapes == {
        "power": (64,),
        "window": (64,),
        "coverage": (64,),
        "folded": (2, 24),
        "scalars": (len(SCALAR_NAMES),),
        "best_period_days": (),
    }
    for name, value in first.items():
        assert value.dtype == (np.float64 if name == "best_period_days" else np.float32)
        assert np.all(np.isfinite(value))
        np.testing.assert_array_equal(value, second[name])
    assert set(np.unique(first["coverage"])) <= {0.0, 1.0}
    assert np.all((first["power"] >= 0) & (first["power"] <= 1))


def test_nan_points_are_dropped_and_order_and_time_origin_do_not_matter():
    time = ogle_times(seed=8, years=3.0, n_epochs=300)
    flux = observed(time, 0.1 * np.sin(2 * np.pi * time / 13.0), noise=0.02)
    reference = periodogram_arrays(time, flux)
    order = np.random.default_rng(8).permutation(time.size)
    with_nan = np.append(flux[order], [np.nan, 1.0])
    shifted = periodogram_arrays(np.append(time[order], [5.0, np.nan]) + 2450000.0, with_nan)
    for name in ("power", "window", "coverage", "folded"):
        np.testing.assert_allclose(shifted[name], reference[name], atol=2e-4)
    assert shifted["best_period_days"] == pytest.approx(reference["best_period_days"], rel=1e-6)


def test_folded_shape_does_not_depend_on_the_amplitude():
    time = kepler_times()
    folds = [
        periodogram_arrays(time, observed(time, amplitude * sawtooth(time, 3.1), 1e-4))["folded"]
        for amplitude in (0.01, 0.1)
    ]
    assert np.sqrt(np.mean((folds[0] - folds[1]) ** 2)) < 0.05
    assert folds[0][0, 0] == folds[0][0].min()
    assert folds[0][0].max() - folds[0][0].min() == pytest.approx(1.0, abs=0.15)


def test_noise_folds_flat_and_has_the_scalars_of_white_noise():
    time = ogle_times(seed=9)
    arrays = periodogram_arrays(time, observed(time, 0.0 * time, noise=0.01))
    scalars = dict(zip(SCALAR_NAMES, arrays["scalars"].tolist(), strict=True))
    assert np.sqrt(np.mean(arrays["folded"] ** 2)) < 0.15
    assert scalars["amplitude_log10"] == pytest.approx(np.log10(3.29 * 0.01), abs=0.05)
    assert scalars["skewness_quantile"] == pytest.approx(0.0, abs=0.1)
    assert scalars["kurtosis_quantile_log10"] == pytest.approx(0.48, abs=0.05)
    assert scalars["von_neumann_eta_robust"] == pytest.approx(2.0, abs=0.5)
    assert scalars["folded_explained_variance"] < 0.1
    assert scalars["epochs_log10"] == pytest.approx(np.log10(800))
    assert scalars["baseline_days_log10"] == pytest.approx(np.log10(6 * 365.25), abs=0.05)
    assert scalars["spacing_days_log10"] == pytest.approx(0.0, abs=0.1)


def test_scalars_tell_flares_eclipses_and_slow_rotation_apart():
    time = kepler_times()
    rng = np.random.default_rng(10)
    flares = np.zeros(time.size)
    for start in rng.choice(time.size - 20, 12, replace=False):
        flares[start : start + 20] += 0.02 * np.exp(-np.arange(20) / 4.0)
    kinds = {
        "flares": flares,
        "eclipses": eclipses(time, 2.3),
        "rotation": 0.01 * np.sin(2 * np.pi * time / 11.0),
    }
    scalars = {
        kind: dict(
            zip(
                SCALAR_NAMES,
                periodogram_arrays(time, observed(time, signal, 1e-3))["scalars"],
                strict=True,
            )
        )
        for kind, signal in kinds.items()
    }
    assert scalars["flares"]["skewness_quantile"] > 0.3
    assert scalars["eclipses"]["skewness_quantile"] < -0.3
    assert abs(scalars["rotation"]["skewness_quantile"]) < 0.1
    assert scalars["rotation"]["von_neumann_eta_robust"] < 0.1
    assert scalars["eclipses"]["folded_explained_variance"] > 0.9
    assert scalars["rotation"]["period_days_log10"] == pytest.approx(np.log10(11.0), abs=0.01)


# --- errors and configuration ---------------------------------------------------------------------


def test_too_few_points_or_no_baseline_name_the_source():
    with pytest.raises(InvalidLightCurve, match=rf"^star 1: 9 points .* at least {MIN_POINTS}"):
        periodogram_arrays(
            np.arange(12.0), np.r_[np.ones(9), np.nan, np.nan, np.nan], source="star 1"
        )
    with pytest.raises(InvalidLightCurve, match=r"^star 2: .*baseline is zero"):
        periodogram_arrays(np.zeros(20), np.ones(20), source="star 2")
    with pytest.raises(InvalidLightCurve, match=r"^star 3: .*flux error > 0"):
        periodogram_arrays(np.arange(20.0), np.ones(20), np.zeros(20), source="star 3")
    with pytest.raises(InvalidLightCurve, match=r"^star 4: a baseline of 0.019 d"):
        periodogram_arrays(np.linspace(0, 0.019, 20), np.ones(20), source="star 4")


def test_configuration_is_checked_and_round_trips():
    config = PeriodogramConfig(n_periods=32, max_points=2000)
    assert PeriodogramConfig.from_dict(config.to_dict()) == config
    assert config.key() != PeriodogramConfig().key()
    assert PERIODS.size == 128
    assert PERIODS[0] > 1 / 24
    assert PERIODS[-1] < 2000.0
    with pytest.raises(ValueError, match="period_min_days"):
        PeriodogramConfig(period_min_days=10.0, period_max_days=1.0)
    with pytest.raises(ValueError, match="oversampling"):
        PeriodogramConfig(oversampling=0.5)
    with pytest.raises(ValueError, match="dm_size"):
        DmDtConfig(dm_size=7)


# --- dm-dt maps -----------------------------------------------------------------------------------


def test_dmdt_image_shape_and_normalisation():
    time = ogle_times(seed=11, years=3.0, n_epochs=300)
    config = DmDtConfig(lgdt_size=20, dm_size=16)
    flux = observed(time, 0.5 * np.sin(2 * np.pi * time / 117.0), noise=0.01)
    image = dmdt_image(time, flux, config=config)
    assert image.shape == (16, 20)
    assert image.dtype == np.float32
    columns = image.sum(axis=0)
    assert np.all(np.isfinite(image))
    np.testing.assert_allclose(columns[columns > 0], 1.0, atol=1e-5)
    longest = image[:, -8:]
    assert (longest[:2].sum() + longest[-2:].sum()) > 0


def test_dmdt_of_a_constant_star_is_all_near_zero_dm():
    time = kepler_times()
    image = dmdt_image(time, np.ones(time.size))
    middle = DmDtConfig().dm_size // 2
    assert image.sum() > 0
    assert image[middle - 1 : middle + 1].sum() == pytest.approx(image.sum())


def test_dmdt_of_too_few_positive_points_names_the_source():
    with pytest.raises(InvalidLightCurve, match=r"^faint: 8 points with a positive flux"):
        dmdt_image(np.arange(15.0), np.r_[np.full(7, -1.0), np.full(8, 3.0)], source="faint")
