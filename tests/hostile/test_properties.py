"""Hypothesis properties of the scanner and the reader on arbitrary bytes.

Derandomized (the same examples every run) so the suite stays deterministic.
"""
from __future__ import annotations

import random

import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dcmfast import reader as _reader  # noqa: F401,E402  (installs the dictionary tables)
from dcmfast._core import parse as _parse  # noqa: E402

from . import conftest  # noqa: E402
from .harness import exercise  # noqa: E402
from .known import tolerated  # noqa: E402
from .mutations import seed_paths  # noqa: E402

SETTINGS = settings(max_examples=1000, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
# element-ish building blocks so random inputs reach deep into the scanner
TOKENS = [b"\xfe\xff\x00\xe0", b"\xfe\xff\x0d\xe0", b"\xfe\xff\xdd\xe0", b"\xff\xff\xff\xff",
          b"\x00\x00\x00\x00", b"SQ\x00\x00", b"UN\x00\x00", b"OB\x00\x00", b"US\x02\x00",
          b"\x08\x00\x05\x00", b"\x09\x00\x10\x10", b"\xe0\x7f\x10\x00", b"\x08\x00\x15\x11",
          b"DICM", b"\x02\x00\x10\x00UI"]
chunks = st.lists(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=12)), max_size=60).map(b"".join)


def _count(label: str) -> None:
    conftest.COUNTS[label] = conftest.COUNTS.get(label, 0) + 1


def check_index(index, size: int) -> None:
    """Every entry lies inside the buffer and the tree links are consistent."""
    n = len(index)
    for i in range(n):
        tag, vr, flags, end, parent, offset, voff, length = index.entry(i)
        assert 0 <= offset <= voff <= size, (i, offset, voff, size)
        assert 0 <= length and voff + length <= size, (i, voff, length, size)
        assert i < end <= n, (i, end, n)
        assert -1 <= parent < i, (i, parent)


@SETTINGS
@given(data=st.one_of(st.binary(max_size=400), chunks), start=st.integers(0, 16),
       implicit=st.booleans(), little=st.booleans(), stop_pixels=st.booleans())
def test_scanner_arbitrary_bytes(data, start, implicit, little, stop_pixels):
    _count("hypothesis-scanner")
    start = min(start, len(data))
    try:
        index = _parse.scan(data, start, implicit, little, stop_pixels=stop_pixels)
    except ValueError as exc:
        message, tag, offset = exc.args  # the scanner's error contract
        assert isinstance(message, str) and 0 <= offset <= len(data)
        return
    check_index(index, len(data))
    assert 0 <= index.stop_offset <= len(data)


@SETTINGS
@given(data=st.one_of(st.binary(max_size=600), chunks.map(lambda b: b"\0" * 128 + b"DICM" + b)))
def test_reader_arbitrary_bytes(data):
    _count("hypothesis-reader")
    escapes = [e for e in exercise(data, {"force": True}) if not tolerated(e)]
    assert not escapes, escapes


_SEEDS = {p.name: p.read_bytes() for p in seed_paths()[:12]}


@SETTINGS
@given(name=st.sampled_from(sorted(_SEEDS)), seed=st.integers(0, 2**32 - 1),
       edits=st.integers(1, 12))
def test_valid_files_with_random_edits(name, seed, edits):
    _count("hypothesis-edits")
    rng = random.Random(seed)
    buf = bytearray(_SEEDS[name])
    for _ in range(edits):
        at = rng.randrange(len(buf))
        choice = rng.random()
        if choice < 0.7:
            buf[at] = rng.randrange(256)
        elif choice < 0.85:
            buf[at:at + 4] = rng.choice(TOKENS)[:4]
        else:
            del buf[at:at + rng.randrange(1, 32)]
    escapes = [e for e in exercise(bytes(buf), {"force": True}) if not tolerated(e)]
    assert not escapes, escapes


@pytest.mark.parametrize("depth", [1, 64, 127, 128, 129, 1000])
def test_depth_cap(depth):
    """Nesting past 128 levels is an error, never a RecursionError or a crash."""
    import dcmfast
    from dcmfast.errors import InvalidDicomError

    pre = b"\0" * 128 + b"DICM"
    ts = b"1.2.840.10008.1.2.1\0"
    meta = pre + b"\x02\x00\x10\x00UI" + len(ts).to_bytes(2, "little") + ts
    body = (b"\x08\x00\x15\x11SQ\0\0\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff") * depth
    tail = (b"\xfe\xff\x0d\xe0\0\0\0\0" + b"\xfe\xff\xdd\xe0\0\0\0\0") * depth
    if depth > 128:
        with pytest.raises(InvalidDicomError, match="nested deeper"):
            dcmfast.dcmread(meta + body + tail)
        return
    ds = dcmfast.dcmread(meta + body + tail)
    assert sum(1 for _ in ds.iterall()) == depth
    assert str(ds)


def _read_outcome(read):
    """Elements at every depth with their values (or the errors reading them raise),
    warnings, or the error the read raised."""
    import warnings

    import dcmfast

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = read()
            out = []
            for elem in ds.iterall():
                try:
                    value = repr(elem.value)
                except Exception as exc:  # noqa: BLE001 - compared as it is
                    value = type(exc).__name__
                out.append((int(elem.tag), elem.VR, value))
        except dcmfast.DcmfastError as exc:
            return type(exc), str(exc), [str(w.message) for w in caught]
    return out, [str(w.message) for w in caught]


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(_SEEDS)), seed=st.integers(0, 2**32 - 1), edits=st.integers(0, 8),
       first=st.integers(1, 600), growth=st.integers(2, 9), force=st.booleans(),
       header_only=st.booleans())
def test_prefix_reads_of_damaged_files(name, seed, edits, first, growth, force, header_only):
    """A path read with stop_before_pixels / specific_tags reads first bytes only: on
    damaged files too, what it gives, warns and raises is what a read of all the bytes does."""
    import os
    import tempfile

    import dcmfast

    _count("hypothesis-prefix")
    rng = random.Random(seed)
    buf = bytearray(_SEEDS[name])
    for _ in range(edits):
        at = rng.randrange(len(buf))
        if rng.random() < 0.8:
            buf[at] = rng.randrange(256)
        else:
            buf[at:at + 4] = rng.choice(TOKENS)[:4]
    data = bytes(buf)
    kwargs = {"stop_before_pixels": True} if header_only else {"specific_tags": [0x00100010, 0x00280010]}
    fd, path = tempfile.mkstemp(suffix=".dcm")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        saved = _reader.PREFIX_BYTES, _reader.PREFIX_GROWTH
        _reader.PREFIX_BYTES, _reader.PREFIX_GROWTH = first, growth
        try:
            prefix = _read_outcome(lambda: dcmfast.dcmread(path, force=force, **kwargs))
        finally:
            _reader.PREFIX_BYTES, _reader.PREFIX_GROWTH = saved
        whole = _read_outcome(lambda: dcmfast.dcmread(data, force=force, **kwargs))
    finally:
        os.unlink(path)
    assert prefix == whole
