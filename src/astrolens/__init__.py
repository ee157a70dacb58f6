"""astrolens: "what else looks like this?" for light curves.

The pipeline flows one way: sources -> preprocess -> wavelets -> models -> embed -> index -> search.
"""

from astrolens.errors import ArchiveUnavailable, AstrolensError, CacheError, InvalidLightCurve

__version__ = "0.1.0"

__all__ = [
    "ArchiveUnavailable",
    "AstrolensError",
    "CacheError",
    "InvalidLightCurve",
    "__version__",
]
