"""``dcmfast summary``: what it read in one line first, files that are not DICOM, bad options."""
from __future__ import annotations

import re

from .conftest import one_error_line, run, run_closed_stdout

NOT_DICOM = "not a DICOM file (no 'DICM' at byte 128); use --force to read it anyway"


def test_summary_line_first_and_non_dicom_files_counted_apart(mixed_folder):
    proc = run("summary", "--repeat", "1", mixed_folder)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 1  # no table without --verbose
    assert lines[0].startswith(
        f"{mixed_folder}: 4 files, 2 read, 2 without a DICOM header, 0 rejected; "
        "identical to pydicom (str(ds)): 2 of 2; read + every value: dcmfast "
    )


def test_verbose_table(mixed_folder):
    proc = run("summary", "--repeat", "1", "--verbose", mixed_folder)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"{mixed_folder}: 4 files, 2 read,")
    assert lines[1].split() == ["file", "syntax", "elements", "dcmfast", "pydicom", "same"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {"README.txt", "ct.dcm", "meta.json", "sub/mr.dcm"}
    assert rows["README.txt"].split(None, 1)[1] == f"not DICOM: {NOT_DICOM}"
    assert rows["ct.dcm"].endswith("  yes") and " Explicit VR Little Endian " in rows["ct.dcm"]


def test_force_reads_the_files_without_header(mixed_folder):
    proc = run("summary", "--repeat", "1", "--force", "--no-check", mixed_folder)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{mixed_folder}: 4 files, 4 read, 0 without a DICOM header, 0 rejected;")


def test_default_says_what_it_read():
    proc = run("summary", "--repeat", "1", "--no-check", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert re.match(r"pydicom's test files \(.*test_files\): \d+ files, \d+ read, [1-9]\d* without a "
                    r"DICOM header, 0 rejected; read \+ every value: dcmfast [\d.]+ ms$", first), first


def test_missing_path(tmp_path):
    missing = tmp_path / "nowhere"
    proc = run("summary", missing)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert one_error_line(proc) == f"dcmfast: {missing}: No such file or directory"


def test_named_bad_files_fail(bad_files, ct_small):
    proc = run("summary", "--repeat", "1", "--no-check", ct_small, bad_files["text"], bad_files["empty"],
               bad_files["truncated"])
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        f"dcmfast: {bad_files['text']}: {NOT_DICOM}",
        f"dcmfast: {bad_files['empty']}: empty file",
        f"dcmfast: {bad_files['truncated']}: Unable to read the sequence: truncated sequence item header "
        "[at tag (0010,1002), byte offset 994 (0x3E2)]",
    ]
    assert ": 4 files, 1 read, 2 without a DICOM header, 1 rejected;" in proc.stdout


def test_repeat_must_be_positive(ct_small):
    for value in ("0", "-3", "x"):
        proc = run("summary", "--repeat", value, ct_small)
        assert proc.returncode == 2
        line = one_error_line(proc)
        assert line.startswith("dcmfast summary: argument --repeat: ")
        assert line.endswith("(see 'dcmfast summary --help')")


def test_no_check_prints_no_nan(mixed_folder):
    proc = run("summary", "--repeat", "1", "--no-check", "--verbose", mixed_folder)
    assert proc.returncode == 0, proc.stderr
    assert not re.search(r"\bnan\b", proc.stdout, re.IGNORECASE)
    assert "pydicom" not in proc.stdout  # no column of times not taken
    assert proc.stdout.splitlines()[1].split() == ["file", "syntax", "elements", "dcmfast"]


def test_closed_pipe_is_quiet(mixed_folder):
    # `dcmfast summary | head -2`
    proc = run_closed_stdout("summary", "--repeat", "1", "--verbose", mixed_folder)
    assert proc.stderr == ""
    assert proc.returncode == 0
