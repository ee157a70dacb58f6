"""MAST access without a network: how fast `astrolens.sources.mast` fails, what a cache hit costs.

1. Offline failure: ``search`` (connection probe, then lightkurve) against the baseline
   ``lightkurve.search_lightcurve`` called directly, both on a machine where MAST cannot be
   reached; the median time to the exception is reported. Where MAST *can* be reached this part
   is skipped.
2. Cache hit: ``download`` of targets whose search and files are already in a `MastCache` (seeded
   with the example files, as an offline installation would be) against the baseline of reading
   the same files with ``astrolens.sources.read``; the ratio says how small the cache's share of
   "get the light curves of this target again" is.

Usage: ``python benchmarks/bench_mast.py [--quick] [--repeats N]``
"""

from __future__ import annotations

import argparse
import logging
import shutil
import socket
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import lightkurve as lk
from astropy.io import fits
from astropy.table import Table
from timing import median_seconds

from astrolens.errors import ArchiveUnavailable
from astrolens.sources import example_files, read
from astrolens.sources.mast import MAST_HOST, MAST_PORT, MastCache, MastQuery, download, search


def _raises(function: Callable[[], object], error: type[BaseException]) -> Callable[[], None]:
    def call() -> None:
        try:
            function()
        except error:
            return
        raise AssertionError(f"{function} did not raise {error.__name__}")

    return call


def _lightkurve_search() -> None:
    lk.search_lightcurve.cache_clear()
    lk.search_lightcurve("Kepler-10", author="Kepler")


def _seed(cache: MastCache, paths: list[Path]) -> list[dict[str, str]]:
    """Store the example files as the search results of their targets, as MAST would list them.

    Returns the `download` arguments that find each target's entry.
    """
    by_target: dict[tuple[str, str], list[Path]] = {}
    for path in paths:
        header = fits.getheader(path)
        mission = header.get("MISSION", header.get("TELESCOP"))
        by_target.setdefault((str(header["OBJECT"]), mission), []).append(path)
    arguments = []
    for (target, mission), files in by_target.items():
        products = Table(
            {
                "productFilename": [path.name for path in files],
                "dataURI": [f"mast:{mission}/product/{path.name}" for path in files],
                "obs_collection": [mission] * len(files),
                "obs_id": [path.name.removesuffix(".fits") for path in files],
                "size": [path.stat().st_size for path in files],
            }
        )
        cache.save_search(MastQuery.build(target, mission=mission), products)
        for product, path in zip(products, files, strict=True):
            destination = cache.product_path(product)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, destination)
        arguments.append({"target": target, "mission": mission})
    return arguments


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats")
    parser.add_argument("--repeats", type=int, default=25, help="timed calls per measurement")
    arguments = parser.parse_args(argv)
    repeats = 3 if arguments.quick else arguments.repeats
    logging.getLogger("lightkurve").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    rows = []

    with tempfile.TemporaryDirectory() as folder:
        cache = MastCache(Path(folder) / "mast")
        try:
            socket.create_connection((MAST_HOST, MAST_PORT), timeout=2).close()
            print("MAST is reachable from this machine: offline failure not measured")
        except OSError:
            ours = _raises(
                lambda: search("Kepler-10", author="Kepler", cache=cache), ArchiveUnavailable
            )
            baseline = _raises(_lightkurve_search, OSError)
            rows.append(
                (
                    "offline failure",
                    median_seconds(baseline, repeats),
                    median_seconds(ours, repeats),
                )
            )

        paths = example_files()
        seeded = _seed(cache, paths)

        def cached_download() -> None:
            found = [download(**target, cache=cache, progress=False) for target in seeded]
            assert sum(map(len, found)) == len(paths)

        def read_files() -> None:
            for path in paths:
                read(path)

        cached_download()
        read_files()
        rows.append(
            (
                f"cache hit, {len(paths)} files",
                median_seconds(read_files, repeats),
                median_seconds(cached_download, repeats),
            )
        )

    print(f"{'measurement':<22} {'baseline ms':>12} {'astrolens ms':>13} {'ratio':>7}")
    for name, baseline_s, ours_s in rows:
        ratio = baseline_s / ours_s
        print(f"{name:<22} {baseline_s * 1e3:12.2f} {ours_s * 1e3:13.2f} {ratio:7.2f}")
    print("baselines: lightkurve.search_lightcurve offline; astrolens.sources.read of the files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
