"""Is a query like anything the survey holds? Its embedding's novelty against the survey's own.

A query that is unlike every object of the survey still has nearest neighbours, and a search
returns them with the same confidence as for a query the model knows well. :class:`DomainCheck`
says how far out it is: the distance from the query's embedding to its ``k``-th nearest
neighbour, as a percentile of the same distance for the survey's own objects (each to its
``k``-th neighbour other than itself; :class:`NoveltyReference`, from a seeded sample). A query
farther out than :attr:`~astrolens.search.SearchConfig.novelty_percentile` of the survey's objects
is out of domain, and the check says why in words a user can act on. The embedding alone does not
tell (a classifier puts what it has never seen in the middle of its space), so the query's
sampling is compared too (:class:`SamplingEnvelope`): epochs, baseline, spacing and the share of
its representation that can be read, against those of the survey's objects.

Examples
--------
>>> from astrolens.index import build_index
>>> rng = np.random.default_rng(0)
>>> vectors = rng.normal(size=(500, 8)).astype(np.float32)
>>> reference = novelty_reference(build_index(vectors, np.arange(500), run="r", progress=False),
...                               k=5)
>>> reference.check(float(np.median(reference.distances))).in_domain
True
>>> far = reference.check(100.0)
>>> far.in_domain, far.percentile
(False, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from astrolens.index.base import VectorIndex

__all__ = ["DomainCheck", "NoveltyReference", "SamplingEnvelope", "novelty_reference"]


@dataclass(frozen=True)
class DomainCheck:
    """How a query compares with the survey (see the module description).

    Attributes
    ----------
    percentile
        Share of the survey's objects whose ``k``-th neighbour is nearer than the query's
        (0: as central as any; 1: farther out than all of them).
    distance
        The query's embedding distance to its ``k``-th nearest neighbour.
    survey_median
        The survey objects' median distance to their ``k``-th neighbour.
    k
        Which neighbour.
    reasons
        Why the query is out of domain, one sentence each; empty when it is not.
    """

    percentile: float
    distance: float
    survey_median: float
    k: int
    reasons: tuple[str, ...] = ()

    @property
    def in_domain(self) -> bool:
        """Whether the search may be taken at its word (no reason to doubt it)."""
        return not self.reasons

    @property
    def warning(self) -> str | None:
        """One line for a user, or None when the query is in domain."""
        if self.in_domain:
            return None
        return "unlike what this survey and model know: " + "; ".join(self.reasons)

    def with_reasons(self, *reasons: str) -> DomainCheck:
        """The same check with more reasons to doubt the answer."""
        return DomainCheck(
            self.percentile, self.distance, self.survey_median, self.k, self.reasons + reasons
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (for the web API)."""
        return {
            "in_domain": self.in_domain,
            "percentile": self.percentile,
            "distance": self.distance,
            "survey_median": self.survey_median,
            "k": self.k,
            "reasons": list(self.reasons),
            "warning": self.warning,
        }


@dataclass(frozen=True)
class NoveltyReference:
    """The survey's own distances to their ``k``-th neighbour, sorted (a sample of objects)."""

    k: int
    distances: NDArray[np.float32]
    limit: float = 0.99
    """Percentile beyond which a query is out of domain."""
    sampled: int = field(default=0)

    def percentile(self, distance: float) -> float:
        """Share of the reference distances at most ``distance``."""
        if self.distances.size == 0:
            return 0.0
        rank = np.searchsorted(self.distances, distance, side="right")
        return float(rank / self.distances.size)

    def check(self, distance: float) -> DomainCheck:
        """The :class:`DomainCheck` of a query whose ``k``-th neighbour is at ``distance``."""
        percentile = self.percentile(distance)
        median = float(np.median(self.distances)) if self.distances.size else float("nan")
        reasons = ()
        if percentile >= self.limit:
            reasons = (
                f"its nearest neighbours are farther than those of {self.limit:.0%} of the "
                f"survey's own objects (distance to neighbour {self.k}: {distance:.3g}, survey "
                f"median {median:.3g})",
            )
        return DomainCheck(percentile, float(distance), median, self.k, reasons)


def novelty_reference(
    index: VectorIndex, k: int = 10, sample: int = 2000, seed: int = 0, limit: float = 0.99
) -> NoveltyReference:
    """The :class:`NoveltyReference` of an index: a seeded sample of its objects, each with its
    distance to its ``k``-th neighbour other than itself.

    Raises
    ------
    ValueError
        If the index holds ``k`` objects or fewer.
    """
    n = len(index)
    if n <= k:
        raise ValueError(f"a novelty reference needs more than k = {k} objects, got {n}")
    rng = np.random.default_rng(seed)
    positions = np.sort(rng.choice(n, min(sample, n), replace=False))
    distances, neighbours = index.search_positions(index.get_vectors(positions), k + 1)
    is_self = neighbours == positions[:, None]
    is_self[~is_self.any(axis=1), -1] = True  # not found itself: drop the farthest instead
    kth = distances[~is_self].reshape(len(positions), k)[:, -1]
    return NoveltyReference(k, np.sort(kth.astype(np.float32)), limit, len(positions))


_SPREAD = 3.0
"""How many times beyond the survey's range a spacing or a baseline may lie."""


@dataclass(frozen=True)
class SamplingEnvelope:
    """The range of each sampling number (:meth:`astrolens.modalities.Modality.sampling`) over
    a sample of the survey's objects: 1st to 99th percentile.

    Examples
    --------
    >>> survey = [{"epochs": 4000.0 + i, "median_spacing_days": 0.0204} for i in range(50)]
    >>> envelope = SamplingEnvelope.of(survey)
    >>> envelope.reasons({"epochs": 4010.0, "median_spacing_days": 0.0204})
    ()
    >>> for reason in envelope.reasons({"epochs": 30.0, "median_spacing_days": 1.9}):
    ...     print(reason)
    it has 30 epochs, the survey's light curves at least 4,000
    it is sampled every 1.9 d (median), the survey's light curves every 0.0204-0.0204 d
    """

    ranges: Mapping[str, tuple[float, float]]

    @classmethod
    def of(cls, samplings: Sequence[Mapping[str, float]]) -> SamplingEnvelope:
        """The envelope of the survey objects' sampling numbers (empty for none)."""
        keys = sorted({key for sampling in samplings for key in sampling})
        ranges = {}
        for key in keys:
            values = np.array([sampling[key] for sampling in samplings if key in sampling])
            values = values[np.isfinite(values)]
            if values.size:
                low, high = np.percentile(values, [1, 99])
                ranges[key] = (float(low), float(high))
        return cls(ranges)

    def reasons(self, sampling: Mapping[str, float]) -> tuple[str, ...]:
        """Why a query's sampling is unlike the survey's, one sentence each (empty: alike)."""
        found = []
        for key, value in sampling.items():
            if key not in self.ranges or not np.isfinite(value):
                continue
            low, high = self.ranges[key]
            reason = _sampling_reason(key, float(value), low, high)
            if reason is not None:
                found.append(reason)
        return tuple(found)


def _sampling_reason(key: str, value: float, low: float, high: float) -> str | None:
    """A sentence when ``value`` of the sampling number ``key`` lies outside ``[low, high]``."""
    if key == "epochs" and value < low / 2:
        return f"it has {value:,.0f} epochs, the survey's light curves at least {low:,.0f}"
    if key == "median_spacing_days" and not low / _SPREAD <= value <= high * _SPREAD:
        return (
            f"it is sampled every {value:.3g} d (median), the survey's light curves every "
            f"{low:.3g}-{high:.3g} d"
        )
    if key == "baseline_days" and not low / _SPREAD <= value <= high * _SPREAD:
        return f"it spans {value:.4g} d, the survey's light curves {low:.3g}-{high:.3g} d"
    if key == "valid_share" and value < low - 0.1:
        return (
            f"only {value:.0%} of its power image can be read (cone of influence, gaps), the "
            f"survey's at least {low:.0%}"
        )
    return None
