"""The ``astrolens`` command: every stage of the pipeline from a terminal.

Each subcommand parses its arguments and calls one library function; errors in the input end the
command with a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from astrolens.errors import AstrolensError

__all__ = ["main"]

EXIT_BAD_INPUT = 2


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
    path = simulate_survey(args.size, out_dir=args.out, progress=not args.quiet, **seed)
    print(path)


def _command_demo(args: argparse.Namespace) -> None:
    from astrolens.demo import run_demo

    result = run_demo(args.wavelets, progress=not args.quiet)
    print(f"{len(result.transformed.images)} example light curves -> {result.cache_dir}")
    for path, image in zip(result.transformed.paths, result.transformed.images, strict=True):
        mission = image.meta.get("mission")
        print(f"  {image.meta.get('object_id'):<16} {mission:<7} {path.name}")
    state = "already there" if result.figure_was_cached else "written"
    print(f"figure ({state}): {result.figure}")


def _command_train(args: argparse.Namespace) -> None:
    from astrolens.training import TrainConfig, train

    changes = {
        "survey": args.survey,
        "epochs": args.epochs,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "patience": args.patience,
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
        f"{precision:.4f}, {metrics['epochs_run']} epochs in {metrics['timing_seconds']['fit']} s"
    )


def _command_embed(args: argparse.Namespace) -> None:
    from astrolens.embed import embed_files, embed_survey

    if bool(args.files) == bool(args.survey):
        raise ValueError("give light-curve files or --survey NAME (one of them)")
    common = {
        "run": args.run_folder,
        "errors": "skip" if args.skip_bad or args.survey else "raise",
        "workers": args.workers,
        "progress": not args.quiet,
    }
    if args.survey:
        result = embed_survey(args.survey, args.out, **common)
    else:
        result = embed_files(args.files, args.out, flux_column=args.flux_column, **common)
    print(f"{result.n_embedded} embeddings -> {result.path}")
    for source, reason in result.skipped:
        print(f"skipped {source}: {reason}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="astrolens",
        description="What else looks like this? Similarity search over light curves.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Callable[[argparse.Namespace], None], help: str, example: str):
        sub = commands.add_parser(
            name,
            help=help,
            description=help,
            epilog="example:\n" + textwrap.indent(example, "  "),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    demo = add(
        "demo",
        _command_demo,
        "Run the main job on the data that ships offline.",
        "astrolens demo",
    )
    demo.add_argument("--wavelets", type=Path, default=Path("wavelets"), help="cache folder")

    simulate = add(
        "simulate",
        _command_simulate,
        "Simulate a labelled survey (catalog of objects; light curves are regenerated on demand).",
        "astrolens simulate --size tiny\nastrolens simulate --size demo --seed 7 --out catalogs",
    )
    simulate.add_argument(
        "--size", choices=["tiny", "demo", "large"], default="demo", help="named survey size"
    )
    simulate.add_argument("--seed", type=int, help="random seed (default: the survey's own)")
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
        "Train the wavelet CNN on a simulated survey into a new run folder.",
        "astrolens train --survey demo --name default\n"
        "astrolens train --survey tiny --epochs 2 --model model.py",
    )
    train.add_argument("--survey", help="simulated survey: tiny, demo (default) or large")
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
        "--wavelets", type=Path, default=Path("wavelets"), help="cache of power images"
    )

    embed = add(
        "embed",
        _command_embed,
        "Embed light curves (files or a simulated survey) with a trained model, into Parquet.",
        "astrolens embed kplr*_llc.fits --out embeddings.parquet\n"
        "astrolens embed --survey demo --run runs/default --out catalogs/demo-embeddings.parquet",
    )
    embed.add_argument("files", nargs="*", type=Path, help="FITS or CSV light curves")
    embed.add_argument("--survey", help="embed a simulated survey instead: tiny, demo or large")
    embed.add_argument(
        "--out", type=Path, default=Path("embeddings.parquet"), help="Parquet file to write"
    )
    embed.add_argument(
        "--run",
        dest="run_folder",
        type=Path,
        help="run folder of the model (default: runs/default)",
    )
    embed.add_argument("--workers", type=int, default=2, help="processes reading light curves")
    embed.add_argument(
        "--flux-column", default="pdcsap_flux", help="FITS flux column (pdcsap_flux or sap_flux)"
    )
    embed.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unusable files (listed) instead of stopping (always for --survey)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except (AstrolensError, FileNotFoundError, FileExistsError, ValueError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"astrolens {args.command}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
