"""``dcmfast bench``: peers not installed, --quick without verdicts, bad --peers and --render.
Behaviour only: no timing is asserted."""
from __future__ import annotations

import json

import pytest

from dcmfast.cli.bench import PEERS, installed_peers

from .conftest import one_error_line, run


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out_json = tmp_path_factory.mktemp("bench") / "quick.json"
    proc = run("bench", "--quick", "--json", out_json)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, out_json


def test_quick_gives_no_target_verdicts(quick):
    proc, out_json = quick
    assert "the timings are not meaningful" in proc.stdout
    assert "targets:" not in proc.stdout
    assert "NOT met" not in proc.stdout and " met\n" not in proc.stdout
    assert json.loads(out_json.read_text())["targets"] == []


def test_no_rows_for_peers_not_installed(quick):
    proc, out_json = quick
    installed = installed_peers()
    missing = [name for name, version in installed.items() if version is None]
    peers_line = next(line for line in proc.stdout.splitlines() if line.startswith("peers: "))
    if missing:
        assert peers_line.endswith("; not installed: " + ", ".join(PEERS[p][1] for p in missing))
    else:
        assert "not installed" not in peers_line
    assert "not installed" not in proc.stdout.replace(peers_line, "")
    lines = proc.stdout.splitlines()
    for name in missing:
        assert not any(line.strip().startswith(name + " ") for line in lines), name
        assert f"x {name} " not in proc.stdout  # no column in the summary table
    for case in json.loads(out_json.read_text())["cases"]:
        assert not {r["name"] for r in case["results"]} & set(missing)
    assert proc.stderr == ""  # no "skipping" lines, no progress bar (stderr is not a terminal)


def test_unknown_peer_is_a_usage_error():
    proc = run("bench", "--quick", "--peers", "pydicom,foo")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert one_error_line(proc) == (
        "dcmfast bench: argument --peers: unknown peer 'foo' (known: " + ", ".join(PEERS) + ") "
        "(see 'dcmfast bench --help')")


def test_negative_repeat_is_a_usage_error():
    proc = run("bench", "--repeat", "-1")
    assert proc.returncode == 2
    assert one_error_line(proc).startswith("dcmfast bench: argument --repeat: must be 0")


def test_render(quick, tmp_path):
    _proc, out_json = quick
    proc = run("bench", "--render", out_json, "--summary-only")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("dcmfast bench --quick --json ")
    assert "CT_small.dcm: read + every top-level value" in proc.stdout

    missing = tmp_path / "missing.json"
    proc = run("bench", "--render", missing)
    assert proc.returncode == 1
    assert one_error_line(proc) == f"dcmfast: {missing}: No such file or directory"

    not_results = tmp_path / "other.json"
    not_results.write_text('{"a": 1}\n')
    proc = run("bench", "--render", not_results)
    assert proc.returncode == 1
    assert one_error_line(proc) == f"dcmfast: {not_results}: not a results file of 'dcmfast bench --json'"
