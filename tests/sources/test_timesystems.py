"""Time systems of text tables: column names with zero points, values that show their system,
and ECSV time columns."""

from __future__ import annotations

import io
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.table import Table
from astropy.time import Time

from astrolens.errors import InvalidLightCurve
from astrolens.sources.reader import read
from astrolens.sources.text import read_text_arrays
from astrolens.sources.timesystems import TimeSystem, time_format_of, time_system


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _ecsv(tmp_path: Path, table: Table, name: str = "lc.ecsv") -> Path:
    text = io.StringIO()
    table.write(text, format="ascii.ecsv")
    return _write(tmp_path, name, text.getvalue())


@pytest.mark.parametrize(
    ("name", "expected", "time_format"),
    [
        ("JD", TimeSystem(0.0), "jd"),
        ("hjd", TimeSystem(0.0), "jd"),
        ("BJD_TDB", TimeSystem(0.0), "jd"),
        ("HJD_UTC", TimeSystem(0.0), "jd"),
        ("MJD", TimeSystem(2400000.5), "mjd"),
        ("RJD", TimeSystem(2400000.0), None),
        ("BKJD", TimeSystem(2454833.0), "bkjd"),
        ("btjd", TimeSystem(2457000.0), "btjd"),
        ("HJD-2450000", TimeSystem(2450000.0, reduced=True), None),
        ("hjd_2450000", TimeSystem(2450000.0, reduced=True), None),
        ("JD-2400000", TimeSystem(2400000.0, reduced=True), None),
        ("BJD - 2457000", TimeSystem(2457000.0, reduced=True), "btjd"),
        ("BJD_TDB-2454833", TimeSystem(2454833.0, reduced=True), "bkjd"),
        ("HJD-2400000.5", TimeSystem(2400000.5, reduced=True), "mjd"),
        ("MJD-50000", TimeSystem(2450000.5, reduced=True), None),
        ("time", TimeSystem(None), None),
        ("T", TimeSystem(None), None),
    ],
)
def test_time_systems_of_column_names(name, expected, time_format):
    assert time_system(name) == expected
    assert expected.time_format == time_format


@pytest.mark.parametrize("name", ["flux", "date", "jd2", "hjd-12", "btjd-2457000", "rjd-50000"])
def test_other_names_are_not_time_columns(name):
    assert time_system(name) is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2455000.5, 2455001.5, np.nan], "jd"),
        ([48823.48, 51546.33], "mjd"),
        ([120.5, 1590.0], None),  # Kepler BKJD
        ([1325.3, 2000.0], None),  # TESS BTJD
        ([55000.0, 2455000.0], None),  # neither all JD nor all MJD
        ([np.nan], None),
    ],
)
def test_time_format_inferred_from_values(values, expected):
    assert time_format_of(np.array(values)) == expected


def test_reduced_hjd_and_magnitudes(tmp_path):
    text = "HJD-2450000,mag,mag_err\n5000.25,15.0,0.01\n5001.25,14.0,0.02\n5002.25,16.0,0.01\n"
    arrays = read_text_arrays(_write(tmp_path, "ogle.csv", text))
    np.testing.assert_array_equal(arrays.time, [2455000.25, 2455001.25, 2455002.25])
    assert arrays.time_format == "jd"
    np.testing.assert_allclose(arrays.flux, [1.0, 10**0.4, 10**-0.4])
    np.testing.assert_allclose(arrays.flux_err, arrays.flux * np.log(10) / 2.5 * [0.01, 0.02, 0.01])
    assert arrays.flux_column == "mag"
    assert arrays.cadence_days == 1.0


@pytest.mark.parametrize(
    ("name", "values", "expected", "time_format"),
    [
        ("hjd_2450000", [5000.5, 5001.5], [2455000.5, 2455001.5], "jd"),
        ("RJD", [55000.5, 55001.5], [2455000.5, 2455001.5], "jd"),
        ("JD-2400000", [55000.5, 55001.5], [2455000.5, 2455001.5], "jd"),
        ("MJD-50000", [8000.0, 8001.0], [2458000.5, 2458001.5], "jd"),
        ("BJD-2457000", [1500.0, 1501.0], [1500.0, 1501.0], "btjd"),
        ("BJD-2454833", [150.0, 151.0], [150.0, 151.0], "bkjd"),
        ("mjd", [58000.1, 58001.1], [58000.1, 58001.1], "mjd"),
        ("BJD_TDB", [2459000.1, 2459001.1], [2459000.1, 2459001.1], "jd"),
        ("time", [2459000.1, 2459001.1], [2459000.1, 2459001.1], "jd"),
        ("time", [48823.5, 48824.5], [48823.5, 48824.5], "mjd"),
        ("t", [100.0, 101.0], [100.0, 101.0], None),
    ],
)
def test_times_in_days_with_their_format(tmp_path, name, values, expected, time_format):
    rows = "".join(f"{value!r},{flux}\n" for value, flux in zip(values, [1.0, 2.0], strict=True))
    arrays = read_text_arrays(_write(tmp_path, "lc.csv", f"{name},flux\n{rows}"))
    np.testing.assert_allclose(arrays.time, expected, rtol=0, atol=1e-9)
    assert arrays.time_format == time_format


def test_a_reduced_column_of_full_julian_dates_is_refused(tmp_path):
    path = _write(tmp_path, "lc.csv", "HJD-2450000,mag\n5000.1,12.0\n2455000.3,12.1\n")
    with pytest.raises(
        InvalidLightCurve, match=r"column 'HJD-2450000' holds full Julian dates"
    ) as e:
        read_text_arrays(path)
    assert "(2455000.300000 in row 2)" in e.value.reason
    assert "name the column JD, HJD or BJD" in e.value.reason
    assert e.value.source == str(path)


def test_reduced_dates_become_astropy_times(tmp_path):
    path = _write(tmp_path, "lc.csv", "HJD-2450000,flux\n5000.25,1.0\n5001.25,2.0\n")
    light_curve = read(path)
    assert light_curve.time.format == "jd"
    np.testing.assert_allclose(light_curve.time.value, [2455000.25, 2455001.25])


def test_an_ecsv_time_column_keeps_its_format(tmp_path):
    table = Table({"time": Time([59000.1, 59000.2], format="mjd", scale="tdb"), "flux": [1.0, 2.0]})
    arrays = read_text_arrays(_ecsv(tmp_path, table))
    np.testing.assert_array_equal(arrays.time, [59000.1, 59000.2])
    assert arrays.time_format == "mjd"


def test_an_ecsv_time_column_in_another_format_becomes_julian_dates(tmp_path):
    times = Time(["2020-01-01T00:00:00", "2020-01-02T12:00:00"], format="isot", scale="utc")
    arrays = read_text_arrays(_ecsv(tmp_path, Table({"time": times, "flux": [1.0, 2.0]})))
    np.testing.assert_array_equal(arrays.time, [2458849.5, 2458851.0])
    assert arrays.time_format == "jd"


def test_a_lightkurve_ecsv_file_keeps_its_btjd_times(tmp_path):
    import lightkurve as lk

    light_curve = lk.LightCurve(
        time=Time([1500.0, 1500.1], format="btjd", scale="tdb"), flux=[1.0, 2.0]
    )
    path = tmp_path / "tess.ecsv"
    light_curve.write(path, format="ascii.ecsv")
    arrays = read_text_arrays(path)
    np.testing.assert_array_equal(arrays.time, [1500.0, 1500.1])
    assert arrays.time_format == "btjd"


def test_an_ecsv_time_unit_is_converted_to_days(tmp_path):
    table = Table({"t": [12.0, 36.0] * u.h, "flux": [1.0, 2.0]})
    np.testing.assert_allclose(read_text_arrays(_ecsv(tmp_path, table)).time, [0.5, 1.5])


def test_an_ecsv_time_column_with_a_unit_that_is_not_time_is_refused(tmp_path):
    table = Table({"time": [1.0, 2.0] * u.m, "flux": [1.0, 2.0]})
    with pytest.raises(InvalidLightCurve, match="time column 'time' has the unit 'm', not a unit"):
        read_text_arrays(_ecsv(tmp_path, table))
