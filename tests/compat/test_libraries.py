"""Libraries built on pydicom, given dcmfast's datasets, give what they give on pydicom's:
dicom-numpy's combine_slices and deid's get_identifiers / replace_identifiers."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

import dcmfast


def _series() -> list[bytes]:
    out = []
    for i in range(4):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.ImagePositionPatient = [-158.1, -179.0, -75.7 + 2.5 * i]
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.8.498.{i + 1}"
        ds.InstanceNumber = i + 1
        buf = io.BytesIO()
        ds.save_as(buf)
        out.append(buf.getvalue())
    return out


def test_dicom_numpy_combine_slices():
    dicom_numpy = pytest.importorskip("dicom_numpy")
    blobs = _series()
    theirs, their_affine = dicom_numpy.combine_slices([pydicom.dcmread(io.BytesIO(b)) for b in blobs])
    ours, our_affine = dicom_numpy.combine_slices([dcmfast.dcmread(io.BytesIO(b)) for b in blobs])
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(our_affine, their_affine)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm"])
def test_deid_identifiers_and_replacement(name):
    # (the PyPI package: tests/deid is a namespace package of the same name on sys.path)
    pytest.importorskip("deid.dicom")
    from deid.dicom import get_identifiers, replace_identifiers

    path = get_testdata_file(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = next(iter(get_identifiers([pydicom.dcmread(path)]).values()))
        ours = next(iter(get_identifiers([dcmfast.dcmread(path)]).values()))
        assert {k: str(v) for k, v in ours.items()} == {k: str(v) for k, v in theirs.items()}
        replaced_theirs = replace_identifiers([pydicom.dcmread(path)], save=False)[0]
        replaced_ours = replace_identifiers([dcmfast.dcmread(path)], save=False)[0]
        assert isinstance(replaced_ours, dcmfast.Dataset)
        written = io.BytesIO()
        pydicom.dcmwrite(written, replaced_theirs)
        assert dcmfast.dcmwrite_bytes(replaced_ours) == written.getvalue()


def test_datasets_stay_unhashable_as_pydicoms():
    ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    with pytest.raises(TypeError):
        hash(pydicom.dcmread(get_testdata_file("CT_small.dcm")))
    with pytest.raises(TypeError):
        hash(ds)
