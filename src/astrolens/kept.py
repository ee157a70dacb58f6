"""Values derived from read-only arrays, kept while those arrays live.

A server answers the same filter again and again: the catalogue keeps the filter's mask (one
read-only array per filter), and what the search layer and the index derive from it (the mask
in index order, its count, FAISS's bitmap and the allowed vectors of each list) need not be
derived again for the same array. :class:`KeptByArray` keeps them by the array's identity, for
arrays that cannot change: read-only and owning their data (a read-only view of a writeable
array can change under it, so nothing is kept for one).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["KeptByArray"]

T = TypeVar("T")


class KeptByArray:
    """Values computed from an array, kept for the last ``size`` read-only arrays asked about.

    Parameters
    ----------
    size
        How many arrays' values are kept (least recently used first out).

    Examples
    --------
    >>> kept = KeptByArray(size=4)
    >>> mask = np.array([True, False, True])
    >>> mask.flags.writeable = False
    >>> calls = []
    >>> def count() -> int:
    ...     calls.append(1)
    ...     return int(mask.sum())
    >>> kept.get(mask, "count", count), kept.get(mask, "count", count), len(calls)
    (2, 2, 1)
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self.size = size
        self._entries: OrderedDict[int, tuple[weakref.ref[np.ndarray], dict[str, Any]]] = (
            OrderedDict()
        )

    def get(self, array: np.ndarray, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, or the value it gave for this very ``array`` before under ``name``.

        Nothing is kept for an array that is writeable or a view (it could change).
        """
        if array.flags.writeable or not array.flags.owndata:
            return compute()
        key = id(array)
        entry = self._entries.pop(key, None)
        if entry is None or entry[0]() is not array:  # an id outlives its array: check
            entry = (weakref.ref(array), {})
        self._entries[key] = entry
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        values = entry[1]
        if name not in values:
            values[name] = compute()
        return values[name]
