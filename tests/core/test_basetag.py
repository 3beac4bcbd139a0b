"""BaseTag against pydicom's BaseTag: comparisons with everything Tag() accepts (and
what it refuses), hashing, text, properties, pickling; and it is not a GC type."""
from __future__ import annotations

import collections.abc
import copy
import gc
import operator
import pickle

import pydicom.tag
import pytest

import dcmfast
from dcmfast import BaseTag, Tag

VALUES = [0, 1, 0x00100010, 0x00090010, 0x00091001, 0x0009100F, 0x00091100, 0xFFFEE000, 0xFFFFFFFF,
          1 << 40, -1]
OTHERS = [0x00100010, 0, 1 << 70, (0x10, 0x10), ("0010", "0010"), [0x10, 0x10], (1, 2, 3), "PatientName",
          "00100010", "NotAKeyword", "", 1.5, 1048592.0, None, b"x", True, object()]
OPS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]


def _outcome(fn):
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - the exception is the outcome compared
        return type(exc)
    return result, type(result)


@pytest.mark.parametrize("value", VALUES)
def test_comparisons_equal_pydicom(value):
    ours, theirs = BaseTag(value), pydicom.tag.BaseTag(value)
    others = [*OTHERS, BaseTag(0x00100010), pydicom.tag.BaseTag(0x00100010)]
    for other in others:
        for op in OPS:
            assert _outcome(lambda: op(ours, other)) == _outcome(lambda: op(theirs, other)), (op, other)  # noqa: B023
            assert _outcome(lambda: op(other, ours)) == _outcome(lambda: op(other, theirs)), (other, op)  # noqa: B023


@pytest.mark.parametrize("value", VALUES)
def test_text_properties_and_hash_equal_pydicom(value):
    ours, theirs = BaseTag(value), pydicom.tag.BaseTag(value)
    for name in ("json_key", "group", "element", "elem", "is_private", "is_private_creator"):
        assert _outcome(lambda: getattr(ours, name)) == _outcome(lambda: getattr(theirs, name)), name  # noqa: B023
    assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
    assert format(ours) == format(theirs) and f"{ours:08x}" == f"{theirs:08x}"
    assert hash(ours) == hash(theirs) == hash(value)
    assert isinstance(ours, collections.abc.Hashable)
    assert int(ours.private_creator) == int(theirs.private_creator)
    assert type(ours.private_creator) is BaseTag
    for made in (pickle.loads(pickle.dumps(ours)), copy.copy(ours), copy.deepcopy(ours)):
        assert type(made) is BaseTag and made == value
    assert isinstance(ours, int) and ours + 1 == value + 1 and type(ours >> 16) is int


def test_dict_keys_mix_with_ints():
    assert {Tag(0x00100010): 1}[0x00100010] == 1
    assert {0x00100010: 1}[Tag(0x00100010)] == 1
    assert sorted([Tag(3), 1, Tag(2)]) == [1, 2, 3]


def test_not_a_gc_type():
    """Pairs and elements of many files held by a program: tuples of tags and atomic
    values are untracked by the collector (only possible if tags are not GC objects)."""
    tag = Tag(0x00100010)
    assert not type(tag).__flags__ & (1 << 14)  # Py_TPFLAGS_HAVE_GC
    pair = (tag, "Doe^John")
    gc.collect()
    assert not gc.is_tracked(pair)
    ds = dcmfast.dcmread(pydicom.data.get_testdata_file("CT_small.dcm"))
    atomic = (str, int, float, bytes, dcmfast.valuerep.DSfloat)
    pairs = [(e.tag, e.value) for e in ds if type(e.value) in atomic]
    gc.collect()
    assert pairs and not any(gc.is_tracked(p) for p in pairs)
