"""Light-curve files to cached wavelet power images: the first stages of the pipeline in one call.

``sources.read_arrays`` -> ``preprocess.prepare`` -> ``wavelets.power_image``, each image saved in a
:class:`~astrolens.wavelets.WaveletCache` under the file's name, so a second run reads nothing and
recomputes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

from tqdm.auto import tqdm

from astrolens.errors import InvalidLightCurve, skip_reason
from astrolens.preprocess import PreprocessConfig, UniformSeries, prepare
from astrolens.sources import LightCurveArrays, read_arrays
from astrolens.wavelets import PowerImage, WaveletCache, WaveletConfig, power_image

__all__ = ["TransformResult", "series_from_arrays", "transform_files"]


@dataclass(frozen=True)
class TransformResult:
    """Power images of the files that could be transformed, and the files skipped with the reason.

    Attributes
    ----------
    images
        One :class:`~astrolens.wavelets.PowerImage` per transformed file, in the order given.
    paths
        The file each image came from.
    skipped
        ``(path, reason)`` for each file left out (only with ``errors="skip"``).
    """

    images: tuple[PowerImage, ...]
    paths: tuple[Path, ...]
    skipped: tuple[tuple[Path, str], ...] = ()


def series_from_arrays(
    arrays: LightCurveArrays, config: PreprocessConfig = PreprocessConfig()
) -> UniformSeries:
    """Clean and resample a light curve read by :func:`astrolens.sources.read_arrays`.

    Examples
    --------
    >>> from astrolens.sources import example_files, read_arrays
    >>> series = series_from_arrays(read_arrays(example_files("TESS")[0]))
    >>> series.meta["mission"], round(series.cadence_days * 24 * 60, 1)
    ('TESS', 29.4)
    """
    return prepare(
        arrays.time,
        arrays.flux,
        arrays.flux_err,
        arrays.quality,
        config=config,
        source=arrays.source,
        meta=arrays.meta,
    )


def transform_files(
    paths: Iterable[str | PathLike[str]],
    cache_root: str | PathLike[str] = "wavelets",
    *,
    preprocess: PreprocessConfig = PreprocessConfig(),
    wavelet: WaveletConfig = WaveletConfig(),
    flux_column: str = "pdcsap_flux",
    errors: Literal["raise", "skip"] = "raise",
    progress: bool = True,
) -> TransformResult:
    """Power images of light-curve files, computed once and cached under ``cache_root``.

    Each image is cached under the file's name without suffix (``kplr010002792-2009259160929_llc``),
    which, unlike the object id, tells two quarters or sectors of one star apart.

    Parameters
    ----------
    paths
        Light-curve files (Kepler/K2/TESS FITS, lightkurve FITS, CSV/ASCII tables).
    cache_root
        Folder of the cache; images go to ``<cache_root>/<configuration key>/``.
    preprocess, wavelet
        The configurations of the two stages; they name the cache folder.
    flux_column
        Flux column of FITS files (``"pdcsap_flux"`` or ``"sap_flux"``).
    errors
        ``"raise"``: stop at the first unusable file. ``"skip"``: leave it out and say why in
        :attr:`TransformResult.skipped`.
    progress
        Show a progress bar.

    Raises
    ------
    InvalidLightCurve, FileNotFoundError
        With ``errors="raise"``, for the first file that cannot be read or transformed.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.sources import example_files
    >>> result = transform_files(example_files("K2"), tempfile.mkdtemp(), progress=False)
    >>> result.images[0].object_id, result.images[0].image.shape
    ('ktwo211117077-c04_llc', (64, 64))
    """
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors={errors!r} is not 'raise' or 'skip'")
    cache = WaveletCache(cache_root, wavelet=wavelet, preprocess=preprocess)
    images: list[PowerImage] = []
    done: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in tqdm(
        [Path(p) for p in paths], desc="wavelet images", unit="lc", disable=not progress
    ):

        def compute(path: Path = path) -> PowerImage:
            arrays = read_arrays(path, flux_column, preprocess.quality_bitmask)
            return power_image(series_from_arrays(arrays, preprocess), wavelet)

        try:
            images.append(cache.get_or_compute(path.stem, compute))
        except (InvalidLightCurve, FileNotFoundError) as error:
            if errors == "raise":
                raise
            skipped.append((path, skip_reason(error)))
            continue
        done.append(path)
    return TransformResult(images=tuple(images), paths=tuple(done), skipped=tuple(skipped))
