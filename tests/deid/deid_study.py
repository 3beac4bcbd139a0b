"""A study of cross-referencing files for the batch tests, made with pydicom: copies of
CT_small in one series with distinct SOP Instance UIDs, and an MR instance whose Referenced
Image Sequence and Referenced Series Sequence point at them; canaries in text elements."""
from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset as PydicomDataset
from pydicom.sequence import Sequence as PydicomSequence

CT = get_testdata_file("CT_small.dcm")
MR = get_testdata_file("MR_small.dcm")
STUDY = "1.2.826.0.1.3680043.8.498.1001"
SERIES = "1.2.826.0.1.3680043.8.498.1002"
FRAME = "1.2.826.0.1.3680043.8.498.1003"
CANARIES = ["QZCANARY-NAME", "QZCANARY-ID-7731", "QZCANARY-DESCRIPTION", "QZCANARY-INSTITUTION",
            "QZCANARY-PRIVATE", "QZCANARY-OPERATOR"]


def sop_uid(i: int) -> str:
    return f"1.2.826.0.1.3680043.8.498.2000.{i}"


def canaries(ds: PydicomDataset) -> None:
    ds.PatientName = CANARIES[0]
    ds.PatientID = CANARIES[1]
    ds.StudyDescription = CANARIES[2]
    ds.InstitutionName = CANARIES[3]
    block = ds.private_block(0x0099, "QZ TEST CREATOR", create=True)
    block.add_new(0x01, "LO", CANARIES[4])
    ds.OperatorsName = CANARIES[5]


def make_study(folder: Path, n: int = 5) -> dict[str, Path]:
    """n CT slices of one series and a referencing MR instance (the originals' UIDs known)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for i in range(n):
        ds = pydicom.dcmread(CT)
        ds.StudyInstanceUID = STUDY
        ds.SeriesInstanceUID = SERIES
        ds.FrameOfReferenceUID = FRAME
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = sop_uid(i)
        ds.InstanceNumber = i + 1
        canaries(ds)
        path = folder / "series" / f"slice{i:03d}.dcm"
        path.parent.mkdir(exist_ok=True)
        ds.save_as(path, enforce_file_format=True)
        files[sop_uid(i)] = path
    ref = pydicom.dcmread(MR)
    ref.StudyInstanceUID = STUDY
    ref.SeriesInstanceUID = SERIES + ".9"
    ref.SOPInstanceUID = ref.file_meta.MediaStorageSOPInstanceUID = sop_uid(99)
    images = []
    for i in range(n):
        item = PydicomDataset()
        item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        item.ReferencedSOPInstanceUID = sop_uid(i)
        images.append(item)
    ref.ReferencedImageSequence = PydicomSequence(images)
    series_item = PydicomDataset()
    series_item.SeriesInstanceUID = SERIES
    series_item.ReferencedInstanceSequence = PydicomSequence(
        [PydicomDataset() for _ in range(n)])
    for i, item in enumerate(series_item.ReferencedInstanceSequence):
        item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        item.ReferencedSOPInstanceUID = sop_uid(i)
    ref.ReferencedSeriesSequence = PydicomSequence([series_item])
    canaries(ref)
    path = folder / "ref.dcm"
    ref.save_as(path, enforce_file_format=True)
    files[sop_uid(99)] = path
    return files


