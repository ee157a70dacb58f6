"""The HTTP API of a real server process on 127.0.0.1, compared with the same search in-process."""

from __future__ import annotations

import base64
import csv
import io
import re
import struct

import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import SkyCoord

from astrolens.search import Filters
from astrolens.simulate import lightcurve_arrays
from astrolens.sources import example_files

KEPLER = example_files("Kepler")[0]
K2 = example_files("K2")[0]
TESS = example_files("TESS")[0]
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture(scope="module")
def client(server):
    with server.client() as client:
        yield client


@pytest.fixture(scope="module")
def object_ids(oracle):
    return [str(object_id) for object_id in oracle.index.ids]


def matched_ids(payload):
    return [match["object_id"] for match in payload["matches"]]


def assert_same_matches(payload, expected):
    """The server's matches are the in-process result: ids, ranks and distances."""
    assert matched_ids(payload) == expected.matches["object_id"].tolist()
    assert [match["rank"] for match in payload["matches"]] == list(range(1, len(expected) + 1))
    np.testing.assert_allclose(
        [match["distance"] for match in payload["matches"]],
        expected.matches["distance"],
        rtol=1e-6,
    )


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def upload(client, path, params=None, *, name=None, content_type="application/octet-stream"):
    with open(path, "rb") as handle:
        files = {"file": (name or path.name, handle, content_type)}
        return client.post("/api/search/upload", params=params or {}, files=files)


# -- health, catalogue, objects -------------------------------------------------------------------


def test_health_reports_the_index(client, oracle, server):
    health = client.get("/api/health").json()
    assert health["status"] == "ok"
    assert health["run"] == oracle.index.run
    assert health["count"] == len(oracle.index)
    assert health["dimension"] == oracle.index.dimension
    assert health["max_upload_bytes"] == server.max_upload_bytes
    assert health["lightcurve_search"] is True


def test_catalog_lists_the_filter_values(client, oracle):
    summary = client.get("/api/catalog").json()
    table = oracle.catalog.table
    assert summary["count"] == len(table)
    assert summary["classes"] == sorted(table["class"].unique())
    assert summary["missions"] == sorted(table["mission"].unique())
    assert summary["mag_range"] == pytest.approx([table["mag"].min(), table["mag"].max()])
    periods = table["period_days"]
    assert summary["period_range"] == pytest.approx([periods.min(), periods.max()])


def test_object_detail_is_the_catalogue_row(client, oracle, object_ids):
    object_id = object_ids[7]
    detail = client.get(f"/api/objects/{object_id}").json()
    row = oracle.catalog.row(object_id)
    assert detail["object_id"] == object_id
    for name, value in row.items():
        if isinstance(value, float) and np.isnan(value):
            assert detail["object"][name] is None
        else:
            assert detail["object"][name] == pytest.approx(value)
    assert detail["units"]["period_days"] == "d"
    assert client.get(detail["thumbnail"]).status_code == 200


def test_unknown_object_is_404_naming_it(client):
    for path in ("/api/objects/KIC 1", "/api/thumbnails/KIC 1.png"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert "KIC 1" in answer.json()["detail"]
    answer = client.get("/api/search/object", params={"id": "KIC 1"})
    assert answer.status_code == 404
    assert answer.json() == {"detail": answer.json()["detail"], "error": "UnknownObject"}


# -- searches ---------------------------------------------------------------------------------


def test_search_by_object_is_the_in_process_search(client, oracle, object_ids):
    for object_id in object_ids[:5]:
        payload = client.get("/api/search/object", params={"id": object_id}).json()
        expected = oracle.by_object(object_id, 5)
        assert payload["k"] == payload["count"] == 5
        assert payload["query"]["kind"] == "object"
        assert payload["query"]["object"]["object_id"] == object_id
        assert_same_matches(payload, expected)
        assert payload["columns"] == list(expected.matches.columns)
        assert payload["parameters"] is None  # only when asked for


def test_search_with_filters_is_the_in_process_search(client, oracle, object_ids):
    object_id = object_ids[11]
    params = [("id", object_id), ("k", "8"), ("class", "RRab"), ("class", "EA")]
    payload = client.get("/api/search/object", params=params).json()
    expected = oracle.by_object(object_id, 8, filters=Filters(classes=["RRab", "EA"]))
    assert_same_matches(payload, expected)
    assert {match["class"] for match in payload["matches"]} <= {"RRab", "EA"}

    params = {"id": object_id, "k": 6, "mission": "TESS", "mag_min": 10, "mag_max": 14}
    payload = client.get("/api/search/object", params=params).json()
    filters = Filters(missions="TESS", ranges={"mag": (10.0, 14.0)})
    assert_same_matches(payload, oracle.by_object(object_id, 6, filters=filters))
    assert all(10 <= match["mag"] <= 14 for match in payload["matches"])

    payload = client.get("/api/search/object", params={"id": object_id, "mag_window": 1}).json()
    query_mag = oracle.catalog.row(object_id)["mag"]
    assert all(abs(match["mag"] - query_mag) <= 1 for match in payload["matches"])

    params = {"id": object_id, "k": 7, "period_min": 0.3, "period_max": 2.5}
    payload = client.get("/api/search/object", params=params).json()
    filters = Filters(ranges={"period_days": (0.3, 2.5)})
    assert_same_matches(payload, oracle.by_object(object_id, 7, filters=filters))
    assert all(0.3 <= match["period_days"] <= 2.5 for match in payload["matches"])
    ranges = [("range", "amplitude_mag:0.2:0.8"), ("range", "mag::13")]
    params = [("id", object_id), ("k", "6"), *ranges]
    payload = client.get("/api/search/object", params=params).json()
    filters = Filters(ranges={"amplitude_mag": (0.2, 0.8), "mag": (None, 13.0)})
    assert_same_matches(payload, oracle.by_object(object_id, 6, filters=filters))
    assert all(0.2 <= match["amplitude_mag"] <= 0.8 for match in payload["matches"])
    params = {"id": object_id, "k": 7, "period_min": 100}  # an open end: the long periods
    payload = client.get("/api/search/object", params=params).json()
    assert len(payload["matches"]) == 7
    assert all(match["period_days"] >= 100 for match in payload["matches"])


def test_search_by_coordinates_finds_the_object_there(client, oracle, object_ids):
    row = oracle.catalog.row(object_ids[3])
    position = SkyCoord(row["ra"], row["dec"], unit="deg")
    expected = oracle.by_object(object_ids[3], 5)
    sexagesimal = position.to_string("hmsdms", sep=":", precision=3).split()
    for ra, dec in ([str(row["ra"]), str(row["dec"])], sexagesimal):
        payload = client.get("/api/search/coordinates", params={"ra": ra, "dec": dec}).json()
        assert payload["query"]["object"]["object_id"] == object_ids[3]
        assert payload["query"]["separation_arcsec"] < 0.1
        assert_same_matches(payload, expected)


@pytest.mark.parametrize(
    ("ra", "dec", "status", "words"),
    [
        ("nowhere", "44.5", 422, "cannot read sky coordinates"),
        ("290.0", "95.0", 422, "sky coordinates"),
        ("1.0", "-89.99", 404, "no object"),
    ],
)
def test_bad_or_empty_coordinates_say_why(client, ra, dec, status, words):
    answer = client.get(
        "/api/search/coordinates", params={"ra": ra, "dec": dec, "radius_arcsec": 1}
    )
    assert answer.status_code == status
    assert words in answer.json()["detail"]


def test_search_by_examples_is_the_in_process_search(client, oracle, object_ids):
    examples = object_ids[20:23]
    for combine in ("centroid", "rrf"):
        params = [("id", name) for name in examples] + [("combine", combine), ("k", "7")]
        payload = client.get("/api/search/examples", params=params).json()
        assert_same_matches(payload, oracle.by_examples(examples, 7, combine=combine))
        assert not set(matched_ids(payload)) & set(examples)
        pictures = payload["query"]["thumbnails"]  # the examples' own thumbnails, in order
        assert pictures == [
            client.get(f"/api/objects/{name}").json()["thumbnail"] for name in examples
        ]
    assert client.get(pictures[0]).headers["content-type"] == "image/png"
    answer = client.get("/api/search/examples", params=[("id", examples[0]), ("id", "KIC 1")])
    assert answer.status_code == 404
    assert "KIC 1" in answer.json()["detail"]


def test_random_search_is_reproducible_with_a_seed(client, oracle):
    first = client.get("/api/search/random", params={"seed": 12, "k": 3}).json()
    assert first == client.get("/api/search/random", params={"seed": 12, "k": 3}).json()
    assert_same_matches(first, oracle.random(3, seed=12))
    assert first["query"]["kind"] == "random"


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"k": 0}, "k"),
        ({"k": 101}, "at most 100 matches"),
        ({"k": "five"}, "k"),
        ({"mag_window": -1}, "mag_window"),
        ({"mag_min": 14, "mag_max": 10}, "mag_min"),
        ({"period_min": 5, "period_max": 1}, "period_min (5.0) is larger than period_max"),
        ({"period_min": -1}, "period_min"),
        ({"period_max": "inf"}, "period_max"),
        ({"range": "amplitude_mag:0.5"}, "expected COLUMN:MIN:MAX"),
        ({"range": "amplitude_mag:nan:1"}, "with finite numbers"),
        ({"range": "amplitude_mag:0.9:0.1"}, "min 0.9 is larger than max 0.1"),
        ({"range": "colour:1:2"}, "no column 'colour'"),
        ({"range": "class:1:2"}, "'class', which is not numeric"),
        ({"range": "period_days:1:2", "period_min": 1}, "period_days is filtered twice"),
        ({"format": "xml"}, "format"),
        ({"class": "NOPE"}, "class 'NOPE': no object"),
        ({"mission": "XX"}, "mission 'XX'"),
    ],
)
def test_invalid_parameters_are_422_naming_them(client, object_ids, params, words):
    answer = client.get("/api/search/object", params={"id": object_ids[0], **params})
    assert answer.status_code == 422
    assert words in answer.json()["detail"]


def test_csv_download_is_the_json_matches(client, object_ids):
    params = {"id": object_ids[2], "k": 9, "class": "ROT"}
    payload = client.get("/api/search/object", params=params).json()
    answer = client.get("/api/search/object", params={**params, "format": "csv"})
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="astrolens-[\w.-]+\.csv"', disposition)
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["object_id"] for row in rows] == matched_ids(payload)
    assert list(rows[0]) == payload["columns"]
    assert [float(row["distance"]) for row in rows] == pytest.approx(
        [match["distance"] for match in payload["matches"]]
    )


def test_parameter_distributions_are_those_of_the_matches(client, oracle, object_ids):
    object_id = object_ids[40]
    params = {"id": object_id, "k": 30, "parameters": "true"}
    payload = client.get("/api/search/object", params=params).json()
    summary = oracle.by_object(object_id, 30).parameters()
    summary = summary[summary["n"] > 0]
    assert [item["column"] for item in payload["parameters"]] == summary.index.tolist()
    for item in payload["parameters"]:
        stats = summary.loc[item["column"]]
        assert item["n"] == stats["n"] == sum(item["histogram"]["counts"])
        assert item["median"] == pytest.approx(stats["median"])
        assert item["p16"] <= item["median"] <= item["p84"]
        edges = item["histogram"]["edges"]
        assert len(edges) == len(item["histogram"]["counts"]) + 1
        values = [m[item["column"]] for m in payload["matches"] if m[item["column"]] is not None]
        assert edges[0] <= min(values) <= max(values) <= edges[-1]
        if min(values) < max(values):
            assert [edges[0], edges[-1]] == pytest.approx([min(values), max(values)])


# -- thumbnails -------------------------------------------------------------------------------


def test_thumbnails_are_drawn_once_and_cached(client, server, object_ids):
    first = client.get(f"/api/thumbnails/{object_ids[60]}.png")
    assert first.headers["content-type"] == "image/png"
    assert png_size(first.content) == (240, 200)
    on_disk = [path for path in (server.cache / "thumbnails").glob("*.png")]
    saved = [path for path in on_disk if path.read_bytes() == first.content]
    assert len(saved) == 1
    saved[0].unlink()
    assert client.get(f"/api/thumbnails/{object_ids[60]}.png").content == first.content
    assert not saved[0].exists()  # served from memory, not drawn again
    assert client.get(f"/api/thumbnails/{object_ids[61]}.png").content != first.content


# -- uploads ----------------------------------------------------------------------------------


def test_upload_of_a_kepler_fits_is_the_in_process_search(client, oracle):
    payload = upload(client, KEPLER, {"k": 6}).json()
    assert_same_matches(payload, oracle.by_lightcurve(KEPLER, 6))
    flags = oracle.by_lightcurve(KEPLER, 6).column("period_match").tolist()
    assert [match["period_match"] for match in payload["matches"]] == flags  # JSON booleans
    assert payload["query"]["kind"] == "lightcurve"
    assert payload["query"]["label"] == "KIC 10002792"
    assert payload["query"]["thumbnail"] is None
    expected = oracle.by_lightcurve(KEPLER, 6).domain
    assert payload["domain"]["in_domain"] == expected.in_domain
    assert payload["domain"]["percentile"] == pytest.approx(expected.percentile, abs=0.01)
    assert payload["domain"]["k"] == 10 and payload["domain"]["warning"] == expected.warning
    assert client.get("/api/search/random", params={"seed": 1}).json()["domain"] is None


def test_upload_can_return_the_query_picture(client):
    payload = upload(client, KEPLER, {"thumbnail": "true"}).json()
    prefix = "data:image/png;base64,"
    assert payload["query"]["thumbnail"].startswith(prefix)
    assert png_size(base64.b64decode(payload["query"]["thumbnail"][len(prefix) :])) == (240, 200)


def test_upload_of_a_csv_light_curve(client, oracle, tmp_path):
    row = oracle.catalog.table.iloc[5]
    arrays = lightcurve_arrays(row)
    table = pd.DataFrame({"time": arrays.time, "flux": arrays.flux, "flux_err": arrays.flux_err})
    path = tmp_path / "my star.csv"
    table.to_csv(path, index=False)
    answer = upload(client, path, {"k": 4, "format": "csv"}, content_type="text/csv")
    assert answer.status_code == 200
    expected = oracle.by_lightcurve(path, 4)
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["object_id"] for row in rows] == expected.matches["object_id"].tolist()
    payload = upload(client, path, {"k": 4}).json()
    assert payload["query"]["label"] == "my_star"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("broken.fits", b"not a fits file at all" * 10, "FITS signature"),
        ("binary.csv", bytes(range(256)) * 4, "neither a FITS file nor a text table"),
        ("empty.csv", b"", "empty"),
        ("one-column.csv", b"time\n1\n2\n3\n", "no flux column"),
    ],
)
def test_unreadable_upload_is_422_with_the_readers_message(client, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    answer = upload(client, path)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail.startswith(f"{name}: ")
    assert "/tmp" not in detail and "astrolens-upload" not in detail
    assert words in detail


def upload_several(client, paths, params=None):
    handles = [open(path, "rb") for path in paths]  # noqa: SIM115 -- closed below
    try:
        files = [
            ("file", (path.name, handle, "application/octet-stream"))
            for path, handle in zip(paths, handles, strict=True)
        ]
        return client.post("/api/search/upload", params=params or {}, files=files)
    finally:
        for handle in handles:
            handle.close()


@pytest.mark.parametrize("combine", ["centroid", "rrf"])
def test_several_uploaded_files_are_one_query_of_several_examples(client, oracle, combine):
    paths = [KEPLER, K2]
    params = {"k": 6, "combine": combine, "thumbnail": "true"}
    payload = upload_several(client, paths, params).json()
    expected = oracle.by_inputs(paths, 6, combine=combine, labels=[p.name for p in paths])
    assert_same_matches(payload, expected)
    query = payload["query"]
    assert query["kind"] == "examples" and query["combine"] == combine
    assert query["label"] == f"2 light curves ({combine})" and query["thumbnail"] is None
    pictures = [
        base64.b64decode(url.removeprefix("data:image/png;base64,")) for url in query["thumbnails"]
    ]  # each file drawn, in the order sent
    assert len(pictures) == 2 and all(png.startswith(b"\x89PNG") for png in pictures)
    assert pictures[0] != pictures[1]
    assert payload["domain"]["reasons"] == list(expected.domain.reasons)
    answer = upload_several(client, paths, {"k": 6, "combine": combine, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["object_id"] for row in rows] == expected.matches["object_id"].tolist()


def test_several_uploads_are_refused_by_name_or_by_count(client, server, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"time\n1\n2\n3\n")
    answer = upload_several(client, [KEPLER, broken])
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("broken.csv: ") and "no flux column" in answer.text
    together = [KEPLER, example_files("Kepler")[1], K2]
    assert sum(path.stat().st_size for path in together) > server.max_upload_bytes
    answer = upload_several(client, together)
    assert answer.status_code == 413 and "its files together" in answer.json()["detail"]
    many = [tmp_path / f"star-{number}.csv" for number in range(51)]
    for path in many:
        path.write_bytes(b"time,flux\n1,1\n")
    answer = upload_several(client, many)
    assert answer.status_code == 422 and "at most 50 files" in answer.json()["detail"]
    assert client.get("/api/health").status_code == 200


def test_upload_over_the_limit_is_413(client, server):
    assert TESS.stat().st_size > server.max_upload_bytes
    answer = upload(client, TESS)
    assert answer.status_code == 413
    assert f"{server.max_upload_bytes:,}" in answer.json()["detail"]


def test_upload_over_the_limit_without_a_length_is_413_while_streaming(server):
    boundary = "astrolens-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.fits"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    def body():
        yield head
        for _ in range(server.max_upload_bytes // 65536 + 4):
            yield b"\0" * 65536

    with server.client() as client:
        answer = client.post(
            "/api/search/upload",
            content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    assert answer.status_code == 413
    assert "big.fits is larger" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "body", "status", "words"),
    [
        ({"Content-Type": "application/json"}, b"{}", 415, "multipart/form-data"),
        (
            {"Content-Type": "multipart/form-data; boundary=xyz"},
            b'--xyz\r\nContent-Disposition: form-data; name="other"\r\n\r\nhello\r\n--xyz--\r\n',
            422,
            "no file",
        ),
        (
            {"Content-Type": "multipart/form-data; boundary=xyz"},
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.fits"\r\n\r\nSIMP',
            400,
            "truncated",
        ),
        ({"Content-Type": "multipart/form-data; boundary=xyz"}, b"garbage", 400, "malformed"),
    ],
)
def test_malformed_upload_requests_say_what_is_wrong(client, headers, body, status, words):
    answer = client.post("/api/search/upload", content=body, headers=headers)
    assert answer.status_code == status
    assert words in answer.json()["detail"]


def test_uploads_leave_nothing_on_disk(client, server, tmp_path):
    broken = tmp_path / "broken.fits"
    broken.write_bytes(b"nothing")
    for path in (KEPLER, broken, TESS):
        upload(client, path)
    leftovers = [path.name for path in server.temporary.iterdir() if "upload" in path.name]
    assert leftovers == []


# -- the page and the schema --------------------------------------------------------------------


def test_page_and_assets_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert {"/static/app.js", "/static/style.css"} <= set(assets)
    for asset in assets:
        if asset.startswith(("data:", "#")):
            continue
        assert asset.startswith("/"), f"{asset}: not served by the app"
        answer = client.get(asset)
        assert answer.status_code == 200
        outside = re.findall(r"https?://[^\s\"')]+", answer.text)
        assert [url for url in outside if not url.startswith(SVG_NAMESPACE)] == [], asset


def test_openapi_schema_describes_the_upload(client):
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/api/search/upload"]["post"]["requestBody"]
    file_field = body["content"]["multipart/form-data"]["schema"]["properties"]["file"]
    assert file_field["format"] == "binary"


def test_upload_of_one_band_of_a_table_of_two(client, oracle, tmp_path):
    arrays = lightcurve_arrays(oracle.catalog.table.iloc[3])
    table = pd.DataFrame(
        {
            "time": np.concatenate([arrays.time, arrays.time]),
            "flux": np.concatenate([arrays.flux, 1 + 1.5 * (arrays.flux - 1)]),
            "band": ["r"] * arrays.time.size + ["g"] * arrays.time.size,
        }
    ).sort_values("time", kind="stable")
    path = tmp_path / "two bands.csv"
    table.to_csv(path, index=False)
    refused = upload(client, path, {"k": 3})
    assert refused.status_code == 422 and "band='all'" in refused.json()["detail"]
    answer = upload(client, path, {"k": 3, "band": "r"})
    assert answer.status_code == 200
    single = tmp_path / "r band.csv"
    table[table["band"] == "r"].drop(columns="band").to_csv(single, index=False)
    expected = oracle.by_lightcurve(single, 3)
    assert [m["object_id"] for m in answer.json()["matches"]] == expected.object_ids
    assert upload(client, path, {"k": 3, "band": "z"}).status_code == 422


def test_upload_of_a_table_that_names_its_flux_its_own_way(client, oracle, tmp_path):
    arrays = lightcurve_arrays(oracle.catalog.table.iloc[3])
    table = pd.DataFrame({"time": arrays.time, "flux": arrays.flux})
    usual = tmp_path / "usual.csv"
    table.to_csv(usual, index=False)
    own = tmp_path / "own.csv"
    table.rename(columns={"flux": "Corrected Flux"}).to_csv(own, index=False)
    refused = upload(client, own, {"k": 3})
    assert refused.status_code == 422 and "no flux column" in refused.json()["detail"]
    answer = upload(client, own, {"k": 3, "flux_column": "corrected flux"})
    assert answer.status_code == 200
    expected = oracle.by_lightcurve(usual, 3)
    assert [m["object_id"] for m in answer.json()["matches"]] == expected.object_ids
    missing = upload(client, own, {"k": 3, "flux_column": "flux"})
    assert missing.status_code == 422 and "no flux column 'flux'" in missing.json()["detail"]
