"""Reading FITS light curves: the fast arrays path, the LightCurve path, and lightkurve agree."""

from __future__ import annotations

import gzip
import shutil
import warnings

import lightkurve as lk
import numpy as np
import pytest
from astropy.io import fits
from astropy.utils.masked import Masked

from astrolens.errors import InvalidLightCurve
from astrolens.sources.arrays import META_KEYS
from astrolens.sources.examples import example_files
from astrolens.sources.fits import read_fits, read_fits_arrays

# Facts from the primary headers of the example files (OBJECT/LABEL, MISSION, RA_OBJ/RA,
# DEC_OBJ/DEC, KEPMAG/TESSMAG) and the time system of their tables.
KIC_10002792 = ("KIC 10002792", "Kepler", 287.86721, 46.98308)
TARGETS = {
    "kplr010002792-2009259160929_llc": (*KIC_10002792, 13.005, "bkjd"),
    "kplr010002792-2010174085026_llc": (*KIC_10002792, 13.005, "bkjd"),
    "ktwo211117077-c04_llc": ("EPIC 211117077", "K2", 55.967295, 24.841616, 13.759, "bkjd"),
    "tess2018206045859-s0001-0000000358108509-0120-s_lc": (
        "TIC 358108509", "TESS", 51.1119, -77.4515, 14.33100033, "btjd"),
    "pony010002792-2009259160929_llc_test_from_path_AltaiPony": (*KIC_10002792, None, "bkjd"),
    "pony010002792-2009259160929_llc": (
        "EPIC 211983544", "K2", 130.656765, 19.988607, None, "bkjd"),
}  # fmt: skip


def _lightkurve_read(path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy unit warnings about "e-/s"
        return lk.read(str(path), **options)


def _values(quantity) -> np.ndarray:
    """Plain float64 values of a (possibly masked) Quantity, NaN where masked."""
    if isinstance(quantity, Masked):
        quantity = quantity.filled(np.nan)
    return np.asarray(quantity.value, dtype=np.float64)


def test_target_and_time_system(light_curve_file):
    arrays = read_fits_arrays(light_curve_file)
    object_id, mission, ra, dec, mag, time_format = TARGETS[light_curve_file.stem]
    assert (arrays.object_id, arrays.mission, arrays.time_format) == (
        object_id,
        mission,
        time_format,
    )
    assert (arrays.ra, arrays.dec, arrays.mag) == (ra, dec, mag)
    assert arrays.source == str(light_curve_file)


def test_cadence_is_the_files_sampling(spoc_file):
    timedel = fits.getheader(spoc_file, 1)["TIMEDEL"]
    assert read_fits_arrays(spoc_file).cadence_days == pytest.approx(timedel, rel=1e-4)


@pytest.mark.parametrize("quality_bitmask", ["default", "HARD", "none", 1024])
def test_lightcurve_and_arrays_paths_agree(light_curve_file, quality_bitmask):
    arrays = read_fits_arrays(light_curve_file, quality_bitmask=quality_bitmask)
    light_curve = read_fits(light_curve_file, quality_bitmask=quality_bitmask)

    assert len(light_curve) == len(arrays) > 0
    assert light_curve.time.format == arrays.time_format
    np.testing.assert_array_equal(light_curve.time.value, arrays.time)
    np.testing.assert_array_equal(_values(light_curve.flux), arrays.flux)
    np.testing.assert_array_equal(_values(light_curve.flux_err), arrays.flux_err)
    assert dict(light_curve.meta) == arrays.meta
    assert tuple(light_curve.meta) == META_KEYS


@pytest.mark.parametrize(
    "options",
    [{}, {"flux_column": "sap_flux"}, {"quality_bitmask": "hard"}, {"quality_bitmask": 0}],
)
def test_arrays_match_lightkurve_read(spoc_file, options):
    expected = _lightkurve_read(spoc_file, **options)
    arrays = read_fits_arrays(spoc_file, **options)

    assert len(arrays) == len(expected)
    np.testing.assert_array_equal(arrays.time, expected.time.value)
    np.testing.assert_array_equal(arrays.flux, _values(expected.flux))
    np.testing.assert_array_equal(arrays.flux_err, _values(expected.flux_err))
    np.testing.assert_array_equal(arrays.quality, np.asarray(expected.quality))
    assert arrays.flux_unit == str(expected.flux.unit)


def test_to_fits_file_matches_lightkurve_read(to_fits_file):
    expected = _lightkurve_read(to_fits_file)
    arrays = read_fits_arrays(to_fits_file)
    assert arrays.flux_column == "flux"
    assert len(arrays) == len(expected)
    np.testing.assert_array_equal(arrays.time, expected.time.value)
    np.testing.assert_array_equal(arrays.flux, _values(expected.flux))


def test_sap_flux_is_read_on_request(spoc_file):
    pdcsap = read_fits_arrays(spoc_file)
    sap = read_fits_arrays(spoc_file, flux_column="SAP_FLUX")
    with fits.open(spoc_file) as hdus:
        data = hdus[1].data
        kept = np.isin(data["TIME"], sap.time)
        np.testing.assert_array_equal(sap.flux, data["SAP_FLUX"][kept])
    assert sap.flux_column == "sap_flux"
    np.testing.assert_array_equal(sap.time, pdcsap.time)
    assert not np.array_equal(sap.flux, pdcsap.flux, equal_nan=True)


def test_spoc_files_come_back_as_lightkurve_classes_without_masks(spoc_file):
    light_curve = read_fits(spoc_file)
    expected_class = lk.TessLightCurve if "tess" in spoc_file.name else lk.KeplerLightCurve
    assert isinstance(light_curve, expected_class)
    assert "centroid_col" in light_curve.colnames  # every column of the file is there
    assert not any(isinstance(light_curve[name], Masked) for name in light_curve.colnames)


def test_nan_flux_stays_nan(spoc_file):
    arrays = read_fits_arrays(spoc_file)
    with fits.open(spoc_file) as hdus:
        n_nan = np.isnan(
            hdus[1].data["PDCSAP_FLUX"][np.isin(hdus[1].data["TIME"], arrays.time)]
        ).sum()
    assert np.isnan(arrays.flux).sum() == n_nan
    assert np.isnan(_values(read_fits(spoc_file).flux)).sum() == n_nan


def test_nan_times_and_flagged_cadences_of_a_pipeline_file(write_fits, kepler_like_columns):
    path = write_fits(kepler_like_columns)
    arrays = read_fits_arrays(path)
    light_curve = read_fits(path)
    assert isinstance(light_curve, lk.KeplerLightCurve)
    expected_time = np.delete(kepler_like_columns["TIME"], [3, 5])
    np.testing.assert_array_equal(arrays.time, expected_time)
    np.testing.assert_array_equal(light_curve.time.value, expected_time)
    assert len(read_fits_arrays(path, quality_bitmask="none")) == 9


def test_gzipped_file_reads_like_the_plain_one(tmp_path):
    plain = example_files("TESS")[0]
    zipped = tmp_path / (plain.name + ".gz")
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    arrays = read_fits_arrays(zipped)
    np.testing.assert_array_equal(arrays.flux, read_fits_arrays(plain).flux)
    assert arrays.object_id == "TIC 358108509"


@pytest.mark.parametrize(
    ("primary", "expected"),
    [
        ({"TELESCOP": "TESS", "TICID": 42}, ("TIC 42", "TESS")),
        ({"MISSION": "K2", "OBJECT": "201234567"}, ("EPIC 201234567", "K2")),
        ({"TELESCOP": "Kepler", "KEPLERID": 7}, ("KIC 7", "Kepler")),
        ({"OBJECT": "V1298 Tau", "RA_OBJ": None}, ("V1298 Tau", None)),
        ({}, ("my_star", None)),
    ],
)
def test_object_id_and_mission_from_any_header(write_fits, primary, expected):
    path = write_fits(
        {"TIME": np.arange(3.0), "FLUX": np.ones(3)}, primary=primary, name="my_star.fits"
    )
    arrays = read_fits_arrays(path)
    assert (arrays.object_id, arrays.mission) == expected
    assert arrays.ra is None


def test_an_object_of_digits_that_are_not_decimal_stays_as_it_is(write_fits):
    primary = {"MISSION": "K2", "OBJECT": "XX"}
    path = write_fits({"TIME": np.arange(3.0), "FLUX": np.ones(3)}, primary)
    path.write_bytes(path.read_bytes().replace(b"'XX ", "'²³ ".encode("latin-1"), 1))
    assert read_fits_arrays(path).object_id == "²³"  # str.isdigit, but int() fails


@pytest.mark.parametrize(
    ("primary", "table_header", "expected"),
    [
        ({}, {"BJDREFI": 2457000}, "btjd"),
        ({}, {"TUNIT1": "mjd"}, "mjd"),
        ({"HIERARCH time_format": "jd"}, {}, "jd"),
        ({"TELESCOP": "Kepler"}, {}, "bkjd"),
        ({}, {}, None),
    ],
)
def test_time_format(write_fits, primary, table_header, expected):
    path = write_fits({"TIME": np.arange(3.0), "FLUX": np.ones(3)}, primary, table_header)
    assert read_fits_arrays(path).time_format == expected


def test_target_pixel_file_is_refused_with_advice(tpf_file):
    with pytest.raises(InvalidLightCurve, match="is a target pixel file") as error:
        read_fits_arrays(tpf_file)
    assert "to_lightcurve(" in error.value.reason
    assert error.value.source == str(tpf_file)
    with pytest.raises(InvalidLightCurve, match="is a target pixel file"):
        read_fits(tpf_file)


@pytest.mark.parametrize("reader", [read_fits, read_fits_arrays])
def test_image_truncated_and_non_fits_files_are_refused(
    reader, image_fits, truncated_fits, random_bytes
):
    with pytest.raises(InvalidLightCurve, match="image-only"):
        reader(image_fits)
    with pytest.raises(InvalidLightCurve, match="truncated"):
        reader(truncated_fits)
    with pytest.raises(InvalidLightCurve, match="not a FITS file"):
        reader(random_bytes("noise.fits"))


def test_zero_rows_and_all_nan_flux_are_refused(write_fits, kepler_like_columns):
    empty = {name: values[:0] for name, values in kepler_like_columns.items()}
    with pytest.raises(InvalidLightCurve, match="has no rows"):
        read_fits(write_fits(empty, name="empty.fits"))
    all_nan = {**kepler_like_columns, "PDCSAP_FLUX": np.full(10, np.nan)}
    with pytest.raises(
        InvalidLightCurve, match="all 8 values of flux column 'pdcsap_flux' are NaN"
    ):
        read_fits(write_fits(all_nan, name="nan.fits"))


def test_unknown_flux_column_names_the_available_ones(spoc_file, to_fits_file):
    with pytest.raises(InvalidLightCurve, match="no flux column 'kepler_flux'") as error:
        read_fits_arrays(spoc_file, flux_column="kepler_flux")
    assert "PDCSAP_FLUX" in error.value.reason and "SAP_FLUX" in error.value.reason
    with pytest.raises(InvalidLightCurve, match=r"no flux column 'sap_flux'.*TIME, FLUX, FLUX_ERR"):
        read_fits(to_fits_file, flux_column="sap_flux")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_fits_arrays(tmp_path / "missing.fits")


def test_copy_under_another_name_reads_the_same(tmp_path, spoc_file):
    copy = tmp_path / "renamed.dat"
    shutil.copy(spoc_file, copy)
    assert read_fits_arrays(copy).object_id == read_fits_arrays(spoc_file).object_id
