"""Read + RLE pixel_array against every peer: pydicom's own decoder, pydicom with
pylibjpeg-rle, fastdicom, dicomsdl, gdcm, on MR_small_RLE.dcm, SC_rgb_rle_2frame.dcm, a
100-frame 512x512 Enhanced CT and a 2048x2048 16-bit image. test_bench_rle.py next to
this file times the decode step alone and dcmfast's thread scaling."""
from __future__ import annotations

import pytest
from _bench import RLE_IMPLS, run_impl

from dcmfast.bench import cases


@pytest.fixture(scope="module", params=["MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm"])
def bundled_rle(request, bundled):
    return cases.case_pixels(bundled / request.param, f"{request.param}: read + RLE pixel_array",
                             f"rle/{request.param}", group="rle")


@pytest.fixture(scope="module", params=["enhanced_ct_rle", "big_rle"])
def corpus_rle(request, corpus):
    path = corpus[request.param]
    return cases.case_pixels(path, f"{path.name}: read + RLE pixel_array", f"rle/{request.param}",
                             group="rle")


@pytest.mark.parametrize("impl", RLE_IMPLS)
def test_rle_bundled(benchmark, bundled_rle, impl):
    run_impl(benchmark, bundled_rle, impl)


@pytest.mark.parametrize("impl", RLE_IMPLS)
def test_rle_corpus(benchmark, corpus_rle, impl):
    run_impl(benchmark, corpus_rle, impl)
