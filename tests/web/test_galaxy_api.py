"""One server of light curves and galaxy images: the API answers each index in its own kind, and
the page offers the upload the chosen index takes (a real server, headless Chromium)."""

from __future__ import annotations

import base64
import csv
import io

import numpy as np
import pytest
from PIL import Image

from astrolens.modalities.galaxy import survey_cutout
from astrolens.search import open_search
from astrolens.sources import example_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def galaxies(galaxy_index):
    return open_search(galaxy_index)


def png_bytes(picture) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="png")
    return buffer.getvalue()


def test_the_indexes_say_what_an_upload_to_each_is(lightcurves_and_galaxies):
    with lightcurves_and_galaxies.client() as client:
        listing = client.get("/api/indexes").json()
        kinds = {entry["name"]: entry["upload_kind"] for entry in listing["indexes"]}
        assert kinds == {"index": "lightcurve", "galaxies": "image"}
        health = client.get("/api/health", params={"index": "galaxies"}).json()
        assert health["upload_kind"] == "image" and health["lightcurve_search"] is False


def test_an_uploaded_picture_is_answered_with_galaxies(lightcurves_and_galaxies, galaxies):
    row = galaxies.catalog.table.iloc[12]
    expected = galaxies.by_image(survey_cutout(row), k=5).matches["object_id"].tolist()
    with lightcurves_and_galaxies.client() as client:
        answer = client.post(
            "/api/search/upload",
            params={"index": "galaxies", "k": 5, "thumbnail": "true", "parameters": "true"},
            files={"file": ("mine.png", png_bytes(survey_cutout(row)), "image/png")},
        )
    assert answer.status_code == 200, answer.text
    payload = answer.json()
    assert payload["query"]["kind"] == "image" and payload["index"] == "galaxies"
    assert [match["object_id"] for match in payload["matches"]] == expected
    assert expected[0] == row["object_id"]
    picture = base64.b64decode(payload["query"]["thumbnail"].split(",", 1)[1])
    assert Image.open(io.BytesIO(picture)).size == (192, 192)
    names = {entry["column"] for entry in payload["parameters"]}
    assert {"sersic_n", "bulge_fraction", "half_light_radius_arcsec"} <= names


def test_an_upload_unlike_every_survey_galaxy_is_answered_with_the_warning(
    lightcurves_and_galaxies, galaxies
):
    squares = (np.indices((64, 64)).sum(axis=0) // 8) % 2  # a test pattern, not the sky
    pattern = np.repeat((25 + 200 * squares)[..., None], 3, axis=-1).astype(np.uint8)
    with lightcurves_and_galaxies.client() as client:
        answer = client.post(
            "/api/search/upload",
            params={"index": "galaxies", "k": 5},
            files={"file": ("pattern.png", png_bytes(pattern), "image/png")},
        )
    assert answer.status_code == 200, answer.text
    domain = answer.json()["domain"]
    assert domain["in_domain"] is False and domain["reasons"]
    assert domain["warning"].startswith("unlike what this survey and model know")
    expected = galaxies.by_image(pattern, k=5).domain
    assert domain["reasons"] == list(expected.reasons)


def test_an_uploaded_picture_downloads_as_csv(lightcurves_and_galaxies, galaxies):
    row = galaxies.catalog.table.iloc[33]
    with lightcurves_and_galaxies.client() as client:
        answer = client.post(
            "/api/search/upload",
            params={"index": "galaxies", "k": 3, "format": "csv"},
            files={"file": ("mine.png", png_bytes(survey_cutout(row)), "image/png")},
        )
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 3 and rows[0]["object_id"] == row["object_id"]


def test_several_uploaded_pictures_are_one_query(lightcurves_and_galaxies, galaxies, tmp_path):
    table = galaxies.catalog.table
    same = table.index[table["class"] == table["class"].iloc[0]][:3]  # three of one class
    paths = []
    for number in same:
        paths.append(tmp_path / f"galaxy-{number}.png")
        paths[-1].write_bytes(png_bytes(survey_cutout(table.iloc[number])))
    files = [("file", (path.name, path.read_bytes(), "image/png")) for path in paths]
    with lightcurves_and_galaxies.client() as client:
        answer = client.post(
            "/api/search/upload", params={"index": "galaxies", "k": 6}, files=files
        )
    assert answer.status_code == 200, answer.text
    payload = answer.json()
    expected = galaxies.by_inputs(paths, 6, labels=[path.name for path in paths])
    assert payload["query"]["label"] == "3 images (centroid)"
    assert [match["object_id"] for match in payload["matches"]] == expected.matches[
        "object_id"
    ].tolist()
    ids = list(galaxies.index.ids)
    stored = galaxies.index.get_vectors([ids.index(table["object_id"].iloc[n]) for n in same])
    centre = stored.mean(axis=0)  # the uploads are the survey's own galaxies, as PNG files
    np.testing.assert_allclose(expected.query.vectors[0], centre, atol=0.05 * np.abs(centre).max())


def test_a_galaxy_thumbnail_is_its_picture(lightcurves_and_galaxies, galaxies):
    row = galaxies.catalog.table.iloc[4]
    with lightcurves_and_galaxies.client() as client:
        answer = client.get(f"/api/thumbnails/{row['object_id']}.png", params={"index": "galaxies"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/png"
    shown = np.asarray(Image.open(io.BytesIO(answer.content)).convert("RGB"))
    np.testing.assert_array_equal(shown[::3, ::3], survey_cutout(row))


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("garbage.png", b"\x89PNG not really", "not a readable JPEG, PNG or FITS image"),
        ("light.fits", None, "a light curve (a table with a TIME column), not an image"),
    ],
)
def test_a_bad_upload_to_the_galaxy_index_gets_422_naming_the_file(
    lightcurves_and_galaxies, name, content, reason
):
    if content is None:
        content = example_files("Kepler")[0].read_bytes()
    with lightcurves_and_galaxies.client() as client:
        answer = client.post(
            "/api/search/upload",
            params={"index": "galaxies"},
            files={"file": (name, content, "application/octet-stream")},
        )
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(f"{name}: {reason}")


def test_a_period_filter_on_the_galaxy_index_gets_422_naming_the_column(lightcurves_and_galaxies):
    with lightcurves_and_galaxies.client() as client:
        summary = client.get("/api/catalog", params={"index": "galaxies"}).json()
        answer = client.get(
            "/api/search/random", params={"index": "galaxies", "period_min": 1, "seed": 1}
        )
    assert "period_range" not in summary
    assert answer.status_code == 422 and "no column 'period_days'" in answer.json()["detail"]


def test_the_light_curve_index_still_takes_light_curves(lightcurves_and_galaxies):
    path = example_files("Kepler")[0]
    with lightcurves_and_galaxies.client() as client:
        answer = client.post(
            "/api/search/upload", params={"k": 3}, files={"file": (path.name, path.read_bytes())}
        )
    assert answer.status_code == 200 and answer.json()["query"]["kind"] == "lightcurve"
