"""max_bytes: the cap on what one read may allocate, and its default."""
from __future__ import annotations

import struct
import zlib

import pytest

import dcmfast
from dcmfast.errors import DcmfastError, InvalidDicomError, ResourceLimitError
from dcmfast.reader import default_max_bytes

from .mutations import seed_paths, synthetic

PRE = b"\0" * 128 + b"DICM"


def meta(ts: bytes) -> bytes:
    ts = ts + b"\0" * (len(ts) % 2)
    return PRE + b"\x02\x00\x10\x00UI" + struct.pack("<H", len(ts)) + ts


def test_error_class():
    assert issubclass(ResourceLimitError, DcmfastError)
    assert issubclass(ResourceLimitError, MemoryError)


def test_default():
    assert default_max_bytes(0) == 2 << 30
    assert default_max_bytes(100 << 20) == 256 * (100 << 20)


def test_deflate_bomb_is_refused():
    bomb = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = bomb.compress(b"\x10\x00\x10\x00PN\x04\x00ABCD" + b"\0" * (16 << 20)) + bomb.flush()
    data = meta(b"1.2.840.10008.1.2.1.99") + body
    assert len(data) < 64 * 1024
    with pytest.raises(ResourceLimitError, match="inflates to more than"):
        dcmfast.dcmread(data, max_bytes=1 << 20)
    ds = dcmfast.dcmread(data)  # the default cap lets 16 MB through
    assert ds.PatientName == "ABCD"


def test_truncated_deflate_is_invalid():
    c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = c.compress(b"\x10\x00\x10\x00PN\x04\x00ABCD" * 100) + c.flush()
    with pytest.raises(InvalidDicomError, match="incomplete or truncated"):
        dcmfast.dcmread(meta(b"1.2.840.10008.1.2.1.99") + body[: len(body) // 2])


def test_index_is_capped():
    data = meta(b"1.2.840.10008.1.2.1") + b"\x09\x00\x10\x10UN\0\0\0\0\0\0" * 5000
    with pytest.raises(ResourceLimitError, match="element index"):
        dcmfast.dcmread(data, max_bytes=40 * 1000)
    assert len(dcmfast.dcmread(data, max_bytes=40 * 6000)) == 1


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_jpeg_dcmtk.dcm",
                                  "MR_small_bigendian.dcm", "liver_1frame.dcm"])
def test_pixel_output_is_capped(name):
    if "jpeg" in name:
        pytest.importorskip("libjpeg", reason="the JPEG case needs pylibjpeg-libjpeg")
    path = next(p for p in seed_paths() if p.name == name)
    ds = dcmfast.dcmread(path)
    nbytes = ds.pixel_array.nbytes
    small = dcmfast.dcmread(path, max_bytes=nbytes - 1)
    with pytest.raises(ResourceLimitError, match="max_bytes"):
        small.pixel_array  # noqa: B018


@pytest.mark.parametrize("desc,data", [c for c in synthetic() if c[0].startswith("huge-")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_huge_images_from_tiny_files(desc, data):
    """65535 x 65535 x 3 x 99999999 frames described by a few hundred bytes: refused
    before anything that size is allocated (default cap)."""
    ds = dcmfast.dcmread(data)
    with pytest.raises(DcmfastError):
        ds.pixel_array  # noqa: B018


def test_negative_max_bytes():
    with pytest.raises(ValueError):
        dcmfast.dcmread(meta(b"1.2.840.10008.1.2.1"), max_bytes=-1)


_HEADER_KINDS = ("pixel(", "frames=", "photometric=", "tsyntax=", "frag", "bot[", "rle", "jpeg",
                 "len(")


def test_allocations_are_backed_by_bytes():
    """Header-field mutations never make dcmfast allocate much more than the input:
    the peak of Python-tracked memory (numpy arrays included) over read + walk +
    str + pixel_array stays under 4 MB + 200 x the input size (RLE expands 64x)."""
    import tracemalloc

    from . import conftest
    from .harness import exercise
    from .mutations import mutations

    names = {"MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "rtdose.dcm", "SC_rgb_jpeg_dcmtk.dcm",
             "liver_1frame.dcm", "SC_ybr_full_422_uncompressed.dcm", "MR_small_bigendian.dcm"}
    over = []
    n = 0
    tracemalloc.start()
    try:
        for path in (p for p in seed_paths() if p.name in names):
            for desc, data in mutations(path.read_bytes(), n_random=0):
                if not desc.startswith(_HEADER_KINDS):
                    continue
                bound = 4_000_000 + 200 * len(data)
                for _ in range(2):  # again if over: a lazy import (codecs, dictionaries) is one-off
                    tracemalloc.reset_peak()
                    base = tracemalloc.get_traced_memory()[0]
                    exercise(data, {"force": True}, max_bytes=None)
                    peak = tracemalloc.get_traced_memory()[1] - base
                    if peak <= bound:
                        break
                n += 1
                if peak > bound:
                    over.append(f"{path.name} {desc}: peak {peak} for {len(data)} bytes")
    finally:
        tracemalloc.stop()
    conftest.COUNTS["allocation checks"] = n
    assert not over, "\n".join(over[:20])
