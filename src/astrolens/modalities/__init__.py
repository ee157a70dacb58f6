"""Modalities by name: the kinds of input astrolens reads (light curves; galaxy images later).

Each modality is one module here and one line below (:func:`register_modality`); see
:mod:`astrolens.modalities.base` for what a modality does.

Examples
--------
>>> modality_names(), modality_class("lightcurve").name
(('lightcurve',), 'lightcurve')
>>> modality_class("spectrum")
Traceback (most recent call last):
...
ValueError: no modality named 'spectrum'; known: lightcurve
"""

from astrolens.modalities.base import (
    Item,
    Modality,
    modality_class,
    modality_names,
    register_modality,
)

register_modality("lightcurve", "astrolens.modalities.lightcurve:LightCurveModality")

__all__ = ["Item", "Modality", "modality_class", "modality_names", "register_modality"]
