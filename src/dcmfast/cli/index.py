"""``dcmfast index PATH... --db index.sqlite | --parquet out.parquet``: index many files' metadata."""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from typing import Any

DEFAULT_DB = "index.sqlite"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "index",
        help="read the metadata of many files into an SQLite index (default) or a Parquet file",
        description="Read selected tags of many DICOM files (folders are walked recursively, "
        "globs expanded) into an SQLite database (re-runs skip unchanged files) or a Parquet file.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or glob patterns")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--db", help=f"SQLite database to create or update (default: {DEFAULT_DB})")
    out.add_argument("--parquet", help="Parquet file to write (needs pyarrow: dcmfast[parquet])")
    parser.add_argument(
        "--tags",
        nargs="+",
        metavar="TAG",
        help="keywords, ggggeeee or (gggg,eeee), space or comma separated; all starting "
        "with '+' add to the default tags (default: " + ",".join(_default_tags()) + ")",
    )
    parser.add_argument("--workers", type=int, default=None, help="reading threads (default: CPU count)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="files per transaction (SQLite, default 1000) or row group (Parquet, 10000)")
    parser.add_argument("--prune", action="store_true",
                        help="SQLite: delete the rows of files the paths no longer list")
    parser.add_argument("--with-pixels", action="store_true",
                        help="do not stop before the pixel data (only for tags after it)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    parser.add_argument("--show-warnings", action="store_true",
                        help="show the warnings of files read leniently (hidden by default)")
    parser.set_defaults(func=run)


def _default_tags() -> tuple[str, ...]:
    from ..ingest import DEFAULT_TAGS

    return DEFAULT_TAGS


def parse_tags(specs: list[str] | None) -> list[str]:
    """--tags values: split on commas; all '+'-prefixed: added to the defaults."""
    if not specs:
        return list(_default_tags())
    items = [s.strip() for spec in specs for s in _split(spec) if s.strip()]
    if items and all(s.startswith("+") for s in items):
        return list(_default_tags()) + [s[1:] for s in items]
    return [s.lstrip("+") for s in items]


def _split(spec: str) -> list[str]:
    # "(0010,0010)" holds a comma: split only outside parentheses
    out, depth, cur = [], 0, ""
    for ch in spec:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


class Progress:
    """A progress line on stderr: rewritten in place on a terminal, a line every 10 s otherwise."""

    def __init__(self, stream: Any = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last = 0.0
        self.width = 0

    def __call__(self, stats: Any) -> None:
        if self.quiet or stats.done:
            return
        now = time.perf_counter()
        if not self.tty and now - self.last < 10:
            return
        self.last = now
        line = (
            f"{stats.read} files read, {stats.skipped} unchanged, "
            f"{stats.rate:,.0f} files/s, {stats.errors} errors so far"
        )
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.width and not self.quiet:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from .. import ingest

    if not args.show_warnings:
        warnings.simplefilter("ignore")
    try:
        tags = parse_tags(args.tags)
        ingest.resolve_tags(tags)
    except (ValueError, TypeError) as exc:
        sys.stderr.write(f"dcmfast index: {exc}\n")
        return 2
    if args.workers is not None and args.workers < 1:
        sys.stderr.write("dcmfast index: --workers must be at least 1\n")
        return 2
    progress = Progress(quiet=args.quiet)
    options: dict[str, Any] = {
        "tags": tags,
        "workers": args.workers,
        "stop_before_pixels": not args.with_pixels,
        "progress": progress,
    }
    if args.batch_size is not None:
        options["batch_size"] = max(1, args.batch_size)
    try:
        if args.parquet:
            if args.prune:
                sys.stderr.write("dcmfast index: --prune applies to --db only\n")
                return 2
            target = args.parquet
            stats = ingest.write_parquet(args.paths, target, **options)
        else:
            target = args.db or DEFAULT_DB
            stats = ingest.index_sqlite(args.paths, target, prune=args.prune, **options)
    except ImportError as exc:
        progress.finish()
        sys.stderr.write(f"dcmfast index: {exc}\n")
        return 2
    except KeyboardInterrupt:
        progress.finish()
        sys.stderr.write("dcmfast index: interrupted; run again to resume\n")
        return 130
    progress.finish()
    summary = (
        f"{stats.listed} files: {stats.read} read, {stats.skipped} unchanged, "
        f"{stats.errors} errors"
    )
    if stats.removed:
        summary += f", {stats.removed} removed"
    summary += f" in {stats.elapsed:.1f} s ({stats.rate:,.0f} files/s) -> {os.fspath(target)}"
    sys.stderr.write(summary + "\n")
    return 0
