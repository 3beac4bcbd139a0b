"""Inputs for the RLE benchmarks: the corpus's RLE files and a synthetic 64-frame
512 x 512 16-bit file encoded with pydicom (pylibjpeg-rle encoder)."""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

try:
    import dcmfast.pixels  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

pydicom = pytest.importorskip("pydicom")

RLE = "1.2.840.10008.1.2.5"


def rle_corpus() -> list[Path]:
    import pydicom.data

    dirs = [Path(pydicom.data.__file__).parent / "test_files"]
    try:
        import data_store

        dirs.append(Path(data_store.__file__).parent / "data")
    except ImportError:
        pass
    found = []
    for path in sorted(p for d in dirs for p in d.glob("*.dcm")):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            if str(ds.file_meta.TransferSyntaxUID) == RLE:
                found.append(path)
        except Exception:
            continue
    return found


def make_multiframe_rle(directory: Path) -> Path:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    rng = np.random.default_rng(0)
    y, x = np.mgrid[:512, :512]
    frames = np.empty((64, 512, 512), dtype=np.uint16)
    for i in range(64):  # smooth anatomy-like content plus noise: realistic run lengths
        frames[i] = (2000 + 800 * np.sin((x + 7 * i) / 40.0) * np.cos(y / 55.0)
                     + rng.integers(0, 4, (512, 512))).astype(np.uint16)
        frames[i, :, :64] = 0  # air / background
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows = ds.Columns = 512
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.NumberOfFrames = 64
    ds.PixelData = frames.tobytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.compress(RLE, frames, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    path = directory / "rle_64x512x512_16bit.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path
