"""Reading chunks of paths into rows: the compiled fast path (``_core/ingest.pyx``), then the facade;
:func:`read_many`."""
from __future__ import annotations

import os
import stat as _stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from .._core import ingest as _cingest
from ..charset import PYTHON_ENCODING
from ..errors import InvalidDicomError
from ..reader import dcmread
from .columns import _NOT_DICOM_MESSAGE, _SQ_TAGS, DEFAULT_TAGS, RECORD_FIELDS, _fast_vr, resolve_tags
from .paths import _AHEAD, PathError, _chunks, _input_chunks, _walk
from .pipeline import _DONE, _Pipeline, _Task, default_workers
from .values import _JSON, _sqlite_adapt, plain_value

_Walk = Callable[[Iterable[Any]], Iterator[list[Any]]]


class _Folder(NamedTuple):
    """In a chunk's rows: this path is a folder, to be walked in its place."""

    path: str


_EISDIR = 21


class _Reader:
    """Reads chunks of paths into rows: lists of RECORD_FIELDS then one value per column."""

    def __init__(
        self,
        tags: Iterable[Any],
        *,
        stop_before_pixels: bool = True,
        on_error: str = "record",
        adapt: Callable[[list[Any]], None] | None = None,
        prefix: int = 8192,
        as_dict: bool = False,
        compact: bool = False,
        force: bool = False,
    ) -> None:
        if on_error not in ("record", "raise"):
            raise ValueError("on_error must be 'record' or 'raise'")
        self.columns = resolve_tags(tags)
        self.names = RECORD_FIELDS + tuple(c.name for c in self.columns)
        self.as_dict = as_dict
        self.compact = compact
        self.tags = [c.tag for c in self.columns]
        self.stop_before_pixels = stop_before_pixels
        self.force = force  # files without the DICOM header are read with dcmread(force=True)
        self.raise_errors = on_error == "raise"
        self.adapt = adapt
        self.extractor = _cingest.Extractor(
            self.tags,
            [_fast_vr(c) for c in self.columns],
            _SQ_TAGS,
            stop_before_pixels=stop_before_pixels,
            prefix=prefix,
            charsets=PYTHON_ENCODING,
            list_encoder=_JSON.encode if adapt is _sqlite_adapt else None,
            keys=self.names if as_dict else None,
            compact=compact,
        )
        self._empty = [None] * len(self.columns)

    # one chunk, called in the worker threads
    def read_chunk(self, paths: list[Any]) -> list[Any]:
        """The rows of a chunk of paths (str, PathError): lists (dicts with as_dict), or
        _Folder markers."""
        if PathError in map(type, paths):
            return self._read_mixed(paths)
        if _cingest.HAVE_FD_IO:
            rows, others = self.extractor.read_rows(paths)
        else:
            rows, others = self._read_python(paths)
        # (rows from read_rows are adapted for SQLite already: lists as JSON)
        for k, status, size, mtime_ns, extra in others:
            row = self._slow(str(paths[k]), status, size, mtime_ns, extra)
            rows[k] = self._record(row) if type(row) is list else row
        return rows

    def _record(self, row: list[Any]) -> Any:
        """A row made in Python as read_rows makes it: a dict with as_dict, compacted with compact."""
        if self.as_dict:
            return dict(zip(self.names, row, strict=True))
        return _cingest.compact_row(row) if self.compact else row

    def _read_mixed(self, paths: list[Any]) -> list[Any]:
        files = [p for p in paths if type(p) is not PathError]
        read = iter(self.read_chunk(files) if files else [])
        return [
            self._record(self._error_row(p.path, None, None, p.error_type, p.error, None))
            if type(p) is PathError else next(read)
            for p in paths
        ]

    def _read_python(self, paths: list[Any]) -> tuple[list[Any], list[Any]]:
        """read_rows in Python (platforms without POSIX fd I/O), extract() on each file."""
        rows: list[Any] = [None] * len(paths)
        others: list[tuple[int, int, int | None, int | None, Exception | None]] = []
        for k, path in enumerate(paths):
            try:
                if os.path.isdir(path):
                    raise IsADirectoryError(_EISDIR, "Is a directory", str(path))
                with open(path, "rb") as f:
                    st = os.fstat(f.fileno())
                    if not _stat.S_ISREG(st.st_mode):
                        others.append((k, _cingest.STATUS_NOT_REGULAR, st.st_size, st.st_mtime_ns, None))
                        continue
                    data = f.read()
            except OSError as exc:
                others.append((k, _cingest.STATUS_IO_ERROR, None, None, exc))
                continue
            except ValueError as exc:
                others.append((k, _cingest.STATUS_BAD_PATH, None, None, exc))
                continue
            status, ts, values = self.extractor.extract(data)
            if status == _cingest.STATUS_OK:
                # (values are adapted for SQLite already: lists as JSON)
                rows[k] = self._record([str(path), st.st_size, st.st_mtime_ns, ts, None, None,
                                          *values])  # type: ignore[misc]  # (a list with STATUS_OK)
            else:
                others.append((k, status, st.st_size, st.st_mtime_ns, None))
        return rows, others

    def _error_row(
        self, path: str, size: Any, mtime_ns: Any, error_type: str, error: str, exc: BaseException | None
    ) -> list[Any]:
        if self.raise_errors:
            raise exc if exc is not None else OSError(f"{error_type}: {error}")
        return [path, size, mtime_ns, None, error_type, error, *self._empty]

    def _slow(self, path: str, status: int, size: Any, mtime_ns: Any, extra: Any) -> Any:
        if status == _cingest.STATUS_IO_ERROR:
            if isinstance(extra, BaseException):
                exc: BaseException = extra
            else:
                exc = OSError(extra, os.strerror(extra), path)
            if getattr(exc, "errno", None) == _EISDIR:
                return _Folder(path)
            return self._error_row(path, None, None, type(exc).__name__, str(exc), exc)
        if status == _cingest.STATUS_BAD_PATH:
            return self._error_row(path, None, None, type(extra).__name__, str(extra), extra)
        if status == _cingest.STATUS_NOT_REGULAR:
            exc = OSError(f"not a regular file: {path!r}")
            return self._error_row(path, size, mtime_ns, "OSError", str(exc), exc)
        if status == _cingest.STATUS_NOT_DICOM and not self.force:
            exc = InvalidDicomError(_NOT_DICOM_MESSAGE)
            return self._error_row(path, size, mtime_ns, type(exc).__name__, str(exc), exc)
        return self._facade(path, size, mtime_ns)

    def _facade(self, path: str, size: Any, mtime_ns: Any) -> list[Any]:
        """Read one file through dcmread (the files the compiled path is not sure about)."""
        try:
            if size is None:
                st = os.stat(path)
                size, mtime_ns = st.st_size, st.st_mtime_ns
            ds = dcmread(path, stop_before_pixels=self.stop_before_pixels, specific_tags=self.tags,
                         force=self.force)
            meta = getattr(ds, "file_meta", None)
            ts = None
            if meta is not None:
                ts_elem = _element(meta, 0x00020010)
                ts = plain_value(ts_elem.value) if ts_elem is not None else None
            row = [path, size, mtime_ns, ts, None, None]
            for col in self.columns:
                source = meta if col.tag >> 16 == 2 else ds
                elem = _element(source, col.tag) if source is not None else None
                row.append(None if elem is None else plain_value(elem.value, elem.VR))
        except Exception as exc:  # noqa: BLE001 - a bad file becomes an error record
            return self._error_row(path, size, mtime_ns, type(exc).__name__, str(exc), exc)
        if self.adapt is not None:
            self.adapt(row)
        return row

    # the pipeline
    def rows(
        self,
        inputs: Any,
        workers: int | None = None,
        *,
        accept: Callable[[str], bool] | None = None,
        chunk_size: int = 64,
    ) -> Iterator[Any]:
        """The rows of the files named by `inputs` (see iter_paths), in input order."""
        for rows in self.row_chunks(inputs, workers, accept=accept, chunk_size=chunk_size):
            yield from rows

    def row_chunks(
        self,
        inputs: Any,
        workers: int | None = None,
        *,
        accept: Callable[[str], bool] | None = None,
        chunk_size: int = 64,
    ) -> Iterator[list[Any]]:
        """The rows of the files named by `inputs` (see iter_paths), in input order, as lists.

        `workers` threads read chunks of `chunk_size` files: this one and
        ``workers - 1`` threads of a pool that lives as long as the process
        (see _Pipeline); `accept(path)` (if given, called in this thread)
        chooses the paths to read. Folders given as inputs are found when
        they are read (no stat beforehand) and walked in place. Yielding
        lists rather than rows keeps the per-file work of the consumer (it
        competes with the readers for the GIL) small. Closing the generator
        early drops the chunks not yet read; a pool thread stops after the
        chunk it is reading. An exception raised reading a chunk is raised
        here when that chunk's turn comes.
        """
        nworkers = default_workers() if workers is None else int(workers)
        if nworkers < 1:
            raise ValueError("workers must be at least 1")
        visited: set[tuple[int, int]] = set()

        def select(chunks: Iterable[list[Any]]) -> Iterator[list[Any]]:
            if accept is None:
                yield from chunks
                return
            for chunk in chunks:
                chosen = [item for item in chunk if type(item) is PathError or accept(item)]
                if chosen:
                    yield chosen

        def split(rows: list[Any], walk: _Walk) -> Iterator[list[Any]]:
            """rows as they are, or in pieces around the folders found (walked in place)."""
            if _Folder not in map(type, rows):
                yield rows
                return
            done = 0
            for k, row in enumerate(rows):
                if type(row) is _Folder:
                    if k > done:
                        yield rows[done:k]
                    yield from walk(_walk(row.path, visited))
                    done = k + 1
            if done < len(rows):
                yield rows[done:]

        if nworkers == 1:

            def serial(chunks: Iterable[list[Any]]) -> Iterator[list[Any]]:
                for chunk in select(chunks):
                    yield from split(self.read_chunk(chunk), walk_serial)

            def walk_serial(items: Iterable[Any]) -> Iterator[list[Any]]:
                return serial(_chunks(items, chunk_size))

            yield from serial(_input_chunks(inputs, visited, chunk_size))
            return

        # this thread reads chunks too: nworkers - 1 pool threads help it
        pipe = _Pipeline(self.read_chunk, nworkers - 1)
        window_size = _AHEAD * nworkers

        def parallel(chunks: Iterable[list[Any]]) -> Iterator[list[Any]]:
            """The rows of chunks in order, at most window_size chunks queued or read ahead."""
            window: deque[_Task] = deque()
            source = select(chunks)
            more = True
            while True:
                while more and len(window) < window_size:
                    chunk = next(source, None)
                    if chunk is None:
                        more = False
                    else:
                        window.append(pipe.submit(chunk))
                if not window:
                    return
                head = window[0]
                if head.state != _DONE:
                    pipe.work(head)
                    continue
                window.popleft()
                if head.error is not None:
                    raise head.error
                yield from split(head.rows, walk_parallel)

        def walk_parallel(items: Iterable[Any]) -> Iterator[list[Any]]:
            return parallel(_chunks(items, chunk_size))

        try:
            yield from parallel(_input_chunks(inputs, visited, chunk_size, nworkers))
        finally:
            pipe.close()


def _element(ds: Any, tag: int) -> Any:
    try:
        return ds[tag]
    except KeyError:
        return None


def read_many(
    paths: Any,
    *,
    tags: Iterable[Any] = DEFAULT_TAGS,
    workers: int | None = None,
    stop_before_pixels: bool = True,
    on_error: str = "record",
) -> Iterator[dict[str, Any]]:
    """Read many files and yield one record (a dict) per file, in input order.

    `paths`: a path, or an iterable of paths, folders (walked recursively) and
    glob patterns (see :func:`iter_paths`). `tags`: keywords, ints or
    ``(group, element)`` pairs of top-level elements (group 0002 elements are
    read from the File Meta). Each record has ``path``, ``size``, ``mtime_ns``,
    ``transfer_syntax``, ``error_type`` and ``error`` (None unless the file
    failed) and one key per tag (its keyword) with the plain value
    (:func:`plain_value`), None when absent. A file that fails has its error
    class name and message instead of values; with ``on_error="raise"`` the
    error is raised instead. `workers` threads read the files (default: the
    CPU count); 1 reads in the calling thread.

    Parameters
    ----------
    paths : str, PathLike or iterable
        Files, folders and glob patterns.
    tags : iterable of str, int or tuple
        The top-level elements to read: keywords, ints, ``(group, element)`` pairs or hex
        strings (default: ``DEFAULT_TAGS``).
    workers : int, optional
        Reading threads (default: the CPU count); 1: the calling thread.
    stop_before_pixels : bool
        Read each file up to its pixel data only.
    on_error : str
        ``"record"`` (an error record) or ``"raise"``.

    Yields
    ------
    dict
        One record per file.

    Examples
    --------
    >>> import os
    >>> from dcmfast.ingest import read_many
    >>> from pydicom.data import get_testdata_file
    >>> path = get_testdata_file("CT_small.dcm")
    >>> [r["Modality"] for r in read_many([path], tags=["Modality"])]
    ['CT']
    """
    reader = _Reader(tags, stop_before_pixels=stop_before_pixels, on_error=on_error, as_dict=True)
    for records in reader.row_chunks(paths, workers):
        yield from records


