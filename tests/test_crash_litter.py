"""Writers killed (SIGKILL) at random moments leave nothing behind once one more write is done.

Eight writer processes write, over and over, each its own index folder, table file and cache
folder, all in one folder; each is killed at a random (seeded) moment. Their writes are slowed
down (every flush, every rename) so that a kill lands inside one: half-written folders and files,
swaps killed between their two renames, old folders not yet removed. While they run, each write
tidies the folder, next to the others' work in progress. Then one good writer of each kind
writes, and the folder must hold the targets only, all whole.
"""

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from astrolens.files import written_atomically, written_folder
from astrolens.index import build_index, load_index

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="writers are identified through /proc (Linux)"
)

N_WRITERS = 8
N_VECTORS = 300
TABLE_BLOCKS = 16

_WRITER = textwrap.dedent(
    """
    import itertools
    import sys
    import time
    from pathlib import Path

    import numpy as np

    from astrolens import files
    from astrolens.index import build_index

    folder, number = Path(sys.argv[1]), int(sys.argv[2])
    fsync, rename = files.fsync_path, Path.rename


    def slow_fsync(path):
        time.sleep(0.002)
        fsync(path)


    def slow_rename(self, target):
        moved = rename(self, target)
        time.sleep(0.005)  # after the first rename of a swap: a window with the folder missing
        return moved


    files.fsync_path, Path.rename = slow_fsync, slow_rename
    vectors = np.random.default_rng(number).normal(size=(%(n_vectors)d, 8)).astype(np.float32)
    print("ready", flush=True)
    for version in itertools.count():
        index = build_index(vectors, np.arange(len(vectors)), run=f"v{version}", progress=False)
        index.save(folder / f"index-{number}")
        with files.written_atomically(folder / f"table-{number}.bin") as temporary:
            with temporary.open("wb") as handle:
                for block in range(%(table_blocks)d):
                    handle.write(bytes([block]) * 4096)
                    handle.flush()
                    time.sleep(0.001)
        with files.written_folder(folder / f"cache-{number}") as write:
            for block in range(4):
                (write.staging / f"part-{block}.npy").write_bytes(bytes([version %% 256]) * 4096)
    """
) % {"n_vectors": N_VECTORS, "table_blocks": TABLE_BLOCKS}


def _vectors(number: int) -> np.ndarray:
    return np.random.default_rng(number).normal(size=(N_VECTORS, 8)).astype(np.float32)


def _table() -> bytes:
    return b"".join(bytes([block]) * 4096 for block in range(TABLE_BLOCKS))


def _start_writers(folder: Path) -> list[subprocess.Popen]:
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(folder), str(number)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        for number in range(N_WRITERS)
    ]
    for writer in writers:
        line = writer.stdout.readline()
        assert line == b"ready\n", writer.stderr.read().decode()
    return writers


def _kill_at_random_moments(writers: list[subprocess.Popen], folder: Path, seed: int) -> int:
    """Kill each writer at a moment drawn from the first 1.5 s; each must still be writing (a
    writer that removed another's work in progress would have failed). Returns how many left
    temporaries behind (that the others, still writing, remove)."""
    moments = np.random.default_rng(seed).uniform(0.3, 1.5, size=len(writers))
    started = time.monotonic()
    caught = 0
    for number in np.argsort(moments):
        time.sleep(max(0.0, started + moments[number] - time.monotonic()))
        writer = writers[number]
        assert writer.poll() is None, f"writer {number} failed:\n{writer.stderr.read().decode()}"
        writer.send_signal(signal.SIGKILL)
        assert writer.wait() == -signal.SIGKILL
        owned = re.compile(rf"\..+\.(writing|previous)-{writer.pid}-.*")
        caught += any(owned.fullmatch(name) for name in os.listdir(folder))
    return caught


@pytest.mark.slow
def test_writers_killed_at_random_moments_leave_nothing_after_one_good_write(tmp_path):
    folder = tmp_path / "out"
    for number in range(N_WRITERS):  # what the writers replace
        build_index(_vectors(number), np.arange(N_VECTORS), run="first", progress=False).save(
            folder / f"index-{number}"
        )
    assert _kill_at_random_moments(_start_writers(folder), folder, seed=7)  # inside writes
    for number in range(N_WRITERS):  # a reader finds each index whole, if need be moved aside
        index = load_index(folder / f"index-{number}")
        np.testing.assert_array_equal(index.vectors, _vectors(number))

    vectors = _vectors(100)
    build_index(vectors, np.arange(N_VECTORS), run="good", progress=False).save(folder / "index-0")
    with written_atomically(folder / "table-0.bin") as temporary:
        temporary.write_bytes(_table())
    with written_folder(folder / "cache-0") as write:
        (write.staging / "part-0.npy").write_bytes(b"good")

    assert not [path.name for path in folder.iterdir() if path.name.startswith(".")]
    for number in range(N_WRITERS):
        assert (folder / f"index-{number}").is_dir()  # put back if a swap was killed halfway
        index = load_index(folder / f"index-{number}")  # every file checked against its SHA-256
        expected = vectors if number == 0 else _vectors(number)
        np.testing.assert_array_equal(index.vectors, expected)
        table = folder / f"table-{number}.bin"
        assert not table.exists() or table.read_bytes() == _table()
    assert load_index(folder / "index-0").run == "good"
    assert [path.name for path in (folder / "cache-0").iterdir()] == ["part-0.npy"]
