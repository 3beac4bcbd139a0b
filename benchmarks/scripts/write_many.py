"""The read-modify-write loop over the bench corpus's 2,000 CT slices against the floor
of reading and writing the same bytes.

    python benchmarks/scripts/write_many.py [ROUNDS]

Each round: for every file, dcmfast reads it, changes PatientName and PatientID, and
`save_as` writes it to an output folder (atomically, no fsync); the floor reads each
file's bytes (open+read) and writes them to a file (open+write). pydicom's loop is timed
on the first 200 files and scaled. Medians of ROUNDS (default 5) alternating rounds.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pydicom

import dcmfast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus import build  # noqa: E402


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    files = [str(p) for p in build()["ct_series"]]
    out = Path(tempfile.mkdtemp())
    targets = [str(out / Path(f).name) for f in files]

    def ours():
        for src, dst in zip(files, targets, strict=True):
            ds = dcmfast.dcmread(src)
            ds.PatientName = "Anonymous^Patient"
            ds.PatientID = "ID-0001"
            ds.save_as(dst)

    def floor():
        for src, dst in zip(files, targets, strict=True):
            with open(src, "rb") as f:
                data = f.read()
            with open(dst, "wb") as f:
                f.write(data)

    def theirs():
        for src, dst in zip(files[:200], targets[:200], strict=True):
            ds = pydicom.dcmread(src)
            ds.PatientName = "Anonymous^Patient"
            ds.PatientID = "ID-0001"
            ds.save_as(dst)

    samples: dict[str, list[float]] = {"dcmfast": [], "floor": [], "pydicom (x10)": []}
    for _ in range(rounds):
        for name, fn, scale in (("dcmfast", ours, 1), ("floor", floor, 1), ("pydicom (x10)", theirs, 10)):
            start = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - start) * scale)
    base = statistics.median(samples["floor"])
    size = sum(Path(f).stat().st_size for f in files) / 1e6
    print(f"{len(files)} files ({size:.1f} MB), medians of {rounds}")
    for name, values in samples.items():
        med = statistics.median(values)
        print(f"  {name:14s} {med * 1e3:9.1f} ms  {len(files) / med:9.0f} files/s  {med / base:5.2f}x floor")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
