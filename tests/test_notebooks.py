"""The tutorial notebooks run headless with their fast settings and show what they say.

Each notebook is executed (nbclient, ipykernel) with ``ASTROLENS_FAST=1``, a private
``ASTROLENS_CACHE`` and an empty working directory; its last cell prints a JSON summary of what it
showed, which the tests check. The committed copies are checked as files: executed, light, tidy.
"""

import json
import math
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from astrolens.simulate import CLASSES, SIZES
from astrolens.simulate.galaxies import GALAXY_CLASS_NAMES
from astrolens.simulate.galaxies import SIZES as GALAXY_SIZES

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = (
    "1-read-and-transform-lightcurves.ipynb",
    "2-train-and-evaluate-cnn.ipynb",
    "3-check-cnn-performance.ipynb",
    "3.5-download-test-lightcurves.ipynb",
    "4-lightcurve-similarity.ipynb",
    "5-galaxy-similarity.ipynb",
)
MAX_BYTES = 300_000
CELL_TIMEOUT_S = 240


class Executed:
    """Runs each notebook once, in file order of need, and keeps what it printed last."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.cwd = work / "cwd"
        self.cwd.mkdir()
        self.summaries: dict[str, dict] = {}
        self.notebooks: dict[str, nbformat.NotebookNode] = {}

    def __call__(self, name: str) -> dict:
        if name not in self.summaries:
            notebook = nbformat.read(REPO / name, as_version=4)
            client = NotebookClient(
                notebook,
                timeout=CELL_TIMEOUT_S,
                kernel_name="python3",
                resources={"metadata": {"path": str(self.cwd)}},
            )
            client.execute()
            self.notebooks[name] = notebook
            self.summaries[name] = json.loads(_stdout(notebook.cells[-1]).strip().splitlines()[-1])
        return self.summaries[name]

    def images(self, name: str) -> int:
        """Figures the executed notebook shows."""
        return sum(
            1
            for cell in self.notebooks[name].cells
            if cell.cell_type == "code"
            for output in cell.outputs
            if any(kind.startswith("image/") for kind in output.get("data", {}))
        )


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(
        output.text
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )


@pytest.fixture(scope="module")
def repo_runs():
    return sorted(path.name for path in (REPO / "runs").iterdir())


@pytest.fixture(scope="module")
def executed(tmp_path_factory, repo_runs):
    work = tmp_path_factory.mktemp("notebooks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASTROLENS_FAST", "1")
        patch.setenv("ASTROLENS_CACHE", str(work / "cache"))
        yield Executed(work)


@pytest.mark.slow
def test_1_reads_transforms_and_simulates(executed):
    summary = executed(NOTEBOOKS[0])
    assert summary["origin"] in ("MAST", "altaipony examples") and summary["files"] == 4
    assert summary["image_shape"] == [64, 64] and summary["cached_images"] == 4
    low, high = summary["period_days"]
    assert math.isclose(low * 24, 1.0) and math.isclose(high, 30.0)
    assert summary["period_axis"] == "period [d]"
    assert summary["survey"] == "tiny" and summary["objects"] == SIZES["tiny"]
    assert summary["classes"] == len(CLASSES)
    assert executed.images(NOTEBOOKS[0]) >= 4


@pytest.mark.slow
def test_2_trains_a_run_in_the_scratch_folder(executed, repo_runs):
    summary = executed(NOTEBOOKS[1])
    run = Path(summary["run"])
    assert run.is_relative_to(executed.work / "cache") and run.parent.name == "runs"
    assert {"metrics.json", "model.keras", "history.csv", "config.json"} <= set(summary["files"])
    assert summary["epochs_run"] == summary["history_rows"] == 1
    metrics = json.loads((run / "metrics.json").read_text())
    assert summary["test_accuracy"] == metrics["test"]["accuracy"]
    assert 0.0 <= summary["test_accuracy"] <= 1.0 and summary["classes"] == len(CLASSES)
    assert sorted(path.name for path in (REPO / "runs").iterdir()) == repo_runs
    assert executed.images(NOTEBOOKS[1]) >= 1


@pytest.mark.slow
def test_3_checks_the_run_of_notebook_2(executed):
    trained = Path(executed(NOTEBOOKS[1])["run"])
    summary = executed(NOTEBOOKS[2])
    assert Path(summary["run"]) == trained
    assert round(summary["accuracy"], 4) == summary["metrics_accuracy"]
    data = json.loads((trained / "data.json").read_text())
    assert summary["test_objects"] == data["n_objects"]["test"]
    assert summary["shown_mistakes"] == min(4, summary["misclassified"])
    assert trained.name in summary["runs"]
    assert summary["maps"] == len(summary["runs"])  # one embedding map per run
    assert Path(summary["baseline_run"]).name in summary["runs"]
    assert summary["baseline_encoder"] == "features" and 0 < summary["baseline_accuracy"] <= 1
    assert executed.images(NOTEBOOKS[2]) >= 3


@pytest.mark.slow
def test_3_5_embeds_real_light_curves(executed):
    summary = executed(NOTEBOOKS[3])
    assert summary["files"] == summary["embedded"] == 4 and summary["dimension"] == 64
    assert summary["object_ids"] == [
        "KIC 10002792",
        "KIC 10002792",
        "EPIC 211117077",
        "TIC 358108509",
    ]
    assert summary["nearest_to_first"] == "KIC 10002792"  # the other quarter of the same star
    assert set(summary["nearest_classes"]) <= set(CLASSES)


@pytest.mark.slow
def test_4_every_query_kind_and_the_explorer(executed):
    summary = executed(NOTEBOOKS[4])
    assert summary["top_match_class"] == summary["query_class"] == "RRab"
    assert not summary["query_in_matches"]
    assert summary["position_query"] == summary["position_object"]
    assert summary["file_query"] == "EPIC 211117077"
    assert summary["examples_matches"] == 8
    assert summary["filtered_missions"] == ["TESS"]
    low, high = summary["filtered_periods"]
    assert 0.3 <= low <= high <= 1.0
    assert summary["least_similar_sorted"]
    assert summary["explorer_query"] == summary["query"] and summary["explorer_matches"] == 6
    assert executed.images(NOTEBOOKS[4]) >= 4


@pytest.mark.slow
def test_5_trains_evaluates_and_searches_galaxy_images(executed):
    summary = executed(NOTEBOOKS[5])
    run = Path(summary["run"])
    assert run.is_relative_to(executed.work / "cache") and summary["trained_here"]
    assert summary["survey"] == "galaxies-tiny" and summary["objects"] == GALAXY_SIZES["tiny"]
    assert summary["classes"] == len(GALAXY_CLASS_NAMES)
    assert summary["encoder"] == "contrastive_galaxy"
    assert summary["epochs_run"] == summary["history_rows"] == 2
    metrics = json.loads((run / "metrics.json").read_text())
    assert summary["precision_at_10"] == metrics["retrieval"]["precision_at_10"]
    assert summary["turned_checked"] >= 40 and summary["turned_found_first"] == 1.0
    assert summary["turned_largest_distance"] < 1e-3  # the same 8 views: the same embedding
    assert summary["indexed"] == summary["objects"]
    assert summary["png_query"] == "my-galaxy.png"
    assert summary["png_top_match"] == summary["png_query_object"]  # the PNG finds itself
    assert summary["png_top_distance"] < 1e-4
    assert summary["png_matches"] == summary["csv_rows"] == summary["examples_matches"] == 8
    assert set(summary["deep_field_top_classes"]) == {"spiral", "elliptical", "star"}
    assert set(summary["deep_field_top_classes"].values()) <= set(GALAXY_CLASS_NAMES)
    if summary["stellarium_pictures"] is not None:  # Stellarium's pictures are installed
        assert summary["stellarium_pictures"] > 500
        assert summary["real_precision_at_5"] > 1.5 * summary["real_prior"]
    assert executed.images(NOTEBOOKS[5]) >= (8 if summary["stellarium_pictures"] else 6)


@pytest.mark.slow
def test_fast_runs_write_nothing_into_the_working_directory(executed):
    for name in NOTEBOOKS:
        executed(name)
    assert list(executed.cwd.iterdir()) == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_is_executed_light_and_tidy(name):
    path = REPO / name
    assert path.stat().st_size < MAX_BYTES
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    first, last_text = notebook.cells[0], [c for c in notebook.cells if c.cell_type == "markdown"]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "What you will learn" in first.source
    assert re.search(r"This copy was executed with the (full|fast) settings", first.source)
    assert last_text[-1].source.startswith("## Summary")
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "ASTROLENS_FAST" in code[0].source
    for cell in code:
        assert cell.execution_count is not None and "execution" not in cell.metadata
        assert all(output.output_type != "error" for output in cell.outputs)
    assert json.loads(_stdout(code[-1]).strip().splitlines()[-1])
