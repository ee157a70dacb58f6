"""How Kepler and TESS observe a star: cadence grids, gaps, quality flags, noise and systematics.

Three observing modes are simulated, each on the cadence grid of one real observation:

``kepler_long``
    Kepler long cadence (29.4244 min = 270 co-added 6.02-s frames) over Quarter 2 (2009 June 20
    to September 16, BKJD 169.52-258.47, 4354 cadences), with the quarter's safe-mode gap
    (BKJD 181.5-183.7) and monthly data downlink (BKJD 230.3-231.4), reaction-wheel
    desaturations every 2.98 d, cosmic-ray flags and thermal-settling ramps after each gap.
``tess_2min``
    TESS 2-min cadence over Sector 1 (2018 July 25 to August 22, BTJD 1325.30-1353.18,
    20076 cadences) with the mid-sector downlink gap (BTJD 1338.52-1339.66), momentum dumps
    every 2.5 d and scattered-light ramps at the start and end of each orbit.
``tess_10min``
    TESS 10-min full-frame-image cadence (Cycles 3-4, Sectors 27-55) over a 27-d sector with
    illustrative timing (start BTJD 2036.28, mid-sector gap of 1 d, momentum dumps every 3.1 d).

Gap cadences exist in the cadence numbering but have no valid time stamp (NaN ``TIME`` in the
mission files); :func:`observe` works on the cadences with a time stamp. Quality bits are those of
``lightkurve.utils.KeplerQualityFlags`` and ``TessQualityFlags`` (Kepler Archive Manual, Table 2.3;
TESS Science Data Products Description Document, Table 28), as :mod:`astrolens.sources.quality`
writes them out. As in the pipeline products, the PDC flux is NaN on cadences flagged coarse point,
desaturation, manual exclude or detector anomaly.

Noise per cadence (relative flux), after Jenkins et al. (2010, ApJ 713, L120) for Kepler and
Sullivan et al. (2015, ApJ 809, 77, Sect. 6) for TESS::

    sigma^2 = N_star^-1 * s(t) + n_pix (N_read * RN^2 + B * t_live) / N_star^2 + floor^2

with ``N_star`` the electrons collected from the star in one cadence (Kepler: 1.74e5 e-/s at
Kp = 12, Kepler Instrument Handbook KSCI-19033; TESS: 1.5e4 e-/s at T = 10, Sullivan et al.
2015), ``s(t)`` the star's relative flux, read noise RN (86 e- per read for Kepler, 10 e- for TESS;
the values in the real file headers), sky background ``B`` and a systematic floor (Kepler: 10 ppm
in 6.5 h, the lower envelope of the Kepler CDPP at Kp ~ 12, Gilliland et al. 2011, ApJS 197, 6;
TESS: 60 ppm in 1 h, Sullivan et al. 2015). For Kepler this gives a 6.5-h noise of ~20 ppm at
Kp = 12 and ~250 ppm at Kp = 16.

Residual systematics (after PDC) multiply the flux: a slow cubic drift, exponential ramps
(Kepler: thermal settling after gaps; TESS: scattered light near perigee), sudden jumps (Kepler
sensitivity dropouts, flagged; TESS offsets at momentum dumps), plus impulsive outliers (cosmic
rays), half of them flagged.

Catalogue I-band amplitudes are converted to the mission band with a fixed factor: radial
pulsators have A_V / A_I ~ 1.6; the Kepler band (420-900 nm, effective wavelength ~640 nm) lies
between V and I, giving A_Kp ~ 1.3 A_I; the TESS band (600-1000 nm) is centred on I_C, so
A_T ~ A_I.

Examples
--------
>>> mode = OBSERVING_MODES["kepler_long"]
>>> mode.mission, mode.cadence, round(mode.cadence_days * 24 * 60, 4)
('Kepler', 'long', 29.4244)
>>> time = mode.time()
>>> len(time) < mode.n_cadences, round(float(time[0]), 3)
(True, 169.52)
>>> round(mode.noise.cdpp_ppm(12.0, mode.cadence_days, hours=6.5))
20
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from astrolens.sources.quality import KeplerQualityBits as KeplerFlags
from astrolens.sources.quality import TessQualityBits as TessFlags

__all__ = [
    "OBSERVING_MODES",
    "ObservingMode",
    "PhotometricNoise",
    "Systematics",
    "draw_magnitudes",
    "draw_sky_positions",
    "exposure_average",
    "observe",
]

_SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class PhotometricNoise:
    """White-noise budget of one instrument: shot noise, read noise, sky and a systematic floor.

    Parameters
    ----------
    reference_mag, reference_rate
        A star of magnitude ``reference_mag`` gives ``reference_rate`` electrons per second.
    live_fraction
        Fraction of a cadence spent collecting photons (Kepler: 0.921, TESS 2-s frames with
        onboard cosmic-ray mitigation: 0.792; both from the real file headers, keyword DEADC).
    frame_seconds
        Duration of one read-out frame (Kepler 6.54 s, TESS 2 s).
    read_noise
        Read noise in electrons per pixel per frame.
    aperture_pixels
        Pixels in the photometric aperture.
    background_rate
        Sky background in electrons per second per pixel.
    floor_ppm_hour
        Systematic noise floor in ppm over one hour (scales as the square root of time).

    Examples
    --------
    >>> noise = OBSERVING_MODES["tess_2min"].noise
    >>> round(noise.star_rate(10.0))
    15000
    """

    reference_mag: float
    reference_rate: float
    live_fraction: float
    frame_seconds: float
    read_noise: float
    aperture_pixels: int
    background_rate: float
    floor_ppm_hour: float

    def star_rate(self, mag: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Electrons per second from a star of magnitude ``mag`` in the mission band."""
        return self.reference_rate * 10.0 ** (-0.4 * (np.asarray(mag) - self.reference_mag))

    def variances(self, mag: float, cadence_days: float) -> tuple[float, float]:
        """Relative variances per cadence: (shot noise at relative flux 1, everything else)."""
        live_seconds = cadence_days * _SECONDS_PER_DAY * self.live_fraction
        electrons = float(self.star_rate(mag)) * live_seconds
        reads = live_seconds / self.frame_seconds
        sky = self.aperture_pixels * (
            reads * self.read_noise**2 + self.background_rate * live_seconds
        )
        floor = self.floor_ppm_hour * 1e-6 * np.sqrt(1.0 / 24.0 / cadence_days)
        return 1.0 / electrons, sky / electrons**2 + floor**2

    def cdpp_ppm(self, mag: float, cadence_days: float, hours: float = 6.5) -> float:
        """White-noise level in ppm of the mean over ``hours`` (the Kepler CDPP convention).

        Examples
        --------
        >>> noise = OBSERVING_MODES["kepler_long"].noise
        >>> noise.cdpp_ppm(16.0, 29.4244 / 1440) > 5 * noise.cdpp_ppm(12.0, 29.4244 / 1440)
        True
        """
        shot, other = self.variances(mag, cadence_days)
        n_cadences = hours / 24.0 / cadence_days
        return float(np.sqrt((shot + other) / n_cadences) * 1e6)


@dataclass(frozen=True)
class Systematics:
    """Residual instrumental systematics of a mission after the PDC correction.

    Parameters
    ----------
    trend_rms
        RMS of each coefficient of the cubic (Legendre) slow drift over the observation.
    ramp_rms, ramp_days
        Amplitude RMS and e-folding time range of the exponential ramps after gaps (Kepler
        thermal settling) or near orbit ends (TESS scattered light).
    jump_probability, jump_rms
        Chance of one sudden jump per light curve (Kepler sensitivity dropout) and its size.
    dump_offset_rms
        Flux offset after each momentum dump (TESS pointing change).
    outlier_rate
        Impulsive outliers (cosmic rays) per cadence; half of them get the outlier flag.
    cosmic_flag_rates
        ``(bit, rate)``: flags set at random on that fraction of cadences without a flux effect
        (Kepler flags cosmic rays that the pipeline corrected).
    """

    trend_rms: float
    ramp_rms: float
    ramp_days: tuple[float, float]
    ramps_after_gaps: bool
    jump_probability: float
    jump_rms: float
    dump_offset_rms: float
    outlier_rate: float
    cosmic_flag_rates: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class ObservingMode:
    """One mission's way of observing: cadence grid, gaps, flags, noise and band.

    Parameters
    ----------
    key
        Short name (``"kepler_long"``, ``"tess_2min"``, ``"tess_10min"``).
    mission, cadence
        Mission (``"Kepler"``, ``"TESS"``) and cadence label (``"long"``, ``"2min"``, ``"10min"``).
    cadence_days
        Time between cadences.
    first_time, n_cadences, first_cadence_number
        Mid-time of the first cadence (mission time: BJD - ``bjd_reference``), number of cadences
        and the ``CADENCENO`` of the first one.
    bjd_reference, time_format
        BJD of mission time zero (2454833 for Kepler BKJD, 2457000 for TESS BTJD) and the
        astropy/lightkurve time format name.
    sequence
        Quarter (Kepler) or sector (TESS).
    gaps
        ``(start, end, quality)``: cadences without a time stamp and the flags they carry.
    orbit_edges
        Times where scattered-light ramps start or end (TESS orbits); empty for Kepler.
    dump_first, dump_interval_days, dump_cadences, dump_quality
        Momentum dumps: first one, spacing, cadences flagged per dump, their flags.
    quality_after_gaps, cadences_after_gaps
        Flags on the cadences just after a gap (Kepler coarse pointing).
    nan_quality
        Cadences with any of these bits have a NaN PDC flux.
    outlier_quality, jump_quality, scattered_light_quality
        Bits set on flagged outliers, jumps and strong scattered light.
    noise, systematics
        White-noise budget and residual systematics.
    band_amplitude_factor
        Mission-band amplitude over I-band amplitude for pulsating stars.
    limb_darkening
        Quadratic limb-darkening coefficients (u1, u2) for a Sun-like star in the band (Claret &
        Bloemen 2011, A&A 529, A75 for Kepler; Claret 2017, A&A 600, A30 for TESS; Teff 5750 K,
        log g 4.5, rounded).
    magnitude_range, magnitude_slope
        Target magnitudes are drawn from ``p(m) ~ 10**(slope * m)`` within the range (star counts
        rise by ~0.3 dex per magnitude at these magnitudes, Bahcall & Soneira 1980, ApJS 44, 73;
        ranges: Kepler targets Kp 9-16, TESS 2-min targets T 6-13, TESS-SPOC FFI light curves
        T 8-15).
    sky_centre, sky_radius_deg
        Targets of classes without a catalogue position are spread uniformly over a cap of this
        radius around this (RA, Dec) in degrees; radius 180 means the whole sky.
    band, family
        Photometric band (``"Kp"``, ``"T"``) and the cadence family reports group it in
        (``"Kepler"``, ``"TESS 2-min"``, ``"TESS FFI"``).
    """

    key: str
    mission: str
    cadence: str
    cadence_days: float
    first_time: float
    n_cadences: int
    first_cadence_number: int
    bjd_reference: int
    time_format: str
    sequence: int
    gaps: tuple[tuple[float, float, int], ...]
    orbit_edges: tuple[float, ...]
    dump_first: float
    dump_interval_days: float
    dump_cadences: int
    dump_quality: int
    quality_after_gaps: int
    cadences_after_gaps: int
    nan_quality: int
    outlier_quality: int
    jump_quality: int
    scattered_light_quality: int
    noise: PhotometricNoise
    systematics: Systematics
    band_amplitude_factor: float
    limb_darkening: tuple[float, float]
    magnitude_range: tuple[float, float]
    magnitude_slope: float = 0.3
    sky_centre: tuple[float, float] = (0.0, 0.0)
    sky_radius_deg: float = 180.0
    band: str = ""
    family: str = ""

    def sample_times(self, rng: np.random.Generator, ra: float) -> NDArray[np.float64]:
        """The cadences with a time stamp (every target of a space mode shares them; ``rng`` and
        ``ra`` are not used, as a ground-based mode's sampling needs them)."""
        return self.time().copy()

    def observe(
        self, signal: NDArray[np.float64], mag: float, rng: np.random.Generator
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int32]]:
        """What the mission records of ``signal`` (see :func:`observe`)."""
        return observe(self, signal, mag, rng)

    def white_noise_variance(self, mag: float) -> float:
        """Relative-flux variance of one cadence at magnitude ``mag`` (for signal-to-noise)."""
        shot, other = self.noise.variances(mag, self.cadence_days)
        return shot + other

    def full_time(self) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Mid-times of every cadence and which ones have a time stamp (are not in a gap).

        Returns read-only arrays shared between calls.
        """
        return self._full_grid

    def time(self) -> NDArray[np.float64]:
        """Mid-times of the cadences with a time stamp (read-only, shared between calls)."""
        return self._valid_time

    def base_quality(self) -> NDArray[np.int32]:
        """Quality flags every target shares (all cadences): gaps, coarse pointing, dumps."""
        return self._base_quality

    @functools.cached_property
    def _full_grid(self) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        time = self.first_time + self.cadence_days * np.arange(self.n_cadences)
        valid = np.ones(self.n_cadences, dtype=bool)
        for start, end, _ in self.gaps:
            valid &= (time < start) | (time > end)
        return _read_only(time), _read_only(valid)

    @functools.cached_property
    def _valid_time(self) -> NDArray[np.float64]:
        full, valid = self._full_grid
        return _read_only(full[valid])

    @functools.cached_property
    def _base_quality(self) -> NDArray[np.int32]:
        full, _ = self._full_grid
        quality = np.zeros(self.n_cadences, dtype=np.int32)
        for start, end, bits in self.gaps:
            inside = (full >= start) & (full <= end)
            quality[inside] |= bits
            after = np.flatnonzero(full > end)[: self.cadences_after_gaps]
            quality[after] |= self.quality_after_gaps
        for dump in self.dump_times():
            first = int(np.searchsorted(full, dump))
            quality[first : first + self.dump_cadences] |= self.dump_quality
        return _read_only(quality)

    def dump_times(self) -> NDArray[np.float64]:
        """Times of the momentum dumps (reaction-wheel desaturations) outside gaps."""
        end = self.first_time + self.cadence_days * self.n_cadences
        times = np.arange(self.dump_first, end, self.dump_interval_days)
        inside_gap = np.zeros(times.size, dtype=bool)
        for start, stop, _ in self.gaps:
            inside_gap |= (times >= start) & (times <= stop)
        return times[~inside_gap]

    @property
    def exposure_days(self) -> float:
        """What one cadence averages over: the whole cadence (co-added frames)."""
        return self.cadence_days

    @property
    def duration_days(self) -> float:
        """Time from the first to the last cadence."""
        return self.cadence_days * (self.n_cadences - 1)


def observe(
    mode: ObservingMode,
    signal: NDArray[np.float64],
    mag: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int32]]:
    """Turn a star's relative flux on ``mode.time()`` into what the mission records.

    Parameters
    ----------
    mode
        The observing mode.
    signal
        Noiseless relative flux of the star on ``mode.time()`` (mean about 1).
    mag
        Mission-band magnitude (Kp or T): sets the noise level.
    rng
        Random generator for the noise, systematics and flags of this target.

    Returns
    -------
    flux, flux_err, quality
        Relative flux with systematics and noise (NaN on cadences the pipeline blanks), its
        1-sigma uncertainty and the quality flags, all on ``mode.time()``.

    Examples
    --------
    >>> mode = OBSERVING_MODES["tess_2min"]
    >>> signal = np.ones(mode.time().size)
    >>> flux, flux_err, quality = observe(mode, signal, 9.0, np.random.default_rng(1))
    >>> flux.shape == flux_err.shape == quality.shape == signal.shape
    True
    >>> bool(np.all(np.isnan(flux[quality & mode.nan_quality > 0])))
    True
    >>> bool(0.9 < np.nanstd(flux - signal) / np.median(flux_err) < 1.5)
    True
    """
    time = mode.time()
    n = time.size
    shot, other = mode.noise.variances(mag, mode.cadence_days)
    flux_err = np.sqrt(shot * np.clip(signal, 0.0, None) + other)
    quality = mode.base_quality()[mode.full_time()[1]].copy()
    systematic = _systematic_factor(mode, time, quality, rng)
    flux = signal * systematic + flux_err * rng.standard_normal(n)
    _add_outliers(mode, flux, flux_err, quality, rng)
    for bit, rate in mode.systematics.cosmic_flag_rates:
        quality[rng.integers(0, n, rng.poisson(rate * n))] |= bit
    flux[(quality & mode.nan_quality) > 0] = np.nan
    return flux, flux_err, quality


def exposure_average(
    model: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    time: NDArray[np.float64],
    exposure_days: float,
    n_sub: int = 7,
) -> NDArray[np.float64]:
    """Average of ``model`` over the exposure centred on each time (``n_sub`` sub-exposures).

    Integrating over the exposure matters where the flux changes within one cadence: transit
    ingress and egress, eclipses and short-period pulsations seen at Kepler long cadence.

    Examples
    --------
    >>> float(exposure_average(lambda t: t**2, np.array([0.0]), 1.0, n_sub=1000)[0]) # 1/12
    0.08333325
    """
    if exposure_days <= 0.0 or time.size == 0:
        return model(time)
    offsets = ((np.arange(n_sub) + 0.5) / n_sub - 0.5) * exposure_days
    samples = model((time[:, None] + offsets).ravel())
    return samples.reshape(time.size, n_sub).mean(axis=1)


def draw_magnitudes(mode: ObservingMode, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Mission-band magnitudes of ``n`` targets, ``p(m) ~ 10**(slope m)`` within the mode's range.

    Examples
    --------
    >>> mags = draw_magnitudes(OBSERVING_MODES["kepler_long"], np.random.default_rng(0), 1000)
    >>> bool(9.0 <= mags.min() < mags.max() <= 16.0), bool(np.median(mags) > 14.0)
    (True, True)
    """
    low, high = mode.magnitude_range
    slope = mode.magnitude_slope
    u = rng.random(n)
    return np.log10(10 ** (slope * low) + u * (10 ** (slope * high) - 10 ** (slope * low))) / slope


def draw_sky_positions(
    mode: ObservingMode, rng: np.random.Generator, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """RA and Dec (degrees) spread uniformly over the mode's sky cap.

    Examples
    --------
    >>> ra, dec = draw_sky_positions(OBSERVING_MODES["kepler_long"], np.random.default_rng(0), 500)
    >>> bool(np.all((ra > 275) & (ra < 306) & (dec > 36) & (dec < 53)))
    True
    """
    cos_radius = np.cos(np.radians(mode.sky_radius_deg))
    cos_theta = 1.0 - rng.random(n) * (1.0 - cos_radius)
    theta = np.arccos(cos_theta)
    azimuth = rng.random(n) * 2.0 * np.pi
    ra0, dec0 = np.radians(mode.sky_centre)
    sin_dec = np.sin(dec0) * cos_theta + np.cos(dec0) * np.sin(theta) * np.cos(azimuth)
    dec = np.arcsin(np.clip(sin_dec, -1.0, 1.0))
    ra = ra0 + np.arctan2(
        np.sin(azimuth) * np.sin(theta) * np.cos(dec0),
        cos_theta - np.sin(dec0) * sin_dec,
    )
    return np.degrees(ra) % 360.0, np.degrees(dec)


def _systematic_factor(
    mode: ObservingMode,
    time: NDArray[np.float64],
    quality: NDArray[np.int32],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    spec = mode.systematics
    x = 2.0 * (time - mode.first_time) / mode.duration_days - 1.0
    coefficients = np.concatenate([[0.0], rng.normal(0.0, spec.trend_rms, 3)])
    factor = 1.0 + np.polynomial.legendre.legval(x, coefficients)
    ramp_starts = [end for _, end, _ in mode.gaps] if spec.ramps_after_gaps else []
    for start in ramp_starts:
        after = time > start
        tau = rng.uniform(*spec.ramp_days)
        factor[after] += rng.normal(0.0, spec.ramp_rms) * np.exp(-(time[after] - start) / tau)
    strong_light = np.zeros(time.size, dtype=bool)
    for edge in mode.orbit_edges:
        tau = rng.uniform(*spec.ramp_days)
        ramp = abs(rng.normal(0.0, spec.ramp_rms)) * np.exp(-np.abs(time - edge) / tau)
        factor += ramp
        strong_light |= ramp > 3e-4
    quality[strong_light] |= mode.scattered_light_quality
    if rng.random() < spec.jump_probability:
        at = int(rng.integers(1, time.size))
        factor[at:] -= abs(rng.normal(0.0, spec.jump_rms))
        quality[at] |= mode.jump_quality
    if spec.dump_offset_rms > 0:
        for dump in mode.dump_times():
            factor[time > dump] += rng.normal(0.0, spec.dump_offset_rms)
    return factor


def _add_outliers(
    mode: ObservingMode,
    flux: NDArray[np.float64],
    flux_err: NDArray[np.float64],
    quality: NDArray[np.int32],
    rng: np.random.Generator,
) -> None:
    count = rng.poisson(mode.systematics.outlier_rate * flux.size)
    where = rng.integers(0, flux.size, count)
    sign = np.where(rng.random(count) < 0.8, 1.0, -1.0)
    size = np.exp(rng.uniform(np.log(5.0), np.log(50.0), count))
    flux[where] += sign * size * flux_err[where]
    flagged = where[rng.random(count) < 0.5]
    quality[flagged] |= mode.outlier_quality


def _read_only(array: NDArray) -> NDArray:
    array.setflags(write=False)
    return array


_KEPLER_NOISE = PhotometricNoise(
    reference_mag=12.0,
    reference_rate=1.74e5,
    live_fraction=0.9206,
    frame_seconds=6.5388,
    read_noise=86.0,
    aperture_pixels=20,
    background_rate=50.0,
    floor_ppm_hour=10.0 * np.sqrt(6.5),
)
_TESS_NOISE = PhotometricNoise(
    reference_mag=10.0,
    reference_rate=1.5e4,
    live_fraction=0.792,
    frame_seconds=2.0,
    read_noise=10.0,
    aperture_pixels=10,
    background_rate=100.0,
    floor_ppm_hour=60.0,
)
_KEPLER_SYSTEMATICS = Systematics(
    trend_rms=3e-4,
    ramp_rms=5e-4,
    ramp_days=(0.3, 1.5),
    ramps_after_gaps=True,
    jump_probability=0.25,
    jump_rms=1e-3,
    dump_offset_rms=0.0,
    outlier_rate=5e-4,
    cosmic_flag_rates=(
        (KeplerFlags.ApertureCosmic, 0.015),
        (KeplerFlags.CollateralCosmic, 0.035),
        (KeplerFlags.DetectorAnomaly, 0.003),
    ),
)
_TESS_SYSTEMATICS = Systematics(
    trend_rms=6e-4,
    ramp_rms=1.5e-3,
    ramp_days=(0.2, 1.0),
    ramps_after_gaps=False,
    jump_probability=0.1,
    jump_rms=1e-3,
    dump_offset_rms=2e-4,
    outlier_rate=5e-4,
)
_TESS_NAN = TessFlags.ManualExclude | TessFlags.CoarsePoint
_KEPLER_NAN = (
    KeplerFlags.CoarsePoint
    | KeplerFlags.Desat
    | KeplerFlags.ManualExclude
    | KeplerFlags.DetectorAnomaly
)
_TESS_GAP = TessFlags.EarthPoint | TessFlags.ManualExclude
_TESS_DUMP = TessFlags.Desat | TessFlags.ManualExclude
_TESS_COMMON = {
    "mission": "TESS",
    "bjd_reference": 2457000,
    "time_format": "btjd",
    "quality_after_gaps": 0,
    "cadences_after_gaps": 0,
    "nan_quality": _TESS_NAN,
    "outlier_quality": TessFlags.ImpulsiveOutlier,
    "jump_quality": TessFlags.Discontinuity,
    "scattered_light_quality": TessFlags.Straylight2,
    "noise": _TESS_NOISE,
    "systematics": _TESS_SYSTEMATICS,
    "band_amplitude_factor": 1.0,
    "limb_darkening": (0.33, 0.22),
}

OBSERVING_MODES: dict[str, ObservingMode] = {
    "kepler_long": ObservingMode(
        key="kepler_long",
        mission="Kepler",
        cadence="long",
        cadence_days=29.4244 / 1440.0,
        first_time=169.519981,
        n_cadences=4354,
        first_cadence_number=2965,
        bjd_reference=2454833,
        time_format="bkjd",
        sequence=2,
        gaps=(
            (
                181.53,
                183.72,
                KeplerFlags.NoData
                | KeplerFlags.NoFinePoint
                | KeplerFlags.EarthPoint
                | KeplerFlags.SafeMode,
            ),
            (230.31, 231.37, KeplerFlags.NoData | KeplerFlags.NoFinePoint | KeplerFlags.EarthPoint),
        ),
        orbit_edges=(),
        dump_first=170.17,
        dump_interval_days=2.98,
        dump_cadences=1,
        dump_quality=KeplerFlags.Desat | KeplerFlags.NoFinePoint,
        quality_after_gaps=KeplerFlags.CoarsePoint | KeplerFlags.NoFinePoint,
        cadences_after_gaps=6,
        nan_quality=_KEPLER_NAN,
        outlier_quality=KeplerFlags.ImpulsiveOutlier,
        jump_quality=KeplerFlags.SensitivityDropout,
        scattered_light_quality=0,
        noise=_KEPLER_NOISE,
        systematics=_KEPLER_SYSTEMATICS,
        band_amplitude_factor=1.3,
        limb_darkening=(0.40, 0.26),
        magnitude_range=(9.0, 16.0),
        sky_centre=(290.6667, 44.5),
        sky_radius_deg=7.5,
        band="Kp",
        family="Kepler",
    ),
    "tess_2min": ObservingMode(
        key="tess_2min",
        cadence="2min",
        cadence_days=2.0 / 1440.0,
        first_time=1325.295929,
        n_cadences=20076,
        first_cadence_number=70444,
        sequence=1,
        gaps=((1338.5236, 1339.6555, _TESS_GAP),),
        orbit_edges=(1325.2959, 1338.5236, 1339.6555, 1353.1777),
        dump_first=1327.84,
        dump_interval_days=2.5,
        dump_cadences=6,
        dump_quality=_TESS_DUMP,
        magnitude_range=(6.0, 13.0),
        band="T",
        family="TESS 2-min",
        **_TESS_COMMON,
    ),
    "tess_10min": ObservingMode(
        key="tess_10min",
        cadence="10min",
        cadence_days=10.0 / 1440.0,
        first_time=2036.28,
        n_cadences=3888,
        first_cadence_number=1,
        sequence=27,
        gaps=((2049.28, 2050.28, _TESS_GAP),),
        orbit_edges=(2036.28, 2049.28, 2050.28, 2063.27),
        dump_first=2038.0,
        dump_interval_days=3.1,
        dump_cadences=2,
        dump_quality=_TESS_DUMP,
        magnitude_range=(8.0, 15.0),
        band="T",
        family="TESS FFI",
        **_TESS_COMMON,
    ),
}
"""The simulated observing modes by key."""
