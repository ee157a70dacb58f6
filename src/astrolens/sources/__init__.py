"""Where light curves come from: local files (FITS, text tables), MAST, and bundled examples.

>>> from astrolens.sources import example_files, read, read_arrays
>>> path = example_files("TESS")[0]
>>> len(read(path)) == len(read_arrays(path))
True
"""

from astrolens.sources.arrays import META_KEYS, LightCurveArrays
from astrolens.sources.examples import example_files
from astrolens.sources.mast import MastCache, download, fetch, search
from astrolens.sources.quality import BITMASK_NAMES, resolve_bitmask
from astrolens.sources.reader import ReadManyResult, detect_format, read, read_arrays, read_many

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
