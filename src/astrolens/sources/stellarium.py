"""Real pictures of galaxies and other deep-sky objects: the ones Stellarium ships.

The Debian package ``stellarium-data`` holds, in ``/usr/share/stellarium/nebulae/default/``,
about 555 small PNG pictures of deep-sky objects and ``textures.json``, which says where each
lies on the sky (its four corners), who made it and where it comes from.
:func:`stellarium_catalog` turns them into a catalogue, one row per picture, with what the
object is according to the OpenNGC database (read through the PyPI package ``pyongc``): a
gallery of real pictures to query an image index with, and an honest check of a model trained
on simulated galaxies.

How a picture is identified
---------------------------
1. **By its file name**, when the name starts with a designation (``m31.png`` -> M31,
   ``n7293.png`` or ``ngc7293-vasey.png`` -> NGC 7293, ``ic434.png`` -> IC 434, also UGC
   ``u``, PGC ``p``, Barnard, LBN, LDN, Sh2-, RCW, vdB and Abell): what follows the number
   (``-vasey``, ``dumont``, ``-dss``, ``h``, ``-1``) is a credit or a tile number and is dropped.
   The object OpenNGC gives for it is kept only if it overlaps the picture: its centre lies
   within half the picture's diagonal plus half the object's major axis of the picture's
   centre. This refuses one name: ``m102.png`` shows NGC 5866, as Stellarium takes M102 to
   be, while OpenNGC (pyongc) takes M102 to be a duplicate of M101, 9 degrees away.
2. **Else by position**: of the OpenNGC objects at least a tenth of the picture's largest
   side across (:data:`MIN_SIZE_FRACTION`) whose centre lies within half that side
   (:data:`SEARCH_RADIUS_FRACTION`) of the picture's centre, the largest (major axis), the
   nearest of equals. Tried on the 459 pictures identified by name, this guess gives the same
   object for 410, another for 27 (mostly pairs and groups, such as NGC 4567 and NGC 4568) and
   none for 22; the object nearest to the centre would give the same for 412 but another for
   47, and would call every tile of the LMC one of its star clusters.
3. **Else** nothing: ``object_id`` is the file's stem, ``ongc_type`` and ``hubble`` are empty.

``object_kind`` follows the OpenNGC type of the object found (:data:`KIND_OF_ONGC_TYPE`); when
none is found, what the file name says: the catalogue it cites (:data:`KIND_OF_CATALOGUE`: a
UGC or PGC number is a galaxy, Abell's a planetary nebula, Barnard's, LDN, LBN, Sh2-, RCW and
vdB a nebula) or the object it names (:data:`KIND_OF_COMMON_NAME`); else ``"other"``.
``coarse_hubble`` is :func:`coarse_hubble` of the OpenNGC Hubble type of a galaxy.

What the folder of ``stellarium-data`` 0.22.2 gives
---------------------------------------------------
555 pictures, all present: 218 galaxies, 87 globular clusters, 63 planetary nebulae,
53 open clusters, 109 nebulae and 25 others (the 16 tiles of the LMC, 4 of the SMC, 2 of
rho Ophiuchi, the star cloud M24, the asterism M73 and NGC 4170, which OpenNGC calls a star).
Of the 218 galaxies, 41 are E/S0, 132 S/SB, 18 Irr and 27 have no Hubble type (7 pairs, the
12 UGC and PGC galaxies OpenNGC lacks, Wild's Triplet and 7 clusters of galaxies).
459 pictures are identified by name, 12 by position, 84 not at all. ``object_id`` repeats
4 times (the two tiles of IC 2118; M42, IC 434 and M4 found by position in wide tiles);
``image_id``, the file's stem, does not. The pictures are PNGs of 128 to 2048 pixels a side
(543 in colour, 12 grey), of fields from 16 arcseconds (NGC 6884) to 14 degrees (a tile of
Barnard's Loop); in half of them more than half the pixels are black sky (Stellarium blends
the pictures onto its own sky).

Licences and credits
--------------------
The pictures come from many photographers and observatories; ``credit`` and ``info_url`` (from
``textures.json``) name the author and the source of each: credit them wherever a picture is
shown. Debian's ``/usr/share/doc/stellarium-data/copyright`` puts the package under GPL-2+ and
quotes Stellarium's README for some of the pictures: the Messier pictures of the Grasslands
Observatory (Tim Hunter and James McGaha: "use the image freely ... as long as it is
credited"), and pictures by Peter Vasey (Plover Hill Observatory), Stephane Dumont,
Oleg Bryzgalov, Andrey Kuznetsov, Trevor Gerdes, Albert Van Donkelaar, Philip Montgomery and
others, some under Creative Commons Attribution 3.0 Unported; later pictures (ESO, NASA/ESA
Hubble, DSS, SDSS, Adam Block) are credited in ``textures.json`` only, under their sources'
terms.

Object types come from OpenNGC, by Mattia Verga, under the Creative Commons
Attribution-ShareAlike 4.0 licence (CC-BY-SA 4.0, https://github.com/mattiaverga/OpenNGC),
read through ``pyongc`` (MIT). pyongc is optional: ``pip install pyongc``.

Examples
--------
>>> import json, tempfile
>>> from PIL import Image
>>> folder = Path(tempfile.mkdtemp())
>>> Image.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16)).save(folder / "m31.png")
>>> corners = [[[11.2, 40.9], [10.2, 40.9], [10.2, 41.6], [11.2, 41.6]]]
>>> tile = {"imageUrl": "m31.png", "worldCoords": corners, "imageCredits": {"short": "me"}}
>>> _ = (folder / "textures.json").write_text(json.dumps({"subTiles": [tile]}))
>>> stellarium_catalog(folder)[["object_id", "name", "object_kind", "coarse_hubble"]]
  object_id name object_kind coarse_hubble
0   NGC0224  M31      galaxy          S/SB
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "CATALOG_COLUMNS",
    "COARSE_HUBBLE_CLASSES",
    "DEFAULT_FOLDER",
    "ENVIRONMENT_VARIABLE",
    "KIND_OF_CATALOGUE",
    "KIND_OF_COMMON_NAME",
    "KIND_OF_ONGC_TYPE",
    "MIN_SIZE_FRACTION",
    "OBJECT_KINDS",
    "ONGC_TYPE_CODES",
    "SEARCH_RADIUS_FRACTION",
    "TEXTURES_FILE",
    "coarse_hubble",
    "read_textures",
    "stellarium_catalog",
    "stellarium_folder",
]

DEFAULT_FOLDER = Path("/usr/share/stellarium/nebulae/default")
"""Where the Debian package ``stellarium-data`` installs the deep-sky pictures."""

ENVIRONMENT_VARIABLE = "ASTROLENS_STELLARIUM"
"""The environment variable naming another folder of pictures (an extracted package)."""

TEXTURES_FILE = "textures.json"

CATALOG_COLUMNS = (
    "image_id",
    "object_id",
    "name",
    "path",
    "ra",
    "dec",
    "fov_deg",
    "credit",
    "info_url",
    "ongc_type",
    "object_kind",
    "hubble",
    "coarse_hubble",
    "identified_by",
)
"""The columns of :func:`stellarium_catalog`, in order."""

OBJECT_KINDS = (
    "galaxy",
    "globular cluster",
    "planetary nebula",
    "open cluster",
    "nebula",
    "other",
)

ONGC_TYPE_CODES = {
    "Star": "*",
    "Double star": "**",
    "Association of stars": "*Ass",
    "Open Cluster": "OCl",
    "Globular Cluster": "GCl",
    "Star cluster + Nebula": "Cl+N",
    "Galaxy": "G",
    "Galaxy Pair": "GPair",
    "Galaxy Triplet": "GTrpl",
    "Group of galaxies": "GGroup",
    "Planetary Nebula": "PN",
    "HII Ionized region": "HII",
    "Dark Nebula": "DrkN",
    "Emission Nebula": "EmN",
    "Nebula": "Neb",
    "Reflection Nebula": "RfN",
    "Supernova remnant": "SNR",
    "Nova star": "Nova",
    "Nonexistent object": "NonEx",
    "Object of other/unknown type": "Other",
    "Duplicated record": "Dup",
}
"""OpenNGC's type code of each type description (pyongc's ``Dso.type`` gives the description)."""

KIND_OF_ONGC_TYPE = {
    "G": "galaxy",
    "GPair": "galaxy",
    "GTrpl": "galaxy",
    "GGroup": "galaxy",
    "GCl": "globular cluster",
    "PN": "planetary nebula",
    "OCl": "open cluster",
    "Neb": "nebula",
    "HII": "nebula",
    "EmN": "nebula",
    "RfN": "nebula",
    "DrkN": "nebula",
    "SNR": "nebula",
    "Cl+N": "nebula",
}
"""The object kind of each OpenNGC type code; any other code (``*``, ``**``, ``*Ass``,
``Nova``, ``NonEx``, ``Other``) is ``"other"``. A cluster with its nebula (``Cl+N``: M8, M16,
M42) is a nebula, as its picture shows."""

KIND_OF_CATALOGUE = {
    "UGC": "galaxy",
    "PGC": "galaxy",
    "Abell": "planetary nebula",
    "Barnard": "nebula",
    "LDN": "nebula",
    "LBN": "nebula",
    "Sh2": "nebula",
    "RCW": "nebula",
    "vdB": "nebula",
}
"""The object kind of a picture OpenNGC has nothing for, from the catalogue its file name cites
(Abell's catalogue of planetary nebulae, not of clusters of galaxies)."""

KIND_OF_COMMON_NAME = {
    "medusa": "planetary nebula",
    "jones-emberson1": "planetary nebula",
    "calabash": "nebula",
    "red_rectangle": "nebula",
    "cassiopeia_a": "nebula",
    "velasnr": "nebula",
    "darkshark": "nebula",
    "barnard_loop": "nebula",
    "gammacygni": "nebula",
    "wilds": "galaxy",
    "coma_cluster": "galaxy",
    "fornax_cluster": "galaxy",
    "hercules_cluster": "galaxy",
    "hydra_cluster": "galaxy",
    "leo_cluster": "galaxy",
    "perseus_cluster": "galaxy",
    "virgo_cluster": "galaxy",
}
"""The object kind of a picture OpenNGC has nothing for, from the start of a file name that is
no designation: the Medusa nebula (Abell 21) and Jones-Emberson 1 are planetary nebulae, the
Calabash and the Red Rectangle protoplanetary nebulae, Cassiopeia A and the Vela remnant
supernova remnants, the Dark Shark a dark nebula (LDN 1235), Barnard's Loop and the Gamma
Cygni region emission nebulae, Wild's Triplet (Arp 248) and the clusters of galaxies
galaxies (as OpenNGC's groups are). The tiles of the Magellanic Clouds and of rho Ophiuchi
stay ``"other"``: fields inside a larger object."""

COARSE_HUBBLE_CLASSES = ("E/S0", "S/SB", "Irr")

SEARCH_RADIUS_FRACTION = 0.5
"""How far from a picture's centre an object is looked for, as a fraction of its largest side."""

MIN_SIZE_FRACTION = 0.1
"""The smallest object (major axis) a picture is taken to show, as a fraction of its largest
side: a cluster a few arcminutes wide is not what a 2-degree tile of the LMC shows."""


@dataclass(frozen=True)
class _Catalogue:
    """A catalogue a file name can start with."""

    name: str
    display: str
    """How a designation is written: ``"NGC {}"``."""
    query: str | None
    """The prefix pyongc recognises (``"NGC"``), None if OpenNGC does not cover it."""


_CATALOGUES = {
    "m": _Catalogue("Messier", "M{}", "M"),
    "n": _Catalogue("NGC", "NGC {}", "NGC"),
    "ngc": _Catalogue("NGC", "NGC {}", "NGC"),
    "ic": _Catalogue("IC", "IC {}", "IC"),
    "u": _Catalogue("UGC", "UGC {}", "UGC"),
    "ugc": _Catalogue("UGC", "UGC {}", "UGC"),
    "p": _Catalogue("PGC", "PGC {}", "PGC"),
    "pgc": _Catalogue("PGC", "PGC {}", "PGC"),
    "barnard": _Catalogue("Barnard", "Barnard {}", "B"),
    "lbn": _Catalogue("LBN", "LBN {}", "LBN"),
    "ldn": _Catalogue("LDN", "LDN {}", None),
    "sh2-": _Catalogue("Sh2", "Sh2-{}", None),
    "rcw": _Catalogue("RCW", "RCW {}", None),
    "vdb": _Catalogue("vdB", "vdB {}", None),
    "abell": _Catalogue("Abell", "Abell {}", None),
}

_DESIGNATION = re.compile(
    "^(" + "|".join(sorted(map(re.escape, _CATALOGUES), key=len, reverse=True)) + r")(\d+)",
    re.IGNORECASE,
)
"""A catalogue prefix and a number at the start of a file name; the rest is ignored."""

_CREDIT_SUFFIX = re.compile(r"-(vasey|trev|dss|sdss2?|2mass|darkskies)$", re.IGNORECASE)
"""The author or survey some file names end with (``Medusa-vasey.png``)."""

_STRING_OR_NUMBER = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # a JSON string, left as it is
    r"|(?<![\w.])(-?)(\d*)\.(\d*)(?![\w.])"  # a decimal number, maybe without a digit on a side
)

_INSTALL_HINT = "install it with: pip install pyongc"


def stellarium_folder(folder: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder of Stellarium's deep-sky pictures.

    The first of these that is given decides: ``folder``, the environment variable
    ``ASTROLENS_STELLARIUM``, :data:`DEFAULT_FOLDER`.

    Returns
    -------
    pathlib.Path or None
        That folder, or None if it holds no ``textures.json``.

    Examples
    --------
    >>> stellarium_folder("/nonexistent") is None
    True
    """
    if folder is None:
        folder = os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_FOLDER
    path = Path(folder)
    return path if (path / TEXTURES_FILE).is_file() else None


def read_textures(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The pictures listed in a folder's ``textures.json`` (its ``subTiles``).

    The file is not strict JSON: it has numbers without a digit before the point (``-.9794``,
    ``.5``), which are written out (``-0.9794``; and ``5.`` as ``5.0``) before the text is read
    as JSON; strings are left as they are. The keys of the credits vary in case (``"short"``,
    ``"Short"``), which :func:`stellarium_catalog` does not mind.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``textures.json``.
    ValueError
        Naming the file, the line and the reason, if it is not JSON even so, or lists no
        ``subTiles``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> text = '{"subTiles": [{"imageUrl": "m2.png", "worldCoords": [[[323.5, -.9794]]]}]}'
    >>> _ = (folder / "textures.json").write_text(text)
    >>> read_textures(folder)[0]["worldCoords"]
    [[[323.5, -0.9794]]]
    """
    path = Path(folder) / TEXTURES_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        document = json.loads(_json_numbers(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: line {error.lineno}, column {error.colno}: not JSON ({error.msg})"
        ) from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error.reason})") from None
    tiles = document.get("subTiles") if isinstance(document, dict) else None
    if not isinstance(tiles, list) or not all(isinstance(tile, dict) for tile in tiles):
        raise ValueError(f"{path}: no 'subTiles' list of pictures")
    return tiles


def _json_numbers(text: str) -> str:
    """``text`` with numbers such as ``.5``, ``-.5`` and ``5.`` written as JSON wants them."""

    def fixed(match: re.Match[str]) -> str:
        sign, whole, fraction = match.group(1, 2, 3)
        if whole is None or not (whole or fraction):
            return match.group(0)
        return f"{sign}{whole or '0'}.{fraction or '0'}"

    return _STRING_OR_NUMBER.sub(fixed, text)


def coarse_hubble(hubble: str) -> str:
    """The coarse class of an OpenNGC Hubble type: ``"E/S0"``, ``"S/SB"``, ``"Irr"`` or ``""``.

    ========  =========================================================================
    E/S0      ellipticals and lenticulars: ``E``, ``E?``, ``E-S0``, ``S0``, ``S0-a``
    S/SB      spirals, barred or not, ``Sa`` to ``Sd``: ``Sa`` ... ``Sd``, ``SBa`` ...
              ``SBd``, ``SABa`` ... ``SABd``, and ``S?`` (a spiral of unknown stage)
    Irr       irregulars and Magellanic spirals: ``I``, ``IB``, ``IAB``, ``Sm``, ``SBm``,
              ``SABm``
    ""        no Hubble type (``""``), or one that is none of these
    ========  =========================================================================

    These are all the Hubble types in OpenNGC (pyongc 1.2.2).

    Examples
    --------
    >>> [coarse_hubble(h) for h in ("S0-a", "SABbc", "SBm", "IAB", "S?", "")]
    ['E/S0', 'S/SB', 'Irr', 'Irr', 'S/SB', '']
    """
    if hubble.startswith(("E", "S0")):
        return "E/S0"
    if hubble.startswith("I") or (hubble.startswith("S") and hubble.endswith("m")):
        return "Irr"
    if hubble.startswith("S"):
        return "S/SB"
    return ""


def stellarium_catalog(folder: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Stellarium's deep-sky pictures as a catalogue, one row per picture file that exists.

    Parameters
    ----------
    folder
        The folder with ``textures.json`` and the pictures; None for :func:`stellarium_folder`.

    Returns
    -------
    pandas.DataFrame
        In the order of ``textures.json``, the columns :data:`CATALOG_COLUMNS`:

        - ``image_id``: the file's stem (``"m1dumont"``), unique;
        - ``object_id``: the OpenNGC name of the object found (``"NGC0224"``), else the stem;
        - ``name``: the designation the file name gives (``"M31"``, ``"NGC 253"``,
          ``"IC 434"``, ``"Sh2-101"``), else the stem;
        - ``path``: the picture's absolute path;
        - ``ra``, ``dec``: the centre of its four corners, degrees (ICRS, J2000);
        - ``fov_deg``: its largest side, degrees;
        - ``credit``, ``info_url``: who made it and where it comes from (``""`` if not said);
        - ``ongc_type``: OpenNGC's type code (``G``, ``GCl``, ``PN``, ``OCl``, ``Neb``,
          ``HII``, ``SNR``, ``Cl+N``, ``GPair``, ...), ``""`` if none was found;
        - ``object_kind``: one of :data:`OBJECT_KINDS`;
        - ``hubble``: OpenNGC's Hubble type (``"Sb"``), ``""`` if none;
        - ``coarse_hubble``: :func:`coarse_hubble` of a galaxy's Hubble type, else ``""``;
        - ``identified_by``: ``"name"``, ``"position"`` or ``""`` (see the module
          description).

        ``attrs["missing_images"]`` lists the files ``textures.json`` names that do not exist.

    Raises
    ------
    FileNotFoundError
        If there is no such folder (the message says where it looked).
    ValueError
        If ``textures.json`` cannot be read, or a picture's corners are not four
        ``[ra, dec]`` pairs.
    ImportError
        If ``pyongc`` is not installed.
    """
    found = stellarium_folder(folder)
    if found is None:
        where = folder or os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_FOLDER
        raise FileNotFoundError(
            f"{Path(where) / TEXTURES_FILE}: no such file; install the Debian package "
            f"stellarium-data or set {ENVIRONMENT_VARIABLE} to a folder that holds it"
        )
    ongc = _ongc()
    folder_path = found.resolve()
    rows, missing = [], []
    for number, tile in enumerate(read_textures(folder_path)):
        image = folder_path / str(tile.get("imageUrl", ""))
        if not image.is_file():
            missing.append(str(tile.get("imageUrl", "")))
            continue
        corners = _corners(tile, folder_path / TEXTURES_FILE, number)
        rows.append(_row(image, corners, tile.get("imageCredits") or {}, ongc))
    table = pd.DataFrame(rows, columns=list(CATALOG_COLUMNS))
    table.attrs["missing_images"] = missing
    return table


def _ongc() -> Any:
    try:
        from pyongc import ongc
    except ImportError as error:
        raise ImportError(
            f"the types of Stellarium's deep-sky objects come from OpenNGC through the pyongc "
            f"package, which is missing; {_INSTALL_HINT}",
            name="pyongc",
        ) from error
    return ongc


def _corners(tile: Mapping[str, Any], source: Path, number: int) -> NDArray[np.float64]:
    """The ``(4, 2)`` corners ``[ra, dec]`` of a picture, degrees; RA may be negative or past
    360 (``textures.json`` has both), which :func:`_field` does not mind."""
    coords = tile.get("worldCoords")
    try:
        corners = np.asarray(coords[0], dtype=np.float64)  # type: ignore[index]
    except (TypeError, ValueError, IndexError, KeyError):
        corners = np.empty(0)
    if corners.shape != (4, 2) or not np.isfinite(corners).all():
        raise ValueError(
            f"{source}: picture {number} ({tile.get('imageUrl')!r}): 'worldCoords' is not "
            f"four [ra, dec] corners: {coords!r}"
        )
    return corners


def _unit_vectors(ra_deg: NDArray[np.float64], dec_deg: NDArray[np.float64]) -> NDArray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def _separation_deg(first: NDArray[np.float64], second: NDArray[np.float64]) -> float:
    """The angle between two unit vectors, in degrees (accurate at small angles too)."""
    return math.degrees(2.0 * math.asin(min(1.0, float(np.linalg.norm(first - second)) / 2.0)))


@dataclass(frozen=True)
class _Field:
    """Where a picture lies: its centre and its largest side, degrees."""

    ra: float
    dec: float
    fov_deg: float
    centre: NDArray[np.float64]
    half_diagonal_deg: float


def _field(corners: NDArray[np.float64]) -> _Field:
    """The field of a picture from its corners: the centre is their mean as unit vectors, so
    a picture across RA 0 (corners at 359.9 and 0.1, or -0.1 and 0.1) is centred on RA 0.

    >>> field = _field(np.array([[-0.5, -1.0], [0.5, -1.0], [0.5, 1.0], [359.5, 1.0]]))
    >>> round(field.ra, 6) % 360, round(field.dec, 6) + 0, round(field.fov_deg, 3)
    (0.0, 0.0, 2.0)
    """
    vectors = _unit_vectors(corners[:, 0], corners[:, 1])
    mean = vectors.sum(axis=0)
    centre = mean / np.linalg.norm(mean)
    sides = [_separation_deg(vectors[i], vectors[(i + 1) % 4]) for i in range(4)]
    return _Field(
        ra=math.degrees(math.atan2(centre[1], centre[0])) % 360.0,
        dec=math.degrees(math.asin(max(-1.0, min(1.0, float(centre[2]))))),
        fov_deg=max(sides),
        centre=centre,
        half_diagonal_deg=max(_separation_deg(centre, vector) for vector in vectors),
    )


def _row(
    image: Path, corners: NDArray[np.float64], credits: Mapping[str, Any], ongc: Any
) -> dict[str, Any]:
    field = _field(corners)
    catalogue, number = _designation(image.stem)
    dso, identified_by = _identify(catalogue, number, field, ongc)
    ongc_type = _type_code(dso) if dso is not None else ""
    if dso is not None:
        kind = KIND_OF_ONGC_TYPE.get(ongc_type, "other")
    elif catalogue is not None:
        kind = KIND_OF_CATALOGUE.get(catalogue.name, "other")
    else:
        kind = _kind_of_common_name(image.stem)
    hubble = str(dso.hubble or "") if dso is not None else ""
    credit = {str(key).lower(): value for key, value in credits.items()}
    return {
        "image_id": image.stem,
        "object_id": dso.name if dso is not None else image.stem,
        "name": _name(catalogue, number, image.stem),
        "path": str(image),
        "ra": field.ra,
        "dec": field.dec,
        "fov_deg": field.fov_deg,
        "credit": str(credit.get("short") or ""),
        "info_url": str(credit.get("infourl") or ""),
        "ongc_type": ongc_type,
        "object_kind": kind,
        "hubble": hubble,
        "coarse_hubble": coarse_hubble(hubble) if kind == "galaxy" else "",
        "identified_by": identified_by,
    }


def _designation(stem: str) -> tuple[_Catalogue | None, int]:
    """The catalogue a file name cites and the number in it, else None and 0.

    >>> catalogue, number = _designation("ngc7293-vasey")
    >>> catalogue.display.format(number)
    'NGC 7293'
    """
    match = _DESIGNATION.match(stem)
    if match is None:
        return None, 0
    return _CATALOGUES[match.group(1).lower()], int(match.group(2))


def _name(catalogue: _Catalogue | None, number: int, stem: str) -> str:
    """The designation a file name gives (``"NGC 7293"``), else its stem less any author."""
    return catalogue.display.format(number) if catalogue else _CREDIT_SUFFIX.sub("", stem)


def _kind_of_common_name(stem: str) -> str:
    lowered = stem.lower()
    return next(
        (kind for start, kind in KIND_OF_COMMON_NAME.items() if lowered.startswith(start)), "other"
    )


def _identify(
    catalogue: _Catalogue | None, number: int, field: _Field, ongc: Any
) -> tuple[Any, str]:
    """The OpenNGC object a picture shows and how it was found (see the module description)."""
    if catalogue is not None and catalogue.query is not None:
        dso = ongc.get(f"{catalogue.query}{number}")
        if dso is not None and _overlaps(dso, field):
            return dso, "name"
    dso = _largest_near(field, ongc)
    return (dso, "position") if dso is not None else (None, "")


def _overlaps(dso: Any, field: _Field) -> bool:
    """Whether an object (its major axis as a circle) overlaps a picture; an object without a
    position cannot be checked and does."""
    if dso.rad_coords is None:
        return True
    position = _unit_vectors(*np.degrees(np.asarray(dso.rad_coords, dtype=np.float64)))
    reach = field.half_diagonal_deg + _major_axis_deg(dso) / 2.0
    return _separation_deg(position, field.centre) <= reach


def _major_axis_deg(dso: Any) -> float:
    return float(dso.dimensions[0] or 0.0) / 60.0


def _largest_near(field: _Field, ongc: Any) -> Any:
    """The largest OpenNGC object at least :data:`MIN_SIZE_FRACTION` of the picture's largest
    side across, whose centre lies within :data:`SEARCH_RADIUS_FRACTION` of that side of the
    picture's centre (the nearest of equals), or None."""
    radius_arcmin = min(600.0, 60.0 * SEARCH_RADIUS_FRACTION * field.fov_deg)  # pyongc's limit
    neighbours = [
        (_major_axis_deg(dso), -float(separation), dso)
        for dso, separation in ongc.nearby(
            _sexagesimal(field.ra, field.dec), separation=radius_arcmin
        )
        if _major_axis_deg(dso) >= MIN_SIZE_FRACTION * field.fov_deg
    ]
    return max(neighbours, key=lambda item: item[:2])[2] if neighbours else None


def _sexagesimal(ra_deg: float, dec_deg: float) -> str:
    """``"HH:MM:SS.ss +DD:MM:SS.s"``, the form pyongc's ``nearby`` reads.

    >>> _sexagesimal(359.99999999, -0.5)
    '00:00:00.00 -00:30:00.0'
    """
    hours, rest = divmod(round(ra_deg / 15.0 * 360_000) % (24 * 360_000), 360_000)
    minutes, centiseconds = divmod(rest, 6000)
    degrees, rest = divmod(round(abs(dec_deg) * 36_000), 36_000)
    arcminutes, deciseconds = divmod(rest, 600)
    sign = "-" if dec_deg < 0 else "+"
    return (
        f"{hours:02d}:{minutes:02d}:{centiseconds / 100:05.2f} "
        f"{sign}{degrees:02d}:{arcminutes:02d}:{deciseconds / 10:04.1f}"
    )


def _type_code(dso: Any) -> str:
    try:
        return ONGC_TYPE_CODES[dso.type]
    except KeyError:
        raise ValueError(
            f"{dso.name}: OpenNGC type {dso.type!r} is not in astrolens's table "
            f"ONGC_TYPE_CODES (a newer pyongc?)"
        ) from None
