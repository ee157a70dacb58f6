"""Searching galaxy images: by a picture (PNG, JPEG, FITS), turned or mirrored, by id, and in the
CLI, on the tiny galaxy survey's index (``galaxy_index`` in ``conftest.py``)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image

from astrolens.cli import main
from astrolens.errors import InvalidImage
from astrolens.modalities.galaxy import survey_cutout
from astrolens.morphology import MORPHOLOGY_NAMES
from astrolens.search import open_search
from astrolens.simulate.galaxies import render_galaxy
from astrolens.sources import example_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def search(galaxy_index):
    return open_search(galaxy_index)


def row_of(search, number):
    return search.catalog.table.iloc[number]


def save_png(picture, path):
    Image.fromarray(picture).save(path)
    return path


def test_a_survey_cutout_saved_as_png_finds_itself_first(search, tmp_path):
    row = row_of(search, 17)
    path = save_png(survey_cutout(row), tmp_path / "cutout.png")
    result = search.by_image(path, k=5)
    assert result.query.kind == "image" and result.query.label == "cutout.png"
    assert result.matches["object_id"].iloc[0] == row["object_id"]
    assert result.matches["distance"].iloc[0] < 1e-4
    assert result.domain is not None and result.domain.in_domain


@pytest.mark.parametrize(
    "change",
    [
        lambda p: np.rot90(p, 1),
        lambda p: np.rot90(p, 2),
        lambda p: p[:, ::-1],
        lambda p: np.rot90(p, 1)[::-1],
    ],
    ids=["90", "180", "mirror", "turned-and-mirrored"],
)
def test_a_turned_or_mirrored_cutout_finds_its_original_first(search, tmp_path, change):
    for number in (3, 40, 111):
        row = row_of(search, number)
        path = save_png(np.ascontiguousarray(change(survey_cutout(row))), tmp_path / "turned.png")
        result = search.by_image(path, k=3)
        assert result.matches["object_id"].iloc[0] == row["object_id"]
        assert result.matches["distance"].iloc[0] < 1e-3


def test_a_fits_cube_naming_its_object_is_answered_without_itself(search, tmp_path):
    row = row_of(search, 5)
    header = fits.Header({"OBJECT": row["object_id"], "BANDS": "grz"})
    path = tmp_path / "cutout.fits"
    fits.PrimaryHDU(render_galaxy(row)[:, ::-1, :], header).writeto(path)
    result = search.by_image(path, k=4)
    assert result.query.label == row["object_id"]
    assert row["object_id"] not in set(result.matches["object_id"])
    assert (
        result.matches["object_id"].tolist()
        == search.by_object(row["object_id"], k=4).matches["object_id"].tolist()
    )


def test_by_input_is_by_image_for_an_index_of_images(search, tmp_path):
    path = save_png(survey_cutout(row_of(search, 9)), tmp_path / "q.png")
    by_input, by_image = search.by_input(path, k=4), search.by_image(path, k=4)
    assert by_input.query.kind == "image"
    assert by_input.matches["object_id"].tolist() == by_image.matches["object_id"].tolist()


def test_a_light_curve_given_to_an_index_of_images_is_refused_clearly(search):
    light_curve = example_files("Kepler")[0]
    with pytest.raises(InvalidImage, match=r"a light curve .*not an image"):
        search.by_image(light_curve, k=3)


def test_the_matches_figure_shows_pictures(search, tmp_path):
    path = save_png(survey_cutout(row_of(search, 2)), tmp_path / "q.png")
    result = search.by_image(path, k=6)
    figure = search.plot_matches(result, lightcurve=path, n=6)
    query_axes, match_axes = (subfigure.axes for subfigure in figure.subfigs)
    match_axes = [ax for ax in match_axes if ax.images]
    assert len(query_axes) == 1 and len(match_axes) == 6
    shown = query_axes[0].images[0].get_array()
    np.testing.assert_array_equal(np.asarray(shown), survey_cutout(row_of(search, 2)))
    assert match_axes[0].get_title().startswith(f"#1 {result.matches['object_id'].iloc[0]}")


def test_the_cli_searches_by_a_picture_and_writes_the_table_and_figure(
    galaxy_index, search, tmp_path, capsys
):
    row = row_of(search, 30)
    path = save_png(survey_cutout(row), tmp_path / "mine.png")
    table, figure = tmp_path / "matches.csv", tmp_path / "matches.png"
    main(
        [
            "search",
            "--index",
            str(galaxy_index),
            "--file",
            str(path),
            "-k",
            "4",
            "--csv",
            str(table),
            "--figure",
            str(figure),
        ]
    )
    out = capsys.readouterr().out
    assert "the 4 most similar of galaxies-tiny (encoder contrastive_galaxy" in out
    rows = list(csv.DictReader(table.open()))
    assert rows[0]["object_id"] == row["object_id"]
    assert {"sersic_n", "bulge_fraction", "half_light_radius_arcsec"} <= set(rows[0])
    assert figure.stat().st_size > 10_000


def test_by_position_at_random_and_with_filters_on_the_catalogue_columns(search):
    from astrolens.search import Filters

    row = row_of(search, 60)
    found = search.by_coordinates((row["ra"], row["dec"]), k=3)
    assert found.query.object_ids == (row["object_id"],) and len(found) == 3
    assert search.random(3, seed=1).query.object_ids == search.random(3, seed=1).query.object_ids
    bulgy = Filters(classes=["elliptical", "lenticular"], ranges={"sersic_n": (2.0, None)})
    result = search.by_object(row["object_id"], k=5, filters=bulgy)
    assert len(result) == 5
    assert set(result.matches["class"]) <= {"elliptical", "lenticular"}
    assert (result.matches["sersic_n"] >= 2.0).all()


def _test_pattern() -> np.ndarray:
    """A checkerboard of 8-pixel squares: a picture, but of nothing on the sky."""
    squares = (np.indices((64, 64)).sum(axis=0) // 8) % 2
    return np.repeat((0.1 + 0.8 * squares)[..., None], 3, axis=-1)


def test_the_survey_galaxies_are_compared_by_their_morphology(search):
    reference = search.class_statistics
    assert reference is not None and reference.names == MORPHOLOGY_NAMES
    table = search.catalog.table
    assert set(reference.members) <= set(table["class"].astype(str))
    assert len(reference.members) >= 5  # the classes with at least 10 members in the sample
    judged = set(reference.members)
    passed = []  # most survey galaxies are like the members of their own class
    for number in range(0, 300, 5):
        row = row_of(search, number)
        if str(row["class"]) in judged:
            numbers = search.statistics(search.load(row))
            passed.append(reference.reasons(numbers, str(row["class"])) == ())
    assert len(passed) >= 40 and np.mean(passed) >= 0.85


def test_a_picture_unlike_every_survey_galaxy_is_answered_with_a_warning(search):
    picture = _test_pattern()
    result = search.by_image(picture, k=10)
    assert len(result) == 10  # answered all the same
    assert result.domain is not None and not result.domain.in_domain
    assert "unlike what this survey and model know" in result.domain.warning
    numbers = search.statistics(search.load(picture))
    for name in sorted(search.class_statistics.members):
        assert search.class_statistics.reasons(numbers, name)
