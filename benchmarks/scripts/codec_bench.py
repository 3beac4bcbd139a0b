"""compress / decompress: dcmfast against pydicom 3 (pylibjpeg plugins and its own
RLE encoder), as alternating medians in one process, on a 100-frame 512 x 512 int16
dataset (CT_small's pixels tiled 4 x 4, each frame shifted), then

  * decompress of its RLE form against dcmfast's own pixel_array of it (target: 1.2x);
  * compress to RLE against pydicom (pylibjpeg-rle; pydicom's pure Python encoder on
    the first 4 frames, scaled to 100);
  * peak memory of dcmfast's compress (tracemalloc; target: input + output + 10%);
  * multi-frame JPEG (color3d_jpeg_baseline.dcm, 120 frames) and JPEG 2000 (the
    dataset's first 20 frames) decoding with 1 and 2 threads: the codec calls put on
    the worker pool (jpeg.RELEASES_GIL forced on) against one after the other, which
    says whether the pylibjpeg bindings let two threads decode at once.

    python benchmarks/scripts/codec_bench.py [rounds=5]
"""
from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
import warnings
from io import BytesIO

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset

import dcmfast
from dcmfast.pixels import jpeg, pixel_array, rle

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
RLE = "1.2.840.10008.1.2.5"
J2KR = "1.2.840.10008.1.2.4.90"
warnings.simplefilter("ignore")


def native_bytes(frames: int = 100) -> bytes:
    ct = pydicom.dcmread(get_testdata_file("CT_small.dcm")).pixel_array
    tile = np.tile(ct, (4, 4))
    arr = np.stack([np.roll(tile, 5 * i, axis=1) for i in range(frames)]).astype("<i2")
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = "1.2.3.4"
    ds.Rows = ds.Columns = 512
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.NumberOfFrames = frames
    ds.PixelData = arr.tobytes()
    out = BytesIO()
    pydicom.dcmwrite(out, ds, enforce_file_format=True)
    return out.getvalue()


def timed(impls: dict, rounds: int) -> dict[str, float]:
    """Median seconds of each callable, run alternately."""
    times: dict[str, list[float]] = {k: [] for k in impls}
    for _ in range(rounds):
        for name, fn in impls.items():
            gc.collect()
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def report(title: str, medians: dict[str, float], base: str) -> None:
    print(title)
    for name, t in medians.items():
        print(f"  {name:<44} {t * 1e3:9.1f} ms  {t / medians[base]:6.2f}x {base}")


def main() -> None:
    native = native_bytes()
    ds = dcmfast.dcmread(native)
    original = ds.pixel_array.copy()
    ds.compress(RLE, generate_instance_uid=False)
    rle_file = dcmfast.dcmwrite_bytes(ds)
    assert np.array_equal(pixel_array(rle_file), original)
    print(f"100 x 512 x 512 int16: {len(native) / 1e6:.1f} MB native, {len(rle_file) / 1e6:.1f} MB RLE; "
          f"{rle._cpus()} CPUs, {ROUNDS} rounds")

    def ours_decompress() -> None:
        d = dcmfast.dcmread(rle_file)
        d.decompress(generate_instance_uid=False)

    def pydicom_decompress() -> None:
        d = pydicom.dcmread(BytesIO(rle_file))
        d.decompress(generate_instance_uid=False)

    report("decompress (read included)", timed({
        "dcmfast decompress": ours_decompress,
        "dcmfast dcmread + pixel_array": lambda: dcmfast.dcmread(rle_file).pixel_array,
        "pydicom decompress (pylibjpeg-rle)": pydicom_decompress,
    }, ROUNDS), "dcmfast dcmread + pixel_array")

    def ours_compress(threads: int | None = None) -> None:
        d = dcmfast.dcmread(native)
        d.compress(RLE, generate_instance_uid=False, threads=threads)

    def pydicom_compress(plugin: str, frames: int | None = None) -> None:
        d = pydicom.dcmread(BytesIO(native))
        arr = None
        if frames is not None:
            d.NumberOfFrames = frames
            arr = d.pixel_array[:frames]
        d.compress(RLE, arr, encoding_plugin=plugin, generate_instance_uid=False)

    medians = timed({
        "dcmfast compress": ours_compress,
        "dcmfast compress threads=1": lambda: ours_compress(1),
        "pydicom compress (pylibjpeg-rle)": lambda: pydicom_compress("pylibjpeg"),
    }, ROUNDS)
    native4 = timed({"pydicom": lambda: pydicom_compress("pydicom", 4)}, 1)["pydicom"]
    medians["pydicom compress (pydicom, 4 frames x 25)"] = native4 * 25
    report("compress to RLE (read included)", medians, "dcmfast compress")

    d = dcmfast.dcmread(native)
    pixels = int(d.Rows) * int(d.Columns) * 2 * int(d.NumberOfFrames)
    gc.collect()
    tracemalloc.start()
    d.compress(RLE, generate_instance_uid=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    encoded = len(d.PixelData)
    print(f"compress peak memory (tracemalloc, after the read): {peak / 1e6:.1f} MB for "
          f"{pixels / 1e6:.1f} MB in + {encoded / 1e6:.1f} MB out = "
          f"{peak / (pixels + encoded):.2f}x (target <= 1.10x)")

    # multi-frame JPEG / JPEG 2000: does a second thread help?
    jpeg_file = get_testdata_file("color3d_jpeg_baseline.dcm")
    j2k = dcmfast.dcmread(native_bytes(20))
    j2k.compress(J2KR, generate_instance_uid=False)
    j2k_file = dcmfast.dcmwrite_bytes(j2k)
    saved, saved_min = dict(jpeg.RELEASES_GIL), rle.MIN_BYTES_PER_WORKER
    for name, src in (("JPEG baseline, 120 x 480 x 640 x 3", jpeg_file),
                      ("JPEG 2000 lossless, 20 x 512 x 512", j2k_file)):
        src_ds = dcmfast.dcmread(src)
        try:
            jpeg.RELEASES_GIL.update(jpeg=True, jpegls=True, j2k=True)
            rle.MIN_BYTES_PER_WORKER = 1
            medians = timed({"1 thread": lambda d=src_ds: pixel_array(d, threads=1),
                             "2 threads (pool)": lambda d=src_ds: pixel_array(d, threads=2)},
                            ROUNDS)
        finally:
            jpeg.RELEASES_GIL.update(saved)
            rle.MIN_BYTES_PER_WORKER = saved_min
        report(f"decode {name}", medians, "1 thread")


if __name__ == "__main__":
    main()
