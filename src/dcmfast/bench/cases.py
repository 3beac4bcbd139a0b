"""The cases: each runs dcmfast and its peers on the same input, and checks their outputs
against pydicom's; the cases on pydicom's bundled test files."""
from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from .peers import (
    FLOOR_COPY,
    FLOOR_READ,
    PEERS,
    _dicomsdl,
    _dicomsdl_value,
    _has_module,
    _installed,
    _kind,
    _quiet,
    canon,
    canon_pairs,
)

_T = TypeVar("_T")


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
    group: str  # parse, values, sequences, pixels, rle, ingest, import, write, json
    title: str
    impls: list[Impl]
    unit_bytes: int = 0  # bytes of input (or output for pixels) the floors move
    probe: bool = False  # run each peer once in a forked child first: a crash is reported, not fatal

    def impl(self, name: str) -> Impl:
        for impl in self.impls:
            if impl.name == name:
                return impl
        raise KeyError(name)


class _Lazy(Generic[_T]):
    """A value computed once, on first use (the pydicom reference outputs)."""

    def __init__(self, func: Callable[[], _T]) -> None:
        self._func = func
        self._done = False
        self._value: _T  # set by the first call

    def __call__(self) -> _T:
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


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


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


def _pydicom_ref_pairs(paths: list[Path], **kw: Any) -> _Lazy[list[dict[int, tuple[Any, ...]]]]:
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
        from pydicom.pixels.utils import pixel_array

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

        def run() -> list[str]:
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


# -- writing and DICOM JSON (dcmfast against pydicom, outputs compared) ------------------

_IMPLICIT_LE = "1.2.840.10008.1.2"


def _edit5(ds: Any) -> None:
    """The five edits of the read-modify-write cases (benchmarks/scripts/write_bench.py)."""
    ds.PatientName = "A^B"
    ds.PatientID = "x"
    ds.StudyDescription = "d"
    ds.Rows = ds.Rows
    ds.SliceThickness = "1.0"


def case_write(path: Path, kind: str, title: str, key: str) -> Case:
    """Read `path`, then (`kind`) nothing, five edits or a change of the Transfer Syntax
    to Implicit VR Little Endian, and write the file to bytes. dcmfast's bytes must be
    pydicom's."""
    import io

    import pydicom

    import dcmfast

    def change(ds: Any) -> None:
        if kind == "edit":
            _edit5(ds)
        elif kind == "implicit":
            ds.file_meta.TransferSyntaxUID = _IMPLICIT_LE

    def run_pydicom() -> bytes:
        ds = pydicom.dcmread(path)
        change(ds)
        out = io.BytesIO()
        ds.save_as(out)
        return out.getvalue()

    def run_dcmfast() -> bytes:
        ds = dcmfast.dcmread(path)
        change(ds)
        return dcmfast.dcmwrite_bytes(ds)

    ref = _Lazy(_quiet(run_pydicom))
    return Case(key, "write", title, [
        Impl("dcmfast", _quiet(run_dcmfast), lambda got: got == ref()),
        _peer("pydicom", run_pydicom, lambda got: got == ref()),
        *_floors([path]),
    ], path.stat().st_size)


def case_to_json(path: Path, title: str, key: str) -> Case:
    """Read `path` and write its DICOM JSON text: pydicom's ``to_json`` text exactly."""
    import pydicom

    import dcmfast

    def run_pydicom() -> str:
        return pydicom.dcmread(path).to_json()

    def run_dcmfast() -> str:
        return dcmfast.dcmread(path).to_json()  # type: ignore[no-any-return]

    ref = _Lazy(_quiet(run_pydicom))
    return Case(key, "json", title, [
        Impl("dcmfast", _quiet(run_dcmfast), lambda got: got == ref()),
        _peer("pydicom", run_pydicom, lambda got: got == ref()),
        *_floors([path]),
    ], path.stat().st_size)


def case_from_json(path: Path, title: str, key: str) -> Case:
    """Make a dataset from pydicom's DICOM JSON text of `path` (made once, untimed); the
    check: the dataset's JSON text is the input again in both libraries."""
    import pydicom

    import dcmfast

    text = _quiet(lambda: pydicom.dcmread(path).to_json())()

    def run_pydicom() -> Any:
        return pydicom.Dataset.from_json(text)

    def run_dcmfast() -> Any:
        return dcmfast.Dataset.from_json(text)

    def check(ds: Any) -> bool:
        return _quiet(ds.to_json)() == text  # type: ignore[no-any-return]

    return Case(key, "json", title, [
        Impl("dcmfast", _quiet(run_dcmfast), check),
        _peer("pydicom", run_pydicom, check),
        *_floors([path], len(text)),
    ], len(text))


def write_cases(ct: Path, quick: bool = False) -> list[Case]:
    cases = [case_write(ct, "unchanged", "CT_small.dcm: read + write to bytes (unchanged)",
                        "write/CT_small")]
    if quick:
        return cases
    return cases + [
        case_write(ct, "edit", "CT_small.dcm: read + 5 edits + write to bytes", "write/CT_small-edit"),
        case_write(ct, "implicit", "CT_small.dcm: read + transcode to Implicit VR Little Endian",
                   "write/CT_small-implicit"),
        case_to_json(ct, "CT_small.dcm: read + to_json", "json/CT_small-to"),
        case_from_json(ct, "CT_small.dcm: from_json (pydicom's text)", "json/CT_small-from"),
    ]


# -- the two case lists ----------------------------------------------------------------


def bundled_test_files() -> Path:
    from ..cli.summary import bundled_test_files as find

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
        return cases + write_cases(ct, quick=True)
    cases += write_cases(ct)
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


