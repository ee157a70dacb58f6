"""Reading galaxy images: JPEG and PNG display pictures, FITS images and cubes, and every refusal.

Small pictures are built on the fly with Pillow and astropy; the real pictures are the Hubble Deep
Field of scikit-image (saved as JPEG and PNG) and the HST and ground-based FITS images of galaxies
shipped with the PyPI package ``mgefit`` (M32, NGC 4342, NGC 5831).
"""

from __future__ import annotations

import gzip
import importlib.resources
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image

from astrolens.errors import InvalidImage
from astrolens.sources import images
from astrolens.sources.images import ImageArrays, image_from_bytes, is_image_file, read_image

RNG = np.random.default_rng(7)
COLOUR = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
"""An 8-bit colour picture 30 pixels wide and 20 high."""


def _saved(path: Path, pixels: np.ndarray, **options) -> Path:
    Image.fromarray(pixels).save(path, **options)
    return path


def _fits_bytes(*hdus: fits.hdu.base.ExtensionHDU) -> bytes:
    buffer = io.BytesIO()
    fits.HDUList(list(hdus)).writeto(buffer)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` grey pixels and holds almost none."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )


# --- file names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("m51.JPG", True),
        ("m51.jpeg", True),
        ("cutout.png", True),
        ("cutout.fits", True),
        ("cutout.FIT", True),
        ("cutout.fts", True),
        ("cutout.fits.gz", True),
        ("lc.csv", False),
        ("cutout.png.txt", False),
        ("archive.gz", False),
        ("notes", False),
    ],
)
def test_image_files_are_known_by_their_endings(name, expected):
    assert is_image_file(name) is expected
    assert is_image_file(Path("/data") / name) is expected


# --- JPEG and PNG -----------------------------------------------------------------------------


def test_an_8_bit_colour_png_is_three_display_planes_equal_to_its_pixels(tmp_path):
    image = read_image(_saved(tmp_path / "colour.png", COLOUR))
    assert isinstance(image, ImageArrays)
    assert image.planes.shape == (3, 20, 30)
    assert image.shape == (20, 30)
    assert image.planes.dtype == np.float32
    assert image.kind == "display"
    assert image.bands == ("red", "green", "blue")
    assert image.meta == {}
    np.testing.assert_array_equal(image.planes, np.moveaxis(COLOUR, -1, 0) / np.float32(255))


def test_an_8_bit_grey_png_is_one_grey_plane_from_0_to_1(tmp_path):
    grey = np.linspace(0, 255, 20 * 30).reshape(20, 30).astype(np.uint8)
    image = read_image(_saved(tmp_path / "grey.png", grey))
    assert image.planes.shape == (1, 20, 30)
    assert image.bands == ("grey",)
    assert image.kind == "display"
    assert image.planes.min() == 0.0
    assert image.planes.max() == 1.0
    np.testing.assert_allclose(image.planes[0], grey / 255.0, atol=1e-7)


def test_a_16_bit_grey_png_keeps_its_16_bits_scaled_to_0_to_1(tmp_path):
    deep = (np.arange(20 * 30).reshape(20, 30) * 97 + 5).astype(np.uint16)
    path = _saved(tmp_path / "deep.png", deep)
    with Image.open(path) as opened:
        assert opened.mode.startswith("I")
    image = read_image(path)
    assert image.planes.shape == (1, 20, 30)
    assert image.bands == ("grey",)
    np.testing.assert_allclose(image.planes[0], deep / 65535.0, rtol=1e-6)
    assert 0.0 < image.planes.min() < image.planes.max() < 1.0
    # neighbouring 16-bit values stay apart (they would merge if cut to 8 bits)
    assert len(np.unique(image.planes)) == deep.size


def test_the_alpha_channel_of_an_rgba_png_is_dropped(tmp_path):
    alpha = np.zeros((20, 30, 1), np.uint8)  # fully transparent: the colours must survive
    image = read_image(_saved(tmp_path / "rgba.png", np.concatenate([COLOUR, alpha], axis=-1)))
    assert image.planes.shape == (3, 20, 30)
    assert image.bands == ("red", "green", "blue")
    np.testing.assert_array_equal(image.planes, np.moveaxis(COLOUR, -1, 0) / np.float32(255))


def test_a_grey_picture_saved_as_rgb_comes_back_as_one_grey_plane(tmp_path):
    grey = RNG.integers(0, 256, (20, 30), dtype=np.uint8)
    image = read_image(_saved(tmp_path / "grey-as-rgb.png", np.stack([grey] * 3, axis=-1)))
    assert image.planes.shape == (1, 20, 30)
    assert image.bands == ("grey",)
    np.testing.assert_array_equal(image.planes[0], grey / np.float32(255))


def test_a_jpeg_is_read_as_a_display_picture_close_to_what_was_saved(tmp_path):
    smooth = np.zeros((40, 60, 3), np.uint8)
    smooth[..., 0] = np.linspace(20, 230, 60)[None, :]
    smooth[..., 1] = np.linspace(40, 200, 40)[:, None]
    smooth[..., 2] = 90
    image = read_image(_saved(tmp_path / "smooth.jpg", smooth, quality=95))
    assert image.planes.shape == (3, 40, 60)
    assert image.kind == "display"
    assert image.bands == ("red", "green", "blue")
    assert image.planes.min() >= 0.0 and image.planes.max() <= 1.0
    assert np.abs(image.planes - np.moveaxis(smooth, -1, 0) / 255.0).mean() < 0.02


def test_a_grey_jpeg_is_one_grey_plane(tmp_path):
    grey = np.linspace(0, 255, 40 * 60).reshape(40, 60).astype(np.uint8)
    image = read_image(_saved(tmp_path / "grey.jpeg", grey, quality=95))
    assert image.planes.shape == (1, 40, 60)
    assert image.bands == ("grey",)
    assert np.abs(image.planes[0] - grey / 255.0).mean() < 0.02


def test_the_top_row_of_a_png_is_the_top_row_of_its_planes(tmp_path):
    grey = np.full((20, 30), 10, np.uint8)
    grey[0] = 250
    planes = read_image(_saved(tmp_path / "top.png", grey)).planes
    assert planes[0, 0].min() > 0.9
    assert planes[0, 1:].max() < 0.1


# --- the Hubble Deep Field, a real picture ----------------------------------------------------


@pytest.fixture(scope="module")
def hubble_deep_field() -> np.ndarray:
    data = pytest.importorskip("skimage.data")
    return data.hubble_deep_field()


def test_the_hubble_deep_field_as_png_is_read_back_exactly(tmp_path, hubble_deep_field):
    image = read_image(_saved(tmp_path / "hdf.png", hubble_deep_field))
    assert hubble_deep_field.shape == (872, 1000, 3)
    assert image.planes.shape == (3, 872, 1000)
    assert image.bands == ("red", "green", "blue")
    np.testing.assert_array_equal(
        image.planes, np.moveaxis(hubble_deep_field, -1, 0) / np.float32(255)
    )


def test_the_hubble_deep_field_as_jpeg_is_read_back_closely(tmp_path, hubble_deep_field):
    image = read_image(_saved(tmp_path / "hdf.jpg", hubble_deep_field, quality=90))
    assert image.planes.shape == (3, 872, 1000)
    assert image.kind == "display"
    assert image.planes.min() >= 0.0 and image.planes.max() <= 1.0
    original = np.moveaxis(hubble_deep_field, -1, 0) / 255.0
    assert np.abs(image.planes - original).mean() < 0.03


# --- FITS -------------------------------------------------------------------------------------


def test_a_2d_fits_image_is_one_flux_plane_flipped_so_row_0_is_the_top(tmp_path):
    data = RNG.normal(100.0, 5.0, (24, 40)).astype(np.float32)
    path = tmp_path / "sky.fits"
    path.write_bytes(_fits_bytes(fits.PrimaryHDU(data)))
    image = read_image(path)
    assert image.kind == "flux"
    assert image.planes.shape == (1, 24, 40)
    assert image.shape == (24, 40)
    assert image.planes.dtype == np.float32
    assert image.bands == ("1",)
    assert image.meta == {}
    np.testing.assert_array_equal(image.planes[0, 0], data[-1])  # FITS row 0 is the bottom
    np.testing.assert_array_equal(image.planes[0], data[::-1])


def test_a_grz_cube_names_its_bands_and_its_header_becomes_meta(tmp_path):
    cube = RNG.normal(0.0, 1.0, (3, 16, 20)).astype(np.float32)
    hdu = fits.PrimaryHDU(cube)
    hdu.header["BANDS"] = "grz"
    hdu.header["OBJECT"] = "NGC 4342 "
    hdu.header["RA"] = 185.9125
    hdu.header["DEC"] = 7.0538
    hdu.header["BUNIT"] = "nanomaggy"
    path = tmp_path / "cutout.fits"
    path.write_bytes(_fits_bytes(hdu))
    image = read_image(path)
    assert image.kind == "flux"
    assert image.planes.shape == (3, 16, 20)
    assert image.bands == ("g", "r", "z")
    assert image.meta == {
        "object_id": "NGC 4342",
        "ra": 185.9125,
        "dec": 7.0538,
        "unit": "nanomaggy",
    }
    np.testing.assert_array_equal(image.planes, cube[:, ::-1, :])


def test_a_celestial_wcs_gives_the_position_when_there_is_no_ra_dec(tmp_path):
    hdu = fits.PrimaryHDU(RNG.normal(0.0, 1.0, (16, 16)).astype(np.float32))
    hdu.header["CTYPE1"] = "RA---TAN"
    hdu.header["CTYPE2"] = "DEC--TAN"
    hdu.header["CRVAL1"] = 10.6847
    hdu.header["CRVAL2"] = 41.2690
    path = tmp_path / "wcs.fits"
    path.write_bytes(_fits_bytes(hdu))
    assert read_image(path).meta == {"ra": 10.6847, "dec": 41.2690}


def test_bands_that_do_not_match_the_planes_are_numbered(tmp_path):
    hdu = fits.PrimaryHDU(RNG.normal(0.0, 1.0, (2, 16, 16)).astype(np.float32))
    hdu.header["BANDS"] = "grz"
    path = tmp_path / "two.fits"
    path.write_bytes(_fits_bytes(hdu))
    assert read_image(path).bands == ("1", "2")


def test_the_first_image_hdu_is_read_after_an_empty_primary_and_a_table(tmp_path):
    table = fits.BinTableHDU.from_columns([fits.Column("FLUX", "E", array=np.ones(5))])
    data = RNG.normal(0.0, 1.0, (12, 14)).astype(np.float32)
    image_hdu = fits.ImageHDU(data)
    image_hdu.header["OBJECT"] = "M32"
    path = tmp_path / "extension.fits"
    path.write_bytes(_fits_bytes(fits.PrimaryHDU(), table, image_hdu))
    image = read_image(path)
    assert image.meta == {"object_id": "M32"}
    np.testing.assert_array_equal(image.planes[0], data[::-1])


def test_a_cube_of_four_planes_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "griz.fits"
    path.write_bytes(_fits_bytes(fits.PrimaryHDU(np.ones((4, 16, 16), np.float32))))
    with pytest.raises(InvalidImage, match=r"griz\.fits") as error:
        read_image(path)
    assert error.value.source == str(path)
    assert "at most 3 planes" in error.value.reason


def test_a_fits_file_with_only_a_binary_table_is_refused(tmp_path):
    table = fits.BinTableHDU.from_columns(
        [
            fits.Column("TIME", "D", array=np.arange(10.0)),
            fits.Column("FLUX", "E", array=np.ones(10)),
        ]
    )
    path = tmp_path / "light_curve.fits"
    path.write_bytes(_fits_bytes(fits.PrimaryHDU(), table))
    with pytest.raises(InvalidImage, match=r"light_curve\.fits") as error:
        read_image(path)
    assert "a light curve (a table with a TIME column), not an image" in error.value.reason
    catalogue = fits.BinTableHDU.from_columns([fits.Column("RA", "D", array=np.arange(3.0))])
    path.write_bytes(_fits_bytes(fits.PrimaryHDU(), catalogue))
    with pytest.raises(InvalidImage, match="no HDU holds a 2-D image"):
        read_image(path)


def test_a_gzipped_fits_file_is_read(tmp_path):
    data = RNG.normal(100.0, 5.0, (16, 18)).astype(np.float32)
    path = tmp_path / "sky.fits.gz"
    path.write_bytes(gzip.compress(_fits_bytes(fits.PrimaryHDU(data))))
    image = read_image(path)
    np.testing.assert_array_equal(image.planes[0], data[::-1])


def test_bytes_that_start_as_fits_are_read_as_fits_whatever_the_name():
    data = RNG.normal(100.0, 5.0, (16, 18)).astype(np.float32)
    content = _fits_bytes(fits.PrimaryHDU(data))
    assert content.startswith(b"SIMPLE  =")
    for name in ("upload", "upload.bin", "upload.png"):
        image = image_from_bytes(content, name)
        assert image.kind == "flux"
        np.testing.assert_array_equal(image.planes[0], data[::-1])


def test_image_from_bytes_reads_a_png_upload_as_read_image_reads_its_file(tmp_path):
    path = _saved(tmp_path / "colour.png", COLOUR)
    from_bytes = image_from_bytes(path.read_bytes(), "upload.png")
    np.testing.assert_array_equal(from_bytes.planes, read_image(path).planes)
    assert from_bytes.bands == ("red", "green", "blue")


# --- the FITS images of galaxies shipped with mgefit -------------------------------------------


def _mgefit_images() -> list[Path]:
    try:
        folder = importlib.resources.files("mgefit")
    except ModuleNotFoundError:
        return []
    return sorted(Path(str(folder)).rglob("*.fits"))


@pytest.mark.parametrize("path", _mgefit_images(), ids=lambda path: path.stem)
def test_the_mgefit_galaxy_images_are_single_finite_flux_planes(path):
    image = read_image(path)
    with fits.open(path) as hdus:
        data, header = hdus[0].data, hdus[0].header
    assert image.kind == "flux"
    assert image.planes.ndim == 3
    assert image.planes.shape == (1, *data.shape)
    assert image.bands == ("1",)
    assert np.isfinite(image.planes).all()
    np.testing.assert_array_equal(image.planes[0], data[::-1].astype(np.float32))
    if str(header.get("CTYPE1", "")).startswith("RA"):
        assert image.meta["ra"] == header["CRVAL1"]
        assert image.meta["dec"] == header["CRVAL2"]


def test_mgefit_ships_the_expected_galaxies():
    pytest.importorskip("mgefit")
    names = {path.name for path in _mgefit_images()}
    assert {"m32_f814w_pc.fits", "ngc4342_f814w_pc.fits", "ngc5831_f702w_mosaic.fits"} <= names


def test_the_ground_based_m32_image_names_its_object_and_unit():
    pytest.importorskip("mgefit")
    (path,) = [path for path in _mgefit_images() if path.name == "m32_i.fits"]
    assert read_image(path).meta == {"object_id": "M32I[1/1]", "unit": "ADU"}


# --- refusals ---------------------------------------------------------------------------------


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.png"):
        read_image(tmp_path / "nowhere.png")


def test_random_bytes_named_png_are_refused_with_the_name_and_a_reason(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(InvalidImage) as error:
        read_image(path)
    assert error.value.source == str(path)
    assert "x.png" in str(error.value)
    assert "not a readable JPEG, PNG or FITS image" in error.value.reason


@pytest.mark.parametrize("name", ["x.fits", "x.fits.gz"])
def test_random_bytes_named_fits_are_refused(name):
    with pytest.raises(InvalidImage, match="not a readable FITS image") as error:
        image_from_bytes(np.random.default_rng(1).bytes(3000), name)
    assert error.value.source == name


@pytest.mark.filterwarnings("ignore:File may have been truncated")
def test_a_truncated_fits_file_is_refused():
    content = _fits_bytes(fits.PrimaryHDU(np.ones((50, 50), np.float32)))
    with pytest.raises(InvalidImage, match=r"cut\.fits: not a readable FITS image"):
        image_from_bytes(content[: len(content) - 2880], "cut.fits")


def test_a_truncated_png_is_refused(tmp_path):
    content = _saved(tmp_path / "whole.png", COLOUR).read_bytes()
    with pytest.raises(InvalidImage, match=r"cut\.png: not a readable"):
        image_from_bytes(content[: len(content) // 2], "cut.png")


@pytest.mark.parametrize(("height", "width"), [(7, 30), (20, 7), (3, 3)])
def test_an_image_smaller_than_8_pixels_is_refused(tmp_path, height, width):
    path = _saved(tmp_path / "tiny.png", COLOUR[:height, :width].copy())
    with pytest.raises(InvalidImage, match="too small") as error:
        read_image(path)
    assert error.value.reason == f"{width} x {height} pixels: too small to show a galaxy"


def test_an_image_of_8_by_8_pixels_is_read(tmp_path):
    assert read_image(_saved(tmp_path / "eight.png", COLOUR[:8, :8].copy())).shape == (8, 8)


def test_an_all_nan_fits_image_is_refused():
    content = _fits_bytes(fits.PrimaryHDU(np.full((16, 16), np.nan, np.float32)))
    with pytest.raises(InvalidImage, match=r"nan\.fits: every pixel is NaN"):
        image_from_bytes(content, "nan.fits")


def test_a_constant_image_is_refused_whatever_its_format(tmp_path):
    with pytest.raises(InvalidImage, match="every pixel has the same value"):
        read_image(_saved(tmp_path / "flat.png", np.full((20, 30, 3), 200, np.uint8)))
    constant = np.full((16, 16), 3.5, np.float32)
    constant[0, 0] = np.nan  # the finite pixels are what is compared
    with pytest.raises(InvalidImage, match=r"flat\.fits: every pixel has the same value"):
        image_from_bytes(_fits_bytes(fits.PrimaryHDU(constant)), "flat.fits")


def test_a_fits_image_with_a_few_nans_is_read():
    data = RNG.normal(0.0, 1.0, (16, 16)).astype(np.float32)
    data[3, 4] = np.nan
    image = image_from_bytes(_fits_bytes(fits.PrimaryHDU(data)), "holes.fits")
    assert np.isnan(image.planes).sum() == 1
    assert np.isnan(image.planes[0, 16 - 1 - 3, 4])


def test_an_image_over_the_pixel_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGE_PIXELS", 100)
    read_image(_saved(tmp_path / "ten.png", COLOUR[:10, :10].copy()))  # 100 pixels: at the limit
    png = _saved(tmp_path / "big.png", COLOUR[:10, :11].copy())
    with pytest.raises(InvalidImage, match="110 pixels per plane, more than the 100 read") as error:
        read_image(png)
    assert error.value.source == str(png)
    fits_file = tmp_path / "big.fits"
    fits_file.write_bytes(_fits_bytes(fits.PrimaryHDU(RNG.normal(size=(3, 10, 11)))))
    with pytest.raises(InvalidImage, match="110 pixels per plane, more than the 100 read"):
        read_image(fits_file)


def test_a_png_that_declares_a_huge_size_is_refused_before_it_is_decoded():
    with pytest.raises(InvalidImage, match="pixels"):
        image_from_bytes(_png_header_only(20_000, 20_000), "bomb.png")


def test_a_png_that_declares_more_pixels_than_the_limit_is_refused_before_it_is_decoded():
    with pytest.raises(InvalidImage, match="81,000,000 pixels per plane"):
        image_from_bytes(_png_header_only(9_000, 9_000), "bomb.png")
