"""RLE Lossless encoding (dcmfast.pixels.rle_encode).

Every encoded frame must decode to the input with independent decoders: pydicom's own
RLE decoder, pylibjpeg-rle, DCMTK's dcmdrle, a strict Annex G reader written here
(which also checks the format's rules: header, even segments, no run across a row),
and dcmfast's decoder. Sizes are compared with DCMTK's dcmcrle.
"""
from __future__ import annotations

import copy
import shutil
import struct
import subprocess
import threading
import warnings

import numpy as np
import pytest
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from dcmfast._core import rle_encode as core_encode
from dcmfast.errors import DcmfastError, PixelDataError
from dcmfast.pixels import pixel_array, rle, rle_encode

from .conftest import RLE, corpus_files, pydicom, pydicom_pixel_array, read

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

DTYPES = ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"]
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def _frames_of(arr: np.ndarray, samples: int) -> np.ndarray:
    """`arr` as (frames, rows, columns, samples)."""
    single = arr.ndim == (3 if samples == 3 else 2)
    arr = arr[np.newaxis] if single else arr
    return arr if samples == 3 else arr[..., np.newaxis]


def _as_read(arr: np.ndarray, samples: int) -> np.ndarray:
    """`arr` shaped as pixel_array gives it back (one frame: no frames axis)."""
    full = _frames_of(arr, samples)
    full = full if samples == 3 else full[..., 0]
    return full[0] if full.shape[0] == 1 else full


def _dataset(arr: np.ndarray, frames: list[bytes], samples: int, planar: int = 0) -> pydicom.Dataset:
    """A complete RLE Lossless pydicom dataset around the encoded `frames` of `arr`
    (encapsulated with pydicom's own encapsulate)."""
    full = _frames_of(arr, samples)
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = RLE
    ds.file_meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
    ds.file_meta.MediaStorageSOPInstanceUID = uid = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID = SECONDARY_CAPTURE, uid
    ds.Rows, ds.Columns, ds.SamplesPerPixel = full.shape[1], full.shape[2], samples
    ds.BitsAllocated = ds.BitsStored = arr.dtype.itemsize * 8
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(arr.dtype.kind == "i")
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = planar
    ds.NumberOfFrames = full.shape[0]
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def _annex_g(frame: bytes, rows: int, columns: int, nr_segments: int) -> list[bytes]:
    """Decode `frame` strictly by PS3.5 Annex G, asserting its rules; the segments'
    bytes. Every segment: an even length, runs that end at row ends (each row is
    encoded on its own), no 128 no-op headers, nothing after the data but one zero pad
    byte (G.5: a segment is padded at its end with zero to an even length)."""
    assert len(frame) % 2 == 0
    count, *offsets = struct.unpack_from("<16I", frame)
    assert count == nr_segments
    assert offsets[0] == 64
    assert offsets[count:] == [0] * (15 - count)
    ends = offsets[1:count] + [len(frame)]
    planes = []
    for start, end in zip(offsets[:count], ends, strict=True):
        assert start < end and (end - start) % 2 == 0
        seg, pos, out = frame[start:end], 0, bytearray()
        while len(out) < rows * columns:
            header = seg[pos]
            assert header != 128
            run = header + 1 if header < 128 else 257 - header
            assert run <= columns - len(out) % columns, "a run crosses a row boundary"
            if header < 128:
                assert pos + 1 + run <= len(seg)
                out += seg[pos + 1 : pos + 1 + run]
                pos += 1 + run
            else:
                out += bytes([seg[pos + 1]]) * run
                pos += 2
        assert seg[pos:] in (b"", b"\x00"), "more than a zero pad byte after the segment's data"
        planes.append(bytes(out))
    return planes


def _expected_planes(frame: np.ndarray) -> list[bytes]:
    """The byte planes of one (rows, columns, samples) frame in RLE segment order:
    sample by sample, most significant byte first (computed with numpy)."""
    nbytes = frame.dtype.itemsize
    as_bytes = frame.astype(frame.dtype.newbyteorder("<")).view(np.uint8)
    as_bytes = as_bytes.reshape(*frame.shape[:3], nbytes)
    return [as_bytes[:, :, s, nbytes - 1 - b].tobytes()
            for s in range(frame.shape[2]) for b in range(nbytes)]


def _check_frames(arr: np.ndarray, frames: list[bytes], samples: int) -> None:
    """The strict reader's and dcmfast's decode of every frame equal `arr`."""
    full = _frames_of(arr, samples)
    assert len(frames) == full.shape[0]
    rows, columns = full.shape[1:3]
    nr_segments = samples * arr.dtype.itemsize
    for frame, expected in zip(frames, full, strict=True):
        assert _annex_g(frame, rows, columns, nr_segments) == _expected_planes(expected)
    ds = _dataset(arr, frames, samples)
    np.testing.assert_array_equal(pixel_array(ds, raw=True), _as_read(arr, samples))


def _pydicom_decode(ds: pydicom.Dataset, plugin: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom_pixel_array(ds, decoding_plugin=plugin, raw=True)


def _mixed(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Noise with constant stretches of 1 to 300 pixels (runs in every byte plane)."""
    info = np.iinfo(dtype)
    flat = rng.integers(info.min, info.max, int(np.prod(shape)), dtype=dtype, endpoint=True)
    pos = 0
    while pos < flat.size:
        length = int(rng.choice([1, 2, 3, 127, 128, 129, 130, 300]))
        if rng.random() < 0.5:
            flat[pos : pos + length] = flat[pos]
        pos += length
    return flat.reshape(shape)


LAYOUTS = [(dtype, samples) for dtype in DTYPES for samples in (1, 3)
           if not (dtype[1] == "8" and samples == 3)]  # 3 x 8 segments: more than 15


@pytest.mark.parametrize("dtype,samples", LAYOUTS)
@pytest.mark.parametrize("nr_frames", [1, 3])
def test_round_trip_all_decoders(dtype, samples, nr_frames):
    rng = np.random.default_rng(sum(map(ord, dtype)) + samples)
    shape = (nr_frames, 19, 301) + ((3,) if samples == 3 else ())
    arr = _mixed(rng, shape, dtype)
    if nr_frames == 1:
        arr = arr[0]
    frames = rle_encode(arr, samples_per_pixel=samples)
    _check_frames(arr, frames, samples)
    ds = _dataset(arr, frames, samples)
    for plugin in ("pydicom", "pylibjpeg"):
        np.testing.assert_array_equal(_pydicom_decode(ds, plugin), arr)


def _dcmtk_decode(ds: pydicom.Dataset, tmp_path) -> np.ndarray:
    src, dst = tmp_path / "rle.dcm", tmp_path / "native.dcm"
    ds.save_as(src, enforce_file_format=True)
    result = subprocess.run(["dcmdrle", str(src), str(dst)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    out = pydicom.dcmread(dst)
    assert out.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    return out.pixel_array


@pytest.mark.skipif(shutil.which("dcmdrle") is None, reason="DCMTK's dcmdrle is not installed")
@pytest.mark.parametrize("dtype,samples", LAYOUTS)
def test_dcmdrle_decodes(tmp_path, dtype, samples):
    rng = np.random.default_rng(len(dtype) * 7 + samples)
    arr = _mixed(rng, (2, 23, 131) + ((3,) if samples == 3 else ()), dtype)
    ds = _dataset(arr, rle_encode(arr, samples_per_pixel=samples), samples)
    np.testing.assert_array_equal(_dcmtk_decode(ds, tmp_path), arr)


@pytest.mark.skipif(shutil.which("dcmdrle") is None, reason="DCMTK's dcmdrle is not installed")
def test_dcmdrle_decodes_ct(tmp_path, ct):
    ds = _dataset(ct, rle_encode(ct), 1)
    np.testing.assert_array_equal(_dcmtk_decode(ds, tmp_path), ct)


# --- properties -------------------------------------------------------------------

@st.composite
def arrays(draw) -> tuple[np.ndarray, int]:
    dtype = draw(st.sampled_from(DTYPES))
    samples = 1 if dtype[1] == "8" else draw(st.sampled_from([1, 3]))
    nr_frames = draw(st.integers(1, 3))
    rows = draw(st.integers(1, 5))
    columns = draw(st.one_of(st.integers(1, 12), st.sampled_from([127, 128, 129, 130, 131, 256, 257, 385])))
    kind = draw(st.sampled_from(["noise", "constant", "runs", "mixed", "small"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (nr_frames, rows, columns) + ((3,) if samples == 3 else ())
    info = np.iinfo(dtype)
    if kind == "noise":
        arr = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    elif kind == "constant":
        arr = np.full(shape, rng.integers(info.min, info.max, dtype=dtype, endpoint=True), dtype=dtype)
    elif kind == "small":  # equal high bytes, few low values: many runs of 2 and 3
        arr = rng.integers(0, 3, shape).astype(dtype)
    elif kind == "mixed":
        arr = _mixed(rng, shape, dtype)
    else:  # rows of runs of exactly 127/128/129/130 (and others) bytes
        flat = np.empty(int(np.prod(shape)), dtype=dtype)
        pos = 0
        while pos < flat.size:
            length = draw(st.sampled_from([1, 2, 3, 4, 126, 127, 128, 129, 130, 255, 256, 257]))
            flat[pos : pos + length] = rng.integers(info.min, info.max, dtype=dtype, endpoint=True)
            pos += length
        arr = flat.reshape(shape)
    if nr_frames == 1 and draw(st.booleans()):
        arr = arr[0]
    return arr, samples


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=arrays())
def test_property_round_trip(case):
    arr, samples = case
    frames = rle_encode(arr, samples_per_pixel=samples)
    _check_frames(arr, frames, samples)
    ds = _dataset(arr, frames, samples)
    np.testing.assert_array_equal(_pydicom_decode(ds, "pydicom"), _as_read(arr, samples))


def test_single_pixel_and_odd_widths():
    for shape in [(1, 1), (1, 3), (3, 1), (5, 7), (2, 129)]:
        arr = np.arange(np.prod(shape), dtype=np.uint16).reshape(shape)
        _check_frames(arr, rle_encode(arr), 1)


# --- the corpus --------------------------------------------------------------------

RLE_FILES = [p for p in corpus_files()
             if (ds := read(p)) is not None and "PixelData" in ds
             and ds.file_meta.get("TransferSyntaxUID") == RLE]


def test_corpus_has_rle_files():
    assert len(RLE_FILES) >= 10, RLE_FILES


@pytest.mark.parametrize("path", RLE_FILES, ids=lambda p: p.name)
def test_corpus_re_encoded(path):
    ds = read(path)
    ref = _pydicom_decode(ds, "pydicom")
    samples = ds.SamplesPerPixel
    frames = rle_encode(ref, bits_allocated=ds.BitsAllocated, samples_per_pixel=samples)
    again = copy.deepcopy(ds)
    again.PixelData = encapsulate(frames)
    again["PixelData"].is_undefined_length = True
    np.testing.assert_array_equal(_pydicom_decode(again, "pydicom"), ref)
    np.testing.assert_array_equal(pixel_array(again, raw=True), ref)


# --- compression against DCMTK --------------------------------------------------------

@pytest.fixture(scope="module")
def ct() -> np.ndarray:
    """Two 512 x 512 16-bit CT slices (pydicom's eCT_Supplemental.dcm)."""
    arr = pydicom.dcmread(get_testdata_file("eCT_Supplemental.dcm")).pixel_array
    assert arr.shape == (2, 512, 512)
    return arr


DCMCRLE_FILES = ["eCT_Supplemental.dcm", "CT_small.dcm", "MR_small.dcm", "MR2_UNCR.dcm",
                 "RG1_UNCR.dcm", "US1_UNCR.dcm", "OBXXXX1A.dcm", "SC_rgb.dcm", "SC_rgb_16bit.dcm",
                 "SC_rgb_32bit.dcm"]


@pytest.mark.skipif(shutil.which("dcmcrle") is None, reason="DCMTK's dcmcrle is not installed")
@pytest.mark.parametrize("name", DCMCRLE_FILES)
def test_size_against_dcmcrle(tmp_path, name):
    """Each frame no more than 1% larger than DCMTK's encoding of it."""
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} is not in the installed test data")
    dst = tmp_path / "rle.dcm"
    result = subprocess.run(["dcmcrle", path, str(dst)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    ds = pydicom.dcmread(path)
    nr_frames = int(ds.get("NumberOfFrames", 1) or 1)
    theirs = list(generate_frames(pydicom.dcmread(dst).PixelData, number_of_frames=nr_frames))
    arr = _pydicom_decode(ds, "pydicom")
    ours = rle_encode(arr, samples_per_pixel=ds.SamplesPerPixel, bits_allocated=ds.BitsAllocated)
    assert len(ours) == len(theirs) == nr_frames
    for mine, dcmtk in zip(ours, theirs, strict=True):
        assert len(mine) <= 1.01 * len(dcmtk), (len(mine), len(dcmtk))


# --- threads -----------------------------------------------------------------------

def test_threads_give_identical_bytes(monkeypatch, ct):
    arr = np.concatenate([ct] * 4)  # 8 frames, 4 MiB: worth two workers
    one = rle_encode(arr, threads=1)
    submitted = []
    pool = rle._shared_pool()
    real_submit = pool.submit
    monkeypatch.setattr(pool, "submit", lambda *a, **k: submitted.append(1) or real_submit(*a, **k))
    for threads in (2, 4, None):
        assert rle_encode(arr, threads=threads) == one
    if rle._cpus() > 1:
        assert submitted, "the pool was never used"
    _check_frames(arr, one, 1)


def test_one_thread_never_uses_the_pool(monkeypatch, ct):
    def no_pool():
        raise AssertionError("the pool was used")
    monkeypatch.setattr(rle, "_shared_pool", no_pool)
    arr = np.concatenate([ct] * 4)
    frames = rle_encode(arr, threads=1)
    assert len(frames) == 8
    rle_encode(ct[0])  # one frame: nothing to share, whatever `threads` says


def test_run_from_several_threads():
    rng = np.random.default_rng(3)
    arr = _mixed(rng, (40, 16, 64), "i2")
    encoder = core_encode.FrameEncoder(arr.reshape(-1).view(np.uint8), 40, 16, 64, 1, 16)
    counts = []
    workers = [threading.Thread(target=lambda: counts.append(encoder.run())) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(counts) == 40
    assert encoder.frames() == rle_encode(arr, threads=1)
    with pytest.raises(RuntimeError):
        encoder.run()


def test_frames_before_run_raise():
    encoder = core_encode.FrameEncoder(bytes(20), 1, 4, 5, 1, 8)
    with pytest.raises(RuntimeError, match="not been encoded"):
        encoder.frames()
    with pytest.raises(RuntimeError, match="once"):
        encoder.__init__(bytes(20), 1, 4, 5, 1, 8)


def test_capacity_is_the_worst_case():
    # no run of 3: literal runs only, one header per 128 bytes
    row = np.tile(np.array([1, 2], dtype=np.uint8), 150)[:257]
    arr = np.tile(row, (3, 1))
    frame = rle_encode(arr)[0]
    encoder = core_encode.FrameEncoder(arr.reshape(-1), 1, 3, 257, 1, 8)
    assert encoder.capacity == core_encode.encoded_bound(3, 257, 1) == 64 + 3 * (257 + 3) + 1
    assert len(frame) == encoder.capacity - 1  # 64 + 780, even: no pad


# --- input handling ----------------------------------------------------------------

def test_layouts_give_the_same_bytes(rng):
    arr = _mixed(rng, (2, 9, 13, 3), "i2")
    frames = rle_encode(arr)
    assert rle_encode(arr.astype(">i2")) == frames  # big-endian input
    assert rle_encode(np.asfortranarray(arr)) == frames  # not C-contiguous
    wide = np.zeros((2, 9, 26, 3), dtype="i2")
    wide[:, :, ::2] = arr
    assert rle_encode(wide[:, :, ::2]) == frames  # strided view
    assert rle_encode(arr, planar_configuration=1) == frames
    assert rle_encode(arr[0], samples_per_pixel=3)[0] == frames[0]
    assert rle_encode(arr[:, :, :, 0]) == rle_encode(np.ascontiguousarray(arr[:, :, :, 0]),
                                                     samples_per_pixel=1)
    assert rle_encode(arr[:0]) == []


@pytest.mark.parametrize("planar", [0, 1])
def test_planar_configuration_in_the_dataset(rng, planar):
    arr = _mixed(rng, (2, 9, 13, 3), "u1")
    ds = _dataset(arr, rle_encode(arr, planar_configuration=planar), 3, planar=planar)
    np.testing.assert_array_equal(_pydicom_decode(ds, "pydicom"), arr)
    np.testing.assert_array_equal(pixel_array(ds, raw=True), arr)


@pytest.mark.parametrize("arr,kwargs,match", [
    (np.zeros((4, 4), dtype=np.float32), {}, "integers"),
    (np.zeros((4, 4), dtype=bool), {}, "integers"),
    (np.zeros((4, 4), dtype=np.uint16), {"bits_allocated": 12}, "8, 16, 32 or 64"),
    (np.zeros((4, 4), dtype=np.uint16), {"bits_allocated": 8}, "does not match"),
    (np.zeros((4, 4), dtype=np.uint16), {"bits_allocated": 1}, "8, 16, 32 or 64"),
    (np.zeros(16, dtype=np.uint8), {}, "shape"),
    (np.zeros((1, 2, 4, 4, 3), dtype=np.uint8), {}, "shape"),
    (np.zeros((4, 4, 3), dtype=np.uint8), {}, "samples_per_pixel"),
    (np.zeros((4, 4, 4), dtype=np.uint8), {"samples_per_pixel": 3}, "shape"),
    (np.zeros((4, 4), dtype=np.uint8), {"samples_per_pixel": 3}, "shape"),
    (np.zeros((2, 4, 4, 4), dtype=np.uint8), {}, "1 or 3"),
    (np.zeros((4, 4, 2), dtype=np.uint8), {"samples_per_pixel": 2}, "1 or 3"),
    (np.zeros((4, 4, 3), dtype=np.uint64), {"samples_per_pixel": 3}, "15 segments"),
    (np.zeros((0, 4), dtype=np.uint8), {}, "0 x 4"),
    (np.zeros((2, 4, 0), dtype=np.uint8), {}, "4 x 0"),
    (np.zeros((4, 4), dtype=np.uint8), {"planar_configuration": 2}, "Planar"),
    ([[1, 2], [3, 4]], {}, "ndarray"),
])
def test_bad_input_raises(arr, kwargs, match):
    with pytest.raises(PixelDataError, match=match) as info:
        rle_encode(arr, **kwargs)
    assert isinstance(info.value, (DcmfastError, ValueError))


def test_bad_threads_raise():
    with pytest.raises(ValueError, match="threads"):
        rle_encode(np.zeros((4, 4), dtype=np.uint8), threads=0)


@pytest.mark.parametrize("args,match", [
    ((bytes(20), 1, 4, 5, 1, 12), "8, 16, 32 or 64"),
    ((bytes(20), 1, 4, 5, 0, 8), "at least 1"),
    ((bytes(20), 1, 4, 5, 16, 8), "15 segments"),
    ((bytes(20), 1, 0, 5, 1, 8), "0 x 5"),
    ((bytes(20), -1, 4, 5, 1, 8), "negative"),
    ((bytes(21), 1, 4, 5, 1, 8), "do not hold"),
    ((bytes(20), 2, 4, 5, 1, 8), "do not hold"),
    ((bytes(20), 1, 2**31, 2**31, 1, 8), "too large"),
    ((bytes(20), 1, 65536, 65536, 1, 8), "too large"),
])
def test_core_checks_its_arguments(args, match):
    with pytest.raises(PixelDataError, match=match):
        core_encode.FrameEncoder(*args)
