"""``dcmfast summary``: read files and folders, check each against pydicom, compare timings."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._common import EXIT_FAILED, EXIT_OK, CliError, is_not_dicom, positive_int, progress_bar, reason, say

EPILOG = """\
examples:
  dcmfast summary                        pydicom's own test files (needs pydicom)
  dcmfast summary ~/scans --verbose      a folder, with a line for every file
  dcmfast summary a.dcm b.dcm --no-check dcmfast's timings alone, no pydicom

The first line says what was read: how many files, how many had no DICOM header
(not counted as read; --force reads them), how many dcmfast rejected, how many gave
the same str(ds) as pydicom and the time both took to read every value.

exit status: 0 every file read and identical to pydicom; 1 a path is missing, a file
named on the command line is not DICOM, a file was rejected or differs from pydicom;
2 usage error
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="read files or folders, check them against pydicom and compare timings",
        description="Read every file (folders are walked), compare each dataset's str(ds) with "
        "pydicom's and time both reading every value.",
        epilog=EPILOG,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="a file or a folder (walked recursively); default: pydicom's bundled "
                        "test files")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="print a table of every file after the summary line")
    parser.add_argument("--force", action="store_true",
                        help="also read files without the DICOM header (preamble and 'DICM')")
    parser.add_argument("--no-check", action="store_true",
                        help="do not compare with pydicom (no pydicom needed)")
    parser.add_argument("--repeat", type=positive_int, default=5,
                        help="timed reads of each file, the median is kept (default: 5)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(func=run)


def bundled_test_files() -> Path:
    """pydicom's bundled test files folder (found without importing pydicom)."""
    import importlib.util

    spec = importlib.util.find_spec("pydicom")
    if spec is None or not spec.submodule_search_locations:
        raise CliError("pydicom is not installed: name the files or folders to summarize")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "test_files"


@dataclass
class _File:
    path: Path
    name: str  # as shown: relative to the folder named on the command line
    named: bool  # named on the command line (not found in a folder)


@dataclass
class _Row:
    file: _File
    state: str  # "read", "not DICOM", "rejected"
    note: str = ""
    syntax: str = ""
    elements: int = 0
    ours: float = 0.0
    theirs: float | None = None
    same: bool | None = None


def _files(paths: list[str]) -> tuple[list[_File], list[str]]:
    """The files named or found in folders (walked in sorted order), and the missing paths."""
    found: list[_File] = []
    missing = []
    for text in paths:
        p = Path(text)
        if p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs.sort()
                for name in sorted(names):
                    path = Path(root) / name
                    found.append(_File(path, os.path.relpath(path, p), False))
        elif p.exists():
            found.append(_File(p, text, True))
        else:
            missing.append(text)
    return found, missing


def _median_time(func: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _touch_all(ds: Any) -> int:
    count = 0
    for elem in ds.iterall():
        elem.value  # noqa: B018
        count += 1
    return count


def _read_one(file: _File, args: argparse.Namespace) -> _Row:
    from ..reader import dcmread

    path = file.path
    try:
        ds = dcmread(path, force=args.force)
        n_elem = _touch_all(ds)
    except Exception as exc:
        if args.debug:
            raise
        state = "not DICOM" if is_not_dicom(exc) else "rejected"
        return _Row(file, state, reason(exc, path))
    ts = ds.file_meta.get("TransferSyntaxUID")
    row = _Row(file, "read", syntax=ts.name if ts is not None else "(no transfer syntax)", elements=n_elem)
    row.ours = _median_time(lambda: _touch_all(dcmread(path, force=args.force)), args.repeat)
    if not args.no_check:
        import pydicom

        try:
            row.theirs = _median_time(
                lambda: [e.value for e in pydicom.dcmread(path, force=args.force).iterall()], args.repeat
            )
            row.same = str(pydicom.dcmread(path, force=args.force)) == str(ds)
        except Exception as exc:  # noqa: BLE001 - pydicom failing is reported, not fatal
            row.same = False
            row.note = f"pydicom: {type(exc).__name__}: {reason(exc)}"
    return row


def run(args: argparse.Namespace) -> int:
    if args.paths:
        label = ", ".join(args.paths)
        files, missing = _files(args.paths)
    else:
        folder = bundled_test_files()
        label = f"pydicom's test files ({folder})"
        files, missing = _files([str(folder)])
    if not args.no_check:
        import importlib.util

        if importlib.util.find_spec("pydicom") is None:
            raise CliError("pydicom is not installed: --no-check summarizes without it")
    status = EXIT_OK
    for text in missing:
        say(f"{text}: No such file or directory")
        status = EXIT_FAILED
    if missing and not files:
        return status
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with progress_bar(total=len(files), desc="summary", enabled=not args.no_progress) as bar:
            for file in files:
                rows.append(_read_one(file, args))
                bar.update(1)
    read = [r for r in rows if r.state == "read"]
    not_dicom = [r for r in rows if r.state == "not DICOM"]
    rejected = [r for r in rows if r.state == "rejected"]
    differ = [r for r in read if r.same is False]
    out = sys.stdout
    line = (f"{label}: {_count(len(rows), 'file')}, {len(read)} read, {len(not_dicom)} without a "
            f"DICOM header, {len(rejected)} rejected")
    ours = sum(r.ours for r in read)
    if args.no_check:
        line += f"; read + every value: dcmfast {ours * 1e3:.1f} ms"
    else:
        theirs = sum(r.theirs or 0.0 for r in read)
        line += f"; identical to pydicom (str(ds)): {len(read) - len(differ)} of {len(read)}"
        line += f"; read + every value: dcmfast {ours * 1e3:.1f} ms, pydicom {theirs * 1e3:.1f} ms"
        if ours > 0 and theirs > 0:
            line += f" ({theirs / ours:.1f}x faster)"
    out.write(line + "\n")
    if args.verbose:
        _table(rows, check=not args.no_check, out=out)
    else:
        for r in differ:
            out.write(f"differs from pydicom: {r.file.name}{'  (' + r.note + ')' if r.note else ''}\n")
    # what failed, one line each on stderr
    for r in rows:
        if r.state == "rejected" or (r.state == "not DICOM" and r.file.named):
            say(f"{r.file.path}: {r.note}")
    if rejected or differ or any(r.file.named for r in not_dicom):
        status = EXIT_FAILED
    return status


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _table(rows: list[_Row], *, check: bool, out: Any) -> None:
    header = f"{'file':<44} {'syntax':<28} {'elements':>8} {'dcmfast':>9}"
    if check:
        header += f" {'pydicom':>9}  same"
    out.write(header + "\n")
    for r in rows:
        name = r.file.name if len(r.file.name) <= 44 else "..." + r.file.name[-41:]
        if r.state != "read":
            out.write(f"{name:<44} {r.state}: {r.note}\n")
            continue
        line = f"{name:<44} {r.syntax[:28]:<28} {r.elements:>8} {r.ours * 1e3:>7.3f}ms"
        if check:
            theirs = "-" if r.theirs is None else f"{r.theirs * 1e3:>7.3f}ms"
            line += f" {theirs:>9}  {'yes' if r.same else 'NO'}"
            if r.note:
                line += f"  {r.note}"
        out.write(line + "\n")

