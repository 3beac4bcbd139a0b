"""``dcmfast index PATH... --db index.sqlite | --parquet out.parquet``: index many files' metadata."""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import warnings
from typing import Any

from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, positive_int, progress_bar, say

DEFAULT_DB = "index.sqlite"


EPILOG = """\
examples:
  dcmfast index ~/scans --db scans.sqlite             index a folder (re-runs read only changes)
  dcmfast index '/data/**/*.dcm' --db scans.sqlite    a glob pattern (quoted: dcmfast expands it)
  dcmfast index ~/scans --tags +SliceThickness,+KVP   the default tags and two more
  dcmfast index ~/scans --tags PatientID,Modality     only these two tags
  dcmfast index ~/scans --parquet scans.parquet       a Parquet file instead
  dcmfast find --db scans.sqlite --errors             the files that could not be read

exit status: 0 every file was read, 1 some could not be read (or a path is missing),
2 usage error
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "index",
        help="read the metadata of many files into an SQLite index (default) or a Parquet file",
        description="Read selected tags of many DICOM files (folders are walked recursively, "
        "globs expanded) into\nan SQLite database (re-runs skip unchanged files) or a Parquet file. "
        "Query the database\nwith 'dcmfast find' or any SQLite client (table 'instances').",
        epilog=EPILOG,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or glob patterns")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--db", help=f"SQLite database to create or update (default: {DEFAULT_DB})")
    out.add_argument("--parquet", help="Parquet file to write (needs pyarrow: dcmfast[parquet])")
    parser.add_argument(
        "--tags",
        action="append",
        metavar="TAGS",
        help="comma-separated keywords, ggggeeee or (gggg,eeee); may be repeated. A list replaces "
        "the default tags; if every tag starts with '+', they are added to the defaults "
        "(default: " + ", ".join(_default_tags()) + ")",
    )
    parser.add_argument("--force", action="store_true",
                        help="also read files without the DICOM header (preamble and 'DICM'), and "
                        "read again the files that failed before")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help="reading threads (default: CPU count)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="files per transaction (SQLite, default 1000) or row group (Parquet, 10000)")
    parser.add_argument("--prune", action="store_true",
                        help="SQLite: delete the rows of files the paths no longer list")
    parser.add_argument("--with-pixels", action="store_true",
                        help="do not stop before the pixel data (only for tags after it)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--show-warnings", action="store_true",
                        help="show the warnings of files read leniently (hidden by default)")
    parser.set_defaults(func=run)


def _default_tags() -> tuple[str, ...]:
    from ..ingest import DEFAULT_TAGS

    return DEFAULT_TAGS


def parse_tags(specs: list[str] | None) -> list[str]:
    """The tags of the --tags values: a list replaces the defaults; if every tag starts with '+'
    they are added to them. A mix of both is refused (ValueError): it would drop the defaults
    whether the user meant to or not."""
    if not specs:
        return list(_default_tags())
    items = [s.strip() for spec in specs for s in _split(spec) if s.strip()]
    if not items:
        raise ValueError("no tags given")
    added = [s for s in items if s.startswith("+")]
    if added and len(added) < len(items):
        bare = next(s for s in items if not s.startswith("+"))
        raise ValueError(
            f"{bare!r} has no '+' but other tags do: start every tag with '+' to add them "
            "to the defaults, or none to replace the defaults"
        )
    if added:
        return list(_default_tags()) + [s[1:].strip() for s in items]
    return items


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


class _Bar:
    """The progress callback of the ingest functions, drawn as a tqdm bar (terminal only)."""

    def __init__(self, enabled: bool) -> None:
        self.bar = progress_bar(desc="index", enabled=enabled)

    def __call__(self, stats: Any) -> None:
        if stats.done:
            return
        self.bar.set_postfix_str(f"{stats.skipped} unchanged, {stats.errors} errors", refresh=False)
        self.bar.update(stats.listed - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def _missing(paths: list[str]) -> list[str]:
    """The paths (not glob patterns) that do not exist."""
    return [p for p in paths if not any(c in p for c in "*?[") and not os.path.lexists(p)]


def run(args: argparse.Namespace) -> int:
    from .. import ingest

    if not args.show_warnings:
        warnings.simplefilter("ignore")
    try:
        tags = parse_tags(args.tags)
        ingest.resolve_tags(tags)
    except (ValueError, TypeError) as exc:
        raise CliError(f"--tags: {exc}", EXIT_USAGE) from exc
    if args.parquet and args.prune:
        raise CliError("--prune applies to --db only", EXIT_USAGE)
    status = EXIT_OK
    missing = _missing(args.paths)
    for path in missing:
        say(f"{path}: No such file or directory")
        status = EXIT_FAILED
    paths = [p for p in args.paths if p not in missing]
    if not paths:
        return status
    target = args.parquet or args.db or DEFAULT_DB
    progress = _Bar(enabled=not args.quiet)
    options: dict[str, Any] = {
        "tags": tags,
        "workers": args.workers,
        "stop_before_pixels": not args.with_pixels,
        "progress": progress,
        "force": args.force,
    }
    if args.batch_size is not None:
        options["batch_size"] = args.batch_size
    try:
        if args.parquet:
            stats = ingest.write_parquet(paths, target, **options)
        else:
            stats = ingest.index_sqlite(paths, target, prune=args.prune, **options)
    except ImportError as exc:
        raise CliError(str(exc)) from exc
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise CliError(f"{target}: not an SQLite database") from exc
        raise CliError(f"{target}: {exc}") from exc
    except OSError as exc:
        raise CliError(f"{exc.filename or target}: {exc.strerror or exc}") from exc
    except KeyboardInterrupt as exc:
        raise CliError("interrupted; run again to resume", 130) from exc
    finally:
        progress.close()
    summary = (
        f"{stats.listed} files: {stats.read} read, {stats.skipped} unchanged, "
        f"{stats.errors} errors"
    )
    if stats.removed:
        summary += f", {stats.removed} removed"
    summary += f" in {stats.elapsed:.1f} s ({stats.rate:,.0f} files/s) -> {os.fspath(target)}"
    sys.stderr.write(summary + "\n")
    if stats.listed == 0:
        say(f"no files found in {', '.join(paths)}")
        status = EXIT_FAILED
    if stats.errors:
        hint = (f"'dcmfast find --db {target} --errors' lists them" if not args.parquet
                else "their rows have error_type and error set")
        say(f"{stats.errors} files could not be read: {hint}")
        status = EXIT_FAILED
    return status
