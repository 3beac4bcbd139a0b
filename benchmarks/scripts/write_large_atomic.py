"""Writing a 52 MB multi-frame file unchanged, against copying its bytes, to a new name
and over an existing file, as alternating medians.

    python benchmarks/scripts/write_large_atomic.py [FILE] [--rounds 9]

`save_as` is atomic (a temporary file, then a rename over the target). Renaming over an
existing file makes ext4 (`auto_da_alloc`, the default) allocate and start writing the
new file's blocks at the rename, so over an existing file the fair floor is a copy to a
temporary name plus the same rename; `shutil.copyfile` over an existing file truncates and
rewrites it in place, which is not atomic. Default FILE: the bench corpus's 100-frame CT
(`~/.cache/dcmfast-bench/v1/enhanced_ct_100.dcm`, made by `dcmfast bench`).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import dcmfast

CASES = ("save_as, new name", "copyfile, new name", "save_as over an existing file",
         "copyfile + rename over an existing file", "copyfile in place over an existing file")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?",
                    default=os.path.expanduser("~/.cache/dcmfast-bench/v1/enhanced_ct_100.dcm"))
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(args.file))))
    try:
        src = folder / "large.dcm"
        shutil.copyfile(args.file, src)
        ds = dcmfast.dcmread(src)
        times: dict[str, list[float]] = {k: [] for k in CASES}
        for _ in range(args.rounds):
            for i, case in enumerate(CASES):
                target = folder / f"out{i}.dcm"
                if "new name" in case:
                    target.unlink(missing_ok=True)
                elif not target.exists():
                    shutil.copyfile(src, target)
                os.sync()  # no writeback of the previous case in this one's time
                start = time.perf_counter()
                if case.startswith("save_as"):
                    ds.save_as(target)
                elif case.startswith("copyfile + rename"):
                    tmp = folder / f"out{i}.tmp"
                    shutil.copyfile(src, tmp)
                    os.replace(tmp, target)
                else:
                    shutil.copyfile(src, target)
                times[case].append(time.perf_counter() - start)
        med = {k: statistics.median(v) for k, v in times.items()}
        size = src.stat().st_size
        print(f"{args.file}: {size / 1e6:.1f} MB, medians of {args.rounds} alternating rounds, "
              f"load {os.getloadavg()[0]:.2f}")
        for case, t in med.items():
            print(f"  {case:42s} {t * 1e3:7.1f} ms")
        print(f"new name: save_as {med[CASES[0]] / med[CASES[1]]:.2f}x copyfile; over an existing "
              f"file: {med[CASES[2]] / med[CASES[3]]:.2f}x copyfile + rename, "
              f"{med[CASES[2]] / med[CASES[4]]:.2f}x copyfile in place")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
