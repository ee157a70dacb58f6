"""Tables of several bands: long (a band column) and wide (a magnitude column per band)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrolens.errors import InvalidLightCurve
from astrolens.sources.arrays import META_KEYS
from astrolens.sources.columns import band_of_column, find_band_columns, find_columns
from astrolens.sources.examples import example_files
from astrolens.sources.reader import read, read_arrays, read_many
from astrolens.sources.text import BandLightCurveArrays

# A ZTF light curve as IRSA serves it (long): g and r rows interleaved.
ZTF_LONG = (
    "oid,mjd,mag,magerr,filtercode,catflags\n"
    "1,58300.10,18.00,0.05,zg,0\n"
    "2,58300.20,17.50,0.04,zr,0\n"
    "1,58301.10,18.20,0.05,zg,0\n"
    "2,58301.20,17.40,0.04,zr,0\n"
    "1,58302.10,17.80,0.06,zg,0\n"
    "2,58302.20,17.60,0.04,zr,0\n"
)
G_MAGS = np.array([18.0, 18.2, 17.8])
R_MAGS = np.array([17.5, 17.4, 17.6])

# The same photometry wide: one row per epoch, the other band blank.
ZTF_WIDE = (
    "mjd,mag_g,magerr_g,mag_r,magerr_r\n"
    "58300.10,18.00,0.05,,\n"
    "58300.20,,,17.50,0.04\n"
    "58301.10,18.20,0.05,,\n"
    "58301.20,,,17.40,0.04\n"
    "58302.10,17.80,0.06,,\n"
    "58302.20,,,17.60,0.04\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _relative(mags: np.ndarray) -> np.ndarray:
    return 10 ** (-0.4 * (mags - np.median(mags)))


@pytest.mark.parametrize(("text", "g", "r"), [(ZTF_LONG, "zg", "zr"), (ZTF_WIDE, "g", "r")])
def test_one_band_of_a_table(tmp_path, text, g, r):
    path = _write(tmp_path, "ztf.csv", text)
    arrays = read_arrays(path, band=r)
    assert isinstance(arrays, BandLightCurveArrays)
    np.testing.assert_allclose(arrays.time, [58300.2, 58301.2, 58302.2])
    np.testing.assert_allclose(arrays.flux, _relative(R_MAGS))
    np.testing.assert_allclose(arrays.flux_err, _relative(R_MAGS) * np.log(10) / 2.5 * 0.04)
    assert arrays.time_format == "mjd"
    assert arrays.flux_column == "mag"
    assert tuple(arrays.meta) == (*META_KEYS, "band", "bands")
    assert (arrays.meta["band"], arrays.meta["bands"]) == (r, [r])
    np.testing.assert_allclose(read_arrays(path, band=g).flux, _relative(G_MAGS))


@pytest.mark.parametrize(("text", "bands"), [(ZTF_LONG, ["zg", "zr"]), (ZTF_WIDE, ["g", "r"])])
def test_all_bands_together_each_relative_to_its_median(tmp_path, text, bands):
    arrays = read_arrays(_write(tmp_path, "ztf.csv", text), band="all")
    np.testing.assert_allclose(arrays.time, [58300.1, 58300.2, 58301.1, 58301.2, 58302.1, 58302.2])
    expected = np.ravel(np.column_stack([_relative(G_MAGS), _relative(R_MAGS)]))
    np.testing.assert_allclose(arrays.flux, expected)
    assert (arrays.meta["band"], arrays.meta["bands"]) == ("all", bands)
    assert (arrays.flux_column, arrays.time_format, arrays.flux_unit) == ("mag", "mjd", None)
    assert arrays.cadence_days == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("text", "where", "bands", "first"),
    [
        (ZTF_LONG, "column 'filtercode'", "zg, zr", "zg"),
        (ZTF_WIDE, "columns mag_g, mag_r", "g, r", "g"),
    ],
)
def test_several_bands_without_a_choice_are_refused(tmp_path, text, where, bands, first):
    path = _write(tmp_path, "ztf.csv", text)
    with pytest.raises(InvalidLightCurve) as error:
        read_arrays(path)
    assert error.value.source == str(path)
    assert error.value.reason == (
        f"holds 2 bands in {where} ({bands}); choose band={first!r}, or band='all' for all of "
        "them together"
    )
    with pytest.raises(InvalidLightCurve, match=f"no band 'i' in {where}; its bands are {bands} "):
        read_arrays(path, band="i")


def test_ztf_filter_ids_are_band_names(tmp_path):
    text = "mjd,magpsf,sigmapsf,fid\n59000.1,18.0,0.1,1\n59000.2,17.5,0.1,2\n59000.3,17.0,0.1,2\n"
    path = _write(tmp_path, "alerts.csv", text)
    arrays = read_arrays(path, band="r")
    np.testing.assert_allclose(arrays.flux, [10**-0.1, 10**0.1])
    assert (arrays.flux_column, arrays.meta["band"]) == ("magpsf", "r")
    with pytest.raises(InvalidLightCurve, match=r"column 'fid' \(g, r\)"):
        read_arrays(path)


def test_a_table_of_one_band_names_it_without_being_asked(tmp_path):
    text = "HJD,mag,mag_err,Filter\n2457420.6,13.45,0.005,V\n2457421.6,13.55,0.005,V\n"
    arrays = read_arrays(_write(tmp_path, "asassn.csv", text))
    assert (arrays.meta["band"], arrays.meta["bands"]) == ("V", ["V"])
    np.testing.assert_allclose(arrays.flux, [10**0.02, 10**-0.02])


def test_asas_sn_non_detections_are_dropped_in_each_band(tmp_path):
    text = (
        "HJD,UT Date,Camera,FWHM,Limit,mag,mag_err,flux(mJy),flux_err,Filter\n"
        "2457420.65,2016-02-02.15,be,1.46,17.458,13.45,0.005,15.995,0.08,V\n"
        "2457421.65,2016-02-03.15,be,1.46,17.458,13.55,0.005,14.5,0.08,V\n"
        "2458420.65,2018-02-02.15,bf,1.50,17.300,>17.3,99.990,0.1,0.08,g\n"
        "2458421.65,2018-02-03.15,bf,1.50,17.300,13.90,0.010,15.995,0.08,g\n"
        "2458422.65,2018-02-04.15,bf,1.50,17.300,14.00,0.010,14.5,0.08,g\n"
    )
    arrays = read_arrays(_write(tmp_path, "asassn.csv", text), band="all")
    np.testing.assert_allclose(arrays.time, [2457420.65, 2457421.65, 2458421.65, 2458422.65])
    np.testing.assert_allclose(arrays.flux, [10**0.02, 10**-0.02, 10**0.02, 10**-0.02])
    assert arrays.meta["bands"] == ["V", "g"]


def test_wide_johnson_bands_with_a_reduced_date(tmp_path):
    text = (
        "HJD-2450000  V  V_err  I  Ierr\n"
        "5000.5  15.0  0.01  14.0  0.02\n"
        "5001.5  15.5  0.01  14.5  0.02\n"
    )
    arrays = read_arrays(_write(tmp_path, "ogle.dat", text), band="I")
    np.testing.assert_allclose(arrays.time, [2455000.5, 2455001.5])
    np.testing.assert_allclose(arrays.flux, [10**0.1, 10**-0.1])
    np.testing.assert_allclose(arrays.flux_err, arrays.flux * np.log(10) / 2.5 * 0.02)
    assert arrays.meta["band"] == "I"


def test_fluxes_of_all_bands_are_divided_by_their_medians(tmp_path):
    text = "mjd,flux,flux_err,band\n1,100,1,a\n2,10,2,b\n3,200,1,a\n4,20,2,b\n5,300,1,a\n"
    arrays = read_arrays(_write(tmp_path, "flux.csv", text), band="all")
    np.testing.assert_allclose(arrays.flux, [0.5, 2 / 3, 1.0, 4 / 3, 1.5])
    np.testing.assert_allclose(arrays.flux_err, [0.005, 2 / 15, 0.005, 2 / 15, 0.005])
    assert (arrays.flux_column, arrays.flux_unit) == ("flux", None)


def test_difference_fluxes_cannot_be_merged(tmp_path):
    text = "mjd,flux,band\n1,-5,a\n2,10,b\n3,4,a\n4,-3,a\n"
    path = _write(tmp_path, "forced.csv", text)
    with pytest.raises(InvalidLightCurve, match="band 'a' of column 'flux' has the median flux -3"):
        read_arrays(path, band="all")
    np.testing.assert_array_equal(read_arrays(path, band="a").flux, [-5.0, 4.0, -3.0])


def test_a_band_asked_of_a_table_without_bands_is_refused(tmp_path):
    path = _write(tmp_path, "star.csv", "mjd,mag\n1,12.0\n2,12.5\n")
    with pytest.raises(InvalidLightCurve, match="band='r' was asked for, but the table names no"):
        read_arrays(path, band="r")
    arrays = read_arrays(path, band="all")
    assert not isinstance(arrays, BandLightCurveArrays)
    assert tuple(arrays.meta) == META_KEYS


def test_a_row_without_a_band_is_refused(tmp_path):
    path = _write(tmp_path, "ztf.csv", "mjd,mag,filter\n1,12.0,g\n2,12.5,\n")
    with pytest.raises(InvalidLightCurve, match="column 'filter' names no band in row 2"):
        read_arrays(path, band="g")


def test_a_long_list_of_bands_is_shortened(tmp_path):
    rows = "".join(f"{i},{12 + i / 10},b{i:02d}\n" for i in range(13))
    path = _write(tmp_path, "many.csv", "mjd,mag,band\n" + rows)
    with pytest.raises(InvalidLightCurve, match=r"\(b00, b01, .*, b09 and 3 more\)"):
        read_arrays(path)


def test_a_column_of_too_many_bands_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("astrolens.sources.text.MAX_BANDS", 4)
    rows = "".join(f"{i},12.0,{i}\n" for i in range(5))
    path = _write(tmp_path, "ids.csv", "mjd,mag,band\n" + rows)
    with pytest.raises(InvalidLightCurve, match="column 'band' holds 5 different bands, more than"):
        read_arrays(path, band="all")


@pytest.mark.parametrize("band", [3, "", "  ", ["g"]])
def test_invalid_band_arguments(tmp_path, band):
    path = _write(tmp_path, "star.csv", "mjd,mag\n1,12.0\n")
    with pytest.raises(ValueError, match="is not a band name"):
        read_arrays(path, band=band)


def test_fits_files_are_of_one_band(tmp_path):
    path = example_files("TESS")[0]
    assert len(read_arrays(path, band="all")) == len(read_arrays(path))
    with pytest.raises(InvalidLightCurve, match="a FITS light curve is of one band"):
        read_arrays(path, band="r")


def test_read_and_read_many_take_the_band(tmp_path):
    path = _write(tmp_path, "ztf.csv", ZTF_WIDE)
    light_curve = read(path, band="all")
    arrays = read_arrays(path, band="all")
    assert dict(light_curve.meta) == arrays.meta
    np.testing.assert_array_equal(light_curve.flux.value, arrays.flux)
    result = read_many([path], band="g", progress=False)
    assert result.light_curves[0].meta["band"] == "g"


def test_an_explicit_flux_column_picks_a_band(tmp_path):
    path = _write(tmp_path, "ztf.csv", ZTF_WIDE)
    arrays = read_arrays(path, flux_column="MAG_R")
    np.testing.assert_allclose(arrays.flux, _relative(R_MAGS))
    assert arrays.meta["band"] == "r"


def test_column_names_of_bands():
    names = ["V", "I", "g", "mag_g", "gmag", "Imag", "r_mag", "magr", "BPmag", "Ksmag", "mag_c"]
    assert [band_of_column(name) for name in names] == [
        *("V", "I", "g", "g", "g", "I", "r", "r", "BP", "Ks", "c")
    ]
    not_bands = ["mag", "magnitude", "magerr", "e_mag", "dmag", "y", "c", "magpsf", "flux", "t"]
    assert [band_of_column(name) for name in not_bands] == [None] * len(not_bands)


def test_wide_columns_and_their_uncertainties():
    columns = find_band_columns(["HJD", "V", "err_V", "I", "e_I", "err"], "pdcsap_flux", "ogle.csv")
    assert [(c.band, c.flux, c.flux_err) for c in columns] == [
        ("V", "V", "err_V"),
        ("I", "I", "e_I"),
    ]
    with pytest.raises(InvalidLightCurve, match=r"2 bands \(columns V, I\); choose one with flux_"):
        find_columns(["HJD", "V", "I"], "pdcsap_flux", "ogle.fits")
    assert find_columns(["HJD", "V", "err"], "pdcsap_flux", "v.csv").flux_err == "err"


def test_a_flux_column_is_preferred_to_band_magnitudes():
    columns = find_band_columns(["mjd", "flux", "g", "r", "filter"], "pdcsap_flux", "a.csv")
    assert len(columns) == 1
    assert (columns[0].flux, columns[0].band, columns[0].band_column) == ("flux", None, "filter")
