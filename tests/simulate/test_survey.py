"""The survey catalogue: columns and dtypes, class balance, determinism, streaming, regeneration."""

from __future__ import annotations

import dataclasses
import json
import tracemalloc

import lightkurve as lk
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.errors import InvalidLightCurve
from astrolens.simulate import (
    CATALOG_COLUMNS,
    CLASSES,
    OBSERVING_MODES,
    SIZES,
    SurveyConfig,
    astrophysical_flux,
    generate_catalog,
    iter_catalog_chunks,
    iter_lightcurves,
    lightcurve,
    lightcurve_arrays,
    observing_mode,
    read_catalog,
    signal_to_noise,
    simulate_survey,
    source_arrays,
    write_survey,
)
from astrolens.simulate.ogle import load_ogle3


def test_catalog_has_the_documented_columns_and_dtypes(tiny_catalog):
    assert list(tiny_catalog.columns) == list(CATALOG_COLUMNS)
    for name, (dtype, _) in CATALOG_COLUMNS.items():
        column = tiny_catalog[name]
        if dtype == "str":
            assert column.map(type).eq(str).all(), name
        else:
            assert column.dtype == np.dtype(dtype), name
    assert tiny_catalog["object_id"].is_unique
    assert tiny_catalog["seed"].is_unique


def test_parameters_are_nan_exactly_where_they_do_not_apply(tiny_catalog):
    by_class = tiny_catalog.set_index("class")
    transit = by_class.loc["TRANSIT"]
    assert transit[["radius_ratio", "impact_parameter", "a_over_rstar"]].notna().all().all()
    assert transit[["fourier_r21", "nu_max_uhz", "flare_rate_per_day"]].isna().all().all()
    flare = by_class.loc["FLARE"]
    assert flare[["flare_rate_per_day", "rotation_period_days"]].notna().all().all()
    assert flare[["radius_ratio", "mass_ratio"]].isna().all().all()
    assert by_class.loc["CONSTANT", "period_days"].isna().all()
    assert (by_class.loc["CONSTANT", "amplitude"] == 0).all()
    periodic = tiny_catalog[~tiny_catalog["class"].isin(["CONSTANT", "GRANULATION"])]
    assert (periodic["period_days"] > 0).all()


def test_named_tiny_survey_has_every_class_equally(tiny_catalog):
    assert len(tiny_catalog) == SIZES["tiny"]
    counts = tiny_catalog["class"].value_counts()
    assert set(counts.index) == set(CLASSES)
    assert (counts == SIZES["tiny"] // len(CLASSES)).all()
    assert len(CLASSES) >= 14


def test_class_balance_and_mission_mix_follow_the_configuration():
    weights = {"RRab": 3.0, "EA": 1.0, "TRANSIT": 6.0}
    mix = {"kepler_long": 0.5, "tess_2min": 0.25, "tess_10min": 0.25}
    config = SurveyConfig(name="balance", n_objects=400, class_weights=weights, mission_mix=mix)
    catalog = generate_catalog(config)
    assert catalog["class"].value_counts().to_dict() == {"TRANSIT": 240, "RRab": 120, "EA": 40}
    modes = catalog.groupby(["mission", "cadence"]).size().to_dict()
    assert modes == {("Kepler", "long"): 200, ("TESS", "2min"): 100, ("TESS", "10min"): 100}
    for (mission, cadence), rows in catalog.groupby(["mission", "cadence"]):
        mode = next(
            m for m in OBSERVING_MODES.values() if (m.mission, m.cadence) == (mission, cadence)
        )
        assert (rows["cadence_days"] == mode.cadence_days).all()
        low, high = mode.magnitude_range
        assert rows["mag"].between(low, high).all()


@settings(max_examples=15, deadline=None)
@given(
    weights=st.lists(st.floats(0.0, 10.0), min_size=16, max_size=16).filter(lambda w: sum(w) > 0.1),
    n_objects=st.integers(1, 300),
)
def test_class_counts_are_exact_up_to_rounding(weights, n_objects):
    config = SurveyConfig(
        name="w", n_objects=n_objects, class_weights=dict(zip(CLASSES, weights, strict=True))
    )
    counts = generate_catalog(config)["class"].value_counts()
    expected = n_objects * np.array(weights) / sum(weights)
    for name, share in zip(CLASSES, expected, strict=True):
        assert abs(counts.get(name, 0) - share) < 1.0


def test_invalid_configurations_are_refused():
    with pytest.raises(ValueError, match="unknown class"):
        SurveyConfig(class_weights={"Cepheid": 1.0})
    with pytest.raises(ValueError, match="observing mode"):
        SurveyConfig(mission_mix={"k2_long": 1.0})
    with pytest.raises(ValueError, match="positive sum"):
        SurveyConfig(class_weights={"EA": 0.0})
    with pytest.raises(ValueError, match="unknown survey size"):
        SurveyConfig.named("huge")


def test_named_sizes_choose_the_file_format():
    assert SurveyConfig.named("tiny").catalog_suffix == ".csv"
    assert SurveyConfig.named("demo").catalog_suffix == ".csv"
    assert SurveyConfig.named("large").catalog_suffix == ".parquet"
    assert SurveyConfig.named("large").n_objects == 1_000_000
    assert 10_000 <= SurveyConfig.named("demo").n_objects <= 30_000


def test_same_seed_same_catalog_and_flux_different_seed_different(tiny_config, tiny_catalog):
    again = generate_catalog(tiny_config)
    pd.testing.assert_frame_equal(again, tiny_catalog)
    other = generate_catalog(SurveyConfig.named("tiny", seed=tiny_config.seed + 1))
    assert not np.array_equal(other["seed"], tiny_catalog["seed"])
    row = tiny_catalog.iloc[5]
    first, second = lightcurve_arrays(row), lightcurve_arrays(row.copy())
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    changed = row.copy()
    changed["seed"] += 1
    assert not np.allclose(lightcurve_arrays(changed).flux, first.flux, equal_nan=True)


def test_pulsators_keep_their_real_ogle_rows(tiny_catalog):
    ogle = load_ogle3().set_index("ogle_id")
    pulsators = tiny_catalog[tiny_catalog["ogle_id"] != ""]
    assert set(pulsators["class"]) == {
        "RRab",
        "RRc",
        "DCEP-F",
        "DCEP-1O",
        "T2CEP",
        "DSCT",
        "MIRA",
        "SR",
    }
    source = ogle.loc[pulsators["ogle_id"]]
    np.testing.assert_allclose(pulsators["period_days"], source["period_days"])
    np.testing.assert_allclose(pulsators["ra"], source["ra"])
    np.testing.assert_allclose(pulsators["dec"], source["dec"])
    np.testing.assert_allclose(pulsators["ogle_i_mag"], source["i_mag"])
    np.testing.assert_allclose(pulsators["ogle_amplitude_i_mag"], source["amplitude_i_mag"])
    factors = pulsators["mission"].map({"Kepler": 1.3, "TESS": 1.0})
    np.testing.assert_allclose(
        pulsators["amplitude_mag"], source["amplitude_i_mag"].to_numpy() * factors
    )
    others = tiny_catalog[tiny_catalog["ogle_id"] == ""]
    assert others["ogle_i_mag"].isna().all()
    kepler = others[others["mission"] == "Kepler"]
    assert kepler["ra"].between(275, 306).all() and kepler["dec"].between(36, 53).all()


def test_write_survey_csv_round_trip_and_config_json(tmp_path, tiny_config, tiny_catalog):
    path = write_survey(tiny_config, tmp_path, progress=False)
    assert path == tmp_path / "tiny.csv"
    read = read_catalog(path)
    pd.testing.assert_frame_equal(read, tiny_catalog)
    saved = json.loads(path.with_suffix(".json").read_text())
    assert SurveyConfig.from_dict(saved["survey"]) == tiny_config
    assert len(saved["ogle3_sha256"]) == 64
    row = read.iloc[17]
    np.testing.assert_array_equal(
        lightcurve_arrays(row).flux, lightcurve_arrays(tiny_catalog.iloc[17]).flux
    )


def test_simulate_survey_entry_point_writes_the_named_survey(tmp_path):
    path = simulate_survey("tiny", seed=5, out_dir=tmp_path / "catalogs", progress=False)
    assert path == tmp_path / "catalogs" / "tiny.csv"
    assert len(read_catalog(path)) == SIZES["tiny"]
    assert json.loads(path.with_suffix(".json").read_text())["survey"]["seed"] == 5


def test_streamed_parquet_equals_the_in_memory_catalog(tmp_path):
    config = SurveyConfig(name="stream", n_objects=2_500, chunk_size=600, file_format="parquet")
    path = write_survey(config, tmp_path, progress=False)
    assert path.suffix == ".parquet"
    assert pq.ParquetFile(path).metadata.num_row_groups == config.n_chunks == 5
    pd.testing.assert_frame_equal(read_catalog(path), generate_catalog(config))
    sizes = [len(chunk) for chunk in iter_catalog_chunks(config)]
    assert sizes == [600, 600, 600, 600, 100]


def test_streaming_memory_is_bounded_by_the_chunk_size(tmp_path):
    def peak_bytes(n_objects: int) -> int:
        config = SurveyConfig(
            name=f"m{n_objects}", n_objects=n_objects, chunk_size=500, file_format="parquet"
        )
        tracemalloc.start()
        write_survey(config, tmp_path, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak_bytes(500)  # warm caches (OGLE rows, grids) outside the measurement
    small, large = peak_bytes(1_000), peak_bytes(8_000)
    assert large < 1.5 * small


def test_lightcurve_arrays_shapes_flags_and_nan(tiny_catalog):
    for _, row in tiny_catalog.groupby(["mission", "cadence"]).head(1).iterrows():
        time, flux, flux_err, quality = lightcurve_arrays(row)
        assert len(time) == len(flux) == len(flux_err) == len(quality)
        assert np.all(np.diff(time) > 0) and np.all(np.isfinite(time))
        assert np.all(flux_err > 0)
        mode = next(m for m in OBSERVING_MODES.values() if m.cadence == row["cadence"])
        blanked = (quality & mode.nan_quality) > 0
        assert blanked.any() and np.isnan(flux[blanked]).all()
        assert np.isfinite(flux[~blanked]).all()


def test_astrophysical_flux_is_the_noiseless_part_of_the_light_curve(bright_sample):
    row = bright_sample("EW", "tess_2min", 1).iloc[0]
    _, flux, flux_err, quality = lightcurve_arrays(row)
    model = astrophysical_flux(row)
    good = np.isfinite(flux) & (quality == 0)
    residual = flux[good] / model[good] - 1.0
    assert np.std(residual) < 5 * np.median(flux_err)
    assert np.corrcoef(flux[good], model[good])[0, 1] > 0.99


def test_lightcurve_object_has_the_metadata(tiny_catalog):
    row = tiny_catalog.iloc[0]
    curve = lightcurve(row)
    assert isinstance(curve, lk.LightCurve)
    for key in ("object_id", "mission", "ra", "dec", "mag", "cadence_days", "class"):
        assert curve.meta[key] == row[key]
    np.testing.assert_array_equal(curve.flux.value, lightcurve_arrays(row).flux)
    assert curve.time.format == ("bkjd" if row["mission"] == "Kepler" else "btjd")


def test_source_arrays_feed_the_reader_pipeline(tiny_catalog):
    row = tiny_catalog.iloc[3]
    arrays = source_arrays(row)
    everything = source_arrays(row, quality_bitmask="none")
    time, flux, _, _ = lightcurve_arrays(row)
    assert arrays.object_id == row["object_id"] and arrays.mission == row["mission"]
    np.testing.assert_array_equal(everything.time, time)
    np.testing.assert_array_equal(everything.flux, flux)
    assert 0 < len(arrays) < len(everything)


def test_iter_lightcurves_matches_one_by_one(tiny_catalog):
    subset = tiny_catalog.iloc[:10]
    batches = list(iter_lightcurves(subset, batch_size=4))
    assert [len(curves) for _, curves in batches] == [4, 4, 2]
    rows = pd.concat([rows for rows, _ in batches])
    pd.testing.assert_frame_equal(rows, subset)
    for (_, row), curve in zip(
        subset.iterrows(), [c for _, cs in batches for c in cs], strict=True
    ):
        np.testing.assert_array_equal(curve.flux, lightcurve_arrays(row).flux)


def test_unknown_class_or_mode_raises_invalid_lightcurve(tiny_catalog):
    row = tiny_catalog.iloc[0].copy()
    row["class"] = "BLAP"
    with pytest.raises(InvalidLightCurve, match="unknown class 'BLAP'"):
        lightcurve_arrays(row)
    row = tiny_catalog.iloc[0].copy()
    row["cadence"] = "20s"
    with pytest.raises(InvalidLightCurve, match="unknown mission/cadence"):
        lightcurve_arrays(row)


def test_classes_drawn_from_priors_are_detectable_at_the_threshold():
    config = SurveyConfig.named("tiny")
    catalog = generate_catalog(config)
    prior_classes = ["EA", "EW", "ELL", "TRANSIT", "ROT", "FLARE", "GRANULATION"]
    drawn = catalog[catalog["class"].isin(prior_classes)]
    assert (drawn["snr"] >= config.min_snr).all()
    assert catalog.loc[~catalog["class"].isin(prior_classes), "snr"].isna().all()
    recomputed = [signal_to_noise(row) for _, row in drawn.head(20).iterrows()]
    np.testing.assert_allclose(recomputed, drawn["snr"].head(20), rtol=1e-12)
    everything = generate_catalog(dataclasses.replace(config, min_snr=0.0))
    faint = everything[everything["class"].isin(["TRANSIT", "GRANULATION"])]["snr"]
    assert (faint < config.min_snr).any()


def test_periods_drawn_from_priors_repeat_in_the_light_curve():
    config = SurveyConfig.named("tiny")
    catalog = generate_catalog(config)
    duration = {
        (row["mission"], row["cadence"]): observing_mode(row).duration_days
        for _, row in catalog.drop_duplicates(["mission", "cadence"]).iterrows()
    }
    baseline = np.array(
        [duration[key] for key in zip(catalog.mission, catalog.cadence, strict=True)]
    )
    cycles = baseline / catalog["period_days"].to_numpy(float)
    prior_periodic = catalog["class"].isin(["EA", "EW", "ELL", "TRANSIT", "ROT", "FLARE"])
    assert prior_periodic.sum() > 50
    assert (cycles[prior_periodic] >= config.min_cycles).all()
    # the OGLE-III long-period variables keep periods longer than any light curve
    assert (cycles[catalog["class"].eq("MIRA").to_numpy()] < 1).all()
    anything = generate_catalog(dataclasses.replace(config, min_cycles=0.0))
    rotators = anything["class"].eq("ROT").to_numpy()
    anything_baseline = np.array(
        [duration[key] for key in zip(anything.mission, anything.cadence, strict=True)]
    )
    assert (anything_baseline[rotators] / anything["period_days"][rotators] < 2).any()


def test_signal_to_noise_of_a_transit_is_depth_times_root_n_over_sigma():
    catalog = generate_catalog(SurveyConfig.named("tiny"))
    row = catalog[catalog["class"] == "TRANSIT"].iloc[0]
    signal = astrophysical_flux(row)
    mode = observing_mode(row)
    sigma = np.sqrt(sum(mode.noise.variances(row["mag"], mode.cadence_days)))
    in_transit = signal < np.median(signal)
    expected = np.sqrt(np.sum((1 - signal[in_transit]) ** 2)) / sigma
    assert signal_to_noise(row) == pytest.approx(expected, rel=1e-9)
