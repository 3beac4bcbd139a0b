"""RLE Lossless: dcmfast (1 thread) against pydicom + pylibjpeg-rle on the same
dataset, and dcmfast's thread scaling. Each records whether its array equals
pydicom's (extra_info["correct"]).

Run: python -m pytest benchmarks/rle --benchmark-only --benchmark-group-by=param:path
"""
from __future__ import annotations

import numpy as np
import pydicom
import pytest
from _rle_bench_inputs import rle_corpus
from pydicom.pixels import pixel_array as pydicom_pixel_array

from dcmfast.pixels import pixel_array

FILES = rle_corpus()


def _read(path):
    return pydicom.dcmread(path, force=True)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("impl", ["dcmfast", "pydicom+pylibjpeg-rle"])
def test_rle_file(benchmark, path, impl):
    ds = _read(path)
    expected = pydicom_pixel_array(ds, decoding_plugin="pylibjpeg")
    if impl == "dcmfast":
        arr = benchmark(pixel_array, ds, threads=1)
    else:
        arr = benchmark(pydicom_pixel_array, ds, decoding_plugin="pylibjpeg")
    benchmark.group = f"rle {path.name}"
    benchmark.extra_info["correct"] = bool(np.array_equal(arr, expected) and arr.dtype == expected.dtype)


@pytest.mark.parametrize("impl", ["dcmfast-1", "dcmfast-2", "pydicom+pylibjpeg-rle"])
def test_rle_multiframe(benchmark, multiframe_rle, impl):
    ds = _read(multiframe_rle)
    expected = pydicom_pixel_array(ds, decoding_plugin="pylibjpeg")
    benchmark.group = "rle 64 x 512 x 512 16-bit"
    if impl.startswith("dcmfast"):
        arr = benchmark.pedantic(pixel_array, (ds,), {"threads": int(impl[-1])}, rounds=8,
                                 warmup_rounds=1)
    else:
        arr = benchmark.pedantic(pydicom_pixel_array, (ds,), {"decoding_plugin": "pylibjpeg"},
                                 rounds=3)
    benchmark.extra_info["correct"] = bool(np.array_equal(arr, expected))
