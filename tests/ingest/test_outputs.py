"""Arrow tables and Parquet files of records."""
from __future__ import annotations

import pytest

from dcmfast import ingest

from .conftest import pydicom_values, write_dicom

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = pytest.mark.filterwarnings("ignore")

TAGS = list(ingest.DEFAULT_TAGS) + ["SliceThickness", "ImageType", "FrameIncrementPointer",
                                    "PixelRepresentation", 0x00091001, "RedPaletteColorLookupTableData"]


def test_schema_types():
    schema = ingest.arrow_schema(TAGS)
    assert schema.field("PatientName").type == pa.string()
    assert schema.field("InstanceNumber").type == pa.int64()
    assert schema.field("SliceThickness").type == pa.float64()
    assert schema.field("PixelSpacing").type == pa.list_(pa.float64())
    assert schema.field("ImageType").type == pa.list_(pa.string())
    assert schema.field("Rows").type == pa.int64()
    assert schema.field("x00091001").type == pa.string()  # private: JSON text
    assert schema.field("RedPaletteColorLookupTableData").type == pa.binary()
    assert schema.names[:6] == list(ingest.RECORD_FIELDS)


def test_table_and_parquet(tmp_path, ct_folder):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"nope")
    odd = write_dicom(tmp_path / "odd.dcm", [
        (0x00080060, "CS", b"CT\\MR"),          # two values where the dictionary allows one
        (0x00090010, "LO", b"ACME"),
        (0x00091001, "LO", b"private"),
        (0x00200013, "IS", b""),                # present, empty
        (0x00280030, "DS", b"0.5"),             # one value in a list column
        (0x00080008, "CS", b""),                # empty multi-valued string
    ])
    inputs = [ct_folder, bad, odd]
    records = list(ingest.read_many(inputs, tags=TAGS))
    table = ingest.read_table(inputs, tags=TAGS, workers=2)
    assert table.schema.equals(ingest.arrow_schema(TAGS))
    assert table.num_rows == len(records) == 32
    assert table.equals(ingest.records_to_table(records, tags=TAGS))
    rows = table.to_pylist()
    for record, row in zip(records, rows, strict=False):
        assert row["path"] == record["path"]
        if record["error_type"]:
            assert row["error_type"] == record["error_type"] and row["PatientID"] is None
            continue
        assert row["PatientName"] == record["PatientName"]
        assert row["PixelSpacing"] == (record["PixelSpacing"] if isinstance(record["PixelSpacing"], list)
                                       else [record["PixelSpacing"]])
    odd_row = rows[-1]
    assert odd_row["Modality"] == "CT\\MR"
    assert odd_row["x00091001"] == '"private"'
    assert odd_row["InstanceNumber"] is None
    assert odd_row["PixelSpacing"] == [0.5]
    assert odd_row["ImageType"] == []
    ct_row = rows[0]
    expected = pydicom_values(ct_row["path"], ["ImagePositionPatient", "ImageType"])
    assert ct_row["ImagePositionPatient"] == expected["ImagePositionPatient"]
    assert ct_row["ImageType"] == expected["ImageType"]

    out = tmp_path / "out.parquet"
    stats = ingest.write_parquet(inputs, out, tags=TAGS, batch_size=10)
    assert (stats.read, stats.errors) == (32, 1)
    read_back = pq.read_table(out)
    assert read_back.equals(table)
    assert pq.ParquetFile(out).metadata.num_row_groups == 4
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.parquet")]  # no temporary


def test_empty_input(tmp_path):
    table = ingest.read_table([], tags=["PatientID"])
    assert table.num_rows == 0 and table.schema.equals(ingest.arrow_schema(["PatientID"]))
