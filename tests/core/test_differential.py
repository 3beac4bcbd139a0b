"""Differential tests: every element of every corpus file equals what pydicom reads."""
from __future__ import annotations

import warnings

import pydicom
import pytest
from compare import assert_datasets_equal
from corpus import CORPUS, file_id

import dcmfast
from dcmfast.errors import DcmfastError

assert CORPUS, "no corpus files found: install pydicom and pydicom-data"


_EOF_WARNING = "End of file reached before delimiter"


def _read_pydicom(path, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(path, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any pydicom failure is the oracle's answer
            return None, exc
    if any(str(w.message).startswith(_EOF_WARNING) for w in caught) and not kwargs.get(
        "stop_before_pixels"
    ):
        # pydicom drops the whole dataset when the data ends inside an undefined
        # length value; dcmfast keeps the elements before it (and warns the same).
        # Those are exactly what pydicom reads when it stops before the pixel data.
        with pytest.warns(UserWarning, match=_EOF_WARNING):
            dcmfast.dcmread(path, **kwargs)
        return _read_pydicom(path, stop_before_pixels=True, **kwargs)
    return ds, None


def _read_dcmfast(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmfast.dcmread(path, **kwargs)


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
@pytest.mark.parametrize("force", [False, True], ids=["strict", "force"])
def test_every_element_equals_pydicom(path, force):
    theirs, error = _read_pydicom(path, force=force)
    if error is not None:
        with pytest.raises(DcmfastError):
            _read_dcmfast(path, force=force)
        return
    ours = _read_dcmfast(path, force=force)
    assert ours.preamble == theirs.preamble
    assert ours.original_encoding == theirs.original_encoding
    assert_datasets_equal(ours.file_meta, theirs.file_meta, "file_meta")
    assert_datasets_equal(ours, theirs, "dataset")


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_dump_equals_pydicom(path):
    theirs, error = _read_pydicom(path, force=True)
    if error is not None:
        pytest.skip(f"pydicom cannot read it: {error!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = str(theirs)
        except Exception:  # noqa: BLE001
            with pytest.raises(Exception):  # noqa: B017 (pydicom raised: so must dcmfast)
                str(_read_dcmfast(path, force=True))
            return
        assert str(_read_dcmfast(path, force=True)) == expected


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_stop_before_pixels_equals_pydicom(path):
    theirs, error = _read_pydicom(path, force=True, stop_before_pixels=True)
    if error is not None:
        with pytest.raises(DcmfastError):
            _read_dcmfast(path, force=True, stop_before_pixels=True)
        return
    ours = _read_dcmfast(path, force=True, stop_before_pixels=True)
    assert_datasets_equal(ours, theirs, "dataset")


def _warnings_of(read, path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = read(path, force=True)
            for elem in ds.iterall():
                try:
                    elem.value  # noqa: B018
                except Exception:  # noqa: BLE001 - the value's error is compared elsewhere
                    pass
        except Exception as exc:  # noqa: BLE001
            return None, exc
    return sorted(str(w.message).split(" in file ")[0] for w in caught), None


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_warnings_equal_pydicom(path):
    """Where pydicom reads leniently and warns, dcmfast warns the same."""
    theirs, error = _warnings_of(pydicom.dcmread, path)
    if error is not None:
        pytest.skip(f"pydicom cannot read it: {error!r}")
    ours, _ = _warnings_of(dcmfast.dcmread, path)
    # dcmfast's own wording for the data ending inside a value (it keeps the elements before it)
    ours = [w.split(":")[0] if w.startswith(_EOF_WARNING) else w for w in ours]
    theirs = [w.split(":")[0].split(" found")[0] + " found" if w.startswith(_EOF_WARNING) else w
              for w in theirs]
    ours = [w.split(" found")[0] + " found" if w.startswith(_EOF_WARNING) else w for w in ours]
    assert ours == theirs
