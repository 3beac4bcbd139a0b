"""DICOM JSON (PS3.18 Annex F): dcmfast's to_json / to_json_dict / from_json against pydicom's.

pydicom is the oracle: every corpus file is read by both, and the JSON text, the dict
and the datasets made back from the JSON must be pydicom's (the text byte for byte).
"""
from __future__ import annotations

import io
import json
import logging
import math
import warnings

import pydicom
import pytest
from compare import assert_datasets_equal
from corpus import CORPUS, file_id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dcmfast
from dcmfast.errors import DcmfastError

_EOF_WARNING = "End of file reached before delimiter"


def _read_both(path, **kwargs):
    """(pydicom's read, dcmfast's read) of `path`, or None if pydicom cannot read it.

    Where pydicom drops the whole dataset because the data ends inside an undefined
    length value (dcmfast keeps what is before it), both read up to the pixel data."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            theirs = pydicom.dcmread(path, force=True, **kwargs)
        except Exception:  # noqa: BLE001 - pydicom's failure: nothing to compare
            return None
        if any(str(w.message).startswith(_EOF_WARNING) for w in caught):
            kwargs["stop_before_pixels"] = True
            theirs = pydicom.dcmread(path, force=True, **kwargs)
        ours = dcmfast.dcmread(path, force=True, **kwargs)
    return theirs, ours


def _same(a, b):
    """Equality of JSON models, NaN equal to NaN."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return False
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b or (isinstance(a, str) and isinstance(b, str) and a == b)


def _call(fn, *args, **kwargs):
    """fn(...) with warnings and pydicom's log records silenced: (result, exception)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs), None
        except Exception as exc:  # noqa: BLE001
            return None, exc


def _assert_raises_too(exc_theirs, exc_ours, where):
    assert exc_ours is not None, f"{where}: pydicom raised {exc_theirs!r}, dcmfast did not"
    assert isinstance(exc_ours, (DcmfastError, type(exc_theirs))), (where, exc_theirs, exc_ours)


def _uri(elem):
    return f"https://example.org/bulk/{int(elem.tag):08X}/{elem.VR}"


# (kwargs, name): pydicom's defaults, bulk data through a handler, invalid tags suppressed
_OPTIONS = [
    ({}, "default"),
    ({"bulk_data_threshold": 8, "bulk_data_element_handler": _uri}, "bulk8"),
    ({"bulk_data_threshold": 1, "bulk_data_element_handler": _uri}, "bulk1"),
    ({"suppress_invalid_tags": True}, "suppress"),
]


@pytest.fixture(autouse=True)
def _quiet_pydicom_logs():
    level = logging.getLogger("pydicom").level
    logging.getLogger("pydicom").setLevel(logging.CRITICAL)
    yield
    logging.getLogger("pydicom").setLevel(level)


@pytest.mark.parametrize("options", [o for o, _ in _OPTIONS], ids=[n for _, n in _OPTIONS])
@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_to_json_equals_pydicom(path, options):
    both = _read_both(path)
    if both is None:
        pytest.skip("pydicom cannot read it")
    theirs, ours = both
    expected, exc_theirs = _call(theirs.to_json, **options)
    got, exc_ours = _call(ours.to_json, **options)
    if exc_theirs is not None:
        _assert_raises_too(exc_theirs, exc_ours, "to_json")
        return
    assert exc_ours is None, exc_ours
    assert got == expected  # the text, byte for byte


@pytest.mark.parametrize("options", [o for o, _ in _OPTIONS], ids=[n for _, n in _OPTIONS])
@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_to_json_dict_equals_pydicom(path, options):
    both = _read_both(path)
    if both is None:
        pytest.skip("pydicom cannot read it")
    theirs, ours = both
    expected, exc_theirs = _call(theirs.to_json_dict, **options)
    got, exc_ours = _call(ours.to_json_dict, **options)
    if exc_theirs is not None:
        _assert_raises_too(exc_theirs, exc_ours, "to_json_dict")
        return
    assert exc_ours is None, exc_ours
    assert _same(got, expected)
    # and the dump of that dict is pydicom's
    assert json.loads(_call(ours.to_json, **options)[0]) is not None


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_to_json_after_reading_values(path):
    """Elements made and read (the value path), then the JSON: still pydicom's."""
    both = _read_both(path)
    if both is None:
        pytest.skip("pydicom cannot read it")
    theirs, ours = both
    expected, exc_theirs = _call(theirs.to_json)
    if exc_theirs is not None:
        pytest.skip("pydicom raises")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for elem in ours.iterall():  # every element and sequence item made
            _call(lambda e=elem: e.value)
    assert _call(ours.to_json)[0] == expected


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_from_json_equals_pydicom(path):
    both = _read_both(path)
    if both is None:
        pytest.skip("pydicom cannot read it")
    theirs, _ = both
    text, exc = _call(theirs.to_json)
    if exc is not None:
        pytest.skip("pydicom cannot write it")
    expected, exc_theirs = _call(pydicom.Dataset.from_json, text)
    got, exc_ours = _call(dcmfast.Dataset.from_json, text)
    if exc_theirs is not None:
        _assert_raises_too(exc_theirs, exc_ours, "from_json")
        return
    assert exc_ours is None, exc_ours
    assert isinstance(got, dcmfast.Dataset)
    assert_datasets_equal(got, expected, "from_json")
    # the round trip: JSON -> dataset -> JSON is the same text in both libraries
    assert _call(got.to_json)[0] == _call(expected.to_json)[0]


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_from_json_bulk_data_uri(path):
    both = _read_both(path)
    if both is None:
        pytest.skip("pydicom cannot read it")
    theirs, _ = both
    text, exc = _call(theirs.to_json, bulk_data_threshold=8, bulk_data_element_handler=_uri)
    if exc is not None:
        pytest.skip("pydicom cannot write it")

    def fetch(tag, vr, uri):
        return uri.encode() if vr in ("OB", "OW", "UN", "OD", "OF", "OL", "OV") else None

    for handler in (fetch, lambda uri: uri.encode(), None):
        expected, exc_theirs = _call(pydicom.Dataset.from_json, text, handler)
        got, exc_ours = _call(dcmfast.Dataset.from_json, text, handler)
        if exc_theirs is not None:
            _assert_raises_too(exc_theirs, exc_ours, "from_json")
            continue
        assert exc_ours is None, exc_ours
        assert_datasets_equal(got, expected, "from_json")


# -- edits ----------------------------------------------------------------------------

def _edits(ds):
    ds.PatientName = "Doe^John=ドウ^ジョン"
    ds.Rows = 99
    ds.add_new(0x00091010, "LO", "private value")  # needs its creator: (0009,0010)
    ds.add_new(0x00090010, "LO", "ACME 1.0")
    ds.add_new(0x00189328, "FD", [1.5, -0.0, 1e300])
    ds.add_new(0x00181041, "DS", ["1.50", "-0", "1e3", " 12"])
    ds.add_new(0x00200100, "IS", "0001")
    ds.add_new(0x00209165, "AT", [0x00100010, 0x7FE00010])
    ds.add_new(0x00081150, "UI", "")
    del ds.StudyDate
    # (by the real type: with pydicom imported, dcmfast's datasets pass isinstance checks)
    item = dcmfast.Dataset() if isinstance(ds, dcmfast.Dataset) else pydicom.Dataset()
    item.CodeValue = "121"
    item.add_new(0x00081161, "UL", [1, 2, 4294967295])
    ds.add_new(0x00409096, "SQ", [item])


@pytest.mark.parametrize("name", ["CT_small.dcm", "rtplan.dcm", "MR_small_bigendian.dcm"])
def test_to_json_after_edits(name):
    path = pydicom.data.get_testdata_file(name)
    theirs, ours = _read_both(path)
    _edits(theirs)
    _edits(ours)
    assert ours.to_json() == theirs.to_json()
    assert _same(ours.to_json_dict(), theirs.to_json_dict())


def test_to_json_after_edits_inside_a_sequence():
    path = pydicom.data.get_testdata_file("rtplan.dcm")
    theirs, ours = _read_both(path)
    for ds in (theirs, ours):
        beam = ds.BeamSequence[0]
        beam.BeamName = "Changed \"name\" \\ x"
        del beam.InstitutionName
        beam.ControlPointSequence[1].GantryAngle = "12.50"
        beam.ControlPointSequence.append(type(beam)())
        ds.FractionGroupSequence[0].ReferencedBeamSequence[0].BeamMeterset = 3.25
    assert ours.to_json() == theirs.to_json()
    assert _same(ours.to_json_dict(), theirs.to_json_dict())


def test_in_place_change_of_a_read_value():
    """A MultiValue changed in place (no setter call) is written as changed."""
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    theirs, ours = _read_both(path)
    for ds in (theirs, ours):
        ds.ImagePositionPatient[0] = 7.25
        ds.ImageType.append("EXTRA")
    assert ours.to_json() == theirs.to_json()


def test_keyword_cached_value_changed_in_place():
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    theirs, ours = _read_both(path)
    ours.PixelSpacing[1] = 0.125  # ds.Keyword keeps the value in the dataset's slot
    theirs.PixelSpacing[1] = 0.125
    assert ours.to_json() == theirs.to_json()


def test_dump_handler_and_defaults():
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    theirs, ours = _read_both(path)

    def dump(d):
        return json.dumps(d, indent=2, sort_keys=True)

    assert ours.to_json(dump_handler=dump) == theirs.to_json(dump_handler=dump)
    assert ours.to_json(dump_handler=lambda d: d) == theirs.to_json(dump_handler=lambda d: d)


def test_one_argument_bulk_data_uri_handler():
    ds = pydicom.Dataset()
    ds.add_new(0x7FE00010, "OB", b"\x00\x01\x02")
    text = ds.to_json(bulk_data_threshold=0, bulk_data_element_handler=lambda e: "uri:x")
    assert '"BulkDataURI"' in text
    got = dcmfast.Dataset.from_json(text, lambda uri: uri.encode())
    assert got.PixelData == pydicom.Dataset.from_json(text, lambda uri: uri.encode()).PixelData


def test_value_of_no_json_type():
    """A value json has no form for: to_json_dict holds it as pydicom's does, to_json raises
    json.dumps's TypeError as pydicom's does."""
    datasets = []
    for lib in (pydicom, dcmfast):
        ds = lib.Dataset()
        ds.add_new(0x00100020, "LO", b"raw")
        ds.add_new(0x00100021, "LO", "fine")
        datasets.append(ds)
    theirs, ours = datasets
    assert ours.to_json_dict() == theirs.to_json_dict()
    with pytest.raises(TypeError):
        theirs.to_json()
    with pytest.raises(TypeError):
        ours.to_json()


@pytest.mark.parametrize("name", ["=", "==", " ", "= ", "A^B=C^D=E^F", "^^^^"])
def test_person_name_components_from_the_file(name):
    """A PN whose value has no component groups ("="): pydicom's to_json raises
    IndexError (components[0] of an empty tuple), and so does dcmfast (this once read
    past the tuple: bounds are not checked in the compiled module)."""
    pds = pydicom.Dataset()
    pds.add_new(0x00100010, "PN", [name, "A"])
    theirs, ours = (lib.dcmread(io.BytesIO(_file_bytes(pds))) for lib in (pydicom, dcmfast))
    expected, exc_theirs = _call(theirs.to_json)
    got, exc_ours = _call(ours.to_json)
    if exc_theirs is not None:
        _assert_raises_too(exc_theirs, exc_ours, "to_json")
    else:
        assert got == expected


def test_empty_inline_binary_list():
    model = {"7FE00010": {"vr": "OB", "InlineBinary": []}}
    _, exc_theirs = _call(pydicom.Dataset.from_json, model)
    _, exc_ours = _call(dcmfast.Dataset.from_json, model)
    _assert_raises_too(exc_theirs, exc_ours, "from_json")


# -- from_json errors ------------------------------------------------------------------

_BAD_JSON = [
    {"00100010": {"Value": [{"Alphabetic": "A"}]}},                 # no vr
    {"00100010": {"vr": "PN", "Value": {"Alphabetic": "A"}}},       # Value not a list
    {"7FE00010": {"vr": "OB", "InlineBinary": 5}},                  # not a str
    {"7FE00010": {"vr": "OB", "BulkDataURI": 5}},
    {"00280010": {"vr": "US", "Value": ["x"]}},                     # int("x")
    {"00400275": {"vr": "SQ", "Value": [{"00100010": {"Value": ["A"]}}]}},  # item element: no vr
    {"0040A730": {"vr": "SQ", "Value": [None, {}]}},                # empty items
    {"00209165": {"vr": "AT", "Value": ["GGGG0010", "00100010"]}},  # bad AT: None
    {"00100010": {"vr": "PN", "Value": ["Doe^John"]}},              # PN as a plain str
    {"00100010": {"vr": "PN", "Value": [{"Ideographic": "X"}, {"Phonetic": "P"}, None]}},
    {"00181041": {"vr": "DS", "Value": [1.5, None, 3]}},
    {"00200100": {"vr": "IS", "Value": [1.0, None]}},
    {"00100020": {"vr": "LO"}},
    {"00100020": {"vr": "LO", "Value": []}},
    {"00091010": {"vr": "LO", "Value": ["v"]}, "00090010": {"vr": "LO", "Value": ["ME"]}},
    {"00280010": {"vr": "UN", "InlineBinary": "AAE="}},             # UN of a known tag
    {"0008103E": {"vr": "UN", "InlineBinary": "QUJDRA=="}},
    {"XYZ": {"vr": "LO", "Value": ["x"]}},
]


@pytest.mark.parametrize("model", _BAD_JSON, ids=range(len(_BAD_JSON)))
def test_from_json_edge_cases(model):
    for source in (model, json.dumps(model), json.dumps(model).encode()):
        expected, exc_theirs = _call(pydicom.Dataset.from_json, source)
        got, exc_ours = _call(dcmfast.Dataset.from_json, source)
        if exc_theirs is not None:
            _assert_raises_too(exc_theirs, exc_ours, "from_json")
            continue
        assert exc_ours is None, exc_ours
        assert_datasets_equal(got, expected, "from_json")


# -- random values, written by pydicom and read back by both ----------------------------

def _file_bytes(pds):
    pds.file_meta = pydicom.dataset.FileMetaDataset()
    pds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    pds.file_meta.MediaStorageSOPClassUID = "1.2.3"
    pds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    out = io.BytesIO()
    pds.save_as(out, enforce_file_format=True)
    return out.getvalue()


_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\"),
                max_size=12)
_UNICODE = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\\^="),
                   max_size=8)
_DS = st.one_of(
    st.sampled_from(["1.50", "-0", "1e3", "0.000001", "  12", "-1.25E-05", "3", "+7.0", "1e+300"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: f"{f:.6g}"),
)
_VALUES = {
    "US": st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=4),
    "SS": st.lists(st.integers(-0x8000, 0x7FFF), min_size=1, max_size=4),
    "UL": st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=4),
    "SL": st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=4),
    "UV": st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=3),
    "SV": st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=3),
    "FL": st.lists(st.floats(width=32), min_size=1, max_size=3),
    "FD": st.lists(st.floats(), min_size=1, max_size=3),
    "DS": st.lists(_DS, min_size=1, max_size=3),
    "IS": st.lists(st.integers(-(2**31), 2**31 - 1).map(str), min_size=1, max_size=3),
    "AT": st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=3),
    "LO": st.lists(_TEXT, min_size=1, max_size=3),
    "LT": _TEXT,
    "UT": _UNICODE,
    "PN": st.lists(st.tuples(_TEXT, _UNICODE, _UNICODE).map(
        lambda t: "=".join(p.replace("=", "").replace("^", "") for p in t).rstrip("=")),
        min_size=1, max_size=2),
    "OB": st.binary(max_size=40),
    "OW": st.binary(max_size=40).map(lambda b: b[: len(b) // 2 * 2]),
    "UN": st.binary(max_size=20),
}
# (tag, VR) pairs of the dictionary (private ones with their VR in the file)
_TAGS = {
    "US": 0x00280010, "SS": 0x00189219, "UL": 0x00081161, "SL": 0x00186020, "UV": 0x00660040,
    "SV": 0x00189230, "FL": 0x00189087, "FD": 0x00189328, "DS": 0x00181041, "IS": 0x00200100,
    "AT": 0x00209165, "LO": 0x00100020, "LT": 0x00204000, "UT": 0x00400280, "PN": 0x00100010,
    "OB": 0x00420011, "OW": 0x00660023, "UN": 0x00111010,
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={vr: strat for vr, strat in _VALUES.items()}),
       st.booleans(), st.booleans())
def test_random_values_written_by_pydicom(values, utf8, in_item):
    pds = pydicom.Dataset()
    if utf8:
        pds.SpecificCharacterSet = "ISO_IR 192"
    target = pds
    if in_item:
        item = pydicom.Dataset()
        pds.add_new(0x00400275, "SQ", [item])
        target = item
    for vr, value in values.items():
        if vr in ("UT", "PN") and not utf8:  # only what latin-1 (the default) can write
            if isinstance(value, list):
                value = [v.encode("latin-1", "replace").decode("latin-1") for v in value]
            else:
                value = value.encode("latin-1", "replace").decode("latin-1")
        if vr == "UN":
            target.add_new(0x00110010, "LO", "CREATOR")
        target.add_new(_TAGS[vr], vr, value)
    data = _file_bytes(pds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom.dcmread(io.BytesIO(data))
        ours = dcmfast.dcmread(io.BytesIO(data))
        expected, exc_theirs = _call(theirs.to_json)
        got, exc_ours = _call(ours.to_json)
    if exc_theirs is not None:
        _assert_raises_too(exc_theirs, exc_ours, "to_json")
        return
    assert exc_ours is None, exc_ours
    assert got == expected
    # and back: the datasets from that JSON are pydicom's
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_datasets_equal(dcmfast.Dataset.from_json(got), pydicom.Dataset.from_json(got), "from_json")


def _element_models(ds, options):
    """[(tag, model or exception)] of DataElement.to_json_dict for every element of `ds`
    (any depth, in iterall's order)."""
    handler = options.get("bulk_data_element_handler")
    threshold = options.get("bulk_data_threshold", 1024)
    out = []
    for elem in ds.iterall():
        got, exc = _call(elem.to_json_dict, handler, threshold)
        out.append((int(elem.tag), got if exc is None else exc))
    return out


@pytest.mark.parametrize("options", [o for o, _ in _OPTIONS[:2]], ids=[n for _, n in _OPTIONS[:2]])
@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_element_to_json_dict_equals_pydicom(path, options):
    """DataElement.to_json_dict (a method, as in pydicom) on every element, any depth."""
    both = _read_both(path)
    if both is None:
        pytest.skip("pydicom cannot read it")
    theirs, ours = both
    expected = _element_models(theirs, options)
    got = _element_models(ours, options)
    assert [t for t, _ in got] == [t for t, _ in expected]
    for (tag, a), (_, b) in zip(expected, got, strict=True):
        if isinstance(a, Exception):
            _assert_raises_too(a, b if isinstance(b, Exception) else None, f"{tag:08X}")
        else:
            assert not isinstance(b, Exception), (f"{tag:08X}", b)
            assert _same(b, a), f"{tag:08X}"


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_element_from_json_equals_pydicom(path):
    """DataElement.from_json (a classmethod, as in pydicom) on every top-level attribute
    of pydicom's JSON model of the file."""
    both = _read_both(path)
    if both is None:
        pytest.skip("pydicom cannot read it")
    model, exc = _call(both[0].to_json_dict)
    if exc is not None:
        pytest.skip("pydicom cannot write it")
    for key, attr in model.items():
        vr = attr["vr"]
        value_key = next((k for k in ("Value", "BulkDataURI", "InlineBinary") if k in attr), None)
        value = attr[value_key] if value_key else None
        expected, exc_theirs = _call(
            pydicom.DataElement.from_json, pydicom.Dataset, key, vr, value, value_key
        )
        got, exc_ours = _call(dcmfast.DataElement.from_json, dcmfast.Dataset, key, vr, value, value_key)
        if exc_theirs is not None:
            _assert_raises_too(exc_theirs, exc_ours, key)
            continue
        assert exc_ours is None, (key, exc_ours)
        assert isinstance(got, dcmfast.DataElement)
        assert (got.tag, got.VR) == (expected.tag, expected.VR), key
        if vr == "SQ":
            assert len(got.value) == len(expected.value), key
            for a, b in zip(got.value, expected.value, strict=True):
                assert_datasets_equal(a, b, key)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert got.value == expected.value, key


def test_element_to_json_with_dump_handler():
    ds = dcmfast.dcmread(pydicom.data.get_testdata_file("CT_small.dcm"))
    theirs = pydicom.dcmread(pydicom.data.get_testdata_file("CT_small.dcm"))
    for kw in ("PatientName", "ImagePositionPatient", "Rows", "PixelData"):
        assert ds[kw].to_json() == theirs[kw].to_json()
        assert ds[kw].to_json(dump_handler=repr) == theirs[kw].to_json(dump_handler=repr)


_CHECK_VRS = ["LO", "SH", "LT", "ST", "CS", "UI", "PN", "UT", "UC", "US", "SS", "UL", "SL", "SV", "UV",
              "IS", "DS", "FL", "FD", "DA", "AE", "TM"]
_EDGE_VALUES = ["", "0", "00", "1.2", "1..2", ".1", "1.", "01.2", "1.02", "1.2.840.10008.1.2.1", "A" * 16,
                "A" * 17, "a", "A_B 1", "A\n", "A" * 64, "A" * 65, "=" * 2, "=" * 3, "a=b=c", "é", "A\\B",
                0, -1, 65535, 65536, -32768, -32769, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**32 - 1,
                2**32, 2**63, 2**64 - 1, 2**64, 1.5, -0.0, 1e300, float("nan"), float("inf"), True]


def _pydicom_accepts(vr, value, mode):
    """pydicom's DataElement made with `value` under validation `mode`: no warning nor error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            pydicom.DataElement(0x00100020, vr, value, validation_mode=mode)
        except Exception:  # noqa: BLE001 - any warning or error: not accepted
            return False
    return True


def _assert_skip_is_safe(vr, value):
    from dcmfast._core.element import _assigned_value_surely_valid

    for mode in (1, 2):  # WARN, RAISE
        if _assigned_value_surely_valid(vr, value, mode):
            assert _pydicom_accepts(vr, value, mode), (vr, value, mode)


@pytest.mark.parametrize("vr", _CHECK_VRS)
def test_checks_skipped_only_where_pydicom_accepts_edge_values(vr):
    """dcmfast skips pydicom's checks of an assigned value only where they pass."""
    for value in _EDGE_VALUES:
        _assert_skip_is_safe(vr, value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    vr=st.sampled_from(_CHECK_VRS),
    value=st.one_of(
        st.text(alphabet="AZaz09._ =^\\\n-é", max_size=70),
        st.integers(min_value=-(2**65), max_value=2**65),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
)
def test_checks_skipped_only_where_pydicom_accepts(vr, value):
    _assert_skip_is_safe(vr, value)


def test_checks_are_skipped_for_common_values():
    """(the fast path is taken: a test of the predicate, not of speed)"""
    from dcmfast._core.element import _assigned_value_surely_valid as ok

    assert ok("UI", "1.2.840.10008.1.2.1", 1) and ok("CS", "ORIGINAL", 1) and ok("US", 512, 1)
    assert ok("DS", 0.5, 1) and not ok("DS", 0.5, 2) and not ok("UI", "1.02", 1)


def test_from_json_elements_keep_the_validation_mode_as_pydicoms():
    """pydicom's DataElement keeps the reading validation mode it was made under: a later
    assignment is checked with it (from_json asks for the mode once per call)."""
    text = pydicom.dcmread(pydicom.data.get_testdata_file("rtplan.dcm")).to_json()
    from pydicom import config

    old = config.settings.reading_validation_mode
    try:
        config.settings.reading_validation_mode = config.RAISE
        theirs = pydicom.Dataset.from_json(text)
        ours = dcmfast.Dataset.from_json(text)
    finally:
        config.settings.reading_validation_mode = old
    for tag in ("PatientID", "RTPlanLabel"):
        assert ours[tag].validation_mode == theirs[tag].validation_mode == config.RAISE
    item_tag = "BeamSequence"
    assert ours[item_tag].value[0]["BeamName"].validation_mode == config.RAISE
    with pytest.raises(ValueError):
        theirs["PatientID"].value = "x" * 65
    with pytest.raises(ValueError):
        ours["PatientID"].value = "x" * 65


def test_from_json_leaves_the_cyclic_gc_as_it_found_it():
    import gc

    text = pydicom.dcmread(pydicom.data.get_testdata_file("rtplan.dcm")).to_json()
    assert gc.isenabled()
    dcmfast.Dataset.from_json(text)
    assert gc.isenabled()
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the error, the GC is back
        dcmfast.Dataset.from_json('{"00100010": {"vr": "PN", "Value": [{"Alphabetic": 1}]}, "0": 5}')
    assert gc.isenabled()
    gc.disable()
    try:
        dcmfast.Dataset.from_json(text)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("keyword, bad", [("ImageType", "lower case"), ("ImagePositionPatient", "x"),
                                          ("PixelSpacing", "1" * 20)])
def test_from_json_multi_values_check_what_is_added_as_pydicom(keyword, bad):
    """The MultiValues from_json makes convert and check a value added later (with the
    element's validation mode), as pydicom's do."""
    from pydicom import config

    text = pydicom.dcmread(pydicom.data.get_testdata_file("CT_small.dcm")).to_json()
    old = config.settings.reading_validation_mode
    try:
        config.settings.reading_validation_mode = config.RAISE
        theirs = pydicom.Dataset.from_json(text)
        ours = dcmfast.Dataset.from_json(text)
    finally:
        config.settings.reading_validation_mode = old
    assert list(ours[keyword].value) == list(theirs[keyword].value)
    _, exc_theirs = _call(theirs[keyword].value.append, bad)
    _, exc_ours = _call(ours[keyword].value.append, bad)
    assert exc_theirs is not None
    _assert_raises_too(exc_theirs, exc_ours, keyword)
    theirs[keyword].value.append(theirs[keyword].value[0])
    ours[keyword].value.append(ours[keyword].value[0])
    assert list(ours[keyword].value) == list(theirs[keyword].value)
    assert type(ours[keyword].value[-1]).__name__ == type(theirs[keyword].value[-1]).__name__


def _inline_binary(module, text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            elem = module.DataElement.from_json(module.Dataset, "00091010", "OB", [text], "InlineBinary")
            return elem.value
        except Exception as exc:  # noqa: BLE001 - compared below
            return type(exc).__name__


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.binary(max_size=80).map(lambda b: __import__("base64").b64encode(b).decode()),
    st.text(alphabet="ABCQRxyz019+/= \n", max_size=24),
))
def test_inline_binary_decoded_as_pydicom(text):
    """InlineBinary: canonical base64 is decoded in C, anything else as pydicom does it."""
    assert _inline_binary(dcmfast, text) == _inline_binary(pydicom, text)
