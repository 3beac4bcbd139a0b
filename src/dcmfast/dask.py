"""Dask integration: the metadata of many files as a ``dask.dataframe.DataFrame``.

:func:`read_index` lists the files on the client (folders walked, globs
expanded), splits the list into partitions of `partition_size` files and reads
each partition with :func:`dcmfast.ingest.read_many`'s reader in a task. The
same graph runs on Dask's local schedulers (threads, processes, synchronous)
and on a ``dask.distributed`` cluster: the tasks only need ``dcmfast``
importable and the paths readable on the workers.

:func:`deidentify` de-identifies many files on a cluster (``dcmfast.deid``'s batch
run, its chunks as tasks).

Needs ``dask[dataframe]`` and ``pyarrow`` (the ``dcmfast[dask]`` extra).
Columns are pandas ``ArrowDtype`` columns typed as
:func:`dcmfast.ingest.arrow_schema` (lists for multi-valued tags).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import ingest as _ingest

__all__ = ["meta_frame", "read_index", "read_partition", "deidentify"]

_DEID_GROUP = 64  # partitions computed together by deidentify (then journaled)


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - dask[dataframe] brings pandas
        raise ImportError("dcmfast.dask needs dask[dataframe]: pip install 'dcmfast[dask]'") from None
    return pd


def meta_frame(tags: Iterable[Any] = _ingest.DEFAULT_TAGS) -> Any:
    """An empty pandas DataFrame with the columns and dtypes of :func:`read_index`'s partitions.

    Parameters
    ----------
    tags : iterable of str, int or tuple
        The top-level elements to read (as :func:`dcmfast.ingest.read_many`).

    Returns
    -------
    pandas.DataFrame
    """
    pd = _pandas()
    return _ingest.arrow_schema(tags).empty_table().to_pandas(types_mapper=pd.ArrowDtype)


def read_partition(
    paths: list[Any],
    tags: Iterable[Any] = _ingest.DEFAULT_TAGS,
    stop_before_pixels: bool = True,
    workers: int | None = 1,
) -> Any:
    """Read one partition's files into a pandas DataFrame (the task of :func:`read_index`).

    Parameters
    ----------
    paths : list
        The partition's files.
    tags : iterable of str, int or tuple
        The top-level elements to read (as :func:`dcmfast.ingest.read_many`).
    stop_before_pixels : bool
        Read each file up to its pixel data only.
    workers : int, optional
        Reading threads inside the task.

    Returns
    -------
    pandas.DataFrame
    """
    pd = _pandas()
    tags = tuple(tags)
    reader = _ingest._Reader(tags, stop_before_pixels=stop_before_pixels)
    rows = list(reader.rows(paths, workers))
    table = _ingest._rows_to_table(rows, reader.columns, _ingest.arrow_schema(tags))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def read_index(
    paths_or_globs: Any,
    *,
    tags: Iterable[Any] = _ingest.DEFAULT_TAGS,
    partition_size: int = 1000,
    workers: int | None = 1,
    stop_before_pixels: bool = True,
) -> Any:
    """A lazy Dask DataFrame of one record per file (see :func:`dcmfast.ingest.read_many`).

    `paths_or_globs`: a path or an iterable of files, folders and glob
    patterns, listed now on the client. Each partition of `partition_size`
    files is read by one task, with `workers` threads inside the task (1 by
    default: Dask runs tasks in parallel already). Rows keep the listing's
    order; every partition's index starts at 0.

    Parameters
    ----------
    paths_or_globs : str, PathLike or iterable
        Files, folders and glob patterns.
    tags : iterable of str, int or tuple
        The top-level elements to read (as :func:`dcmfast.ingest.read_many`).
    partition_size : int
        Files per partition (one task each).
    workers : int, optional
        Reading threads inside each task.
    stop_before_pixels : bool
        Read each file up to its pixel data only.

    Returns
    -------
    dask.dataframe.DataFrame

    Raises
    ------
    ValueError
        `partition_size` is less than 1, or a tag cannot be a column.
    """
    import dask.dataframe as dd  # the real dask: this module is dcmfast.dask, imports are absolute

    if partition_size < 1:
        raise ValueError("partition_size must be at least 1")
    tags = tuple(tags)
    _ingest.resolve_tags(tags)  # fail here, not in every task
    files = list(_ingest.iter_paths(paths_or_globs))
    meta = meta_frame(tags)
    if not files:
        return dd.from_pandas(meta, npartitions=1)
    parts = [files[i : i + partition_size] for i in range(0, len(files), partition_size)]
    return dd.from_map(
        read_partition,
        parts,
        tags=tags,
        stop_before_pixels=stop_before_pixels,
        workers=workers,
        meta=meta,
        label="dcmfast-read-index",
        enforce_metadata=False,
    )


def deidentify(
    paths: Any,
    out_dir: Any,
    *,
    key: bytes,
    options: Iterable[str] = (),
    uid_root: str | None = None,
    safe_private: Iterable[tuple[str, int, int]] = (),
    layout: str = "mirror",
    quarantine_dir: Any = None,
    audit_log: Any = None,
    resume: bool = True,
    partition_size: int = 256,
    scheduler: Any = None,
) -> Any:
    """De-identify the files of `paths` into `out_dir` with Dask tasks; returns the
    :class:`dcmfast.deid.run.Summary` (as ``Deidentifier.process``, whose arguments these are).

    The files are listed on the client and cut into partitions of `partition_size`
    files, each de-identified by one task (on the default scheduler: a
    ``dask.distributed`` client when one is active, or `scheduler`). The tasks need the
    inputs readable and `out_dir` writable at the same paths on every worker; `key` is
    sent to them in the task graph. The client writes the journal (resume), the audit
    log and the quarantine log as results come back (partitions are computed in groups of
    64, each group journaled when it is done). The outputs are byte for byte those of a
    single-process run with the same key and options.

    Parameters
    ----------
    paths : str, PathLike or iterable
        Files and folders.
    out_dir : str or PathLike
        The output folder.
    key : bytes
        The de-identification key (required: every task must use the same).
    options, uid_root, safe_private
        As :class:`dcmfast.deid.Deidentifier`.
    layout, quarantine_dir, audit_log, resume
        As :meth:`dcmfast.deid.Deidentifier.process`.
    partition_size : int
        Files per task.
    scheduler : str or object, optional
        The Dask scheduler (default: the active one).

    Returns
    -------
    Summary
    """
    # the real dask: this module is dcmfast.dask, imports are absolute
    from dask.base import compute
    from dask.delayed import delayed

    from .deid import Deidentifier
    from .deid import run as _run

    deid = Deidentifier(options, key=key, uid_root=uid_root, safe_private=safe_private)

    def mapper(config: dict[str, Any], chunks: list[list[tuple[str, str]]]) -> Any:
        # in groups of partitions, so that the journal of a long run advances as it goes
        for i in range(0, len(chunks), _DEID_GROUP):
            tasks = [delayed(_run.run_chunk, pure=False)(config, chunk)
                     for chunk in chunks[i:i + _DEID_GROUP]]
            yield from compute(*tasks, scheduler=scheduler)

    return _run.process(deid, paths, out_dir, layout=layout, quarantine_dir=quarantine_dir,
                        audit_log=audit_log, resume=resume, mapper=mapper, chunk_size=partition_size)
