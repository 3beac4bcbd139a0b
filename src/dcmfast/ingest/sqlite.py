"""The SQLite index: an ``instances`` table that a re-run updates incrementally (:func:`index_sqlite`)."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from .._core import ingest as _cingest
from .columns import DEFAULT_TAGS, Column
from .reader import _Reader
from .stats import IndexStats
from .values import _sqlite_adapt

_SQL_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "REAL", "bytes": "BLOB", "any": ""}
#: Columns of the instances table that get an index (when they are among the tags).
INDEXED = ("PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "StudyDate", "Modality")
_SCHEMA_VERSION = "1"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _prepare_db(con: sqlite3.Connection, columns: Sequence[Column]) -> tuple[bool, list[str]]:
    """Create or update the schema.

    Returns (stale, missing indexes): stale when the stored rows were read with
    other tags; the CREATE INDEX statements still to run. A new table gets its
    indexes when the run ends (building them after a bulk load is faster than
    keeping them up to date row by row); so does a table an interrupted first
    run left without them.
    """
    con.execute("CREATE TABLE IF NOT EXISTS dcmfast_meta (key TEXT PRIMARY KEY, value TEXT)")
    fixed = (
        "path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, transfer_syntax TEXT, "
        "error_type TEXT, error TEXT"
    )

    def column(col: Column) -> str:
        return f"{_quote(col.name)} {'TEXT' if col.multi else _SQL_TYPES[col.kind]}".rstrip()

    existing = {row[1] for row in con.execute("PRAGMA table_info(instances)")}
    if not existing:
        con.execute(f"CREATE TABLE instances ({', '.join([fixed, *map(column, columns)])})")
    else:
        for col in columns:
            if col.name not in existing:
                con.execute(f"ALTER TABLE instances ADD COLUMN {column(col)}")
    have = {row[1] for row in con.execute("PRAGMA index_list(instances)")}
    missing = []
    for name in INDEXED:
        if any(c.name == name for c in columns) and f"idx_instances_{name}" not in have:
            collate = " COLLATE NOCASE" if name == "PatientName" else ""
            missing.append(
                f"CREATE INDEX IF NOT EXISTS idx_instances_{name} ON instances({_quote(name)}{collate})"
            )
    tags_key = json.dumps([c.tag for c in columns])
    row = con.execute("SELECT value FROM dcmfast_meta WHERE key = 'tags'").fetchone()
    stale = row is not None and row[0] != tags_key
    con.execute("INSERT OR REPLACE INTO dcmfast_meta VALUES ('tags', ?)", (tags_key,))
    con.execute("INSERT OR REPLACE INTO dcmfast_meta VALUES ('schema_version', ?)", (_SCHEMA_VERSION,))
    return stale, missing


def _known_files(con: sqlite3.Connection, columns: Sequence[Column]) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime_ns) of the files in the index (none when it was made with other tags)."""
    tables = {
        row[0]
        for row in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('dcmfast_meta', 'instances')"
        )
    }
    if tables != {"dcmfast_meta", "instances"}:
        return {}
    row = con.execute("SELECT value FROM dcmfast_meta WHERE key = 'tags'").fetchone()
    if row is not None and row[0] != json.dumps([c.tag for c in columns]):
        return {}  # stale: read every file again
    rows = con.execute("SELECT path, size, mtime_ns FROM instances")
    return {path: (size, mtime) for path, size, mtime in rows}


def _setup_db(con: sqlite3.Connection, columns: Sequence[Column]) -> list[str]:
    """WAL mode and the schema (see _prepare_db); the CREATE INDEX statements still to run."""
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("BEGIN IMMEDIATE")
    try:
        _stale, create_indexes = _prepare_db(con, columns)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return create_indexes


class _Writer:
    """Writes rows in a thread of its own, in transactions the caller delimits.

    setup (if given) runs first in the thread (its result: setup_result).
    put(rows) hands over rows (waiting while a few are queued): the first rows
    after a commit open a transaction. commit() ends it: those rows are then
    in the database (and, every few thousand rows, the WAL is checkpointed
    into the database file, here rather than when the connection closes).
    close() stops the thread; rows handed over since the last commit() are
    rolled back (an interrupted run keeps whole batches only). An error in
    the thread is raised by the next put(), commit() or close().

    Handing rows over a chunk at a time (rather than a batch at a time) lets
    the thread write while the files are read, so that little is left to
    write when the reading ends.
    """

    CHECKPOINT_ROWS = 256

    def __init__(
        self,
        con: sqlite3.Connection,
        table: str,
        names: Sequence[str],
        setup: Callable[[], Any] | None = None,
    ) -> None:
        import queue

        self.con = con
        self.setup = setup
        self.setup_result: Any = None
        self.head = f"INSERT OR REPLACE INTO {table} ("
        self.names = [_quote(n) for n in names]
        self.statements: dict[tuple[int, int, int], str] = {}
        self.queue: Any = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="dcmfast-sqlite-writer", daemon=True)
        self.thread.start()

    def _statement(self, mask: int, shared: int, n: int) -> str:
        """The INSERT of a group of n rows from _cingest.insert_groups.

        Its columns are those of the bits of mask (the others are NULL); the
        parameters are numbered: ?1 the mask (bound, not used), then the
        shared values (named by every row), then each row's others.
        """
        key = (mask, shared, n)
        sql = self.statements.get(key)
        if sql is None:
            columns = [name for i, name in enumerate(self.names) if mask >> i & 1]
            slots = range(1, len(columns) + 1)
            shared_no = {c: 2 + i for i, c in enumerate(c for c in slots if shared >> c & 1)}
            own = [c for c in slots if not shared >> c & 1]
            base = 2 + len(shared_no)
            rows = []
            for r in range(n):
                own_no = {c: base + r * len(own) + i for i, c in enumerate(own)}
                rows.append("(" + ", ".join(f"?{shared_no.get(c) or own_no[c]}" for c in slots) + ")")
            sql = f"{self.head}{', '.join(columns)}) VALUES {', '.join(rows)}"
            if len(self.statements) > 256:
                self.statements.clear()
            self.statements[key] = sql
        return sql

    def _write(self, rows: list[Any]) -> None:
        """Insert compact rows (see _cingest.compact_row), many rows a statement.

        sqlite3 binds the parameters with the GIL held, and releases and takes
        it back around each statement; the reader threads want it too: the
        fewer statements and the fewer parameters, the better.
        """
        con = self.con
        for mask, shared, n, params in _cingest.insert_groups(rows):
            con.execute(self._statement(mask, shared, n), params)

    def _run(self) -> None:
        con = self.con
        open_ = False
        since_checkpoint = 0
        if self.setup is not None:
            try:
                self.setup_result = self.setup()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self.error = exc
        while True:
            item = self.queue.get()
            try:
                if self.error is not None:
                    if item is None:
                        return
                    continue
                if item is None:
                    if open_:
                        con.execute("ROLLBACK")
                    return
                if item is _COMMIT or item is _LAST_COMMIT:
                    if open_:
                        con.execute("COMMIT")
                        open_ = False
                        # (not after the last: closing the connection checkpoints)
                        if item is _COMMIT and since_checkpoint >= self.CHECKPOINT_ROWS:
                            con.execute("PRAGMA wal_checkpoint(PASSIVE)")
                            since_checkpoint = 0
                    continue
                if not open_:
                    con.execute("BEGIN IMMEDIATE")
                    open_ = True
                self._write(item)
                since_checkpoint += len(item)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self.error = exc
                if open_:
                    open_ = False
                    try:
                        con.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                if item is None:
                    return

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    def put(self, rows: list[Any]) -> None:
        self._check()
        if rows:
            self.queue.put(rows)

    def commit(self, last: bool = False) -> None:
        self._check()
        self.queue.put(_LAST_COMMIT if last else _COMMIT)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self._check()


_COMMIT = object()
_LAST_COMMIT = object()
_MASK = itemgetter(0)
_ERROR_BIT = 1 << 4  # error_type is not None


def index_sqlite(
    paths: Any,
    db: str | os.PathLike[str],
    *,
    tags: Iterable[Any] = DEFAULT_TAGS,
    workers: int | None = None,
    stop_before_pixels: bool = True,
    batch_size: int = 1000,
    prune: bool = False,
    progress: Callable[[IndexStats], None] | None = None,
    progress_interval: float = 0.5,
    force: bool = False,
    _interrupt_after: int | None = None,
) -> IndexStats:
    """Index many files into the ``instances`` table of the SQLite database `db`.

    One row per file (primary key ``path``), with ``size``, ``mtime_ns``,
    ``transfer_syntax``, ``error_type``, ``error`` and a column per tag;
    multi-valued values are stored as JSON arrays. Rows are written in
    transactions of `batch_size` files (by a writer thread, while the next
    files are read), so an interrupted run keeps every batch it committed; a
    re-run reads only files that are new or whose size or mtime changed (all
    of them if the tags changed) and so resumes where it stopped. With
    `prune`, rows of files that the inputs no longer list are deleted at the
    end. Indexes (made at the end of the first run): PatientID, PatientName
    (case-insensitive), StudyInstanceUID, SeriesInstanceUID, StudyDate and
    Modality.

    The database is in WAL mode with ``synchronous=NORMAL``: a commit is not
    flushed to the disk at once but written to the WAL in order, so a crashed
    or killed process loses nothing committed, and a power failure can at
    worst lose the last transactions (which a re-run reads again), never
    leave the database corrupt.

    With `force`, files without the DICOM header are read as ``dcmread(force=True)``
    reads them, and the files that failed before are read again.

    Parameters
    ----------
    paths : str, PathLike or iterable
        Files, folders (walked recursively) and glob patterns (see :func:`iter_paths`).
    db : str or PathLike
        The SQLite database (created when missing).
    tags : iterable of str, int or tuple
        The top-level elements to read: keywords, ints, ``(group, element)`` pairs or hex
        strings (default: ``DEFAULT_TAGS``).
    workers : int, optional
        Reading threads (default: the CPU count).
    stop_before_pixels : bool
        Read the files up to their pixel data only.
    batch_size : int
        Files per transaction.
    prune : bool
        Delete the rows of files the inputs no longer list.
    progress : callable, optional
        Called with the :class:`IndexStats` as the run goes (at most every
        `progress_interval` seconds) and once at the end.
    progress_interval : float
        Seconds between progress calls.
    force : bool
        Read files without the DICOM header, and re-read the files that failed.

    Returns
    -------
    IndexStats
        The counts of the run.
    """
    reader = _Reader(tags, stop_before_pixels=stop_before_pixels, adapt=_sqlite_adapt, compact=True,
                     force=force)
    stats = IndexStats()
    batch_size = max(1, int(batch_size))
    con = sqlite3.connect(os.fspath(db), isolation_level=None, check_same_thread=False)
    try:
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("PRAGMA cache_size=-65536")
        known = _known_files(con, reader.columns)
        if force and known:
            for (failed,) in con.execute("SELECT path FROM instances WHERE error_type IS NOT NULL"):
                known.pop(failed, None)
        seen: set[str] | None = set() if prune else None

        def accept(path: str) -> bool:
            if seen is not None:
                seen.add(path)
            previous = known.get(path)
            if previous is not None:
                try:
                    st = os.stat(path)
                except OSError:
                    return True
                if previous == (st.st_size, st.st_mtime_ns):
                    stats.skipped += 1
                    return False
            return True

        # the schema is made (or updated) by the writer thread while the first files are read
        writer = _Writer(con, "instances", reader.names, setup=lambda: _setup_db(con, reader.columns))
        error_bit = _ERROR_BIT.__and__
        in_batch = 0
        last_report = time.perf_counter()
        try:
            chunks = reader.row_chunks(paths, workers, accept=accept if known or seen is not None else None)
            for rows in chunks:
                interrupt = _interrupt_after is not None and stats.read + len(rows) >= _interrupt_after
                if interrupt and _interrupt_after is not None:
                    # as if interrupted while the file _interrupt_after was read
                    rows = rows[: max(0, _interrupt_after - 1 - stats.read)]
                stats.read += len(rows)
                stats.errors += sum(map(error_bit, map(_MASK, rows))) // _ERROR_BIT
                # hand the rows over, committing at every batch_size rows
                while in_batch + len(rows) >= batch_size:
                    cut = batch_size - in_batch
                    writer.put(rows[:cut])
                    writer.commit()
                    rows = rows[cut:]
                    in_batch = 0
                writer.put(rows)
                in_batch += len(rows)
                if interrupt:
                    raise KeyboardInterrupt(f"interrupted after {_interrupt_after} files (test hook)")
                if progress is not None:
                    now = time.perf_counter()
                    if now - last_report >= progress_interval:
                        last_report = now
                        stats._tick()
                        progress(stats)
            writer.commit(last=True)
        finally:
            # what was committed stays (also when interrupted); a partial batch
            # is rolled back: a re-run reads those files again
            writer.close()
        create_indexes = writer.setup_result
        if create_indexes:
            con.execute("BEGIN IMMEDIATE")
            try:
                for statement in create_indexes:
                    con.execute(statement)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        if seen is not None:
            stats.removed = _prune(con, seen)
    finally:
        con.close()
    stats._tick()
    stats.done = True
    if progress is not None:
        progress(stats)
    return stats


def _prune(con: sqlite3.Connection, seen: set[str]) -> int:
    con.execute("BEGIN")
    try:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS dcmfast_seen (path TEXT PRIMARY KEY)")
        con.execute("DELETE FROM dcmfast_seen")
        con.executemany("INSERT OR IGNORE INTO dcmfast_seen VALUES (?)", ((p,) for p in seen))
        cur = con.execute("DELETE FROM instances WHERE path NOT IN (SELECT path FROM dcmfast_seen)")
        removed = cur.rowcount
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return removed


