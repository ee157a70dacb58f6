"""Receiving uploaded files (light curves, images): streamed into a temporary folder, never held
whole.

:func:`receive_uploads` reads a ``multipart/form-data`` request body as it arrives and writes the
parts named ``file`` (one, or several for one query of several examples) into a folder the caller
owns (a :class:`tempfile.TemporaryDirectory`, deleted after the search). The size limit is
enforced on each file and on the whole body (several files share it), every part and part header
counted: a ``Content-Length`` above it is refused before anything is read, and the
bytes are counted while they stream in (a chunked request has no length to check). The body must
arrive within a time limit. Errors are HTTP errors with a message saying what was wrong: 413 for
too large, 408 for too slow, 415 for a body that is not multipart, 400 for a malformed or
truncated one, 422 for a body without a file or with more files than allowed. A client that goes
away mid-upload gets :data:`CLIENT_CLOSED_REQUEST` (which nobody receives: it only ends the
request, quietly).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import anyio
from fastapi import HTTPException, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

__all__ = [
    "CLIENT_CLOSED_REQUEST",
    "FILE_FIELD",
    "MULTIPART_OVERHEAD_BYTES",
    "ReceivedFile",
    "receive_uploads",
    "safe_filename",
]

FILE_FIELD = "file"
"""Name of the multipart field that holds an uploaded file (repeated for several)."""

MULTIPART_OVERHEAD_BYTES = 16 * 1024
"""How much larger than the file the whole body may be: boundaries, part headers, other fields."""

CLIENT_CLOSED_REQUEST = 499
"""Status of an upload the client abandoned (nginx's code; the answer goes nowhere)."""

_CLOSE = {"Connection": "close"}
"""Header of answers sent before the body was read: the rest of it is not waited for."""

_log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
_MAX_NAME = 120


@dataclass(frozen=True)
class ReceivedFile:
    """An uploaded file written to disk.

    Attributes
    ----------
    path
        Where it was written (inside the caller's folder).
    filename
        The name the client gave it, made safe (:func:`safe_filename`).
    size
        Its length in bytes.
    """

    path: Path
    filename: str
    size: int


def safe_filename(name: str | None) -> str:
    """A client's file name reduced to a plain name that cannot leave its folder.

    The last path component, characters other than letters, digits and ``._+-`` replaced by
    ``_``, no leading dots, at most 120 characters (keeping the end, where the suffix is);
    ``"upload"`` when nothing is left.

    Examples
    --------
    >>> safe_filename("../../etc/kplr010002792_llc.fits")
    'kplr010002792_llc.fits'
    >>> safe_filename("C:\\\\data\\\\my light curve.csv"), safe_filename(".."), safe_filename(None)
    ('my_light_curve.csv', 'upload', 'upload')
    """
    base = re.split(r"[/\\]", name or "")[-1]
    cleaned = _UNSAFE.sub("_", base).lstrip(".")[-_MAX_NAME:].lstrip(".")
    return cleaned or "upload"


async def receive_uploads(
    request: Request,
    directory: Path,
    max_bytes: int,
    timeout_seconds: float,
    max_files: int = 1,
) -> list[ReceivedFile]:
    """Stream the ``file`` parts of a multipart request into ``directory``, in their order.

    Parameters
    ----------
    request
        The request whose body has not been read yet.
    directory
        An existing folder owned by the caller (a temporary one); the n-th file is written
        under its :func:`safe_filename` in a sub-folder ``n`` (two files may have one name).
    max_bytes
        Largest upload accepted, its files together; the whole body may be
        :data:`MULTIPART_OVERHEAD_BYTES` larger.
    timeout_seconds
        Longest time the body may take to arrive.
    max_files
        Most ``file`` parts accepted.

    Raises
    ------
    fastapi.HTTPException
        413 if the request or a file is larger than allowed, 408 if the body took longer
        than ``timeout_seconds``, 415 if the body is not ``multipart/form-data``, 400 if it is
        malformed or ends early, 422 if it has no file or more than ``max_files``,
        :data:`CLIENT_CLOSED_REQUEST` if the client disconnected before the end. Whatever was
        written is left in ``directory``.
    """
    media_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise HTTPException(
            415,
            "send the file as multipart/form-data with a part named "
            f"'{FILE_FIELD}' (repeated for several files), "
            f"not {media_type.decode('latin-1') or 'no body'}",
        )
    max_body = max_bytes + MULTIPART_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise _too_large(max_bytes, f"the request declares {int(declared):,} bytes")
    receiver = _FileReceiver(directory, max_bytes, max_files)
    received = 0
    try:
        parser = MultipartParser(boundary, receiver.callbacks())
        with anyio.fail_after(timeout_seconds):
            async for chunk in request.stream():
                parser.write(chunk)  # a file over the limit is refused here, by name
                received += len(chunk)
                if received > max_body:
                    raise _too_large(max_bytes, f"the request body is over {max_body:,} bytes")
        parser.finalize()
    except FormParserError as error:
        raise HTTPException(400, f"malformed multipart body: {error}") from None
    except TimeoutError:
        raise HTTPException(
            408,
            f"upload too slow: the body did not arrive within {timeout_seconds:g} s "
            f"({received:,} bytes received)",
            headers=_CLOSE,
        ) from None
    except ClientDisconnect:
        client = request.client
        _log.info("%s left during an upload, after %d bytes", client and client.host, received)
        raise HTTPException(CLIENT_CLOSED_REQUEST, "the client closed the connection") from None
    finally:
        receiver.close()
    return receiver.result()


def _too_large(max_bytes: int, what: str) -> HTTPException:
    return HTTPException(
        413,
        f"upload too large: {what}; the limit is {max_bytes:,} bytes per upload "
        "(its files together)",
        headers=_CLOSE,
    )


class _FileReceiver:
    """Callbacks of :class:`MultipartParser` that write the ``file`` parts to disk."""

    def __init__(self, directory: Path, max_bytes: int, max_files: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.headers: dict[bytes, bytes] = {}
        self.field = bytearray()
        self.value = bytearray()
        self.handle: BinaryIO | None = None
        self.files: list[ReceivedFile] = []
        self.path: Path | None = None
        self.filename = ""
        self.size = 0
        self.total = 0
        self.unfinished = False  # a file part begun and not ended

    def callbacks(self) -> Any:
        events: dict[str, Callable[..., None]] = {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }
        return events

    def result(self) -> list[ReceivedFile]:
        if self.unfinished:
            raise HTTPException(400, "the upload ended before the file did (truncated body)")
        if not self.files:
            raise HTTPException(
                422, f"no file in the upload: send the file as the multipart part '{FILE_FIELD}'"
            )
        return self.files

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def _part_begin(self) -> None:
        self.headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def _header_end(self) -> None:
        self.headers[bytes(self.field).lower()] = bytes(self.value)
        self.field.clear()
        self.value.clear()

    def _headers_finished(self) -> None:
        disposition = self.headers.get(b"content-disposition", b"").decode("latin-1")
        _, options = parse_options_header(disposition)
        if options.get(b"name") != FILE_FIELD.encode():
            return
        if len(self.files) >= self.max_files:
            raise HTTPException(
                422, f"{FILE_FIELD}: at most {self.max_files} files in one upload", headers=_CLOSE
            )
        self.filename = safe_filename(options.get(b"filename", b"").decode("utf-8", "replace"))
        folder = self.directory / str(len(self.files))
        folder.mkdir()
        self.path = folder / self.filename
        self.size = 0
        self.handle = self.path.open("wb")
        self.unfinished = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.handle is None:
            return
        self.size += end - start
        self.total += end - start
        if self.size > self.max_bytes:
            raise _too_large(self.max_bytes, f"{self.filename} is larger")
        if self.total > self.max_bytes:
            raise _too_large(self.max_bytes, f"the files up to {self.filename} are larger")
        self.handle.write(data[start:end])

    def _part_end(self) -> None:
        if self.handle is not None and self.path is not None:
            self.close()
            self.unfinished = False
            self.files.append(ReceivedFile(self.path, self.filename, self.size))
