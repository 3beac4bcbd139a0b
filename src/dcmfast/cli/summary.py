"""``dcmfast summary``: read a folder of files, check each against pydicom, compare timings."""
from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import DcmfastError
from ..reader import dcmread


def bundled_test_files() -> Path:
    """pydicom's bundled test files folder (found without importing pydicom)."""
    import importlib.util

    spec = importlib.util.find_spec("pydicom")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pydicom is not installed: give a file or folder to summarize")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "test_files"


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            for root, _dirs, files in os.walk(p):
                for name in sorted(files):
                    yield Path(root) / name
        elif p.is_file():
            yield p


def _median_time(func: Any, path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _touch_all(ds: Any) -> int:
    count = 0
    for elem in ds.iterall():
        elem.value  # noqa: B018
        count += 1
    return count


def _same_as_pydicom(path: Path, ours: Any) -> bool:
    import pydicom

    theirs = pydicom.dcmread(path, force=True)
    return str(theirs) == str(ours)


def run_summary(paths: list[str], *, check: bool = True, repeat: int = 5) -> int:
    if not paths:
        paths = [str(bundled_test_files())]
    if check:
        import pydicom
    rows = []
    total_ours = total_theirs = 0.0
    n_ok = n_fail = n_rejected = 0
    files = list(iter_files(paths))
    out = sys.stdout
    out.write(f"{'file':<44} {'syntax':<28} {'elements':>8} {'dcmfast':>9} {'pydicom':>9}  same\n")
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = dcmread(path, force=True)
                n_elem = _touch_all(ds)
            except DcmfastError as exc:
                n_rejected += 1
                out.write(f"{path.name[:44]:<44} rejected: {str(exc)[:70]}\n")
                continue
            ts = ds.file_meta.get("TransferSyntaxUID")
            syntax = ts.name if ts is not None else "(no transfer syntax)"
            ours = _median_time(lambda p: _touch_all(dcmread(p, force=True)), path, repeat)
            total_ours += ours
            theirs = float("nan")
            same = "-"
            if check:
                try:
                    theirs = _median_time(
                        lambda p: [e.value for e in pydicom.dcmread(p, force=True).iterall()],
                        path,
                        repeat,
                    )
                    total_theirs += theirs
                    ok = _same_as_pydicom(path, ds)
                except Exception:  # noqa: BLE001 - pydicom failing is reported, not fatal
                    ok = False
                same = "yes" if ok else "NO"
                n_ok += ok
                n_fail += not ok
        rows.append(path)
        out.write(
            f"{path.name[:44]:<44} {syntax[:28]:<28} {n_elem:>8} {ours * 1e3:>7.3f}ms "
            f"{theirs * 1e3:>7.3f}ms  {same}\n"
        )
    out.write(f"\n{len(rows)} files read, {n_rejected} rejected with a dcmfast error\n")
    if check and total_ours > 0:
        out.write(
            f"identical to pydicom (str(ds)): {n_ok} of {n_ok + n_fail}; read + every value: "
            f"dcmfast {total_ours * 1e3:.1f} ms, pydicom {total_theirs * 1e3:.1f} ms "
            f"({total_theirs / total_ours:.1f}x faster)\n"
        )
    return 0 if n_fail == 0 else 1
