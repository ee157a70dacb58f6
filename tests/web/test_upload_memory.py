"""Hostile uploads do not grow the server: after 100 of them (light curves with a few rows far
away in time, spans of 10 to 100,000 days, and corrupt files), every one answered 200 or 4xx,
the server process holds about the memory it held after 10 ordinary uploads."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from astrolens.simulate import lightcurve_arrays

WARM_UP_UPLOADS = 10
SPANS_DAYS = np.geomspace(10, 1e5, 88)
"""How far the added rows reach: one hostile upload each."""
CORRUPT_FILES = {
    "binary.csv": bytes(range(256)) * 64,
    "empty.csv": b"",
    "header-only.csv": b"time,flux,flux_err\n",
    "one-row.csv": b"time,flux\n1.0,1.0\n",
    "truncated.csv": b"time,flux,flux_err\n1.0,1.0,0.1\n1.02,0.99,0.1\n1.04,1.",
    "nan-times.csv": b"time,flux\n" + b"nan,1.0\n" * 500,
    "infinite-times.csv": b"time,flux\n1,1\n2,1\ninf,1\n-inf,1\n3,1\n",
    "huge-times.csv": b"time,flux\n" + b"".join(b"%r,1.0\n" % (1e300 * i) for i in range(1, 50)),
    "equal-times.csv": b"time,flux\n" + b"5.0,1.0\n" * 500,
    "words.csv": b"time,flux\n" + b"yesterday,bright\n" * 100,
    "broken.fits": b"SIMPLE  =                    T" + b"\0" * 4000,
    "huge-fluxes.csv": b"time,flux\n" + b"".join(b"%d,1e308\n" % i for i in range(500)),
}
HOSTILE_UPLOADS = len(SPANS_DAYS) + len(CORRUPT_FILES)
GROWTH_ALLOWED = 0.20


def resident_bytes(pid: int) -> int:
    """The resident memory (VmRSS) of process ``pid``."""
    status = Path(f"/proc/{pid}/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kilobytes) * 1024


def csv_bytes(time: np.ndarray, flux: np.ndarray, flux_err: np.ndarray) -> bytes:
    text = io.StringIO()
    pd.DataFrame({"time": time, "flux": flux, "flux_err": flux_err}).to_csv(
        text, index=False, float_format="%.10g"
    )
    return text.getvalue().encode()


def stretched(arrays, span_days: float) -> bytes:
    """The light curve with three more rows, the last ``span_days`` after its first."""
    start = arrays.time[0]
    added = start + span_days * np.array([0.5, 0.9, 1.0])
    median = np.nanmedian(arrays.flux)
    return csv_bytes(
        np.concatenate([arrays.time, added]),
        np.concatenate([arrays.flux, np.full(3, median)]),
        np.concatenate([arrays.flux_err, np.full(3, np.nanmedian(arrays.flux_err))]),
    )


def upload(client, name: str, content: bytes):
    files = {"file": (name, content, "text/csv")}
    return client.post("/api/search/upload", params={"k": 5}, files=files)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/<pid>/status")
def test_hostile_uploads_get_client_errors_and_leave_memory_where_it_was(
    index_folder, oracle, serve_index, tmp_path
):
    rows = [oracle.catalog.table.iloc[number] for number in range(WARM_UP_UPLOADS)]
    ordinary = [lightcurve_arrays(row) for row in rows]
    with serve_index(index_folder, tmp_path, workers=1) as server, server.client() as client:
        pid = server.process.pid
        for number, arrays in enumerate(ordinary):
            answer = upload(
                client, f"star{number}.csv", csv_bytes(arrays.time, arrays.flux, arrays.flux_err)
            )
            assert answer.status_code == 200, answer.text
        warm = resident_bytes(pid)

        answers = {}
        for number, span in enumerate(SPANS_DAYS):
            name = f"span-{span:.0f}d.csv"
            answers[name] = upload(client, name, stretched(ordinary[number % len(ordinary)], span))
        for name, content in CORRUPT_FILES.items():
            answers[name] = upload(client, name, content)
        after = resident_bytes(pid)

    statuses = {name: answer.status_code for name, answer in answers.items()}
    print(
        f"\nserver resident memory: {warm / 2**20:.1f} MiB after {WARM_UP_UPLOADS} ordinary "
        f"uploads, {after / 2**20:.1f} MiB after {HOSTILE_UPLOADS} hostile ones "
        f"({after / warm - 1:+.1%}); answers: {sorted(set(statuses.values()))}"
    )
    assert len(answers) == HOSTILE_UPLOADS == 100
    failed = {name: (code, answers[name].text[:200]) for name, code in statuses.items()}
    failed = {name: item for name, item in failed.items() if item[0] >= 500}
    assert failed == {}, failed
    assert all(code == 200 or 400 <= code < 500 for code in statuses.values()), statuses
    assert after <= (1 + GROWTH_ALLOWED) * warm, (
        f"the server grew from {warm / 2**20:.1f} to {after / 2**20:.1f} MiB"
    )
