"""``dcmfast deid``: exit codes, one-line errors, the key file, the summary line, and a run
killed with SIGKILL mid-way that a rerun completes with the bytes of an uninterrupted run."""
from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pydicom

from .conftest import data_file, env, one_error_line, run

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
JOURNAL = ".dcmfast-deid-journal.jsonl"


def _tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
            and p.name not in (JOURNAL, "deid.key")}


def _inputs(folder: Path, n: int) -> Path:
    """n copies of CT_small in two subfolders (file copies: no tool of ours made them)."""
    ct = data_file("CT_small.dcm")
    for i in range(n):
        sub = folder / f"part{i % 2}"
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ct, sub / f"im{i:05d}.dcm")
    return folder


def _key_file(tmp_path: Path) -> Path:
    key = tmp_path / "site.key"
    key.write_text(KEY_HEX + "\n")
    return key


def test_a_run_writes_every_file_and_exits_0(tmp_path):
    src = _inputs(tmp_path / "in", 4)
    out = tmp_path / "out"
    proc = run("deid", src, "--out", out, "--key-file", _key_file(tmp_path), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    summary = proc.stderr.splitlines()[-1]
    assert summary.startswith("4 files: 4 written, 0 already done, 0 quarantined, 0 failed")
    assert sorted(_tree(out)) == ["part0/im00000.dcm", "part0/im00002.dcm", "part1/im00001.dcm",
                                  "part1/im00003.dcm"]
    for rel in _tree(out):
        ds = pydicom.dcmread(out / rel)
        assert ds.PatientIdentityRemoved == "YES"
        assert str(ds.PatientName) == ""
    again = run("deid", src, "--out", out, "--key-file", _key_file(tmp_path))
    assert again.returncode == 0
    assert "4 files: 0 written, 4 already done" in again.stderr


def test_without_key_file_a_key_is_saved_and_reused(tmp_path):
    src = _inputs(tmp_path / "in", 2)
    out = tmp_path / "out"
    proc = run("deid", src, "--out", out, "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    key = out / "deid.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "a new key was saved to" in proc.stderr
    # the saved key continues the mapping: a second folder with it gives the same bytes
    other = tmp_path / "other"
    proc2 = run("deid", src, "--out", other, "--key-file", key, "--workers", "1")
    assert proc2.returncode == 0
    assert _tree(out) == _tree(other)
    # and a rerun into the first folder uses it (no new key, nothing to do)
    proc3 = run("deid", src, "--out", out, "--restart", "--workers", "1")
    assert proc3.returncode == 0 and "a new key" not in proc3.stderr
    assert _tree(out) == _tree(other)


def test_key_file_errors_are_one_line_usage_errors(tmp_path):
    src = _inputs(tmp_path / "in", 1)
    missing = tmp_path / "nope.key"
    proc = run("deid", src, "--out", tmp_path / "out", "--key-file", missing)
    assert proc.returncode == 2
    assert one_error_line(proc) == f"dcmfast: key file not found: {missing}"
    bad = tmp_path / "bad.key"
    bad.write_text("not hex at all\n")
    proc = run("deid", src, "--out", tmp_path / "out", "--key-file", bad)
    assert proc.returncode == 2
    assert one_error_line(proc) == f"dcmfast: key file {bad} does not hold a hexadecimal key"
    short = tmp_path / "short.key"
    short.write_text("abcd\n")
    proc = run("deid", src, "--out", tmp_path / "out", "--key-file", short)
    assert proc.returncode == 2 and "at least 16" in one_error_line(proc)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.dcm"))


def test_usage_errors(tmp_path):
    src = _inputs(tmp_path / "in", 1)
    proc = run("deid", src, "--out", tmp_path / "o", "--option", "retain_everything")
    assert proc.returncode == 2 and "invalid choice" in one_error_line(proc)
    proc = run("deid", src)
    assert proc.returncode == 2 and "--out" in one_error_line(proc)
    proc = run("deid", src, "--out", tmp_path / "o", "--layout", "flat")
    assert proc.returncode == 2
    proc = run("deid", src, "--out", tmp_path / "o", "--option", "retain_long_full_dates",
               "--option", "retain_long_modified_dates", "--key-file", _key_file(tmp_path))
    assert proc.returncode == 2 and "exclude each other" in one_error_line(proc)
    afile = tmp_path / "afile"
    afile.write_text("x")
    proc = run("deid", src, "--out", afile)
    assert proc.returncode == 2 and one_error_line(proc) == f"dcmfast: {afile}: not a folder"


def test_another_key_into_the_same_folder_is_refused(tmp_path):
    src = _inputs(tmp_path / "in", 1)
    out = tmp_path / "out"
    assert run("deid", src, "--out", out, "--key-file", _key_file(tmp_path)).returncode == 0
    other = tmp_path / "other.key"
    other.write_text("ff" * 32 + "\n")
    proc = run("deid", src, "--out", out, "--key-file", other)
    assert proc.returncode == 2
    assert "holds the output of a run with another key" in one_error_line(proc)


def test_failed_and_quarantined_inputs_exit_1(tmp_path):
    src = _inputs(tmp_path / "in", 1)
    (src / "cut.dcm").write_bytes(data_file("CT_small.dcm").read_bytes()[:3000])
    ds = pydicom.dcmread(data_file("CT_small.dcm"))
    ds.BurnedInAnnotation = "YES"
    ds.save_as(src / "burned.dcm")
    out, q = tmp_path / "out", tmp_path / "q"
    proc = run("deid", src, "--out", out, "--quarantine", q, "--key-file", _key_file(tmp_path),
               "--audit", tmp_path / "audit.jsonl")
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert f"dcmfast: {src / 'cut.dcm'}: damaged: the data set ends inside an element header" in lines
    assert (f"dcmfast: {src / 'burned.dcm'}: quarantined: Burned In Annotation (0028,0301) is YES"
            in lines)
    assert lines[-1].startswith("3 files: 1 written, 0 already done, 1 quarantined, 1 failed")
    assert (q / "burned.dcm").exists()
    assert not (out / "burned.dcm").exists() and not (out / "cut.dcm").exists()
    statuses = sorted(json.loads(x)["status"] for x in (tmp_path / "audit.jsonl").read_text().splitlines())
    assert statuses == ["failed", "quarantined", "written"]
    missing = tmp_path / "missing"
    proc = run("deid", missing, "--out", out, "--key-file", _key_file(tmp_path))
    assert proc.returncode == 1
    assert f"dcmfast: {missing}: No such file or directory" in proc.stderr.splitlines()


def _journal_lines(out: Path) -> int:
    try:
        return (out / JOURNAL).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_kill_9_mid_run_then_rerun_completes_identically(tmp_path):
    n = 1200
    src = _inputs(tmp_path / "in", n)
    key = _key_file(tmp_path)
    for workers in ("1", "2"):
        out = tmp_path / f"killed{workers}"
        args = [sys.executable, "-m", "dcmfast", "deid", str(src), "--out", str(out), "--key-file", str(key),
                "--workers", workers]
        child = subprocess.Popen(args, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
        deadline = time.monotonic() + 120
        while _journal_lines(out) < 3 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.002)
        os.killpg(child.pid, signal.SIGKILL)  # the run and its worker processes
        child.wait()
        done_before = _journal_lines(out) - 1
        assert 0 < done_before < n, f"the run was not killed mid-way ({done_before} of {n} done)"
        rerun = run("deid", src, "--out", out, "--key-file", key, "--workers", workers)
        assert rerun.returncode == 0, rerun.stderr
        assert f"{n} files: " in rerun.stderr and " 0 failed" in rerun.stderr
        tree = _tree(out)
        assert not [p for p in tree if p.endswith(".dcmfast-tmp")]
        assert len(tree) == n
        single = run("deid", src, "--out", tmp_path / f"whole{workers}", "--key-file", key, "--workers", "1")
        assert single.returncode == 0
        assert tree == _tree(tmp_path / f"whole{workers}")


def test_clean_pixels(tmp_path):
    """--clean-pixels: a burned-in file matching a rule is cleaned and written (exit 0); a
    malformed rule file is a one-line usage error (exit 2)."""
    src = tmp_path / "in"
    src.mkdir()
    ds = pydicom.dcmread(data_file("SC_rgb_rle_2frame.dcm"))
    ds.BurnedInAnnotation = "YES"
    ds.save_as(src / "burned.dcm")
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"manufacturer": "*", "model": "*", "rows": 100, "columns": 100,
                                  "rectangles": [[0, 0, 50, 10]]}]))
    out = tmp_path / "out"
    proc = run("deid", src, "--out", out, "--key-file", _key_file(tmp_path), "--workers", "1",
               "--clean-pixels", rules)
    assert proc.returncode == 0, proc.stderr
    assert "1 written (1 with pixels cleaned)" in proc.stderr.splitlines()[-1]
    got = pydicom.dcmread(out / "burned.dcm")
    assert got.BurnedInAnnotation == "NO"
    assert (got.pixel_array[:, :10, :50] == 0).all()
    without = run("deid", src, "--out", tmp_path / "out2", "--key-file", _key_file(tmp_path))
    assert without.returncode == 1 and "quarantined" in without.stderr
    rules.write_text('[{"manufacturer": "x"}]')
    bad = run("deid", src, "--out", tmp_path / "out3", "--key-file", _key_file(tmp_path),
              "--clean-pixels", rules)
    assert bad.returncode == 2
    one_error_line(bad)
