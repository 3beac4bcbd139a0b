"""The ``dcmfast`` command as a whole: --version, python -m dcmfast, help, usage errors, --debug."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

import dcmfast

from .conftest import env, one_error_line, run

COMMANDS = ["dump", "summary", "index", "find", "bench"]


def test_version():
    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"dcmfast {dcmfast.__version__}\n"


def test_python_m_dcmfast_is_the_console_script():
    # `python -m dcmfast` (src/dcmfast/__main__.py) and `python -m dcmfast.cli` both work
    for module in ("dcmfast", "dcmfast.cli"):
        proc = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True,
                              env=env(), check=False, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("usage: dcmfast ")


def test_help_documents_exit_codes_and_examples():
    out = run("--help").stdout
    assert "exit status:" in out
    for code in ("0  success", "1  some inputs could not be read", "2  usage error"):
        assert code in out
    for command in COMMANDS:
        assert f"dcmfast {command} " in out.split("examples:")[1]  # an example of each


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_is_written_for_people(command):
    proc = run(command, "--help")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "``" not in out  # no docstring markup
    assert "\nexamples:\n" in out
    examples = out.split("\nexamples:\n")[1]
    assert f"  dcmfast {command}" in examples
    assert "exit status:" in out
    # every positional argument has a help text: the line after its name is not empty
    if "positional arguments:" in out:
        block = out.split("positional arguments:\n")[1].split("\n\n")[0]
        for line in block.splitlines():
            if line.startswith("  ") and not line.startswith("   "):
                name_and_help = line.strip().split(None, 1)
                assert len(name_and_help) == 2, f"no help for {line.strip()!r}"


def test_no_command_is_a_usage_error():
    proc = run()
    assert proc.returncode == 2
    assert one_error_line(proc) == (
        "dcmfast: the following arguments are required: COMMAND (see 'dcmfast --help')")


def test_unknown_option_is_one_line():
    proc = run("dump", "--no-such-option", "x.dcm")
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert line.startswith("dcmfast dump: unrecognized arguments: --no-such-option")


def test_debug_shows_the_traceback(tmp_path):
    missing = tmp_path / "missing.dcm"
    plain = run("dump", missing)
    assert plain.returncode == 1
    assert one_error_line(plain) == f"dcmfast: {missing}: No such file or directory"
    for args in (["--debug", "dump", missing], ["dump", "--debug", missing]):
        proc = run(*args)
        assert proc.returncode != 0
        assert "Traceback (most recent call last)" in proc.stderr
        assert re.search(r"FileNotFoundError: .*No such file or directory", proc.stderr)


def test_import_dcmfast_does_not_import_tqdm():
    code = ("import sys, dcmfast, dcmfast.cli; dcmfast.cli.build_parser(); "
            "print('tqdm' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(),
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "False\n"
