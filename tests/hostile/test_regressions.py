"""Replay the regression inputs: tests/hostile/regressions (mutation finds) and
tests/fuzz/regressions (fuzzer crashers). See tests/hostile/regressions/README.md."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from .harness import OPTION_SETS, exercise
from .known import tolerated

HERE = Path(__file__).resolve().parent
FILES = sorted(p for d in (HERE / "regressions", HERE.parent / "fuzz" / "regressions")
               if d.is_dir() for p in d.iterdir() if p.is_file() and p.suffix != ".md")
SCAN = [p for p in FILES if p.name.startswith("scan-")]  # inputs of tests/fuzz/fuzz_scan.py
OWNED = [p for p in FILES if not p.name.startswith("scan-")]


def _escapes(data: bytes, *, strict: bool) -> list:
    found = []
    for options in OPTION_SETS:
        found += [e for e in exercise(data, options) if strict or not tolerated(e)]
    return found


@pytest.mark.parametrize("path", OWNED, ids=lambda p: p.name)
def test_fixed(path):
    data = path.read_bytes()
    start = time.perf_counter()
    escapes = _escapes(data, strict=False)
    assert not escapes, escapes
    assert time.perf_counter() - start < 5 * len(OPTION_SETS)


def test_quadratic_lookup_is_linear():
    """30000 private elements without a creator: walk + str in well under a second."""
    import dcmfast

    data = (HERE / "regressions" / "duplicate-private-elements-quadratic.dcm").read_bytes()
    start = time.perf_counter()
    ds = dcmfast.dcmread(data)
    for elem in ds.iterall():
        elem.value  # noqa: B018
    str(ds)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("path", SCAN, ids=lambda p: p.name)
def test_scan_target(path):
    """Scanner-target crashers: flags byte + body, index invariants must hold."""
    from dcmfast import reader  # noqa: F401  (installs the dictionary tables)
    from dcmfast._core import parse

    pytest.importorskip("hypothesis")
    from .test_properties import check_index

    data = path.read_bytes()
    flags, body = data[0], data[1:]
    start = min((flags >> 3) & 7, len(body))
    try:
        index = parse.scan(body, start, bool(flags & 1), not flags & 2, stop_pixels=bool(flags & 4))
    except ValueError:
        return
    check_index(index, len(body))
    # and the whole guarantee on the body
    escapes = [e for e in exercise(body, OPTION_SETS[0]) if not tolerated(e)]
    assert not escapes, escapes
