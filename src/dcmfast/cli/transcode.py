"""``dcmfast transcode``: convert files and folders to another transfer syntax."""
from __future__ import annotations

import argparse
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._common import EXIT_FAILED, EXIT_OK, CliError, positive_int, progress_bar, reason, say

EPILOG = """\
examples:
  dcmfast transcode scan.dcm --out rle/ --syntax rle        RLE Lossless
  dcmfast transcode ~/scans --out j2k/ --syntax j2k         a folder, as JPEG 2000 Lossless
  dcmfast transcode ~/scans --out plain/ --syntax explicit  decompress everything

syntaxes: rle, j2k (JPEG 2000 Lossless), j2k-lossy (JPEG 2000, ratio 10 unless
--j2k-cr / --j2k-psnr), htj2k (HTJ2K Lossless), htj2k-rpcl (HTJ2K Lossless with
RPCL options), jpegls (JPEG-LS Lossless), explicit, implicit, deflated, big
(Explicit VR Big Endian). htj2k and j2k encode with imagecodecs and jpegls with
pyjpegls (pip install dcmfast[codecs]).

Files keep their names (a folder's files their paths below it) under --out. Each
output is written atomically; a lossless output is first decoded back and must give
the source's pixels, else nothing is written for that file. Lossy outputs get a new
SOP Instance UID and the Lossy Image Compression elements.

exit status: 0 every file transcoded; 1 a file failed (each named on stderr with its
reason); 2 usage error
"""


def add_parser(subparsers: Any) -> None:
    from ..pixels.transcoding import SYNTAX_NAMES

    parser = subparsers.add_parser(
        "transcode",
        help="convert files or folders to another transfer syntax (RLE, JPEG 2000, ...)",
        description="Convert DICOM files to another transfer syntax, written under --out.",
        epilog=EPILOG,
    )
    parser.add_argument("paths", nargs="+", metavar="IN", help="a file or a folder (walked)")
    parser.add_argument("--out", required=True, metavar="DIR", help="the output folder")
    parser.add_argument("--syntax", required=True, choices=sorted(SYNTAX_NAMES),
                        help="the target transfer syntax")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help="files transcoded at once (default: the CPUs)")
    parser.add_argument("--j2k-cr", type=float, action="append", metavar="RATIO",
                        help="j2k-lossy: compression ratio of a quality layer (repeatable)")
    parser.add_argument("--j2k-psnr", type=float, action="append", metavar="DB",
                        help="j2k-lossy: PSNR of a quality layer (repeatable)")
    parser.add_argument("--no-verify", action="store_true",
                        help="do not decode lossless outputs back to check them")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(func=run)


def _files(paths: list[str], out: Path) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(input, output) pairs of the files named or found in folders, and the missing paths."""
    found, missing = [], []
    for text in paths:
        p = Path(text)
        if p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs.sort()
                for name in sorted(names):
                    path = Path(root) / name
                    found.append((path, out / os.path.relpath(path, p)))
        elif p.exists():
            found.append((p, out / p.name))
        else:
            missing.append(text)
    return found, missing


def run(args: argparse.Namespace) -> int:
    from ..pixels.transcoding import SYNTAX_NAMES, transcode

    if args.j2k_cr and args.j2k_psnr:
        raise CliError("give --j2k-cr or --j2k-psnr, not both", 2)
    if (args.j2k_cr or args.j2k_psnr) and args.syntax != "j2k-lossy":
        raise CliError("--j2k-cr and --j2k-psnr are for --syntax j2k-lossy", 2)
    uid = SYNTAX_NAMES[args.syntax]
    from ..pixels.codec import encode_backends

    backend = encode_backends().get(uid, "")
    if backend.startswith("none"):  # one line, no file touched
        raise CliError(f"no encoder for --syntax {args.syntax}: {backend[6:-1]}")
    out = Path(args.out)
    files, missing = _files(args.paths, out)
    for text in missing:
        say(f"{text}: No such file or directory")
    failed = len(missing)
    seen: dict[Path, Path] = {}
    for src, dst in files:
        if dst in seen:
            raise CliError(f"{src} and {seen[dst]} would both be written to {dst}", 2)
        seen[dst] = src
    # with several files at once, each file's frames use one thread
    workers = args.workers or max(1, os.cpu_count() or 1)
    threads = 1 if workers > 1 and len(files) > 1 else None

    def one(pair: tuple[Path, Path]) -> str | None:
        src, dst = pair
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            transcode(src, dst, args.syntax, j2k_cr=args.j2k_cr, j2k_psnr=args.j2k_psnr,
                      threads=threads, verify=not args.no_verify)
        except Exception as exc:  # noqa: BLE001 - each file's error is one line
            return f"{src}: {reason(exc, src)}"
        return None

    with progress_bar(total=len(files), desc="transcode", enabled=not args.no_progress) as bar:
        with ThreadPoolExecutor(max_workers=min(workers, max(1, len(files)))) as pool:
            for error in pool.map(one, files):
                if error is not None:
                    failed += 1
                    bar.clear()
                    say(error)
                bar.update(1)
    return EXIT_FAILED if failed else EXIT_OK
