"""The compiled DSfloat behaves as pydicom's DSfloat, and is not a GC object."""
from __future__ import annotations

import copy
import gc
import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


_DECIMAL = st.from_regex(r"\A[+-]?[0-9]{0,18}(\.[0-9]{0,24})?([eE][+-]?[0-9]{0,5})?\Z")


@settings(max_examples=3000, deadline=None)
@given(_DECIMAL)
def test_exact_double_fast_path_is_float(text):
    """The C fast path for plain decimal DS text gives float()'s value, bit for bit,
    wherever it applies (and declines the rest)."""
    from dcmfast._core.values import _parse_exact_double

    got = _parse_exact_double(text.encode())
    if got is None:
        return
    expected = float(text)
    assert got == expected and math.copysign(1.0, got) == math.copysign(1.0, expected)


@pytest.mark.parametrize("text", [
    "0", "-0", "-0.0", "+.5", "1.", "123456789012345", "0.000000000000000000000123",
    "9007199254740993", "1234567890123456", "0.1", "-175.0", "3.14159265358979",
    "1e5", "1.5E-3", ".", "-", "+", "1..2", "nan", "1_0", "1e", "1e+", "2e-22", "9e22", "1e23",
    "0e999", "-0e5", "1.5e0001", "1e12345", "1.e3", ".5E+2", "1 ", " 1",
])
def test_exact_double_edges(text):
    from dcmfast._core.values import _parse_exact_double

    got = _parse_exact_double(text.encode())
    try:
        expected = float(text)
    except ValueError:
        assert got is None
        return
    if got is not None:
        assert got == expected and math.copysign(1.0, got) == math.copysign(1.0, expected)


@pytest.mark.parametrize("text", ["0.1", "-175.25", "1.5E-3", "123456789012345", "+.5", "9e22"])
def test_exact_double_takes_plain_decimals(text):
    """The fast path applies to ordinary DS text (it is not declining everything)."""
    from dcmfast._core.values import _parse_exact_double

    assert _parse_exact_double(text.encode()) == float(text)


@pytest.mark.parametrize("text", [b"1.50", b"-2e1", b" 3 ", b"0.000000000000001", b"12345678901234567",
                                  b"1.5\\-0.25\\7", b"+.5E+02"])
def test_read_ds_keeps_its_text(text):
    """DS values read from a file keep their text (made into a str only when asked for)
    exactly as pydicom's do: original_string, str, repr, equality with the text."""
    import pydicom.valuerep

    from dcmfast._core.values import convert_bytes

    ours = convert_bytes("DS", text, True)
    theirs = [pydicom.valuerep.DSfloat(t) for t in text.decode().split("\\")]
    pairs = list(zip(ours, theirs, strict=True)) if b"\\" in text else [(ours, theirs[0])]
    for a, b in pairs:
        assert float(a) == float(b)
        assert (a.original_string, str(a), repr(a)) == (b.original_string, str(b), repr(b))
        assert a == str(b) and hash(a) == hash(b)
        copied = DSfloat(a)
        assert copied.original_string == b.original_string
