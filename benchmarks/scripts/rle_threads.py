"""RLE: 2 threads against 1 (decode only, and from a path) and one thread against
pydicom + pylibjpeg-rle, as alternating medians in one process.

    python benchmarks/scripts/rle_threads.py ~/.cache/dcmfast-bench/v1/enhanced_ct_100_rle.dcm 21
"""

import gc
import os
import statistics
import sys
import time

import numpy as np
from pydicom.pixels import pixel_array as pd_pixel_array

import dcmfast
import dcmfast.pixels as dp

path = os.path.expanduser(sys.argv[1])
rounds = int(sys.argv[2])
ds = dcmfast.dcmread(path)
ref = pd_pixel_array(path, decoding_plugin="pylibjpeg")
impls = {
    "decode t1": lambda: dp.pixel_array(ds, threads=1),
    "decode t2": lambda: dp.pixel_array(ds, threads=2),
    "path t1": lambda: dp.pixel_array(path, threads=1),
    "path t2": lambda: dp.pixel_array(path, threads=2),
    "pydicom+plj": lambda: pd_pixel_array(path, decoding_plugin="pylibjpeg"),
}
for k, f in impls.items():
    assert np.array_equal(f().reshape(ref.shape), ref), k
T = {k: [] for k in impls}
for _r in range(rounds):
    for k, f in impls.items():
        gc.collect()
        t = time.perf_counter()
        x = f()
        T[k].append(time.perf_counter() - t)
        del x
m = {k: statistics.median(v) for k, v in T.items()}
for k, v in m.items():
    print(f"{k:12s} {v * 1e3:8.2f} ms")
print(
    f"decode t1/t2 {m['decode t1'] / m['decode t2']:.2f}x  path t1/t2 {m['path t1'] / m['path t2']:.2f}x  "
    f"plj/path t1 {m['pydicom+plj'] / m['path t1']:.2f}x  load {os.getloadavg()[0]:.2f}"
)
