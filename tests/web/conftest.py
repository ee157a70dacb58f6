"""Real server processes for the web tests: ``astrolens.web.serve`` of the tiny survey's index;
and the headless Chromium the page tests drive (``browser``).

One uvicorn process for the whole session, on a free port of 127.0.0.1, with its own temporary
folder (to check that uploads leave nothing behind) and its own cache folder (thumbnails); and
one serving two indexes of the tiny survey made by different encoders (the default model's and
the features baseline's), to compare them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from astrolens.pipeline import build_survey_index
from astrolens.search import SimilaritySearch, open_search
from astrolens.training import TrainConfig, train

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
"""The system's Chromium (the Debian package), or None."""

PAGE_TIMEOUT_MS = 60_000
"""Longest wait for the page (a shared, busy machine can take seconds to embed an upload)."""


class Chromium:
    """A headless Chromium (Playwright driving the system's browser) that opens pages for tests
    and checks each when it closes."""

    def __init__(self, browser) -> None:
        self.browser = browser

    @contextlib.contextmanager
    def open(
        self,
        url: str,
        *,
        width: int = 1360,
        height: int = 1000,
        downloads: bool = False,
        wait_for_index: bool = True,
    ) -> Iterator:
        """The page at ``url`` in a window ``width`` pixels wide (once it has said what it
        searches, with ``wait_for_index``); no script error nor failed request until the block
        ends (a picture still loading when the grid is replaced is cancelled, ERR_ABORTED: not
        a fault)."""
        from playwright import sync_api

        context = self.browser.new_context(
            accept_downloads=downloads, viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "requestfailed", lambda request: problems.append(f"{request.url}: {request.failure}")
        )
        page.goto(url)
        if wait_for_index:
            sync_api.expect(page.locator("#index-info")).to_contain_text("objects")
        yield page
        context.close()
        assert [problem for problem in problems if "ERR_ABORTED" not in problem] == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    """A headless Chromium for the module's page tests (skipped without Chromium or
    Playwright)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs the Python package playwright"
    )
    if CHROMIUM is None:
        pytest.skip("needs Chromium: apt-get install chromium (Debian package)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield Chromium(chromium)
        chromium.close()


MAX_UPLOAD_BYTES = 1_000_000
"""The test server's upload limit: a Kepler quarter (0.5 MB) passes, a TESS sector (2 MB) not."""

STARTUP_SECONDS = 240


@dataclass(frozen=True)
class Server:
    """A running server: its address, and the folders it was given."""

    url: str
    max_upload_bytes: int
    temporary: Path
    cache: Path
    log: Path
    process: subprocess.Popen

    def client(self, **options) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60.0, **options)


@pytest.fixture(scope="session")
def index_folder(tmp_path_factory) -> Path:
    """The index folder of the tiny survey (320 objects) embedded with the default model."""
    work = tmp_path_factory.mktemp("web-index")
    return build_survey_index(
        "tiny", out=work / "index", cache=work / "embeddings", workers=1, progress=False
    )


@pytest.fixture(scope="session")
def oracle(index_folder) -> SimilaritySearch:
    """The same search in this process, to compare the server's answers with."""
    return open_search(index_folder)


@pytest.fixture(scope="session")
def features_index(tmp_path_factory) -> Path:
    """The index folder ``features`` of the tiny survey embedded by a features-baseline run
    (no neural network: quick to train)."""
    work = tmp_path_factory.mktemp("features-web")
    run = train(
        TrainConfig(encoder="features", survey="tiny", threads=1, workers=1),
        work / "runs",
        name="features",
        progress=False,
        cache_root=work / "wavelets",
    )
    return build_survey_index(
        "tiny", run, work / "features", cache=work / "cache", workers=1, progress=False
    )


@pytest.fixture(scope="session")
def features_oracle(features_index) -> SimilaritySearch:
    """The features index searched in this process."""
    return open_search(features_index)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server(index_folder, tmp_path_factory) -> Server:
    """``astrolens.web.serve(index_folder)`` in its own process, ready when this returns."""
    with running_server(index_folder, tmp_path_factory.mktemp("web-server")) as running:
        yield running


@pytest.fixture(scope="session")
def two_encoders(index_folder, features_index, tmp_path_factory) -> Server:
    """One server (two worker processes) of two indexes: ``index`` (the default model's, the
    default) and ``features`` (the features baseline's)."""
    work = tmp_path_factory.mktemp("web-two-encoders")
    with running_server([index_folder, features_index], work, workers=2) as running:
        yield running


@pytest.fixture(scope="session")
def lightcurves_and_galaxies(index_folder, galaxy_index, tmp_path_factory) -> Server:
    """One server of ``index`` (light curves of the tiny survey, the default) and ``galaxies``
    (the tiny galaxy survey's images)."""
    work = tmp_path_factory.mktemp("lightcurves-and-galaxies")
    with running_server([index_folder, galaxy_index], work) as running:
        yield running


@pytest.fixture(scope="session")
def serve_index():
    """``serve_index(index_folder, work, workers=1, host=..., **settings)``: a context manager
    running a server of that index, or of several (``settings``: fields of its ``WebConfig``)."""
    return running_server


@contextlib.contextmanager
def running_server(
    index_folder: Path | Sequence[Path],
    work: Path,
    workers: int = 1,
    *,
    host: str = "127.0.0.1",
    **settings,
) -> Iterator[Server]:
    """Serve ``index_folder`` (or several) in its own process (files under ``work``) until the
    block ends.

    It listens on ``host`` and is reached at 127.0.0.1; ``settings`` are fields of its
    ``WebConfig`` (``max_upload_bytes`` is :data:`MAX_UPLOAD_BYTES` unless given).
    """
    folders = [index_folder] if isinstance(index_folder, Path) else list(index_folder)
    port = free_port()
    temporary, cache = work / "tmp", work / "cache"
    temporary.mkdir()
    log = work / "server.log"
    settings = {"max_upload_bytes": MAX_UPLOAD_BYTES, **settings}
    code = (
        "import json, sys; from astrolens.web import WebConfig, serve; "
        "serve(json.loads(sys.argv[1]), host=sys.argv[2], port=int(sys.argv[3]), "
        "workers=int(sys.argv[4]), config=WebConfig.from_dict(json.loads(sys.argv[5])), "
        "log_level='warning')"
    )
    environment = {
        **os.environ,
        "TMPDIR": str(temporary),
        "ASTROLENS_CACHE": str(cache),
        "MPLBACKEND": "Agg",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                json.dumps([str(folder) for folder in folders]),
                host,
                str(port),
                str(workers),
                json.dumps(settings),
            ],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    running = Server(
        f"http://127.0.0.1:{port}",
        settings["max_upload_bytes"],
        temporary,
        cache,
        log,
        process,
    )
    try:
        _wait_until_healthy(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"the server exited ({server.process.returncode}):\n{server.log.read_text()}"
            )
        try:
            if httpx.get(f"{server.url}/api/health", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not answer within {STARTUP_SECONDS} s:\n{server.log.read_text()}")
