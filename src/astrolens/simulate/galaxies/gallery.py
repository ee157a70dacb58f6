"""A gallery of the simulated galaxy classes: one colour image per class in one figure.

Examples
--------
>>> figure = galaxy_gallery(seed=1)
>>> len(figure.axes) >= len(GALAXY_CLASSES)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from astrolens.simulate.galaxies.classes import GALAXY_CLASS_NAMES, GALAXY_CLASSES
from astrolens.simulate.galaxies.render import render_galaxy, render_rgb
from astrolens.simulate.galaxies.survey import (
    DEFAULT_SEED,
    GalaxySurveyConfig,
    generate_galaxy_catalog,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["galaxy_gallery", "galaxy_gallery_examples"]

_KEY_PARAMETERS = {
    "elliptical": ("sersic_n", "n={:.1f}"),
    "lenticular": ("bulge_fraction", "B/T={:.2f}"),
    "spiral": ("pitch_angle_deg", "pitch {:.0f} deg"),
    "barred_spiral": ("bar_length_arcsec", 'bar {:.1f}"'),
    "edge_on_disk": ("inclination_deg", "i={:.0f} deg"),
    "irregular": ("n_clumps", "{:.0f} clumps"),
    "merger": ("companion_flux_ratio", "ratio {:.2f}"),
    "ring": ("ring_radius_arcsec", 'ring {:.1f}"'),
    "lens_arc": ("einstein_radius_arcsec", 'theta_E {:.1f}"'),
    "satellite_trail": ("trail_band", "{} band"),
    "saturated_star": ("star_mag_r", "r={:.1f}"),
}


def galaxy_gallery_examples(seed: int = DEFAULT_SEED, per_class: int = 1) -> pd.DataFrame:
    """The first ``per_class`` catalogue rows of each class of a small survey, in class order.

    Examples
    --------
    >>> list(galaxy_gallery_examples(seed=1)["class"]) == list(GALAXY_CLASS_NAMES)
    True
    """
    catalog = generate_galaxy_catalog(
        GalaxySurveyConfig(name="gallery", n_objects=12 * len(GALAXY_CLASSES), seed=seed)
    )
    chosen = catalog.groupby("class", sort=False).head(per_class)
    order = {name: index for index, name in enumerate(GALAXY_CLASS_NAMES)}
    return chosen.sort_values("class", key=lambda names: names.map(order), kind="stable")


def _title(row: pd.Series) -> str:
    column, template = _KEY_PARAMETERS[row["class"]]
    detail = template.format(row[column])
    brightness = f"r={row['mag_r']:.1f}, " if np.isfinite(row["mag_r"]) else ""
    return f'{row["class"]}\n{brightness}{detail}, seeing {row["seeing_fwhm_arcsec"]:.1f}"'


def galaxy_gallery(
    examples: pd.DataFrame | None = None, *, seed: int = DEFAULT_SEED, columns: int = 4, **kw: Any
) -> Figure:
    """One g, r, z colour image (:func:`render_rgb`) per row of ``examples`` (default:
    :func:`galaxy_gallery_examples`), titled with its class and key parameters.

    Extra keywords go to :func:`matplotlib.pyplot.figure`.
    """
    import matplotlib.pyplot as plt

    examples = galaxy_gallery_examples(seed) if examples is None else examples
    rows = -(-len(examples) // columns)
    figure = plt.figure(figsize=kw.pop("figsize", (2.6 * columns, 2.9 * rows)), **kw)
    for index, (_, row) in enumerate(examples.iterrows()):
        axis = figure.add_subplot(rows, columns, index + 1)
        bands = tuple(row["bands"])
        axis.imshow(render_rgb(render_galaxy(row), bands), origin="lower", interpolation="nearest")
        axis.set_title(_title(row), fontsize=8)
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    return figure
