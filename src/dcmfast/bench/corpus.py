"""The generated corpus (built once with pydicom into a cache folder) and its cases
(``benchmarks/corpus.py`` is its command-line entry point)."""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cases import (
    Case,
    _ingest_tags,
    bundled_test_files,
    case_frame_positions,
    case_header,
    case_ingest,
    case_pixels,
    case_values,
    case_walk,
    has_ingest,
)
from .peers import RLE_LOSSLESS, _installed

CORPUS_VERSION = "v1"
SEED = 20240611
N_SLICES = 2000
N_ENHANCED_FRAMES = 100
N_PFFG_ITEMS = 5000
BIG = 2048


def corpus_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: ``root``, ``$DCMFAST_BENCH_CACHE`` or ``~/.cache/dcmfast-bench``."""
    base = Path(root or os.environ.get("DCMFAST_BENCH_CACHE") or Path.home() / ".cache" / "dcmfast-bench")
    return base / CORPUS_VERSION


def corpus_files(root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    d = corpus_dir(root)
    return {
        "ct_series": [d / "ct_series" / f"slice_{i:04d}.dcm" for i in range(N_SLICES)],
        "enhanced_ct": d / f"enhanced_ct_{N_ENHANCED_FRAMES}.dcm",
        "enhanced_ct_rle": d / f"enhanced_ct_{N_ENHANCED_FRAMES}_rle.dcm",
        "pffg": d / f"pffg_{N_PFFG_ITEMS}.dcm",
        "big": d / f"image_{BIG}.dcm",
        "big_rle": d / f"image_{BIG}_rle.dcm",
    }


def _uid(*entropy: Any) -> str:
    from pydicom.uid import generate_uid

    return str(generate_uid(entropy_srcs=[str(SEED), *map(str, entropy)]))


def _save(ds: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    ds.save_as(tmp, enforce_file_format=True)
    os.replace(tmp, path)


def _rle_encode(ds: Any, arr: Any) -> None:
    plugin = "pylibjpeg" if _installed("pydicom+pylibjpeg-rle") else "pydicom"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.compress(RLE_LOSSLESS, arr, encoding_plugin=plugin, generate_instance_uid=False)


def _ct_small() -> Any:
    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(bundled_test_files() / "CT_small.dcm")


def _build_series(folder: Path, progress: Callable[[str], object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ds = _ct_small()
    ds.StudyInstanceUID = _uid("study")
    ds.SeriesInstanceUID = _uid("series")
    ds.FrameOfReferenceUID = _uid("frame-of-reference")
    x, y, z0 = (float(v) for v in ds.ImagePositionPatient)
    for i in range(N_SLICES):
        path = folder / f"slice_{i:04d}.dcm"
        if path.exists():
            continue
        uid = _uid("slice", i)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.InstanceNumber = i + 1
        z = round(z0 - 1.25 * i, 4)
        ds.ImagePositionPatient = [x, y, z]
        ds.SliceLocation = z
        _save(ds, path)
        if i % 200 == 0:
            progress(f"ct_series {i}/{N_SLICES}")


def _multiframe(frames: int, rows: int, pixels: Any | None, tag: str) -> Any:
    """An Enhanced CT dataset with per-frame functional groups (pixels: (frames, rows, rows))."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import UID, ExplicitVRLittleEndian

    src = _ct_small()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.2.1")  # Enhanced CT
    ds.file_meta.MediaStorageSOPInstanceUID = UID(_uid(tag))
    for kw in ("SpecificCharacterSet", "StudyDate", "StudyTime", "Modality", "Manufacturer",
               "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyID"):
        if kw in src:
            setattr(ds, kw, src.data_element(kw).value)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = _uid(tag, "study")
    ds.SeriesInstanceUID = _uid(tag, "series")
    ds.FrameOfReferenceUID = _uid(tag, "for")
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.ContentDate, ds.ContentTime = "20240611", "120000"
    ds.AcquisitionDateTime = "20240611120000"

    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = [0.7, 0.7]
    pm.SliceThickness = 1.25
    po = Dataset()
    po.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    pvt = Dataset()
    pvt.RescaleIntercept, pvt.RescaleSlope, pvt.RescaleType = -1024, 1, "HU"
    shared.PixelMeasuresSequence = Sequence([pm])
    shared.PlaneOrientationSequence = Sequence([po])
    shared.PixelValueTransformationSequence = Sequence([pvt])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    items = []
    for i in range(frames):
        item = Dataset()
        fc = Dataset()
        fc.FrameAcquisitionNumber = i + 1
        fc.StackID = "1"
        fc.InStackPositionNumber = i + 1
        fc.DimensionIndexValues = [1, i + 1]
        pp = Dataset()
        pp.ImagePositionPatient = [-175.0, -175.0, round(-100.0 + 1.25 * i, 4)]
        item.FrameContentSequence = Sequence([fc])
        item.PlanePositionSequence = Sequence([pp])
        items.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(items)
    ds.NumberOfFrames = frames
    ds.Rows = ds.Columns = rows
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    if pixels is not None:
        ds.PixelData = pixels.tobytes()
    return ds


def _anatomy(frames: int, rows: int, seed_offset: int) -> Any:
    """Smooth anatomy-like int16 frames with noise and air: realistic RLE run lengths."""
    import numpy as np

    rng = np.random.default_rng(SEED + seed_offset)
    y, x = np.mgrid[:rows, :rows].astype(np.float32)
    r2 = ((x - rows / 2) ** 2 + (y - rows / 2) ** 2) / (rows / 2.2) ** 2
    out = np.empty((frames, rows, rows), dtype=np.int16)
    for i in range(frames):
        body = 40 + 300 * np.sin((x + 3 * i) / (rows / 12)) * np.cos(y / (rows / 9))
        frame = np.where(r2 < 1.0, body, -1000.0) + rng.integers(0, 8, (rows, rows))
        out[i] = frame.astype(np.int16)
    return out


def build_corpus(root: str | os.PathLike[str] | None = None,
                 progress: Callable[[str], object] = lambda msg: None) -> dict[str, Any]:
    """Write the corpus files that are missing; return their paths (see ``corpus_files``)."""
    files = corpus_files(root)
    _build_series(files["ct_series"][0].parent, progress)
    if not files["enhanced_ct"].exists() or not files["enhanced_ct_rle"].exists():
        progress("enhanced_ct")
        frames = _anatomy(N_ENHANCED_FRAMES, 512, 1)
        ds = _multiframe(N_ENHANCED_FRAMES, 512, frames, "enhanced")
        _save(ds, files["enhanced_ct"])
        progress("enhanced_ct_rle")
        _rle_encode(ds, frames)
        _save(ds, files["enhanced_ct_rle"])
    if not files["pffg"].exists():
        progress("pffg")
        frames = _anatomy(N_PFFG_ITEMS, 16, 2)
        _save(_multiframe(N_PFFG_ITEMS, 16, frames, "pffg"), files["pffg"])
    if not files["big"].exists() or not files["big_rle"].exists():
        progress("image_2048")
        arr = _anatomy(1, BIG, 3)
        ds = _multiframe(1, BIG, arr, "big")
        del ds.PerFrameFunctionalGroupsSequence
        _save(ds, files["big"])
        progress("image_2048_rle")
        _rle_encode(ds, arr[0])
        _save(ds, files["big_rle"])
    return files


def corpus_cases(root: str | os.PathLike[str] | None = None,
                 progress: Callable[[str], object] = lambda msg: None) -> list[Case]:
    f = build_corpus(root, progress)
    series = f["ct_series"]
    return [
        case_values(series, f"{len(series)} CT slices: read + every top-level value", "values/ct_series"),
        case_header(series, f"{len(series)} CT slices: header only (stop_before_pixels)",
                    "parse/ct_series-header"),
        *([case_ingest(series, f"{len(series)} CT slices: ingest {len(_ingest_tags())} tags per file",
                       "ingest/ct_series")] if has_ingest() else []),
        case_frame_positions(f["pffg"], f"{N_PFFG_ITEMS}-item per-frame groups: every "
                             "item's PlanePositionSequence[0].ImagePositionPatient", "sequences/pffg"),
        case_walk(f["enhanced_ct"], f"Enhanced CT {N_ENHANCED_FRAMES} frames: every value at every "
                  "depth", "sequences/enhanced_ct"),
        case_pixels(f["enhanced_ct"], f"Enhanced CT: read + pixel_array ({N_ENHANCED_FRAMES}x512x512 "
                    "int16)", "pixels/enhanced_ct"),
        case_pixels(f["big"], f"{BIG}x{BIG} int16: read + pixel_array", "pixels/image_2048"),
        case_pixels(f["enhanced_ct_rle"], f"Enhanced CT RLE: read + pixel_array ({N_ENHANCED_FRAMES}"
                    "x512x512 int16)", "rle/enhanced_ct", group="rle"),
        case_pixels(f["big_rle"], f"{BIG}x{BIG} int16 RLE: read + pixel_array", "rle/image_2048",
                    group="rle"),
    ]


