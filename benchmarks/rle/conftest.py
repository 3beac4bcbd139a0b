from __future__ import annotations

import pytest
from _rle_bench_inputs import make_multiframe_rle


@pytest.fixture(scope="session")
def multiframe_rle(tmp_path_factory):
    return make_multiframe_rle(tmp_path_factory.mktemp("rle"))
