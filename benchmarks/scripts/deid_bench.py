"""De-identification of a folder of files, files/s: dcmfast against a copy and the peers.

    python benchmarks/scripts/deid_bench.py [--files 2000] [--rounds 5] [--peer-files 200] [--dir DIR]

The input: `--files` copies of pydicom's CT_small.dcm (39 KB) in one folder (under --dir,
default: a new temporary folder; the outputs go beside it, on the same file system).
Each round runs every case once, in turn, each into a new output folder (removed after):

* ``copyfile``: ``shutil.copyfile`` of every file (the floor: read + write, no work);
* ``dcmfast 1w`` / ``2w proc`` / ``2w thr``: ``Deidentifier().process(in, out)`` with the
  Basic Profile, 1 worker, 2 worker processes, 2 worker threads;
* ``pydicom 3 attrs``: a loop of ``pydicom.dcmread``, blank three attributes, ``save_as``;
* the peers, where installed (each skipped if it fails to import or to run): dicognito
  (``Anonymizer().anonymize``), deid (``replace_identifiers`` with its default recipe),
  dicom-anonymizer (``anonymize_dicom_file``), on the first `--peer-files` files.

Reports the median files/s of each case over the rounds, and ratios: each case's time
per file against copyfile's, and against dcmfast with one worker; the CPU time per file
each case took (this process and its workers: on a busy machine the wall-clock ratios
between 1 and 2 workers say little, the CPU per file still does) and the load average.
A case is checked once: its outputs must exist and read back with pydicom (PatientName
not the original's).

Fixed costs, measured apart (medians of --rounds): a run of one file with a new
``Deidentifier`` (key set-up, the first file's caches; the imports are already done), and
runs of 64 files (two chunks) with 1 worker, 2 worker processes and 2 threads (the pool's
start and stop on top of the per-file cost).
"""
from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file

from dcmfast.deid import Deidentifier

KEY = b"deid-bench-key-0123456789abcdefgh"


def _copyfile(files: list[Path], out: Path) -> None:
    out.mkdir()
    for f in files:
        shutil.copyfile(f, out / f.name)


def _dcmfast(workers: int, pool: str) -> Callable[[list[Path], Path], None]:
    deid = Deidentifier(key=KEY)

    def run(files: list[Path], out: Path) -> None:
        summary = deid.process(files[0].parent, out, workers=workers, pool=pool, resume=False)
        assert summary.written == len(files), summary.line()

    return run


def _pydicom_loop(files: list[Path], out: Path) -> None:
    out.mkdir()
    for f in files:
        ds = pydicom.dcmread(f)
        ds.PatientName = ""
        ds.PatientID = ""
        ds.PatientBirthDate = ""
        ds.save_as(out / f.name)


def _dicognito() -> Callable[[list[Path], Path], None]:
    from dicognito.anonymizer import Anonymizer

    def run(files: list[Path], out: Path) -> None:
        out.mkdir()
        anonymizer = Anonymizer()
        for f in files:
            ds = pydicom.dcmread(f)
            anonymizer.anonymize(ds)
            ds.save_as(out / f.name)

    return run


def _deid() -> Callable[[list[Path], Path], None]:
    from deid.config import DeidRecipe
    from deid.dicom import replace_identifiers

    recipe = DeidRecipe()
    logging.getLogger("deid").setLevel(logging.ERROR)

    def run(files: list[Path], out: Path) -> None:
        out.mkdir()
        replace_identifiers(dicom_files=[str(f) for f in files], deid=recipe, save=True,
                            output_folder=str(out), remove_private=True)

    return run


def _dicom_anonymizer() -> Callable[[list[Path], Path], None]:
    from dicomanonymizer import anonymize_dicom_file

    def run(files: list[Path], out: Path) -> None:
        out.mkdir()
        for f in files:
            anonymize_dicom_file(str(f), str(out / f.name))

    return run


def _cpu() -> float:
    """CPU seconds of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _fixed_costs(files: list[Path], base: Path, rounds: int) -> None:
    one = base / "one"
    one.mkdir()
    shutil.copyfile(files[0], one / files[0].name)
    few = base / "few"
    few.mkdir()
    for f in files[:64]:
        shutil.copyfile(f, few / f.name)
    cases: dict[str, Callable[[Path], object]] = {
        "1 file, new Deidentifier": lambda out: Deidentifier(key=KEY).process(one, out, workers=1),
        "64 files, 1 worker": lambda out: Deidentifier(key=KEY).process(few, out, workers=1),
        "64 files, 2 processes": lambda out: Deidentifier(key=KEY).process(few, out, workers=2),
        "64 files, 2 threads": lambda out: Deidentifier(key=KEY).process(few, out, workers=2, pool="thread"),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            out = base / "fixed-out"
            start = time.perf_counter()
            fn(out)
            times[name].append(time.perf_counter() - start)
            shutil.rmtree(out)
    print("  fixed costs (medians, ms):", ", ".join(
        f"{name} {statistics.median(v) * 1e3:.1f}" for name, v in times.items()))


def _check(out: Path, n: int) -> bool:
    written = [p for p in out.rglob("*.dcm")]
    if len(written) != n:
        return False
    ds = pydicom.dcmread(written[0])
    return str(ds.get("PatientName", "")) != "CompressedSamples^CT1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--peer-files", type=int, default=200)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    base = Path(tempfile.mkdtemp(dir=args.dir, prefix="deid-bench-"))
    src = base / "in"
    src.mkdir()
    ct = get_testdata_file("CT_small.dcm")
    for i in range(args.files):
        shutil.copyfile(ct, src / f"ct{i:05d}.dcm")
    files = sorted(src.iterdir())
    peer_src = base / "peer-in"
    peer_src.mkdir()
    for f in files[:args.peer_files]:
        shutil.copyfile(f, peer_src / f.name)
    peer_files = sorted(peer_src.iterdir())

    cases: dict[str, tuple[Callable[[list[Path], Path], None], list[Path]]] = {
        "copyfile": (_copyfile, files),
        "dcmfast 1w": (_dcmfast(1, "process"), files),
        "dcmfast 2w proc": (_dcmfast(2, "process"), files),
        "dcmfast 2w thr": (_dcmfast(2, "thread"), files),
        "pydicom 3 attrs": (_pydicom_loop, peer_files),
    }
    for name, make in (("dicognito", _dicognito), ("deid", _deid), ("dicom-anonymizer", _dicom_anonymizer)):
        try:
            fn = make()
            probe = base / f"probe-{name}"
            fn(peer_files[:2], probe)
            shutil.rmtree(probe)
        except Exception as exc:  # a peer that is missing or fails is skipped, and said so
            print(f"skipped {name}: {type(exc).__name__}: {exc}")
            continue
        cases[name] = (fn, peer_files)

    rates: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    correct: dict[str, bool] = {}
    load_start = os.getloadavg()
    for _ in range(args.rounds):
        for name, (fn, inputs) in cases.items():
            out = base / "out"
            used = _cpu()
            start = time.perf_counter()
            fn(inputs, out)
            elapsed = time.perf_counter() - start
            cpu[name].append((_cpu() - used) / len(inputs))
            rates[name].append(len(inputs) / elapsed)
            if name not in correct:
                correct[name] = name == "copyfile" or _check(out, len(inputs))
            shutil.rmtree(out)
    load_end = os.getloadavg()

    print(f"{args.files} copies of CT_small.dcm ({os.cpu_count()} CPUs), medians of {args.rounds} "
          "alternating rounds (peers: first {} files)".format(args.peer_files))
    print(f"  load average {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end")
    floor = statistics.median(rates["copyfile"])
    one = statistics.median(rates["dcmfast 1w"])
    print(f"  {'case':18s} {'files/s':>9s} {'x copyfile time':>16s} {'x dcmfast 1w time':>18s} "
          f"{'CPU us/file':>12s}  ok")
    for name, values in rates.items():
        m = statistics.median(values)
        print(f"  {name:18s} {m:9.0f} {floor / m:16.2f} {one / m:18.2f} "
              f"{statistics.median(cpu[name]) * 1e6:12.1f}  {correct[name]}")
    _fixed_costs(files, base, args.rounds)
    shutil.rmtree(base)


if __name__ == "__main__":
    main()
