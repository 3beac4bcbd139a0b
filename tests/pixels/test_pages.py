"""Large decoder outputs in mappings of their own, the last one freed reused
(``dcmfast._core.pages``), and the RLE decoder that uses them."""
from __future__ import annotations

import gc
import struct
import sys

import numpy as np
import pytest
from pydicom.encaps import encapsulate

from dcmfast._core import pages
from dcmfast.errors import PixelDataError
from dcmfast.pixels import pixel_array

from .conftest import RLE, make_dataset

pytestmark = pytest.mark.skipif(
    pages.alloc(pages.MIN_BYTES) is None, reason="no lazily freed mappings on this platform")

MIB = 1 << 20


@pytest.fixture(autouse=True)
def _no_cached_mapping():
    gc.collect()
    pages.release_cached()
    yield
    gc.collect()
    pages.release_cached()


def _address(buf) -> int:
    return np.frombuffer(buf, np.uint8).ctypes.data


def test_small_sizes_are_not_served():
    assert pages.alloc(pages.MIN_BYTES - 1) is None
    assert pages.alloc(0) is None
    assert pages.alloc(-1) is None


def test_buffer_is_writable_to_its_last_byte():
    buf = pages.alloc(pages.MIN_BYTES + 123)
    assert buf is not None and len(buf) == pages.MIN_BYTES + 123
    view = memoryview(buf)
    assert not view.readonly and view.format == "B" and view.nbytes == len(buf)
    assert view.shape == (len(buf),) and view.strides == (1,)
    view[0] = 1
    view[-1] = 2
    arr = np.frombuffer(buf, np.uint8)
    assert arr[0] == 1 and arr[-1] == 2
    assert arr.ctypes.data % (2 * MIB) == 0  # aligned for huge pages


def test_freed_mapping_is_reused():
    buf = pages.alloc(40 * MIB)
    where = _address(buf)
    del buf
    assert pages.cached_bytes() == 40 * MIB
    # about the same size: the same mapping, taken out of the cache
    again = pages.alloc(40 * MIB - 5)
    assert _address(again) == where and pages.cached_bytes() == 0
    np.frombuffer(again, np.uint8)[:] = 7  # every byte writable
    del again
    assert pages.cached_bytes() == 40 * MIB


@pytest.mark.parametrize("size", [34 * MIB, 64 * MIB])
def test_a_mapping_that_does_not_fit_is_unmapped_first(size):
    del_me = pages.alloc(48 * MIB)
    del del_me
    assert pages.cached_bytes() == 48 * MIB
    other = pages.alloc(size)  # much smaller or larger: a new mapping, the cached one gone
    assert pages.cached_bytes() == 0
    np.frombuffer(other, np.uint8)[-1] = 1
    del other
    assert pages.cached_bytes() == size


def test_the_most_recently_freed_mapping_is_kept():
    a = pages.alloc(40 * MIB)
    b = pages.alloc(60 * MIB)
    where = _address(b)
    del a
    del b
    assert pages.cached_bytes() == 60 * MIB
    assert _address(pages.alloc(60 * MIB)) == where


def test_views_keep_the_mapping_alive():
    buf = pages.alloc(40 * MIB)
    arr = np.frombuffer(buf, np.int16).reshape(-1, 1024)
    del buf
    assert pages.cached_bytes() == 0
    arr[-1, -1] = 5
    del arr
    assert pages.cached_bytes() == 40 * MIB


def test_buffers_are_traced():
    import tracemalloc

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        buf = pages.alloc(40 * MIB + 3)
        assert tracemalloc.get_traced_memory()[0] - before >= 40 * MIB + 3
        del buf
        assert tracemalloc.get_traced_memory()[0] - before < MIB
    finally:
        tracemalloc.stop()


def test_an_empty_pages_object_exports_nothing():
    with pytest.raises(TypeError):
        pages.Pages()


# --- the RLE decoder's large outputs -----------------------------------------------

ROWS = COLUMNS = 1024
FRAMES = 17  # 17 x 2 MiB of 16-bit samples: above pages.MIN_BYTES


def _packbits_row(row: bytes) -> bytes:
    """Literal runs of up to 128 bytes, a replicate run where four bytes repeat."""
    out = bytearray()
    i = 0
    while i < len(row):
        if row[i:i + 4] == bytes([row[i]]) * 4:
            n = 4
            while i + n < len(row) and n < 128 and row[i + n] == row[i]:
                n += 1
            out += bytes([257 - n, row[i]])
        else:
            n = 1
            while i + n < len(row) and n < 128 and row[i + n:i + n + 4] != bytes([row[i + n]]) * 4:
                n += 1
            out += bytes([n - 1]) + row[i:i + n]
        i += n
    return bytes(out)


def _large(seed: int) -> tuple[np.ndarray, list[bytes]]:
    """FRAMES frames of ROWS identical rows each (a different row per frame) and
    their RLE encodings (big-endian segment order)."""
    rng = np.random.default_rng(seed)
    expected = np.empty((FRAMES, ROWS, COLUMNS), np.int16)
    frames = []
    for k in range(FRAMES):
        row = rng.integers(-3000, 3000, COLUMNS, dtype=np.int16)
        row[100:300] = k  # replicate runs
        expected[k] = row
        high = _packbits_row((row.astype(">i2").view(np.uint8)[0::2]).tobytes()) * ROWS
        low = _packbits_row((row.astype(">i2").view(np.uint8)[1::2]).tobytes()) * ROWS
        header = struct.pack("<16I", 2, 64, 64 + len(high), *([0] * 13))
        frames.append(header + high + low)
    return expected, frames


def _dataset(frames: list[bytes]):
    ds = make_dataset(b"", tsyntax=RLE, rows=ROWS, columns=COLUMNS, bits_allocated=16,
                      signed=1, frames=len(frames))
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].is_undefined_length = True
    return ds


@pytest.fixture(scope="module")
def large():
    return [_large(seed) for seed in (1, 2)]


def test_large_rle_output_is_reused_and_fully_overwritten(large):
    (first, first_frames), (second, second_frames) = large
    arr = pixel_array(_dataset(first_frames), threads=1)
    np.testing.assert_array_equal(arr, first)
    assert arr.nbytes >= pages.MIN_BYTES and arr.flags.writeable
    where = arr.ctypes.data
    del arr
    assert pages.cached_bytes() >= FRAMES * ROWS * COLUMNS * 2
    for threads in (1, 2, 3):
        # the freed output is reused: nothing of the other image may be left in it
        out = pixel_array(_dataset(second_frames), threads=threads)
        assert out.ctypes.data == where
        np.testing.assert_array_equal(out, second)
        del out
        out = pixel_array(_dataset(first_frames), threads=threads)
        np.testing.assert_array_equal(out, first)
        del out


def _file_bytes(ds) -> bytes:
    import io

    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"  # Enhanced CT
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2.1", "1.2.3.4"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


@pytest.mark.parametrize("threads", [None, 1, 2])
def test_large_rle_from_a_file_uses_the_mappings(large, threads):
    """A path or file bytes read by dcmfast: a large output is left to rle.decode by the
    compiled path (threads=1 too), and goes into a reusable mapping."""
    (expected, frames), _ = large
    blob = _file_bytes(_dataset(frames))
    arr = pixel_array(blob, threads=threads)
    np.testing.assert_array_equal(arr, expected)
    assert arr.ctypes.data % (2 * MIB) == 0
    del arr
    assert pages.cached_bytes() >= FRAMES * ROWS * COLUMNS * 2


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("damage", ["truncated", "garbage", "header"])
def test_malformed_large_rle_raises_and_frees(large, threads, damage):
    (expected, frames), _ = large
    bad = list(frames)
    if damage == "truncated":
        bad[9] = bad[9][:len(bad[9]) // 2]
    elif damage == "garbage":
        bad[9] = bad[9][:64] + bytes([0x80]) * (len(bad[9]) - 64)  # no-ops only: short
    else:
        bad[9] = struct.pack("<I", 3) + bad[9][4:]
    with pytest.raises(PixelDataError, match="frame 9"):
        pixel_array(_dataset(bad), threads=threads)
    gc.collect()
    # the output was freed (cached): the next decode reuses it and is right
    assert pages.cached_bytes() >= FRAMES * ROWS * COLUMNS * 2
    np.testing.assert_array_equal(pixel_array(_dataset(frames), threads=threads), expected)


@pytest.mark.skipif(sys.platform != "linux", reason="Linux only")
def test_release_cached_unmaps():
    buf = pages.alloc(40 * MIB)
    del buf
    assert pages.cached_bytes() == 40 * MIB
    pages.release_cached()
    assert pages.cached_bytes() == 0
    pages.release_cached()  # nothing cached: nothing done
