"""atheris fuzz target: dcmread (every option) + value walk + str(ds) + pixel_array.

Run it through ``tools/fuzz.sh`` (which builds a coverage-instrumented, ASan/UBSan
copy of dcmfast and preloads atheris's sanitizer runtime). A crash is:

* a signal (segfault, abort, an ASan/UBSan report),
* a hang (libFuzzer's -timeout) or an allocation over -malloc_limit_mb / -rss_limit_mb,
* a non-dcmfast exception raised from a file the hostile-input work owns, a
  RecursionError or a MemoryError (see tests/hostile/harness.py).

Non-dcmfast exceptions raised from the lead's files (values.pyx, element.pyx,
dataset.py, charset.py, ...) are known and reported separately: they are written
once per kind to $DCMFAST_FUZZ_FINDINGS (default /tmp/dcmfast-fuzz-findings) and the
run goes on.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "hostile"))

with atheris.instrument_imports(include=["dcmfast"]):
    import dcmfast  # noqa: F401
    import dcmfast.pixels  # noqa: F401
    import dcmfast.reader  # noqa: F401

import harness  # noqa: E402

FINDINGS = Path(os.environ.get("DCMFAST_FUZZ_FINDINGS", "/tmp/dcmfast-fuzz-findings"))
_seen: set[tuple[str, str, str, str]] = set()
# fuzz inputs are small: anything a header makes us allocate past this is a bug
MAX_BYTES = 64 * 1024 * 1024


class UnexpectedEscapeError(Exception):
    pass


def _record(escape: harness.Escape, data: bytes) -> None:
    key = (escape.stage, escape.exc_type, escape.origin, escape.message[:30])
    if key in _seen:
        return
    _seen.add(key)
    FINDINGS.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    name = f"{escape.exc_type}-{escape.origin.replace('.', '_')}-{escape.stage}-{digest}"
    (FINDINGS / f"{name}.dcm").write_bytes(data)
    (FINDINGS / f"{name}.txt").write_text(f"{escape}\n")


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris' name
    options = harness.OPTION_SETS[len(data) % len(harness.OPTION_SETS)]
    for escape in harness.exercise(data, options, max_bytes=MAX_BYTES):
        if escape.lead_owned and escape.exc_type not in ("RecursionError", "MemoryError"):
            _record(escape, data)
            continue
        raise UnexpectedEscapeError(f"{escape}")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
