"""Tables as surveys serve them: ATLAS forced photometry, Gaia DR3 epoch photometry, ZTF (IRSA
and ALeRCE), with the rows each survey rejects itself left out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astrolens.errors import InvalidLightCurve
from astrolens.sources.columns import find_band_columns
from astrolens.sources.reader import read_arrays

ATLAS_COLUMNS = (
    "###MJD          m      dm   uJy   duJy F err chi/N     RA       Dec        x        y     "
    "maj  min   phi  apfit mag5sig Sky   Obs\n"
)


def _atlas_row(mjd: float, ujy: float, dujy: float, band: str) -> str:
    mag = -2.5 * np.log10(abs(ujy)) + 23.9
    return (
        f"{mjd:.5f} {np.sign(ujy) * mag:7.3f} {1.0857 * dujy / abs(ujy):6.3f} {ujy:5.0f} "
        f"{dujy:4.0f} {band} 0 1.31 281.27364 -12.43213 2390.81 2917.89 2.21 2.02 -52.6 -0.425 "
        f"18.85 19.98 01a{mjd:.0f}o0512{band}\n"
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_atlas_forced_photometry_on_reduced_images(tmp_path):
    rows = [(57232.6, 625, 23, "o"), (57233.6, 600, 29, "c"), (57236.6, 500, 20, "o")]
    text = ATLAS_COLUMNS + "".join(_atlas_row(*row) for row in rows)
    path = _write(tmp_path, "atlas.txt", text)
    orange = read_arrays(path, band="o")
    np.testing.assert_allclose(orange.time, [57232.6, 57236.6])
    np.testing.assert_allclose(orange.flux, [625.0, 500.0])
    np.testing.assert_allclose(orange.flux_err, [23.0, 20.0])
    assert (orange.flux_column, orange.time_format, orange.meta["bands"]) == ("ujy", "mjd", ["o"])
    both = read_arrays(path, band="all")
    np.testing.assert_allclose(both.flux, [625 / 562.5, 1.0, 500 / 562.5])
    with pytest.raises(InvalidLightCurve, match=r"2 bands in column 'F' \(o, c\)"):
        read_arrays(path)


def test_atlas_difference_fluxes_are_refused_with_the_reason(tmp_path):
    fluxes = [300, -280, 150, -310, 20, 290]
    text = ATLAS_COLUMNS + "".join(
        _atlas_row(57232.6 + day, flux, 20, "o") for day, flux in enumerate(fluxes)
    )
    path = _write(tmp_path, "atlas.txt", text)
    with pytest.raises(InvalidLightCurve) as raised:
        read_arrays(path, band="o")
    assert raised.value.reason.startswith(
        "2 of the 6 fluxes in column 'uJy' (band 'o') are more than 5 uncertainties below zero "
        "(e.g. -280 +- 20): fluxes about a level that is not in the table"
    )
    assert "forced photometry on the reduced images" in raised.value.reason


def test_a_few_noisy_fluxes_below_zero_are_not_taken_for_a_difference(tmp_path):
    flux = np.full(40, 50.0)
    flux[3] = -120.0  # one cadence in 40 (2.5 %) far below zero: a bad cadence, not a difference
    text = "time,flux,flux_err\n" + "".join(f"{i},{f},10\n" for i, f in enumerate(flux))
    arrays = read_arrays(_write(tmp_path, "faint.csv", text))
    np.testing.assert_array_equal(arrays.flux, flux)


GAIA = (
    "source_id,transit_id,band,time,mag,flux,flux_error,flux_over_error,"
    "rejected_by_photometry,rejected_by_variability,other_flags,solution_id\n"
    "4111834567779557376,17146211000000,G,1705.2937,15.70,10000.0,50.0,200.0,false,false,1,3753\n"
    "4111834567779557376,17146211000000,BP,1705.2939,16.10,5000.0,50.0,100.0,false,false,1,3753\n"
    "4111834567779557376,17150302000000,G,1710.1000,15.75,9500.0,50.0,190.0,false,true,1,3753\n"
    "4111834567779557376,17150302000001,G,1712.1000,15.65,10500.0,50.0,210.0,true,false,1,3753\n"
    "4111834567779557376,17150302000002,G,1714.1000,15.60,11000.0,50.0,220.0,false,false,1,3753\n"
)


def test_gaia_epoch_photometry_leaves_out_the_rejected_transits(tmp_path):
    path = _write(tmp_path, "gaia.csv", GAIA)
    g = read_arrays(path, band="G")
    np.testing.assert_allclose(g.time, [1705.2937, 1714.1])
    np.testing.assert_allclose(g.flux, [10000.0, 11000.0])
    np.testing.assert_allclose(g.flux_err, [50.0, 50.0])
    assert read_arrays(path, band="BP").flux.tolist() == [5000.0]


def test_ztf_rows_with_catalogue_flags_are_left_out(tmp_path):
    text = (
        "oid,expid,hjd,mjd,mag,magerr,catflags,filtercode\n"
        "1,1,2458300.60,58300.10,18.00,0.05,0,zg\n"
        "1,2,2458301.60,58301.10,18.20,0.05,32768,zg\n"
        "1,3,2458302.60,58302.10,17.80,0.06,0,zg\n"
        "1,4,2458303.60,58303.10,17.90,0.06,2,zg\n"
    )
    arrays = read_arrays(_write(tmp_path, "ztf.csv", text), band="zg")
    np.testing.assert_allclose(arrays.time, [58300.1, 58302.1])
    np.testing.assert_allclose(arrays.flux, 10 ** (-0.4 * (np.array([18.0, 17.8]) - 17.9)))


def test_alerce_detections_are_read_in_total_magnitudes(tmp_path):
    text = (
        "candid,mjd,fid,magpsf,sigmapsf,magpsf_corr,sigmapsf_corr,isdiffpos\n"
        "1,58300.1,1,19.50,0.10,17.00,0.02,1\n"
        "2,58301.1,1,18.00,0.10,16.50,0.01,1\n"
        "3,58302.1,1,19.00,0.10,17.50,0.03,-1\n"
    )
    arrays = read_arrays(_write(tmp_path, "alerce.csv", text), band="g")
    np.testing.assert_allclose(arrays.flux, 10 ** (-0.4 * (np.array([17.0, 16.5, 17.5]) - 17.0)))
    np.testing.assert_allclose(
        arrays.flux_err, arrays.flux * np.log(10) / 2.5 * np.array([0.02, 0.01, 0.03])
    )
    assert arrays.flux_column == "magpsf_corr"


def test_every_row_rejected_is_an_error_that_names_the_columns(tmp_path):
    text = "mjd,mag,magerr,catflags\n58300.1,18.0,0.05,4\n58301.1,18.1,0.05,32768\n"
    with pytest.raises(InvalidLightCurve, match=r"rejected every row \(column 'catflags'\)"):
        read_arrays(_write(tmp_path, "ztf.csv", text))


def test_a_rejection_column_that_is_not_a_flag_is_named_with_its_row(tmp_path):
    text = "time,flux,rejected_by_variability\n1,10.0,false\n2,11.0,maybe\n"
    with pytest.raises(
        InvalidLightCurve, match=r"column 'rejected_by_variability' .* 'maybe' in row 2"
    ):
        read_arrays(_write(tmp_path, "gaia.csv", text))


def test_a_band_column_is_never_the_flux_column_asked_for():
    columns = find_band_columns(["mjd", "F", "F_err"], "F", "flux.csv")
    assert (columns[0].flux, columns[0].band_column) == ("F", None)
    atlas = find_band_columns(["MJD", "m", "dm", "uJy", "duJy", "F", "err"], "pdcsap_flux", "a")
    assert (atlas[0].flux, atlas[0].flux_err, atlas[0].band_column) == ("uJy", "duJy", "F")


def test_asas_sn_sky_patrol_bands_and_bad_images(tmp_path):
    text = (
        "asas_sn_id,jd,flux,flux_err,mag,mag_err,limit,fwhm,image_id,camera,quality,phot_filter\n"
        "661427528000,2458000.10,12.0,0.1,14.70,0.01,17.1,1.5,bf123,bf,G,g\n"
        "661427528000,2458001.10,11.0,0.1,14.80,0.01,17.1,1.5,bf124,bf,B,g\n"
        "661427528000,2458002.10,10.0,0.1,14.90,0.01,17.1,1.5,bf125,bf,G,g\n"
        "661427528000,2457000.10,20.0,0.2,14.20,0.01,16.5,1.6,ba001,ba,G,V\n"
        "661427528000,2457001.10,19.0,0.2,14.25,0.01,16.5,1.6,ba002,ba,B,V\n"
    )
    path = _write(tmp_path, "skypatrol.csv", text)
    g = read_arrays(path, band="g")
    np.testing.assert_allclose(g.time, [2458000.1, 2458002.1])
    np.testing.assert_allclose(g.flux, [12.0, 10.0])
    assert read_arrays(path, band="V").flux.tolist() == [20.0]
    with pytest.raises(InvalidLightCurve, match=r"2 bands in column 'phot_filter' \(g, V\)"):
        read_arrays(path)
    only_bad = text.splitlines()[0] + "\n" + text.splitlines()[2] + "\n"
    with pytest.raises(
        InvalidLightCurve, match=r"rejected every row of band 'g' \(column 'quality'\)"
    ):
        read_arrays(_write(tmp_path, "bad.csv", only_bad), band="g")


def test_ogle_light_curve_files_have_no_header_and_are_read_by_their_name(tmp_path):
    rows = "2452163.81098 18.948 0.041\n2452164.80902 18.512 0.030\n2452165.79211 18.730 0.035\n"
    arrays = read_arrays(_write(tmp_path, "OGLE-LMC-RRLYR-05990.I.dat", rows))
    np.testing.assert_allclose(arrays.time, [2452163.81098, 2452164.80902, 2452165.79211])
    np.testing.assert_allclose(
        arrays.flux, 10 ** (-0.4 * (np.array([18.948, 18.512, 18.73]) - 18.73))
    )
    np.testing.assert_allclose(
        arrays.flux_err, arrays.flux * np.log(10) / 2.5 * np.array([0.041, 0.03, 0.035])
    )
    assert (arrays.meta["band"], arrays.time_format) == ("I", "jd")
    assert arrays.object_id == "OGLE-LMC-RRLYR-05990"


def test_any_other_table_without_a_header_is_refused_with_what_to_add(tmp_path):
    rows = "2452163.81098 18.948 0.041\n2452164.80902 18.512 0.030\n"
    with pytest.raises(InvalidLightCurve) as raised:
        read_arrays(_write(tmp_path, "star.txt", "# my star\n" + rows))
    assert raised.value.reason == (
        "has no header line naming its columns (its first line is '2452163.81098 18.948 0.041'); "
        "add one, e.g. 'hjd mag mag_err' for magnitudes or 'time flux flux_err' for fluxes"
    )


@pytest.mark.parametrize(
    ("columns", "chosen"),
    [
        (["TIME", "SAP_FLUX", "KSPSAP_FLUX", "KSPSAP_FLUX_ERR", "QUALITY"], "sap_flux"),  # QLP
        (["TIME", "FLUX_RAW", "FLUX_CORR", "FLUX_CORR_ERR", "QUALITY"], "flux_corr"),  # TASOC
        (["TIME", "RAW_FLUX", "CORR_FLUX", "FLUX_ERR", "QUALITY"], "corr_flux"),  # eleanor
        (["T", "FRAW", "FCOR", "ARCLENGTH", "MOVING", "CADENCENO"], "fcor"),  # K2SFF
        (["TIME", "PSF_FLUX_RAW", "PSF_FLUX_COR", "AP1_FLUX_COR", "DQUALITY"], "psf_flux_cor"),
        (["time", "psf_flux", "aperture_flux", "cal_aper_flux", "cal_psf_flux"], "cal_psf_flux"),
    ],
    ids=["QLP", "TASOC", "eleanor", "K2SFF", "PATHOS", "TGLC"],
)
def test_high_level_science_products_are_read_in_the_flux_that_keeps_their_variability(
    tmp_path, columns, chosen
):
    from astropy.io import fits

    n = 50
    values = {name: np.linspace(1.0, 2.0, n) for name in columns}
    values[columns[0]] = np.arange(n) * 0.02 + 1500.0
    corrected = next(name for name in columns if name.lower() == chosen)
    values[corrected] = 1.0 + 0.01 * np.sin(np.arange(n))
    for name in ("QUALITY", "DQUALITY", "MOVING", "CADENCENO"):
        if name in values:
            values[name] = np.zeros(n, dtype=np.int32)
    table = fits.BinTableHDU.from_columns(
        [
            fits.Column(
                name=name, format="J" if values[name].dtype.kind == "i" else "D", array=values[name]
            )
            for name in columns
        ]
    )
    path = tmp_path / "hlsp.fits"
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    arrays = read_arrays(path)
    assert arrays.flux_column == chosen
    np.testing.assert_allclose(arrays.flux, values[corrected])


@pytest.mark.parametrize("quality", ["DQUALITY", "TESS_flags"])  # PATHOS, TGLC
def test_tess_full_frame_products_drop_the_cadences_their_quality_flags_mark(tmp_path, quality):
    from astropy.io import fits

    n = 40
    flags = np.zeros(n, dtype=np.int32)
    flags[[3, 4]] = [1, 4096]  # an attitude tweak (left out by default), scattered light (kept)
    columns = [
        fits.Column(name="TIME", format="D", array=1500.0 + np.arange(n) / 48),
        fits.Column(name="PSF_FLUX_COR", format="D", array=1.0 + 0.01 * np.sin(np.arange(n))),
        fits.Column(name=quality, format="J", array=flags),
    ]
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "TESS"
    path = tmp_path / "ffi.fits"
    fits.HDUList([primary, fits.BinTableHDU.from_columns(columns)]).writeto(path)
    arrays = read_arrays(path)
    assert len(arrays.time) == n - 1
    assert 1500.0 + 3 / 48 not in arrays.time and 1500.0 + 4 / 48 in arrays.time


def test_a_table_without_a_flux_column_it_knows_says_how_to_name_one(tmp_path):
    path = tmp_path / "cdips.csv"
    path.write_text("time,irm1,ire1\n1325.3,12.1,0.01\n1325.4,12.2,0.01\n")
    with pytest.raises(InvalidLightCurve, match="no flux column") as caught:
        read_arrays(path)
    assert "time, irm1, ire1" in str(caught.value)
    assert "flux_column=" in str(caught.value) and "--flux-column" in str(caught.value)


def _gaia_table(**changes):
    from astropy.table import Table

    columns = {
        "source_id": np.full(4, 4111834567779557376),
        "band": ["G", "G", "BP", "G"],
        "time": [1705.2937, 1710.1, 1705.2939, 1712.1],
        "mag": [15.70, 15.75, 16.10, 15.65],
        "flux": [10000.0, 9500.0, 5000.0, 10500.0],
        "flux_error": [50.0, 50.0, 50.0, 50.0],
        "rejected_by_variability": [False, False, False, True],
    }
    table = Table(columns | changes)
    table["time"].unit = "d"
    return table


def test_gaia_epoch_photometry_as_a_votable(tmp_path):
    path = tmp_path / "EPOCH_PHOTOMETRY-Gaia DR3 4111834567779557376.xml"
    _gaia_table().write(path, format="votable")
    g = read_arrays(path, band="G")
    np.testing.assert_allclose(g.time, [1705.2937, 1710.1])
    np.testing.assert_allclose(g.flux, [10000.0, 9500.0])
    np.testing.assert_allclose(g.flux_err, [50.0, 50.0])
    with pytest.raises(InvalidLightCurve, match=r"2 bands in column 'band' \(G, BP\)"):
        read_arrays(path)


def test_a_votable_of_arrays_or_broken_is_refused_with_the_reason(tmp_path):
    from astropy.table import Table

    arrays = Table({"time": [[1.0, 2.0, 3.0]], "flux": [[1.0, 1.1, 0.9]]})
    path = tmp_path / "individual.vot"
    arrays.write(path, format="votable")
    with pytest.raises(InvalidLightCurve, match="column 'time' holds an array in each row"):
        read_arrays(path)
    broken = tmp_path / "broken.xml"
    broken.write_text(path.read_text()[:-200])
    with pytest.raises(InvalidLightCurve, match="cannot be parsed as a VOTable"):
        read_arrays(broken)


def test_a_ztf_light_curve_as_irsa_serves_it_in_an_ipac_table(tmp_path):
    from astropy.table import Table

    table = Table(
        {
            "oid": np.full(3, 686103400034440),
            "mjd": [58292.4234, 58293.4234, 58294.4234],
            "mag": [17.11, 17.21, 17.01],
            "magerr": [0.021, 0.021, 0.021],
            "catflags": [0, 0, 32768],
            "filtercode": ["zr", "zr", "zr"],
        }
    )
    path = tmp_path / "ztf.tbl"
    table.write(path, format="ipac")
    assert path.read_text().startswith("|")  # IPAC's header lines
    arrays = read_arrays(path)
    np.testing.assert_allclose(arrays.time, [58292.4234, 58293.4234])
    np.testing.assert_allclose(arrays.flux, 10 ** (-0.4 * (np.array([17.11, 17.21]) - 17.16)))
    assert (arrays.meta["band"], arrays.time_format) == ("zr", "mjd")


def test_a_web_page_saved_in_place_of_a_light_curve_is_named_as_one(tmp_path):
    page = (
        "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
        "<body><h1>Service Unavailable</h1></body></html>\n"
    )
    with pytest.raises(InvalidLightCurve) as raised:
        read_arrays(_write(tmp_path, "lc.csv", page))
    assert raised.value.reason == (
        "is a web page titled '503 Service Unavailable', not a light-curve table (an archive's "
        "error page saved in its place?); download the light curve again"
    )
