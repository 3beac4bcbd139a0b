"""``dcmfast index`` and ``dcmfast find``."""
from __future__ import annotations

import sqlite3

import pytest

from dcmfast import ingest
from dcmfast.cli import main
from dcmfast.cli.index import parse_tags

pytestmark = pytest.mark.filterwarnings("ignore")


def test_index_and_find(tmp_path, ct_folder, capsys):
    db = tmp_path / "idx.sqlite"
    assert main(["index", str(ct_folder), "--db", str(db), "--workers", "2", "--batch-size", "8"]) == 0
    err = capsys.readouterr().err
    assert "30 files: 30 read, 0 unchanged, 0 errors" in err and "files/s" in err
    assert main(["index", str(ct_folder / "**" / "*.dcm"), "--db", str(db), "-q"]) == 0
    assert "30 files: 0 read, 30 unchanged" in capsys.readouterr().err

    assert main(["find", "--db", str(db), "--modality", "CT"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split("\t")
    assert header[:4] == ["path", "PatientID", "PatientName", "StudyDate"]
    body = [line.split("\t") for line in lines[1:]]
    assert len(body) == 15 and all(len(row) == len(header) for row in body)
    assert all(row[header.index("Modality")] == "CT" for row in body)
    assert body == sorted(body)

    assert main(["find", "--db", str(db), "--patient-name", "doe*", "--study-date", "20200101-20200531",
                 "--columns", "path,PatientName,StudyDate", "--no-header"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert rows and all(r[1] == "Doe^John" and "20200101" <= r[2] <= "20200531" for r in rows)
    _names, expected = ingest.find(db, patient_name="doe*", study_date="20200101-20200531")
    assert len(rows) == len(expected)

    assert main(["find", "--db", str(db), "--patient-id", "PID2", "--limit", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_index_tags_and_errors(tmp_path, ct_folder, capsys):
    (ct_folder / "bad.dcm").write_bytes(b"\x00" * 10)
    db = tmp_path / "t.sqlite"
    assert main(["index", str(ct_folder), "--db", str(db), "--tags", "PatientID,Modality",
                 "--tags", "(0028,0030)"]) == 1  # a file failed
    assert "31 files: 31 read, 0 unchanged, 1 errors" in capsys.readouterr().err
    con = sqlite3.connect(db)
    cols = [r[1] for r in con.execute("PRAGMA table_info(instances)")]
    con.close()
    assert cols[-3:] == ["PatientID", "Modality", "PixelSpacing"]
    assert main(["find", "--db", str(db), "--errors"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "path\terror_type\terror" and out[1].startswith(str(ct_folder / "bad.dcm"))
    assert main(["find", "--db", str(db), "--patient-name", "x"]) == 2  # no such column
    assert "PatientName" in capsys.readouterr().err
    assert main(["index", str(ct_folder), "--db", str(db), "--tags", "NoSuchTag"]) == 2
    assert main(["find", "--db", str(tmp_path / "missing.sqlite")]) == 1
    assert parse_tags(["+SliceThickness"]) == list(ingest.DEFAULT_TAGS) + ["SliceThickness"]
    assert parse_tags(None) == list(ingest.DEFAULT_TAGS)
    assert parse_tags(["PatientID,(0028,0030)", "KVP"]) == ["PatientID", "(0028,0030)", "KVP"]
    with pytest.raises(ValueError, match="'KVP' has no '\\+'"):
        parse_tags(["+SliceThickness,KVP"])


def test_index_parquet(tmp_path, ct_folder, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "idx.parquet"
    assert main(["index", str(ct_folder), "--parquet", str(out), "--workers", "2"]) == 0
    assert "30 files: 30 read" in capsys.readouterr().err
    table = pq.read_table(out)
    assert table.num_rows == 30 and table.schema.equals(ingest.arrow_schema())

