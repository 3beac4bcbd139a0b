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

  * JPEG 2000 Lossless, HTJ2K Lossless and JPEG-LS Lossless versions of the 100-frame
    file (~/.cache/dcmfast-bench/v1/enhanced_ct_100.dcm; the versions are written next
    to it by dcmfast's encoders): decode and encode with 1 and 2 threads, against
    pydicom (its default plugins) and against dcmfast's pylibjpeg backend, and whether
    pyjpegls lets two threads encode at once.

    python benchmarks/scripts/codec_bench.py [rounds=5] [--codecs] [--frames=N]

--codecs runs only the last part; --frames uses the first N frames (default 100).
"""
from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import threading
import time
import tracemalloc
import warnings
from io import BytesIO
from pathlib import Path

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset

import dcmfast
from dcmfast.pixels import codec_backends, jpeg, pixel_array, rle

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
FLAGS = {a.split("=")[0]: a.partition("=")[2] for a in sys.argv[1:] if a.startswith("--")}
ROUNDS = int(ARGS[0]) if ARGS else 5
FRAMES = int(FLAGS.get("--frames") or 100)
CACHE = Path.home() / ".cache/dcmfast-bench/v1"
HTJ2K = "1.2.840.10008.1.2.4.201"
JLS = "1.2.840.10008.1.2.4.80"
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


def _cpu() -> str:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return f"{usage.ru_utime + usage.ru_stime:.1f} s CPU"


def utilisation(fn) -> str:
    """CPU seconds / wall seconds of one call: above 1.0 only when two threads ran at
    once (the codec released the GIL), whatever the load of the machine."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return f"CPU/wall {(time.process_time() - cpu) / (time.perf_counter() - wall):.2f}"


def _enhanced_native() -> bytes:
    """The 100-frame 512 x 512 int16 file (made as native_bytes(100) when missing)."""
    path = CACHE / "enhanced_ct_100.dcm"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        dcmfast.dcmwrite(str(path), dcmfast.dcmread(native_bytes(100)))
    data = path.read_bytes()
    if FRAMES >= 100:
        return data
    ds = pydicom.dcmread(BytesIO(data))
    arr = ds.pixel_array[:FRAMES]
    ds.NumberOfFrames = FRAMES
    ds.PixelData = arr.tobytes()
    out = BytesIO()
    pydicom.dcmwrite(out, ds, enforce_file_format=True)
    return out.getvalue()


def _encoded_version(native: bytes, uid: str, suffix: str) -> bytes:
    """`native` compressed to `uid` by dcmfast, kept in the cache folder."""
    path = CACHE / f"enhanced_ct_{FRAMES}_{suffix}.dcm"
    if not path.exists():
        ds = dcmfast.dcmread(native)
        ds.compress(uid, generate_instance_uid=False)
        dcmfast.dcmwrite(str(path), ds)
    return path.read_bytes()


def codecs_main() -> None:
    """JPEG 2000 / HTJ2K / JPEG-LS: dcmfast (imagecodecs, pyjpegls) with 1 and 2 threads
    against pydicom and against dcmfast's pylibjpeg backend."""
    native = _enhanced_native()
    original = dcmfast.dcmread(native).pixel_array
    print(f"\n{FRAMES} x 512 x 512 int16; load average {os.getloadavg()}; {ROUNDS} rounds; "
          f"{rle._cpus()} CPUs")
    for uid, backend in codec_backends().items():
        if uid in (J2KR, HTJ2K, JLS):
            print(f"  decode {uid}: {backend}; encode: {codec_backends(encode=True)[uid]}")
    saved_min = rle.MIN_BYTES_PER_WORKER
    for name, uid, suffix in (("JPEG 2000 Lossless", J2KR, "j2k"), ("HTJ2K Lossless", HTJ2K, "htj2k"),
                              ("JPEG-LS Lossless", JLS, "jls")):
        data = _encoded_version(native, uid, suffix)
        ds = dcmfast.dcmread(data)
        assert np.array_equal(pixel_array(ds, threads=1), original)
        theirs = pydicom.dcmread(BytesIO(data))

        def pylibjpeg_backend(d=ds) -> None:
            jpeg.USE_IMAGECODECS = False
            try:
                pixel_array(d, threads=1)
            finally:
                jpeg.USE_IMAGECODECS = True

        impls = {"dcmfast 1 thread": lambda d=ds: pixel_array(d, threads=1),
                 "dcmfast 2 threads": lambda d=ds: pixel_array(d, threads=2),
                 "dcmfast pylibjpeg backend": pylibjpeg_backend,
                 "pydicom pixel_array": lambda t=theirs: pydicom.pixels.pixel_array(t)}
        rle.MIN_BYTES_PER_WORKER = saved_min
        report(f"decode {name} ({len(data) / 1e6:.1f} MB; {_cpu()} so far)", timed(impls, ROUNDS),
               "dcmfast 1 thread")
        print(f"  2 threads: {utilisation(impls['dcmfast 2 threads'])}; 1 thread: "
              f"{utilisation(impls['dcmfast 1 thread'])}")

        def ours(threads: int, plugin: str = "", u: str = uid) -> None:
            d = dcmfast.dcmread(native)
            d.compress(u, generate_instance_uid=False, threads=threads, encoding_plugin=plugin)

        def pydicoms(u: str = uid) -> None:
            d = pydicom.dcmread(BytesIO(native))
            d.compress(u, generate_instance_uid=False)

        impls = {"dcmfast 1 thread": lambda: ours(1), "dcmfast 2 threads": lambda: ours(2)}
        if uid == J2KR:
            impls["dcmfast encoding_plugin=pylibjpeg"] = lambda: ours(1, "pylibjpeg")
        if uid != HTJ2K:  # pydicom 3.0 has no HTJ2K encoder
            impls["pydicom compress"] = pydicoms
        report(f"encode {name} (read included; {_cpu()} so far)", timed(impls, ROUNDS),
               "dcmfast 1 thread")
        print(f"  2 threads: {utilisation(impls['dcmfast 2 threads'])}; 1 thread: "
              f"{utilisation(impls['dcmfast 1 thread'])}")

    # does pyjpegls let a second thread run? two threads each encode half of the frames
    import jpeg_ls

    frames = [np.ascontiguousarray(f) for f in original[:20]]
    opts = {"rows": 512, "columns": 512, "samples_per_pixel": 1, "bits_stored": 16}

    def encode(part: list[np.ndarray]) -> None:
        for f in part:
            jpeg_ls.encode_pixel_data(f.tobytes(), **opts)

    def two_threads() -> None:
        workers = [threading.Thread(target=encode, args=(frames[k::2],)) for k in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    report(f"pyjpegls encoding 20 frames ({_cpu()} so far)",
           timed({"1 thread": lambda: encode(frames), "2 threads": two_threads}, ROUNDS), "1 thread")
    print(f"  2 threads: {utilisation(two_threads)}")
    print(f"load average {os.getloadavg()}; {_cpu()} in all")


if __name__ == "__main__":
    if "--codecs" not in FLAGS:
        main()
    codecs_main()
