"""Galaxy images as a modality: every kind of input becomes the survey's kind of 64 x 64 picture.

The survey's own objects are the oracle: a catalogue row, its picture saved as PNG and its g, r,
z images saved as a FITS cube must all give the same cutout.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from PIL import Image

from astrolens.errors import InvalidImage
from astrolens.modalities.galaxy import (
    CUTOUT_SIZE,
    GalaxyImageModality,
    cutout_from_image,
    flux_to_display,
    normalised_cutouts,
    survey_cutout,
)
from astrolens.simulate.galaxies import GalaxySurveyConfig, generate_galaxy_catalog, render_galaxy
from astrolens.sources.images import ImageArrays


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    return generate_galaxy_catalog(GalaxySurveyConfig(n_objects=11))


@pytest.fixture(scope="module")
def row(catalog: pd.DataFrame) -> pd.Series:
    return catalog.iloc[0]


@pytest.fixture
def modality() -> GalaxyImageModality:
    return GalaxyImageModality()


def _png(path: Path, pixels: np.ndarray) -> Path:
    Image.fromarray(pixels).save(path)
    return path


def _fits(path: Path, data: np.ndarray, **header: object) -> Path:
    hdu = fits.PrimaryHDU(data)
    for key, value in header.items():
        hdu.header[key] = value
    hdu.writeto(path)
    return path


def _display(picture: np.ndarray) -> ImageArrays:
    """A display picture ``(H, W, 3)`` from 0 to 1 as read from a file."""
    planes = np.moveaxis(np.asarray(picture, np.float32), -1, 0)
    return ImageArrays(np.ascontiguousarray(planes), "display", ("red", "green", "blue"))


# --- the survey's own objects -----------------------------------------------------------------


def test_a_catalogue_row_loads_to_its_rendered_picture(modality, row):
    item = modality.load(row)
    cutout = modality.represent(item, "cutout")["cutout"]
    assert CUTOUT_SIZE == 64
    assert cutout.shape == (64, 64, 3)
    assert cutout.dtype == np.float32
    np.testing.assert_array_equal(cutout, survey_cutout(row) / np.float32(255))
    assert item.label == row["object_id"]
    assert item.meta == {
        "object_id": row["object_id"],
        "survey": "simulated galaxies",
        "ra": row["ra"],
        "dec": row["dec"],
    }


def test_every_class_of_the_survey_loads_to_a_distinct_picture(modality, catalog):
    cutouts = [modality.load(catalog.iloc[i]).data for i in range(len(catalog))]
    assert len(set(catalog["class"])) == len(catalog) == 11
    for i, cutout in enumerate(cutouts):
        assert cutout.shape == (64, 64, 3)
        assert cutout.min() >= 0.0 and cutout.max() <= 1.0
        assert not np.array_equal(cutout, cutouts[i - 1])


def test_a_catalogue_row_as_a_plain_dict_loads_the_same(modality, row):
    np.testing.assert_array_equal(modality.load(row.to_dict()).data, modality.load(row).data)


def test_the_survey_picture_saved_as_png_loads_to_exactly_the_same_cutout(tmp_path, modality, row):
    path = _png(tmp_path / "upload.png", survey_cutout(row))
    item = modality.load(path)
    np.testing.assert_array_equal(item.data, modality.load(row).data)
    assert item.label == "upload.png"
    assert item.meta == {}


def test_a_grz_fits_cube_loads_to_the_same_cutout_as_its_row(tmp_path, modality, row):
    cube = render_galaxy(row)
    assert cube.shape == (3, 64, 64)
    # FITS row 0 is the bottom: written upside down, the cube reads back the right way up
    path = _fits(tmp_path / "cutout.fits", cube[:, ::-1], BANDS="grz", OBJECT="query 1")
    item = modality.load(path)
    assert item.label == "query 1"
    assert item.meta == {"object_id": "query 1"}
    np.testing.assert_allclose(item.data, modality.load(row).data, atol=1 / 255)


def test_a_grz_cube_written_the_wrong_way_up_gives_the_picture_upside_down(tmp_path, modality, row):
    path = _fits(tmp_path / "flipped.fits", render_galaxy(row), BANDS="grz")
    np.testing.assert_allclose(
        modality.load(path).data, modality.load(row).data[::-1], atol=1 / 255
    )


def test_a_grz_array_in_nanomaggies_loads_to_the_same_cutout_as_its_row(modality, row):
    np.testing.assert_allclose(
        modality.load(render_galaxy(row)).data, modality.load(row).data, atol=1 / 255
    )


def test_a_smaller_size_resamples_the_survey_picture(row):
    small = GalaxyImageModality(size=32).load(row).data
    assert small.shape == (32, 32, 3)
    full = survey_cutout(row) / 255.0
    blocks = full.reshape(32, 2, 32, 2, 3).mean(axis=(1, 3))  # boxes of 2 x 2 pixels
    np.testing.assert_allclose(small, blocks, atol=1e-5)


def test_the_size_is_read_from_a_run_config():
    assert GalaxyImageModality.from_run_config({"image": {"size": 32}}).size == 32
    assert GalaxyImageModality.from_run_config({}).size == CUTOUT_SIZE


# --- other pictures: central square, resized ---------------------------------------------------


def test_a_wide_picture_keeps_its_central_square_resized(tmp_path, modality):
    picture = np.full((200, 300, 3), 20, np.uint8)  # 300 wide, 200 high
    picture[80:120, 130:170] = (250, 200, 150)  # the object, at the centre
    picture[:, 10:40] = 255  # a bright stripe left of the central square (columns 50 to 250)
    cutout = modality.load(_png(tmp_path / "wide.png", picture)).data
    assert cutout.shape == (64, 64, 3)
    np.testing.assert_allclose(cutout[31, 31], (250 / 255, 200 / 255, 150 / 255), atol=1e-5)
    for corner in (cutout[0, 0], cutout[0, -1], cutout[-1, 0], cutout[-1, -1]):
        np.testing.assert_allclose(corner, 20 / 255, atol=1e-5)
    assert cutout[:, :8].max() < 0.1  # the stripe is gone


def test_a_tall_picture_is_cropped_to_its_central_square_and_averaged_over_boxes():
    rng = np.random.default_rng(3)
    picture = rng.uniform(0.0, 1.0, (321, 128, 3)).astype(np.float32)  # 128 wide
    top = (321 - 128) // 2
    expected = picture[top : top + 128].reshape(64, 2, 64, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(cutout_from_image(_display(picture)), expected, atol=1e-5)


def test_a_small_picture_is_enlarged_to_64_pixels(tmp_path, modality):
    picture = np.zeros((32, 32, 3), np.uint8)
    picture[:, :16] = (50, 60, 70)
    picture[:, 16:] = (200, 180, 160)
    cutout = modality.load(_png(tmp_path / "small.png", picture)).data
    assert cutout.shape == (64, 64, 3)
    assert cutout.min() >= 0.0 and cutout.max() <= 1.0
    np.testing.assert_allclose(
        cutout[:, :24], np.broadcast_to((50, 60, 70), (64, 24, 3)) / 255, atol=1e-5
    )
    np.testing.assert_allclose(
        cutout[:, 40:], np.broadcast_to((200, 180, 160), (64, 24, 3)) / 255, atol=1e-5
    )


def test_the_top_of_a_picture_stays_the_top(modality):
    picture = np.full((64, 64, 3), 0.1, np.float32)
    picture[:8] = 0.9
    cutout = modality.load(picture).data
    assert cutout[:8].min() > 0.8
    assert cutout[8:].max() < 0.2


def test_a_grey_png_gives_three_equal_planes(tmp_path, modality):
    grey = np.random.default_rng(4).integers(0, 256, (64, 64), dtype=np.uint8)
    cutout = modality.load(_png(tmp_path / "grey.png", grey)).data
    for plane in range(3):
        np.testing.assert_array_equal(cutout[..., plane], grey / np.float32(255))


# --- FITS images in unknown units --------------------------------------------------------------


def _star_field() -> np.ndarray:
    rng = np.random.default_rng(5)
    sky = rng.normal(1000.0, 10.0, (64, 64))
    sky[28:36, 28:36] += 5000.0
    return sky.astype(np.float32)


def test_a_one_band_fits_image_becomes_three_equal_stretched_planes(tmp_path, modality):
    data = _star_field()
    item = modality.load(_fits(tmp_path / "r.fits", data[::-1], BUNIT="ADU"))
    cutout = item.data
    assert cutout.shape == (64, 64, 3)
    np.testing.assert_array_equal(cutout[..., 0], cutout[..., 1])
    np.testing.assert_array_equal(cutout[..., 0], cutout[..., 2])
    np.testing.assert_array_equal(cutout[..., 0], flux_to_display(data[None]))
    assert cutout[32, 32, 0] > 0.9
    assert np.median(cutout) < 0.1
    assert item.meta == {"unit": "ADU"}
    assert item.label == "r.fits"


def test_flux_to_display_does_not_depend_on_the_units():
    data = _star_field()[None]
    np.testing.assert_allclose(flux_to_display(data), flux_to_display(3.0 * data + 50.0), atol=1e-5)


def test_flux_to_display_stretches_the_sky_dark_and_the_object_white():
    picture = flux_to_display(_star_field()[None])
    assert picture.shape == (64, 64)
    assert picture.dtype == np.float32
    assert picture.min() == 0.0
    assert picture.max() == 1.0
    assert picture[28:36, 28:36].min() > 0.9
    assert np.median(picture) < 0.05


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
def test_flux_to_display_replaces_nans_and_handles_a_flat_sky():
    data = np.zeros((1, 32, 32))
    data[0, 14:18, 14:18] = 10.0
    data[0, 0, :5] = np.nan
    picture = flux_to_display(data)
    assert np.isfinite(picture).all()
    assert picture[16, 16] == 1.0
    assert picture[0, 0] == 0.0


def _mgefit_images() -> list[Path]:
    try:
        folder = importlib.resources.files("mgefit")
    except ModuleNotFoundError:
        return []
    return sorted(Path(str(folder)).rglob("*.fits"))


@pytest.mark.parametrize("path", _mgefit_images(), ids=lambda path: path.stem)
def test_the_mgefit_galaxies_load_to_grey_cutouts_bright_at_the_centre(modality, path):
    cutout = modality.load(path).data
    assert cutout.shape == (64, 64, 3)
    assert np.isfinite(cutout).all()
    assert cutout.min() >= 0.0 and cutout.max() <= 1.0
    np.testing.assert_array_equal(cutout[..., 0], cutout[..., 2])
    assert cutout[28:36, 28:36, 0].mean() > 3 * np.median(cutout[..., 0])


def test_the_hubble_deep_field_loads_to_a_colour_cutout(tmp_path, modality):
    data = pytest.importorskip("skimage.data")
    field = data.hubble_deep_field()
    cutout = modality.load(_png(tmp_path / "hdf.png", field)).data
    assert cutout.shape == (64, 64, 3)
    height, width = field.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = field[top : top + side, left : left + side] / 255.0
    np.testing.assert_allclose(cutout.mean(axis=(0, 1)), square.mean(axis=(0, 1)), atol=1e-3)
    assert not np.array_equal(cutout[..., 0], cutout[..., 2])


# --- arrays and ImageArrays --------------------------------------------------------------------


def test_arrays_of_each_accepted_shape_load(modality, row):
    display = survey_cutout(row) / np.float32(255)
    np.testing.assert_array_equal(modality.load(display).data, display)  # (H, W, 3)
    np.testing.assert_allclose(
        modality.load(render_galaxy(row)).data, display, atol=1 / 255
    )  # (3, H, W)
    grey = modality.load(_star_field()).data  # (H, W): flux in unknown units
    np.testing.assert_array_equal(grey[..., 0], flux_to_display(_star_field()[None]))
    assert modality.load(display).label == "array"
    assert modality.load(display, label="mine.png").label == "mine.png"


def test_an_array_of_another_shape_is_refused(modality):
    with pytest.raises(InvalidImage, match=r"\(4, 5, 6, 7\)") as error:
        modality.load(np.zeros((4, 5, 6, 7)))
    assert error.value.source == "array"
    with pytest.raises(InvalidImage, match="queried"):
        modality.load(np.zeros((8, 8, 4)), label="queried")


def test_image_arrays_load_as_read(modality, row):
    image = _display(survey_cutout(row) / 255.0)
    item = modality.load(image, label="mine")
    np.testing.assert_allclose(item.data, survey_cutout(row) / 255.0, atol=1e-6)
    assert item.label == "mine"
    assert modality.load(image).label == "image"


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:All-NaN slice")
def test_an_all_nan_array_is_refused(modality):
    with pytest.raises(InvalidImage, match="NaN"):
        modality.load(np.full((32, 32), np.nan, np.float32))


def test_a_file_that_is_not_an_image_fails_at_load(tmp_path, modality):
    path = tmp_path / "broken.png"
    path.write_bytes(b"not a picture at all" * 10)
    with pytest.raises(InvalidImage, match=r"broken\.png"):
        modality.load(path)
    with pytest.raises(FileNotFoundError):
        modality.load(tmp_path / "missing.fits")


# --- representations and pictures --------------------------------------------------------------


def test_an_unknown_representation_is_refused_naming_the_known(modality, row):
    item = modality.load(row)
    assert modality.represent(item, "cutout")["cutout"] is item.data
    with pytest.raises(ValueError, match="cutout") as error:
        modality.represent(item, "wavelet")
    assert "'wavelet'" in str(error.value)


def test_the_picture_is_the_uint8_survey_picture(modality, row):
    picture = modality.picture(modality.load(row))
    assert picture.dtype == np.uint8
    assert picture.shape == (64, 64, 3)
    np.testing.assert_array_equal(picture, survey_cutout(row))


def test_empty_cutouts_are_zeros_of_the_right_size():
    empty = GalaxyImageModality(size=32).empty("cutout", 3)
    assert set(empty) == {"cutout"}
    assert empty["cutout"].shape == (3, 32, 32, 3)
    assert empty["cutout"].dtype == np.float32
    assert not empty["cutout"].any()


# --- normalised cutouts ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def survey_pictures(catalog: pd.DataFrame) -> np.ndarray:
    return np.stack([survey_cutout(catalog.iloc[i]) for i in range(4)])


@pytest.mark.parametrize(("scale", "offset"), [(2.5, 0.0), (0.4, 0.05), (1.7, -0.03)])
def test_normalised_cutouts_do_not_depend_on_the_brightness_stretch(survey_pictures, scale, offset):
    pictures = survey_pictures / np.float32(255)
    normalised = normalised_cutouts(pictures)
    np.testing.assert_allclose(normalised_cutouts(scale * pictures + offset), normalised, atol=1e-4)
    assert normalised.shape == pictures.shape
    assert normalised.dtype == np.float32


def test_normalised_cutouts_read_uint8_as_its_value_over_255(survey_pictures):
    from_uint8 = normalised_cutouts(survey_pictures)
    np.testing.assert_allclose(from_uint8, normalised_cutouts(survey_pictures / 255.0), atol=1e-5)
    np.testing.assert_allclose(
        from_uint8, normalised_cutouts(survey_pictures.astype(np.float32) / 255), atol=1e-5
    )
    # a nearly blank picture (red 100 or 101 in a checkerboard), where the scale of the values
    # matters: its brightness is too faint to divide by
    faint = np.full((1, 64, 64, 3), 100, np.uint8)
    faint[0, ..., 0] += (np.indices((64, 64)).sum(axis=0) % 2).astype(np.uint8)
    np.testing.assert_allclose(
        normalised_cutouts(faint), normalised_cutouts(faint / 255.0), atol=1e-4
    )
    assert 0.5 < np.abs(normalised_cutouts(faint)).max() < 2.5


def test_normalised_cutouts_put_the_sky_at_zero_and_the_object_near_one():
    pictures = np.full((1, 64, 64, 3), 0.2, np.float32)
    pictures[0, 24:40, 24:40] = 0.6
    normalised = normalised_cutouts(pictures)
    np.testing.assert_allclose(normalised[0, 0, 0], 0.0, atol=1e-6)
    np.testing.assert_allclose(normalised[0, 32, 32], 1.0, atol=1e-5)


def test_normalised_cutouts_are_clipped_to_minus_half_and_three():
    pictures = np.full((2, 32, 32, 3), 0.5, np.float32)
    pictures[:, 12:20, 12:20] = 0.6  # the object: 0.1 above the sky
    pictures[:, 0, 0] = 1.0  # 5 times the object above the sky
    pictures[:, 0, 1] = 0.0  # 5 times the object below it
    normalised = normalised_cutouts(pictures)
    assert normalised.min() == -0.5
    assert normalised.max() == 3.0
    assert normalised[0, 0, 0, 0] == 3.0
    assert normalised[0, 0, 1, 0] == -0.5
    np.testing.assert_allclose(normalised[0, 16, 16], 1.0, atol=1e-5)
    wild = normalised_cutouts(np.random.default_rng(6).uniform(0, 1, (3, 32, 32, 3)))
    assert wild.min() >= -0.5 and wild.max() <= 3.0
