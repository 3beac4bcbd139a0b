"""Writing a large multi-frame file unchanged: time against copying its bytes, and peak memory.

    python benchmarks/scripts/write_large.py [FILE]

Without FILE, a 52 MB file (100 frames of 512x512 int16, Explicit VR Little Endian) is made
once in a temporary folder. Times: medians of 9 alternating samples of
`dcmread` + `save_as` (atomic, no fsync) against `shutil.copyfile` and against
`open().read()` + `open("wb").write()`, and `save_as` alone of a dataset read before (its
Pixel Data copied from the unchanged source file by ``os.copy_file_range``). Peak memory:
in a fresh process, the peak resident set while writing (reset after the read through
/proc/self/clear_refs) above the resident set after the read, as a share of the file's
size (Linux).
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEAK = """
import sys, dcmfast

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

ds = dcmfast.dcmread(sys.argv[1])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident set
base = status("VmRSS")
if sys.argv[3] == "write":
    ds.save_as(sys.argv[2])
print(status("VmHWM"), base)
"""

def make(folder: Path) -> Path:
    import numpy as np
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    arr = np.random.default_rng(0).integers(-1000, 3000, size=(100, 512, 512), dtype=np.int16)
    ds.Rows = ds.Columns = 512
    ds.NumberOfFrames = 100
    ds.PixelData = arr.tobytes()
    path = folder / "large.dcm"
    ds.save_as(path)
    return path


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else make(folder)
    size = src.stat().st_size
    import dcmfast

    def ours():
        dcmfast.dcmread(src).save_as(folder / "ours.dcm")

    def copy():
        shutil.copyfile(src, folder / "copy.dcm")

    def readwrite():
        data = src.read_bytes()
        with open(folder / "rw.dcm", "wb") as f:
            f.write(data)

    already = dcmfast.dcmread(src)

    def save_only():
        already.save_as(folder / "saved.dcm")

    times: dict[str, list[float]] = {"dcmread + save_as": [], "shutil.copyfile": [], "read + write": [],
                                     "save_as (read before)": []}
    for _ in range(9):
        for name, fn in zip(times, (ours, copy, readwrite, save_only), strict=True):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    assert (folder / "ours.dcm").read_bytes() == src.read_bytes()
    assert (folder / "saved.dcm").read_bytes() == src.read_bytes()
    base = statistics.median(times["shutil.copyfile"])
    print(f"{src.name}: {size / 1e6:.1f} MB, medians of 9")
    for name, samples in times.items():
        med = statistics.median(samples)
        print(f"  {name:20s} {med * 1e3:8.2f} ms   {med / base:5.2f}x copyfile")
    for mode in ("read", "write"):
        out = subprocess.run([sys.executable, "-c", PEAK, str(src), str(folder / "peak.dcm"), mode],
                             capture_output=True, text=True, check=True, env=dict(os.environ))
        peak, after_read = (int(x) for x in out.stdout.split())
        print(f"  {mode}: resident after the read {after_read / 1e6:.1f} MB, peak from there "
              f"{peak / 1e6:.1f} MB ({(peak - after_read) / size * 100:.1f}% of the file's size more)")
    shutil.rmtree(folder, ignore_errors=True)


def _machine_note(wall_start: float, cpu_start: float) -> None:
    """The load average and the CPU time this process got (a shared machine is noisy)."""
    import os

    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load}; this process: {cpu:.1f} s CPU in {wall:.1f} s ({cpu / wall:.0%})")


if __name__ == "__main__":
    _wall0, _cpu0 = time.perf_counter(), time.process_time()
    main()
    _machine_note(_wall0, _cpu0)
