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

The package, one concern per module: ``columns`` (tags -> columns), ``values``
(plain values), ``paths`` (walking folders, globs), ``reader`` (the compiled fast
path and the facade, :func:`read_many`), ``pipeline`` (the thread pool), ``arrow``
(tables, Parquet), ``stats``, ``sqlite`` (:func:`index_sqlite`) and ``query``
(:func:`find`).
"""
from __future__ import annotations

# _Reader, _rows_to_table and _shared_pool are used by dcmfast.dask, tests and benchmarks
from .arrow import _rows_to_table as _rows_to_table
from .arrow import arrow_schema, read_table, records_to_table, write_parquet  # noqa: F401
from .columns import DEFAULT_TAGS, RECORD_FIELDS, Column, resolve_tags
from .paths import PathError, iter_paths  # noqa: F401
from .pipeline import _shared_pool, default_workers  # noqa: F401
from .query import find
from .reader import _Reader as _Reader
from .reader import read_many
from .sqlite import INDEXED, index_sqlite  # noqa: F401
from .stats import IndexStats
from .values import plain_value

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
