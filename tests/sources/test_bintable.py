"""The raw binary-table reader decodes columns exactly as astropy does."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from astrolens.errors import InvalidLightCurve
from astrolens.sources.bintable import is_fits, read_first_table
from astrolens.sources.examples import example_files

_NUMERIC = {
    "B": np.uint8,
    "I": np.int16,
    "J": np.int32,
    "K": np.int64,
    "E": np.float32,
    "D": np.float64,
}
_OTHER = {
    "A": ("6A", "U6", ()),
    "L": ("L", bool, ()),
    "X": ("11X", bool, (11,)),
    "V": ("3E", np.float32, (3,)),
}


@st.composite
def _tables(draw):
    """Columns in random order and formats: numeric scalars (some scaled or unsigned) among
    strings, logicals, bits and vectors, which must be skipped correctly."""
    n_rows = draw(st.integers(0, 12))
    columns = []
    numeric = []
    scaled = []
    for number in range(draw(st.integers(1, 7))):
        name = f"C{number}"
        kind = draw(st.sampled_from([*_NUMERIC, "uint16", "uint32", "scaled", *_OTHER]))
        if kind in _NUMERIC:
            array = draw(hnp.arrays(_NUMERIC[kind], n_rows))
            columns.append(fits.Column(name=name, format=kind, array=array))
        elif kind in ("uint16", "uint32"):
            array = draw(hnp.arrays(np.dtype(kind), n_rows))
            columns.append(
                fits.Column(
                    name=name,
                    format="I" if kind == "uint16" else "J",
                    array=array,
                    bzero=2 ** (16 if kind == "uint16" else 32) // 2,
                )
            )
        elif kind == "scaled":  # TSCAL/TZERO cards are added once the table is built
            array = draw(hnp.arrays(np.int16, n_rows))
            columns.append(fits.Column(name=name, format="I", array=array))
            scaled.append(number + 1)
        else:
            tform, dtype, shape = _OTHER[kind]
            array = np.zeros((n_rows, *shape), dtype=dtype)
            columns.append(fits.Column(name=name, format=tform, array=array))
            continue
        numeric.append(name)
    return columns, numeric, scaled, draw(st.booleans()), n_rows


@settings(max_examples=60, deadline=None)
@given(table=_tables())
def test_numeric_columns_decode_as_astropy_decodes_them(table):
    columns, numeric, scaled, image_first, n_rows = table
    hdus = [fits.PrimaryHDU(data=np.arange(7, dtype=np.int16) if image_first else None)]
    if image_first:
        hdus.append(fits.ImageHDU(data=np.ones((3, 5), dtype=np.float32)))
    hdus.append(fits.BinTableHDU.from_columns(columns))
    for number in scaled:
        hdus[-1].header[f"TSCAL{number}"] = 0.5
        hdus[-1].header[f"TZERO{number}"] = 100.0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.fits"
        fits.HDUList(hdus).writeto(path)
        expected = fits.getdata(path, ext=len(hdus) - 1)
        table = read_first_table(path)

        assert table.column_names == tuple(column.name for column in columns)
        assert table.n_rows == n_rows
        for name in numeric:
            values = table.column(name)
            np.testing.assert_array_equal(values, np.asarray(expected[name]), err_msg=name)
            assert values.dtype.isnative


@pytest.mark.parametrize("path", example_files(), ids=lambda path: path.stem[:27])
def test_real_light_curve_columns_match_astropy(path):
    table = read_first_table(path)
    with fits.open(path) as hdus:
        assert table.column_names == tuple(hdus[1].columns.names)
        for name in ("TIME", "PDCSAP_FLUX", "SAP_FLUX_ERR", "CADENCENO"):
            np.testing.assert_array_equal(table.column(name), hdus[1].data[name])
        assert table.primary["OBJECT"] == hdus[0].header["OBJECT"]
        assert table.unit("PDCSAP_FLUX") == "e-/s"


def test_gzipped_file_reads_like_the_plain_one(tmp_path):
    plain = example_files("K2")[0]
    zipped = tmp_path / (plain.name + ".gz")
    zipped.write_bytes(gzip.compress(plain.read_bytes()))

    assert is_fits(zipped)
    np.testing.assert_array_equal(
        read_first_table(zipped).column("TIME"), read_first_table(plain).column("TIME")
    )


def test_vector_column_cannot_be_decoded(tmp_path):
    path = tmp_path / "vector.fits"
    column = fits.Column(name="FLUX", format="4E", array=np.ones((3, 4), dtype=np.float32))
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([column])]).writeto(path)
    table = read_first_table(path)

    assert table.repeat("FLUX") == 4
    with pytest.raises(
        InvalidLightCurve, match=r"'FLUX' is not a scalar number column \(TFORM1 = '4E'\)"
    ):
        table.column("FLUX")


def test_truncated_file_says_so(truncated_fits):
    with pytest.raises(InvalidLightCurve, match="truncated") as error:
        read_first_table(truncated_fits)
    assert error.value.source == str(truncated_fits)


def test_image_only_file_has_no_table(image_fits):
    with pytest.raises(InvalidLightCurve, match="image-only"):
        read_first_table(image_fits)


def test_corrupt_gzip_is_refused(tmp_path):
    path = tmp_path / "lc.fits.gz"
    path.write_bytes(gzip.compress(b"SIMPLE  = " + b"x" * 5000)[:200])
    with pytest.raises(InvalidLightCurve, match=r"decompress|cut short"):
        read_first_table(path)


def test_is_fits(tmp_path, random_bytes, image_fits):
    text = tmp_path / "lc.csv"
    text.write_text("time,flux\n1,2\n")
    assert is_fits(image_fits)
    assert not is_fits(text)
    assert not is_fits(random_bytes("noise.fits"))
    with pytest.raises(FileNotFoundError):
        is_fits(tmp_path / "missing.fits")
