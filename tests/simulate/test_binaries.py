"""Binary stars: orbital periods, eclipse depths, depth ratios and durations, contact shapes."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.timeseries import LombScargle

from astrolens.simulate import OBSERVING_MODES, astrophysical_flux, lightcurve_arrays
from astrolens.simulate.binaries import eclipse_duration_days, eclipse_flux
from astrolens.simulate.transits import occulted_fraction


def best_period(row) -> float:
    time, flux, _, quality = lightcurve_arrays(row)
    good = np.isfinite(flux) & (quality == 0)
    frequency, power = LombScargle(time[good], flux[good]).autopower(
        minimum_frequency=2.0 / (time[-1] - time[0]),
        maximum_frequency=0.5 / row["cadence_days"],
        samples_per_peak=20,
    )
    return 1.0 / frequency[np.argmax(power)]


def is_period_or_half(found: float, period: float) -> bool:
    return abs(found / period - 1) < 0.01 or abs(2 * found / period - 1) < 0.01


@pytest.mark.parametrize("mode_key", ["kepler_long", "tess_10min"])
def test_lomb_scargle_finds_the_orbital_period_or_its_half(bright_sample, mode_key):
    baseline = OBSERVING_MODES[mode_key].duration_days
    for class_name in ("EA", "EW", "ELL"):
        sample = bright_sample(class_name, mode_key, 16)
        sample = sample[sample["period_days"] < baseline / 4]
        if class_name == "EA":  # eclipses must fill a few per cent of the orbit for Lomb-Scargle
            sample = sample[sample["duration_hours"] / 24 / sample["period_days"] > 0.04]
        if class_name == "ELL":
            sample = sample[sample["amplitude"] > 1e-3]
        assert len(sample) >= 3, class_name
        for _, row in sample.head(4).iterrows():
            assert is_period_or_half(best_period(row), row["period_days"]), (class_name, row)


def test_primary_eclipse_depth_matches_the_catalogue(bright_sample):
    for _, row in bright_sample("EA", "tess_2min", 10).iterrows():
        params = row.to_dict() | {"cadence_days": 0.0}
        primary = 1.0 - eclipse_flux(np.array([row["epoch_days"]]), params)[0]
        assert primary == pytest.approx(row["amplitude"], rel=1e-9)


def test_secondary_over_primary_depth_is_the_surface_brightness_ratio(bright_sample):
    for _, row in bright_sample("EA", "tess_2min", 10).iterrows():
        params = row.to_dict() | {"cadence_days": 0.0}
        epoch, period = row["epoch_days"], row["period_days"]
        primary, secondary = 1.0 - eclipse_flux(np.array([epoch, epoch + period / 2]), params)
        assert secondary / primary == pytest.approx(row["surface_brightness_ratio"], rel=1e-9)


def test_eclipse_lasts_from_first_to_last_contact(bright_sample):
    for _, row in bright_sample("EA", "tess_2min", 6).iterrows():
        params = row.to_dict() | {"cadence_days": 0.0}
        period = row["period_days"]
        expected = eclipse_duration_days(
            period, row["radius_primary_over_a"] * (1 + row["radius_ratio"]), row["inclination_deg"]
        )
        assert expected * 24 == pytest.approx(row["duration_hours"])
        time = row["epoch_days"] + np.linspace(-0.2, 0.2, 40_001) * period
        eclipsed = eclipse_flux(time, params) < 1.0
        measured = eclipsed.sum() * (time[1] - time[0])
        assert measured == pytest.approx(expected, rel=0.01)


def test_total_eclipses_have_flat_bottoms():
    params = {
        "period_days": 3.0,
        "epoch_days": 0.0,
        "radius_primary_over_a": 0.1,
        "radius_ratio": 0.5,
        "surface_brightness_ratio": 0.25,
        "inclination_deg": 90.0,
        "cadence_days": 0.0,
    }
    time = np.linspace(-0.01, 0.01, 21)  # well inside second to third contact
    flux = eclipse_flux(time, params)
    light_primary = 1.0 / (1.0 + 0.25 * 0.5**2)
    np.testing.assert_allclose(1.0 - flux, light_primary * 0.5**2)


def test_overlap_of_two_equal_discs_at_one_radius():
    # Two unit discs whose centres are one radius apart overlap by 2 pi / 3 - sqrt(3) / 2.
    expected = (2 * np.pi / 3 - np.sqrt(3) / 2) / np.pi
    assert occulted_fraction(1.0, np.array([1.0]))[0] == pytest.approx(expected)


def test_contact_binaries_have_nearly_equal_minima_and_smooth_maxima(bright_sample):
    for _, row in bright_sample("EW", "tess_2min", 8).iterrows():
        phase = np.array([0.0, 0.25, 0.5, 0.75])
        flux = astrophysical_flux(row, row["epoch_days"] + phase * row["period_days"])
        assert flux[0] < flux[1] and flux[2] < flux[3]
        assert abs(flux[0] - flux[2]) < 0.3 * row["amplitude"]
        assert row["fourier_a4"] >= row["fourier_a2"] * (0.125 - row["fourier_a2"])  # Rucinski 1997


def test_ellipsoidal_variables_do_not_eclipse(bright_sample):
    sample = bright_sample("ELL", "kepler_long", 20)
    limit = sample["radius_primary_over_a"] * (1 + 0.5 * sample["mass_ratio"])
    assert (np.cos(np.radians(sample["inclination_deg"])) > limit).all()
    expected = (
        1.3
        * sample["mass_ratio"]
        * sample["radius_primary_over_a"] ** 3
        * np.sin(np.radians(sample["inclination_deg"])) ** 2
    )
    np.testing.assert_allclose(-sample["fourier_a2"], expected)
