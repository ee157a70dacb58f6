"""The server answers for an index of any encoder: the features baseline, served for real."""

from __future__ import annotations

import numpy as np
import pytest

from astrolens.pipeline import build_survey_index
from astrolens.search import open_search
from astrolens.sources import example_files
from astrolens.training import TrainConfig, train

KEPLER = example_files("Kepler")[0]


@pytest.fixture(scope="module")
def features_index(tmp_path_factory):
    work = tmp_path_factory.mktemp("features-web")
    run = train(
        TrainConfig(encoder="features", survey="tiny", threads=1, workers=1),
        work / "runs",
        name="features",
        progress=False,
        cache_root=work / "wavelets",
    )
    return build_survey_index(
        "tiny", run, work / "index", cache=work / "cache", workers=1, progress=False
    )


def test_a_features_index_is_served_like_any_other(features_index, serve_index, tmp_path):
    oracle = open_search(features_index)
    with serve_index(features_index, tmp_path) as server, server.client() as client:
        assert client.get("/api/health").json()["run"] == oracle.index.run
        first = oracle.catalog.object_ids[0]
        by_id = client.get("/api/search/object", params={"id": first, "k": 4}).json()
        expected = oracle.by_object(first, 4).matches
        assert [match["object_id"] for match in by_id["matches"]] == expected["object_id"].tolist()
        with open(KEPLER, "rb") as handle:
            files = {"file": (KEPLER.name, handle, "application/octet-stream")}
            answer = client.post("/api/search/upload", params={"k": 5}, files=files)
        assert answer.status_code == 200
        uploaded = answer.json()
        expected = oracle.by_lightcurve(KEPLER, 5).matches
        assert [match["object_id"] for match in uploaded["matches"]] == expected[
            "object_id"
        ].tolist()
        np.testing.assert_allclose(
            [match["distance"] for match in uploaded["matches"]], expected["distance"], rtol=1e-5
        )
