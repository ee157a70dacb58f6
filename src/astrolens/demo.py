"""The main job (``astrolens demo``, ``make demo``): from the embedded survey to an answered query.

:func:`run_demo` runs every stage once, on data that needs no network:

1. the real Kepler, K2 and TESS example light curves bundled with ``altaipony`` are cleaned and
   their wavelet power images cached under ``wavelets/``, with a figure of them
   (:func:`transform_examples`);
2. the simulated ``small-mixed`` survey (5,000 Kepler, TESS and ground-based light curves, drawn
   as the 20,000 of ``demo-mixed`` the default model was trained on) is written to
   ``catalogs/``;
3. it is embedded with the default model (``runs/default``), the embeddings cached
   (:func:`astrolens.embed.survey_embeddings`);
4. the similarity index is built (:func:`astrolens.pipeline.build_survey_index`);
5. an example query, by default the real Kepler light curve of KIC 10002792, is answered: a
   table of its most similar objects is written as CSV and drawn, with their light curves and
   power images, as a figure (under ``results/``);
6. galaxy images, the second modality (:func:`run_galaxy_demo`, unless ``galaxies`` is off):
   the simulated ``galaxies-small`` survey (5,000 cutouts) is rendered, the galaxy encoder is
   made from it (``runs/galaxy-demo``: by default the morphology numbers, :data:`GALAXY_ENCODER`;
   no galaxy model ships), the survey is indexed from what that left (the cutouts and their
   embeddings: nothing rendered or embedded twice), and a galaxy the survey does not hold,
   uploaded as a PNG picture, is answered (``results/demo-galaxy-search.*``).

Every stage reuses what a previous run left: a second run recomputes nothing; it checks what it
finds and answers the query again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TypeVar

import pandas as pd

from astrolens.config import JsonConfig
from astrolens.files import written_atomically
from astrolens.plots import plot_transforms, save_figure
from astrolens.runfolder import CONFIG_FILE, read_run_config
from astrolens.search import SearchResult, SimilaritySearch
from astrolens.simulate import catalog_path, write_survey
from astrolens.simulate.cache import survey_config
from astrolens.sources import example_files, read_arrays
from astrolens.trainconfig import TrainConfig
from astrolens.transform import TransformResult, series_from_arrays, transform_files
from astrolens.wavelets import WaveletCache

__all__ = [
    "TABLE_COLUMNS",
    "DemoConfig",
    "DemoResult",
    "ExamplesResult",
    "GalaxyDemoResult",
    "answer_query",
    "galaxy_query",
    "galaxy_train_config",
    "query_file",
    "run_demo",
    "run_galaxy_demo",
    "table_text",
    "transform_examples",
]

TABLE_COLUMNS = (
    "rank",
    "object_id",
    "class",
    "mission",
    "distance",
    "period_days",
    "period_match",
    "mag",
    "redshift",
    "mag_r",
    "half_light_radius_arcsec",
    "sersic_n",
)
"""Columns of the printed result table (those the result has: a survey of light curves or of
galaxies; ``period_match`` for a search by light curve ranked by its own period)."""

RESULT_STEM = "demo-search"
"""File name (without suffix) of the result table, figure and record under the results folder."""

GALAXY_STEM = "demo-galaxy-search"
"""The same for the galaxy part; the query picture is ``<stem>-query.png``."""

GALAXY_SURVEY = "galaxies-small"
"""The simulated galaxy survey the main job trains its galaxy encoder on and indexes."""

GALAXY_RUN = "runs/galaxy-demo"
"""Where the main job's galaxy encoder is trained (when no run is there); another encoder than
:data:`GALAXY_ENCODER` gets ``runs/galaxy-demo-<encoder>``."""

GALAXY_ENCODER = "morphology_galaxy"
"""The main job's galaxy encoder: the morphology numbers, measured on the pictures (no network
to train, about a minute for 5,000 cutouts on 2 cores). Of the encoders compared
(``benchmarks/galaxies.py``) it answers best on real pictures (the object kind of the nearest
five), and is second on the simulated classes, after the supervised ``galaxy_cnn``, which
trains in about six minutes more (``--galaxy-encoder galaxy_cnn``)."""

GALAXY_QUERY_SEED = 7
"""Seed of the survey drawn for the galaxy query: a galaxy of the same kind, not in the index."""

GALAXY_QUERY_CLASS = "barred_spiral"
"""The class of the galaxy the main job asks about."""

T = TypeVar("T")


@dataclass(frozen=True)
class DemoConfig(JsonConfig):
    """What the main job works on and where it writes; saved beside its result.

    Parameters
    ----------
    survey
        Simulated survey: ``"tiny"``, ``"small"``, ``"demo"`` or ``"large"``, with ``-mixed`` for
        ground-based surveys too (``"small-mixed"``, 5,000 objects, the default: ten minutes
        from a fresh clone on 2 cores hold it; ``"demo-mixed"`` is the survey the default model
        was trained on, 20,000 objects, about 6 minutes more).
    run
        Run folder of the model; None: the default model (``runs/default``).
    wavelets
        Cache folder of the example light curves' power images.
    catalogs
        Folder of the survey catalogue.
    index
        Index folder; None: the pipeline's default (``indexes/<survey>-<run name>``).
    results
        Folder of the query's table, figure and record.
    query
        A catalogued object id, or a light-curve file (FITS, CSV); None: the bundled Kepler
        light curve of KIC 10002792.
    k
        Matches asked for.
    workers
        Processes that compute power images for the embeddings, and TensorFlow's threads when
        the galaxy encoder is trained.
    galaxies
        Also run the galaxy part (:func:`run_galaxy_demo`).
    galaxy_survey, galaxy_encoder, galaxy_run, galaxy_epochs
        Its simulated survey, its encoder (:data:`GALAXY_ENCODER` by default), its run folder
        (None: :data:`GALAXY_RUN`, or ``runs/galaxy-demo-<encoder>`` for another encoder;
        trained there, a network for ``galaxy_epochs`` epochs, when no run is there) and the
        index is ``indexes/<survey>-<run name>``.

    Examples
    --------
    >>> config = DemoConfig(survey="tiny", k=5)
    >>> DemoConfig.from_dict(config.to_dict()) == config
    True
    """

    survey: str = "small-mixed"
    run: str | None = None
    wavelets: str = "wavelets"
    catalogs: str = "catalogs"
    index: str | None = None
    results: str = "results"
    query: str | None = None
    k: int = 8
    workers: int = 2
    galaxies: bool = True
    galaxy_survey: str = GALAXY_SURVEY
    galaxy_encoder: str = GALAXY_ENCODER
    galaxy_run: str | None = None
    galaxy_epochs: int = 6

    def __post_init__(self) -> None:
        if self.k < 1 or self.workers < 1:
            raise ValueError(f"k and workers must be at least 1, got {self.k} and {self.workers}")
        if self.galaxy_epochs < 1:
            raise ValueError(f"galaxy_epochs must be at least 1, got {self.galaxy_epochs}")

    @property
    def galaxy_run_folder(self) -> Path:
        """The galaxy run's folder (see ``galaxy_run``).

        >>> str(DemoConfig().galaxy_run_folder), str(DemoConfig(galaxy_encoder="galaxy_cnn")
        ...                                            .galaxy_run_folder)
        ('runs/galaxy-demo', 'runs/galaxy-demo-galaxy_cnn')
        """
        if self.galaxy_run is not None:
            return Path(self.galaxy_run)
        if self.galaxy_encoder == GALAXY_ENCODER:
            return Path(GALAXY_RUN)
        return Path(f"{GALAXY_RUN}-{self.galaxy_encoder}")


@dataclass(frozen=True)
class ExamplesResult:
    """The example light curves' power images and the figure of them."""

    transformed: TransformResult
    cache_dir: Path
    figure: Path
    figure_was_cached: bool


@dataclass(frozen=True)
class GalaxyDemoResult:
    """What the galaxy part of the main job produced (see :func:`run_galaxy_demo`).

    Attributes
    ----------
    run, index
        The galaxy run folder and the index folder.
    query
        The uploaded picture (a simulated galaxy the survey does not hold).
    result, table, figure
        The answer, as CSV, and drawn.
    seconds
        Wall time of each stage: ``train`` (0 when the run was there), ``index`` (rendering and
        embedding the survey: reused when built before), ``open``, ``query``, ``figure``.
    """

    run: Path
    index: Path
    query: Path
    result: SearchResult
    table: Path
    figure: Path
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoResult:
    """What the main job produced, and how long each stage took.

    Attributes
    ----------
    examples
        The bundled example light curves, transformed.
    catalog
        The survey catalogue.
    embeddings
        The survey's embeddings (Parquet).
    index
        The index folder.
    result
        The answer to the example query.
    table, figure
        The answer as CSV, and drawn.
    seconds
        Wall time of each stage: ``examples``, ``simulate``, ``embed``, ``index``, ``open``
        (reading the index), ``query`` (the first light-curve query loads the model) and
        ``figure`` (when drawn).
    reused
        Stages that found their output in place and computed nothing (``figure``: the same
        answer was drawn before).
    """

    examples: ExamplesResult
    catalog: Path
    embeddings: Path
    index: Path
    result: SearchResult
    table: Path
    figure: Path
    seconds: dict[str, float] = field(default_factory=dict)
    reused: frozenset[str] = frozenset()
    galaxies: GalaxyDemoResult | None = None


def transform_examples(
    wavelet_root: str | PathLike[str] = "wavelets", progress: bool = True
) -> ExamplesResult:
    """Transform the bundled example light curves and draw them; reuse whatever already exists.

    Parameters
    ----------
    wavelet_root
        Folder of the wavelet cache (``wavelets/`` of the project by default).
    progress
        Show progress bars.

    Examples
    --------
    >>> import tempfile
    >>> examples = transform_examples(tempfile.mkdtemp(), progress=False)
    >>> len(examples.transformed.images), examples.figure.name, examples.figure_was_cached
    (4, 'examples.png', False)
    """
    files = example_files()
    transformed = transform_files(files, wavelet_root, progress=progress)
    cache_dir = WaveletCache(wavelet_root).directory
    figure_path = cache_dir / "examples.png"
    cached = figure_path.exists()
    if not cached:
        series = [series_from_arrays(read_arrays(path)) for path in transformed.paths]
        titles = [
            f"{image.meta.get('object_id')} ({image.meta.get('mission')})"
            for image in transformed.images
        ]
        figure = plot_transforms(list(zip(series, transformed.images, strict=True)), titles)
        save_figure(figure, figure_path)
    return ExamplesResult(transformed, cache_dir, figure_path, cached)


def query_file(query: str | None) -> Path | None:
    """The light-curve file a query names (None: the bundled Kepler example), or None for an id.

    Examples
    --------
    >>> query_file(None).name
    'kplr010002792-2009259160929_llc.fits'
    >>> query_file("KIC 900000001") is None
    True
    """
    if query is None:
        return example_files("Kepler")[0]
    return Path(query) if Path(query).is_file() else None


def answer_query(search: SimilaritySearch, query: str | None = None, k: int = 8) -> SearchResult:
    """The ``k`` objects most similar to a light-curve file or a catalogued object id.

    ``query`` is read as a file when one exists at that path (see :func:`query_file`), else as an
    object id.

    Raises
    ------
    UnknownObject
        If ``query`` is neither a file nor a catalogued object.
    InvalidLightCurve
        If the file cannot be used.

    Examples
    --------
    >>> import numpy as np
    >>> from astrolens.catalog import Catalog
    >>> from astrolens.index import build_index
    >>> table = pd.DataFrame({"object_id": ["KIC 1", "KIC 2", "KIC 3"], "class": ["EA"] * 3})
    >>> vectors = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0]], dtype=np.float32)
    >>> index = build_index(vectors, table["object_id"], run="demo", progress=False)
    >>> result = answer_query(SimilaritySearch(index, Catalog(table)), "KIC 1", k=2)
    >>> print(table_text(result))
     rank object_id class  distance
        1     KIC 2    EA         1
        2     KIC 3    EA     7.071
    """
    path = query_file(query)
    if path is not None:
        return search.by_lightcurve(path, k)
    return search.by_object(str(query), k)


def table_text(result: SearchResult) -> str:
    """The result table as printed: the :data:`TABLE_COLUMNS` the catalogue has, rounded."""
    columns = [name for name in TABLE_COLUMNS if name in result.matches.columns]
    frame: pd.DataFrame = result.matches[columns]
    return frame.to_string(index=False, float_format=lambda value: f"{value:.4g}")


def run_demo(config: DemoConfig = DemoConfig(), progress: bool = True) -> DemoResult:
    """Run the main job as ``config`` says (see the module description); reuse what exists.

    Returns
    -------
    DemoResult
        Paths of everything written, the query's answer, and the time of each stage. The table,
        figure and a JSON record (configuration and times) are
        ``<results>/demo-search.{csv,png,json}``.

    Examples
    --------
    >>> result = run_demo(DemoConfig(survey="tiny", k=5))  # doctest: +SKIP
    >>> result.result.matches[["rank", "object_id", "class"]]  # doctest: +SKIP
    """
    from astrolens.embed import survey_embeddings
    from astrolens.encoders.backend import configure_backend
    from astrolens.pipeline import build_survey_index
    from astrolens.search import open_search

    run = config.run or "runs/default"
    if config.galaxies and not (config.galaxy_run_folder / CONFIG_FILE).is_file():
        configure_backend(threads=config.workers)  # before TensorFlow starts: training comes
    seconds: dict[str, float] = {}
    reused: set[str] = set()

    def stage(name: str, work: Callable[[], T], output: Callable[[T], Path] | None = None) -> T:
        started = time.time()
        value = work()
        seconds[name] = round(time.time() - started, 2)
        if output is not None and _older_than(output(value), started):
            reused.add(name)
        return value

    examples = stage("examples", lambda: transform_examples(config.wavelets, progress))
    if examples.figure_was_cached:
        reused.add("examples")
    catalog = stage(
        "simulate", lambda: _simulated_catalog(config.survey, config.catalogs, progress), Path
    )
    embeddings = stage(
        "embed",
        lambda: survey_embeddings(config.survey, run, workers=config.workers, progress=progress),
        Path,
    )
    index = stage(
        "index",
        lambda: build_survey_index(
            config.survey, run, config.index, workers=config.workers, progress=progress
        ),
        Path,
    )
    search = stage("open", lambda: open_search(index))
    result = stage("query", lambda: answer_query(search, config.query, config.k))
    results = Path(config.results)
    table, figure = results / f"{RESULT_STEM}.csv", results / f"{RESULT_STEM}.png"
    if _same_table(result, table) and figure.exists():
        reused.add("figure")
    else:
        started = time.time()
        drawn = search.plot_matches(result, lightcurve=query_file(config.query), n=config.k)
        save_figure(drawn, figure, dpi=80)
        result.to_csv(table)
        seconds["figure"] = round(time.time() - started, 2)
    record = {"config": config.to_dict(), "run": search.source.run, "seconds": seconds}
    with written_atomically(results / f"{RESULT_STEM}.json") as temporary:
        temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    galaxies = run_galaxy_demo(config, progress) if config.galaxies else None
    return DemoResult(
        examples,
        catalog,
        embeddings,
        index,
        result,
        table,
        figure,
        seconds,
        frozenset(reused),
        galaxies,
    )


def galaxy_train_config(config: DemoConfig) -> TrainConfig:
    """How the main job trains its galaxy encoder when none is there: ``config.galaxy_encoder``
    on ``config.galaxy_survey``, supervised where it learns (a network small enough to train in
    minutes on 2 cores: 8 to 64 filters, a 32-d embedding).

    >>> galaxy_train_config(DemoConfig()).encoder
    'morphology_galaxy'
    >>> cnn = galaxy_train_config(DemoConfig(galaxy_encoder="galaxy_cnn"))
    >>> cnn.encoder, cnn.filters, cnn.epochs
    ('galaxy_cnn', (8, 16, 32, 64), 6)
    """
    return TrainConfig(
        survey=config.galaxy_survey,
        encoder=config.galaxy_encoder,
        objective="supervised",
        epochs=config.galaxy_epochs,
        batch_size=128,
        filters=(8, 16, 32, 64),
        embedding_dim=32,
        period_bins=0,
        workers=config.workers,
        threads=config.workers,
    )


def galaxy_query(config: DemoConfig) -> Path:
    """The main job's galaxy query: a :data:`GALAXY_QUERY_CLASS` galaxy of a survey drawn with
    :data:`GALAXY_QUERY_SEED` (not one the index holds), saved as a PNG picture under
    ``config.results`` as a user would upload it."""
    from PIL import Image

    from astrolens.modalities.galaxy import survey_cutout
    from astrolens.simulate.cache import generate_survey_catalog

    catalog = generate_survey_catalog(survey_config(config.galaxy_survey, GALAXY_QUERY_SEED))
    row = catalog[catalog["class"] == GALAXY_QUERY_CLASS].iloc[0]
    path = Path(config.results) / f"{GALAXY_STEM}-query.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    with written_atomically(path) as temporary:
        Image.fromarray(survey_cutout(row)).save(temporary, format="PNG")
    return path


def run_galaxy_demo(config: DemoConfig = DemoConfig(), progress: bool = True) -> GalaxyDemoResult:
    """The galaxy part of the main job: train the galaxy encoder unless its run is there
    (:func:`galaxy_train_config`), index the survey (reused when built), answer
    :func:`galaxy_query`; the table, figure and a JSON record are
    ``<results>/demo-galaxy-search.{csv,png,json}``.
    """
    from astrolens.pipeline import build_survey_index
    from astrolens.search import open_search
    from astrolens.training import train

    seconds: dict[str, float] = {}
    run = config.galaxy_run_folder
    started = time.time()
    if not (run / CONFIG_FILE).is_file():
        train(galaxy_train_config(config), run.parent, name=run.name, progress=progress)
    elif (trained := read_run_config(run)["train"]["encoder"]) != config.galaxy_encoder:
        raise ValueError(
            f"{run}: a run of the {trained} encoder, not {config.galaxy_encoder}; move it away "
            "or give another galaxy run folder"
        )
    seconds["train"] = round(time.time() - started, 2)
    started = time.time()
    index = build_survey_index(config.galaxy_survey, run, workers=config.workers, progress=progress)
    seconds["index"] = round(time.time() - started, 2)
    started = time.time()
    search = open_search(index)
    seconds["open"] = round(time.time() - started, 2)
    query = galaxy_query(config)
    started = time.time()
    result = search.by_image(query, config.k)
    seconds["query"] = round(time.time() - started, 2)
    results = Path(config.results)
    table, figure = results / f"{GALAXY_STEM}.csv", results / f"{GALAXY_STEM}.png"
    if not (_same_table(result, table) and figure.exists()):  # else: drawn already
        started = time.time()
        save_figure(search.plot_matches(result, lightcurve=query, n=config.k), figure, dpi=80)
        result.to_csv(table)
        seconds["figure"] = round(time.time() - started, 2)
    record = {"config": config.to_dict(), "run": search.source.run, "seconds": seconds}
    with written_atomically(results / f"{GALAXY_STEM}.json") as temporary:
        temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return GalaxyDemoResult(run, index, query, result, table, figure, seconds)


def _simulated_catalog(survey: str, out_dir: str, progress: bool) -> Path:
    """The survey's catalogue in ``out_dir``: written unless one of the same survey is there."""
    config = survey_config(survey)
    path = catalog_path(config, out_dir)
    provenance = path.with_suffix(".json")
    if path.exists() and provenance.exists():
        saved = json.loads(provenance.read_text(encoding="utf-8")).get("survey")
        if saved == json.loads(json.dumps(config.to_dict())):
            return path
    return write_survey(config, out_dir, progress=progress)


def _same_table(result: SearchResult, path: Path) -> bool:
    """Whether ``path`` holds exactly the matches of ``result`` (as its CSV)."""
    if not path.exists():
        return False
    return path.read_text(encoding="utf-8") == result.matches.to_csv(index=False)


def _older_than(path: Path, started: float) -> bool:
    """Whether nothing in ``path`` (a file, or a folder's files) changed since ``started``."""
    files = [path] if path.is_file() else [item for item in path.rglob("*") if item.is_file()]
    return bool(files) and max(item.stat().st_mtime for item in files) < started
