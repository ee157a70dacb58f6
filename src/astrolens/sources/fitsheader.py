"""A lean reader of FITS headers: keyword lookups without parsing every card.

``astropy.io.fits.Header`` parses and validates every card it is asked for, about 30 us each,
which makes the headers the slowest part of reading a light curve. :func:`read_header` only
splits the 80-character cards by keyword; :class:`FitsHeader` parses a card's value when it is
looked up. Values follow the FITS Standard 4.0, section 4.2: strings (``''`` is a quote, trailing
blanks dropped, long strings continued on ``CONTINUE`` cards), logicals, integers, floats (also
with a ``D`` exponent); undefined and complex values read as None. ``HIERARCH`` keywords are
supported; keywords are case-insensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from os import PathLike
from typing import Protocol

from astrolens.errors import InvalidLightCurve
from astrolens.sources import limits

BLOCK_BYTES = 2880
"""FITS files are made of blocks of this many bytes."""

_CARD_CHARS = 80
_STRING = re.compile(r"\s*'((?:[^']|'')*)'")
_INTEGER = re.compile(r"\s*[+-]?\d+\s*$")


def parse_value(field: str) -> object:
    """The value of a card from its value field (what follows ``= ``, comment included).

    Parameters
    ----------
    field
        Characters 11 to 80 of a card.

    Returns
    -------
    str, bool, int, float or None
        None for an undefined value or a value of another type (complex).

    Examples
    --------
    >>> parse_value("'KIC 10002792'       / unique Kepler target identifier")
    'KIC 10002792'
    >>> parse_value("                2.5D3 / in D notation"), parse_value("  T"), parse_value("  ")
    (2500.0, True, None)
    """
    string = _STRING.match(field)
    if string is not None:
        return string.group(1).replace("''", "'").rstrip()
    token = field.split("/", 1)[0].strip()
    if token in ("T", "F"):
        return token == "T"
    if _INTEGER.match(token):
        return int(token)
    try:
        return float(token.replace("D", "E").replace("d", "e"))
    except ValueError:
        return None


class FitsHeader(Mapping[str, object]):
    """The cards of one FITS header, by keyword; values are parsed when looked up.

    Only cards with a value count (``KEY     = value``, ``HIERARCH key = value``); the first
    card of a repeated keyword wins, as in astropy.

    Examples
    --------
    >>> import io
    >>> cards = ["SIMPLE  =                    T", "OBJECT  = 'TIC 358108509'",
    ...          "HIERARCH time_format = 'btjd'", "END"]
    >>> block = "".join(card.ljust(80) for card in cards).ljust(BLOCK_BYTES).encode()
    >>> header = read_header(io.BytesIO(block), "lc.fits")
    >>> header["object"], header.get("TIME_FORMAT"), header.get("TICID")
    ('TIC 358108509', 'btjd', None)
    """

    def __init__(self, fields: dict[str, str], continuations: dict[str, list[str]]) -> None:
        self._fields = fields
        self._continuations = continuations

    def __getitem__(self, keyword: str) -> object:
        key = keyword.upper()
        value = parse_value(self._fields[key])
        for more in self._continuations.get(key, ()):
            if not (isinstance(value, str) and value.endswith("&")):
                break
            continued = parse_value(more)
            value = value[:-1] + (continued if isinstance(continued, str) else "")
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


class Readable(Protocol):
    """A binary stream, as far as :func:`read_header` needs one."""

    def read(self, size: int, /) -> bytes:
        """At most ``size`` bytes, fewer only at the end of the stream."""


def read_header(stream: Readable, source: str | PathLike[str]) -> FitsHeader:
    """Read one header, up to and including its ``END`` card's block, from a binary stream.

    Parameters
    ----------
    stream
        Positioned at the start of a header; left at the start of the data that follows.
    source
        The file, named in errors.

    Returns
    -------
    FitsHeader
        The header's cards.

    Raises
    ------
    InvalidLightCurve
        If the stream ends before an ``END`` card (a corrupt or truncated file), or the header
        is longer than :data:`~astrolens.sources.limits.MAX_FITS_HEADER_BYTES`.
    """
    fields: dict[str, str] = {}
    continuations: dict[str, list[str]] = {}
    last = ""
    header_bytes = 0
    while True:
        header_bytes += BLOCK_BYTES
        limits.check(
            source,
            "MAX_FITS_HEADER_BYTES",
            header_bytes,
            "bytes of a FITS header read without finding its END card",
            "the file is corrupt or not a light curve",
        )
        block = stream.read(BLOCK_BYTES)
        if len(block) < BLOCK_BYTES:
            raise InvalidLightCurve(
                source,
                "a FITS header is cut short or corrupt (no END card before the end of the "
                "file); download the file again",
            )
        text = block.decode("latin-1")
        for start in range(0, BLOCK_BYTES, _CARD_CHARS):
            card = text[start : start + _CARD_CHARS]
            keyword = card[:8].rstrip().upper()
            if keyword == "END":
                return FitsHeader(fields, continuations)
            if card[8:10] == "= ":
                last = keyword
                fields.setdefault(keyword, card[10:])
            elif keyword == "HIERARCH" and "=" in card:
                name, field = card[9:].split("=", 1)
                last = name.strip().upper()
                fields.setdefault(last, field)
            elif keyword == "CONTINUE" and last in fields:
                continuations.setdefault(last, []).append(card[8:])
