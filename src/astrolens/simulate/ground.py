"""How ground-based surveys observe a star: nightly epochs in seasons over years, in magnitudes.

Space photometry samples a star every few minutes for weeks; a ground-based survey measures it
at most once a night, only while it is up at night (a season of some months a year, centred on
its opposition), loses nights to weather in runs of bad nights, and goes on for years. Four
surveys are modelled, one :class:`GroundMode` per band:

============ ======= ====== ============= ============= ================= =====================
key          survey  band   epochs        years         errors (mag)      source
============ ======= ====== ============= ============= ================= =====================
``ogle_i``   OGLE    I      300-1,500     3-8           0.004-0.15        Udalski et al. 2008
``macho_r``  MACHO   R      400-1,200     4-7.5         0.02-0.15         Alcock et al. 1999
``asas_v``   ASAS    V      400-1,200     4-9           0.03-0.12         Pojmanski 2002
``ztf_g``    ZTF     g      150-600       3             0.01-0.12         Bellm et al. 2019
``ztf_r``    ZTF     r      150-600       3             0.01-0.12         Masci et al. 2019
============ ======= ====== ============= ============= ================= =====================

References: OGLE-III, Udalski et al. (2008, AcA 58, 69), one I-band epoch per clear night over
the 2001-2009 seasons (Las Campanas, longitude -70.7 deg); MACHO, Alcock et al. (1999, PASP
111, 1539), Mt Stromlo (149.0 deg), 1992-1999, blue and red bands (the red one here); ASAS-3,
Pojmanski (2002, AcA 52, 397), Las Campanas, V band, 2000-2009; ZTF, Bellm et al. (2019, PASP
131, 018002) and Masci et al. (2019, PASP 131, 018003), Palomar (-116.9 deg), g and r: every 2-3
nights in the public survey, nightly in the partnership fields (150-600 epochs per band in three
years; each band is its own light curve here, as in the ZTF archive).

Sampling of one star (drawn from the star's instrument random stream, so a catalogue row
always gives the same epochs):

- the observing span: a number of years within the mode's range, starting at the survey start;
- seasons: the star is observable for ``season_days`` centred on its opposition (the day the Sun
  is 180 deg away in right ascension: day 79 of the year, the March equinox, plus
  ``(ra + 180) / 360`` of a year);
- weather: nights are clear or cloudy in runs (a two-state Markov chain with the mode's clear
  fraction and a mean bad-weather run of ``bad_run_nights``);
- on a clear night of the season the star is observed with the probability that gives the drawn
  number of epochs, near its meridian transit, i.e. at local midnight at opposition and up to
  ``max_hour_offset`` hours before or after it later and earlier in the season (the transit comes
  3.94 min earlier each day), with a scatter of ``hour_scatter_hours``.

Errors per epoch, in magnitudes, from a floor, photon noise of the star and of the sky::

    sigma(m)^2 = floor^2 + star^2 10**(0.4 (m - m_ref)) + sky^2 10**(0.8 (m - m_ref))

multiplied night by night by a log-normal factor for seeing and transparency; a small share of
epochs are outliers (a bad subtraction, a cosmic ray: 4-20 sigma) that carry a larger error.
Fluxes are returned relative to the star's mean (``10**(-0.4 (m - <m>))``), as the readers turn a
table of magnitudes into relative flux. Times are MJD (OGLE publishes HJD - 2450000; the offset
only shifts the phase of a simulated star).

Examples
--------
>>> mode = GROUND_MODES["ogle_i"]
>>> rng = np.random.default_rng(7)
>>> time = mode.sample_times(rng, ra=80.0)
>>> bool(300 <= time.size <= 1500), bool(np.all(np.diff(time) > 0))
(True, True)
>>> round(float(np.median(np.diff(time))), 1) >= 1.0
True
>>> bool(0.004 < mode.errors.sigma(16.0) < 0.015)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["GROUND_MODES", "GroundMode", "MagnitudeErrors", "relative_flux_to_magnitudes"]

_DAYS_PER_YEAR = 365.25
_TRANSIT_DRIFT_HOURS_PER_DAY = 3.94 / 60.0
_MARCH_EQUINOX_DAY = 79.0
_MJD_OF_YEAR_2000 = 51544.0


@dataclass(frozen=True)
class MagnitudeErrors:
    """Per-epoch magnitude errors of a survey (see the module description).

    Examples
    --------
    >>> errors = GROUND_MODES["ztf_r"].errors
    >>> bool(errors.sigma(15.0) < errors.sigma(19.0) < errors.sigma(20.5))
    True
    """

    floor: float
    star: float
    sky: float
    reference_mag: float
    night_scatter: float = 0.3
    outlier_rate: float = 0.003

    def sigma(self, mag: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """The typical error at magnitude ``mag`` (before the nightly factor)."""
        scale = 10.0 ** (0.4 * (np.asarray(mag, dtype=float) - self.reference_mag))
        return np.sqrt(self.floor**2 + self.star**2 * scale + self.sky**2 * scale**2)


@dataclass(frozen=True)
class GroundMode:
    """One ground-based survey in one band (see the module description).

    Parameters
    ----------
    key
        Short name (``"ogle_i"``).
    mission, cadence, band
        Survey name as the catalogue writes it (``"OGLE"``), cadence label (``"nightly"``,
        ``"2-3 nights"``) and photometric band (``"I"``).
    family
        The cadence family it belongs to in reports (``"OGLE-like"``, ``"MACHO/ASAS-like"``,
        ``"ZTF-like"``).
    cadence_days
        Typical time between epochs within a season.
    exposure_days
        Length of one exposure (OGLE 150 s, MACHO 300 s, ASAS 180 s, ZTF 30 s): what a light
        curve averages over.
    first_time
        Start of the survey, MJD.
    years, epochs
        Ranges of the observing span (years) and of the number of epochs.
    season_days
        Length of the observing season each year.
    clear_fraction, bad_run_nights
        Share of clear nights and the mean length of a run of cloudy nights.
    observing_step_nights
        Nights between visits the schedule aims at (1: every night, 2.5: ZTF's public survey).
    site_midnight_ut
        Local midnight of the site as a fraction of the UT day.
    max_hour_offset, hour_scatter_hours
        Limit of the time of observation from local midnight, and its scatter.
    errors
        Magnitude errors.
    band_amplitude_factor
        Band amplitude over I-band amplitude for pulsating stars (V 1.6, R 1.25, g 1.8, r 1.3:
        radial pulsators' amplitude ratios, e.g. A_V / A_I ~ 1.6).
    limb_darkening
        Quadratic limb-darkening coefficients for a Sun-like star in the band (Claret 2000).
    magnitude_range, magnitude_slope
        Magnitudes of the stars, ``p(m) ~ 10**(slope m)`` within the range.
    sky_centre, sky_radius_deg
        Where stars without a catalogue position are placed (a cap on the sky).
    """

    key: str
    mission: str
    cadence: str
    band: str
    family: str
    cadence_days: float
    exposure_days: float
    first_time: float
    years: tuple[float, float]
    epochs: tuple[int, int]
    season_days: float
    clear_fraction: float
    bad_run_nights: float
    observing_step_nights: float
    site_midnight_ut: float
    errors: MagnitudeErrors
    band_amplitude_factor: float
    limb_darkening: tuple[float, float]
    magnitude_range: tuple[float, float]
    magnitude_slope: float = 0.2
    max_hour_offset: float = 4.5
    hour_scatter_hours: float = 0.7
    sky_centre: tuple[float, float] = (0.0, 0.0)
    sky_radius_deg: float = 180.0
    time_format: str = "mjd"
    bjd_reference: int = 2400000

    @property
    def duration_days(self) -> float:
        """The shortest observing span: the periods every light curve of the mode can show."""
        return self.years[0] * _DAYS_PER_YEAR

    def sample_times(self, rng: np.random.Generator, ra: float) -> NDArray[np.float64]:
        """The epochs (MJD) at which a star at right ascension ``ra`` (degrees) is observed."""
        years = rng.uniform(*self.years)
        target = int(rng.integers(self.epochs[0], self.epochs[1] + 1))
        nights = np.arange(int(years * _DAYS_PER_YEAR), dtype=float)
        midnight = self.first_time + nights
        days_from_opposition = _days_from_opposition(midnight, ra)
        in_season = np.abs(days_from_opposition) <= self.season_days / 2.0
        clear = _clear_nights(rng, nights.size, self.clear_fraction, self.bad_run_nights)
        available = in_season & clear
        share = min(1.0, target / max(1, int(available.sum())), 1.0 / self.observing_step_nights)
        observed = available & (rng.random(nights.size) < share)
        if observed.sum() < 10:
            observed = available | in_season
        hours = np.clip(
            -days_from_opposition[observed] * _TRANSIT_DRIFT_HOURS_PER_DAY,
            -self.max_hour_offset,
            self.max_hour_offset,
        ) + rng.normal(0.0, self.hour_scatter_hours, int(observed.sum()))
        return np.floor(midnight[observed]) + self.site_midnight_ut + hours / 24.0

    def observe(
        self,
        signal: NDArray[np.float64],
        mag: float,
        rng: np.random.Generator,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int32]]:
        """Turn a star's relative flux at its epochs into what the survey publishes.

        Returns the relative flux (``10**(-0.4 (m - <m>))`` of the measured magnitudes), its
        1-sigma error and zero quality flags.

        Examples
        --------
        >>> mode = GROUND_MODES["macho_r"]
        >>> rng = np.random.default_rng(3)
        >>> flux, flux_err, quality = mode.observe(np.ones(500), 18.0, rng)
        >>> scatter = 1.4826 * np.median(np.abs(flux - 1))  # robust: a few epochs are outliers
        >>> bool(0.8 < scatter / np.median(flux_err) < 1.3), int(quality.max())
        (True, 0)
        """
        n = signal.size
        sigma = self.errors.sigma(mag) * rng.lognormal(0.0, self.errors.night_scatter, n)
        deviation = sigma * rng.standard_normal(n)
        outliers = rng.random(n) < self.errors.outlier_rate
        count = int(outliers.sum())
        deviation[outliers] = (
            np.where(rng.random(count) < 0.5, 1.0, -1.0) * rng.uniform(4.0, 20.0, count)
        ) * sigma[outliers]
        sigma[outliers] *= rng.uniform(1.0, 5.0, count)
        flux = np.clip(signal, 1e-6, None) * 10.0 ** (-0.4 * deviation)
        flux_err = flux * np.log(10.0) / 2.5 * sigma
        return flux, flux_err, np.zeros(n, dtype=np.int32)

    def white_noise_variance(self, mag: float) -> float:
        """Relative-flux variance of one epoch at magnitude ``mag`` (for signal-to-noise)."""
        sigma = float(self.errors.sigma(mag)) * np.exp(self.errors.night_scatter**2 / 2.0)
        return (np.log(10.0) / 2.5 * sigma) ** 2


def relative_flux_to_magnitudes(
    flux: NDArray[np.float64], flux_err: NDArray[np.float64], mag: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The magnitudes a survey publishes for a star of mean magnitude ``mag`` whose relative
    flux is ``flux``, and their errors: ``mag - 2.5 log10(flux)``, ``2.5 / ln(10) flux_err /
    flux``. :func:`astrolens.sources.arrays.magnitudes_to_relative_flux` undoes it (about the
    median magnitude).

    Examples
    --------
    >>> flux, flux_err = np.array([1.0, 0.5]), np.array([0.01, 0.01])
    >>> mags, errors = relative_flux_to_magnitudes(flux, flux_err, 15.0)
    >>> mags.round(3).tolist(), errors.round(4).tolist()
    ([15.0, 15.753], [0.0109, 0.0217])
    """
    flux = np.asarray(flux, dtype=np.float64)
    return mag - 2.5 * np.log10(flux), 2.5 / np.log(10.0) * np.asarray(flux_err) / flux


def _days_from_opposition(mjd: NDArray[np.float64], ra: float) -> NDArray[np.float64]:
    """Days from the nearest opposition of a star at right ascension ``ra`` (degrees)."""
    opposition_day = _MARCH_EQUINOX_DAY + (ra + 180.0) / 360.0 * _DAYS_PER_YEAR
    phase = (mjd - _MJD_OF_YEAR_2000 - opposition_day) / _DAYS_PER_YEAR
    return (phase - np.round(phase)) * _DAYS_PER_YEAR


def _clear_nights(
    rng: np.random.Generator, n: int, clear_fraction: float, bad_run_nights: float
) -> NDArray[np.bool_]:
    """Clear (True) and cloudy nights as runs: a two-state Markov chain."""
    to_clear = 1.0 / bad_run_nights
    to_cloudy = to_clear * (1.0 - clear_fraction) / clear_fraction
    draws = rng.random(n)
    clear = np.empty(n, dtype=bool)
    state = bool(draws[0] < clear_fraction)
    for night in range(n):
        clear[night] = state
        state = draws[night] >= to_cloudy if state else draws[night] < to_clear
    return clear


_GROUND_COMMON = {"cadence": "nightly", "cadence_days": 1.0, "observing_step_nights": 1.0}
_ZTF_COMMON = {
    "mission": "ZTF",
    "cadence": "2-3 nights",
    "family": "ZTF-like",
    "cadence_days": 2.5,
    "exposure_days": 30.0 / 86400.0,
    "first_time": 58194.0,
    "years": (3.0, 3.0),
    "epochs": (150, 600),
    "season_days": 270.0,
    "clear_fraction": 0.8,
    "bad_run_nights": 2.5,
    "observing_step_nights": 1.0,
    "site_midnight_ut": 0.325,
    "errors": MagnitudeErrors(floor=0.01, star=0.02, sky=0.025, reference_mag=19.0),
    "magnitude_range": (13.5, 19.5),
    "sky_centre": (0.0, 90.0),
    "sky_radius_deg": 120.0,
}

GROUND_MODES: dict[str, GroundMode] = {
    "ogle_i": GroundMode(
        key="ogle_i",
        exposure_days=150.0 / 86400.0,
        mission="OGLE",
        band="I",
        family="OGLE-like",
        first_time=52060.0,
        years=(3.0, 8.0),
        epochs=(300, 1500),
        season_days=240.0,
        clear_fraction=0.75,
        bad_run_nights=3.0,
        site_midnight_ut=0.197,
        errors=MagnitudeErrors(floor=0.004, star=0.02, sky=0.02, reference_mag=18.0),
        band_amplitude_factor=1.0,
        limb_darkening=(0.30, 0.27),
        magnitude_range=(13.0, 19.0),
        sky_centre=(80.9, -69.8),
        sky_radius_deg=6.0,
        **_GROUND_COMMON,
    ),
    "macho_r": GroundMode(
        key="macho_r",
        exposure_days=300.0 / 86400.0,
        mission="MACHO",
        band="R",
        family="MACHO/ASAS-like",
        first_time=48823.0,
        years=(4.0, 7.5),
        epochs=(400, 1200),
        season_days=300.0,
        clear_fraction=0.6,
        bad_run_nights=3.0,
        site_midnight_ut=0.586,
        errors=MagnitudeErrors(floor=0.02, star=0.03, sky=0.03, reference_mag=19.0),
        band_amplitude_factor=1.25,
        limb_darkening=(0.36, 0.28),
        magnitude_range=(13.5, 19.5),
        sky_centre=(80.9, -69.8),
        sky_radius_deg=6.0,
        **_GROUND_COMMON,
    ),
    "asas_v": GroundMode(
        key="asas_v",
        exposure_days=180.0 / 86400.0,
        mission="ASAS",
        band="V",
        family="MACHO/ASAS-like",
        first_time=51870.0,
        years=(4.0, 9.0),
        epochs=(400, 1200),
        season_days=240.0,
        clear_fraction=0.75,
        bad_run_nights=3.0,
        site_midnight_ut=0.197,
        errors=MagnitudeErrors(floor=0.03, star=0.03, sky=0.04, reference_mag=13.0),
        band_amplitude_factor=1.6,
        limb_darkening=(0.45, 0.25),
        magnitude_range=(8.0, 14.0),
        sky_centre=(0.0, -90.0),
        sky_radius_deg=118.0,
        **_GROUND_COMMON,
    ),
    "ztf_g": GroundMode(
        key="ztf_g",
        band="g",
        band_amplitude_factor=1.8,
        limb_darkening=(0.50, 0.23),
        **_ZTF_COMMON,
    ),
    "ztf_r": GroundMode(
        key="ztf_r",
        band="r",
        band_amplitude_factor=1.3,
        limb_darkening=(0.40, 0.27),
        **_ZTF_COMMON,
    ),
}
"""The simulated ground-based surveys by key."""
