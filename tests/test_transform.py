"""Files -> cached power images in one call."""

import numpy as np
import pytest

from astrolens import transform
from astrolens.errors import InvalidLightCurve
from astrolens.modalities.lightcurve import LightCurveModality
from astrolens.preprocess import PreprocessConfig, prepare
from astrolens.sources import example_files, read_arrays
from astrolens.transform import transform_files
from astrolens.wavelets import WaveletCache, power_image


@pytest.fixture
def bad_file(tmp_path):
    path = tmp_path / "noise.fits"
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    return path


def test_images_equal_the_stages_called_one_by_one(tmp_path):
    path = example_files("TESS")[0]
    result = transform_files([path], tmp_path, progress=False)
    arrays = read_arrays(path)
    series = prepare(arrays.time, arrays.flux, arrays.flux_err, arrays.quality, meta=arrays.meta)
    expected = power_image(series)
    np.testing.assert_array_equal(result.images[0].image, expected.image)
    np.testing.assert_array_equal(result.images[0].mask, expected.mask)
    assert result.images[0].meta["object_id"] == "TIC 358108509"


def test_second_run_reads_no_file(tmp_path, monkeypatch):
    files = example_files()
    first = transform_files(files, tmp_path, progress=False)

    def no_read(*args, **kwargs):
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr("astrolens.transform.read_arrays", no_read)
    second = transform_files(files, tmp_path, progress=False)
    assert [image.object_id for image in second.images] == [path.stem for path in files]
    for a, b in zip(first.images, second.images, strict=True):
        np.testing.assert_array_equal(a.image, b.image)


def test_two_quarters_of_one_star_are_cached_apart(tmp_path):
    quarters = example_files("Kepler")
    result = transform_files(quarters, tmp_path, progress=False)
    assert {image.meta["object_id"] for image in result.images} == {"KIC 10002792"}
    cached = sorted(WaveletCache(tmp_path).directory.glob("*.npz"))
    assert [path.stem for path in cached] == sorted(path.stem for path in quarters)
    assert not np.array_equal(result.images[0].image, result.images[1].image)


def test_bad_file_raises_by_default_and_is_listed_when_skipping(tmp_path, bad_file):
    good = example_files("K2")[0]
    with pytest.raises(InvalidLightCurve, match=r"noise\.fits"):
        transform_files([good, bad_file], tmp_path / "cache", progress=False)
    result = transform_files([good, bad_file], tmp_path / "cache", errors="skip", progress=False)
    assert result.paths == (good,)
    assert [path for path, _ in result.skipped] == [bad_file]
    assert result.skipped[0][1]


def test_cached_images_use_the_quality_bitmask_the_model_reads_with(tmp_path, monkeypatch):
    path = example_files("Kepler")[0]
    keep_all = PreprocessConfig(quality_bitmask="none")  # looser than the reader's default
    asked = []

    def reading(*args, **kwargs):
        asked.append(args[2] if len(args) > 2 else kwargs.get("quality_bitmask", "default"))
        return read_arrays(*args, **kwargs)

    monkeypatch.setattr(transform, "read_arrays", reading)
    result = transform_files([path], tmp_path, preprocess=keep_all, progress=False)
    assert asked == ["none"]
    modality = LightCurveModality(preprocess=keep_all)
    expected = modality.power_image(modality.load(path))
    np.testing.assert_array_equal(result.images[0].image, expected.image)


def test_a_table_without_an_uncertainty_column_is_transformed(tmp_path):
    arrays = read_arrays(example_files("K2")[0])
    pairs = zip(arrays.time.tolist(), arrays.flux.tolist(), strict=True)
    rows = "".join(f"{time!r},{flux!r}\n" for time, flux in pairs)
    without = tmp_path / "no_errors.csv"
    without.write_text("time,flux\n" + rows)
    blank = tmp_path / "blank_errors.csv"
    blank.write_text("time,flux,flux_err\n" + rows.replace("\n", ",\n"))

    result = transform_files([without, blank], tmp_path / "cache", progress=False)
    expected = power_image(prepare(arrays.time, arrays.flux))
    for image in result.images:
        np.testing.assert_array_equal(image.image, expected.image)
