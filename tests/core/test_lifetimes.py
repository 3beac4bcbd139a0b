"""Object lifetimes: datasets are freed by reference counting alone, elements outlive
their datasets safely, and what the cyclic GC does not track cannot be on a cycle."""
from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from pydicom.data import get_testdata_file

import dcmfast

# ISO 2022 Japanese person names: the charset matters
CHARSET_FILE = str(Path(pydicom.data.__file__).parent / "charset_files" / "chrH31.dcm")


@pytest.fixture
def no_gc():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_datasets_and_items_freed_without_the_gc(no_gc):
    ds = dcmfast.dcmread(get_testdata_file("rtplan.dcm"))
    item = ds.BeamSequence[0]
    nested = item.ControlPointSequence[0]
    refs = [weakref.ref(x) for x in (ds, item, nested)]
    del ds, item, nested
    assert [r() for r in refs] == [None] * 3


def test_element_outlives_its_dataset():
    path = CHARSET_FILE
    expected = pydicom.dcmread(path).PatientName
    ds = dcmfast.dcmread(path)
    elem = ds["PatientName"]  # value not converted yet
    ref = weakref.ref(ds)
    del ds
    assert ref() is None
    assert elem.value == expected  # the charset is found in the index, not the dataset
    assert str(elem.value) == str(expected)


def test_item_element_outlives_item_and_parent():
    path = get_testdata_file("rtplan.dcm")
    expected = pydicom.dcmread(path).BeamSequence[0].ControlPointSequence[0][0x300A0112]
    ds = dcmfast.dcmread(path)
    elem = ds.BeamSequence[0].ControlPointSequence[0][0x300A0112]
    del ds
    gc.collect()
    assert (elem.tag, elem.VR, elem.value) == (expected.tag, expected.VR, expected.value)


def test_finalizer_reading_elements_during_teardown():
    """Python code that runs while a dataset is torn down (a __del__ of an object the
    dataset holds) and reads the dataset's elements gets their values, not a crash."""
    path = CHARSET_FILE
    expected = pydicom.dcmread(path).PatientName
    seen = []

    class Probe:
        def __init__(self, elem):
            self.elem = elem

        def __del__(self):
            seen.append(self.elem.value)

    ds = dcmfast.dcmread(path)
    ds.probe = Probe(ds["PatientName"])
    del ds
    gc.collect()
    assert seen == [expected]


def test_untracked_values_and_elements():
    ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    elem = ds["ImagePositionPatient"]
    assert not gc.is_tracked(elem)
    value = elem.value
    assert not gc.is_tracked(value) and not gc.is_tracked(value[0])
    assert value == pydicom.dcmread(get_testdata_file("CT_small.dcm")).ImagePositionPatient
    value.append("1.5")  # a MultiValue converts what it is given: still no container inside
    assert all(type(v) is type(value[0]) for v in value)
    seq_file = dcmfast.dcmread(get_testdata_file("rtplan.dcm"))
    seq_elem = seq_file["BeamSequence"]
    seq_elem.value  # noqa: B018 - a Sequence of the file's pristine tree: untracked
    assert not gc.is_tracked(seq_elem) and not gc.is_tracked(seq_elem.value)
    seq_elem.value.append(dcmfast.Dataset())  # a change: the tree is tracked from now on
    assert gc.is_tracked(seq_elem) and gc.is_tracked(seq_elem.value)
    elem.value = [1.0, 2.0, 3.0]  # set by the user: a MultiValue of the user's values
    assert elem.value == [1.0, 2.0, 3.0]


def test_user_made_cycles_are_collected():
    ds = dcmfast.dcmread(get_testdata_file("rtplan.dcm"))
    item = ds.BeamSequence[0].ControlPointSequence[0]
    item.back = ds  # a cycle through items, sequences and elements read from the file
    ref = weakref.ref(ds)
    del ds, item
    gc.collect()
    assert ref() is None


def test_subclass_finalizer_not_calling_super():
    """Item datasets of a subclass whose __del__ skips the base's: the view's pointer
    to the dataset is still cleared when the dataset is freed (no dangling pointer)."""
    from dcmfast._core import element
    from dcmfast.dataset import Dataset

    finalized = []

    class Mine(Dataset):
        def __del__(self):
            finalized.append(type(self).__name__)

    path = get_testdata_file("rtplan.dcm")
    expected = pydicom.dcmread(path).BeamSequence[0].BeamName
    element.set_dataset_class(Mine)
    try:
        ds = dcmfast.dcmread(path)
        item = ds.BeamSequence[0]
        assert type(item) is Mine
        elem = item["BeamName"]  # value not converted yet: it needs the view
        del ds, item
        gc.collect()
    finally:
        element.set_dataset_class(Dataset)
    assert finalized and elem.value == expected


def test_tree_changed_while_a_dataset_is_freed():
    """A weak reference callback that runs while a pristine tree's top dataset is being
    freed changes the tree (which tracks every live dataset of it by the GC): the
    dataset being freed is skipped, not resurrected, and its items stay usable."""
    from dcmfast.dataset import Dataset

    path = get_testdata_file("rtplan.dcm")
    expected = pydicom.dcmread(path).BeamSequence[0].BeamName
    ds = dcmfast.dcmread(path)
    seq = ds.BeamSequence
    item = seq[0]
    count = len(seq)
    assert ds._view.tree.is_pristine
    seen = []

    def changed(ref):
        seq.append(Dataset())  # touches the tree while ds has no references left
        seen.append(ref() is None)

    ref = weakref.ref(ds, changed)
    del ds
    gc.collect()
    assert seen == [True] and ref() is None
    assert gc.is_tracked(seq) and gc.is_tracked(item)
    assert item.BeamName == expected and len(seq) == count + 1
