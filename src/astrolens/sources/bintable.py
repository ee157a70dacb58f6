"""Read the first binary table of a FITS file, decoding only the columns asked for.

``astropy.io.fits.open`` parses every header card and builds a full column definition for every
column of a table: about 5 ms for a Kepler light curve, most of the time spent reading it. Here
the headers are read by :mod:`astrolens.sources.fitsheader` (values parsed on lookup), the rows
are read as raw bytes, and a column is decoded with numpy when it is asked for, following the
FITS Standard 4.0, section 7.3 (binary tables).

Only scalar numeric columns can be decoded (TFORM ``B``, ``I``, ``J``, ``K``, ``E``, ``D`` with a
repeat count of 1), with ``TSCALn``/``TZEROn`` applied; that is what a light curve is made of.
Gzip-compressed files (``.fits.gz``) are read too, decompressed as a stream.

A header may lie: the sizes it declares are checked against the bytes the file holds and against
:mod:`astrolens.sources.limits` before anything is read or decompressed for them, so a corrupt file
or a decompression bomb is refused after at most
:data:`~astrolens.sources.limits.MAX_FILE_BYTES` bytes.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from os import PathLike
from pathlib import Path

import numpy as np

from astrolens.errors import InvalidLightCurve
from astrolens.sources import limits
from astrolens.sources.fitsheader import BLOCK_BYTES, FitsHeader, read_header

FITS_SIGNATURE = b"SIMPLE  ="
"""The first bytes of every FITS file (FITS Standard 4.0, section 4.4.1.1)."""

FITS_SUFFIXES = (".fits.gz", ".fit.gz", ".fts.gz", ".fits", ".fit", ".fts")
"""File name endings that promise a FITS file (longest first)."""

_GZIP_SIGNATURE = b"\x1f\x8b"
_TFORM = re.compile(r"^\s*(\d*)([LXBIJKAEDCMPQ])")
_FIELD_BYTES = {
    "L": 1, "B": 1, "I": 2, "J": 4, "K": 8, "A": 1,
    "E": 4, "D": 8, "C": 8, "M": 16, "P": 8, "Q": 16,
}  # fmt: skip
_NUMERIC_DTYPES = {"B": "u1", "I": ">i2", "J": ">i4", "K": ">i8", "E": ">f4", "D": ">f8"}


@contextmanager
def _open(path: Path) -> Iterator[io.BufferedReader | gzip.GzipFile]:
    """Open a file for binary reading, decompressing it on the fly if it is gzipped."""
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_SIGNATURE
        raw.seek(0)
        if not compressed:
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            yield unzipped


class _BoundedStream:
    """A FITS file read front to back, never further than the limit of the bytes read.

    Reads and skips that would go past :data:`~astrolens.sources.limits.MAX_FILE_BYTES`
    (decompressed) raise, before anything is allocated or decompressed for them; in a plain file
    they stop at its end, as reads do.
    """

    def __init__(self, stream: io.BufferedReader | gzip.GzipFile, source: Path) -> None:
        self._stream = stream
        self._source = source
        self._compressed = isinstance(stream, gzip.GzipFile)
        self._size = None if self._compressed else os.fstat(stream.fileno()).st_size

    def _room(self, size: int) -> int:
        """How many of the next ``size`` bytes there are (fewer at the end of a plain file)."""
        position = self._stream.tell()
        if self._size is not None:
            size = min(size, max(self._size - position, 0))
        what = "decompressed " if self._compressed else ""
        limits.check(
            self._source,
            "MAX_FILE_BYTES",
            position + size,
            f"{what}bytes of the FITS file needed to read its headers and table",
            "the file is corrupt (its header declares more data than it holds) or a "
            "decompression bomb",
        )
        return size

    def read(self, size: int, /) -> bytes:
        """The next ``size`` bytes, fewer at the end of the file."""
        return self._stream.read(self._room(size))

    def skip(self, size: int) -> None:
        """Move ``size`` bytes on (at most to the end of the file)."""
        self._stream.seek(self._room(size), os.SEEK_CUR)

    def rewind(self) -> None:
        """Go back to the start of the file."""
        self._stream.seek(0)

    def at_end(self) -> bool:
        """Whether the file ends here."""
        return not self._stream.peek(1)


def is_fits(path: str | PathLike[str]) -> bool:
    """Whether a file starts with the FITS signature (after gunzipping a ``.gz`` file).

    Parameters
    ----------
    path
        The file to look at; only its first bytes are read.

    Returns
    -------
    bool
        True for a FITS file, False for anything else (text, other binary formats).

    Raises
    ------
    FileNotFoundError
        If there is no such file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "lc.csv").write_text("time,flux\\n1,2\\n")
    >>> is_fits(folder / "lc.csv")
    False
    """
    try:
        with _open(Path(path)) as stream:
            return stream.read(len(FITS_SIGNATURE)) == FITS_SIGNATURE
    except (gzip.BadGzipFile, EOFError, zlib.error):
        return False


def _integer(header: FitsHeader, keyword: str, source: Path, default: int | None = None) -> int:
    """A mandatory integer keyword (FITS Standard 4.0, section 4.4.1)."""
    value = header.get(keyword, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidLightCurve(
            source, f"a FITS header has no valid {keyword} keyword (found {value!r}); corrupt file?"
        )
    return value


def _count(header: FitsHeader, keyword: str, source: Path, default: int | None = None) -> int:
    """A mandatory integer keyword that counts something, so is not negative."""
    value = _integer(header, keyword, source, default)
    if value < 0:
        raise InvalidLightCurve(source, f"a FITS header has {keyword} = {value}; corrupt file?")
    return value


def _data_bytes(header: FitsHeader, source: Path) -> int:
    """Size of the data unit that follows a header, padding included."""
    n_axes = _count(header, "NAXIS", source)
    if n_axes == 0:
        return 0
    elements = math.prod(_count(header, f"NAXIS{axis}", source) for axis in range(1, n_axes + 1))
    values = _count(header, "GCOUNT", source, 1) * (_count(header, "PCOUNT", source, 0) + elements)
    size = abs(_integer(header, "BITPIX", source)) // 8 * values
    return -(-size // BLOCK_BYTES) * BLOCK_BYTES


@dataclass(frozen=True)
class _Field:
    offset: int
    code: str
    repeat: int


@dataclass(frozen=True)
class FitsTable:
    """The primary header and the first binary-table extension of a FITS file.

    Attributes
    ----------
    source
        The file it was read from.
    primary
        The primary header (mission, object, coordinates for Kepler and TESS files).
    header
        The header of the binary-table extension (column definitions, time reference).
    rows
        The raw table rows, ``NAXIS1 * NAXIS2`` bytes, decoded by :meth:`column`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lc.fits"
    >>> columns = [fits.Column("TIME", "D", array=[1.0, 2.0]),
    ...            fits.Column("FLUX", "E", array=[5, 6])]
    >>> fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(columns)]).writeto(path)
    >>> table = read_first_table(path)
    >>> table.column_names, table.n_rows
    (('TIME', 'FLUX'), 2)
    >>> table.column("FLUX")
    array([5., 6.], dtype=float32)
    """

    source: str
    primary: FitsHeader
    header: FitsHeader
    rows: bytes

    @property
    def n_rows(self) -> int:
        """Number of rows of the table."""
        return int(self.header["NAXIS2"])

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        """Column names as written in the file (``TTYPEn``), in order."""
        return tuple(self._fields)

    @cached_property
    def _fields(self) -> dict[str, _Field]:
        fields: dict[str, _Field] = {}
        offset = 0
        for number in range(1, int(self.header["TFIELDS"]) + 1):
            tform = self.header.get(f"TFORM{number}")
            match = _TFORM.match(tform) if isinstance(tform, str) else None
            if match is None:
                raise InvalidLightCurve(
                    self.source, f"column {number} has an invalid TFORM {tform!r}"
                )
            repeat = int(match.group(1) or 1)
            code = match.group(2)
            width = -(-repeat // 8) if code == "X" else repeat * _FIELD_BYTES[code]
            name = str(self.header.get(f"TTYPE{number}", f"col{number}")).strip()
            fields[name] = _Field(offset=offset, code=code, repeat=repeat)
            offset += width
        if offset > int(self.header["NAXIS1"]):
            raise InvalidLightCurve(
                self.source,
                f"the columns need {offset} bytes per row but NAXIS1 is {self.header['NAXIS1']}",
            )
        return fields

    def _number(self, name: str) -> int:
        return self.column_names.index(name) + 1

    def repeat(self, name: str) -> int:
        """Number of values per row in a column (1 for a scalar column)."""
        return self._fields[name].repeat

    def unit(self, name: str) -> str | None:
        """The unit string of a column (``TUNITn``), or None when it has none."""
        unit = self.header.get(f"TUNIT{self._number(name)}")
        if not isinstance(unit, str) or not unit.strip():
            return None
        return unit.strip()

    def column(self, name: str) -> np.ndarray:
        """Decode one scalar numeric column, in native byte order, scaled by TSCALn/TZEROn.

        Parameters
        ----------
        name
            The column name exactly as in :attr:`column_names`.

        Returns
        -------
        numpy.ndarray
            One value per row: the FITS type's integer or float dtype; float64 where the column
            is scaled, int64 for an integer offset, unsigned for ``TZERO = 2**(bits - 1)``.

        Raises
        ------
        InvalidLightCurve
            If the column holds vectors, strings, logicals or complex numbers, or its
            ``TSCALn`` or ``TZEROn`` is not a finite number.
        """
        field = self._fields[name]
        number = self._number(name)
        if field.code not in _NUMERIC_DTYPES or field.repeat != 1:
            raise InvalidLightCurve(
                self.source,
                f"column {name!r} is not a scalar number column "
                f"(TFORM{number} = {self.header[f'TFORM{number}']!r})",
            )
        dtype = np.dtype(_NUMERIC_DTYPES[field.code])
        if self.n_rows == 0:
            return np.empty(0, dtype=dtype.newbyteorder("="))
        raw = np.ndarray(
            shape=(self.n_rows,),
            dtype=dtype,
            buffer=self.rows,
            offset=field.offset,
            strides=(int(self.header["NAXIS1"]),),
        )
        values = raw.astype(dtype.newbyteorder("="))
        scale = self._scaling(f"TSCAL{number}", 1)
        zero = self._scaling(f"TZERO{number}", 0)
        return _scaled(values, scale, zero)

    def _scaling(self, keyword: str, default: int) -> int | float:
        """A ``TSCALn`` or ``TZEROn`` value: an integer that fits in 64 bits or a finite float."""
        value = self.header.get(keyword, default)
        if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        raise InvalidLightCurve(
            self.source, f"{keyword} = {value!r} is not a finite number; corrupt file?"
        )


def _scaled(values: np.ndarray, scale: float, zero: float) -> np.ndarray:
    """Physical values ``zero + scale * stored`` (FITS Standard 4.0, section 7.3.2)."""
    if scale == 1 and zero == 0:
        return values
    if values.dtype.kind in "iu" and scale == 1 and isinstance(zero, int):
        sign_bit = 1 << (8 * values.dtype.itemsize - 1)
        if values.dtype.kind == "i" and zero == sign_bit:  # unsigned integers stored as signed
            unsigned = values.dtype.newbyteorder("=").str.replace("i", "u")
            return values.view(unsigned) ^ np.array(sign_bit, dtype=unsigned)
        return values.astype(np.int64) + np.int64(zero)
    return values * float(scale) + float(zero)


def read_first_table(path: str | PathLike[str]) -> FitsTable:
    """Read the headers and the raw rows of the first binary-table extension of a FITS file.

    Parameters
    ----------
    path
        A FITS file (plain or gzip-compressed).

    Returns
    -------
    FitsTable
        Headers and raw rows; columns are decoded on demand by :meth:`FitsTable.column`.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InvalidLightCurve
        If the file is not FITS, a header is corrupt, the file is truncated (fewer bytes than its
        headers announce), it holds no binary table (an image-only FITS file), the table has
        more rows than :data:`~astrolens.sources.limits.MAX_CADENCES`, or reading it needs more
        (decompressed) bytes than :data:`~astrolens.sources.limits.MAX_FILE_BYTES`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astropy.io import fits
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "image.fits"
    >>> fits.PrimaryHDU(data=[[1, 2], [3, 4]]).writeto(path)
    >>> try:
    ...     read_first_table(path)
    ... except InvalidLightCurve as error:
    ...     print(error.reason[:50])
    holds no binary table extension (an image-only FIT
    """
    source = Path(path)
    try:
        with _open(source) as stream:
            return _read_first_table(_BoundedStream(stream, source), source)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InvalidLightCurve(source, f"cannot decompress the gzipped file ({exc})") from exc


def _read_first_table(stream: _BoundedStream, source: Path) -> FitsTable:
    if stream.read(len(FITS_SIGNATURE)) != FITS_SIGNATURE:
        raise InvalidLightCurve(source, "is not a FITS file (it does not start with 'SIMPLE  =')")
    stream.rewind()
    primary = read_header(stream, source)
    header = primary
    while str(header.get("XTENSION", "")).strip() != "BINTABLE":
        stream.skip(_data_bytes(header, source))
        if stream.at_end():
            raise InvalidLightCurve(
                source,
                "holds no binary table extension (an image-only FITS file?); "
                "a light curve is a table with time and flux columns",
            )
        header = read_header(stream, source)
    _integer(header, "TFIELDS", source)
    n_rows = _count(header, "NAXIS2", source)
    limits.check(
        source,
        "MAX_CADENCES",
        n_rows,
        "rows of the table declared by NAXIS2",
        "split the light curve into shorter files",
    )
    expected = _count(header, "NAXIS1", source) * n_rows
    rows = stream.read(expected)
    if len(rows) < expected:
        raise InvalidLightCurve(
            source,
            f"the FITS file is truncated: its table needs {expected} bytes but only {len(rows)} "
            "are there (an interrupted download?); download it again",
        )
    return FitsTable(source=str(source), primary=primary, header=header, rows=rows)
