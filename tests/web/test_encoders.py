"""The server answers for an index of any encoder: the features baseline, served for real."""

from __future__ import annotations

import numpy as np

from astrolens.sources import example_files

KEPLER = example_files("Kepler")[0]


def test_a_features_index_is_served_like_any_other(
    features_index, features_oracle, serve_index, tmp_path
):
    oracle = features_oracle
    with serve_index(features_index, tmp_path) as server, server.client() as client:
        health = client.get("/api/health").json()
        assert health["run"] == oracle.index.run and health["encoder"] == "features"
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
