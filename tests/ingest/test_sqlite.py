"""The SQLite index: schema, queries, incremental updates and resuming an interrupted run."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dcmfast import ingest

from .conftest import pydicom_values

pytestmark = pytest.mark.filterwarnings("ignore")

TAGS = list(ingest.DEFAULT_TAGS)


def dump(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT * FROM instances ORDER BY path").fetchall()
    finally:
        con.close()


def columns(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [row[1] for row in con.execute("PRAGMA table_info(instances)")]
    finally:
        con.close()


@pytest.fixture
def clean_db(tmp_path, ct_folder) -> Path:
    db = tmp_path / "clean.sqlite"
    stats = ingest.index_sqlite(ct_folder, db, workers=2)
    assert (stats.read, stats.skipped, stats.errors) == (30, 0, 0)
    return db


def test_schema_values_and_indexes(clean_db, ct_folder):
    assert columns(clean_db) == list(ingest.RECORD_FIELDS) + TAGS
    con = sqlite3.connect(clean_db)
    indexes = {row[1] for row in con.execute("PRAGMA index_list(instances)")}
    for name in ingest.INDEXED:
        assert f"idx_instances_{name}" in indexes
    plan = con.execute(
        "EXPLAIN QUERY PLAN SELECT path FROM instances WHERE PatientName LIKE ? ESCAPE '\\'", ("doe%",)
    ).fetchall()
    assert any("idx_instances_PatientName" in str(step) for step in plan)
    con.row_factory = sqlite3.Row
    rows = {r["path"]: r for r in con.execute("SELECT * FROM instances")}
    con.close()
    assert len(rows) == 30
    for path in ingest.iter_paths(ct_folder):
        row = rows[path]
        expected = pydicom_values(path, TAGS)
        for name in TAGS:
            value = expected[name]
            stored = row[name]
            if isinstance(value, list):
                stored = json.loads(stored)
            assert stored == value, (path, name)
        st = os.stat(path)
        assert (row["size"], row["mtime_ns"]) == (st.st_size, st.st_mtime_ns)
        assert row["transfer_syntax"] == expected["transfer_syntax"]


def test_queries(clean_db, ct_folder):
    expected = {p: pydicom_values(p, TAGS) for p in ingest.iter_paths(ct_folder)}

    def want(pred):
        return sorted(p for p, v in expected.items() if pred(v))

    names, rows = ingest.find(clean_db, patient_id="PID1")
    assert names[0] == "path" and [r[0] for r in rows] == want(lambda v: v["PatientID"] == "PID1")
    _, rows = ingest.find(clean_db, modality="CT")
    assert [r[0] for r in rows] == want(lambda v: v["Modality"] == "CT")
    _, rows = ingest.find(clean_db, patient_name="smith^*")  # wildcards, any case
    assert [r[0] for r in rows] == want(lambda v: v["PatientName"].lower().startswith("smith^"))
    _, rows = ingest.find(clean_db, patient_name="M?ller*")
    assert [r[0] for r in rows] == want(lambda v: v["PatientName"].startswith("Müller"))
    _, rows = ingest.find(clean_db, study_date="20200301-20200630", modality="MR")
    assert [r[0] for r in rows] == want(
        lambda v: "20200301" <= v["StudyDate"] <= "20200630" and v["Modality"] == "MR")
    _, rows = ingest.find(clean_db, study_date="-20200215")
    assert [r[0] for r in rows] == want(lambda v: v["StudyDate"] <= "20200215")
    _, rows = ingest.find(clean_db, study_date="20201115")
    assert [r[0] for r in rows] == want(lambda v: v["StudyDate"] == "20201115")
    names, rows = ingest.find(clean_db, patient_name="100%_*", columns=["path", "Rows"], limit=3)
    assert names == ["path", "Rows"] and rows == []
    _, rows = ingest.find(clean_db, modality="CT", limit=2)
    assert len(rows) == 2
    with pytest.raises(ValueError):
        ingest.find(clean_db, study_date="2020")
    with pytest.raises(FileNotFoundError):
        ingest.find(clean_db.with_name("none.sqlite"))


def test_rerun_skips_unchanged_and_updates_changed(tmp_path, clean_db, ct_folder):
    before = dump(clean_db)
    stats = ingest.index_sqlite(ct_folder, clean_db)
    assert (stats.read, stats.skipped) == (0, 30)
    assert dump(clean_db) == before
    # change one file (content and mtime), add one, remove one
    import pydicom

    changed = ct_folder / "patient0" / "series0" / "img000.dcm"
    ds = pydicom.dcmread(changed)
    ds.PatientID = "CHANGED"
    ds.save_as(changed, enforce_file_format=True)
    os.utime(changed, ns=(time.time_ns(), time.time_ns() + 10**9))
    added = ct_folder / "patient0" / "series0" / "new.dcm"
    ds.PatientID = "ADDED"
    ds.save_as(added, enforce_file_format=True)
    removed = ct_folder / "patient1" / "series1" / "img001.dcm"
    removed.unlink()
    stats = ingest.index_sqlite(ct_folder, clean_db)
    assert (stats.read, stats.skipped, stats.removed) == (2, 28, 0)
    assert ingest.find(clean_db, patient_id="CHANGED")[1][0][0] == str(changed)
    assert ingest.find(clean_db, patient_id="ADDED")[1][0][0] == str(added)
    assert len(dump(clean_db)) == 31  # the removed file's row stays without --prune
    stats = ingest.index_sqlite(ct_folder, clean_db, prune=True)
    assert (stats.read, stats.skipped, stats.removed) == (0, 30, 1)
    assert str(removed) not in [r[0] for r in dump(clean_db)]


def test_errors_are_rows(tmp_path, ct_folder):
    (ct_folder / "junk.txt").write_text("junk")
    db = tmp_path / "e.sqlite"
    stats = ingest.index_sqlite(ct_folder, db)
    assert (stats.read, stats.errors) == (31, 1)
    _names, rows = ingest.find(db, errors=True)
    assert rows == [(str(ct_folder / "junk.txt"), "InvalidDicomError", rows[0][2])]
    assert "DICM" in rows[0][2]
    assert len(ingest.find(db)[1]) == 30  # failed files are not instances
    stats = ingest.index_sqlite(ct_folder, db)  # unchanged, failed or not: skipped
    assert (stats.read, stats.skipped) == (0, 31)


def test_changing_tags_rereads_everything(tmp_path, clean_db, ct_folder):
    stats = ingest.index_sqlite(ct_folder, clean_db, tags=TAGS + ["SliceThickness", "PatientSex"])
    assert (stats.read, stats.skipped) == (30, 0)
    assert columns(clean_db)[-2:] == ["SliceThickness", "PatientSex"]
    stats = ingest.index_sqlite(ct_folder, clean_db, tags=TAGS + ["SliceThickness", "PatientSex"])
    assert (stats.read, stats.skipped) == (0, 30)


@pytest.mark.parametrize("stop_at", [1, 23, 30])
def test_resume_after_interruption(tmp_path, clean_db, ct_folder, stop_at):
    """Interrupted in the middle of a batch: committed batches stay; a re-run completes it."""
    db = tmp_path / "resumed.sqlite"
    with pytest.raises(KeyboardInterrupt):
        ingest.index_sqlite(ct_folder, db, batch_size=7, workers=2, _interrupt_after=stop_at)
    kept = dump(db)
    assert len(kept) == (stop_at - 1) // 7 * 7  # whole batches only
    stats = ingest.index_sqlite(ct_folder, db, batch_size=7, workers=2)
    assert (stats.read, stats.skipped) == (30 - len(kept), len(kept))
    assert dump(db) == dump(clean_db)


def test_resume_after_kill(tmp_path, ct_folder):
    """A run killed with SIGKILL mid-way, then run again: the same database as a clean run."""
    if sys.platform == "win32":
        pytest.skip("POSIX signals")
    for i in range(4):  # 150 files
        for src in list(ct_folder.glob("patient*/series*/img0*.dcm"))[:30]:
            (ct_folder / f"copy{i}").mkdir(exist_ok=True)
            (ct_folder / f"copy{i}" / f"{src.parent.parent.name}_{src.name}").write_bytes(src.read_bytes())
    clean = tmp_path / "clean.sqlite"
    ingest.index_sqlite(ct_folder, clean)
    db = tmp_path / "killed.sqlite"
    # a run slowed down by its progress callback, so that it is surely killed half-way
    script = textwrap.dedent(f"""
        import time
        from dcmfast import ingest
        ingest.index_sqlite({str(ct_folder)!r}, {str(db)!r}, batch_size=4, workers=1,
                            progress=lambda s: time.sleep(0.01), progress_interval=0)
    """)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(ingest.__file__).parents[1]), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 30
        count = 0
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
            if db.exists():
                try:
                    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
                    count = con.execute("SELECT count(*) FROM instances").fetchone()[0]
                    con.close()
                except sqlite3.Error:
                    continue
                if count >= 40:
                    break
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    partial = len(dump(db))
    assert 40 <= partial < 150
    stats = ingest.index_sqlite(ct_folder, db)
    assert stats.skipped == partial and stats.read == 150 - partial
    assert dump(db) == dump(clean)
