"""Small DICOM files built by the tests themselves (written with pydicom)."""
from __future__ import annotations

import io

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

SYNTAXES = {
    "explicit_le": ExplicitVRLittleEndian,
    "implicit_le": ImplicitVRLittleEndian,
    "explicit_be": ExplicitVRBigEndian,
    "deflated": DeflatedExplicitVRLittleEndian,
}


def item(**values: object) -> Dataset:
    ds = Dataset()
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


def rich_dataset(undefined_length: bool = False) -> Dataset:
    """A dataset with every common VR, multi-values, empties, nesting and private blocks."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = "1.2.3.4.5.6.7.8.9"
    ds.StudyDate = "20240102"
    ds.StudyTime = "101112.123"
    ds.AccessionNumber = ""
    ds.Modality = "CT"
    ds.InstitutionName = "Hôpital Général"
    ds.ReferringPhysicianName = "Doe^John^^Dr"
    ds.PatientName = "Müller^Jürgen=Mueller^Juergen"
    ds.PatientID = "ID 123"
    ds.PatientAge = "042Y"
    ds.PatientWeight = "72.5"
    ds.SliceThickness = "1.25"
    ds.ImagePositionPatient = ["-125.0", "-125.5", "1e2"]
    ds.PixelSpacing = ["0.5", " 0.5 "]
    ds.InstanceNumber = "7"
    ds.ReferencedFrameNumber = ["1", "2", "3"]
    ds.Rows = 4
    ds.Columns = 4
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 1
    ds.SmallestImagePixelValue = -3
    ds.LargestImagePixelValue = 1000
    ds.RescaleSlope = "1"
    ds.RescaleIntercept = "-1024"
    ds.add_new(0x00081163, "FD", [1.5, -2.25])  # Time Range
    ds.add_new(0x00181060, "DS", "")  # empty DS
    ds.add_new(0x00209165, "AT", 0x00540080)  # Dimension Index Pointer
    ds.add_new(0x00280009, "AT", [0x00540080, 0x00200013])  # Frame Increment Pointer
    ds.add_new(0x00109431, "FL", 0.5)  # Examined Body Thickness
    ds.add_new(0x00189219, "SS", -1)  # Tag Angle Second Axis
    ds.add_new(0x00280106, "US", 0)
    ds.add_new(0x00186020, "SL", -123456)  # Reference Pixel X0
    ds.add_new(0x00041200, "UL", 3)
    ds.add_new(0x00660040, "OL", b"\x01\x00\x00\x00\x02\x00\x00\x00")
    ds.add_new(0x00181638, "OF", b"\x00\x00\x80\x3f")
    ds.add_new(0x0070150D, "OD", b"\x00" * 8)
    ds.add_new(0x00080119, "UC", "unlimited characters")
    ds.add_new(0x00080120, "UR", "http://example.com/a_b ")
    ds.add_new(0x0008010E, "UR", "")
    ds.add_new(0x00080081, "ST", "short text  ")
    ds.add_new(0x00080108, "LT", "long\r\ntext")
    ds.add_new(0x00181030, "LO", "a\\b\\c ")
    ds.add_new(0x00080201, "SH", "+0100")
    ds.add_new(0x0040A124, "UI", "1.2.3")
    ds.add_new(0x00720082, "SV", [-(2**40), 5])
    ds.add_new(0x0008040C, "UV", 2**40)
    ds.add_new(0x00283010, "SQ", [])  # empty sequence
    ds.OtherPatientIDsSequence = Sequence(
        [item(PatientID="A", TypeOfPatientID="TEXT"), item(PatientID="B", IssuerOfPatientID="X")]
    )
    inner = item(CodeValue="121", CodingSchemeDesignator="DCM", CodeMeaning="Inner")
    ds.ProcedureCodeSequence = Sequence([item(CodeValue="1", ConceptNameCodeSequence=Sequence([inner]))])
    block = ds.private_block(0x0009, "DCMFAST TEST", create=True)
    block.add_new(0x01, "LO", "private text")
    block.add_new(0x02, "US", 7)
    block.add_new(0x03, "SQ", Sequence([item(PatientID="P")]))
    ds.PixelData = bytes(range(32))
    if undefined_length:
        for elem in ds.iterall():
            if elem.VR == "SQ":
                elem.is_undefined_length = True
                for it in elem.value:
                    it.is_undefined_length_sequence_item = True
    return ds


def encode(ds: Dataset, syntax: str, *, preamble: bool = True, meta: bool = True) -> bytes:
    """The bytes of `ds` written by pydicom in the given transfer syntax."""
    ds = ds.copy()
    fm = FileMetaDataset()
    fm.MediaStorageSOPClassUID = ds.get("SOPClassUID", "1.2.3")
    fm.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID", "1.2.3.4")
    fm.TransferSyntaxUID = SYNTAXES[syntax]
    out = io.BytesIO()
    if meta:
        ds.file_meta = fm
        ds.preamble = b"\0" * 128 if preamble else None
        pydicom.dcmwrite(out, ds, enforce_file_format=preamble)
    else:
        ts = SYNTAXES[syntax]
        pydicom.dcmwrite(out, ds, implicit_vr=ts.is_implicit_VR, little_endian=ts.is_little_endian)
    return out.getvalue()
