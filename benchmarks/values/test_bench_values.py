"""Read + touch every top-level value (target: CT_small >= 40x pydicom and faster than
fastdicom), on one file, on the bundled files every peer reads, and on 2,000 CT slices."""
from __future__ import annotations

import pytest
from _bench import IMPLS, run_impl

from dcmfast.bench import cases


@pytest.fixture(scope="module")
def ct_small(bundled):
    return cases.case_values([bundled / "CT_small.dcm"], "CT_small.dcm: read + every top-level value",
                             "values/CT_small")


@pytest.fixture(scope="module")
def bundled_files(bundled):
    files = cases._readable_by_peers(cases._plain_bundled_files(bundled))
    return cases.case_values(files, f"{len(files)} bundled files: read + every top-level value",
                             "values/bundled", probe=True)


@pytest.fixture(scope="module")
def series(corpus):
    paths = corpus["ct_series"]
    return cases.case_values(paths, f"{len(paths)} CT slices: read + every top-level value",
                             "values/ct_series")


@pytest.mark.parametrize("impl", IMPLS)
def test_values_ct_small(benchmark, ct_small, impl):
    run_impl(benchmark, ct_small, impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_values_bundled(benchmark, bundled_files, impl):
    run_impl(benchmark, bundled_files, impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_values_ct_series(benchmark, series, impl):
    run_impl(benchmark, series, impl)
