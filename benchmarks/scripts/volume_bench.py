"""A 2,000-slice CT series to a volume: dcmfast ``read_series`` against reading the files'
bytes (the floor), pydicom (reads + sort + numpy stack), dicom-numpy ``combine_slices``,
SimpleITK ``ImageSeriesReader`` and dcm2niix (the whole process, writing .nii), as
alternating medians in one run; each peer is skipped when it is not installed.

The series is built once in ~/.cache/dcmfast-bench/v1/: 512 x 512 slices (copies of
pydicom-data's 693_UNCI.dcm, 16-bit signed, 14 bits stored, Rescale Intercept -1024) with
positions along z 0.625 mm apart, file names shuffled; plus the same series RLE encoded.
The volume is 2,000 x 512 x 512 int16 = 1 GiB (rescaled values fit int16 exactly).

Also: peak memory (each reader in a fresh process: the rise of its maximum resident set
over the process's after imports, against the output's size), the RLE series with 2
threads against 1, and rescaled (fused into the RLE decoding) against decoded only.

    python benchmarks/scripts/volume_bench.py [--slices 2000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _alternate import alternate  # benchmarks/scripts/_alternate.py

CACHE = Path.home() / ".cache/dcmfast-bench/v1"


def build(slices: int, rle: bool) -> Path:
    folder = CACHE / f"volume_ct512_{slices}{'_rle' if rle else ''}"
    if (folder / "done").exists():
        return folder
    import pydicom.data

    import dcmfast
    from dcmfast.pixels import encapsulate, pixel_array, rle_encode

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    src = pydicom.data.get_testdata_file("693_UNCI.dcm")
    frame = encapsulate(rle_encode(pixel_array(src))) if rle else None
    names = list(range(slices))
    random.Random(0).shuffle(names)
    print(f"building {folder} ...", file=sys.stderr)
    for k in range(slices):
        ds = dcmfast.dcmread(src)
        ds.ImagePositionPatient = ["-122.5", "-112.4", f"{47.0 + 0.625 * k:.3f}"]
        ds.InstanceNumber = names[k] + 1
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.10.543.99.{k}"
        ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.543.99"
        if rle:
            ds.PixelData = frame
            ds["PixelData"].VR = "OB"
            ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"
        dcmfast.dcmwrite(folder / f"IM{names[k]:05d}.dcm", ds)
    (folder / "done").write_text("ok")
    return folder


def files_of(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.glob("*.dcm"))


def read_bytes(files: list[str]) -> int:
    n = 0
    for f in files:
        with open(f, "rb") as fh:
            n += len(fh.read())
    return n


def dcmfast_series(files: list[str], threads: int | None = None, rescale: bool = True) -> np.ndarray:
    from dcmfast.volume import read_series

    return read_series(files, threads=threads, rescale=rescale).array


def pydicom_stack(files: list[str]) -> np.ndarray:
    import pydicom
    from pydicom.pixels import apply_modality_lut

    dss = [pydicom.dcmread(f) for f in files]
    normal = np.cross(*np.reshape([float(v) for v in dss[0].ImageOrientationPatient], (2, 3)))
    dss.sort(key=lambda d: float(np.dot(normal, [float(v) for v in d.ImagePositionPatient])))
    return np.stack([apply_modality_lut(d.pixel_array, d) for d in dss])


def dicom_numpy(files: list[str]) -> np.ndarray:
    import dicom_numpy
    import pydicom

    voxels, _affine = dicom_numpy.combine_slices([pydicom.dcmread(f) for f in files])
    return voxels


def simpleitk(folder: Path) -> np.ndarray:
    import SimpleITK as sitk  # noqa: N813 - its documented name

    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return sitk.GetArrayViewFromImage(reader.Execute())


def dcm2niix(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([shutil.which("dcm2niix") or "dcm2niix", "-z", "n", "-b", "n", "-o", out,
                        "-f", "v", str(folder)], check=True, capture_output=True)


def peers(folder: Path, files: list[str], slices: int) -> dict:
    impls = {
        "read bytes (floor)": lambda: read_bytes(files),
        "dcmfast read_series": lambda: dcmfast_series(files),
        "dcmfast threads=1": lambda: dcmfast_series(files, threads=1),
        "dcmfast rescale=False": lambda: dcmfast_series(files, rescale=False),
    }
    optional = {
        "pydicom + np.stack": ("pydicom", lambda: pydicom_stack(files)),
        "dicom-numpy": ("dicom_numpy", lambda: dicom_numpy(files)),
        "SimpleITK": ("SimpleITK", lambda: simpleitk(folder)),
    }
    import importlib.util

    for name, (module, fn) in optional.items():
        if importlib.util.find_spec(module) is None:
            print(f"skipped {name}: {module} is not installed")
        else:
            impls[name] = fn
    if shutil.which("dcm2niix"):
        impls["dcm2niix (process)"] = lambda: dcm2niix(folder)
    else:
        print("skipped dcm2niix: not installed")
    return impls


def check(files: list[str], folder: Path) -> None:
    """Correctness in the same run: dcmfast's volume against pydicom's slices."""
    import pydicom
    from pydicom.pixels import apply_modality_lut

    from dcmfast.volume import read_series

    vol = read_series(files)
    for k in (0, len(vol.files) // 2, len(vol.files) - 1):
        ds = pydicom.dcmread(vol.files[k][0])
        assert np.array_equal(vol.array[k], apply_modality_lut(ds.pixel_array, ds)), k


def _high_water() -> int:
    """The process's peak resident set (bytes). /proc's VmHWM starts afresh at exec;
    ru_maxrss would start at the forking parent's size."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak(kind: str, target: str, slices: int) -> None:
    """(in a child) the rise of the maximum resident set while `kind` reads the series."""
    folder = Path(target)
    files = files_of(folder)
    impls = {
        "dcmfast": lambda: dcmfast_series(files),
        "pydicom": lambda: pydicom_stack(files),
        "dicom-numpy": lambda: dicom_numpy(files),
        "SimpleITK": lambda: simpleitk(folder),
    }
    fn = impls[kind]
    # imports and a small warm-up first, so only the read's own memory is measured
    import pydicom  # noqa: F401

    import dcmfast.volume  # noqa: F401
    gc.collect()
    before = _high_water()
    arr = fn()
    after = _high_water()
    print(json.dumps({"rise": after - before, "output": int(np.asarray(arr).nbytes)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slices", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--peak", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peak:
        peak(args.peak[0], args.peak[1], args.slices)
        return
    folder = build(args.slices, False)
    rle_folder = build(args.slices, True)
    files = files_of(folder)
    rle_files = files_of(rle_folder)
    check(files, folder)
    size = sum(os.path.getsize(f) for f in files)
    print(f"{len(files)} files, {size / 2**20:.0f} MiB; CPUs {len(os.sched_getaffinity(0))}")

    impls = peers(folder, files, args.slices)
    impls["RLE threads=1"] = lambda: dcmfast_series(rle_files, threads=1)
    impls["RLE threads=2"] = lambda: dcmfast_series(rle_files, threads=2)
    # decoded into the slots only: what the rescale fused into the decoding costs on top
    impls["RLE threads=1 rescale=False"] = lambda: dcmfast_series(rle_files, threads=1,
                                                                  rescale=False)
    med, got = alternate(impls, args.rounds)
    floor = med["read bytes (floor)"]
    ours = med["dcmfast read_series"]
    print(f"{'':26s} {'median':>9s} {'/ floor':>8s} {'/ dcmfast':>9s}")
    for name, t in med.items():
        print(f"{name:26s} {t * 1e3:7.0f} ms {t / floor:7.2f}x {t / ours:8.2f}x")
    print(f"RLE rescaled (int16, fused into the decoding) vs decoded only: "
          f"{med['RLE threads=1'] / med['RLE threads=1 rescale=False']:.2f}x the time")
    print(f"RLE 2 threads vs 1: {med['RLE threads=1'] / med['RLE threads=2']:.2f}x faster; "
          f"load {os.getloadavg()[0]:.2f}; this process got {got:.2f} CPUs on average")

    one_file = max(os.path.getsize(f) for f in files)
    for kind in ("dcmfast", "pydicom", "dicom-numpy", "SimpleITK"):
        proc = subprocess.run([sys.executable, __file__, "--peak", kind, str(folder)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"peak {kind}: skipped ({proc.stderr.strip().splitlines()[-1:]})")
            continue
        res = json.loads(proc.stdout)
        print(f"peak {kind:12s} rise {res['rise'] / 2**20:7.0f} MiB = "
              f"{res['rise'] / res['output']:.2f}x the output ({res['output'] / 2**20:.0f} MiB; "
              f"one file {one_file / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
