"""The hybrid encoder and its representation: dense and ground-based light curves in one input."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from astrolens.encoders.hybrid_cnn import (
    HybridCNN,
    augment_hybrid,
    build_hybrid_cnn,
    model_inputs,
    packed_shape,
)
from astrolens.modalities.lightcurve import LightCurveModality, period_range_days
from astrolens.periodogram import SCALAR_NAMES, PeriodogramConfig
from astrolens.simulate import SurveyConfig, generate_catalog
from astrolens.simulate.cache import survey_config
from astrolens.simulate.survey import MIXED_CADENCE_MIX, source_arrays
from astrolens.sources import example_files
from astrolens.sources.examples import macho_files
from astrolens.trainconfig import AugmentConfig, TrainConfig


@pytest.fixture(scope="module")
def modality():
    return LightCurveModality()


def test_a_space_light_curve_has_both_parts(modality):
    item = modality.load(example_files("Kepler")[0])
    arrays = modality.represent(item, "hybrid")
    assert modality.is_dense(item)
    assert arrays["mask"].mean() > 0.3
    np.testing.assert_array_equal(arrays["image"], modality.represent(item, "wavelet")["image"])
    covered = PeriodogramConfig().periods_days[arrays["coverage"] > 0]
    assert covered.min() < 0.05 and 30 < covered.max() < 50  # a quarter shows up to ~45 d
    assert arrays["scalars"].shape == (len(SCALAR_NAMES),)


def test_a_ground_based_light_curve_has_no_image_and_reaches_years(modality, tmp_path):
    path = macho_files(tmp_path)[0]
    item = modality.load(path)
    arrays = modality.represent(item, "hybrid")
    assert not modality.is_dense(item)
    assert not arrays["mask"].any() and not arrays["image"].any()
    covered = PeriodogramConfig().periods_days[arrays["coverage"] > 0]
    assert covered.max() > 1000.0
    sampling = modality.sampling(item)
    assert sampling["median_spacing_days"] >= 0.5 and sampling["valid_share"] == 0.0
    assert sampling["baseline_days"] > 1000.0


def test_the_rrab_of_macho_has_its_catalogued_period_in_its_periodogram(modality, tmp_path):
    """MACHO 1.4652.1527 is OGLE-LMC-RRLYR-05990, P = 0.4972512 d in OGLE-III."""
    path = next(p for p in macho_files(tmp_path) if "1.4652.1527" in p.name)
    arrays = modality.represent(modality.load(path), "periodogram")
    assert float(arrays["best_period_days"]) == pytest.approx(0.4972512, rel=1e-3)


def test_every_ground_mode_of_the_survey_gives_a_representation(modality):
    config = SurveyConfig(name="m", n_objects=96, mission_mix=MIXED_CADENCE_MIX)
    catalog = generate_catalog(config)
    for _, row in catalog.iterrows():
        item = modality.load(source_arrays(row))
        arrays = modality.represent(item, "hybrid")
        assert modality.is_dense(item) == (row["mission"] in ("Kepler", "TESS"))
        assert all(np.isfinite(values).all() for name, values in arrays.items() if name != "mask")


def test_packing_is_read_back_by_the_model_layers():
    rng = np.random.default_rng(0)
    config = PeriodogramConfig()
    batch = {
        "image": rng.random((2, 64, 64)),
        "mask": rng.random((2, 64, 64)) > 0.5,
        "harmonic": rng.random((2, 2, 64, 64)),
        "power": rng.random((2, config.n_periods)),
        "window": rng.random((2, config.n_periods)),
        "coverage": np.ones((2, config.n_periods)),
        "folded": rng.random((2, 2, config.n_phase_bins)),
        "scalars": rng.random((2, len(SCALAR_NAMES))),
    }
    x = model_inputs(batch)
    assert x.shape == (2, *packed_shape())
    model = build_hybrid_cnn(n_classes=4)
    probe = keras.Model(
        model.input,
        [
            model.get_layer(name).output
            for name in ("image", "spectrum_by_period", "folds_by_phase", "scalar_values")
        ],
    )
    image, spectrum, folds, scalars = (np.asarray(a) for a in probe(x))
    np.testing.assert_allclose(image[..., 0], batch["image"], rtol=1e-6)
    np.testing.assert_allclose(spectrum[..., 0], batch["power"], rtol=1e-6)
    np.testing.assert_allclose(spectrum[..., 1], batch["window"], rtol=1e-6)
    np.testing.assert_allclose(folds[..., 1], batch["folded"][:, 1], rtol=1e-6)
    np.testing.assert_allclose(scalars, batch["scalars"], rtol=1e-6)


def test_augmentation_drops_images_and_keeps_the_periodogram():
    x = np.ones((200, *packed_shape()), dtype=np.float32)
    config = AugmentConfig(noise_sigma=0.0, time_shift=False, gap_probability=0.0)
    out = augment_hybrid(x, np.random.default_rng(1), config)
    dropped = ~out[:, :64].any(axis=(1, 2, 3))
    assert 40 < dropped.sum() < 80  # wavelet_dropout 0.3
    assert np.all(out[:, 64:] == 1.0)
    again = augment_hybrid(x, np.random.default_rng(1), config)
    np.testing.assert_array_equal(out, again)


def test_the_encoder_saves_and_loads_safely(tmp_path):
    config = TrainConfig(
        survey="tiny", encoder="hybrid_cnn", filters=(4, 8), embedding_dim=8, threads=None
    )
    encoder = HybridCNN.create(config, ("EA", "EW", "RRab"), packed_shape())
    x = np.random.default_rng(2).random((3, *packed_shape()), dtype=np.float32)
    encoder.save(tmp_path)
    loaded = HybridCNN.load(tmp_path, config, ("EA", "EW", "RRab"))
    np.testing.assert_allclose(loaded.embed(x), encoder.embed(x), rtol=1e-5, atol=1e-6)


def test_mixed_surveys_by_name_and_their_period_range():
    config = survey_config("demo-mixed")
    assert (config.name, config.n_objects) == ("demo-mixed", 20_000)
    assert config.mission_mix == MIXED_CADENCE_MIX
    assert survey_config("demo").mission_mix != MIXED_CADENCE_MIX
    with pytest.raises(ValueError, match="unknown survey size"):
        survey_config("demo-mixed-up")
    assert period_range_days("hybrid")[1] == PeriodogramConfig().period_max_days >= 1000.0


def test_tables_without_or_with_some_errors_are_represented(modality, tmp_path):
    rng = np.random.default_rng(4)
    time = np.sort(rng.uniform(0.0, 2000.0, 600))
    flux = 1 + 0.1 * np.sin(2 * np.pi * time / 0.61) + rng.normal(0, 0.01, time.size)
    errors = np.where(np.arange(time.size) % 7 == 0, np.nan, 0.01)
    blank = [
        f"{t},{f},{'' if np.isnan(e) else e}" for t, f, e in zip(time, flux, errors, strict=False)
    ]
    with_some = tmp_path / "some errors.csv"
    with_some.write_text("mjd,flux,flux_err\n" + "\n".join(blank) + "\n")
    without = tmp_path / "no errors.csv"
    without.write_text(
        "mjd,flux\n" + "\n".join(f"{t},{f}" for t, f in zip(time, flux, strict=False))
    )
    # as on the uniform grid: an epoch without its uncertainty is masked; no column: all kept
    for path, epochs in ((with_some, np.isfinite(errors).sum()), (without, time.size)):
        item = modality.load(path)
        assert modality.samples(item)[0].size == epochs
        period = float(modality.represent(item, "hybrid")["best_period_days"])
        assert period == pytest.approx(0.61, rel=1e-3)
