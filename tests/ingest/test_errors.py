"""Bad files give error records (never a stopped run, never a skipped file); finding files."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from dcmfast import ingest
from dcmfast.errors import InvalidDicomError

from .conftest import assert_record_matches, make_dicom, pydicom_values, write_dicom

pytestmark = pytest.mark.filterwarnings("ignore")

TAGS = ["PatientName", "Modality", "InstanceNumber", "PixelSpacing", "Rows"]


def _records(paths, **kw):
    return list(ingest.read_many(paths, tags=TAGS, **kw))


def test_not_dicom_empty_missing(tmp_path, ct_small):
    text = tmp_path / "notes.txt"
    text.write_text("not a DICOM file\n" * 20)
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    short = tmp_path / "short.dcm"
    short.write_bytes(b"\x00" * 100)
    missing = tmp_path / "missing.dcm"
    paths = [text, ct_small, empty, missing, short]
    records = _records(paths, workers=2)
    assert [r["path"] for r in records] == [str(p) for p in paths]
    by_name = {Path(r["path"]).name: r for r in records}
    for name in ("notes.txt", "empty.dcm", "short.dcm"):
        r = by_name[name]
        assert r["error_type"] == "InvalidDicomError" and "DICM" in r["error"]
        assert r["size"] == (tmp_path / name).stat().st_size
        assert all(r[c] is None for c in TAGS)
    assert by_name["missing.dcm"]["error_type"] == "FileNotFoundError"
    assert by_name["missing.dcm"]["size"] is None
    assert_record_matches(by_name["CT_small.dcm"], pydicom_values(ct_small, TAGS))


def test_truncated_files(tmp_path, ct_small):
    """Files cut anywhere: one record each; values as pydicom's, or an error where pydicom fails."""
    data = ct_small.read_bytes()
    cuts = [1, 128, 131, 132, 135, 140, 150, 200, 300, 331, 332, 340, 400, 500, 700, 1000, 1500,
            2500, 3000, 3500, len(data) - 32768, len(data) - 32768 + 6, len(data) - 1000, len(data) - 1]
    paths = []
    for cut in cuts:
        p = tmp_path / f"cut{cut:06d}.dcm"
        p.write_bytes(data[:cut])
        paths.append(p)
    records = _records(paths)
    assert len(records) == len(paths)
    n_errors = 0
    for path, record in zip(paths, records, strict=False):
        try:
            expected = pydicom_values(path, TAGS)
        except Exception:  # noqa: BLE001 - pydicom rejects it: so must we
            assert record["error_type"] is not None, path.name
            n_errors += 1
            continue
        if record["error_type"] is None:
            assert_record_matches(record, expected)
        else:
            # dcmfast is stricter than pydicom about a value cut short: it says why
            assert record["error"], path.name
            n_errors += 1
    assert n_errors >= 3


def test_truncated_inside_requested_value(tmp_path):
    full = make_dicom([(0x00100010, "PN", b"Doe^John" * 50), (0x00280030, "DS", b"0.5\\0.5")])
    path = tmp_path / "cut_value.dcm"
    path.write_bytes(full[:-40])
    (record,) = ingest.read_many(path, tags=TAGS)
    # one record, with the values pydicom reads from what is there or an error
    try:
        expected = pydicom_values(path, TAGS)
    except Exception:  # noqa: BLE001
        assert record["error_type"] is not None
    else:
        if record["error_type"] is None:
            assert_record_matches(record, expected)


def test_on_error_raise(tmp_path, ct_small):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"garbage")
    with pytest.raises(InvalidDicomError):
        list(ingest.read_many([ct_small, bad], tags=TAGS, on_error="raise"))
    with pytest.raises(FileNotFoundError):
        list(ingest.read_many([tmp_path / "nope.dcm"], tags=TAGS, on_error="raise", workers=2))
    with pytest.raises(ValueError):
        list(ingest.read_many([ct_small], on_error="ignore"))


def test_bad_paths(tmp_path):
    records = _records(["with\0nul.dcm", str(tmp_path / "ok")])
    assert records[0]["error_type"] == "ValueError"
    assert records[1]["error_type"] == "FileNotFoundError"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_special_files(tmp_path):
    fifo = tmp_path / "fifo.dcm"
    os.mkfifo(fifo)
    (record,) = _records([fifo])
    assert record["error_type"] == "OSError" and "regular" in record["error"]
    # also when found by walking a folder
    (record,) = _records([tmp_path])
    assert record["path"] == str(fifo) and record["error_type"] == "OSError"


def test_vanished_entries(tmp_path, ct_folder):
    """Entries listed and then removed (or replaced by a folder) before they are read."""
    listed = list(ingest.iter_paths(ct_folder))
    assert len(listed) == 30
    gone = Path(listed[3])
    gone.unlink()
    became_folder = Path(listed[5])
    became_folder.unlink()
    became_folder.mkdir()
    (became_folder / "inside.dcm").write_bytes((ct_folder / "patient0" / "series0" / "img000.dcm").read_bytes())  # noqa: E501
    records = _records(listed, workers=2)
    paths = [r["path"] for r in records]
    assert str(gone) in paths
    assert records[paths.index(str(gone))]["error_type"] == "FileNotFoundError"
    # a folder where a file was is walked in place
    assert str(became_folder / "inside.dcm") in paths
    assert len(records) == 30
    assert sum(r["error_type"] is not None for r in records) == 1


def test_folder_removed_while_walking(tmp_path, ct_folder, monkeypatch):
    """A folder that cannot be listed any more is an error record, not a silent gap."""
    target = ct_folder / "patient1"
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == target:
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_scandir(path)

    monkeypatch.setattr(ingest.paths.os, "scandir", scandir)
    records = _records([ct_folder])
    errors = [r for r in records if r["error_type"]]
    assert [(e["path"], e["error_type"]) for e in errors] == [(str(target), "FileNotFoundError")]
    assert len(records) == 21


def test_walk_order_globs_and_symlink_loops(tmp_path, ct_folder):
    files = sorted(str(p) for p in ct_folder.rglob("*.dcm"))
    assert list(ingest.iter_paths(ct_folder)) == files
    # symlink loops and a second way into the same folder: each folder walked once
    if sys.platform != "win32":
        os.symlink(ct_folder, ct_folder / "patient0" / "loop")
        os.symlink(ct_folder / "patient1", ct_folder / "again")
        os.symlink(tmp_path / "nowhere", ct_folder / "broken.dcm")
    walked = list(ingest.iter_paths(ct_folder))
    assert len(walked) == len(set(walked)) == 31
    names = sorted(os.path.basename(p) for p in files + [str(ct_folder / "broken.dcm")])
    assert sorted(os.path.basename(p) for p in walked) == names
    records = _records([ct_folder])
    assert len(records) == 31
    broken = [r for r in records if r["path"].endswith("broken.dcm")]
    assert broken[0]["error_type"] == "FileNotFoundError"
    # globs, recursive globs and a mix of inputs
    pattern = str(ct_folder / "patient2" / "*" / "*.dcm")
    assert list(ingest.iter_paths(pattern)) == [f for f in files if "patient2" in f]
    assert len(list(ingest.iter_paths(str(ct_folder / "**" / "img00*.dcm")))) == 10
    assert list(ingest.iter_paths(str(ct_folder / "nomatch*"))) == []
    mixed = [files[0], str(ct_folder / "patient1"), pattern]
    got = [r["path"] for r in _records(mixed, workers=2)]
    assert got == [files[0]] + [f for f in files if "patient1" in f] + [f for f in files if "patient2" in f]
    assert [r["path"] for r in _records(mixed, workers=1)] == got


def test_folder_inputs_expand_in_place(tmp_path, ct_folder):
    """A folder in a list of paths is found when read (no stat first) and walked in its place."""
    files = sorted(str(p) for p in ct_folder.rglob("*.dcm"))
    inputs = [files[0], ct_folder / "patient0", files[-1]]
    for workers in (1, 3):
        got = [r["path"] for r in ingest.read_many(inputs, tags=TAGS, workers=workers)]
        assert got == [files[0]] + [f for f in files if "patient0" in f] + [files[-1]]


def test_many_files_and_workers(tmp_path, ct_folder):
    """More files than a chunk, several thread counts: the same records in the same order."""
    files = list(ingest.iter_paths(ct_folder))
    inputs = files * 5
    base = [r for r in ingest.read_many(inputs, tags=TAGS, workers=1)]
    assert len(base) == 150
    # a folder given again (or inside one given before) is walked once
    assert len(list(ingest.read_many([ct_folder, ct_folder, ct_folder / "patient1"], tags=TAGS))) == 30
    for workers in (2, 4, None):
        assert list(ingest.read_many(inputs, tags=TAGS, workers=workers)) == base


def test_early_stop_of_the_generator(ct_folder):
    gen = ingest.read_many(list(ingest.iter_paths(ct_folder)) * 20, tags=TAGS, workers=3)
    first = [next(gen) for _ in range(5)]
    gen.close()
    assert len(first) == 5


def test_write_dicom_helper_is_valid(tmp_path):
    path = write_dicom(tmp_path / "x.dcm", [(0x00100010, "PN", b"A^B")])
    assert pydicom_values(path, ["PatientName"])["PatientName"] == "A^B"
