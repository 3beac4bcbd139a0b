"""DICOM JSON: dcmfast against pydicom, alternating in one process, medians and ratios.

    python benchmarks/scripts/json_bench.py [ROUNDS]

Cases, per file:

* ``to_json`` / ``to_json_dict``: on a dataset just read (each call's dataset is read
  before the sample, untimed, so neither library has converted a value yet);
* ``to_json (again)``: a second call on the same dataset (every value converted);
* ``from_json``: the JSON text (pydicom's, equal to dcmfast's) made into a dataset.

Files: pydicom's CT_small.dcm (pixel data inline as base64) and rtplan.dcm (nested
sequences), and a 300-frame Enhanced CT made here from pydicom's eCT_Supplemental.dcm
(its per-frame functional groups repeated, no pixel data: some 9,000 elements).
Every output is checked against pydicom's before timing. Times are the CPU time of the
process (single-threaded work: the wall time on an idle machine), which preemption by
other processes on a shared machine does not stretch.
"""
from __future__ import annotations

import copy
import gc
import io
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file

try:
    import dcmfast
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    import dcmfast

warnings.simplefilter("ignore")


def _enhanced(frames: int = 300) -> bytes:
    ds = pydicom.dcmread(get_testdata_file("eCT_Supplemental.dcm"))
    del ds.PixelData
    items = ds.PerFrameFunctionalGroupsSequence
    ds.PerFrameFunctionalGroupsSequence = [copy.deepcopy(items[i % len(items)]) for i in range(frames)]
    ds.NumberOfFrames = frames
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


def _files() -> dict[str, bytes]:
    return {
        "CT_small.dcm": Path(get_testdata_file("CT_small.dcm")).read_bytes(),
        "rtplan.dcm": Path(get_testdata_file("rtplan.dcm")).read_bytes(),
        "enhanced CT, 300 frames": _enhanced(),
    }


def _sample(prepare: Callable[[], object], run: Callable[[object], object], calls: int) -> float:
    """The mean time of `calls` calls of run(arg), each on its own prepare()d argument
    (prepared untimed, before): a sample long enough that the timer and the first
    call's cold caches do not weigh on it."""
    args = [prepare() for _ in range(calls)]
    gc.collect()
    t = _clock()
    for arg in args:
        run(arg)
    return (_clock() - t) / calls


# The CPU time of this process (one thread works here): on a machine shared with other
# work, wall-clock samples are stretched by every preemption; CPU time is not.
_clock = time.process_time


def _case(name: str, prepare_f, prepare_p, run_f, run_p, rounds: int) -> None:
    fast, slow = [], []
    for _ in range(rounds):
        slow.append(_sample(prepare_p, run_p, 2))
        for _ in range(3):
            fast.append(_sample(prepare_f, run_f, 20))
    f = statistics.median(fast)
    p = statistics.median(slow)
    print(f"  {name:<20} dcmfast {f * 1e6:9.0f} us   pydicom {p * 1e6:9.0f} us   {p / f:6.1f}x")


def main(rounds: int) -> None:
    print(f"pydicom {pydicom.__version__}, dcmfast {dcmfast.__version__}; medians of "
          f"{rounds} pydicom samples (2 calls each) / {3 * rounds} dcmfast samples (20 calls "
          "each), alternating")
    for title, data in _files().items():
        def read_f(data=data):
            return dcmfast.dcmread(io.BytesIO(data))

        def read_p(data=data):
            return pydicom.dcmread(io.BytesIO(data))

        text = read_p().to_json()
        # correctness first: the same text, the same dict, the same datasets back
        assert read_f().to_json() == text, title
        assert read_f().to_json_dict() == json.loads(text), title
        assert dcmfast.Dataset.from_json(text).to_json() == text, title
        warm_f, warm_p = read_f(), read_p()
        warm_f.to_json()
        warm_p.to_json()
        print(f"{title} ({len(data) / 1024:.0f} KiB, JSON {len(text) / 1024:.0f} KiB)")
        _case("to_json", read_f, read_p, lambda d: d.to_json(), lambda d: d.to_json(), rounds)
        _case("to_json_dict", read_f, read_p, lambda d: d.to_json_dict(), lambda d: d.to_json_dict(),
              rounds)
        _case("to_json (again)", lambda w=warm_f: w, lambda w=warm_p: w, lambda d: d.to_json(),
              lambda d: d.to_json(), rounds)
        _case("from_json", lambda t=text: t, lambda t=text: t, dcmfast.Dataset.from_json,
              pydicom.Dataset.from_json, rounds)


def _machine_note(wall_start: float, cpu_start: float) -> None:
    """The load average and the CPU time this process got (a shared machine is noisy)."""
    import os

    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load}; this process: {cpu:.1f} s CPU in {wall:.1f} s ({cpu / wall:.0%})")


if __name__ == "__main__":
    _wall0, _cpu0 = time.perf_counter(), time.process_time()
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
    _machine_note(_wall0, _cpu0)
