"""The RLE kernel's code paths against an independent reference: a plain Python
PackBits decoder with numpy interleaving written here, and pydicom (pylibjpeg-rle or
its own decoder) for datasets. Covers the lockstep chunks (runs straddling chunk
boundaries, odd frame sizes), the fast and exact run paths (segments ending in
every way), 8/16/32-bit samples, 1 and 3 samples per pixel, both segment orders,
short and long segments, the multi-frame call and the worker threads."""
from __future__ import annotations

import multiprocessing
import os
import struct
import sys
import threading

import numpy as np
import pytest

from dcmfast._core import rle as core_rle
from dcmfast.errors import PixelDataError
from dcmfast.pixels import pixel_array
from dcmfast.pixels import rle as pixels_rle

from .conftest import RLE, RLE_PLUGIN, assert_same, make_dataset, pydicom_pixel_array

# --- an independent reference decoder ------------------------------------------


def ref_segment(seg: bytes, count: int) -> tuple[bytes, str]:
    """Decode a PackBits segment the plain way: (first `count` bytes, status)."""
    out = bytearray()
    pos = 0
    while pos < len(seg) and len(out) < count:
        h = seg[pos]
        pos += 1
        if h < 128:
            out += seg[pos:pos + h + 1]
            pos += h + 1
        elif h > 128:
            if pos >= len(seg):
                break
            out += bytes([seg[pos]]) * (257 - h)
            pos += 1
    if len(out) < count:
        return bytes(out), "short"
    more = len(out) > count
    while not more and pos < len(seg):  # runs left that would produce something
        h = seg[pos]
        pos += 1
        if h != 128:
            more = pos < len(seg)
            break
    return bytes(out[:count]), "long" if more else "ok"


def ref_frame(frame: bytes, rows: int, columns: int, samples: int, bits: int,
              order: str = ">") -> tuple[bytes, int]:
    """(decoded frame, long segments) or raises PixelDataError('short ...')."""
    n = struct.unpack_from("<I", frame)[0]
    offsets = list(struct.unpack_from(f"<{n}I", frame, 4)) + [len(frame)]
    pixels = rows * columns
    nbytes = bits // 8
    planes = np.zeros((n, pixels), np.uint8)
    nr_long = 0
    for i in range(n):
        data, status = ref_segment(frame[offsets[i]:offsets[i + 1]], pixels)
        if status == "short":
            raise PixelDataError(f"short segment {i}: {len(data)}")
        nr_long += status == "long"
        planes[i] = np.frombuffer(data, np.uint8)
    out = np.zeros((pixels, samples, nbytes), np.uint8)
    for i in range(n):
        sample, byte = divmod(i, nbytes)
        if order == ">":
            byte = nbytes - 1 - byte
        out[:, sample, byte] = planes[i]
    return out.tobytes(), nr_long


# --- an encoder with random run choices (not the one pydicom uses) -------------


def encode_segment(data: bytes, rng: np.random.Generator, *, noop: float = 0.0) -> bytes:
    """PackBits-encode `data` choosing run kinds and lengths at random, so runs of
    every length 1..128 start and end anywhere."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        if noop and rng.random() < noop:
            out.append(128)
        same = 1
        while pos + same < len(data) and same < 128 and data[pos + same] == data[pos]:
            same += 1
        if same >= 2 and rng.random() < 0.9:
            run = int(rng.integers(2, same + 1)) if rng.random() < 0.3 else same
            out += bytes([257 - run, data[pos]])
        else:
            run = min(int(rng.choice([1, 2, 3, 5, 8, 15, 16, 17, 31, 32, 33, 64, 100, 128])),
                      len(data) - pos)
            out.append(run - 1)
            out += data[pos:pos + run]
        pos += run
    return bytes(out)


def make_frame(segments: list[bytes]) -> bytes:
    offsets, pos = [], 64
    for seg in segments:
        offsets.append(pos)
        pos += len(seg)
    return struct.pack("<16I", len(segments), *offsets, *([0] * (15 - len(segments)))) + b"".join(segments)


def planes_of(arr: np.ndarray, order: str = ">") -> list[bytes]:
    """The segment byte planes of one frame `arr` (rows, columns[, samples])."""
    samples = arr.shape[2] if arr.ndim == 3 else 1
    raw = arr.astype(arr.dtype.newbyteorder("<")).reshape(-1, samples).view(np.uint8)
    raw = raw.reshape(-1, samples, arr.dtype.itemsize)
    out = []
    for sample in range(samples):
        for j in range(arr.dtype.itemsize):
            byte = arr.dtype.itemsize - 1 - j if order == ">" else j
            out.append(raw[:, sample, byte].tobytes())
    return out


def random_image(rng, shape, dtype) -> np.ndarray:
    """Noise over flat areas: long replicate runs, short runs and literals."""
    info = np.iinfo(dtype)
    arr = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    flat = rng.random(shape[:2]) < 0.4
    arr[flat] = arr.flat[0]
    arr.reshape(-1)[: arr.size // 5] = 3  # a long run across many chunks
    small = rng.random(shape) < 0.3
    arr[small] = (arr[small] % 4).astype(dtype)
    return arr


GEOMETRIES = [  # rows, columns, samples, dtype: odd sizes, chunk remainders, 1..12 segments
    (1, 1, 1, "u1"), (1, 200, 1, "u2"), (37, 223, 1, "u2"), (64, 64, 1, "u2"),
    (65, 127, 1, "i2"), (33, 129, 3, "u1"), (64, 128, 3, "u1"), (19, 301, 1, "u4"),
    (21, 211, 3, "u2"), (17, 150, 3, "u4"), (40, 207, 1, "u1"),
]


@pytest.mark.parametrize("order", [">", "<"])
@pytest.mark.parametrize("rows,columns,samples,dtype", GEOMETRIES)
def test_kernel_matches_reference(rows, columns, samples, dtype, order):
    rng = np.random.default_rng(rows * 1000 + columns + samples)
    shape = (rows, columns) + ((samples,) if samples > 1 else ())
    arr = random_image(rng, shape, np.dtype(dtype))
    frame = make_frame([encode_segment(p, rng, noop=0.02) for p in planes_of(arr, order)])
    bits = np.dtype(dtype).itemsize * 8
    out = bytearray(arr.nbytes)
    assert core_rle.decode_frame(frame, rows, columns, samples, bits, out,
                                 segment_order=order) == 0
    expected, _ = ref_frame(frame, rows, columns, samples, bits, order)
    assert bytes(out) == expected
    assert bytes(out) == arr.astype(arr.dtype.newbyteorder("<")).tobytes()


@pytest.mark.parametrize("rows,columns,samples,dtype", GEOMETRIES[2:])
@pytest.mark.parametrize("cut", ["short", "long", "truncated-run", "padding", "overshoot-replicate",
                                 "overshoot-literal"])
def test_kernel_segment_ends(rows, columns, samples, dtype, cut):
    """Segments that end early, late, in the middle of a run or with no-op padding:
    the same bytes, long count and errors as the reference decoder."""
    rng = np.random.default_rng(columns * 7 + samples)
    shape = (rows, columns) + ((samples,) if samples > 1 else ())
    arr = random_image(rng, shape, np.dtype(dtype))
    segments = [encode_segment(p, rng) for p in planes_of(arr)]
    victim = int(rng.integers(0, len(segments)))
    seg = segments[victim]
    plane = planes_of(arr)[victim]
    if cut == "overshoot-replicate":  # the last run goes 5 bytes past the frame
        seg = encode_segment(plane[:-1], rng) + bytes([257 - 6, plane[-1]])
    elif cut == "overshoot-literal":
        seg = encode_segment(plane[:-2], rng) + bytes([4]) + plane[-2:] + b"xyz"
    elif cut == "short":
        seg = seg[: len(seg) * 2 // 3]
    elif cut == "long":
        seg = seg + bytes([0x81, 9, 5, 1, 2, 3, 4, 5, 6])
    elif cut == "truncated-run":  # a literal that claims more bytes than remain
        seg = seg + bytes([127, 1, 2, 3])
    else:
        seg = seg + bytes([128, 128])
    segments[victim] = seg
    frame = make_frame(segments)
    bits = np.dtype(dtype).itemsize * 8
    try:
        expected, nr_long = ref_frame(frame, rows, columns, samples, bits)
    except PixelDataError as exc:
        produced = int(str(exc).rsplit(" ", 1)[1])
        with pytest.raises(PixelDataError,
                           match=rf"frame 5: segment {victim} decoded to {produced} bytes"):
            core_rle.decode_frame(frame, rows, columns, samples, bits, bytearray(arr.nbytes),
                                  frame_index=5)
        return
    out = bytearray(arr.nbytes)
    assert core_rle.decode_frame(frame, rows, columns, samples, bits, out) == nr_long
    assert bytes(out) == expected
    assert nr_long == (cut != "padding")


def test_runs_straddle_every_chunk_boundary():
    """One long frame whose segments are all runs of 128 and 127 bytes, so run ends
    fall at every offset around the chunk boundaries."""
    rng = np.random.default_rng(3)
    rows, columns = 3, 4099 * 3
    planes = []
    for _ in range(2):
        data = bytearray()
        while len(data) < rows * columns:
            data += bytes([int(rng.integers(0, 256))]) * int(rng.choice([1, 2, 127, 128]))
        planes.append(bytes(data[: rows * columns]))
    frame = make_frame([encode_segment(p, rng) for p in planes])
    out = bytearray(rows * columns * 2)
    core_rle.decode_frame(frame, rows, columns, 1, 16, out)
    assert bytes(out) == ref_frame(frame, rows, columns, 1, 16)[0]


def test_decode_frames_matches_decode_frame():
    rng = np.random.default_rng(11)
    rows, columns = 29, 301
    arrs = [random_image(rng, (rows, columns), np.dtype("i2")) for _ in range(7)]
    frames = [make_frame([encode_segment(p, rng) for p in planes_of(a)]) for a in arrs]
    data = [memoryview(f)[:] if k % 2 else f for k, f in enumerate(frames)]
    out = np.zeros((7, rows * columns * 2), np.uint8)
    assert core_rle.decode_frames(data, rows, columns, 1, 16, out) == 0
    for k, a in enumerate(arrs):
        assert out[k].tobytes() == a.astype("<i2").tobytes()
    # unused bits: 12 of 16 stored, signed: sign-extended as pydicom does
    core_rle.decode_frames(data, rows, columns, 1, 16, out, bits_stored=12, signed=True)
    got = out.view("<i2").reshape(7, rows, columns)
    for k, a in enumerate(arrs):
        expected = ((a.astype(np.int32) & 0xFFF) ^ 0x800) - 0x800
        np.testing.assert_array_equal(got[k], expected)
    assert core_rle.decode_frames([], rows, columns, 1, 16, np.zeros((0, rows * columns * 2),
                                                                      np.uint8)) == 0
    with pytest.raises(ValueError, match="shape"):
        core_rle.decode_frames(data, rows, columns, 1, 16, out[:3])


@pytest.mark.parametrize("bad", ["header", "short"])
def test_decode_frames_reports_the_first_bad_frame(bad):
    rng = np.random.default_rng(5)
    arrs = [random_image(rng, (16, 40), np.dtype("u2")) for _ in range(5)]
    frames = [make_frame([encode_segment(p, rng) for p in planes_of(a)]) for a in arrs]
    frames[3] = struct.pack("<I", 7) + frames[3][4:] if bad == "header" else frames[3][:200]
    frames[4] = frames[4][:100]
    out = np.zeros((5, 16 * 40 * 2), np.uint8)
    with pytest.raises(PixelDataError) as info:
        core_rle.decode_frames(frames, 16, 40, 1, 16, out, frame_indices=[10, 11, 12, 13, 14],
                               base_offsets=[0, 100, 200, 300, 400])
    with pytest.raises(PixelDataError) as single:
        core_rle.decode_frame(frames[3], 16, 40, 1, 16, bytearray(16 * 40 * 2), frame_index=13,
                              base_offset=300)
    assert str(info.value) == str(single.value)
    assert "frame 13" in str(info.value)
    for k in range(3):  # the frames before it were decoded
        assert out[k].tobytes() == arrs[k].astype("<u2").tobytes()


# --- datasets against pydicom ----------------------------------------------------


def _encode(arr: np.ndarray, bits_stored: int | None = None):
    """An RLE dataset of `arr`; with `bits_stored`, the bits above it are left set
    in the encoded data, for the decoders to correct."""
    frames, rows, columns = arr.shape[:3]
    samples = arr.shape[3] if arr.ndim == 4 else 1
    ds = make_dataset(arr.tobytes(), rows=rows, columns=columns, samples=samples,
                      bits_allocated=arr.dtype.itemsize * 8, signed=int(arr.dtype.kind == "i"),
                      frames=frames)
    if arr.dtype.itemsize == 4:  # pydicom's encoders stop at 16 bits: our own runs
        from pydicom.encaps import encapsulate

        rng = np.random.default_rng(arr.size)
        ds.PixelData = encapsulate([make_frame([encode_segment(p, rng) for p in planes_of(a)])
                                    for a in arr])
        ds["PixelData"].is_undefined_length = True
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = RLE
    else:
        ds.compress(RLE, arr, encoding_plugin=RLE_PLUGIN, generate_instance_uid=False)
    if bits_stored:
        ds.BitsStored, ds.HighBit = bits_stored, bits_stored - 1
    return ds


@pytest.mark.parametrize("shape,dtype,bits_stored", [
    ((3, 37, 223), "u2", None), ((2, 65, 127), "i2", 12), ((2, 33, 129, 3), "u1", None),
    ((2, 19, 301), "u4", None), ((2, 21, 211, 3), "u2", 10), ((4, 40, 207), "u1", 6),
])
def test_datasets_match_pydicom(shape, dtype, bits_stored):
    rng = np.random.default_rng(sum(shape))
    arr = np.stack([random_image(rng, shape[1:], np.dtype(dtype)) for _ in range(shape[0])])
    ds = _encode(arr, bits_stored=bits_stored)
    ref = pydicom_pixel_array(ds, decoding_plugin=RLE_PLUGIN)
    assert_same(pixel_array(ds, threads=1), ref)
    assert_same(pixel_array(ds, index=1, threads=1), ref[1])


def _shares(n, workers, stops=None):
    """The `claim` array for `workers` contiguous shares of `n` frames."""
    bounds = [n * w // workers for w in range(workers + 1)]
    return np.array([(bounds[w] << 32) | bounds[w + 1] for w in range(workers)] + [n], np.int64)


def _claiming(data, rows, columns, out, claim):
    """decode_frames over `data` from one thread per share of `claim` at once:
    what each call returned or raised."""
    results = []

    def run(share):
        try:
            results.append(core_rle.decode_frames(data, rows, columns, 1, 16, out, claim=claim,
                                                  share=share))
        except BaseException as exc:  # noqa: BLE001 - checked by the caller
            results.append(exc)

    others = [threading.Thread(target=run, args=(w,)) for w in range(1, len(claim) - 1)]
    for t in others:
        t.start()
    run(0)
    for t in others:
        t.join()
    return results


@pytest.mark.parametrize("bad", [[], [9], [3, 9], [0], [11], [4, 5]])
def test_shared_frames_record_the_first_bad_frame(bad):
    """Calls sharing `claim` decode every frame between them (each its own share,
    then what is left of the others); a malformed frame is not raised but recorded,
    the lowest index winning, and every frame before it is decoded."""
    rng = np.random.default_rng(21)
    rows, columns = 31, 97
    arrs = [random_image(rng, (rows, columns), np.dtype("u2")) for _ in range(12)]
    frames = [make_frame([encode_segment(p, rng) for p in planes_of(a)]) for a in arrs]
    expected = np.stack([a.astype("<u2").view(np.uint8).reshape(-1) for a in arrs])
    # a bad header (cut inside the segment table) or a short segment (cut in the data)
    data = [(f[:40] if k % 2 else f[:len(f) // 2]) if k in bad else f
            for k, f in enumerate(frames)]
    first = min(bad, default=12)
    for workers in (1, 2, 3, 12):
        out = np.zeros((12, rows * columns * 2), np.uint8)
        claim = _shares(12, workers)
        results = _claiming(data, rows, columns, out, claim)
        assert len(results) == workers and all(isinstance(r, int) for r in results)
        assert claim[-1] == first
        np.testing.assert_array_equal(out[:first], expected[:first])
        assert all((w >> 32) >= (w & 0xFFFFFFFF) for w in claim[:-1])  # every share taken
    # one thread alone takes the other shares from their backs
    out = np.zeros((12, rows * columns * 2), np.uint8)
    claim = _shares(12, 3)
    assert core_rle.decode_frames(frames, rows, columns, 1, 16, out, claim=claim, share=1) == 0
    np.testing.assert_array_equal(out, expected)
    # shares that name no frame are skipped
    claim = np.array([(5 << 32) | 40, (3 << 32) | 1, 12], np.int64)
    out[:] = 0
    core_rle.decode_frames(frames, rows, columns, 1, 16, out, claim=claim)
    np.testing.assert_array_equal(out[5:], expected[5:])
    assert not out[:5].any()
    unaligned = np.frombuffer(bytearray(17), np.uint8)[1:].view(np.int64)
    for claim, share in ((np.zeros(1, np.int64), 0), (unaligned, 0), (_shares(12, 2), 2),
                         (_shares(12, 2), -1)):
        with pytest.raises(ValueError, match="claim"):
            core_rle.decode_frames(frames, rows, columns, 1, 16, out, claim=claim, share=share)


# --- worker threads --------------------------------------------------------------


@pytest.fixture
def multiframe():
    rng = np.random.default_rng(9)
    arr = np.stack([random_image(rng, (24, 40), np.dtype("i2")) for _ in range(9)])
    ds = _encode(arr, bits_stored=14)
    return ds, pydicom_pixel_array(ds, decoding_plugin=RLE_PLUGIN)


def test_small_work_stays_on_the_calling_thread(multiframe, monkeypatch):
    ds, ref = multiframe

    def no_pool():
        raise AssertionError("the pool was used for a tiny image")

    monkeypatch.setattr(pixels_rle, "_shared_pool", no_pool)
    assert_same(pixel_array(ds, threads=2), ref)
    assert_same(pixel_array(ds), ref)


def test_one_thread_never_uses_the_pool(multiframe, monkeypatch):
    ds, ref = multiframe

    def no_pool():
        raise AssertionError("the pool was used with threads=1")

    monkeypatch.setattr(pixels_rle, "MIN_BYTES_PER_WORKER", 1)
    monkeypatch.setattr(pixels_rle, "_cpus", lambda: 8)
    monkeypatch.setattr(pixels_rle, "_shared_pool", no_pool)
    assert_same(pixel_array(ds, threads=1), ref)
    with pytest.raises(AssertionError, match="pool was used"):  # and the spy works
        pixel_array(ds, threads=2)


@pytest.fixture
def many_cpus(monkeypatch):
    """Shares for up to 8 CPUs, on a pool of its own (shut down afterwards)."""
    monkeypatch.setattr(pixels_rle, "MIN_BYTES_PER_WORKER", 1)
    monkeypatch.setattr(pixels_rle, "_cpus", lambda: 8)
    monkeypatch.setattr(pixels_rle, "_pool", None)
    yield
    if pixels_rle._pool is not None:
        pixels_rle._pool.shutdown()


@pytest.mark.parametrize("threads", [2, 3, 4, 9, 16])
def test_thread_shares_match_pydicom(multiframe, many_cpus, threads):
    ds, ref = multiframe
    assert_same(pixel_array(ds, threads=threads), ref)
    assert_same(pixel_array(ds, index=4, threads=threads), ref[4])


def test_pool_is_shared(multiframe, monkeypatch):
    ds, _ = multiframe
    monkeypatch.setattr(pixels_rle, "MIN_BYTES_PER_WORKER", 1)
    pixel_array(ds, threads=2)
    pool = pixels_rle._shared_pool()
    pixel_array(ds, threads=4)
    assert pixels_rle._shared_pool() is pool


def test_threads_capped_by_cpus(multiframe, monkeypatch):
    ds, ref = multiframe
    monkeypatch.setattr(pixels_rle, "MIN_BYTES_PER_WORKER", 1)
    monkeypatch.setattr(pixels_rle, "_cpus", lambda: 2)
    calls = []
    original = core_rle.decode_frames

    def spy(frames, *args, **kw):
        calls.append((len(frames), kw.get("claim") is not None))
        return original(frames, *args, **kw)

    monkeypatch.setattr(pixels_rle._rle, "decode_frames", spy)
    assert_same(pixel_array(ds, threads=16), ref)
    assert calls == [(9, True), (9, True)]  # two workers sharing the frames


@pytest.mark.parametrize("bad_frames", [[7], [2, 7], [0], [4, 5]])
def test_threaded_error_is_the_first_bad_frame(multiframe, many_cpus, bad_frames):
    from pydicom.encaps import encapsulate, generate_frames

    ds, _ = multiframe
    frames = list(generate_frames(ds.PixelData, number_of_frames=9))
    for k in bad_frames:
        frames[k] = frames[k][:80]
    ds.PixelData = encapsulate(frames)
    for threads in (1, 2, 3, 9):
        with pytest.raises(PixelDataError, match=rf"RLE frame {bad_frames[0]}: "):
            pixel_array(ds, threads=threads)


def _child(ds, ref, conn):
    try:
        ok = np.array_equal(pixel_array(ds, threads=2), ref)
        conn.send(ok)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(repr(exc))


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "fork"), reason="needs fork")
def test_pool_survives_fork(multiframe, monkeypatch):
    ds, ref = multiframe
    monkeypatch.setattr(pixels_rle, "MIN_BYTES_PER_WORKER", 1)
    pixel_array(ds, threads=2)  # the parent's pool has threads now
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(ds, ref, child))
    proc.start()
    assert parent.poll(60), "the forked child hung"
    assert parent.recv() is True
    proc.join(10)
    assert proc.exitcode == 0


def _literal_segment(data: bytes, noops_at: int, noops: int) -> bytes:
    """`data` as literal runs of 100 bytes (the last shorter), with `noops` no-op
    headers before the run that starts at or after byte `noops_at`."""
    out = bytearray()
    inserted = False
    for start in range(0, len(data), 100):
        if not inserted and start >= noops_at:
            out += bytes([128]) * noops
            inserted = True
        run = data[start:start + 100]
        out.append(len(run) - 1)
        out += run
    return bytes(out)


@pytest.mark.parametrize("bits,noops_at", [(16, 4200), (16, 100), (16, 8100), (8, 4200),
                                           (8, 8150)])
@pytest.mark.parametrize("noops", [1, 300, 20000])
def test_noops_near_the_end_of_a_segment(bits, noops_at, noops):
    """Long stretches of no-op headers use up the source slack the bulk loop relies
    on: it must hand over to the checked loop, never read past the segment."""
    rng = np.random.default_rng(noops + noops_at)
    rows, columns = 64, 128
    planes = [rng.integers(0, 256, rows * columns, dtype=np.uint8).tobytes()
              for _ in range(bits // 8)]
    frame = make_frame([_literal_segment(p, noops_at, noops) for p in planes])
    out = bytearray(rows * columns * bits // 8)
    assert core_rle.decode_frame(frame, rows, columns, 1, bits, out) == 0
    assert bytes(out) == ref_frame(frame, rows, columns, 1, bits)[0]
