"""Exceptions raised by astrolens.

Every error says *what* failed (the file, column or object) and *why*, so a user can fix the input.
Front ends map them to exit codes (CLI) and 4xx answers (web API).
"""

from __future__ import annotations

from os import PathLike


class AstrolensError(Exception):
    """Base class of every error astrolens raises on purpose."""


class InvalidLightCurve(AstrolensError, ValueError):
    """A light curve that cannot be used: unreadable, truncated, empty, all-NaN, too short, ...

    Parameters
    ----------
    source
        Where the light curve came from: a file path, an object id or a short description.
    reason
        Why it cannot be used, in words a user can act on.

    Examples
    --------
    >>> err = InvalidLightCurve("kplr123_llc.fits", "all flux values are NaN")
    >>> str(err)
    'kplr123_llc.fits: all flux values are NaN'
    """

    def __init__(self, source: str | PathLike[str], reason: str) -> None:
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


class InvalidImage(AstrolensError, ValueError):
    """An image that cannot be used: unreadable, too large, too small, blank, ...

    Examples
    --------
    >>> str(InvalidImage("m51.png", "every pixel is NaN"))
    'm51.png: every pixel is NaN'
    """

    def __init__(self, source: str | PathLike[str], reason: str) -> None:
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


class ArchiveUnavailable(AstrolensError, ConnectionError):
    """The remote archive (MAST) cannot be reached or did not answer."""


class CacheError(AstrolensError):
    """A cache entry on disk is unreadable or does not match the configuration that asked for it."""


class IndexMismatch(AstrolensError):
    """A similarity index that does not belong with what uses it.

    Raised when an index built from one model run's embeddings is loaded for another run (the two
    embedding spaces cannot be compared), or when an index holds objects its catalogue lacks.

    Examples
    --------
    >>> str(IndexMismatch("index/ was built by model run 'a', not 'b'"))
    "index/ was built by model run 'a', not 'b'"
    """


class CorruptIndex(AstrolensError):
    """An index folder with a missing, unreadable or modified file (checksum mismatch).

    Examples
    --------
    >>> str(CorruptIndex("index/vectors.npy: SHA-256 does not match the manifest"))
    'index/vectors.npy: SHA-256 does not match the manifest'
    """


class IndexUnavailable(AstrolensError, ConnectionError):
    """The server that holds an index's vectors (a Milvus deployment) cannot be reached, or no
    longer holds them.

    Examples
    --------
    >>> str(IndexUnavailable("http://127.0.0.1:19530: no Milvus server answers"))
    'http://127.0.0.1:19530: no Milvus server answers'
    """


class UnknownObject(AstrolensError, KeyError):
    """An object id that is not in the catalogue (or index), or no object at a sky position.

    Examples
    --------
    >>> str(UnknownObject("KIC 1: not in the catalogue"))
    'KIC 1: not in the catalogue'
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidCoordinates(AstrolensError, ValueError):
    """Sky coordinates that cannot be parsed or lie outside the sky."""


NO_SUCH_FILE = "no such file"
"""The reason given for a light-curve file that does not exist."""


def skip_reason(error: InvalidLightCurve | InvalidImage | FileNotFoundError) -> str:
    """Why a light curve (or an image) was skipped, in words, for the lists of skipped files.

    Examples
    --------
    >>> skip_reason(InvalidLightCurve("a.fits", "all flux values are NaN"))
    'all flux values are NaN'
    >>> skip_reason(FileNotFoundError("a.fits"))
    'no such file'
    """
    return error.reason if isinstance(error, (InvalidLightCurve, InvalidImage)) else NO_SUCH_FILE
