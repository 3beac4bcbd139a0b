"""With pydicom imported, dcmfast's datasets, elements, sequences and values are
instances of pydicom's classes, and pydicom's exception classes catch dcmfast's errors,
whatever the import order (issue 15)."""
from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import pydicom
import pydicom.dataelem
import pydicom.dataset
import pydicom.errors
import pydicom.multival
import pydicom.sequence
import pydicom.tag
import pydicom.uid
import pydicom.valuerep
import pytest
from pydicom.data import get_testdata_file

import dcmfast


def _values(ds):
    control_point = ds.BeamSequence[0].ControlPointSequence[0]
    return {
        pydicom.dataset.FileDataset: ds,
        pydicom.dataset.FileMetaDataset: ds.file_meta,
        pydicom.dataelem.DataElement: ds[0x00100010],
        pydicom.sequence.Sequence: ds.BeamSequence,
        pydicom.multival.MultiValue: control_point.BeamLimitingDevicePositionSequence[0].LeafJawPositions,
        pydicom.valuerep.PersonName: ds.PatientName,
        pydicom.valuerep.DSfloat: control_point.NominalBeamEnergy,
        pydicom.valuerep.IS: ds.BeamSequence[0].BeamNumber,
        pydicom.uid.UID: ds.SOPClassUID,
        pydicom.tag.BaseTag: ds[0x00100010].tag,
    }


def test_every_kind_of_object_is_an_instance_of_pydicoms_class():
    ds = dcmfast.dcmread(get_testdata_file("rtplan.dcm"))
    for cls, obj in _values(ds).items():
        assert isinstance(obj, cls), cls
        assert type(obj).__module__.startswith("dcmfast"), cls  # still dcmfast's own object
        assert isinstance(obj, type(obj))
        assert obj.__class__.__name__ == type(obj).__name__
    assert isinstance(ds.BeamSequence[0], pydicom.Dataset)
    assert not isinstance(ds.BeamSequence, pydicom.multival.MultiValue)  # as pydicom's Sequence
    assert not isinstance(ds, pydicom.dataset.FileMetaDataset)
    assert isinstance(dcmfast.Dataset(), pydicom.Dataset)
    assert not isinstance(dcmfast.Dataset(), pydicom.dataset.FileDataset)


def test_a_users_subclass_is_an_instance_of_pydicoms_class():
    class MyDataset(dcmfast.Dataset):
        pass

    ds = MyDataset()
    assert isinstance(ds, pydicom.Dataset) and isinstance(ds, MyDataset)
    assert ds.__class__.__name__ == "MyDataset"


def test_pickle_and_copy_keep_dcmfasts_classes():
    # chosen: a pickle holds dcmfast's own classes (it loads without pydicom imported)
    ds = dcmfast.dcmread(get_testdata_file("rtplan.dcm"))
    for obj in _values(ds).values():
        for clone in (pickle.loads(pickle.dumps(obj)), copy.copy(obj), copy.deepcopy(obj)):
            assert type(clone) is type(obj)
            assert clone == obj


def test_hashing_is_pydicoms():
    ds = dcmfast.dcmread(get_testdata_file("rtplan.dcm"))
    theirs = pydicom.dcmread(get_testdata_file("rtplan.dcm"))
    for (cls, ours), value in zip(_values(ds).items(), _values(theirs).values(), strict=True):
        try:
            expected = hash(value)
        except TypeError:
            with pytest.raises(TypeError):
                hash(ours)
            continue
        assert hash(ours) == expected, cls


_ORDER = """
import sys, io
{first}
try:
    dcmfast.dcmread(io.BytesIO(b"not dicom" * 30))
except Exception as exc:
    err = exc
ds = dcmfast.dcmread(sys.argv[1])
{second}
import pydicom.errors
assert isinstance(ds, pydicom.Dataset) and isinstance(ds.PatientName, pydicom.valuerep.PersonName)
assert isinstance(err, pydicom.errors.InvalidDicomError) and isinstance(err, ValueError)
try:
    raise err
except pydicom.errors.InvalidDicomError:
    pass
try:
    dcmfast.dcmread(io.BytesIO(b"not dicom" * 30))
except pydicom.errors.InvalidDicomError:
    print("ok")
"""


@pytest.mark.parametrize("pydicom_first", [True, False], ids=["pydicom-first", "dcmfast-first"])
def test_import_order_does_not_matter(pydicom_first):
    first, second = "import pydicom", "import dcmfast"
    if not pydicom_first:
        first, second = second, first
    code = _ORDER.format(first=f"{first}\n{second}" if pydicom_first else first,
                         second="" if pydicom_first else second)
    if not pydicom_first:
        code = code.replace("ds = dcmfast", "assert 'pydicom' not in sys.modules\nds = dcmfast", 1)
    out = subprocess.run([sys.executable, "-c", code, get_testdata_file("CT_small.dcm")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok"]


def test_dcmfast_errors_still_caught_as_before():
    with pytest.raises(dcmfast.DcmfastError):
        dcmfast.dcmread(b"not dicom" * 30)
    with pytest.raises(ValueError):
        dcmfast.dcmread(b"not dicom" * 30)
    assert issubclass(dcmfast.errors.BytesLengthException, pydicom.errors.BytesLengthException)
