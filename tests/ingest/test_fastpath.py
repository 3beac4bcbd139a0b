"""The hot path's shortcuts: values remembered across files, dict records, compact SQLite rows.

Expected values always come from pydicom (conftest.pydicom_values) or from
read_many's own records where the point is that two outputs agree.
"""
from __future__ import annotations

import json
import sqlite3
import struct

import pytest

from dcmfast import ingest
from dcmfast._core import ingest as cingest

from .conftest import WIDE_TAGS, assert_record_matches, make_dicom, pydicom_values, tag_of, write_dicom

pytestmark = pytest.mark.filterwarnings("ignore")

SERIES_TAGS = ["PatientName", "PatientID", "StudyInstanceUID", "ImagePositionPatient", "PixelSpacing",
               "InstanceNumber", "Rows", "SliceThickness", "StudyDescription", "WindowCenter"]


def _series(tmp_path, n=40):
    """n files alike but for a few values (the position, the number, every 7th description)."""
    files = []
    for i in range(n):
        elements = [
            (tag_of("PatientName"), "PN", b"Doe^John"),
            (tag_of("PatientID"), "LO", b"PID1"),
            (tag_of("StudyInstanceUID"), "UI", b"1.2.3.4.5"),
            (tag_of("ImagePositionPatient"), "DS", f"-10.5\\20\\{i * 1.25}".encode()),
            (tag_of("PixelSpacing"), "DS", b"0.5\\0.5"),
            (tag_of("InstanceNumber"), "IS", str(i + 1).encode()),
            (tag_of("Rows"), "US", struct.pack("<H", 512)),
            (tag_of("SliceThickness"), "DS", b"1.25"),
            (tag_of("WindowCenter"), "DS", b"40\\400" if i % 2 else b"40"),
        ]
        if i % 7 == 3:
            elements.append((tag_of("StudyDescription"), "LO", f"head {i}".encode()))
        files.append(write_dicom(tmp_path / f"s{i:03d}.dcm", elements, sop_instance=f"1.2.3.{i}"))
    return files


@pytest.mark.parametrize("workers", [1, 2])
def test_series_values_and_no_shared_lists(tmp_path, workers):
    """Values repeated across files equal pydicom's; a list changed by the caller changes nothing else."""
    files = _series(tmp_path)
    records = list(ingest.read_many(files, tags=SERIES_TAGS, workers=workers))
    for record, path in zip(records, files, strict=True):
        assert_record_matches(record, pydicom_values(path, SERIES_TAGS))
    # every record has its own lists, even where the values are the same
    assert len({id(r["PixelSpacing"]) for r in records}) == len(records)
    records[0]["PixelSpacing"].append(99.0)
    again = list(ingest.read_many(files, tags=SERIES_TAGS, workers=workers))
    assert all(r["PixelSpacing"] == [0.5, 0.5] for r in records[1:])
    assert all(r["PixelSpacing"] == [0.5, 0.5] for r in again)


def test_record_keys_in_order(tmp_path):
    files = _series(tmp_path, 3)
    for record in ingest.read_many(files, tags=SERIES_TAGS):
        assert list(record) == list(ingest.RECORD_FIELDS) + [c.name for c in ingest.resolve_tags(SERIES_TAGS)]


def test_same_bytes_other_character_set(tmp_path):
    """The same value bytes under two character sets: two values (nothing remembered wrongly)."""
    files = []
    for i, charset in enumerate([b"ISO_IR 100", b"ISO_IR 101", b"ISO_IR 100", b"ISO_IR 101", b""]):
        elements = [(tag_of("PatientName"), "PN", b"M\xfcller^\xb1"),
                    (tag_of("InstitutionName"), "LO", b"\xe9")]
        if charset:
            elements.append((tag_of("SpecificCharacterSet"), "CS", charset))
        files.append(write_dicom(tmp_path / f"c{i}.dcm", elements))
    tags = ["PatientName", "InstitutionName", "SpecificCharacterSet"]
    records = list(ingest.read_many(files, tags=tags, workers=1))
    for record, path in zip(records, files, strict=True):
        assert_record_matches(record, pydicom_values(path, tags))
    assert records[0]["PatientName"] != records[1]["PatientName"]


def test_same_bytes_other_byte_order(tmp_path):
    """The same value bytes in little and big endian files: each file's own value."""
    raw = struct.pack("<H", 0x0102)
    files = [write_dicom(tmp_path / f"e{i}.dcm", [(tag_of("Rows"), "US", raw)],
                         ts="1.2.840.10008.1.2.2" if i % 2 else "1.2.840.10008.1.2.1") for i in range(4)]
    records = list(ingest.read_many(files, tags=["Rows"], workers=1))
    assert [r["Rows"] for r in records] == [pydicom_values(p, ["Rows"])["Rows"] for p in files]
    assert records[0]["Rows"] != records[1]["Rows"]


def test_non_ascii_and_odd_paths(tmp_path, ct_small):
    """Paths that are not ASCII go through the file system encoding; pathlib paths and tuples work."""
    folder = tmp_path / "dossier é"
    folder.mkdir()
    target = folder / "image ü.dcm"
    target.write_bytes(ct_small.read_bytes())
    expected = pydicom_values(target, WIDE_TAGS)
    for inputs in ([str(target)], (str(target),), [target]):
        (record,) = ingest.read_many(inputs, tags=WIDE_TAGS)
        assert record["path"] == str(target)
        assert_record_matches(record, expected)


def test_paths_with_glob_characters_in_a_list(tmp_path, ct_small):
    """A list with a glob among plain paths: the glob is expanded in place, the order kept."""
    (tmp_path / "a.dcm").write_bytes(ct_small.read_bytes())
    (tmp_path / "g").mkdir()
    for name in ("x1.dcm", "x2.dcm"):
        (tmp_path / "g" / name).write_bytes(ct_small.read_bytes())
    inputs = [str(tmp_path / "a.dcm"), str(tmp_path / "g" / "x*.dcm"), str(tmp_path / "a.dcm")]
    paths = [r["path"] for r in ingest.read_many(inputs, tags=["PatientID"], workers=1)]
    assert paths == [str(tmp_path / "a.dcm"), str(tmp_path / "g" / "x1.dcm"), str(tmp_path / "g" / "x2.dcm"),
                     str(tmp_path / "a.dcm")]


def test_compact_row():
    row = ["p", 1, None, "x", None, None, [1.0], None]
    compact = cingest.compact_row(row)
    assert compact == [0b1001011, "p", 1, "x", [1.0]]
    wide = [None] * 70 + ["last"]
    assert cingest.compact_row(wide) == [1 << 70, "last"]


def _expand(groups):
    """The rows back from insert_groups' output."""
    rows = []
    for mask, shared, n, params in groups:
        k = bin(mask).count("1") + 1
        slots = range(1, k)
        shared_slots = [c for c in slots if shared >> c & 1]
        own = [c for c in slots if not shared >> c & 1]
        assert params[0] == mask
        assert len(params) == 1 + len(shared_slots) + n * len(own)
        values = dict(zip(shared_slots, params[1 : 1 + len(shared_slots)], strict=True))
        base = 1 + len(shared_slots)
        for r in range(n):
            mine = dict(zip(own, params[base + r * len(own) : base + (r + 1) * len(own)], strict=True))
            rows.append([mask] + [values.get(c, mine.get(c)) for c in slots])
    return rows


def test_insert_groups_round_trip():
    study = "1.2.3"
    rows = [
        cingest.compact_row([f"p{i}", 10, 5 + i, "ts", None, None, study, i % 3, 1.0 if i < 5 else None])
        for i in range(12)
    ]
    groups = cingest.insert_groups(rows, max_rows=4)
    assert _expand(groups) == rows
    assert all(n <= 4 for _m, _s, n, _p in groups)
    # (compact slots: 1 path, 2 size, 3 mtime, 4 transfer syntax, 5 study, 6 i % 3, 7 float)
    # the size and the study UID are bound once per group, the path and the mtime never
    _mask, shared, _n, _params = groups[0]
    assert shared >> 2 & 1 and shared >> 5 & 1
    assert not shared >> 1 & 1 and not shared >> 3 & 1 and not shared >> 6 & 1
    # 1 and 1.0 are not shared as one value (SQLite stores them differently)
    mixed = [cingest.compact_row(["a", 1]), cingest.compact_row(["b", 1.0]), cingest.compact_row(["c", True])]
    (group,) = cingest.insert_groups(mixed)
    assert group[1] == 0 and _expand([group]) == mixed
    # the parameter limit holds
    for _m, _s, _n, params in cingest.insert_groups(rows, max_rows=32, max_params=10):
        assert len(params) <= 10
    assert _expand(cingest.insert_groups(rows, max_params=10)) == rows


def test_sqlite_rows_equal_records(tmp_path):
    """Every stored value (types included) equals read_many's record, lists as JSON."""
    (tmp_path / "s").mkdir()
    files = _series(tmp_path / "s")
    (tmp_path / "junk.dcm").write_bytes(b"not dicom")
    paths = [str(p) for p in files] + [str(tmp_path / "junk.dcm"), str(tmp_path / "missing.dcm")]
    db = tmp_path / "i.sqlite"
    stats = ingest.index_sqlite(paths, db, tags=SERIES_TAGS, workers=2, batch_size=16)
    assert (stats.read, stats.errors) == (len(paths), 2)
    records = {r["path"]: r for r in ingest.read_many(paths, tags=SERIES_TAGS)}
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = con.execute("SELECT * FROM instances").fetchall()
    con.close()
    assert len(rows) == len(paths)
    # columns the dictionary allows several values for are TEXT: lists as JSON, numbers as their text
    multi = {c.name for c in ingest.resolve_tags(SERIES_TAGS) if c.multi}
    for row in rows:
        record = records[row["path"]]
        for key in row.keys():
            value, want = row[key], record[key]
            if isinstance(want, list) or (key in multi and isinstance(want, (int, float))):
                value = json.loads(value)
            assert value == want and type(value) is type(want), (row["path"], key, value, want)


def _dump(db):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT * FROM instances ORDER BY path").fetchall()
    con.close()
    return rows


def test_without_fd_io_same_outputs(tmp_path, monkeypatch):
    """Where POSIX fd I/O is missing (Python reads, extract()): the same records and rows."""
    (tmp_path / "s").mkdir()
    files = [str(p) for p in _series(tmp_path / "s", 12)] + [str(tmp_path / "missing.dcm")]
    fast = list(ingest.read_many(files, tags=SERIES_TAGS, workers=2))
    ingest.index_sqlite(files, tmp_path / "fast.sqlite", tags=SERIES_TAGS)
    monkeypatch.setattr(cingest, "HAVE_FD_IO", False)
    slow = list(ingest.read_many(files, tags=SERIES_TAGS, workers=2))
    ingest.index_sqlite(files, tmp_path / "slow.sqlite", tags=SERIES_TAGS)
    assert slow == fast
    assert [type(v) for r in slow for v in r.values()] == [type(v) for r in fast for v in r.values()]
    assert _dump(tmp_path / "slow.sqlite") == _dump(tmp_path / "fast.sqlite")


def test_remembered_list_given_out_then_changed(tmp_path):
    """A list value converted for one file is remembered without a copy until its batch ends:
    changing the rows of a batch does not change the values of the next batches."""
    files = [str(f) for f in _series(tmp_path, 6)]
    reader = ingest._Reader(SERIES_TAGS, as_dict=True)
    for batch in (files[:1], files[:3], files[3:]):  # a miss alone, then a miss and hits
        rows, others = reader.extractor.read_rows(batch)
        assert not others
        for row in rows:
            assert row["PixelSpacing"] == [0.5, 0.5]
            row["PixelSpacing"].append(99.0)
            row["ImagePositionPatient"].clear()
        assert len({id(r["PixelSpacing"]) for r in rows}) == len(rows)
    rows, _others = reader.extractor.read_rows(files)
    assert [r["PixelSpacing"] for r in rows] == [[0.5, 0.5]] * len(files)
    assert [r["ImagePositionPatient"][2] for r in rows] == [i * 1.25 for i in range(len(files))]
    # extract() (one buffer) settles its lists too
    data = open(files[0], "rb").read()
    status, _ts, values = reader.extractor.extract(data)
    k = SERIES_TAGS.index("PixelSpacing")
    values[k].append(1.0)
    assert reader.extractor.extract(data)[2][k] == [0.5, 0.5]


def _ds_floats(texts):
    """The DS values of texts (items of one value) as read_rows converts them, or None (facade)."""
    reader = ingest._Reader(["ImagePositionPatient"])
    data = make_dicom([(tag_of("ImagePositionPatient"), "DS", "\\".join(texts).encode())])
    status, _ts, values = reader.extractor.extract(data)
    if status != cingest.STATUS_OK:
        return None
    return values[0] if isinstance(values[0], list) else [values[0]]


def _same_float(a, b):
    return struct.pack("<d", a) == struct.pack("<d", b)


def test_ds_numbers_exactly_as_float():
    """DS items parsed without Python's parser (short decimals) are bit for bit float(text)."""
    import random

    rng = random.Random(1234)
    texts = ["0", "-0", "+0", "-0.0", ".5", "5.", "-.5", "1e22", "1e23", "1e-22", "1e-23",
             "9007199254740993", "9007199254740992", "9007199254740991", "123456789012345",
             "1234567890123456", "0.1", "0.2", "0.30000000000000004", "-158.135803",
             "1.7976931348623157e308", "2.2250738585072014e-308", "5e-324", "1e400", "-1e400", "0e400",
             "-0e-999", "000000000000000000012.5", "1.2500000000000000", "1E+05", "1e-05",
             "4.9406564584124654E-324", "0.000001", "12345678901234567890", "3.14159265358979"]
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 17)))
        point = rng.randint(0, len(digits))
        text = rng.choice(["", "-", "+"]) + digits[:point] + rng.choice([".", ""]) + digits[point:]
        if rng.random() < 0.3:
            text += rng.choice("eE") + rng.choice(["", "-", "+"]) + str(rng.randint(0, 40))
        try:
            float(text)
        except ValueError:
            continue
        texts.append(text)
    for start in range(0, len(texts), 50):
        part = texts[start : start + 50]
        got = _ds_floats(part)
        assert got is not None and len(got) == len(part)
        for text, value in zip(part, got, strict=True):
            assert _same_float(value, float(text)), text
    for bad in ["1e", "1e+", ".", "+", "1..2", "1-2", "e5", "1e5.5", "--1", "1e99999"]:
        try:
            expected = float(bad)
        except ValueError:
            assert _ds_floats([bad]) is None, bad
        else:
            assert _same_float(_ds_floats([bad])[0], expected), bad
