"""RLE Lossless encoding: dcmfast (threads=1) against pylibjpeg-rle's encoder and
pydicom's own (pure Python) encoder, as alternating medians in one process, on

  (a) a 512 x 512 16-bit CT slice (pydicom's eCT_Supplemental.dcm, frame 0),
  (b) a 2048 x 2048 16-bit radiograph (pydicom-data's RG1_UNCR.dcm, 1955 x 1841,
      edge-padded),

then a 100-frame 512 x 512 16-bit array (the two eCT slices, each frame shifted)
with threads=1 against threads=2. Every output is checked by decoding it with
dcmfast's decoder, and the encoded sizes are compared with DCMTK's dcmcrle when it
is installed.

    python benchmarks/scripts/rle_encode.py [rounds=15] [pydicom_rounds=3]
"""
from __future__ import annotations

import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames
from pydicom.pixels.encoders import RLELosslessEncoder
from rle.utils import encode_array

from dcmfast._core import rle as core_rle
from dcmfast.pixels import rle_encode

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
PYDICOM_ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def images() -> dict[str, np.ndarray]:
    ct = pydicom.dcmread(get_testdata_file("eCT_Supplemental.dcm")).pixel_array
    cr = pydicom.dcmread(get_testdata_file("RG1_UNCR.dcm")).pixel_array
    big = np.pad(cr, ((0, 2048 - cr.shape[0]), (0, 2048 - cr.shape[1])), mode="edge")
    many = np.stack([np.roll(ct[i % 2], 3 * i, axis=1) for i in range(100)])
    return {"ct512": np.ascontiguousarray(ct[0]), "cr2048": big, "ct512x100": many}


def pylibjpeg(arr: np.ndarray) -> list[bytes]:
    frames = arr.shape[0] if arr.ndim == 3 else 1
    return list(encode_array(arr, rows=arr.shape[-2], columns=arr.shape[-1], samples_per_pixel=1,
                             bits_allocated=arr.dtype.itemsize * 8, number_of_frames=frames))


def pydicom_native(arr: np.ndarray) -> list[bytes]:
    return [RLELosslessEncoder.encode(
        arr, encoding_plugin="pydicom", rows=arr.shape[0], columns=arr.shape[1],
        samples_per_pixel=1, bits_allocated=16, bits_stored=16,
        pixel_representation=int(arr.dtype.kind == "i"),
        photometric_interpretation="MONOCHROME2", number_of_frames=1)]


def correct(frames: list[bytes], arr: np.ndarray) -> bool:
    full = arr.reshape(-1, *arr.shape[-2:])
    out = np.empty(full.shape[1:], dtype=arr.dtype)
    for frame, expected in zip(frames, full, strict=True):
        core_rle.decode_frame(frame, out.shape[0], out.shape[1], 1, arr.dtype.itemsize * 8,
                              out.reshape(-1).view(np.uint8))
        if not np.array_equal(out, expected):
            return False
    return True


def dcmcrle_sizes(arr: np.ndarray, folder: Path) -> list[int] | None:
    """The frame sizes DCMTK's dcmcrle gives for `arr` (None without DCMTK)."""
    if shutil.which("dcmcrle") is None:
        return None
    ds = pydicom.dcmread(get_testdata_file("eCT_Supplemental.dcm"))
    ds.Rows, ds.Columns = arr.shape[-2:]
    ds.NumberOfFrames = 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.PixelRepresentation = int(arr.dtype.kind == "i")
    ds.PixelData = arr.tobytes()
    src, dst = folder / "native.dcm", folder / "rle.dcm"
    ds.save_as(src)
    subprocess.run(["dcmcrle", str(src), str(dst)], check=True, capture_output=True)
    return [len(f) for f in generate_frames(pydicom.dcmread(dst).PixelData, number_of_frames=1)]


def timed(impls: dict, rounds: dict[str, int]) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in impls}
    for r in range(max(rounds.values())):
        for name, fn in impls.items():
            if r >= rounds[name]:
                continue
            gc.collect()
            start = time.perf_counter()
            out = fn()
            times[name].append(time.perf_counter() - start)
            del out
    return {k: statistics.median(v) for k, v in times.items()}


def parallelism() -> float:
    """How many CPUs two GIL-free threads get right now (2.0: two idle CPUs): the same
    numpy sorts on 1 thread, then twice the work on 2. On a shared machine the t1/t2
    ratio cannot exceed this."""
    data = np.random.default_rng(0).random(1_000_000)

    def work() -> None:
        for _ in range(10):
            np.sort(data)

    def run(n: int) -> float:
        threads = [threading.Thread(target=work) for _ in range(n)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start

    one = statistics.median(run(1) for _ in range(3))
    two = statistics.median(run(2) for _ in range(3))
    return 2 * one / two


def main() -> None:
    data = images()
    with tempfile.TemporaryDirectory() as tmp:
        for key in ("ct512", "cr2048"):
            arr = data[key]
            mb = arr.nbytes / 1e6
            impls = {
                "dcmfast t1": lambda arr=arr: rle_encode(arr, threads=1),
                "pylibjpeg-rle": lambda arr=arr: pylibjpeg(arr),
                "pydicom": lambda arr=arr: pydicom_native(arr),
            }
            outputs = {k: fn() for k, fn in impls.items()}
            medians = timed(impls, {"dcmfast t1": ROUNDS, "pylibjpeg-rle": ROUNDS,
                                    "pydicom": PYDICOM_ROUNDS})
            reference = dcmcrle_sizes(arr, Path(tmp))
            print(f"{key}: {arr.shape} {arr.dtype}, {mb:.2f} MB")
            for name, median in medians.items():
                size = len(outputs[name][0])
                vs = f"  {size / reference[0]:.4f}x dcmcrle" if reference else ""
                print(f"  {name:14s} {median * 1e3:9.3f} ms {mb / median:8.0f} MB/s  "
                      f"time {medians[name] / medians['dcmfast t1']:7.1f}x dcmfast's  size {size}{vs}  "
                      f"correct={correct(outputs[name], arr)}")
            if reference:
                print(f"  {'dcmcrle':14s} size {reference[0]}")
    arr = data["ct512x100"]
    mb = arr.nbytes / 1e6
    impls = {"dcmfast t1": lambda: rle_encode(arr, threads=1),
             "dcmfast t2": lambda: rle_encode(arr, threads=2)}
    outputs = {k: fn() for k, fn in impls.items()}
    assert outputs["dcmfast t1"] == outputs["dcmfast t2"]
    before = parallelism()
    medians = timed(impls, dict.fromkeys(impls, ROUNDS))
    after = parallelism()
    print(f"ct512x100: {arr.shape} {arr.dtype}, {mb:.1f} MB, correct={correct(outputs['dcmfast t2'], arr)}")
    for name, median in medians.items():
        print(f"  {name:14s} {median * 1e3:9.3f} ms {mb / median:8.0f} MB/s")
    print(f"  t1/t2 {medians['dcmfast t1'] / medians['dcmfast t2']:.2f}x  "
          f"(CPUs two threads got: {before:.2f} before, {after:.2f} after; "
          f"load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
