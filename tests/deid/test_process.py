"""Deidentifier.process: a study of cross-referencing files in, a de-identified tree out.

The inputs are made with pydicom (copies of CT_small in one series, distinct SOP Instance
UIDs, and an instance whose references point at them); the outputs are read back with
pydicom, dcmfast and DCMTK's dcmdump (and checked by dciodvfy when installed).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pydicom
import pytest
from deid_study import CANARIES, CT, FRAME, SERIES, STUDY, canaries, make_study, sop_uid
from pydicom.data import get_testdata_file

import dcmfast
from dcmfast.deid import Deidentifier
from dcmfast.deid.run import JOURNAL_NAME, QUARANTINE_LOG_NAME, key_id
from dcmfast.errors import DeidentificationError

KEY = b"process-test-key-0123456789abcdef"
OTHER_KEY = b"another-key-for-process-tests-0123"


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("study") / "Patient QZCANARY-FOLDER"
    make_study(folder)
    return folder


def outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.dcm"))}


def _uids(ds, out: set[str]) -> set[str]:
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                _uids(item, out)
        elif elem.VR == "UI" and elem.value:
            values = elem.value if isinstance(elem.value, list) else [elem.value]
            out.update(str(v) for v in values if str(v) not in pydicom.uid.UID_dictionary)
    return out


def test_referential_integrity_and_readers(study, tmp_path):
    out = tmp_path / "out"
    summary = Deidentifier(key=KEY).process(study, out, workers=1, layout="uids")
    assert summary.ok and summary.written == 6 and summary.total == 6, summary
    read = {p: pydicom.dcmread(out / p) for p in outputs(out)}
    assert len(read) == 6
    by_sop = {str(ds.SOPInstanceUID): ds for ds in read.values()}
    assert len(by_sop) == 6
    ref = next(ds for ds in read.values() if "ReferencedImageSequence" in ds)
    slices = [ds for ds in read.values() if ds is not ref]
    # every reference resolves to an output file, the series reference to the slices' series
    refs = [str(item.ReferencedSOPInstanceUID) for item in ref.ReferencedImageSequence]
    refs2 = [str(item.ReferencedSOPInstanceUID)
             for item in ref.ReferencedSeriesSequence[0].ReferencedInstanceSequence]
    assert sorted(refs) == sorted(refs2) == sorted(str(ds.SOPInstanceUID) for ds in slices)
    series_ref = str(ref.ReferencedSeriesSequence[0].SeriesInstanceUID)
    assert {str(ds.SeriesInstanceUID) for ds in slices} == {series_ref}
    assert len({str(ds.StudyInstanceUID) for ds in read.values()}) == 1
    assert len({str(ds.FrameOfReferenceUID) for ds in slices}) == 1
    # nothing of the originals is left: UIDs remapped, canaries gone
    originals = {STUDY, SERIES, FRAME, SERIES + ".9"} | {sop_uid(i) for i in (0, 1, 2, 3, 4, 99)}
    for path, ds in read.items():
        assert not (_uids(ds, set()) & originals)
        assert str(ds.file_meta.MediaStorageSOPInstanceUID) == str(ds.SOPInstanceUID)
        # the uids layout: PatientID/Study/Series/SOP.dcm of the new identities
        assert path == os.path.join(str(ds.PatientID), str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID),
                                    f"{ds.SOPInstanceUID}.dcm")
        data = (out / path).read_bytes()
        for canary in CANARIES:
            assert canary.encode() not in data
        fast = dcmfast.dcmread(out / path)
        assert str(fast.SOPInstanceUID) == str(ds.SOPInstanceUID)
        assert fast.PatientIdentityRemoved == "YES"


def test_outputs_are_the_engines(study, tmp_path):
    """Each output is exactly deidentify() + dcmwrite of its input (mirror layout)."""
    out = tmp_path / "out"
    deid = Deidentifier(["retain_long_modified_dates"], key=KEY)
    assert deid.process(study, out, workers=1).ok
    for src in sorted(study.rglob("*.dcm")):
        rel = src.relative_to(study)
        expected = dcmfast.dcmwrite_bytes(Deidentifier(["retain_long_modified_dates"], key=KEY)
                                          .deidentify(dcmfast.dcmread(src)))
        assert (out / rel).read_bytes() == expected, rel


def test_same_key_same_bytes_other_key_no_shared_uids(study, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    Deidentifier(key=KEY).process(study, a, workers=1)
    Deidentifier(key=KEY).process(study, b, workers=2, pool="thread")
    Deidentifier(key=OTHER_KEY).process(study, c, workers=1)
    assert outputs(a) == outputs(b)
    assert len(outputs(a)) == 6
    ua, uc = set(), set()
    for p in outputs(a):
        _uids(pydicom.dcmread(a / p), ua)
        _uids(pydicom.dcmread(c / p), uc)
    assert ua and uc and not (ua & uc)


def test_workers_and_pools_give_the_same_outputs_and_logs(study, tmp_path):
    runs = {}
    for name, workers, pool in (("one", 1, "process"), ("procs", 2, "process"), ("threads", 2, "thread")):
        out = tmp_path / name
        audit = tmp_path / f"{name}.jsonl"
        s = Deidentifier(key=KEY).process(study, out, workers=workers, pool=pool, audit_log=audit,
                                          layout="uids")
        assert s.ok
        journal = (out / JOURNAL_NAME).read_text()
        runs[name] = (outputs(out), audit.read_text(), journal)
    assert runs["one"] == runs["procs"] == runs["threads"]


def test_readers_and_validators(study, tmp_path):
    out = tmp_path / "out"
    Deidentifier(key=KEY).process(study, out, workers=1)
    dcmdump = shutil.which("dcmdump")
    dciodvfy = shutil.which("dciodvfy")
    if dcmdump is None and dciodvfy is None:
        pytest.skip("neither DCMTK's dcmdump nor dciodvfy is installed")
    for rel in outputs(out):
        if dcmdump is not None:
            proc = subprocess.run([dcmdump, str(out / rel)], capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0 and "E:" not in proc.stderr, proc.stderr
        if dciodvfy is not None:
            before = _errors(dciodvfy, study / rel)
            after = _errors(dciodvfy, out / rel)
            assert after <= before, after - before


def _errors(tool: str, path: Path) -> set[str]:
    proc = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
    return {line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("Error")}


def test_audit_and_logs_hold_no_original_value(study, tmp_path):
    out, q = tmp_path / "out", tmp_path / "q"
    audit = tmp_path / "audit.jsonl"
    src = tmp_path / "in"
    shutil.copytree(study, src / "Patient QZCANARY-FOLDER")
    us = pydicom.dcmread(CT)  # a file to quarantine: Burned In Annotation YES
    us.BurnedInAnnotation = "YES"
    canaries(us)
    us.save_as(src / "burned.dcm", enforce_file_format=True)
    (src / "cut.dcm").write_bytes(Path(CT).read_bytes()[:3000])
    # (the uids layout: the mirror layout keeps the input's folder and file names, canary included)
    summary = Deidentifier(key=KEY).process(src, out, workers=1, audit_log=audit, quarantine_dir=q,
                                            layout="uids")
    assert (summary.written, summary.quarantined, summary.failed) == (6, 1, 1)
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert len(records) == 8
    written = [r for r in records if r["status"] == "written"]
    assert all(r["actions"]["(0010,0010)"] == "Z" and r["actions"]["(0008,0018)"] == "U" for r in written)
    assert all(r["options"] == [] and "Basic" in r["profile"] for r in written)
    logs = audit.read_bytes() + (out / JOURNAL_NAME).read_bytes() + (q / QUARANTINE_LOG_NAME).read_bytes()
    for canary in [*CANARIES, "QZCANARY-FOLDER", STUDY, SERIES, FRAME, sop_uid(0), str(src)]:
        assert canary.encode() not in logs, canary
    assert b"\x00" not in logs


def test_quarantine_and_damaged_input(tmp_path):
    src, out, q = tmp_path / "in", tmp_path / "out", tmp_path / "q"
    src.mkdir()
    burned = pydicom.dcmread(CT)
    burned.BurnedInAnnotation = "YES"
    burned.save_as(src / "burned.dcm", enforce_file_format=True)
    us = pydicom.dcmread(CT)
    us.Modality = "US"  # (CT_small has no Burned In Annotation)
    us.save_as(src / "us.dcm", enforce_file_format=True)
    data = Path(CT).read_bytes()
    (src / "cut_header.dcm").write_bytes(data[:3000])
    (src / "cut_pixels.dcm").write_bytes(data[:-100])
    (src / "not_dicom.txt").write_text("hello\n" * 30)
    shutil.copy(CT, src / "good.dcm")
    summary = Deidentifier(key=KEY).process(src, out, workers=1, quarantine_dir=q)
    assert summary.written == 1 and summary.quarantined == 2 and summary.failed == 3
    assert sorted(Path(p).name for p, _ in summary.failures) == ["cut_header.dcm", "cut_pixels.dcm",
                                                                  "not_dicom.txt"]
    assert sorted(os.listdir(out)) == sorted([JOURNAL_NAME, "good.dcm"])  # nothing else copied
    log = [json.loads(line) for line in (q / QUARANTINE_LOG_NAME).read_text().splitlines()]
    assert sorted(r["out"] for r in log) == ["burned.dcm", "us.dcm"]
    reasons = {r["out"]: r["reason"] for r in log}
    assert "Burned In Annotation (0028,0301) is YES" in reasons["burned.dcm"]
    assert "Modality is US" in reasons["us.dcm"]
    for name in ("burned.dcm", "us.dcm"):  # de-identified, set aside
        ds = pydicom.dcmread(q / name)
        assert ds.PatientIdentityRemoved == "YES"
    # without a quarantine folder: reported, written nowhere
    out2 = tmp_path / "out2"
    s2 = Deidentifier(key=KEY).process(src, out2, workers=1)
    assert s2.quarantined == 2 and not (out2 / "burned.dcm").exists() and not (out2 / "us.dcm").exists()
    assert not s2.ok


def test_clean_pixels_hook(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    burned = pydicom.dcmread(CT)
    burned.BurnedInAnnotation = "YES"
    burned.save_as(src / "burned.dcm", enforce_file_format=True)
    seen = []

    def clean(ds, reason):
        seen.append(reason)
        ds.BurnedInAnnotation = "NO"
        return ds

    s = Deidentifier(key=KEY).process(src, out, workers=1, clean_pixels=clean)
    assert s.ok and s.written == 1 and seen == ["Burned In Annotation (0028,0301) is YES"]
    assert pydicom.dcmread(out / "burned.dcm").BurnedInAnnotation == "NO"


def test_resume_skips_finished_inputs_and_refuses_another_key(study, tmp_path):
    out = tmp_path / "out"
    first = Deidentifier(key=KEY).process(sorted(study.rglob("*.dcm"))[:2], out, workers=1)
    assert first.written == 2
    before = outputs(out)
    again = Deidentifier(key=KEY).process(study, out, workers=1)
    assert (again.written, again.skipped) == (4, 2)
    assert {k: v for k, v in outputs(out).items() if k in before} == before
    header = json.loads((out / JOURNAL_NAME).read_text().splitlines()[0])
    assert header["key_id"] == key_id(KEY) and KEY.hex() not in (out / JOURNAL_NAME).read_text()
    with pytest.raises(DeidentificationError, match="another key"):
        Deidentifier(key=OTHER_KEY).process(study, out, workers=1)
    with pytest.raises(DeidentificationError, match="options"):
        Deidentifier(["clean_descriptors"], key=KEY).process(study, out, workers=1)
    # a journal line cut short by a crash is ignored (its input is done again)
    with open(out / JOURNAL_NAME, "a") as f:
        f.write('{"in":"abc')
    third = Deidentifier(key=KEY).process(study, out, workers=1)
    assert third.skipped == 6 and third.written == 0


def test_two_inputs_one_output_name(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    a = pydicom.dcmread(CT)
    a.save_as(src / "a.dcm", enforce_file_format=True)
    a.PatientName = "Other^Name"  # same SOP Instance UID, other content (the name is removed,
    a.SeriesNumber = 77  # but the Series Number is kept)
    a.save_as(src / "b.dcm", enforce_file_format=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Deidentifier(key=KEY).process(src, out, workers=1, layout="uids")
    assert s.written == 1 and s.failed == 1
    assert "exists with other content" in s.failures[0][1]


def test_bad_arguments(tmp_path):
    deid = Deidentifier(key=KEY)
    with pytest.raises(DeidentificationError, match="layout"):
        deid.process(tmp_path, tmp_path / "o", layout="flat")
    with pytest.raises(DeidentificationError, match="workers"):
        deid.process(tmp_path, tmp_path / "o", workers=0)
    s = deid.process([tmp_path / "missing"], tmp_path / "o")
    assert s.failed == 1 and s.failures[0][1] == "No such file or directory"


def test_a_dicomdir_is_reported_not_written(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    shutil.copy(get_testdata_file("DICOMDIR"), src / "DICOMDIR")
    s = Deidentifier(key=KEY).process(src, out, workers=1)
    assert s.failed == 1 and "DICOMDIR" in s.failures[0][1]
    assert not (out / "DICOMDIR").exists()


def test_write_new(tmp_path):
    """Outputs are written whole under their name, never over an existing file, and no
    temporary file is left."""
    from dcmfast.deid import run as deid_run

    path = tmp_path / "out.dcm"
    deid_run._write_new(str(tmp_path), "out.dcm", str(path), bytearray(b"x" * 100_001))
    assert path.read_bytes() == b"x" * 100_001
    with pytest.raises(FileExistsError):
        deid_run._write_new(str(tmp_path), "out.dcm", str(path), b"other")
    assert path.read_bytes() == b"x" * 100_001
    assert os.listdir(tmp_path) == ["out.dcm"]
