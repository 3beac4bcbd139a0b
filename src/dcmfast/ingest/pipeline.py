"""The thread pipeline: chunks read by the consuming thread and by pool threads, results in order."""
from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def default_workers() -> int:
    """Threads used when `workers` is None: the CPU count (at least 1, at most 32)."""
    return max(1, min(32, os.cpu_count() or 1))


# -- the thread pool -------------------------------------------------------------------------

_NEW, _RUNNING, _DONE = 0, 1, 2


class _Task:
    """A chunk of paths to read, and then its rows (or the exception reading it raised)."""

    __slots__ = ("chunk", "error", "rows", "state")

    def __init__(self, chunk: list[Any]) -> None:
        self.chunk = chunk
        self.rows: list[Any] = []
        self.error: BaseException | None = None
        self.state = _NEW


class _Pipeline:
    """Chunks read by the thread that consumes the rows and by up to `lanes` pool threads.

    submit() queues a chunk; a pool thread (a lane) is started while fewer
    than `lanes` run and more than one chunk waits (a single chunk is read
    by the caller: starting a lane would cost more than it saves). A lane
    reads queued chunks, oldest first, until none is left, then ends, so
    that an idle pipeline holds no thread. work(task) is the caller's turn:
    it reads `task` itself if no lane started it, or else the oldest queued
    chunk, and waits only when nothing is queued. close() drops the queued
    chunks: the lanes end after the chunk they are reading.
    """

    def __init__(self, read: Callable[[list[Any]], list[Any]], lanes: int) -> None:
        self.read = read
        self.lanes = lanes
        self.active = 0  # lanes running
        self.todo: deque[_Task] = deque()
        self.lock = threading.Lock()
        self.finished = threading.Condition(self.lock)
        self.waiting = False  # the caller waits for a lane to finish a chunk
        self.closed = False

    def submit(self, chunk: list[Any]) -> _Task:
        task = _Task(chunk)
        with self.lock:
            self.todo.append(task)
            start = self.active < self.lanes and len(self.todo) > 1
            if start:
                self.active += 1
        if start:
            try:
                _shared_pool(self.lanes).submit(self._lane)
            except RuntimeError:  # the interpreter is shutting down: the caller reads alone
                with self.lock:
                    self.active -= 1
                    self.lanes = 0
        return task

    def _lane(self) -> None:
        read = self.read
        lock = self.lock
        todo = self.todo
        while True:
            with lock:
                if not todo or self.closed:
                    self.active -= 1
                    return
                task = todo.popleft()
                task.state = _RUNNING
            try:
                task.rows = read(task.chunk)
            except BaseException as exc:  # noqa: BLE001 - raised in the consumer, in order
                task.error = exc
            with lock:
                task.state = _DONE
                if self.waiting:
                    self.finished.notify()

    def work(self, head: _Task) -> None:
        """Move on towards head being done: read it, or another queued chunk, or wait."""
        with self.lock:
            if head.state == _NEW:
                self.todo.remove(head)
                task = head
            elif head.state == _DONE:
                return
            elif self.todo:
                task = self.todo.popleft()
            else:
                self.waiting = True
                try:
                    while head.state != _DONE:
                        self.finished.wait()
                finally:
                    self.waiting = False
                return
            task.state = _RUNNING
        try:
            task.rows = self.read(task.chunk)
        except Exception as exc:  # noqa: BLE001 - raised when its turn comes, as from a lane
            task.error = exc
        finally:
            task.state = _DONE

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.todo.clear()


_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _shared_pool(threads: int) -> ThreadPoolExecutor:
    """The process's ingest thread pool (at least `threads` threads; they start lazily).

    It lives as long as the process, so that a call does not pay for starting
    and stopping threads; its idle threads wait for work without using CPU.
    """
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < threads:
            _pool_size = max(threads, default_workers())
            _pool = ThreadPoolExecutor(_pool_size, thread_name_prefix="dcmfast-ingest")
        return _pool


def _forget_pool() -> None:
    """In a forked child the pool's threads are gone: make a new pool when one is needed."""
    global _pool, _pool_size, _pool_lock
    _pool = None
    _pool_size = 0
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)

