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

import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from astrolens.errors import InvalidLightCurve
from astrolens.features import FEATURE_NAMES, lightcurve_features
from astrolens.modalities.base import Item, Modality
from astrolens.periodogram import SCALAR_NAMES, PeriodogramConfig, periodogram_arrays
from astrolens.preprocess import (
    PreprocessConfig,
    UniformSeries,
    clip_outliers,
    mask_bad,
    prepare_lightcurve,
)
from astrolens.simulate import source_arrays
from astrolens.sources import LightCurveArrays, read_arrays
from astrolens.sources.columns import DEFAULT_FLUX_COLUMN
from astrolens.transform import series_from_arrays
from astrolens.wavelets import PowerImage, WaveletConfig, power_image

__all__ = [
    "DENSE_SPACING_DAYS",
    "REPRESENTATIONS",
    "LightCurveModality",
    "empty_arrays",
    "period_range_days",
    "represent",
    "wavelet_arrays",
]


REPRESENTATIONS = ("wavelet", "features", "periodogram", "hybrid")
"""The representations of a light curve an encoder can read: ``"wavelet"`` (the power image on
the uniform grid), ``"features"``, ``"periodogram"`` (:mod:`astrolens.periodogram`, from the
samples as observed) and ``"hybrid"`` (both: the power image where the light curve is dense)."""

DENSE_SPACING_DAYS = 0.1
"""A light curve whose epochs are at most this far apart (median) is dense: space photometry,
imaged on the uniform grid. Ground-based surveys (an epoch a night at best) are not."""


SPAN_MARGIN = 1.25
"""A dense light curve is cut into pieces (:meth:`LightCurveModality.pieces`) when it is longer
than this many times the survey's dense light curves, and into pieces this long (a Kepler
quarter lasts 89-98 days; the survey's is 89)."""

CONTINUOUS_SHARE = 0.5
"""Photometry is continuous when cadences fill at least this share of its time (a Kepler
quarter about 0.9; a night of ground-based photometry at most a third of a day)."""


def _continuous_share(time: NDArray[np.float64]) -> float:
    """The share of the time from the first to the last epoch that the epochs fill, each one
    cadence (the median spacing) long."""
    if time.size < 2:
        return 0.0
    cadence = float(np.median(np.diff(time)))
    return float(min(1.0, time.size * cadence / (time[-1] - time[0] + cadence)))


def period_range_days(
    representation: str,
    wavelet: WaveletConfig = WaveletConfig(),
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> tuple[float, float]:
    """The periods a representation shows: the wavelet image's, or the periodogram's (which
    reaches years) for the representations that hold it.

    Examples
    --------
    >>> period_range_days("wavelet"), period_range_days("hybrid")
    ((0.041666666666666664, 30.0), (0.041666666666666664, 2000.0))
    """
    if representation in ("periodogram", "hybrid"):
        return periodogram.period_min_days, periodogram.period_max_days
    return wavelet.period_range_days


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


def empty_arrays(
    representation: str,
    wavelet: WaveletConfig,
    n: int,
    periodogram: PeriodogramConfig = PeriodogramConfig(),
) -> dict[str, NDArray[Any]]:
    """Zero arrays for ``n`` light curves (what a failed light curve keeps)."""
    if representation == "features":
        return {"features": np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)}
    if representation == "periodogram":
        return _empty_periodogram(periodogram, n)
    if representation == "hybrid":
        return {**empty_arrays("wavelet", wavelet, n), **_empty_periodogram(periodogram, n)}
    shape = (n, wavelet.n_periods, wavelet.n_time_bins)
    arrays = {"image": np.zeros(shape, dtype=np.float32), "mask": np.zeros(shape, dtype=bool)}
    if wavelet.harmonic_phase:
        arrays["harmonic"] = np.zeros((n, 2, *shape[1:]), dtype=np.float32)
    return arrays


def _empty_periodogram(config: PeriodogramConfig, n: int) -> dict[str, NDArray[Any]]:
    spectrum = np.zeros((n, config.n_periods), dtype=np.float32)
    return {
        "power": spectrum,
        "window": spectrum.copy(),
        "coverage": spectrum.copy(),
        "folded": np.zeros((n, 2, config.n_phase_bins), dtype=np.float32),
        "scalars": np.zeros((n, len(SCALAR_NAMES)), dtype=np.float32),
        "best_period_days": np.full(n, np.nan),
    }


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
    periodogram
        The periodogram of the ``"periodogram"`` and ``"hybrid"`` representations.
    """

    name: ClassVar[str] = "lightcurve"
    query_kind: ClassVar[str] = "lightcurve"

    preprocess: PreprocessConfig = PreprocessConfig()
    wavelet: WaveletConfig = WaveletConfig()
    flux_column: str = DEFAULT_FLUX_COLUMN
    periodogram: PeriodogramConfig = PeriodogramConfig()

    @classmethod
    def from_run_config(cls, saved: Mapping[str, Any]) -> LightCurveModality:
        periodogram = saved.get("periodogram")
        return cls(
            PreprocessConfig.from_dict(saved["preprocess"]),
            WaveletConfig.from_dict(saved["wavelet"]),
            periodogram=PeriodogramConfig()
            if periodogram is None
            else PeriodogramConfig.from_dict(periodogram),
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

    def load_row(self, row: Mapping[str, Any]) -> Item:
        """A simulated survey's light curve, regenerated from its catalogue row
        (:func:`astrolens.simulate.source_arrays`, the same cadences and values as its FITS
        file)."""
        return self.load(source_arrays(row, self.preprocess.quality_bitmask))

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

    def samples(self, item: Item) -> tuple[NDArray[np.float64], NDArray[np.float64], Any]:
        """The usable epochs as observed, not resampled: ``time, flux, flux_err`` (relative
        flux; ``flux_err`` None when the input gives no uncertainties), with bad cadences masked
        and isolated outliers clipped as for the uniform grid (computed once per item).

        Raises
        ------
        InvalidLightCurve
            If no epoch is usable.
        """
        if "samples" not in item.computed:
            item.computed["samples"] = _cleaned_samples(item, self.preprocess)
        return item.computed["samples"]

    def is_dense(self, item: Item) -> bool:
        """Whether the epochs are at most :data:`DENSE_SPACING_DAYS` apart (median)."""
        time = self.samples(item)[0]
        return time.size > 1 and float(np.median(np.diff(time))) <= DENSE_SPACING_DAYS

    def represent(self, item: Item, representation: str) -> dict[str, NDArray[Any]]:
        key = f"representation:{representation}"
        if key not in item.computed:
            if representation == "wavelet":
                arrays = wavelet_arrays(self.power_image(item))
            elif representation == "periodogram":
                arrays = periodogram_arrays(
                    *self.samples(item), config=self.periodogram, source=_source(item)
                )
            elif representation == "hybrid":
                arrays = {**self._wavelet_if_dense(item), **self.represent(item, "periodogram")}
            else:
                arrays = represent(self.series(item), representation, self.wavelet)
            item.computed[key] = arrays
        return item.computed[key]

    def _wavelet_if_dense(self, item: Item) -> dict[str, NDArray[Any]]:
        """The wavelet arrays of a dense light curve; zeros (an empty mask) where the light curve
        is sparse or too short for the uniform grid's transform (decided once per item)."""
        if "wavelet_if_dense" not in item.computed:
            arrays = None
            if self.is_dense(item):
                with contextlib.suppress(InvalidLightCurve):  # too short for the transform
                    arrays = wavelet_arrays(self.power_image(item))
            empty = empty_arrays("wavelet", self.wavelet, 1).items()
            item.computed["wavelet_if_dense"] = arrays or {name: a[0] for name, a in empty}
        return item.computed["wavelet_if_dense"]

    def empty(self, representation: str, n: int) -> dict[str, NDArray[Any]]:
        return empty_arrays(representation, self.wavelet, n, self.periodogram)

    def picture(self, item: Item) -> tuple[UniformSeries, PowerImage | None]:
        """The cleaned light curve and its power image, as thumbnails and figures draw them (no
        image for a light curve sampled too sparsely for the uniform grid)."""
        return self.series(item), self.power_image(item) if self.is_dense(item) else None

    def sampling(self, item: Item) -> dict[str, float]:
        """``epochs`` (usable measurements, after cleaning), ``baseline_days`` and
        ``median_spacing_days`` (of a dense light curve: between the cells of the uniform grid
        that hold data; of a sparse one: between its epochs, about a day for one a night) and
        ``valid_share`` (of the power image's pixels, outside the cone of influence and gaps; 0
        for a light curve too sparse to have one).

        Examples
        --------
        >>> from astrolens.sources import example_files
        >>> modality = LightCurveModality()
        >>> sampling = modality.sampling(modality.load(example_files("Kepler")[0]))
        >>> sampling["epochs"] > 4000, round(sampling["median_spacing_days"] * 24 * 60, 1)
        (True, 29.4)
        """
        if "sampling" in item.computed:  # asked by the domain check and the answer check
            return dict(item.computed["sampling"])
        if not self.is_dense(item):
            time = self.samples(item)[0]
            spacing, valid_share = np.diff(time), 0.0
        else:
            series = self.series(item)
            time = series.time_days[series.valid]
            spacing = np.diff(time)
            valid_share = float(np.mean(self._wavelet_if_dense(item)["mask"]))
        item.computed["sampling"] = {
            "epochs": float(self.samples(item)[0].size),
            "baseline_days": float(time[-1] - time[0]) if time.size else 0.0,
            "median_spacing_days": float(np.median(spacing)) if spacing.size else float("nan"),
            "valid_share": valid_share,
        }
        return dict(item.computed["sampling"])

    def pieces(self, item: Item, survey_samplings: Sequence[Mapping[str, float]]) -> list[Item]:
        """A continuous light curve longer than the survey's as consecutive pieces of their span.

        Space photometry comes in quarters and sectors, each normalised by itself: a model that
        learned single quarters and sectors has never seen the steps and trends where they are
        stitched, nor periods longer than a quarter that only they make (two stitched Kepler
        quarters of a flaring M dwarf read as a semi-regular of about 70 days; each quarter
        alone, as a flare star of its 1.1-day rotation). A dense light curve (:meth:`is_dense`)
        longer than :data:`SPAN_MARGIN` times the longest dense light curve of the survey (99th
        percentile of ``survey_samplings``, :meth:`sampling` of a sample of its objects) is cut
        into pieces that long, each started at the first epoch after the last; pieces shorter
        than the survey's shortest dense light curves (1st percentile, over the margin: a TESS
        sector) are left out. Only photometry that is continuous in each piece (at least
        :data:`CONTINUOUS_SHARE` of its time holds cadences) is cut: dense ground-based
        photometry, nights only, keeps its long periods.

        Returns
        -------
        list of Item
            The pieces, labelled by their first and last time; ``[item]`` itself when it is not
            cut (not dense, not longer, not continuous, or a survey without dense light curves).

        Examples
        --------
        >>> from astrolens.sources import read_arrays
        >>> from astrolens.sources.examples import example_files
        >>> import dataclasses, numpy as np
        >>> one, two = (read_arrays(path) for path in example_files("Kepler"))
        >>> both = dataclasses.replace(one, **{name: np.concatenate(
        ...     [getattr(one, name), getattr(two, name)]) for name in ("time", "flux", "flux_err",
        ...     "quality")})
        >>> modality = LightCurveModality()
        >>> quarter = {"median_spacing_days": 0.0204, "baseline_days": 89.0}
        >>> [piece.label for piece in modality.pieces(modality.load(both), [quarter])]
        ['KIC 10002792, 169.8-258.5', 'KIC 10002792, 443.5-538.2']
        """
        dense = [
            sampling["baseline_days"]
            for sampling in survey_samplings
            if sampling.get("median_spacing_days", np.inf) <= DENSE_SPACING_DAYS
            and "baseline_days" in sampling
        ]
        if not dense or not self.is_dense(item):
            return [item]
        span = SPAN_MARGIN * float(np.percentile(dense, 99))
        shortest = float(np.percentile(dense, 1)) / SPAN_MARGIN
        time = self.samples(item)[0]
        if time[-1] - time[0] <= span:
            return [item]
        cuts = [0]
        while (after := int(np.searchsorted(time, time[cuts[-1]] + span))) < time.size:
            cuts.append(after)
        kept = []
        for inside in np.split(time, cuts[1:]):
            if inside[-1] - inside[0] < shortest:
                continue
            if _continuous_share(inside) < CONTINUOUS_SHARE:
                return [item]
            kept.append((float(inside[0]), float(inside[-1])))
        if not kept:
            return [item]
        return [self._piece(item, first, last) for first, last in kept]

    def _piece(self, item: Item, first: float, last: float) -> Item:
        """The part of a light curve from its usable epoch ``first`` to ``last``, loaded as a
        light curve of its own."""
        data = item.data
        if isinstance(data, LightCurveArrays):
            keep = (data.time >= first) & (data.time <= last)
            names = ("time", "flux", "flux_err", "quality")
            part: Any = replace(data, **{name: getattr(data, name)[keep] for name in names})
        else:  # a lightkurve.LightCurve
            time = np.asarray(data.time.value, dtype=np.float64)
            part = data[(time >= first) & (time <= last)]
        return replace(self.load(part), label=f"{item.label}, {first:.1f}-{last:.1f}")

    def own_period(self, item: Item) -> float | None:
        """The best period of the light curve's own periodogram (:mod:`astrolens.periodogram`,
        computed once per item), in days; None when it has none (too few epochs, or a baseline
        too short for two cycles of an hour).

        Examples
        --------
        >>> from astrolens.sources.examples import macho_files
        >>> import tempfile
        >>> modality = LightCurveModality()
        >>> rrab = next(p for p in macho_files(tempfile.mkdtemp()) if "1.4652.1527" in p.name)
        >>> round(modality.own_period(modality.load(rrab)), 4)  # OGLE-III: 0.4972512 d
        0.4973
        """
        try:
            arrays = self.represent(item, "periodogram")
        except InvalidLightCurve:
            return None
        return float(arrays["best_period_days"])

    def statistics(self, item: Item) -> dict[str, float]:
        """The light curve's hand-crafted features by name (:data:`astrolens.features.
        FEATURE_NAMES`: periods, amplitude, flux distribution, time structure, Fourier shape).

        Raises
        ------
        InvalidLightCurve
            If it has fewer than :data:`astrolens.features.MIN_POINTS` usable points.
        """
        values = self.represent(item, "features")["features"]
        return dict(zip(FEATURE_NAMES, values.astype(float).tolist(), strict=True))


def _source(item: Item) -> str:
    return str(item.meta.get("source") or item.label)


def _cleaned_samples(
    item: Item, config: PreprocessConfig
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    data = item.data
    if isinstance(data, LightCurveArrays):
        time, flux, flux_err, quality = data.time, data.flux, data.flux_err, data.quality
    else:  # a lightkurve.LightCurve
        time = np.asarray(data.time.value, dtype=np.float64)
        flux = np.asarray(data.flux.value, dtype=np.float64)
        flux_err = np.asarray(data.flux_err.value, dtype=np.float64)
        quality = np.asarray(data["quality"]) if "quality" in data.colnames else None
    order = np.argsort(time, kind="stable")
    time, flux, flux_err = (np.asarray(a, dtype=np.float64)[order] for a in (time, flux, flux_err))
    quality = None if quality is None else np.asarray(quality)[order]
    errors = flux_err if np.isfinite(flux_err).any() else None
    bad = mask_bad(
        time, flux, errors, quality, config.quality_bitmask, mission=item.meta.get("mission")
    )
    time, flux, flux_err = time[~bad], flux[~bad], flux_err[~bad]
    if time.size == 0:
        raise InvalidLightCurve(_source(item), "no usable epoch (NaN time or flux, or flagged)")
    if config.clip_sigma is not None:
        keep = ~clip_outliers(flux, config.clip_sigma, config.clip_window_cadences)
        time, flux, flux_err = time[keep], flux[keep], flux_err[keep]
    return time, flux, _usable_errors(flux_err)


def _usable_errors(flux_err: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """None for a light curve without uncertainties (a table without that column: every epoch
    is weighted alike); otherwise the uncertainties (epochs without one were masked, as for the
    uniform grid)."""
    return flux_err if np.isfinite(flux_err).any() else None


def _label(label: str | None, meta: Mapping[str, Any]) -> str:
    """The object the light curve names, else what the caller calls it, else its source."""
    return str(meta.get("object_id") or label or meta.get("source") or "light curve")
