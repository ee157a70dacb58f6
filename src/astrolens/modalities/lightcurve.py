"""Light curves as a modality: one reader configuration, read once, cleaned once, imaged once.

:class:`LightCurveModality` wraps :mod:`astrolens.sources` (read a FITS or text file, or take
arrays or a ``lightkurve.LightCurve`` already in memory), :mod:`astrolens.preprocess` (clean and
put on the uniform grid) and the representations encoders read (:func:`represent`: the wavelet
power image, the features). A run's configuration owns it: the flux column and quality
bitmask it reads with, the cleaning and the transform are the ones the encoder was trained on.
Everything computed from an :class:`~astrolens.modalities.base.Item` is kept on it, so a query
that is embedded and then drawn is read once and transformed once.

Examples
--------
>>> from astrolens.sources import example_files
>>> modality = LightCurveModality()
>>> item = modality.load(example_files("K2")[0], label="my upload.fits")
>>> item.label, modality.represent(item, "wavelet")["image"].shape
('EPIC 211117077', (64, 64))
>>> series, image = modality.picture(item)
>>> image.image is modality.represent(item, "wavelet")["image"]
True
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from astrolens.features import FEATURE_NAMES, lightcurve_features
from astrolens.modalities.base import Item, Modality
from astrolens.preprocess import PreprocessConfig, UniformSeries, prepare_lightcurve
from astrolens.sources import LightCurveArrays, read_arrays
from astrolens.sources.columns import DEFAULT_FLUX_COLUMN
from astrolens.transform import series_from_arrays
from astrolens.wavelets import PowerImage, WaveletConfig, power_image

__all__ = [
    "REPRESENTATIONS",
    "LightCurveModality",
    "empty_arrays",
    "represent",
    "wavelet_arrays",
]


REPRESENTATIONS = ("wavelet", "features")
"""The representations of a light curve an encoder can read."""


def represent(
    series: UniformSeries, representation: str, wavelet: WaveletConfig = WaveletConfig()
) -> dict[str, NDArray[Any]]:
    """One light curve's representation, as arrays by name.

    ``"wavelet"``: ``image`` and ``mask`` ``(n_periods, n_time_bins)``, and ``harmonic``
    ``(2, n_periods, n_time_bins)`` when the configuration computes it. ``"features"``:
    ``features`` ``(n_features,)`` of the valid cells of the cleaned light curve.

    Raises
    ------
    InvalidLightCurve
        If the light curve is too short for the representation.
    ValueError
        For an unknown representation.

    Examples
    --------
    >>> from astrolens.sources import example_files, read_arrays
    >>> series = series_from_arrays(read_arrays(example_files("K2")[0]))
    >>> sorted(represent(series, "wavelet"))
    ['harmonic', 'image', 'mask']
    >>> represent(series, "features")["features"].shape == (len(FEATURE_NAMES),)
    True
    """
    if representation == "wavelet":
        return wavelet_arrays(power_image(series, wavelet))
    if representation == "features":
        valid = series.valid
        features = lightcurve_features(series.time_days[valid], series.flux[valid])
        return {"features": features.astype(np.float32)}
    raise ValueError(f"unknown representation {representation!r}; known: {REPRESENTATIONS}")


def wavelet_arrays(image: PowerImage) -> dict[str, NDArray[Any]]:
    """The ``"wavelet"`` representation of a computed power image (see :func:`represent`)."""
    arrays = {"image": image.image, "mask": image.mask}
    if image.harmonic is not None:
        arrays["harmonic"] = image.harmonic
    return arrays


def empty_arrays(representation: str, wavelet: WaveletConfig, n: int) -> dict[str, NDArray[Any]]:
    """Zero arrays for ``n`` light curves (what a failed light curve keeps)."""
    if representation == "features":
        return {"features": np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)}
    shape = (n, wavelet.n_periods, wavelet.n_time_bins)
    arrays = {"image": np.zeros(shape, dtype=np.float32), "mask": np.zeros(shape, dtype=bool)}
    if wavelet.harmonic_phase:
        arrays["harmonic"] = np.zeros((n, 2, *shape[1:]), dtype=np.float32)
    return arrays


@dataclass(frozen=True)
class LightCurveModality(Modality):
    """Light curves, read and cleaned as a run was trained (see the module description).

    Parameters
    ----------
    preprocess
        Cleaning and resampling (its ``quality_bitmask`` is the reader's too).
    wavelet
        The wavelet transform.
    flux_column
        FITS flux column to read (``"pdcsap_flux"``).
    """

    name: ClassVar[str] = "lightcurve"

    preprocess: PreprocessConfig = PreprocessConfig()
    wavelet: WaveletConfig = WaveletConfig()
    flux_column: str = DEFAULT_FLUX_COLUMN

    @classmethod
    def from_run_config(cls, saved: Mapping[str, Any]) -> LightCurveModality:
        return cls(
            PreprocessConfig.from_dict(saved["preprocess"]),
            WaveletConfig.from_dict(saved["wavelet"]),
        )

    def load(self, source: Any, *, label: str | None = None) -> Item:
        """Read a light curve once: a FITS/CSV path, :class:`LightCurveArrays`, a ``LightCurve``.

        Raises
        ------
        FileNotFoundError, InvalidLightCurve
            If a file cannot be read.
        TypeError
            If ``source`` is none of those.
        """
        if isinstance(source, Item):
            return source
        if isinstance(source, str | os.PathLike):
            source = read_arrays(source, self.flux_column, self.preprocess.quality_bitmask)
        if isinstance(source, LightCurveArrays):
            return Item(_label(label, source.meta), dict(source.meta), source)
        lightkurve = sys.modules.get("lightkurve")  # a LightCurve exists only once it is imported
        if lightkurve is not None and isinstance(source, lightkurve.LightCurve):
            meta = dict(source.meta)
            item = Item(_label(label, meta), meta, source)
            item.computed["series"] = prepare_lightcurve(source, self.preprocess)
            return item
        raise TypeError(
            f"cannot read a light curve from a {type(source).__name__}: give a FITS or CSV path, "
            "a lightkurve.LightCurve or astrolens.sources.LightCurveArrays"
        )

    def series(self, item: Item) -> UniformSeries:
        """The cleaned light curve on the uniform grid (computed once per item)."""
        if "series" not in item.computed:
            item.computed["series"] = series_from_arrays(item.data, self.preprocess)
        return item.computed["series"]

    def power_image(self, item: Item) -> PowerImage:
        """The wavelet power image (computed once per item)."""
        if "power_image" not in item.computed:
            item.computed["power_image"] = power_image(self.series(item), self.wavelet)
        return item.computed["power_image"]

    def represent(self, item: Item, representation: str) -> dict[str, NDArray[Any]]:
        key = f"representation:{representation}"
        if key not in item.computed:
            item.computed[key] = (
                wavelet_arrays(self.power_image(item))
                if representation == "wavelet"
                else represent(self.series(item), representation, self.wavelet)
            )
        return item.computed[key]

    def empty(self, representation: str, n: int) -> dict[str, NDArray[Any]]:
        return empty_arrays(representation, self.wavelet, n)

    def picture(self, item: Item) -> tuple[UniformSeries, PowerImage]:
        """The cleaned light curve and its power image, as thumbnails and figures draw them."""
        return self.series(item), self.power_image(item)

    def sampling(self, item: Item) -> dict[str, float]:
        """``epochs`` (measurements with a flux), ``baseline_days`` and ``median_spacing_days``
        (between the cells of the uniform grid that hold data: the cadence of dense photometry,
        about a day for one epoch a night) and ``valid_share`` (of the power image's pixels,
        outside the cone of influence and gaps).

        Examples
        --------
        >>> from astrolens.sources import example_files
        >>> modality = LightCurveModality()
        >>> sampling = modality.sampling(modality.load(example_files("Kepler")[0]))
        >>> sampling["epochs"] > 4000, round(sampling["median_spacing_days"] * 24 * 60, 1)
        (True, 29.4)
        """
        series = self.series(item)
        time = series.time_days[series.valid]
        spacing = np.diff(time)
        data = item.data
        epochs = np.count_nonzero(np.isfinite(data.flux)) if hasattr(data, "flux") else time.size
        return {
            "epochs": float(epochs),
            "baseline_days": float(time[-1] - time[0]) if time.size else 0.0,
            "median_spacing_days": float(np.median(spacing)) if spacing.size else float("nan"),
            "valid_share": float(np.mean(self.power_image(item).mask)),
        }


def _label(label: str | None, meta: Mapping[str, Any]) -> str:
    """The object the light curve names, else what the caller calls it, else its source."""
    return str(meta.get("object_id") or label or meta.get("source") or "light curve")
