"""Header-only reads (``stop_before_pixels=True``): dcmfast against its peers and the floor
of ``open()+read()+close()`` of the same files (the target: dcmfast <= 3x that floor)."""
from __future__ import annotations

import pytest
from _bench import IMPLS, run_impl

from dcmfast.bench import cases


@pytest.fixture(scope="module")
def ct_small_header(bundled):
    return cases.case_header([bundled / "CT_small.dcm"], "CT_small.dcm: header only", "parse/CT_small-header")


@pytest.fixture(scope="module")
def series_header(corpus):
    paths = corpus["ct_series"]
    return cases.case_header(paths, f"{len(paths)} CT slices: header only", "parse/ct_series-header")


@pytest.mark.parametrize("impl", IMPLS)
def test_header_ct_small(benchmark, ct_small_header, impl):
    run_impl(benchmark, ct_small_header, impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_header_ct_series(benchmark, series_header, impl):
    run_impl(benchmark, series_header, impl)
