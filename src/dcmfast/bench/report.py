"""Reports: the tables of a run, its summary, the targets, and the tables of a saved JSON run."""
from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cases import Case
from .measure import Result
from .peers import FLOOR_COPY, FLOOR_READ, PEERS


def _fmt_time(s: float) -> str:
    if math.isnan(s):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


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


TARGETS: list[tuple[str, str, Callable[[list[Result]], tuple[float | None, Callable[[float], bool]]]]] = [
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
    ("import/import", "import dcmfast <= 15 ms",
     lambda rs: (next((r.median * 1e3 for r in rs if r.name == "dcmfast" and r.samples), None),
                 lambda x: x <= 15)),
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


