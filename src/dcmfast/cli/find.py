"""``dcmfast find --db index.sqlite [filters]``: query an index made by ``dcmfast index``."""
from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "find",
        help="print the instances of an index (dcmfast index) that match, tab-separated",
        description="Print the matching instances of an index made by 'dcmfast index', one per "
        "line, tab-separated, after a header line.",
    )
    parser.add_argument("--db", default="index.sqlite", help="the index (default: index.sqlite)")
    parser.add_argument("--patient-id", help="exact PatientID")
    parser.add_argument("--patient-name", metavar="PATTERN",
                        help="PatientName pattern, * and ? as wildcards, any case (e.g. 'doe^*')")
    parser.add_argument("--modality", help="exact Modality (e.g. CT)")
    parser.add_argument("--study-date", metavar="RANGE",
                        help="YYYYMMDD, or YYYYMMDD-YYYYMMDD (either end may be left open)")
    parser.add_argument("--study-uid", help="exact StudyInstanceUID")
    parser.add_argument("--series-uid", help="exact SeriesInstanceUID")
    parser.add_argument("--columns", help="comma-separated columns to print (default: path, "
                        "identifiers, date, modality)")
    parser.add_argument("--errors", action="store_true", help="list the files that failed instead")
    parser.add_argument("--limit", type=int, help="at most this many lines")
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
    except (FileNotFoundError, ValueError) as exc:
        sys.stderr.write(f"dcmfast find: {exc}\n")
        return 2
    out = sys.stdout
    try:
        if not args.no_header:
            out.write("\t".join(names) + "\n")
        for row in rows:
            out.write("\t".join(_cell(v) for v in row) + "\n")
        out.flush()
    except BrokenPipeError:
        # the reader went away (| head): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
