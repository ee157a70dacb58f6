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
from astrolens.sources import limits
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


_TABLE_HEADER = 5760
"""Where the table's header starts in the example Kepler, K2 and TESS files (after 2 blocks)."""


def _with_card(
    data: bytes, header: int, keyword: str, value: object, replacing: str | None = None
) -> bytes:
    """``data`` with the card of ``keyword`` (or the one of ``replacing``, which it takes the
    place of) in the header at byte ``header`` set to ``value``."""
    cards = bytearray(data)
    for position in range(header, len(data), 80):
        if cards[position : position + 8].decode().rstrip() == (replacing or keyword):
            cards[position : position + 80] = f"{keyword:<8}= {value!s:>20}".ljust(80).encode()
            return bytes(cards)
    raise AssertionError(f"no {replacing or keyword} card")


def _kepler_with(tmp_path: Path, name: str, keyword: str, value: object, header=_TABLE_HEADER):
    data = _with_card(example_files("Kepler")[0].read_bytes(), header, keyword, value)
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def test_rows_declared_beyond_the_limit_are_refused_before_reading(tmp_path):
    data = _with_card(example_files("Kepler")[0].read_bytes(), _TABLE_HEADER, "NAXIS2", 10**12)
    path = tmp_path / "lying.fits"
    path.write_bytes(data[: 23 * 1024])

    with pytest.raises(InvalidLightCurve, match="NAXIS2: 1,000,000,000,000, more than the limit "):
        read_first_table(path)


def test_a_table_declared_larger_than_the_file_is_truncated(tmp_path):
    path = _kepler_with(tmp_path, "lying.fits", "NAXIS2", 1_000_000)
    with pytest.raises(InvalidLightCurve, match="truncated: its table needs 100000000 bytes"):
        read_first_table(path)


def test_a_gzipped_table_declared_larger_than_the_limit_is_refused_unread(tmp_path):
    path = _kepler_with(tmp_path, "lying.fits.gz", "NAXIS1", 100_000)  # 435 MB of rows
    with pytest.raises(InvalidLightCurve, match=r"decompressed bytes .*MAX_FILE_BYTES") as error:
        read_first_table(path)
    assert "435,420,160" in error.value.reason


def _image_header(data_bytes: int, primary: bool) -> bytes:
    first = "SIMPLE  =                    T" if primary else "XTENSION= 'IMAGE   '"
    cards = [first, "BITPIX  =                    8", "NAXIS   =                    1"]
    cards += [f"NAXIS1  = {data_bytes:>20}", "END"]
    return "".join(card.ljust(80) for card in cards).ljust(2880).encode()


def test_decompression_stops_at_the_limit(tmp_path, monkeypatch):
    """Three images of zeros, each within the limit, then the light curve: decompressing goes
    no further than the limit, however far the file goes on."""
    table = example_files("Kepler")[0].read_bytes()[_TABLE_HEADER:]
    images = b"".join(
        _image_header(2880 * 200, primary=number == 0) + bytes(2880 * 200) for number in range(3)
    )
    path = tmp_path / "bomb.fits.gz"
    path.write_bytes(gzip.compress(images + table))
    assert read_first_table(path).n_rows == 4354

    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 2880 * 400)
    with pytest.raises(InvalidLightCurve, match=r"MAX_FILE_BYTES = 1,152,000 .*bomb"):
        read_first_table(path)


@pytest.mark.parametrize(
    ("header", "keyword", "value"),
    [(_TABLE_HEADER, "NAXIS2", -1), (_TABLE_HEADER, "NAXIS1", -100), (0, "NAXIS", -1)],
)
def test_negative_sizes_are_refused(tmp_path, header, keyword, value):
    path = _kepler_with(tmp_path, "negative.fits", keyword, value, header)
    with pytest.raises(InvalidLightCurve, match=f"has {keyword} = {value}; corrupt file"):
        read_first_table(path)


def test_a_primary_image_declared_beyond_the_file_holds_no_table(tmp_path):
    data = _with_card(example_files("Kepler")[0].read_bytes(), 0, "NAXIS", 1)
    path = tmp_path / "huge_image.fits"
    path.write_bytes(_with_card(data, 0, "NAXIS1", 10**30, replacing="EXTEND"))
    with pytest.raises(InvalidLightCurve, match="image-only"):
        read_first_table(path)
    gzipped = tmp_path / "huge_image.fits.gz"
    gzipped.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(InvalidLightCurve, match="MAX_FILE_BYTES"):
        read_first_table(gzipped)


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("TZERO1", 10**30), ("TSCAL1", "'x'"), ("TZERO1", "T"), ("TSCAL1", "(1.0, 2.0)")],
)
def test_scaling_that_is_not_a_finite_number_is_refused(tmp_path, keyword, value):
    data = example_files("Kepler")[0].read_bytes()
    path = tmp_path / "scaled.fits"
    path.write_bytes(_with_card(data, _TABLE_HEADER, keyword, value, replacing="TDISP1"))
    table = read_first_table(path)
    with pytest.raises(InvalidLightCurve, match=f"{keyword} = .* is not a finite number"):
        table.column("TIME")


def test_a_corrupt_deflate_stream_is_not_fits(tmp_path):
    packed = gzip.compress(b"SIMPLE  =" + b"x" * 5000)
    path = tmp_path / "lc.fits.gz"
    path.write_bytes(packed[:10] + b"\xff" * 8 + packed[18:])
    assert not is_fits(path)
