"""The compiled DSfloat behaves as pydicom's DSfloat, and is not a GC object."""
from __future__ import annotations

import copy
import gc
import pickle

import pytest
from pydicom.valuerep import DSfloat as PydicomDS

from dcmfast.valuerep import DS, DSfloat

CASES = ["1.50", "  -158.135803 ", "1e3", "-0", "12345678901234", 2, 2.5, 1 / 3]


@pytest.mark.parametrize("val", CASES, ids=repr)
def test_like_pydicom(val):
    ours, theirs = DSfloat(val), PydicomDS(val)
    assert float(ours) == float(theirs)
    assert (str(ours), repr(ours)) == (str(theirs), repr(theirs))
    assert hasattr(ours, "original_string") == hasattr(theirs, "original_string")
    assert ours == theirs and ours == float(theirs) and hash(ours) == hash(theirs)
    assert (ours == str(theirs)) == (theirs == str(theirs))
    assert isinstance(ours, float) and DS is DSfloat
    for auto in (True, False):
        a, b = DSfloat(val, auto_format=auto), PydicomDS(val, auto_format=auto)
        assert (str(a), a.auto_format) == (str(b), b.auto_format)
    for copied in (pickle.loads(pickle.dumps(ours)), copy.copy(ours), copy.deepcopy(ours)):
        assert type(copied) is DSfloat and str(copied) == str(ours) and copied == ours
    assert not gc.is_tracked(ours) and not gc.is_tracked(DSfloat(ours))


def test_none_blank_and_garbage_like_pydicom():
    assert DSfloat(None) is None and PydicomDS(None) is None
    assert DSfloat("   ") == PydicomDS("   ") == "   "
    assert DSfloat(val="2.0") == 2.0
    with pytest.raises(ValueError):
        DSfloat("abc")
    with pytest.raises(ValueError):
        PydicomDS("abc")


def test_original_string_settable():
    value = DSfloat(2)
    with pytest.raises(AttributeError):
        value.original_string  # noqa: B018
    value.original_string = "2.00"
    assert (str(value), repr(value)) == ("2.00", "'2.00'")
