"""Plain values (the facade's values as str, int, float, bytes, lists, dicts) and their JSON text."""
from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any


def plain_value(value: Any, vr: str | None = None) -> Any:
    """The plain Python value of an element value (dcmfast's or pydicom's).

    str subclasses (UID) -> str, PersonName -> str, DS -> float, IS -> int
    (a non-integer IS -> float), tags -> int, multi-values -> lists, and for
    DS / IS an empty or blank item -> None. A sequence becomes a list of dicts
    keyed by keyword (or ``(gggg,eeee)``). Everything else is returned as is.

    Parameters
    ----------
    value : object
        The element value.
    vr : str, optional
        The element's VR (an empty DS or IS item becomes None).

    Returns
    -------
    object
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


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=_json_default)


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


