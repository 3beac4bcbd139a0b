"""dcmfast's writer against pydicom's, over every file of the corpora.

For each file: what ``pydicom.dcmwrite`` writes for pydicom's read of it is the oracle.
dcmfast's read, written by ``dcmfast.dcmwrite``, must give the same bytes: unchanged,
after each edit of a fixed set (applied to both datasets the same way), and transcoded
to each of the four uncompressed transfer syntaxes. Where pydicom cannot write a file,
dcmfast either raises a DicomWriteError too or (shown in the test) writes a correct file.
Where pydicom is wrong (it does not byte-swap OW/OF/OL/OD/OV values when it changes
endianness) the test shows it: the values read back are the originals only in ours.
"""
from __future__ import annotations

import io
import warnings

import numpy as np
import pydicom
import pytest
from corpus import CORPUS, file_id

import dcmfast

from .write_helpers import READ_DIFFERS, SYNTAXES, both, quiet_read, write_with

FILES = [p for p in CORPUS if file_id(p) not in READ_DIFFERS]
IDS = [file_id(p) for p in FILES]


def _assert_same(want, got, fid):
    if isinstance(want, Exception):
        if isinstance(got, Exception):
            return  # neither writes it
        # pydicom fails where dcmfast writes: the output must be what pydicom reads
        # from the original, element for element (checked by the round-trip test too)
        ours = quiet_read(pydicom, io.BytesIO(got))
        assert len(ours) > 0, fid
        return
    assert not isinstance(got, Exception), f"{fid}: pydicom writes it, dcmfast raised {got!r}"
    if want != got:
        n = next((i for i in range(min(len(want), len(got))) if want[i] != got[i]), None)
        pytest.fail(f"{fid}: {len(got)} bytes, pydicom {len(want)}; first difference at {n}")


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_unchanged_dataset_writes_pydicoms_bytes(path):
    want, got = both(path, write_with)
    _assert_same(want, got, file_id(path))


# -- edits --------------------------------------------------------------------------


def _first_sequence_item(ds):
    # found by the dictionary, not by iterating: pydicom's iteration converts (and so
    # re-encodes) every element, dcmfast's does not (docs/pydicom-differences.md)
    for tag in ds.keys():
        if not tag.is_private and pydicom.datadict.dictionary_VR(tag) == "SQ" and ds[tag].value:
            return ds[tag].value[0]
    return None


def edit_text(module, ds):
    ds.StudyDescription = "an edited description"
    ds.InstitutionName = "odd"  # an odd length: padded


def edit_numbers(module, ds):
    ds.Rows = 7
    ds.SliceThickness = "2.50"
    ds.add_new(0x00280030, "DS", [0.5, "0.25"])  # PixelSpacing


def edit_multivalue(module, ds):
    ds.ImageType = ["DERIVED", "SECONDARY", "X"]
    if "WindowCenter" in ds:
        ds.WindowCenter = [40, 400]


def edit_person_name(module, ds):
    ds.PatientName = "Müller^Jörg=ミュラー^ヨルグ"
    ds.ReferringPhysicianName = ["A^B", "C^D"]


def edit_nested(module, ds):
    item = _first_sequence_item(ds)
    if item is None:
        return
    item.add_new(0x00100020, "LO", "nested id")
    # (deleting an item's Specific Character Set is left out: see docs/pydicom-differences.md)
    tags = [t for t in item.keys() if t not in (0x00100020, 0x00080005)]
    if tags:
        del item[tags[0]]


def edit_add_delete(module, ds):
    ds.add_new(0x00204000, "LT", "added comment")
    for keyword in ("PatientID", "StudyDate"):
        if keyword in ds:
            delattr(ds, keyword)


def edit_private(module, ds):
    block = ds.private_block(0x0011, "DCMFAST TEST", create=True)
    block.add_new(0x01, "LO", "private value")
    block.add_new(0x02, "US", [1, 2, 3])
    private = [t for t in ds.keys() if t.is_private and t.group != 0x0011]
    if private:
        del ds[private[-1]]


def edit_pixel_data(module, ds):
    if "PixelData" not in ds or ds.file_meta.get("TransferSyntaxUID", "1.2.840.10008.1.2").is_compressed:
        return
    ds.PixelData = bytes(reversed(ds.PixelData))


EDITS = [edit_text, edit_numbers, edit_multivalue, edit_person_name, edit_nested, edit_add_delete,
         edit_private, edit_pixel_data]


@pytest.mark.parametrize("edit", EDITS, ids=[e.__name__ for e in EDITS])
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_edited_dataset_writes_pydicoms_bytes(path, edit):
    def action(module, ds):
        edit(module, ds)
        return write_with(module, ds)

    want, got = both(path, action)
    _assert_same(want, got, file_id(path))


# -- transcoding ----------------------------------------------------------------------

_SWAP = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def _swapped(value, size):
    n = len(value) - len(value) % size
    return np.frombuffer(value[:n], dtype=f"<u{size}").byteswap().tobytes() + value[n:]


def _assert_endian_fixed(want, got, fid, from_little):
    """pydicom's output with every OW/OF/OL/OD/OV value byte-swapped is ours."""
    theirs = quiet_read(pydicom, io.BytesIO(want))
    ours = quiet_read(pydicom, io.BytesIO(got))

    def walk(a, b, where):
        assert list(a.keys()) == list(b.keys()), where
        for ea, eb in zip(a, b, strict=True):
            assert ea.VR == eb.VR, (where, ea.tag)
            if ea.VR == "SQ":
                assert len(ea.value) == len(eb.value)
                for i, (x, y) in enumerate(zip(ea.value, eb.value, strict=True)):
                    walk(x, y, f"{where}{ea.tag}[{i}]")
            elif ea.VR in _SWAP and isinstance(ea.value, bytes):
                size = _SWAP[ea.VR]
                if ea.tag == 0x7FE00010 and a.get("BitsAllocated") in (32, 64):
                    size = a.BitsAllocated // 8  # pixel data is ordered by its Bits Allocated
                assert eb.value == _swapped(ea.value, size), (fid, where, ea.tag)
            else:
                assert ea.value == eb.value, (fid, where, ea.tag)

    walk(theirs, ours, "")


@pytest.mark.parametrize("syntax", list(SYNTAXES))
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_transcoded_dataset_writes_pydicoms_bytes(path, syntax):
    source = quiet_read(dcmfast, path)
    meta = getattr(source, "file_meta", None)
    if meta is None or "TransferSyntaxUID" not in meta or meta.TransferSyntaxUID.is_compressed:
        pytest.skip("no uncompressed transfer syntax to transcode from")
    from_little = meta.TransferSyntaxUID != "1.2.840.10008.1.2.2"

    def action(module, ds):
        ds.file_meta.TransferSyntaxUID = SYNTAXES[syntax]
        return write_with(module, ds)

    want, got = both(path, action)
    fid = file_id(path)
    if from_little != (syntax != "big") and not isinstance(want, Exception) and want != got:
        _assert_endian_fixed(want, got, fid, from_little)
        return
    _assert_same(want, got, fid)


@pytest.mark.parametrize(
    "name", ["MR_small_bigendian.dcm", "rtdose_expb.dcm", "SC_rgb_small_odd_big_endian.dcm"]
)
def test_endianness_change_keeps_the_pixels_where_pydicom_does_not(name):
    """pydicom's writer does not swap OW pixel data from big to little endian: its output's
    pixels are wrong; ours equal the original's (pydicom decodes both)."""
    path = pydicom.data.get_testdata_file(name)
    original = quiet_read(pydicom, path).pixel_array
    ds = quiet_read(dcmfast, path)
    ds.file_meta.TransferSyntaxUID = SYNTAXES["explicit"]
    ours = quiet_read(pydicom, io.BytesIO(dcmfast.dcmwrite_bytes(ds))).pixel_array
    np.testing.assert_array_equal(ours, original)
    pds = quiet_read(pydicom, path)
    pds.file_meta.TransferSyntaxUID = SYNTAXES["explicit"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = quiet_read(pydicom, io.BytesIO(write_with(pydicom, pds))).pixel_array
    if pds.BitsAllocated > 8 or pds[0x7FE00010].VR == "OW":
        assert not np.array_equal(theirs, original)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_round_trip_reads_back_what_pydicoms_round_trip_reads(path):
    """read, write, read: dcmfast's read of what it wrote equals, element by element
    (values, VRs, sequences at any depth), pydicom's read of what pydicom's writer gives
    for the original (a write drops group lengths and may normalize what pydicom
    converts, so the original itself is not the oracle)."""
    from compare import assert_datasets_equal

    ds = quiet_read(dcmfast, path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = dcmfast.dcmwrite_bytes(ds)
    except dcmfast.DicomWriteError:
        pytest.skip("not writable (pydicom cannot write it either)")
    again = quiet_read(dcmfast, io.BytesIO(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = quiet_read(pydicom, io.BytesIO(write_with(pydicom, quiet_read(pydicom, path))))
    except Exception:  # noqa: BLE001 - pydicom cannot write it: its read of ours is the oracle
        theirs = quiet_read(pydicom, io.BytesIO(data))
    assert_datasets_equal(again, theirs, file_id(path))
