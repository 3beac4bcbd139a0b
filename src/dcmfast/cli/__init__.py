"""The ``dcmfast`` console script (also ``python -m dcmfast``).

Each subcommand lives in a module of this package that defines
``add_parser(subparsers)``, registering the subcommand with
``set_defaults(func=...)``; ``func(args)`` returns the exit code.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, Parser, reason, say

__all__ = ["main", "build_parser"]

DESCRIPTION = "dcmfast: read DICOM files fast, with pydicom's results."

EPILOG = f"""\
examples:
  dcmfast dump CT_small.dcm                     print a file's elements
  dcmfast summary ~/scans                       read a folder, check it against pydicom
  dcmfast index ~/scans --db scans.sqlite       index the metadata of many files
  dcmfast find --db scans.sqlite --modality CT  query that index
  dcmfast deid ~/scans --out ~/release          de-identify a folder (PS3.15 Basic Profile)
  dcmfast bench --quick                         time dcmfast against pydicom and others
  dcmfast transcode ~/scans --out rle/ --syntax rle  convert files to RLE Lossless
  dcmfast volume ~/scans/ct -o ct.nii.gz        a series to a NIfTI volume
  dcmfast png CT_small.dcm -o ct.png            an image to a PNG

'dcmfast COMMAND --help' describes a command and its options.

exit status:
  {EXIT_OK}  success
  {EXIT_FAILED}  some inputs could not be read (each is named on stderr: 'dcmfast: FILE: reason')
  {EXIT_USAGE}  usage error (an unknown option, a bad value)
  130  interrupted (Ctrl-C)
Errors are one line each; --debug shows the traceback instead.
"""

# the modules of the subcommands, in the order of the help
_SUBCOMMAND_MODULES: list[str] = ["dump", "summary", "index", "find", "deid", "transcode", "volume", "bench"]


def build_parser() -> argparse.ArgumentParser:
    import importlib

    from .._version import __version__

    parser = Parser(prog="dcmfast", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"dcmfast {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error instead of its one-line message")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="commands")
    for name in _SUBCOMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    # --debug is also accepted after the command ('dcmfast dump --debug x.dcm')
    for subparser in sub.choices.values():
        subparser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                               help="show tracebacks instead of one-line errors")
    parser.set_defaults(_commands=sub.choices)
    return parser


def _drop_output() -> None:
    """The reader of our output went away (``| head``): send what is left nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):  # no file descriptor (a test's StringIO)
            pass
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: ``sys.argv[1:]``); returns the exit code."""
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        # answered without building the parser, which imports every subcommand's module
        from .._version import __version__

        sys.stdout.write(f"dcmfast {__version__}\n")
        return EXIT_OK
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the command's parser: "dcmfast dump: unrecognized arguments: ..."
        args._commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    debug = bool(args.debug)
    try:
        code = int(args.func(args))
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # as ripgrep does: a closed pipe ends the output quietly
        _drop_output()
        return EXIT_OK
    except KeyboardInterrupt:
        if debug:
            raise
        say("interrupted")
        return 130
    except CliError as exc:
        if debug:
            raise
        say(str(exc))
        return exc.code
    except Exception as exc:
        if debug:
            raise
        say(f"{type(exc).__name__}: {reason(exc)} (an internal error: --debug shows the traceback)")
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
