"""Write simulated light curves as mission-format FITS files (Kepler/TESS SPOC light-curve files).

The files mimic the real pipeline products (Kepler Archive Manual; TESS Science Data Products
Description Document) closely enough that ``lightkurve.read`` recognises them as
``KeplerLightCurve`` / ``TessLightCurve`` and ``astrolens.sources.read`` opens them:

- primary header: ``TELESCOP``, ``INSTRUME``, ``OBJECT`` (``KIC n`` / ``TIC n``),
  ``KEPLERID`` / ``TICID``, ``QUARTER`` / ``SECTOR``, ``RA_OBJ``, ``DEC_OBJ``, ``KEPMAG`` /
  ``TESSMAG``, a ``CREATOR`` naming the light-curve exporter, ``ORIGIN`` and ``SIMDATA = T``
  saying that the data are simulated by astrolens, and the simulation cards ``SIMCLASS``,
  ``SIMSUBCL``, ``SIMPER`` and ``SIMSEED``;
- extension ``LIGHTCURVE`` with the 20 columns of the real files (``TIME``, ``TIMECORR``,
  ``CADENCENO``, ``SAP_FLUX(_ERR)``, ``SAP_BKG(_ERR)``, ``PDCSAP_FLUX(_ERR)``, ``SAP_QUALITY``
  (Kepler) or ``QUALITY`` (TESS), centroids and position corrections) and the timing keywords
  (``BJDREFI``, ``TSTART``, ``TSTOP``, ``TIMEDEL``, ...); gap cadences have a NaN ``TIME``;
- extension ``APERTURE`` with a small aperture mask.

Fluxes are in e-/s: ``PDCSAP_FLUX`` is the relative flux of
:func:`~astrolens.simulate.lightcurve_arrays` times the star's count rate
(``PhotometricNoise.star_rate``); ``SAP_FLUX`` is what PDC would have corrected: the flux in
the aperture (fraction ``FLFRCSAP`` of the star's light, plus contaminating light so that the star
gives ``CROWDSAP`` of the total) times a slow instrumental drift.

Rows of ground-based surveys (OGLE, MACHO, ASAS, ZTF) are written as the survey archives publish
them: a CSV table ``mjd,mag,mag_err`` (:func:`write_table`), magnitudes about the row's ``mag``,
named ``<survey>_<target_id>_<band>.csv`` with ``#`` comment lines saying what it is.

File names follow the archive: ``kplr<KIC>-2009259160929_llc.fits`` (Quarter 2),
``tess2018206045859-s0001-<TIC>-0120-s_lc.fits`` (Sector 1, 2 min) and
``hlsp_tess-spoc_tess_phot_<TIC>-s0027_tess_v1_lc.fits`` (TESS-SPOC full-frame-image light
curves).

Examples
--------
>>> import tempfile
>>> from astrolens.simulate.survey import SurveyConfig, generate_catalog
>>> catalog = generate_catalog(SurveyConfig(name="mini", n_objects=16))
>>> paths = export_fits(catalog.iloc[:2], tempfile.mkdtemp(), progress=False)
>>> [path.name for path in paths]  # doctest: +NORMALIZE_WHITESPACE
['hlsp_tess-spoc_tess_phot_0000009000000000-s0027_tess_v1_lc.fits',
 'tess2018206045859-s0001-0000009000000001-0120-s_lc.fits']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

import astrolens
from astrolens.files import written_atomically
from astrolens.simulate.ground import GroundMode, relative_flux_to_magnitudes
from astrolens.simulate.observations import ObservingMode
from astrolens.simulate.survey import lightcurve_arrays, observing_mode

if TYPE_CHECKING:
    from astropy.io import fits

__all__ = ["export_fits", "fits_filename", "write_fits", "write_table"]

_FILE_NAMES = {
    "kepler_long": "kplr{target_id:09d}-2009259160929_llc.fits",
    "tess_2min": "tess2018206045859-s0001-{target_id:016d}-0120-s_lc.fits",
    "tess_10min": "hlsp_tess-spoc_tess_phot_{target_id:016d}-s0027_tess_v1_lc.fits",
}
_EXPORT_STREAM = 3
_ORIGIN = "astrolens (simulated data)"
_CREATOR = "astrolens.simulate LightCurveExporter"


def fits_filename(row: Mapping[str, Any]) -> str:
    """The archive-style file name of a catalogue row's light curve.

    Examples
    --------
    >>> fits_filename({"mission": "TESS", "cadence": "2min", "target_id": 9000000042})
    'tess2018206045859-s0001-0000009000000042-0120-s_lc.fits'
    >>> fits_filename({"mission": "OGLE", "cadence": "nightly", "target_id": 6000000042})
    'ogle_6000000042_I.csv'
    """
    mode = observing_mode(row)
    if isinstance(mode, GroundMode):
        return f"{mode.mission.lower()}_{int(row['target_id'])}_{mode.band}.csv"
    return _FILE_NAMES[mode.key].format(target_id=int(row["target_id"]))


def export_fits(
    catalog: pd.DataFrame, out_dir: str | os.PathLike[str], *, progress: bool = True
) -> list[Path]:
    """Write one mission-format FITS file per catalogue row into ``out_dir`` (a CSV table for a
    row of a ground-based survey, :func:`write_table`).

    Returns the paths written, in catalogue order.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    rows = catalog.to_dict("records")
    return [
        write_table(row, folder)
        if isinstance(observing_mode(row), GroundMode)
        else write_fits(row, folder)
        for row in tqdm(rows, desc="writing FITS", unit="file", disable=not progress)
    ]


def write_table(row: Mapping[str, Any], out_dir: str | os.PathLike[str]) -> Path:
    """Write the light curve of a ground-based survey's row as a CSV table ``mjd,mag,mag_err``.

    Examples
    --------
    >>> import tempfile
    >>> from astrolens.simulate.survey import MIXED_CADENCE_MIX, SurveyConfig, generate_catalog
    >>> config = SurveyConfig(name="m", n_objects=40, mission_mix=MIXED_CADENCE_MIX)
    >>> catalog = generate_catalog(config)
    >>> row = catalog[catalog["mission"] == "OGLE"].iloc[0]
    >>> path = write_table(row, tempfile.mkdtemp())
    >>> path.read_text().splitlines()[3]
    'mjd,mag,mag_err'
    """
    params = dict(row)
    mode = observing_mode(params)
    if not isinstance(mode, GroundMode):
        raise ValueError(f"{params['object_id']}: a {mode.mission} row is written by write_fits")
    arrays = lightcurve_arrays(params)
    mag, mag_err = relative_flux_to_magnitudes(arrays.flux, arrays.flux_err, float(params["mag"]))
    lines = [
        f"# {params['object_id']}: {_ORIGIN}, {mode.mission}-like {mode.band} band",
        f"# class {params['class']}, period_days {params['period_days']}, seed {params['seed']}",
        f"# ra {params['ra']:.6f} dec {params['dec']:.6f}",
        "mjd,mag,mag_err",
        *(f"{t:.6f},{m:.4f},{e:.4f}" for t, m, e in zip(arrays.time, mag, mag_err, strict=True)),
    ]
    path = Path(out_dir) / fits_filename(params)
    with written_atomically(path) as temporary:
        temporary.write_text("\n".join(lines) + "\n")
    return path


def write_fits(row: Mapping[str, Any], out_dir: str | os.PathLike[str]) -> Path:
    """Write the light curve of one catalogue row as a mission-format FITS file.

    Returns the path written, ``out_dir / fits_filename(row)``.
    """
    from astropy.io import fits

    params = dict(row)
    mode = observing_mode(params)
    if isinstance(mode, GroundMode):
        raise ValueError(f"{params['object_id']}: a {mode.mission} row is written by write_table")
    path = Path(out_dir) / fits_filename(params)
    hdus = fits.HDUList(
        [
            fits.PrimaryHDU(header=_primary_header(params, mode)),
            _lightcurve_hdu(params, mode),
            _aperture_hdu(params, mode),
        ]
    )
    with written_atomically(path) as temporary:
        hdus.writeto(temporary, overwrite=True, checksum=True)
    return path


def _primary_header(params: Mapping[str, Any], mode: ObservingMode) -> fits.Header:
    from astropy.io import fits

    kepler = mode.mission == "Kepler"
    target_id = int(params["target_id"])
    cards: list[tuple[str, Any, str]] = [
        ("NEXTEND", 2, "number of standard extensions"),
        ("EXTNAME", "PRIMARY", "name of extension"),
        ("EXTVER", 1, "extension version number (not format version)"),
        ("ORIGIN", _ORIGIN, "simulated, not observed"),
        ("DATE", date.today().isoformat(), "file creation date."),
        ("CREATOR", _CREATOR, "program that made this file"),
        ("PROCVER", f"astrolens {astrolens.__version__}", "SW version"),
        ("FILEVER", "6.1" if kepler else "1.0", "file format version"),
        ("TIMVERSN", "OGIP/93-003", "OGIP memo number for file format"),
        ("TELESCOP", mode.mission, "telescope"),
        ("INSTRUME", f"{mode.mission} Photometer", "detector type"),
        ("OBJECT", str(params["object_id"]), "string version of target id"),
        ("KEPLERID" if kepler else "TICID", target_id, "unique target identifier"),
        (
            "QUARTER" if kepler else "SECTOR",
            mode.sequence,
            "observing quarter" if kepler else "observing sector",
        ),
        (
            "OBSMODE" if kepler else "CAMERA",
            "long cadence" if kepler else 1,
            "observing mode" if kepler else "camera",
        ),
        (
            "MISSION" if kepler else "CCD",
            mode.mission if kepler else 1,
            "mission name" if kepler else "CCD chip",
        ),
        ("RADESYS", "ICRS", "reference frame of celestial coordinates"),
        ("RA_OBJ", float(params["ra"]), "[deg] right ascension"),
        ("DEC_OBJ", float(params["dec"]), "[deg] declination"),
        ("EQUINOX", 2000.0, "equinox of celestial coordinate system"),
        (
            "KEPMAG" if kepler else "TESSMAG",
            round(float(params["mag"]), 3),
            "[mag] Kepler magnitude (Kp)" if kepler else "[mag] TESS magnitude",
        ),
        ("SIMDATA", True, "file is based on simulated data"),
        ("SIMCLASS", str(params["class"]), "simulated variability class"),
        ("SIMSUBCL", str(params["subclass"]), "simulated subclass"),
        ("SIMPER", _finite_or_none(params["period_days"]), "[d] simulated period"),
        ("SIMSEED", int(params["seed"]), "seed of the simulated light curve"),
    ]
    return fits.Header(cards)


def _lightcurve_hdu(params: Mapping[str, Any], mode: ObservingMode) -> fits.BinTableHDU:
    from astropy.io import fits

    kepler = mode.mission == "Kepler"
    arrays = lightcurve_arrays(params)
    full_time, valid = mode.full_time()
    n = mode.n_cadences
    rng = np.random.default_rng([int(params["seed"]), _EXPORT_STREAM])
    star_rate = float(mode.noise.star_rate(params["mag"]))
    crowding, flux_fraction = rng.uniform(0.85, 1.0), rng.uniform(0.8, 0.95)

    def on_grid(values: NDArray, fill: float) -> NDArray:
        result = np.full(n, fill, dtype=np.asarray(values).dtype)
        result[valid] = values
        return result

    time = on_grid(arrays.time, np.nan)
    pdcsap = on_grid(arrays.flux, np.nan) * star_rate
    pdcsap_err = on_grid(arrays.flux_err, np.nan) * star_rate
    fraction = (full_time - mode.first_time) / mode.duration_days
    drift = (
        1.0 + rng.normal(0.0, 0.003) * fraction - rng.uniform(0.0, 0.002) * np.exp(-fraction * 20.0)
    )
    contamination = star_rate * flux_fraction * (1.0 - crowding) / crowding
    sap = (pdcsap * flux_fraction + contamination) * drift
    sap_err = pdcsap_err * flux_fraction * drift
    background_level = mode.noise.aperture_pixels * mode.noise.background_rate
    background = background_level * (1.0 + 0.05 * np.sin(2 * np.pi * fraction)) + rng.normal(
        0, 1, n
    )
    background[~valid] = np.nan
    quality = mode.base_quality().copy()
    quality[valid] = arrays.quality
    centroid = [500.0 + 10.0 * rng.random() + 0.01 * rng.standard_normal(n) for _ in range(2)]
    barycentric = _time_correction(full_time, mode, float(params["ra"]), float(params["dec"]))
    flux_unit = "e-/s"
    time_unit = f"BJD - {mode.bjd_reference}"
    columns = [
        fits.Column("TIME", "D", time_unit, array=time),
        fits.Column("TIMECORR", "E", "d", array=np.where(valid, barycentric, np.nan)),
        fits.Column(
            "CADENCENO", "J", array=mode.first_cadence_number + np.arange(n, dtype=np.int32)
        ),
        fits.Column("SAP_FLUX", "E", flux_unit, array=sap),
        fits.Column("SAP_FLUX_ERR", "E", flux_unit, array=sap_err),
        fits.Column("SAP_BKG", "E", flux_unit, array=background),
        fits.Column("SAP_BKG_ERR", "E", flux_unit, array=np.sqrt(np.abs(background))),
        fits.Column("PDCSAP_FLUX", "E", flux_unit, array=pdcsap),
        fits.Column("PDCSAP_FLUX_ERR", "E", flux_unit, array=pdcsap_err),
        fits.Column("SAP_QUALITY" if kepler else "QUALITY", "J", array=quality),
        fits.Column("PSF_CENTR1", "D", "pixel", array=np.full(n, np.nan)),
        fits.Column("PSF_CENTR1_ERR", "E", "pixel", array=np.full(n, np.nan)),
        fits.Column("PSF_CENTR2", "D", "pixel", array=np.full(n, np.nan)),
        fits.Column("PSF_CENTR2_ERR", "E", "pixel", array=np.full(n, np.nan)),
        fits.Column("MOM_CENTR1", "D", "pixel", array=np.where(valid, centroid[0], np.nan)),
        fits.Column("MOM_CENTR1_ERR", "E", "pixel", array=np.where(valid, 1e-3, np.nan)),
        fits.Column("MOM_CENTR2", "D", "pixel", array=np.where(valid, centroid[1], np.nan)),
        fits.Column("MOM_CENTR2_ERR", "E", "pixel", array=np.where(valid, 1e-3, np.nan)),
        fits.Column(
            "POS_CORR1",
            "E",
            "pixels",
            array=np.where(valid, centroid[0] - centroid[0].mean(), np.nan),
        ),
        fits.Column(
            "POS_CORR2",
            "E",
            "pixels",
            array=np.where(valid, centroid[1] - centroid[1].mean(), np.nan),
        ),
    ]
    hdu = fits.BinTableHDU.from_columns(columns, name="LIGHTCURVE")
    hdu.header.extend(_timing_cards(params, mode, arrays.time, crowding, flux_fraction))
    return hdu


def _timing_cards(
    params: Mapping[str, Any],
    mode: ObservingMode,
    time: NDArray,
    crowding: float,
    flux_fraction: float,
) -> list[tuple[str, Any, str]]:
    cadence_seconds = mode.cadence_days * 86400.0
    live = mode.noise.live_fraction
    start = float(time[0] - mode.cadence_days / 2)
    stop = float(time[-1] + mode.cadence_days / 2)
    return [
        ("INHERIT", True, "inherit the primary header"),
        ("TELESCOP", mode.mission, "telescope"),
        ("OBJECT", str(params["object_id"]), "string version of target id"),
        ("RA_OBJ", float(params["ra"]), "[deg] right ascension"),
        ("DEC_OBJ", float(params["dec"]), "[deg] declination"),
        ("EXPOSURE", (stop - start) * live, "[d] time on source"),
        ("TIMEREF", "SOLARSYSTEM", "barycentric correction applied to times"),
        ("TASSIGN", "SPACECRAFT", "where time is assigned"),
        ("TIMESYS", "TDB", "time system is barycentric JD"),
        ("BJDREFI", mode.bjd_reference, "integer part of BJD reference date"),
        ("BJDREFF", 0.0, "fraction of the day in BJD reference date"),
        ("TIMEUNIT", "d", "time unit for TIME, TSTART and TSTOP"),
        ("TELAPSE", stop - start, "[d] TSTOP - TSTART"),
        ("LIVETIME", (stop - start) * live, "[d] TELAPSE multiplied by DEADC"),
        ("TSTART", start, "observation start time in BJD-BJDREF"),
        ("TSTOP", stop, "observation stop time in BJD-BJDREF"),
        ("DEADC", live, "deadtime correction"),
        ("TIMEPIXR", 0.5, "bin time beginning=0 middle=0.5 end=1"),
        ("INT_TIME", mode.noise.frame_seconds * live, "[s] photon accumulation time per frame"),
        ("FRAMETIM", mode.noise.frame_seconds, "[s] frame time (INT_TIME + READTIME)"),
        (
            "NUM_FRM",
            round(cadence_seconds / mode.noise.frame_seconds),
            "number of frames per time stamp",
        ),
        ("TIMEDEL", mode.cadence_days, "[d] time resolution of data"),
        ("BACKAPP", True, "background is subtracted"),
        ("DEADAPP", True, "deadtime applied"),
        ("VIGNAPP", True, "vignetting or collimator correction applied"),
        ("CROWDSAP", round(crowding, 4), "Ratio of target flux to total flux in op. ap."),
        ("FLFRCSAP", round(flux_fraction, 4), "Frac. of target flux w/in the op. aperture"),
        ("PDCMETHD", "simulated", "PDC algorithm used for target"),
    ]


def _aperture_hdu(params: Mapping[str, Any], mode: ObservingMode) -> fits.ImageHDU:
    from astropy.io import fits

    shape = (5, 6) if mode.mission == "Kepler" else (11, 11)
    aperture = np.ones(shape, dtype=np.int32)
    centre = tuple(size // 2 for size in shape)
    rows, columns = np.ogrid[: shape[0], : shape[1]]
    inside = (rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= 2 + (
        mode.mission != "Kepler"
    ) * 3
    aperture[inside] |= 2
    header = fits.Header(
        [("INHERIT", True, "inherit the primary header"), ("TELESCOP", mode.mission, "telescope")]
    )
    return fits.ImageHDU(aperture, header=header, name="APERTURE")


def _time_correction(time: NDArray, mode: ObservingMode, ra: float, dec: float) -> NDArray:
    """Barycentric correction of a target: up to 8.3 min, varying over the year."""
    year_phase = 2.0 * np.pi * (time + mode.bjd_reference - 2451545.0) / 365.25
    return 0.00577 * np.cos(np.radians(dec)) * np.cos(year_phase - np.radians(ra))


def _finite_or_none(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None
