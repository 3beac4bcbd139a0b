"""Page faults and time per 5,000-item per-frame positions read, in a fresh process:
what a program calling it in a loop pays (each sample of 4 reads after a collection).

    python benchmarks/scripts/pffg_faults.py [SAMPLES]
"""

import gc
import resource
import statistics
import sys
import time
from pathlib import Path

import dcmfast

p = str(Path.home() / ".cache/dcmfast-bench/v1/pffg_5000.dcm")


def positions(ds):
    seq = ds.PerFrameFunctionalGroupsSequence
    return [seq[i].PlanePositionSequence[0].ImagePositionPatient for i in range(len(seq))]


positions(dcmfast.dcmread(p))
samples = []
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
n = int(sys.argv[1]) if len(sys.argv) > 1 else 9
for _ in range(n):
    gc.collect()
    t = time.perf_counter()
    for _ in range(4):
        positions(dcmfast.dcmread(p))
    samples.append((time.perf_counter() - t) / 4)
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / (4 * n)
print(f"dcmfast {statistics.median(samples) * 1e3:.2f} ms per read, {faults:.0f} page faults per read")
