"""Atomic file writes: every file dcmfast writes goes through :func:`atomic_file`.

The content goes to a new temporary file in the target's folder, which is renamed over
the target only once every byte was written (and, with ``fsync``, flushed to the disk):
a crash or an error at any point leaves the old file whole, and an error removes the
temporary file. The new file gets the permissions a plain ``open(path, "w")`` would give
it: an existing target's mode, else ``0o666`` less the umask (or `mode` when given, e.g.
``0o600`` for a key file).
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

__all__ = ["atomic_file", "TMP_SUFFIX"]

#: Temporary files end in this (plus the caller's `suffix`): ``.<name>.<pid>.<n>.dcmfast-tmp``
TMP_SUFFIX = ".dcmfast-tmp"
_COUNTER = itertools.count()
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


@contextmanager
def atomic_file(path: str | os.PathLike[str], *, overwrite: bool = True, fsync: bool = False,
                suffix: str = "", mode: int | None = None) -> Iterator[tuple[BinaryIO, str]]:
    """``with atomic_file(path) as (f, tmp):`` write to the binary file `f`, or have a
    library write to the path `tmp` (it ends in `suffix`, for writers that choose the
    format by the name); on a normal exit the file is renamed to `path`.

    `overwrite` False: raise ``FileExistsError`` if `path` exists (checked first, and
    again atomically at the end: the file is linked to `path`, never over it).
    `fsync`: flush the file to the disk before the rename (survives a power failure).
    """
    path = os.fspath(path)
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"[Errno 17] File exists: '{path}'")
    folder, name = os.path.split(os.path.abspath(path))
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777  # keep an existing file's mode, as open() does
        except OSError:
            mode = None
    while True:
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.{next(_COUNTER)}{TMP_SUFFIX}{suffix}")
        try:
            fd = os.open(tmp, _FLAGS, 0o666 if mode is None else 0o600)  # the umask applies
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(fd, mode)
            yield f, tmp
            if not f.closed:
                f.flush()
                if fsync:
                    os.fsync(fd)
            elif fsync:  # the caller closed it
                _fsync_path(tmp)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the target appeared meanwhile
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
