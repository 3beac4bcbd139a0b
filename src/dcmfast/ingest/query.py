"""Queries of an SQLite index (:func:`find`)."""
from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from .sqlite import _quote


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

    Parameters
    ----------
    db : str or PathLike
        The database.
    patient_id, modality, study_uid, series_uid : str, optional
        Exact matches (Modality is a code string: upper case, ``"CT"``).
    patient_name : str, optional
        A wildcard pattern.
    study_date : str, optional
        A date or a range.
    errors : bool
        Return the rows of the files that failed instead.
    columns : sequence of str, optional
        The columns returned (default: every column).
    limit : int, optional
        At most this many rows.

    Returns
    -------
    tuple of (list of str, list of tuple)

    Raises
    ------
    FileNotFoundError
        No database at `db`.
    ValueError
        `db` is not a dcmfast index, or a column it does not have is asked for.
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

