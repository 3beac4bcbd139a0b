"""Native pixel data: dcmfast's view against pydicom's copy, and a 1-frame against a
64-frame file (a view costs the same). Each records extra_info["correct"].

Run: python -m pytest benchmarks/pixels --benchmark-only
"""
from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import pixel_array as pydicom_pixel_array

from dcmfast.pixels import pixel_array


def _dataset(frames: int) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.Rows = ds.Columns = 512
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.NumberOfFrames = frames
    rng = np.random.default_rng(0)
    ds.PixelData = rng.integers(-1000, 3000, (frames, 512, 512), dtype=np.int16).tobytes()
    return ds


@pytest.fixture(scope="module", params=[1, 64], ids=lambda n: f"{n}frame")
def native(request):
    return _dataset(request.param)


@pytest.mark.parametrize("impl", ["dcmfast", "pydicom"])
def test_native(benchmark, native, impl):
    expected = pydicom_pixel_array(native)
    benchmark.group = f"native 512x512 16-bit, {native.NumberOfFrames} frame(s)"
    func = pixel_array if impl == "dcmfast" else pydicom_pixel_array
    arr = benchmark(func, native)
    benchmark.extra_info["correct"] = bool(np.array_equal(arr, expected) and arr.dtype == expected.dtype)
    if impl == "dcmfast":
        benchmark.extra_info["view"] = bool(np.shares_memory(arr, np.frombuffer(native.PixelData, np.uint8)))
