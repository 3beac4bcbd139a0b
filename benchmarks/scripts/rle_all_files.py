"""Every RLE file of pydicom's test data (and the bench corpus): read + decode from a
path, dcmfast threads=1 against pydicom + pylibjpeg-rle and dicomsdl (medians of
alternating runs; dicomsdl is tried in a child process first, it dies on some files).

    python benchmarks/scripts/rle_all_files.py
"""
from __future__ import annotations

import gc
import glob
import os
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pydicom
import pydicom.data
from pydicom.pixels import pixel_array as pd_pixel_array

import dcmfast.pixels as dp

RLE = "1.2.840.10008.1.2.5"
SDL_PROBE = (
    "import sys, dicomsdl\n"
    "ds = dicomsdl.open(sys.argv[1])\n"
    "n = int(ds.NumberOfFrames or 1) if ds.getDataElement(0x00280008) else 1\n"
    "[ds.pixelData(i, storedvalue=True) for i in range(n)]\n"
)


def rle_files() -> list[str]:
    base = os.path.dirname(pydicom.data.__file__)
    roots = [os.path.join(base, "test_files"), os.path.join(base, "charset_files"),
             os.path.expanduser("~/.cache/dcmfast-bench/v1")]
    found = []
    for root in roots:
        for path in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
            if not os.path.isfile(path):
                continue
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True)
                if str(ds.file_meta.TransferSyntaxUID) == RLE:
                    found.append(path)
            except Exception:  # noqa: BLE001, S112 - not a DICOM file
                continue
    return found


def dicomsdl_decodes(path: str) -> bool:
    return subprocess.run([sys.executable, "-c", SDL_PROBE, path], capture_output=True,
                          check=False).returncode == 0


def dicomsdl_frames(path: str) -> list[Any]:
    import dicomsdl

    ds = dicomsdl.open(path)
    n = int(ds.NumberOfFrames or 1) if ds.getDataElement(0x00280008) else 1
    return [ds.pixelData(i, storedvalue=True) for i in range(n)]


def medians(impls: dict[str, Callable[[], Any]], per_sample: int, rounds: int = 7) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in impls}
    for _ in range(rounds):
        for name, fn in impls.items():
            gc.collect()
            start = time.perf_counter()
            for _ in range(per_sample):
                fn()
            times[name].append((time.perf_counter() - start) / per_sample)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    warnings.simplefilter("ignore")
    for path in rle_files():
        name = os.path.basename(path)
        try:
            ref = pd_pixel_array(path, decoding_plugin="pylibjpeg")
        except Exception as exc:  # noqa: BLE001 - reported, not measured
            print(f"{name:40s} pydicom cannot decode: {type(exc).__name__}")
            continue
        ours = dp.pixel_array(path, threads=1)
        assert np.array_equal(ours.reshape(ref.shape), ref), name
        impls: dict[str, Callable[[], Any]] = {
            "dcmfast": lambda p=path: dp.pixel_array(p, threads=1),
            "plj": lambda p=path: pd_pixel_array(p, decoding_plugin="pylibjpeg"),
        }
        if dicomsdl_decodes(path):
            impls["sdl"] = lambda p=path: dicomsdl_frames(p)
        start = time.perf_counter()
        impls["plj"]()
        once = time.perf_counter() - start
        m = medians(impls, max(1, int(0.01 / max(once, 1e-6))))
        sdl = f"{m['sdl'] / m['dcmfast']:.1f}x" if "sdl" in m else "fails"
        print(f"{name:40s} dcmfast {m['dcmfast'] * 1e6:9.1f} us  x plj {m['plj'] / m['dcmfast']:5.1f}"
              f"  x dicomsdl {sdl}")


if __name__ == "__main__":
    main()
