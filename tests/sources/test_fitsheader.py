"""The lean FITS header reader agrees with astropy on every card it reads."""

from __future__ import annotations

import io
import string

import pytest
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.errors import InvalidLightCurve
from astrolens.sources import limits
from astrolens.sources.examples import example_files
from astrolens.sources.fitsheader import BLOCK_BYTES, parse_value, read_header

_SKIPPED = ("COMMENT", "HISTORY", "")


def _astropy_value(value: object) -> object:
    return None if isinstance(value, fits.card.Undefined) else value


def _headers_of(path) -> list[fits.Header]:
    with fits.open(path) as hdus:
        return [hdu.header.copy() for hdu in hdus]


@pytest.mark.parametrize("path", example_files(), ids=lambda path: path.stem[:27])
def test_every_card_of_the_real_files_reads_as_astropy_reads_it(path):
    with open(path, "rb") as stream:
        for expected in _headers_of(path):
            header = read_header(stream, path)
            keys = [key for key in expected if key not in _SKIPPED]
            assert keys, "the test would check nothing"
            for key in keys:
                assert header[key] == _astropy_value(expected[key]), key
            n_data_bytes = expected.get("NAXIS1", 0) * expected.get("NAXIS2", 0)
            stream.seek(-(-n_data_bytes // BLOCK_BYTES) * BLOCK_BYTES, 1)


_keywords = st.text(string.ascii_uppercase + string.digits + "_-", min_size=1, max_size=8).filter(
    lambda key: key not in ("END", "COMMENT", "HISTORY", "CONTINUE", "HIERARCH", "SIMPLE")
)
_values = st.one_of(
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=False, allow_infinity=False),
    # astropy ends a string at a quote before a slash ('a''/b' reads as a'): not compared
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=150).filter(
        lambda text: "'/" not in text
    ),
)


@settings(max_examples=60, deadline=None)
@given(cards=st.dictionaries(_keywords, _values, min_size=1, max_size=30), hierarch=_values)
def test_written_by_astropy_read_back_the_same(cards, hierarch):
    header = fits.Header()
    header["SIMPLE"] = True
    for key, value in cards.items():
        header[key] = value
    header["HIERARCH time_format"] = hierarch
    text = header.tostring()
    expected = fits.Header.fromstring(text)
    stream = io.BytesIO(text.encode("ascii") + b"\0" * 10)

    ours = read_header(stream, "generated.fits")

    assert stream.tell() % BLOCK_BYTES == 0
    assert stream.read() == b"\0" * 10
    for key in [*cards, "TIME_FORMAT"]:
        assert ours[key] == expected[key], key


def test_a_header_without_end_card_is_cut_short():
    block = "SIMPLE  =                    T".ljust(BLOCK_BYTES).encode()
    with pytest.raises(InvalidLightCurve, match="cut short or corrupt"):
        read_header(io.BytesIO(block), "cut.fits")


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("'O''Brien  '   / quotes doubled, trailing blanks dropped", "O'Brien"),
        ("                 -42 / integer", -42),
        ("             1.5E-03", 0.0015),
        ("              1.5D+2", 150.0),
        ("                   F", False),
        ("                     / undefined", None),
        ("          (1.0, 2.0) / complex", None),
    ],
)
def test_parse_value(field, expected):
    assert parse_value(field) == expected


def test_a_header_longer_than_the_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(limits, "MAX_FITS_HEADER_BYTES", 3 * BLOCK_BYTES)
    cards = "".join(f"KEY{number:<5}= {number:>20}".ljust(80) for number in range(36 * 10))
    stream = io.BytesIO(cards.encode())
    with pytest.raises(InvalidLightCurve, match="MAX_FITS_HEADER_BYTES = 8,640 ") as error:
        read_header(stream, "long.fits")
    assert stream.tell() == 3 * BLOCK_BYTES
    assert "without finding its END card: 11,520" in error.value.reason
