"""The gallery figure: one example per class, a small PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import numpy as np

from astrolens.simulate import CLASSES
from astrolens.simulate.gallery import GALLERY_PATH, gallery_examples, make_gallery


def test_gallery_examples_are_one_bright_kepler_star_per_class():
    examples = gallery_examples(seed=1)
    assert list(examples["class"]) == list(CLASSES)
    assert (examples["mission"] == "Kepler").all()
    assert examples["mag"].max() < 12.5  # the brightest of 40 drawn from Kp 9-16


def test_make_gallery_writes_a_small_png(tmp_path):
    path = make_gallery(tmp_path / "images" / "gallery.png", seed=1)
    assert path.is_file() and path.stat().st_size < 300_000
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 400 and image.shape[1] > 600
    assert np.ptp(image[..., :3]) > 0.5  # not blank


def test_the_repository_gallery_is_a_small_png():
    path = Path(__file__).resolve().parents[2] / GALLERY_PATH
    assert path.is_file(), (
        "make it with: python -c 'from astrolens.simulate import make_gallery; make_gallery()'"
    )
    assert path.stat().st_size < 300_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
