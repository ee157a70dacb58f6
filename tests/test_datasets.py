"""Survey representations: the cached stack, the harmonic coherence beside the power, features."""

import numpy as np

from astrolens.datasets import (
    cached_survey_data,
    concatenate,
    represent_rows,
    survey_batches,
    survey_data,
)
from astrolens.features import FEATURE_NAMES
from astrolens.modalities.lightcurve import represent
from astrolens.periodogram import PeriodogramConfig
from astrolens.simulate import SurveyConfig, generate_catalog, source_arrays
from astrolens.transform import series_from_arrays
from astrolens.wavelets import WaveletConfig, power_image

HARMONIC = WaveletConfig(harmonic_phase=True, gap_tolerance=0.25)
PLAIN = WaveletConfig(harmonic_phase=False)
MINI = SurveyConfig(name="mini", n_objects=12, seed=11)


def test_rows_carry_the_harmonic_coherence_of_each_light_curve():
    rows = generate_catalog(MINI).to_dict("records")
    batch = represent_rows(rows[:4], wavelet=HARMONIC)
    assert batch.arrays["harmonic"].shape == (4, 2, 64, 64)
    for index, row in enumerate(rows[:4]):
        image = power_image(series_from_arrays(source_arrays(row)), HARMONIC)
        np.testing.assert_array_equal(batch.arrays["image"][index], image.image)
        np.testing.assert_array_equal(batch.arrays["harmonic"][index], image.harmonic)
    both = concatenate([batch, represent_rows(rows[4:6], wavelet=HARMONIC)])
    assert both.arrays["harmonic"].shape == (6, 2, 64, 64)
    np.testing.assert_array_equal(both.arrays["harmonic"][:4], batch.arrays["harmonic"])
    assert "harmonic" not in represent_rows(rows[:2], wavelet=PLAIN).arrays


def test_survey_stack_keeps_the_harmonic_coherence(tmp_path):
    first = survey_data(MINI, wavelet=HARMONIC, cache_root=tmp_path, workers=1, progress=False)
    (stack,) = tmp_path.rglob("survey-mini-wavelet-*.npz")
    again = survey_data(MINI, wavelet=HARMONIC, cache_root=tmp_path, workers=1, progress=False)
    assert stack.exists()
    harmonic = first.arrays["harmonic"]
    assert harmonic.shape == (len(first.catalog), 2, 64, 64)
    np.testing.assert_array_equal(again.arrays["image"], first.arrays["image"])
    # stored at half precision: values in [-1, 1] to 1e-3
    np.testing.assert_allclose(again.arrays["harmonic"], harmonic, atol=1e-3)
    plain = survey_data(MINI, wavelet=PLAIN, cache_root=tmp_path, workers=1, progress=False)
    assert "harmonic" not in plain.arrays


def test_survey_features_are_those_of_each_light_curve_and_cached(tmp_path):
    first = survey_data(MINI, "features", cache_root=tmp_path, workers=1, progress=False)
    (stack,) = tmp_path.rglob("survey-mini-features-*.npz")
    assert first.arrays["features"].shape == (len(first.catalog), len(FEATURE_NAMES))
    for index, row in enumerate(first.catalog.head(3).to_dict("records")):
        expected = represent(series_from_arrays(source_arrays(row)), "features")["features"]
        np.testing.assert_array_equal(first.arrays["features"][index], expected)
    again = survey_data(MINI, "features", cache_root=tmp_path, workers=1, progress=False)
    np.testing.assert_array_equal(again.arrays["features"], first.arrays["features"])
    assert stack.exists() and again.catalog.equals(first.catalog)


def test_a_cached_stack_is_reused_only_where_it_holds_the_representation_exactly(
    tmp_path, monkeypatch
):
    """The wavelet stack rounds the harmonic coherence to float16: not offered for embedding;
    the features stack is stored as computed: offered, equal to what was computed. Without a
    stack of the survey, its catalogue is not even drawn."""
    import astrolens.datasets as datasets_module

    survey = SurveyConfig(name="mini", n_objects=6)
    with monkeypatch.context() as patch:
        patch.setattr(datasets_module, "generate_survey_catalog", None)  # a call would raise
        assert cached_survey_data(survey, "features", cache_root=tmp_path) is None  # none yet
    for representation in ("wavelet", "features"):
        data = survey_data(survey, representation, cache_root=tmp_path, workers=1, progress=False)
        assert data.path is not None and data.path.is_file()
    assert cached_survey_data(survey, "wavelet", cache_root=tmp_path) is None
    features = survey_data(survey, "features", cache_root=None, workers=1, progress=False)
    cached = cached_survey_data(survey, "features", cache_root=tmp_path)
    assert cached is not None and cached.cached_exactly and features.path is None
    np.testing.assert_array_equal(cached.arrays["features"], features.arrays["features"])
    batches = list(survey_batches(cached, size=4))
    assert [len(batch) for batch in batches] == [4, 2]
    assert [name for batch in batches for name in batch.object_ids] == list(features.object_ids)


def test_a_survey_stack_follows_the_periodogram_configuration_it_is_given(tmp_path):
    coarse = PeriodogramConfig(n_periods=32, n_phase_bins=16)
    default = survey_data(MINI, "periodogram", cache_root=tmp_path, workers=1, progress=False)
    made = survey_data(
        MINI, "periodogram", periodogram=coarse, cache_root=tmp_path, workers=1, progress=False
    )
    assert default.arrays["power"].shape[1:] == (PeriodogramConfig().n_periods,)
    assert made.arrays["power"].shape[1:] == (32,) and made.arrays["folded"].shape[1:] == (2, 16)
    assert len(list(tmp_path.rglob("survey-mini-periodogram-*.npz"))) == 2  # one file each
    rows = made.catalog.head(2).to_dict("records")
    np.testing.assert_array_equal(
        represent_rows(rows, "periodogram", periodogram=coarse).arrays["power"],
        made.arrays["power"][:2],
    )
    again = cached_survey_data(MINI, "periodogram", periodogram=coarse, cache_root=tmp_path)
    np.testing.assert_array_equal(again.arrays["power"], made.arrays["power"])
