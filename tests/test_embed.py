"""Light curves to embeddings: batching invariance, order, bad files, the Parquet table, the CLI."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrolens.cli import EXIT_BAD_INPUT, main
from astrolens.embed import (
    EMBEDDING_ATOL,
    EMBEDDING_RTOL,
    embed_files,
    embed_lightcurve,
    embed_survey,
    read_embeddings,
)
from astrolens.encoders.keras_encoder import Embedder
from astrolens.encoders.wavelet_cnn import WaveletCNN, model_inputs
from astrolens.errors import InvalidLightCurve
from astrolens.preprocess import PreprocessConfig
from astrolens.runs import TrainedRun
from astrolens.simulate import CLASSES, SurveyConfig, export_fits, generate_catalog
from astrolens.sources import example_files, read_arrays
from astrolens.transform import series_from_arrays
from astrolens.wavelets import WaveletConfig, power_image


@pytest.fixture(scope="module")
def trained(small_run):
    """A small untrained model wrapped as a run, saved to disk so the CLI can load it."""
    folder, model, config = small_run
    encoder = WaveletCNN(model, config, tuple(CLASSES))
    return TrainedRun(encoder, config, tuple(CLASSES), PreprocessConfig(), WaveletConfig(), folder)


@pytest.fixture(scope="module")
def embedder(trained):
    return Embedder(trained.encoder.model, batch_size=16)


@pytest.fixture(scope="module")
def kepler_files(tmp_path_factory):
    catalog = generate_catalog(SurveyConfig(name="kepler", n_objects=12))
    return export_fits(catalog, tmp_path_factory.mktemp("fits"), progress=False)


@pytest.fixture
def bad_file(tmp_path):
    path = tmp_path / "noise.fits"
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    return path


def assert_same_embeddings(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=EMBEDDING_RTOL, atol=EMBEDDING_ATOL)


@pytest.mark.fp_identity
def test_embedder_is_independent_of_batching_within_the_tolerance(embedder):
    x = np.random.default_rng(0).random((40, 64, 64, 4), dtype=np.float32)
    together = embedder(x)
    alone = np.concatenate([embedder(x[i : i + 1]) for i in range(len(x))])
    assert_same_embeddings(alone, together)
    reordered = embedder(x[::-1])[::-1]
    assert_same_embeddings(reordered, together)
    np.testing.assert_array_equal(embedder(x), together)  # same positions: same bits
    other = embedder(np.roll(x, 1, axis=0))  # each position holds another light curve
    assert not np.allclose(other, together, rtol=EMBEDDING_RTOL, atol=EMBEDDING_ATOL)


@settings(max_examples=10, deadline=None)
@given(start=st.integers(0, 30), length=st.integers(1, 10), seed=st.integers(0, 100))
@pytest.mark.fp_identity
def test_any_slice_embeds_as_in_the_whole(embedder, start, length, seed):
    x = np.random.default_rng(seed).random((40, 64, 64, 4), dtype=np.float32)
    assert_same_embeddings(embedder(x[start : start + length]), embedder(x)[start : start + length])


def test_file_embeddings_equal_the_stages_called_one_by_one(trained, kepler_files, tmp_path):
    out = tmp_path / "fits.parquet"
    result = embed_files(kepler_files, out, run=trained, workers=1, progress=False)
    table = read_embeddings(out)
    assert result.n_embedded == len(kepler_files) == len(table.object_ids)
    images = [power_image(series_from_arrays(read_arrays(path))) for path in kepler_files]
    x = model_inputs(
        [i.image for i in images], [i.mask for i in images], 4, [i.harmonic for i in images]
    )
    expected = Embedder(trained.encoder.model)(x)
    np.testing.assert_array_equal(table.vectors, expected)  # same batches: same bits
    assert table.object_ids == [read_arrays(path).object_id for path in kepler_files]
    assert table.sources == [str(path) for path in kepler_files]
    assert table.metadata["astrolens.embedding_dim"] == "16"


@pytest.mark.fp_identity
def test_one_light_curve_embeds_as_in_a_batch(trained, kepler_files, tmp_path):
    result = embed_files(
        kepler_files, tmp_path / "all.parquet", run=trained, workers=1, progress=False
    )
    batch = read_embeddings(result.path).vectors
    for index in (0, 7):
        alone = embed_lightcurve(kepler_files[index], trained)
        assert_same_embeddings(alone, batch[index])
        arrays = read_arrays(kepler_files[index])
        assert_same_embeddings(embed_lightcurve(arrays, trained), batch[index])


@pytest.mark.fp_identity
def test_worker_processes_keep_input_order_and_values(trained, kepler_files, tmp_path):
    paths = [*kepler_files, *example_files()][::-1]
    one = embed_files(paths, tmp_path / "one.parquet", run=trained, workers=1, progress=False)
    two = embed_files(
        paths, tmp_path / "two.parquet", run=trained, workers=2, chunk_size=5, progress=False
    )
    first, second = read_embeddings(one.path), read_embeddings(two.path)
    assert second.sources == [str(path) for path in paths] == first.sources
    assert_same_embeddings(first.vectors, second.vectors)


def test_bad_and_missing_files(trained, bad_file, tmp_path):
    good = example_files("K2")[0]
    out = tmp_path / "out.parquet"
    with pytest.raises(InvalidLightCurve, match=r"noise\.fits"):
        embed_files([good, bad_file], out, run=trained, workers=1, progress=False)
    assert not out.exists() and list(tmp_path.glob(".*")) == []
    with pytest.raises(FileNotFoundError, match=r"missing\.fits"):
        embed_files([good, tmp_path / "missing.fits"], out, run=trained, progress=False)
    paths = [bad_file, good, tmp_path / "missing.fits"]
    result = embed_files(paths, out, run=trained, errors="skip", workers=1, progress=False)
    assert result.n_embedded == 1 and read_embeddings(out).object_ids == ["EPIC 211117077"]
    assert [source for source, _ in result.skipped] == [str(bad_file), str(paths[2])]
    assert result.skipped[1][1] == "no such file"


def test_survey_embeddings_follow_the_catalogue(trained, tmp_path):
    survey = SurveyConfig(name="mini", n_objects=20)
    result = embed_survey(
        survey, tmp_path / "mini.parquet", run=trained, workers=1, chunk_size=8, progress=False
    )
    ids = generate_catalog(survey)["object_id"].tolist()
    skipped = {source for source, _ in result.skipped}
    table = read_embeddings(result.path)
    assert table.object_ids == [name for name in ids if name not in skipped]
    assert table.vectors.shape == (result.n_embedded, 16) and table.vectors.dtype == np.float32


def test_cli_embed(trained, tmp_path, bad_file, capsys):
    out = tmp_path / "cli.parquet"
    files = [str(path) for path in example_files()]
    assert main(["-q", "embed", *files, "--out", str(out), "--run", str(trained.path)]) == 0
    assert "4 embeddings" in capsys.readouterr().out
    assert len(read_embeddings(out).object_ids) == 4
    code = main(["-q", "embed", str(bad_file), "--out", str(out), "--run", str(trained.path)])
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "noise.fits" in err
    assert main(["-q", "embed", "--out", str(out)]) == EXIT_BAD_INPUT
    code = main(
        [
            "-q",
            "embed",
            "--survey",
            "tiny",
            "--run",
            str(trained.path),
            "--out",
            str(tmp_path / "tiny.parquet"),
            "--workers",
            "1",
        ]
    )
    assert code == 0
    assert len(read_embeddings(tmp_path / "tiny.parquet").object_ids) > 300


def test_default_model_embeds_the_example_files(tmp_path):
    default = Path(__file__).resolve().parents[1] / "runs" / "default"
    result = embed_files(
        example_files(), tmp_path / "e.parquet", run=default, workers=1, progress=False
    )
    vectors = read_embeddings(result.path).vectors
    assert vectors.shape == (4, 64) and np.isfinite(vectors).all()


def test_a_survey_is_indexed_from_what_its_training_left(galaxy_index, tmp_path, monkeypatch):
    """A galaxy run's training leaves its survey's embeddings beside the cutout stack: embedding
    the survey copies them; without them it embeds the stack; neither renders a cutout again,
    and both equal embedding the survey from scratch."""
    import shutil

    import astrolens.embed as embed_module

    work = galaxy_index.parent
    run = work / "runs" / "galaxies"
    stacks = tmp_path / "stacks"
    shutil.copytree(work / "c", stacks)
    [left] = stacks.rglob("*-embeddings-*.parquet")
    fresh = embed_survey(
        "galaxies-tiny", tmp_path / "fresh.parquet", run=run, workers=1, progress=False, stacks=None
    )

    def no_rendering(*args, **kwargs):
        raise AssertionError("the survey was rendered again")

    monkeypatch.setattr(embed_module, "parallel_map", no_rendering)
    copied = embed_survey(
        "galaxies-tiny",
        tmp_path / "copied.parquet",
        run=run,
        workers=1,
        progress=False,
        stacks=stacks,
    )
    assert copied.path.read_bytes() == left.read_bytes()  # a copy, not a rewrite
    left.unlink()
    stacked = embed_survey(
        "galaxies-tiny",
        tmp_path / "stacked.parquet",
        run=run,
        workers=1,
        progress=False,
        stacks=stacks,
    )
    expected = read_embeddings(fresh.path)
    assert fresh.n_embedded == 320
    for result in (copied, stacked):
        table = read_embeddings(result.path)
        assert table.object_ids == expected.object_ids and result.skipped == fresh.skipped
        np.testing.assert_allclose(table.vectors, expected.vectors, EMBEDDING_RTOL, EMBEDDING_ATOL)
