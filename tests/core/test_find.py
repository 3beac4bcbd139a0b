"""Element lookup in datasets of many elements (Index.find's sorted tables): the same
elements as pydicom finds, whatever the order of the tags in the file, with repeated
tags, in nested items, and with more large datasets than the tables kept."""
from __future__ import annotations

import random
import struct
import warnings

import pydicom
import pytest
from pydicom.filebase import DicomBytesIO

import dcmfast


def _element(tag: int, value: bytes, vr: bytes = b"LO") -> bytes:
    if len(value) % 2:
        value += b" "
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr, len(value)) + value


def _sequence(tag: int, items: list[bytes]) -> bytes:
    body = b"".join(struct.pack("<HHI", 0xFFFE, 0xE000, len(it)) + it for it in items)
    return struct.pack("<HH2sHI", tag >> 16, tag & 0xFFFF, b"SQ", 0, len(body)) + body


def _stream(tags: list[int], salt: str) -> bytes:
    return b"".join(_element(t, f"{salt}{i}".encode()) for i, t in enumerate(tags))


def _read_both(data: bytes) -> tuple[object, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom.dcmread(DicomBytesIO(data), force=True)
        ours = dcmfast.dcmread(data, force=True)
    return ours, theirs


def _tags(rng: random.Random, count: int, shuffled: bool, repeats: int) -> list[int]:
    """`count` private tags (LO), `repeats` of them repeated later, shuffled or not."""
    tags = [0x00191000 + 2 * i for i in range(count)]
    if repeats:
        tags += rng.sample(tags, repeats)  # the same tag again later: the last one counts
    if shuffled:
        rng.shuffle(tags)
    return tags


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("repeats", [0, 5])
@pytest.mark.parametrize("count", [10, 65, 300])
def test_lookups_match_pydicom(count, shuffled, repeats):
    rng = random.Random(count * 7 + repeats + shuffled)
    tags = _tags(rng, count, shuffled, repeats)
    ours, theirs = _read_both(_stream(tags, "v"))
    probes = sorted(set(tags)) + [0x00191000 + 2 * count + 2, 0x00191001, 0x00180000]
    rng.shuffle(probes)
    for _ in range(2):  # the second round is answered by the table built in the first
        for tag in probes:
            if tag in theirs:
                assert ours[tag].value == theirs[tag].value
            else:
                with pytest.raises(KeyError):
                    ours[tag]  # noqa: B018


def test_large_items_beyond_the_kept_tables():
    """Six items of 100 elements each (more large ranges than find keeps tables for),
    looked up in turns: every answer is still the item's own element."""
    rng = random.Random(5)
    items = [_stream(_tags(rng, 100, True, 3), f"item{k}-") for k in range(6)]
    data = _sequence(0x00400275, items) + _element(0x00100010, b"Name")
    ours, theirs = _read_both(data)
    our_items = list(ours[0x00400275].value)
    their_items = list(theirs[0x00400275].value)
    for _ in range(3):
        for ours_item, theirs_item in zip(our_items, their_items, strict=True):
            for tag in rng.sample([e.tag for e in theirs_item], 10):
                assert ours_item[tag].value == theirs_item[tag].value
    assert ours.PatientName == theirs.PatientName


def test_getitem_key_types_match_pydicom():
    """ds[key] for every kind of key (answered in C for int and BaseTag, in Python for
    the rest) gives pydicom's element, and the same KeyError for a missing tag."""
    import enum

    from pydicom.data import get_testdata_file

    path = get_testdata_file("CT_small.dcm")
    theirs = pydicom.dcmread(path)
    ours = dcmfast.dcmread(path)

    class Tags(enum.IntEnum):
        NAME = 0x00100010

    for key in (0x00100010, dcmfast.Tag(0x00100010), (0x0010, 0x0010), "PatientName",
                Tags.NAME, 0x00280010, dcmfast.Tag("Rows")):
        assert ours[key].value == theirs[key].value and ours[key].tag == theirs[key].tag
    for key in (0x00100011, dcmfast.Tag(0x00100011), 0xFFFFFFFF, 0):
        with pytest.raises(KeyError) as ours_err:
            ours[key]  # noqa: B018
        with pytest.raises(KeyError) as theirs_err:
            theirs[key]  # noqa: B018
        assert ours_err.value.args == theirs_err.value.args
    with pytest.raises(TypeError):
        ours._view = object()  # the C lookups rely on a View (or None) there
