"""Frames shared out between the calling thread and the pixel worker pool
(:func:`dcmfast.pixels.rle._shared_pool`), for codecs called once per frame."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from . import rle

__all__ = ["map_frames"]


def map_frames(fn: Callable[[int], Any], count: int, nbytes: int, threads: int | None) -> list[Any]:
    """``[fn(i) for i in range(count)]``, frames shared out between the calling thread and
    the RLE pool when there is enough work (`nbytes` in all) and `threads` allows it.
    Worth it only for codecs that release the GIL."""
    workers = min(count, max(1, nbytes // rle.MIN_BYTES_PER_WORKER))
    if workers > 1:
        workers = 1 if threads == 1 else min(workers, rle.resolve_threads(threads, count), rle._cpus())
    if workers <= 1:
        return [fn(i) for i in range(count)]
    results: list[Any] = [None] * count
    lock = threading.Lock()
    state = {"next": 0, "stop": False}

    def run() -> None:
        while True:
            with lock:
                i = state["next"]
                if i >= count or state["stop"]:
                    return
                state["next"] = i + 1
            try:
                results[i] = fn(i)
            except BaseException:
                state["stop"] = True
                raise

    pool = rle._shared_pool()
    futures = [pool.submit(run) for _ in range(workers - 1)]
    errors: list[BaseException] = []
    try:
        run()
    except BaseException as exc:  # noqa: BLE001 - re-raised once the workers are done
        errors.append(exc)
    finally:
        for future in futures:
            try:
                future.result()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
    if errors:
        raise errors[0]
    return results
