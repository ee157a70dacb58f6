"""Images of galaxies and other deep-sky objects from files: JPEG, PNG and FITS.

:func:`read_image` reads one file into an :class:`ImageArrays`: the pixels as planes ``(C, H, W)``
float32, and what kind of values they are.

- **JPEG and PNG** (``.jpg``, ``.jpeg``, ``.png``): a display image, 8 or 16 bits per channel;
  colour images keep their three planes (red, green, blue), a grey one has one plane, an alpha
  channel is dropped. ``kind = "display"``, values 0 to 1.
- **FITS** (``.fits``, ``.fit``, ``.fts``, optionally ``.gz``): the first HDU with a 2-D image or
  a 3-D cube of at most 3 planes, in the file's own units (``kind = "flux"``). The header's
  ``OBJECT``, ``RA``/``DEC`` (or ``CRVAL1``/``CRVAL2`` of a celestial WCS) and ``BUNIT`` become
  ``meta``; ``BANDS`` (letters such as ``grz``) names the planes of a cube, as Legacy Surveys
  cutouts do.

Every error is an :class:`~astrolens.errors.InvalidImage` naming the file and the reason, and an
image whose pixels are all NaN or constant is refused (nothing to compare).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from PIL import Image
>>> path = Path(tempfile.mkdtemp()) / "blob.png"
>>> Image.fromarray(np.full((20, 30, 3), 200, np.uint8)).save(path)
>>> read_image(path)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
astrolens.errors.InvalidImage: .../blob.png: every pixel has the same value: nothing to compare
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from astrolens.errors import InvalidImage

__all__ = [
    "DISPLAY_SUFFIXES",
    "FITS_SUFFIXES",
    "IMAGE_SUFFIXES",
    "MAX_IMAGE_PIXELS",
    "ImageArrays",
    "check_pixels",
    "image_from_bytes",
    "is_image_file",
    "read_image",
]

DISPLAY_SUFFIXES = (".jpg", ".jpeg", ".png")
"""File endings read as display images."""

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz")
"""File endings read as FITS images."""

IMAGE_SUFFIXES = DISPLAY_SUFFIXES + FITS_SUFFIXES

MAX_IMAGE_PIXELS = 50_000_000
"""Largest image read (pixels per plane): a 7,000 x 7,000 picture; a larger one is refused
before it is decoded, so a hostile file cannot take the memory of a server."""

_FITS_MAGIC = b"SIMPLE  ="
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_GUNZIPPED_BYTES = 3 * 4 * MAX_IMAGE_PIXELS + 1_000_000
"""Largest un-gzipped FITS file read: three float32 planes of :data:`MAX_IMAGE_PIXELS` and
headers."""


@dataclass(frozen=True, eq=False)
class ImageArrays:
    """One image as read from a file.

    Attributes
    ----------
    planes
        The pixels, ``(C, H, W)`` float32, C = 1 or 3; row 0 is the top of the picture.
    kind
        ``"display"`` (a JPEG or PNG: values 0 to 1, already stretched for the eye) or ``"flux"``
        (a FITS image in its own units, linear).
    bands
        The name of each plane: ``("red", "green", "blue")`` or ``("grey",)`` for a display
        image, the ``BANDS`` letters of a FITS cube (``("g", "r", "z")``), else ``("1", ...)``.
    meta
        What the file says about the object: ``object_id``, ``ra``, ``dec``, ``unit``.
    """

    planes: NDArray[np.float32]
    kind: str
    bands: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """Height and width in pixels."""
        return int(self.planes.shape[1]), int(self.planes.shape[2])


def is_image_file(path: str | os.PathLike[str]) -> bool:
    """Whether a file name ends as an image astrolens reads (:data:`IMAGE_SUFFIXES`).

    >>> is_image_file("m51.JPG"), is_image_file("cutout.fits.gz"), is_image_file("lc.fits")
    (True, True, True)
    """
    return str(path).lower().endswith(IMAGE_SUFFIXES)


def read_image(path: str | os.PathLike[str]) -> ImageArrays:
    """Read a JPEG, PNG or FITS image (see the module description).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InvalidImage
        If it cannot be read as an image, is too large, or has nothing to compare.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return image_from_bytes(path.read_bytes(), str(path))


def image_from_bytes(content: bytes, name: str) -> ImageArrays:
    """Read an image from the bytes of a file called ``name`` (an upload): FITS when the bytes
    start as FITS does (once un-gzipped) or the name ends so, else JPEG or PNG.

    Raises
    ------
    InvalidImage
        As :func:`read_image`.
    """
    if content.startswith(_GZIP_MAGIC):
        content = _gunzipped(content, name)
    lowered = name.lower()
    if content.startswith(_FITS_MAGIC) or lowered.endswith(FITS_SUFFIXES):
        image = _read_fits(content, name)
    else:
        image = _read_display(content, name)
    check_pixels(image, name)
    return image


def _gunzipped(content: bytes, name: str) -> bytes:
    import zlib

    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(content, _MAX_GUNZIPPED_BYTES)
    except zlib.error as error:
        raise InvalidImage(name, f"a damaged gzip file ({error})") from None
    if inflater.unconsumed_tail:
        raise InvalidImage(
            name, f"more than {_MAX_GUNZIPPED_BYTES:,} bytes once un-gzipped: too large"
        )
    return data


def _read_display(content: bytes, name: str) -> ImageArrays:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as opened:
            width, height = opened.size
            _check_size(width * height, name)
            if opened.mode in ("I;16", "I;16B", "I;16L", "I"):
                pixels = np.asarray(opened, dtype=np.float32) / 65535.0
            elif opened.mode == "P" and "transparency" in opened.info:
                # a palette picture with transparency: through RGBA, as Pillow asks
                pixels = np.asarray(opened.convert("RGBA").convert("RGB"), np.float32) / 255.0
            else:
                pixels = np.asarray(opened.convert("RGB"), dtype=np.float32) / 255.0
    except InvalidImage:
        raise
    except Image.DecompressionBombError as error:
        raise InvalidImage(name, f"too large to read ({_short(error)})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InvalidImage(
            name, f"not a readable JPEG, PNG or FITS image ({_short(error)})"
        ) from error
    if pixels.ndim == 2:
        return ImageArrays(pixels[None], "display", ("grey",))
    planes = np.ascontiguousarray(np.moveaxis(pixels, -1, 0))
    if np.array_equal(planes[0], planes[1]) and np.array_equal(planes[0], planes[2]):
        return ImageArrays(planes[:1], "display", ("grey",))
    return ImageArrays(planes, "display", ("red", "green", "blue"))


def _read_fits(content: bytes, name: str) -> ImageArrays:
    from astropy.io import fits

    try:
        with fits.open(io.BytesIO(content), memmap=False) as hdus:
            if any(_is_light_curve(hdu) for hdu in hdus):
                raise InvalidImage(
                    name,
                    "a light curve (a table with a TIME column), not an image: search it in an "
                    "index of light curves",
                )
            for hdu in hdus:
                shape = getattr(hdu, "shape", None) or ()
                if hdu.is_image and (len(shape) == 2 or (len(shape) == 3 and shape[0] <= 3)):
                    _check_size(int(shape[-1]) * int(shape[-2]), name)
                    return _fits_image(np.asarray(hdu.data, dtype=np.float32), hdu.header)
    except InvalidImage:
        raise
    except (OSError, ValueError, TypeError, IndexError) as error:
        raise InvalidImage(name, f"not a readable FITS image ({_short(error)})") from error
    raise InvalidImage(
        name, "no HDU holds a 2-D image or a cube of at most 3 planes (a light curve?)"
    )


def _is_light_curve(hdu: Any) -> bool:
    columns = getattr(hdu, "columns", None)
    return columns is not None and "TIME" in {str(name).upper() for name in columns.names}


def _fits_image(data: NDArray[np.float32], header: Any) -> ImageArrays:
    planes = data[None] if data.ndim == 2 else data
    planes = np.ascontiguousarray(planes[:, ::-1, :])  # FITS row 0 is the bottom
    letters = str(header.get("BANDS", "")).strip()
    bands = (
        tuple(letters)
        if len(letters) == len(planes)
        else tuple(map(str, range(1, 1 + len(planes))))
    )
    meta: dict[str, Any] = {}
    if header.get("OBJECT"):
        meta["object_id"] = str(header["OBJECT"]).strip()
    ra, dec = header.get("RA"), header.get("DEC")
    if ra is None and str(header.get("CTYPE1", "")).startswith("RA"):
        ra, dec = header.get("CRVAL1"), header.get("CRVAL2")
    if isinstance(ra, (int, float)) and isinstance(dec, (int, float)):
        meta["ra"], meta["dec"] = float(ra), float(dec)
    if header.get("BUNIT"):
        meta["unit"] = str(header["BUNIT"]).strip()
    return ImageArrays(planes, "flux", bands, meta)


def _check_size(pixels: int, name: str) -> None:
    if pixels > MAX_IMAGE_PIXELS:
        raise InvalidImage(
            name, f"{pixels:,} pixels per plane, more than the {MAX_IMAGE_PIXELS:,} read"
        )


def check_pixels(image: ImageArrays, name: str) -> None:
    """Refuse an image with nothing to compare: smaller than 8 pixels, all NaN, or constant.

    Raises
    ------
    InvalidImage
        Naming ``name`` and the reason.
    """
    height, width = image.shape
    if min(height, width) < 8:
        raise InvalidImage(name, f"{width} x {height} pixels: too small to show a galaxy")
    finite = np.isfinite(image.planes)
    if not finite.any():
        raise InvalidImage(name, "every pixel is NaN")
    values = image.planes[finite]
    if float(values.max()) == float(values.min()):
        raise InvalidImage(name, "every pixel has the same value: nothing to compare")


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."
