"""A whole ``dcmfast bench`` run: the cases measured in turn, reported, saved as JSON."""
from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from .cases import bundled_cases
from .corpus import corpus_cases, corpus_dir
from .measure import measure
from .peers import PEERS, installed_peers
from .report import _compare, _ratio, machine_info, report_summary, report_text, targets


class _Progress:
    """The progress bar on stderr (tqdm, shown on a terminal only), one step per sample."""

    def __init__(self, total: int, enabled: bool) -> None:
        from ..cli._common import progress_bar

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


