"""Writing against pydicom, alternating in one process: medians and ratios.

    python benchmarks/scripts/write_bench.py [FILE]

Cases (CT_small.dcm by default): read + write unchanged, read + 5 edits + write,
read + transcode to Implicit VR Little Endian + write (to bytes), and read + save_as to
a path (dcmfast: atomic, no fsync; pydicom: open("wb")).
"""
from __future__ import annotations

import gc
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file

import dcmfast


def _timed(fn, calls):
    """The mean CPU time of the process per call (preemption by other work on a shared
    machine does not count; for the path case, the kernel's write work in this process
    does)."""
    gc.collect()
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else get_testdata_file("CT_small.dcm")
    folder = Path(tempfile.mkdtemp())

    def edits(ds):
        ds.PatientName = "A^B"
        ds.PatientID = "x"
        ds.StudyDescription = "d"
        ds.Rows = ds.Rows
        ds.SliceThickness = "1.0"

    def pyd(kind):
        def run():
            ds = pydicom.dcmread(path)
            if kind == "edit":
                edits(ds)
            if kind == "implicit":
                ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2"
            if kind == "path":
                ds.save_as(folder / "p.dcm")
            else:
                ds.save_as(io.BytesIO())
        return run

    def fast(kind):
        def run():
            ds = dcmfast.dcmread(path)
            if kind == "edit":
                edits(ds)
            if kind == "implicit":
                ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2"
            if kind == "path":
                ds.save_as(folder / "f.dcm")
            else:
                dcmfast.dcmwrite_bytes(ds)
        return run

    print(f"{Path(path).name}: medians of 15 alternating samples")
    for kind in ("unchanged", "edit", "implicit", "path"):
        a, b = pyd(kind), fast(kind)
        a(), b()
        ta, tb = [], []
        for _ in range(15):
            ta.append(_timed(a, 5))
            tb.append(_timed(b, 50))
        ma, mb = statistics.median(ta), statistics.median(tb)
        print(f"  {kind:10s} pydicom {ma * 1e3:8.2f} ms   dcmfast {mb * 1e6:8.1f} us   {ma / mb:6.1f}x")


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
