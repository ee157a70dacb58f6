"""The galaxy catalogue: determinism, classes and their parameters, configuration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from astrolens.simulate.galaxies import (
    GALAXY_CLASSES,
    GALAXY_COLUMNS,
    GalaxySurveyConfig,
    generate_galaxy_catalog,
)

_OBSERVING = [
    "object_id", "class", "ra", "dec", "seeing_fwhm_arcsec", "sky_mag_arcsec2_g",
    "sky_mag_arcsec2_r", "sky_mag_arcsec2_z", "pixel_scale_arcsec", "image_size", "bands",
    "n_neighbours", "n_field_stars", "seed",
]  # fmt: skip


def test_catalog_is_deterministic_for_a_seed_and_differs_for_another():
    config = GalaxySurveyConfig(n_objects=60, seed=4, chunk_size=25)
    first = generate_galaxy_catalog(config)
    assert first.equals(generate_galaxy_catalog(config))
    other = generate_galaxy_catalog(GalaxySurveyConfig(n_objects=60, seed=5, chunk_size=25))
    assert not np.allclose(first["ra"], other["ra"])
    assert list(first.columns) == list(GALAXY_COLUMNS)


def test_every_class_is_present_with_its_parameters_and_nan_for_the_others(tiny_galaxies):
    counts = tiny_galaxies["class"].value_counts()
    assert set(counts.index) == {galaxy_class.name for galaxy_class in GALAXY_CLASSES}
    assert counts.max() - counts.min() <= 1
    assert tiny_galaxies[_OBSERVING].notna().all().all()
    drawn_by_any = set()
    for galaxy_class in GALAXY_CLASSES:
        drawn = set(galaxy_class.draw(np.random.default_rng(0), 2))
        drawn_by_any |= drawn
        rows = tiny_galaxies[tiny_galaxies["class"] == galaxy_class.name]
        for column in drawn:
            values = rows[column]
            assert (values != "").all() if values.dtype == object else values.notna().all()
        for column in set(GALAXY_COLUMNS) - drawn - set(_OBSERVING):
            values = rows[column]
            assert (values == "").all() if values.dtype == object else values.isna().all(), column
    assert drawn_by_any | set(_OBSERVING) == set(GALAXY_COLUMNS)


def test_parameters_lie_in_their_documented_ranges(tiny_galaxies):
    by_class = dict(list(tiny_galaxies.groupby("class")))
    assert by_class["elliptical"]["sersic_n"].between(3, 6).all()
    assert by_class["edge_on_disk"]["inclination_deg"].between(80, 90).all()
    assert (by_class["edge_on_disk"]["axis_ratio"] < 0.4).all()
    assert by_class["spiral"]["pitch_angle_deg"].between(10, 30).all()
    assert set(by_class["spiral"]["arm_count"]) <= {2, 3, 4}
    assert by_class["lens_arc"]["einstein_radius_arcsec"].between(1, 3).all()
    assert by_class["barred_spiral"]["bar_flux_fraction"].between(0.05, 0.2).all()
    assert set(by_class["satellite_trail"]["trail_band"]) <= {"g", "r", "z"}
    galaxies = tiny_galaxies[tiny_galaxies["mag_r"].notna()]
    assert galaxies["mag_r"].between(10, 23).all()
    assert galaxies["half_light_radius_arcsec"].between(0.2, 20).all()
    assert by_class["elliptical"]["bulge_g_r"].mean() > by_class["spiral"]["disk_g_r"].mean()
    assert tiny_galaxies["seeing_fwhm_arcsec"].between(0.9, 1.7).all()


def test_config_round_trips_through_json_and_names_sizes():
    config = GalaxySurveyConfig.named("large", seed=9, bands=["g", "r"])
    assert config.n_objects == 200_000 and config.bands == ("g", "r")
    restored = GalaxySurveyConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert restored == config and restored.key() == config.key()


def test_unknown_class_names_are_rejected_naming_the_known_ones():
    with pytest.raises(ValueError, match=r"'quasar'.*known: elliptical, lenticular, spiral"):
        GalaxySurveyConfig(class_weights={"quasar": 1.0, "spiral": 1.0})
    with pytest.raises(ValueError, match="bands"):
        GalaxySurveyConfig(bands=("r", "g"))
