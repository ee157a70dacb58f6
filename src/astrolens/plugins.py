"""Plug-ins by name: one registry shape for encoders and index backends.

A plug-in is a class in its own module, registered with one line as ``"package.module:Class"``.
Its module is imported the first time the plug-in is asked for, so naming plug-ins costs nothing
(no TensorFlow for a search that never embeds, no client library for a backend nobody uses).

Examples
--------
>>> from collections import OrderedDict
>>> maps = Registry("mapping", dict)
>>> maps.register("ordered", "collections:OrderedDict")
>>> maps.names(), maps.load("ordered") is OrderedDict
(('ordered',), True)
>>> maps.load("sorted")
Traceback (most recent call last):
...
ValueError: no mapping named 'sorted'; known: ordered
"""

from __future__ import annotations

import importlib
from typing import Generic, TypeVar

__all__ = ["Registry"]

PluginT = TypeVar("PluginT")


class Registry(Generic[PluginT]):
    """Classes of one kind (subclasses of ``base``) by name, imported when first asked for.

    Parameters
    ----------
    kind
        What the plug-ins are, for messages (``"encoder"``, ``"index backend"``).
    base
        The class every plug-in must subclass.
    """

    def __init__(self, kind: str, base: type[PluginT]) -> None:
        self.kind = kind
        self.base = base
        self._targets: dict[str, str] = {}

    def register(self, name: str, target: str) -> None:
        """Register the class ``target`` (``"package.module:Class"``) as ``name``."""
        module_name, _, class_name = target.partition(":")
        if not module_name or not class_name:
            raise ValueError(f"{self.kind} target {target!r} must read 'package.module:Class'")
        self._targets[name] = target

    def names(self) -> tuple[str, ...]:
        """The registered names, sorted."""
        return tuple(sorted(self._targets))

    def load(self, name: str) -> type[PluginT]:
        """The class registered as ``name``, its module imported if need be.

        Raises
        ------
        ValueError
            If nothing has that name (the message lists what has).
        TypeError
            If the registered target is not a subclass of ``base``.
        """
        try:
            target = self._targets[name]
        except KeyError:
            known = ", ".join(self.names())
            raise ValueError(f"no {self.kind} named {name!r}; known: {known}") from None
        module_name, _, class_name = target.partition(":")
        plugin = getattr(importlib.import_module(module_name), class_name)
        if not (isinstance(plugin, type) and issubclass(plugin, self.base)):
            raise TypeError(f"{target} is not an astrolens {self.base.__name__}")
        return plugin
