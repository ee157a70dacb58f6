"""The web app serves any :class:`astrolens.search.Search`, not one concrete class.

A search that only forwards to another (as a client of a remote index would) is served over real
HTTP by uvicorn in this process: health, catalogue, queries, uploads and thumbnails all go
through its members, and its answers are those of the search it forwards to.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
import uvicorn

from astrolens.search import Search, SimilaritySearch, open_search
from astrolens.sources import example_files
from astrolens.web.app import create_app

KEPLER = example_files("Kepler")[0]


class ForwardingSearch:
    """A search that is not a :class:`SimilaritySearch`: it forwards every query and counts them."""

    def __init__(self, inner: SimilaritySearch) -> None:
        self.inner = inner
        self.index = inner.index
        self.catalog = inner.catalog
        self.config = inner.config
        self.encoder = inner.encoder
        self.calls: list[str] = []
        self.drawn: list[str] = []

    def images(self, row):
        self.drawn.append(str(row["object_id"]))
        return self.inner.images(row)

    def _forward(self, name, *args, **kwargs):
        self.calls.append(name)
        return getattr(self.inner, name)(*args, **kwargs)

    def by_object(self, object_id, k=10, *, filters=None):
        return self._forward("by_object", object_id, k, filters=filters)

    def by_coordinates(self, coordinates, k=10, *, radius_arcsec=None, filters=None):
        return self._forward(
            "by_coordinates", coordinates, k, radius_arcsec=radius_arcsec, filters=filters
        )

    def by_lightcurve(self, lightcurve, k=10, *, filters=None, label=None):
        return self._forward("by_lightcurve", lightcurve, k, filters=filters, label=label)

    def by_input(self, source, k=10, *, filters=None, label=None):
        return self._forward("by_input", source, k, filters=filters, label=label)

    def by_examples(self, examples, k=10, *, filters=None, combine="centroid"):
        return self._forward("by_examples", examples, k, filters=filters, combine=combine)

    def by_inputs(self, sources, k=10, *, filters=None, combine="centroid", labels=None):
        return self._forward(
            "by_inputs", sources, k, filters=filters, combine=combine, labels=labels
        )

    def random(self, k=10, *, seed=None, filters=None):
        return self._forward("random", k, seed=seed, filters=filters)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def forwarding(index_folder) -> ForwardingSearch:
    return ForwardingSearch(open_search(index_folder))


@pytest.fixture
def served(forwarding, tmp_path) -> Iterator[httpx.Client]:
    """The app over ``forwarding``, served by uvicorn on 127.0.0.1 in a thread."""
    app = create_app(forwarding, thumbnail_dir=tmp_path / "thumbs")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_forwarding_search_is_a_search_and_a_concrete_class_is_not_required(forwarding):
    assert isinstance(forwarding, Search)
    assert not isinstance(forwarding, SimilaritySearch)
    assert not isinstance(object(), Search)


def test_the_app_answers_through_the_search_protocol_only(forwarding, served):
    oracle = forwarding.inner
    health = served.get("/api/health").json()
    assert health["run"] == oracle.index.run and health["count"] == len(oracle.index)
    assert health["lightcurve_search"] is True

    first, second = oracle.catalog.object_ids[:2]
    by_id = served.get("/api/search/object", params={"id": first, "k": 4}).json()
    expected = oracle.by_object(first, 4).matches["object_id"].tolist()
    assert [match["object_id"] for match in by_id["matches"]] == expected

    examples = served.get("/api/search/examples", params={"id": [first, second], "k": 3}).json()
    expected = oracle.by_examples([first, second], 3).matches["object_id"].tolist()
    assert [match["object_id"] for match in examples["matches"]] == expected

    with open(KEPLER, "rb") as handle:
        files = {"file": ("my star.fits", handle, "application/octet-stream")}
        uploaded = served.post("/api/search/upload", params={"k": 5}, files=files)
    assert uploaded.status_code == 200, uploaded.text
    expected = oracle.by_lightcurve(KEPLER, 5).matches
    assert [match["object_id"] for match in uploaded.json()["matches"]] == expected[
        "object_id"
    ].tolist()
    np.testing.assert_allclose(
        [match["distance"] for match in uploaded.json()["matches"]], expected["distance"], rtol=1e-5
    )
    with open(KEPLER, "rb") as first_file, open(KEPLER, "rb") as second_file:
        files = [
            ("file", ("a.fits", first_file, "application/octet-stream")),
            ("file", ("b.fits", second_file, "application/octet-stream")),
        ]
        several = served.post("/api/search/upload", params={"k": 3}, files=files)
    assert several.status_code == 200, several.text
    expected = oracle.by_inputs([KEPLER, KEPLER], 3).matches["object_id"].tolist()
    assert [match["object_id"] for match in several.json()["matches"]] == expected
    assert forwarding.calls == ["by_object", "by_examples", "by_input", "by_inputs"]

    thumbnail = served.get(f"/api/thumbnails/{first}.png")
    assert thumbnail.status_code == 200 and thumbnail.content.startswith(b"\x89PNG")
    assert forwarding.drawn == [first]


def test_a_search_without_an_encoder_refuses_uploads_with_a_client_error(forwarding, served):
    forwarding.encoder = None
    assert served.get("/api/health").json()["lightcurve_search"] is False
    with open(KEPLER, "rb") as handle:
        files = {"file": (KEPLER.name, handle, "application/octet-stream")}
        answer = served.post("/api/search/upload", params={"k": 5}, files=files)
    assert answer.status_code == 422
    assert "cannot embed uploads" in answer.json()["detail"]
    assert forwarding.calls == []
