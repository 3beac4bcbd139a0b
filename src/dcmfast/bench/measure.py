"""Timing: samples of each implementation of a case, interleaved round by round."""
from __future__ import annotations

import gc
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import peers
from .cases import Case, Impl


@dataclass
class Result:
    name: str
    samples: list[float] = field(default_factory=list)  # seconds per call
    number: int = 0  # calls per sample
    correct: bool | None = None
    error: str = ""
    skip: str = ""
    floor: bool = False
    note: str = ""
    cap: int = 0  # at most this many samples (slow calls), 0: no cap

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def quartiles(self) -> tuple[float, float]:
        if len(self.samples) < 2:
            return (self.median, self.median)
        q = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q[0], q[2]

    @property
    def iqr(self) -> float:
        q1, q3 = self.quartiles
        return q3 - q1

    def as_dict(self) -> dict[str, Any]:
        q1, q3 = self.quartiles
        return {"name": self.name, "median_s": self.median, "q1_s": q1, "q3_s": q3,
                "samples_s": self.samples, "calls_per_sample": self.number, "correct": self.correct,
                "error": self.error or None, "skip": self.skip or None, "floor": self.floor,
                "note": self.note or None}


def _crashes(run: Callable[[], Any]) -> str:
    """Run ``run()`` in a forked child: '' if the child lived, else how it died."""
    if not hasattr(os, "fork"):
        return ""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            run()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"crashed (signal {os.WTERMSIG(status)}) on one of the files"
    return ""


def measure(case: Case, repeat: int, target: float, tick: Callable[[str], None] = lambda s: None,
            only: set[str] | None = None) -> list[Result]:
    """Time every implementation of ``case``: one untimed call (warm-up, output checked), then
    ``repeat`` rounds in which each implementation takes one sample of ``number`` calls
    (``number`` chosen so a sample lasts about ``target`` seconds), in a rotating order,
    each sample after a full garbage collection and, where ``number`` > 1, one call
    (both untimed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peers._SILENCED = True  # read by peers._quiet
        try:
            return _measure(case, repeat, target, tick, only)
        finally:
            peers._SILENCED = False


def _measure(case: Case, repeat: int, target: float, tick: Callable[[str], None],
             only: set[str] | None) -> list[Result]:
    results: list[Result] = []
    live: list[tuple[Impl, Result]] = []
    for impl in case.impls:
        res = Result(impl.name, floor=impl.floor, note=impl.note, skip=impl.skip)
        results.append(res)
        if only is not None and not impl.floor and impl.name != "dcmfast" and impl.name not in only:
            res.skip = res.skip or "not selected"
        if res.skip or impl.run is None:
            continue
        tick(f"{case.key}: {impl.name} warm-up")
        if case.probe and impl.name not in ("dcmfast", "pydicom") and not impl.floor:
            crash = _crashes(impl.run)
            if crash:
                res.error, res.correct = crash, False
                continue
        try:
            out = impl.run()
            res.correct = impl.check(out) if not impl.floor else None
            del out
            if case.group == "import":
                res.number = 1
            else:
                # the calls per sample, from the fastest of up to three more warm-up
                # calls (caches, lazily imported modules; one slow call, such as the
                # first to fault in fresh memory, must not set it for the whole case)
                once = math.inf
                for _ in range(3):
                    start = time.perf_counter()
                    impl.run()
                    once = min(once, max(time.perf_counter() - start, 1e-7))
                    if once > 1.0:
                        break
                res.number = max(1, int(target / once))
                if once > 1.0:  # a slow call: three samples are enough for a median
                    res.cap = min(repeat, 3)
        except Exception as exc:  # noqa: BLE001 - a failing peer is reported, not fatal
            res.error = f"{type(exc).__name__}: {str(exc)[:120]}"
            res.correct = False
            continue
        live.append((impl, res))
    for r in range(repeat):
        order = live[r % len(live):] + live[:r % len(live)] if live else []
        for impl, res in order:
            tick(f"{case.key}: {impl.name} {r + 1}/{repeat}")
            if res.cap and len(res.samples) >= res.cap:
                continue
            run, n = impl.run, res.number
            assert run is not None  # (live: the implementations with a run)
            if case.group == "import":
                res.samples.append(run())  # the child's own import time
                continue
            # every sample starts from a collected heap: garbage an implementation
            # left (the previous sample's, or another implementation's) is not
            # collected on the next one's time; the collector stays on while timing.
            # A full collection also empties the interpreter's free lists, so the
            # first call after it pays for memory a program calling it in a loop
            # never waits for: where a sample has several calls, one untimed call
            # comes first (time per call in a loop over many files).
            gc.collect()
            if n > 1:
                run()
            start = time.perf_counter()
            for _ in range(n):
                run()
            res.samples.append((time.perf_counter() - start) / n)
    return results


