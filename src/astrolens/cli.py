"""The ``astrolens`` command: every stage of the pipeline from a terminal.

Each subcommand parses its arguments and calls one library function; errors in the input end the
command with a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except (AstrolensError, FileNotFoundError, ValueError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"astrolens {args.command}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
