"""Thumbnails: drawn once, then served from memory or disk; a changed row gets a new picture."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from astrolens.preprocess import resample
from astrolens.search.figures import simulated_images
from astrolens.simulate import SurveyConfig, generate_catalog
from astrolens.wavelets import power_image
from astrolens.web.thumbnails import ThumbnailCache, render_thumbnail


@pytest.fixture(scope="module")
def rows():
    table = generate_catalog(SurveyConfig(name="thumbs", n_objects=3, seed=5))
    return [table.iloc[number] for number in range(3)]


class CountingImages:
    """simulated_images, counting the rows it is asked to draw."""

    def __init__(self):
        self.calls = []

    def __call__(self, row):
        self.calls.append(row["object_id"])
        return simulated_images(row)


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize(("width", "height"), [(240, 200), (120, 90), (400, 300)])
def test_render_thumbnail_has_the_size_asked_for(width, height):
    time = np.arange(0.0, 27.0, 0.0204)
    series = resample(time, 1e-2 * np.sin(2 * np.pi * time / 3.0))
    png = render_thumbnail(series, power_image(series), width_px=width, height_px=height)
    assert png_size(png) == (width, height)


def test_each_thumbnail_is_drawn_once(rows, tmp_path):
    images = CountingImages()
    cache = ThumbnailCache(images, tmp_path, memory_items=8)
    first = cache.png(rows[0])
    assert cache.png(rows[0]) == first
    assert images.calls == [rows[0]["object_id"]]
    assert cache.path(rows[0]).read_bytes() == first

    restarted = ThumbnailCache(images, tmp_path, memory_items=8)
    assert restarted.png(rows[0]) == first
    assert len(images.calls) == 1


def test_memory_holds_the_most_recent_thumbnails(rows, tmp_path):
    images = CountingImages()
    cache = ThumbnailCache(images, tmp_path, memory_items=2)
    pictures = [cache.png(row) for row in rows]
    assert len(set(pictures)) == 3
    for row in rows:
        cache.path(row).unlink()
    assert cache.png(rows[2]) == pictures[2] and cache.png(rows[1]) == pictures[1]
    assert len(images.calls) == 3
    assert cache.png(rows[0]) == pictures[0]  # dropped from memory, deleted on disk: drawn again
    assert images.calls[-1] == rows[0]["object_id"]


def test_a_changed_row_or_namespace_is_a_new_thumbnail(rows, tmp_path):
    cache = ThumbnailCache(directory=tmp_path)
    brighter = rows[0].copy()
    brighter["mag"] -= 1.0
    keys = {
        cache.key(rows[0]),
        cache.key(brighter),
        ThumbnailCache(directory=tmp_path, namespace="run-b").key(rows[0]),
        ThumbnailCache(directory=tmp_path, width_px=120).key(rows[0]),
    }
    assert len(keys) == 4
    assert cache.key(rows[0].copy()) == cache.key(rows[0])


def test_invalid_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="memory_items"):
        ThumbnailCache(directory=tmp_path, memory_items=-1)
    with pytest.raises(ValueError, match="16 x 16"):
        ThumbnailCache(directory=tmp_path, width_px=8)
