"""The splice fast path (deid/splice.py, writer.level_splice) against the facade path:
``splice_file(deid, ds)`` must give exactly ``dcmwrite_bytes(deid.deidentify(ds))`` for every
corpus file and option set, or decline (None) and leave the file to the facade path."""
from __future__ import annotations

import warnings

import pytest
from corpus import CORPUS, file_id
from pydicom.data import get_testdata_file

import dcmfast
from dcmfast._core import writer as cw
from dcmfast.deid import Deidentifier, format_path
from dcmfast.deid.splice import plan_records, splice_file

KEY = b"splice-test-key-0123456789abcdef"
OPTION_SETS = [
    (),
    ("retain_safe_private", "clean_descriptors", "clean_structured_content", "clean_graphics",
     "retain_long_modified_dates"),
    ("retain_uids", "retain_long_full_dates", "retain_patient_characteristics", "retain_device_identity",
     "retain_institution_identity"),
]
DEIDS = [Deidentifier(o, key=KEY) for o in OPTION_SETS]  # shared: caches fill across files
_FAST: set[str] = set()


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = dcmfast.dcmread(path)
        except Exception:
            return None
    return ds if len(ds) else None


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_splice_equals_facade_path(path):
    for deid in DEIDS:
        ds = _read(path)
        if ds is None:
            pytest.skip("not readable as DICOM")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = splice_file(deid, ds)
            except Exception as exc:  # the facade path must fail the same way
                with pytest.raises(type(exc)):
                    dcmfast.dcmwrite_bytes(deid.deidentify(_read(path), in_place=True))
                continue
            if result is None:
                continue
            _FAST.add(file_id(path))
            assert ds._view.loaded is False  # nothing was materialized
            plan: list = []
            expected = dcmfast.dcmwrite_bytes(deid.deidentify(_read(path), in_place=True, plan=plan))
        chunks, records = result
        assert b"".join(chunks) == expected
        # the plan records are the engine's plan (an element replaced by an added one aside)
        assert set(plan_records(records)) <= {(format_path(e), e.action) for e in plan}


def test_common_files_take_the_fast_path():
    deid = Deidentifier(key=KEY)
    for name in ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm", "emri_small.dcm"):
        ds = dcmfast.dcmread(get_testdata_file(name))
        assert splice_file(deid, ds) is not None, name


def test_plan_records_match_the_engine_plan():
    deid = Deidentifier(key=KEY)
    path = get_testdata_file("rtplan.dcm")
    _, records = splice_file(deid, dcmfast.dcmread(path))
    plan = deid.plan(dcmfast.dcmread(path))
    assert plan_records(records) == [(format_path(e), e.action) for e in plan]


def test_a_changed_dataset_is_left_to_the_facade():
    deid = Deidentifier(key=KEY)
    ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PatientName = "Changed^Here"
    assert splice_file(deid, ds) is None
    ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    del ds.StudyDescription
    assert splice_file(deid, ds) is None


class _Level:
    def __init__(self, actions):
        self.actions = actions
        self.handled = []

    def resolve(self, i, tag, key):
        return self.actions.get(tag, "K")

    def handle(self, i, tag, act, key):
        self.handled.append((tag, act))


def _index(ds):
    view = ds._view
    return view.index, view.first, view.stop


def test_level_splice_copies_skips_inserts_and_replaces():
    ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    index, first, stop = _index(ds)
    tags = index.tags(first, stop)
    out, plan = bytearray(), bytearray()
    level = _Level({tags[1]: "X", tags[2]: "Z"})
    inserts = [(tags[0] - 1, b"<before>"), (tags[3], b"<instead>"), (0xFFFFFFFE, b"<end>")]
    assert cw.level_splice(out, index, first, stop, {}, {}, True, False, inserts, plan, level)
    assert out.startswith(b"<before>") and out.endswith(b"<end>")
    # the kept elements are the writer's raw copies, in order; the others were handed back
    expected = bytearray(b"<before>")
    handed = [(tags[2], "Z")]
    for k, tag in enumerate(tags):
        if k in (1, 2):
            continue
        if k == 3:
            expected += b"<instead>"
            continue
        entry = index.find(first, stop, tag)
        if cw.raw_kind(index, entry, True) == cw.RAW_COPY and not index.entry(entry)[2] & (8 | 16):
            cw.copy_entry(expected, index, entry)
        else:
            handed.append((tag, "K"))
    expected += b"<end>"
    assert out == expected
    assert sorted(level.handled) == sorted(handed)
    assert (0x00080005, "K") in handed  # the writer encodes the character set from its value
    # one record per entry but the replaced one
    assert len(plan) == 5 * (len(tags) - 1)


def test_level_splice_refuses_tags_out_of_order():
    ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    out, plan = bytearray(), bytearray()
    raw = bytearray(dcmfast.dcmwrite_bytes(ds))
    # swap the first two data set elements' places: (0008,0005) and (0008,0008)
    i5 = raw.index(b"\x08\x00\x05\x00CS")
    i8 = raw.index(b"\x08\x00\x08\x00CS")
    a, b = bytes(raw[i5:i8]), bytes(raw[i8:raw.index(b"\x08\x00\x12\x00")])
    raw[i5:i5 + len(a) + len(b)] = b + a
    ds3 = dcmfast.dcmread(__import__("io").BytesIO(bytes(raw)))
    index, first, stop = _index(ds3)
    assert not cw.level_splice(out, index, first, stop, {}, {}, True, False, None, plan, _Level({}))
    assert out == b"" and plan == b""
    assert splice_file(Deidentifier(key=KEY), ds3) is None
