"""Read + native pixel_array against every peer: CT_small.dcm, a 100-frame 512x512 Enhanced
CT and a 2048x2048 16-bit image (floors: reading the file, copying the array's bytes).
test_bench_native.py next to this file times the pixel step alone on in-memory datasets."""
from __future__ import annotations

import pytest
from _bench import IMPLS, run_impl

from dcmfast.bench import cases


@pytest.fixture(scope="module")
def ct_small(bundled):
    return cases.case_pixels(bundled / "CT_small.dcm", "CT_small.dcm: read + pixel_array",
                             "pixels/CT_small")


@pytest.fixture(scope="module", params=["enhanced_ct", "big"])
def corpus_image(request, corpus):
    path = corpus[request.param]
    return cases.case_pixels(path, f"{path.name}: read + pixel_array", f"pixels/{request.param}")


@pytest.mark.parametrize("impl", IMPLS)
def test_pixels_ct_small(benchmark, ct_small, impl):
    run_impl(benchmark, ct_small, impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_pixels_corpus(benchmark, corpus_image, impl):
    run_impl(benchmark, corpus_image, impl)
