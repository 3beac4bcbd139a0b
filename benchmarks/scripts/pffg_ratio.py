"""The 5,000-item per-frame positions case, dcmfast against pydicom, alternating in one
process (three dcmfast samples per pydicom one), each after a full collection.

    python benchmarks/scripts/pffg_ratio.py [ROUNDS]
"""

import gc
import statistics
import sys
import time
from pathlib import Path

import pydicom

import dcmfast

p = str(Path.home() / ".cache/dcmfast-bench/v1/pffg_5000.dcm")


def positions(ds):
    seq = ds.PerFrameFunctionalGroupsSequence
    return [seq[i].PlanePositionSequence[0].ImagePositionPatient for i in range(len(seq))]


def fd():
    return positions(dcmfast.dcmread(p))


def pd():
    return positions(pydicom.dcmread(p))


fd()
pd()
F = []
P = []
for _r in range(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
    gc.collect()
    t = time.perf_counter()
    x = pd()
    P.append(time.perf_counter() - t)
    del x
    for _ in range(3):
        gc.collect()
        t = time.perf_counter()
        x = fd()
        F.append(time.perf_counter() - t)
        del x
f = statistics.median(F)
q = statistics.median(P)
print(f"dcmfast {f * 1e3:.2f} ms  pydicom {q * 1e3:.1f} ms  ratio {q / f:.1f}x")
