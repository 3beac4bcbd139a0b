"""Peak memory of ``ds.compress(RLE)`` (target: the input array + the output + 10%), each
run in a fresh process: the rise of its peak resident set (VmHWM) over its resident set
before the file is read, against the pixel array's size (the native file read: the array
is a view of it) plus the encoded value's size; and the rise during ``compress`` alone
(the peak reset after the read through /proc/self/clear_refs) against the output.

    python benchmarks/scripts/compress_peak.py [NATIVE_FILE] [--runs 3] [--threads N]

NATIVE_FILE defaults to the bench corpus's 100-frame 512 x 512 int16 file
(~/.cache/dcmfast-bench/v1/enhanced_ct_100.dcm, built by ``python -m dcmfast.bench``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

DEFAULT = Path.home() / ".cache/dcmfast-bench/v1/enhanced_ct_100.dcm"


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident set
        return True
    except OSError:
        return False


def child(path: str, threads: int | None) -> None:
    import gc

    import numpy as np  # noqa: F401 - imported before the baseline
    import pydicom.data

    import dcmfast

    # warm-up: the imports compress makes (pydicom's value validation among them) and the
    # thread pool, on a small file, so that only the compress's own memory is measured
    warm = dcmfast.dcmread(pydicom.data.get_testdata_file("emri_small.dcm"))
    warm.compress("1.2.840.10008.1.2.5", generate_instance_uid=False, threads=threads)
    del warm
    gc.collect()
    base = _status("VmRSS")
    ds = dcmfast.dcmread(path)
    arr = ds.pixel_array
    pixels = arr.nbytes
    del arr
    gc.collect()
    before = _status("VmRSS")
    reset = _reset_peak()
    ds.compress("1.2.840.10008.1.2.5", generate_instance_uid=False, threads=threads)
    peak = _status("VmHWM")
    out = len(ds.PixelData)
    print(json.dumps({"base": base, "before": before, "peak": peak, "pixels": pixels,
                      "output": out, "reset": reset}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", default=str(DEFAULT))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.file, args.threads)
        return
    results = []
    for _ in range(args.runs):
        cmd = [sys.executable, __file__, args.file, "--child"]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results.append(json.loads(proc.stdout))
    r = results[0]
    total = statistics.median(x["peak"] - x["base"] for x in results)
    during = statistics.median(x["peak"] - x["before"] for x in results)
    mb = 1e6
    print(f"{Path(args.file).name}: pixel array {r['pixels'] / mb:.1f} MB, RLE value "
          f"{r['output'] / mb:.1f} MB; {args.runs} fresh processes, medians")
    print(f"  peak rise over the process before the read: {total / mb:.1f} MB = "
          f"{total / (r['pixels'] + r['output']):.3f}x (input + output; target <= 1.10x)")
    if r["reset"]:
        print(f"  peak rise during compress (after the read): {during / mb:.1f} MB = "
              f"{during / r['output']:.3f}x the output")
    print(f"  load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
