"""Shared pieces of the pytest-benchmark suites (parse/ values/ sequences/ pixels/ rle/
ingest/ import/).

Every benchmark runs one implementation of a case defined in ``dcmfast.bench``
(dcmfast, pydicom, pydicom+pylibjpeg-rle, fastdicom, dicomsdl, gdcm, and two floors:
``open()+read()+close()`` of the same files and a numpy copy of as many bytes) on the
same input, so a group holds dcmfast and its peers side by side. The output of the
untimed warm-up call is compared with pydicom's and stored in
``extra_info["correct"]`` (None for floors). A peer that is not installed, or that
cannot handle the input, is skipped with a message. At the end a table of ratios
against dcmfast is printed.

Run:  python -m pytest benchmarks --benchmark-only            (bundled files)
      python -m pytest benchmarks --benchmark-only --corpus   (+ generated corpus)
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

try:
    import dcmfast  # noqa: F401
except ImportError:  # a checkout built in place
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # corpus.py

from dcmfast.bench import cases


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--corpus", action="store_true",
                     help="also benchmark the generated corpus (built once; see benchmarks/corpus.py)")


@pytest.fixture(scope="session")
def bundled() -> Path:
    """pydicom's bundled test files folder (listed, never fetched)."""
    return cases.bundled_test_files()


@pytest.fixture(scope="session")
def corpus(request: pytest.FixtureRequest) -> dict[str, Any]:
    if not request.config.getoption("--corpus"):
        pytest.skip("generated corpus not requested (--corpus)")
    from corpus import build

    return build(verbose=True)


def _median(b: Any) -> float | None:
    for get in (lambda: b.stats.median, lambda: b.stats.stats.median, lambda: b["median"]):
        try:
            return float(get())
        except Exception:  # noqa: BLE001, S112 - try the next accessor
            continue
    return None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """A table per group: each implementation's median, ratio against dcmfast, correct."""
    session = getattr(config, "_benchmarksession", None)
    benches = [b for b in getattr(session, "benchmarks", []) or [] if _median(b) is not None]
    if not benches:
        return
    groups: dict[str, list[Any]] = {}
    for b in benches:
        groups.setdefault(b.group or "", []).append(b)
    tr = terminalreporter
    tr.section("dcmfast vs peers (ratio: peer / dcmfast; floors: dcmfast / floor)")
    for group, items in groups.items():
        ours = next((b for b in items if b.extra_info.get("impl") == "dcmfast"), None)
        tr.write_line(group)
        for b in items:
            impl = b.extra_info.get("impl", b.name)
            med = _median(b)
            ratio = ""
            if ours is not None and b is not ours and med:
                x = (_median(ours) / med) if b.extra_info.get("floor") else (med / _median(ours))
                ratio = f"{x:.1f}x"
            correct = b.extra_info.get("correct")
            ok = "-" if correct is None else ("yes" if correct else "NO")
            tr.write_line(f"  {impl:<28} {med * 1e3:>11.4f} ms {ratio:>8}  correct: {ok}")
