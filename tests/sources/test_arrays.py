"""Assembling raw table columns into a LightCurveArrays, and converting it to a LightCurve."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from astrolens.errors import InvalidLightCurve
from astrolens.sources.arrays import (
    META_KEYS,
    Target,
    assemble_arrays,
    magnitudes_to_relative_flux,
)

KEPLER_STAR = Target("KIC 1", mission="Kepler", ra=290.0, dec=45.0, mag=12.0)


def _assemble(**columns):
    arguments = {"target": KEPLER_STAR, "flux_column": "pdcsap_flux", "source": "lc.fits"}
    return assemble_arrays(**{**arguments, **columns})


def test_nan_times_and_flagged_cadences_are_removed():
    arrays = _assemble(
        time=[1.0, np.nan, 3.0, 4.0, 5.0],
        flux=[10.0, 11.0, 12.0, np.nan, 14.0],
        flux_err=[1.0, 1.0, 1.0, 1.0, 2.0],
        quality=[0, 0, 32, 16, 0],  # 32 (desaturation) is in Kepler's default bitmask, 16 not
    )
    np.testing.assert_array_equal(arrays.time, [1.0, 4.0, 5.0])
    np.testing.assert_array_equal(arrays.flux, [10.0, np.nan, 14.0])
    np.testing.assert_array_equal(arrays.flux_err, [1.0, 1.0, 2.0])
    np.testing.assert_array_equal(arrays.quality, [0, 16, 0])
    assert arrays.cadence_days == 2.0
    assert arrays.time.dtype == np.float64
    assert arrays.quality.dtype == np.int64


def test_meta_has_exactly_the_documented_keys():
    arrays = _assemble(time=[1.0, 2.0], flux=[1.0, 2.0])
    assert arrays.meta == {
        "object_id": "KIC 1",
        "mission": "Kepler",
        "ra": 290.0,
        "dec": 45.0,
        "mag": 12.0,
        "cadence_days": 1.0,
        "flux_column": "pdcsap_flux",
        "source": "lc.fits",
    }
    assert tuple(arrays.meta) == META_KEYS


def test_missing_columns_default_to_nan_errors_and_zero_quality():
    arrays = _assemble(time=[3.0], flux=[1.0])
    assert np.isnan(arrays.flux_err).all()
    np.testing.assert_array_equal(arrays.quality, [0])
    assert arrays.cadence_days is None


def test_cadence_of_unsorted_times_is_taken_in_time_order():
    assert _assemble(time=[3.0, 1.0, 2.0, 4.0], flux=np.ones(4)).cadence_days == 1.0


@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        ({"time": [], "flux": []}, "has no rows"),
        ({"time": [1.0, 2.0], "flux": [1.0, 2.0], "quality": [1, 2]}, "quality_bitmask='none'"),
        ({"time": [np.nan, np.nan], "flux": [1.0, 2.0]}, "all 2 cadences were removed"),
        ({"time": [1.0, 2.0], "flux": [np.nan, np.nan]}, "all 2 values of flux column"),
        ({"time": [1.0, 2.0], "flux": [1.0, 2.0], "quality": [0.0, 0.5]}, "not integers"),
    ],
)
def test_unusable_columns_are_refused(columns, reason):
    with pytest.raises(InvalidLightCurve, match=reason) as error:
        _assemble(**columns)
    assert error.value.source == "lc.fits"


@settings(max_examples=50, deadline=None)
@given(
    mag=hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(5.0, 25.0)),
    mag_err=st.floats(0.0, 0.5, allow_subnormal=False),
)
def test_magnitudes_become_relative_flux_that_converts_back(mag, mag_err):
    flux, flux_err = magnitudes_to_relative_flux(mag, np.full(len(mag), mag_err))
    np.testing.assert_allclose(-2.5 * np.log10(flux) + np.median(mag), mag, rtol=0, atol=1e-9)
    np.testing.assert_allclose(flux_err, flux * mag_err * np.log(10) / 2.5)


def test_a_magnitude_column_is_converted_when_assembled():
    arrays = _assemble(
        time=[1.0, 2.0, 3.0], flux=[12.0, 13.0, 14.0], flux_column="mag", flux_unit="mag"
    )
    np.testing.assert_allclose(arrays.flux, [10**0.4, 1.0, 10**-0.4])
    assert arrays.flux_unit is None


def test_to_lightcurve_keeps_values_time_format_unit_and_meta():
    arrays = _assemble(
        time=[100.0, 100.5],
        flux=[5.0, 6.0],
        flux_err=[0.1, 0.2],
        quality=[0, 16],
        time_format="bkjd",
        flux_unit="electron / s",
    )
    light_curve = arrays.to_lightcurve()
    assert light_curve.time.format == "bkjd"
    assert light_curve.time.scale == "tdb"
    np.testing.assert_array_equal(light_curve.time.value, [100.0, 100.5])
    np.testing.assert_array_equal(light_curve.flux.value, [5.0, 6.0])
    np.testing.assert_array_equal(light_curve.flux_err.value, [0.1, 0.2])
    np.testing.assert_array_equal(light_curve["quality"], [0, 16])
    assert str(light_curve.flux.unit) == "electron / s"
    assert dict(light_curve.meta) == arrays.meta


def test_to_lightcurve_without_time_format_or_unit():
    light_curve = _assemble(time=[1.0, 2.0], flux=[5.0, 6.0]).to_lightcurve()
    np.testing.assert_array_equal(light_curve.time.value, [1.0, 2.0])
    assert light_curve.flux.unit.is_equivalent(1)
