"""astrolens: "what else looks like this?" for light curves.

The pipeline flows one way: sources -> preprocess -> wavelets -> encoders -> embed -> index ->
search.

The front door is a handful of verbs, one per stage, each the function of the module that does the
work. A verb imports its module the first time it is used, so ``import astrolens`` stays cheap
and each verb costs only the imports of its own stage (``open_search`` loads no TensorFlow):

``read(path)``
    A light-curve file (FITS or text) as a ``lightkurve.LightCurve``
    (:func:`astrolens.sources.read`).
``download(target)``
    Kepler, K2 and TESS light curves from MAST into the local cache
    (:func:`astrolens.sources.mast.download`).
``train(config)``
    Train an encoder into a new run folder (:func:`astrolens.training.train`).
``load_run(path)``
    The encoder and configuration of a run folder (:func:`astrolens.runs.load_run`).
``embed_lightcurve(lightcurve)``, ``embed_files(paths, out)``
    The embedding of one light curve; the embeddings of files, into Parquet
    (:func:`astrolens.embed.embed_lightcurve`, :func:`astrolens.embed.embed_files`).
``build_survey_index(survey)``
    An index folder of a simulated survey (:func:`astrolens.pipeline.build_survey_index`).
``open_search(index_dir)``
    The similarity search of an index folder (:func:`astrolens.search.open_search`).

Examples
--------
>>> import astrolens
>>> astrolens.open_search.__module__, astrolens.load_run.__name__
('astrolens.search.service', 'load_run')
>>> from astrolens.sources import example_files
>>> astrolens.read(example_files("TESS")[0]).meta["mission"]
'TESS'

A search by object id, from an index folder of ``astrolens index build``::

    search = astrolens.open_search("indexes/demo-default")
    result = search.by_object("KIC 900000003", k=5)
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

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

_VERBS: dict[str, str] = {
    "read": "astrolens.sources",
    "download": "astrolens.sources.mast",
    "train": "astrolens.training",
    "load_run": "astrolens.runs",
    "embed_lightcurve": "astrolens.embed",
    "embed_files": "astrolens.embed",
    "build_survey_index": "astrolens.pipeline",
    "open_search": "astrolens.search.service",
}
"""The top-level verbs and the module each comes from (imported on first use)."""

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
    *_VERBS,
]


def __getattr__(name: str) -> Any:
    """Import the module of a verb on first use (PEP 562) and keep the function here."""
    module = _VERBS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    function = getattr(importlib.import_module(module), name)
    globals()[name] = function
    return function


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_VERBS))
