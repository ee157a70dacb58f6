"""Tests of astrolens.features: hand-crafted light-curve features, the non-neural baseline."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import astrolens.features
from astrolens.errors import InvalidLightCurve
from astrolens.features import (
    FEATURE_NAMES,
    LOG_FLOOR,
    MIN_PERIOD_DAYS,
    MIN_POINTS,
    features_of_many,
    lightcurve_features,
)

KEPLER_CADENCE_DAYS = 29.4244 / (24 * 60)
RR_LYRAE_PERIOD_DAYS = 0.4972512
PROPERTY = settings(max_examples=25, deadline=None)
SCALE_FREE = (
    "period_1_days_log10",
    "period_1_power",
    "period_1_cycles_log10",
    "skewness_slog10",
    "kurtosis_slog10",
    "flux_percentile_ratio_mid20",
    "flux_percentile_ratio_mid50",
    "flux_percentile_ratio_mid80",
    "beyond_1_std",
    "median_buffer_fraction_10",
    "stetson_k",
    "reduced_chi2_log10",
    "von_neumann_eta_log10",
    "von_neumann_eta_e_log10",
    "linear_trend_r",
    "cusum",
    "fourier_r21",
    "fourier_phi21_cos",
    "fourier_phi21_sin",
    "fourier_explained_variance",
    "folded_p2p_scatter_over_mad",
)
AMPLITUDES = (
    "amplitude_5_95_log10",
    "max_deviation_log10",
    "std_log10",
    "mad_log10",
    "max_slope_log10",
    "fourier_amplitude_1_log10",
)


def named(values: np.ndarray) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, values.tolist(), strict=True))


def kepler_quarter_time() -> np.ndarray:
    """Kepler long cadence over 90 days from BKJD 352, with a 3-day downlink gap."""
    time = 352.0 + np.arange(0.0, 90.0, KEPLER_CADENCE_DAYS)
    return time[(time < 397.0) | (time > 400.0)]


def ground_survey_time(rng: np.random.Generator, n: int = 300, years: float = 3.0) -> np.ndarray:
    """Random epochs over a few years, in JD (a large time origin)."""
    return 2458000.0 + np.sort(rng.uniform(0.0, years * 365.25, n))


def harmonics(
    time: np.ndarray, period: float, amplitudes: tuple[float, ...], phases: tuple[float, ...]
) -> np.ndarray:
    """``sum_k A_k sin(2 pi k t / P + phi_k)``, the convention of the Fourier features."""
    return sum(
        a * np.sin(2 * np.pi * k * time / period + phi)
        for k, (a, phi) in enumerate(zip(amplitudes, phases, strict=True), start=1)
    )


def phase_of(features: dict[str, float], name: str) -> float:
    return float(np.arctan2(features[f"{name}_sin"], features[f"{name}_cos"]) % (2 * np.pi))


def angle_between(a: float, b: float) -> float:
    return abs((a - b + np.pi) % (2 * np.pi) - np.pi)


# --- the feature vector ---------------------------------------------------------------------------


def test_names_are_unique_documented_and_match_the_vector() -> None:
    time = kepler_quarter_time()
    values = lightcurve_features(time, 1e-3 * np.sin(time))
    assert values.shape == (len(FEATURE_NAMES),) and values.dtype == np.float64
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in FEATURE_NAMES)
    documented = set()
    for literal in re.findall(r"``([a-z0-9_{},]+)``", astrolens.features.__doc__ or ""):
        parts = re.split(r"\{([^}]*)\}", literal)
        choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
        documented.update("".join(c) for c in itertools.product(*choices))
    assert set(FEATURE_NAMES) <= documented


def test_each_distribution_feature_comes_from_its_light_curve_extractor() -> None:
    from astrolens.features import _DISTRIBUTION_NAMES, _EXTRACTOR, _KEPT_COLUMNS

    sources = dict(
        zip(_DISTRIBUTION_NAMES, [_EXTRACTOR.names[i] for i in _KEPT_COLUMNS], strict=True)
    )
    assert sources == {
        "amplitude_5_95_log10": "inter_percentile_range_5",
        "max_deviation_log10": "percent_amplitude",
        "std_log10": "standard_deviation",
        "mad_log10": "median_absolute_deviation",
        "skewness_slog10": "skew",
        "kurtosis_slog10": "kurtosis",
        "flux_percentile_ratio_mid20": "magnitude_percentage_ratio_40_5",
        "flux_percentile_ratio_mid35": "magnitude_percentage_ratio_32_5",
        "flux_percentile_ratio_mid50": "magnitude_percentage_ratio_25_5",
        "flux_percentile_ratio_mid65": "magnitude_percentage_ratio_18_5",
        "flux_percentile_ratio_mid80": "magnitude_percentage_ratio_10_5",
        "beyond_1_std": "beyond_1_std",
        "median_buffer_fraction_10": "median_buffer_range_percentage_10",
        "stetson_k": "stetson_K",
        "reduced_chi2_log10": "chi2",
        "von_neumann_eta_log10": "eta",
        "von_neumann_eta_e_log10": "eta_e",
        "max_slope_log10": "maximum_slope",
        "linear_trend_r": "linear_trend",
        "cusum": "cusum",
    }


# --- periods --------------------------------------------------------------------------------------


def test_finds_the_period_of_a_sinusoid_in_a_kepler_quarter() -> None:
    rng = np.random.default_rng(1)
    time = kepler_quarter_time()
    flux = 1e-3 * np.sin(2 * np.pi * time / 3.7 + 1.0) + rng.normal(0.0, 2e-4, time.size)
    features = named(lightcurve_features(time, flux, np.full(time.size, 2e-4)))
    assert 10 ** features["period_1_days_log10"] == pytest.approx(3.7, rel=0.01)
    assert features["period_1_power"] > 0.9
    assert features["period_2_power"] < 0.05 and features["period_3_power"] < 0.05
    assert features["period_1_cycles_log10"] == pytest.approx(np.log10(90.0 / 3.7), abs=0.01)
    assert features["fourier_amplitude_1_log10"] == pytest.approx(-3.0, abs=0.01)
    assert features["reduced_chi2_log10"] == pytest.approx(np.log10(1 + 0.5e-6 / 4e-8), abs=0.1)


@pytest.mark.parametrize("with_errors", [True, False])
def test_finds_an_rr_lyrae_period_in_sparse_ground_based_data(with_errors: bool) -> None:
    rng = np.random.default_rng(2)
    time = ground_survey_time(rng)
    flux = harmonics(time, RR_LYRAE_PERIOD_DAYS, (0.3, 0.1), (0.0, 1.0))
    flux += rng.normal(0.0, 0.03, time.size)
    errors = np.full(time.size, 0.03) if with_errors else None
    features = named(lightcurve_features(time, flux, errors))
    assert 10 ** features["period_1_days_log10"] == pytest.approx(RR_LYRAE_PERIOD_DAYS, rel=0.01)
    assert features["period_1_power"] > 0.7
    assert features["folded_p2p_scatter_over_mad"] < 0.5


def test_periods_lie_between_an_hour_and_the_baseline_with_powers_in_0_1() -> None:
    rng = np.random.default_rng(3)
    time = ground_survey_time(rng, n=100, years=1.0)
    for flux in (rng.normal(size=time.size), 1e-3 * (time - time[0])):
        features = named(lightcurve_features(time, flux))
        for k in (1, 2, 3):
            period = 10 ** features[f"period_{k}_days_log10"]
            assert MIN_PERIOD_DAYS * 0.999 <= period <= (time[-1] - time[0]) * 1.001
            assert 0.0 < features[f"period_{k}_power"] <= 1.0


def test_regular_coarse_sampling_searches_down_to_twice_the_cadence() -> None:
    time = np.arange(0.0, 200.0, 0.5)
    flux = np.sin(2 * np.pi * time / 0.3) + np.sin(2 * np.pi * time / 7.0)
    periods = [10 ** lightcurve_features(time, flux)[2 * k] for k in range(3)]
    assert min(periods) >= 2 * 0.5 * 0.999
    assert periods[0] == pytest.approx(7.0, rel=0.01)


def test_white_noise_has_low_peak_power_and_textbook_statistics() -> None:
    rng = np.random.default_rng(4)
    time = kepler_quarter_time()
    flux = rng.normal(0.0, 1e-3, time.size)
    features = named(lightcurve_features(time, flux, np.full(time.size, 1e-3)))
    assert features["period_1_power"] < 0.01
    assert features["fourier_explained_variance"] < 0.01
    assert features["folded_p2p_scatter_over_mad"] == pytest.approx(1.41, abs=0.1)
    assert features["reduced_chi2_log10"] == pytest.approx(0.0, abs=0.05)
    assert features["stetson_k"] == pytest.approx(np.sqrt(2 / np.pi), abs=0.02)
    assert features["von_neumann_eta_log10"] == pytest.approx(np.log10(2.0), abs=0.05)
    assert features["beyond_1_std"] == pytest.approx(0.317, abs=0.03)
    assert features["flux_percentile_ratio_mid20"] == pytest.approx(0.154, abs=0.02)
    assert features["std_log10"] == pytest.approx(-3.0, abs=0.02)
    assert features["mad_log10"] == pytest.approx(np.log10(0.6745e-3), abs=0.03)


def test_a_noiseless_sine_has_the_statistics_of_a_sine() -> None:
    time = np.arange(0.0, 27.0, 2 / (24 * 60) * 10)
    features = named(lightcurve_features(time, 0.01 * np.sin(2 * np.pi * time / 1.35)))
    quantile = lambda p: np.sin(np.pi * (p - 0.5))  # noqa: E731 -- quantiles of a sine's values
    for name, low in (("mid20", 0.4), ("mid50", 0.25), ("mid80", 0.1)):
        expected = (quantile(1 - low) - quantile(low)) / (quantile(0.95) - quantile(0.05))
        assert features[f"flux_percentile_ratio_{name}"] == pytest.approx(expected, abs=0.01)
    assert features["stetson_k"] == pytest.approx(2 * np.sqrt(2) / np.pi, abs=0.01)
    assert features["beyond_1_std"] == pytest.approx(0.5, abs=0.01)
    assert features["fourier_explained_variance"] == pytest.approx(1.0, abs=1e-4)
    assert features["fourier_r21"] < 1e-3 and features["fourier_r31"] < 1e-3


# --- Fourier shape --------------------------------------------------------------------------------


@pytest.mark.parametrize("sampling", ["kepler", "ground"])
def test_recovers_fourier_amplitude_ratios_and_phase_differences(sampling: str) -> None:
    rng = np.random.default_rng(5)
    time = kepler_quarter_time() if sampling == "kepler" else ground_survey_time(rng, n=400)
    period = 1.9 if sampling == "kepler" else RR_LYRAE_PERIOD_DAYS
    amplitudes, phases = (0.1, 0.04, 0.02), (0.3, 2.0, 4.0)
    flux = harmonics(time, period, amplitudes, phases) + rng.normal(0.0, 0.003, time.size)
    features = named(lightcurve_features(time, flux))
    assert 10 ** features["period_1_days_log10"] == pytest.approx(period, rel=0.001)
    assert features["fourier_amplitude_1_log10"] == pytest.approx(-1.0, abs=0.01)
    assert features["fourier_r21"] == pytest.approx(0.4, rel=0.03)
    assert features["fourier_r31"] == pytest.approx(0.2, rel=0.05)
    assert angle_between(phase_of(features, "fourier_phi21"), 2.0 - 2 * 0.3) < 0.1
    assert angle_between(phase_of(features, "fourier_phi31"), 4.0 - 3 * 0.3) < 0.1
    assert features["fourier_explained_variance"] > 0.99


def test_eclipses_skew_the_flux_down_and_flares_up() -> None:
    time = kepler_quarter_time()
    noise = np.random.default_rng(6).normal(0.0, 1e-4, time.size)
    in_event = np.mod(time, 2.3) < 0.15
    eclipsing = named(lightcurve_features(time, noise - 0.01 * in_event))
    flaring = named(lightcurve_features(time, noise + 0.01 * in_event))
    assert eclipsing["skewness_slog10"] < -0.3 < 0.3 < flaring["skewness_slog10"]
    assert eclipsing["kurtosis_slog10"] > 0.5 and flaring["kurtosis_slog10"] > 0.5
    assert 10 ** eclipsing["period_1_days_log10"] == pytest.approx(2.3, rel=0.01)


def test_a_linear_trend_shows_in_the_correlation_and_cusum() -> None:
    time = kepler_quarter_time()
    noise = np.random.default_rng(7).normal(0.0, 1e-4, time.size)
    rising = named(lightcurve_features(time, 1e-4 * (time - time[0]) + noise))
    falling = named(lightcurve_features(time, -1e-4 * (time - time[0]) + noise))
    assert rising["linear_trend_r"] > 0.99 and falling["linear_trend_r"] < -0.99
    assert rising["cusum"] > 0.4 and falling["cusum"] > 0.4
    assert rising["period_1_cycles_log10"] < 0.5


# --- invariances ----------------------------------------------------------------------------------


def test_amplitude_features_scale_with_the_amplitude_and_the_rest_do_not() -> None:
    rng = np.random.default_rng(8)
    time = ground_survey_time(rng, n=500)
    flux = harmonics(time, 13.2, (0.05, 0.02), (0.0, 0.5)) + rng.normal(0.0, 0.01, time.size)
    scale = 7.3
    small, large = (
        named(lightcurve_features(time, flux)),
        named(lightcurve_features(time, scale * flux)),
    )
    for name in AMPLITUDES:
        assert large[name] - small[name] == pytest.approx(np.log10(scale), abs=1e-9), name
    for name in SCALE_FREE:
        assert large[name] == pytest.approx(small[name], abs=1e-9), name


def test_features_do_not_depend_on_time_origin_or_point_order() -> None:
    rng = np.random.default_rng(9)
    time = ground_survey_time(rng, n=200)
    flux = harmonics(time, 2.7, (0.05, 0.02), (1.0, 0.5)) + rng.normal(0.0, 0.01, time.size)
    errors = rng.uniform(0.005, 0.02, time.size)
    reference = lightcurve_features(time, flux, errors)
    order = rng.permutation(time.size)
    moved = lightcurve_features(time[order] - 2457123.25, flux[order], errors[order])
    np.testing.assert_allclose(moved, reference, rtol=1e-7, atol=1e-8)


def test_non_finite_points_are_dropped() -> None:
    rng = np.random.default_rng(10)
    time = ground_survey_time(rng, n=100)
    flux = harmonics(time, 1.7, (0.05,), (0.0,)) + rng.normal(0.0, 0.01, time.size)
    errors = np.full(time.size, 0.01)
    spoiled_time, spoiled_flux, spoiled_errors = time.copy(), flux.copy(), errors.copy()
    spoiled_time[3], spoiled_flux[10], spoiled_errors[20], spoiled_errors[30] = (
        np.nan,
        np.inf,
        0,
        -1,
    )
    keep = np.ones(time.size, bool)
    keep[[3, 10, 20, 30]] = False
    np.testing.assert_array_equal(
        lightcurve_features(spoiled_time, spoiled_flux, spoiled_errors),
        lightcurve_features(time[keep], flux[keep], errors[keep]),
    )


def test_points_at_the_same_time_are_averaged() -> None:
    rng = np.random.default_rng(11)
    time = ground_survey_time(rng, n=60)
    flux = harmonics(time, 3.1, (0.05,), (0.0,)) + rng.normal(0.0, 0.01, time.size)
    offset = rng.normal(0.0, 0.01, time.size)
    doubled = lightcurve_features(np.r_[time, time], np.r_[flux + offset, flux - offset])
    np.testing.assert_allclose(doubled, lightcurve_features(time, flux), rtol=1e-9, atol=1e-9)


# --- degenerate input -----------------------------------------------------------------------------


def test_a_constant_light_curve_gives_the_documented_neutral_values() -> None:
    time = kepler_quarter_time()
    features = named(lightcurve_features(time, np.zeros(time.size)))
    floor = np.log10(LOG_FLOOR)
    for name, value in features.items():
        expected = floor if name in (*AMPLITUDES, "reduced_chi2_log10") else 0.0
        assert value == expected, name
    noisy = lightcurve_features(time, 1e-12 * np.random.default_rng(12).normal(size=time.size))
    assert np.isfinite(noisy).all()
    assert named(noisy)["std_log10"] == floor


def test_a_baseline_shorter_than_an_hour_has_no_period() -> None:
    time = np.linspace(0.0, 0.02, 50)
    features = named(lightcurve_features(time, np.random.default_rng(13).normal(size=50)))
    assert all(
        features[f"period_{k}_{what}"] == 0.0 for k in (1, 2, 3) for what in ("days_log10", "power")
    )
    assert features["fourier_amplitude_1_log10"] == np.log10(LOG_FLOOR)
    assert features["fourier_r21"] == features["fourier_phi21_cos"] == 0.0
    assert features["std_log10"] > -1.0


@pytest.mark.parametrize(
    ("time", "flux", "flux_err", "reason"),
    [
        (np.arange(9.0), np.zeros(9), None, "too few points: 9 of 9"),
        (np.arange(20.0), np.full(20, np.nan), None, "no finite points"),
        (np.full(20, 5.0), np.arange(20.0), None, "zero time span"),
        (np.arange(20.0), np.zeros(19), None, "one shape"),
        (np.arange(20.0), np.zeros(20), np.ones(21), "one shape"),
        (np.zeros((4, 5)), np.zeros((4, 5)), None, "1-D"),
        (np.arange(20.0), np.zeros(20), np.zeros(20), "positive flux_err"),
        (np.array([]), np.array([]), None, "no points"),
        (np.r_[np.arange(8.0), 7.0 + 1e-10, 7.0 + 2e-10], np.zeros(10), None, "distinct times"),
    ],
)
def test_unusable_light_curves_raise_with_the_reason(
    time: np.ndarray, flux: np.ndarray, flux_err: np.ndarray | None, reason: str
) -> None:
    with pytest.raises(InvalidLightCurve, match=reason) as caught:
        lightcurve_features(time, flux, flux_err, source="KIC 123")
    assert caught.value.source == "KIC 123"


# --- many light curves ----------------------------------------------------------------------------


def test_features_of_many_equals_one_at_a_time() -> None:
    rng = np.random.default_rng(14)
    series = []
    for k in range(6):
        time = kepler_quarter_time() if k % 2 else ground_survey_time(rng, n=50 + 40 * k)
        flux = harmonics(time, 0.3 + k, (0.01 * (k + 1),), (k,)) + rng.normal(0, 0.002, time.size)
        series.append((time, flux, np.full(time.size, 0.002) if k % 3 else None))
    rows = features_of_many(series)
    assert rows.shape == (len(series), len(FEATURE_NAMES)) and rows.dtype == np.float64
    expected = np.array([lightcurve_features(*one) for one in series])
    np.testing.assert_allclose(rows, expected, rtol=1e-12, atol=0)
    assert features_of_many([]).shape == (0, len(FEATURE_NAMES))


def test_features_of_many_names_the_light_curve_that_fails() -> None:
    time = np.arange(30.0)
    with pytest.raises(InvalidLightCurve, match="light curve 1: too few points"):
        features_of_many([(time, np.sin(time), None), (time[:5], time[:5], None)])


# --- properties -----------------------------------------------------------------------------------


@st.composite
def light_curves(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    n = draw(st.integers(MIN_POINTS, 120))
    time = draw(st.lists(st.floats(0.0, 1000.0), min_size=n, max_size=n))
    flux = draw(
        st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n)
        | st.lists(st.floats(-1e-6, 1e-6), min_size=n, max_size=n)
    )
    errors = draw(st.none() | st.lists(st.floats(1e-6, 1.0), min_size=n, max_size=n))
    return np.array(time), np.array(flux), None if errors is None else np.array(errors)


@PROPERTY
@given(light_curves())
def test_features_are_finite_for_any_valid_input(
    light_curve: tuple[np.ndarray, np.ndarray, np.ndarray | None],
) -> None:
    try:
        values = lightcurve_features(*light_curve)
    except InvalidLightCurve as error:
        assert "zero time span" in str(error) or "too few distinct times" in str(error)
        return
    assert values.shape == (len(FEATURE_NAMES),) and np.isfinite(values).all()
    features = named(values)
    assert all(0.0 <= features[f"period_{k}_power"] <= 1.0 for k in (1, 2, 3))
    assert -1.0 <= features["linear_trend_r"] <= 1.0
    for name in ("fourier_phi21", "fourier_phi31"):
        norm = features[f"{name}_cos"] ** 2 + features[f"{name}_sin"] ** 2
        assert norm == pytest.approx(1.0) or norm == 0.0


@PROPERTY
@given(
    period=st.floats(0.05, 20.0),
    amplitude=st.floats(1e-5, 0.5),
    noise=st.floats(1e-6, 1e-2),
    seed=st.integers(0, 2**16),
)
def test_sinusoids_in_a_tess_sector_are_finite_and_periods_in_range(
    period: float, amplitude: float, noise: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    time = np.arange(0.0, 27.0, 10 / (24 * 60))
    time = time[(time < 13.0) | (time > 14.0)]
    flux = amplitude * np.sin(2 * np.pi * time / period) + rng.normal(0.0, noise, time.size)
    features = named(lightcurve_features(time, flux))
    assert np.isfinite(list(features.values())).all()
    assert MIN_PERIOD_DAYS * 0.999 <= 10 ** features["period_1_days_log10"] <= 27.0
    if amplitude > 10 * noise and period < 10.0:
        assert 10 ** features["period_1_days_log10"] == pytest.approx(period, rel=0.01)
