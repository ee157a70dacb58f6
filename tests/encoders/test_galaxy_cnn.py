"""The galaxy encoders: orientation, augmentation, views, and a run of each on the tiny survey."""

from __future__ import annotations

import json

import numpy as np
import pytest

from astrolens.encoders.contrastive_galaxy import (
    GREY_PROBABILITY,
    ContrastiveGalaxy,
    augment_views,
)
from astrolens.encoders.galaxy_cnn import (
    GALAXY_FILTERS,
    MAX_SHIFT_PIXELS,
    GalaxyCNN,
    augment_cutouts,
    dihedral_views,
    galaxy_filters,
)
from astrolens.runs import load_run
from astrolens.trainconfig import TrainConfig
from astrolens.training import train

SMALL = {"filters": (4, 8), "embedding_dim": 8, "period_bins": 0, "threads": None}


def pictures(n=4, seed=0):
    """Asymmetric test pictures: a bright blob off centre on noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.05, (n, 64, 64, 3)).astype(np.float32)
    x[:, 20:30, 36:50, :] += 1.0
    return x


def test_the_eight_dihedral_views_are_the_turns_and_mirrors_of_the_square():
    x = pictures(2)
    views = dihedral_views(x)
    assert views.shape == (8, 2, 64, 64, 3)
    np.testing.assert_array_equal(views[0], x)
    np.testing.assert_array_equal(views[2, 1], np.rot90(x[1], 2))
    np.testing.assert_array_equal(views[4, 0], x[0][:, ::-1])
    flat = {views[i, 0].tobytes() for i in range(8)}
    assert len(flat) == 8  # all different for an asymmetric picture
    # turning the input permutes the views: the same set
    turned = dihedral_views(np.rot90(x, 1, axes=(1, 2)))
    assert {turned[i, 0].tobytes() for i in range(8)} == flat


@pytest.mark.parametrize("kind", [GalaxyCNN, ContrastiveGalaxy])
def test_the_embedding_does_not_change_when_the_cutout_is_turned_or_mirrored(kind):
    config = TrainConfig(survey="galaxies-tiny", encoder=kind.name, **SMALL)
    encoder = kind.create(config, ("ring", "spiral", "elliptical"), (64, 64, 3))
    x = pictures(3)
    reference = encoder.embed(x)
    scale = np.abs(reference).max()
    for changed in (np.rot90(x, 1, axes=(1, 2)), np.rot90(x, 3, axes=(1, 2)), x[:, ::-1]):
        assert np.abs(encoder.embed(changed) - reference).max() < 1e-4 * scale
    shifted = encoder.embed(np.roll(x, 12, axis=2))
    assert np.abs(shifted - reference).max() > 1e-2 * scale  # not invariant to everything
    assert encoder.embed(x[:1]).shape == (1, 8)


def test_class_probabilities_are_averaged_over_the_views_and_sum_to_one():
    config = TrainConfig(survey="galaxies-tiny", encoder="galaxy_cnn", **SMALL)
    encoder = GalaxyCNN.create(config, ("ring", "spiral"), (64, 64, 3))
    x = pictures(3)
    probabilities = encoder.heads(x)["class_probabilities"]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    turned = encoder.heads(np.rot90(x, 1, axes=(1, 2)))["class_probabilities"]
    np.testing.assert_allclose(turned, probabilities, rtol=1e-4, atol=1e-6)


def test_training_copies_are_turned_mirrored_and_shifted_but_keep_every_pixel():
    x = pictures(64)
    out = augment_cutouts(x, np.random.default_rng(3))
    np.testing.assert_allclose(out.sum(axis=(1, 2, 3)), x.sum(axis=(1, 2, 3)), rtol=1e-5)
    centres = np.array([np.unravel_index(np.argmax(p.mean(-1)), (64, 64)) for p in out])
    assert len({tuple(c) for c in centres}) > 4  # the blob lands in several places
    same = augment_cutouts(x, np.random.default_rng(3))
    np.testing.assert_array_equal(out, same)
    assert MAX_SHIFT_PIXELS >= 1


def test_views_are_blurred_noised_recoloured_and_sometimes_grey():
    x = pictures(200)
    views = augment_views(x, np.random.default_rng(0))
    assert views.shape == x.shape and views.dtype == np.float32
    grey = np.all(np.ptp(views, axis=-1) < 1e-6, axis=(1, 2))
    assert abs(grey.mean() - GREY_PROBABILITY) < 0.08
    # blur and noise change every view; the brightness stays near the original's
    assert not np.any(
        np.all(np.isclose(views, augment_cutouts(x, np.random.default_rng(0))), (1, 2, 3))
    )
    assert abs(views.mean() - x.mean()) < 0.05


def test_the_galaxy_filters_replace_the_light_curve_default_only():
    assert galaxy_filters(TrainConfig()) == GALAXY_FILTERS
    assert galaxy_filters(TrainConfig(filters=(4, 8))) == (4, 8)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encoder", "objective"), [("galaxy_cnn", "supervised"), ("contrastive_galaxy", "contrastive")]
)
def test_a_galaxy_run_trains_and_loads_as_an_image_run(tmp_path, encoder, objective):
    config = TrainConfig(
        survey="galaxies-tiny",
        encoder=encoder,
        objective=objective,
        epochs=2,
        batch_size=64,
        workers=1,
        **SMALL,
    )
    folder = train(config, runs_dir=tmp_path, name="g", progress=False, cache_root=tmp_path / "c")
    saved = json.loads((folder / "config.json").read_text())
    assert saved["modality"] == "galaxy_image"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["retrieval"]["precision_at_10"] > 0
    assert (folder / "embedding_map.png").is_file()
    run = load_run(folder)
    assert run.modality.query_kind == "image" and run.representation == "cutout"
    x = pictures(2)
    item = run.load(x[0])
    assert run.embed_item(item).shape == (8,)


def test_a_galaxy_encoder_refuses_a_light_curve_survey(tmp_path):
    config = TrainConfig(survey="tiny", encoder="galaxy_cnn", epochs=1, **SMALL)
    with pytest.raises(ValueError, match="galaxy_image data; the survey 'tiny' has lightcurve"):
        train(config, runs_dir=tmp_path, name="x", progress=False, cache_root=None)
    assert not (tmp_path / "x").exists()
