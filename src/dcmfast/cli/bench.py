"""``dcmfast bench``: time dcmfast against its peers on the same inputs, and check them.

Every case runs dcmfast and each installed peer (pydicom always; pydicom with
pylibjpeg-rle for RLE; fastdicom, dicomsdl and python-gdcm where installed) on
the same input in the same run, interleaving them round by round so that the
noise of a shared machine falls on all alike. Each output is compared with
pydicom's (the oracle) outside the timed calls, and each table carries floors:
the cost of ``open()+read()+close()`` of the same files and of a numpy memory
copy of the same number of bytes.

The default run uses pydicom's bundled test files (found by listing the folder,
never through ``pydicom.data``'s network-aware helpers); ``--full`` adds a
generated corpus (built once, with pydicom, into ``DCMFAST_BENCH_CACHE`` or
``~/.cache/dcmfast-bench``). The pytest-benchmark suites in the repository's
``benchmarks/`` folder reuse the cases and the corpus builder defined here.

Only the stdlib is imported at module level: the CLI imports every subcommand's
module to build its parser.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "PEERS",
    "Case",
    "Impl",
    "Result",
    "add_parser",
    "build_corpus",
    "bundled_cases",
    "corpus_cases",
    "corpus_dir",
    "installed_peers",
    "measure",
    "run_bench",
]

# --------------------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------


@dataclass
class Impl:
    """One implementation of a case: ``run()`` is timed, ``check(run())`` is not."""

    name: str
    run: Callable[[], Any] | None = None
    check: Callable[[Any], bool | None] = lambda result: None
    skip: str = ""  # why it is not run (peer missing, unsupported)
    floor: bool = False
    note: str = ""  # what "correct" covers when it is not the whole output


@dataclass
class Case:
    key: str  # stable id, "group/name"
    group: str  # parse, values, sequences, pixels, rle, ingest, import
    title: str
    impls: list[Impl]
    unit_bytes: int = 0  # bytes of input (or output for pixels) the floors move
    probe: bool = False  # run each peer once in a forked child first: a crash is reported, not fatal

    def impl(self, name: str) -> Impl:
        for impl in self.impls:
            if impl.name == name:
                return impl
        raise KeyError(name)


class _Lazy:
    """A value computed once, on first use (the pydicom reference outputs)."""

    def __init__(self, func: Callable[[], Any]) -> None:
        self._func = func
        self._done = False
        self._value: Any = None

    def __call__(self) -> Any:
        if not self._done:
            self._value = self._func()
            self._done = True
        return self._value


def _missing(name: str) -> Impl:
    dist = PEERS[name][1]
    return Impl(name, skip=f"{dist} not installed (pip install {dist})")


def _peer(name: str, run: Callable[[], Any], check: Callable[[Any], bool | None],
          note: str = "") -> Impl:
    if not _installed(name):
        return _missing(name)
    return Impl(name, _quiet(run), check, note=note)


def _floors(paths: list[Path], nbytes: int | None = None) -> list[Impl]:
    import numpy as np

    def read_all() -> int:
        n = 0
        for p in paths:
            with open(p, "rb") as f:
                n += len(f.read())
        return n

    size = nbytes if nbytes is not None else sum(p.stat().st_size for p in paths)
    src = np.ones(max(size, 1), dtype=np.uint8)
    dst = np.empty_like(src)
    return [
        Impl(FLOOR_READ, read_all, floor=True),
        Impl(FLOOR_COPY, lambda: np.copyto(dst, src), floor=True, note=f"{_fmt_bytes(size)}"),
    ]


def _tag_int(tag: Any) -> int:
    return (tag[0] << 16) | tag[1] if isinstance(tag, tuple) else int(tag)


# -- gdcm helpers ----------------------------------------------------------------------
_GDCM_BINARY = {"OB", "OW", "OF", "OD", "OL", "OV", "UN", "SQ", "UT", "UR", "UC"}


def _gdcm_top_pairs(path: Path) -> list[tuple[int, Any]]:
    import gdcm

    r = gdcm.Reader()
    r.SetFileName(str(path))
    if not r.Read():
        raise RuntimeError("gdcm could not read the file")
    sf = gdcm.StringFilter()
    sf.SetFile(r.GetFile())
    out = []
    for de in r.GetFile().GetDataSet().GetDES():
        t = de.GetTag()
        out.append(((t.GetGroup() << 16) | t.GetElement(), (str(de.GetVR()), sf.ToString(t))))
    return out


def _check_gdcm_pairs(ref: dict[int, tuple[str, tuple[Any, ...]]], pairs: list[tuple[int, Any]]) -> bool:
    got = {t: v for t, v in pairs}
    if set(got) != set(ref):
        return False
    for t, (vr, value) in ref.items():
        if vr in _GDCM_BINARY or got[t][0] in _GDCM_BINARY:
            continue  # gdcm's StringFilter gives no text for binary values / sequences
        theirs = canon(got[t][1])
        if vr in ("FL", "FD"):  # StringFilter prints 6 significant digits
            if len(theirs) != len(value) or not all(
                    math.isclose(a, b, rel_tol=1e-5) for a, b in zip(theirs, value, strict=True)):
                return False
        elif theirs != value:
            return False
    return True


def _gdcm_pixels(path: Path) -> Any:
    import gdcm
    import numpy as np

    r = gdcm.ImageReader()
    r.SetFileName(str(path))
    if not r.Read():
        raise RuntimeError("gdcm could not read the image")
    img = r.GetImage()
    dtypes = {"INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16, "UINT16": np.uint16,
              "INT32": np.int32, "UINT32": np.uint32}
    dtype = dtypes[img.GetPixelFormat().GetScalarTypeAsString()]
    return np.frombuffer(img.GetBuffer().encode("utf-8", "surrogateescape"), dtype=dtype)


# -- case factories --------------------------------------------------------------------


def _pydicom_ref_pairs(paths: list[Path], **kw: Any) -> _Lazy:
    import pydicom

    def ref() -> list[dict[int, tuple[Any, ...]]]:
        return [canon_pairs((e.tag, e.value) for e in _quiet(pydicom.dcmread)(p, **kw)) for p in paths]

    return _Lazy(ref)


def case_values(paths: list[Path], title: str, key: str, group: str = "values",
                probe: bool = False) -> Case:
    """Read each file and touch every top-level value."""
    import pydicom

    import dcmfast

    ref = _pydicom_ref_pairs(paths)

    def check(results: list[Any]) -> bool:
        return [canon_pairs(r) for r in results] == ref()

    def gdcm_check(results: list[Any]) -> bool:
        return len(results) == len(paths) and all(_check_gdcm_pairs(
            {t: (e.VR, canon(e.value)) for t, e in ((int(e.tag), e) for e in _quiet(pydicom.dcmread)(p))},
            r) for p, r in zip(paths, results, strict=True))

    def run_dcmfast() -> list[Any]:
        return [[(e.tag, e.value) for e in dcmfast.dcmread(p)] for p in paths]

    def run_pydicom() -> list[Any]:
        return [[(e.tag, e.value) for e in pydicom.dcmread(p)] for p in paths]

    def run_fastdicom() -> list[Any]:
        import fastdicom

        return [list(fastdicom.dcmread(p).items()) for p in paths]

    def run_dicomsdl() -> list[Any]:
        dicomsdl = _dicomsdl()
        return [[(e.tag(), _dicomsdl_value(e)) for e in dicomsdl.open(str(p))] for p in paths]

    def run_gdcm() -> list[Any]:
        return [_gdcm_top_pairs(p) for p in paths]

    return Case(key, group, title, [
        Impl("dcmfast", _quiet(run_dcmfast), check),
        _peer("pydicom", run_pydicom, check),
        _peer("fastdicom", run_fastdicom, check),
        _peer("dicomsdl", run_dicomsdl, check),
        _peer("gdcm", run_gdcm, gdcm_check, note="text values only"),
        *_floors(paths),
    ], sum(p.stat().st_size for p in paths), probe=probe)


def case_header(paths: list[Path], title: str, key: str) -> Case:
    """``stop_before_pixels=True``: parse the header only (values are checked untimed)."""
    import pydicom

    import dcmfast

    ref = _pydicom_ref_pairs(paths, stop_before_pixels=True)
    ref_tags = _Lazy(lambda: [set(r) for r in ref()])

    def check_ds(results: list[Any]) -> bool:
        return [canon_pairs((e.tag, e.value) for e in ds) for ds in results] == ref()

    def check_fastdicom(results: list[Any]) -> bool:
        return [canon_pairs(ds.items()) for ds in results] == ref()

    def check_dicomsdl(results: list[Any]) -> bool:
        return [{e.tag() for e in ds if e.tag() >> 16 != 2 and e.tag() != 0x7FE00010}
                for ds in results] == ref_tags()

    def check_gdcm(results: list[Any]) -> bool:
        got = []
        for r in results:
            got.append({(de.GetTag().GetGroup() << 16) | de.GetTag().GetElement()
                        for de in r.GetFile().GetDataSet().GetDES()} - {0x7FE00010})
        return got == ref_tags()

    def run_fastdicom() -> list[Any]:
        import fastdicom

        return [fastdicom.dcmread(p, stop_before_pixels=True) for p in paths]

    def run_dicomsdl() -> list[Any]:
        dicomsdl = _dicomsdl()

        return [dicomsdl.open(str(p), 0x7FE00000) for p in paths]

    def run_gdcm() -> list[Any]:
        import gdcm

        out = []
        for p in paths:
            r = gdcm.Reader()
            r.SetFileName(str(p))
            r.ReadUpToTag(gdcm.Tag(0x7FE0, 0x0010))
            out.append(r)
        return out

    return Case(key, "parse", title, [
        Impl("dcmfast", _quiet(lambda: [dcmfast.dcmread(p, stop_before_pixels=True) for p in paths]),
             check_ds),
        _peer("pydicom", lambda: [pydicom.dcmread(p, stop_before_pixels=True) for p in paths], check_ds),
        _peer("fastdicom", run_fastdicom, check_fastdicom),
        _peer("dicomsdl", run_dicomsdl, check_dicomsdl, note="tags only"),
        _peer("gdcm", run_gdcm, check_gdcm, note="tags only"),
        *_floors(paths),
    ], sum(p.stat().st_size for p in paths))


def _walk_fastdicom(ds: Any, out: list[tuple[Any, Any]]) -> None:
    for tag, value in ds.items():
        out.append((tag, value))
        if isinstance(value, list) and value and _kind(value[0]) == "fastdicom-ds":
            for item in value:
                _walk_fastdicom(item, out)


def _walk_dicomsdl(ds: Any, out: list[tuple[Any, Any]]) -> None:
    dicomsdl = _dicomsdl()

    for e in ds:
        if e.tag() >> 16 == 2:
            continue
        if e.vr() == dicomsdl.VR.SQ:
            seq = e.toSequence()
            out.append((e.tag(), seq))
            for i in range(len(seq)):
                _walk_dicomsdl(seq.getDataSet(i), out)
        else:
            out.append((e.tag(), e.value()))


def case_walk(path: Path, title: str, key: str) -> Case:
    """Read a file and touch every value at every depth (``iterall``)."""
    import pydicom

    import dcmfast

    def flat(pairs: Iterable[tuple[Any, Any]]) -> list[tuple[int, tuple[Any, ...]]]:
        return [(_tag_int(t), canon(v)) for t, v in pairs if _tag_int(t) >> 16 != 2]

    ref = _Lazy(lambda: flat((e.tag, e.value) for e in _quiet(pydicom.dcmread)(path).iterall()))

    def check(result: list[Any]) -> bool:
        return flat(result) == ref()

    def run_fastdicom() -> list[Any]:
        import fastdicom

        out: list[Any] = []
        _walk_fastdicom(fastdicom.dcmread(path), out)
        return out

    def run_dicomsdl() -> list[Any]:
        dicomsdl = _dicomsdl()

        out: list[Any] = []
        _walk_dicomsdl(dicomsdl.open(str(path)), out)
        return out

    return Case(key, "sequences", title, [
        Impl("dcmfast", _quiet(lambda: [(e.tag, e.value) for e in dcmfast.dcmread(path).iterall()]), check),
        _peer("pydicom", lambda: [(e.tag, e.value) for e in pydicom.dcmread(path).iterall()], check),
        _peer("fastdicom", run_fastdicom, check),
        _peer("dicomsdl", run_dicomsdl, check),
        Impl("gdcm", skip="not written for gdcm (its nested API needs a walker of its own)")
        if _installed("gdcm") else _missing("gdcm"),
        *_floors([path]),
    ], path.stat().st_size)


def case_frame_positions(path: Path, title: str, key: str) -> Case:
    """``ds.PerFrameFunctionalGroupsSequence[i].PlanePositionSequence[0].ImagePositionPatient``
    for every item i."""
    import pydicom

    import dcmfast

    def positions(ds: Any) -> list[Any]:
        seq = ds.PerFrameFunctionalGroupsSequence
        return [seq[i].PlanePositionSequence[0].ImagePositionPatient for i in range(len(seq))]

    ref = _Lazy(lambda: [canon(v) for v in positions(_quiet(pydicom.dcmread)(path))])

    def check(result: list[Any]) -> bool:
        return [canon(v) for v in result] == ref()

    def run_fastdicom() -> list[Any]:
        import fastdicom

        seq = fastdicom.dcmread(path)["PerFrameFunctionalGroupsSequence"]
        return [seq[i]["PlanePositionSequence"][0]["ImagePositionPatient"] for i in range(len(seq))]

    def run_dicomsdl() -> list[Any]:
        dicomsdl = _dicomsdl()

        seq = dicomsdl.open(str(path)).PerFrameFunctionalGroupsSequence
        return [seq.getDataSet(i).PlanePositionSequence.getDataSet(0).ImagePositionPatient
                for i in range(len(seq))]

    def run_gdcm() -> list[Any]:
        import gdcm

        r = gdcm.Reader()
        r.SetFileName(str(path))
        r.Read()
        seq = r.GetFile().GetDataSet().GetDataElement(gdcm.Tag(0x5200, 0x9230)).GetValueAsSQ()
        t_plane, t_ipp = gdcm.Tag(0x0020, 0x9113), gdcm.Tag(0x0020, 0x0032)
        out = []
        for i in range(1, seq.GetNumberOfItems() + 1):
            item = seq.GetItem(i).GetNestedDataSet()
            plane = item.GetDataElement(t_plane).GetValueAsSQ().GetItem(1).GetNestedDataSet()
            out.append(str(plane.GetDataElement(t_ipp).GetByteValue()))
        return out

    return Case(key, "sequences", title, [
        Impl("dcmfast", _quiet(lambda: positions(dcmfast.dcmread(path))), check),
        _peer("pydicom", lambda: positions(pydicom.dcmread(path)), check),
        _peer("fastdicom", run_fastdicom, check),
        _peer("dicomsdl", run_dicomsdl, check),
        _peer("gdcm", run_gdcm, check),
        *_floors([path]),
    ], path.stat().st_size)


def case_pixels(path: Path, title: str, key: str, group: str = "pixels") -> Case:
    """Read a file and decode its pixel data (``dcmread(path).pixel_array``)."""
    import numpy as np
    import pydicom

    import dcmfast

    rle = group == "rle"
    ref = _Lazy(lambda: _quiet(pydicom.dcmread)(path).pixel_array)

    def check(arr: Any) -> bool:
        expected = ref()
        arr = np.asarray(arr)
        if arr.size != expected.size:
            return False
        return bool(np.array_equal(arr.reshape(expected.shape), expected))

    def run_dicomsdl() -> Any:
        dicomsdl = _dicomsdl()

        ds = dicomsdl.open(str(path))
        n = int(ds.NumberOfFrames or 1) if ds.getDataElement(0x00280008) else 1
        if n == 1:
            return ds.pixelData(storedvalue=True)
        return np.stack([ds.pixelData(i, storedvalue=True) for i in range(n)])

    def run_fastdicom() -> Any:
        import fastdicom

        return fastdicom.dcmread(path).pixel_array

    impls = [Impl("dcmfast", _quiet(lambda: dcmfast.dcmread(path).pixel_array), check)]
    if rle:
        from pydicom.pixels import pixel_array

        from dcmfast.pixels import pixel_array as dcmfast_pixel_array

        impls += [
            Impl("dcmfast threads=1", _quiet(lambda: dcmfast_pixel_array(str(path), threads=1)),
                 check, note="read and decode on the calling thread alone"),
            _peer("pydicom", lambda: pixel_array(str(path), decoding_plugin="pydicom"), check,
                  note="pydicom's own RLE decoder"),
            _peer("pydicom+pylibjpeg-rle", lambda: pixel_array(str(path), decoding_plugin="pylibjpeg"),
                  check),
        ]
    else:
        impls.append(_peer("pydicom", lambda: pydicom.dcmread(path).pixel_array, check))
    impls += [
        _peer("fastdicom", run_fastdicom, check),
        _peer("dicomsdl", run_dicomsdl, check),
        _peer("gdcm", lambda: _gdcm_pixels(path), check),
    ]
    nbytes = _Lazy(lambda: ref().nbytes)
    try:
        out_bytes = nbytes()
    except Exception:  # noqa: BLE001 - pydicom cannot decode: the file size stands in
        out_bytes = path.stat().st_size
    return Case(key, group, title, impls + _floors([path], out_bytes), out_bytes)


def has_ingest() -> bool:
    """Whether this dcmfast has ``dcmfast.ingest`` (batch reading of many files)."""
    return _has_module("dcmfast.ingest")


def case_ingest(paths: list[Path], title: str, key: str) -> Case:
    """The ingest job: a few top-level tags (``dcmfast.ingest.DEFAULT_TAGS``) of many files as
    one record per file. dcmfast's ``read_many`` (on a thread pool, and in one thread) and a
    ``dcmread(stop_before_pixels=True)`` loop against each peer's header-only read."""
    import pydicom

    import dcmfast
    from dcmfast.ingest import DEFAULT_TAGS, plain_value, read_many

    tags = list(DEFAULT_TAGS)
    names = [str(p) for p in paths]

    def records_from(get: Callable[[Any, str], Any], datasets: Iterable[Any]) -> list[dict[str, Any]]:
        return [{kw: get(ds, kw) for kw in tags} for ds in datasets]

    vrs = {kw: pydicom.datadict.dictionary_VR(kw) for kw in tags}

    def pyd_get(ds: Any, kw: str) -> Any:
        value = ds.get(kw)
        return None if value is None else plain_value(value, vrs[kw])

    ref = _Lazy(lambda: [{k: canon(v) for k, v in r.items()} for r in records_from(
        pyd_get, (_quiet(pydicom.dcmread)(p, stop_before_pixels=True) for p in paths))])

    def check(records: list[dict[str, Any]]) -> bool:
        return [{k: canon(r.get(k)) for k in tags} for r in records] == ref()

    def run_fastdicom() -> list[Any]:
        import fastdicom

        return records_from(lambda ds, kw: ds.get(kw),
                            (fastdicom.dcmread(p, stop_before_pixels=True) for p in paths))

    def run_dicomsdl() -> list[Any]:
        dicomsdl = _dicomsdl()

        def get(ds: Any, kw: str) -> Any:
            return getattr(ds, kw, None)

        return records_from(get, (dicomsdl.open(n, 0x7FE00000) for n in names))

    import sqlite3
    import tempfile

    from dcmfast.ingest import index_sqlite

    db_dir = tempfile.mkdtemp(prefix="dcmfast-bench-")  # removed with the process's tmp

    def run_sqlite(workers: int | None) -> Callable[[], Any]:
        db = os.path.join(db_dir, f"index-{workers}.sqlite")

        def run() -> list[dict[str, Any]]:
            for suffix in ("", "-wal", "-shm"):  # a new database each time: every file read
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
            index_sqlite(names, db, tags=tags, workers=workers)
            return [db]  # read back untimed, by check_sqlite

        return run

    keys = ["PatientID", "StudyInstanceUID", "SeriesInstanceUID", "Modality", "StudyDate"]

    def check_sqlite(result: list[str]) -> bool:
        con = sqlite3.connect(result[0])
        try:
            rows = con.execute(
                "SELECT path, error_type, " + ", ".join(keys) + " FROM instances").fetchall()
        finally:
            con.close()
        by_path = {r[0]: r for r in rows}
        if len(rows) != len(names) or any(r[1] is not None for r in rows):
            return False
        return all([canon(v) for v in by_path[n][2:]] == [canon(rec.get(k)) for k in keys]
                   for n, rec in zip(names, ref(), strict=True))

    return Case(key, "ingest", title, [
        Impl("dcmfast", _quiet(lambda: list(read_many(names, tags=tags))), check,
             note="ingest.read_many, default workers"),
        Impl("dcmfast read_many workers=1", _quiet(lambda: list(read_many(names, tags=tags, workers=1))),
             check),
        Impl("dcmfast index_sqlite", _quiet(run_sqlite(None)), check_sqlite,
             note="a new SQLite index each time, default workers; key columns checked"),
        Impl("dcmfast index_sqlite workers=1", _quiet(run_sqlite(1)), check_sqlite,
             note="a new SQLite index each time; key columns checked"),
        Impl("dcmfast dcmread loop", _quiet(lambda: records_from(
            pyd_get, (dcmfast.dcmread(p, stop_before_pixels=True) for p in paths))), check),
        _peer("pydicom", lambda: records_from(
            pyd_get, (pydicom.dcmread(p, stop_before_pixels=True) for p in paths)), check),
        _peer("fastdicom", run_fastdicom, check),
        _peer("dicomsdl", run_dicomsdl, check),
        Impl("gdcm", skip="not written for gdcm") if _installed("gdcm") else _missing("gdcm"),
        *_floors(paths),
        Impl(FLOOR_READ + ", 2 threads", _read_all_threads(paths, 2), floor=True),
    ], sum(p.stat().st_size for p in paths))


def _read_all_threads(paths: list[Path], threads: int) -> Callable[[], int]:
    """The open+read+close floor split over `threads` threads (each an equal share)."""
    from concurrent.futures import ThreadPoolExecutor

    shares = [paths[i::threads] for i in range(threads)]

    def read_share(share: list[Path]) -> int:
        n = 0
        for p in share:
            with open(p, "rb") as f:
                n += len(f.read())
        return n

    def run() -> int:
        with ThreadPoolExecutor(threads) as pool:
            return sum(pool.map(read_share, shares))

    return run


def case_import(module: str, name: str) -> Impl:
    """``import module`` in a fresh interpreter, with bytecode present (as after pip install)."""
    code = ("import time; t = time.perf_counter(); import " + module
            + "; print(time.perf_counter() - t)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run() -> float:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                             check=True)
        return float(out.stdout.strip().splitlines()[-1])

    return Impl(name, run, lambda r: isinstance(r, float), note="in-process import time")


def import_case() -> Case:
    import dcmfast

    _compile_package(Path(dcmfast.__file__).parent)
    impls = [case_import("dcmfast", "dcmfast"), case_import("pydicom", "pydicom")]
    for peer, module in (("fastdicom", "fastdicom"), ("dicomsdl", "dicomsdl"), ("gdcm", "gdcm")):
        impls.append(case_import(module, peer) if _installed(peer) else _missing(peer))
    return Case("import/import", "import", "import in a fresh interpreter (bytecode compiled)", impls)


def _compile_package(folder: Path) -> None:
    """Write the package's .pyc files as pip does at install (skipped where not writable)."""
    import compileall
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()):
        try:
            compileall.compile_dir(str(folder), quiet=2)
        except OSError:
            pass


# -- the two case lists ----------------------------------------------------------------


def bundled_test_files() -> Path:
    from .summary import bundled_test_files as find

    return find()


def bundled_cases(quick: bool = False) -> list[Case]:
    """Cases on pydicom's bundled test files (the default run)."""
    folder = bundled_test_files()
    ct = folder / "CT_small.dcm"
    rle = folder / "MR_small_RLE.dcm"
    cases = [
        case_values([ct], "CT_small.dcm: read + every top-level value", "values/CT_small"),
        case_header([ct], "CT_small.dcm: header only (stop_before_pixels)", "parse/CT_small-header"),
        case_pixels(ct, "CT_small.dcm: read + pixel_array (native 128x128 int16)", "pixels/CT_small"),
        case_pixels(rle, "MR_small_RLE.dcm: read + pixel_array (RLE 64x64 int16)", "rle/MR_small_RLE",
                    group="rle"),
    ]
    if quick:
        return cases
    files = _readable_by_peers(_plain_bundled_files(folder))
    cases += [
        case_pixels(folder / "SC_rgb_rle_2frame.dcm",
                    "SC_rgb_rle_2frame.dcm: read + pixel_array (RLE 2x100x100 RGB)",
                    "rle/SC_rgb_rle_2frame", group="rle"),
        case_walk(folder / "rtplan.dcm", "rtplan.dcm: read + every value at every depth",
                  "sequences/rtplan"),
        case_values(files, f"{len(files)} bundled files: read + every top-level value", "values/bundled",
                    probe=True),
        *([case_ingest(files, f"{len(files)} bundled files: ingest {len(_ingest_tags())} tags per file",
                       "ingest/bundled")] if has_ingest() else []),
        import_case(),
    ]
    return cases


def _ingest_tags() -> tuple[str, ...]:
    from dcmfast.ingest import DEFAULT_TAGS

    return tuple(DEFAULT_TAGS)


def _readable_by_peers(files: list[Path]) -> list[Path]:
    """The files that every installed peer reads without an error (so that the many-files
    case compares all of them on the same input)."""
    keep = []
    for path in files:
        case = case_values([path], "", "")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for impl in case.impls:
                    if impl.run is not None and not impl.floor:
                        impl.run()
        except Exception:  # noqa: BLE001, S112 - a peer rejects the file: leave it out
            continue
        keep.append(path)
    return keep


def _plain_bundled_files(folder: Path) -> list[Path]:
    """Bundled files with a preamble, File Meta and an uncompressed little endian syntax,
    which every peer reads (damaged or unusual files are the tests' business, not ours)."""
    import pydicom

    plain = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}
    out = []
    for p in sorted(folder.glob("*.dcm")):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(p, stop_before_pixels=True)
            if str(ds.file_meta.get("TransferSyntaxUID", "")) not in plain or ds.preamble is None:
                continue
            if "Rows" in ds and "BitsAllocated" in ds:  # skip truncated pixel data
                need = (ds.Rows * ds.Columns * ds.get("SamplesPerPixel", 1)
                        * int(ds.get("NumberOfFrames", 1) or 1) * ds.BitsAllocated + 7) // 8
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if len(pydicom.dcmread(p).get("PixelData", b"")) < need:
                        continue
            out.append(p)
        except Exception:  # noqa: BLE001, S112 - unreadable: not a plain file
            continue
    return out


# --------------------------------------------------------------------------------------
# The generated corpus (benchmarks/corpus.py is its command-line entry point)
# --------------------------------------------------------------------------------------
CORPUS_VERSION = "v1"
SEED = 20240611
N_SLICES = 2000
N_ENHANCED_FRAMES = 100
N_PFFG_ITEMS = 5000
BIG = 2048


def corpus_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: ``root``, ``$DCMFAST_BENCH_CACHE`` or ``~/.cache/dcmfast-bench``."""
    base = Path(root or os.environ.get("DCMFAST_BENCH_CACHE") or Path.home() / ".cache" / "dcmfast-bench")
    return base / CORPUS_VERSION


def corpus_files(root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    d = corpus_dir(root)
    return {
        "ct_series": [d / "ct_series" / f"slice_{i:04d}.dcm" for i in range(N_SLICES)],
        "enhanced_ct": d / f"enhanced_ct_{N_ENHANCED_FRAMES}.dcm",
        "enhanced_ct_rle": d / f"enhanced_ct_{N_ENHANCED_FRAMES}_rle.dcm",
        "pffg": d / f"pffg_{N_PFFG_ITEMS}.dcm",
        "big": d / f"image_{BIG}.dcm",
        "big_rle": d / f"image_{BIG}_rle.dcm",
    }


def _uid(*entropy: Any) -> str:
    from pydicom.uid import generate_uid

    return str(generate_uid(entropy_srcs=[str(SEED), *map(str, entropy)]))


def _save(ds: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    ds.save_as(tmp, enforce_file_format=True)
    os.replace(tmp, path)


def _rle_encode(ds: Any, arr: Any) -> None:
    plugin = "pylibjpeg" if _installed("pydicom+pylibjpeg-rle") else "pydicom"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.compress(RLE_LOSSLESS, arr, encoding_plugin=plugin, generate_instance_uid=False)


def _ct_small() -> Any:
    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(bundled_test_files() / "CT_small.dcm")


def _build_series(folder: Path, progress: Callable[[str], None]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ds = _ct_small()
    ds.StudyInstanceUID = _uid("study")
    ds.SeriesInstanceUID = _uid("series")
    ds.FrameOfReferenceUID = _uid("frame-of-reference")
    x, y, z0 = (float(v) for v in ds.ImagePositionPatient)
    for i in range(N_SLICES):
        path = folder / f"slice_{i:04d}.dcm"
        if path.exists():
            continue
        uid = _uid("slice", i)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.InstanceNumber = i + 1
        z = round(z0 - 1.25 * i, 4)
        ds.ImagePositionPatient = [x, y, z]
        ds.SliceLocation = z
        _save(ds, path)
        if i % 200 == 0:
            progress(f"ct_series {i}/{N_SLICES}")


def _multiframe(frames: int, rows: int, pixels: Any | None, tag: str) -> Any:
    """An Enhanced CT dataset with per-frame functional groups (pixels: (frames, rows, rows))."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian

    src = _ct_small()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"  # Enhanced CT
    ds.file_meta.MediaStorageSOPInstanceUID = _uid(tag)
    for kw in ("SpecificCharacterSet", "StudyDate", "StudyTime", "Modality", "Manufacturer",
               "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyID"):
        if kw in src:
            setattr(ds, kw, src.data_element(kw).value)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = _uid(tag, "study")
    ds.SeriesInstanceUID = _uid(tag, "series")
    ds.FrameOfReferenceUID = _uid(tag, "for")
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.ContentDate, ds.ContentTime = "20240611", "120000"
    ds.AcquisitionDateTime = "20240611120000"

    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = [0.7, 0.7]
    pm.SliceThickness = 1.25
    po = Dataset()
    po.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    pvt = Dataset()
    pvt.RescaleIntercept, pvt.RescaleSlope, pvt.RescaleType = -1024, 1, "HU"
    shared.PixelMeasuresSequence = Sequence([pm])
    shared.PlaneOrientationSequence = Sequence([po])
    shared.PixelValueTransformationSequence = Sequence([pvt])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    items = []
    for i in range(frames):
        item = Dataset()
        fc = Dataset()
        fc.FrameAcquisitionNumber = i + 1
        fc.StackID = "1"
        fc.InStackPositionNumber = i + 1
        fc.DimensionIndexValues = [1, i + 1]
        pp = Dataset()
        pp.ImagePositionPatient = [-175.0, -175.0, round(-100.0 + 1.25 * i, 4)]
        item.FrameContentSequence = Sequence([fc])
        item.PlanePositionSequence = Sequence([pp])
        items.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(items)
    ds.NumberOfFrames = frames
    ds.Rows = ds.Columns = rows
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    if pixels is not None:
        ds.PixelData = pixels.tobytes()
    return ds


def _anatomy(frames: int, rows: int, seed_offset: int) -> Any:
    """Smooth anatomy-like int16 frames with noise and air: realistic RLE run lengths."""
    import numpy as np

    rng = np.random.default_rng(SEED + seed_offset)
    y, x = np.mgrid[:rows, :rows].astype(np.float32)
    r2 = ((x - rows / 2) ** 2 + (y - rows / 2) ** 2) / (rows / 2.2) ** 2
    out = np.empty((frames, rows, rows), dtype=np.int16)
    for i in range(frames):
        body = 40 + 300 * np.sin((x + 3 * i) / (rows / 12)) * np.cos(y / (rows / 9))
        frame = np.where(r2 < 1.0, body, -1000.0) + rng.integers(0, 8, (rows, rows))
        out[i] = frame.astype(np.int16)
    return out


def build_corpus(root: str | os.PathLike[str] | None = None,
                 progress: Callable[[str], None] = lambda msg: None) -> dict[str, Any]:
    """Write the corpus files that are missing; return their paths (see ``corpus_files``)."""
    files = corpus_files(root)
    _build_series(files["ct_series"][0].parent, progress)
    if not files["enhanced_ct"].exists() or not files["enhanced_ct_rle"].exists():
        progress("enhanced_ct")
        frames = _anatomy(N_ENHANCED_FRAMES, 512, 1)
        ds = _multiframe(N_ENHANCED_FRAMES, 512, frames, "enhanced")
        _save(ds, files["enhanced_ct"])
        progress("enhanced_ct_rle")
        _rle_encode(ds, frames)
        _save(ds, files["enhanced_ct_rle"])
    if not files["pffg"].exists():
        progress("pffg")
        frames = _anatomy(N_PFFG_ITEMS, 16, 2)
        _save(_multiframe(N_PFFG_ITEMS, 16, frames, "pffg"), files["pffg"])
    if not files["big"].exists() or not files["big_rle"].exists():
        progress("image_2048")
        arr = _anatomy(1, BIG, 3)
        ds = _multiframe(1, BIG, arr, "big")
        del ds.PerFrameFunctionalGroupsSequence
        _save(ds, files["big"])
        progress("image_2048_rle")
        _rle_encode(ds, arr[0])
        _save(ds, files["big_rle"])
    return files


def corpus_cases(root: str | os.PathLike[str] | None = None,
                 progress: Callable[[str], None] = lambda msg: None) -> list[Case]:
    f = build_corpus(root, progress)
    series = f["ct_series"]
    return [
        case_values(series, f"{len(series)} CT slices: read + every top-level value", "values/ct_series"),
        case_header(series, f"{len(series)} CT slices: header only (stop_before_pixels)",
                    "parse/ct_series-header"),
        *([case_ingest(series, f"{len(series)} CT slices: ingest {len(_ingest_tags())} tags per file",
                       "ingest/ct_series")] if has_ingest() else []),
        case_frame_positions(f["pffg"], f"{N_PFFG_ITEMS}-item per-frame groups: every "
                             "item's PlanePositionSequence[0].ImagePositionPatient", "sequences/pffg"),
        case_walk(f["enhanced_ct"], f"Enhanced CT {N_ENHANCED_FRAMES} frames: every value at every "
                  "depth", "sequences/enhanced_ct"),
        case_pixels(f["enhanced_ct"], f"Enhanced CT: read + pixel_array ({N_ENHANCED_FRAMES}x512x512 "
                    "int16)", "pixels/enhanced_ct"),
        case_pixels(f["big"], f"{BIG}x{BIG} int16: read + pixel_array", "pixels/image_2048"),
        case_pixels(f["enhanced_ct_rle"], f"Enhanced CT RLE: read + pixel_array ({N_ENHANCED_FRAMES}"
                    "x512x512 int16)", "rle/enhanced_ct", group="rle"),
        case_pixels(f["big_rle"], f"{BIG}x{BIG} int16 RLE: read + pixel_array", "rle/image_2048",
                    group="rle"),
    ]


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    samples: list[float] = field(default_factory=list)  # seconds per call
    number: int = 0  # calls per sample
    correct: bool | None = None
    error: str = ""
    skip: str = ""
    floor: bool = False
    note: str = ""
    cap: int = 0  # at most this many samples (slow calls), 0: no cap

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def quartiles(self) -> tuple[float, float]:
        if len(self.samples) < 2:
            return (self.median, self.median)
        q = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q[0], q[2]

    @property
    def iqr(self) -> float:
        q1, q3 = self.quartiles
        return q3 - q1

    def as_dict(self) -> dict[str, Any]:
        q1, q3 = self.quartiles
        return {"name": self.name, "median_s": self.median, "q1_s": q1, "q3_s": q3,
                "samples_s": self.samples, "calls_per_sample": self.number, "correct": self.correct,
                "error": self.error or None, "skip": self.skip or None, "floor": self.floor,
                "note": self.note or None}


def _crashes(run: Callable[[], Any]) -> str:
    """Run ``run()`` in a forked child: '' if the child lived, else how it died."""
    if not hasattr(os, "fork"):
        return ""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            run()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"crashed (signal {os.WTERMSIG(status)}) on one of the files"
    return ""


def measure(case: Case, repeat: int, target: float, tick: Callable[[str], None] = lambda s: None,
            only: set[str] | None = None) -> list[Result]:
    """Time every implementation of ``case``: one untimed call (warm-up, output checked), then
    ``repeat`` rounds in which each implementation takes one sample of ``number`` calls
    (``number`` chosen so a sample lasts about ``target`` seconds), in a rotating order,
    each sample after a full garbage collection and, where ``number`` > 1, one call
    (both untimed)."""
    global _SILENCED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _SILENCED = True
        try:
            return _measure(case, repeat, target, tick, only)
        finally:
            _SILENCED = False


def _measure(case: Case, repeat: int, target: float, tick: Callable[[str], None],
             only: set[str] | None) -> list[Result]:
    results: list[Result] = []
    live: list[tuple[Impl, Result]] = []
    for impl in case.impls:
        res = Result(impl.name, floor=impl.floor, note=impl.note, skip=impl.skip)
        results.append(res)
        if only is not None and not impl.floor and impl.name != "dcmfast" and impl.name not in only:
            res.skip = res.skip or "not selected"
        if res.skip or impl.run is None:
            continue
        tick(f"{case.key}: {impl.name} warm-up")
        if case.probe and impl.name not in ("dcmfast", "pydicom") and not impl.floor:
            crash = _crashes(impl.run)
            if crash:
                res.error, res.correct = crash, False
                continue
        try:
            out = impl.run()
            res.correct = impl.check(out) if not impl.floor else None
            del out
            if case.group == "import":
                res.number = 1
            else:
                # the calls per sample, from the fastest of up to three more warm-up
                # calls (caches, lazily imported modules; one slow call, such as the
                # first to fault in fresh memory, must not set it for the whole case)
                once = math.inf
                for _ in range(3):
                    start = time.perf_counter()
                    impl.run()
                    once = min(once, max(time.perf_counter() - start, 1e-7))
                    if once > 1.0:
                        break
                res.number = max(1, int(target / once))
                if once > 1.0:  # a slow call: three samples are enough for a median
                    res.cap = min(repeat, 3)
        except Exception as exc:  # noqa: BLE001 - a failing peer is reported, not fatal
            res.error = f"{type(exc).__name__}: {str(exc)[:120]}"
            res.correct = False
            continue
        live.append((impl, res))
    for r in range(repeat):
        order = live[r % len(live):] + live[:r % len(live)] if live else []
        for impl, res in order:
            tick(f"{case.key}: {impl.name} {r + 1}/{repeat}")
            if res.cap and len(res.samples) >= res.cap:
                continue
            run, n = impl.run, res.number
            if case.group == "import":
                res.samples.append(run())  # the child's own import time
                continue
            # every sample starts from a collected heap: garbage an implementation
            # left (the previous sample's, or another implementation's) is not
            # collected on the next one's time; the collector stays on while timing.
            # A full collection also empties the interpreter's free lists, so the
            # first call after it pays for memory a program calling it in a loop
            # never waits for: where a sample has several calls, one untimed call
            # comes first (time per call in a loop over many files).
            gc.collect()
            if n > 1:
                run()
            start = time.perf_counter()
            for _ in range(n):
                run()
            res.samples.append((time.perf_counter() - start) / n)
    return results


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def _fmt_time(s: float) -> str:
    if math.isnan(s):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _ratio(case_results: list[Result], name: str, ours_name: str = "dcmfast") -> float | None:
    by = {r.name: r for r in case_results}
    ours, other = by.get(ours_name), by.get(name)
    if not ours or not other or not ours.samples or not other.samples:
        return None
    if other.floor:
        return ours.median / other.median  # dcmfast takes N times the floor
    return other.median / ours.median  # dcmfast is N times faster


def _cell(results: list[Result], name: str) -> str:
    by = {r.name: r for r in results}
    r = by.get(name)
    if r is None:
        return ""
    if r.skip:
        return "n/a"
    if r.error:
        return "error"
    x = _ratio(results, name)
    if x is None:
        return "-"
    mark = "" if r.correct in (True, None) else "!"
    return f"{x:.1f}x{mark}" if x < 100 else f"{x:.0f}x{mark}"


def report_text(runs: list[tuple[Case, list[Result]]], peers: list[str], out: Any) -> None:
    """Detail (every implementation: median, IQR, ratio, correct) then a summary of ratios."""
    w = 30
    out.write(f"{'implementation':<{w}} {'median':>10} {'IQR':>10} {'ratio':>9}  correct  note\n")
    for case, results in runs:
        out.write(f"\n[{case.group}] {case.title}\n")
        for r in results:
            if r.skip:
                out.write(f"  {r.name:<{w - 2}} {'-':>10} {'-':>10} {'-':>9}  -        {r.skip}\n")
                continue
            if r.error:
                out.write(f"  {r.name:<{w - 2}} {'-':>10} {'-':>10} {'-':>9}  no       {r.error}\n")
                continue
            ratio = "" if r.name == "dcmfast" else _cell(results, r.name)
            ok = "-" if r.correct is None else ("yes" if r.correct else "NO")
            out.write(f"  {r.name:<{w - 2}} {_fmt_time(r.median):>10} {_fmt_time(r.iqr):>10} "
                      f"{ratio:>9}  {ok:<7}  {r.note}\n")
    out.write("\nratio: peer time / dcmfast time (dcmfast is N x faster); floor rows: dcmfast time / "
              "floor time.\n'!' output differs from pydicom's; n/a case not written for that peer.\n")


def summary_rows(runs: list[tuple[Case, list[Result]]],
                 peers: list[str]) -> tuple[list[str], list[list[str]]]:
    header = ["case", "dcmfast median (IQR)"] + [f"x {p}" for p in peers] + ["x floor read", "x floor copy"]
    rows = []
    for case, results in runs:
        by = {r.name: r for r in results}
        ours = by.get("dcmfast")
        if ours and ours.samples:
            mark = "" if ours.correct in (True, None) else " !"
            first = f"{_fmt_time(ours.median)} ({_fmt_time(ours.iqr)}){mark}"
        else:
            first = "error" if ours and ours.error else "-"
        cells = [_cell(results, p) for p in peers] + [_cell(results, FLOOR_READ), _cell(results, FLOOR_COPY)]
        rows.append([case.title, first] + cells)
    return header, rows


def report_summary(runs: list[tuple[Case, list[Result]]], peers: list[str], out: Any,
                   markdown: bool = False) -> None:
    header, rows = summary_rows(runs, peers)
    if markdown:
        out.write("| " + " | ".join(header) + " |\n")
        out.write("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|\n")
        for row in rows:
            out.write("| " + " | ".join(c or "" for c in row) + " |\n")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)] if rows else []
    widths[0] = min(widths[0], 60) if widths else 0
    out.write("  ".join(h.ljust(widths[i]) if i == 0 else h.rjust(widths[i])
                        for i, h in enumerate(header)) + "\n")
    for row in rows:
        out.write("  ".join((c[:widths[0]].ljust(widths[0]) if i == 0 else c.rjust(widths[i]))
                            for i, c in enumerate(row)) + "\n")


TARGETS = [
    # (case key, description, test on the results)
    ("values/CT_small", "read + every top-level value of CT_small: >= 40x pydicom",
     lambda rs: (_ratio(rs, "pydicom"), lambda x: x >= 40)),
    ("values/CT_small", "read + every top-level value of CT_small: faster than fastdicom",
     lambda rs: (_ratio(rs, "fastdicom"), lambda x: x > 1)),
    ("parse/CT_small-header", "header-only CT_small: <= 3x open+read+close",
     lambda rs: (_ratio(rs, FLOOR_READ), lambda x: x <= 3)),
    ("sequences/pffg", "5,000-item per-frame positions: >= 50x pydicom",
     lambda rs: (_ratio(rs, "pydicom"), lambda x: x >= 50)),
    ("rle/enhanced_ct", "RLE 100 frames, one thread: >= 3x pydicom+pylibjpeg-rle",
     lambda rs: (_ratio(rs, "pydicom+pylibjpeg-rle", "dcmfast threads=1"), lambda x: x >= 3)),
    ("rle/enhanced_ct", "RLE 100 frames, one thread: faster than dicomsdl",
     lambda rs: (_ratio(rs, "dicomsdl", "dcmfast threads=1"), lambda x: x > 1)),
    ("rle/image_2048", "RLE 2048x2048, one thread: >= 3x pydicom+pylibjpeg-rle",
     lambda rs: (_ratio(rs, "pydicom+pylibjpeg-rle", "dcmfast threads=1"), lambda x: x >= 3)),
    ("import/import", "import dcmfast < 30 ms",
     lambda rs: (next((r.median * 1e3 for r in rs if r.name == "dcmfast" and r.samples), None),
                 lambda x: x < 30)),
]


def targets(runs: list[tuple[Case, list[Result]]]) -> list[dict[str, Any]]:
    by = {case.key: results for case, results in runs}
    out = []
    for key, text, test in TARGETS:
        if key not in by:
            continue
        value, ok = test(by[key])
        out.append({"case": key, "target": text, "value": value,
                    "met": None if value is None else bool(ok(value))})
    return out


def machine_info() -> dict[str, Any]:
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    src = np.ones(64 << 20, dtype=np.uint8)
    dst = np.empty_like(src)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(dst, src)
        times.append(time.perf_counter() - start)
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "numpy": np.__version__,
            "numpy_copy_GBps": round(src.nbytes / statistics.median(times) / 1e9, 2)}


class _Progress:
    """The progress bar on stderr (tqdm, shown on a terminal only), one step per sample."""

    def __init__(self, total: int, enabled: bool) -> None:
        from ._common import progress_bar

        self.enabled = enabled
        self.bar = progress_bar(total=max(total, 1), desc="bench", unit="sample", enabled=enabled)

    def tick(self, label: str) -> None:
        self.bar.set_description_str(label[:50], refresh=False)
        self.bar.update(1)

    def message(self, text: str) -> None:
        if self.enabled:
            self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


def run_bench(args: argparse.Namespace) -> int:
    repeat = args.repeat if args.repeat else (1 if args.quick else 7)
    target = args.target if args.target else (0.001 if args.quick else 0.02)
    installed = installed_peers()
    only = set(args.peers) if args.peers else None
    peers = [p for p in PEERS if (only is None or p in only) and installed.get(p) is not None]
    missing = [p for p in PEERS if (only is None or p in only) and installed.get(p) is None]
    cases = bundled_cases(quick=args.quick)
    if args.full:
        sys.stderr.write(f"corpus: {corpus_dir(args.corpus)} (built once when missing)\n")
        cases += corpus_cases(args.corpus, progress=lambda m: sys.stderr.write(f"building {m}\n"))
    total = sum(sum(1 for i in c.impls if not i.skip) * (repeat + 1) for c in cases)
    progress = _Progress(total, not args.no_progress)
    runs = []
    cases.reverse()
    while cases:
        case = cases.pop()
        r = repeat if case.group != "import" else max(repeat, 5 if not args.quick else 1)
        results = measure(case, r, target, progress.tick, only)
        # no rows for the peers not installed (a line of the report names them) or not asked for
        results = [res for res in results if res.name not in PEERS or res.name in peers]
        # keep what the report needs, not the implementations: their cached reference
        # outputs (pydicom's values of 2,000 files ...) would stay alive, and a heap
        # left full of scattered small objects slows the allocation of every later case
        runs.append((replace(case, impls=[]), results))
        del case, results
        gc.collect()
    progress.close()

    shown = [p for p in peers if any(r.name == p for _c, rs in runs for r in rs)]
    out = sys.stdout
    info = machine_info()
    out.write(f"dcmfast bench: {info['cpu']}, {info['nproc']} CPUs, Python {info['python']}, "
              f"numpy copy {info['numpy_copy_GBps']} GB/s; repeat={repeat}\n")
    if args.quick:
        out.write("--quick: one short sample each, a smoke test; the timings are not meaningful\n")
    line = "peers: " + (", ".join(f"{p} {installed[p]}" for p in shown) or "none")
    if missing:
        line += "; not installed: " + ", ".join(PEERS[p][1] for p in missing)
    out.write(line + "\n\n")
    if not args.summary_only:
        report_text(runs, shown, out)
        out.write("\n")
    report_summary(runs, shown, out, markdown=args.markdown)
    goals = [] if args.quick else targets(runs)  # a smoke test's timings judge nothing
    if goals:
        out.write("\ntargets:\n")
        for g in goals:
            v = g["value"]
            val = "-" if v is None else (f"{v:.1f} ms" if g["case"].startswith("import") else f"{v:.1f}x")
            state = {True: "met", False: "NOT met", None: "not measured"}[g["met"]]
            out.write(f"  {g['target']:<66} {val:>9}  {state}\n")
    if args.compare:
        _compare(runs, Path(args.compare), out)
    if args.json:
        import dcmfast

        doc = {
            "command": _command(args),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "dcmfast": dcmfast.__version__,
            "machine": info,
            "peers": installed,
            "repeat": repeat,
            "target_sample_s": target,
            "cases": [{"key": c.key, "group": c.group, "title": c.title, "bytes": c.unit_bytes,
                       "results": [r.as_dict() for r in rs],
                       "ratios": {r.name: _ratio(rs, r.name) for r in rs if r.name != "dcmfast"}}
                      for c, rs in runs],
            "targets": goals,
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(doc, indent=1, default=str) + "\n")
        out.write(f"\nwrote {args.json}\n")
    failed = [(c.key, r.name) for c, rs in runs for r in rs if r.name == "dcmfast" and r.correct is False]
    if failed:
        out.write("dcmfast output differs from pydicom's in: " + ", ".join(k for k, _ in failed) + "\n")
    return 1 if failed else 0


def _compare(runs: list[tuple[Case, list[Result]]], path: Path, out: Any) -> None:
    """dcmfast's medians now against those of an earlier JSON results file."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        out.write(f"\ncannot compare with {path}: {exc}\n")
        return
    before = {c["key"]: {r["name"]: r["median_s"] for r in c["results"]} for c in old.get("cases", [])}
    out.write(f"\ndcmfast against {path} ({old.get('created', '?')}): before -> now (now/before)\n")
    for case, results in runs:
        now = next((r.median for r in results if r.name == "dcmfast" and r.samples), None)
        then = before.get(case.key, {}).get("dcmfast")
        if now is None or not then:
            continue
        out.write(f"  {case.title[:58]:<58} {_fmt_time(then):>9} -> {_fmt_time(now):>9} "
                  f"({now / then:.2f})\n")


_EPILOG = """\
examples:
  dcmfast bench --quick                       a smoke test: one sample each, a few seconds
  dcmfast bench --peers pydicom               dcmfast against pydicom alone
  dcmfast bench --full --json results.json    every case, the samples saved as JSON
  dcmfast bench --render results.json         print the tables of a saved run again

Peers that are not installed are named on one line and left out of the tables
(pip install 'dcmfast[bench]' installs them all).

exit status: 0 success, 1 dcmfast's output differs from pydicom's or a file cannot
be read, 2 usage error
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "bench",
        help="time dcmfast against pydicom and every installed peer on the same files",
        description="Time dcmfast against pydicom and every installed peer (fastdicom, dicomsdl, "
        "python-gdcm)\non the same files, checking every output against pydicom's. The default "
        "run uses\npydicom's bundled test files; --full adds a generated corpus of larger files.",
        epilog=_EPILOG,
    )
    p.add_argument("--quick", action="store_true",
                   help="one repetition on two files (CT_small.dcm, MR_small_RLE.dcm)")
    p.add_argument("--full", action="store_true",
                   help="add the generated corpus (built once into the cache folder)")
    p.add_argument("--corpus", metavar="DIR",
                   help="corpus cache folder (default $DCMFAST_BENCH_CACHE or ~/.cache/dcmfast-bench)")
    p.add_argument("--repeat", type=_non_negative, default=0, help="samples per implementation (default 7; "
                   "--quick 1); medians and IQR are taken over them")
    p.add_argument("--target", type=float, default=0.0,
                   help="seconds one sample should last (default 0.02; --quick 0.001)")
    p.add_argument("--peers", type=_peer_list, help="comma-separated peers to run besides dcmfast "
                   "(default: all installed: " + ",".join(PEERS) + ")")
    p.add_argument("--json", metavar="PATH", help="write every sample and ratio as JSON")
    p.add_argument("--compare", metavar="PATH", help="compare dcmfast's medians with an earlier JSON")
    p.add_argument("--markdown", action="store_true", help="print the summary table as markdown")
    p.add_argument("--summary-only", action="store_true", help="print the summary table only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--render", metavar="PATH", help="print the tables of an earlier JSON results file "
                   "(no run)")
    p.set_defaults(func=_cmd_bench)
    return p


def _peer_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PEERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown peer {', '.join(map(repr, unknown)) or repr(text)} "
                                         f"(known: {', '.join(PEERS)})")
    return names


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (the default) or more, not {value}")
    return value


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run (rebuilt from the parsed options)."""
    parts = ["dcmfast", "bench"]
    for flag in ("quick", "full", "markdown", "summary_only"):
        if getattr(args, flag):
            parts.append("--" + flag.replace("_", "-"))
    for opt in ("corpus", "repeat", "target", "peers", "json", "compare"):
        value = getattr(args, opt)
        if value:
            parts += ["--" + opt, ",".join(value) if opt == "peers" else str(value)]
    return " ".join(parts)


def render(path: Path, out: Any, markdown: bool = False, summary_only: bool = False) -> int:
    """The tables of a JSON results file, as the run that wrote it printed them."""
    doc = json.loads(path.read_text())
    runs = []
    for c in doc["cases"]:
        results = []
        for r in c["results"]:
            res = Result(r["name"], list(r["samples_s"]), r["calls_per_sample"], r["correct"],
                         r["error"] or "", r["skip"] or "", r["floor"], r["note"] or "")
            results.append(res)
        runs.append((Case(c["key"], c["group"], c["title"], []), results))
    peers = [p for p in PEERS if any(r.name == p for _c, rs in runs for r in rs)]
    m = doc["machine"]
    out.write(f"{doc['command']}  ({doc['created']}; {m['cpu']}, {m['nproc']} CPUs, Python "
              f"{m['python']})\n\n")
    if not summary_only:
        report_text(runs, peers, out)
        out.write("\n")
    report_summary(runs, peers, out, markdown=markdown)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.render:
        from ._common import CliError

        try:
            return render(Path(args.render), sys.stdout, args.markdown, args.summary_only)
        except OSError as exc:
            raise CliError(f"{args.render}: {exc.strerror or exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise CliError(f"{args.render}: not a results file of 'dcmfast bench --json'") from exc
    with warnings.catch_warnings():  # pydicom warns about the odd values of its test files
        warnings.simplefilter("ignore")
        return run_bench(args)
