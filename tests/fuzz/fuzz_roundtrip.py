"""atheris fuzz target: the write side. Mutated bytes -> dcmread -> every value ->
dcmwrite_bytes -> dcmread -> equal; the DICOM JSON round trip; a transcode to another
uncompressed syntax and back; and (every other input, by length) a random edit written
with pydicom's writer as the byte oracle. See roundtrip_harness.py for the guarantee.

Run it through ``TARGET=roundtrip tools/fuzz.sh SECONDS``. A crash is a signal (an
ASan/UBSan report, a segfault), a hang or an allocation over the limits. Each
:class:`roundtrip_harness.Failure` (a difference, a non-dcmfast exception) is written
once per kind to $DCMFAST_FUZZ_FINDINGS (default /tmp/dcmfast-fuzz-findings: the input
and a .txt with the failure) and the run goes on, so one run collects every kind;
with DCMFAST_FUZZ_STOP=1 the first failure (other than the lead's read escapes, which
fuzz_dcmread owns) is a crash instead.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

with atheris.instrument_imports(include=["dcmfast"]):
    import dcmfast  # noqa: F401
    import dcmfast.filewriter  # noqa: F401
    import dcmfast.jsonrep  # noqa: F401

import roundtrip_harness as harness  # noqa: E402

FINDINGS = Path(os.environ.get("DCMFAST_FUZZ_FINDINGS", "/tmp/dcmfast-fuzz-findings"))
_seen: set[tuple[str, str, str, str]] = set()


class RoundTripError(Exception):
    pass


def _record(failure: harness.Failure, data: bytes) -> None:
    key = (failure.stage, failure.kind, failure.origin, failure.message[:30])
    if key in _seen:
        return
    _seen.add(key)
    FINDINGS.mkdir(parents=True, exist_ok=True)
    name = f"roundtrip-{failure.kind}-{failure.origin.replace('.', '_')}-{failure.stage}-" \
           f"{hashlib.sha1(data).hexdigest()[:12]}"
    (FINDINGS / f"{name}.dcm").write_bytes(data)
    (FINDINGS / f"{name}.txt").write_text(f"{failure}\n")


STOP = os.environ.get("DCMFAST_FUZZ_STOP", "") == "1"


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris' name
    edit = len(data) // 2 if len(data) % 2 else None
    for failure in harness.check(data, edit=edit):
        if STOP and not failure.lead_read_escape:
            raise RoundTripError(str(failure))
        _record(failure, data)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
