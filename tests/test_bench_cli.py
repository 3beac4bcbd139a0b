"""``dcmfast bench --quick`` runs, exits 0 and prints a table with a pydicom ratio column.
Behaviour only: no timing is asserted."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dcmfast

SRC = str(Path(dcmfast.__file__).resolve().parents[1])


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-m", "dcmfast.cli", "bench", *args], env=env, check=False,
                          capture_output=True, text=True, timeout=300)


def test_bench_quick(tmp_path):
    out_json = tmp_path / "bench.json"
    proc = _run("--quick", "--repeat", "1", "--json", str(out_json))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("case"))
    assert "x pydicom" in header and "x floor read" in header
    assert any(line.startswith("CT_small.dcm: read + every top-level value") for line in lines)
    assert "MR_small_RLE.dcm" in proc.stdout
    assert proc.stderr == ""  # no progress bar: stderr is not a terminal
    doc = json.loads(out_json.read_text())
    assert {"machine", "peers", "cases", "command"} <= set(doc)
    keys = {case["key"] for case in doc["cases"]}
    assert {"values/CT_small", "rle/MR_small_RLE", "write/CT_small"} <= keys
    for case in doc["cases"]:
        names = {r["name"] for r in case["results"]}
        assert {"dcmfast", "pydicom", "floor: open+read+close"} <= names
        ours = next(r for r in case["results"] if r["name"] == "dcmfast")
        assert ours["correct"] is True and len(ours["samples_s"]) == 1


def test_bench_markdown_one_peer():
    proc = _run("--quick", "--peers", "pydicom", "--markdown", "--summary-only", "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| case | dcmfast median (IQR) | x pydicom | x floor read | x floor copy |" in proc.stdout
