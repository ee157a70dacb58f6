"""Several server processes on one address: both answer, alike, share the connections that
arrive together, and all stop together."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from collections import Counter

import httpx
import pytest
import uvicorn

from astrolens.web.app import MAX_DEFAULT_WORKERS, _listeners, default_workers

LINUX = sys.platform.startswith("linux")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_default_workers_is_one_per_core_within_the_cap():
    cores = len(os.sched_getaffinity(0))
    assert default_workers() == max(1, min(MAX_DEFAULT_WORKERS, cores))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")
def test_two_workers_share_the_port_answer_alike_and_stop_together(
    index_folder, oracle, serve_index, tmp_path
):
    first = oracle.catalog.object_ids[5]
    expected = oracle.by_object(first, 4).matches["object_id"].tolist()
    processes, answers = set(), []
    with serve_index(index_folder, tmp_path, workers=2) as server:
        # A new connection each time: the kernel spreads them over the workers that
        # listen. The second may still be loading its index, so ask until both answer.
        deadline = time.monotonic() + 120.0
        while time.monotonic() < deadline:
            with httpx.Client(base_url=server.url, timeout=60.0) as client:
                processes.add(client.get("/api/health").json()["process"])
                found = client.get("/api/search/object", params={"id": first, "k": 4})
                answers.append([match["object_id"] for match in found.json()["matches"]])
            if len(processes) == 2 and len(answers) >= 10:
                break
            if len(answers) >= 10:
                time.sleep(0.25)
        assert len(processes) == 2 and server.process.pid not in processes
        assert all(answer == expected for answer in answers)
        if LINUX:  # 16 keep-alive connections opened at once go to both (one alone: p = 3e-5)
            together = Counter(asyncio.run(_processes_of_connections(server.url, 16)))
            assert set(together) == processes, together
    assert server.process.poll() is not None  # the supervisor has exited...
    assert not any(_alive(pid) for pid in processes)  # ...and its workers with it


async def _process_of_connection(host: str, port: int) -> int:
    """The server process that answers a new keep-alive connection."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /api/health HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    process = json.loads(await reader.readexactly(length))["process"]
    writer.close()
    return process


async def _processes_of_connections(url: str, count: int) -> list[int]:
    host, port = url.removeprefix("http://").split(":")
    return await asyncio.gather(*(_process_of_connection(host, int(port)) for _ in range(count)))


@pytest.mark.skipif(not LINUX, reason="SO_REUSEPORT spreads connections on Linux")
def test_each_worker_listens_on_its_own_socket_of_one_address():
    listeners = _listeners(uvicorn.Config(app=None, host="127.0.0.1", port=0), 3)
    try:
        assert len({id(listener) for listener in listeners}) == 3
        assert len({listener.getsockname() for listener in listeners}) == 1
        address = listeners[0].getsockname()
        with socket.create_connection(address, timeout=5):
            pass
        again = uvicorn.Config(app=None, host="127.0.0.1", port=address[1])
        with pytest.raises(OSError, match="in use"):  # another server there: refused, not shared
            _listeners(again, 2)
    finally:
        for listener in listeners:
            listener.close()
