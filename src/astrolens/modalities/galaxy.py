"""Galaxy images as a modality: any cutout, read once, turned into the survey's kind of picture.

The simulated galaxy survey (:mod:`astrolens.simulate.galaxies`) renders g, r and z images in
nanomaggies and shows them as colour pictures the way the Legacy Surveys' viewer does
(:func:`~astrolens.simulate.galaxies.render_rgb`, an asinh stretch). A query is put into the
same form, whatever it is:

1. **Colour picture.** A JPEG or PNG is one already (a grey one gets three equal planes). A FITS
   cube of g, r and z planes (``BANDS = 'grz'``, Legacy Surveys cutouts in nanomaggies) is
   stretched exactly as the survey's are; any other FITS image (one band, unknown units) is
   stretched by an asinh whose softening is its own sky noise (:func:`flux_to_display`), in
   grey.
2. **Central square, resized.** The largest centred square is kept (the object of interest must
   be at the centre of the cutout), then resampled to ``size`` x ``size`` pixels (64, the
   survey's; 16.8" at 0.262"/pixel): averaged over boxes when shrinking, so that no pixel is
   dropped, bicubic when enlarging.

That picture, float32 ``(size, size, 3)`` from 0 to 1, is the representation ``"cutout"`` encoders
read; a survey object's is its rendered picture exactly (its PNG uploaded gives the same arrays).
Before a network sees it, :func:`~astrolens.cutouts.normalised_cutouts` removes each picture's
sky level and scales its brightness to one, so that an upload stretched brighter or darker than
the survey's pictures is compared by its shape and colours, not its exposure.

The representation ``"morphology"`` is measured on that picture: its non-parametric morphology
and central colours (:func:`astrolens.morphology.morphology_and_colours`: concentration,
asymmetry, Gini, M20, ..., ``g - r`` and ``r - z``), what the morphology baseline encoder reads.
Turning the picture by right angles or mirroring it leaves these numbers (nearly) unchanged.

Examples
--------
>>> from astrolens.simulate.galaxies import GalaxySurveyConfig, generate_galaxy_catalog
>>> row = generate_galaxy_catalog(GalaxySurveyConfig(n_objects=11)).iloc[0]
>>> modality = GalaxyImageModality()
>>> item = modality.load(row)
>>> item.label, modality.represent(item, "cutout")["cutout"].shape
('SIMGAL 000000000', (64, 64, 3))
>>> modality.represent(item, "morphology")["morphology"].shape
(12,)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from astrolens.cutouts import CUTOUT_SIZE, normalised_cutouts
from astrolens.errors import InvalidImage
from astrolens.modalities.base import Item, Modality
from astrolens.morphology import MORPHOLOGY_AND_COLOUR_NAMES, morphology, morphology_and_colours
from astrolens.simulate.galaxies import BANDS, render_galaxy, render_rgb
from astrolens.sources.images import ImageArrays, check_pixels, read_image

__all__ = [
    "CUTOUT_SIZE",
    "MEASURED_REPRESENTATIONS",
    "REPRESENTATIONS",
    "GalaxyImageModality",
    "cutout_from_image",
    "empty_cutouts",
    "flux_to_display",
    "normalised_cutouts",
    "survey_cutout",
]

REPRESENTATIONS = ("cutout", "morphology")
"""What encoders of galaxy images read (see the module description)."""

MEASURED_REPRESENTATIONS = ("morphology",)
"""The representations measured on the cutout alone (:meth:`GalaxyImageModality.
represent_pictures`), so computed from a survey's cached cutouts without rendering them again."""

_SURVEY_BANDS = tuple(BANDS)


def survey_cutout(row: Mapping[str, Any] | pd.Series) -> NDArray[np.uint8]:
    """The colour picture ``(64, 64, 3)`` uint8 of a catalogue row of the simulated galaxy
    survey: rendered from its parameters, stretched as the survey's viewer does."""
    return render_rgb(render_galaxy(row), _SURVEY_BANDS)


def flux_to_display(planes: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    """A linear image of unknown units ``(C, H, W)`` as a grey display picture ``(H, W)`` from 0
    to 1: the planes averaged, the sky (median) subtracted, an asinh stretch whose softening is
    3 times the sky noise (1.4826 MAD), scaled so that the brightest 0.1 % of pixels are white.

    >>> rng = np.random.default_rng(0)
    >>> sky = rng.normal(100.0, 2.0, (1, 32, 32))
    >>> sky[0, 14:18, 14:18] += 500.0
    >>> picture = flux_to_display(sky)
    >>> round(float(picture[16, 16]), 2), float(np.median(picture)) < 0.05
    (1.0, True)
    """
    values = np.nanmean(np.asarray(planes, dtype=np.float64), axis=0)
    values = np.where(np.isfinite(values), values, np.nanmedian(values))
    sky = float(np.median(values))
    noise = 1.4826 * float(np.median(np.abs(values - sky)))
    if noise <= 0:
        noise = max(float(np.std(values)), 1e-12)
    stretched = np.arcsinh((values - sky) / (3.0 * noise))
    white = float(np.percentile(stretched, 99.9))
    return np.clip(stretched / max(white, 1e-6), 0.0, 1.0).astype(np.float32)


def cutout_from_image(image: ImageArrays, size: int = CUTOUT_SIZE) -> NDArray[np.float32]:
    """An image as read from a file, as the representation ``"cutout"``: colour picture,
    central square, ``size`` x ``size`` (see the module description).

    >>> planes = np.zeros((1, 40, 100), np.float32)
    >>> planes[0, 15:25, 45:55] = 1.0
    >>> picture = cutout_from_image(ImageArrays(planes, "display", ("grey",)), size=8)
    >>> picture.shape, float(picture[4, 4, 0]), float(picture[0, 0, 0])
    ((8, 8, 3), 1.0, 0.0)
    """
    if image.kind == "display":
        picture = np.moveaxis(image.planes, 0, -1)
        picture = np.nan_to_num(picture, nan=0.0)
    elif image.bands == _SURVEY_BANDS:
        clean = np.nan_to_num(image.planes, nan=0.0)
        picture = render_rgb(clean, _SURVEY_BANDS).astype(np.float32) / 255.0
    else:
        picture = flux_to_display(image.planes)[..., None]
    if picture.shape[-1] == 1:
        picture = np.repeat(picture, 3, axis=-1)
    return _resized(_central_square(picture), size)


def _central_square(picture: NDArray[np.float32]) -> NDArray[np.float32]:
    height, width = picture.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return picture[top : top + side, left : left + side]


def _resized(picture: NDArray[np.float32], size: int) -> NDArray[np.float32]:
    from PIL import Image

    side = picture.shape[0]
    if side == size:
        return np.ascontiguousarray(picture, dtype=np.float32)
    method = Image.Resampling.BOX if side > size else Image.Resampling.BICUBIC
    planes = [
        np.asarray(Image.fromarray(np.ascontiguousarray(plane)).resize((size, size), method))
        for plane in np.moveaxis(picture.astype(np.float32), -1, 0)
    ]
    return np.clip(np.stack(planes, axis=-1), 0.0, 1.0).astype(np.float32)


def empty_cutouts(n: int, size: int = CUTOUT_SIZE) -> dict[str, NDArray[np.float32]]:
    """Zero cutouts for ``n`` inputs (what a failed input keeps)."""
    return {"cutout": np.zeros((n, size, size, 3), dtype=np.float32)}


def _check_representation(representation: str) -> None:
    if representation not in REPRESENTATIONS:
        raise ValueError(
            f"galaxy images have the representations {REPRESENTATIONS}, not {representation!r}"
        )


def _image_of_array(source: Any, name: str) -> ImageArrays:
    """An array as an image: ``(H, W)`` one band of unknown units, ``(H, W, 3)`` a display
    picture (0 to 1, or 0 to 255 for integers), ``(3, H, W)`` g, r, z in nanomaggies."""
    try:
        raw = np.asarray(source)
        array = raw.astype(np.float32)
    except (TypeError, ValueError) as error:
        raise InvalidImage(
            name,
            f"a {type(source).__name__} is not an image: give a JPEG, PNG or FITS file, "
            "an array or a catalogue row",
        ) from error
    if array.ndim == 2:
        return ImageArrays(array[None], "flux", ("1",))
    if array.ndim == 3 and array.shape[-1] == 3 and array.shape[0] != 3:
        if np.issubdtype(raw.dtype, np.integer):
            array /= 255.0
        return ImageArrays(np.moveaxis(array, -1, 0), "display", ("red", "green", "blue"))
    if array.ndim == 3 and array.shape[0] == 3:
        return ImageArrays(array, "flux", _SURVEY_BANDS)
    raise InvalidImage(
        name, f"an array of shape {array.shape} is not an image (H, W), (H, W, 3) or (3, H, W)"
    )


class GalaxyImageModality(Modality):
    """Galaxy images (see the module description): a file path (JPEG, PNG, FITS), an
    :class:`~astrolens.sources.images.ImageArrays`, an array ``(H, W)``, ``(H, W, 3)`` display
    picture (0 to 1, or 0 to 255 for an integer array) or a ``(3, H, W)`` g, r, z cube in
    nanomaggies, or a catalogue row of the simulated galaxy survey (rendered)."""

    name: ClassVar[str] = "galaxy_image"
    query_kind: ClassVar[str] = "image"
    spread_percentile: ClassVar[float] = 95.0
    """A class such as satellite trails holds cutouts with no object at the centre: with the
    largest distance, real galaxies passed as satellite trails (``benchmarks/galaxy_domain.py``).
    """

    def __init__(self, size: int = CUTOUT_SIZE) -> None:
        self.size = size

    @classmethod
    def from_run_config(cls, saved: Mapping[str, Any]) -> GalaxyImageModality:
        return cls(int(saved.get("image", {}).get("size", CUTOUT_SIZE)))

    def load(self, source: Any, *, label: str | None = None) -> Item:
        """Read an image once; the cutout is made now, so a bad input fails here (a mapping is
        a catalogue row of the simulated survey: :meth:`load_row`)."""
        if isinstance(source, Item):
            return source
        if isinstance(source, pd.Series | Mapping):
            return self.load_row(source)
        image, name = self._image(source, label)
        meta = dict(image.meta)
        picture = cutout_from_image(image, self.size)
        return self._item(str(meta.get("object_id") or label or name), meta, picture)

    def load_row(self, row: Mapping[str, Any]) -> Item:
        """A simulated survey's galaxy, rendered from its catalogue row (:func:`survey_cutout`).

        Raises
        ------
        InvalidImage
            If the row lacks a column the renderer needs.
        """
        try:
            picture = survey_cutout(row).astype(np.float32) / 255.0
        except KeyError as error:
            raise InvalidImage(
                str(row.get("object_id", "catalogue row")),
                f"not a row of the simulated galaxy survey: no column {error}",
            ) from error
        if picture.shape[0] != self.size:
            picture = _resized(picture, self.size)
        meta = {"object_id": str(row["object_id"]), "survey": "simulated galaxies"}
        meta.update({key: float(row[key]) for key in ("ra", "dec") if key in row})
        return self._item(meta["object_id"], meta, picture)

    @staticmethod
    def _item(label: str, meta: dict[str, Any], picture: NDArray[np.float32]) -> Item:
        item = Item(label, meta, picture)
        item.computed["cutout"] = {"cutout": picture}
        return item

    def _image(self, source: Any, label: str | None) -> tuple[ImageArrays, str]:
        if isinstance(source, (str, os.PathLike)):
            return read_image(source), Path(source).name
        name = label or ("image" if isinstance(source, ImageArrays) else "array")
        image = source if isinstance(source, ImageArrays) else _image_of_array(source, name)
        check_pixels(image, name)
        return image, name

    def represent(self, item: Item, representation: str) -> dict[str, NDArray[Any]]:
        _check_representation(representation)
        if representation not in item.computed:
            measured = self.represent_pictures(item.data[None], representation)
            item.computed[representation] = {name: values[0] for name, values in measured.items()}
        return item.computed[representation]

    def represent_pictures(
        self, pictures: NDArray[np.float32], representation: str
    ) -> dict[str, NDArray[Any]]:
        """The representation of many pictures ``(N, size, size, 3)`` (cutouts) at once.

        >>> pictures = np.zeros((2, 64, 64, 3), np.float32)
        >>> GalaxyImageModality().represent_pictures(pictures, "morphology")["morphology"].shape
        (2, 12)
        """
        _check_representation(representation)
        if representation == "cutout":
            return {"cutout": np.asarray(pictures, dtype=np.float32)}
        return {"morphology": morphology_and_colours(pictures).astype(np.float32)}

    def empty(self, representation: str, n: int) -> dict[str, NDArray[Any]]:
        _check_representation(representation)
        if representation == "cutout":
            return empty_cutouts(n, self.size)
        return {"morphology": np.zeros((n, len(MORPHOLOGY_AND_COLOUR_NAMES)), dtype=np.float32)}

    def picture(self, item: Item) -> NDArray[np.uint8]:
        """The colour picture ``(size, size, 3)`` uint8 the encoder read."""
        return (np.clip(item.data, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)

    def statistics(self, item: Item) -> dict[str, float]:
        """The picture's morphology (:func:`astrolens.morphology.morphology`: size, concentration,
        asymmetry, Gini, M20, ellipticity, depth, burnt-out share, other sources), which a
        search compares with the survey's galaxies of the class it answers."""
        return morphology(item.data)
