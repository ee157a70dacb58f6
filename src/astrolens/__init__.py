"""astrolens: "what else looks like this?" for light curves.

The pipeline flows one way: sources -> preprocess -> wavelets -> models -> embed -> index -> search.
"""

import warnings

from astrolens.errors import (
    ArchiveUnavailable,
    AstrolensError,
    CacheError,
    CorruptIndex,
    IndexMismatch,
    InvalidCoordinates,
    InvalidLightCurve,
    UnknownObject,
)

__version__ = "0.1.0"

# lightkurve warns at import that an optional module astrolens never uses is missing.
warnings.filterwarnings(
    "ignore", message=".*tpfmodel submodule is not available", category=UserWarning
)

__all__ = [
    "ArchiveUnavailable",
    "AstrolensError",
    "CacheError",
    "CorruptIndex",
    "IndexMismatch",
    "InvalidCoordinates",
    "InvalidLightCurve",
    "UnknownObject",
    "__version__",
]
