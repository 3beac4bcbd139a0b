"""Arrow tables and Parquet files of records (pyarrow: the ``dcmfast[parquet]`` extra)."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .._atomic import atomic_file
from .columns import _N_FIXED, DEFAULT_TAGS, RECORD_FIELDS, Column, resolve_tags
from .reader import _Reader
from .stats import IndexStats
from .values import _to_json


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

    Parameters
    ----------
    tags : iterable of str, int or tuple
        The top-level elements to read: keywords, ints, ``(group, element)`` pairs or hex
        strings (default: ``DEFAULT_TAGS``).

    Returns
    -------
    pyarrow.Schema
        ``path``, ``size``, ``mtime_ns``, ``transfer_syntax``, ``error_type``, ``error``,
        then one field per tag.
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
    out: list[str | int | float | bytes | None] = []
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
    """A pyarrow Table of records from :func:`read_many` (typed as :func:`arrow_schema`).

    Parameters
    ----------
    records : iterable of dict
        The records.
    tags : iterable of str, int or tuple
        The top-level elements to read: keywords, ints, ``(group, element)`` pairs or hex
        strings (default: ``DEFAULT_TAGS``).

    Returns
    -------
    pyarrow.Table
    """
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
    """Read many files (as :func:`read_many`) into a pyarrow Table.

    Parameters
    ----------
    paths : str, PathLike or iterable
        Files, folders and glob patterns.
    tags : iterable of str, int or tuple
        The top-level elements to read: keywords, ints, ``(group, element)`` pairs or hex
        strings (default: ``DEFAULT_TAGS``).
    workers : int, optional
        Reading threads (default: the CPU count).
    stop_before_pixels : bool
        Read each file up to its pixel data only.
    on_error : str
        ``"record"`` or ``"raise"``.

    Returns
    -------
    pyarrow.Table
        Typed as :func:`arrow_schema`.
    """
    reader = _Reader(tags, stop_before_pixels=stop_before_pixels, on_error=on_error)
    schema = arrow_schema(tags)
    rows = list(reader.rows(paths, workers))
    return _rows_to_table(rows, reader.columns, schema)


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

    With `force`, files without the DICOM header are read as ``dcmread(force=True)`` reads them.

    The file is written as ``OUT.partial`` and renamed to `out` when complete.

    Parameters
    ----------
    paths : str, PathLike or iterable
        Files, folders and glob patterns.
    out : str or PathLike
        The Parquet file.
    tags : iterable of str, int or tuple
        The top-level elements to read: keywords, ints, ``(group, element)`` pairs or hex
        strings (default: ``DEFAULT_TAGS``).
    workers : int, optional
        Reading threads (default: the CPU count).
    stop_before_pixels : bool
        Read each file up to its pixel data only.
    batch_size : int
        Rows per row group.
    progress : callable, optional
        Called with the :class:`IndexStats` after each row group and at the end.
    compression : str
        The Parquet compression (pyarrow's names).
    force : bool
        Read files without the DICOM header.

    Returns
    -------
    IndexStats
    """
    _pyarrow()
    import pyarrow.parquet as pq

    reader = _Reader(tags, stop_before_pixels=stop_before_pixels, force=force)
    schema = arrow_schema(tags)
    stats = IndexStats()
    batch: list[tuple[Any, ...]] = []
    # written atomically (dcmfast._atomic): a failed or killed run never leaves a partial `out`
    with atomic_file(out, suffix=".parquet") as (_, tmp):
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
    stats._tick()
    stats.done = True
    if progress is not None:
        progress(stats)
    return stats


