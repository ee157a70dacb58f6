"""read, read_arrays and read_many: one entry point for every file format, errors made clear."""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pytest

from astrolens.errors import InvalidLightCurve
from astrolens.sources import (
    META_KEYS,
    ReadManyResult,
    detect_format,
    example_files,
    read,
    read_arrays,
    read_many,
)


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "my_star.csv"
    path.write_text("time,flux,flux_err\n1.0,10.0,0.5\n1.5,11.0,0.5\n2.0,12.0,0.5\n")
    return path


def test_format_is_recognised_by_content(tmp_path, csv_file, spoc_file, random_bytes):
    zipped = tmp_path / "lc.fits.gz"
    zipped.write_bytes(gzip.compress(spoc_file.read_bytes()))
    renamed = tmp_path / "lc.txt"
    renamed.write_bytes(spoc_file.read_bytes())

    assert detect_format(spoc_file) == "fits"
    assert detect_format(zipped) == "fits"
    assert detect_format(renamed) == "fits"
    assert detect_format(csv_file) == "text"
    assert detect_format(random_bytes("noise.bin")) == "text"  # and then refused as not text
    with pytest.raises(InvalidLightCurve, match="named like a FITS file but does not start"):
        detect_format(random_bytes("noise.fits"))


@pytest.mark.parametrize("name", ["lc.fits.gz", "lc.csv"])
def test_a_corrupt_gzip_stream_is_refused_whatever_its_name(tmp_path, name):
    packed = gzip.compress(example_files("K2")[0].read_bytes())
    path = tmp_path / name
    path.write_bytes(packed[:10] + b"\xff" * 8 + packed[18:])  # an invalid deflate block
    with pytest.raises(InvalidLightCurve, match=r"does not start with the FITS|binary data"):
        read_arrays(path)


@pytest.mark.parametrize("reader", [read, read_arrays])
def test_both_formats_give_the_same_metadata_keys(reader, csv_file, spoc_file):
    for path in (csv_file, spoc_file):
        result = reader(path)
        meta = result.meta
        assert tuple(meta) == META_KEYS
        assert meta["source"] == str(path)
    assert reader(csv_file).meta["object_id"] == "my_star"


def test_read_and_read_arrays_agree_on_text(csv_file):
    light_curve = read(csv_file)
    arrays = read_arrays(csv_file)
    np.testing.assert_array_equal(light_curve.time.value, arrays.time)
    np.testing.assert_array_equal(light_curve.flux.value, arrays.flux)
    assert dict(light_curve.meta) == arrays.meta


def test_read_and_read_arrays_agree_on_fits(light_curve_file):
    light_curve = read(light_curve_file)
    arrays = read_arrays(light_curve_file)
    assert len(light_curve) == len(arrays)
    np.testing.assert_array_equal(light_curve.time.value, arrays.time)
    np.testing.assert_array_equal(light_curve.flux.value, arrays.flux)


@pytest.fixture(
    params=[
        "random_bytes", "truncated_fits", "target_pixel_file", "image_only_fits", "zero_rows",
        "all_nan_flux", "unknown_flux_column", "csv_without_time_column",
    ]
)  # fmt: skip
def unusable(request, tmp_path, random_bytes, truncated_fits, image_fits, write_fits,
             kepler_like_columns):  # fmt: skip
    """(path, read options, what the error must say) for each kind of unusable file."""
    case = request.param
    if case == "random_bytes":
        return random_bytes("noise.dat"), {}, "neither a FITS file nor a text table"
    if case == "truncated_fits":
        return truncated_fits, {}, "truncated"
    if case == "target_pixel_file":
        return sorted(example_files()[0].parent.glob("*lpd-targ.fits"))[0], {}, "target pixel file"
    if case == "image_only_fits":
        return image_fits, {}, "image-only"
    if case == "zero_rows":
        columns = {name: values[:0] for name, values in kepler_like_columns.items()}
        return write_fits(columns), {}, "has no rows"
    if case == "all_nan_flux":
        columns = {**kepler_like_columns, "PDCSAP_FLUX": np.full(10, np.nan)}
        return write_fits(columns), {}, "are NaN"
    if case == "unknown_flux_column":
        return example_files("TESS")[0], {"flux_column": "kspsap_flux"}, "PDCSAP_FLUX"
    path = tmp_path / "star.csv"
    path.write_text("date,counts\n1,2\n")
    return path, {}, "the table has columns: date, counts"


@pytest.mark.parametrize("reader", [read, read_arrays])
def test_unusable_files_raise_invalid_light_curve_naming_the_file(reader, unusable):
    path, options, reason = unusable
    with pytest.raises(InvalidLightCurve, match=reason) as error:
        reader(path, **options)
    assert error.value.source == str(path)
    assert str(error.value).startswith(f"{path}: ")


@pytest.mark.parametrize("reader", [read, read_arrays])
def test_missing_file_raises_file_not_found(reader, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.fits"):
        reader(tmp_path / "missing.fits")


@pytest.mark.parametrize("reader", [read, read_arrays, read_many])
def test_invalid_bitmask_is_refused_before_reading(reader, tmp_path):
    target = [tmp_path / "missing.fits"] if reader is read_many else tmp_path / "missing.fits"
    with pytest.raises(ValueError, match="quality_bitmask='strict'"):
        reader(target, quality_bitmask="strict")


def test_read_many_reads_in_order():
    paths = example_files()
    result = read_many(paths, progress=False)
    assert isinstance(result, ReadManyResult)
    assert [arrays.source for arrays in result.light_curves] == [str(path) for path in paths]
    assert result.skipped == ()


def test_read_many_raises_at_the_first_bad_file_by_default(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InvalidLightCurve, match=r"bad\.csv"):
        read_many([example_files("K2")[0], bad, tmp_path / "missing.fits"], progress=False)


def test_read_many_can_skip_bad_files_and_says_which_and_why(tmp_path, truncated_fits, caplog):
    missing = tmp_path / "missing.fits"
    good = example_files("K2")[0]
    with caplog.at_level(logging.WARNING, logger="astrolens.sources.reader"):
        result = read_many(
            (path for path in [truncated_fits, good, missing, good]), errors="skip", progress=False
        )
    assert [arrays.object_id for arrays in result.light_curves] == ["EPIC 211117077"] * 2
    assert [path for path, _ in result.skipped] == [truncated_fits, missing]
    assert "truncated" in result.skipped[0][1]
    assert result.skipped[1][1] == "no such file"
    assert "skipped 2 of 4 light-curve files" in caplog.text


def test_read_many_shows_progress(capsys):
    read_many(example_files("Kepler"), progress=True)
    assert "reading light curves" in capsys.readouterr().err
    read_many(example_files("Kepler"), progress=False)
    assert capsys.readouterr().err == ""


def test_read_many_refuses_unknown_error_policy():
    with pytest.raises(ValueError, match="errors='ignore' is not 'raise' or 'skip'"):
        read_many([], errors="ignore")
