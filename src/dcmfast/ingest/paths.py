"""Finding files: paths, folders (walked recursively, no symlink loops) and glob patterns, in chunks."""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple


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

    Parameters
    ----------
    inputs : str, PathLike or iterable of them
        Paths, folders and glob patterns.

    Yields
    ------
    str or PathError
        A file path, or the error of a folder that cannot be listed.
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


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


