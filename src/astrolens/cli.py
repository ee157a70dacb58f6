"""The ``astrolens`` command: every stage of the pipeline from a terminal.

Each subcommand parses its arguments and calls one library function; errors in the input end the
command with a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from astrolens.encoders import encoder_names
from astrolens.errors import AstrolensError
from astrolens.objectives import objective_names
from astrolens.quiet import quiet_tensorflow_import

__all__ = ["main"]

EXIT_BAD_INPUT = 2

DEFAULT_INDEX = Path("indexes/demo-default")
"""The index folder ``search`` and ``serve`` use when given none (``astrolens index build``)."""


def _command_transform(args: argparse.Namespace) -> None:
    from astrolens.transform import transform_files

    result = transform_files(
        args.files,
        args.out,
        flux_column=args.flux_column,
        errors="skip" if args.skip_bad else "raise",
        progress=not args.quiet,
    )
    for path, image in zip(result.paths, result.images, strict=True):
        valid = image.mask.mean()
        print(f"{path}  ->  {image.object_id}  ({valid:.0%} of pixels valid)")
    for path, reason in result.skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)


def _command_fetch(args: argparse.Namespace) -> None:
    from astrolens.sources import download

    paths = download(
        args.target,
        mission=args.mission,
        author=args.author,
        exptime=args.exptime,
        quarter=args.quarter,
        campaign=args.campaign,
        sector=args.sector,
        radius=args.radius,
        progress=not args.quiet,
    )
    for path in paths:
        print(path)


def _command_simulate(args: argparse.Namespace) -> None:
    from astrolens.simulate import simulate_survey

    seed = {} if args.seed is None else {"seed": args.seed}
    path = simulate_survey(
        args.size, out_dir=args.out, progress=not args.quiet, cadences=args.cadences, **seed
    )
    print(path)


def _command_demo(args: argparse.Namespace) -> None:
    from astrolens.demo import DemoConfig, run_demo, table_text
    from astrolens.index.folder import read_index_source

    config = DemoConfig(
        survey=args.survey,
        run=None if args.run_folder is None else str(args.run_folder),
        wavelets=str(args.wavelets),
        catalogs=str(args.catalogs),
        index=None if args.index is None else str(args.index),
        results=str(args.results),
        query=args.query,
        k=args.k,
        workers=args.workers,
        galaxies=args.galaxies,
        galaxy_survey=args.galaxy_survey,
        galaxy_encoder=args.galaxy_encoder,
    )
    result = run_demo(config, progress=not args.quiet)
    examples = result.examples
    print(f"{len(examples.transformed.images)} example light curves -> {examples.cache_dir}")
    for path, image in zip(examples.transformed.paths, examples.transformed.images, strict=True):
        mission = image.meta.get("mission")
        print(f"  {image.meta.get('object_id'):<16} {mission:<7} {path.name}")
    state = "already there" if examples.figure_was_cached else "written"
    print(f"figure ({state}): {examples.figure}")
    stages = (
        ("simulate", "catalogue", result.catalog),
        ("embed", "embeddings", result.embeddings),
        ("index", "index", result.index),
    )
    for stage, what, path in stages:
        state = "reused" if stage in result.reused else "made"
        print(f"{what} ({state}, {result.seconds[stage]:.1f} s): {path}")
    answer = result.result
    source = read_index_source(result.index)
    print(
        f"\n{answer.query.label}: the {len(answer)} most similar of the {config.survey} survey "
        f"({_answered_by(Path(source.run_path), source.run)})"
    )
    print(table_text(answer))
    print(f"\ntable: {result.table}\nresult figure: {result.figure}")
    print("seconds: " + ", ".join(f"{stage} {time:.1f}" for stage, time in result.seconds.items()))
    indexes = [result.index]
    galaxies = result.galaxies
    if galaxies is not None:
        indexes.append(galaxies.index)
        print(
            f"\n{galaxies.query} (a simulated galaxy the index does not hold): the "
            f"{len(galaxies.result)} most similar of the {config.galaxy_survey} survey "
            f"({_answered_by(galaxies.run, read_index_source(galaxies.index).run)})"
        )
        print(table_text(galaxies.result))
        if galaxies.result.domain is not None and galaxies.result.domain.warning:
            print(f"warning: {galaxies.result.domain.warning}")
        print(f"\ntable: {galaxies.table}\nresult figure: {galaxies.figure}")
        print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in galaxies.seconds.items()))
    if args.serve:
        from astrolens.web import serve

        shown = " and ".join(str(index) for index in indexes)
        print(f"serving {shown} on http://{args.host}:{args.port}/ (Ctrl+C stops)")
        serve(indexes, args.host, args.port)


def _command_train(args: argparse.Namespace) -> None:
    from astrolens.encoders import encoder_class
    from astrolens.training import TrainConfig, train

    encoder = args.encoder or TrainConfig.encoder
    changes = {
        "encoder": encoder,
        "objective": args.objective or encoder_class(encoder).objectives[0],
        "survey": args.survey,
        "epochs": args.epochs,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "patience": args.patience,
        "period_bins": args.period_bins,
        "neighbour_weight": args.neighbour_weight,
        "neighbour_sigma_dex": args.neighbour_sigma_dex,
        "labels_per_class": args.labels_per_class,
        "threads": args.threads,
        "model_file": None if args.model is None else str(args.model),
    }
    config = TrainConfig(**{key: value for key, value in changes.items() if value is not None})
    run = train(
        config, args.runs, name=args.name, progress=not args.quiet, cache_root=args.wavelets
    )
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    retrieval = metrics["retrieval"]
    precision = retrieval[f"precision_at_{retrieval['k']}"]
    print(f"run: {run}")
    print(
        f"test accuracy {metrics['test']['accuracy']:.4f}, retrieval precision@{retrieval['k']} "
        f"{precision:.4f} ({metrics['test'].get('classifier', 'class head')}), "
        f"{metrics['epochs_run']} epochs in {metrics['timing_seconds']['fit']} s"
    )


def _command_embed(args: argparse.Namespace) -> None:
    from astrolens.embed import embed_files, embed_survey

    if bool(args.files) == bool(args.survey):
        raise ValueError("give light-curve files or --survey NAME (one of them)")
    if args.dask:
        _command_embed_dask(args)
        return
    if args.scheduler or args.partition_size:
        raise ValueError("--scheduler and --partition-size go with --dask")
    common = {
        "run": args.run_folder,
        "errors": "skip" if args.skip_bad or args.survey else "raise",
        "workers": 2 if args.workers is None else args.workers,
        "progress": not args.quiet,
    }
    out = args.out or Path("embeddings.parquet")
    if args.survey:
        result = embed_survey(args.survey, out, **common)
    else:
        result = embed_files(args.files, out, flux_column=args.flux_column, **common)
    print(f"{result.n_embedded} embeddings -> {result.path}")
    for source, reason in result.skipped:
        print(f"skipped {source}: {reason}", file=sys.stderr)


def _command_embed_dask(args: argparse.Namespace) -> None:
    from astrolens.distributed import PARTITION_SIZE, embed_survey_dask

    if not args.survey:
        raise ValueError("--dask embeds a simulated survey: give --survey NAME, not files")
    result = embed_survey_dask(
        args.survey,
        args.out or Path("embeddings"),
        run=args.run_folder,
        scheduler=args.scheduler,
        workers=args.workers,
        partition_size=args.partition_size or PARTITION_SIZE,
        progress=not args.quiet,
    )
    print(
        f"{result.n_embedded} embeddings -> {result.path} ({result.n_partitions} partitions, "
        f"{len(result.computed)} computed now)"
    )
    for source, reason in result.skipped:
        print(f"skipped {source}: {reason}", file=sys.stderr)


def _command_index_build(args: argparse.Namespace) -> None:
    from astrolens.index import backend_settings
    from astrolens.index.folder import read_index_source
    from astrolens.pipeline import build_embeddings_index, build_survey_index

    options = {"uri": args.uri, "collection": args.collection}
    options = {name: value for name, value in options.items() if value is not None}
    refused = sorted(set(options) - backend_settings(args.backend))
    if refused:
        given = ", ".join(f"--{name}" for name in refused)
        raise ValueError(f"--backend {args.backend} takes no {given}")
    backend = {"backend": args.backend, "backend_options": options}
    if args.embeddings is not None and args.embeddings.is_dir():  # a folder of `embed --dask`
        if args.catalog is not None:
            raise ValueError(
                "--catalog goes with a Parquet --embeddings; a --survey brings its own"
            )
        folder = build_survey_index(
            args.survey,
            args.run_folder or "runs/default",
            args.out,
            factory=args.factory,
            progress=not args.quiet,
            embeddings=args.embeddings,
            **backend,
        )
    elif args.embeddings is not None:
        if args.catalog is None or args.out is None:
            raise ValueError("--embeddings needs --catalog (its objects) and --out (the folder)")
        folder = build_embeddings_index(
            args.embeddings,
            args.catalog,
            args.out,
            run=args.run_folder,
            factory=args.factory,
            duplicates=args.duplicates,
            progress=not args.quiet,
            **backend,
        )
    else:
        if args.catalog is not None:
            raise ValueError("--catalog goes with --embeddings; a --survey brings its own")
        folder = build_survey_index(
            args.survey,
            args.run_folder or "runs/default",
            args.out,
            factory=args.factory,
            workers=args.workers,
            progress=not args.quiet,
            **backend,
        )
    source = read_index_source(folder)
    print(
        f"{folder}: {source.n_indexed} objects of {source.survey} (catalogue fingerprint "
        f"{source.catalog_fingerprint['exact'][:12]}), model run {source.run}, "
        f"written {source.created}"
    )


def _command_search(args: argparse.Namespace) -> None:
    from astrolens.demo import table_text
    from astrolens.plots import save_figure
    from astrolens.search import (
        MAX_K,
        Filters,
        SearchConfig,
        check_writable_file,
        open_search,
        parse_range,
    )
    from astrolens.sources.reader import read_as_asked

    if (args.ra is None) != (args.dec is None):
        raise ValueError("--ra and --dec go together")
    if not 1 <= args.k <= MAX_K:
        raise ValueError(f"-k must be between 1 and {MAX_K}, got {args.k}")
    for output in (args.csv, args.figure):
        if output is not None:
            check_writable_file(output)
    filters = Filters(
        classes=args.classes,
        missions=args.missions,
        mag_window=args.mag_window,
        ranges=dict(parse_range(text) for text in args.ranges),
    )
    if args.files is None and (args.band is not None or args.flux_column is not None):
        raise ValueError(f"--{'band' if args.band is not None else 'flux-column'} goes with --file")
    query_files = [read_as_asked(path, args.band, args.flux_column) for path in args.files or []]
    search = open_search(
        args.index, config=SearchConfig(period_pool=0) if args.embedding_order else None
    )
    if args.ids:
        if len(args.ids) == 1:
            result = search.by_object(args.ids[0], args.k, filters=filters)
        else:
            result = search.by_examples(args.ids, args.k, filters=filters, combine=args.combine)
    elif args.ra is not None:
        result = search.by_coordinates(
            (args.ra, args.dec), args.k, radius_arcsec=args.radius, filters=filters
        )
    elif len(query_files) == 1:
        result = search.by_input(query_files[0], args.k, filters=filters)
    elif query_files:
        labels = [path.name for path in args.files]
        result = search.by_inputs(
            query_files, args.k, filters=filters, combine=args.combine, labels=labels
        )
    else:
        result = search.random(args.k, seed=args.seed, filters=filters)
    separation = result.query.separation_arcsec
    at = "" if separation is None else f" ({separation:.2f} arcsec from the position)"
    if len(result) == 0:
        survey = search.source.survey
        raise ValueError(f"{result.query.label}: no object of {survey} passes the filters")
    print(
        f"{result.query.label}{at}: the {len(result)} most similar of {search.source.survey}"
        f" ({_answered_by(search.run_path, search.index.run)})"
    )
    if result.domain is not None and result.domain.warning is not None:
        print(f"warning: {result.query.label} is {result.domain.warning}", file=sys.stderr)
    print(table_text(result))
    if args.csv is not None:
        print(f"table: {result.to_csv(args.csv)}")
    if args.figure is not None:
        drawn = query_files[0] if len(query_files) == 1 else None  # several: the matches only
        figure = search.plot_matches(result, lightcurve=drawn, n=min(len(result), 12))
        print(f"figure: {save_figure(figure, args.figure)}")


def _answered_by(run_path: Path, run: str) -> str:
    """``"encoder hybrid_cnn, run default@3f2a9c1b0d4e"``: what made the embeddings searched."""
    from astrolens.runs import encoder_name_or_unknown

    return f"encoder {encoder_name_or_unknown(run_path)}, run {run}"


def _command_serve(args: argparse.Namespace) -> None:
    from astrolens.web import WebConfig, serve

    if args.max_upload_mb <= 0:
        raise ValueError(f"--max-upload-mb must be positive, got {args.max_upload_mb}")
    config = WebConfig(
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        upload_timeout_seconds=args.upload_timeout,
        allowed_hosts=(*WebConfig().allowed_hosts, *args.allow_hosts),
        allowed_origins=tuple(args.allow_origins),
    )
    folders = args.index or [DEFAULT_INDEX]
    serve(folders, args.host, args.port, config=config, workers=args.workers)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="astrolens",
        description="What else looks like this? Similarity search over light curves.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str,
        run: Callable[[argparse.Namespace], None],
        help: str,
        example: str,
        parent: Any = commands,
        notes: str = "",
    ):
        epilog = "example:\n" + textwrap.indent(example, "  ")
        sub = parent.add_parser(
            name,
            help=help,
            description=help,
            epilog=f"{epilog}\n\n{notes}" if notes else epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    demo = add(
        "demo",
        _command_demo,
        "Run the main job offline: simulate a survey, embed it, index it, answer an example query.",
        "astrolens demo\n"
        "astrolens demo --survey tiny --query path/to/kplr_llc.fits -k 5\n"
        "astrolens demo --serve --port 8000",
    )
    demo.add_argument(
        "--survey",
        choices=[
            f"{size}{mix}" for mix in ("", "-mixed") for size in ("tiny", "small", "demo", "large")
        ],
        default="small-mixed",
        help="simulated survey (default small-mixed: 5,000 Kepler, TESS and ground-based light "
        "curves; demo-mixed: the 20,000 the default model was trained on)",
    )
    demo.add_argument(
        "--run", dest="run_folder", type=Path, help="model run folder (default: runs/default)"
    )
    demo.add_argument(
        "--query", help="object id or light-curve file (default: the bundled Kepler light curve)"
    )
    demo.add_argument("-k", type=int, default=8, help="number of matches")
    demo.add_argument("--workers", type=int, default=2, help="processes computing power images")
    demo.add_argument(
        "--wavelets", type=Path, default=Path("wavelets"), help="cache of the examples' images"
    )
    demo.add_argument("--catalogs", type=Path, default=Path("catalogs"), help="catalog folder")
    demo.add_argument("--index", type=Path, help="index folder (default: indexes/<survey>-<run>)")
    demo.add_argument(
        "--results", type=Path, default=Path("results"), help="folder of the result table, figure"
    )
    demo.add_argument(
        "--no-galaxies",
        dest="galaxies",
        action="store_false",
        help="skip the galaxy images (training the galaxy encoder takes minutes the first time)",
    )
    demo.add_argument(
        "--galaxy-survey",
        choices=["galaxies-tiny", "galaxies-small", "galaxies-demo", "galaxies-large"],
        default="galaxies-small",
        help="simulated galaxy survey of the galaxy part (default galaxies-small: 5,000 cutouts)",
    )
    demo.add_argument(
        "--galaxy-encoder",
        choices=["morphology_galaxy", "galaxy_cnn", "contrastive_galaxy"],
        default="morphology_galaxy",
        help="encoder of the galaxy part (default morphology_galaxy: measured, no network to "
        "train; galaxy_cnn trains a network, about 6 minutes more on 2 cores)",
    )
    demo.add_argument("--serve", action="store_true", help="then serve the web app")
    demo.add_argument("--host", default="127.0.0.1", help="address the web app listens on")
    demo.add_argument("--port", type=int, default=8000, help="port of the web app")

    simulate = add(
        "simulate",
        _command_simulate,
        "Simulate a labelled survey (catalog of objects; light curves are regenerated on demand).",
        "astrolens simulate --size tiny\nastrolens simulate --size demo --seed 7 --out catalogs\n"
        "astrolens simulate --size demo --cadences mixed",
    )
    simulate.add_argument(
        "--size", choices=["tiny", "demo", "large"], default="demo", help="named survey size"
    )
    simulate.add_argument("--seed", type=int, help="random seed (default: the survey's own)")
    simulate.add_argument(
        "--cadences",
        choices=["space", "mixed"],
        default="space",
        help="Kepler and TESS only (default), or ground-based surveys too (OGLE, MACHO, ASAS, ZTF; "
        "written as <size>-mixed)",
    )
    simulate.add_argument("--out", type=Path, default=Path("catalogs"), help="catalog folder")

    transform = add(
        "transform",
        _command_transform,
        "Compute (and cache) the wavelet power images of light-curve files.",
        "astrolens transform kplr*_llc.fits tess*_lc.fits --out wavelets",
    )
    transform.add_argument("files", nargs="+", type=Path, help="FITS or CSV light curves")
    transform.add_argument("--out", type=Path, default=Path("wavelets"), help="cache folder")
    transform.add_argument(
        "--flux-column", default="pdcsap_flux", help="FITS flux column (pdcsap_flux or sap_flux)"
    )
    transform.add_argument(
        "--skip-bad", action="store_true", help="skip unusable files (listed) instead of stopping"
    )

    fetch = add(
        "fetch",
        _command_fetch,
        "Download Kepler/K2/TESS light curves from MAST into the local cache.",
        'astrolens fetch "KIC 10002792" --mission Kepler --quarter 2\n'
        'astrolens fetch "TIC 358108509" --sector 1',
    )
    fetch.add_argument("target", help='name, "KIC n"/"EPIC n"/"TIC n", or "RA Dec" in degrees')
    fetch.add_argument("--mission", choices=["Kepler", "K2", "TESS"])
    fetch.add_argument("--author", help="pipeline (default: the mission's own: Kepler, K2, SPOC)")
    fetch.add_argument("--exptime", help='exposure time in s, or "long"/"short"/"fast"')
    fetch.add_argument("--quarter", type=int)
    fetch.add_argument("--campaign", type=int)
    fetch.add_argument("--sector", type=int)
    fetch.add_argument("--radius", type=float, help="search radius in arcsec (coordinates)")

    train = add(
        "train",
        _command_train,
        "Train an encoder (default: the wavelet CNN) on a simulated survey into a new run.",
        "astrolens train --survey demo --name default\n"
        "astrolens train --survey demo --encoder features --name features\n"
        "astrolens train --survey tiny --epochs 2 --model model.py",
    )
    train.add_argument(
        "--encoder",
        choices=encoder_names(),
        help="encoder to train: wavelet_cnn (default), hybrid_cnn, metric_hybrid (metric learning "
        "from physical parameters), the self-supervised contrastive_hybrid, masked_hybrid, "
        "autoencoder_hybrid, features (the non-neural baseline); for galaxy images "
        "contrastive_galaxy, masked_galaxy, autoencoder_galaxy, galaxy_cnn or morphology_galaxy "
        "(the non-neural baseline: CAS, Gini-M20 and colours)",
    )
    train.add_argument(
        "--objective",
        choices=objective_names(),
        help="what it learns (default: the encoder's own; supervised for the CNNs, parameters "
        "for metric_hybrid)",
    )
    train.add_argument(
        "--survey",
        help="simulated survey: tiny, demo (default) or large (-mixed: with ground-based light "
        "curves); galaxies-tiny, galaxies-small, galaxies-demo or galaxies-large for the galaxy "
        "encoders",
    )
    train.add_argument("--name", help="run folder name (default: <survey>-<UTC time>)")
    train.add_argument("--runs", type=Path, default=Path("runs"), help="folder of the runs")
    train.add_argument("--model", type=Path, help="Python file with build_model(), e.g. model.py")
    train.add_argument("--epochs", type=int, help="most epochs (early stopping may end sooner)")
    train.add_argument("--seed", type=int, help="seed of split, weights and augmentation")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--patience", type=int, help="epochs without improvement before stopping")
    train.add_argument("--threads", type=int, help="TensorFlow threads")
    train.add_argument(
        "--period-bins", type=int, help="bins of the period head (0: no period head; default 128)"
    )
    train.add_argument(
        "--neighbour-weight",
        type=float,
        help="weight of the loss that makes an object's nearest neighbours of its class and "
        "period (supervised objective; 0: none)",
    )
    train.add_argument(
        "--neighbour-sigma-dex",
        type=float,
        help="how near in log10 period two objects of a class must be to count as neighbours in "
        "that loss (the width of its Gaussian; default 0.02)",
    )
    train.add_argument(
        "--labels-per-class",
        type=int,
        help="train and validate with only this many labelled objects of each class (a few-label "
        "baseline; default: all)",
    )
    train.add_argument(
        "--wavelets", type=Path, default=Path("wavelets"), help="cache of power images"
    )

    embed = add(
        "embed",
        _command_embed,
        "Embed light curves (files or a simulated survey) with a trained model, into Parquet.",
        "astrolens embed kplr*_llc.fits --out embeddings.parquet\n"
        "astrolens embed --survey demo --run runs/default --out catalogs/demo-embeddings.parquet\n"
        "astrolens embed --survey large --dask --scheduler tcp://HOST:8786 --out large-embeddings",
    )
    embed.add_argument("files", nargs="*", type=Path, help="FITS or CSV light curves")
    embed.add_argument("--survey", help="embed a simulated survey instead: tiny, demo or large")
    embed.add_argument(
        "--out",
        type=Path,
        help="Parquet file to write (default embeddings.parquet); with --dask, the folder of "
        "partitions (default embeddings), resumed if it holds the same job",
    )
    embed.add_argument(
        "--run",
        dest="run_folder",
        type=Path,
        help="run folder of the model (default: runs/default)",
    )
    embed.add_argument(
        "--workers",
        type=int,
        help="processes reading light curves (default 2; with --dask: local Dask workers, "
        "default one per CPU)",
    )
    embed.add_argument(
        "--flux-column", help="FITS flux column (default: the run's, pdcsap_flux; or sap_flux)"
    )
    embed.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unusable files (listed) instead of stopping (always for --survey)",
    )
    embed.add_argument(
        "--dask",
        action="store_true",
        help="embed the --survey as Dask tasks, one Parquet file per partition of the catalogue",
    )
    embed.add_argument(
        "--scheduler",
        help="with --dask: a running Dask scheduler, tcp://HOST:8786 (default: a local cluster)",
    )
    embed.add_argument(
        "--partition-size", type=int, help="with --dask: catalogue rows per task (default 1024)"
    )

    index = commands.add_parser(
        "index", help="Build similarity indexes.", description="Build similarity indexes."
    )
    index_commands = index.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = add(
        "build",
        _command_index_build,
        "Index the embeddings of a simulated survey (or of files) with its catalogue, in a folder.",
        "astrolens index build --run runs/default --survey demo\n"
        "astrolens index build --survey tiny --out indexes/tiny --factory Flat\n"
        "astrolens index build --embeddings embeddings.parquet --catalog objects.csv "
        "--out indexes/mine --duplicates source\n"
        "astrolens index build --survey demo --backend milvus --uri http://127.0.0.1:19530\n"
        "astrolens index build --survey large --embeddings large-embeddings  # of embed --dask",
        parent=index_commands,
    )
    build.add_argument(
        "--survey",
        default="demo",
        help="simulated survey: tiny, demo or large (-mixed too; galaxies-... for a galaxy run)",
    )
    build.add_argument(
        "--run",
        dest="run_folder",
        type=Path,
        help="run folder of the model (default: runs/default; with --embeddings: the one that "
        "made them)",
    )
    build.add_argument("--out", type=Path, help="index folder (default: indexes/<survey>-<run>)")
    build.add_argument(
        "--factory", help='FAISS index type, e.g. "Flat", "IVF1024,Flat" (default: by size)'
    )
    build.add_argument(
        "--backend",
        default="faiss",
        help="where the vectors live: faiss (files in the folder) or milvus (a Milvus server)",
    )
    build.add_argument(
        "--uri", help="with --backend milvus: the Milvus server, e.g. http://127.0.0.1:19530"
    )
    build.add_argument(
        "--collection",
        help="with --backend milvus: the collection to (re)write (default: astrolens_<run>)",
    )
    build.add_argument("--workers", type=int, default=2, help="processes embedding the survey")
    build.add_argument(
        "--embeddings",
        type=Path,
        help="Parquet of `astrolens embed` (with --catalog), or the folder of `astrolens embed "
        "--survey S --dask` (with --survey S) to index instead of embedding the survey",
    )
    build.add_argument("--catalog", type=Path, help="CSV/Parquet catalogue of the embedded objects")
    build.add_argument(
        "--duplicates",
        choices=["raise", "source"],
        default="raise",
        help="an object with several light curves: refuse (raise) or index each one as "
        "'<object_id> [<file stem>]' (source)",
    )

    search = add(
        "search",
        _command_search,
        "Find the objects most similar to an object, a sky position, a light-curve file.",
        'astrolens search --id "KIC 900000003" -k 5\n'
        'astrolens search --id "KIC 900000003" --id "KIC 900000011" --combine rrf --class RRab\n'
        "astrolens search --ra 19:22:40.1 --dec=+44:30:00 --radius 3\n"
        "astrolens search --file kplr010002792-2009259160929_llc.fits --csv matches.csv "
        "--figure matches.png\n"
        "astrolens search --index indexes/galaxies-small-galaxy-demo --file m51.jpg --file "
        "ngc4622.png -k 12\n"
        "astrolens search --random --seed 3 --mission TESS --range period_days:0.5:2",
    )
    search.add_argument(
        "--index",
        type=Path,
        default=DEFAULT_INDEX,
        help="index folder (default: indexes/demo-default, from `astrolens index build`)",
    )
    query = search.add_mutually_exclusive_group(required=True)
    query.add_argument(
        "--id",
        dest="ids",
        action="append",
        help="catalogued object id; repeat it for one query of several examples",
    )
    query.add_argument("--ra", help="right ascension: degrees or hours (19:22:40.1, 19h22m40s)")
    query.add_argument(
        "--file",
        dest="files",
        type=Path,
        action="append",
        help="FITS or CSV light curve (or, for an index of galaxy images, a JPEG, PNG or FITS "
        "cutout), embedded by the model; repeat it for one query of several examples",
    )
    query.add_argument("--random", action="store_true", help="a random object of the index")
    search.add_argument(
        "--band",
        help="band of the --file tables of several bands (g, r, ...), or 'all' for all of them",
    )
    search.add_argument(
        "--flux-column",
        help="flux or magnitude column of the --file light curves (any case; default: "
        "PDCSAP_FLUX, else the first of the usual names)",
    )
    search.add_argument("--dec", help="declination in degrees (--dec=-30:00:00 when negative)")
    search.add_argument("--radius", type=float, help="largest distance to --ra/--dec, arcsec")
    search.add_argument(
        "--combine",
        choices=["centroid", "rrf"],
        default="centroid",
        help="how several --id or --file combine: their centroid, or reciprocal-rank fusion",
    )
    search.add_argument("--seed", type=int, help="seed of --random")
    search.add_argument("-k", type=int, default=10, help="number of matches (default 10)")
    search.add_argument("--class", dest="classes", action="append", help="keep this class")
    search.add_argument("--mission", dest="missions", action="append", help="keep this mission")
    search.add_argument(
        "--mag-window", type=float, help="keep matches within this many mag of the query"
    )
    search.add_argument(
        "--range",
        dest="ranges",
        action="append",
        default=[],
        metavar="COLUMN:MIN:MAX",
        help="keep matches with MIN <= COLUMN <= MAX (repeatable; an empty end is open)",
    )
    search.add_argument(
        "--embedding-order",
        action="store_true",
        help="rank a --file's matches by embedding distance alone, not first those whose "
        "period its own periodogram supports",
    )
    search.add_argument("--csv", type=Path, help="write the matches to this CSV file")
    search.add_argument("--figure", type=Path, help="draw the query and its matches to this PNG")

    serve = add(
        "serve",
        _command_serve,
        "Serve the web page and REST API of one or more indexes (OpenAPI schema at /docs).",
        "astrolens serve --index indexes/demo-default\n"
        "astrolens serve --index indexes/demo-default --index indexes/demo-features\n"
        "astrolens serve --index indexes/demo-default --host 0.0.0.0 --port 8080 "
        "--allow-host lens.example.org --allow-origin https://portal.example.org",
        notes="several indexes (--index repeated; one per encoder, say) are served together\n"
        "under their folder names, the first by default: the page gets an Encoder choice that\n"
        "runs the query again on another index, the API takes index=NAME on every endpoint\n"
        "(GET /api/indexes lists them), and every answer names the encoder that gave it.",
    )
    serve.add_argument(
        "--index",
        type=Path,
        action="append",
        help="index folder; repeat it to serve several, the first by default "
        "(default: indexes/demo-default, from `astrolens index build`)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default local)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--max-upload-mb", type=float, default=16.0, help="largest light-curve upload, MiB"
    )
    serve.add_argument(
        "--upload-timeout",
        type=float,
        default=30.0,
        help="seconds an upload may take to arrive (default 30)",
    )
    serve.add_argument(
        "--allow-host",
        dest="allow_hosts",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name requests may address besides this machine's ('*': any; repeatable)",
    )
    serve.add_argument(
        "--allow-origin",
        dest="allow_origins",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web page allowed to call the API, e.g. https://portal.example.org ('*': any; "
        "repeatable)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes sharing the loaded indexes (default: one per core, at most 4)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up log lines
    quiet_tensorflow_import()  # and those this setting no longer reaches
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except (AstrolensError, OSError, ValueError) as error:  # bad input: one line, no traceback
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"astrolens {args.command}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
