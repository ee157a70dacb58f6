"""Matches whose catalogued period the query's own light curve supports come first.

A search by light curve knows more than the embedding: the query's own periodogram. Its best
period is the star's for most pulsators, and a simple fraction of it for binaries: of 30
ground-based light curves of each class of the ``demo-mixed`` survey, the strongest peak lay at
the period for all RR Lyrae stars and type II Cepheids and 28 of the delta Scuti stars and Miras,
at half the orbit for every contact binary and 20 detached ones (3 more at a quarter), and at the
period for 6 of the semi-regular variables only (``benchmarks/peak_multiples.py``). So among the
``pool`` nearest candidates in embedding space,
those whose catalogued period is the query's own period times 1/3, 1/2, 1, 2, 3 or 4
(:data:`PERIOD_MULTIPLES`, within a relative ``tolerance``) are ranked first, each group in the
embedding's order; the rest follow in the embedding's order, and candidates beyond the pool keep
their places. The embedding still decides which objects are candidates (their class, shape and
sampling); the light curve's own period decides which of them come first.

Where the catalogue has classes, only candidates of a class that holds at least ``class_share``
of the embedding's own top ``k`` move forward: the period reorders what the embedding found, it
does not bring in another kind of star. This matters for ground-based light curves whose
strongest peak is an alias of the nightly sampling (about one day, the alias of a slow variation):
a semi-regular variable answered by semi-regulars is not answered by RR Lyrae stars of half a day
because its periodogram peaks at one day.

A candidate without a catalogued period is never supported (its place among the unsupported is
the embedding's), and a query whose light curve gives no period changes nothing.

Measured on the held-out ground-based variables of ``demo-mixed`` with ``runs/default``
(``benchmarks/mixed_cadences.py``; README, "Every survey's light curves").

Examples
--------
>>> periods = np.array([0.5, 12.0, np.nan, 6.1, 3.0, 24.1])
>>> supported(periods, 6.0, tolerance=0.03).tolist()      # 6.1 and 3.0 are 6 x 1 and 6 / 2
[False, True, False, True, True, True]
>>> moved = moved_forward(periods, 6.0, tolerance=0.03, pool=4)
>>> period_first(moved).tolist()                           # the first 4 reordered, the rest kept
[1, 3, 0, 2, 4, 5]
>>> period_first(moved_forward(periods, None, tolerance=0.03, pool=4)).tolist()
[0, 1, 2, 3, 4, 5]

With classes: the top 2 are an EA and an RRab (each half of them), so both may move forward,
a Mira may not; of the top 3, two are EA, and a share of 0.6 lets the EA alone move.

>>> classes = np.array(["EA", "RRab", "EA", "MIRA", "EA", "EA"])
>>> period_first(moved_forward(periods, 6.0, 0.03, pool=6, classes=classes, k=2)).tolist()
[1, 4, 5, 0, 2, 3]
>>> shared = moved_forward(periods, 6.0, 0.03, pool=6, classes=classes, k=3, class_share=0.6)
>>> period_first(shared).tolist()
[4, 5, 0, 1, 2, 3]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["PERIOD_MULTIPLES", "moved_forward", "period_first", "supported"]

PERIOD_MULTIPLES: tuple[float, ...] = (1 / 3, 1 / 2, 1.0, 2.0, 3.0, 4.0)
"""Catalogued periods a query's own period supports, as multiples of it."""


def supported(periods: ArrayLike, own_period: float, tolerance: float) -> NDArray[np.bool_]:
    """Which ``periods`` (days; NaN: none catalogued) are ``own_period`` times one of
    :data:`PERIOD_MULTIPLES`, within a relative ``tolerance``."""
    values = np.asarray(periods, dtype=np.float64)
    multiples = own_period * np.asarray(PERIOD_MULTIPLES)
    with np.errstate(invalid="ignore"):
        near = np.abs(values[:, None] / multiples[None, :] - 1.0) <= tolerance
    return near.any(axis=1)


def moved_forward(
    periods: ArrayLike,
    own_period: float | None,
    tolerance: float,
    pool: int,
    *,
    classes: ArrayLike | None = None,
    k: int = 10,
    class_share: float = 0.2,
) -> NDArray[np.bool_]:
    """Which candidates ranked by the embedding (``periods``: their catalogued periods, best
    first) move to the front: of the first ``pool``, those whose period ``own_period`` supports
    and, if their ``classes`` are known, whose class holds ``class_share`` of the first ``k``
    (see the module description); none when ``own_period`` is None."""
    values = np.asarray(periods, dtype=np.float64)
    moved = np.zeros(values.size, dtype=bool)
    if own_period is None or not np.isfinite(own_period) or own_period <= 0:
        return moved
    head = slice(0, min(pool, values.size))
    moved[head] = supported(values[head], own_period, tolerance)
    if classes is not None:
        labels = np.asarray(classes)[head]
        names, counts = np.unique(labels[:k], return_counts=True)
        moved[head] &= np.isin(labels, names[counts >= class_share * min(k, labels.size)])
    return moved


def period_first(moved: ArrayLike) -> NDArray[np.int64]:
    """The order of candidates ranked by the embedding with those ``moved`` (the mask of
    :func:`moved_forward`) first, each group in the embedding's order."""
    return np.argsort(~np.asarray(moved, dtype=bool), kind="stable")
