"""Real test light curves: from MAST when it answers, else the bundled examples."""

from pathlib import Path

import pytest
from astropy.io import fits

from astrolens.errors import ArchiveUnavailable
from astrolens.sources import example_files, fallback
from astrolens.sources.fallback import EXAMPLE_OBSERVATIONS, download_or_examples
from astrolens.sources.mast import MastCache, MastQuery

SEQUENCE_KEYWORDS = {"quarter": "QUARTER", "campaign": "CAMPAIGN", "sector": "SECTOR"}


def test_the_observations_are_those_of_the_bundled_files():
    observed = set()
    for observation in EXAMPLE_OBSERVATIONS:
        query = MastQuery.build(**observation)
        (kind,) = set(SEQUENCE_KEYWORDS) & set(observation)
        numbers = getattr(query, f"{kind}s")
        observed |= {(query.target, query.missions[0], number) for number in numbers}
    bundled = set()
    for path in example_files():
        header = fits.getheader(path)
        mission = header.get("MISSION") or header["TELESCOP"]
        keyword = next(key for key in SEQUENCE_KEYWORDS.values() if key in header)
        bundled.add((header["OBJECT"], mission, int(header[keyword])))
    assert observed == bundled


def test_files_come_from_mast_when_it_answers(monkeypatch, tmp_path):
    calls = []

    def download(**arguments):
        calls.append(arguments)
        return [tmp_path / f"{arguments['target']}.fits"]

    monkeypatch.setattr(fallback, "download", download)
    cache = MastCache(tmp_path)
    found = download_or_examples(cache=cache, progress=False)
    assert found.origin == "MAST" and found.reason is None
    assert found.paths == tuple(tmp_path / f"{o['target']}.fits" for o in EXAMPLE_OBSERVATIONS)
    assert calls == [{**o, "cache": cache, "progress": False} for o in EXAMPLE_OBSERVATIONS]


def test_offline_the_bundled_files_stand_in(monkeypatch):
    def download(**arguments):
        raise ArchiveUnavailable("MAST (mast.stsci.edu) cannot be reached. Work from local files")

    monkeypatch.setattr(fallback, "download", download)
    found = download_or_examples(progress=False)
    assert found.origin == "altaipony examples"
    assert found.paths == tuple(example_files())
    assert found.reason.startswith("MAST (mast.stsci.edu) cannot be reached")


def test_offline_other_observations_have_no_stand_in(monkeypatch):
    def download(**arguments):
        raise ArchiveUnavailable("MAST cannot be reached")

    monkeypatch.setattr(fallback, "download", download)
    with pytest.raises(ArchiveUnavailable):
        download_or_examples([{"target": "Kepler-10", "quarter": 3}], progress=False)


def test_offline_for_real_fails_fast_to_the_examples(tmp_path):
    found = download_or_examples(cache=MastCache(tmp_path), progress=False)
    if found.origin == "MAST":  # a machine that reaches MAST
        assert [Path(path).name for path in found.paths] == [p.name for p in example_files()]
    else:
        assert found.paths == tuple(example_files()) and "MAST" in found.reason
