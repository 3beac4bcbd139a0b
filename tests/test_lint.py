"""Lint: ruff (Python) and cython-lint (.pyx/.pxd) over src/, tests/, benchmarks/ and tools/.

The configuration is in pyproject.toml ([tool.ruff], [tool.cython-lint]); ``make lint``,
CI and .pre-commit-config.yaml use the same. Skipped when a tool is not installed in this
environment (``pip install -e ".[lint]"``) or when the tests run outside a source tree.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PY_DIRS = ["src", "tests", "benchmarks", "tools"]
CYTHON_GLOBS = ["src/dcmfast/_core/*.pyx", "src/dcmfast/_core/*.pxd"]

if not (ROOT / "pyproject.toml").is_file() or not (ROOT / "src" / "dcmfast").is_dir():
    pytest.skip("not a source tree", allow_module_level=True)


def _tool(module: str, name: str) -> list[str]:
    """`python -m module` when `name` is installed in this environment (never a tool found on
    PATH: another version would lint by other rules)."""
    try:
        __import__(module.split(".")[0])
    except ImportError:
        pytest.skip(f"{name} is not installed (pip install -e '.[lint]')")
    return [sys.executable, "-m", module]


def _run(cmd: list[str]) -> None:
    # the tools start their helpers by name (cython-lint runs pycodestyle): this environment's
    # scripts folder first on PATH, however this interpreter was started (a virtual
    # environment's python is often run without activating it)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(p for p in (os.path.dirname(sys.executable), env.get("PATH")) if p)
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff():
    _run([*_tool("ruff", "ruff"), "check", "--no-cache", "--output-format", "concise",
          *[d for d in PY_DIRS if (ROOT / d).is_dir()]])


def test_cython_lint():
    files = sorted(str(p.relative_to(ROOT)) for g in CYTHON_GLOBS for p in ROOT.glob(g))
    assert files
    _run([*_tool("cython_lint.cython_lint", "cython-lint"), *files])
