"""A file's tree of datasets stays out of the cyclic GC until it changes.

The item datasets, element dicts, sequences (and their lists) made from a file are
untracked while the tree is "pristine" (see dcmfast._core.element.TreeState); every
change that could put one of them on a reference cycle first tracks the whole tree.
These tests build such cycles through each way of changing a tree and check that the
collector frees them, and that a tree nobody changes is freed without it.
"""
from __future__ import annotations

import copy
import gc
import pickle
import weakref

import pydicom
import pytest
from pydicom.data import get_testdata_file

import dcmfast
from dcmfast import DataElement, Dataset, Sequence

RTPLAN = get_testdata_file("rtplan.dcm")


class Holder:
    """A user object (tracked by the GC) that refers back into a tree."""

    def __init__(self, target):
        self.target = target


def _read():
    ds = dcmfast.dcmread(RTPLAN)
    item = ds.BeamSequence[0]
    inner = item.ControlPointSequence[0]
    return ds, item, inner


def _collected(ref: weakref.ref) -> bool:
    gc.collect()
    return ref() is None


pytestmark = pytest.mark.usefixtures("gc_enabled")  # tests/conftest.py


def test_tree_objects_untracked_while_pristine():
    ds, item, inner = _read()
    seq_elem = item["ControlPointSequence"]
    assert ds._view.tree.is_pristine
    assert not gc.is_tracked(item) and not gc.is_tracked(inner)
    assert not gc.is_tracked(item._edict) and not gc.is_tracked(inner._edict)
    assert not gc.is_tracked(seq_elem) and not gc.is_tracked(seq_elem.value)
    assert not gc.is_tracked(seq_elem.value._list)
    # the values are those pydicom reads
    ref = pydicom.dcmread(RTPLAN)
    assert item.BeamName == ref.BeamSequence[0].BeamName
    assert inner.GantryAngle == ref.BeamSequence[0].ControlPointSequence[0].GantryAngle
    # reading (iteration, str, comparisons) is no change
    str(ds)
    list(ds.iterall())
    assert ds._view.tree.is_pristine and not gc.is_tracked(inner)


def test_pristine_tree_freed_by_reference_counting():
    was = gc.isenabled()
    gc.disable()
    try:
        ds, item, inner = _read()
        refs = [weakref.ref(x) for x in (ds, item, inner)]
        del ds, item, inner
        assert all(r() is None for r in refs)
    finally:
        if was:
            gc.enable()


def _touched(ds) -> None:
    assert not ds._view.tree.is_pristine
    # every dataset of the tree made so far is tracked now
    item = ds.BeamSequence[0]
    assert gc.is_tracked(item) and gc.is_tracked(item._edict)
    assert gc.is_tracked(item["ControlPointSequence"].value)


def test_cycle_through_item_attribute():
    ds, item, inner = _read()
    inner.back = Holder(ds)
    _touched(ds)
    ref = weakref.ref(ds)
    del ds, item, inner
    assert _collected(ref)


def test_atomic_attribute_is_no_change():
    ds, item, inner = _read()
    inner.note = "text"
    item.BeamName = "renamed"
    assert ds._view.tree.is_pristine
    assert ds.BeamSequence[0].BeamName == "renamed"


def test_cycle_through_element_set_by_keyword():
    ds, item, inner = _read()
    back = Dataset()
    back.holder = Holder(ds)
    inner.ReferencedDoseReferenceSequence = [back]
    ref = weakref.ref(ds)
    del ds, item, inner, back
    assert _collected(ref)


def test_cycle_through_setitem_of_user_element():
    ds, item, inner = _read()
    back = Dataset()
    back.holder = Holder(ds)
    inner[0x300C0050] = DataElement(0x300C0050, "SQ", [back])
    ref = weakref.ref(ds)
    del ds, item, inner, back
    assert _collected(ref)


def test_cycle_through_adopted_element_value_set_later():
    """A user element with a plain value joins the tree; a container set as its value
    later ends the pristine state."""
    ds, item, inner = _read()
    inner.add_new(0x00091010, "UN", b"\x00\x01")
    assert ds._view.tree.is_pristine
    inner[0x00091010].value = [Holder(ds), Holder(ds)]
    assert not ds._view.tree.is_pristine
    ref = weakref.ref(ds)
    del ds, item, inner
    assert _collected(ref)


def test_cycle_through_file_element_value():
    ds, item, inner = _read()
    back = Dataset()
    back.holder = Holder(ds)
    item["ControlPointSequence"].value = [back]
    ref = weakref.ref(ds)
    del ds, item, inner, back
    assert _collected(ref)


@pytest.mark.parametrize("how", ["append", "insert", "extend", "setitem", "slice", "iadd"])
def test_cycle_through_sequence_mutators(how):
    ds, item, inner = _read()
    back = Dataset()
    back.holder = Holder(ds)
    seq = item.ControlPointSequence
    if how == "append":
        seq.append(back)
    elif how == "insert":
        seq.insert(0, back)
    elif how == "extend":
        seq.extend([back])
    elif how == "setitem":
        seq[0] = back
    elif how == "slice":
        seq[0:1] = [back]
    else:
        seq += [back]
    assert not ds._view.tree.is_pristine
    ref = weakref.ref(ds)
    del ds, item, inner, back, seq
    assert _collected(ref)


def test_cycle_from_an_item_whose_parents_are_gone():
    ds, item, inner = _read()
    del ds, item  # the root and the first level are freed; inner lives on
    inner.me = Holder(inner)
    ref = weakref.ref(inner)
    del inner
    assert _collected(ref)


def test_element_moved_between_trees():
    ds1, _item1, inner1 = _read()
    ds2, item2, inner2 = _read()
    elem = inner1["GantryAngle"]
    inner2[0x300A011E] = elem  # from another tree: ends ds2's pristine state
    assert not ds2._view.tree.is_pristine and ds1._view.tree.is_pristine
    back = Dataset()
    back.holder = Holder(ds2)
    inner2.ReferencedDoseReferenceSequence = [back]
    ref = weakref.ref(ds2)
    del ds2, item2, inner2, back
    assert _collected(ref)
    assert inner1.GantryAngle == elem.value


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_copies_of_items_then_cycles(how):
    ds, item, inner = _read()
    if how == "copy":
        other = copy.copy(item)
    elif how == "deepcopy":
        other = copy.deepcopy(item)
    else:
        other = pickle.loads(pickle.dumps(item))
    assert other.BeamName == item.BeamName
    other.back = Holder(ds)
    item.back = Holder(other)
    ref, ref_other = weakref.ref(ds), weakref.ref(other)
    del ds, item, inner, other
    assert _collected(ref) and _collected(ref_other)


def test_new_objects_after_a_change_are_tracked():
    ds = dcmfast.dcmread(RTPLAN)
    item = ds.BeamSequence[0]
    item.back = Holder(None)  # a change before the deeper items are made
    later = item.ControlPointSequence[0]
    assert gc.is_tracked(later) and gc.is_tracked(item.ControlPointSequence)
    assert isinstance(item.ControlPointSequence, Sequence)


def test_per_frame_groups_untracked():
    """The per-frame groups of an Enhanced file: no item is tracked while only read."""
    path = get_testdata_file("liver.dcm")
    if path is None:
        pytest.skip("pydicom-data's liver.dcm is not installed")
    ds = dcmfast.dcmread(path)
    ref = pydicom.dcmread(path)
    ours = ds.PerFrameFunctionalGroupsSequence
    theirs = ref.PerFrameFunctionalGroupsSequence
    assert len(ours) > 1 and len(ours) == len(theirs)
    for mine, other in zip(ours, theirs, strict=True):
        assert str(mine) == str(other)
    assert not any(gc.is_tracked(x) or gc.is_tracked(x._edict) for x in ours)
    assert ds._view.tree.is_pristine


@pytest.mark.parametrize("attr", ["private_creator", "validation_mode"])
def test_cycle_through_element_attributes(attr):
    ds, item, inner = _read()
    elem = inner["GantryAngle"]
    setattr(elem, attr, [Holder(ds)])
    assert not ds._view.tree.is_pristine and gc.is_tracked(elem)
    ref = weakref.ref(ds)
    del ds, item, inner, elem
    assert _collected(ref)


def test_cycle_through_a_sequence_whose_dataset_is_gone():
    """A sequence read from a file outlives its dataset, then changes: it is tracked by
    the GC from then on, so a cycle through it is collected."""
    ds = dcmfast.dcmread(get_testdata_file("rtplan.dcm"))
    seq = ds.BeamSequence
    del ds
    gc.collect()
    seq.append(Dataset())
    assert gc.is_tracked(seq) and gc.is_tracked(seq._list)
    seq[-1].back = seq
    ref = weakref.ref(seq[-1])
    del seq
    gc.collect()
    assert ref() is None
