"""Session set-up shared by every test folder.

The tests run against whichever dcmfast Python imports: an editable install, an in-place
build with ``PYTHONPATH=src``, or an installed wheel. Nothing here puts ``src/`` on
``sys.path``: only this folder goes there, for the shared helpers (``compare.py``,
``corpus.py``). With ``--dcmfast-installed`` (the wheel tests: cibuildwheel,
tools/check_wheel.sh) a dcmfast imported from a source tree is refused, so a green run
really tested the installed wheel.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--dcmfast-installed",
        action="store_true",
        help="require dcmfast to be imported from an installed wheel (site-packages), "
        "not from a source tree",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--dcmfast-installed"):
        return
    try:
        import dcmfast
    except ImportError as exc:
        raise pytest.UsageError(f"--dcmfast-installed: dcmfast is not importable: {exc}") from exc
    location = Path(dcmfast.__file__).resolve()
    tree = HERE.parent
    installed = "site-packages" in location.parts or "dist-packages" in location.parts
    if tree / "src" in location.parents or not installed:
        raise pytest.UsageError(
            f"--dcmfast-installed: dcmfast was imported from {location}, not from an installed wheel"
        )
    if dcmfast.BACKEND != "cython":
        raise pytest.UsageError(f"--dcmfast-installed: dcmfast.BACKEND is {dcmfast.BACKEND!r}")


def pytest_report_header(config: pytest.Config) -> str:
    try:
        import dcmfast
    except ImportError as exc:  # the test modules will fail with the details
        return f"dcmfast: not importable ({exc})"
    return f"dcmfast {dcmfast.__version__} ({dcmfast.BACKEND}) from {Path(dcmfast.__file__).parent}"


@pytest.fixture
def gc_enabled():
    """The cyclic GC on for the test (some runs disable it), as it was afterwards."""
    import gc

    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()
