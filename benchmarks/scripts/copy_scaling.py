"""The machine's own limit on two workers writing small files: `shutil.copyfile` of N
copies of CT_small into one folder with one process against two (forked, each copying
half), as alternating medians. De-identification with two workers can scale no better
than copying the same files does (`benchmarks/scripts/deid_bench.py`).

    python benchmarks/scripts/copy_scaling.py [--files 2000] [--rounds 7] [--dir /dev/shm]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from multiprocessing import get_context

from pydicom.data import get_testdata_file


def _copy(args: tuple[list[str], str]) -> int:
    paths, out = args
    for p in paths:
        shutil.copyfile(p, os.path.join(out, os.path.basename(p)))
    return len(paths)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    base = tempfile.mkdtemp(dir=args.dir)
    src_dir = os.path.join(base, "in")
    os.mkdir(src_dir)
    src = get_testdata_file("CT_small.dcm")
    paths = []
    for i in range(args.files):
        p = os.path.join(src_dir, f"{i:06d}.dcm")
        shutil.copyfile(src, p)
        paths.append(p)
    ctx = get_context("fork")
    pool = ctx.Pool(2)
    pool.map(_copy, [([], base)] * 2)  # started
    times: dict[str, list[float]] = {"1 process": [], "2 processes": []}
    try:
        for r in range(args.rounds):
            for name in times:
                out = os.path.join(base, f"out{r}{name[0]}")
                os.mkdir(out)
                t = time.perf_counter()
                if name == "1 process":
                    _copy((paths, out))
                else:
                    pool.map(_copy, [(paths[0::2], out), (paths[1::2], out)])
                times[name].append(time.perf_counter() - t)
                shutil.rmtree(out)
    finally:
        pool.close()
        shutil.rmtree(base)
    one = statistics.median(times["1 process"])
    two = statistics.median(times["2 processes"])
    print(f"{args.files} copies of CT_small, medians of {args.rounds} alternating rounds "
          f"(load {os.getloadavg()[0]:.2f}, {len(os.sched_getaffinity(0))} CPUs)")
    print(f"  copyfile, 1 process    {args.files / one:8.0f} files/s")
    print(f"  copyfile, 2 processes  {args.files / two:8.0f} files/s   {one / two:.2f}x one")


if __name__ == "__main__":
    main()
