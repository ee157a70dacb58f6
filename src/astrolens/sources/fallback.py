"""Real light curves to test on: downloaded from MAST, or the bundled examples when offline.

:func:`download_or_examples` asks MAST (through the cache of :mod:`astrolens.sources.mast`) for
the observations in :data:`EXAMPLE_OBSERVATIONS`: two Kepler quarters of KIC 10002792, K2 campaign
4 of EPIC 211117077 and TESS sector 1 of TIC 358108509. These are the very files that ship in the
``altaipony`` package, so when MAST cannot be reached the same light curves are used from there,
and what follows (embedding, searching) gives the same answer either way.

Examples
--------
>>> import tempfile
>>> from astrolens.sources.mast import MastCache
>>> found = download_or_examples(cache=MastCache(tempfile.mkdtemp()), progress=False)
>>> len(found.paths) == 4, found.origin in ("MAST", "altaipony examples")
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from astrolens.errors import ArchiveUnavailable
from astrolens.sources.examples import example_files
from astrolens.sources.mast import MastCache, download

__all__ = ["EXAMPLE_OBSERVATIONS", "FoundLightCurves", "download_or_examples"]

EXAMPLE_OBSERVATIONS: tuple[Mapping[str, Any], ...] = (
    {"target": "KIC 10002792", "mission": "Kepler", "quarter": (2, 5), "exptime": "long"},
    {"target": "EPIC 211117077", "mission": "K2", "campaign": 4, "exptime": "long"},
    {"target": "TIC 358108509", "mission": "TESS", "sector": 1, "exptime": "short"},
)
"""The observations of the bundled example files, as arguments of
:func:`astrolens.sources.download`."""

MAST = "MAST"
EXAMPLES = "altaipony examples"


@dataclass(frozen=True)
class FoundLightCurves:
    """Light-curve files and where they came from.

    Attributes
    ----------
    paths
        Local FITS files.
    origin
        ``"MAST"`` (downloaded, or found in the MAST cache) or ``"altaipony examples"``.
    reason
        Why MAST was not used (the :class:`~astrolens.errors.ArchiveUnavailable` message), or
        None.
    """

    paths: tuple[Path, ...]
    origin: str
    reason: str | None = None


def download_or_examples(
    observations: Sequence[Mapping[str, Any]] = EXAMPLE_OBSERVATIONS,
    *,
    cache: MastCache | None = None,
    progress: bool = True,
) -> FoundLightCurves:
    """Download light curves from MAST into the cache, or use the bundled examples if offline.

    Parameters
    ----------
    observations
        Arguments of :func:`astrolens.sources.download`, one mapping per target (``"target"``
        and the filters). Offline, only the default observations have a local stand-in.
    cache
        The MAST cache (default ``$ASTROLENS_CACHE/mast``).
    progress
        Show download progress.

    Raises
    ------
    ArchiveUnavailable
        If MAST cannot be reached and ``observations`` are not the bundled ones.
    InvalidLightCurve
        If MAST has no light curve for an observation.
    """
    try:
        paths = [
            path
            for observation in observations
            for path in download(**observation, cache=cache, progress=progress)
        ]
    except ArchiveUnavailable as error:
        if tuple(observations) != EXAMPLE_OBSERVATIONS:
            raise
        return FoundLightCurves(tuple(example_files()), EXAMPLES, str(error).splitlines()[0])
    return FoundLightCurves(tuple(paths), MAST)
