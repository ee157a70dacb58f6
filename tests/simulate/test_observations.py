"""Observing modes: cadence grids, gaps, quality flags, noise against magnitude, systematics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lightkurve.utils import KeplerQualityFlags, TessQualityFlags

from astrolens.simulate.observations import (
    OBSERVING_MODES,
    draw_magnitudes,
    draw_sky_positions,
    exposure_average,
    observe,
)

KEPLER = OBSERVING_MODES["kepler_long"]
TESS_2MIN = OBSERVING_MODES["tess_2min"]
TESS_10MIN = OBSERVING_MODES["tess_10min"]


def test_cadences_and_durations_of_the_three_modes():
    assert KEPLER.cadence_days * 1440 == pytest.approx(29.4244)
    assert TESS_2MIN.cadence_days * 1440 == pytest.approx(2.0)
    assert TESS_10MIN.cadence_days * 1440 == pytest.approx(10.0)
    assert 85 < KEPLER.duration_days < 95
    for mode in (TESS_2MIN, TESS_10MIN):
        assert 26 < mode.duration_days < 28.5
    for mode in OBSERVING_MODES.values():
        time = mode.time()
        steps = np.diff(time)
        assert np.allclose(steps[steps < 2 * mode.cadence_days], mode.cadence_days)
        assert not time.flags.writeable


def test_gaps_have_no_cadences_and_carry_their_flags():
    for mode in OBSERVING_MODES.values():
        full, valid = mode.full_time()
        time = mode.time()
        for start, end, bits in mode.gaps:
            assert not np.any((time >= start) & (time <= end))
            inside = (full >= start) & (full <= end)
            assert inside.sum() > 0.9 * (end - start) / mode.cadence_days
            assert np.all(mode.base_quality()[inside] & bits == bits)
        assert valid.sum() == time.size
    tess_gap = np.diff(TESS_2MIN.time()).max()
    assert 0.9 < tess_gap < 1.3  # the mid-sector downlink


def test_momentum_dumps_are_flagged_regularly():
    for mode, bit, interval in (
        (TESS_2MIN, TessQualityFlags.Desat, 2.5),
        (TESS_10MIN, TessQualityFlags.Desat, 3.1),
        (KEPLER, KeplerQualityFlags.Desat, 2.98),
    ):
        full, _ = mode.full_time()
        flagged = full[(mode.base_quality() & bit) > 0]
        starts = flagged[np.r_[True, np.diff(flagged) > 0.5]]
        spacing = np.diff(starts)
        assert len(starts) >= 6
        assert np.all(
            np.isclose(spacing % interval, 0, atol=0.05)
            | np.isclose(spacing % interval, interval, atol=0.05)
        )


def test_flagged_cadences_blanked_and_outliers_added():
    rng = np.random.default_rng(0)
    signal = np.ones(KEPLER.time().size)
    flux, flux_err, quality = observe(KEPLER, signal, 12.0, rng)
    blanked = (quality & KEPLER.nan_quality) > 0
    assert np.isnan(flux[blanked]).all() and np.isfinite(flux[~blanked]).all()
    assert (quality & KeplerQualityFlags.ApertureCosmic > 0).mean() == pytest.approx(
        0.015, abs=0.01
    )
    outliers = np.abs(flux - np.nanmedian(flux)) > 8 * flux_err
    assert outliers.any()


def test_noise_grows_with_magnitude_as_the_noise_model_says():
    signal = np.ones(KEPLER.time().size)
    scatter = {}
    for mag in (10.0, 13.0, 16.0):
        flux, flux_err, quality = observe(KEPLER, signal, mag, np.random.default_rng(1))
        good = np.isfinite(flux) & (quality == 0)
        point_to_point = np.nanmedian(np.abs(np.diff(flux[good]))) / (0.6745 * np.sqrt(2))
        scatter[mag] = point_to_point
        assert point_to_point == pytest.approx(np.median(flux_err), rel=0.15)
    assert scatter[10.0] < scatter[13.0] < scatter[16.0]
    assert scatter[16.0] / scatter[10.0] > 5


def test_kepler_and_tess_noise_levels_match_published_values():
    cdpp12 = KEPLER.noise.cdpp_ppm(12.0, KEPLER.cadence_days, hours=6.5)
    assert 15 < cdpp12 < 35  # Gilliland et al. 2011: ~20-30 ppm at Kp = 12
    assert KEPLER.noise.star_rate(12.0) == pytest.approx(1.74e5)
    hourly = TESS_2MIN.noise.cdpp_ppm(10.0, TESS_2MIN.cadence_days, hours=1.0)
    assert 100 < hourly < 300  # Sullivan et al. 2015: ~200 ppm in 1 h at T = 10
    assert TESS_2MIN.noise.cdpp_ppm(6.0, TESS_2MIN.cadence_days, hours=1.0) > 60  # floor


def test_shot_noise_follows_the_stellar_flux():
    signal = np.where(np.arange(TESS_2MIN.time().size) % 2 == 0, 1.0, 4.0)
    _, flux_err, _ = observe(TESS_2MIN, signal, 13.0, np.random.default_rng(2))
    assert flux_err[1] > flux_err[0]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32), n=st.integers(1, 500), key=st.sampled_from(list(OBSERVING_MODES))
)
def test_magnitudes_and_positions_stay_in_the_mode_ranges(seed, n, key):
    mode = OBSERVING_MODES[key]
    rng = np.random.default_rng(seed)
    mags = draw_magnitudes(mode, rng, n)
    low, high = mode.magnitude_range
    assert np.all((mags >= low) & (mags <= high))
    ra, dec = draw_sky_positions(mode, rng, n)
    assert np.all((ra >= 0) & (ra < 360) & (dec >= -90) & (dec <= 90))
    centre_ra, centre_dec = np.radians(mode.sky_centre)
    cos_distance = np.sin(np.radians(dec)) * np.sin(centre_dec) + np.cos(np.radians(dec)) * np.cos(
        centre_dec
    ) * np.cos(np.radians(ra) - centre_ra)
    assert np.all(cos_distance >= np.cos(np.radians(mode.sky_radius_deg)) - 1e-9)


def test_faint_targets_outnumber_bright_ones():
    mags = draw_magnitudes(KEPLER, np.random.default_rng(3), 20_000)
    counts, _ = np.histogram(mags, bins=[9, 10, 15, 16])
    assert counts[2] / counts[0] == pytest.approx(10 ** (0.3 * 6), rel=0.2)


@settings(max_examples=20, deadline=None)
@given(slope=st.floats(-5, 5), offset=st.floats(-5, 5), exposure=st.floats(0.001, 0.1))
def test_exposure_average_of_a_line_is_the_line(slope, offset, exposure):
    time = np.linspace(0.0, 1.0, 7)
    averaged = exposure_average(lambda t: slope * t + offset, time, exposure)
    np.testing.assert_allclose(averaged, slope * time + offset, atol=1e-9)
