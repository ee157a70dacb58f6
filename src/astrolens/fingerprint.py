"""The identity of a table of floats that holds on every CPU: :class:`CatalogFingerprint`.

A simulated survey is regenerated from its configuration, and NumPy, OpenBLAS and oneDNN choose
their SIMD kernels (AVX-512 or AVX2, other BLAS blockings) at run time: the same code gives the
same catalogue on every machine, except in the last bits of its floats. A SHA-256 over the floats
names one CPU's rounding; a run trained on one machine would then call the catalogue another
machine regenerates "changed".

A fingerprint has two parts:

- **exact**: a SHA-256 over the number of rows, the column names and dtypes, every value of the
  columns that are not floats (ids, classes, missions, seeds) and where each float column is NaN or
  infinite. Any difference here is a different table.
- **projections**: for every float column, four sums over its finite values ``x`` mapped by
  ``asinh(x / FLOOR)`` (``FLOOR`` = 1e-6): the plain sum and three sums with fixed pseudo-random
  signs. The map turns a relative change of ``r`` in one value (``|x|`` >> ``FLOOR``) into a change
  of ``r`` in every sum; below ``FLOOR`` a change counts in units of ``FLOOR``.

Two fingerprints **match** when their exact parts are equal and every projection agrees within
``TOLERANCE_PER_ROW * rows + TOLERANCE_FLOOR`` (7e-9 for the 20,000-object demo survey, 3e-7 for a
million rows). The sums are taken in extended precision, so their own rounding stays far below
that. This accepts every float of the table differing by a relative 3e-13 (over a thousand units
in the last place; another CPU gives a few), and always detects a relative change of 1e-6 in any
one value larger than 1e-5 in a survey of up to three million rows (a change of 1e-8 in the demo
survey), and any change of the ids, classes, seeds, missions or the number of objects.

:attr:`CatalogFingerprint.key` hashes everything at full precision: it names the exact data on
one machine, for cache file names (another CPU gets another key and recomputes its own cache).

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"object_id": ["KIC 1", "KIC 2"], "period_days": [0.5, 12.0]})
>>> fingerprint = catalog_fingerprint(table)
>>> fingerprint.matches(catalog_fingerprint(table.assign(period_days=[0.5 + 1e-15, 12.0])))
True
>>> fingerprint.difference(catalog_fingerprint(table.assign(period_days=[0.5 * (1 + 1e-6), 12.0])))
'column period_days differs (projections by up to 1e-06; tolerance 1.0e-09)'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FLOOR",
    "TOLERANCE_FLOOR",
    "TOLERANCE_PER_ROW",
    "CatalogFingerprint",
    "catalog_fingerprint",
]

FLOOR = 1e-6
"""Float values are compared relative to their size above this, absolutely below it."""

TOLERANCE_PER_ROW = 3e-13
"""Allowed difference of a projection per row (over a thousand ulp of each mapped value)."""

TOLERANCE_FLOOR = 1e-9
"""Allowed difference of a projection whatever the number of rows."""

_N_SIGNED = 3
_SIGN_SEED = 20261202


@dataclass(frozen=True)
class CatalogFingerprint:
    """The machine-independent identity of a table (see the module description).

    Attributes
    ----------
    rows
        Number of rows.
    exact
        SHA-256 (hex) of the parts compared exactly: rows, column names and dtypes, the values of
        the non-float columns, the positions of non-finite floats.
    projections
        Four sums of each float column's mapped values, by column name.
    """

    rows: int
    exact: str
    projections: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def tolerance(self) -> float:
        """How far two projections of matching tables may differ."""
        return TOLERANCE_PER_ROW * self.rows + TOLERANCE_FLOOR

    @property
    def key(self) -> str:
        """A SHA-256 (hex) of the whole fingerprint at full precision: exact data, one machine."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def difference(self, other: CatalogFingerprint) -> str | None:
        """Why ``other`` is a different table, or None when the two match.

        Examples
        --------
        >>> a = catalog_fingerprint(pd.DataFrame({"class": ["EA", "EW"]}))
        >>> a.difference(catalog_fingerprint(pd.DataFrame({"class": ["EA"]})))
        '1 rows against 2'
        >>> a.difference(catalog_fingerprint(pd.DataFrame({"class": ["EA", "RRab"]})))
        'the ids, classes or other exact columns differ'
        """
        if other.rows != self.rows:
            return f"{other.rows} rows against {self.rows}"
        if other.exact != self.exact or set(other.projections) != set(self.projections):
            return "the ids, classes or other exact columns differ"
        tolerance = max(self.tolerance, other.tolerance)
        for name, mine in self.projections.items():
            gap = float(np.max(np.abs(np.subtract(mine, other.projections[name]))))
            if not gap <= tolerance:
                return (
                    f"column {name} differs (projections by up to {gap:.2g}; "
                    f"tolerance {tolerance:.1e})"
                )
        return None

    def matches(self, other: CatalogFingerprint) -> bool:
        """True when ``other`` is the same table up to last-bit rounding."""
        return self.difference(other) is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (floats as Python floats: JSON keeps them exactly)."""
        return {
            "rows": self.rows,
            "exact": self.exact,
            "projections": {name: list(values) for name, values in self.projections.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CatalogFingerprint:
        """Rebuild a fingerprint from :meth:`to_dict` output.

        Raises
        ------
        ValueError
            If ``data`` is not a fingerprint.

        Examples
        --------
        >>> a = catalog_fingerprint(pd.DataFrame({"x": [1.0, 2.0]}))
        >>> CatalogFingerprint.from_dict(a.to_dict()) == a
        True
        """
        try:
            projections = {
                str(name): tuple(float(value) for value in values)
                for name, values in data["projections"].items()
            }
            return cls(rows=int(data["rows"]), exact=str(data["exact"]), projections=projections)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ValueError(f"not a catalogue fingerprint: {error!r}") from None


def catalog_fingerprint(catalog: pd.DataFrame) -> CatalogFingerprint:
    """The fingerprint of a table: exact where a CPU cannot change it, tolerant in the floats.

    Examples
    --------
    >>> table = pd.DataFrame({"object_id": ["KIC 1"], "mag": [12.5]})
    >>> fingerprint = catalog_fingerprint(table)
    >>> fingerprint.rows, sorted(fingerprint.projections), len(fingerprint.exact)
    (1, ['mag'], 64)
    """
    digest = hashlib.sha256()
    digest.update(f"rows={len(catalog)}\n".encode())
    floats = [name for name in catalog.columns if pd.api.types.is_float_dtype(catalog[name])]
    signs = _signs(len(catalog))
    projections = {}
    for name in catalog.columns:
        digest.update(f"column={name}:{catalog[name].dtype}\n".encode())
        if name in floats:
            values = catalog[name].to_numpy(dtype=np.float64)
            finite = np.isfinite(values)
            digest.update(np.packbits(finite).tobytes())
            kinds = np.where(np.isnan(values[~finite]), 0, np.sign(values[~finite]))
            digest.update(kinds.astype(np.int8).tobytes())
            projections[str(name)] = _projections(values, finite, signs)
    rest = catalog.drop(columns=floats)
    digest.update(rest.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return CatalogFingerprint(rows=len(catalog), exact=digest.hexdigest(), projections=projections)


def _signs(n: int) -> np.ndarray:
    """Fixed pseudo-random signs ``(_N_SIGNED, n)``: integers from PCG64, the same everywhere."""
    rng = np.random.default_rng(_SIGN_SEED)
    return rng.integers(0, 2, size=(_N_SIGNED, n), dtype=np.int8) * 2 - 1


def _projections(values: np.ndarray, finite: np.ndarray, signs: np.ndarray) -> tuple[float, ...]:
    mapped = np.where(finite, np.arcsinh(np.where(finite, values, 0.0) / FLOOR), 0.0)
    weights = np.vstack([np.ones((1, values.size), dtype=np.int8), signs])
    return tuple(float(np.sum(mapped * row, dtype=np.longdouble)) for row in weights)
