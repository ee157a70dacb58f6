"""Uploads are read and embedded a few at a time: their memory is bounded together."""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from astrolens.search import Filters, open_search
from astrolens.sources import example_files
from astrolens.web.api import _search_file
from astrolens.web.app import create_app
from astrolens.web.state import WebConfig
from astrolens.web.uploads import ReceivedFile

KEPLER = example_files("Kepler")[0]


def test_at_most_max_concurrent_uploads_are_embedded_at_once(index_folder, tmp_path):
    search = open_search(index_folder)
    load = search.load
    lock, running, most = threading.Lock(), [0], [0]

    def slow_load(source, *, label=None):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        try:
            return load(source, label=label)
        finally:
            with lock:
                running[0] -= 1

    search.load = slow_load
    config = WebConfig(max_concurrent_uploads=2)
    state = create_app(search, config=config, thumbnail_dir=tmp_path / "thumbs").state.astrolens
    uploads = []
    for number in range(6):
        path = shutil.copy(KEPLER, tmp_path / f"upload-{number}.fits")
        uploads.append(ReceivedFile(path, path.name, path.stat().st_size))
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(
                lambda upload: _search_file(state, search, upload, 3, Filters(), False), uploads
            )
        )
    assert most[0] == 2 and all(len(result) == 3 for result, _ in answers)
