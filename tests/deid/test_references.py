"""Reference sequences: each one's action as PS3.15 Table E.1-1 gives it, UIDs inside
remapped where the sequence is kept.

Table E.1-1 lists Referenced Image Sequence and Source Image Sequence (X/Z/U*: kept, the
UIDs inside remapped), Referenced Study Sequence (X/Z: emptied), Referenced Performed
Procedure Step Sequence (X/Z/D: kept, de-identified inside) and Referenced Patient Sequence
(X). The reference sequences it does not list are kept as X/Z/U* is (docs/deid.md). The
expected action is read from the standard's table (deid_standard), the UIDs from
HMAC-SHA256 computed here.
"""
from __future__ import annotations

import hashlib
import hmac

import pytest
from deid_standard import expected_code, rows

from dcmfast import DataElement, Dataset, Sequence
from dcmfast.deid import Deidentifier

KEY = bytes(range(32, 64))
CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
REFERENCES = [
    0x00081115,  # Referenced Series Sequence
    0x00081140,  # Referenced Image Sequence
    0x0008114A,  # Referenced Instance Sequence
    0x00081199,  # Referenced SOP Sequence
    0x00081200,  # Studies Containing Other Referenced Instances Sequence
    0x00081250,  # Related Series Sequence
    0x00082112,  # Source Image Sequence
    0x0040A375,  # Current Requested Procedure Evidence Sequence
    0x0040A385,  # Pertinent Other Evidence Sequence
    0x0040A525,  # Identical Documents Sequence
    0x00081110,  # Referenced Study Sequence
    0x00081111,  # Referenced Performed Procedure Step Sequence
    0x00081120,  # Referenced Patient Sequence
]
NEST = 0x00081115  # the nested case: inside a Referenced Series Sequence item
UNLISTED = "X/Z/U*"  # what docs/deid.md says for a reference sequence the table does not list


def keyed(uid: str) -> str:
    return f"2.25.{int.from_bytes(hmac.new(KEY, uid.encode(), hashlib.sha256).digest()[:16], 'big')}"


def table_code(tag: int, options: tuple[str, ...]) -> str:
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    for row in rows():
        if row["tag"].upper() == text:
            return expected_code(row, options)
    return "K" if "retain_uids" in options else UNLISTED


def item(tag: int) -> Dataset:
    it = Dataset()
    it.ReferencedSOPClassUID = CT_CLASS
    it.ReferencedSOPInstanceUID = f"1.2.826.0.1.3680043.77.{tag}.1"
    it.SeriesDescription = "QZCANARY-SERIES"  # X in the table
    it.SeriesInstanceUID = f"1.2.826.0.1.3680043.77.{tag}.2"
    it.StudyInstanceUID = f"1.2.826.0.1.3680043.77.{tag}.3"
    return it


def check(tag: int, out: Dataset, code: str, options: tuple[str, ...]) -> None:
    elem = out.get(tag)
    if code == "X":
        assert elem is None
        return
    assert elem is not None and elem.VR == "SQ"
    if code in ("X/Z", "Z"):
        assert len(elem.value) == 0
        return
    assert code in ("X/Z/U*", "X/Z/D", "D", "U", "K"), code
    assert len(elem.value) == 1
    got, src = elem.value[0], item(tag)
    # every element inside by its own rule: Series Description X, or C with Clean Descriptors
    if table_code(0x0008103E, options) == "C":
        assert got.SeriesDescription == "CLEANED"
    else:
        assert "SeriesDescription" not in got
    assert got.ReferencedSOPClassUID == CT_CLASS
    for kw in ("ReferencedSOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID"):
        want = src[kw].value if "retain_uids" in options else keyed(src[kw].value)
        assert got[kw].value == want, (hex(tag), kw)


@pytest.mark.parametrize("options", [(), ("retain_uids",), ("clean_descriptors",)])
@pytest.mark.parametrize("tag", REFERENCES, ids=lambda t: f"{t:08X}")
def test_reference_sequence(tag, options):
    ds = Dataset()
    ds[tag] = DataElement(tag, "SQ", Sequence([item(tag)]))
    if tag != NEST:
        outer = Dataset()
        outer[tag] = DataElement(tag, "SQ", Sequence([item(tag)]))
        outer.SeriesInstanceUID = "1.2.826.0.1.3680043.77.9"
        ds[NEST] = DataElement(NEST, "SQ", Sequence([outer]))
    out = Deidentifier(options, key=KEY).deidentify(ds)
    code = table_code(tag, options)
    check(tag, out, code, options)
    if tag != NEST:
        check(tag, out[NEST].value[0], code, options)
