"""Sequences: every item's ``PlanePositionSequence[0].ImagePositionPatient`` of a
5,000-item per-frame functional groups sequence (target >= 50x pydicom), and every value
at every depth of rtplan.dcm and of a 100-frame Enhanced CT."""
from __future__ import annotations

import pytest
from _bench import IMPLS, run_impl

from dcmfast.bench import cases
from dcmfast.bench.corpus import N_PFFG_ITEMS


@pytest.fixture(scope="module")
def pffg(corpus):
    return cases.case_frame_positions(
        corpus["pffg"], f"{N_PFFG_ITEMS}-item per-frame groups: every ImagePositionPatient",
        "sequences/pffg")


@pytest.fixture(scope="module")
def rtplan(bundled):
    return cases.case_walk(bundled / "rtplan.dcm", "rtplan.dcm: every value at every depth",
                           "sequences/rtplan")


@pytest.fixture(scope="module")
def enhanced(corpus):
    return cases.case_walk(corpus["enhanced_ct"], "Enhanced CT 100 frames: every value at every depth",
                           "sequences/enhanced_ct")


@pytest.mark.parametrize("impl", IMPLS)
def test_frame_positions_5000(benchmark, pffg, impl):
    run_impl(benchmark, pffg, impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_walk_rtplan(benchmark, rtplan, impl):
    run_impl(benchmark, rtplan, impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_walk_enhanced_ct(benchmark, enhanced, impl):
    run_impl(benchmark, enhanced, impl)
