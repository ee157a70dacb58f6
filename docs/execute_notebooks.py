"""Execute the tutorial notebooks in place, so that they render with their outputs.

Usage (from the repository root)::

    .venv/bin/python docs/execute_notebooks.py                 # all six, full settings
    .venv/bin/python docs/execute_notebooks.py --fast 4-lightcurve-similarity.ipynb

Full settings write what the notebooks make into the working directory (``--cwd``, default the
repository): ``catalogs/``, ``wavelets/``, ``indexes/`` and a new run under ``runs/`` (notebook 2
trains for about 15 minutes on 2 cores). ``--fast`` runs the test suite's settings instead. The
outputs are tidied: no execution timestamps, no TensorFlow start-up messages.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(path.name for path in REPO.glob("[0-9]*.ipynb"))
NOISE = (
    "All log messages before absl::InitializeLog()",
    "oneDNN custom operations are on",
    "cpu_feature_guard.cc",
    "To enable the following instructions",
    "Kernel is running over TCP without encryption",
)
"""Start-up messages of TensorFlow and the kernel that say nothing about the notebook."""

EXECUTED_WITH = re.compile(r"This copy was executed with the \w+ settings")
"""The sentence of a notebook's first cell that says which settings its outputs come from."""


def tidy(notebook: nbformat.NotebookNode) -> None:
    """Drop execution timestamps, widget state and start-up noise from an executed notebook."""
    notebook.metadata.pop("widgets", None)
    notebook.metadata["language_info"] = {"name": "python"}
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            output.get("metadata", {}).pop("execution", None)
            if output.output_type == "stream" and output.name == "stderr":
                lines = output.text.splitlines(keepends=True)
                output.text = "".join(line for line in lines if not _is_noise(line))
                if not output.text.strip():
                    continue
            kept.append(output)
        cell.outputs = kept


def _is_noise(line: str) -> bool:
    return any(message in line for message in NOISE)


def execute(path: Path, cwd: Path, timeout_s: int, settings: str) -> float:
    """Run one notebook with its working directory ``cwd``, save it tidied; the seconds taken.

    ``settings`` (``"full"`` or ``"fast"``) is written into the first cell's sentence saying
    which settings the outputs come from.
    """
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    first.source = EXECUTED_WITH.sub(
        f"This copy was executed with the {settings} settings", first.source
    )
    started = time.perf_counter()
    resources = {"metadata": {"path": str(cwd)}}
    client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3", resources=resources)
    client.execute()
    tidy(notebook)
    nbformat.write(notebook, path)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=NOTEBOOKS, help="notebooks (default: all)")
    parser.add_argument("--fast", action="store_true", help="the test suite's settings")
    parser.add_argument("--cwd", type=Path, default=REPO, help="working directory of the kernels")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    args = parser.parse_args()
    if args.fast:
        os.environ["ASTROLENS_FAST"] = "1"
    else:
        os.environ.pop("ASTROLENS_FAST", None)
    for name in args.names:
        path = REPO / name
        settings = "fast" if args.fast else "full"
        seconds = execute(path, args.cwd.resolve(), args.timeout, settings)
        size = path.stat().st_size / 1024
        print(f"{name}: {seconds:.0f} s, {size:.0f} KiB", flush=True)


if __name__ == "__main__":
    main()
