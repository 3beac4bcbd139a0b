"""The peers (pydicom, fastdicom, dicomsdl, python-gdcm) and the canonical values their outputs
are compared by."""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

#: peer name -> (modules it needs, distribution name)
PEERS: dict[str, tuple[tuple[str, ...], str]] = {
    "pydicom": (("pydicom",), "pydicom"),
    "pydicom+pylibjpeg-rle": (("pydicom", "pylibjpeg", "rle"), "pylibjpeg-rle"),
    "fastdicom": (("fastdicom",), "fastdicom"),
    "dicomsdl": (("dicomsdl",), "dicomsdl"),
    "gdcm": (("gdcm",), "python-gdcm"),
}
FLOOR_READ = "floor: open+read+close"
FLOOR_COPY = "floor: numpy copy"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"


def _has_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def installed_peers() -> dict[str, str | None]:
    """Peer name -> version string, or None when the peer is not installed."""
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name, (modules, dist) in PEERS.items():
        if all(_has_module(m) for m in modules):
            try:
                out[name] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                out[name] = "?"
        else:
            out[name] = None
    return out


_INSTALLED: dict[str, str | None] | None = None


def _installed(name: str) -> bool:
    global _INSTALLED
    if _INSTALLED is None:
        _INSTALLED = installed_peers()
    return _INSTALLED.get(name) is not None


# --------------------------------------------------------------------------------------
# Canonical values: how outputs of different libraries are compared with pydicom's
# --------------------------------------------------------------------------------------
# Each library has its own value types (pydicom's DSfloat and MultiValue, fastdicom's
# floats and lists, gdcm's backslash-joined strings), so values are reduced to tuples of
# tokens: numbers as floats, text stripped of padding, bytes without trailing NULs, a
# nested dataset as a {tag: tokens} dict. Empty values of every kind become ().


def _token(x: Any) -> Any:
    if isinstance(x, str):
        s = x.strip(" \0")
        try:
            return float(s)
        except ValueError:
            return s
    if isinstance(x, (bytes, bytearray, memoryview)):
        return bytes(x).rstrip(b"\0")
    if hasattr(x, "__float__"):
        return float(x)
    return str(x).strip(" \0")


def _kind(v: Any) -> str:
    cls = type(v)
    mod = cls.__module__.split(".")[0]
    if mod in ("pydicom", "dcmfast", "fastdicom", "dicomsdl") and cls.__name__ in (
        "Dataset", "FileDataset", "DataSet",
    ):
        return f"{mod}-ds"
    if mod == "dicomsdl" and cls.__name__ == "Sequence":
        return "dicomsdl-seq"
    return ""


def canon(v: Any) -> tuple[Any, ...]:
    """``v`` reduced to comparable tokens (see above)."""
    if v is None:
        return ()
    if isinstance(v, str):
        toks = tuple(_token(p) for p in v.split("\\"))
        return () if toks == ("",) else toks
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v).rstrip(b"\0")
        return (b,) if b else ()
    kind = _kind(v)
    if kind:
        if kind == "dicomsdl-seq":
            return tuple(canon_dataset(v.getDataSet(i)) for i in range(len(v)))
        return (canon_dataset(v),)
    if type(v).__name__ == "PersonName":  # pydicom's and dcmfast's are iterable (by character)
        return canon(str(v))
    if hasattr(v, "tolist") and hasattr(v, "dtype"):  # numpy arrays and scalars
        return canon(v.tolist())
    if isinstance(v, Iterable):
        out: list[Any] = []
        for x in v:
            out.extend(canon(x))
        return tuple(out)
    return (_token(v),)


def _dicomsdl() -> Any:
    """dicomsdl, with its own error log (printed to stderr from C++) turned off."""
    import dicomsdl

    dicomsdl.set_loglevel(dicomsdl.LogLevel.DISABLE)
    return dicomsdl


def _dicomsdl_value(e: Any) -> Any:
    import dicomsdl

    return e.toSequence() if e.vr() == dicomsdl.VR.SQ else e.value()


def canon_dataset(ds: Any) -> dict[int, tuple[Any, ...]]:
    kind = _kind(ds)
    if kind == "fastdicom-ds":
        return {(g << 16) | el: canon(v) for (g, el), v in ds.items()}
    if kind == "dicomsdl-ds":
        return {e.tag(): canon(_dicomsdl_value(e)) for e in ds if e.tag() >> 16 != 2}
    return {int(e.tag): canon(e.value) for e in ds}


def canon_pairs(pairs: Iterable[tuple[Any, Any]]) -> dict[int, tuple[Any, ...]]:
    """[(tag, value)] -> {int tag: tokens}, tags as int or (group, element); group 2 dropped."""
    out = {}
    for tag, value in pairs:
        t = (tag[0] << 16) | tag[1] if isinstance(tag, tuple) else int(tag)
        if t >> 16 != 2:
            out[t] = canon(value)
    return out


_SILENCED = False  # True while measure() runs: it silences warnings once, around every sample


def _quiet(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with warnings silenced (pydicom warns about the odd values of test files).

    Inside :func:`measure` the filter is already set for the whole case, so no
    per-call ``catch_warnings`` (a few microseconds, which would weigh on the
    ratios of the fastest calls) is added to the timed call.
    """

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _SILENCED:
            return func(*args, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func(*args, **kwargs)

    return wrapper


