"""``dcmfast dump FILE...``: print datasets as pydicom's ``str(ds)`` does."""
from __future__ import annotations

import argparse
import io
import sys
import warnings
from typing import Any

from ._common import EXIT_FAILED, EXIT_OK, reason, say

EPILOG = """\
examples:
  dcmfast dump CT_small.dcm                 every element of one file
  dcmfast dump --no-pixels a.dcm b.dcm      two files, each after a '==> FILE <==' line
  cat a.dcm | dcmfast dump -                read standard input
  dcmfast dump --force no_header.dcm        a dataset without the 128-byte preamble and 'DICM'

exit status: 0 every file was printed, 1 some could not be read, 2 usage error
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dump",
        help="print DICOM files' elements, as pydicom's str(ds) does",
        description="Print every element of each FILE, one per line, as pydicom's str(ds) does.\n"
        "With several files, each is preceded by a '==> FILE <==' line.",
        epilog=EPILOG,
    )
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="a DICOM file; '-' reads standard input")
    parser.add_argument("--force", action="store_true",
                        help="also read files without the DICOM header (preamble and 'DICM')")
    parser.add_argument("--no-pixels", action="store_true",
                        help="stop before the pixel data (faster on large images)")
    parser.set_defaults(func=run)


def _read(source: Any, args: argparse.Namespace) -> Any:
    from ..reader import dcmread

    return dcmread(source, force=args.force, stop_before_pixels=args.no_pixels)


def run(args: argparse.Namespace) -> int:
    status = EXIT_OK
    several = len(args.files) > 1
    out = sys.stdout
    first = True
    for path in args.files:
        stdin = path == "-"
        name = "standard input" if stdin else path
        source: Any = io.BytesIO(sys.stdin.buffer.read()) if stdin else path
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                text = str(_read(source, args))
            except Exception as exc:
                if args.debug:
                    raise
                empty = stdin and not source.getbuffer().nbytes
                say(f"{name}: {reason(exc, None if stdin else path, empty=empty)}")
                status = EXIT_FAILED
                continue
        for warning in caught:
            say(f"{name}: warning: {' '.join(str(warning.message).split())}")
        if several:
            out.write(("" if first else "\n") + f"==> {name} <==\n")
        first = False
        out.write(text + ("\n" if text else ""))
        out.flush()
    return status
