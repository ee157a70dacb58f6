"""Fixtures for the light-curve readers: the real MAST files shipped with altaipony, and small
FITS and text files built on the fly for the cases the real files do not cover."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from astrolens.sources.examples import example_files

_EXAMPLES = example_files()[0].parent
_SPOC_FILES = example_files()
_TO_FITS_FILE = _EXAMPLES / "pony010002792-2009259160929_llc_test_from_path_AltaiPony.fits"
_ALTAIPONY_TABLE_FILE = _EXAMPLES / "pony010002792-2009259160929_llc.fits"
_TPF_FILES = sorted(_EXAMPLES.glob("ktwo*_lpd-targ.fits"))


def _name(path: Path) -> str:
    return path.stem[:27]


@pytest.fixture(params=_SPOC_FILES, ids=_name)
def spoc_file(request: pytest.FixtureRequest) -> Path:
    """Each Kepler, K2 and TESS pipeline light curve (two Kepler quarters, K2, TESS 2-min)."""
    return request.param


@pytest.fixture
def to_fits_file() -> Path:
    """A Kepler light curve written by ``lightkurve.LightCurve.to_fits()`` (TIME, FLUX, ...)."""
    return _TO_FITS_FILE


@pytest.fixture
def altaipony_table_file() -> Path:
    """AltaiPony's own table: time/flux/quality columns, target and mission in the primary header
    (``LABEL = 'EPIC 211983544'``, ``MISSION = 'K2'``, ``HIERARCH time_format = 'bkjd'``)."""
    return _ALTAIPONY_TABLE_FILE


@pytest.fixture(
    params=[*_SPOC_FILES, _TO_FITS_FILE, _ALTAIPONY_TABLE_FILE],
    ids=[*map(_name, _SPOC_FILES), "to_fits", "altaipony_table"],
)
def light_curve_file(request: pytest.FixtureRequest) -> Path:
    """Every example file that holds a light curve."""
    return request.param


@pytest.fixture(params=_TPF_FILES, ids=_name)
def tpf_file(request: pytest.FixtureRequest) -> Path:
    """Each K2 target pixel file."""
    return request.param


@pytest.fixture
def write_fits(tmp_path: Path) -> Callable[..., Path]:
    """Factory writing a FITS file: a primary header and one binary table of float columns.

    ``write_fits(columns, primary={...}, table_header={...}, name="lc.fits")``; the primary
    header defaults to that of a Kepler pipeline light curve of KIC 12345.
    """

    def write(
        columns: Mapping[str, np.ndarray],
        primary: Mapping[str, object] | None = None,
        table_header: Mapping[str, object] | None = None,
        name: str = "lc.fits",
    ) -> Path:
        if primary is None:
            primary = {
                "TELESCOP": "Kepler",
                "MISSION": "Kepler",
                "OBJECT": "KIC 12345",
                "KEPLERID": 12345,
                "CREATOR": "FluxExporter2PipelineModule",
                "ORIGIN": "NASA/Ames",
                "RA_OBJ": 290.5,
                "DEC_OBJ": 44.25,
                "KEPMAG": 12.5,
            }
        formats = {"f": "D", "i": "J"}
        table = fits.BinTableHDU.from_columns(
            [
                fits.Column(name=key, format=formats[np.asarray(values).dtype.kind], array=values)
                for key, values in columns.items()
            ]
        )
        if table_header is None:
            table_header = {"BJDREFI": 2454833, "BJDREFF": 0.0}
        table.header.update(dict(table_header))
        path = tmp_path / name
        fits.HDUList([fits.PrimaryHDU(header=fits.Header(dict(primary).items())), table]).writeto(
            path
        )
        return path

    return write


@pytest.fixture
def kepler_like_columns() -> dict[str, np.ndarray]:
    """Ten cadences of a Kepler-like light curve: one NaN time, one flagged cadence."""
    time = 100.0 + 0.02 * np.arange(10)
    time[3] = np.nan
    quality = np.zeros(10, dtype=np.int32)
    quality[5] = 1  # attitude tweak: removed by the default bitmask
    return {
        "TIME": time,
        "PDCSAP_FLUX": np.linspace(1000.0, 1010.0, 10),
        "PDCSAP_FLUX_ERR": np.full(10, 3.0),
        "SAP_FLUX": np.linspace(900.0, 910.0, 10),
        "SAP_QUALITY": quality,
    }


@pytest.fixture
def truncated_fits(tmp_path: Path) -> Path:
    """The TESS example light curve cut in half."""
    source = example_files("TESS")[0]
    data = source.read_bytes()
    path = tmp_path / source.name
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def image_fits(tmp_path: Path) -> Path:
    """A FITS file holding only an image."""
    path = tmp_path / "image.fits"
    fits.PrimaryHDU(data=np.arange(12.0).reshape(3, 4)).writeto(path)
    return path


@pytest.fixture
def random_bytes(tmp_path: Path) -> Callable[[str], Path]:
    """Factory writing 4 KiB of seeded random bytes under a given file name."""

    def write(name: str) -> Path:
        path = tmp_path / name
        path.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
        return path

    return write
