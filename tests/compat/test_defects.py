"""Three defect classes found on files outside the corpora (issue 15), each against
pydicom's reading of the same bytes."""
from __future__ import annotations

import pydicom
import pytest

import dcmfast
from dcmfast.errors import AmbiguousVRError, PixelDataError, UnsupportedPixelFormatError

from . import defect_files


def test_private_un_holding_only_a_sequence_delimiter_is_an_empty_sequence():
    data = defect_files.private_un_holding_only_a_delimiter()
    theirs = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data))
    ours = dcmfast.dcmread(data)
    assert [(e.tag, e.VR) for e in ours] == [(e.tag, e.VR) for e in theirs]
    assert len(theirs[0x00711018].value) == 0
    assert ours[0x00711018].VR == "SQ" and len(ours[0x00711018].value) == 0
    assert ours[0x00711020].value == theirs[0x00711020].value == "after"
    assert str(ours) == str(theirs)
    assert ours == theirs


@pytest.mark.parametrize("rle", [False, True], ids=["native", "rle"])
def test_bits_allocated_24_raises_pydicoms_not_implemented_error(rle):
    data = defect_files.bits_allocated_24(rle)
    with pytest.raises(NotImplementedError) as theirs:
        pydicom.dcmread(pydicom.filebase.DicomBytesIO(data)).pixel_array  # noqa: B018
    ds = dcmfast.dcmread(data)
    with pytest.raises(UnsupportedPixelFormatError) as ours:
        ds.pixel_array  # noqa: B018
    assert str(ours.value) == str(theirs.value)
    assert isinstance(ours.value, (NotImplementedError, PixelDataError))
    with pytest.raises(UnsupportedPixelFormatError):
        dcmfast.pixels.pixel_array(data)
    with pytest.raises(UnsupportedPixelFormatError):
        dcmfast.pixels.pixel_array(ds, index=0)


@pytest.mark.parametrize("vr", [b"LO", b"CS", b"DS", b"IS"])
@pytest.mark.parametrize("keyword", ["BitsAllocated", "PixelRepresentation"])
def test_text_vr_of_an_element_ambiguous_vrs_depend_on(keyword, vr):
    data = defect_files.text_vr(keyword, vr)
    theirs = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data))
    ours = dcmfast.dcmread(data)
    try:
        expected = [(e.tag, e.VR, e.value) for e in theirs]
    except TypeError:
        # pydicom fails with a bare TypeError ('16' > 8); dcmfast names the element
        with pytest.raises(AmbiguousVRError, match=r"\(7FE0,0010\).*not a number"):
            list(ours)
        return
    assert [(e.tag, e.VR, e.value) for e in ours] == expected
