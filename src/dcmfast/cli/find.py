"""``dcmfast find --db index.sqlite [filters]``: query an index made by ``dcmfast index``."""
from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
from typing import Any

from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, positive_int

EPILOG = """\
examples:
  dcmfast find --db scans.sqlite --modality CT                  every CT instance
  dcmfast find --db scans.sqlite --patient-name 'doe^*'         names starting with Doe^, any case
  dcmfast find --db scans.sqlite --study-date 20200101-         studies from 2020 on
  dcmfast find --db scans.sqlite --columns path --no-header     only the paths, e.g. for xargs
  dcmfast find --db scans.sqlite --errors                       the files that could not be read

Filters combine with AND. Dates are DICOM dates (YYYYMMDD); an instance without a
StudyDate matches no date range. --modality is a code string: DICOM writes code strings
in upper case, and the value given is upper-cased ('ct' finds CT).

exit status: 0 success (also when nothing matches), 1 the index cannot be read, 2 usage error
"""

_DATE_RANGE = re.compile(r"\s*(\d{8})?\s*(-\s*(\d{8})?\s*)?")


def _date_range(text: str) -> str:
    match = _DATE_RANGE.fullmatch(text)
    if not match or not (match.group(1) or match.group(3)):
        raise argparse.ArgumentTypeError(
            f"not a date range: {text!r} (YYYYMMDD, YYYYMMDD-YYYYMMDD, YYYYMMDD- or -YYYYMMDD)"
        )
    return text


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "find",
        help="print the instances of an index (dcmfast index) that match, tab-separated",
        description="Print the matching instances of an index made by 'dcmfast index', one per "
        "line,\ntab-separated, after a header line, ordered by path.",
        epilog=EPILOG,
    )
    parser.add_argument("--db", default="index.sqlite", help="the index (default: index.sqlite)")
    parser.add_argument("--patient-id", help="exact PatientID")
    parser.add_argument("--patient-name", metavar="PATTERN",
                        help="PatientName pattern, * and ? as wildcards, any case (e.g. 'doe^*')")
    parser.add_argument("--modality", type=str.upper,
                        help="Modality, a code string (e.g. CT; upper-cased)")
    parser.add_argument("--study-date", metavar="RANGE", type=_date_range,
                        help="YYYYMMDD, or YYYYMMDD-YYYYMMDD (either end may be left open)")
    parser.add_argument("--study-uid", help="exact StudyInstanceUID")
    parser.add_argument("--series-uid", help="exact SeriesInstanceUID")
    parser.add_argument("--columns", help="comma-separated columns to print (default: path, "
                        "identifiers, date, modality)")
    parser.add_argument("--errors", action="store_true", help="list the files that failed instead")
    parser.add_argument("--limit", type=positive_int, help="at most this many lines")
    parser.add_argument("--no-header", action="store_true", help="omit the header line")
    parser.set_defaults(func=run)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.hex()
    text = str(value)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return text


def run(args: argparse.Namespace) -> int:
    from ..ingest import find

    if not os.path.exists(args.db):
        raise CliError(f"{args.db}: No such file or directory (make one with 'dcmfast index PATH "
                       f"--db {args.db}')")
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    try:
        names, rows = find(
            args.db,
            patient_id=args.patient_id,
            patient_name=args.patient_name,
            modality=args.modality,
            study_date=args.study_date,
            study_uid=args.study_uid,
            series_uid=args.series_uid,
            errors=args.errors,
            columns=columns,
            limit=args.limit,
        )
    except ValueError as exc:  # a column the index does not have
        raise CliError(str(exc), EXIT_USAGE) from exc
    except sqlite3.DatabaseError as exc:
        what = "not an SQLite database" if "not a database" in str(exc) else str(exc)
        raise CliError(f"{args.db}: {what}", EXIT_FAILED) from exc
    out = sys.stdout
    if not args.no_header:
        out.write("\t".join(names) + "\n")
    # the stored messages are the library's ("Use force=True"): name the option of the CLI
    error_column = names.index("error") if "error" in names else -1
    for row in rows:
        cells = [_cell(v) for v in row]
        if error_column >= 0:
            cells[error_column] = cells[error_column].replace("Use force=True to force reading.",
                                                              "'dcmfast index --force' reads it anyway.")
        out.write("\t".join(cells) + "\n")
    return EXIT_OK
