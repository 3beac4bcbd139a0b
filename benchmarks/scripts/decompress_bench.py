"""``ds.decompress()`` against ``ds.pixel_array`` of the same file (each with a fresh
``dcmread`` of it every time), alternating, medians and their ratio (target: within
1.2x), with pydicom 3's ``decompress`` (pylibjpeg-rle) as the peer in the same run.

The file is the bench corpus's 100-frame 512 x 512 int16 RLE Lossless file
(``python -m dcmfast.bench`` builds ~/.cache/dcmfast-bench/v1/enhanced_ct_100_rle.dcm);
any other encapsulated file may be given instead.

    python benchmarks/scripts/decompress_bench.py [FILE] [--rounds 15] [--threads N]
"""
from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import numpy as np
from _alternate import alternate  # benchmarks/scripts/_alternate.py

import dcmfast
import dcmfast.pixels as dp

DEFAULT = Path.home() / ".cache/dcmfast-bench/v1/enhanced_ct_100_rle.dcm"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", default=str(DEFAULT))
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--no-pydicom", action="store_true")
    args = ap.parse_args()
    path = args.file
    warnings.simplefilter("ignore")

    def pixel_array() -> object:
        ds = dcmfast.dcmread(path)
        if args.threads is None:
            return ds.pixel_array
        return dp.pixel_array(ds, threads=args.threads)  # the same threads as decompress

    def decompress() -> object:
        ds = dcmfast.dcmread(path)
        ds.decompress(threads=args.threads)
        return ds

    impls = {"dcmfast pixel_array": pixel_array, "dcmfast decompress": decompress}
    if not args.no_pydicom:
        import pydicom

        def pydicom_decompress() -> object:
            ds = pydicom.dcmread(path)
            ds.decompress(decoding_plugin="pylibjpeg")
            return ds

        impls["pydicom decompress"] = pydicom_decompress

    # correctness in the same run: the decompressed value holds pixel_array's samples
    ds = decompress()
    ref = pixel_array()
    got = np.frombuffer(ds.PixelData, dtype=ref.dtype, count=ref.size).reshape(ref.shape)
    assert np.array_equal(got, ref)
    del ds, ref, got
    med, got_cpus = alternate(impls, args.rounds)
    base = med["dcmfast pixel_array"]
    print(f"{Path(path).name}: {os.path.getsize(path) / 1e6:.1f} MB, {args.rounds} rounds, "
          f"threads={args.threads}")
    for name, t in med.items():
        print(f"  {name:<22} {t * 1e3:8.1f} ms  {t / base:5.2f}x pixel_array")
    print(f"decompress / pixel_array: {med['dcmfast decompress'] / base:.2f}x (target <= 1.2x); "
          f"load {os.getloadavg()[0]:.2f}; this process got {got_cpus:.2f} CPUs on average")


if __name__ == "__main__":
    main()
