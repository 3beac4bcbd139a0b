"""``dcmfast index`` and ``dcmfast find``: paths and databases that are wrong, --force, --tags,
DICOM matching of dates and code strings, no -wal/-shm files left by find."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from dcmfast import ingest

from .conftest import data_file, one_error_line, run


def _columns(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[1] for r in con.execute("PRAGMA table_info(instances)")]
    finally:
        con.close()


def test_missing_path_fails_and_makes_no_database(tmp_path):
    db = tmp_path / "idx.sqlite"
    missing = tmp_path / "nowhere"
    proc = run("index", missing, "--db", db)
    assert proc.returncode == 1
    assert one_error_line(proc) == f"dcmfast: {missing}: No such file or directory"
    assert not db.exists()


def test_missing_path_among_others(tmp_path, mixed_folder):
    db = tmp_path / "idx.sqlite"
    missing = tmp_path / "nowhere"
    proc = run("index", mixed_folder / "ct.dcm", missing, "--db", db)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == f"dcmfast: {missing}: No such file or directory"
    assert "1 files: 1 read, 0 unchanged, 0 errors" in proc.stderr


def test_glob_matching_nothing(tmp_path):
    proc = run("index", str(tmp_path / "*.dcm"), "--db", tmp_path / "idx.sqlite")
    assert proc.returncode == 1
    assert f"dcmfast: no files found in {tmp_path / '*.dcm'}" in proc.stderr.splitlines()


def test_db_that_is_not_sqlite(tmp_path, mixed_folder):
    not_db = mixed_folder / "README.txt"
    before = not_db.read_bytes()
    proc = run("index", mixed_folder / "ct.dcm", "--db", not_db)
    assert proc.returncode == 1
    assert one_error_line(proc) == f"dcmfast: {not_db}: not an SQLite database"
    assert not_db.read_bytes() == before
    found = run("find", "--db", not_db)
    assert found.returncode == 1
    assert one_error_line(found) == f"dcmfast: {not_db}: not an SQLite database"


def test_errors_fail_and_force_reads_them(tmp_path, mixed_folder):
    no_meta = mixed_folder / "no_meta.dcm"  # a dataset without the preamble and 'DICM'
    shutil.copy(data_file("rtstruct.dcm"), no_meta)
    db = tmp_path / "idx.sqlite"
    proc = run("index", mixed_folder, "--db", db)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        f"dcmfast: 3 files could not be read: 'dcmfast find --db {db} --errors' lists them")
    errors = run("find", "--db", db, "--errors", "--columns", "path,error")
    assert errors.returncode == 0
    lines = errors.stdout.splitlines()
    assert lines[0] == "path\terror"
    assert len(lines) == 4
    # the library's message names force=True; the command line names its option
    assert "force=True" not in errors.stdout
    assert all(line.endswith("'dcmfast index --force' reads it anyway.") for line in lines[1:])

    # --force reads again the files that failed (unchanged files are otherwise skipped)
    forced = run("index", mixed_folder, "--db", db, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "5 files: 3 read, 2 unchanged, 0 errors" in forced.stderr
    rows = run("find", "--db", db, "--columns", "path,PatientName", "--no-header").stdout.splitlines()
    assert f"{no_meta}\tTest^Phantom30sep" in rows


@pytest.mark.parametrize("spec", ["+SliceThickness,KVP", "SliceThickness,+KVP"])
def test_tags_mixing_added_and_bare_is_refused(tmp_path, mixed_folder, spec):
    db = tmp_path / "idx.sqlite"
    proc = run("index", mixed_folder, "--db", db, "--tags", spec)
    assert proc.returncode == 2
    bare = "KVP" if spec.endswith("KVP") and not spec.endswith("+KVP") else "SliceThickness"
    assert one_error_line(proc) == (
        f"dcmfast: --tags: '{bare}' has no '+' but other tags do: start every tag with '+' to add them "
        "to the defaults, or none to replace the defaults")
    assert not db.exists()


def test_tags_add_or_replace(tmp_path, mixed_folder):
    added = tmp_path / "added.sqlite"
    proc = run("index", mixed_folder, "--db", added, "--tags", "+SliceThickness,+KVP")
    assert proc.returncode == 1  # the two files that are not DICOM
    names = _columns(added)
    assert names[len(ingest.RECORD_FIELDS):] == [*ingest.DEFAULT_TAGS, "SliceThickness", "KVP"]

    replaced = tmp_path / "replaced.sqlite"
    proc = run("index", mixed_folder, "--db", replaced, "--tags", "PatientID,(0028,0030)", "--tags", "KVP")
    assert proc.returncode == 1
    assert _columns(replaced)[len(ingest.RECORD_FIELDS):] == ["PatientID", "PixelSpacing", "KVP"]


def test_unknown_tag_is_a_usage_error(tmp_path, mixed_folder):
    proc = run("index", mixed_folder, "--db", tmp_path / "idx.sqlite", "--tags", "+SliceThickness,+NoSuchTag")
    assert proc.returncode == 2
    assert one_error_line(proc) == (
        "dcmfast: --tags: unknown tag 'NoSuchTag': give a keyword, (gggg,eeee) or ggggeeee")


@pytest.mark.parametrize("option", ["--workers", "--batch-size"])
def test_counts_must_be_positive(tmp_path, mixed_folder, option):
    proc = run("index", mixed_folder, "--db", tmp_path / "idx.sqlite", option, "0")
    assert proc.returncode == 2
    assert one_error_line(proc) == (
        f"dcmfast index: argument {option}: must be at least 1, not 0 (see 'dcmfast index --help')")


@pytest.fixture
def dated_db(tmp_path, mixed_folder):
    """An index of three CT files: StudyDate 20040119, 19991231 and empty; Modality CT."""
    pydicom = pytest.importorskip("pydicom")
    for name, date in (("old.dcm", "19991231"), ("undated.dcm", "")):
        ds = pydicom.dcmread(mixed_folder / "ct.dcm")
        ds.StudyDate = date
        ds.save_as(mixed_folder / name)
    db = tmp_path / "dated.sqlite"
    proc = run("index", mixed_folder, "--db", db, "--workers", "1")
    assert proc.returncode == 1  # README.txt and meta.json
    return db


def _paths(proc) -> list[str]:
    assert proc.returncode == 0, proc.stderr
    return [Path(line.split("\t")[0]).name for line in proc.stdout.splitlines()]


def _dates(proc) -> dict[str, str]:
    assert proc.returncode == 0, proc.stderr
    return {Path(line.split("\t")[0]).name: line.split("\t")[1] for line in proc.stdout.splitlines()}


def test_find_dates(dated_db):
    base = ["find", "--db", dated_db, "--no-header", "--columns", "path,StudyDate"]
    everything = _dates(run(*base))
    assert everything["undated.dcm"] == "" and everything["old.dcm"] == "19991231"
    assert everything["ct.dcm"] == "20040119"
    for spec, first, last in (("-19991231", "", "19991231"), ("20000101-", "20000101", "99999999"),
                              ("19990101-20041231", "19990101", "20041231"),
                              ("19991231", "19991231", "19991231")):
        expected = {name: date for name, date in everything.items() if date and first <= date <= last}
        assert _dates(run(*base, "--study-date", spec)) == expected, spec
    # an empty date is in no range, open-ended or not
    assert _dates(run(*base, "--study-date", "-19991231")) == {"old.dcm": "19991231"}


@pytest.mark.parametrize("value", ["2020", "2020-01-01", "-", "20200101-2021"])
def test_find_bad_date_is_a_usage_error(dated_db, value):
    proc = run("find", "--db", dated_db, f"--study-date={value}")
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert line.startswith(f"dcmfast find: argument --study-date: not a date range: {value!r}")


def test_find_modality_is_upper_cased(dated_db):
    base = ["find", "--db", dated_db, "--no-header", "--columns", "path"]
    upper = _paths(run(*base, "--modality", "CT"))
    assert upper == ["ct.dcm", "old.dcm", "undated.dcm"]
    assert _paths(run(*base, "--modality", "ct")) == upper
    assert _paths(run(*base, "--modality", "mr")) == ["mr.dcm"]


def test_find_leaves_no_wal_files(dated_db):
    folder = dated_db.parent
    before = sorted(p.name for p in folder.iterdir())
    assert not any(name.endswith(("-wal", "-shm")) for name in before)
    proc = run("find", "--db", dated_db, "--modality", "CT")
    assert proc.returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == before


def test_find_missing_database(tmp_path):
    db = tmp_path / "none.sqlite"
    proc = run("find", "--db", db)
    assert proc.returncode == 1
    assert one_error_line(proc) == (
        f"dcmfast: {db}: No such file or directory (make one with 'dcmfast index PATH --db {db}')")
    assert not db.exists()
