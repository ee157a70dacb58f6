"""The morphology baseline of galaxy images through the encoder seam: train on the tiny galaxy
survey, the run folder, reload, the embedding against a direct measurement, orientation, an index
and a search by picture, refusal.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from astrolens.datasets import survey_data
from astrolens.encoders import encoder_class
from astrolens.encoders.features import CLIP
from astrolens.encoders.morphology_galaxy import MORPHOLOGY_FILE, MorphologyGalaxy
from astrolens.errors import CacheError
from astrolens.modalities.galaxy import survey_cutout
from astrolens.morphology import MORPHOLOGY_AND_COLOUR_NAMES, colours, morphology
from astrolens.pipeline import build_survey_index
from astrolens.review import held_out_predictions
from astrolens.runfolder import CONFIG_FILE, METRICS_FILE, MODEL_FILE, run_id
from astrolens.runs import load_run
from astrolens.search import open_search
from astrolens.trainconfig import TrainConfig
from astrolens.training import train

CONFIG = TrainConfig(survey="galaxies-tiny", encoder="morphology_galaxy", threads=1, workers=1)

TURNS_AND_MIRRORS = {
    "turned 90": lambda x: np.rot90(x, 1),
    "turned 180": lambda x: np.rot90(x, 2),
    "turned 270": lambda x: np.rot90(x, 3),
    "mirrored left-right": lambda x: x[:, ::-1],
    "mirrored up-down": lambda x: x[::-1],
    "transposed": lambda x: np.swapaxes(x, 0, 1),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory, survey_cache):
    runs = tmp_path_factory.mktemp("runs")
    return train(CONFIG, runs, name="morphology", progress=False, cache_root=survey_cache)


@pytest.fixture(scope="module")
def survey_pictures(survey_cache):
    """The tiny galaxy survey's cutouts as the modality gives them (0 to 1)."""
    survey = survey_data("galaxies-tiny", "cutout", cache_root=survey_cache, progress=False)
    return survey.arrays["cutout"]


def _measured(picture: np.ndarray) -> np.ndarray:
    """The morphology and colours of a picture, measured directly, in the encoder's order."""
    numbers = {**morphology(picture), **colours(picture)}
    return np.array([numbers[name] for name in MORPHOLOGY_AND_COLOUR_NAMES])


def _standardised(run_folder, values: np.ndarray) -> np.ndarray:
    record = json.loads((run_folder / MORPHOLOGY_FILE).read_text())
    standard = (values - np.array(record["centre"])) / np.array(record["scale"])
    return np.clip(standard, -CLIP, CLIP)


def test_the_registry_names_the_morphology_baseline_of_galaxy_images():
    kind = encoder_class("morphology_galaxy")
    assert kind is MorphologyGalaxy
    assert (kind.modality, kind.representation) == ("galaxy_image", "morphology")


def test_a_run_holds_centres_and_scales_of_the_named_numbers_not_a_network(run):
    names = {path.name for path in run.iterdir()}
    assert MORPHOLOGY_FILE in names and MODEL_FILE not in names
    saved = json.loads((run / CONFIG_FILE).read_text())
    assert saved["modality"] == "galaxy_image"
    assert saved["train"]["encoder"] == "morphology_galaxy"
    record = json.loads((run / MORPHOLOGY_FILE).read_text())
    assert record["names"] == list(MORPHOLOGY_AND_COLOUR_NAMES)
    assert len(record["centre"]) == len(record["scale"]) == len(MORPHOLOGY_AND_COLOUR_NAMES)
    assert all(scale > 0 for scale in record["scale"])
    metrics = json.loads((run / METRICS_FILE).read_text())
    assert metrics["test"]["classifier"].startswith("random forest")
    assert metrics["n_parameters"] == 2 * len(MORPHOLOGY_AND_COLOUR_NAMES)
    assert metrics["test"]["accuracy"] > 2 / len(metrics["class_names"])  # twice chance


def test_the_reloaded_run_embeds_as_the_training_did(run, survey_cache):
    metrics = json.loads((run / METRICS_FILE).read_text())
    held_out = held_out_predictions(run, cache_root=survey_cache, workers=1, progress=False)
    assert round(held_out.accuracy, 4) == metrics["test"]["accuracy"]
    first, second = load_run(run), load_run(run)
    numbers = survey_data("galaxies-tiny", "morphology", cache_root=survey_cache, progress=False)
    batch = {"morphology": numbers.arrays["morphology"]}
    np.testing.assert_array_equal(first.embed(batch), second.embed(batch))


def test_the_embedding_is_the_standardised_morphology_and_colours_of_the_cutout(
    run, survey_pictures, survey_cache
):
    loaded = load_run(run)
    numbers = survey_data("galaxies-tiny", "morphology", cache_root=survey_cache, progress=False)
    for row in (0, 7, 100):
        picture = survey_pictures[row]
        expected = _standardised(run, _measured(picture))
        np.testing.assert_allclose(
            numbers.arrays["morphology"][row], _measured(picture), rtol=1e-6, atol=1e-6
        )
        embedded = loaded.embed_item(loaded.load(picture))  # as an uploaded picture
        assert embedded.dtype == np.float32 and embedded.shape == expected.shape
        np.testing.assert_allclose(embedded, expected, rtol=1e-5, atol=1e-5)


def test_a_turned_or_mirrored_cutout_embeds_as_the_original(run, survey_pictures):
    loaded = load_run(run)
    for picture in survey_pictures[::8]:  # 8-bit pictures: many equally bright pixels
        original = loaded.embed_item(loaded.load(picture))
        for name, change in TURNS_AND_MIRRORS.items():
            changed = loaded.embed_item(loaded.load(np.ascontiguousarray(change(picture))))
            difference = np.abs(changed - original).max()
            assert difference < 1e-3, f"{name}: {difference:.2g} standard spreads apart"


def test_a_run_made_with_other_numbers_is_refused(run, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in run.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    record = json.loads((copy / MORPHOLOGY_FILE).read_text())
    record["names"][-1] = "u_g"
    (copy / MORPHOLOGY_FILE).write_text(json.dumps(record))
    with pytest.raises(CacheError, match=r"other galaxy morphology numbers .*u_g.*train the run"):
        load_run(copy)
    assert run_id(copy) != run_id(run)


def test_an_index_of_the_run_finds_a_turned_png_of_a_survey_galaxy_first(run, tmp_path):
    out, cache = tmp_path / "index", tmp_path / "cache"
    folder = build_survey_index("galaxies-tiny", run, out, cache=cache, workers=1, progress=False)
    search = open_search(folder)
    assert search.index.dimension == len(MORPHOLOGY_AND_COLOUR_NAMES)
    row = search.catalog.table.iloc[17]
    path = tmp_path / "turned.png"
    Image.fromarray(np.ascontiguousarray(np.rot90(survey_cutout(row)))).save(path)
    result = search.by_image(path, k=3)
    assert result.matches["object_id"].iloc[0] == row["object_id"]
    assert result.matches["distance"].iloc[0] < 1e-3
