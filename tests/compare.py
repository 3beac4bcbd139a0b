"""Element-by-element comparison of a dcmfast dataset with pydicom's read of the same data."""
from __future__ import annotations

import math
import warnings

import pydicom
import pydicom.multival
import pydicom.valuerep
import pytest

import dcmfast


def _value_of(elem):
    """An element's value, or the exception reading it raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return elem.value, None
        except Exception as exc:  # noqa: BLE001
            return None, exc


def assert_values_equal(ours, theirs, where):
    if isinstance(theirs, pydicom.Sequence):
        assert isinstance(ours, dcmfast.Sequence), where
        assert len(ours) == len(theirs), where
        if hasattr(theirs, "is_undefined_length"):  # pydicom leaves it unset on empty values
            assert ours.is_undefined_length == theirs.is_undefined_length, where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_datasets_equal(a, b, f"{where}[{i}]")
        return
    if isinstance(theirs, pydicom.multival.MultiValue):
        assert isinstance(ours, dcmfast.MultiValue), (where, type(ours))
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_values_equal(a, b, f"{where}[{i}]")
        return
    if isinstance(theirs, list):
        assert type(ours) is list, (where, type(ours))
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_values_equal(a, b, f"{where}[{i}]")
        return
    if isinstance(theirs, pydicom.valuerep.PersonName):
        assert isinstance(ours, dcmfast.PersonName), where
        assert ours.components == theirs.components, where
        assert str(ours) == str(theirs), where
        return
    if isinstance(theirs, pydicom.valuerep.DSfloat):
        assert type(ours).__name__ == "DSfloat", (where, type(ours))
        assert str(ours) == str(theirs), where
        assert float(ours) == float(theirs) or (math.isnan(ours) and math.isnan(theirs)), where
        return
    if isinstance(theirs, pydicom.valuerep.ISfloat):
        assert type(ours).__name__ == "ISfloat", (where, type(ours))
        assert float(ours) == float(theirs) and str(ours) == str(theirs), where
        return
    if isinstance(theirs, pydicom.valuerep.IS):
        assert type(ours).__name__ == "IS", (where, type(ours))
        assert int(ours) == int(theirs) and str(ours) == str(theirs), where
        return
    if isinstance(theirs, pydicom.uid.UID):
        assert isinstance(ours, dcmfast.UID), (where, type(ours))
        assert str(ours) == str(theirs), where
        return
    if isinstance(theirs, pydicom.tag.BaseTag):
        assert isinstance(ours, dcmfast.BaseTag), (where, type(ours))
        assert int(ours) == int(theirs), where
        return
    if isinstance(theirs, float):
        assert type(ours) is float, (where, type(ours))
        assert ours == theirs or (math.isnan(ours) and math.isnan(theirs)), where
        return
    assert type(ours) is type(theirs), (where, type(ours), type(theirs))
    assert ours == theirs, where


def assert_elements_equal(ours, theirs, where):
    assert int(ours.tag) == int(theirs.tag), where
    where = f"{where} {theirs.tag}"
    b, b_exc = _value_of(theirs)
    a, a_exc = _value_of(ours)
    if b_exc is not None:
        assert a_exc is not None, f"{where}: pydicom raised {b_exc!r}, dcmfast gave {a!r}"
        return
    assert a_exc is None, f"{where}: dcmfast raised {a_exc!r}"
    assert ours.VR == theirs.VR, where
    assert_values_equal(a, b, where)
    assert ours.is_undefined_length == theirs.is_undefined_length, where
    assert ours.file_tell == theirs.file_tell, where
    assert ours.private_creator == theirs.private_creator, where
    assert ours.keyword == theirs.keyword, where
    assert ours.name == theirs.name, where
    if theirs.VR != "SQ":
        assert ours.VM == theirs.VM, where
        assert ours.repval == theirs.repval, where


def assert_datasets_equal(ours, theirs, where):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        their_tags = list(theirs.keys())
        our_tags = list(ours.keys())
    assert [int(t) for t in our_tags] == [int(t) for t in their_tags], where
    assert len(ours) == len(theirs), where
    for tag in their_tags:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                b = theirs[tag]
            except Exception:  # noqa: BLE001
                with pytest.raises(Exception):  # noqa: B017 (pydicom raised: so must dcmfast)
                    ours[tag]
                continue
            a = ours[tag]
        assert_elements_equal(a, b, where)


