"""The main job on the data that ships offline (``astrolens demo``, ``make demo``).

Reads the real Kepler, K2 and TESS example light curves bundled with ``altaipony``, cleans them,
saves their wavelet power images in the cache under ``wavelets/`` and draws a figure of each. A
second run finds everything in place and recomputes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from astrolens.plots import plot_transforms, save_figure
from astrolens.sources import example_files, read_arrays
from astrolens.transform import TransformResult, series_from_arrays, transform_files
from astrolens.wavelets import WaveletCache

__all__ = ["DemoResult", "run_demo"]


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced: the power images and the figure of them."""

    transformed: TransformResult
    cache_dir: Path
    figure: Path
    figure_was_cached: bool


def run_demo(wavelet_root: str | PathLike[str] = "wavelets", progress: bool = True) -> DemoResult:
    """Transform the bundled example light curves and draw them; reuse whatever already exists.

    Parameters
    ----------
    wavelet_root
        Folder of the wavelet cache (``wavelets/`` of the project by default).
    progress
        Show progress bars.
    """
    files = example_files()
    transformed = transform_files(files, wavelet_root, progress=progress)
    cache_dir = WaveletCache(wavelet_root).directory
    figure_path = cache_dir / "examples.png"
    cached = figure_path.exists()
    if not cached:
        series = [series_from_arrays(read_arrays(path)) for path in transformed.paths]
        titles = [
            f"{image.meta.get('object_id')} ({image.meta.get('mission')})"
            for image in transformed.images
        ]
        figure = plot_transforms(list(zip(series, transformed.images, strict=True)), titles)
        save_figure(figure, figure_path)
    return DemoResult(transformed, cache_dir, figure_path, cached)
