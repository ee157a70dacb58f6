"""JSON round trip and stable keys for the configuration dataclasses of astrolens.

Every stage that produces something on disk (resampled series, power images, models) is driven by a
frozen dataclass; the dataclass is saved as JSON next to what it produced, and a short hash of it
names the folder, so that outputs made with different settings never mix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any, TypeVar

ConfigT = TypeVar("ConfigT", bound="JsonConfig")


class JsonConfig:
    """Mixin for frozen dataclasses whose fields are JSON-able (numbers, strings, None, tuples).

    Tuple fields come back from JSON as lists; a subclass converts them back in ``__post_init__``.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Binning(JsonConfig):
    ...     n_bins: int = 64
    >>> Binning.from_dict(Binning(n_bins=32).to_dict())
    Binning(n_bins=32)
    >>> Binning().key() == Binning(n_bins=64).key() != Binning(n_bins=32).key()
    True
    """

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict, ready for :func:`json.dumps`."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[ConfigT], data: Mapping[str, Any]) -> ConfigT:
        """Rebuild a configuration from :meth:`to_dict` output (e.g. read back from JSON).

        Raises
        ------
        ValueError
            If ``data`` has keys that are not fields of the configuration.
        """
        names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(
                f"{cls.__name__} has no field(s) {unknown}; known fields: {sorted(names)}"
            )
        return cls(**data)

    def key(self) -> str:
        """A short hash (12 hex digits) of the configuration, stable across runs and platforms."""
        return stable_key(self.to_dict())


def stable_key(data: Mapping[str, Any]) -> str:
    """A short hash (12 hex digits) of a JSON-able mapping, independent of key order.

    Examples
    --------
    >>> stable_key({"a": 1, "b": [2.0, 3]}) == stable_key({"b": [2.0, 3], "a": 1})
    True
    >>> len(stable_key({}))
    12
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
