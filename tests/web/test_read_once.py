"""An uploaded light curve is read once and transformed once; its picture reuses the image."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import astrolens.modalities.lightcurve as lightcurve_modality
from astrolens.search import Filters, open_search
from astrolens.sources import example_files
from astrolens.web.api import _search_file
from astrolens.web.app import create_app
from astrolens.web.uploads import ReceivedFile

KEPLER = example_files("Kepler")[0]


@pytest.fixture
def counted(monkeypatch):
    """Calls of the reader, the cleaning and the transform, by name."""
    calls = {"read": 0, "clean": 0, "transform": 0}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    for name, attribute in (
        ("read", "read_arrays"),
        ("clean", "series_from_arrays"),
        ("transform", "power_image"),
    ):
        original = getattr(lightcurve_modality, attribute)
        monkeypatch.setattr(lightcurve_modality, attribute, counting(name, original))
    return calls


def test_an_upload_with_its_picture_is_read_and_transformed_once(index_folder, counted, tmp_path):
    search = open_search(index_folder)
    search.sampling_envelope  # noqa: B018 -- the survey's side of the domain check, made once
    counted.update(dict.fromkeys(counted, 0))  # per search, not per upload: not counted
    state = create_app(search, thumbnail_dir=tmp_path / "thumbs")
    state = state.state.astrolens
    path = shutil.copy(KEPLER, tmp_path / "upload.fits")
    upload = ReceivedFile(path, "my star.fits", path.stat().st_size)
    result, thumbnail = _search_file(state, search, upload, 5, Filters(), picture=True)
    assert counted == {"read": 1, "clean": 1, "transform": 1}
    assert thumbnail is not None and thumbnail.startswith("data:image/png;base64,")
    assert result.query.label == "KIC 10002792" and len(result.matches) == 5
    expected = search.by_lightcurve(KEPLER, 5).matches
    assert result.matches["object_id"].tolist() == expected["object_id"].tolist()
    np.testing.assert_allclose(result.matches["distance"], expected["distance"], rtol=1e-6)
