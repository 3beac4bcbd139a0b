"""Typing: the .pyi stubs describe the compiled modules exactly, and a strict client type-checks.

* ``mypy.stubtest`` compares every compiled module of ``dcmfast._core`` with its stub
  (names, signatures, defaults, classes); the allowlist holds only what Cython adds to
  every module (``tests/typing/stubtest-allowlist.txt``).
* ``mypy --strict`` checks ``tests/typing/example_api.py``, a small user of the public API,
  against the package Python imports (an installed wheel, or ``src`` for an in-place
  build), so ``py.typed`` and the stubs must ship and be usable.
* ``mypy --strict`` passes over the package source itself (``src/dcmfast``, with the
  ``[tool.mypy]`` configuration of ``pyproject.toml``).

Skipped when mypy is not installed (it is in the ``test`` extra).
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is not installed (pip install mypy)")

import dcmfast  # noqa: E402
import dcmfast._core  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TYPING = HERE / "typing"
PACKAGE = Path(dcmfast.__file__).resolve().parent
CORE = PACKAGE / "_core"
EXTENSION_SUFFIXES = (".so", ".pyd")


def compiled_modules() -> list[str]:
    """Every compiled module of dcmfast._core (whatever was built: no list to keep in sync)."""
    names = {p.name.split(".")[0] for p in CORE.iterdir() if p.name.endswith(EXTENSION_SUFFIXES)}
    return sorted(f"dcmfast._core.{name}" for name in names)


def _env() -> dict[str, str]:
    """The environment of the mypy subprocesses: they must see the dcmfast this process imported."""
    env = dict(os.environ)
    # mypy's cache goes to the temporary folder, never into the source tree
    env["MYPY_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / f"dcmfast-mypy-cache-py{sys.version_info[0]}"
                                f"{sys.version_info[1]}")
    if "site-packages" not in PACKAGE.parts and "dist-packages" not in PACKAGE.parts:
        # an in-place build (PYTHONPATH=src, or an editable install): put its root first
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE.parent), env.get("PYTHONPATH")) if p)
    return env


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=_env(),
                          cwd=tempfile.gettempdir(), timeout=600)


def test_every_compiled_module_has_a_stub():
    modules = compiled_modules()
    assert "dcmfast._core.parse" in modules, modules
    missing = [m for m in modules if not (CORE / (m.rsplit(".", 1)[1] + ".pyi")).is_file()]
    assert not missing, f"compiled modules without a .pyi stub next to them: {missing}"
    assert (PACKAGE / "py.typed").is_file()
    for name in modules:
        assert importlib.import_module(name).__file__.endswith(EXTENSION_SUFFIXES), name


def test_stubtest():
    result = _run("-m", "mypy.stubtest", "--allowlist", str(TYPING / "stubtest-allowlist.txt"),
                  *compiled_modules())
    assert result.returncode == 0, result.stdout + result.stderr


def test_strict_client_type_checks():
    result = _run("-m", "mypy", "--strict", str(TYPING / "example_api.py"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_strict_package():
    """``mypy --strict src/dcmfast`` reports nothing, with the project's configuration (which
    only says which third-party modules have no type information)."""
    source = ROOT / "src" / "dcmfast"
    if not (source / "__init__.py").is_file():
        pytest.skip("no source tree next to the tests")
    result = _run("-m", "mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"),
                  "--no-error-summary", str(source))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout


def test_strict_client_mistakes_are_rejected():
    """mypy reports every mistake marked in ``tests/typing/rejected_api.py`` (dcmread(123), a
    misspelt Dataset method, a misspelt ndarray method on pixel_array), with its error code,
    and nothing else (keyword attributes stay Any)."""
    import re

    path = TYPING / "rejected_api.py"
    expected = {(n, m[1]) for n, line in enumerate(path.read_text().splitlines(), 1)
                if (m := re.search(r"# error: ([\w-]+)", line))}
    assert len(expected) == 4
    result = _run("-m", "mypy", "--strict", "--no-error-summary", "--show-error-codes", str(path))
    found = {(int(m[1]), m[2]) for m in re.finditer(r"rejected_api\.py:(\d+): error: .*\[([\w-]+)\]$",
                                                      result.stdout, flags=re.M)}
    assert found == expected, result.stdout + result.stderr


def test_example_runs():
    """The type-checked example is also correct at run time."""
    pydicom_data = pytest.importorskip("pydicom.data")
    sys.path.insert(0, str(TYPING))
    try:
        example = importlib.import_module("example_api")
    finally:
        sys.path.remove(str(TYPING))
    summary = example.summarize(Path(pydicom_data.get_testdata_file("CT_small.dcm")))
    assert summary["rows"] == 128 and summary["shape"] == (128, 128)
    assert summary["backend"] == "cython"
    assert len(example.build_sequence()) == 2
    assert example.read_or_none(b"not a DICOM file") is None
