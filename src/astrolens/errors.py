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


class ArchiveUnavailable(AstrolensError, ConnectionError):
    """The remote archive (MAST) cannot be reached or did not answer."""


class CacheError(AstrolensError):
    """A cache entry on disk is unreadable or does not match the configuration that asked for it."""
