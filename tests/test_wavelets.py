"""Tests of astrolens.wavelets: the FFT Morlet transform, power images and their cache."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import pywt
import scipy.fft
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens import wavelets
from astrolens.errors import CacheError, InvalidLightCurve
from astrolens.preprocess import (
    KEPLER_LONG_CADENCE_DAYS,
    PreprocessConfig,
    UniformSeries,
    prepare,
    prepare_lightcurve,
)
from astrolens.sources import limits
from astrolens.wavelets import (
    PowerImage,
    WaveletCache,
    WaveletConfig,
    _valid_samples,
    fourier_factor,
    harmonic_coherence,
    morlet_power,
    morlet_transform,
    power_image,
    power_images,
    transform,
)

EXAMPLES = Path(__file__).resolve().parents[1] / (
    ".venv/lib/python3.11/site-packages/altaipony/examples"
)
DT = KEPLER_LONG_CADENCE_DAYS
TWO_MINUTES = 2 / (24 * 60)
PROPERTY = settings(max_examples=20, deadline=None)


def sine(time: np.ndarray, period_days: float, amplitude: float = 1e-3) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * time / period_days)


def uniform(flux: np.ndarray, valid: np.ndarray | None = None, **meta: str) -> UniformSeries:
    valid = np.ones(flux.size, bool) if valid is None else valid
    return UniformSeries(np.arange(flux.size) * DT, np.where(valid, flux, 0.0), valid, DT, meta)


def realistic_flux(n_samples: int, seed: int = 0) -> np.ndarray:
    """Noise, three sines and a periodic transit-like dip, in relative flux."""
    time = np.arange(n_samples) * DT
    flux = np.random.default_rng(seed).normal(0.0, 1e-3, n_samples)
    flux += sine(time, 3.1, 2e-3) + sine(time, 0.37, 1e-3) + sine(time, 11.0, 5e-4)
    flux[(time % 7.3) < 0.15] -= 5e-3
    return flux


def inside_cone(n_samples: int, periods_days: np.ndarray) -> np.ndarray:
    """(period, sample) pixels at least sqrt(2) scales from both ends."""
    index = np.arange(n_samples)
    distance = np.minimum(index + 1, n_samples - index) * DT
    scales = periods_days / fourier_factor(6.0)
    return distance >= math.sqrt(2) * scales[:, None]


# --- configuration ------------------------------------------------------------------------------


def test_config_periods_are_a_fixed_log_grid() -> None:
    periods = WaveletConfig().periods_days
    assert periods.shape == (64,)
    assert periods[0] == pytest.approx(1 / 24)
    assert periods[-1] == pytest.approx(30.0)
    np.testing.assert_allclose(np.diff(np.log(periods)), np.log(720) / 63)


def test_config_round_trips_through_json_and_keys_are_stable() -> None:
    config = WaveletConfig(n_periods=32, log10_power_range=(-10, -1), coi_factor=2.0)
    again = WaveletConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    assert again.log10_power_range == (-10.0, -1.0)
    assert again.key() == config.key()
    assert len(config.key()) == 12


@pytest.mark.parametrize(
    "changes",
    [
        {"n_periods": 63},
        {"omega0": 5.0},
        {"period_max_days": 20.0},
        {"coi_factor": 1.0},
        {"gap_tolerance": 0.5},
        {"harmonic_phase": not WaveletConfig().harmonic_phase},
    ],
)
def test_config_key_changes_with_every_setting(changes: dict) -> None:
    assert WaveletConfig(**changes).key() != WaveletConfig().key()


def test_config_key_includes_the_preprocessing() -> None:
    config = WaveletConfig()
    assert config.key(PreprocessConfig()) == config.key(PreprocessConfig())
    assert config.key(PreprocessConfig()) != config.key(PreprocessConfig(clip_sigma=4.0))
    assert config.key(PreprocessConfig()) != config.key()


@pytest.mark.parametrize(
    "changes",
    [
        {"n_periods": 0},
        {"period_min_days": 2.0, "period_max_days": 1.0},
        {"log10_power_range": (0.0, -11.0)},
        {"omega0": 0.0},
        {"gap_tolerance": -0.1},
    ],
)
def test_config_rejects_invalid_values(changes: dict) -> None:
    with pytest.raises(ValueError):
        WaveletConfig(**changes)


# --- the transform ------------------------------------------------------------------------------


def test_harmonic_offset_is_the_row_of_half_the_period() -> None:
    for config in (WaveletConfig(), WaveletConfig(n_periods=32), WaveletConfig(n_periods=128)):
        periods = config.periods_days
        ratio = periods[config.harmonic_offset :] / periods[: -config.harmonic_offset]
        # the nearest row to half the period: off by at most half a row
        row_step = periods[1] / periods[0]
        assert np.all(np.abs(np.log(ratio / 2.0)) <= np.log(row_step) / 2 + 1e-9)


def test_morlet_transform_is_the_complex_root_of_the_power() -> None:
    time = np.arange(3000) * DT
    flux = realistic_flux(3000)
    coefficients = morlet_transform(flux, DT, [0.5, 3.1])
    assert coefficients.dtype == np.complex64
    np.testing.assert_allclose(
        np.abs(coefficients) ** 2, morlet_power(flux, DT, [0.5, 3.1]), rtol=1e-5, atol=1e-12
    )
    # the phase of a coefficient follows the phase of the signal at the row's period
    phase = np.angle(morlet_transform(np.cos(2 * np.pi * time / 3.1 + 0.7), DT, [3.1])[0])
    inside = inside_cone(3000, np.array([3.1]))[0]
    expected = np.angle(np.exp(1j * (2 * np.pi * time / 3.1 + 0.7)))
    np.testing.assert_allclose(np.angle(np.exp(1j * (phase - expected)))[inside], 0.0, atol=0.02)


@PROPERTY
@given(
    phi21=st.floats(-3.0, 3.0),
    phi1=st.floats(0.0, 6.28),
    r21=st.floats(0.15, 0.6),
    period=st.floats(0.3, 6.0),
)
def test_harmonic_coherence_measures_the_fourier_phase_difference(
    phi21: float, phi1: float, r21: float, period: float
) -> None:
    """A two-harmonic light curve (RR Lyrae, Cepheid) gives |b| ~ 1 at angle phi2 - 2 phi1."""
    time = np.arange(4400) * DT
    phase = 2 * np.pi * time / period
    phi2 = phi21 + 2 * phi1
    flux = 0.1 * (np.cos(phase + phi1) + r21 * np.cos(2 * phase + phi2))
    config = WaveletConfig(harmonic_phase=True)
    image = power_image(uniform(flux), config)
    assert image.harmonic is not None and image.harmonic.shape == (2, 64, 64)
    row = int(np.argmin(np.abs(np.log(config.periods_days / period))))
    valid = image.mask[row]
    value = (image.harmonic[0, row] + 1j * image.harmonic[1, row])[valid].mean()
    assert abs(value) > 0.9
    assert abs(np.angle(value * np.exp(-1j * phi21))) < 0.15


def test_harmonic_coherence_of_noise_is_small_and_zero_where_masked() -> None:
    flux = np.random.default_rng(3).normal(0.0, 1e-3, 4400)
    config = WaveletConfig(harmonic_phase=True)
    image = power_image(uniform(flux), config)
    modulus = np.hypot(image.harmonic[0], image.harmonic[1])
    assert np.all(modulus <= 1.0 + 1e-5)
    assert np.all(modulus[~image.mask] == 0)
    assert np.all(modulus[: config.harmonic_offset] == 0)
    # rows that span many periods: no phase locking (the longest span only a few)
    many_cycles = config.periods_days < 1.0
    assert np.max(modulus[many_cycles][image.mask[many_cycles]]) < 0.2
    # one value per row, repeated over the row's valid pixels
    for row in range(64):
        assert np.unique(modulus[row][image.mask[row]]).size <= 1
    assert power_image(uniform(flux), WaveletConfig(harmonic_phase=False)).harmonic is None
    values = harmonic_coherence(morlet_transform(flux, DT, config.periods_days[:10]), 7)
    assert values.shape == (10,) and np.all(values[:7] == 0) and np.all(np.abs(values) <= 1)


def test_gap_tolerance_lets_long_periods_run_across_short_gaps() -> None:
    """A TESS-like sector with a 1-day downlink gap: a 7-day rotator is seen only with tolerance."""
    n_samples = int(27.0 / DT)
    valid = np.ones(n_samples, bool)
    middle = n_samples // 2
    valid[middle - 24 : middle + 25] = False  # 1 day
    time = np.arange(n_samples) * DT
    flux = sine(time, 7.0, 0.01)
    strict = power_image(uniform(flux, valid), WaveletConfig(gap_tolerance=0.0))
    tolerant = power_image(uniform(flux, valid), WaveletConfig(gap_tolerance=0.25))
    periods = strict.periods_days
    assert periods[strict.mask.any(axis=1)].max() < 5.0
    assert periods[tolerant.mask.any(axis=1)].max() > 9.0
    row = int(np.argmin(np.abs(np.log(periods / 7.0))))
    assert tolerant.mask[row].any()
    # across the (interpolated) gap the power on the 7-day row is the sine's, A**2 / 2
    low, high = WaveletConfig().log10_power_range
    log_power = low + tolerant.image[row][tolerant.mask[row]] * (high - low)
    np.testing.assert_allclose(log_power, np.log10(0.01**2 / 2), atol=0.15)
    # short rows still stop at the gap, as without tolerance
    short = periods < 1.0 / 0.25
    np.testing.assert_array_equal(tolerant.mask[short], strict.mask[short])


def test_morlet_power_matches_pywt_inside_the_cone_of_influence() -> None:
    n_samples = 4096
    flux = realistic_flux(n_samples)
    periods = WaveletConfig().periods_days
    power = morlet_power(flux, DT, periods)
    assert power.shape == (64, n_samples)
    assert power.dtype == np.float32

    # pywt's cmor B-C is exp(-t**2 / B) exp(2j pi C t) / sqrt(pi B): B = 2 and C = omega0 / (2 pi)
    # give the Morlet wavelet. pywt scales are in samples; |coef|**2 / scale is the rectified
    # power. precision=16 resolves pywt's integrated wavelet at scales of ~1000 samples.
    scales_in_samples = periods / fourier_factor(6.0) / DT
    coefficients, _ = pywt.cwt(
        flux, scales_in_samples, f"cmor2.0-{6.0 / (2 * np.pi)}", DT, method="fft", precision=16
    )
    reference = np.abs(coefficients) ** 2 / scales_in_samples[:, None]

    inside = inside_cone(n_samples, periods)
    r = np.corrcoef(np.log10(power[inside]), np.log10(reference[inside]))[0, 1]
    assert r >= 0.98
    # the normalisations differ by a constant: pywt's Morlet has half our power
    ratio = np.median(power[inside] / reference[inside])
    assert ratio == pytest.approx(2.0, rel=0.02)


def test_inside_the_cone_the_circular_transform_equals_the_linear_one() -> None:
    """Against the Morlet filter applied in float64 with eight times the series in zeros."""
    n_samples = 4096
    flux = realistic_flux(n_samples, seed=1)
    periods = WaveletConfig().periods_days
    periods = periods[periods >= 4 * DT]  # away from the grid's Nyquist period
    power = morlet_power(flux, DT, periods)

    n_fft = 8 * n_samples
    angular_frequency = 2 * np.pi * np.fft.rfftfreq(n_fft, DT)
    scales = periods / fourier_factor(6.0)
    morlet = np.sqrt(2) * np.exp(-0.5 * (np.outer(scales, angular_frequency) - 6.0) ** 2)
    spectrum = np.zeros((periods.size, n_fft), complex)
    spectrum[:, : angular_frequency.size] = morlet * np.fft.rfft(flux, n_fft)
    reference = np.abs(np.fft.ifft(spectrum, axis=1)[:, :n_samples]) ** 2

    inside = inside_cone(n_samples, periods)
    log_ratio = np.log10(power[inside] / reference[inside])
    assert np.percentile(np.abs(log_ratio), 99) < 0.03
    assert np.abs(log_ratio).max() < 0.1


def test_white_noise_power_follows_the_documented_normalisation() -> None:
    sigma, n_samples = 2e-3, 40_000
    flux = np.random.default_rng(8).normal(0.0, sigma, n_samples)
    periods = np.array([0.2, 1.0, 5.0])
    power = morlet_power(flux, DT, periods)
    mean_power = power[:, 10_000:30_000].mean(axis=1)
    expected = sigma**2 * DT / (np.sqrt(np.pi) * periods / fourier_factor(6.0))
    np.testing.assert_allclose(mean_power, expected, rtol=0.15)


@PROPERTY
@given(
    amplitude=st.floats(1e-5, 0.3),
    period=st.floats(0.1, 8.0),
    cadence=st.sampled_from([DT, TWO_MINUTES, 10 / 1440]),
)
def test_a_sine_has_power_a_squared_over_two_at_its_period(
    amplitude: float, period: float, cadence: float
) -> None:
    n_samples = int(40.0 / cadence)
    time = np.arange(n_samples) * cadence
    power = morlet_power(sine(time, period, amplitude), cadence, [period])[0]
    middle = power[n_samples // 2 - 50 : n_samples // 2 + 50]
    np.testing.assert_allclose(middle, amplitude**2 / 2, rtol=0.03)


def test_unrectified_power_peaks_at_the_fourier_period() -> None:
    """The Torrence & Compo period-to-scale factor: scale * |W|**2 peaks where period = P."""
    true_period = 2.0
    time = np.arange(8192) * DT
    periods = np.linspace(1.8, 2.2, 401)
    power = morlet_power(sine(time, true_period), DT, periods)[:, 4096]
    unrectified = power * periods / fourier_factor(6.0)
    assert periods[np.argmax(unrectified)] == pytest.approx(true_period, abs=0.002)


@PROPERTY
@given(period=st.floats(1 / 12, 12.0), phase=st.floats(0.0, 2 * np.pi))
def test_time_averaged_power_of_a_sine_peaks_on_its_row(period: float, phase: float) -> None:
    n_samples = 4800  # 98 d: at least four cone widths for the longest period tested
    time = np.arange(n_samples) * DT
    periods = WaveletConfig().periods_days
    power = morlet_power(np.sin(2 * np.pi * time / period + phase), DT, periods)
    inside = inside_cone(n_samples, periods)
    mean_power = np.where(inside, power, 0).sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    nearest_row = np.argmin(np.abs(np.log(periods / period)))
    assert abs(int(np.argmax(mean_power)) - nearest_row) <= 1


def test_morlet_power_rejects_non_finite_flux() -> None:
    with pytest.raises(InvalidLightCurve, match="finite"):
        morlet_power(np.array([0.0, np.nan, 0.0]), DT, [1.0])


def test_filter_bank_is_computed_once_per_length_cadence_and_periods(monkeypatch) -> None:
    flux = realistic_flux(1000)
    periods = [0.5, 1.0, 2.0]
    made = []
    make = wavelets._filter_bank
    monkeypatch.setattr(wavelets, "_filter_bank", lambda *key: made.append(key) or make(*key))
    morlet_power(flux, DT, [*periods, 4.0])
    morlet_power(flux * 2, DT, [*periods, 4.0])
    assert made == [(1500, DT, (0.5, 1.0, 2.0, 4.0), 6.0)]
    bank, reach = wavelets._FILTER_BANKS.get(made[0])
    assert not bank.flags.writeable and not reach.flags.writeable


def _whole_filter_bank(
    n_fft: int, cadence_days: float, periods_days: tuple[float, ...], omega0: float
) -> np.ndarray:
    """The filter bank by its formula evaluated at every frequency, as it once was computed."""
    angular_frequency = 2 * np.pi * scipy.fft.rfftfreq(n_fft, d=cadence_days)
    scales = np.asarray(periods_days) / fourier_factor(omega0)
    bank = np.sqrt(2.0) * np.exp(-0.5 * (np.outer(scales, angular_frequency) - omega0) ** 2)
    bank[:, 0] = 0.0
    bank[bank < 1e-12] = 0.0
    return bank.astype(np.float32)


@PROPERTY
@given(
    n_fft=st.integers(1, 50_000),
    cadence=st.sampled_from([DT, TWO_MINUTES, 0.5, 3.0]),
    periods=st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=8),
    omega0=st.floats(1.0, 20.0),
)
def test_the_band_limited_filter_bank_equals_the_whole_formula(
    n_fft: int, cadence: float, periods: list[float], omega0: float
) -> None:
    key = (n_fft, cadence, tuple(periods), omega0)
    np.testing.assert_array_equal(wavelets._filter_bank(*key), _whole_filter_bank(*key))


def test_filter_banks_kept_stay_within_their_bound(monkeypatch) -> None:
    """30 light curves of 5 to 400 days, each with a filter bank of its own: those kept between
    transforms never take more than the bound, and one larger than it is made each time."""
    monkeypatch.setattr(wavelets, "FILTER_CACHE_BYTES", 2**21)
    monkeypatch.setattr(wavelets, "_FILTER_BANKS", wavelets._FilterBanks())
    held = []
    for n_samples in np.geomspace(250, 20_000, 30).astype(int):
        power_image(uniform(realistic_flux(n_samples)))
        held.append(wavelets._FILTER_BANKS.nbytes)
    assert max(held) <= wavelets.FILTER_CACHE_BYTES < sum(held)

    made = []
    make = wavelets._filter_bank
    monkeypatch.setattr(wavelets, "_filter_bank", lambda *key: made.append(key[0]) or make(*key))
    for n_samples in (20_000, 20_000, 250, 250):  # a bank larger than the bound, a small one
        power_image(uniform(realistic_flux(n_samples)))
    assert len(made) == 3 and made[0] == made[1] != made[2]


def test_a_bank_larger_than_the_entry_bound_is_made_for_its_transform_only(monkeypatch) -> None:
    monkeypatch.setattr(wavelets, "FILTER_CACHE_ENTRY_BYTES", 2**20)
    monkeypatch.setattr(wavelets, "_FILTER_BANKS", wavelets._FilterBanks())
    power_image(uniform(realistic_flux(20_000)))  # its bank: over 1 MiB
    assert wavelets._FILTER_BANKS.nbytes == 0
    power_image(uniform(realistic_flux(1_000)))
    assert 0 < wavelets._FILTER_BANKS.nbytes <= 2**20


def test_a_series_beyond_the_grid_limit_is_refused_before_its_transform(monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_GRID_CELLS", 1000)
    monkeypatch.setattr(wavelets, "_transform_rows", None)  # would fail with a TypeError
    with pytest.raises(InvalidLightCurve, match=r"^KIC 9: samples of the series: 1,001, more than"):
        power_image(uniform(realistic_flux(1001), object_id="KIC 9"))


@pytest.mark.parametrize("spike", [1e8, -1e30, np.inf])
def test_a_relative_flux_beyond_single_precision_sums_is_refused(spike: float) -> None:
    flux = realistic_flux(2000)
    flux[700:702] = spike
    with pytest.raises(InvalidLightCurve, match=r"MAX_RELATIVE_FLUX = 10,000,000 .*corrupt"):
        power_image(uniform(flux))


@PROPERTY
@given(
    valid=st.lists(st.booleans(), min_size=1, max_size=60),
    reach=st.lists(st.floats(0.01, 8.0), min_size=1, max_size=4),
    tolerance=st.sampled_from([0.0, 0.25, 1.0]),
)
def test_valid_samples_match_the_distance_to_the_cutting_invalid_samples(
    valid: list[bool], reach: list[float], tolerance: float
) -> None:
    mask = np.array(valid)
    cadence = 0.5
    reach_days = np.array(reach) * cadence
    periods = np.geomspace(1.0, 8.0, reach_days.size)
    expected = np.zeros((periods.size, mask.size), dtype=bool)
    for row, period in enumerate(periods):
        cutting = [-1, mask.size]  # just outside both ends
        for index in np.flatnonzero(~mask):
            run = np.flatnonzero(~mask)
            left = index
            while left - 1 in run:
                left -= 1
            right = index
            while right + 1 in run:
                right += 1
            at_end = left == 0 or right == mask.size - 1
            if at_end or (right - left + 1) * cadence > tolerance * period:
                cutting.append(index)
        distance = np.abs(np.array(cutting)[:, None] - np.arange(mask.size)).min(axis=0)
        expected[row] = distance * cadence >= reach_days[row]
    got = _valid_samples(mask, reach_days, periods, tolerance, cadence)
    np.testing.assert_array_equal(got, expected)


# --- power images -------------------------------------------------------------------------------


def test_power_image_shape_range_and_masking() -> None:
    flux = realistic_flux(4400)
    image = power_image(uniform(flux, object_id="KIC 1"))
    assert image.image.shape == image.mask.shape == (64, 64)
    assert image.image.dtype == np.float32
    assert image.object_id == "KIC 1"
    assert image.image.min() >= 0.0 and image.image.max() <= 1.0
    assert np.all(image.image[~image.mask] == 0.0)
    np.testing.assert_allclose(image.periods_days, WaveletConfig().periods_days)
    np.testing.assert_allclose(image.time_edges_days[[0, -1]], [-DT / 2, 4400 * DT - DT / 2])
    # the cone of influence: fewer valid columns at longer periods, none beyond the baseline
    valid_columns = image.mask.sum(axis=1)
    assert valid_columns[0] == 64
    assert np.all(np.diff(valid_columns) <= 0)
    scales = image.periods_days / fourier_factor(6.0)
    assert not image.mask[2 * math.sqrt(2) * scales > 4400 * DT].any()


def test_pixels_are_log_mean_power_on_the_fixed_range() -> None:
    config = WaveletConfig()
    weak, strong = (power_image(uniform(sine(np.arange(4400) * DT, 2.0, a))) for a in (1e-4, 1e-3))
    row = np.argmin(np.abs(config.periods_days - 2.0))
    valid = strong.mask[row]
    np.testing.assert_array_equal(valid, weak.mask[row])
    assert valid.sum() > 50
    low, high = config.log10_power_range
    # ten times the amplitude is a hundred times the power: 2 dex of the fixed range
    np.testing.assert_allclose(
        strong.image[row][valid] - weak.image[row][valid], 2 / (high - low), atol=2e-3
    )
    expected = (np.log10(1e-3**2 / 2) - low) / (high - low)
    np.testing.assert_allclose(strong.image[row][valid], expected, atol=0.01)


@pytest.mark.parametrize(("cadence", "n_samples"), [(DT, 4400), (TWO_MINUTES, 19000)])
def test_pixels_agree_with_means_over_every_sample(cadence: float, n_samples: int) -> None:
    """Rows computed at their kept samples against full-resolution power and coherence: the
    same pixels, values within the noise of a bin's mean."""
    time = np.arange(n_samples) * cadence
    rng = np.random.default_rng(7)
    flux = rng.normal(0.0, 1e-3, n_samples) + sine(time, 1.3, 2e-3) + sine(time, 0.65, 1e-3)
    flux += 5e-3 * np.exp(-np.clip(time - 9.0, 0.0, None) / 0.1) * (time >= 9.0)  # a flare
    series = UniformSeries(time, flux, np.ones(n_samples, bool), cadence, {})
    config = WaveletConfig()
    image = power_image(series, config)

    # the reference: every sample's power, pooled over the same bins and cone of influence
    coefficients = morlet_transform(flux, cadence, config.periods_days)
    power = np.abs(coefficients) ** 2
    reach = config.coi_factor * config.periods_days / fourier_factor(config.omega0)
    index = np.arange(n_samples)
    distance = np.minimum(index + 1, n_samples - index) * cadence
    inside = distance >= reach[:, None]
    edges = np.searchsorted(
        time, time[0] - cadence / 2 + np.arange(64) * (n_samples * cadence / 64)
    )
    sums = np.add.reduceat(np.where(inside, power, 0.0), edges, axis=1)
    counts = np.add.reduceat(inside, edges, axis=1)
    valid = 2 * counts >= np.diff(np.append(edges, n_samples))
    low, high = config.log10_power_range
    with np.errstate(divide="ignore"):
        reference = (np.log10(sums / np.maximum(counts, 1)) - low) / (high - low)

    both = image.mask & valid
    assert (image.mask != valid).mean() < 0.01  # only bins at the edge of the cone may differ
    difference = np.abs(image.image - np.clip(reference, 0, 1))[both]
    assert np.median(difference) < 5e-4 and difference.max() < 0.02  # 0.24 dex at most

    coherence = harmonic_coherence(coefficients, config.harmonic_offset, inside)
    for row in range(config.harmonic_offset, config.n_periods):
        columns = np.flatnonzero(image.mask[row])
        if columns.size:  # the row's coherence is repeated on its valid pixels
            assert abs(complex(*image.harmonic[:, row, columns[0]]) - coherence[row]) < 0.05
    # the two harmonics of the signal: coherent at the 1.3-d row
    row = np.argmin(np.abs(config.periods_days - 1.3))
    assert abs(complex(*image.harmonic[:, row, 32])) > 0.9


def test_a_long_gap_masks_the_pixels_around_it() -> None:
    n_samples = 4400
    valid = np.ones(n_samples, bool)
    valid[2000:2200] = False  # a 4-day gap
    image = power_image(uniform(realistic_flux(n_samples), valid), WaveletConfig(gap_tolerance=0))
    samples_per_column = n_samples / 64
    gap_columns = slice(29, 32)  # columns 29 to 31 are mostly inside the gap
    assert not image.mask[:, gap_columns].any()
    assert image.mask[:10, :25].all() and image.mask[:10, 35:].all()
    # at 5 days and more the cone reaches over 335 samples, about five columns, from the gap
    long_rows = image.periods_days > 5.0
    reach = int(np.ceil(335 / samples_per_column))
    assert not image.mask[long_rows, 29 - reach + 1 : 32 + reach - 1].any()
    assert image.mask[long_rows, 29 - reach - 2].any()


def test_kepler_and_tess_versions_of_a_sine_peak_on_the_same_row() -> None:
    period = 1.7
    rng = np.random.default_rng(4)
    kepler_time = 1500.0 + np.arange(0.0, 27.0, 29.4243814 / 1440)
    tess_time = 1500.0 + np.arange(0.0, 27.0, TWO_MINUTES)
    kepler = transform(
        kepler_time, 1e4 * (1 + sine(kepler_time, period)) + rng.normal(0, 1, kepler_time.size)
    )
    tess = transform(
        tess_time, 300 * (1 + sine(tess_time, period)) + rng.normal(0, 0.3, tess_time.size)
    )
    kepler_row = np.argmax(kepler.image.sum(axis=1))
    tess_row = np.argmax(tess.image.sum(axis=1))
    assert kepler_row == tess_row
    assert abs(kepler_row - np.argmin(np.abs(np.log(kepler.periods_days / period)))) <= 1
    both = kepler.mask[kepler_row] & tess.mask[kepler_row]
    assert both.sum() > 50
    difference = kepler.image[kepler_row][both] - tess.image[kepler_row][both]
    assert np.abs(difference).max() < 0.01


def test_too_short_series_are_rejected_with_the_minimum() -> None:
    with pytest.raises(InvalidLightCurve, match=r"^TIC 9: only 40 valid samples.*at least 64"):
        power_image(uniform(realistic_flux(40), object_id="TIC 9"))


def test_series_without_any_pixel_outside_the_cone_are_rejected() -> None:
    valid = np.tile([True, True, False], 100)  # never more than two samples in a row
    with pytest.raises(InvalidLightCurve, match="cone of influence"):
        power_image(
            uniform(realistic_flux(300), valid, source="lc.fits"), WaveletConfig(gap_tolerance=0)
        )


def test_power_images_stacks_images_of_many_light_curves() -> None:
    series = [uniform(realistic_flux(1500, seed)) for seed in range(3)]
    images = power_images(iter(series), progress=False)
    assert images.shape == (3, 64, 64)
    assert images.dtype == np.float32
    np.testing.assert_array_equal(images[1], power_image(series[1]).image)
    assert power_images([], progress=False).shape == (0, 64, 64)


def test_transform_is_prepare_then_power_image() -> None:
    time = np.arange(0.0, 30.0, 10 / 1440)  # TESS 10-min FFI cadence
    flux = 800 * (1 + realistic_flux(time.size)[: time.size])
    image = transform(time, flux, meta={"object_id": "TIC 7"})
    expected = power_image(prepare(time, flux, meta={"object_id": "TIC 7"}))
    np.testing.assert_array_equal(image.image, expected.image)
    np.testing.assert_array_equal(image.mask, expected.mask)
    assert image.object_id == "TIC 7"


@pytest.mark.parametrize(
    "name",
    [
        "kplr010002792-2009259160929_llc.fits",
        "ktwo211117077-c04_llc.fits",
        "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits",
    ],
)
def test_power_images_of_real_kepler_k2_and_tess_light_curves(name: str) -> None:
    lightkurve = pytest.importorskip("lightkurve")
    if not (EXAMPLES / name).exists():
        pytest.skip(f"example light curve {name} is not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lc = lightkurve.read(EXAMPLES / name)
    series = prepare_lightcurve(lc)
    image = power_image(series)
    assert image.object_id == lc.meta["OBJECT"]
    assert image.mask[:20].mean() > 0.8  # short periods: valid except near gaps
    # a period P is seen only sqrt(2) P / 1.033 from both ends: 30 days needs 82 days
    longest = image.periods_days[image.mask.any(axis=1)].max()
    assert 2 * math.sqrt(2) * longest / fourier_factor(6.0) <= series.baseline_days
    assert 0.05 < image.image[image.mask].mean() < 0.95


# --- the cache ----------------------------------------------------------------------------------


def small_image(object_id: str | None = "KIC 10002792") -> PowerImage:
    series = uniform(realistic_flux(1500), object_id=object_id or "", mission="Kepler")
    image = power_image(series)
    return PowerImage(image.image, image.mask, image.periods_days, image.time_edges_days,
                      object_id, image.meta, image.harmonic)  # fmt: skip


def test_cache_round_trips_an_image(tmp_path: Path) -> None:
    cache = WaveletCache(tmp_path)
    image = small_image()
    path = cache.put(image)
    assert path == tmp_path / WaveletConfig().key(PreprocessConfig()) / "KIC_10002792.npz"
    assert "KIC 10002792" in cache and "KIC 1" not in cache
    assert cache.get("KIC 1") is None
    again = cache.get("KIC 10002792")
    assert again is not None and again.object_id == "KIC 10002792"
    for field in ("image", "mask", "periods_days", "time_edges_days"):
        np.testing.assert_array_equal(getattr(again, field), getattr(image, field))
    assert again.image.dtype == np.float32 and again.mask.dtype == bool
    assert again.meta == image.meta
    np.testing.assert_array_equal(again.harmonic, image.harmonic)
    config = json.loads((path.parent / "config.json").read_text())
    assert WaveletConfig.from_dict(config["wavelet"]) == WaveletConfig()
    assert PreprocessConfig.from_dict(config["preprocess"]) == PreprocessConfig()
    assert sorted(p.name for p in path.parent.iterdir()) == ["KIC_10002792.npz", "config.json"]


def test_a_second_run_computes_nothing(tmp_path: Path) -> None:
    calls: list[str] = []

    def computer(object_id: str):
        def compute() -> PowerImage:
            calls.append(object_id)
            return small_image(None)

        return compute

    ids = ["KIC 1", "EPIC 2", "TIC 3"]
    first = [WaveletCache(tmp_path).get_or_compute(i, computer(i)) for i in ids]
    assert calls == ids
    assert [image.object_id for image in first] == ids
    second = [WaveletCache(tmp_path).get_or_compute(i, computer(i)) for i in ids]
    assert calls == ids  # nothing recomputed
    np.testing.assert_array_equal(second[2].image, first[2].image)
    other = WaveletCache(tmp_path, wavelet=WaveletConfig(coi_factor=2.0))
    other.get_or_compute("KIC 1", computer("KIC 1"))
    assert calls == [*ids, "KIC 1"]  # another configuration has its own folder


def test_a_corrupt_cache_file_raises_naming_the_file(tmp_path: Path) -> None:
    cache = WaveletCache(tmp_path)
    path = cache.put(small_image())
    path.write_bytes(b"not an npz file")
    with pytest.raises(CacheError, match=r"KIC_10002792\.npz"):
        cache.get("KIC 10002792")
    with pytest.raises(CacheError, match=r"KIC_10002792\.npz"):
        cache.get_or_compute("KIC 10002792", small_image)


def test_cache_refuses_ids_that_share_a_file_name(tmp_path: Path) -> None:
    cache = WaveletCache(tmp_path)
    cache.put(small_image("KIC 5"))
    with pytest.raises(CacheError, match="holds 'KIC 5'"):
        cache.get("KIC_5")


def test_cache_refuses_images_of_another_configuration(tmp_path: Path) -> None:
    cache = WaveletCache(tmp_path, wavelet=WaveletConfig(n_periods=32))
    with pytest.raises(CacheError, match="shape"):
        cache.put(small_image())


def test_cache_needs_an_object_id(tmp_path: Path) -> None:
    cache = WaveletCache(tmp_path)
    with pytest.raises(ValueError, match="object_id"):
        cache.put(small_image(None))
    with pytest.raises(ValueError, match="no letter or digit"):
        cache.path(" / ")


def test_cache_keeps_the_harmonic_coherence(tmp_path: Path) -> None:
    config = WaveletConfig(harmonic_phase=True)
    flux = realistic_flux(2000)
    image = power_image(uniform(flux, object_id="KIC 7"), config)
    cache = WaveletCache(tmp_path, wavelet=config)
    cache.put(image, "KIC 7")
    again = cache.get("KIC 7")
    assert again is not None and again.harmonic is not None
    np.testing.assert_array_equal(again.harmonic, image.harmonic)
    with pytest.raises(CacheError, match="harmonic coherence"):
        without = power_image(uniform(flux), WaveletConfig(harmonic_phase=False))
        WaveletCache(tmp_path / "other", wavelet=config).put(without, "KIC 8")
