"""Docs that cannot rot: every ```python block of README.md and docs/*.md runs.

The blocks of one file run in order, in one namespace, in a fresh interpreter whose
working folder holds the files the examples name: ``CT_small.dcm`` and ``in.dcm``
(pydicom's CT_small.dcm) and ``site.key`` (a new de-identification key); the ingest
examples' folders (``/data/lake``) do not exist, which they report as error records.
The namespace starts with ``dcmfast`` imported and ``path`` naming ``CT_small.dcm``, for
one-line fragments.

A block preceded by ``<!-- norun -->`` (on the line before its opening fence) is not run;
keep those few. A block whose optional dependency is missing (pyarrow, dask) skips.
Skipped when the tests run outside a source tree (an installed wheel's tests).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom.data
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NORUN = "<!-- norun -->"
OPTIONAL = ("pyarrow", "dask", "distributed")
SKIP_CODE = 77

if not (ROOT / "README.md").is_file() or not (ROOT / "docs").is_dir():
    pytest.skip("not a source tree", allow_module_level=True)

_FENCE = re.compile(r"^```python\s*$")


def python_blocks(path: Path) -> list[tuple[int, str, bool]]:
    """(line of the opening fence, code, run?) of each ```python block of `path`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        if _FENCE.match(lines[i]):
            start = i
            prev = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append((start + 1, "\n".join(body) + "\n", prev != NORUN))
        i += 1
    return blocks


# runs in the subprocess: argv[1] is a JSON list of [name, code] pairs
_RUNNER = f"""
import json, sys, traceback
ns = {{"__name__": "__docs__"}}
exec("import dcmfast\\npath = 'CT_small.dcm'\\n", ns)
for name, code in json.loads(sys.argv[1]):
    try:
        exec(compile(code, name, "exec"), ns)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in {OPTIONAL!r}:
            print(f"{{name}}: {{exc.name}} is not installed")
            sys.exit({SKIP_CODE})
        traceback.print_exc()
        sys.exit(f"{{name}} failed")
    except BaseException:
        traceback.print_exc()
        sys.exit(f"{{name}} failed")
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    from dcmfast.deid import new_key

    work = tmp_path_factory.mktemp("docs")
    ct = Path(pydicom.data.get_testdata_file("CT_small.dcm"))
    shutil.copy(ct, work / "CT_small.dcm")
    shutil.copy(ct, work / "in.dcm")
    (work / "site.key").write_text(new_key().hex() + "\n")
    return work


def _env() -> dict[str, str]:
    """This process's environment, with the dcmfast it imported first on the path."""
    import dcmfast

    env = dict(os.environ)
    tree = str(Path(dcmfast.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (tree, env.get("PYTHONPATH")) if p)
    return env


@pytest.mark.parametrize("doc", DOCS, ids=[p.relative_to(ROOT).as_posix() for p in DOCS])
def test_python_blocks_run(doc: Path, workdir: Path) -> None:
    blocks = python_blocks(doc)
    runnable = [(f"{doc.relative_to(ROOT).as_posix()}:{line}", code) for line, code, run in blocks if run]
    if not runnable:
        pytest.skip("no python block to run")
    proc = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(runnable)], cwd=workdir, env=_env(),
                          capture_output=True, text=True, timeout=600)
    if proc.returncode == SKIP_CODE:
        pytest.skip(proc.stdout.strip())
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_blocks_are_found_and_norun_is_rare():
    """The parser sees the blocks (a block it missed would never run), and blocks marked
    ``<!-- norun -->`` stay the exception."""
    blocks = [b for doc in DOCS for b in python_blocks(doc)]
    text = "".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    assert len(blocks) == len(re.findall(r"^```python\s*$", text, flags=re.M)) >= 5
    assert sum(not run for _line, _code, run in blocks) <= 3


def test_a_failing_block_fails(tmp_path: Path, workdir: Path) -> None:
    """The runner reports a block that raises (so test_python_blocks_run can fail)."""
    doc = tmp_path / "bad.md"
    doc.write_text("text\n\n```python\nds = dcmfast.dcmread(path)\nds.NoSuchKeyword\n```\n\n"
                   f"{NORUN}\n```python\nraise SystemExit(1)\n```\n")
    blocks = python_blocks(doc)
    assert [(line, run) for line, _code, run in blocks] == [(3, True), (9, False)]
    runnable = [(f"bad.md:{line}", code) for line, code, run in blocks if run]
    proc = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(runnable)], cwd=workdir, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "AttributeError" in proc.stderr and "bad.md:3 failed" in proc.stderr


def test_public_api_has_docstrings():
    """help(dcmfast) opens with an overview, and every public class, function, method and
    property of ``dcmfast.__all__`` says what it does."""
    import inspect

    import dcmfast

    overview = inspect.getdoc(dcmfast)
    assert overview and "dcmread" in overview.split("\n\n")[1]
    missing = []
    for name in dcmfast.__all__:
        obj = getattr(dcmfast, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not inspect.getdoc(obj):
            missing.append(name)
        if inspect.isclass(obj) and obj.__module__.startswith("dcmfast"):
            for attr, value in vars(obj).items():
                if not attr.startswith("_") and (callable(value) or isinstance(value, property)):
                    if not getattr(value, "__doc__", None):
                        missing.append(f"{name}.{attr}")
    assert not missing, f"public names without a docstring: {missing}"
