"""The measuring loop the scripts here share: every implementation once to warm up (page
cache, imports, thread pools), then `rounds` rounds running each in turn, so load and
heap state fall on all alike.

``medians, cpus = alternate(impls, rounds)``: the median seconds of each, and the CPUs the
process got on average while measuring (CPU time / wall time: below the thread count
means the machine was busy).
"""
from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def alternate(impls: dict[str, Callable[[], Any]], rounds: int) -> tuple[dict[str, float], float]:
    for fn in impls.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in impls}
    cpu0, wall0 = os.times(), time.perf_counter()
    for _ in range(rounds):
        for name, fn in impls.items():
            gc.collect()
            t = time.perf_counter()
            out = fn()
            times[name].append(time.perf_counter() - t)
            del out
    cpu1, wall1 = os.times(), time.perf_counter()
    cpus = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (wall1 - wall0)
    return {k: statistics.median(v) for k, v in times.items()}, cpus
