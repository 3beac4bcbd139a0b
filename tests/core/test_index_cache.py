"""The entries array of a large index is kept when its Index is freed and reused by
the next large scan: every read through a reused array still equals pydicom's."""
from __future__ import annotations

import io
import warnings

import pydicom
from builders import encode, item, rich_dataset
from compare import assert_datasets_equal
from pydicom.sequence import Sequence

import dcmfast
from dcmfast._core import parse
from dcmfast.errors import ResourceLimitError


def _many_items(n: int, tag_value: str) -> bytes:
    ds = rich_dataset()
    ds.ReferencedImageSequence = Sequence(
        [item(ReferencedSOPInstanceUID=f"1.2.3.{i}", ReferencedFrameNumber=i % 7 + 1,
              ReferencedSOPClassUID=tag_value) for i in range(n)])
    return encode(ds, "explicit_le")


def _check(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = dcmfast.dcmread(data)
        theirs = pydicom.dcmread(io.BytesIO(data))
    assert_datasets_equal(ours, theirs, "dataset")


def test_large_index_arrays_are_reused():
    big = _many_items(20000, "1.2.840.10008.5.1.4.1.1.2")  # an index of several MiB
    other = _many_items(15000, "1.2.840.10008.5.1.4.1.1.4")
    small = encode(rich_dataset(), "explicit_le")
    ds = dcmfast.dcmread(big)
    kept_before = parse.cached_entries()
    del ds
    kept = parse.cached_entries()
    assert kept > kept_before  # the freed array is kept...
    _check(small)  # ...a small scan does not take it...
    assert parse.cached_entries() == kept
    ds = dcmfast.dcmread(other)  # ...a large one that fits in it does
    assert parse.cached_entries() == 0
    del ds
    for data in (big, other, big, small, other):  # reused over and over, still pydicom's
        _check(data)
    assert parse.cached_entries() > 0


def test_reused_array_with_entry_limit_and_errors():
    big = _many_items(20000, "1.2.840.10008.5.1.4.1.1.2")
    del_me = dcmfast.dcmread(big)
    del del_me
    assert parse.cached_entries() > 0
    # a limit below what the file needs still refuses it, from a reused array too
    try:
        dcmfast.dcmread(big, max_bytes=40 * 1000)
    except ResourceLimitError:
        pass
    else:
        raise AssertionError("max_bytes was not enforced")
    # a damaged copy (cut inside the sequence) reads as pydicom does
    _check(big[: len(big) // 2])
    _check(big)
