"""``dcmfast bench``: the subcommand's parser; the benchmark itself is :mod:`dcmfast.bench`.

Only the stdlib is imported at module level (by dcmfast.bench too): the CLI imports every
subcommand's module to build its parser.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from ..bench import PEERS, installed_peers
from ..bench.report import render
from ..bench.run import run_bench

__all__ = ["PEERS", "add_parser", "installed_peers", "run_bench"]


_EPILOG = """\
examples:
  dcmfast bench --quick                       a smoke test: one sample each, a few seconds
  dcmfast bench --peers pydicom               dcmfast against pydicom alone
  dcmfast bench --full --json results.json    every case, the samples saved as JSON
  dcmfast bench --render results.json         print the tables of a saved run again

Peers that are not installed are named on one line and left out of the tables
(pip install 'dcmfast[bench]' installs them all).

exit status: 0 success, 1 dcmfast's output differs from pydicom's or a file cannot
be read, 2 usage error
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "bench",
        help="time dcmfast against pydicom and every installed peer on the same files",
        description="Time dcmfast against pydicom and every installed peer (fastdicom, dicomsdl, "
        "python-gdcm)\non the same files, checking every output against pydicom's. The default "
        "run uses\npydicom's bundled test files; --full adds a generated corpus of larger files.",
        epilog=_EPILOG,
    )
    p.add_argument("--quick", action="store_true",
                   help="one repetition on two files (CT_small.dcm, MR_small_RLE.dcm)")
    p.add_argument("--full", action="store_true",
                   help="add the generated corpus (built once into the cache folder)")
    p.add_argument("--corpus", metavar="DIR",
                   help="corpus cache folder (default $DCMFAST_BENCH_CACHE or ~/.cache/dcmfast-bench)")
    p.add_argument("--repeat", type=_non_negative, default=0, help="samples per implementation (default 7; "
                   "--quick 1); medians and IQR are taken over them")
    p.add_argument("--target", type=float, default=0.0,
                   help="seconds one sample should last (default 0.02; --quick 0.001)")
    p.add_argument("--peers", type=_peer_list, help="comma-separated peers to run besides dcmfast "
                   "(default: all installed: " + ",".join(PEERS) + ")")
    p.add_argument("--json", metavar="PATH", help="write every sample and ratio as JSON")
    p.add_argument("--compare", metavar="PATH", help="compare dcmfast's medians with an earlier JSON")
    p.add_argument("--markdown", action="store_true", help="print the summary table as markdown")
    p.add_argument("--summary-only", action="store_true", help="print the summary table only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--render", metavar="PATH", help="print the tables of an earlier JSON results file "
                   "(no run)")
    p.set_defaults(func=_cmd_bench)
    return p


def _peer_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PEERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown peer {', '.join(map(repr, unknown)) or repr(text)} "
                                         f"(known: {', '.join(PEERS)})")
    return names


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (the default) or more, not {value}")
    return value



def _cmd_bench(args: argparse.Namespace) -> int:
    if args.render:
        from ._common import CliError

        try:
            return render(Path(args.render), sys.stdout, args.markdown, args.summary_only)
        except OSError as exc:
            raise CliError(f"{args.render}: {exc.strerror or exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise CliError(f"{args.render}: not a results file of 'dcmfast bench --json'") from exc
    with warnings.catch_warnings():  # pydicom warns about the odd values of its test files
        warnings.simplefilter("ignore")
        return run_bench(args)
