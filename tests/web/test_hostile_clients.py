"""Hostile and broken clients of a real server process: other sites' pages, unknown host names,
extreme parameters, stalled, oversized and abandoned uploads. Each gets its answer at once (or
when its time is up) and leaves nothing behind: no temporary file, no traceback in the log.

Bodies that stall or stop half-way are written on raw sockets; the rest goes through httpx.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from astrolens.sources import example_files
from astrolens.web.uploads import MULTIPART_OVERHEAD_BYTES

KEPLER = example_files("Kepler")[0]
BOUNDARY = "hostile-boundary"
UPLOAD_TIMEOUT_SECONDS = 2.0
"""The upload time limit of the strict server."""
PORTAL = "https://portal.example.org"
"""The other site the strict server lets in."""


@pytest.fixture(scope="module")
def strict_server(index_folder, serve_index, tmp_path_factory):
    """A server listening on every address, with a short upload time limit, one more host name
    and one other site allowed."""
    with serve_index(
        index_folder,
        tmp_path_factory.mktemp("strict-server"),
        host="0.0.0.0",
        upload_timeout_seconds=UPLOAD_TIMEOUT_SECONDS,
        allowed_hosts=["localhost", "127.0.0.1", "[::1]", "lens.test"],
        allowed_origins=[PORTAL],
    ) as running:
        yield running


def upload_kepler(client, **headers):
    with open(KEPLER, "rb") as handle:
        files = {"file": (KEPLER.name, handle, "application/octet-stream")}
        return client.post("/api/search/upload", params={"k": 3}, files=files, headers=headers)


def part_head(name: str = "file", filename: str | None = "star.fits") -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()


def chunk(data: bytes) -> bytes:
    """``data`` as one chunk of a ``Transfer-Encoding: chunked`` body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def start_upload(server, length: int | None = None, *headers: str) -> socket.socket:
    """A connection that has sent the head of an upload (chunked when ``length`` is None)."""
    address = urlsplit(server.url)
    connection = socket.create_connection((address.hostname, address.port), timeout=30)
    lines = [
        "POST /api/search/upload HTTP/1.1",
        f"Host: {address.netloc}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        "Transfer-Encoding: chunked" if length is None else f"Content-Length: {length}",
        *headers,
    ]
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return connection


def read_answer(connection: socket.socket) -> tuple[int, dict[str, str], dict]:
    """The status, headers and JSON body of the answer on ``connection``."""
    data = b""
    while b"\r\n\r\n" not in data:
        received = connection.recv(65536)
        assert received, f"the connection closed before an answer: {data!r}"
        data += received
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (x.partition(":") for x in lines)}
    while len(body) < int(headers["content-length"]):
        received = connection.recv(65536)
        assert received, "the connection closed in the middle of the answer"
        body += received
    return int(status_line.split()[1]), headers, json.loads(body)


def is_closed(connection: socket.socket) -> bool:
    """Whether the server closed ``connection`` (waiting a few seconds at most)."""
    connection.settimeout(5)
    try:
        return connection.recv(65536) == b""
    except ConnectionResetError:
        return True


def uploads_in_progress(server) -> list[str]:
    return [path.name for path in server.temporary.iterdir() if "upload" in path.name]


def wait_until(condition: Callable[[], object], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)


def quiet_since(server, start: int) -> None:
    """Nothing the server logged after byte ``start`` of its log is a traceback or an error."""
    logged = server.log.read_text()[start:]
    assert "Traceback" not in logged and "ERROR" not in logged, logged


# -- other sites' pages and host names -------------------------------------------------------


def test_the_servers_own_page_may_search_and_upload(server):
    same_origin = {"Origin": server.url, "Sec-Fetch-Site": "same-origin"}
    with server.client() as client:
        assert upload_kepler(client, **same_origin).status_code == 200
        assert client.get("/api/search/random", headers=same_origin).status_code == 200
        assert client.get("/", headers={"Sec-Fetch-Site": "none"}).status_code == 200


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"Origin": "https://evil.example"}, "'https://evil.example' is not an allowed origin"),
        ({"Origin": "null"}, "'null' is not an allowed origin"),
        ({"Origin": "http://localhost:1"}, "'http://localhost:1' is not an allowed origin"),
        ({"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, "another web site"),
    ],
)
def test_other_sites_pages_get_403(server, headers, words):
    with server.client() as client:
        for answer in (
            upload_kepler(client, **headers),
            client.get("/api/search/random", headers=headers),
            client.get("/api/thumbnails/x.png", headers=headers),
        ):
            assert answer.status_code == 403
            assert answer.json()["detail"].startswith("cross-site request refused")
            assert words in answer.json()["detail"]
            assert answer.headers["connection"] == "close"


def test_links_from_other_sites_open_the_page(server):
    followed = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    with server.client() as client:
        assert client.get("/", headers=followed).status_code == 200


def test_a_refused_upload_is_answered_before_its_body_is_sent(server):
    with start_upload(server, 50_000_000, "Origin: https://evil.example") as connection:
        status, _, payload = read_answer(connection)
    assert status == 403 and "evil.example" in payload["detail"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
def test_the_names_of_this_machine_are_allowed_hosts(server, host):
    port = urlsplit(server.url).port
    with server.client() as client:
        assert client.get("/api/health", headers={"Host": f"{host}:{port}"}).status_code == 200
        assert client.get("/api/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["rebound.example", "localhost.rebound.example", "0.0.0.0"])
def test_other_host_names_get_400(server, host):
    port = urlsplit(server.url).port
    with server.client() as client:
        answer = client.get("/api/health", headers={"Host": f"{host}:{port}"})
        upload = upload_kepler(client, Host=host, Origin=f"http://{host}")
    assert answer.status_code == upload.status_code == 400
    assert answer.json()["detail"].startswith(f"invalid Host header '{host}:{port}'")
    assert "allowed_hosts" in answer.json()["detail"]


def test_serving_every_address_warns_and_allows_what_it_is_told(strict_server):
    logged = strict_server.log.read_text()
    assert "serving on 0.0.0.0" in logged and "no authentication" in logged
    assert "WebConfig.allowed_hosts" in logged and "WebConfig.allowed_origins" in logged
    with strict_server.client() as client:
        assert upload_kepler(client, Origin=PORTAL).status_code == 200
        assert client.get("/api/health", headers={"Host": "lens.test:80"}).status_code == 200
        assert client.get("/api/health", headers={"Host": "other.test"}).status_code == 400
        assert upload_kepler(client, Origin="https://evil.example").status_code == 403


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/search/random", {"k": "9" * 4000}),
        ("/api/search/random", {"seed": "-1", "mag_window": "1e-320"}),
        ("/api/search/random", {"mag_min": "-1e308", "mag_max": "1e308", "format": "csv"}),
        ("/api/search/random", {"class": ["x" * 200] * 100, "mission": "\x00"}),
        ("/api/search/coordinates", {"ra": "1e308", "dec": "nan"}),
        ("/api/search/coordinates", {"ra": "359.99999999999999999", "dec": "-90"}),
        ("/api/search/coordinates", {"ra": "0", "dec": "0", "radius_arcsec": "1e-300"}),
        ("/api/search/coordinates", {"ra": "99h99m99s", "dec": "-99d99m99s"}),
        ("/api/search/examples", {"id": ["a" * 200] * 50, "combine": "rrf"}),
        ("/api/objects/%00", {}),
    ],
)
def test_extreme_parameters_get_an_answer_not_a_server_error(server, path, params):
    with server.client() as client:
        answer = client.get(path, params=params)
    assert answer.status_code == 200 or 400 <= answer.status_code < 500, answer.text
    if answer.status_code != 200:
        assert answer.json()["detail"].strip()


# -- uploads: too large, too slow, abandoned ---------------------------------------------------


def test_every_part_of_a_chunked_body_counts_and_413_comes_early(server):
    endless = 50 * server.max_upload_bytes  # a field that would go on and on
    sent = 0
    with start_upload(server) as connection:
        connection.sendall(chunk(part_head("notes", filename=None)))
        while sent < endless and not select.select([connection], [], [], 0)[0]:
            try:
                connection.sendall(chunk(b"x" * 65536))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 65536
        status, headers, payload = read_answer(connection)
    assert status == 413 and headers["connection"] == "close"
    limit = server.max_upload_bytes + MULTIPART_OVERHEAD_BYTES
    assert payload["detail"].startswith(f"upload too large: the request body is over {limit:,}")
    assert sent < endless / 2  # answered while the client was sending (the rest is in buffers)


def test_a_declared_body_over_the_limit_is_413_before_it_is_sent(server):
    length = server.max_upload_bytes + 20_000  # a file within the limit, and a large field
    with start_upload(server, length) as connection:
        status, _, payload = read_answer(connection)
    assert status == 413 and f"declares {length:,} bytes" in payload["detail"]


def test_small_fields_beside_the_file_are_accepted(server):
    with server.client() as client, open(KEPLER, "rb") as handle:
        files = {"file": (KEPLER.name, handle, "application/octet-stream")}
        answer = client.post("/api/search/upload", data={"note": "x" * 4000}, files=files)
    assert answer.status_code == 200


def test_stalled_uploads_get_408_when_their_time_is_up_and_leave_nothing(strict_server):
    start = len(strict_server.log.read_text())
    connections = []
    begun = time.monotonic()
    for number in range(20):
        if number % 2:
            connection = start_upload(strict_server, 200_000)
            connection.sendall(part_head() + b"\0" * 1000)
        else:
            connection = start_upload(strict_server)
            connection.sendall(chunk(part_head() + b"\0" * 1000))
        connections.append(connection)
    wait_until(lambda: len(uploads_in_progress(strict_server)) == 20)
    with strict_server.client() as client:  # the server answers others meanwhile
        assert client.get("/api/health").status_code == 200
    for connection in connections:
        with connection:
            status, headers, payload = read_answer(connection)
            assert status == 408 and headers["connection"] == "close"
            assert payload["detail"].startswith(
                f"upload too slow: the body did not arrive within {UPLOAD_TIMEOUT_SECONDS:g} s"
            )
            assert is_closed(connection)
    assert UPLOAD_TIMEOUT_SECONDS <= time.monotonic() - begun < UPLOAD_TIMEOUT_SECONDS + 8
    assert uploads_in_progress(strict_server) == []
    quiet_since(strict_server, start)


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_a_client_that_leaves_mid_upload_is_forgotten_quietly(strict_server, chunked):
    start = len(strict_server.log.read_text())
    begun = part_head() + b"\0" * 100_000
    with start_upload(strict_server, None if chunked else 500_000) as connection:
        connection.sendall(chunk(begun) if chunked else begun)
        wait_until(lambda: uploads_in_progress(strict_server))
    wait_until(lambda: not uploads_in_progress(strict_server), UPLOAD_TIMEOUT_SECONDS / 2)
    with strict_server.client() as client:
        assert client.get("/api/health").status_code == 200
    quiet_since(strict_server, start)
