"""Where light curves come from: local files (FITS, text tables), MAST, and bundled examples.

The readers are imported with the package; the MAST functions (:func:`download`, :func:`fetch`,
:func:`search`, :class:`MastCache`) on first use, as they bring lightkurve and astroquery with
them.

>>> from astrolens.sources import example_files, read, read_arrays
>>> path = example_files("TESS")[0]
>>> len(read(path)) == len(read_arrays(path))
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from astrolens.sources.arrays import META_KEYS, LightCurveArrays
from astrolens.sources.examples import example_files
from astrolens.sources.quality import BITMASK_NAMES, resolve_bitmask
from astrolens.sources.reader import ReadManyResult, detect_format, read, read_arrays, read_many

if TYPE_CHECKING:
    from astrolens.sources.mast import MastCache, download, fetch, search

__all__ = [
    "BITMASK_NAMES",
    "META_KEYS",
    "LightCurveArrays",
    "MastCache",
    "ReadManyResult",
    "detect_format",
    "download",
    "example_files",
    "fetch",
    "read",
    "read_arrays",
    "read_many",
    "resolve_bitmask",
    "search",
]

_MAST_NAMES = frozenset({"MastCache", "download", "fetch", "search"})


def __getattr__(name: str) -> Any:
    if name in _MAST_NAMES:
        return getattr(importlib.import_module("astrolens.sources.mast"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
