"""The simulated survey: a catalogue of objects whose light curves are regenerated on demand.

A survey is a table with one row per object (``catalogs/<name>.csv``, or Parquet for large
surveys) and its :class:`SurveyConfig` as JSON beside it. The row holds everything the light
curve depends on, including a per-object ``seed``, so :func:`lightcurve_arrays` rebuilds any
object's light curve exactly, and a million-object survey needs no light curves on disk.

Named sizes (:data:`SIZES`): ``tiny`` (320 objects, for tests), ``small`` (5,000, what ``make
demo`` indexes), ``demo`` (20,000, what the default model was trained on) and ``large``
(1,000,000, written in chunks with bounded memory, for benchmarks).

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
from astrolens.simulate.ground import GROUND_MODES, GroundMode, relative_flux_to_magnitudes
from astrolens.simulate.observations import (
    OBSERVING_MODES,
    ObservingMode,
    draw_magnitudes,
    draw_sky_positions,
)
from astrolens.simulate.ogle import load_ogle3, ogle3_checksum, select_ogle3
from astrolens.sources.arrays import LightCurveArrays, Target, assemble_arrays
from astrolens.sources.quality import QualityBitmask

if TYPE_CHECKING:
    import lightkurve as lk

__all__ = [
    "CATALOG_COLUMNS",
    "DEFAULT_SEED",
    "MIXED_CADENCE_MIX",
    "MODES",
    "SIZES",
    "SPACE_MIX",
    "SimulatedArrays",
    "SurveyConfig",
    "astrophysical_flux",
    "catalog_chunk",
    "catalog_path",
    "check_weights",
    "exact_counts",
    "family",
    "generate_catalog",
    "iter_catalog_chunks",
    "iter_lightcurves",
    "lightcurve",
    "lightcurve_arrays",
    "observation_times",
    "observing_mode",
    "read_catalog",
    "signal_to_noise",
    "simulate_survey",
    "source_arrays",
    "write_survey",
]

DEFAULT_SEED = 2024
"""Seed of the named surveys unless another is given."""

SIZES = {"tiny": 320, "small": 5_000, "demo": 20_000, "large": 1_000_000}
"""Number of objects of the named surveys."""

CSV_MAX_OBJECTS = 100_000
"""Surveys up to this size are written as CSV, larger ones as Parquet (``file_format="auto"``)."""

_STR, _INT, _FLOAT = "str", "int64", "float64"
CATALOG_COLUMNS: dict[str, tuple[str, str]] = {
    "object_id": (
        _STR,
        "'KIC <target_id>', 'TIC <target_id>' (as the FITS readers name them), 'OGLE <target_id>', "
        "'MACHO ...', 'ASAS ...', 'ZTF ...'",
    ),
    "target_id": (
        _INT,
        "mission-style number: 900000000 + index (Kepler), 9000000000 + index (TESS), "
        "6000000000 + index (ground-based surveys)",
    ),
    "mission": (_STR, "'Kepler', 'TESS' or a ground-based survey: 'OGLE', 'MACHO', 'ASAS', 'ZTF'"),
    "cadence": (
        _STR,
        "'long' (Kepler 29.4 min), '2min' or '10min' (TESS), 'nightly' (OGLE, MACHO, ASAS), "
        "'2-3 nights' (ZTF)",
    ),
    "band": (_STR, "photometric band: Kp, T, I, R, V, g, r"),
    "cadence_days": (_FLOAT, "time between cadences (ground-based: typical, within a season)"),
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
    "seed": (_INT, "seed of this object's light curve (twins share it: the same star)"),
    "twin_of": (
        _STR,
        "object_id of the object whose star this row observes again under another cadence "
        "('' for none)",
    ),
}
"""Catalogue columns: name -> (dtype, meaning). NaN where a parameter does not apply."""

_META_KEYS = (
    "object_id",
    "target_id",
    "mission",
    "cadence",
    "band",
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
_GROUND_TARGET_ID_BASE = 6_000_000_000
_TARGET_ID_BASE = {"Kepler": 900_000_000, "TESS": 9_000_000_000}
_OBJECT_PREFIX = {"Kepler": "KIC", "TESS": "TIC"}

Mode = ObservingMode | GroundMode
"""A space mission's or a ground-based survey's way of observing."""

MODES: dict[str, Mode] = {**OBSERVING_MODES, **GROUND_MODES}
"""Every observing mode of the simulated survey by key: space, then ground-based."""

_MODE_KEYS = tuple(MODES)
_MODE_OF = {(mode.mission, mode.cadence, mode.band): mode for mode in MODES.values()}
_OBSERVATION_COLUMNS = frozenset(
    ("object_id", "target_id", "mission", "cadence", "band", "cadence_days", "mag", "snr")
)
"""Columns of a row that describe its observation, not its star (a twin has its own)."""


def _default_class_weights() -> dict[str, float]:
    return {name: 1.0 for name in CLASSES}


SPACE_MIX = {"kepler_long": 0.4, "tess_2min": 0.3, "tess_10min": 0.3}
"""The default ``mission_mix``: Kepler and TESS only."""

MIXED_CADENCE_MIX = {
    "kepler_long": 0.26,
    "tess_2min": 0.2,
    "tess_10min": 0.2,
    "ogle_i": 0.12,
    "macho_r": 0.05,
    "asas_v": 0.05,
    "ztf_g": 0.06,
    "ztf_r": 0.06,
}
"""A ``mission_mix`` with ground-based surveys: two thirds space, one third ground-based."""


def _default_mission_mix() -> dict[str, float]:
    return dict(SPACE_MIX)


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
        Relative number of objects per observing mode (keys of :data:`MODES`: the space modes of
        :mod:`~astrolens.simulate.observations` and the ground-based ones of
        :mod:`~astrolens.simulate.ground`). Only classes a ground-based survey detects
        (``VariabilityClass.ground``) are observed from the ground; the others keep space modes.
    twin_share
        Share of the ground-based objects of each class that observe again the star of a space
        object of that class (its parameters, position and seed; its own band, magnitude and
        sampling), recorded in ``twin_of``: the pairs for cross-survey training and retrieval.
        A twin whose ground-based light curve would not show the variability (S/N below
        ``min_snr``) keeps its own draw.
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
    twin_share: float = 0.25

    def __post_init__(self) -> None:
        check_weights(self.class_weights, CLASSES, "class_weights", "class(es)")
        check_weights(self.mission_mix, MODES, "mission_mix", "observing mode(s)")
        if not 0.0 <= self.twin_share <= 1.0:
            raise ValueError(f"twin_share must be within 0-1, got {self.twin_share}")
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
        """The configuration of a named size (``"tiny"``, ``"small"``, ``"demo"``, ``"large"``; with
        ``-mixed``, e.g. ``"demo-mixed"``: ground-based surveys too, :data:`MIXED_CADENCE_MIX`).

        Examples
        --------
        >>> config = SurveyConfig.named("tiny-mixed")
        >>> config.name, config.n_objects, "ogle_i" in config.mission_mix
        ('tiny-mixed', 320, True)
        """
        base = size.removesuffix("-mixed")
        if base not in SIZES:
            raise ValueError(f"unknown survey size {size!r}; choose one of {', '.join(SIZES)}")
        if base != size:
            changes = {"mission_mix": dict(MIXED_CADENCE_MIX), **changes}
        return cls(name=size, n_objects=SIZES[base], seed=seed, **changes)

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
    cadences: str = "space",
) -> Path:
    """Simulate a named survey and write its catalogue; the entry point of ``astrolens simulate``.

    Parameters
    ----------
    size
        ``"tiny"`` (320 objects), ``"demo"`` (20,000) or ``"large"`` (1,000,000).
    seed
        Survey seed.
    cadences
        ``"space"``: Kepler and TESS (:data:`SPACE_MIX`). ``"mixed"``: ground-based surveys too
        (:data:`MIXED_CADENCE_MIX`), written as ``<size>-mixed``.
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
    if cadences not in ("space", "mixed"):
        raise ValueError(f"cadences must be 'space' or 'mixed', not {cadences!r}")
    name = f"{size}-mixed" if cadences == "mixed" else size
    return write_survey(SurveyConfig.named(name, seed=seed), out_dir, progress=progress)


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
    labels = _allocate(config)
    for index in tqdm(
        range(config.n_chunks), desc=f"simulating {config.name}", unit="chunk", disable=not progress
    ):
        yield _chunk(config, labels, index)


def catalog_chunk(config: SurveyConfig, index: int) -> pd.DataFrame:
    """Chunk ``index`` of the catalogue of ``config`` alone: the rows ``index * chunk_size`` on
    that :func:`iter_catalog_chunks` yields at that position, drawn without the chunks before it
    (each chunk has its own random stream), so that workers can draw a large survey in parts.

    Examples
    --------
    >>> config = SurveyConfig(name="mini", n_objects=50, chunk_size=20)
    >>> catalog_chunk(config, 2).equals(list(iter_catalog_chunks(config))[2])
    True
    >>> catalog_chunk(config, 3)
    Traceback (most recent call last):
    ...
    IndexError: chunk 3 of survey 'mini': it has chunks 0 to 2
    """
    if not 0 <= index < config.n_chunks:
        raise IndexError(
            f"chunk {index} of survey {config.name!r}: it has chunks 0 to {config.n_chunks - 1}"
        )
    return _chunk(config, _allocate(config), index)


def _chunk(
    config: SurveyConfig, labels: tuple[NDArray[np.int8], NDArray[np.int8]], index: int
) -> pd.DataFrame:
    start = index * config.chunk_size
    stop = min(start + config.chunk_size, config.n_objects)
    class_labels, mode_labels = labels
    return _draw_chunk(
        start,
        class_labels[start:stop],
        mode_labels[start:stop],
        list(CLASSES),
        np.random.default_rng([config.seed, index]),
        config.min_snr,
        config.min_cycles,
        config.twin_share,
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


def observing_mode(row: Mapping[str, Any]) -> Mode:
    """The observing mode of a catalogue row (from its ``mission``, ``cadence`` and ``band``;
    the band may be left out where mission and cadence tell the mode)."""
    mission, cadence, band = row.get("mission"), row.get("cadence"), row.get("band")
    matches = [
        mode
        for (m, c, b), mode in _MODE_OF.items()
        if (m, c) == (mission, cadence) and band in (None, "", b)
    ]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(f"{m}/{c}/{b}" for m, c, b in _MODE_OF)
    raise InvalidLightCurve(
        str(row.get("object_id", "catalogue row")),
        f"unknown mission/cadence/band {mission!r}/{cadence!r}/{band!r}; known: {known}",
    )


def family(row: Mapping[str, Any]) -> str:
    """The cadence family of a catalogue row: ``"Kepler"``, ``"TESS 2-min"``, ``"TESS FFI"``,
    ``"OGLE-like"``, ``"MACHO/ASAS-like"`` or ``"ZTF-like"``.

    Examples
    --------
    >>> family({"mission": "ZTF", "cadence": "2-3 nights", "band": "g"})
    'ZTF-like'
    """
    return observing_mode(row).family


def observation_times(row: Mapping[str, Any]) -> NDArray[np.float64]:
    """The times (mission days, MJD for ground-based surveys) of a catalogue row's light curve.

    Examples
    --------
    >>> row = generate_catalog(SurveyConfig(name="mini", n_objects=16)).iloc[0]
    >>> observation_times(row).size == lightcurve_arrays(row).time.size
    True
    """
    params = _as_params(row)
    return observing_mode(params).sample_times(_instrument_stream(params), float(params["ra"]))


def astrophysical_flux(
    row: Mapping[str, Any], time: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """The noiseless relative flux of a catalogue row (the star, before the instrument).

    Parameters
    ----------
    row
        A catalogue row (``pandas.Series`` or mapping).
    time
        Times (mission days); default: :func:`observation_times`. With the default, this is
        exactly the signal inside :func:`lightcurve_arrays`.
    """
    params = _as_params(row)
    if time is None:
        time = observation_times(params)
    variability = _variability_class(params)
    rng = np.random.default_rng([int(params["seed"]), _STAR_STREAM])
    mode = observing_mode(params)
    if mode.exposure_days != mode.cadence_days:  # flux functions average over cadence_days
        params = {**params, "cadence_days": mode.exposure_days}
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
    rng = _instrument_stream(params)
    time = mode.sample_times(rng, float(params["ra"]))
    signal = astrophysical_flux(params, time)
    flux, flux_err, quality = mode.observe(signal, float(params["mag"]), rng)
    return SimulatedArrays(time, flux, flux_err, quality)


def _instrument_stream(params: Mapping[str, Any]) -> np.random.Generator:
    return np.random.default_rng([int(params["seed"]), _INSTRUMENT_STREAM])


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
    flux, flux_err = arrays.flux, arrays.flux_err
    if isinstance(mode, GroundMode):  # a survey's magnitudes, as its table publishes them
        flux, flux_err = relative_flux_to_magnitudes(flux, flux_err, float(params["mag"]))
    return assemble_arrays(
        time=arrays.time,
        flux=flux,
        flux_err=flux_err,
        quality=arrays.quality,
        target=target,
        flux_column="mag" if isinstance(mode, GroundMode) else "pdcsap_flux",
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


def check_weights(
    weights: Mapping[str, float], known: Mapping[str, Any], what: str, kind: str
) -> None:
    """Refuse weights by name (``what``, of ``kind`` such as "class(es)") that name something
    not ``known``, or are negative, or sum to nothing.

    >>> check_weights({"EA": 1.0, "RRab": 0.0}, {"EA": None, "RRab": None}, "w", "class(es)")
    >>> check_weights({"EB": 1.0}, {"EA": None}, "w", "class(es)")
    Traceback (most recent call last):
    ...
    ValueError: unknown class(es) ['EB'] in w; known: EA
    """
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise ValueError(f"unknown {kind} {unknown} in {what}; known: {', '.join(known)}")
    values = np.array(list(weights.values()), dtype=float)
    if values.size == 0 or np.any(values < 0) or values.sum() <= 0:
        raise ValueError(
            f"{what} must have non-negative weights with a positive sum, got {dict(weights)}"
        )


def exact_counts(weights: Mapping[str, float], names: list[str], total: int) -> NDArray[np.int64]:
    """Counts proportional to the weights summing to ``total`` (largest remainders).

    >>> exact_counts({"a": 1.0, "b": 2.0}, ["a", "b"], 10).tolist()
    [3, 7]
    """
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
        counts = exact_counts(weights, names, config.n_objects)
        labels.append(rng.permutation(np.repeat(np.arange(len(names), dtype=np.int8), counts)))
    _keep_in_space(labels[0], labels[1])
    return labels[0], labels[1]


def _keep_in_space(class_labels: NDArray[np.int8], mode_labels: NDArray[np.int8]) -> None:
    """Swap the modes of objects of classes no ground-based survey detects that drew a
    ground-based mode with those of ground-detectable objects that drew a space mode (the first
    ones in the shuffled order): class and mode counts stay exact."""
    ground_class = np.array([CLASSES[name].ground for name in CLASSES])[class_labels]
    ground_mode = np.array([isinstance(MODES[key], GroundMode) for key in _MODE_KEYS])[mode_labels]
    misplaced = np.flatnonzero(~ground_class & ground_mode)
    partners = np.flatnonzero(ground_class & ~ground_mode)[: misplaced.size]
    if partners.size < misplaced.size:
        raise ValueError(
            "the mission_mix gives more objects to ground-based modes than there are objects of "
            "classes a ground-based survey detects; lower the ground-based weights"
        )
    mode_labels[misplaced], mode_labels[partners] = mode_labels[partners], mode_labels[misplaced]


def _draw_chunk(
    start: int,
    class_labels: NDArray[np.int8],
    mode_labels: NDArray[np.int8],
    names: list[str],
    rng: np.random.Generator,
    min_snr: float,
    min_cycles: float,
    twin_share: float = 0.0,
) -> pd.DataFrame:
    n = class_labels.size
    modes = [MODES[key] for key in _MODE_KEYS]
    columns: dict[str, Any] = {
        name: np.full(n, "" if dtype == _STR else np.nan, dtype=object if dtype == _STR else float)
        for name, (dtype, _) in CATALOG_COLUMNS.items()
    }
    index = np.arange(start, start + n)
    missions = np.array([mode.mission for mode in modes], dtype=object)[mode_labels]
    target_id = (
        np.array([_TARGET_ID_BASE.get(m, _GROUND_TARGET_ID_BASE) for m in missions], dtype=np.int64)
        + index
    )
    columns["object_id"] = np.array(
        [
            f"{_OBJECT_PREFIX.get(m, m)} {number}"
            for m, number in zip(missions, target_id, strict=True)
        ],
        dtype=object,
    )
    columns["target_id"] = target_id
    columns["mission"] = missions
    columns["cadence"] = np.array([mode.cadence for mode in modes], dtype=object)[mode_labels]
    columns["band"] = np.array([mode.band for mode in modes], dtype=object)[mode_labels]
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
    if twin_share > 0:
        _pair_twins(columns, class_labels, mode_labels, modes, names, rng, twin_share, min_snr)
    return _with_catalog_dtypes(pd.DataFrame(columns))


def _pair_twins(
    columns: dict[str, Any],
    class_labels: NDArray[np.int8],
    mode_labels: NDArray[np.int8],
    modes: list[Mode],
    names: list[str],
    rng: np.random.Generator,
    twin_share: float,
    min_snr: float,
) -> None:
    """Make a share of each class's ground-based objects observe the star of a space object of
    the same class in the chunk (see ``SurveyConfig.twin_share``)."""
    ground_mode = np.array([isinstance(mode, GroundMode) for mode in modes])[mode_labels]
    band_factor = np.array([mode.band_amplitude_factor for mode in modes])[mode_labels]
    star_columns = [name for name in columns if name not in _OBSERVATION_COLUMNS]
    for label, name in enumerate(names):
        ground = np.flatnonzero((class_labels == label) & ground_mode)
        space = np.flatnonzero((class_labels == label) & ~ground_mode)
        count = min(round(twin_share * ground.size), space.size)
        if count == 0:
            continue
        twins = rng.choice(ground, count, replace=False)
        stars = rng.choice(space, count, replace=False)
        for twin, star in zip(twins, stars, strict=True):
            own = {column: columns[column][twin] for column in star_columns}
            for column in star_columns:
                columns[column][twin] = columns[column][star]
            for column in ("amplitude_mag", "amplitude2_mag"):
                columns[column][twin] *= band_factor[twin] / band_factor[star]
            columns["twin_of"][twin] = columns["object_id"][star]
            snr = signal_to_noise({column: columns[column][twin] for column in columns})
            if name != "CONSTANT" and snr < min_snr:
                for column, value in own.items():
                    columns[column][twin] = value
                continue
            columns["snr"][twin] = snr if not np.isnan(columns["snr"][star]) else np.nan


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
    energy = float(np.sum((signal - np.median(signal)) ** 2))
    return float(np.sqrt(energy / mode.white_noise_variance(float(params["mag"]))))


def _drawn_from_priors(variability: VariabilityClass) -> bool:
    """Whether a class's amplitudes come from priors (not OGLE-III rows) and it varies at all."""
    return variability.ogle_type is None and variability.name != "CONSTANT"


def _draw_class(
    variability: VariabilityClass,
    selected: NDArray[np.intp],
    columns: dict[str, Any],
    modes: list[Mode],
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
    modes: list[Mode],
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
    modes: list[Mode],
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
