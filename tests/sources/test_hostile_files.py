"""Hostile files through the path an upload takes: each is read or refused, fast, never worse.

A seeded corpus of mutated real FITS files and CSV tables (:mod:`astrolens.sources.hostile`) goes
through what ``POST /api/search/upload`` does: ``LightCurveModality.load`` then ``.represent``.
Every file must end in a wavelet image or an :class:`~astrolens.errors.InvalidLightCurve` (the
web server's 422), within a few seconds. The file and grid limits are lowered so that the bombs
and the longest light curves stay small; ``benchmarks/fuzz_inputs.py`` runs thousands of files
at the limits as they ship.
"""

from __future__ import annotations

import gzip
import time

import pytest

from astrolens import wavelets
from astrolens.errors import InvalidLightCurve
from astrolens.modalities.lightcurve import LightCurveModality
from astrolens.sources import limits
from astrolens.sources.hostile import MUTATIONS, hostile_files

SEED = 20261202
FILES_PER_MUTATION = 50
CASE_SECONDS = 5.0
"""Far more than any case takes (0.3 s at most on a 2-core Xeon), for slow machines."""


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 4 * 2**20)
    monkeypatch.setattr(limits, "MAX_GRID_CELLS", 100_000)


@pytest.mark.usefixtures("small_limits")
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_every_hostile_file_is_read_or_refused_fast(tmp_path, mutation):
    modality = LightCurveModality()
    failures = []
    outcomes = []
    for case in hostile_files(tmp_path, FILES_PER_MUTATION, seed=SEED, mutations=[mutation]):
        start = time.perf_counter()
        try:
            modality.represent(modality.load(case.path), "wavelet")
            outcomes.append("ok")
        except (InvalidLightCurve, FileNotFoundError):
            outcomes.append("refused")
        except Exception as error:  # what this test looks for
            failures.append(f"{case.path.name} ({case.detail}): {type(error).__name__}: {error}")
        seconds = time.perf_counter() - start
        if seconds > CASE_SECONDS:
            failures.append(f"{case.path.name} ({case.detail}): took {seconds:.1f} s")
        case.path.unlink()

    assert not failures, "\n".join(failures)
    assert len(outcomes) == FILES_PER_MUTATION
    assert wavelets._FILTER_BANKS.nbytes <= wavelets.FILTER_CACHE_BYTES


@pytest.mark.usefixtures("small_limits")
def test_bombs_are_bigger_than_the_limit_and_small_on_disk(tmp_path):
    for case in hostile_files(tmp_path, 8, seed=SEED, mutations=["gzip_bomb"]):
        unpacked = len(gzip.decompress(case.path.read_bytes()))
        assert unpacked > limits.MAX_FILE_BYTES, case.detail
        assert case.path.stat().st_size < unpacked / 4, case.detail


def test_the_same_seed_writes_the_same_files(tmp_path):
    def corpus(name: str, seed: int) -> list[bytes]:
        (tmp_path / name).mkdir()
        return [case.path.read_bytes() for case in hostile_files(tmp_path / name, 7, seed=seed)]

    assert corpus("a", SEED) == corpus("b", SEED) != corpus("c", SEED + 1)


def test_unknown_mutations_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown mutations \\['bit_flip'\\]"):
        next(hostile_files(tmp_path, 1, mutations=["bit_flip"]))
