"""Hostile light-curve files: real ones mutated, to check that nothing in them can hurt a reader.

An upload can be anything. :func:`hostile_files` writes, from a seed, files made from the
example Kepler, K2 and TESS light curves (:func:`~astrolens.sources.examples.example_files`) and
from CSV tables of them, each changed by one kind of mutation (:data:`MUTATIONS`):

``"bit_flips"``
    1 to 64 random bits flipped, half of the time in the headers; a quarter of them gzipped.
``"truncated"``
    Cut short anywhere, plain or gzipped (the gzip cut short too, or not).
``"extreme_values"``
    1e300, -1e300, NaN, infinities, far times (1e5 d and more), zero, tiny and huge values
    written into one, a few or all rows of the time, flux, uncertainty or quality column.
``"header_lies"``
    A header card that lies about sizes or types: row counts of 0 to 1e30, negative sizes,
    byte widths that do not add up, unknown column formats, scaling by 1e300, a missing
    ``END`` card, an extension that is not a table.
``"gzip_bomb"``
    A gzipped file that unpacks to ``bomb_bytes`` from a few kilobytes: a table, an image or
    three images of zeros, or a header without end.
``"text"``
    A CSV table with one to three of: a byte-order mark, a column left out or renamed, a
    non-number, an extreme value, junk or overlong lines, a cut, other line ends or separators,
    bytes that are not UTF-8.
``"noise"``
    Random bytes, behind a FITS signature or a gzip header or not, under any light-curve name.

A reader must either read each of them or refuse it with
:class:`~astrolens.errors.InvalidLightCurve`; ``tests/sources/test_hostile_files.py`` and
``benchmarks/fuzz_inputs.py`` check that every stage an upload goes through does.

Examples
--------
>>> import tempfile
>>> files = list(hostile_files(tempfile.mkdtemp(), 14, seed=1, bomb_bytes=2**20))
>>> [file.mutation for file in files[:7]] == list(MUTATIONS)
True
>>> all(file.path.exists() for file in files)
True
"""

from __future__ import annotations

import gzip
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import BinaryIO

import numpy as np

from astrolens.sources import limits
from astrolens.sources.examples import example_files

__all__ = ["MUTATIONS", "HostileFile", "hostile_files"]

MUTATIONS = (
    "bit_flips",
    "truncated",
    "extreme_values",
    "header_lies",
    "gzip_bomb",
    "text",
    "noise",
)
"""The kinds of mutation, in the order :func:`hostile_files` takes turns with them."""

_BLOCK = 2880
_CARD = 80
_EXTREME_FLOATS = (
    1e300, -1e300, np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, 3.4e38, -3.4e38,
    1e5, 1e6, 1e8, 1e9, -1e5, 2.5e6,
)  # fmt: skip
_EXTREME_INTEGERS = (-1, 0, 2**31 - 1, -(2**31), 1 << 20)
_EXTREME_TEXT = (
    "1e300", "-1e300", "nan", "NaN", "inf", "-inf", "1e999", "-1e999", "0", "1e-320",
    "100000", "1000000", "1e9", "99999999999999999999999999", "0x10", "", "--", "1,5",
)  # fmt: skip

_LIES: tuple[tuple[tuple[str, str, tuple[object, ...], str | None], ...], ...] = (
    # each lie: the cards it sets, as (header, keyword, values to pick from, card it replaces)
    (("table", "NAXIS2", (0, 1, 10**6, 10**12, 10**30, -1, -4354), None),),
    (("table", "NAXIS1", (0, 1, 8, 99, 10**9, 10**20, -100), None),),
    (("table", "TFIELDS", (0, 1, 999, 10**9, -1), None),),
    (("table", "TFORM1", ("'1X'", "'999999D'", "'Q'", "'0D'", "'D'"), None),),
    (("table", "TFORM8", ("'20A'", "'1L'", "'4E'", "'C'", "'E'"), None),),
    (("table", "TTYPE1", ("'FLUX'", "''", "'TIME'", 1, "'time '"), None),),
    (("table", "TUNIT8", ("1.0E300", "'10**1000'", "'e-/s/0'", "T"), None),),
    (("table", "PCOUNT", (-1, 10**15, 2880), None),),
    (("table", "GCOUNT", (0, 2, 10**12), None),),
    (("table", "BITPIX", (0, -64, 64, 7), None),),
    (("table", "XTENSION", ("'IMAGE   '", "'TABLE   '", "' '"), None),),
    (("table", "BJDREFI", ("1.0E300", "'x'", -1, "(1.0, 2.0)"), None),),
    (("table", "TZERO1", ("1.0E300", "-1.0E300", "'x'", 10**30, "T"), "TDISP1"),),
    (("table", "TSCAL1", ("1.0E300", "0.0", "'x'", 10**30), "TDISP1"),),
    (("table", "END", ("",), None),),
    (("primary", "NAXIS", (2, 999, -1, 10**9), None),),
    (
        ("primary", "NAXIS", (1,), None),
        ("primary", "NAXIS1", (10**15, 2**31, 5, -1), "EXTEND"),
    ),
    (("primary", "BITPIX", (8, -64, 0, 99), None),),
    (("primary", "OBJECT", ("'²³'", "'12345678901234567890123'", "1.0E300", "T"), None),),
    (("primary", "END", ("",), None),),
)
"""The header cards :func:`hostile_files` lies with."""


@dataclass(frozen=True)
class HostileFile:
    """One hostile file.

    Attributes
    ----------
    path
        Where it was written.
    mutation
        Its kind, one of :data:`MUTATIONS`.
    detail
        What was done to which file, for reports.
    """

    path: Path
    mutation: str
    detail: str


@dataclass(frozen=True)
class _Original:
    """A real light-curve file and where its table is.

    Attributes
    ----------
    path, data
        The file and its bytes.
    table_start, table_end
        Where the table's header starts and ends (where its rows start).
    row_bytes, n_rows
        The table's ``NAXIS1`` and ``NAXIS2``.
    columns
        Byte offset in a row and numpy type of each column.
    """

    path: Path
    data: bytes
    table_start: int
    table_end: int
    row_bytes: int
    n_rows: int
    columns: dict[str, tuple[int, str]]

    @classmethod
    def of(cls, path: Path) -> _Original:
        from astropy.io import fits

        with fits.open(path) as hdus:
            table = hdus[1]
            fields = table.data.dtype.fields
            return cls(
                path=path,
                data=path.read_bytes(),
                table_start=hdus.fileinfo(1)["hdrLoc"],
                table_end=hdus.fileinfo(1)["datLoc"],
                row_bytes=table.header["NAXIS1"],
                n_rows=table.header["NAXIS2"],
                columns={name: (offset, dtype.str) for name, (dtype, offset) in fields.items()},
            )

    @cached_property
    def csv_rows(self) -> list[list[str]]:
        """Header and rows of a CSV table of the light curve (time, flux, flux_err, quality)."""
        from astrolens.sources.fits import read_fits_arrays

        arrays = read_fits_arrays(self.path, quality_bitmask="none")
        columns = (arrays.time, arrays.flux, arrays.flux_err, arrays.quality)
        rows = [["time", "flux", "flux_err", "quality"]]
        values = zip(*(column.tolist() for column in columns), strict=True)
        rows += [[repr(value) for value in row] for row in values]
        return rows


class _Writer:
    """Makes hostile files from the originals with one random generator."""

    def __init__(self, folder: Path, rng: np.random.Generator, bomb_bytes: int) -> None:
        self.folder = folder
        self.rng = rng
        self.bomb_bytes = bomb_bytes
        self.originals = [_Original.of(path) for path in example_files()]

    def original(self) -> _Original:
        return self.originals[int(self.rng.integers(len(self.originals)))]

    def chance(self, probability: float) -> bool:
        return bool(self.rng.random() < probability)

    def pick(self, options: Sequence[object]) -> object:
        return options[int(self.rng.integers(len(options)))]

    def write(self, name: str, data: bytes, gzipped: bool = False) -> Path:
        path = self.folder / (f"{name}.gz" if gzipped else name)
        path.write_bytes(_gzipped(data) if gzipped else data)
        return path

    def bit_flips(self, stem: str) -> tuple[Path, str]:
        original = self.original()
        data = bytearray(original.data)
        n_flips = int(self.rng.integers(1, 65))
        end = original.table_end if self.chance(0.5) else len(data)
        for position in self.rng.integers(0, end, n_flips).tolist():
            data[position] ^= 1 << int(self.rng.integers(8))
        gzipped = self.chance(0.25)
        path = self.write(f"{stem}.fits", bytes(data), gzipped)
        return path, f"{original.path.name}: {n_flips} bits flipped in the first {end} bytes"

    def truncated(self, stem: str) -> tuple[Path, str]:
        original = self.original()
        data = original.data
        if self.chance(0.5):
            cut = int(self.rng.integers(0, len(data)))
            gzipped = self.chance(0.25)
            path = self.write(f"{stem}.fits", data[:cut], gzipped)
            return path, f"{original.path.name} cut at byte {cut}"
        packed = _gzipped(data)
        cut = int(self.rng.integers(0, len(packed)))
        path = self.write(f"{stem}.fits.gz", packed[:cut])
        return path, f"{original.path.name} gzipped, cut at byte {cut} of {len(packed)}"

    def extreme_values(self, stem: str) -> tuple[Path, str]:
        original = self.original()
        data = bytearray(original.data)
        names = [
            name
            for name in original.columns
            if name in ("TIME", "PDCSAP_FLUX", "PDCSAP_FLUX_ERR", "SAP_QUALITY", "QUALITY")
        ]
        name = str(self.pick(names))
        offset, dtype = original.columns[name]
        integer = np.dtype(dtype).kind == "i"
        value = self.pick(_EXTREME_INTEGERS if integer else _EXTREME_FLOATS)
        rows = self._rows(original.n_rows)
        with np.errstate(over="ignore"):
            encoded = np.asarray(value).astype(dtype).tobytes()
        start = original.table_end + offset
        for row in rows:
            position = start + row * original.row_bytes
            data[position : position + len(encoded)] = encoded
        path = self.write(f"{stem}.fits", bytes(data), self.chance(0.1))
        return path, f"{original.path.name}: {name} = {value!r} in {len(rows)} rows"

    def _rows(self, n_rows: int) -> list[int]:
        kind = self.pick(("one", "first", "last", "few", "block", "all"))
        if kind == "first":
            return [0]
        if kind == "last":
            return [n_rows - 1]
        if kind == "few":
            return self.rng.integers(0, n_rows, 5).tolist()
        if kind == "block":
            start = int(self.rng.integers(0, n_rows))
            return list(range(start, min(n_rows, start + 50)))
        if kind == "all":
            return list(range(n_rows))
        return [int(self.rng.integers(0, n_rows))]

    def header_lies(self, stem: str) -> tuple[Path, str]:
        original = self.original()
        data = bytearray(original.data)
        lies = []
        for header, keyword, values, replacing in _LIES[int(self.rng.integers(len(_LIES)))]:
            value = self.pick(values)
            start = original.table_start if header == "table" else 0
            _set_card(data, start, keyword, value, replacing)
            lies.append(f"{keyword} = {value} in the {header} header")
        path = self.write(f"{stem}.fits", bytes(data), self.chance(0.1))
        return path, f"{original.path.name}: {', '.join(lies)}"

    def gzip_bomb(self, stem: str) -> tuple[Path, str]:
        original = self.original()
        kind = str(self.pick(("table", "image", "images", "endless header")))
        path = self.folder / f"{stem}.fits.gz"
        with path.open("wb") as file, _gzip_stream(file) as stream:
            if kind == "table":
                head = bytearray(original.data[: original.table_end])
                row_bytes = -(-self.bomb_bytes // original.n_rows)
                _set_card(head, original.table_start, "NAXIS1", row_bytes)
                stream.write(bytes(head))
                _write_repeated(stream, b"\0", self.bomb_bytes)
            elif kind == "endless header":
                stream.write(b"SIMPLE  =                    T".ljust(_CARD))
                _write_repeated(stream, b" ", self.bomb_bytes)
            else:
                n_images = 1 if kind == "image" else 3
                image_bytes = -(-self.bomb_bytes // n_images // _BLOCK) * _BLOCK
                for number in range(n_images):
                    stream.write(_image_header(image_bytes, primary=number == 0))
                    _write_repeated(stream, b"\0", image_bytes)
                stream.write(original.data[original.table_start :])
        return path, f"{kind} of {self.bomb_bytes} bytes, gzipped to {path.stat().st_size}"

    def text(self, stem: str) -> tuple[Path, str]:
        original = self.original()
        rows = [list(row) for row in original.csv_rows]
        edits = [self._text_edit(rows) for _ in range(int(self.rng.integers(1, 4)))]
        separator = str(self.pick((",", ",", "\t", " ", ";")))
        newline = str(self.pick(("\n", "\n", "\r\n", "\r")))
        text = newline.join(separator.join(row) for row in rows) + newline
        encoded = text.encode("utf-8")
        if "byte-order mark" in edits:
            encoded = b"\xef\xbb\xbf" + encoded
        if "not UTF-8" in edits:
            encoded = encoded.replace(b"e", b"\xe9", int(self.rng.integers(1, 10)))
        if "cut" in edits:
            encoded = encoded[: int(self.rng.integers(0, len(encoded)))]
        suffix = str(self.pick((".csv", ".csv", ".txt", ".dat")))
        path = self.write(f"{stem}{suffix}", encoded)
        return path, f"{original.path.name} as CSV, {separator!r}: {'; '.join(edits)}"

    def _text_edit(self, rows: list[list[str]]) -> str:
        kind = str(
            self.pick(
                (
                    "byte-order mark", "drop column", "rename column", "value", "value",
                    "junk line", "long line", "cut", "not UTF-8", "short row", "far time",
                    "header only",
                )
            )
        )  # fmt: skip
        if len(rows) < 2 and kind in ("value", "short row", "far time"):
            kind = "header only"
        if kind == "drop column":
            column = int(self.rng.integers(len(rows[0])))
            for row in rows:
                del row[column : column + 1]
            return f"column {column} dropped"
        if kind == "rename column":
            column = int(self.rng.integers(len(rows[0])))
            rows[0][column] = str(self.pick(("", "t ime", "Flux", "mag", "time", "#", '"x')))
            return f"column {column} renamed {rows[0][column]!r}"
        if kind == "value":
            row = 1 + int(self.rng.integers(len(rows) - 1))
            column = int(self.rng.integers(len(rows[row])))
            rows[row][column] = str(self.pick(_EXTREME_TEXT))
            return f"row {row} column {column} = {rows[row][column]!r}"
        if kind == "junk line":
            junk = str(self.pick(("# comment", "junk", ",,,", '"', "1 2 3 4 5 6", "time,flux")))
            rows.insert(int(self.rng.integers(len(rows) + 1)), [junk])
            return f"line {junk!r} inserted"
        if kind == "long line":
            length = int(self.pick((1_000, 20_000, 200_000)))
            rows.insert(int(self.rng.integers(len(rows) + 1)), ["9" * length])
            return f"a line of {length:,} characters inserted"
        if kind == "short row":
            row = 1 + int(self.rng.integers(len(rows) - 1))
            rows[row] = rows[row][:1]
            return f"row {row} cut to one value"
        if kind == "far time":
            rows.append([str(self.pick(("1e5", "1e6", "1e300", "-1e300"))), *rows[1][1:]])
            return f"a row at time {rows[-1][0]} added"
        if kind == "header only":
            del rows[1:]
            return "rows removed"
        return kind

    def noise(self, stem: str) -> tuple[Path, str]:
        size = int(self.rng.integers(0, 65_536))
        noise = self.rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        prefix = bytes(self.pick((b"", b"SIMPLE  =", b"\x1f\x8b", b"time,flux\n")))
        if prefix == b"\x1f\x8b" and self.chance(0.5):
            prefix, noise = b"", _gzipped(noise)
        suffix = str(self.pick((".fits", ".fits.gz", ".csv", ".txt", "")))
        path = self.write(f"{stem}{suffix}", prefix + noise)
        return path, f"{size} random bytes after {prefix!r}"


def _set_card(
    data: bytearray, header: int, keyword: str, value: object, replacing: str | None = None
) -> None:
    """Set ``keyword`` to ``value`` in the header that starts at byte ``header`` of ``data``,
    in the place of its card or that of ``replacing`` (an ``END`` card set to "" is blanked)."""
    card = f"{keyword:<8}= {value!s:>20}" if value != "" else ""
    for position in range(header, len(data) - _CARD + 1, _CARD):
        name = data[position : position + 8].decode("latin-1").rstrip()
        if name == (replacing or keyword):
            data[position : position + _CARD] = card.ljust(_CARD)[:_CARD].encode("latin-1")
            return
        if name == "END":
            return


def _gzip_stream(file: BinaryIO) -> gzip.GzipFile:
    """A gzip stream writing to ``file``, the same bytes every time (no name, no time)."""
    return gzip.GzipFile(filename="", mode="wb", compresslevel=1, fileobj=file, mtime=0)


def _gzipped(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0)


def _image_header(data_bytes: int, primary: bool) -> bytes:
    """The header of an image of ``data_bytes`` bytes, primary or an extension."""
    first = "SIMPLE  =                    T" if primary else "XTENSION= 'IMAGE   '"
    cards = [first, "BITPIX  =                    8", "NAXIS   =                    1"]
    cards += [f"NAXIS1  = {data_bytes:>20}", "END"]
    return "".join(card.ljust(_CARD) for card in cards).ljust(_BLOCK).encode()


def _write_repeated(stream: gzip.GzipFile, byte: bytes, count: int) -> None:
    """Write ``count`` copies of ``byte`` in chunks of 1 MiB."""
    chunk = byte * 2**20
    for _ in range(count // len(chunk)):
        stream.write(chunk)
    stream.write(byte * (count % len(chunk)))


_MUTATORS: dict[str, Callable[[_Writer, str], tuple[Path, str]]] = {
    name: getattr(_Writer, name) for name in MUTATIONS
}


def hostile_files(
    folder: str | PathLike[str],
    n_files: int,
    *,
    seed: int = 0,
    mutations: Sequence[str] = MUTATIONS,
    bomb_bytes: int | None = None,
) -> Iterator[HostileFile]:
    """Write hostile light-curve files, one each time the iterator is advanced.

    Parameters
    ----------
    folder
        An existing folder to write the files into (``00000-bit_flips.fits``, ...).
    n_files
        How many files.
    seed
        Seed of the random generator: the same seed writes the same files.
    mutations
        The kinds of mutation, taken in turn (see the module description).
    bomb_bytes
        What a gzip bomb unpacks to; by default 1 MiB more than
        :data:`~astrolens.sources.limits.MAX_FILE_BYTES` at the time of the call.

    Yields
    ------
    HostileFile
        The file just written, its mutation and what was done.

    Raises
    ------
    ValueError
        For an unknown mutation.
    """
    unknown = sorted(set(mutations) - set(MUTATIONS))
    if unknown:
        raise ValueError(f"unknown mutations {unknown}; known: {', '.join(MUTATIONS)}")
    if bomb_bytes is None:
        bomb_bytes = limits.MAX_FILE_BYTES + 2**20
    writer = _Writer(Path(folder), np.random.default_rng(seed), bomb_bytes)
    for index in range(n_files):
        mutation = mutations[index % len(mutations)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path, detail = _MUTATORS[mutation](writer, f"{index:05d}-{mutation}")
        yield HostileFile(path=path, mutation=mutation, detail=detail)
