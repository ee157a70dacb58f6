"""Spotted rotators and flare stars: rotation signal, flare template shape, flare timing."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.timeseries import LombScargle
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.simulate import OBSERVING_MODES, astrophysical_flux, lightcurve_arrays
from astrolens.simulate.flares import davenport_flare, flare_events
from astrolens.simulate.rotation import spotted_flux


def test_flare_template_rises_fast_and_decays_slowly():
    fwhm, peak = 0.01, 5.0
    time = peak + np.linspace(-3, 30, 33_001) * fwhm
    flux = davenport_flare(time, peak, fwhm, amplitude=0.5)
    assert time[np.argmax(flux)] == pytest.approx(peak, abs=2e-3 * fwhm)
    assert flux.max() == pytest.approx(0.5)
    above_half = time[flux >= 0.25]
    assert above_half[-1] - above_half[0] == pytest.approx(fwhm, rel=0.1)  # t_1/2 is about the FWHM
    rise = peak - time[np.argmax(flux > 0.05)]
    decay = time[np.flatnonzero(flux > 0.05)[-1]] - peak
    assert decay > 5 * rise
    assert np.all(np.diff(flux[time > peak]) <= 0)
    assert np.all(np.diff(flux[(time < peak) & (flux > 0.01)]) >= 0)


def test_flare_decay_is_exponential_like():
    fwhm = 0.01
    x = np.array([5.0, 10.0, 15.0, 20.0])
    flux = davenport_flare(x * fwhm, 0.0, fwhm, 1.0)
    slopes = np.diff(np.log(flux)) / np.diff(x)
    np.testing.assert_allclose(slopes, -0.2783, rtol=0.01)  # the slow decay term


@settings(max_examples=25, deadline=None)
@given(
    fwhm_minutes=st.floats(2.0, 90.0), exposure_minutes=st.floats(0.5, 30.0), offset=st.floats(0, 1)
)
def test_exposure_averaging_keeps_the_flare_energy(fwhm_minutes, exposure_minutes, offset):
    fwhm, exposure = fwhm_minutes / 1440, exposure_minutes / 1440
    time = np.arange(-2.0, 2.0, exposure)
    peak = offset * exposure
    smeared = davenport_flare(time, peak, fwhm, 1.0, exposure_days=exposure)
    fine = np.arange(-2.0, 2.0, fwhm / 200)
    energy = davenport_flare(fine, peak, fwhm, 1.0).sum() * (fine[1] - fine[0])
    assert smeared.sum() * exposure == pytest.approx(energy, rel=0.01)
    assert smeared.max() <= 1.0 + 1e-9


def test_flares_appear_at_their_stated_times(bright_sample):
    time = OBSERVING_MODES["tess_2min"].time()
    checked = 0
    for _, row in bright_sample("FLARE", "tess_2min", 6).iterrows():
        events = flare_events(row, float(time[0]), float(time[-1]))
        excess = astrophysical_flux(row) - astrophysical_flux(
            row.to_dict() | {"flare_rate_per_day": 0.0}
        )
        gaps = np.diff(events["peak_time"])
        isolated = np.r_[np.inf, gaps] > 0.5
        isolated &= np.r_[gaps, np.inf] > 0.5
        for event in events[isolated].itertuples():
            window = np.abs(time - event.peak_time) < 3 * event.fwhm_days
            if event.fwhm_days < 3 * row["cadence_days"] or window.sum() < 5:
                continue
            peak = time[window][np.argmax(excess[window])]
            assert peak == pytest.approx(event.peak_time, abs=row["cadence_days"])
            assert 0.6 * event.amplitude < excess[window].max() <= event.amplitude
            checked += 1
    assert checked >= 10


def test_flare_events_follow_rate_and_amplitude_distribution():
    row = {"seed": 99, "flare_rate_per_day": 2.0, "flare_min_amplitude": 0.01}
    events = flare_events(row, 0.0, 1000.0)
    assert len(events) == pytest.approx(2000, rel=0.1)
    assert events["amplitude"].min() >= 0.01
    # dN/dA ~ A^-2 above A_min: half of the flares are above 2 A_min, a quarter above 4 A_min.
    assert (events["amplitude"] > 0.02).mean() == pytest.approx(0.5, abs=0.05)
    assert (events["amplitude"] > 0.04).mean() == pytest.approx(0.25, abs=0.04)
    assert events["peak_time"].is_monotonic_increasing


def test_spotted_star_has_its_amplitude_and_rotation_period(bright_sample):
    for _, row in bright_sample("ROT", "kepler_long", 10).iterrows():
        period = row["period_days"]
        model = astrophysical_flux(row)
        assert np.ptp(model) == pytest.approx(row["amplitude"], rel=1e-9)
        if period > OBSERVING_MODES["kepler_long"].duration_days / 4:
            continue
        time, flux, _, quality = lightcurve_arrays(row)
        good = np.isfinite(flux) & (quality == 0)
        frequency, power = LombScargle(time[good], flux[good]).autopower(
            minimum_frequency=0.4 / period, maximum_frequency=3.0 / period, samples_per_peak=30
        )
        found = 1.0 / frequency[np.argmax(power)]
        slowest = period / (1 - row["differential_rotation"] * np.sin(np.radians(60)) ** 2)
        # a spot's period lies between the equator's and that of the highest spot latitude,
        # blurred by spot evolution; two spots on opposite sides can show half of it
        assert 0.9 * period < found < 1.1 * slowest or 0.45 * period < found < 0.55 * slowest


def test_without_differential_rotation_or_evolution_spots_repeat_exactly():
    params = {
        "rotation_period_days": 3.0,
        "inclination_deg": 80.0,
        "amplitude": 0.02,
        "differential_rotation": 0.0,
        "spot_lifetime_days": 1e6,
    }
    time = np.arange(0.0, 30.0, 0.01)
    flux = spotted_flux(time, params, np.random.default_rng(1))
    shift = 300  # one period
    np.testing.assert_allclose(flux[shift:], flux[:-shift], atol=1e-6)
