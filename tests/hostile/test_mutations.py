"""Deterministic mutations of corpus seeds: dcmread + full walk + str + pixel_array
either succeed or raise a DcmfastError, in bounded time, without a signal.

Every seed (one per encoding and pixel path, see mutations.SEED_NAMES) gets its
truncations, length-field, VR, tag, delimiter, Image Pixel, transfer syntax,
fragment, RLE-header and JPEG-header mutations and seeded random edits. Each
input runs under a wall-clock budget relative to its size (a soft failure) and a
faulthandler watchdog (a hard stop with a traceback if something truly hangs).
"""
from __future__ import annotations

import faulthandler
import time

import pytest

from . import conftest
from .harness import OPTION_SETS, exercise
from .known import tolerated
from .mutations import mutations, seed_paths, synthetic

SEEDS = seed_paths()
WATCHDOG_SECONDS = 120


def budget(size: int) -> float:
    """Generous wall-clock bound for one input: linear in its size."""
    return 10.0 + size / 50_000  # 10 s (a loaded machine, first imports) + 20 us per byte


def _run(cases, label: str) -> None:
    failures = []
    n = 0
    for k, (desc, data) in enumerate(cases):
        # every input with force=True; every third one also under another option set
        option_sets = [OPTION_SETS[0]] + ([OPTION_SETS[1 + (k // 3) % 4]] if k % 3 == 0 else [])
        for options in option_sets:
            faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
            start = time.perf_counter()
            try:
                escapes = exercise(data, options)
            finally:
                faulthandler.cancel_dump_traceback_later()
            elapsed = time.perf_counter() - start
            n += 1
            if elapsed > budget(len(data)):
                failures.append(f"{desc} {options}: took {elapsed:.1f}s for {len(data)} bytes")
            failures += [f"{desc} {options}: {e}" for e in escapes if not tolerated(e)]
    conftest.COUNTS[label] = conftest.COUNTS.get(label, 0) + n
    assert not failures, f"{len(failures)} failures, e.g.:\n" + "\n".join(failures[:20])


def test_seeds_found():
    assert len(SEEDS) >= 20, [p.name for p in SEEDS]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_mutated_seed(seed):
    _run(mutations(seed.read_bytes()), "mutations")


def test_synthetic():
    _run(synthetic(), "synthetic")
