"""Modalities by name: the kinds of input astrolens reads (light curves, galaxy images).

Each modality is one module here and one line below (:func:`register_modality`); see
:mod:`astrolens.modalities.base` for what a modality does.

Examples
--------
>>> modality_names(), modality_class("galaxy_image").name
(('galaxy_image', 'lightcurve'), 'galaxy_image')
>>> modality_class("spectrum")
Traceback (most recent call last):
...
ValueError: no modality named 'spectrum'; known: galaxy_image, lightcurve
"""

from astrolens.modalities.base import (
    Item,
    Modality,
    modality_class,
    modality_names,
    register_modality,
)

register_modality("lightcurve", "astrolens.modalities.lightcurve:LightCurveModality")
register_modality("galaxy_image", "astrolens.modalities.galaxy:GalaxyImageModality")

__all__ = ["Item", "Modality", "modality_class", "modality_names", "register_modality"]
