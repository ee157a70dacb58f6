"""Start-up: the top-level verbs, and what a search by object id leaves unimported.

What a path imports is checked in a fresh interpreter (the test process has loaded everything);
how long start-up takes is measured by ``benchmarks/bench_startup.py``, not here.
"""

import importlib
import json
import subprocess
import sys

import pytest

import astrolens
from astrolens.pipeline import build_survey_index
from astrolens.simulate import SurveyConfig, generate_catalog

MINI = SurveyConfig(name="mini", n_objects=12)
HEAVY = ("tensorflow", "keras", "lightkurve", "matplotlib")
"""Libraries that a search by object id has no use for (together, seconds of start-up)."""

VERBS = {
    "read": "astrolens.sources.reader",
    "download": "astrolens.sources.mast",
    "train": "astrolens.training",
    "load_run": "astrolens.runs",
    "embed_lightcurve": "astrolens.embed",
    "embed_files": "astrolens.embed",
    "build_survey_index": "astrolens.pipeline",
    "open_search": "astrolens.search.service",
}


def _loaded_after(code: str) -> dict[str, bool]:
    """Which of :data:`HEAVY` a fresh interpreter has imported after running ``code``."""
    report = f"import json, sys; print(json.dumps({{n: n in sys.modules for n in {HEAVY!r}}}))"
    finished = subprocess.run(
        [sys.executable, "-c", f"{code}\n{report}"], capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def mini_index(tmp_path_factory):
    work = tmp_path_factory.mktemp("startup")
    return build_survey_index(MINI, out=work / "index", cache=work, workers=1, progress=False)


@pytest.fixture(scope="module")
def loaded_by_search_by_id(mini_index):
    """The heavy libraries loaded by ``astrolens search --id`` run in a fresh interpreter."""
    object_id = generate_catalog(MINI)["object_id"].iloc[3]
    argv = ["-q", "search", "--index", str(mini_index), "--id", object_id, "-k", "3"]
    return _loaded_after(
        f"from astrolens.cli import main\nassert main({argv!r}) == 0, 'search failed'"
    )


@pytest.fixture(scope="module")
def loaded_by_open_search_verb():
    return _loaded_after("import astrolens\nastrolens.open_search")


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_each_verb_is_the_function_of_its_stage(verb):
    function = getattr(astrolens, verb)
    assert function is getattr(importlib.import_module(VERBS[verb]), verb)
    assert function.__module__ == VERBS[verb]


def test_verbs_are_listed_and_in_all_and_other_names_raise():
    assert set(VERBS) <= set(dir(astrolens))
    assert set(VERBS) <= set(astrolens.__all__)
    with pytest.raises(AttributeError, match="no attribute 'build_index'"):
        astrolens.build_index  # noqa: B018


def test_verbs_are_importable_by_name():
    from astrolens import build_survey_index as verb

    assert verb is build_survey_index


def test_import_astrolens_loads_no_numerical_library():
    loaded = _loaded_after("import astrolens, sys\nassert 'numpy' not in sys.modules")
    assert not any(loaded.values()), loaded


@pytest.mark.parametrize("library", ["tensorflow", "keras"])
def test_the_open_search_verb_does_not_load(library, loaded_by_open_search_verb):
    assert not loaded_by_open_search_verb[library]


@pytest.mark.parametrize("library", ["tensorflow", "keras"])
def test_search_by_id_from_the_command_line_does_not_load(library, loaded_by_search_by_id):
    assert not loaded_by_search_by_id[library]


@pytest.mark.parametrize("library", ["lightkurve", "matplotlib"])
def test_the_open_search_verb_does_not_load_lightkurve_or_matplotlib(
    library, loaded_by_open_search_verb
):
    assert not loaded_by_open_search_verb[library]


@pytest.mark.parametrize("library", ["lightkurve", "matplotlib"])
def test_search_by_id_from_the_command_line_does_not_load_lightkurve_or_matplotlib(
    library, loaded_by_search_by_id
):
    assert not loaded_by_search_by_id[library]
