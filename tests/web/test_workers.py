"""Several server processes on one socket: both answer, alike, and all stop together."""

from __future__ import annotations

import os
import time

import httpx
import pytest

from astrolens.web.app import MAX_DEFAULT_WORKERS, default_workers


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
    assert server.process.poll() is not None  # the supervisor has exited...
    assert not any(_alive(pid) for pid in processes)  # ...and its workers with it
