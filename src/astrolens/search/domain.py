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
its representation that can be read, against those of the survey's objects. And the answer is
checked against the query (:class:`ClassStatistics`): the query's own statistics (for light
curves: amplitude, shape of the flux distribution, time structure, periods) against those of the
survey's objects of the class most of its matches are. A one-off dip answered with constant
stars, or a light curve answered with a class whose members never look like it, is said. So is
an answer read from part of a cycle (:class:`PeriodCoverage`): half or more of the matches
vary with catalogued periods longer than the query's light curve can show. And an answer whose
period the light curve contradicts (:class:`LoneDip`): its only dip (one transit or eclipse)
does not come back where the matches' period puts it, though the light curve was observing.

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
from numpy.typing import ArrayLike, NDArray

from astrolens.index.base import VectorIndex
from astrolens.periodogram import PeriodogramConfig
from astrolens.preprocess import point_to_point_scatter, robust_scatter

__all__ = [
    "ClassStatistics",
    "DomainCheck",
    "LoneDip",
    "NoveltyReference",
    "ObjectProfile",
    "PeriodCoverage",
    "SamplingEnvelope",
    "novelty_reference",
]


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


@dataclass(frozen=True)
class ObjectProfile:
    """One survey object as the domain check compares a query with it: its class (None when the
    catalogue has none), its sampling and its statistics (:meth:`Modality.sampling`,
    :meth:`Modality.statistics`)."""

    label: str | None
    sampling: Mapping[str, float]
    statistics: Mapping[str, float]


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


@dataclass(frozen=True)
class PeriodCoverage:
    """Can the query's light curve show the periods its matches vary with?

    A light curve constrains a period only when at least ``min_cycles`` cycles of it fit in its
    baseline (the coverage rule of :mod:`astrolens.periodogram`, whose ``min_cycles`` this is):
    a baseline ``T`` shows periods up to ``T / min_cycles``. When at least ``share`` of the
    matches have a catalogued period longer than that, their class was read from part of a
    cycle, and the reason says how many, their median period and what the baseline shows.
    Matches without a catalogued period (constant stars, granulation) count among the matches,
    never among the long ones.

    Examples
    --------
    >>> coverage = PeriodCoverage()
    >>> coverage.reasons(2900.0, [312.0, 280.0, 95.0])  # eight years of OGLE: Miras fit
    ()
    >>> print(coverage.reasons(90.0, [152.0, 120.0, 300.0, 2.5, np.nan])[0])
    3 of its 5 matches vary with periods longer than this light curve can show (median 152 d; \
its 90-day baseline shows periods up to 45 d): their class is read from part of a cycle
    """

    min_cycles: float = PeriodogramConfig.min_cycles
    share: float = 0.5

    def reasons(self, baseline_days: float, periods_days: ArrayLike) -> tuple[str, ...]:
        """Why the matches' catalogued ``periods_days`` (NaN: none) cannot be seen in a light
        curve spanning ``baseline_days`` (empty: fewer than ``share`` of them cannot, or the
        baseline is not known)."""
        periods = np.asarray(periods_days, dtype=np.float64)
        if periods.size == 0 or not (np.isfinite(baseline_days) and baseline_days > 0):
            return ()
        longest = baseline_days / self.min_cycles
        beyond = periods[np.isfinite(periods) & (periods > longest)]
        if beyond.size == 0 or beyond.size < self.share * periods.size:
            return ()
        return (
            f"{beyond.size} of its {periods.size} matches vary with periods longer than this "
            f"light curve can show (median {_days(float(np.median(beyond)))} d; its "
            f"{_days(baseline_days)}-day baseline shows periods up to {_days(longest)} d): "
            "their class is read from part of a cycle",
        )


@dataclass(frozen=True)
class LoneDip:
    """Does the query's only dip come back where its matches' periods put it?

    A light curve whose only feature is one dip (a single transit or eclipse, one dimming) has
    no period of its own, and its embedding may still lie among periodic stars (transiting
    planets, eclipsing binaries) whose catalogued periods it would have shown again. The dip is
    the epochs at least ``depth_sigma`` times the light curve's point-to-point scatter below its
    median (the scatter from consecutive differences, which slow variability does not inflate),
    taken in runs whose consecutive low epochs lie at most ``join`` median spacings apart: the
    largest run, of at least ``min_points`` epochs, with no other run that long (a dip that came
    back would be a second one; shorter ones are noise), at least ``fill`` of the
    epochs between its first and its last (a few low epochs scattered in a trough are noise, not
    a dip), and the rest of the light curve quiet (its robust standard deviation at most
    ``quiet`` times the scatter: a star that varies, a semi-regular with one deep minimum, has
    no lone dip), and nowhere else a stretch as long as the dip whose mean flux falls half as
    far below the median (a shallower dip: a transit whose other passages stay under the
    threshold, the other minima of a semi-regular). A match's period ``P`` is contradicted
    when the dip lasts less than ``span_share`` of ``P`` and the light curve observed the whole
    of a window around ``t0 + n P`` (``n`` = -3 to 3 but 0; ``t0`` the middle of the dip; the
    window the dip's length plus ``tolerance`` of ``P`` for each cycle: no gap in it longer
    than half the dip) without one low epoch; not when no window was observed. When at least
    ``share`` of the matches have a contradicted period, the reason says how many, their median
    period and what was observed. A periodic signal, a dip that comes back, a dip whose returns
    fall in gaps and matches without periods are not judged; nor are flux rises (a flare repeats
    with no period).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> time = np.arange(0.0, 27.0, 2.0 / (24 * 60))  # a TESS sector at 2 minutes
    >>> noise = rng.normal(0.0, 5e-4, time.size)
    >>> lone = 1.0 - 0.01 * (np.abs(time - 13.2) < 0.15) + noise
    >>> print(LoneDip().reasons(time, lone, [4.1, 3.9, 4.0, np.nan])[0])
    its only dip (at t = 13.20 d, 0.3 d long) does not come back where the periods of 3 of its 4 \
matches put it (median 4 d; at 4 d the light curve observed 6 of the 6 stretches whole periods \
before or after the dip, none as low): one dip does not tell a period
    >>> periodic = 1.0 - 0.01 * (np.abs((time - 1.2 + 2.0) % 4.0 - 2.0) < 0.15) + noise
    >>> LoneDip().reasons(time, periodic, [4.1, 3.9, 4.0])
    ()
    """

    depth_sigma: float = 5.0
    min_points: int = 3
    span_share: float = 0.5
    tolerance: float = 0.05
    cycles: int = 3
    share: float = 0.2
    quiet: float = 3.0
    fill: float = 0.5
    join: float = 5.0

    def reasons(self, time: ArrayLike, flux: ArrayLike, periods_days: ArrayLike) -> tuple[str, ...]:
        """Why the matches' catalogued ``periods_days`` (NaN: none) do not fit the query's
        only dip (``time`` in days, relative ``flux``, sorted by time); empty when too few are
        contradicted, or the light curve has no lone dip."""
        periods = np.asarray(periods_days, dtype=np.float64)
        time = np.asarray(time, dtype=np.float64)
        flux = np.asarray(flux, dtype=np.float64)
        if periods.size == 0 or time.size < 4 * self.min_points:
            return ()
        scatter, median = point_to_point_scatter(flux), float(np.median(flux))
        low = flux < median - self.depth_sigma * max(scatter, 1e-12)
        if low.sum() < self.min_points:
            return ()
        spacing = float(np.median(np.diff(time)))
        runs = _runs(np.flatnonzero(low), time, self.join * spacing)
        sizes = sorted(run.size for run in runs)
        if sizes[-1] < self.min_points or (len(sizes) > 1 and sizes[-2] >= self.min_points):
            return ()  # no dip, or a second one
        dip = max(runs, key=len)
        start, end = float(time[dip[0]]), float(time[dip[-1]])
        if dip.size < self.fill * np.sum((time >= start) & (time <= end)):
            return ()  # low epochs scattered among others: the noise of a trough, not a dip
        outside = flux[(time < start) | (time > end)]
        if outside.size < self.min_points or robust_scatter(outside) > self.quiet * scatter:
            return ()  # it varies outside the dip too: not a lone dip in a quiet light curve
        if self._dips_elsewhere(time, flux, start, end, median, spacing):
            return ()  # a shallower dip elsewhere: it may come back below the threshold
        seen = {}
        for period in np.unique(periods[np.isfinite(periods) & (periods > 0)]):
            if end - start >= self.span_share * period:
                continue
            looked, observed = self._returns(time, low, start, end, float(period))
            if observed:
                seen[float(period)] = (looked, observed)
        contradicted = np.array([p for p in periods if float(p) in seen])
        if contradicted.size == 0 or contradicted.size < self.share * periods.size:
            return ()
        median = float(np.median(contradicted))
        closest = min(seen, key=lambda period: abs(period - median))
        looked, observed = seen[closest]
        return (
            f"its only dip (at t = {(start + end) / 2:.2f} d, {end - start:.2g} d long) does not "
            f"come back where the periods of {contradicted.size} of its {periods.size} matches put "
            f"it (median {_days(median)} d; at {_days(closest)} d the light curve observed "
            f"{observed} of the {looked} stretches whole periods before or after the dip, none "
            "as low): one dip does not tell a period",
        )

    def _dips_elsewhere(
        self,
        time: NDArray[np.float64],
        flux: NDArray[np.float64],
        start: float,
        end: float,
        median: float,
        spacing: float,
    ) -> bool:
        """Whether the mean flux over a stretch as long as the dip (at least ``min_points``
        epochs) falls anywhere else half as far below the ``median`` flux as over the dip
        (``spacing``: the median time between epochs)."""
        length = max(end - start, self.min_points * spacing)
        ends = np.searchsorted(time, time + length, side="right")
        counts = ends - np.arange(time.size)
        sums = np.concatenate([[0.0], np.cumsum(flux)])
        means = (sums[ends] - sums[:-1]) / counts
        enough = counts >= self.min_points
        over_dip = enough & (time >= start - length) & (time <= end)
        if not over_dip.any():
            return False
        depth = median - float(np.min(means[over_dip]))
        elsewhere = enough & ((time + length < start) | (time > end))
        return bool(np.any(means[elsewhere] < median - depth / 2))

    def _returns(
        self,
        time: NDArray[np.float64],
        low: NDArray[np.bool_],
        start: float,
        end: float,
        period: float,
    ) -> tuple[int, int]:
        """Of the windows whole ``period`` before or after the dip from ``start`` to ``end``:
        how many lie within the light curve, and how many it observed whole without a ``low``
        epoch."""
        middle, length = (start + end) / 2.0, end - start
        looked = observed = 0
        for n in (*range(-self.cycles, 0), *range(1, self.cycles + 1)):
            half = length / 2.0 + abs(n) * self.tolerance * period
            centre = middle + n * period
            if centre - half < time[0] or centre + half > time[-1]:
                continue
            looked += 1
            inside = (time >= centre - half) & (time <= centre + half)
            stretch = np.concatenate([[centre - half], time[inside], [centre + half]])
            whole = inside.sum() >= self.min_points and np.max(np.diff(stretch)) <= length / 2
            if whole and not low[inside].any():
                observed += 1
        return looked, observed


def _days(value: float) -> str:
    """A number of days as a sentence says it: three digits, whole days from 1,000."""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


@dataclass(frozen=True)
class ClassStatistics:
    """The statistics of a sample of the survey's objects, by class: is a query like the members
    of the class its matches are?

    Every statistic is standardised by its median and its inter-quartile range over the whole
    sample. A class's *spread* is the largest distance of one of its members to the ``k``-th
    nearest other member (or a lower percentile of those distances, for a modality whose
    classes hold a few members unlike the rest: ``Modality.spread_percentile``). A query
    farther than ``limit`` times its answer's spread from the ``k``-th nearest member of that
    class is unlike every member the survey has: the reason names the statistics where it
    differs most from the nearest member, with the class's range. Classes with fewer than
    ``min_members`` members in the sample are not judged.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> names = ("amplitude", "skewness")
    >>> features = np.vstack([rng.normal([0, 0], 0.1, (30, 2)), rng.normal([3, 0], 0.1, (30, 2))])
    >>> reference = ClassStatistics.of(features, ["CONSTANT"] * 30 + ["EA"] * 30, names)
    >>> reference.reasons({"amplitude": 0.02, "skewness": 0.05}, "CONSTANT")
    ()
    >>> print(reference.reasons({"amplitude": 0.0, "skewness": -4.0}, "CONSTANT")[0])
    its statistics are unlike those of every CONSTANT object of the survey, the class of most of \
its matches (32 times their spread): skewness -4 (CONSTANT: -0.189 to 0.204)
    """

    names: tuple[str, ...]
    centre: NDArray[np.float64]
    scale: NDArray[np.float64]
    members: Mapping[str, NDArray[np.float64]]
    """Standardised statistics of each class's members, ``(n, len(names))``."""
    spreads: Mapping[str, float]
    k: int = 3
    limit: float = 1.5

    @classmethod
    def of(
        cls,
        features: NDArray[np.floating[Any]],
        classes: Sequence[str],
        names: Sequence[str],
        *,
        k: int = 3,
        limit: float = 1.5,
        min_members: int = 10,
        spread_percentile: float = 100.0,
    ) -> ClassStatistics:
        """The reference of a sample: ``features`` ``(n, len(names))``, one class each; a
        class's spread is this percentile of its members' distances to their ``k``-th nearest
        other member (100: the largest)."""
        values = np.asarray(features, dtype=np.float64).reshape(len(classes), len(names))
        centre = np.median(values, axis=0)
        low, high = np.percentile(values, [25, 75], axis=0)
        scale = np.maximum((high - low) / 1.349, 1e-9)
        labels = np.asarray(classes, dtype=str)
        members, spreads = {}, {}
        for name in np.unique(labels):
            standardised = (values[labels == name] - centre) / scale
            if len(standardised) < max(min_members, k + 1):
                continue
            members[str(name)] = standardised
            kth = _kth_distances(standardised, standardised, k + 1)
            spreads[str(name)] = float(np.percentile(kth, spread_percentile))
        return cls(tuple(names), centre, scale, members, spreads, k, limit)

    def reasons(self, statistics: Mapping[str, float], answer: str) -> tuple[str, ...]:
        """Why a query with ``statistics`` (by name) is unlike the survey's ``answer`` objects
        (empty: alike, or the class is not judged, or a statistic is missing or not finite)."""
        if answer not in self.members or not all(name in statistics for name in self.names):
            return ()
        values = np.array([statistics[name] for name in self.names], dtype=np.float64)
        if not np.all(np.isfinite(values)):
            return ()
        query = (values - self.centre) / self.scale
        members = self.members[answer]
        distances = np.sqrt(np.sum((members - query) ** 2, axis=1))
        ratio = float(np.sort(distances)[self.k - 1] / max(self.spreads[answer], 1e-9))
        if ratio <= self.limit:
            return ()
        nearest = members[np.argmin(distances)]
        order = np.argsort(-np.abs(query - nearest))
        outside = (query < members.min(axis=0)) | (query > members.max(axis=0))
        named = [int(j) for j in order if outside[j]][:2] or [int(order[0])]
        said = ", ".join(self._range_of(j, values[j], answer) for j in named)
        return (
            f"its statistics are unlike those of every {answer} object of the survey, the "
            f"class of most of its matches ({ratio:.2g} times their spread): {said}",
        )

    def _range_of(self, j: int, value: float, answer: str) -> str:
        column = self.members[answer][:, j] * self.scale[j] + self.centre[j]
        return (
            f"{self.names[j]} {value:.3g} ({answer}: {np.min(column):.3g} to {np.max(column):.3g})"
        )


def _runs(
    indices: NDArray[np.intp], time: NDArray[np.float64], join: float
) -> list[NDArray[np.intp]]:
    """``indices`` (sorted, not empty) in groups whose consecutive times are at most ``join``
    apart."""
    return np.split(indices, np.flatnonzero(np.diff(time[indices]) > join) + 1)


def _kth_distances(
    points: NDArray[np.float64], among: NDArray[np.float64], k: int
) -> NDArray[np.float64]:
    """Each point's Euclidean distance to its ``k``-th nearest of ``among`` (1: the nearest)."""
    distances = np.sqrt(np.sum((points[:, None, :] - among[None, :, :]) ** 2, axis=2))
    return np.sort(distances, axis=1)[:, min(k, among.shape[0]) - 1]
