"""Shared helpers for the ingest tests: hand-made DICOM files and pydicom's values.

pydicom is the oracle: expected values are always computed by reading the same
file with pydicom and mapping its values with ``dcmfast.ingest.plain_value``.
"""
from __future__ import annotations

import math
import shutil
import struct
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

try:
    import dcmfast.ingest  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

pydicom = pytest.importorskip("pydicom")

from dcmfast.ingest import plain_value, resolve_tags  # noqa: E402

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"

_LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}

#: The tags of the differential tests: the defaults and more of every kind of VR.
WIDE_TAGS = [
    "PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
    "SOPClassUID", "Modality", "StudyDate", "SeriesDate", "AccessionNumber", "StudyDescription",
    "SeriesDescription", "SeriesNumber", "InstanceNumber", "Rows", "Columns", "NumberOfFrames",
    "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "SpecificCharacterSet",
    "ImageType", "StudyTime", "PatientBirthDate", "PatientSex", "PatientAge", "PatientWeight",
    "ReferringPhysicianName", "InstitutionName", "StationName", "SliceThickness", "WindowCenter",
    "WindowWidth", "RescaleSlope", "BitsAllocated", "PixelRepresentation",
    "SmallestImagePixelValue", "FrameIncrementPointer", "RetrieveAETitle", "PatientComments",
    "AcquisitionDateTime", "ContentDate", "TransferSyntaxUID", "MediaStorageSOPClassUID",
    "ImplementationVersionName", "LossyImageCompressionRatio", "RealWorldValueLastValueMapped",
    "DerivationDescription", "ImageComments", "RedPaletteColorLookupTableDescriptor",
]


def _pad(vr: str, raw: bytes) -> bytes:
    if len(raw) % 2:
        raw += b"\x00" if vr in ("UI", "OB", "UN") else b" "
    return raw


def encode_element(tag: int, vr: str, raw: bytes, *, implicit: bool, little: bool, pad: bool = True) -> bytes:
    """One element's bytes (header + value) with the given encoding."""
    if pad:
        raw = _pad(vr, raw)
    order = "<" if little else ">"
    head = struct.pack(order + "HH", tag >> 16, tag & 0xFFFF)
    if implicit:
        return head + struct.pack(order + "I", len(raw)) + raw
    if vr in _LONG_VRS:
        return head + vr.encode() + b"\x00\x00" + struct.pack(order + "I", len(raw)) + raw
    return head + vr.encode() + struct.pack(order + "H", len(raw)) + raw


def make_dicom(
    elements: list[tuple[int, str, bytes]],
    *,
    ts: str | None = EXPLICIT_LE,
    sop_instance: str = "1.2.3.4",
    extra_meta: list[tuple[int, str, bytes]] = (),
    pad: bool = True,
) -> bytes:
    """A Part 10 file: preamble, File Meta (explicit VR LE) and `elements` (sorted by tag)."""
    implicit = ts == IMPLICIT_LE
    little = ts != EXPLICIT_BE
    meta_elems = [(0x00020001, "OB", b"\x00\x01"), (0x00020002, "UI", CT_IMAGE.encode()),
                  (0x00020003, "UI", sop_instance.encode())]
    if ts is not None:
        meta_elems.append((0x00020010, "UI", ts.encode()))
    meta_elems += list(extra_meta)
    meta_elems.sort()
    meta = b"".join(encode_element(t, v, r, implicit=False, little=True) for t, v, r in meta_elems)
    group_length = encode_element(0x00020000, "UL", struct.pack("<I", len(meta)), implicit=False, little=True)
    body = b"".join(
        encode_element(t, v, r, implicit=implicit, little=little, pad=pad) for t, v, r in sorted(elements)
    )
    return b"\x00" * 128 + b"DICM" + group_length + meta + body


def write_dicom(path: Path, elements: list[tuple[int, str, bytes]], **kw: Any) -> Path:
    path.write_bytes(make_dicom(elements, **kw))
    return path


def tag_of(keyword: str) -> int:
    return resolve_tags([keyword])[0].tag


def pydicom_values(path: Any, tags: list[Any], *, stop_before_pixels: bool = True) -> dict[str, Any]:
    """pydicom's plain values of `tags` for a file (raises what pydicom raises)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels)
        out: dict[str, Any] = {}
        for col in resolve_tags(tags):
            source = ds.file_meta if col.tag >> 16 == 2 else ds
            if col.tag in source:
                elem = source[col.tag]
                out[col.name] = plain_value(elem.value, elem.VR)
            else:
                out[col.name] = None
        ts = ds.file_meta.get("TransferSyntaxUID")
        out["transfer_syntax"] = None if ts is None else str(ts)
    return out


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types (NaN equals NaN)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def assert_record_matches(record: dict[str, Any], expected: dict[str, Any]) -> None:
    assert record["error_type"] is None, (record["path"], record["error"])
    diffs = {k: (record[k], v) for k, v in expected.items() if not same(record[k], v)}
    assert not diffs, f"{record['path']}: (dcmfast, pydicom) differ: {diffs}"


@pytest.fixture(scope="session")
def ct_small() -> Path:
    return Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"


@pytest.fixture
def ct_folder(tmp_path: Path, ct_small: Path) -> Path:
    """A folder tree of 30 CT_small copies with distinct SOP Instance UIDs and patients."""
    root = tmp_path / "lake"
    ds = pydicom.dcmread(ct_small)
    for i in range(30):
        folder = root / f"patient{i % 3}" / f"series{i % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.8.498.{i + 1}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.PatientID = f"PID{i % 3}"
        ds.PatientName = ["Doe^John", "Smith^Anna", "Müller^Jürgen"][i % 3]
        ds.SpecificCharacterSet = "ISO_IR 192" if i % 3 == 2 else "ISO_IR 100"
        ds.Modality = "CT" if i % 2 else "MR"
        ds.StudyDate = f"2020{(i % 12) + 1:02d}15"
        ds.InstanceNumber = i + 1
        ds.save_as(folder / f"img{i:03d}.dcm", enforce_file_format=True)
    return root


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
