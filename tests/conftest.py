"""Shared test set-up: one thread per numerical library, headless plotting; the tiny galaxy
survey's index (trained once per session); a small untrained wavelet CNN saved as a run folder."""

import os

import pytest

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def galaxy_index(tmp_path_factory):
    """The index folder of the tiny galaxy survey (320 cutouts) embedded by a contrastive run
    of two epochs (``contrastive_galaxy``), trained here."""
    from astrolens.pipeline import build_survey_index
    from astrolens.training import TrainConfig, train

    work = tmp_path_factory.mktemp("galaxies")
    config = TrainConfig(
        survey="galaxies-tiny",
        encoder="contrastive_galaxy",
        objective="contrastive",
        epochs=2,
        batch_size=64,
        filters=(8, 16, 32),
        embedding_dim=16,
        period_bins=0,
        threads=1,
        workers=1,
    )
    run = train(config, work / "runs", name="galaxies", progress=False, cache_root=work / "c")
    return build_survey_index(
        "galaxies-tiny",
        run,
        work / "galaxies",
        cache=work / "cache",
        workers=1,
        progress=False,
        stacks=work / "c",
    )


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A small untrained wavelet CNN (seeded) saved as a run folder: ``(folder, model, config)``."""
    import json

    import keras

    from astrolens.encoders.wavelet_cnn import build_wavelet_cnn
    from astrolens.preprocess import PreprocessConfig
    from astrolens.simulate import CLASSES
    from astrolens.training import TrainConfig
    from astrolens.wavelets import WaveletConfig

    keras.utils.set_random_seed(3)
    model = build_wavelet_cnn(len(CLASSES), channels=4, filters=(4, 8), embedding_dim=16)
    folder = tmp_path_factory.mktemp("run")
    config = TrainConfig(survey="tiny", filters=(4, 8), embedding_dim=16)
    model.save(folder / "model.keras")
    saved = {
        "train": config.to_dict(),
        "preprocess": PreprocessConfig().to_dict(),
        "wavelet": WaveletConfig().to_dict(),
        "class_names": list(CLASSES),
    }
    (folder / "config.json").write_text(json.dumps(saved))
    return folder, model, config
