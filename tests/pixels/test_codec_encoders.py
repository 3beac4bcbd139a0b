"""HTJ2K, JPEG-LS and imagecodecs' JPEG 2000 encoding by compress(): pydicom (its
default decoders, and its own pyjpegls encoding plugin for JPEG-LS) and OpenJPH's
ojph_expand are the oracles."""
from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import dcmfast
from dcmfast.errors import DcmfastError, PixelDataError, UnsupportedTransferSyntaxError
from dcmfast.pixels import _imagecodecs, codec, codec_backends, pixel_array

from .conftest import assert_same, corpus_files, decodable, has_pixels, read, reference

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("imagecodecs")

HT, HT_RPCL, HT_LOSSY = ("1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
                         "1.2.840.10008.1.2.4.203")
JLS, JLS_NEAR = "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"
J2KR = "1.2.840.10008.1.2.4.90"
NATIVE_SYNTAXES = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99",
                   "1.2.840.10008.1.2.2")


def _native(path):
    ds = read(path)
    return str(ds.file_meta.get("TransferSyntaxUID", "")) in NATIVE_SYNTAXES and "PixelData" in ds


NATIVE = [p for p in corpus_files() if has_pixels(p) and decodable(p) and _native(p)
          and reference(p).nbytes <= 8 << 20]
MULTI = [p for p in NATIVE if int(read(p).get("NumberOfFrames") or 1) > 1]


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL)


def _ours(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmfast.dcmread(path, force=True)


def _theirs_from(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(io.BytesIO(data))


def _pydicom_array(ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.pixels.pixel_array(ds)


def _wrong_samples(path):
    """pydicom 3.0 encodes big endian / planar configuration 1 buffers as if they were
    little endian colour-by-pixel (see test_codec.py)."""
    ds = read(path)
    return (str(ds.file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.2"
            or int(ds.get("PlanarConfiguration") or 0) == 1)


def _compress_or_refuse(path, uid, **kwargs):
    """Our compressed dataset, or None when dcmfast refuses (a clear error, the dataset
    left as it was)."""
    ours = _ours(path)
    before = dcmfast.dcmwrite_bytes(ours)
    try:
        ours.compress(uid, generate_instance_uid=False, **kwargs)
    except DcmfastError:
        assert dcmfast.dcmwrite_bytes(ours) == before
        return None
    return ours


def _frames_of(ds):
    n = int(ds.get("NumberOfFrames") or 1)
    return list(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=n))


# -- HTJ2K ---------------------------------------------------------------------------------
@pytest.mark.parametrize("uid", [HT, HT_RPCL])
@pytest.mark.parametrize("path", NATIVE, ids=lambda p: p.name)
def test_htj2k_lossless_round_trips(path, uid):
    """Every native corpus file HTJ2K can take: dcmfast and pydicom (pylibjpeg-openjpeg)
    decode the written file to the original array."""
    pytest.importorskip("openjpeg")
    original = reference(path)
    ours = _compress_or_refuse(path, uid)
    if ours is None:
        ds = read(path)
        assert (int(ds.BitsStored) > 16 or int(ds.BitsAllocated) not in (8, 16, 32, 64)
                or str(ds.PhotometricInterpretation) not in
                ("MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "PALETTE COLOR")
                or int(ds.SamplesPerPixel) not in (1, 3)), "refused a file HTJ2K can take"
        return
    assert ours.file_meta.TransferSyntaxUID == uid
    assert "LossyImageCompressionMethod" not in ours or "ISO_15444_15" not in \
        list(ours.LossyImageCompressionMethod)
    written = dcmfast.dcmwrite_bytes(ours)
    assert_same(pixel_array(dcmfast.dcmread(written)), original)
    assert_same(_pydicom_array(_theirs_from(written)), original)


def _cod_progression(codestream):
    pos = codestream.find(b"\xff\x52")  # COD: Lcod(2) Scod(1) SGcod: progression order first
    assert pos > 0
    return codestream[pos + 5]


def test_htj2k_rpcl_codestream_markers():
    """.202 codestreams are RPCL (COD progression order 2) with a TLM marker segment and
    tile-parts split by resolution, as PS3.5 asks."""
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    ds = _compress_or_refuse(path, HT_RPCL)
    (cs,) = _frames_of(ds)
    assert cs[:4] == b"\xff\x4f\xff\x51"
    assert _cod_progression(cs) == 2  # RPCL
    assert b"\xff\x55" in cs[:cs.find(b"\xff\x93")]  # TLM in the main header
    assert cs.count(b"\xff\x90") > 1  # several tile-parts (SOT), one per resolution
    plain = _frames_of(_compress_or_refuse(path, HT))[0]
    assert b"\xff\x55" not in plain and plain.count(b"\xff\x90") == 1


@pytest.mark.skipif(shutil.which("ojph_expand") is None, reason="OpenJPH's ojph_expand is missing")
@pytest.mark.parametrize("uid", [HT, HT_RPCL])
@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "OBXXXX1A.dcm",
                                  "emri_small.dcm"])
def test_htj2k_decodes_with_openjph(name, uid, tmp_path):
    """A second, independent decoder: OpenJPH's ojph_expand, frame by frame. Monochrome
    only: Debian's ojph_expand 0.9.0 does not give back even ojph_compress 0.9.0's own
    3-component codestreams here (colour is checked with OpenJPH 0.26 below)."""
    path = pydicom.data.get_testdata_file(name)
    original = reference(path, raw=True)  # the stored samples (YBR_FULL not converted)
    ds = _compress_or_refuse(path, uid)
    rows, cols, spp = int(ds.Rows), int(ds.Columns), int(ds.SamplesPerPixel)
    for i, cs in enumerate(_frames_of(ds)):
        (tmp_path / "in.j2c").write_bytes(cs)
        signed = original.dtype.kind == "i"
        # ojph_expand writes .rawl (little endian samples) for mono, .ppm for colour
        out = tmp_path / ("out.ppm" if spp == 3 else "out.rawl")
        subprocess.run(["ojph_expand", "-i", str(tmp_path / "in.j2c"), "-o", str(out)],
                       check=True, capture_output=True)
        raw = out.read_bytes()
        if spp == 3:
            got = np.frombuffer(raw[len(raw) - rows * cols * 3:], np.uint8).reshape(rows, cols, 3)
        else:
            dtype = original.dtype.newbyteorder("<")
            got = np.frombuffer(raw, dtype=dtype if dtype.itemsize > 1 else
                                ("i1" if signed else "u1")).reshape(rows, cols)
        frame = original[i] if int(ds.get("NumberOfFrames") or 1) > 1 else original
        np.testing.assert_array_equal(got, frame)


@pytest.mark.parametrize("uid", [HT, HT_RPCL])
@pytest.mark.parametrize("name", ["SC_rgb_small_odd.dcm", "SC_rgb.dcm", "SC_rgb_2frame.dcm",
                                  "SC_rgb_16bit.dcm"])
def test_htj2k_colour_decodes_with_openjph_026(name, uid):
    """Colour codestreams through OpenJPH's own decoder (imagecodecs' htj2k_decode), not
    OpenJPEG: the stored samples come back."""
    import imagecodecs

    path = pydicom.data.get_testdata_file(name)
    original = reference(path, raw=True)
    ds = _compress_or_refuse(path, uid)
    frames = _frames_of(ds)
    original = original.reshape(len(frames), *original.shape[-3:])
    for cs, frame in zip(frames, original, strict=True):
        np.testing.assert_array_equal(imagecodecs.htj2k_decode(cs, planar=False), frame)


def test_htj2k_lossy():
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    original = reference(path)
    ds = _ours(path)
    old = ds.SOPInstanceUID
    with pytest.raises(PixelDataError, match="quantization_step"):
        ds.compress(HT_LOSSY)
    with pytest.raises(PixelDataError, match="lossy option"):
        ds.compress(HT, quantization_step=0.01)
    ds.compress(HT_LOSSY, quantization_step=0.0005)
    assert ds.SOPInstanceUID != old
    assert ds.LossyImageCompression == "01"
    assert ds.LossyImageCompressionMethod == "ISO_15444_15"
    assert float(ds.LossyImageCompressionRatio) > 2
    ours = pixel_array(ds)
    pytest.importorskip("openjpeg")
    theirs = _pydicom_array(_theirs_from(dcmfast.dcmwrite_bytes(ds)))
    assert_same(ours, theirs)  # both OpenJPEG
    err = np.abs(ours.astype(int) - original)
    assert 0 < err.max() < 200 and err.mean() < 10


def test_htj2k_over_16_bits_is_refused():
    ds = _ours(pydicom.data.get_testdata_file("CT_small.dcm"))
    arr = ds.pixel_array.astype(np.int32)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 32, 20, 19
    before = dcmfast.dcmwrite_bytes(ds)
    with pytest.raises(PixelDataError, match="at most 16 bits"):
        ds.compress(HT, arr)
    assert dcmfast.dcmwrite_bytes(ds) == before


# -- JPEG-LS -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", NATIVE, ids=lambda p: p.name)
def test_jpegls_matches_pydicom_bytes(path):
    """pydicom 3 encodes JPEG-LS with pyjpegls: where it can, our Pixel Data is its bytes;
    where it cannot, we refuse too; and the result decodes to the original array."""
    pytest.importorskip("jpeg_ls")
    original = reference(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom.dcmread(path, force=True)
        try:
            theirs.compress(JLS, generate_instance_uid=False, encoding_plugin="pyjpegls")
        except Exception:  # noqa: BLE001 - a profile pydicom refuses
            theirs = None
    ours = _compress_or_refuse(path, JLS)
    if theirs is None:
        assert ours is None, "pydicom refused it"
        return
    assert ours is not None, "pydicom compressed it"
    assert_same(pixel_array(ours), original)
    if not _wrong_samples(path):
        assert ours.PixelData == theirs.PixelData
    assert_same(_pydicom_array(_theirs_from(dcmfast.dcmwrite_bytes(ours))), original)


def test_jpegls_near_lossless():
    pytest.importorskip("jpeg_ls")
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    original = reference(path)
    ds = _ours(path)
    with pytest.raises(PixelDataError, match="Near Lossless"):
        ds.compress(JLS, jls_error=2)
    ds.compress(JLS_NEAR, jls_error=3, generate_instance_uid=False)
    theirs = pydicom.dcmread(path)
    theirs.compress(JLS_NEAR, jls_error=3, generate_instance_uid=False, encoding_plugin="pyjpegls")
    assert ds.PixelData == theirs.PixelData
    assert ds.LossyImageCompression == "01" and ds.LossyImageCompressionMethod == "ISO_14495_1"
    err = np.abs(pixel_array(ds).astype(int) - original)
    assert err.max() == 3  # NEAR is the bound, and reached
    assert_same(pixel_array(ds), _pydicom_array(_theirs_from(dcmfast.dcmwrite_bytes(ds))))
    # signed values too close to the limits: pydicom's rule
    ds = _ours(path)
    arr = ds.pixel_array.copy()
    arr[0, 0] = -32768
    with pytest.raises(PixelDataError, match="supported range"):
        ds.compress(JLS_NEAR, arr, jls_error=3)


# -- JPEG 2000 through imagecodecs ---------------------------------------------------------
@pytest.mark.parametrize("path", NATIVE[::2], ids=lambda p: p.name)
def test_j2k_lossless_imagecodecs_round_trips(path):
    pytest.importorskip("openjpeg")
    original = reference(path)
    calls = []
    real = _imagecodecs.j2k_encode
    ours = _ours(path)
    before = dcmfast.dcmwrite_bytes(ours)
    try:
        codec_mod = codec
        orig = codec_mod._imagecodecs.j2k_encode
        codec_mod._imagecodecs.j2k_encode = lambda *a, **k: calls.append(1) or real(*a, **k)
        try:
            ours.compress(J2KR, generate_instance_uid=False)
        finally:
            codec_mod._imagecodecs.j2k_encode = orig
    except DcmfastError:
        assert dcmfast.dcmwrite_bytes(ours) == before
        assert int(read(path).BitsStored) > 24 or int(read(path).BitsAllocated) == 1 or \
            str(read(path).PhotometricInterpretation) not in \
            ("MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_RCT", "PALETTE COLOR")
        return
    assert calls
    written = dcmfast.dcmwrite_bytes(ours)
    assert_same(pixel_array(dcmfast.dcmread(written)), original)
    assert_same(_pydicom_array(_theirs_from(written)), original)


@pytest.mark.parametrize("uid", [J2KR, HT])
@pytest.mark.parametrize("path", MULTI[:4], ids=lambda p: p.name)
def test_pooled_encoding_equals_serial(path, uid, monkeypatch):
    monkeypatch.setattr("dcmfast.pixels.rle.MIN_BYTES_PER_WORKER", 1)
    one = _compress_or_refuse(path, uid, threads=1)
    if one is None:
        pytest.skip("not encodable")
    many = _ours(path)
    many.compress(uid, generate_instance_uid=False, threads=2)
    assert one.PixelData == many.PixelData
    assert_same(pixel_array(many), reference(path))


_TWO_THREADS = """
import threading, numpy as np, sys
from dcmfast.pixels import _imagecodecs
rng = np.random.default_rng(0)
frames = [rng.integers(0, 4096, (256, 256), dtype=np.uint16) for _ in range(8)]
fn = {"j2k": lambda f: _imagecodecs.j2k_encode(f, 12),
      "htj2k": lambda f: _imagecodecs.htj2k_encode(f, reversible=True, quantization_step=None,
                                                   rpcl_options=False)}[sys.argv[1]]
serial = [fn(f) for f in frames]
out = {}
def work(k):
    for _ in range(5):
        for i in range(k, len(frames), 2):
            out[i] = fn(frames[i])
            assert out[i] == serial[i]
threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
[t.start() for t in threads]; [t.join() for t in threads]
assert len(out) == len(frames)
print("ok")
"""


@pytest.mark.parametrize("kind", ["j2k", "htj2k"])
def test_two_threads_encoding_at_once(kind):
    """pylibjpeg-openjpeg's encoder crashes with two threads: imagecodecs' must not. In a
    subprocess, so that a crash fails the test instead of killing pytest."""
    proc = subprocess.run([sys.executable, "-c", _TWO_THREADS, kind], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"


def test_encoding_plugin_pylibjpeg_is_pydicoms_bytes():
    pytest.importorskip("openjpeg")
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    ours = _ours(path)
    ours.compress(J2KR, generate_instance_uid=False, encoding_plugin="pylibjpeg")
    theirs = pydicom.dcmread(path)
    theirs.compress(J2KR, generate_instance_uid=False)
    assert ours.PixelData == theirs.PixelData


def test_encode_backends_and_missing_imagecodecs(monkeypatch):
    backends = codec_backends(encode=True)
    assert backends[HT].startswith("imagecodecs (openjph")
    assert backends[J2KR].startswith("imagecodecs (openjpeg")
    monkeypatch.setattr(_imagecodecs, "_MODULE", None)
    assert codec_backends(encode=True)[HT].startswith("none (pip install dcmfast[codecs])")
    ds = _ours(pydicom.data.get_testdata_file("CT_small.dcm"))
    before = dcmfast.dcmwrite_bytes(ds)
    with pytest.raises(UnsupportedTransferSyntaxError, match=r"dcmfast\[codecs\]"):
        ds.compress(HT)
    assert dcmfast.dcmwrite_bytes(ds) == before
