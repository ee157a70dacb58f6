"""Ground-based observing modes and the mixed-cadence survey: sampling, errors, classes, twins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from astrolens.simulate import CLASSES, SurveyConfig, generate_catalog, lightcurve_arrays
from astrolens.simulate.export import export_fits
from astrolens.simulate.ground import GROUND_MODES
from astrolens.simulate.survey import (
    MIXED_CADENCE_MIX,
    astrophysical_flux,
    family,
    observation_times,
    signal_to_noise,
    source_arrays,
)
from astrolens.sources import read_arrays

GROUND_MISSIONS = ("OGLE", "MACHO", "ASAS", "ZTF")


@pytest.fixture(scope="module")
def mixed_catalog() -> pd.DataFrame:
    config = SurveyConfig(name="mixed", n_objects=480, mission_mix=MIXED_CADENCE_MIX)
    return generate_catalog(config)


@pytest.mark.parametrize("key", sorted(GROUND_MODES))
def test_sampling_is_nightly_in_seasons_over_years(key):
    mode = GROUND_MODES[key]
    for seed in range(5):
        time = mode.sample_times(np.random.default_rng(seed), ra=float(40 * seed))
        assert mode.epochs[0] * 0.8 <= time.size <= mode.epochs[1]
        assert np.all(np.diff(time) > 0.3)  # at most one epoch a night
        span_years = (time[-1] - time[0]) / 365.25
        assert mode.years[0] - 1.0 <= span_years <= mode.years[1]
        gaps = np.diff(time)
        # one seasonal gap a year, as long as the year minus the season
        long_gaps = gaps[gaps > 60.0]
        assert round(span_years) - 1 <= long_gaps.size <= round(span_years) + 1
        assert np.median(long_gaps) == pytest.approx(365.25 - mode.season_days, abs=45.0)
        # observed near local midnight at the site: the UT fraction of the day clusters there
        hours = ((time - mode.site_midnight_ut + 0.5) % 1.0 - 0.5) * 24.0
        assert np.all(np.abs(hours) < mode.max_hour_offset + 5 * mode.hour_scatter_hours)


def test_the_season_is_centred_on_the_opposition():
    """The Sun is opposite a star of right ascension ra at day 79 + (ra + 180) / 360 years."""
    mode = GROUND_MODES["ogle_i"]
    for ra in (0.0, 90.0, 180.0, 270.0):
        days = np.concatenate(
            [mode.sample_times(np.random.default_rng(seed), ra=ra) for seed in range(8)]
        )
        day_of_year = (days - 51544.0) % 365.25
        angle = np.angle(np.mean(np.exp(2j * np.pi * day_of_year / 365.25)))
        middle = np.degrees(angle) % 360.0 / 360.0 * 365.25
        expected = (79.0 + (ra + 180.0) / 360.0 * 365.25) % 365.25
        offset = (middle - expected + 182.6) % 365.25 - 182.6
        assert abs(offset) < 12.0, (ra, middle, expected)


@pytest.mark.parametrize(
    ("key", "mag", "low", "high"),
    [
        ("ogle_i", 15.0, 0.004, 0.012),
        ("ogle_i", 19.0, 0.04, 0.12),
        ("macho_r", 17.0, 0.02, 0.04),
        ("macho_r", 19.5, 0.05, 0.12),
        ("asas_v", 10.0, 0.03, 0.04),
        ("asas_v", 14.0, 0.07, 0.15),
        ("ztf_r", 16.0, 0.01, 0.02),
        ("ztf_r", 19.5, 0.04, 0.1),
    ],
)
def test_errors_grow_with_magnitude_as_the_surveys_report(key, mag, low, high):
    assert low <= float(GROUND_MODES[key].errors.sigma(mag)) <= high


def test_observed_scatter_matches_the_reported_errors():
    mode = GROUND_MODES["ogle_i"]
    flux, flux_err, quality = mode.observe(np.ones(4000), 17.0, np.random.default_rng(2))
    normalised = (flux - 1.0) / flux_err
    robust = 1.4826 * np.median(np.abs(normalised))
    assert robust == pytest.approx(1.0, abs=0.1)
    assert 0 < np.sum(np.abs(normalised) > 4) < 0.01 * flux.size  # a few outliers, not many
    assert not quality.any()


def test_only_classes_seen_from_the_ground_get_ground_modes(mixed_catalog):
    ground = mixed_catalog["mission"].isin(GROUND_MISSIONS)
    assert ground.sum() >= 0.3 * len(mixed_catalog)
    seen_from_ground = {name for name, variability in CLASSES.items() if variability.ground}
    assert set(mixed_catalog.loc[ground, "class"]) == seen_from_ground
    assert mixed_catalog["class"].value_counts().nunique() == 1  # classes stay balanced
    families = {family(row) for row in mixed_catalog.to_dict("records")}
    assert families == {
        "Kepler",
        "TESS 2-min",
        "TESS FFI",
        "OGLE-like",
        "MACHO/ASAS-like",
        "ZTF-like",
    }


def test_space_only_surveys_are_unchanged_by_the_ground_modes(tiny_catalog):
    assert set(tiny_catalog["mission"]) == {"Kepler", "TESS"}
    assert not tiny_catalog["twin_of"].astype(bool).any()


def test_twins_observe_the_same_star_under_another_cadence(mixed_catalog):
    twins = mixed_catalog[mixed_catalog["twin_of"] != ""]
    ground = mixed_catalog["mission"].isin(GROUND_MISSIONS)
    assert 0.1 * ground.sum() <= len(twins) <= 0.3 * ground.sum()
    by_id = mixed_catalog.set_index("object_id")
    for _, twin in twins.iterrows():
        star = by_id.loc[twin["twin_of"]]
        assert twin["mission"] in GROUND_MISSIONS and star["mission"] in ("Kepler", "TESS")
        for column in ("class", "period_days", "seed", "ra", "dec", "epoch_days"):
            assert twin[column] == star[column] or (pd.isna(twin[column]) and pd.isna(star[column]))
        if not np.isnan(star["amplitude_mag"]):  # pulsators: the band's amplitude
            ratio = twin["amplitude_mag"] / star["amplitude_mag"]
            mode = GROUND_MODES[_key(twin)]
            space_factor = {"Kepler": 1.3, "TESS": 1.0}[star["mission"]]
            assert ratio == pytest.approx(mode.band_amplitude_factor / space_factor)
        if twin["class"] != "CONSTANT":
            assert signal_to_noise(twin) >= 15.0


def test_a_twin_shows_the_star_of_its_space_observation(mixed_catalog):
    twin = mixed_catalog[
        (mixed_catalog["twin_of"] != "") & (mixed_catalog["class"].isin(["RRab", "EW", "EA"]))
    ].iloc[0]
    star = mixed_catalog.set_index("object_id").loc[twin["twin_of"]]
    time = observation_times(twin)
    # the same star at the same times: one flux model, whichever row it is computed from
    # (except the band's amplitude of a pulsator)
    twin_flux = astrophysical_flux(twin, time)
    observed_as_twin = {key: twin[key] for key in ("mission", "cadence", "band")}
    star_flux = astrophysical_flux({**star.to_dict(), **observed_as_twin}, time)
    if twin["class"] == "RRab":
        ratio = twin["amplitude_mag"] / star["amplitude_mag"]
        np.testing.assert_allclose(
            -2.5 * np.log10(twin_flux), -2.5 * np.log10(star_flux) * ratio, atol=1e-3
        )
    else:
        np.testing.assert_allclose(twin_flux, star_flux, atol=2e-3)


def test_ground_light_curves_regenerate_exactly_and_read_back(mixed_catalog, tmp_path):
    rows = mixed_catalog[mixed_catalog["mission"].isin(GROUND_MISSIONS)].head(4)
    for _, row in rows.iterrows():
        first, second = lightcurve_arrays(row), lightcurve_arrays(row)
        np.testing.assert_array_equal(first.time, second.time)
        np.testing.assert_array_equal(first.flux, second.flux)
        arrays = source_arrays(row)
        assert (arrays.mission, arrays.time_format, arrays.flux_column) == (
            row["mission"],
            "mjd",
            "mag",
        )
        assert 40_000 < first.time[0] < 61_000  # MJD
    paths = export_fits(rows, tmp_path, progress=False)
    for path, (_, row) in zip(paths, rows.iterrows(), strict=True):
        assert path.suffix == ".csv" and path.name.startswith(row["mission"].lower())
        read = read_arrays(path)
        simulated = lightcurve_arrays(row)
        np.testing.assert_allclose(read.time, simulated.time, atol=1e-6)
        np.testing.assert_allclose(read.flux, simulated.flux / np.median(simulated.flux), rtol=2e-4)


def test_long_periods_show_in_ground_light_curves(mixed_catalog):
    """A Mira's or semi-regular's catalogued period repeats within its ground-based light curve."""
    rows = mixed_catalog[
        mixed_catalog["mission"].isin(GROUND_MISSIONS) & mixed_catalog["class"].isin(["MIRA"])
    ]
    assert len(rows) > 0
    for _, row in rows.iterrows():
        time = observation_times(row)
        assert time[-1] - time[0] >= 2.0 * min(row["period_days"], 500.0)


def _key(row: pd.Series) -> str:
    return next(
        key
        for key, mode in GROUND_MODES.items()
        if (mode.mission, mode.band) == (row["mission"], row["band"])
    )


def test_a_mixed_survey_is_written_under_its_own_name_and_reads_back(tmp_path):
    from astrolens.simulate import read_catalog, simulate_survey

    path = simulate_survey("tiny", out_dir=tmp_path, progress=False, cadences="mixed")
    assert path.name == "tiny-mixed.csv"
    catalog = read_catalog(path)
    config = SurveyConfig(name="tiny-mixed", n_objects=320, mission_mix=MIXED_CADENCE_MIX)
    assert catalog.equals(generate_catalog(config))
    assert catalog["mission"].isin(GROUND_MISSIONS).any()
    with pytest.raises(ValueError, match="cadences must be 'space' or 'mixed'"):
        simulate_survey("tiny", out_dir=tmp_path, progress=False, cadences="ground")
