"""Survey power images: the cached stack, and the harmonic coherence carried beside the power."""

import numpy as np

from astrolens.datasets import concatenate, images_of_rows, survey_images
from astrolens.simulate import SurveyConfig, generate_catalog, source_arrays
from astrolens.transform import series_from_arrays
from astrolens.wavelets import WaveletConfig, power_image

HARMONIC = WaveletConfig(harmonic_phase=True, gap_tolerance=0.25)
PLAIN = WaveletConfig(harmonic_phase=False)
MINI = SurveyConfig(name="mini", n_objects=12, seed=11)


def test_rows_carry_the_harmonic_coherence_of_each_light_curve():
    rows = generate_catalog(MINI).to_dict("records")
    batch = images_of_rows(rows[:4], wavelet=HARMONIC)
    assert batch.harmonics is not None and batch.harmonics.shape == (4, 2, 64, 64)
    for index, row in enumerate(rows[:4]):
        image = power_image(series_from_arrays(source_arrays(row)), HARMONIC)
        np.testing.assert_array_equal(batch.images[index], image.image)
        np.testing.assert_array_equal(batch.harmonics[index], image.harmonic)
    both = concatenate([batch, images_of_rows(rows[4:6], wavelet=HARMONIC)])
    assert both.harmonics.shape == (6, 2, 64, 64)
    np.testing.assert_array_equal(both.harmonics[:4], batch.harmonics)
    assert images_of_rows(rows[:2], wavelet=PLAIN).harmonics is None


def test_survey_stack_keeps_the_harmonic_coherence(tmp_path):
    first = survey_images(MINI, wavelet=HARMONIC, cache_root=tmp_path, workers=1, progress=False)
    (stack,) = tmp_path.rglob("survey-mini-*.npz")
    again = survey_images(MINI, wavelet=HARMONIC, cache_root=tmp_path, workers=1, progress=False)
    assert stack.exists()
    assert first.harmonics is not None and first.harmonics.shape == (len(first.catalog), 2, 64, 64)
    np.testing.assert_array_equal(again.images, first.images)
    # stored at half precision: values in [-1, 1] to 1e-3
    np.testing.assert_allclose(again.harmonics, first.harmonics, atol=1e-3)
    plain = survey_images(MINI, wavelet=PLAIN, cache_root=tmp_path, workers=1, progress=False)
    assert plain.harmonics is None
