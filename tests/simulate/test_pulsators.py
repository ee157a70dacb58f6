"""Pulsating stars: periods recovered by Lomb-Scargle, amplitudes, shapes, multi-mode stars."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.timeseries import LombScargle

from astrolens.simulate import (
    OBSERVING_MODES,
    SurveyConfig,
    astrophysical_flux,
    generate_catalog,
    lightcurve_arrays,
)
from astrolens.simulate.pulsators import (
    FIRST_OVERTONE_RATIO,
    MAX_SECONDARY_AMPLITUDE_MAG,
    fourier_shape,
)


def best_period(row) -> float:
    """Lomb-Scargle period of the good cadences of a row's light curve."""
    time, flux, _, quality = lightcurve_arrays(row)
    good = np.isfinite(flux) & (quality == 0)
    baseline = time[-1] - time[0]
    highest = min(0.5 / row["cadence_days"], 50.0)  # Nyquist, or above any delta Scuti mode
    frequency, power = LombScargle(time[good], flux[good]).autopower(
        minimum_frequency=2.0 / baseline, maximum_frequency=highest, samples_per_peak=10
    )
    return 1.0 / frequency[np.argmax(power)]


@pytest.mark.parametrize(
    ("class_name", "mode_key"),
    [
        ("RRab", "kepler_long"),
        ("RRc", "tess_10min"),
        ("DCEP-F", "kepler_long"),
        ("DCEP-1O", "tess_2min"),
        ("T2CEP", "kepler_long"),
        ("DSCT", "tess_2min"),
    ],
)
def test_lomb_scargle_recovers_the_catalogue_period(bright_sample, class_name, mode_key):
    sample = bright_sample(class_name, mode_key, 12)
    baseline = OBSERVING_MODES[mode_key].duration_days
    testable = sample[sample["period_days"] < baseline / 4].head(4)
    assert len(testable) >= 2
    for _, row in testable.iterrows():
        assert best_period(row) == pytest.approx(row["period_days"], rel=0.01)


def test_fourier_pulsators_have_the_catalogue_peak_to_peak(bright_sample):
    for class_name in ("RRab", "DCEP-1O", "T2CEP"):
        for _, row in bright_sample(class_name, "tess_2min", 6).iterrows():
            phase = np.linspace(0.0, 1.0, 4000)
            model = astrophysical_flux(row, row["epoch_days"] + phase * row["period_days"])
            magnitudes = -2.5 * np.log10(model)
            smoothing = np.sinc(row["cadence_days"] / row["period_days"])
            assert np.ptp(magnitudes) == pytest.approx(
                row["amplitude_mag"], rel=0.01 + (1 - smoothing)
            )
            assert np.ptp(model) == pytest.approx(row["amplitude"], rel=0.02)


def test_rrab_rise_faster_than_they_decline(bright_sample):
    for _, row in bright_sample("RRab", "tess_2min", 8).iterrows():
        if not np.isfinite(row["fourier_phi31"]) or row["fourier_r21"] < 0.3:
            continue
        phase = np.linspace(0.0, 1.0, 1000, endpoint=False)
        flux = astrophysical_flux(row, row["epoch_days"] + phase * row["period_days"])
        assert np.mean(np.diff(flux) > 0) < 0.45


def test_fourier_shape_has_unit_first_harmonic():
    phase = np.linspace(0.0, 1.0, 512, endpoint=False)
    shape = fourier_shape(phase, 0.4, 1.0, 0.2, 2.0)
    first = 2 * np.abs(np.fft.rfft(shape)[1]) / phase.size
    second = 2 * np.abs(np.fft.rfft(shape)[2]) / phase.size
    assert first == pytest.approx(1.0)
    assert second == pytest.approx(0.4)


def test_delta_scuti_stars_pulsate_in_several_modes(bright_sample):
    sample = bright_sample("DSCT", "tess_2min", 20)
    assert sample["period2_days"].notna().all()
    ratios = sample["period2_days"] / sample["period_days"]
    assert np.isclose(ratios, FIRST_OVERTONE_RATIO).any()
    row = sample.iloc[0]
    time = OBSERVING_MODES["tess_2min"].time()
    flux = astrophysical_flux(row, time)
    frequency, power = LombScargle(time, flux).autopower(maximum_frequency=100, samples_per_peak=10)
    second = 1.0 / row["period2_days"]
    near_second = np.abs(frequency - second) < 0.05
    assert power[near_second].max() > 0.01
    assert power[near_second].max() > 20 * np.median(power)


def test_semi_regular_variables_wander_more_than_miras(bright_sample):
    def cycle_scatter(class_name: str) -> float:
        scatters = []
        for _, row in bright_sample(class_name, "kepler_long", 8).iterrows():
            period = row["period_days"]
            phase = np.linspace(0.0, 1.0, 64, endpoint=False)
            cycles = [
                astrophysical_flux(row, row["epoch_days"] + (k + phase) * period) for k in range(6)
            ]
            scatters.append(np.std(cycles, axis=0).mean() / row["amplitude"])
        return float(np.median(scatters))

    assert cycle_scatter("SR") > 2 * cycle_scatter("MIRA")


def test_catalogue_artefact_secondary_amplitudes_are_left_out():
    catalog = generate_catalog(SurveyConfig.named("demo"))
    wild = catalog[catalog["amplitude2_mag"] > MAX_SECONDARY_AMPLITUDE_MAG]
    assert len(wild) > 0
    for _, row in wild.iterrows():
        flux = astrophysical_flux(row)
        assert 0.01 < np.median(flux) < 100, row["object_id"]
