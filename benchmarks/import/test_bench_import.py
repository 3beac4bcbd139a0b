"""``import X`` in a fresh interpreter, with bytecode compiled first (as pip does) and
``PYTHONDONTWRITEBYTECODE`` unset for the child (target: ``import dcmfast`` <= 15 ms).

The timed call is the whole ``python -c "import X"`` subprocess (interpreter start
included); ``extra_info["import_s"]`` holds the child's own in-process import time, the
figure the target is about."""
from __future__ import annotations

import statistics

import pytest
from _bench import IMPORT_IMPLS, run_impl

from dcmfast.bench import cases


@pytest.fixture(scope="module")
def imports():
    return cases.import_case()


@pytest.mark.parametrize("impl", IMPORT_IMPLS)
def test_import(benchmark, imports, impl):
    run_impl(benchmark, imports, impl)
    child = imports.impl(impl)
    benchmark.extra_info["import_s"] = statistics.median(child.run() for _ in range(5))
