"""Counts of an indexing run (:class:`IndexStats`), passed to progress callbacks."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class IndexStats:
    """Counts of an indexing run (also passed to the progress callback).

    Attributes
    ----------
    read : int
        Files read (new or changed).
    skipped : int
        Unchanged files (same size and mtime as in the database).
    errors : int
        Files read that failed (error records).
    removed : int
        Rows of files no longer found (prune).
    started : float
        ``time.perf_counter()`` at the start.
    elapsed : float
        Seconds since the start, at the last update.
    done : bool
        The run is over (the last progress call).
    """

    read: int = 0  # files read (new or changed)
    skipped: int = 0  # unchanged files (same size and mtime as in the database)
    errors: int = 0  # files read that failed (error records)
    removed: int = 0  # rows of files no longer found (prune)
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0
    done: bool = False

    @property
    def listed(self) -> int:
        """Files found: read + skipped."""
        return self.read + self.skipped

    @property
    def rate(self) -> float:
        """Files read per second."""
        return self.read / self.elapsed if self.elapsed > 0 else 0.0

    def _tick(self) -> None:
        self.elapsed = time.perf_counter() - self.started

