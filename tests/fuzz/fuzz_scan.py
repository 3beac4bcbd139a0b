"""atheris fuzz target for the element-stream scanner alone (fast: no Python walk).

The first byte picks the flags (implicit / little endian / stop at pixels / start
offset); the rest is scanned. Every index must satisfy the invariants the facade
relies on (entries inside the buffer, consistent tree links), the error contract
is ``ValueError(message, tag, offset)``, and ``sequence_error`` / ``value_view``
must work on every entry. Run with ``TARGET=scan tools/fuzz.sh``.
"""
from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["dcmfast"]):
    from dcmfast import reader as _reader  # noqa: F401  (installs the dictionary tables)
    from dcmfast._core import parse as _parse


def TestOneInput(data: bytes) -> None:  # noqa: N802
    if not data:
        return
    flags, body = data[0], data[1:]
    start = (flags >> 3) & 7
    start = min(start, len(body))
    try:
        index = _parse.scan(body, start, bool(flags & 1), not flags & 2,
                            stop_pixels=bool(flags & 4), max_entries=1 << 20)
    except ValueError as exc:
        message, tag, offset = exc.args
        assert isinstance(message, str) and 0 <= offset <= len(body), exc.args
        return
    n = len(index)
    size = len(body)
    for i in range(n):
        tag, vr, fl, end, parent, offset, voff, length = index.entry(i)
        assert 0 <= offset <= voff <= size and length >= 0 and voff + length <= size, (i, index.entry(i))
        assert i < end <= n and -1 <= parent < i, (i, index.entry(i))
        assert len(index.value_view(i)) == length
        if fl & 32:  # F_ERROR: the facade asks why
            index.sequence_error(i)
    index.children(0, n)
    index.find(0, n, 0x7FE00010)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
