"""Determinism of the UID mapping and date offsets, keys, options, plans, quarantine."""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.sr.codedict import codes

import dcmfast
from dcmfast import DataElement, Dataset, Sequence
from dcmfast.deid import Deidentifier, format_path, load_key, needs_quarantine, quarantine_reason, save_key
from dcmfast.errors import DcmfastError, DeidentificationError

KEY = b"determinism-key-0123456789abcdef"
CT = get_testdata_file("CT_small.dcm")
MR = get_testdata_file("MR_small.dcm")


def _uids(ds, out=None):
    out = [] if out is None else out
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                _uids(item, out)
        elif elem.VR == "UI":
            out.append((int(elem.tag), str(elem.value)))
    return out


def test_same_key_same_uids_across_instances_and_processes():
    a = Deidentifier(key=KEY).deidentify(dcmfast.dcmread(CT))
    b = Deidentifier(key=KEY).deidentify(dcmfast.dcmread(CT))
    assert _uids(a) == _uids(b)
    assert a.file_meta.MediaStorageSOPInstanceUID == a.SOPInstanceUID
    code = (
        "import dcmfast; from dcmfast.deid import Deidentifier;"
        f"d = Deidentifier(key={KEY!r}).deidentify(dcmfast.dcmread({str(CT)!r}));"
        "print(d.SOPInstanceUID, d.StudyInstanceUID)"
    )
    src = str(Path(dcmfast.__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin",  # + tools/sanitize.sh's runtime
                              **{k: v for k, v in os.environ.items()
                                 if k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS", "PYTHONMALLOC")}})
    assert out.stdout.split() == [str(a.SOPInstanceUID), str(a.StudyInstanceUID)]


def test_uid_is_hmac_of_the_original():
    ds = dcmfast.dcmread(CT)
    original = str(ds.SOPInstanceUID)
    out = Deidentifier(key=KEY).deidentify(ds)
    n = int.from_bytes(hmac.new(KEY, original.encode(), hashlib.sha256).digest()[:16], "big")
    assert out.SOPInstanceUID == f"2.25.{n}"
    assert pydicom.uid.UID(str(out.SOPInstanceUID)).is_valid


def test_different_keys_share_no_uids():
    a = {u for _, u in _uids(Deidentifier(key=KEY).deidentify(dcmfast.dcmread(CT)))}
    b = {u for _, u in _uids(Deidentifier(key=b"another-key-0123456789").deidentify(dcmfast.dcmread(CT)))}
    shared = a & b
    assert shared == {u for u in shared if u in pydicom.uid.UID_dictionary}  # class UIDs only


def test_references_map_like_the_referenced_files_own_uids():
    target = dcmfast.dcmread(MR)
    referring = dcmfast.dcmread(CT)
    item = Dataset()
    item.ReferencedSOPClassUID = target.SOPClassUID
    item.ReferencedSOPInstanceUID = target.SOPInstanceUID
    deep = Dataset()
    deep.ReferencedSeriesSequence = Sequence([Dataset()])
    deep.ReferencedSeriesSequence[0].SeriesInstanceUID = target.SeriesInstanceUID
    referring.SourceImageSequence = Sequence([item])
    referring.ReferencedStudySequence = Sequence([deep])
    deid = Deidentifier(key=KEY)
    t = deid.deidentify(target)
    r = deid.deidentify(referring)
    ref = r.SourceImageSequence[0]
    assert ref.ReferencedSOPInstanceUID == t.SOPInstanceUID
    assert ref.ReferencedSOPClassUID == t.SOPClassUID  # a class UID is kept
    assert t.file_meta.MediaStorageSOPInstanceUID == t.SOPInstanceUID


def test_uid_root():
    out = Deidentifier(key=KEY, uid_root="1.2.826.0.1.3680043.10.999").deidentify(dcmfast.dcmread(CT))
    uid = str(out.SOPInstanceUID)
    assert uid.startswith("1.2.826.0.1.3680043.10.999.") and len(uid) <= 64
    assert pydicom.uid.UID(uid).is_valid
    with pytest.raises(DeidentificationError):
        Deidentifier(key=KEY, uid_root="1.02.x")


def test_generated_key_is_exposed_and_reproduces(tmp_path):
    d = Deidentifier()
    assert isinstance(d.key, bytes) and len(d.key) >= 16
    save_key(tmp_path / "k", d.key)
    again = Deidentifier(key=load_key(tmp_path / "k"))
    assert again.map_uid("1.2.3.4.5.6") == d.map_uid("1.2.3.4.5.6")
    assert Deidentifier().key != d.key


@pytest.mark.parametrize("content", ["", "not hex\n", "abcd\n"])
def test_bad_key_files(tmp_path, content):
    p = tmp_path / "k"
    p.write_text(content)
    with pytest.raises(DeidentificationError) as info:
        load_key(p)
    assert "\n" not in str(info.value) and isinstance(info.value, DcmfastError)
    with pytest.raises(DeidentificationError, match="not found"):
        load_key(tmp_path / "missing")


def test_bad_options():
    with pytest.raises(DeidentificationError, match="unknown"):
        Deidentifier(["retain_everything"], key=KEY)
    with pytest.raises(DeidentificationError, match="exclude"):
        Deidentifier(["retain_long_full_dates", "retain_long_modified_dates"], key=KEY)
    with pytest.raises(DeidentificationError):
        Deidentifier(key=b"short")


def _patient(pid, date="20200315", dt="20200315101010"):
    ds = Dataset()
    ds.PatientID = pid
    ds.StudyDate = date
    ds.AcquisitionDateTime = dt
    ds.StudyTime = "101010"
    ds.ContentDate = date
    return ds


def test_modified_dates_one_offset_per_patient():
    d = Deidentifier(["retain_long_modified_dates"], key=KEY)
    a1 = d.deidentify(_patient("P1"))
    a2 = Deidentifier(["retain_long_modified_dates"], key=KEY).deidentify(
        _patient("P1", "20210101", "20210101"))
    import datetime as dtm

    def days(s):
        return (dtm.date(2020, 3, 15) - dtm.date(int(s[:4]), int(s[4:6]), int(s[6:8]))).days

    shift = days(a1.StudyDate)
    assert 1 <= shift <= 3652
    assert a1.ContentDate == a1.StudyDate and a1.AcquisitionDateTime == a1.StudyDate + "101010"
    assert a1.StudyTime == "101010"
    assert (dtm.date(2021, 1, 1) - dtm.date(int(a2.StudyDate[:4]), int(a2.StudyDate[4:6]),
                                           int(a2.StudyDate[6:8]))).days == shift
    assert a1.LongitudinalTemporalInformationModified == "MODIFIED"
    others = {Deidentifier(["retain_long_modified_dates"], key=KEY).deidentify(_patient(f"P{i}")).StudyDate
              for i in range(2, 12)}
    assert len(others) > 1  # patients get different offsets


def test_date_ranges_partial_and_bad_dates():
    d = Deidentifier(["retain_long_modified_dates"], key=KEY)
    ds = Dataset()
    ds.PatientID = "P1"
    ds.StudyDate = "20200315"
    ds.add_new(0x00400002, "DA", "20200315-20200316")  # Scheduled Procedure Step Start Date
    ds.add_new(0x00380020, "DA", "2020")  # Admitting Date, year only
    ds.add_new(0x00321000, "DA", "garbage")  # Scheduled Study Start Date
    out = d.deidentify(ds)
    start, end = str(out[0x00400002].value).split("-")
    assert start == out.StudyDate and end != start and "2020031" not in end
    assert len(out[0x00380020].value) == 4
    assert out[0x00321000].value == "19000101"


def test_full_dates_and_removed_flags():
    full = Deidentifier(["retain_long_full_dates"], key=KEY).deidentify(_patient("P1"))
    assert full.StudyDate == "20200315" and full.LongitudinalTemporalInformationModified == "UNMODIFIED"
    basic = Deidentifier(key=KEY).deidentify(_patient("P1"))
    assert basic.StudyDate == "" and basic.LongitudinalTemporalInformationModified == "REMOVED"


def test_method_attributes_use_cid_7050():
    opts = ["retain_uids", "clean_descriptors", "retain_safe_private", "retain_long_modified_dates"]
    out = Deidentifier(opts, key=KEY).deidentify(dcmfast.dcmread(CT))
    assert out.PatientIdentityRemoved == "YES"
    got = {(i.CodeValue, i.CodingSchemeDesignator, i.CodeMeaning)
           for i in out.DeidentificationMethodCodeSequence}
    expected = {codes.DCM.BasicApplicationConfidentialityProfile, codes.DCM.RetainUidsOption,
                codes.DCM.CleanDescriptorsOption, codes.DCM.RetainSafePrivateOption,
                codes.DCM.RetainLongitudinalTemporalInformationModifiedDatesOption}
    assert got == {(c.value, c.scheme_designator, c.meaning) for c in expected}
    assert all(len(v) <= 64 for v in out.DeidentificationMethod)


def test_unknown_and_non_table_attributes():
    ds = Dataset()
    ds.add_new(0x00181234, "PN", "Doe^John")  # a name in an allowed group: still removed
    ds.add_new(0x00190010, "LO", "ACME 1.0")  # private creator
    ds.add_new(0x00191001, "LO", "secret")
    ds.add_new(0x00410010, "LO", "nobody")  # an unknown public group
    ds.Rows = 16
    ds.add_new(0x00081164, "SQ", Sequence())  # Frame Extraction Sequence: not in the table
    ds.add_new(0x00180001, "UI", "1.2.3.4.5.6.7")  # an instance UID not in the table
    out = Deidentifier(key=KEY).deidentify(ds)
    assert 0x00181234 not in out and 0x00191001 not in out and 0x00190010 not in out
    assert 0x00410010 not in out and 0x00081164 not in out
    assert out.Rows == 16
    assert out[0x00180001].value != "1.2.3.4.5.6.7"


def test_safe_private_and_user_list():
    ds = Dataset()
    ds.add_new(0x00190010, "LO", "GEMS_ACQU_01")
    ds.add_new(0x00191023, "DS", "1.5")  # Table E.3.10-1: safe
    ds.add_new(0x00191001, "LO", "secret")
    ds.add_new(0x00290010, "LO", "MINE")
    ds.add_new(0x00291005, "DS", "2")
    basic = Deidentifier(key=KEY).deidentify(ds)
    assert not any(int(e.tag) >> 16 & 1 for e in basic)
    deid = Deidentifier(["retain_safe_private"], key=KEY, safe_private=[("MINE", 0x0029, 0x05)])
    kept = deid.deidentify(ds)
    assert 0x00191023 in kept and 0x00190010 in kept and 0x00291005 in kept
    assert 0x00191001 not in kept


def test_plan_lists_tags_and_actions_never_values(caplog):
    ds = dcmfast.dcmread(CT)
    secret = str(ds.PatientName)
    deid = Deidentifier(key=KEY)
    with caplog.at_level(logging.DEBUG, logger="dcmfast"):
        plan = deid.plan(ds)
        applied: list = []
        deid.deidentify(ds, plan=applied)
    assert [(e.path, e.tag, e.action) for e in plan] == [(e.path, e.tag, e.action) for e in applied]
    by_tag = {e.tag: e.action for e in plan}
    assert by_tag[0x00100010] == "Z" and by_tag[0x00080018] == "U" and by_tag[0x00020003] == "U"
    assert {e.action for e in plan} <= set("XZDKCU")
    text = repr(plan) + caplog.text + "".join(format_path(e) for e in plan)
    assert secret not in text and str(ds.SOPInstanceUID) not in text


def test_in_place_and_copy():
    ds = dcmfast.dcmread(CT)
    name = ds.PatientName
    out = Deidentifier(key=KEY).deidentify(ds)
    assert ds.PatientName == name and out is not ds
    same = Deidentifier(key=KEY).deidentify(ds, in_place=True)
    assert same is ds and ds.PatientName == ""


def _pixels(**kw):
    ds = Dataset()
    ds.PixelData = b"\0\0"
    for k, v in kw.items():
        setattr(ds, k, v)
    return ds


def test_quarantine():
    assert "Burned In Annotation" in quarantine_reason(_pixels(BurnedInAnnotation="YES", Modality="CT"))
    assert "Recognizable" in quarantine_reason(_pixels(RecognizableVisualFeatures="YES"))
    assert "Secondary Capture" in quarantine_reason(_pixels(SOPClassUID="1.2.840.10008.5.1.4.1.1.7"))
    assert "US" in quarantine_reason(_pixels(Modality="US"))
    assert quarantine_reason(_pixels(Modality="US", BurnedInAnnotation="NO")) is None
    assert quarantine_reason(_pixels(Modality="CT")) is None
    no_pixels = Dataset()
    no_pixels.BurnedInAnnotation = "YES"
    assert not needs_quarantine(no_pixels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        us = dcmfast.dcmread(get_testdata_file("US1_UNCR.dcm"))
    assert needs_quarantine(us) == ("BurnedInAnnotation" not in us or us.BurnedInAnnotation == "YES")


def test_every_element_of_a_dataset_element_class():
    # the dataset DataElement from the facade is used for the added attributes
    out = Deidentifier(key=KEY).deidentify(Dataset())
    assert isinstance(out[0x00120064], DataElement) and len(out) == 4


def test_method_codes_are_cid_7050():
    from pydicom.sr._cid_dict import cid_concepts

    from dcmfast.deid import METHOD_CODES
    from dcmfast.deid.engine import BASIC_PROFILE_CODE

    standard = {(getattr(codes.DCM, kw).value, getattr(codes.DCM, kw).meaning)
                for kw in cid_concepts[7050]["DCM"]}
    ours = {BASIC_PROFILE_CODE, *METHOD_CODES.values()}
    assert ours <= standard
    assert {v for v, _ in standard - ours} == {"113101", "113102"}  # pixel cleaning: not done here
