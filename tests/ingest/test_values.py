"""read_many's values equal pydicom's for the same files and tags (after plain_value)."""
from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

from dcmfast import ingest
from dcmfast._core import ingest as cingest

from .conftest import (
    DEFLATED,
    EXPLICIT_BE,
    EXPLICIT_LE,
    IMPLICIT_LE,
    WIDE_TAGS,
    assert_record_matches,
    make_dicom,
    pydicom_values,
    same,
    tag_of,
    write_dicom,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus import CORPUS, file_id

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def corpus_records() -> list[dict]:
    return list(ingest.read_many(CORPUS, tags=WIDE_TAGS, workers=2))


def test_corpus_against_pydicom(corpus_records):
    """Every corpus file: the same values as pydicom, or an error record where pydicom fails."""
    assert [r["path"] for r in corpus_records] == [str(p) for p in CORPUS]
    failures = []
    for path, record in zip(CORPUS, corpus_records, strict=False):
        try:
            expected = pydicom_values(path, WIDE_TAGS)
        except Exception as exc:  # noqa: BLE001
            if record["error_type"] is None:
                failures.append(f"{file_id(path)}: pydicom fails ({type(exc).__name__}), dcmfast does not")
            continue
        if record["error_type"] is not None:
            failures.append(f"{file_id(path)}: {record['error_type']}: {record['error']}")
            continue
        diffs = {k: (record[k], v) for k, v in expected.items() if not same(record[k], v)}
        if diffs:
            failures.append(f"{file_id(path)}: {diffs}")
    assert not failures, "\n".join(failures)


def test_compiled_path_equals_facade():
    """The compiled extraction gives the facade's values (dcmread + plain_value) for every file."""
    reader = ingest._Reader(WIDE_TAGS)
    rows, _others = reader.extractor.read_rows([str(p) for p in CORPUS])
    n_fast = 0
    for path, row in zip(CORPUS, rows, strict=False):
        if row is None:
            continue
        n_fast += 1
        facade = reader._facade(str(path), row[1], row[2])
        assert facade[4] is None, (file_id(path), facade[5])
        diffs = {n: (a, b) for n, a, b in zip(reader.names, row, facade, strict=False) if not same(a, b)}
        assert not diffs, f"{file_id(path)}: (compiled, facade) differ: {diffs}"
    # the compiled path handles most of the corpus (the rest: no meta, deflate, ISO 2022 ...)
    assert n_fast >= 0.8 * len(CORPUS)


def test_threads_equal_serial(corpus_records):
    serial = list(ingest.read_many(CORPUS, tags=WIDE_TAGS, workers=1))
    assert len(serial) == len(corpus_records)
    for a, b in zip(serial, corpus_records, strict=False):
        assert same(a, b)


def test_record_fields(ct_small):
    (record,) = ingest.read_many([ct_small])
    assert list(record) == list(ingest.RECORD_FIELDS) + list(ingest.DEFAULT_TAGS)
    st = ct_small.stat()
    assert (record["size"], record["mtime_ns"]) == (st.st_size, st.st_mtime_ns)
    assert record["transfer_syntax"] == "1.2.840.10008.1.2.1"
    assert_record_matches(record, pydicom_values(ct_small, list(ingest.DEFAULT_TAGS)))
    assert isinstance(record["PatientName"], str)
    assert isinstance(record["InstanceNumber"], int)
    assert isinstance(record["PixelSpacing"], list) and all(type(v) is float for v in record["PixelSpacing"])


def test_tag_specs(ct_small):
    specs = ["PatientID", 0x00100010, (0x0008, 0x0060), "(0008,0020)", "00280010", "0x00280011"]
    (record,) = ingest.read_many(ct_small, tags=specs)
    assert [c.name for c in ingest.resolve_tags(specs)] == [
        "PatientID", "PatientName", "Modality", "StudyDate", "Rows", "Columns"]
    assert record["Rows"] == 128
    with pytest.raises(ValueError):
        ingest.resolve_tags(["NotAKeyword"])
    with pytest.raises(ValueError):
        ingest.resolve_tags(["ReferencedImageSequence"])  # a sequence


# -- hand-made files: every VR and the edge cases of the converters ----------------------

# (keyword, VR, raw value) - values with the padding, spaces, NULs and separators
# that the converters have to treat exactly as pydicom does
EDGE_VALUES = [
    ("PatientName", "PN", [b"Doe^John", b"Doe^John=", b"Yamada^Tarou==", b"A^B\\C^D ", b"", b"  ",
                           b"=Ideo", b"Doe^John\x00"]),
    ("PatientID", "LO", [b" 12 \x00", b"a\\b ", b"\x00\x00", b"x\\", b"tab\there"]),
    ("StudyDate", "DA", [b"20200101", b"20200101\\20200102", b"2020 ", b" 2020"]),
    ("Modality", "CS", [b"CT ", b"CT\\MR", b"\\", b" CT"]),
    ("SOPInstanceUID", "UI", [b"1.2.3\x00", b" 1.2.3 \x00", b"1.2\\3.4", b"1.2.3 \x00 "]),
    ("SliceThickness", "DS", [b"1.5", b" 1.5 ", b"1e3", b"+1.5", b"-0", b".5", b"1.", b"  ", b"1_0",
                              b"nan", b"inf", b"-Infinity", b"1.5\x00", b"01.250", b"1E-2",
                              b"123456789012345678901234567890123456789012345"]),
    ("ImagePositionPatient", "DS", [b"1\\2\\3 ", b"1\\\\3", b"\\1\\2", b" 1 \\ 2 \\ 3 ", b"1\\2\\3\x00"]),
    ("InstanceNumber", "IS", [b"12", b" 12 ", b"+7", b"-3", b"", b"  ", b"007", b"1.0", b"1.5",
                              b"123456789012345678", b"999999999999999", b"9007199254740993",
                              b"1_000", b"12\x00"]),
    ("ReferencedFrameNumber", "IS", [b"1\\2\\3", b"1\\ \\3", b"4\\"]),
    ("Rows", "US", [struct.pack("<H", 512), struct.pack("<HH", 1, 2), b"\x01\x02\x03"]),
    ("PatientWeight", "DS", [b"70.5"]),
    ("FrameIncrementPointer", "AT", [struct.pack("<HH", 0x0018, 0x1063), struct.pack("<HHHH", 8, 0x22, 8, 0x32)]),  # noqa: E501
    ("RetrieveAETitle", "AE", [b" AE1 ", b"A\\ B ", b"AE\x00\x00"]),
    ("PatientComments", "LT", [b"line one\r\nline two \\ not split  ", b"trailing\x00 \x00"]),
    ("ImageComments", "LT", [b"x", b" lead", b""]),
    ("LossyImageCompressionRatio", "DS", [b"10\\20.5"]),
    ("StudyTime", "TM", [b"101010.123 ", b"1010"]),
    ("AcquisitionDateTime", "DT", [b"20200101101010.5+0100"]),
    ("RescaleSlope", "DS", [b"1", b"abc"]),
    ("SamplesPerPixel", "US", [struct.pack("<H", 1), b""]),
    ("ImagerPixelSpacing", "DS", [b"1\\1", b""]),
    ("StationName", "SH", [b"\xe9t\xe9 \x00"]),
]


def _edge_files(tmp_path: Path, ts: str) -> list[tuple[Path, list[str]]]:
    """One file per value variant, each also holding the first variant of the others."""
    files = []
    base = {kw: (vr, values[0]) for kw, vr, values in EDGE_VALUES}
    k = 0
    for kw, vr, values in EDGE_VALUES:
        for raw in values[1:] if kw in base and len(values) > 1 else values:
            elements = {tag_of(name): (v, r) for name, (v, r) in base.items()}
            elements[tag_of(kw)] = (vr, raw)
            if ts == EXPLICIT_BE:
                elements = {t: (v, _swap(v, r)) for t, (v, r) in elements.items()}
            path = tmp_path / f"edge_{k:03d}.dcm"
            k += 1
            write_dicom(path, [(t, v, r) for t, (v, r) in elements.items()], ts=ts)
            files.append(path)
    return [(f, [kw for kw, _vr, _v in EDGE_VALUES]) for f in files]


def _swap(vr: str, raw: bytes) -> bytes:
    size = {"US": 2, "SS": 2, "UL": 4, "SL": 4, "FL": 4, "FD": 8, "AT": 2}.get(vr)
    if size is None or len(raw) % size:
        return raw
    return b"".join(raw[i : i + size][::-1] for i in range(0, len(raw), size))


@pytest.mark.parametrize("ts", [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE], ids=["explicit", "implicit", "bigendian"])  # noqa: E501
def test_edge_values_against_pydicom(tmp_path, ts):
    files = _edge_files(tmp_path, ts)
    tags = files[0][1] + ["SpecificCharacterSet"]
    records = list(ingest.read_many([f for f, _ in files], tags=tags, workers=2))
    for (path, _), record in zip(files, records, strict=False):
        assert_record_matches(record, pydicom_values(path, tags))
    # most variants are converted by the compiled path (the rest: the facade)
    rows, _others = ingest._Reader(tags).extractor.read_rows([str(f) for f, _ in files])
    assert sum(r is not None for r in rows) >= 0.75 * len(files)


def test_ambiguous_vr(tmp_path):
    """An ambiguous dictionary VR (US or SS) in implicit VR: resolved by the facade."""
    elements = [(0x00280103, "US", struct.pack("<H", 1)), (0x00409211, "SS", struct.pack("<h", -5)),
                (0x00280106, "SS", struct.pack("<h", -7)), (0x00100010, "PN", b"Doe^John")]
    tags = ["RealWorldValueLastValueMapped", "SmallestImagePixelValue", "PixelRepresentation", "PatientName"]
    for ts in (IMPLICIT_LE, EXPLICIT_LE):
        path = write_dicom(tmp_path / f"ambiguous{ts}.dcm", elements, ts=ts)
        (record,) = ingest.read_many(path, tags=tags)
        assert_record_matches(record, pydicom_values(path, tags))
        assert record["SmallestImagePixelValue"] == -7


def test_huge_is_through_facade(tmp_path):
    # the ambiguous tag sends the file through the facade
    elements = [(0x00280106, "US", struct.pack("<H", 1)), (0x00200013, "IS", b"123456789012345678")]
    path = write_dicom(tmp_path / "huge_is.dcm", elements, ts=IMPLICIT_LE)
    tags = ["SmallestImagePixelValue", "InstanceNumber"]
    (record,) = ingest.read_many(path, tags=tags)
    assert_record_matches(record, pydicom_values(path, tags))


CHARSET_CASES = [
    (b"ISO_IR 100", "Müller^Jürgen".encode("latin-1")),
    (b"ISO_IR 192", "Müller^Jürgen=山田^太郎".encode()),
    (b"ISO_IR 192", b"bad \xff\xfe utf-8"),
    (b"ISO_IR 144", "Иванов^Иван".encode("iso8859_5")),
    (b"ISO_IR 101", "Dvořák^Antonín".encode("iso8859_2")),
    (b"ISO_IR 6", b"Plain^Ascii"),
    (b"", b"No^Charset"),
    (b"ISO 2022 IR 100", "Müller".encode("latin-1")),
    (b"\\ISO 2022 IR 87", b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B"),
    (b"ISO_IR 13", "ﾔﾏﾀﾞ^ﾀﾛｳ".encode("shift_jis")),
    (b"GB18030", "王^小东".encode("gb18030")),
    (b"ISO_IR 999", b"Unknown^Charset"),
]


@pytest.mark.parametrize("charset,name", CHARSET_CASES, ids=[c[0].decode() or "none" for c in CHARSET_CASES])
def test_character_sets_against_pydicom(tmp_path, charset, name):
    elements = [(0x00080005, "CS", charset), (0x00100010, "PN", name), (0x00100020, "LO", name.split(b"^")[0]),  # noqa: E501
                (0x00081030, "LO", name + b"\\" + name), (0x00204000, "LT", name)]
    path = write_dicom(tmp_path / "cs.dcm", elements)
    tags = ["SpecificCharacterSet", "PatientName", "PatientID", "StudyDescription", "ImageComments"]
    (record,) = ingest.read_many(path, tags=tags)
    assert_record_matches(record, pydicom_values(path, tags))


def test_un_and_private_and_meta_tags(tmp_path):
    elements = [
        (0x00090010, "LO", b"ACME 1.0"),
        (0x00091001, "LO", b"private value"),
        (0x00091002, "UN", b"\x01\x02\x03\x04"),
        (0x0008103E, "UN", b"Series as UN "),  # a public tag stored as UN: its dictionary VR
        (0x00280010, "UN", struct.pack("<H", 64)),
        (0x00100010, "PN", b"Doe^Jane"),
    ]
    path = write_dicom(tmp_path / "un.dcm", elements)
    tags = ["SeriesDescription", "Rows", "PatientName", 0x00090010, 0x00091001, 0x00091002,
            "TransferSyntaxUID", "MediaStorageSOPInstanceUID"]
    (record,) = ingest.read_many(path, tags=tags)
    assert_record_matches(record, pydicom_values(path, tags))
    assert record["SeriesDescription"] == "Series as UN"
    # the same in implicit VR (private tags then go through the facade)
    path = write_dicom(tmp_path / "un_implicit.dcm", [e for e in elements if e[1] != "UN"], ts=IMPLICIT_LE)
    (record,) = ingest.read_many(path, tags=tags)
    assert_record_matches(record, pydicom_values(path, tags))


@pytest.mark.parametrize("ts", [EXPLICIT_LE, IMPLICIT_LE])
def test_prefix_boundaries(tmp_path, ts):
    """Headers ending around the first read's size (8 KiB) and far beyond it."""
    paths = []
    for pad in list(range(7800, 8300, 37)) + [8190 - 250, 20000, 200_000]:
        elements = [
            (0x00080060, "CS", b"CT"),
            (0x00100010, "PN", b"Before^Pad"),
            (0x00180015, "CS", b"HEAD"),
            (0x00189004, "CS", b"RESEARCH"),
            (0x00191001, "OB", b"\x00" * pad),  # private bulk before the tags asked for
            (0x00200013, "IS", b"5"),
            (0x00280030, "DS", b"0.5\\0.5"),
            (0x7FE00010, "OB", b"\x01" * 64),
        ]
        paths.append(write_dicom(tmp_path / f"pad{pad}.dcm", elements, ts=ts))
    tags = ["Modality", "PatientName", "InstanceNumber", "PixelSpacing", "BodyPartExamined"]
    for path, record in zip(paths, ingest.read_many(paths, tags=tags), strict=False):
        assert_record_matches(record, pydicom_values(path, tags))


def test_undefined_length_sequence_before_tags(tmp_path):
    item = b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + b"\x08\x00\x50\x11UI\x04\x001.2\x00" + b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"  # noqa: E501
    seq = b"\x08\x00\x40\x11SQ\x00\x00\xff\xff\xff\xff" + item * 600 + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    head = make_dicom([(0x00080060, "CS", b"MR")])
    tail = make_dicom([(0x00100010, "PN", b"After^Sequence"), (0x00200013, "IS", b"3")])
    body_start = len(make_dicom([]))
    path = tmp_path / "seq.dcm"
    path.write_bytes(head + seq + tail[body_start:])
    tags = ["Modality", "PatientName", "InstanceNumber"]
    (record,) = ingest.read_many(path, tags=tags)
    assert_record_matches(record, pydicom_values(path, tags))
    assert record["PatientName"] == "After^Sequence"


def test_transfer_syntaxes(tmp_path, ct_small):
    """Deflated, missing transfer syntax and implicit/explicit mismatches: through the facade."""
    elements = [(0x00080060, "CS", b"CT"), (0x00100010, "PN", b"Doe^John")]
    cases = {
        "no_ts.dcm": make_dicom(elements, ts=None),
        "implicit_declared_explicit.dcm": make_dicom(elements, ts=IMPLICIT_LE)
        .replace(IMPLICIT_LE.encode() + b"\x00", EXPLICIT_LE.encode()),
    }
    import pydicom

    ds = pydicom.dcmread(ct_small)
    ds.file_meta.TransferSyntaxUID = DEFLATED
    ds.save_as(tmp_path / "deflated.dcm", enforce_file_format=True)
    paths = [tmp_path / "deflated.dcm"]
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    tags = ["Modality", "PatientName", "Rows", "PixelSpacing"]
    for path, record in zip(paths, ingest.read_many(paths, tags=tags), strict=False):
        try:
            expected = pydicom_values(path, tags)
        except Exception:  # noqa: BLE001
            assert record["error_type"] is not None
            continue
        assert_record_matches(record, expected)


def test_extract_from_memory(ct_small):
    """The in-memory entry point (used where POSIX fd I/O is missing) agrees with read_rows."""
    reader = ingest._Reader(WIDE_TAGS)
    status, ts, values = reader.extractor.extract(ct_small.read_bytes())
    assert status == cingest.STATUS_OK
    rows, others = reader.extractor.read_rows([str(ct_small)])
    assert not others
    assert same(rows[0][6:], values) and rows[0][3] == ts
    rows_py, others_py = reader._read_python([str(ct_small)])
    assert same(rows_py[0], rows[0]) and not others_py


def test_plain_value():
    import pydicom
    from pydicom.multival import MultiValue
    from pydicom.valuerep import IS, DSfloat, PersonName

    assert ingest.plain_value(PersonName("Doe^John")) == "Doe^John"
    assert type(ingest.plain_value(DSfloat("1.5"))) is float
    assert type(ingest.plain_value(IS("3"))) is int
    assert ingest.plain_value(MultiValue(DSfloat, ["1", "2"])) == [1.0, 2.0]
    assert ingest.plain_value("", "DS") is None
    assert ingest.plain_value(pydicom.uid.UID("1.2")) == "1.2"
    assert type(ingest.plain_value(pydicom.uid.UID("1.2"))) is str
    assert ingest.plain_value(b"\x00") == b"\x00"
    assert ingest.plain_value(None) is None


def test_small_inputs_and_folders_same_with_threads(tmp_path, ct_small, monkeypatch):
    """One chunk of files is read without the pool; a folder among the inputs is
    still walked in parallel; every shape gives the serial records, in order."""
    import shutil

    lanes = []
    shared_pool = ingest.pipeline._shared_pool

    def counting_pool(threads):
        lanes.append(threads)
        return shared_pool(threads)

    monkeypatch.setattr(ingest.pipeline, "_shared_pool", counting_pool)
    folder = tmp_path / "folder"
    folder.mkdir()
    for k in range(150):  # more than one chunk inside the folder
        shutil.copy(ct_small, folder / f"f{k:03d}.dcm")
    few = [str(folder / f"f{k:03d}.dcm") for k in range(5)]
    for inputs, count, pooled in ((few, 5, False), ([str(folder)], 150, True),
                                  (few + [str(folder)], 155, True)):
        serial = list(ingest.read_many(inputs, workers=1))
        assert len(serial) == count and all(r["error_type"] is None for r in serial)
        lanes.clear()
        threaded = list(ingest.read_many(inputs, workers=2))
        assert bool(lanes) == pooled
        assert threaded == serial
