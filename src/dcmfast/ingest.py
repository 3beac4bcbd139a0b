"""High-throughput ingestion: the metadata of many DICOM files as records, tables and an index.

:func:`read_many` reads many files with a thread pool and yields one record
(a dict) per file with the values of a few top-level tags as plain Python
values. The hot path is compiled (``_core/ingest.pyx``): a batch of files is
opened, read (a prefix: only as far as the last tag asked for) and indexed
without the GIL, and the values are converted straight from the bytes, with
no Dataset or DataElement objects. Files it is not sure about go through
:func:`dcmfast.dcmread`, so every value is the facade's.

Outputs: :func:`read_table` / :func:`write_parquet` (pyarrow, the
``dcmfast[parquet]`` extra) and :func:`index_sqlite`, an SQLite database
with an ``instances`` table that a re-run updates incrementally (files whose
size and mtime did not change are skipped), and :func:`find` to query it.
``dcmfast.dask.read_index`` runs the same reader in Dask partitions.
"""
from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import stat as _stat
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from ._core import ingest as _cingest
from .charset import PYTHON_ENCODING
from .datadict import KEYWORD_TO_TAG, MAIN, get_entry
from .errors import InvalidDicomError
from .reader import dcmread

__all__ = [
    "DEFAULT_TAGS",
    "RECORD_FIELDS",
    "Column",
    "IndexStats",
    "arrow_schema",
    "find",
    "index_sqlite",
    "iter_paths",
    "plain_value",
    "read_many",
    "read_table",
    "records_to_table",
    "resolve_tags",
    "write_parquet",
]

#: The tags read when none are given: identity, retrieval keys and geometry.
DEFAULT_TAGS: tuple[str, ...] = (
    "PatientID",
    "PatientName",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "Modality",
    "StudyDate",
    "SeriesDate",
    "AccessionNumber",
    "StudyDescription",
    "SeriesDescription",
    "SeriesNumber",
    "InstanceNumber",
    "Rows",
    "Columns",
    "NumberOfFrames",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
)

#: The fields of every record before the tag values.
RECORD_FIELDS: tuple[str, ...] = ("path", "size", "mtime_ns", "transfer_syntax", "error_type", "error")

_N_FIXED = len(RECORD_FIELDS)
_NOT_DICOM_MESSAGE = (
    "File is missing DICOM File Meta Information header or the 'DICM' prefix is missing "
    "from the header. Use force=True to force reading."
)
_AMBIGUOUS_VRS = frozenset(["US or SS or OW", "US or SS", "US or OW", "OB or OW"])
# tags whose value the facade adjusts after conversion: always read through it
_FACADE_TAGS = frozenset([0x00281101, 0x00281102, 0x00281103, 0x00283002])

_INT_VRS = frozenset(["US", "SS", "UL", "SL", "UV", "SV", "IS", "AT", "US or SS"])
_FLOAT_VRS = frozenset(["FL", "FD", "DS"])
_BYTES_VRS = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW"])


# -- tags and columns ------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One tag asked for: its column name, dictionary VR / VM and the typed-output kind."""

    tag: int
    name: str
    vr: str  # dictionary VR; "" for tags the dictionary does not know (private)
    vm: str
    kind: str  # "str", "int", "float", "bytes" or "any"
    multi: bool  # a list column (the dictionary allows more than one value)


def _parse_tag(spec: Any) -> int:
    if isinstance(spec, int):
        value = int(spec)
    elif isinstance(spec, (tuple, list)) and len(spec) == 2:
        value = (int(spec[0]) << 16) | int(spec[1])
    elif isinstance(spec, str):
        text = spec.strip()
        if text in KEYWORD_TO_TAG:
            return KEYWORD_TO_TAG[text]
        hexa = re.sub(r"[\s(),]", "", text)
        if hexa.lower().startswith("0x"):
            hexa = hexa[2:]
        if not re.fullmatch(r"[0-9A-Fa-f]{8}", hexa):
            raise ValueError(f"unknown tag {spec!r}: give a keyword, (gggg,eeee) or ggggeeee")
        value = int(hexa, 16)
    else:
        raise TypeError(f"not a tag: {spec!r}")
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"not a tag: {spec!r}")
    return value


def _kind(vr: str) -> str:
    if vr in _INT_VRS:
        return "int"
    if vr in _FLOAT_VRS:
        return "float"
    if vr in _BYTES_VRS:
        return "bytes"
    if not vr or vr in _AMBIGUOUS_VRS:
        return "any"
    return "str"


def resolve_tags(tags: Iterable[Any] = DEFAULT_TAGS) -> tuple[Column, ...]:
    """The columns for `tags` (keywords, ints, (group, element) pairs or hex strings).

    Duplicates are dropped. Sequences (SQ) and item tags cannot be columns.
    """
    if isinstance(tags, (str, int)):
        tags = [tags]
    out: list[Column] = []
    seen: set[int] = set()
    for spec in tags:
        tag = _parse_tag(spec)
        if tag in seen:
            continue
        seen.add(tag)
        if tag >> 16 == 0xFFFE:
            raise ValueError(f"({tag >> 16:04X},{tag & 0xFFFF:04X}) is an item tag, not an element")
        try:
            vr, vm, _name, _retired, keyword = get_entry(tag)
        except KeyError:
            vr, vm, keyword = "", "1-n", ""
            if not (tag >> 16) & 1 and tag & 0xFFFF == 0:
                vr, vm = "UL", "1"  # a group length, as the facade reads it
        if vr == "SQ":
            raise ValueError(f"{keyword or hex(tag)} is a sequence: only element values can be columns")
        name = keyword or f"x{tag:08X}"
        out.append(Column(tag, name, vr, vm, _kind(vr), vm != "1"))
    if not out:
        raise ValueError("no tags to read")
    return tuple(out)


def _fast_vr(col: Column) -> str:
    """The VR the compiled reader uses for an implicit VR element ("" or "*": the facade)."""
    if col.tag in _FACADE_TAGS:
        return "*"
    if (col.tag >> 16) & 1 or col.vr in _AMBIGUOUS_VRS or len(col.vr) != 2:
        return ""
    return col.vr


_SQ_TAGS = array("I", sorted(t for t, e in MAIN.items() if e[0] == "SQ"))


# -- plain values ------------------------------------------------------------------------


def plain_value(value: Any, vr: str | None = None) -> Any:
    """The plain Python value of an element value (dcmfast's or pydicom's).

    str subclasses (UID) -> str, PersonName -> str, DS -> float, IS -> int
    (a non-integer IS -> float), tags -> int, multi-values -> lists, and for
    DS / IS an empty or blank item -> None. A sequence becomes a list of dicts
    keyed by keyword (or ``(gggg,eeee)``). Everything else is returned as is.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if vr in ("DS", "IS") and not value.strip():
            return None
        return str(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (float, Decimal)):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if type(value).__name__ == "PersonName":
        return str(value)
    if hasattr(value, "iterall"):
        return _plain_dataset(value)
    if _is_seq(value):
        if len(value) and hasattr(value[0], "iterall"):
            return [_plain_dataset(item) for item in value]
        return [plain_value(v, vr) for v in value]
    return value


def _is_seq(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or (hasattr(value, "__len__") and hasattr(value, "__getitem__"))


def _plain_dataset(ds: Any) -> dict[str, Any]:
    out = {}
    for elem in ds:
        key = elem.keyword or f"({elem.tag >> 16:04X},{elem.tag & 0xFFFF:04X})"
        out[key] = plain_value(elem.value, elem.VR)
    return out


# -- finding files -------------------------------------------------------------------------


class PathError(NamedTuple):
    """A path that could not be listed (a folder that cannot be read, a vanished entry)."""

    path: str
    error_type: str
    error: str


_GLOB_MAGIC = re.compile(r"[*?[]")


def iter_paths(inputs: Any) -> Iterator[str | PathError]:
    """The files named by `inputs`: paths, folders (walked recursively) and glob patterns.

    Folders are walked in sorted order, following symlinks to folders but never
    into a folder already visited (no symlink loops). Every entry that is not a
    folder is yielded, so unreadable entries become error records rather than
    being skipped; a folder that cannot be listed is yielded as a
    :class:`PathError`. A path that does not exist is yielded as is (its record
    is a FileNotFoundError). A glob that matches nothing yields nothing.
    """
    visited: set[tuple[int, int]] = set()
    for item in _inputs(inputs, visited):
        if isinstance(item, _Unchecked):
            if os.path.isdir(item):
                yield from _walk(str(item), visited)
            else:
                yield str(item)
        else:
            yield item


class _Unchecked(str):
    """A path given as input that may be a folder (found out when it is read)."""

    __slots__ = ()


def _inputs(inputs: Any, visited: set[tuple[int, int]], mark: bool = True) -> Iterator[str | PathError]:
    """Inputs with globs expanded; plain paths are not looked at (no stat).

    With `mark`, they are yielded as _Unchecked (they may be folders); without,
    as plain str (the reader finds folders when it opens them).
    """
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    for item in inputs:
        if type(item) is str:
            path = item
        elif isinstance(item, (PathError, _Unchecked)):
            yield item if mark or type(item) is PathError else str(item)
            continue
        else:
            path = os.fsdecode(os.fspath(item))
        if _has_magic(path) and not os.path.lexists(path):
            yield from _glob(path, visited)
        else:
            yield _Unchecked(path) if mark else path


def _has_magic(text: str) -> bool:
    """Whether text has glob characters (as _GLOB_MAGIC.search, without the regex)."""
    return "*" in text or "?" in text or "[" in text


_STR_ONLY = {str}


_MIN_CHUNK = 8
# chunks a reading thread may have queued or read ahead of the consumer
_AHEAD = 4


def _input_chunks(
    inputs: Any, visited: set[tuple[int, int]], size: int, threads: int = 1
) -> Iterator[list[Any]]:
    """_inputs(inputs, mark=False) in lists of at most `size` (fewer at folders and globs).

    A list or tuple of plain str paths with no glob characters is passed on
    in slices, without a Python-level step per path. With several `threads`
    reading the chunks, the slices of a list get smaller towards its end
    (about a 2 * threads-th of what is left, at least _MIN_CHUNK paths), so
    that the threads finish at about the same time.
    """
    if type(inputs) in (list, tuple):
        start, n = 0, len(inputs)
        while start < n:
            step = size
            if threads > 1:
                step = min(size, max(_MIN_CHUNK, -(-(n - start) // (2 * threads))))
            part = inputs[start : start + step]
            start += step
            if set(map(type, part)) == _STR_ONLY and not _has_magic("\0".join(part)):
                yield list(part) if type(part) is tuple else part
            else:
                yield from _chunks(_inputs(part, visited, mark=False), step)
        return
    yield from _chunks(_inputs(inputs, visited, mark=False), size)


def _glob(pattern: str, visited: set[tuple[int, int]]) -> Iterator[str | PathError]:
    """Expand a glob pattern; ``**`` walks (loop-safe) instead of following glob's recursion."""
    import glob

    parts = pattern.replace(os.sep, "/").split("/") if os.sep != "/" else pattern.split("/")
    if "**" not in parts:
        for match in sorted(glob.iglob(pattern)):
            if os.path.isdir(match):
                yield from _walk(match, visited)
            else:
                yield match
        return
    # the folders before the first magic component are the root of a walk
    k = next(i for i, part in enumerate(parts) if _GLOB_MAGIC.search(part))
    root = "/".join(parts[:k]) or ("/" if pattern.startswith("/") else ".")
    regex = re.compile(_glob_regex(parts[k:]), re.DOTALL)
    prefix = len(root.rstrip("/")) + 1 if root != "/" else 1
    for path in _walk(root, visited):
        name = path.path if isinstance(path, PathError) else path
        rel = name[prefix:].replace(os.sep, "/")
        if regex.fullmatch(rel):
            yield path if isinstance(path, PathError) else (name if root != "." else rel)


def _glob_regex(parts: list[str]) -> str:
    """A regex for path components of a glob pattern (``**`` any folders, ``*`` no slash)."""
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        expr = ""
        j = 0
        while j < len(part):
            ch = part[j]
            if ch == "*":
                expr += "[^/]*"
            elif ch == "?":
                expr += "[^/]"
            elif ch == "[":
                end = part.find("]", j + 2 if part[j + 1 : j + 2] in ("!", "]") else j + 1)
                if end < 0:
                    expr += re.escape(ch)
                else:
                    body = part[j + 1 : end]
                    if body.startswith("!"):
                        body = "^" + body[1:]
                    expr += "[" + body.replace("\\", "\\\\") + "]"
                    j = end
            else:
                expr += re.escape(ch)
            j += 1
        out.append(expr + ("" if last else "/"))
    return "".join(out)


def _walk(root: str, visited: set[tuple[int, int]]) -> Iterator[str | PathError]:
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
            key = (st.st_dev, st.st_ino)
            if key in visited:
                continue
            visited.add(key)
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield PathError(folder, type(exc).__name__, str(exc))
            continue
        subfolders = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                subfolders.append(entry.path)
            else:
                yield entry.path
        stack.extend(reversed(subfolders))


# -- reading -------------------------------------------------------------------------------


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def default_workers() -> int:
    """Threads used when `workers` is None: the CPU count (at least 1, at most 32)."""
    return max(1, min(32, os.cpu_count() or 1))


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
        others = []
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
                rows[k] = self._record([str(path), st.st_size, st.st_mtime_ns, ts, None, None, *values])
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
    """
    reader = _Reader(tags, stop_before_pixels=stop_before_pixels, on_error=on_error, as_dict=True)
    for records in reader.row_chunks(paths, workers):
        yield from records


# -- Arrow / Parquet -----------------------------------------------------------------------


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise ImportError(
            "pyarrow is needed for tables and Parquet: pip install 'dcmfast[parquet]'"
        ) from None
    return pyarrow


def arrow_schema(tags: Iterable[Any] = DEFAULT_TAGS) -> Any:
    """The pyarrow schema of a table of records for `tags`.

    Strings (PN, UI, DA, ...) are ``string``; US/SS/UL/SL/UV/SV/IS/AT ``int64``;
    FL/FD/DS ``float64``; OB/OW/... ``binary``; tags the dictionary allows
    several values for are ``list<...>``; private/unknown/ambiguous tags are
    ``string`` holding the value as JSON.
    """
    pa = _pyarrow()
    columns = resolve_tags(tags)
    fields = [
        pa.field("path", pa.string(), nullable=False),
        pa.field("size", pa.int64()),
        pa.field("mtime_ns", pa.int64()),
        pa.field("transfer_syntax", pa.string()),
        pa.field("error_type", pa.string()),
        pa.field("error", pa.string()),
    ]
    base = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bytes": pa.binary(),
            "any": pa.string()}
    for col in columns:
        typ = base[col.kind]
        if col.multi and col.kind != "any":
            typ = pa.list_(typ)
        fields.append(pa.field(col.name, typ))
    return pa.schema(fields)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=_json_default)


def _scalar(value: Any, kind: str) -> Any:
    """A value fitted to a typed column (None when it does not fit)."""
    if value is None:
        return None
    if kind == "str":
        if isinstance(value, list):
            return "\\".join(str(v) for v in value)
        return value if isinstance(value, str) else str(value)
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    if kind == "int":
        return int(value) if isinstance(value, int) else None
    if kind == "float":
        return float(value) if isinstance(value, (int, float)) else None
    if kind == "bytes":
        return value if isinstance(value, bytes) else None
    return _to_json(value)


def _multi(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if not isinstance(value, list):
        if value == "" and kind == "str":
            return []
        value = [value]
    out = []
    for v in value:
        if kind == "str":
            out.append(v if isinstance(v, str) or v is None else str(v))
        elif kind == "int":
            out.append(int(v) if isinstance(v, int) else None)
        elif kind == "float":
            out.append(float(v) if isinstance(v, (int, float)) else None)
        else:
            out.append(v if isinstance(v, bytes) else None)
    return out


def _rows_to_table(rows: Sequence[tuple[Any, ...]], columns: Sequence[Column], schema: Any) -> Any:
    pa = _pyarrow()
    if not rows:
        return schema.empty_table()
    data = list(zip(*rows, strict=False))
    arrays = [pa.array(data[i], type=schema.field(i).type) for i in range(_N_FIXED)]
    for k, col in enumerate(columns):
        values = data[_N_FIXED + k]
        if col.kind == "any":
            fitted = [_to_json(v) for v in values]
        elif col.multi:
            fitted = [_multi(v, col.kind) for v in values]
        else:
            fitted = [_scalar(v, col.kind) for v in values]
        arrays.append(pa.array(fitted, type=schema.field(_N_FIXED + k).type))
    return pa.Table.from_arrays(arrays, schema=schema)


def records_to_table(records: Iterable[dict[str, Any]], tags: Iterable[Any] = DEFAULT_TAGS) -> Any:
    """A pyarrow Table of records from :func:`read_many` (typed as :func:`arrow_schema`)."""
    columns = resolve_tags(tags)
    schema = arrow_schema(tags)
    names = RECORD_FIELDS + tuple(c.name for c in columns)
    rows = [tuple(r.get(n) for n in names) for r in records]
    return _rows_to_table(rows, columns, schema)


def read_table(
    paths: Any,
    *,
    tags: Iterable[Any] = DEFAULT_TAGS,
    workers: int | None = None,
    stop_before_pixels: bool = True,
    on_error: str = "record",
) -> Any:
    """Read many files (as :func:`read_many`) into a pyarrow Table."""
    reader = _Reader(tags, stop_before_pixels=stop_before_pixels, on_error=on_error)
    schema = arrow_schema(tags)
    rows = list(reader.rows(paths, workers))
    return _rows_to_table(rows, reader.columns, schema)


# -- progress ---------------------------------------------------------------------------


@dataclass
class IndexStats:
    """Counts of an indexing run (also passed to the progress callback)."""

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


def write_parquet(
    paths: Any,
    out: str | os.PathLike[str],
    *,
    tags: Iterable[Any] = DEFAULT_TAGS,
    workers: int | None = None,
    stop_before_pixels: bool = True,
    batch_size: int = 10000,
    progress: Callable[[IndexStats], None] | None = None,
    compression: str = "zstd",
    force: bool = False,
) -> IndexStats:
    """Read many files and write their records to a Parquet file, `batch_size` rows per row group.

    With `force`, files without the DICOM header are read as ``dcmread(force=True)`` reads them."""
    _pyarrow()
    import pyarrow.parquet as pq

    reader = _Reader(tags, stop_before_pixels=stop_before_pixels, force=force)
    schema = arrow_schema(tags)
    stats = IndexStats()
    tmp = os.fspath(out) + ".partial"
    batch: list[tuple[Any, ...]] = []
    with pq.ParquetWriter(tmp, schema, compression=compression) as writer:
        for row in reader.rows(paths, workers):
            batch.append(row)
            stats.read += 1
            if row[4] is not None:
                stats.errors += 1
            if len(batch) >= batch_size:
                writer.write_table(_rows_to_table(batch, reader.columns, schema))
                batch = []
                stats._tick()
                if progress is not None:
                    progress(stats)
        if batch:
            writer.write_table(_rows_to_table(batch, reader.columns, schema))
    os.replace(tmp, out)
    stats._tick()
    stats.done = True
    if progress is not None:
        progress(stats)
    return stats


# -- SQLite -------------------------------------------------------------------------------

_SQL_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "REAL", "bytes": "BLOB", "any": ""}
#: Columns of the instances table that get an index (when they are among the tags).
INDEXED = ("PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "StudyDate", "Modality")
_SCHEMA_VERSION = "1"


_JSON = json.JSONEncoder(default=_json_default)
_FINITE = (int, float)


def _json_list(value: list[Any]) -> str:
    for v in value:
        if type(v) not in _FINITE or math.isnan(v) or math.isinf(v):
            return _JSON.encode(value)
    return "[" + ", ".join(map(repr, value)) + "]"


def _sqlite_adapt(values: list[Any]) -> None:
    """Make a row storable in SQLite in place: lists (and dicts) become JSON text."""
    for i, v in enumerate(values):
        t = type(v)
        if t is list:
            values[i] = _json_list(v)
        elif t is dict:
            values[i] = _JSON.encode(v)


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
        import threading

        self.con = con
        self.setup = setup
        self.setup_result: Any = None
        self.head = f"INSERT OR REPLACE INTO {table} ("
        self.names = [_quote(n) for n in names]
        self.statements: dict[tuple[int, int], str] = {}
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
                if interrupt:
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


def _like_pattern(pattern: str) -> str:
    """A DICOM wildcard pattern (* and ?) as an SQL LIKE pattern (escape: backslash)."""
    out = []
    for ch in pattern:
        if ch in "%_\\":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def _date_range(spec: str) -> tuple[str | None, str | None]:
    """'20200101-20201231', '20200101-', '-20201231' or '20200101' -> (first, last)."""
    spec = spec.strip()
    if "-" in spec:
        first, _, last = spec.partition("-")
        first, last = first.strip(), last.strip()
    else:
        first = last = spec
    for value in (first, last):
        if value and not re.fullmatch(r"\d{8}", value):
            raise ValueError(f"not a date range: {spec!r} (YYYYMMDD, YYYYMMDD-YYYYMMDD, open ends)")
    return first or None, last or None


def _open_for_reading(path: str) -> sqlite3.Connection:
    """`path` opened for queries only. Read-write when allowed: the last connection to a WAL
    database to close removes its -wal and -shm files, which a read-only one leaves behind."""
    from pathlib import Path

    uri = Path(os.path.abspath(path)).as_uri()
    try:
        con = sqlite3.connect(uri + "?mode=rw", uri=True)
        con.execute("PRAGMA query_only = ON")
        return con
    except sqlite3.OperationalError:  # a read-only file or folder
        return sqlite3.connect(uri + "?mode=ro", uri=True)


def find(
    db: str | os.PathLike[str],
    *,
    patient_id: str | None = None,
    patient_name: str | None = None,
    modality: str | None = None,
    study_date: str | None = None,
    study_uid: str | None = None,
    series_uid: str | None = None,
    errors: bool = False,
    columns: Sequence[str] | None = None,
    limit: int | None = None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Query an index made by :func:`index_sqlite`: (column names, rows) ordered by path.

    `patient_name` is a DICOM wildcard pattern (``*``, ``?``), matched without
    regard to case; `study_date` is ``YYYYMMDD`` or a range
    ``YYYYMMDD-YYYYMMDD`` (either end may be left open); the others match
    exactly. Rows of files that failed are left out unless `errors` is true,
    in which case only they are returned.
    """
    path = os.fspath(db)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no index database at {path!r}")
    con = _open_for_reading(path)
    try:
        available = [row[1] for row in con.execute("PRAGMA table_info(instances)")]
        if not available:
            raise ValueError(f"{path!r} has no instances table: is it a dcmfast index?")
        where: list[str] = []
        params: list[Any] = []

        def need(name: str) -> str:
            if name not in available:
                raise ValueError(f"the index has no {name} column (it was made with other --tags)")
            return _quote(name)

        if patient_id is not None:
            where.append(f"{need('PatientID')} = ?")
            params.append(patient_id)
        if patient_name is not None:
            where.append(f"{need('PatientName')} LIKE ? ESCAPE '\\'")
            params.append(_like_pattern(patient_name))
        if modality is not None:
            where.append(f"{need('Modality')} = ?")
            params.append(modality)
        if study_date is not None:
            first, last = _date_range(study_date)
            where.append(f"{need('StudyDate')} <> ''")  # an empty date is in no range
            if first is not None:
                where.append(f"{need('StudyDate')} >= ?")
                params.append(first)
            if last is not None:
                where.append(f"{need('StudyDate')} <= ?")
                params.append(last)
        if study_uid is not None:
            where.append(f"{need('StudyInstanceUID')} = ?")
            params.append(study_uid)
        if series_uid is not None:
            where.append(f"{need('SeriesInstanceUID')} = ?")
            params.append(series_uid)
        where.append("error_type IS NOT NULL" if errors else "error_type IS NULL")
        if columns is None:
            if errors:
                columns = ["path", "error_type", "error"]
            else:
                preferred = ["path", "PatientID", "PatientName", "StudyDate", "Modality",
                             "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                             "InstanceNumber"]
                columns = [c for c in preferred if c in available]
        columns = list(columns)
        select = ", ".join(need(c) for c in columns)
        sql = f"SELECT {select} FROM instances WHERE {' AND '.join(where)} ORDER BY path"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = con.execute(sql, params).fetchall()
    finally:
        con.close()
    return columns, rows

