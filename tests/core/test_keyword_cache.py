"""``ds.Keyword`` on a dataset read from a file keeps the value without making a
DataElement (and the element dict is made on first need); every other way to the
element then makes it around that same value object.

These tests check that the shortcut cannot be seen: the value is the one object
whichever way it is reached, changes after a keyword read behave as in pydicom, and
a value kept this way is still tracked when the file's tree leaves its pristine state.
"""
from __future__ import annotations

import copy
import gc
import pickle
import random
import weakref
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from pydicom.data import get_testdata_file
from pydicom.datadict import keyword_for_tag

import dcmfast

RTPLAN = get_testdata_file("rtplan.dcm")
CT_SMALL = get_testdata_file("CT_small.dcm")
MR_SMALL = get_testdata_file("MR_small.dcm")
SQ_CHARSET = str(Path(pydicom.data.__file__).parent / "charset_files" / "chrSQEncoding1.dcm")


def _routes(ds, keyword):
    """The value of `keyword` reached every way pydicom offers."""
    tag = pydicom.datadict.tag_for_keyword(keyword)
    return {
        "attribute": getattr(ds, keyword),
        "get": ds.get(keyword),
        "item keyword": ds[keyword].value,
        "item int": ds[tag].value,
        "item tag": ds[dcmfast.Tag(tag)].value,
        "item pair": ds[(tag >> 16, tag & 0xFFFF)].value,
        "data_element": ds.data_element(keyword).value,
        "_dict": ds._edict[tag].value,
        "iteration": next(e for e in ds if e.tag == tag).value,
        "items": dict(ds.items())[tag].value,
    }


@pytest.mark.parametrize("keyword", ["BeamSequence", "RTPlanLabel", "FractionGroupSequence"])
@pytest.mark.parametrize("first", ["attribute", "item int", "_dict", "iteration"])
def test_one_value_object_every_way(keyword, first):
    ds = dcmfast.dcmread(RTPLAN)
    tag = pydicom.datadict.tag_for_keyword(keyword)
    if first == "attribute":
        value = getattr(ds, keyword)
    elif first == "item int":
        value = ds[tag].value
    elif first == "_dict":
        value = ds._edict.get(tag)
        value = getattr(ds, keyword)
    else:
        value = next(e for e in ds if e.tag == tag).value
    for route, got in _routes(ds, keyword).items():
        assert got is value, route
    assert ds.to_pydicom()[keyword].value == pydicom.dcmread(RTPLAN)[keyword].value


def test_alternating_keywords_keep_their_objects():
    ds = dcmfast.dcmread(RTPLAN)
    item = ds.BeamSequence[0]
    names = ["ControlPointSequence", "BeamName", "BeamLimitingDeviceSequence", "SourceAxisDistance",
             "ControlPointSequence"]
    seen = {}
    for name in names * 3:
        value = getattr(item, name)
        assert seen.setdefault(name, value) is value, name
    for name, value in seen.items():
        assert item[name].value is value
    ref = pydicom.dcmread(RTPLAN).BeamSequence[0]
    assert all(seen[name] == ref[name].value for name in seen if ref[name].VR != "SQ")
    assert [len(seen[name]) for name in names if ref[name].VR == "SQ"] == [
        len(ref[name].value) for name in names if ref[name].VR == "SQ"]


def test_element_dict_made_when_asked_for():
    ds = dcmfast.dcmread(RTPLAN)
    item = ds.BeamSequence[0]
    name = item.BeamName
    # the dict holds the element made around the same value, and nothing else yet
    assert item._edict[0x300A00C2].value is name
    assert list(item._edict) == [0x300A00C2]


def test_changes_after_a_keyword_read_match_pydicom():
    ours = dcmfast.dcmread(RTPLAN)
    ref = pydicom.dcmread(RTPLAN)
    for ds in (ours, ref):
        _ = ds.RTPlanLabel  # read by keyword, then changed every way
        ds.RTPlanLabel = "Changed"
        _ = ds.PatientName
        del ds.PatientName
        _ = ds.BeamSequence
        ds.BeamSequence = ds.BeamSequence[:1]
        _ = ds.RTPlanDate
        ds["RTPlanDate"].value = "20000101"
        _ = ds.RTPlanTime
        ds.pop(0x300A0007)
    assert ours.RTPlanLabel == ref.RTPlanLabel == "Changed"
    assert "PatientName" not in ours and not hasattr(ours, "PatientName")
    assert ours.RTPlanDate == "20000101"
    assert "RTPlanTime" not in ours
    assert len(ours.BeamSequence) == 1
    assert [e.tag for e in ours] == [e.tag for e in ref]
    assert ours.to_pydicom() == ref


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle", "materialize", "to_pydicom"])
def test_copies_after_a_keyword_read(how):
    ds = dcmfast.dcmread(RTPLAN)
    seq = ds.BeamSequence
    label = ds.RTPlanLabel  # the last keyword read: held without an element
    if how == "copy":
        new = copy.copy(ds)
        assert new.RTPlanLabel is label and new.BeamSequence is seq
    elif how == "deepcopy":
        new = copy.deepcopy(ds)
    elif how == "pickle":
        new = pickle.loads(pickle.dumps(ds))
    elif how == "materialize":
        ds._materialize()
        new = ds
        assert new.RTPlanLabel is label and new.BeamSequence is seq
    else:
        new = ds.to_pydicom()
    if isinstance(new, dcmfast.Dataset):
        assert new.RTPlanLabel == label
        new = new.to_pydicom()
    assert new == pydicom.dcmread(RTPLAN)


def test_item_charset_read_while_converting_a_keyword_value():
    """An item's person name needs the charset, which reads the datasets themselves."""
    for order in ("name first", "charset first"):
        ds = dcmfast.dcmread(SQ_CHARSET)
        ref = pydicom.dcmread(SQ_CHARSET)
        if order == "charset first":
            charset = ds.SpecificCharacterSet
        item = ds.RequestedProcedureCodeSequence[0]
        name = item.PatientName
        if order == "name first":
            charset = ds.SpecificCharacterSet
        assert name == ref.RequestedProcedureCodeSequence[0].PatientName
        assert str(name) == str(ref.RequestedProcedureCodeSequence[0].PatientName)
        assert item["PatientName"].value is name
        assert ds["SpecificCharacterSet"].value is charset
        assert ds.RequestingPhysician == ref.RequestingPhysician


class Holder:
    def __init__(self, target):
        self.target = target


def test_cycle_through_a_sequence_held_by_keyword(gc_enabled):
    """The sequence is kept by the dataset alone (no element), untracked while the tree
    is pristine; the change that makes the cycle must track it and its list."""
    ds = dcmfast.dcmread(RTPLAN)
    seq = ds.BeamSequence
    item = seq[0]
    assert not gc.is_tracked(seq) and not gc.is_tracked(item)
    item.holder = Holder(ds)  # item -> Holder -> ds -> BeamSequence -> item
    assert gc.is_tracked(seq) and gc.is_tracked(seq._list)
    refs = [weakref.ref(x) for x in (ds, item)]
    del ds, seq, item
    gc.collect()
    assert all(r() is None for r in refs)


def test_cycle_through_a_sequence_changed_after_a_keyword_read(gc_enabled):
    ds = dcmfast.dcmread(RTPLAN)
    seq = ds.FractionGroupSequence
    seq.append(ds)  # ds -> FractionGroupSequence -> ds
    ref = weakref.ref(ds)
    del ds, seq
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("path", [RTPLAN, CT_SMALL, MR_SMALL, SQ_CHARSET], ids=lambda p: Path(p).name)
@pytest.mark.parametrize("seed", range(4))
def test_random_operations_against_pydicom(path, seed):
    """Random reads by keyword and tag, sets, deletes and membership tests on a file's
    datasets and items, step by step against pydicom doing the same."""
    rng = random.Random(seed)
    ours_top = dcmfast.dcmread(path)
    ref_top = pydicom.dcmread(path)

    def pairs(ours, ref, out):
        out.append((ours, ref))
        for elem in ref:
            if elem.VR == "SQ":
                for k in range(len(elem.value)):
                    pairs(ours[elem.tag].value[k], elem.value[k], out)
        return out

    # the pairs are found through pydicom's tree; reading ours that way is an operation too
    datasets = pairs(ours_top, ref_top, [])
    seen = [{} for _ in datasets]
    for _step in range(300):
        k = rng.randrange(len(datasets))
        ours, ref = datasets[k]
        tags = [e.tag for e in ref] or [0x00100010]
        tag = rng.choice(tags + [0x00100010, 0x00181030])
        keyword = keyword_for_tag(tag)
        op = rng.choice(["attr", "attr", "attr", "item", "get", "in", "set", "del", "len", "keys"])
        if op in ("attr", "get") and keyword:
            got = getattr(ours, keyword, "missing") if op == "attr" else ours.get(keyword, "missing")
            want = getattr(ref, keyword, "missing") if op == "attr" else ref.get(keyword, "missing")
            if not isinstance(want, pydicom.Sequence):
                assert got == want
            else:
                assert len(got) == len(want)
            if got != "missing":
                if tag in seen[k]:
                    assert got is seen[k][tag]
                seen[k][tag] = got
        elif op == "item":
            assert (tag in ours) == (tag in ref)
            if tag in ref:
                assert ours[tag].VR == ref[tag].VR
                if ref[tag].VR != "SQ":
                    assert ours[tag].value == ref[tag].value
                if tag in seen[k]:
                    assert ours[tag].value is seen[k][tag]
        elif op == "in":
            assert (tag in ours) == (tag in ref) and (keyword in ours) == (keyword in ref)
        elif (op == "set" and keyword and tag in ref and tag != 0x00080005
              and ref[tag].VR in ("LO", "SH", "CS", "PN", "DS", "IS")):
            value = "1" if ref[tag].VR in ("DS", "IS") else "X"
            setattr(ours, keyword, value)
            setattr(ref, keyword, value)
            seen[k].pop(tag, None)
        elif op == "del" and tag in ref and ref[tag].VR != "SQ":
            del ours[tag]
            del ref[tag]
            seen[k].pop(tag, None)
        elif op == "len":
            assert len(ours) == len(ref)
        elif op == "keys":
            assert list(ours.keys()) == list(ref.keys())
    assert ours_top.to_pydicom() == ref_top
