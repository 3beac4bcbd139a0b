"""The pydicom-compatible Dataset / DataElement / Sequence / Tag behaviours, side by side with pydicom."""
from __future__ import annotations

import copy
import io
import pickle
import subprocess
import sys
import warnings

import pydicom
import pytest
from builders import encode, rich_dataset
from compare import assert_datasets_equal

import dcmfast
from dcmfast import BaseTag, Tag


@pytest.fixture(scope="module")
def data() -> bytes:
    return encode(rich_dataset(), "explicit_le")


@pytest.fixture
def pair(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmfast.dcmread(data), pydicom.dcmread(io.BytesIO(data))


def test_compiled_backend_is_used():
    assert dcmfast.BACKEND == "cython"
    from dcmfast._core import element, parse, values

    for module in (parse, values, element):
        assert module.__file__.endswith((".so", ".pyd")), module.__file__


def test_import_does_not_import_pydicom_or_numpy():
    code = "import sys, dcmfast; print('pydicom' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_keyword_attributes(pair):
    ours, theirs = pair
    assert ours.PatientName == theirs.PatientName
    assert str(ours.PatientName) == str(theirs.PatientName)
    assert ours.PatientName.family_name == theirs.PatientName.family_name
    assert ours.PatientName.given_name == theirs.PatientName.given_name
    assert ours.PatientName.components == theirs.PatientName.components
    assert ours.PatientName == "Müller^Jürgen=Mueller^Juergen"
    assert hasattr(ours, "PatientID") and not hasattr(ours, "PatientBirthDate")
    assert getattr(ours, "PatientBirthDate", "x") == getattr(theirs, "PatientBirthDate", "x") == "x"
    with pytest.raises(AttributeError):
        ours.PatientBirthDate  # noqa: B018
    with pytest.raises(AttributeError):
        ours.NotAKeyword  # noqa: B018


def test_value_types(pair):
    ours, theirs = pair
    assert isinstance(ours.PatientWeight, float) and ours.PatientWeight == 72.5
    assert str(ours.PatientWeight) == str(theirs.PatientWeight) == "72.5"
    assert repr(ours.PatientWeight) == repr(theirs.PatientWeight)
    assert isinstance(ours.InstanceNumber, int) and ours.InstanceNumber == 7
    assert repr(ours.InstanceNumber) == repr(theirs.InstanceNumber)
    assert ours.ImagePositionPatient == [-125.0, -125.5, 100.0] == theirs.ImagePositionPatient
    assert str(ours.ImagePositionPatient) == str(theirs.ImagePositionPatient)
    assert ours.SOPClassUID.name == theirs.SOPClassUID.name
    assert ours.SOPClassUID.is_valid and not ours.SOPClassUID.is_private
    ts = ours.file_meta.TransferSyntaxUID
    assert ts.is_transfer_syntax and not ts.is_compressed and ts.is_little_endian
    assert not ts.is_implicit_VR and ts.keyword == theirs.file_meta.TransferSyntaxUID.keyword
    assert ours.ImageType == ["ORIGINAL", "PRIMARY", "AXIAL"]
    assert ours.StudyDate == "20240102" and isinstance(ours.StudyDate, str)
    assert ours.Rows == 4 and type(ours.Rows) is int


def test_item_access_forms_give_the_same_element(pair):
    ours, _ = pair
    elem = ours["PatientName"]
    assert ours[0x00100010] is elem
    assert ours[(0x0010, 0x0010)] is elem
    assert ours[Tag(0x00100010)] is elem
    assert ours[BaseTag(0x00100010)] is elem
    assert ours.data_element("PatientName") is elem
    with pytest.raises(KeyError):
        ours[0x00100030]


def test_get_asymmetry(pair):
    ours, theirs = pair
    assert ours.get("PatientID") == theirs.get("PatientID") == "ID 123"
    assert isinstance(ours.get(0x00100020), dcmfast.DataElement)
    assert ours.get(0x00100020).value == theirs.get(0x00100020).value
    assert ours.get("PatientBirthDate", 1) == 1 and ours.get(0x00100030) is None
    # keys Tag() takes as pydicom does (a float is truncated), and one it refuses
    assert ours.get(3.5) is theirs.get(3.5) is None
    assert ours.get(float(0x00100020)).value == theirs.get(float(0x00100020)).value
    with pytest.raises(TypeError):
        theirs.get(object())
    with pytest.raises(TypeError):
        ours.get(object())


def test_contains(pair):
    ours, theirs = pair
    for key in ("PatientName", 0x00100010, (0x10, 0x10), "PatientBirthDate", 0x00100030):
        assert (key in ours) == (key in theirs)
    with pytest.warns(UserWarning, match="Invalid value"):
        assert "not a keyword" not in ours
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ("not a keyword" in theirs) is False


def test_orders_lengths_and_names(pair):
    ours, theirs = pair
    assert [int(e.tag) for e in ours] == [int(e.tag) for e in theirs]
    assert [int(t) for t in ours.keys()] == [int(t) for t in theirs.keys()]
    assert [e.tag for e in ours.values()] == [e.tag for e in theirs.values()]
    assert [(int(t), e.VR) for t, e in ours.items()] == [(int(t), e.VR) for t, e in theirs.items()]
    assert len(ours) == len(theirs)
    assert ours.dir() == theirs.dir()
    assert ours.dir("patient") == theirs.dir("patient")
    assert set(theirs.dir()) <= set(dir(ours))
    assert [e.tag for e in ours.iterall()] == [e.tag for e in theirs.iterall()]
    assert [e.tag for e in ours.elements()] == [e.tag for e in theirs.elements()]
    assert [e.tag for e in reversed(ours)] == [e.tag for e in reversed(list(theirs))]


def test_walk(pair):
    ours, theirs = pair
    seen_ours, seen_theirs = [], []
    ours.walk(lambda ds, e: seen_ours.append(int(e.tag)))
    theirs.walk(lambda ds, e: seen_theirs.append(int(e.tag)))
    assert seen_ours == seen_theirs


def test_slices_and_groups(pair):
    ours, theirs = pair
    for a, b in [(ours[0x00080000:0x00100000], theirs[0x00080000:0x00100000]),
                 (ours[:0x00100020], theirs[:0x00100020]),
                 (ours[0x00280000:], theirs[0x00280000:]),
                 (ours.group_dataset(0x0028), theirs.group_dataset(0x0028))]:
        assert [int(t) for t in a.keys()] == [int(t) for t in b.keys()]
        assert_datasets_equal(a, b, "slice")


def test_private_blocks(pair):
    ours, theirs = pair
    assert ours.private_creators(0x0009) == theirs.private_creators(0x0009) == ["DCMFAST TEST"]
    block = ours.private_block(0x0009, "DCMFAST TEST")
    assert block.get_tag(0x01) == theirs.private_block(0x0009, "DCMFAST TEST").get_tag(0x01)
    assert block[0x01].value == "private text" and 0x02 in block
    assert ours.get_private_item(0x0009, 0x02, "DCMFAST TEST").value == 7
    with pytest.raises(KeyError):
        ours.private_block(0x0009, "NOT THERE")
    new_block = ours.private_block(0x0011, "NEW", create=True)
    new_block.add_new(0x01, "SH", "x")
    assert ours[0x00111001].value == "x" and ours[0x00110010].value == "NEW"
    ours.remove_private_tags()
    theirs.remove_private_tags()
    assert [int(t) for t in ours.keys()] == [int(t) for t in theirs.keys()]


def test_file_attributes(data, tmp_path):
    path = tmp_path / "x.dcm"
    path.write_bytes(data)
    ours, theirs = dcmfast.dcmread(path), pydicom.dcmread(path)
    assert isinstance(ours, dcmfast.FileDataset) and isinstance(ours.file_meta, dcmfast.FileMetaDataset)
    assert ours.preamble == theirs.preamble
    assert ours.filename == theirs.filename
    assert ours.is_little_endian == theirs.is_little_endian
    assert ours.is_implicit_VR == theirs.is_implicit_VR
    assert ours.original_encoding == theirs.original_encoding
    assert ours.original_character_set == theirs.original_character_set
    assert_datasets_equal(ours.file_meta, theirs.file_meta, "meta")
    with ours as ctx:
        assert ctx is ours


def test_str_top_and_repr(pair):
    ours, theirs = pair
    assert str(ours) == str(theirs)
    assert ours.top() == theirs.top()
    elem = ours["PatientName"]
    assert str(elem) == str(theirs["PatientName"]) and repr(elem) == repr(theirs["PatientName"])
    assert repr(ours.OtherPatientIDsSequence) == repr(theirs.OtherPatientIDsSequence)


def test_element_attributes(pair):
    ours, theirs = pair
    for tag in (0x00100010, 0x00080008, 0x00091001, 0x00091003, 0x7FE00010, 0x00181060):
        a, b = ours[tag], theirs[tag]
        for attr in ("VR", "VM", "keyword", "name", "is_private", "is_retired", "is_empty",
                     "is_undefined_length", "file_tell", "private_creator", "repval"):
            assert getattr(a, attr) == getattr(b, attr), (tag, attr)
    assert ours[0x00100010].tag.group == 0x0010 and ours[0x00100010].tag.element == 0x0010
    assert str(ours[0x00100010].tag) == "(0010,0010)"


def test_sequences(pair):
    ours, theirs = pair
    seq = ours.OtherPatientIDsSequence
    assert isinstance(seq, dcmfast.Sequence) and len(seq) == 2
    assert seq[0].PatientID == "A" and seq[1].IssuerOfPatientID == "X"
    assert ours.ProcedureCodeSequence[0].ConceptNameCodeSequence[0].CodeMeaning == "Inner"
    assert [d.PatientID for d in seq] == [d.PatientID for d in theirs.OtherPatientIDsSequence]
    assert ours[0x00283010].value == [] and len(ours[0x00283010].value) == 0


def test_changes(pair):
    ours, theirs = pair
    for ds in (ours, theirs):
        ds.PatientName = "New^Name"
        ds.PatientBirthDate = "19700101"
        ds.add_new(0x00100040, "CS", "O")
        ds.add_new(0x00111010, "LO", "priv")
        del ds.StudyTime
        del ds[0x00080060]
        ds.ReferencedFrameNumber = [4, 5]
        ds.OtherPatientIDsSequence[0].PatientID = "changed"
        ds.ImageType.append("EXTRA")
    assert_datasets_equal(ours, theirs, "changed")
    assert str(ours) == str(theirs)
    with pytest.raises(AttributeError):
        del ours.StudyTime
    assert ours.setdefault(0x00100030, "20000101").value == "19700101"
    assert ours.setdefault(0x00101010, "042Y").value == "042Y"
    assert ours.pop(0x00101010).value == "042Y" and "PatientAge" not in ours
    with pytest.raises(TypeError):
        ours[0x00100010] = "not an element"
    with pytest.raises(ValueError):
        ours[0x00100020] = dcmfast.DataElement(0x00100010, "PN", "x")


def test_copy_deepcopy_pickle(pair):
    ours, theirs = pair
    for clone in (copy.copy(ours), copy.deepcopy(ours), pickle.loads(pickle.dumps(ours)), ours.copy()):
        assert str(clone) == str(theirs)
        assert clone == ours
    deep = copy.deepcopy(ours)
    deep.OtherPatientIDsSequence[0].PatientID = "other"
    assert ours.OtherPatientIDsSequence[0].PatientID == "A"
    shallow = copy.copy(ours)
    del shallow.PatientID
    assert "PatientID" in ours


def test_to_pydicom(data, tmp_path):
    path = tmp_path / "x.dcm"
    path.write_bytes(data)
    converted = dcmfast.dcmread(path).to_pydicom()
    theirs = pydicom.dcmread(path)
    assert type(converted) is pydicom.FileDataset
    assert converted == theirs
    assert converted.file_meta == theirs.file_meta
    assert str(converted) == str(theirs)


def test_tag_function():
    assert Tag(0x00100010) == Tag((0x10, 0x10)) == Tag("PatientName") == Tag(0x10, 0x10) == Tag("00100010")
    assert Tag(("0010", "0010")) == 0x00100010
    assert Tag(0x00100010) == (0x10, 0x10)
    assert Tag(0x00090010).is_private and Tag(0x00090010).is_private_creator
    assert Tag(0x00091001).private_creator == 0x00090010
    with pytest.raises(ValueError):
        Tag("NotAKeyword")
    with pytest.raises(OverflowError):
        Tag(0x1FFFFFFFF)
    assert pydicom.tag.Tag(0x00100010) == Tag(0x00100010)


def test_user_built_dataset():
    ds = dcmfast.Dataset()
    ds.PatientName = "A^B"
    ds.Rows = 5
    ds.add_new(0x00280030, "DS", ["0.5", "0.5"])
    seq_item = dcmfast.Dataset()
    seq_item.PatientID = "x"
    ds.OtherPatientIDsSequence = [seq_item]
    assert ds.PatientName.family_name == "A" and ds.Rows == 5
    assert ds.PixelSpacing == [0.5, 0.5] and str(ds.PixelSpacing[0]) == "0.5"
    assert ds.OtherPatientIDsSequence[0].PatientID == "x"
    assert [int(e.tag) for e in ds] == sorted(int(t) for t in ds.keys())
    with pytest.warns(UserWarning, match="Camel case"):
        ds.NotAKeywordButCamel = 1
