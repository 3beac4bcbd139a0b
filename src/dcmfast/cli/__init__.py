"""The ``dcmfast`` console script.

Subcommands: ``dump FILE`` prints a dataset as pydicom's ``str(ds)``;
``summary [PATH ...]`` reads every file (default: pydicom's bundled test files),
checks each against pydicom and compares the time both take.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _cmd_dump(args: argparse.Namespace) -> int:
    from ..reader import dcmread

    for path in args.files:
        ds = dcmread(path, force=args.force, stop_before_pixels=args.no_pixels)
        sys.stdout.write(str(ds) + "\n")
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from .summary import run_summary

    return run_summary(args.paths, check=not args.no_check, repeat=args.repeat)


# Modules of further subcommands: each defines ``add_parser(subparsers)`` that
# registers its subcommand with ``set_defaults(func=...)``.
_SUBCOMMAND_MODULES: list[str] = ["bench", "index", "find"]


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="dcmfast", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    dump = sub.add_parser("dump", help="print a file's dataset as pydicom's str(ds) does")
    dump.add_argument("files", nargs="+")
    dump.add_argument("--force", action="store_true", help="read files without a DICOM header")
    dump.add_argument("--no-pixels", action="store_true", help="stop before the pixel data")
    dump.set_defaults(func=_cmd_dump)

    summary = sub.add_parser(
        "summary",
        help="read files or folders (default: pydicom's bundled test files), check them "
        "against pydicom and compare timings",
    )
    summary.add_argument("paths", nargs="*")
    summary.add_argument("--no-check", action="store_true", help="skip the comparison with pydicom")
    summary.add_argument("--repeat", type=int, default=5, help="timed reads per file (median)")
    summary.set_defaults(func=_cmd_summary)

    for name in _SUBCOMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
