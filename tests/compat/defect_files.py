"""Files outside the corpora that once broke dcmfast, made with pydicom's writer and a
byte patch each (pydicom's reading of them is the oracle)."""
from __future__ import annotations

import io
import struct

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate


def _base(syntax: str = "1.2.840.10008.1.2.1") -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.PatientName = "Test^A"
    return ds


def _write(ds: Dataset) -> bytes:
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def private_un_holding_only_a_delimiter() -> bytes:
    """(0071,1018), SQ in the private dictionary of AGFA-AG_HPState, stored as a
    defined-length UN whose 8 bytes are a Sequence Delimitation Item."""
    ds = _base()
    ds.add_new(0x00710010, "LO", "AGFA-AG_HPState")
    ds.add_new(0x00711018, "UN", b"MARKER__")
    ds.add_new(0x00711020, "LO", "after")
    data = _write(ds)
    assert data.count(b"MARKER__") == 1
    return data.replace(b"MARKER__", struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))


def bits_allocated_24(rle: bool) -> bytes:
    """A 2x3 image with Bits Allocated 24, native or RLE Lossless (3 literal segments)."""
    ds = _base()
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 2, 3, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 24, 24, 23, 0
    if not rle:
        ds.PixelData = bytes(range(18))
        return _write(ds)
    segment = bytes([5]) + bytes(range(6))
    header = struct.pack("<16I", 3, 64, 64 + len(segment), 64 + 2 * len(segment), *([0] * 12))
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"
    ds.PixelData = encapsulate([header + segment * 3])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return _write(ds)


def text_vr(keyword: str, vr: bytes) -> bytes:
    """Bits Allocated or Pixel Representation stored with the text VR `vr`, and two
    elements whose VR depends on them (Smallest Image Pixel Value, Pixel Data) as UN."""
    tag = {"BitsAllocated": 0x00280100, "PixelRepresentation": 0x00280103}[keyword]
    text = {"BitsAllocated": b"16", "PixelRepresentation": b"1 "}[keyword]
    ds = _base()
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 2, 2, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.add_new(0x00280106, "OB", b"\x01\x00")
    ds.add_new(0x7FE00010, "OB", bytes(8))
    data = _write(ds)
    for header in (b"\x28\x00\x06\x01OB", b"\xe0\x7f\x10\x00OB"):
        assert data.count(header) == 1
        data = data.replace(header, header[:4] + b"UN")
    old = struct.pack("<HH", 0x0028, tag & 0xFFFF) + b"US" + struct.pack("<H", 2)
    i = data.index(old)
    new = struct.pack("<HH", 0x0028, tag & 0xFFFF) + vr + struct.pack("<H", 2) + text
    return data[:i] + new + data[i + 10:]
