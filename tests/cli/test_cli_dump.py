"""``dcmfast dump``: bad inputs are one line each, several files, stdin, closed pipes."""
from __future__ import annotations

import pytest

from .conftest import data_file, one_error_line, run, run_closed_stdout

NOT_DICOM = "not a DICOM file (no 'DICM' at byte 128); use --force to read it anyway"
REASONS = {
    "missing": "No such file or directory",
    "folder": "Is a directory",
    "png": NOT_DICOM,
    "text": NOT_DICOM,
    "empty": "empty file",
    "truncated": "Unable to read the sequence: truncated sequence item header "
                 "[at tag (0010,1002), byte offset 994 (0x3E2)]",
}


@pytest.mark.parametrize("kind", sorted(REASONS))
def test_bad_input_is_one_line(bad_files, kind):
    path = bad_files[kind]
    proc = run("dump", path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert one_error_line(proc) == f"dcmfast: {path}: {REASONS[kind]}"
    assert "force=True" not in proc.stderr


def test_bad_files_among_good_ones(bad_files, ct_small):
    paths = [ct_small, bad_files["missing"], bad_files["text"], ct_small]
    proc = run("dump", *paths)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"dcmfast: {bad_files['missing']}: No such file or directory",
        f"dcmfast: {bad_files['text']}: {NOT_DICOM}",
    ]
    # the good files are printed all the same, each after its header line
    assert proc.stdout.count(f"==> {ct_small} <==\n") == 2


def test_several_files_are_separated_by_a_header(ct_small):
    mr = data_file("MR_small.dcm")
    one = run("dump", ct_small).stdout
    other = run("dump", mr).stdout
    assert not one.startswith("==>")  # one file: no header, as head does
    both = run("dump", ct_small, mr)
    assert both.returncode == 0 and both.stderr == ""
    assert both.stdout == f"==> {ct_small} <==\n{one}\n==> {mr} <==\n{other}"


def test_stdin(ct_small):
    expected = run("dump", ct_small).stdout
    proc = run("dump", "-", stdin=ct_small.read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected
    assert "(0010,0010) Patient's Name" in proc.stdout
    empty = run("dump", "-", stdin=b"")
    assert empty.returncode == 1
    assert one_error_line(empty) == "dcmfast: standard input: empty file"


def test_force_reads_a_dataset_without_header(tmp_path):
    no_meta = data_file("rtstruct.dcm")  # no preamble, no 'DICM', no File Meta
    refused = run("dump", no_meta)
    assert refused.returncode == 1
    assert one_error_line(refused) == f"dcmfast: {no_meta}: {NOT_DICOM}"
    forced = run("dump", "--force", no_meta)
    assert forced.returncode == 0, forced.stderr
    assert "(0010,0010) Patient's Name                      PN: 'Test^Phantom30sep'" in forced.stdout


def test_no_pixels(ct_small):
    with_pixels = run("dump", ct_small).stdout
    without = run("dump", "--no-pixels", ct_small).stdout
    assert "(7FE0,0010) Pixel Data" in with_pixels
    assert "Pixel Data" not in without


def test_closed_pipe_is_quiet(ct_small):
    # `dcmfast dump FILE | head -1`: the reader goes away; no message, no traceback
    proc = run_closed_stdout("dump", ct_small, ct_small)
    assert proc.stderr == ""
    assert proc.returncode == 0


def test_warnings_are_one_line_each():
    no_meta = data_file("no_meta.dcm")  # its one element has a private tag of unknown VR
    proc = run("dump", "--force", no_meta)
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr and "warnings.warn" not in proc.stderr
    assert proc.stderr.splitlines() == [
        f"dcmfast: {no_meta}: warning: VR lookup failed for the raw element with tag (0820,0500) - "
        "setting VR to 'UN'"]
