"""Helpers shared by the benchmark modules (imported by name: each folder's conftest.py
is its own module, so ``from conftest import ...`` would be ambiguous)."""
from __future__ import annotations

import time
import warnings
from typing import Any

import pytest

from dcmfast.bench import cases, peers

#: implementations every case may have (parametrize ids); a case lacking one skips it
IMPLS = ["dcmfast", "pydicom", "fastdicom", "dicomsdl", "gdcm", peers.FLOOR_READ, peers.FLOOR_COPY]
RLE_IMPLS = IMPLS[:2] + ["pydicom+pylibjpeg-rle"] + IMPLS[2:]
IMPORT_IMPLS = ["dcmfast", "pydicom", "fastdicom", "dicomsdl", "gdcm"]


def run_impl(benchmark: Any, case: cases.Case, name: str) -> None:
    """Benchmark implementation ``name`` of ``case`` and record whether it was correct."""
    try:
        impl = case.impl(name)
    except KeyError:
        pytest.skip(f"{name} has no implementation of this case")
    if impl.skip:
        pytest.skip(f"{name}: {impl.skip}")
    benchmark.group = case.title
    benchmark.extra_info.update(case=case.key, impl=name, floor=impl.floor, note=impl.note)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        try:
            out = impl.run()
        except Exception as exc:  # noqa: BLE001 - a peer that cannot do it is reported
            pytest.skip(f"{name} failed: {type(exc).__name__}: {str(exc)[:200]}")
        once = time.perf_counter() - start
        benchmark.extra_info["correct"] = None if impl.floor else impl.check(out)
        del out
        if once > 0.2:  # slow: a few rounds of one call
            benchmark.pedantic(impl.run, rounds=5 if once < 2 else 3, iterations=1)
        else:
            benchmark(impl.run)
