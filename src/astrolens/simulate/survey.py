"""The simulated survey: a catalogue of objects whose light curves are regenerated on demand.

A survey is a table with one row per object (``catalogs/<name>.csv``, or Parquet for large
surveys) and its :class:`SurveyConfig` as JSON beside it. The row holds everything the light
curve depends on, including a per-object ``seed``, so :func:`lightcurve_arrays` rebuilds any
object's light curve exactly, and a million-object survey needs no light curves on disk.

Named sizes (:data:`SIZES`): ``tiny`` (320 objects, for tests), ``demo`` (20,000, the embedded
default) and ``large`` (1,000,000, written in chunks with bounded memory, for benchmarks).

Determinism: the class and observing mode of every object are fixed by the survey seed (exact
class balance, shuffled); chunk k of the catalogue draws from its own random stream
``(seed, k)``; each light curve draws from ``(row seed, 0)`` (the star) and ``(row seed, 1)``
(the instrument). Same configuration, same catalogue and same fluxes, however the catalogue is
written or read.

Examples
--------
>>> config = SurveyConfig.named("tiny", seed=1)
>>> catalog = generate_catalog(config)
>>> len(catalog), int(catalog["class"].value_counts().min())
(320, 20)
>>> time, flux, flux_err, quality = lightcurve_arrays(catalog.iloc[0])
>>> time.shape == flux.shape == flux_err.shape == quality.shape
True
>>> bool(np.array_equal(flux, lightcurve_arrays(catalog.iloc[0]).flux, equal_nan=True))
True
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray
from tqdm.auto import tqdm

import astrolens
from astrolens.config import JsonConfig
from astrolens.errors import InvalidLightCurve
from astrolens.files import written_atomically
from astrolens.simulate.classes import CLASSES, DrawContext, VariabilityClass
from astrolens.simulate.observations import (
    OBSERVING_MODES,
    ObservingMode,
    draw_magnitudes,
    draw_sky_positions,
    observe,
)
from astrolens.simulate.ogle import load_ogle3, ogle3_checksum, select_ogle3
from astrolens.sources.arrays import LightCurveArrays, Target, assemble_arrays
from astrolens.sources.quality import QualityBitmask

if TYPE_CHECKING:
    import lightkurve as lk

__all__ = [
    "CATALOG_COLUMNS",
    "DEFAULT_SEED",
    "SIZES",
    "SimulatedArrays",
    "SurveyConfig",
    "astrophysical_flux",
    "catalog_path",
    "generate_catalog",
    "iter_catalog_chunks",
    "iter_lightcurves",
    "lightcurve",
    "lightcurve_arrays",
    "observing_mode",
    "read_catalog",
    "signal_to_noise",
    "simulate_survey",
    "source_arrays",
    "write_survey",
]

DEFAULT_SEED = 2024
"""Seed of the named surveys unless another is given."""

SIZES = {"tiny": 320, "demo": 20_000, "large": 1_000_000}
"""Number of objects of the named surveys."""

CSV_MAX_OBJECTS = 100_000
"""Surveys up to this size are written as CSV, larger ones as Parquet (``file_format="auto"``)."""

_STR, _INT, _FLOAT = "str", "int64", "float64"
CATALOG_COLUMNS: dict[str, tuple[str, str]] = {
    "object_id": (_STR, "'KIC <target_id>' or 'TIC <target_id>', as the FITS readers name it"),
    "target_id": (
        _INT,
        "mission-style number: 900000000 + index (Kepler), 9000000000 + index (TESS)",
    ),
    "mission": (_STR, "'Kepler' or 'TESS'"),
    "cadence": (_STR, "'long' (Kepler 29.4 min), '2min' or '10min' (TESS)"),
    "cadence_days": (_FLOAT, "time between cadences"),
    "ra": (_FLOAT, "right ascension, degrees (the OGLE-III position for catalogue stars)"),
    "dec": (_FLOAT, "declination, degrees"),
    "mag": (_FLOAT, "mission-band magnitude (Kp or T)"),
    "class": (_STR, "variability class, see astrolens.simulate.classes"),
    "subclass": (_STR, "finer label (OGLE subtype, binary geometry, ...)"),
    "period_days": (_FLOAT, "period: pulsation, orbital or rotation"),
    "epoch_days": (_FLOAT, "reference time (phase 0, mid-transit, primary eclipse), mission time"),
    "amplitude": (_FLOAT, "peak-to-peak relative flux of the noiseless signal (RMS: granulation)"),
    "amplitude_mag": (_FLOAT, "pulsators: mission-band peak-to-peak amplitude, mag"),
    "period2_days": (_FLOAT, "pulsators: secondary period"),
    "amplitude2_mag": (_FLOAT, "pulsators: mission-band peak-to-peak amplitude of period2, mag"),
    "ogle_id": (_STR, "OGLE-III identifier of the catalogue row ('' for other classes)"),
    "ogle_i_mag": (_FLOAT, "OGLE-III mean I magnitude"),
    "ogle_v_mag": (_FLOAT, "OGLE-III mean V magnitude"),
    "ogle_amplitude_i_mag": (_FLOAT, "OGLE-III I-band peak-to-peak amplitude, mag"),
    "fourier_r21": (_FLOAT, "pulsators: Fourier amplitude ratio R21 (I band)"),
    "fourier_phi21": (_FLOAT, "pulsators: Fourier phase difference phi21, rad"),
    "fourier_r31": (_FLOAT, "pulsators: Fourier amplitude ratio R31"),
    "fourier_phi31": (_FLOAT, "pulsators: Fourier phase difference phi31, rad"),
    "fourier_a1": (_FLOAT, "EW, ELL: cos(2 pi phase) coefficient of the relative flux"),
    "fourier_a2": (_FLOAT, "EW, ELL: cos(4 pi phase) coefficient"),
    "fourier_a4": (_FLOAT, "EW: cos(8 pi phase) coefficient"),
    "radius_ratio": (_FLOAT, "TRANSIT: Rp/R*; EA: R2/R1"),
    "radius_primary_over_a": (_FLOAT, "EA, ELL: primary radius over the orbital separation"),
    "surface_brightness_ratio": (_FLOAT, "EA: secondary over primary surface brightness"),
    "mass_ratio": (_FLOAT, "EA, EW, ELL: M2/M1"),
    "inclination_deg": (_FLOAT, "orbital or rotation-axis inclination, degrees"),
    "a_over_rstar": (_FLOAT, "TRANSIT: semi-major axis over stellar radius"),
    "impact_parameter": (_FLOAT, "TRANSIT: a cos(i) / R*"),
    "limb_darkening_u1": (_FLOAT, "TRANSIT: quadratic limb darkening u1"),
    "limb_darkening_u2": (_FLOAT, "TRANSIT: quadratic limb darkening u2"),
    "duration_hours": (_FLOAT, "TRANSIT, EA: first to last contact"),
    "rotation_period_days": (_FLOAT, "ROT, FLARE: equatorial rotation period"),
    "differential_rotation": (
        _FLOAT,
        "ROT, FLARE: shear alpha of P(lat) = P_eq / (1 - alpha sin^2)",
    ),
    "spot_lifetime_days": (_FLOAT, "ROT, FLARE: typical spot lifetime"),
    "flare_rate_per_day": (_FLOAT, "FLARE: flares per day above flare_min_amplitude"),
    "flare_min_amplitude": (_FLOAT, "FLARE: smallest flare amplitude, relative flux"),
    "nu_max_uhz": (_FLOAT, "GRANULATION: frequency of maximum oscillation power, microhertz"),
    "granulation_timescale_days": (_FLOAT, "GRANULATION: timescale of the slower component"),
    "snr": (
        _FLOAT,
        "classes drawn from priors: S/N of the noiseless signal over the white noise (>= min_snr)",
    ),
    "seed": (_INT, "seed of this object's light curve"),
}
"""Catalogue columns: name -> (dtype, meaning). NaN where a parameter does not apply."""

_META_KEYS = (
    "object_id",
    "target_id",
    "mission",
    "cadence",
    "cadence_days",
    "ra",
    "dec",
    "mag",
    "class",
    "subclass",
    "period_days",
)
_STAR_STREAM, _INSTRUMENT_STREAM = 0, 1
_ALLOCATION_STREAM = 1_000_003
_TARGET_ID_BASE = {"Kepler": 900_000_000, "TESS": 9_000_000_000}
_MODE_KEYS = tuple(OBSERVING_MODES)
_MODE_OF = {(mode.mission, mode.cadence): mode for mode in OBSERVING_MODES.values()}


def _default_class_weights() -> dict[str, float]:
    return {name: 1.0 for name in CLASSES}


def _default_mission_mix() -> dict[str, float]:
    return {"kepler_long": 0.4, "tess_2min": 0.3, "tess_10min": 0.3}


@dataclass(frozen=True)
class SurveyConfig(JsonConfig):
    """Everything that defines a simulated survey; saved as JSON beside its catalogue.

    Parameters
    ----------
    name
        Survey name: the name of the catalogue file.
    n_objects
        Number of objects.
    seed
        Survey seed.
    class_weights
        Relative number of objects per class (names of :data:`~astrolens.simulate.classes.CLASSES`;
        missing classes get none). Counts are exact up to rounding.
    mission_mix
        Relative number of objects per observing mode (keys of
        :data:`~astrolens.simulate.observations.OBSERVING_MODES`).
    chunk_size
        Objects drawn (and written) at a time; part of the configuration because each chunk has
        its own random stream.
    file_format
        ``"csv"``, ``"parquet"`` or ``"auto"`` (CSV up to :data:`CSV_MAX_OBJECTS` objects).
    min_snr
        Detection threshold of the classes drawn from priors (all but the OGLE-III pulsators and
        the constant stars): a labelled survey holds only variables whose variability its light
        curves show. An object whose signal-to-noise ratio (:func:`signal_to_noise`) is below it
        is drawn again (parameters, magnitude and seed), i.e. the survey samples the priors
        conditioned on detection, as a real catalogue does (compare the 7.1-sigma threshold of the
        Kepler transit search, Jenkins et al. 2010, ApJ 713, L87). 0 keeps every draw.
    min_cycles
        Cycles of its period a light curve must cover for a class drawn from priors to keep that
        draw: a period is catalogued from a light curve only when it repeats (two transits, two
        rotations; rotation-period catalogues from TESS sectors stop near half a sector, about
        13 d). Draws with a longer period are drawn again, as for ``min_snr``. 0 keeps every
        draw. The OGLE-III pulsators keep their catalogued periods (a Mira's year included):
        their labels come from OGLE's long photometry, not from the light curve.

    Examples
    --------
    >>> config = SurveyConfig.named("demo")
    >>> config.n_objects, config.seed, config.catalog_suffix
    (20000, 2024, '.csv')
    >>> SurveyConfig.from_dict(config.to_dict()) == config
    True
    >>> SurveyConfig(class_weights={"XYZ": 1.0})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown class(es) ['XYZ'] in class_weights; known: RRab, RRc, DCEP-F, ...
    """

    name: str = "demo"
    n_objects: int = SIZES["demo"]
    seed: int = DEFAULT_SEED
    class_weights: dict[str, float] = field(default_factory=_default_class_weights)
    mission_mix: dict[str, float] = field(default_factory=_default_mission_mix)
    chunk_size: int = 50_000
    file_format: str = "auto"
    min_snr: float = 15.0
    min_cycles: float = 2.0

    def __post_init__(self) -> None:
        _check_weights(self.class_weights, CLASSES, "class_weights", "class(es)")
        _check_weights(self.mission_mix, OBSERVING_MODES, "mission_mix", "observing mode(s)")
        if self.n_objects < 1 or self.chunk_size < 1:
            raise ValueError(
                f"n_objects ({self.n_objects}) and chunk_size ({self.chunk_size}) must be positive"
            )
        if self.file_format not in ("auto", "csv", "parquet"):
            raise ValueError(
                f"file_format must be 'auto', 'csv' or 'parquet', not {self.file_format!r}"
            )

    @classmethod
    def named(cls, size: str, seed: int = DEFAULT_SEED, **changes: Any) -> SurveyConfig:
        """The configuration of a named size (``"tiny"``, ``"demo"``, ``"large"``)."""
        if size not in SIZES:
            raise ValueError(f"unknown survey size {size!r}; choose one of {', '.join(SIZES)}")
        return cls(name=size, n_objects=SIZES[size], seed=seed, **changes)

    @property
    def catalog_suffix(self) -> str:
        """``".csv"`` or ``".parquet"``."""
        if self.file_format == "auto":
            return ".csv" if self.n_objects <= CSV_MAX_OBJECTS else ".parquet"
        return f".{self.file_format}"

    @property
    def n_chunks(self) -> int:
        """Number of chunks the catalogue is drawn in."""
        return -(-self.n_objects // self.chunk_size)


class SimulatedArrays(NamedTuple):
    """A light curve as plain arrays on the cadences with a time stamp.

    ``time`` is mission time in days (BKJD for Kepler, BTJD for TESS); ``flux`` and ``flux_err``
    are relative (the star's mean magnitude has flux 1; NaN where the pipeline blanks a cadence);
    ``quality`` holds the mission's quality flags.
    """

    time: NDArray[np.float64]
    flux: NDArray[np.float64]
    flux_err: NDArray[np.float64]
    quality: NDArray[np.int32]


def simulate_survey(
    size: str = "demo",
    *,
    seed: int = DEFAULT_SEED,
    out_dir: str | os.PathLike[str] = "catalogs",
    progress: bool = True,
) -> Path:
    """Simulate a named survey and write its catalogue; the entry point of ``astrolens simulate``.

    Parameters
    ----------
    size
        ``"tiny"`` (320 objects), ``"demo"`` (20,000) or ``"large"`` (1,000,000).
    seed
        Survey seed.
    out_dir
        Folder of the catalogue (created if needed).
    progress
        Show a progress bar.

    Returns
    -------
    pathlib.Path
        The catalogue, ``<out_dir>/<size>.csv`` (``.parquet`` for ``large``); its configuration
        is ``<out_dir>/<size>.json``.

    Examples
    --------
    >>> import tempfile
    >>> path = simulate_survey("tiny", out_dir=tempfile.mkdtemp(), progress=False)
    >>> path.name, path.with_suffix(".json").is_file()
    ('tiny.csv', True)
    """
    return write_survey(SurveyConfig.named(size, seed=seed), out_dir, progress=progress)


def write_survey(
    config: SurveyConfig, out_dir: str | os.PathLike[str] = "catalogs", *, progress: bool = True
) -> Path:
    """Write the catalogue of ``config`` chunk by chunk (bounded memory) and its JSON beside it.

    Returns the path of the catalogue.
    """
    path = catalog_path(config, out_dir)
    with written_atomically(path) as temporary:
        chunks = iter_catalog_chunks(config, progress=progress)
        if path.suffix == ".csv":
            _write_csv(chunks, temporary)
        else:
            _write_parquet(chunks, temporary)
    provenance = {
        "survey": config.to_dict(),
        "catalog": path.name,
        "astrolens_version": astrolens.__version__,
        "ogle3_sha256": ogle3_checksum() if _uses_ogle(config) else None,
    }
    path.with_suffix(".json").write_text(json.dumps(provenance, indent=2) + "\n")
    return path


def catalog_path(config: SurveyConfig, out_dir: str | os.PathLike[str] = "catalogs") -> Path:
    """Where :func:`write_survey` puts the catalogue of ``config``."""
    return Path(out_dir) / f"{config.name}{config.catalog_suffix}"


def generate_catalog(config: SurveyConfig, *, progress: bool = False) -> pd.DataFrame:
    """The whole catalogue of ``config`` in memory (the same rows :func:`write_survey` writes)."""
    return pd.concat(list(iter_catalog_chunks(config, progress=progress)), ignore_index=True)


def iter_catalog_chunks(config: SurveyConfig, *, progress: bool = False) -> Iterator[pd.DataFrame]:
    """The catalogue of ``config`` in chunks of ``config.chunk_size`` rows.

    Memory holds one chunk plus two small label arrays (3 bytes per object).

    Examples
    --------
    >>> config = SurveyConfig(name="mini", n_objects=50, chunk_size=20)
    >>> [len(chunk) for chunk in iter_catalog_chunks(config)]
    [20, 20, 10]
    """
    class_labels, mode_labels = _allocate(config)
    names = list(CLASSES)
    for index in tqdm(
        range(config.n_chunks), desc=f"simulating {config.name}", unit="chunk", disable=not progress
    ):
        start = index * config.chunk_size
        stop = min(start + config.chunk_size, config.n_objects)
        rng = np.random.default_rng([config.seed, index])
        yield _draw_chunk(
            start,
            class_labels[start:stop],
            mode_labels[start:stop],
            names,
            rng,
            config.min_snr,
            config.min_cycles,
        )


def read_catalog(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a catalogue written by :func:`write_survey` (CSV or Parquet) with its dtypes.

    Examples
    --------
    >>> import tempfile
    >>> path = write_survey(SurveyConfig(name="mini", n_objects=40), tempfile.mkdtemp(),
    ...                     progress=False)
    >>> catalog = read_catalog(path)
    >>> catalog.equals(generate_catalog(SurveyConfig(name="mini", n_objects=40)))
    True
    """
    path = Path(path)
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        strings = {name: str for name, (dtype, _) in CATALOG_COLUMNS.items() if dtype == _STR}
        numbers = {name: [""] for name, (dtype, _) in CATALOG_COLUMNS.items() if dtype != _STR}
        table = pd.read_csv(
            path,
            dtype=strings,
            keep_default_na=False,
            na_values=numbers,
            float_precision="round_trip",
        )
    return _with_catalog_dtypes(table)


def observing_mode(row: Mapping[str, Any]) -> ObservingMode:
    """The observing mode of a catalogue row (from its ``mission`` and ``cadence``)."""
    try:
        return _MODE_OF[(row["mission"], row["cadence"])]
    except KeyError:
        raise InvalidLightCurve(
            str(row.get("object_id", "catalogue row")),
            f"unknown mission/cadence {row.get('mission')!r}/{row.get('cadence')!r}; known: "
            + ", ".join(f"{mission}/{cadence}" for mission, cadence in _MODE_OF),
        ) from None


def astrophysical_flux(
    row: Mapping[str, Any], time: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """The noiseless relative flux of a catalogue row (the star, before the instrument).

    Parameters
    ----------
    row
        A catalogue row (``pandas.Series`` or mapping).
    time
        Times (mission days); default: the cadences of the row's observing mode. With the
        default, this is exactly the signal inside :func:`lightcurve_arrays`.
    """
    params = _as_params(row)
    if time is None:
        time = observing_mode(params).time()
    variability = _variability_class(params)
    rng = np.random.default_rng([int(params["seed"]), _STAR_STREAM])
    return variability.flux(np.asarray(time, dtype=np.float64), params, rng)


def lightcurve_arrays(row: Mapping[str, Any]) -> SimulatedArrays:
    """Regenerate the light curve of a catalogue row: ``(time, flux, flux_err, quality)``.

    Deterministic: the same row always gives the same arrays.

    Raises
    ------
    InvalidLightCurve
        If the row names an unknown class or observing mode.
    """
    params = _as_params(row)
    mode = observing_mode(params)
    signal = astrophysical_flux(params)
    rng = np.random.default_rng([int(params["seed"]), _INSTRUMENT_STREAM])
    flux, flux_err, quality = observe(mode, signal, float(params["mag"]), rng)
    return SimulatedArrays(mode.time().copy(), flux, flux_err, quality)


def lightcurve(row: Mapping[str, Any]) -> lk.LightCurve:
    """Regenerate the light curve of a catalogue row as a ``lightkurve.LightCurve``.

    Every cadence of :func:`lightcurve_arrays` is kept (with its ``quality``). The ``meta`` holds
    the keys every astrolens reader sets (``object_id``, ``mission``, ``ra``, ``dec``, ``mag``,
    ``cadence_days``, ``flux_column``, ``source``) plus ``target_id``, ``cadence``, ``class``,
    ``subclass`` and ``period_days``.

    Examples
    --------
    >>> row = generate_catalog(SurveyConfig(name="mini", n_objects=16)).iloc[3]
    >>> lc = lightcurve(row)
    >>> lc.meta["object_id"], lc.meta["class"], lc.time.format
    ('KIC 900000003', 'MIRA', 'bkjd')
    """
    params = _as_params(row)
    result = source_arrays(params, quality_bitmask="none").to_lightcurve()
    result.meta.update({key: _plain(params[key]) for key in _META_KEYS})
    return result


def source_arrays(
    row: Mapping[str, Any], quality_bitmask: QualityBitmask = "default"
) -> LightCurveArrays:
    """Regenerate a catalogue row as the arrays that :func:`astrolens.sources.read_arrays` returns.

    The same cadences, values and metadata as reading the row's FITS file
    (:func:`~astrolens.simulate.export.write_fits`) back, except that the flux stays relative
    instead of in e-/s; the next pipeline stages take it like any file's light curve.

    Parameters
    ----------
    row
        A catalogue row.
    quality_bitmask
        Cadences with these quality bits are removed (as for :func:`astrolens.sources.read`).

    Examples
    --------
    >>> row = generate_catalog(SurveyConfig(name="mini", n_objects=16)).iloc[0]
    >>> arrays = source_arrays(row)
    >>> arrays.object_id, arrays.mission, arrays.time_format
    ('TIC 9000000000', 'TESS', 'btjd')
    """
    params = _as_params(row)
    mode = observing_mode(params)
    arrays = lightcurve_arrays(params)
    target = Target(
        object_id=str(params["object_id"]),
        mission=mode.mission,
        ra=float(params["ra"]),
        dec=float(params["dec"]),
        mag=float(params["mag"]),
    )
    return assemble_arrays(
        time=arrays.time,
        flux=arrays.flux,
        flux_err=arrays.flux_err,
        quality=arrays.quality,
        target=target,
        flux_column="pdcsap_flux",
        source=f"{params['object_id']} (simulated)",
        quality_bitmask=quality_bitmask,
        time_format=mode.time_format,
    )


def iter_lightcurves(
    catalog: pd.DataFrame, *, batch_size: int = 256, progress: bool = False
) -> Iterator[tuple[pd.DataFrame, list[SimulatedArrays]]]:
    """Regenerate the light curves of a catalogue in batches (fast path for many objects).

    Yields
    ------
    rows, lightcurves
        A slice of the catalogue and the :class:`SimulatedArrays` of its rows, in order.

    Examples
    --------
    >>> catalog = generate_catalog(SurveyConfig(name="mini", n_objects=20))
    >>> [len(curves) for _, curves in iter_lightcurves(catalog, batch_size=8)]
    [8, 8, 4]
    """
    with tqdm(total=len(catalog), desc="light curves", unit="lc", disable=not progress) as bar:
        for start in range(0, len(catalog), batch_size):
            rows = catalog.iloc[start : start + batch_size]
            curves = [lightcurve_arrays(params) for params in rows.to_dict("records")]
            bar.update(len(rows))
            yield rows, curves


def _check_weights(
    weights: Mapping[str, float], known: Mapping[str, Any], what: str, kind: str
) -> None:
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise ValueError(f"unknown {kind} {unknown} in {what}; known: {', '.join(known)}")
    values = np.array(list(weights.values()), dtype=float)
    if values.size == 0 or np.any(values < 0) or values.sum() <= 0:
        raise ValueError(
            f"{what} must have non-negative weights with a positive sum, got {dict(weights)}"
        )


def _exact_counts(weights: Mapping[str, float], names: list[str], total: int) -> NDArray[np.int64]:
    """Counts proportional to the weights summing to ``total`` (largest remainders)."""
    share = np.array([weights.get(name, 0.0) for name in names], dtype=float)
    share = total * share / share.sum()
    counts = np.floor(share).astype(np.int64)
    remainder = total - counts.sum()
    counts[np.argsort(-(share - counts), kind="stable")[:remainder]] += 1
    return counts


def _allocate(config: SurveyConfig) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    rng = np.random.default_rng([config.seed, _ALLOCATION_STREAM])
    labels = []
    for weights, names in (
        (config.class_weights, list(CLASSES)),
        (config.mission_mix, list(_MODE_KEYS)),
    ):
        counts = _exact_counts(weights, names, config.n_objects)
        labels.append(rng.permutation(np.repeat(np.arange(len(names), dtype=np.int8), counts)))
    return labels[0], labels[1]


def _draw_chunk(
    start: int,
    class_labels: NDArray[np.int8],
    mode_labels: NDArray[np.int8],
    names: list[str],
    rng: np.random.Generator,
    min_snr: float,
    min_cycles: float,
) -> pd.DataFrame:
    n = class_labels.size
    modes = [OBSERVING_MODES[key] for key in _MODE_KEYS]
    columns: dict[str, Any] = {
        name: np.full(n, "" if dtype == _STR else np.nan, dtype=object if dtype == _STR else float)
        for name, (dtype, _) in CATALOG_COLUMNS.items()
    }
    index = np.arange(start, start + n)
    missions = np.array([mode.mission for mode in modes], dtype=object)[mode_labels]
    target_id = np.array([_TARGET_ID_BASE[m] for m in missions], dtype=np.int64) + index
    prefix = {"Kepler": "KIC", "TESS": "TIC"}
    columns["object_id"] = np.array(
        [f"{prefix[m]} {number}" for m, number in zip(missions, target_id, strict=True)],
        dtype=object,
    )
    columns["target_id"] = target_id
    columns["mission"] = missions
    columns["cadence"] = np.array([mode.cadence for mode in modes], dtype=object)[mode_labels]
    columns["cadence_days"] = np.array([mode.cadence_days for mode in modes])[mode_labels]
    columns["seed"] = rng.integers(0, np.iinfo(np.int64).max, n, dtype=np.int64)
    for label, mode in enumerate(modes):
        selected = mode_labels == label
        columns["mag"][selected] = draw_magnitudes(mode, rng, int(selected.sum()))
        columns["ra"][selected], columns["dec"][selected] = draw_sky_positions(
            mode, rng, int(selected.sum())
        )
    for label, name in enumerate(names):
        selected = np.flatnonzero(class_labels == label)
        if selected.size == 0:
            continue
        variability = CLASSES[name]
        columns["class"][selected] = name
        _draw_class(variability, selected, columns, modes, mode_labels, rng)
        if _drawn_from_priors(variability):
            _redraw_undetected(
                variability, selected, columns, modes, mode_labels, rng, min_snr, min_cycles
            )
    return _with_catalog_dtypes(pd.DataFrame(columns))


_MAX_REDRAWS = 100
"""Rounds of drawing again the objects below the detection threshold before giving up."""


def signal_to_noise(row: Mapping[str, Any]) -> float:
    """Signal-to-noise ratio of a catalogue row's variability in its light curve.

    The matched-filter S/N of the noiseless signal ``s`` against the white noise ``sigma`` of one
    cadence at the row's magnitude: ``sqrt(sum((s - median(s))**2)) / sigma``, e.g.
    ``depth * sqrt(cadences in transit) / sigma`` for a transit and ``A * sqrt(N / 2) / sigma``
    for a sine of semi-amplitude ``A`` over ``N`` cadences.

    Examples
    --------
    >>> catalog = generate_catalog(SurveyConfig.named("tiny"))
    >>> row = catalog[catalog["class"] == "TRANSIT"].iloc[0]
    >>> bool(signal_to_noise(row) >= SurveyConfig().min_snr)
    True
    """
    params = _as_params(row)
    mode = observing_mode(params)
    signal = astrophysical_flux(params)
    shot, other = mode.noise.variances(float(params["mag"]), mode.cadence_days)
    energy = float(np.sum((signal - np.median(signal)) ** 2))
    return float(np.sqrt(energy / (shot + other)))


def _drawn_from_priors(variability: VariabilityClass) -> bool:
    """Whether a class's amplitudes come from priors (not OGLE-III rows) and it varies at all."""
    return variability.ogle_type is None and variability.name != "CONSTANT"


def _draw_class(
    variability: VariabilityClass,
    selected: NDArray[np.intp],
    columns: dict[str, Any],
    modes: list[ObservingMode],
    mode_labels: NDArray[np.int8],
    rng: np.random.Generator,
) -> None:
    """Draw the parameters of a class for the objects ``selected`` into ``columns``."""
    missions = columns["mission"][selected]
    context = _context(variability, modes, mode_labels[selected], missions)
    for column, values in variability.draw(rng, context).items():
        columns[column][selected] = values


def _redraw_undetected(
    variability: VariabilityClass,
    selected: NDArray[np.intp],
    columns: dict[str, Any],
    modes: list[ObservingMode],
    mode_labels: NDArray[np.int8],
    rng: np.random.Generator,
    min_snr: float,
    min_cycles: float,
) -> None:
    """Draw again (magnitude, seed, parameters) the objects whose S/N is below ``min_snr`` or
    whose light curve covers fewer than ``min_cycles`` cycles of their period."""
    names = list(columns)
    durations = np.array([mode.duration_days for mode in modes])
    pending = selected
    for _ in range(_MAX_REDRAWS):
        snr = np.array([signal_to_noise({n: columns[n][i] for n in names}) for i in pending])
        columns["snr"][pending] = snr
        cycles = durations[mode_labels[pending]] / columns["period_days"][pending].astype(float)
        too_few_cycles = cycles < min_cycles  # False for NaN periods (no period to see)
        pending = pending[(snr < min_snr) | too_few_cycles]
        if pending.size == 0:
            return
        for label, mode in enumerate(modes):
            again = pending[mode_labels[pending] == label]
            columns["mag"][again] = draw_magnitudes(mode, rng, again.size)
        columns["seed"][pending] = rng.integers(0, np.iinfo(np.int64).max, pending.size)
        _draw_class(variability, pending, columns, modes, mode_labels, rng)
    raise ValueError(
        f"{variability.name}: {pending.size} objects stay below S/N {min_snr} or "
        f"{min_cycles} cycles after {_MAX_REDRAWS} draws; lower SurveyConfig.min_snr or "
        "min_cycles"
    )


def _context(
    variability: VariabilityClass,
    modes: list[ObservingMode],
    labels: NDArray[np.int8],
    missions: NDArray,
) -> DrawContext:
    return DrawContext(
        n=labels.size,
        missions=missions,
        band_factors=np.array([mode.band_amplitude_factor for mode in modes])[labels],
        limb_darkening=np.array([mode.limb_darkening for mode in modes])[labels],
        time_starts=np.array([mode.first_time for mode in modes])[labels],
        ogle=_ogle_rows(variability.ogle_type, variability.ogle_subtypes)
        if variability.ogle_type
        else None,
    )


@functools.cache
def _ogle_rows(variable_type: str, subtypes: tuple[str, ...]) -> pd.DataFrame:
    return select_ogle3(load_ogle3(), variable_type, subtypes)


def _uses_ogle(config: SurveyConfig) -> bool:
    return any(
        CLASSES[name].ogle_type and weight > 0 for name, weight in config.class_weights.items()
    )


def _with_catalog_dtypes(table: pd.DataFrame) -> pd.DataFrame:
    missing = [name for name in CATALOG_COLUMNS if name not in table.columns]
    if missing:
        raise InvalidLightCurve("survey catalogue", f"missing column(s) {missing}")
    table = table[list(CATALOG_COLUMNS)].copy()
    for name, (dtype, _) in CATALOG_COLUMNS.items():
        if dtype == _STR:
            table[name] = table[name].fillna("").astype(object)
        else:
            table[name] = table[name].astype(dtype)
    return table


def _write_csv(chunks: Iterator[pd.DataFrame], path: Path) -> None:
    for number, chunk in enumerate(chunks):
        chunk.to_csv(path, mode="w" if number == 0 else "a", header=number == 0, index=False)


def _write_parquet(chunks: Iterator[pd.DataFrame], path: Path) -> None:
    arrow_types = {_STR: pa.string(), _INT: pa.int64(), _FLOAT: pa.float64()}
    schema = pa.schema([(name, arrow_types[dtype]) for name, (dtype, _) in CATALOG_COLUMNS.items()])
    with pq.ParquetWriter(path, schema) as writer:
        for chunk in chunks:
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))


def _as_params(row: Mapping[str, Any]) -> Mapping[str, Any]:
    return row.to_dict() if isinstance(row, pd.Series) else row


def _variability_class(params: Mapping[str, Any]) -> VariabilityClass:
    name = params["class"]
    if name not in CLASSES:
        raise InvalidLightCurve(
            str(params.get("object_id", "catalogue row")),
            f"unknown class {name!r}; known: {', '.join(CLASSES)}",
        )
    return CLASSES[name]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
