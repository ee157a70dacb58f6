"""Mission-format FITS files: read back by lightkurve and by astrolens.sources with equal values."""

from __future__ import annotations

import lightkurve as lk
import numpy as np
import pytest
from astropy.io import fits
from lightkurve.io.detect import detect_filetype

from astrolens import sources
from astrolens.simulate import OBSERVING_MODES, export_fits, fits_filename, lightcurve_arrays


@pytest.fixture(scope="module")
def exported(tiny_catalog, tmp_path_factory):
    """One exported file per observing mode, with its catalogue row."""
    rows = tiny_catalog.groupby(["mission", "cadence"]).head(1)
    paths = export_fits(rows, tmp_path_factory.mktemp("fits"), progress=False)
    return list(zip(paths, [row for _, row in rows.iterrows()], strict=True))


def test_file_names_follow_the_archive(exported):
    names = sorted(path.name for path, _ in exported)
    assert names[0].startswith("hlsp_tess-spoc_tess_phot_") and names[0].endswith(
        "-s0027_tess_v1_lc.fits"
    )
    assert names[1].startswith("kplr9") and names[1].endswith("-2009259160929_llc.fits")
    assert names[2].startswith("tess2018206045859-s0001-") and names[2].endswith("-0120-s_lc.fits")
    for path, row in exported:
        assert path.name == fits_filename(row)


def test_headers_mimic_the_mission_files_and_say_simulated(exported):
    for path, row in exported:
        with fits.open(path) as hdus:
            primary, table = hdus[0].header, hdus["LIGHTCURVE"]
            assert [hdu.name for hdu in hdus] == ["PRIMARY", "LIGHTCURVE", "APERTURE"]
            assert primary["TELESCOP"] == row["mission"]
            assert primary["OBJECT"] == row["object_id"]
            assert primary["SIMDATA"] is True and "astrolens" in primary["ORIGIN"]
            assert primary["RA_OBJ"] == pytest.approx(row["ra"])
            assert primary["DEC_OBJ"] == pytest.approx(row["dec"])
            kepler = row["mission"] == "Kepler"
            assert primary["KEPLERID" if kepler else "TICID"] == row["target_id"]
            assert primary["KEPMAG" if kepler else "TESSMAG"] == pytest.approx(row["mag"], abs=1e-3)
            assert primary["SIMCLASS"] == row["class"]
            names = table.columns.names
            for column in (
                "TIME",
                "TIMECORR",
                "CADENCENO",
                "SAP_FLUX",
                "SAP_FLUX_ERR",
                "PDCSAP_FLUX",
                "PDCSAP_FLUX_ERR",
                "SAP_QUALITY" if kepler else "QUALITY",
            ):
                assert column in names
            assert table.header["BJDREFI"] == (2454833 if kepler else 2457000)
            assert table.header["TIMEDEL"] == pytest.approx(row["cadence_days"])
            expected = "KeplerLightCurve" if kepler else "TessLightCurve"
            assert detect_filetype(hdus) == expected
            mode = next(m for m in OBSERVING_MODES.values() if m.cadence == row["cadence"])
            assert len(table.data) == mode.n_cadences
            assert np.isnan(table.data["TIME"]).sum() == mode.n_cadences - mode.time().size


def test_round_trip_through_lightkurve(exported):
    for path, row in exported:
        time, flux, flux_err, quality = lightcurve_arrays(row)
        curve = lk.read(path, quality_bitmask="none")
        np.testing.assert_array_equal(curve.time.value, time)
        star_rate = np.nanmedian(curve.flux.value / flux)
        np.testing.assert_allclose(curve.flux.value / star_rate, flux, rtol=1e-6)
        np.testing.assert_allclose(curve.flux_err.value / star_rate, flux_err, rtol=1e-6)
        np.testing.assert_array_equal(curve.quality.value, quality)
        assert curve.meta["TARGETID"] == row["target_id"]
        assert curve.meta["OBJECT"] == row["object_id"]
        default = lk.read(path)  # lightkurve's default bitmask drops the worst cadences
        assert 0 < len(default) < len(curve)


def test_round_trip_through_astrolens_sources(exported):
    for path, row in exported:
        time, flux, _, quality = lightcurve_arrays(row)
        curve = sources.read(path, quality_bitmask="none")
        assert curve.meta["object_id"] == row["object_id"]
        assert curve.meta["mission"] == row["mission"]
        assert curve.meta["ra"] == pytest.approx(row["ra"])
        assert curve.meta["dec"] == pytest.approx(row["dec"])
        assert curve.meta["mag"] == pytest.approx(row["mag"], abs=1e-3)
        assert curve.meta["cadence_days"] == pytest.approx(row["cadence_days"], rel=1e-6)
        np.testing.assert_allclose(curve.time.value, time, rtol=0, atol=1e-9)
        relative = curve.flux.value / np.nanmedian(curve.flux.value)
        np.testing.assert_allclose(relative, flux / np.nanmedian(flux), rtol=1e-6)
        np.testing.assert_array_equal(curve["quality"].value, quality)


def test_export_is_deterministic(tiny_catalog, tmp_path):
    row = tiny_catalog.iloc[[7]]
    first = export_fits(row, tmp_path / "a", progress=False)[0]
    second = export_fits(row, tmp_path / "b", progress=False)[0]
    with fits.open(first) as a, fits.open(second) as b:
        for column in (
            "TIME",
            "PDCSAP_FLUX",
            "SAP_FLUX",
            "QUALITY" if "tess" in first.name else "SAP_QUALITY",
        ):
            np.testing.assert_array_equal(a[1].data[column], b[1].data[column])


def test_every_ground_based_survey_reads_the_same_from_its_table_as_regenerated(tmp_path):
    """The pipeline regenerates a row (``source_arrays``) as reading its exported table does:
    the same relative flux, the right way up (an eclipse is a dip), for every ground-based mode."""
    from astrolens.simulate import SurveyConfig, generate_catalog, source_arrays
    from astrolens.simulate.export import write_table
    from astrolens.simulate.ground import GROUND_MODES
    from astrolens.simulate.survey import MIXED_CADENCE_MIX

    config = SurveyConfig(name="ground", n_objects=400, seed=5, mission_mix=MIXED_CADENCE_MIX)
    catalog = generate_catalog(config)
    ground = catalog[catalog["mission"].isin({mode.mission for mode in GROUND_MODES.values()})]
    rows = ground.groupby(["mission", "band"]).head(2)
    assert len(rows) >= 2 * len(GROUND_MODES)
    for _, row in rows.iterrows():
        regenerated = source_arrays(row)
        read = sources.read_arrays(write_table(row, tmp_path))
        np.testing.assert_allclose(regenerated.time, read.time, atol=1e-6)
        # the table holds magnitudes to 4 decimals: 1e-4 mag is 1e-4 in relative flux
        np.testing.assert_allclose(regenerated.flux, read.flux, rtol=3e-4)
        np.testing.assert_allclose(regenerated.flux_err, read.flux_err, rtol=0.02, atol=2e-4)
        simulated = lightcurve_arrays(row).flux
        assert np.corrcoef(regenerated.flux, simulated)[0, 1] > 0.999  # not upside down
