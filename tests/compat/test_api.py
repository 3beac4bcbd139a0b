"""The pydicom API dcmfast lacked (issue 15), each against pydicom on the same file:
pixel_array_options, convert_pixel_data, overlay_array, waveform_array, hasattr
pixel_array, dcmfast.uid, dcmfast.examples, dcmfast.config's validation modes and the
warnings of assignments."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pydicom
import pydicom.config
import pydicom.examples
import pydicom.uid
import pytest
from pydicom.data import get_testdata_file

import dcmfast
import dcmfast.config
import dcmfast.examples
import dcmfast.uid


def _pair(name):
    path = get_testdata_file(name)
    return dcmfast.dcmread(path), pydicom.dcmread(path)


def test_pixel_array_options_as_pydicoms():
    ours, theirs = _pair("SC_rgb_rle_2frame.dcm")
    assert ours.pixel_array.shape == theirs.pixel_array.shape == (2, 100, 100, 3)
    assert ours.pixel_array_options(index=1) is None
    assert theirs.pixel_array_options(index=1) is None
    assert np.array_equal(ours.pixel_array, theirs.pixel_array)
    assert ours.pixel_array.shape == (100, 100, 3)
    ours.pixel_array_options(index=0, raw=True)
    theirs.pixel_array_options(index=0, raw=True)
    assert np.array_equal(ours.pixel_array, theirs.pixel_array)
    ours.pixel_array_options()
    theirs.pixel_array_options()
    assert np.array_equal(ours.pixel_array, theirs.pixel_array)
    with pytest.raises(TypeError, match="use_v2_backend"):
        ours.pixel_array_options(use_v2_backend=True)


def test_convert_pixel_data():
    ours, theirs = _pair("CT_small.dcm")
    assert ours.convert_pixel_data() is None
    theirs.convert_pixel_data()
    assert np.array_equal(ours._pixel_array, theirs._pixel_array)


@pytest.mark.parametrize("name", ["rtplan.dcm", "rtdose.dcm"])
def test_hasattr_pixel_array_as_pydicom(name):
    ours, theirs = _pair(name)
    assert hasattr(ours, "pixel_array") == hasattr(theirs, "pixel_array")


def test_no_pixel_data_raises_pydicoms_attribute_error():
    ours, theirs = _pair("rtplan.dcm")
    with pytest.raises(AttributeError) as expected:
        theirs.pixel_array  # noqa: B018
    with pytest.raises(AttributeError) as got:
        ours.pixel_array  # noqa: B018
    assert str(got.value) == str(expected.value)
    assert isinstance(got.value, dcmfast.errors.PixelDataError)


def test_overlay_array():
    ours, theirs = _pair("MR-SIEMENS-DICOM-WithOverlays.dcm")
    got, expected = ours.overlay_array(0x6000), theirs.overlay_array(0x6000)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_waveform_array():
    ours, theirs = _pair("waveform_ecg.dcm")
    for index in range(len(theirs.WaveformSequence)):
        got, expected = ours.waveform_array(index), theirs.waveform_array(index)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_uid_module():
    for name in ("AllTransferSyntaxes", "JPEGTransferSyntaxes", "JPEGLSTransferSyntaxes",
                 "JPEG2000TransferSyntaxes", "MPEGTransferSyntaxes", "RLETransferSyntaxes",
                 "UncompressedTransferSyntaxes"):
        assert getattr(dcmfast.uid, name) == getattr(pydicom.uid, name), name
    for name in ("ExplicitVRLittleEndian", "RLELossless", "CTImageStorage", "JPEG2000Lossless"):
        ours = getattr(dcmfast.uid, name)
        assert ours == getattr(pydicom.uid, name) and isinstance(ours, dcmfast.UID)
        assert ours.name == getattr(pydicom.uid, name).name
    srcs = ["lorem", "ipsum"]
    assert dcmfast.uid.generate_uid(entropy_srcs=srcs) == pydicom.uid.generate_uid(entropy_srcs=srcs)
    prefix = "1.2.3."
    assert dcmfast.uid.generate_uid(prefix, srcs) == pydicom.uid.generate_uid(prefix, srcs)
    assert dcmfast.uid.generate_uid(None).startswith("2.25.")
    assert dcmfast.uid.generate_uid().is_valid
    for bad in ("1.2.3", "1" * 60 + "."):
        with pytest.raises(ValueError) as theirs:
            pydicom.uid.generate_uid(bad)
        with pytest.raises(ValueError, match=str(theirs.value).split(",")[0]):
            dcmfast.uid.generate_uid(bad)
    with pytest.raises(AttributeError):
        dcmfast.uid.NotAUIDKeyword  # noqa: B018


@pytest.mark.parametrize("name", sorted(pydicom.examples._DATASETS))
def test_examples(name):
    ours = getattr(dcmfast.examples, name)
    assert isinstance(ours, dcmfast.Dataset)
    assert ours == getattr(pydicom.examples, name)
    assert getattr(dcmfast.examples, name) is not ours  # a fresh dataset each time
    assert dcmfast.examples.get_path(name) == pydicom.examples.get_path(name)


# ------------------------------------------------------------------ validation modes

@pytest.fixture
def restore_modes():
    saved = (pydicom.config.settings.reading_validation_mode, pydicom.config.settings.writing_validation_mode)
    yield
    pydicom.config.settings.reading_validation_mode, pydicom.config.settings.writing_validation_mode = saved


def test_config_is_pydicoms_once_imported(restore_modes):
    dcmfast.config.settings.reading_validation_mode = dcmfast.config.RAISE
    assert pydicom.config.settings.reading_validation_mode == pydicom.config.RAISE
    pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
    assert dcmfast.config.settings.reading_validation_mode == dcmfast.config.IGNORE
    dcmfast.config.settings.writing_validation_mode = dcmfast.config.RAISE
    assert pydicom.config.settings.writing_validation_mode == pydicom.config.RAISE
    assert (dcmfast.config.IGNORE, dcmfast.config.WARN, dcmfast.config.RAISE) == (
        pydicom.config.IGNORE, pydicom.config.WARN, pydicom.config.RAISE)
    with pytest.raises(ValueError):
        dcmfast.config.settings.reading_validation_mode = 7


def _invalid_is_file():
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3"
    ds.add_new(0x00200013, "IS", "1")
    ds.add_new(0x00100020, "LO", "x" * 70)
    ds.add_new(0x00100010, "PN", "a" * 70)
    ds.add_new(0x00080018, "UI", "1.02.3")
    from io import BytesIO

    out = BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(out, implicit_vr=False, little_endian=True, enforce_file_format=True)
    data = out.getvalue()
    assert data.count(b"IS\x02\x001 ") == 1
    return data.replace(b"IS\x02\x001 ", b"IS\x02\x001A")


def _read_all(module, data):
    ds = module.dcmread(data if module is dcmfast else pydicom.filebase.DicomBytesIO(data))
    return [(e.tag, e.value) for e in ds]


@pytest.mark.parametrize("mode", ["IGNORE", "WARN", "RAISE"])
def test_reading_validation_mode_as_pydicom(mode, restore_modes):
    data = _invalid_is_file()
    pydicom.config.settings.reading_validation_mode = getattr(pydicom.config, mode)
    outcomes = []
    for module in (pydicom, dcmfast):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                _read_all(module, data)
                error = None
            except ValueError as exc:
                error = str(exc)
        outcomes.append((sorted(str(w.message) for w in caught), error))
    assert outcomes[1] == outcomes[0]
    if mode == "RAISE":
        assert outcomes[0][1] is not None
    elif mode == "WARN":
        assert outcomes[0][0]
    else:
        assert outcomes[0] == ([], None)


_ASSIGNMENTS = [
    ("Rows", "abc"), ("Rows", 70000), ("PatientID", "x" * 70), ("SOPInstanceUID", "1.02.3"),
    ("PatientName", "a" * 70), ("Modality", "ct!"), ("InstanceNumber", "1.5"), ("SliceThickness", "1.2.3"),
    ("StudyDate", "2020-01-01"), ("Rows", 512), ("PatientName", "Doe^Jane"),
]


@pytest.mark.parametrize("mode", ["WARN", "RAISE", "IGNORE"])
@pytest.mark.parametrize(("keyword", "value"), _ASSIGNMENTS)
def test_assignment_warnings_as_pydicoms(keyword, value, mode, restore_modes):
    pydicom.config.settings.reading_validation_mode = getattr(pydicom.config, mode)
    outcomes = []
    for module in (pydicom, dcmfast):
        ds = module.Dataset()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                setattr(ds, keyword, value)
                error = None
            except Exception as exc:
                error = (type(exc).__name__, str(exc))
        outcomes.append(([str(w.message) for w in caught], error))
    assert outcomes[1] == outcomes[0]


# ------------------------------------------------------------ documented differences

def test_big_endian_pixel_array_is_in_native_byte_order():
    # docs/pydicom-differences.md: same values, dcmfast's dtype is the native byte order
    from corpus import CORPUS

    path = next(p for p in CORPUS if p.name == "MR_small_bigendian.dcm")
    ours, theirs = dcmfast.dcmread(path), pydicom.dcmread(path)
    assert np.array_equal(ours.pixel_array, theirs.pixel_array)
    assert theirs.pixel_array.dtype.byteorder == ">"
    assert ours.pixel_array.dtype.isnative and ours.pixel_array.dtype.byteorder != ">"


def test_pixel_array_cache_is_dropped_by_pixel_data_changes_only():
    # docs/pydicom-differences.md: pydicom also re-decodes after Rows, Columns, ... change
    ours, theirs = _pair("CT_small.dcm")
    first_ours, first_theirs = ours.pixel_array, theirs.pixel_array
    ours.Rows, theirs.Rows = 64, 64
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert theirs.pixel_array is not first_theirs  # re-decoded with 64 rows
    assert ours.pixel_array is first_ours
    ours.PixelData = ours.PixelData
    assert ours.pixel_array is not first_ours


def test_native_pixel_array_is_read_only_and_never_changes_the_dataset():
    # docs/pydicom-differences.md: pydicom's array is a writable copy
    data = bytearray(open(get_testdata_file("CT_small.dcm"), "rb").read())
    before = bytes(data)
    ds = dcmfast.dcmread(data)
    arr = ds.pixel_array
    assert not arr.flags.writeable
    with pytest.raises(ValueError):
        arr[0, 0] = 7
    edited = arr.copy()
    edited[0, 0] = 7
    assert bytes(data) == before
    assert ds.PixelData == pydicom.dcmread(get_testdata_file("CT_small.dcm")).PixelData
    assert pydicom.dcmread(get_testdata_file("CT_small.dcm")).pixel_array.flags.writeable


def _write_unencodable(module):
    ds = module.Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = "Wang^\u738b"
    ds.StudyDescription = "\u738b"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if module is pydicom:
                out = io.BytesIO()
                pydicom.dcmwrite(out, ds, implicit_vr=True, little_endian=True)
                result = out.getvalue()
            else:
                result = dcmfast.dcmwrite_bytes(ds, implicit_vr=True, little_endian=True)
        except Exception as exc:
            result = exc
    return result, [str(w.message) for w in caught]


def test_writing_validation_mode_as_pydicom(restore_modes):
    # text the dataset's character set cannot encode: WARN replaces it (pydicom's bytes
    # and warnings); RAISE raises (pydicom: a TypeError from re-raising the
    # UnicodeEncodeError with its tag; dcmfast: the UnicodeEncodeError itself)
    dcmfast.config.settings.writing_validation_mode = dcmfast.config.WARN
    assert _write_unencodable(dcmfast) == _write_unencodable(pydicom)
    assert b"Wang^?" in _write_unencodable(dcmfast)[0]
    dcmfast.config.settings.writing_validation_mode = dcmfast.config.RAISE
    assert isinstance(_write_unencodable(pydicom)[0], TypeError)
    assert isinstance(_write_unencodable(dcmfast)[0], UnicodeEncodeError)


def test_submodules_on_first_use():
    import subprocess
    import sys

    code = ("import sys, dcmfast; print(dcmfast.uid.CTImageStorage,"
            " dcmfast.config.settings.reading_validation_mode, 'pydicom' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1.2.840.10008.5.1.4.1.1.2", "1", "False"]
