"""Stellarium's deep-sky pictures as a catalogue: the lenient ``textures.json``, the objects
looked up in OpenNGC (through pyongc), the coarse Hubble classes.

A small folder is built on the fly (tiny PNGs and a ``textures.json`` with Stellarium's
quirks); the real folder of the Debian package ``stellarium-data`` is used when there is one
(``ASTROLENS_STELLARIUM`` or ``/usr/share/stellarium/nebulae/default``).
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from astrolens.sources.images import read_image
from astrolens.sources.stellarium import (
    CATALOG_COLUMNS,
    DEFAULT_FOLDER,
    ENVIRONMENT_VARIABLE,
    OBJECT_KINDS,
    coarse_hubble,
    read_textures,
    stellarium_catalog,
    stellarium_folder,
)

pytest.importorskip("pyongc")

TEXTURES = """{
\t"shortName": "Nebulae",
\t"minResolution" : .05,
\t"subTiles" : [
\t{
\t\t"imageCredits": {"short" : "Someone, 2.5 m", "infoUrl": "https://example.org/m31"},
\t\t"imageUrl" : "m31.png",
\t\t"worldCoords" : [[[11.2, 40.9], [10.2, 40.9], [10.2, 41.6], [11.2, 41.6]]],
\t\t"minResolution" : .5,
\t\t"maxBrightness" : 13.1
\t},
\t{
\t\t"imageCredits" : {"Short": "Starhopper"},
\t\t"imageUrl" : "m2.png",
\t\t"worldCoords" : [[[323.4989,-.9794], [323.22,-.9794], [323.2201,-.6994], [323.499,-.6994]]]
\t},
\t{
\t\t"imageCredits" : {"short": "Peter Vasey"},
\t\t"imageUrl" : "ngc7293-vasey.png",
\t\t"worldCoords" : [[[337.7,-21.1], [337.1,-21.1], [337.1,-20.6], [337.7,-20.6]]]
\t},
\t{
\t\t"imageCredits" : {"short": "Across RA 0"},
\t\t"imageUrl" : "n7814.png",
\t\t"worldCoords" : [[[359.8,15.8], [1.8,15.8], [1.8,16.5], [-0.2,16.5]]]
\t},
\t{
\t\t"imageCredits" : {"short": "Nobody"},
\t\t"imageUrl" : "abell31.png",
\t\t"worldCoords" : [[[133.72,8.73], [133.38,8.73], [133.38,9.07], [133.72,9.07]]]
\t},
\t{
\t\t"imageCredits" : {"short": "Not shipped"},
\t\t"imageUrl" : "m33.png",
\t\t"worldCoords" : [[[24.0,30.3], [23.0,30.3], [23.0,31.0], [24.0,31.0]]]
\t}]
}
"""
"""A ``textures.json`` as Stellarium writes them: ``.05``, ``-.9794``, ``"Short"``, RA past 360
and below 0, and a picture (m33.png) whose file is missing."""


def _folder(tmp_path: Path, textures: str = TEXTURES) -> Path:
    rng = np.random.default_rng(3)
    for name in ("m31", "m2", "ngc7293-vasey", "n7814", "abell31", "m102"):
        pixels = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"{name}.png")
    (tmp_path / "textures.json").write_text(textures, encoding="utf-8")
    return tmp_path


@pytest.fixture
def catalog(tmp_path: Path) -> pd.DataFrame:
    return stellarium_catalog(_folder(tmp_path)).set_index("image_id", drop=False)


def test_read_textures_writes_out_numbers_and_leaves_strings(tmp_path: Path) -> None:
    text = '{"subTiles": [{"imageUrl": "a,.5 .5.png", "x": [.5, -.25, 5., -3, 1.5e2]}]}'
    (tmp_path / "textures.json").write_text(text)
    [tile] = read_textures(tmp_path)
    assert tile == {"imageUrl": "a,.5 .5.png", "x": [0.5, -0.25, 5.0, -3, 150.0]}


def test_read_textures_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "textures.json").write_text('{\n"subTiles": [\n{"imageUrl": "m1.png"},\n]}')
    with pytest.raises(ValueError, match=r"textures\.json: line 4, column 1: not JSON"):
        read_textures(tmp_path)
    (tmp_path / "textures.json").write_text('{"tiles": []}')
    with pytest.raises(ValueError, match="no 'subTiles' list"):
        read_textures(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_textures(tmp_path / "elsewhere")


def test_catalog_columns_and_missing_files(catalog: pd.DataFrame) -> None:
    assert tuple(catalog.columns) == CATALOG_COLUMNS
    assert catalog.index.tolist() == ["m31", "m2", "ngc7293-vasey", "n7814", "abell31"]
    assert catalog.attrs["missing_images"] == ["m33.png"]
    assert all(Path(path).is_absolute() and Path(path).is_file() for path in catalog["path"])
    assert set(catalog["object_kind"]) <= set(OBJECT_KINDS)


def test_catalog_looks_objects_up_in_openngc(catalog: pd.DataFrame) -> None:
    columns = ["object_id", "name", "ongc_type", "object_kind", "hubble", "coarse_hubble"]
    assert catalog[columns].values.tolist() == [
        ["NGC0224", "M31", "G", "galaxy", "Sb", "S/SB"],
        ["NGC7089", "M2", "GCl", "globular cluster", "", ""],
        ["NGC7293", "NGC 7293", "PN", "planetary nebula", "", ""],
        ["NGC7814", "NGC 7814", "G", "galaxy", "Sab", "S/SB"],
        ["abell31", "Abell 31", "", "planetary nebula", "", ""],  # not in OpenNGC
    ]
    assert catalog["identified_by"].tolist() == ["name"] * 4 + [""]


def test_catalog_centres_fields_and_credits(catalog: pd.DataFrame) -> None:
    assert catalog.loc["m31", ["ra", "dec"]].tolist() == pytest.approx([10.7, 41.25], abs=0.01)
    assert catalog.loc["m2", ["ra", "dec"]].tolist() == pytest.approx([323.36, -0.84], abs=0.01)
    ra, dec = catalog.loc["n7814", ["ra", "dec"]]
    assert ra == pytest.approx(0.8, abs=0.01) and dec == pytest.approx(16.15, abs=0.01)
    assert catalog.loc["m31", "fov_deg"] == pytest.approx(math.cos(math.radians(40.9)), abs=0.01)
    assert catalog.loc["m2", "credit"] == "Starhopper"  # "Short", not "short"
    assert catalog.loc["m31", ["credit", "info_url"]].tolist() == [
        "Someone, 2.5 m",
        "https://example.org/m31",
    ]
    assert catalog.loc["m2", "info_url"] == ""


def test_a_name_far_from_the_picture_gives_way_to_its_position(tmp_path: Path) -> None:
    """pyongc takes M102 for M101, 9 degrees away; Stellarium's m102.png shows NGC 5866."""
    corners = "[[[226.8462,55.6423], [226.4058,55.6423], [226.4053,55.8907], [226.8467,55.8907]]]"
    textures = f'{{"subTiles": [{{"imageUrl": "m102.png", "worldCoords": {corners}}}]}}'
    [row] = stellarium_catalog(_folder(tmp_path, textures)).to_dict("records")
    assert (row["name"], row["object_id"], row["identified_by"]) == ("M102", "NGC5866", "position")
    assert (row["object_kind"], row["coarse_hubble"]) == ("galaxy", "E/S0")


def test_corners_that_are_not_four_pairs_are_refused(tmp_path: Path) -> None:
    textures = '{"subTiles": [{"imageUrl": "m31.png", "worldCoords": [[[10, 41], [11, 41]]]}]}'
    with pytest.raises(ValueError, match=r"textures\.json: picture 0 \('m31\.png'\)"):
        stellarium_catalog(_folder(tmp_path, textures))


@pytest.mark.parametrize(
    ("coarse", "hubble_types"),
    [
        ("E/S0", "E E? E-S0 S0 S0-a"),
        ("S/SB", "Sa Sab Sb Sbc Sc Scd Sd SBa SBab SBb SBbc SBc SBcd SBd SABa SABb SABc SABd S?"),
        ("Irr", "I IB IAB Sm SBm SABm"),
    ],
)
def test_coarse_hubble_of_every_openngc_type(coarse: str, hubble_types: str) -> None:
    assert {coarse_hubble(hubble) for hubble in hubble_types.split()} == {coarse}
    assert coarse_hubble("") == ""


def test_stellarium_folder_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    folder = _folder(tmp_path / "a")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(folder))
    assert stellarium_folder() == folder
    assert stellarium_folder(tmp_path) is None  # given, with no textures.json
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path))
    assert stellarium_folder() is None
    with pytest.raises(FileNotFoundError, match=ENVIRONMENT_VARIABLE):
        stellarium_catalog()
    monkeypatch.delenv(ENVIRONMENT_VARIABLE)
    expected = DEFAULT_FOLDER if (DEFAULT_FOLDER / "textures.json").is_file() else None
    assert stellarium_folder() == expected


def test_without_pyongc_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyongc", None)
    with pytest.raises(ImportError, match="pip install pyongc"):
        stellarium_catalog(_folder(tmp_path))


REAL_FOLDER = stellarium_folder()
real = pytest.mark.skipif(
    REAL_FOLDER is None,
    reason=f"no Stellarium pictures: install stellarium-data or set {ENVIRONMENT_VARIABLE}",
)


@pytest.fixture(scope="module")
def real_catalog() -> pd.DataFrame:
    return stellarium_catalog(REAL_FOLDER)


@real
def test_real_folder_catalogue(real_catalog: pd.DataFrame) -> None:
    assert 540 <= len(real_catalog) <= 570
    assert real_catalog["image_id"].is_unique
    assert set(real_catalog["object_kind"]) == set(OBJECT_KINDS)
    assert (real_catalog["object_kind"] == "galaxy").sum() > 150
    assert real_catalog["ra"].between(0.0, 360.0, inclusive="left").all()
    assert real_catalog["dec"].between(-90.0, 90.0).all()
    m31 = real_catalog.set_index("name").loc["M31"]
    assert (m31["object_id"], m31["object_kind"], m31["coarse_hubble"]) == (
        "NGC0224",
        "galaxy",
        "S/SB",
    )
    cos_dec = math.cos(math.radians(41.27))
    offset = math.hypot((m31["ra"] - 10.68) * cos_dec, m31["dec"] - 41.27)
    assert offset < 0.5


@real
def test_real_folder_pictures_exist_and_some_read(real_catalog: pd.DataFrame) -> None:
    for path in real_catalog["path"]:
        with Image.open(path) as picture:  # reads the header only
            assert picture.format == "PNG" and min(picture.size) >= 128, path
    for path in real_catalog["path"].iloc[::25]:
        assert min(read_image(path).shape) >= 128


@real
@pytest.mark.slow
def test_real_folder_pictures_all_read(real_catalog: pd.DataFrame) -> None:
    """Every picture reads, in about 9 s, without a warning (m89.png is a palette PNG whose
    transparency is given as bytes: read through RGBA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shapes = [read_image(path).shape for path in real_catalog["path"]]
    assert min(min(shape) for shape in shapes) >= 128
