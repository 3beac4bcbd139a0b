"""End-to-end RLE timings from a path: dcmfast vs pydicom+pylibjpeg-rle vs dicomsdl,
dcmfast 1 vs 2 threads, and the decode_frame kernel alone. Interleaves the
implementations round by round (in a shuffled order) and reports medians (ms), so
load drifts hit all alike.

Run: PYTHONPATH=src python benchmarks/rle/compare.py [--rounds N] [--only NAME]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pydicom  # noqa: E402

import dcmfast  # noqa: E402
from dcmfast._core import rle as core_rle  # noqa: E402
from dcmfast.pixels import pixel_array  # noqa: E402

CACHE = Path.home() / ".cache" / "dcmfast-bench" / "v1"


def files() -> dict[str, Path]:
    import data_store
    import pydicom.data

    bundled = Path(pydicom.data.__file__).parent / "test_files"
    out = {
        "image_2048_rle": CACHE / "image_2048_rle.dcm",
        "enhanced_ct_100_rle": CACHE / "enhanced_ct_100_rle.dcm",
        "OBXXXX1A_rle": Path(data_store.__file__).parent / "data" / "OBXXXX1A_rle.dcm",
        "SC_rgb_rle_2frame": bundled / "SC_rgb_rle_2frame.dcm",
    }
    synth = Path(tempfile.gettempdir()) / "dcmfast-rle-bench" / "rle_64x512x512_16bit.dcm"
    if not synth.exists():
        from _rle_bench_inputs import make_multiframe_rle

        synth.parent.mkdir(parents=True, exist_ok=True)
        make_multiframe_rle(synth.parent)
    out["synthetic_64"] = synth
    return out


def run_pydicom(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        ds.pixel_array_options(decoding_plugin="pylibjpeg")
        return ds.pixel_array


def run_dicomsdl(path):
    import dicomsdl

    ds = dicomsdl.open(str(path))
    n = int(ds.NumberOfFrames or 1) if ds.getDataElement(0x00280008) else 1
    if n == 1:
        return ds.pixelData(storedvalue=True)
    return np.stack([ds.pixelData(i, storedvalue=True) for i in range(n)])


def kernel_case(path):
    """decode_frames over every frame into a preallocated array (no file read)."""
    from dcmfast.pixels import encaps

    ds = pydicom.dcmread(path)
    n = int(getattr(ds, "NumberOfFrames", 1) or 1)
    frames = encaps.locate_frames(memoryview(ds.PixelData), n)
    rows, cols, spp, ba = ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated
    out = np.empty((len(frames), rows * cols * spp * ba // 8), np.uint8)
    data = [bytes(f.data) for f in frames]

    def run():
        core_rle.decode_frames(data, rows, cols, spp, ba, out)
        return out
    return run


def median_ms(samples):
    return statistics.median(samples) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=31)
    ap.add_argument("--only")
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    print("load:", os.getloadavg())
    for name, path in files().items():
        if args.only and args.only not in name:
            continue
        ref = run_pydicom(path)
        impls = {
            "dcmfast": lambda p=path: pixel_array(p, threads=1),
            "dcmfast ds.pixel_array": lambda p=path: dcmfast.dcmread(p).pixel_array,
            "dcmfast 2 threads": lambda p=path: pixel_array(p, threads=2),
            "kernel": kernel_case(path),
        }
        ds = dcmfast.dcmread(path)  # decode only: the file already read
        impls["from ds 1 thread"] = lambda d=ds: pixel_array(d, threads=1)
        impls["from ds 2 threads"] = lambda d=ds: pixel_array(d, threads=2)
        if not args.no_peers:
            impls["pydicom+plj"] = lambda p=path: run_pydicom(p)
            impls["dicomsdl"] = lambda p=path: run_dicomsdl(p)
        for key, fn in impls.items():
            arr = fn()
            if key.startswith(("dcmfast", "from ds")):
                assert np.array_equal(arr, ref) and arr.dtype == ref.dtype, (name, key)
        times = {k: [] for k in impls}
        rng = random.Random(0)
        order = list(impls)
        for _ in range(args.rounds):
            rng.shuffle(order)  # no implementation always runs after the same other one
            for key in order:
                fn = impls[key]
                t = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - t)
        med = {k: median_ms(v) for k, v in times.items()}
        line = ", ".join(f"{k} {v:.3f}" for k, v in med.items())
        extra = ""
        if "pydicom+plj" in med:
            extra = (f" | plj/dcmfast {med['pydicom+plj'] / med['dcmfast']:.2f}x"
                     f", dicomsdl/dcmfast {med['dicomsdl'] / med['dcmfast']:.2f}x")
        print(f"{name}: {line}{extra} | 1t/2t from path "
              f"{med['dcmfast'] / med['dcmfast 2 threads']:.2f}x, from ds "
              f"{med['from ds 1 thread'] / med['from ds 2 threads']:.2f}x")
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
