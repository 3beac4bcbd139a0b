"""Grey-scale pipeline: dcmfast.pixels.lut against pydicom.pixels.processing, as
alternating medians in one process, on a 2048 x 2048 int16 image (CT-like, with
Rescale, Window Center / Width and a VOI LUT Sequence) and on CT_small.dcm.
Every result is checked equal to pydicom's first.

    python benchmarks/scripts/lut_bench.py [rounds]
"""

import gc
import os
import statistics
import sys
import time

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.pixels import processing as pyproc
from pydicom.sequence import Sequence

import dcmfast
import dcmfast.pixels as dp

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15


def big_case() -> tuple[np.ndarray, Dataset]:
    rng = np.random.default_rng(1)
    # CT-like values: a smooth field plus noise, -1024..3071
    y, x = np.mgrid[0:2048, 0:2048]
    arr = (1000 * np.sin(x / 300.0) * np.cos(y / 200.0) + rng.normal(0, 80, (2048, 2048)))
    arr = np.clip(arr, -1024, 3071).astype(np.int16)
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = 16
    ds.PixelRepresentation = 1
    ds.RescaleSlope, ds.RescaleIntercept = 1.0, -1024.0
    ds.WindowCenter, ds.WindowWidth = 40.0, 400.0
    return arr, ds


def voi_lut_ds(base: Dataset) -> Dataset:
    ds = Dataset()
    ds.update(base)
    del ds.RescaleSlope, ds.RescaleIntercept
    item = Dataset()
    item.add_new(0x00283002, "SS", [4096, -1024, 12])
    item.add_new(0x00283006, "US", [(i * 7) % 4096 for i in range(4096)])
    ds.VOILUTSequence = Sequence([item])
    return ds


arr, pds = big_case()
vds = voi_lut_ds(pds)
ct_path = get_testdata_file("CT_small.dcm")
ct_p = pydicom.dcmread(ct_path)
ct_f = dcmfast.dcmread(ct_path)
ct_arr_p, ct_arr_f = ct_p.pixel_array, dp.pixel_array(ct_f)
ct_hu_p = pyproc.apply_modality_lut(ct_arr_p, ct_p)
ct_hu_f = dp.apply_modality_lut(ct_arr_f, ct_f)

hu_p = pyproc.apply_modality_lut(arr, pds)
hu_f = dp.apply_modality_lut(arr, pds)

cases = {
    # name: (dcmfast call, pydicom call)
    "2k voi_lut (window)": (lambda: dp.apply_voi_lut(arr, pds),
                            lambda: pyproc.apply_voi_lut(arr, pds)),
    "2k voi_lut (window) t2": (lambda: dp.apply_voi_lut(arr, pds, threads=2),
                               lambda: pyproc.apply_voi_lut(arr, pds)),
    "2k voi_lut (LUT seq)": (lambda: dp.apply_voi_lut(arr, vds),
                             lambda: pyproc.apply_voi_lut(arr, vds)),
    "2k windowing": (lambda: dp.apply_windowing(arr, pds), lambda: pyproc.apply_windowing(arr, pds)),
    "2k windowing(HU f64)": (lambda: dp.apply_windowing(hu_f, pds),
                             lambda: pyproc.apply_windowing(hu_p, pds)),
    "2k windowing(HU f64) t2": (lambda: dp.apply_windowing(hu_f, pds, threads=2),
                                lambda: pyproc.apply_windowing(hu_p, pds)),
    "2k modality (rescale)": (lambda: dp.apply_modality_lut(arr, pds),
                              lambda: pyproc.apply_modality_lut(arr, pds)),
    "CT_small modality": (lambda: dp.apply_modality_lut(ct_arr_f, ct_f),
                          lambda: pyproc.apply_modality_lut(ct_arr_p, ct_p)),
    "CT_small voi_lut(HU)": (lambda: dp.apply_voi_lut(ct_hu_f, ct_f),
                             lambda: pyproc.apply_voi_lut(ct_hu_p, ct_p)),
    "CT_small windowing": (lambda: dp.apply_windowing(ct_arr_f, ct_f),
                           lambda: pyproc.apply_windowing(ct_arr_p, ct_p)),
}

for name, (ours, theirs) in cases.items():
    a, b = ours(), theirs()
    assert a.dtype == b.dtype and np.array_equal(a, b), name

# each case: dcmfast and pydicom alternate, 5 calls each per round (a collection
# before every call would time cold caches, not the work); gc off while timing
times: dict[str, list[float]] = {f"{n}|{who}": [] for n in cases for who in ("dcmfast", "pydicom")}
for _ in range(rounds):
    gc.collect()
    gc.disable()
    for name, (ours, theirs) in cases.items():
        for _call in range(5):
            for who, fn in (("dcmfast", ours), ("pydicom", theirs)):
                t = time.perf_counter()
                result = fn()
                times[f"{name}|{who}"].append(time.perf_counter() - t)
                del result
    gc.enable()

print(f"{'case':26s} {'dcmfast':>10s} {'pydicom':>10s} {'ratio':>8s}   ({rounds} rounds, "
      f"load {os.getloadavg()[0]:.2f})")
for name in cases:
    ours_ms = statistics.median(times[f"{name}|dcmfast"]) * 1e3
    theirs_ms = statistics.median(times[f"{name}|pydicom"]) * 1e3
    print(f"{name:26s} {ours_ms:8.3f}ms {theirs_ms:8.3f}ms {theirs_ms / ours_ms:7.1f}x")
