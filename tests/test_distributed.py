"""Survey embedding as Dask tasks: the single-process result despite a killed worker, resume, the
refusal of another job's folder, the CLI."""

import os
import shutil
import signal
import threading
import time

import numpy as np
import psutil
import pytest
from distributed import Client, LocalCluster

from astrolens.cli import EXIT_BAD_INPUT, main
from astrolens.distributed import (
    MANIFEST,
    cluster_client,
    embed_survey_dask,
    partition_path,
    read_partitioned_embeddings,
)
from astrolens.embed import embed_survey, read_embeddings
from astrolens.errors import CacheError, IndexMismatch
from astrolens.index.folder import read_index_source
from astrolens.pipeline import build_survey_index
from astrolens.search import open_search
from astrolens.simulate import SurveyConfig, generate_catalog
from astrolens.simulate import survey as simulate_survey
from astrolens.simulate.cache import survey_catalog, survey_catalog_key

ATOL = 1e-5
"""How far a partition's embedding may be from the single-process one (same machine: each row sits
at another position of its batch of 128)."""

PARTITION = 40
"""Rows per partition: the tiny survey's 320 objects make 8 tasks."""


@pytest.fixture(scope="module")
def run_path(small_run):
    """A small untrained wavelet CNN saved as a run folder (workers load it from there)."""
    return small_run[0]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def expected(run_path, tmp_path_factory):
    """The tiny survey embedded by the single-process path."""
    out = tmp_path_factory.mktemp("single") / "tiny.parquet"
    embed_survey("tiny", out, run=run_path, workers=1, progress=False)
    return read_embeddings(out)


@pytest.fixture(scope="module")
def client():
    """A client of a local cluster of two worker processes, shared by the tests (TensorFlow loads
    once per worker)."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def assert_same_as_single_process(folder, expected):
    table = read_partitioned_embeddings(folder)
    assert table.object_ids == expected.object_ids  # every object once, in catalogue order
    assert table.sources == expected.sources
    np.testing.assert_allclose(table.vectors, expected.vectors, rtol=0, atol=ATOL)


def partition_names(n):
    return [partition_path("", index).name for index in range(n)]


@pytest.mark.slow  # about 70 s with its fixtures on a busy 2-core machine
def test_a_killed_worker_loses_and_duplicates_nothing(client, run_path, cache, expected, tmp_path):
    out = tmp_path / "tiny"
    killed = {}

    def kill_a_busy_worker():
        """Once the first partition is written, SIGKILL a worker that is running a task."""
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not killed:
            busy = [name for name, keys in client.processing().items() if keys]
            if busy and any(out.glob("part-*.parquet")):
                (address, pid), *_ = client.run(os.getpid, workers=busy[:1]).items()
                os.kill(pid, signal.SIGKILL)
                killed.update(address=address, pid=pid, done=len(list(out.glob("part-*"))))
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    result = embed_survey_dask(
        "tiny",
        out,
        run=run_path,
        scheduler=client.scheduler.address,
        partition_size=PARTITION,
        progress=False,
        cache=cache,
    )
    killer.join()
    assert killed and killed["done"] < 8, f"no worker was killed while the job ran: {killed}"
    assert not psutil.pid_exists(killed["pid"])
    assert result.n_partitions == 8 and result.computed == tuple(range(8))
    assert result.n_embedded == len(expected.object_ids)
    assert_same_as_single_process(out, expected)
    assert sorted(path.name for path in out.iterdir()) == [MANIFEST, *partition_names(8)]


def test_resume_computes_only_the_missing_partition(client, run_path, cache, expected, tmp_path):
    out = tmp_path / "tiny"
    job = {
        "run": run_path,
        "scheduler": client.scheduler.address,
        "partition_size": PARTITION,
        "progress": False,
        "cache": cache,
    }
    embed_survey_dask("tiny", out, **job)
    partition_path(out, 3).unlink()
    before = {path.name: path.stat().st_mtime_ns for path in out.glob("part-*.parquet")}
    result = embed_survey_dask("tiny", out, **job)
    assert result.computed == (3,)
    after = {path.name: path.stat().st_mtime_ns for path in out.glob("part-*.parquet")}
    assert after.pop(partition_path(out, 3).name) and after == before
    assert_same_as_single_process(out, expected)
    assert embed_survey_dask("tiny", out, **job).computed == ()


def test_another_jobs_folder_is_refused(client, run_path, cache, tmp_path):
    survey = SurveyConfig(name="mini", n_objects=6)
    out = tmp_path / "mini"
    job = {"scheduler": client.scheduler.address, "progress": False, "cache": cache}
    embed_survey_dask(survey, out, run=run_path, partition_size=4, **job)
    manifest = (out / MANIFEST).read_text()
    with pytest.raises(CacheError, match="partition size: 4 in the folder, 3 asked"):
        embed_survey_dask(survey, out, run=run_path, partition_size=3, **job)
    other_survey = SurveyConfig(name="mini", n_objects=8)
    with pytest.raises(CacheError, match="survey n_objects: 6 in the folder, 8 asked; catalogue"):
        embed_survey_dask(other_survey, out, run=run_path, partition_size=4, **job)
    other_run = shutil.copytree(run_path, tmp_path / "other")
    with pytest.raises(CacheError, match=r"run: '.*@.*' in the folder, 'other@.*' asked"):
        embed_survey_dask(survey, out, run=other_run, partition_size=4, **job)
    assert (out / MANIFEST).read_text() == manifest
    assert sorted(path.name for path in out.iterdir()) == [MANIFEST, *partition_names(2)]
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(CacheError, match=r"no _manifest\.json"):
        embed_survey_dask(survey, stranger, run=run_path, partition_size=4, **job)
    partition_path(out, 1).unlink()
    with pytest.raises(CacheError, match="1 of 2 partitions missing"):
        read_partitioned_embeddings(out)


def test_a_worker_that_ran_a_task_reuses_the_memory_it_frees(run_path, tmp_path):
    """Dask's nanny starts workers with glibc's trim threshold fixed low, so a fresh worker maps
    every few-MiB array afresh (a light curve's transform cost twice the CPU time); once it has
    run a task of the job, it reuses freed memory as the single-process path's workers do."""

    def page_faults_of_reused_arrays(repeats=40, mib=2):
        """Minor page faults of this process while it allocates, fills and frees an array
        of ``mib`` MiB ``repeats`` times: about ``repeats * mib * 256`` where each one is
        mapped afresh, about none where freed memory is reused. (Below 4 MiB: NumPy asks for
        huge pages from there on, and whether the kernel has them to give varies.)"""
        import resource

        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(repeats):
            array = np.ones(mib * 2**20 // 8)
            del array
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    with cluster_client(None, 1) as client:
        pages = 40 * 2 * 256
        (fresh,) = client.run(page_faults_of_reused_arrays).values()
        assert fresh > pages / 2  # the nanny's setting, as found
        survey = SurveyConfig(name="mini", n_objects=6)
        job = {"scheduler": client.scheduler.address, "progress": False, "cache": tmp_path}
        embed_survey_dask(survey, tmp_path / "mini", run=run_path, partition_size=4, **job)
        (after,) = client.run(page_faults_of_reused_arrays).values()
        assert after < pages / 20, f"{after} page faults for 40 arrays of 2 MiB"


def test_the_workers_draw_the_catalogue_chunk_by_chunk(client, run_path, tmp_path, monkeypatch):
    """A survey of three catalogue chunks, partitions across chunk boundaries: the workers draw
    and keep each chunk once, this process draws nothing, and the result is the single-process
    path's, catalogue and embeddings."""
    survey = SurveyConfig(name="chunked", n_objects=30, chunk_size=12)
    single = tmp_path / "single.parquet"
    embed_survey(survey, single, run=run_path, workers=1, progress=False)
    expected = read_embeddings(single)

    def refuse(*args, **kwargs):
        raise AssertionError("the client drew the catalogue")

    monkeypatch.setattr(simulate_survey, "_draw_chunk", refuse)
    out, cache = tmp_path / "chunked", tmp_path / "cache"
    job = {"run": run_path, "scheduler": client.scheduler.address, "cache": cache}
    result = embed_survey_dask(survey, out, partition_size=8, progress=False, **job)
    assert result.n_partitions == 4 and result.n_embedded == 30
    assert_same_as_single_process(out, expected)
    kept = cache / "catalogs" / f"chunked-{survey_catalog_key(survey)}"
    assert sorted(path.name for path in kept.iterdir()) == [
        f"chunk-{index:05d}.parquet" for index in range(3)
    ]
    assert not kept.with_name(f"{kept.name}.parquet").exists()  # never drawn whole
    monkeypatch.undo()
    assert survey_catalog(survey, cache=cache).equals(generate_catalog(survey))
    assert kept.with_name(f"{kept.name}.parquet").is_file()
    index = build_survey_index(
        survey, run_path, tmp_path / "index", embeddings=out, cache=cache, progress=False
    )
    source = read_index_source(index)
    assert source.n_indexed == 30 and source.embeddings == str(out.resolve())
    distances = np.linalg.norm(expected.vectors - expected.vectors[0], axis=1)
    nearest = [expected.object_ids[row] for row in np.argsort(distances)[1:4]]
    assert open_search(index).by_object(expected.object_ids[0], k=3).object_ids == nearest
    other = SurveyConfig(name="chunked", n_objects=30, chunk_size=10)
    with pytest.raises(IndexMismatch, match="survey chunk_size: 12 in the folder, 10 asked"):
        build_survey_index(other, run_path, tmp_path / "other", embeddings=out, cache=cache)


def test_cli_embeds_on_a_local_cluster_and_closes_it(
    run_path, expected, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("ASTROLENS_CACHE", str(tmp_path / "cache"))
    children = {process.pid for process in psutil.Process().children(recursive=True)}
    out = tmp_path / "tiny"
    args = ["-q", "embed", "--survey", "tiny", "--dask", "--workers", "1", "--run", str(run_path)]
    code = main([*args, "--partition-size", "80", "--out", str(out)])
    assert code == 0
    n = len(expected.object_ids)
    assert f"{n} embeddings -> {out} (4 partitions, 4 computed now)" in capsys.readouterr().out
    assert_same_as_single_process(out, expected)
    left = {process.pid for process in psutil.Process().children(recursive=True)}
    assert left <= children  # the cluster the command started is gone
    index = tmp_path / "index"
    build = ["-q", "index", "build", "--run", str(run_path), "--out", str(index)]
    assert main([*build, "--survey", "tiny", "--embeddings", str(out)]) == 0
    assert read_index_source(index).n_indexed == n
    assert main([*build, "--survey", "tiny-mixed", "--embeddings", str(out)]) == EXIT_BAD_INPUT
    assert "embeddings of another job than asked (survey " in capsys.readouterr().err


def test_cli_dask_options_go_together(tmp_path, capsys):
    survey = ["-q", "embed", "--survey", "tiny", "--out", str(tmp_path / "out")]
    assert main([*survey, "--scheduler", "tcp://127.0.0.1:8786"]) == EXIT_BAD_INPUT
    assert main(["-q", "embed", str(tmp_path / "a.fits"), "--dask"]) == EXIT_BAD_INPUT
    assert main([*survey, "--dask", "--workers", "1", "--scheduler", "tcp://x:1"]) == EXIT_BAD_INPUT
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and "--dask" in errors[0] and "--survey" in errors[1]
    assert not (tmp_path / "out").exists()
