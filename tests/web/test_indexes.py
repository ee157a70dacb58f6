"""Several indexes served by one app, one per encoder: listed, chosen by every request, named in
every answer; the default is the first; an index not served is a client error naming those that
are. Against a real server (two worker processes) of the tiny survey's index of the default model
(``index``, hybrid_cnn) and of the features baseline (``features``)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import astrolens.web
import astrolens.web.app
from astrolens.cli import main
from astrolens.runfolder import default_run_path
from astrolens.runs import run_encoder_name
from astrolens.sources import example_files
from astrolens.web import ThumbnailCache

KEPLER = example_files("Kepler")[0]
DEFAULT_ENCODER = run_encoder_name(default_run_path())


@pytest.fixture(scope="module")
def client(two_encoders):
    with two_encoders.client() as client:
        yield client


@pytest.fixture(scope="module")
def searches(oracle, features_oracle):
    """Each index's search in this process, and its encoder, by the name it is served under."""
    return {"index": (oracle, DEFAULT_ENCODER), "features": (features_oracle, "features")}


def matched_ids(payload):
    return [match["object_id"] for match in payload["matches"]]


def test_the_indexes_are_listed_with_their_encoders_the_first_the_default(client, searches):
    listing = client.get("/api/indexes").json()
    assert listing["default"] == "index"
    assert [entry["name"] for entry in listing["indexes"]] == ["index", "features"]
    for entry in listing["indexes"]:
        search, encoder = searches[entry["name"]]
        assert entry["encoder"] == encoder and entry["default"] == (entry["name"] == "index")
        assert entry["run"] == search.index.run and entry["count"] == len(search.index)
        assert entry["dim"] == search.index.dimension and entry["catalog"] == search.catalog.name
    assert DEFAULT_ENCODER != "features"


def test_the_same_query_on_each_index_is_answered_by_its_own_encoder(client, searches, oracle):
    object_id = oracle.catalog.object_ids[3]
    answers = {}
    for name, (search, encoder) in searches.items():
        payload = client.get(
            "/api/search/object", params={"id": object_id, "k": 6, "index": name}
        ).json()
        assert (payload["index"], payload["encoder"]) == (name, encoder)
        assert payload["run"] == search.index.run
        expected = search.by_object(object_id, 6).matches
        assert matched_ids(payload) == expected["object_id"].tolist()
        np.testing.assert_allclose(
            [match["distance"] for match in payload["matches"]], expected["distance"], rtol=1e-5
        )
        assert payload["query"]["thumbnail"].endswith(f"?index={name}")
        answers[name] = matched_ids(payload)
    assert answers["index"] != answers["features"]  # two encoders, two answers
    default = client.get("/api/search/object", params={"id": object_id, "k": 6}).json()
    assert default["index"] == "index" and matched_ids(default) == answers["index"]


def test_every_search_takes_the_index(client, features_oracle):
    first, second = features_oracle.catalog.object_ids[:2]
    row = features_oracle.catalog.row(first)
    params = {"index": "features", "k": 4}
    queries = [
        ("/api/search/coordinates", {"ra": row["ra"], "dec": row["dec"]}),
        ("/api/search/examples", {"id": [first, second]}),
        ("/api/search/random", {"seed": 3}),
    ]
    expected = [
        features_oracle.by_coordinates((row["ra"], row["dec"]), 4),
        features_oracle.by_examples([first, second], 4),
        features_oracle.random(4, seed=3),
    ]
    for (path, query), result in zip(queries, expected, strict=True):
        payload = client.get(path, params={**params, **query}).json()
        assert (payload["index"], payload["encoder"]) == ("features", "features"), path
        assert matched_ids(payload) == result.matches["object_id"].tolist(), path
    csv = client.get("/api/search/object", params={**params, "id": first, "format": "csv"})
    csv_ids = pd.read_csv(io.StringIO(csv.text))["object_id"].tolist()
    assert csv_ids == features_oracle.by_object(first, 4).matches["object_id"].tolist()
    with open(KEPLER, "rb") as handle:
        files = {"file": (KEPLER.name, handle, "application/octet-stream")}
        uploaded = client.post("/api/search/upload", params=params, files=files)
    assert uploaded.status_code == 200, uploaded.text
    assert (uploaded.json()["index"], uploaded.json()["encoder"]) == ("features", "features")
    expected_ids = features_oracle.by_lightcurve(KEPLER, 4).matches["object_id"].tolist()
    assert matched_ids(uploaded.json()) == expected_ids


def test_catalogue_objects_thumbnails_and_health_use_the_chosen_index(
    client, two_encoders, searches, oracle
):
    object_id = oracle.catalog.object_ids[12]
    for name, (search, encoder) in searches.items():
        health = client.get("/api/health", params={"index": name}).json()
        assert (health["index"], health["encoder"], health["run"]) == (
            name,
            encoder,
            search.index.run,
        )
        assert health["indexes"] == ["index", "features"]
        assert client.get("/api/catalog", params={"index": name}).json()["count"] == len(
            search.catalog
        )
        detail = client.get(f"/api/objects/{object_id}", params={"index": name}).json()
        assert detail["thumbnail"].endswith(f"?index={name}")
        assert client.get(detail["thumbnail"]).content.startswith(b"\x89PNG")
    row = oracle.catalog.row(object_id)
    kept = {  # on disk, apart: each index's by its model run
        ThumbnailCache(search.images, namespace=search.index.run).key(row)
        for search, _ in searches.values()
    }
    on_disk = {path.stem for path in (two_encoders.cache / "thumbnails").glob("*.png")}
    assert len(kept) == 2 and kept <= on_disk


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/api/search/object", {"id": "x"}),
        ("GET", "/api/search/random", {}),
        ("GET", "/api/catalog", {}),
        ("GET", "/api/health", {}),
        ("GET", "/api/thumbnails/x.png", {}),
        ("POST", "/api/search/upload", {}),
    ],
)
def test_an_index_not_served_is_404_naming_those_that_are(client, method, path, params):
    files = {"file": ("a.csv", b"time,flux\n", "text/csv")} if method == "POST" else None
    answer = client.request(method, path, params={**params, "index": "cnn"}, files=files)
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert "'cnn'" in detail and "index, features" in detail


def test_serve_opens_every_index_before_serving(index_folder, features_index, monkeypatch):
    served = []
    monkeypatch.setattr(astrolens.web.app, "run_app", lambda app, *args, **kw: served.append(app))
    astrolens.web.serve([index_folder, features_index, features_index], workers=2)
    indexes = served[0].state.astrolens.indexes
    assert list(indexes) == ["index", "features", "features-2"]
    assert [served.encoder for served in indexes.values()] == [
        DEFAULT_ENCODER,
        "features",
        "features",
    ]
    assert all(len(served.search.index) > 0 for served in indexes.values())


def test_the_command_line_serves_every_index_given(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(astrolens.web, "serve", lambda folders, *args, **kw: seen.append(folders))
    assert main(["serve", "--index", str(tmp_path / "a"), "--index", str(tmp_path / "b")]) == 0
    assert main(["serve"]) == 0
    assert seen == [[tmp_path / "a", tmp_path / "b"], [Path("indexes/demo-default")]]


def test_a_command_line_search_says_which_encoder_answered(features_index, oracle, capsys):
    object_id = oracle.catalog.object_ids[3]
    assert main(["-q", "search", "--index", str(features_index), "--id", object_id]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{object_id}: the 10 most similar of tiny")
    assert "encoder features, run features@" in first
