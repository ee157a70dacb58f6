"""What every modality does, and the registry of modalities by name.

A modality is a kind of input: light curves now, galaxy images later. It owns the steps every front
end needs between a user's input and an encoder: load the input once (a path, or an object already
in memory), say what it is (object id, mission or survey, position, magnitude), compute the
representations encoders read (cached on the loaded item, so nothing is computed twice), and give
what to draw of it. Each modality is one class in one module of :mod:`astrolens.modalities`,
registered by name with one line; a run records its modality in ``config.json``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from astrolens.plugins import Registry

__all__ = ["Item", "Modality", "modality_class", "modality_names", "register_modality"]


@dataclass(eq=False)
class Item:
    """One input, loaded once: its data, what it is, and what has been computed from it.

    Attributes
    ----------
    label
        What to call it: the object it names, else what the caller called it (an uploaded
        file's name), else where it came from.
    meta
        What the input says it is: ``object_id``, ``mission``, ``ra``, ``dec``, ``mag``, ...
    data
        The modality's own form of the input (for light curves: arrays or a cleaned series).
    computed
        Results kept by the modality (cleaned series, representations), by name.
    """

    label: str
    meta: dict[str, Any]
    data: Any
    computed: dict[str, Any] = field(default_factory=dict)


class Modality(ABC):
    """A kind of input (see the module description)."""

    name: ClassVar[str]
    """The registry name, recorded in a run's ``config.json``."""

    query_kind: ClassVar[str]
    """What a query of this modality is called in a search result (``"lightcurve"``,
    ``"image"``)."""

    spread_percentile: ClassVar[float] = 100.0
    """How wide a class of the survey is, for the domain check of a query's :meth:`statistics`
    (:class:`astrolens.search.domain.ClassStatistics`): this percentile of the distances of the
    class's members to their nearest fellows (100: the largest). Lower for a modality whose
    classes hold a few members unlike the rest, which would make every query look like one."""

    @classmethod
    @abstractmethod
    def from_run_config(cls, saved: Mapping[str, Any]) -> Modality:
        """The modality as a run's ``config.json`` (``saved``) configures it."""

    @abstractmethod
    def load(self, source: Any, *, label: str | None = None) -> Item:
        """Read an input once (a path, or an object in memory); ``label`` names an input that
        names no object (an uploaded file's name)."""

    @abstractmethod
    def load_row(self, row: Mapping[str, Any]) -> Item:
        """A simulated survey's object, regenerated from its catalogue row as a file of it would
        be read (what a search draws of its matches and compares a query with)."""

    @abstractmethod
    def represent(self, item: Item, representation: str) -> dict[str, NDArray[Any]]:
        """The representation ``representation`` of one item, as arrays by name (cached)."""

    @abstractmethod
    def empty(self, representation: str, n: int) -> dict[str, NDArray[Any]]:
        """Zero arrays of a representation for ``n`` inputs (what a failed input keeps)."""

    @abstractmethod
    def picture(self, item: Item) -> Any:
        """What to draw of an item (for light curves: the cleaned series and its power image)."""

    def sampling(self, item: Item) -> dict[str, float]:
        """How an item was observed, in numbers a search compares with the survey's (for light
        curves: epochs, baseline, spacing, the valid share of the power image); none by default.
        """
        return {}

    def statistics(self, item: Item) -> dict[str, float]:
        """What an item looks like, in named numbers a search compares with those of the survey's
        objects of the class it answers (for light curves: the hand-crafted features); none by
        default."""
        return {}

    def samples(self, item: Item) -> tuple[NDArray[np.float64], NDArray[np.float64], Any] | None:
        """The measurements of an item as observed, ``time, flux, flux_err`` (for light curves:
        days, relative flux; :class:`~astrolens.search.domain.LoneDip` reads them); None by
        default (images)."""
        return None

    def pieces(self, item: Item, survey_samplings: Sequence[Mapping[str, float]]) -> list[Item]:
        """An item as inputs like the survey's, given the :meth:`sampling` of a sample of its
        objects (for light curves: a continuous light curve longer than the survey's, as pieces
        of their span); ``[item]`` itself by default."""
        return [item]

    def own_period(self, item: Item) -> float | None:
        """The period an item shows by itself, in days, which a search ranks its matches'
        catalogued periods against (:mod:`astrolens.search.periods`; for light curves: the best
        period of the periodogram); None by default."""
        return None


_MODALITIES: Registry[Modality] = Registry("modality", Modality)


register_modality = _MODALITIES.register
"""Register a class (``"package.module:Class"``) under a name: one line per plug-in."""

modality_names = _MODALITIES.names
"""The registered names, sorted."""

modality_class = _MODALITIES.load
"""The class registered under a name (its module imported on first use); a ValueError lists the
known names for an unknown one."""
