"""Tests of astrolens.preprocess: masking, clipping, normalisation, resampling, detrending."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.errors import InvalidLightCurve
from astrolens.preprocess import (
    KEPLER_LONG_CADENCE_DAYS,
    PreprocessConfig,
    UniformSeries,
    clip_outliers,
    detrend,
    mask_bad,
    normalise,
    prepare,
    prepare_lightcurve,
    resample,
)

EXAMPLES = Path(__file__).resolve().parents[1] / (
    ".venv/lib/python3.11/site-packages/altaipony/examples"
)
TWO_MINUTES = 2 / (24 * 60)
CADENCES_DAYS = {
    "TESS 2-min": TWO_MINUTES,
    "TESS 200-s": 200 / 86400,
    "TESS 10-min": 10 / (24 * 60),
    "Kepler long": 29.4243814 / (24 * 60),
}
PROPERTY = settings(max_examples=25, deadline=None)


def sine(time: np.ndarray, period_days: float, amplitude: float = 1e-3) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * time / period_days)


# --- configuration ------------------------------------------------------------------------------


def test_config_round_trips_through_json() -> None:
    config = PreprocessConfig(quality_bitmask=175, clip_sigma=None, detrend_window_days=1.5)
    assert PreprocessConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.key() != PreprocessConfig().key()


@pytest.mark.parametrize(
    "changes",
    [
        {"clip_sigma": 0.0},
        {"clip_window_cadences": 2},
        {"detrend_window_days": -1.0},
        {"grid_cadence_days": 0.0},
        {"max_interp_gap_days": -0.1},
        {"quality_bitmask": "strict"},
    ],
)
def test_config_rejects_invalid_values(changes: dict) -> None:
    with pytest.raises(ValueError):
        PreprocessConfig(**changes)


def test_config_from_dict_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match="clip_sigmaa"):
        PreprocessConfig.from_dict({"clip_sigmaa": 3.0})


# --- masking and normalisation ------------------------------------------------------------------


def test_mask_bad_flags_non_finite_values_and_quality_bits() -> None:
    time = np.array([1.0, np.nan, 3.0, 4.0, 5.0, 6.0])
    flux = np.array([1.0, 1.0, np.inf, 1.0, 1.0, 1.0])
    flux_err = np.array([0.1, 0.1, 0.1, np.nan, 0.1, 0.1])
    quality = np.array([0, 0, 0, 0, 32, 64])  # TESS: 32 desaturation (default), 64 cosmic ray
    bad = mask_bad(time, flux, flux_err, quality, bitmask="default", mission="TESS")
    assert bad.tolist() == [False, True, True, True, True, False]
    assert mask_bad(time, flux, quality=quality, bitmask=64).tolist() == [
        False, True, True, False, False, True,
    ]  # fmt: skip
    assert not mask_bad(time, flux, quality=quality, bitmask="default", mission=None)[4:].any()


def test_normalise_gives_relative_flux_minus_one() -> None:
    flux = np.array([200.0, 190.0, 210.0, 200.0, 205.0])
    relative = normalise(flux)
    assert np.median(relative) == 0.0
    np.testing.assert_allclose(relative, flux / 200.0 - 1)


@pytest.mark.parametrize("flux", [[-5.0, -4.0, 3.0], [0.0, 0.0, 1.0], [np.nan, np.nan]])
def test_normalise_rejects_non_positive_median(flux: list[float]) -> None:
    with pytest.raises(InvalidLightCurve, match=r"star\.fits: median flux"):
        normalise(flux, source="star.fits")


# --- outlier clipping ---------------------------------------------------------------------------


@PROPERTY
@given(
    seed=st.integers(0, 2**32 - 1),
    spike_at=st.integers(1, 398),
    spike_sigmas=st.floats(20, 1e4),
    sign=st.sampled_from([-1.0, 1.0]),
)
def test_clip_removes_an_isolated_spike(
    seed: int, spike_at: int, spike_sigmas: float, sign: float
) -> None:
    noise = 1e-4
    flux = np.random.default_rng(seed).normal(0.0, noise, 400)
    flux[[spike_at - 1, spike_at + 1]] = 0.0  # isolated: its neighbours sit at the median level
    flux[spike_at] = sign * spike_sigmas * noise
    assert clip_outliers(flux)[spike_at]


def test_clip_never_removes_the_first_or_last_cadence() -> None:
    flux = np.random.default_rng(2).normal(0.0, 1e-4, 100)
    flux[[0, -1]] = 1.0
    assert not clip_outliers(flux)[[0, -1]].any()


@PROPERTY
@given(
    seed=st.integers(0, 2**32 - 1),
    start=st.integers(0, 395),  # including flares cut by either end
    peak_sigmas=st.floats(20, 1e4),
    sign=st.sampled_from([-1.0, 1.0]),
)
def test_clip_keeps_a_five_cadence_flare_or_eclipse(
    seed: int, start: int, peak_sigmas: float, sign: float
) -> None:
    noise = 1e-4
    flux = np.random.default_rng(seed).normal(0.0, noise, 400)
    event = sign * peak_sigmas * noise * np.array([0.6, 1.0, 0.7, 0.45, 0.3])
    flux[start : start + 5] += event
    assert not clip_outliers(flux)[start : start + 5].any()


@pytest.mark.parametrize("period_days", [0.1, 0.3, 1.3, 5.0])
@pytest.mark.parametrize("amplitude", [1e-3, 1e-2, 1e-1])
def test_clip_leaves_a_smooth_signal_alone(period_days: float, amplitude: float) -> None:
    time = np.arange(4000) * KEPLER_LONG_CADENCE_DAYS
    noise = np.random.default_rng(3).normal(0.0, 1e-4, time.size)
    assert not clip_outliers(sine(time, period_days, amplitude) + noise).any()


# --- resampling ---------------------------------------------------------------------------------


@PROPERTY
@given(
    cadence=st.sampled_from(sorted(CADENCES_DAYS.values())),
    level=st.floats(-0.5, 0.5),
    start=st.floats(0.0, 3000.0),
    gap_days=st.floats(0.0, 3.0),
)
def test_resample_preserves_a_constant(
    cadence: float, level: float, start: float, gap_days: float
) -> None:
    time = start + np.arange(0.0, 10.0, cadence)
    time = time[(time < start + 4.0) | (time > start + 4.0 + gap_days)]
    series = resample(time, np.full(time.size, level))
    assert series.valid.any()
    np.testing.assert_allclose(series.flux[series.valid], level, rtol=1e-9, atol=1e-12)
    assert np.all(series.flux[~series.valid] == 0.0)
    np.testing.assert_allclose(np.diff(series.time_days), KEPLER_LONG_CADENCE_DAYS, rtol=1e-6)


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), period=st.floats(0.5, 10.0))
def test_resample_of_short_cadence_preserves_the_mean(seed: int, period: float) -> None:
    rng = np.random.default_rng(seed)
    time = np.arange(0.0, 27.0, TWO_MINUTES)
    noise = 1e-3
    flux = sine(time, period, 5e-3) + 2e-3 + rng.normal(0.0, noise, time.size)
    series = resample(time, flux)
    assert series.valid.all()
    # every cell averages 14 or 15 cadences: the means differ by far less than the noise
    assert abs(series.flux.mean() - flux.mean()) < 0.1 * noise


@PROPERTY
@given(
    period=st.floats(0.5, 10.0),
    phase=st.floats(0.0, 1.0),
    offset=st.floats(0.0, KEPLER_LONG_CADENCE_DAYS),
)
def test_a_sine_lands_on_the_same_grid_values_from_tess_and_kepler(
    period: float, phase: float, offset: float
) -> None:
    start = 1500.0 + phase * period
    tess_time = start + np.arange(0.0, 20.0, TWO_MINUTES)
    kepler_time = start + offset + np.arange(0.0, 20.0, CADENCES_DAYS["Kepler long"])
    tess = resample(tess_time, sine(tess_time, period))
    kepler = resample(kepler_time, sine(kepler_time, period))
    common, in_tess, in_kepler = np.intersect1d(
        np.floor(tess.time_days / tess.cadence_days),
        np.floor(kepler.time_days / kepler.cadence_days),
        return_indices=True,
    )
    assert common.size > 900
    difference = tess.flux[in_tess][1:-1] - kepler.flux[in_kepler][1:-1]
    assert np.abs(difference).max() < 0.02 * 1e-3


@PROPERTY
@given(
    cadence=st.sampled_from(sorted(CADENCES_DAYS.values())),
    short_gap=st.floats(0.05, 0.4),
    long_gap=st.floats(0.6, 5.0),
)
def test_long_gaps_are_invalid_and_short_gaps_interpolated(
    cadence: float, short_gap: float, long_gap: float
) -> None:
    time = np.arange(0.0, 20.0, cadence)
    in_short = (time > 5.0) & (time < 5.0 + short_gap)
    in_long = (time > 12.0) & (time < 12.0 + long_gap)
    keep = ~in_short & ~in_long
    level = 0.01 * time  # a ramp: linear interpolation across the short gap is exact
    series = resample(time[keep], level[keep], max_interp_gap_days=0.5)

    distance_into_long = long_gap / 2 - np.abs(series.time_days - (12.0 + long_gap / 2))
    middle_of_long = distance_into_long > series.cadence_days
    middle_of_short = np.abs(series.time_days - (5.0 + short_gap / 2)) < short_gap / 2
    assert middle_of_long.any()
    assert not series.valid[middle_of_long].any()
    assert np.all(series.flux[middle_of_long] == 0.0)
    assert series.valid[distance_into_long < -series.cadence_days].all()
    np.testing.assert_allclose(
        series.flux[middle_of_short], 0.01 * series.time_days[middle_of_short], atol=1e-9
    )


def test_short_cadence_is_bin_averaged_into_grid_cells() -> None:
    cadence = 0.1
    time = np.arange(0.005, 1.0, 0.01)  # ten cadences in each grid cell
    flux = np.repeat(np.arange(10.0), 10) + np.tile(np.linspace(-0.45, 0.45, 10), 10)
    series = resample(time, flux, cadence_days=cadence)
    np.testing.assert_allclose(series.time_days, np.arange(10) * cadence + cadence / 2)
    np.testing.assert_allclose(series.flux, np.arange(10.0), atol=1e-12)


# --- detrending ---------------------------------------------------------------------------------


def test_detrend_removes_slow_trends_and_keeps_fast_variability() -> None:
    time = np.arange(0.0, 60.0, KEPLER_LONG_CADENCE_DAYS)
    fast, slow = sine(time, 0.4, 2e-3), sine(time, 40.0, 3e-2) + 1e-3 * time
    valid = (time < 25.0) | (time > 27.0)
    flux = np.where(valid, fast + slow, 0.0)
    series = UniformSeries(time, flux, valid, KEPLER_LONG_CADENCE_DAYS)
    detrended = detrend(series, window_days=2.0)
    inner = valid & (np.abs(time - 26.0) > 2.0) & (time > 1.0) & (time < 59.0)
    left_over = (detrended.flux - fast)[inner]
    assert np.std(left_over) < 0.03 * np.std(slow[inner])
    assert np.abs(left_over).max() < 0.3 * 2e-3
    assert np.all(detrended.flux[~valid] == 0.0)


# --- prepare ------------------------------------------------------------------------------------


def test_prepare_sorts_and_drops_duplicated_times() -> None:
    rng = np.random.default_rng(5)
    time = np.arange(0.0, 10.0, TWO_MINUTES)
    flux = 100.0 * (1 + sine(time, 1.7)) + rng.normal(0.0, 0.01, time.size)
    reference = prepare(time, flux)
    order = rng.permutation(time.size)
    repeated = rng.choice(time.size, 50, replace=False)
    shuffled_time = np.concatenate([time[order], time[repeated]])
    shuffled_flux = np.concatenate([flux[order], flux[repeated]])
    shuffled = prepare(shuffled_time, shuffled_flux)
    np.testing.assert_array_equal(shuffled.time_days, reference.time_days)
    np.testing.assert_allclose(shuffled.flux, reference.flux, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("time", "flux", "quality", "reason"),
    [
        ([], [], None, "empty"),
        ([1.0, 2.0, 3.0], [1.0, 2.0], None, "time has 3 values but flux has 2"),
        ([1.0, 2.0, 3.0], [np.nan, np.nan, np.nan], None, "all flux values are NaN"),
        ([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [1, 1, 1], "none of the 3 cadences is usable"),
        ([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], None, "median flux is 0"),
    ],
)
def test_prepare_rejects_unusable_light_curves(
    time: list[float], flux: list[float], quality: list[int] | None, reason: str
) -> None:
    config = PreprocessConfig(quality_bitmask=1)
    with pytest.raises(InvalidLightCurve, match=f"^KIC 42: .*{reason}") as raised:
        prepare(time, flux, quality=quality, config=config, source="KIC 42")
    assert raised.value.source == "KIC 42"


def test_prepare_applies_the_default_bitmask_of_the_mission() -> None:
    time = (np.arange(250) + 0.5) * KEPLER_LONG_CADENCE_DAYS  # one cadence per grid cell
    flux = np.full(time.size, 50.0)
    quality = np.zeros(time.size, dtype=int)
    flux[100], quality[100] = 80.0, 32  # reaction-wheel desaturation: bad for every mission
    config = PreprocessConfig(clip_sigma=None)
    kepler = prepare(time, flux, quality=quality, config=config, meta={"mission": "Kepler"})
    unknown = prepare(time, flux, quality=quality, config=config)
    assert np.abs(kepler.flux).max() == 0.0
    assert unknown.flux.max() == pytest.approx(0.6)


def test_prepare_removes_a_cosmic_ray_and_keeps_a_flare() -> None:
    rng = np.random.default_rng(11)
    time = np.arange(0.0, 10.0, TWO_MINUTES)
    flux = 1000.0 + rng.normal(0.0, 0.2, time.size)
    flux[1000] += 50.0  # a cosmic ray in one 2-min cadence
    flare = np.abs(time - 6.0) < 0.02  # a 58-min flare: 29 cadences, two grid cells
    flux[flare] += 30.0
    series = prepare(time, flux)
    cell_of_ray = np.argmin(np.abs(series.time_days - time[1000]))
    assert abs(series.flux[cell_of_ray]) < 1e-3
    assert series.flux[np.abs(series.time_days - 6.0) < 0.01].min() > 0.02


# --- real light curves --------------------------------------------------------------------------


def read_example(name: str):
    lightkurve = pytest.importorskip("lightkurve")
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"example light curve {name} is not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lightkurve.read(path)


@pytest.mark.parametrize(
    ("name", "object_id", "mission", "min_cells"),
    [
        ("kplr010002792-2009259160929_llc.fits", "KIC 10002792", "Kepler", 4000),
        ("ktwo211117077-c04_llc.fits", "EPIC 211117077", "K2", 3000),
        ("tess2018206045859-s0001-0000000358108509-0120-s_lc.fits", "TIC 358108509", "TESS", 1200),
    ],
)
def test_prepare_lightcurve_puts_every_mission_on_the_kepler_grid(
    name: str, object_id: str, mission: str, min_cells: int
) -> None:
    lc = read_example(name)
    series = prepare_lightcurve(lc)
    assert series.object_id == object_id
    assert series.meta["mission"] == mission
    assert series.source.endswith(name)
    assert series.cadence_days == KEPLER_LONG_CADENCE_DAYS
    np.testing.assert_allclose(np.diff(series.time_days), KEPLER_LONG_CADENCE_DAYS, rtol=1e-6)
    assert min_cells < series.time_days.size < 1.2 * min_cells + 1000
    assert series.valid.mean() > 0.9
    assert np.all(series.flux[~series.valid] == 0.0)
    assert abs(np.median(series.flux[series.valid])) < 2e-3

    # an independent bin average of the raw light curve over the same cells
    raw_time = np.asarray(lc.time.value, dtype=float)
    raw_flux = np.asarray(lc.flux.value.filled(np.nan), dtype=float)
    ok = np.isfinite(raw_flux)
    relative = raw_flux[ok] / np.median(raw_flux[ok]) - 1
    edges = np.append(series.time_days, series.time_days[-1] + series.cadence_days)
    edges -= series.cadence_days / 2
    counts = np.histogram(raw_time[ok], edges)[0]
    sums = np.histogram(raw_time[ok], edges, weights=relative)[0]
    filled = counts > 0
    binned = sums[filled] / counts[filled]
    assert series.valid[filled].all()
    assert np.corrcoef(binned, series.flux[filled])[0, 1] > 0.95


# --- limits -------------------------------------------------------------------------------------


def _kepler_quarter() -> tuple[np.ndarray, np.ndarray]:
    time = 169.77 + np.arange(4000) * KEPLER_LONG_CADENCE_DAYS
    return time, 1000.0 * (1 + sine(time, 3.0))


@pytest.mark.parametrize("stray_time", [1e5, 1e6, -1e5])
def test_a_stray_time_that_stretches_the_grid_beyond_the_limit_is_refused(
    stray_time: float,
) -> None:
    time, flux = _kepler_quarter()
    time[1000] = stray_time
    with pytest.raises(InvalidLightCurve, match=r"cells of the 29\.42-min grid from time") as error:
        prepare(time, flux, source="kplr.csv")
    assert "more than the limit MAX_GRID_CELLS = 1,000,000" in error.value.reason
    assert error.value.source == "kplr.csv"


@pytest.mark.parametrize("stray_time", [1e300, -1e300, 1e9])
def test_a_time_too_far_from_zero_is_refused(stray_time: float) -> None:
    time, flux = _kepler_quarter()
    time[-1] = stray_time
    with pytest.raises(InvalidLightCurve, match=r"MAX_ABS_TIME_DAYS = 100,000,000 .*not in days"):
        prepare(time, flux)


def test_resample_refuses_times_that_are_not_finite() -> None:
    with pytest.raises(InvalidLightCurve, match=r"^X: largest \|time\| in days: nan"):
        resample([1.0, np.nan], [0.0, 0.0], meta={"object_id": "X"})


def test_a_thirty_year_survey_fits_the_default_grid_and_a_longer_one_a_coarser_grid() -> None:
    rng = np.random.default_rng(3)
    time = np.sort(rng.uniform(2_450_000.0, 2_450_000.0 + 30 * 365.25, 3000))  # 30 years of JD
    flux = 1000.0 * (1 + sine(time, 37.0))
    assert prepare(time, flux).time_days.size == pytest.approx(536_000, rel=1e-3)

    ninety_years = 2_450_000.0 + (time - time[0]) * 3
    with pytest.raises(InvalidLightCurve, match="MAX_GRID_CELLS"):
        prepare(ninety_years, flux)
    coarse = PreprocessConfig(grid_cadence_days=0.1)
    assert prepare(ninety_years, flux, config=coarse).time_days.size == pytest.approx(328_700, 1e-3)


def test_unknown_uncertainties_mask_no_cadence() -> None:
    time, flux = _kepler_quarter()
    without = prepare(time, flux)
    unknown = prepare(time, flux, flux_err=np.full(time.size, np.nan))
    np.testing.assert_array_equal(unknown.flux, without.flux)
    np.testing.assert_array_equal(unknown.valid, without.valid)
    some_unknown = np.ones(time.size)
    some_unknown[1000:1100] = np.nan  # two days of cadences that cannot be used, as before
    assert prepare(time, flux, flux_err=some_unknown).valid.sum() == without.valid.sum() - 100
