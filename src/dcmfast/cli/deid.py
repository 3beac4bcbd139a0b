"""``dcmfast deid INPUT... --out DIR``: de-identify many files (PS3.15 Annex E)."""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Any

from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, positive_int, progress_bar, say

EPILOG = """\
examples:
  dcmfast deid ~/scans --out ~/release                      the Basic Profile (a new key: ~/release/deid.key)
  dcmfast deid ~/scans --out ~/release --key-file site.key  the mapping of an earlier batch (same key)
  dcmfast deid ~/scans --out ~/release --option retain_long_modified_dates --option clean_descriptors
  dcmfast deid ~/scans --out ~/release --layout uids --quarantine ~/review --audit audit.jsonl
  dcmfast deid ~/us --out ~/release --quarantine ~/review --clean-pixels us-rules.json

A run is resumable: run the same command again after an interruption (even kill -9) and
it finishes the files not done yet. Keep the key secret: with it, anyone can check a
guessed original UID against the output. Do not hand it out with the output folder.

exit status: 0 every file written, 1 some failed or were quarantined, 2 usage error
(an unknown option, a missing or malformed key file, an output folder of another key)
"""


def add_parser(subparsers: Any) -> None:
    from ..deid import OPTIONS

    parser = subparsers.add_parser(
        "deid",
        help="de-identify DICOM files (PS3.15 Annex E Basic Profile and options) into a folder",
        description="De-identify DICOM files (folders are walked recursively) by the PS3.15 Annex E\n"
        "Basic Application Confidentiality Profile and the chosen options, into --out. UIDs are\n"
        "remapped with a keyed hash: the same key gives the same mapping in every run.",
        epilog=EPILOG,
    )
    parser.add_argument("paths", nargs="+", metavar="INPUT", help="files or folders")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    parser.add_argument("--option", action="append", default=[], choices=sorted(OPTIONS), metavar="NAME",
                        help="a profile option, may be repeated: " + ", ".join(sorted(OPTIONS)))
    parser.add_argument("--key-file", metavar="FILE",
                        help="the key (hex text); default: DIR/deid.key, made if missing (mode 0600)")
    parser.add_argument("--uid-root", metavar="ROOT",
                        help="new UIDs as ROOT.<digits> instead of 2.25.<digits>")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help="parallel workers (default: CPU count)")
    parser.add_argument("--threads", action="store_true", help="workers are threads (default: processes)")
    parser.add_argument("--quarantine", metavar="DIR",
                        help="where files whose pixels need review go, de-identified, with quarantine.jsonl "
                        "(default: nowhere; they are reported)")
    parser.add_argument("--clean-pixels", metavar="FILE",
                        help="pixel cleaning rules (JSON, or TOML if FILE ends with .toml: manufacturer, "
                        "model, rows, columns, rectangles [x, y, width, height]): a file to quarantine whose "
                        "device and size match a rule gets the rectangles filled and is written to --out "
                        "instead (docs/deid.md)")
    parser.add_argument("--layout", choices=("mirror", "uids"), default="mirror",
                        help="mirror: the input tree (file names kept); uids: "
                        "PatientID/StudyUID/SeriesUID/SOPUID.dcm of the new identities (default: mirror)")
    parser.add_argument("--audit", metavar="FILE",
                        help="append a JSONL audit log: per input the SHA-256 of its path, output, profile, "
                        "options and each element's action by tag (never a value)")
    parser.add_argument("--restart", action="store_true",
                        help="do every file again (forget what an earlier run into DIR finished)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def _key(args: argparse.Namespace) -> bytes:
    from ..deid import load_key, new_key, save_key
    from ..deid.run import KEY_FILE_NAME
    from ..errors import DeidentificationError

    try:
        if args.key_file:
            return load_key(args.key_file)
        path = os.path.join(args.out, KEY_FILE_NAME)
        if os.path.exists(path):
            return load_key(path)
        key = new_key()
        os.makedirs(args.out, exist_ok=True)
        save_key(path, key)
        say(f"a new key was saved to {path}: keep it secret, and away from the output you share")
        return key
    except DeidentificationError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    except OSError as exc:
        raise CliError(f"{exc.filename or args.out}: {exc.strerror or exc}") from exc


class _Bar:
    def __init__(self, enabled: bool) -> None:
        self.bar = progress_bar(desc="deid", enabled=enabled)

    def __call__(self, done: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def run(args: argparse.Namespace) -> int:
    from ..deid import Deidentifier
    from ..errors import DeidentificationError

    warnings.simplefilter("ignore")  # damaged input is reported by the run itself
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CliError(f"{args.out}: not a folder", EXIT_USAGE)
    try:
        deid = Deidentifier(args.option, key=_key(args), uid_root=args.uid_root,
                            pixel_cleaning=args.clean_pixels)
    except DeidentificationError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    bar = _Bar(enabled=not args.quiet)
    try:
        summary = deid.process(
            args.paths, args.out, workers=args.workers, pool="thread" if args.threads else "process",
            layout=args.layout, quarantine_dir=args.quarantine, audit_log=args.audit,
            resume=not args.restart, progress=bar,
        )
    except DeidentificationError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    except OSError as exc:
        raise CliError(f"{exc.filename or args.out}: {exc.strerror or exc}") from exc
    except KeyboardInterrupt as exc:
        raise CliError("interrupted; run the same command again to finish", 130) from exc
    finally:
        bar.close()
    for path, reason in summary.failures:
        say(f"{path}: {reason}")
    for path, reason in summary.quarantined_files:
        say(f"{path}: quarantined: {reason}")
    sys.stderr.write(summary.line() + f" -> {args.out}\n")
    if summary.total == 0:
        say(f"no files found in {', '.join(args.paths)}")
        return EXIT_FAILED
    return EXIT_OK if summary.ok else EXIT_FAILED
