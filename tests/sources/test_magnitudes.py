"""Tables of magnitudes: the columns recognised, the rows without a measurement, relative flux."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrolens.errors import InvalidLightCurve
from astrolens.sources.arrays import META_KEYS
from astrolens.sources.text import MAX_MAGNITUDE_ERROR, read_text_arrays

MAGS = np.array([15.0, 14.0, 16.0, 15.5])
ERRORS = np.array([0.01, 0.02, 0.05, 0.1])
FLUX = 10 ** (-0.4 * (MAGS - np.median(MAGS)))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _table(time: str, mag: str, err: str, separator: str = ",") -> str:
    rows = [separator.join((time, mag, err))]
    rows += [
        separator.join(str(float(value)) for value in row)
        for row in zip(2455000.0 + np.arange(4), MAGS, ERRORS, strict=True)
    ]
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("mag", "err", "band"),
    [
        ("mag", "mag_err", None),
        ("magnitude", "magerr", None),
        ("Mag", "e_mag", None),
        ("mag", "Err", None),
        ("mag", "sigma", None),
        ("magpsf", "sigmapsf", None),
        ("I", "I_err", "I"),
        ("V", "err", "V"),
        ("Imag", "e_Imag", "I"),
        ("gmag", "gmag_err", "g"),
        ("mag_r", "magerr_r", "r"),
        ("r_mag", "e_r_mag", "r"),
    ],
)
def test_magnitude_columns_become_relative_flux(tmp_path, mag, err, band):
    arrays = read_text_arrays(_write(tmp_path, "star.csv", _table("HJD", mag, err)))
    np.testing.assert_allclose(arrays.flux, FLUX)
    np.testing.assert_allclose(arrays.flux_err, FLUX * np.log(10) / 2.5 * ERRORS)
    assert arrays.flux_unit is None
    if band is None:
        assert arrays.flux_column == mag.lower()
        assert tuple(arrays.meta) == META_KEYS
    else:
        assert arrays.flux_column == "mag"
        assert (arrays.meta["band"], arrays.meta["bands"]) == (band, [band])


def test_whitespace_table_of_band_magnitudes(tmp_path):
    arrays = read_text_arrays(_write(tmp_path, "star.dat", _table("JD", "V", "Verr", "  ")))
    np.testing.assert_allclose(arrays.flux, FLUX)
    np.testing.assert_allclose(arrays.flux_err, FLUX * np.log(10) / 2.5 * ERRORS)


def test_rows_without_a_measurement_are_dropped(tmp_path):
    rows = [
        ("1", "15.0", "0.01"),  # kept
        ("2", "99.99", "0.01"),  # sentinel
        ("3", "-99", "0.01"),  # sentinel
        ("4", "nan", "0.01"),
        ("5", "", "0.01"),  # blank
        ("6", ">17.3", "99.99"),  # ASAS-SN non-detection
        ("7", "16.0", "9.999"),  # sentinel uncertainty
        ("8", "16.0", "-1"),  # negative uncertainty
        ("9", "16.0", "1.09"),  # signal-to-noise just below 1
        ("10", "14.0", ""),  # blank uncertainty: kept, NaN
        ("11", "16.0", "1.08"),  # signal-to-noise just above 1: kept
        ("12", "inf", "0.01"),
    ]
    text = "mjd,mag,mag_err\n" + "".join(",".join(row) + "\n" for row in rows)
    arrays = read_text_arrays(_write(tmp_path, "star.csv", text))
    np.testing.assert_array_equal(arrays.time, [1.0, 10.0, 11.0])
    np.testing.assert_allclose(arrays.flux, 10 ** (-0.4 * (np.array([15.0, 14.0, 16.0]) - 15.0)))
    assert np.isnan(arrays.flux_err[1])
    assert 1.08 < MAX_MAGNITUDE_ERROR < 1.09


def test_a_table_without_any_measurement_is_refused(tmp_path):
    text = "mjd,mag,mag_err\n1,>18.1,99.99\n2,99.99,0.1\n3,15.0,9.999\n"
    path = _write(tmp_path, "star.csv", text)
    with pytest.raises(
        InvalidLightCurve, match="none of the 3 magnitudes in column 'mag' is a"
    ) as e:
        read_text_arrays(path)
    assert e.value.source == str(path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("mjd,mag\n1,12.0\n2,12.1\n3,abc\n", "column 'mag' holds values that are not numbers: "),
        ("mjd,mag,mag_err\n1,12.0,0.1\n2,12.1,>0.1\n", "column 'mag_err' holds values that"),
        ("mjd,flux\n1,12.0\n2,>12.1\n", "column 'flux' holds values that are not numbers: "),
        ("mjd,flux\n1,12.0\n2,2020-01-01\n", "column 'flux' holds values that are not numbers: "),
        ("mjd,flux\n1,1\n2,\n3,x\n", "column 'flux' holds values that are not numbers: "),
    ],
)
def test_text_in_a_number_column_is_named_with_its_row(tmp_path, text, reason):
    path = _write(tmp_path, "star.csv", text)
    with pytest.raises(InvalidLightCurve, match=reason) as error:
        read_text_arrays(path)
    bad = text.splitlines()[-1].split(",")[-1]
    assert error.value.reason.endswith(f"text {bad!r} in row {len(text.splitlines()) - 1}")
    assert str(error.value).startswith(f"{path}: ")


def test_relative_flux_gives_back_the_magnitudes(tmp_path):
    mags = np.random.default_rng(3).normal(17.0, 0.4, 200).round(3)
    errors = np.full(200, 0.02)
    times = 58000 + 0.7 * np.arange(200)
    rows = "".join(f"{t:.5f},{m},{e}\n" for t, m, e in zip(times, mags, errors, strict=True))
    arrays = read_text_arrays(_write(tmp_path, "star.csv", "mjd,mag,magerr\n" + rows))
    np.testing.assert_allclose(-2.5 * np.log10(arrays.flux) + np.median(mags), mags, atol=1e-9)
    np.testing.assert_allclose(arrays.flux_err, arrays.flux * np.log(10) / 2.5 * errors)
