"""Reading light curves from CSV and ASCII tables."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.errors import InvalidLightCurve
from astrolens.sources import limits
from astrolens.sources.text import read_text_arrays


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "text", "flux_column", "time_format"),
    [
        ("star.csv", "time,flux,flux_err\n1.0,10.0,0.5\n1.5,11.0,0.5\n", "flux", None),
        (
            "star.txt",
            "# KIC 1 by hand\n# more notes\nBJD  Flux  Err\n1.0  10.0  0.5\n1.5 11.0 0.5\n",
            "flux",
            "jd",
        ),
        (
            "star.dat",
            "# btjd sap_flux sap_flux_err\n1.0 10.0 0.5\n1.5 11.0 0.5\n",
            "sap_flux",
            "btjd",
        ),
        (
            "star.tsv",
            "MJD\tPDCSAP_FLUX\tE_PDCSAP_FLUX\n1.0\t10.0\t0.5\n1.5\t11.0\t0.5\n",
            "pdcsap_flux",
            "mjd",
        ),
        (
            "star.ecsv",
            "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: t, datatype: float64}\n"
            "# - {name: flux, unit: electron / s, datatype: float64}\n"
            "# - {name: sigma, datatype: float64}\n# schema: astropy-2.0\nt flux sigma\n"
            "1.0 10.0 0.5\n1.5 11.0 0.5\n",
            "flux",
            None,
        ),
    ],
)
def test_common_table_layouts(tmp_path, name, text, flux_column, time_format):
    arrays = read_text_arrays(_write(tmp_path, name, text))
    np.testing.assert_array_equal(arrays.time, [1.0, 1.5])
    np.testing.assert_array_equal(arrays.flux, [10.0, 11.0])
    np.testing.assert_array_equal(arrays.flux_err, [0.5, 0.5])
    assert arrays.flux_column == flux_column
    assert arrays.time_format == time_format
    assert arrays.cadence_days == 0.5
    assert (arrays.object_id, arrays.mission, arrays.ra, arrays.dec, arrays.mag) == (
        "star",
        None,
        None,
        None,
        None,
    )
    assert arrays.source == str(tmp_path / name)


def test_ecsv_flux_unit_is_kept(tmp_path):
    text = (
        "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: time, datatype: float64}\n"
        "# - {name: flux, unit: electron / s, datatype: float64}\n# schema: astropy-2.0\n"
        "time flux\n1.0 10.0\n2.0 11.0\n"
    )
    light_curve = read_text_arrays(_write(tmp_path, "lc.ecsv", text)).to_lightcurve()
    assert str(light_curve.flux.unit) == "electron / s"


def test_magnitudes_become_relative_flux(tmp_path):
    arrays = read_text_arrays(
        _write(tmp_path, "ogle.dat", "HJD mag e_mag\n1 15.0 0.01\n2 14.0 0.01\n3 16.0 0.01\n")
    )
    np.testing.assert_allclose(arrays.flux, [1.0, 10**0.4, 10**-0.4])
    np.testing.assert_allclose(arrays.flux_err, 0.4 * np.log(10) * 0.01 * arrays.flux)
    assert arrays.flux_column == "mag"


def test_blank_and_nan_values_read_as_nan(tmp_path):
    arrays = read_text_arrays(
        _write(tmp_path, "gaps.csv", "time,flux,flux_err\n1,2,\n2,,0.2\n3,nan,0.3\n")
    )
    np.testing.assert_array_equal(arrays.flux, [2.0, np.nan, np.nan])
    np.testing.assert_array_equal(arrays.flux_err, [np.nan, 0.2, 0.3])


def test_quality_column_with_an_integer_bitmask(tmp_path):
    path = _write(tmp_path, "q.csv", "time,flux,quality\n1,2,0\n2,3,4\n3,4,1\n")
    assert len(read_text_arrays(path)) == 3  # named bitmasks need a mission
    np.testing.assert_array_equal(read_text_arrays(path, quality_bitmask=4).time, [1.0, 3.0])


def test_explicit_flux_column(tmp_path):
    path = _write(tmp_path, "two.csv", "time,flux,sap_flux\n1,2,20\n2,3,30\n")
    np.testing.assert_array_equal(read_text_arrays(path, flux_column="SAP_FLUX").flux, [20.0, 30.0])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.0 2.0 0.1\n2.0 3.0 0.2\n", r"no header line naming its columns \(its first line"),
        ("date,counts\n1,2\n", "no time column .*the table has columns: date, counts"),
        ("time,counts\n1,2\n", "no flux column .*the table has columns: time, counts"),
        ("time,flux\n", "has no rows"),
        ("", "the text file is empty"),
        ("time,flux\n1,nan\n2,nan\n", "all 2 values of flux column 'flux' are NaN"),
        ("time,flux\n1,bright\n2,dim\n", "column 'flux' holds values that are not numbers"),
        ('time flux\n1 2\n3\n"unterminated\n', "cannot be parsed as a text table"),
    ],
)
def test_unusable_tables_are_refused(tmp_path, text, reason):
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(InvalidLightCurve, match=reason) as error:
        read_text_arrays(path)
    assert error.value.source == str(path)


def test_binary_content_is_refused(random_bytes):
    with pytest.raises(InvalidLightCurve, match="neither a FITS file nor a text table"):
        read_text_arrays(random_bytes("noise.csv"))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_text_arrays(tmp_path / "missing.csv")


def _any_case(name: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(name, upper, strict=True))
    )


_finite = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def _tables(draw):
    n_rows = draw(st.integers(1, 30))
    time_name = draw(st.sampled_from(["time", "t", "bjd", "btjd", "bkjd", "mjd", "hjd", "jd"]))
    flux_name = draw(st.sampled_from(["flux", "pdcsap_flux", "sap_flux"]))
    err_name = draw(st.sampled_from([None, f"{flux_name}_err", f"e_{flux_name}", "err", "sigma"]))
    names = [draw(_any_case(time_name)), draw(_any_case(flux_name))]
    columns = [draw(st.lists(_finite, min_size=n_rows, max_size=n_rows)) for _ in range(2)]
    if err_name is not None:
        names.append(draw(_any_case(err_name)))
        columns.append(draw(st.lists(_finite, min_size=n_rows, max_size=n_rows)))
    separator = draw(st.sampled_from([",", "\t", " ", "  "]))
    comments = draw(st.sampled_from(["", "# light curve of my star\n"]))
    return names, columns, separator, comments


@settings(max_examples=60, deadline=None)
@given(table=_tables())
def test_tables_with_varied_column_names_round_trip(table):
    names, columns, separator, comments = table
    lines = [separator.join(names)]
    lines += [separator.join(repr(value) for value in row) for row in zip(*columns, strict=True)]
    flux, flux_err = np.array(columns[1]), np.array(columns[-1] if len(columns) == 3 else [])
    below_zero = len(columns) == 3 and np.mean((flux_err > 0) & (flux < -5 * flux_err)) >= 0.05
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "star.csv"
        path.write_text(comments + "\n".join(lines) + "\n")
        if below_zero:  # fluxes about a level not in the table: refused
            with pytest.raises(InvalidLightCurve, match="about a level that is not in the table"):
                read_text_arrays(path)
            return
        arrays = read_text_arrays(path)

    np.testing.assert_array_equal(arrays.time, columns[0])
    np.testing.assert_array_equal(arrays.flux, columns[1])
    if len(columns) == 3:
        np.testing.assert_array_equal(arrays.flux_err, columns[2])
    else:
        assert np.isnan(arrays.flux_err).all()
    assert arrays.flux_column == names[1].lower()


def test_blank_times_are_dropped_not_zero(tmp_path):
    arrays = read_text_arrays(_write(tmp_path, "gaps.csv", "time,flux\n1,5\n,6\n3,7\n"))
    np.testing.assert_array_equal(arrays.time, [1.0, 3.0])
    np.testing.assert_array_equal(arrays.flux, [5.0, 7.0])


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("time,flux\n1,5\n2,6\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    np.testing.assert_array_equal(read_text_arrays(path).time, [1.0, 2.0])


def test_columns_in_any_order_next_to_text_columns(tmp_path):
    text = 'flux,note,time\n2.0,"Barnard\'s, b",1.0\n3.0,c,2.0\n'
    arrays = read_text_arrays(_write(tmp_path, "order.csv", text))
    np.testing.assert_array_equal(arrays.time, [1.0, 2.0])
    np.testing.assert_array_equal(arrays.flux, [2.0, 3.0])


@pytest.mark.parametrize(
    ("limit", "value", "reason"),
    [
        ("MAX_FILE_BYTES", 100, "bytes of the text table: 4,010, more than the limit"),
        ("MAX_CADENCES", 100, "lines of the text table after its first .*: 500, more than"),
    ],
)
def test_tables_beyond_the_limits_are_refused_unparsed(tmp_path, monkeypatch, limit, value, reason):
    path = _write(tmp_path, "big.csv", "time,flux\n" + "".join(f"{i:>3},1.0\n" for i in range(500)))
    monkeypatch.setattr(limits, limit, value)
    monkeypatch.setattr("astrolens.sources.text._parse", None)  # parsing would be a TypeError
    with pytest.raises(InvalidLightCurve, match=f"{reason}.*{limit} = {value} "):
        read_text_arrays(path)


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_quote_left_open_is_refused(tmp_path, quote):
    path = _write(tmp_path, "open.csv", f"# a note that's fine\ntime,flux\n1,2\n{quote}3,4\n5,6\n")
    with pytest.raises(InvalidLightCurve, match=f"line 4 has an unmatched quote \\({quote}\\)"):
        read_text_arrays(path)


def test_a_row_much_longer_than_the_others_is_refused(tmp_path):
    rows = [f"{i},1.0" for i in range(100_000)]
    rows[500] = "500," + "1" * 20_000
    path = _write(tmp_path, "ragged.csv", "time,flux\n" + "\n".join(rows) + "\n")
    with pytest.raises(InvalidLightCurve, match=r"longest row \(20,004 characters\) is more than"):
        read_text_arrays(path)


def test_a_long_header_above_short_rows_is_fine(tmp_path):
    names = ",".join(["time", "flux", *(f"a_long_column_name_{i}" for i in range(40))])
    rows = "".join(f"{i},1{',' * 40}\n" for i in range(50_000))
    assert len(read_text_arrays(_write(tmp_path, "wide.csv", f"{names}\n{rows}"))) == 50_000


def test_a_field_too_long_for_any_parser_is_refused(tmp_path):
    path = _write(tmp_path, "long.csv", "time flux\n1 2\n" + "9" * 200_000 + "\n")
    with pytest.raises(InvalidLightCurve, match="cannot be parsed as a text table"):
        read_text_arrays(path)


def test_a_table_whose_first_rows_differ_from_the_rest_is_refused(tmp_path):
    rows = "".join(f"{i},1.0\n" for i in range(30))
    path = _write(tmp_path, "changing.csv", f"time,flux\n{rows}1 2 3\n")
    with pytest.raises(InvalidLightCurve, match="cannot be parsed as a text table"):
        read_text_arrays(path)
