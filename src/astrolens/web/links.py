"""Links out of the page to where an object is real: catalogue pages and archives (links only;
the server fetches nothing).

- a simulated star whose parameters come from a row of the OGLE-III Catalog of Variable Stars
  (its ``ogle_id``, e.g. ``OGLE-LMC-RRLYR-00001``): that row's folder of the catalogue in the
  OGLE archive and the star's I-band photometry there;
- a query with a sky position (an uploaded FITS file's ``RA_OBJ``/``DEC_OBJ``): MAST's portal and
  SIMBAD, searched by position.

Examples
--------
>>> [link["label"] for link in object_links({"ogle_id": "OGLE-LMC-RRLYR-00001"})]
['OGLE-III catalogue', 'OGLE-III I-band photometry']
>>> object_links({"ogle_id": ""}), object_links({})
([], [])
>>> [link["url"][:40] for link in sky_links(290.667, 44.5)]
['https://mast.stsci.edu/portal/Mashup/Cli', 'https://simbad.cds.unistra.fr/simbad/sim']
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["OGLE3_ARCHIVE", "object_links", "sky_links"]

OGLE3_ARCHIVE = "https://ftp.astrouw.edu.pl/ogle/ogle3/OIII-CVS"
"""The OGLE-III Catalog of Variable Stars in the OGLE archive: one folder per field and type
(``lmc/rrlyr/``), the I-band photometry of each star under ``phot/I/<id>.dat``."""

_OGLE3_ID = re.compile(r"OGLE-(LMC|SMC|BLG|GD|CAR)-([A-Z0-9]+)-\d+")


def object_links(row: Mapping[str, Any]) -> list[dict[str, str]]:
    """Links of a catalogue row drawn from a real catalogue row (an OGLE-III ``ogle_id``)."""
    ogle_id = str(row.get("ogle_id") or "")
    matched = _OGLE3_ID.fullmatch(ogle_id)
    if not matched:
        return []
    folder = f"{OGLE3_ARCHIVE}/{matched[1].lower()}/{matched[2].lower()}"
    return [
        {"label": "OGLE-III catalogue", "url": f"{folder}/", "title": f"parameters of {ogle_id}"},
        {
            "label": "OGLE-III I-band photometry",
            "url": f"{folder}/phot/I/{quote(ogle_id)}.dat",
            "title": f"the light curve of {ogle_id}",
        },
    ]


def sky_links(ra_deg: float, dec_deg: float, radius_arcsec: float = 10.0) -> list[dict[str, str]]:
    """Links to MAST and SIMBAD searched around a sky position (degrees); none without one."""
    if not (math.isfinite(ra_deg) and math.isfinite(dec_deg)):
        return []
    position = f"{ra_deg:.6f} {dec_deg:+.6f}"
    mast = "https://mast.stsci.edu/portal/Mashup/Clients/Mast/Portal.html?" + urlencode(
        {"searchQuery": position}
    )
    simbad = "https://simbad.cds.unistra.fr/simbad/sim-coo?" + urlencode(
        {
            "Coord": position,
            "CooFrame": "ICRS",
            "Radius": f"{radius_arcsec:g}",
            "Radius.unit": "arcsec",
        }
    )
    where = f"RA {ra_deg:.5f}°, Dec {dec_deg:+.5f}°"
    return [
        {"label": "MAST", "url": mast, "title": f"MAST observations around {where}"},
        {"label": "SIMBAD", "url": simbad, "title": f"SIMBAD within {radius_arcsec:g}″ of {where}"},
    ]
