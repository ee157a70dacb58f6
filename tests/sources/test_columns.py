"""Choosing the time, flux, uncertainty and quality columns of a table by name."""

from __future__ import annotations

import pytest

from astrolens.errors import InvalidLightCurve
from astrolens.sources.columns import TableColumns, find_columns

SPOC = ["TIME", "TIMECORR", "SAP_FLUX", "SAP_FLUX_ERR", "PDCSAP_FLUX", "PDCSAP_FLUX_ERR", "QUALITY"]


@pytest.mark.parametrize(
    ("names", "flux_column", "expected"),
    [
        (SPOC, "pdcsap_flux", TableColumns("TIME", "PDCSAP_FLUX", "PDCSAP_FLUX_ERR", "QUALITY")),
        (SPOC, "SAP_FLUX", TableColumns("TIME", "SAP_FLUX", "SAP_FLUX_ERR", "QUALITY")),
        (
            ["time", "flux", "flux_err", "sap_flux", "sap_flux_err", "pdcsap_flux"],
            "pdcsap_flux",
            TableColumns("time", "pdcsap_flux", "flux_err", None),
        ),
        (
            ["TIME", "FLUX", "FLUX_ERR", "QUALITY", "MOM_CENTR1"],
            "pdcsap_flux",
            TableColumns("TIME", "FLUX", "FLUX_ERR", "QUALITY"),
        ),
        (
            ["t", "sap_flux", "e_sap_flux", "sap_quality"],
            "pdcsap_flux",
            TableColumns("t", "sap_flux", "e_sap_flux", "sap_quality"),
        ),
        (
            ["HJD", "Mag", "e_Mag", "flux_err"],
            "pdcsap_flux",
            TableColumns("HJD", "Mag", "e_Mag", None),
        ),
        (
            ["mjd", "magnitude", "sigma"],
            "pdcsap_flux",
            TableColumns("mjd", "magnitude", "sigma", None),
        ),
        (
            ["BJD", "rel_flux", "rel_flux_err"],
            "rel_flux",
            TableColumns("BJD", "rel_flux", "rel_flux_err", None),
        ),
        (["jd", "bjd", "FLUX"], "pdcsap_flux", TableColumns("bjd", "FLUX", None, None)),
    ],
)
def test_columns_found(names, flux_column, expected):
    assert find_columns(names, flux_column, "table.csv") == expected


def test_magnitudes_and_time_formats():
    columns = find_columns(["BTJD", "MAG"], "pdcsap_flux", "t.csv")
    assert columns.is_magnitude
    assert columns.flux_column == "mag"
    assert columns.time_format == "btjd"
    assert find_columns(["time", "flux"], "pdcsap_flux", "t.csv").time_format is None
    assert find_columns(["MJD", "flux"], "pdcsap_flux", "t.csv").time_format == "mjd"


def test_no_time_column_lists_the_columns():
    with pytest.raises(InvalidLightCurve, match="no time column") as error:
        find_columns(["date_obs", "flux"], "pdcsap_flux", "star.csv")
    assert error.value.source == "star.csv"
    assert "the table has columns: date_obs, flux" in error.value.reason


def test_no_flux_column_lists_the_columns():
    with pytest.raises(InvalidLightCurve, match="no flux column") as error:
        find_columns(["time", "counts"], "pdcsap_flux", "star.csv")
    assert "the table has columns: time, counts" in error.value.reason


def test_an_explicit_flux_column_is_never_replaced():
    with pytest.raises(InvalidLightCurve, match="no flux column 'sap_flux'") as error:
        find_columns(["TIME", "FLUX", "FLUX_ERR"], "sap_flux", "lc.fits")
    assert "TIME, FLUX, FLUX_ERR" in error.value.reason
