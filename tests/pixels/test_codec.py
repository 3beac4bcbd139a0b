"""compress / decompress / transcode against pydicom 3 (with pylibjpeg's plugins) as the
oracle, JPEG 2000 / HTJ2K decoding, and bad input leaving the dataset as it was."""
from __future__ import annotations

import copy
import importlib
import io
import logging
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from compare import assert_elements_equal

import dcmfast
from dcmfast.errors import DcmfastError, PixelDataError, UnsupportedTransferSyntaxError
from dcmfast.pixels import codec, jpeg, pixel_array

from .conftest import RLE_PLUGIN, assert_same, corpus_files, decodable, has_pixels, read, reference

pydicom = pytest.importorskip("pydicom")
openjpeg = importlib.util.find_spec("openjpeg")
needs_openjpeg = pytest.mark.skipif(openjpeg is None, reason="pylibjpeg-openjpeg is not installed")

RLE = "1.2.840.10008.1.2.5"
J2KR = "1.2.840.10008.1.2.4.90"
J2KI = "1.2.840.10008.1.2.4.91"
HTJ2K = "1.2.840.10008.1.2.4.201"
DATA = Path(__file__).resolve().parents[1] / "data"
HTJ2K_FILES = sorted(DATA.glob("htj2k_*.dcm"))
PIXEL_TAGS = {0x7FE00010, 0x7FE00001, 0x7FE00002}
SMALL = 1 << 20  # pixel bytes up to which pydicom's pure Python RLE encoder is the oracle

DECODABLE = [p for p in corpus_files() if has_pixels(p) and decodable(p)]


def _syntax(path):
    return str(read(path).file_meta.get("TransferSyntaxUID", ""))


def _compressed(path):
    return _syntax(path) not in ("", "1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
                                 "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2")


COMPRESSED = [p for p in DECODABLE if _compressed(p)]


def _pydicom_encodes_wrong_samples(path):
    """pydicom 3.0's compress() encodes the raw buffer as if it were little endian and
    colour-by-pixel: from big endian or planar configuration 1 data it encodes other
    samples than the dataset's (dcmfast encodes the dataset's pixel array)."""
    return (_syntax(path) == "1.2.840.10008.1.2.2"
            or int(read(path).get("PlanarConfiguration") or 0) == 1)
NATIVE = [p for p in DECODABLE if not _compressed(p) and "PixelData" in read(p)]


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL)


def _ours(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmfast.dcmread(path, force=True)


def _theirs(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, force=True)


def _pydicom_array(ds, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.pixels.pixel_array(ds, **kwargs)


def assert_same_elements(ours, theirs, *, skip=frozenset()):
    """Same tags, VRs, values (pydicom's types), lengths kind: top level and File Meta."""
    if "PhotometricInterpretation" in theirs:  # pydicom sets a str enum member, we a str
        theirs.PhotometricInterpretation = str(theirs.PhotometricInterpretation)
    for a, b in ((ours, theirs), (ours.file_meta, theirs.file_meta)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tags_a = [int(t) for t in a.keys() if int(t) not in skip]
            tags_b = [int(t) for t in b.keys() if int(t) not in skip]
        assert tags_a == tags_b
        for tag in tags_b:
            ea, eb = a[tag], b[tag]
            ea, eb = copy.copy(ea), copy.copy(eb)
            ea.file_tell = eb.file_tell = None  # a changed element is new in one, updated in the other
            assert_elements_equal(ea, eb, "")


def _pydicom_bytes(ds):
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pydicom.dcmwrite(out, ds)
    return out.getvalue()


# -- decompress --------------------------------------------------------------------------
@pytest.mark.parametrize("path", COMPRESSED, ids=lambda p: p.name)
def test_decompress_matches_pydicom(path):
    theirs, ours = _theirs(path), _ours(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.decompress(generate_instance_uid=False)
    except Exception:  # noqa: BLE001 - pydicom refuses: so must we, leaving the dataset
        before = dcmfast.dcmwrite_bytes(ours)
        with pytest.raises(DcmfastError):
            ours.decompress(generate_instance_uid=False)
        assert dcmfast.dcmwrite_bytes(ours) == before
        return
    ours.decompress(generate_instance_uid=False)
    assert_same_elements(ours, theirs)  # before writing, which may fix length kinds
    assert_same(ours.pixel_array, _pydicom_array(theirs))
    assert dcmfast.dcmwrite_bytes(ours) == _pydicom_bytes(theirs)


def test_decompress_new_instance_uid():
    path = next(p for p in COMPRESSED if _syntax(p) == RLE)
    ds = _ours(path)
    old = ds.SOPInstanceUID
    ds.decompress()
    assert ds.SOPInstanceUID != old and ds.SOPInstanceUID.startswith("2.25.")
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID


def test_decompress_refuses_uncompressed_and_leaves_it():
    ds = _ours(pydicom.data.get_testdata_file("CT_small.dcm"))
    before = dcmfast.dcmwrite_bytes(ds)
    with pytest.raises(PixelDataError, match="already uncompressed"):
        ds.decompress()
    assert dcmfast.dcmwrite_bytes(ds) == before


# -- compress: RLE -------------------------------------------------------------------------
def _rle_oracle(theirs, nbytes):
    plugin = "pydicom" if nbytes <= SMALL or RLE_PLUGIN == "pydicom" else "pylibjpeg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.compress(RLE, encoding_plugin=plugin, generate_instance_uid=False)


@pytest.mark.parametrize("path", NATIVE, ids=lambda p: p.name)
def test_compress_rle_matches_pydicom(path):
    original = reference(path)
    theirs, ours = _theirs(path), _ours(path)
    try:
        _rle_oracle(theirs, original.nbytes)
    except Exception:  # noqa: BLE001 - a profile pydicom refuses (e.g. YBR_FULL_422, 32 bits)
        theirs = None
    before = dcmfast.dcmwrite_bytes(ours)
    try:
        ours.compress(RLE, generate_instance_uid=False)
    except DcmfastError:
        assert theirs is None, "pydicom compressed it"
        assert dcmfast.dcmwrite_bytes(ours) == before
        return
    # before writing (the writer fixes the length kind of encapsulated Pixel Data)
    assert ours["PixelData"].VR == "OB" and ours["PixelData"].is_undefined_length
    arr = ours.pixel_array
    assert_same(arr, original)
    written = dcmfast.dcmwrite_bytes(ours)
    assert_same(_pydicom_array(pydicom.dcmread(io.BytesIO(written))), original)
    if theirs is not None:
        assert_same_elements(ours, theirs, skip={0x7FE00010})
        if not _pydicom_encodes_wrong_samples(path):
            assert_same(arr, _pydicom_array(theirs))


@pytest.mark.parametrize("path", [p for p in NATIVE if int(read(p).get("NumberOfFrames") or 1) > 1
                                  and reference(p).dtype.kind in "ui"][:6], ids=lambda p: p.name)
def test_compress_rle_one_and_many_threads(path):
    one, many = _ours(path), _ours(path)
    try:
        codec.compress(one, RLE, threads=1, generate_instance_uid=False)
    except DcmfastError:
        pytest.skip("not RLE encodable")
    codec.compress(many, RLE, threads=4, generate_instance_uid=False)
    assert one.PixelData == many.PixelData
    assert_same(pixel_array(one, threads=1), reference(path))
    assert_same(pixel_array(many, threads=2), reference(path))


def test_compress_from_array_and_extended_offsets():
    ds = _ours(pydicom.data.get_testdata_file("CT_small.dcm"))
    arr = (ds.pixel_array[::-1] + 1).astype(np.int16)
    ds.compress(RLE, arr, encapsulate_ext=True)
    theirs = _theirs(pydicom.data.get_testdata_file("CT_small.dcm"))
    theirs.compress(RLE, arr, encoding_plugin="pydicom", encapsulate_ext=True,
                    generate_instance_uid=False)
    assert_same(ds.pixel_array, arr)
    assert ds.ExtendedOffsetTable == theirs.ExtendedOffsetTable
    assert ds.ExtendedOffsetTableLengths != b""
    assert_same(_pydicom_array(pydicom.dcmread(io.BytesIO(dcmfast.dcmwrite_bytes(ds)))), arr)


# -- compress: JPEG 2000 -------------------------------------------------------------------
J2K_NATIVE = [p for p in NATIVE if reference(p).nbytes <= 2 * SMALL
              and read(p).get("PhotometricInterpretation") in ("MONOCHROME1", "MONOCHROME2", "RGB")
              and int(read(p).get("BitsStored") or 0) <= 24][::3]


@needs_openjpeg
@pytest.mark.parametrize("path", J2K_NATIVE, ids=lambda p: p.name)
def test_compress_j2k_lossless_matches_pydicom(path):
    original = reference(path)
    theirs, ours = _theirs(path), _ours(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.compress(J2KR, generate_instance_uid=False)
    except Exception:  # noqa: BLE001 - pydicom (openjpeg) cannot: neither can we
        before = dcmfast.dcmwrite_bytes(ours)
        with pytest.raises(DcmfastError):
            ours.compress(J2KR, generate_instance_uid=False, encoding_plugin="pylibjpeg")
        assert dcmfast.dcmwrite_bytes(ours) == before
        return
    # pydicom's plugin, pydicom's options: the same codestreams (imagecodecs' OpenJPEG,
    # the default when installed, is tested in test_codec_encoders.py)
    ours.compress(J2KR, generate_instance_uid=False, encoding_plugin="pylibjpeg")
    assert_same(ours.pixel_array, original)
    if _pydicom_encodes_wrong_samples(path):  # and keeps Planar Configuration 1
        assert_same_elements(ours, theirs, skip={0x7FE00010, 0x00280006})
        assert ours.get("PlanarConfiguration", 0) == 0
        return
    assert_same_elements(ours, theirs)  # same encoder, same options: the same codestreams
    assert dcmfast.dcmwrite_bytes(ours) == _pydicom_bytes(theirs)


@needs_openjpeg
def test_compress_j2k_lossy_sets_lossy_elements():
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    ds = _ours(path)
    old = ds.SOPInstanceUID
    ds.compress(J2KI, j2k_cr=[20])
    assert ds.file_meta.TransferSyntaxUID == J2KI
    assert ds.LossyImageCompression == "01"
    assert ds.LossyImageCompressionMethod == "ISO_15444_1"
    assert 10 < float(ds.LossyImageCompressionRatio) < 40
    assert ds.SOPInstanceUID != old
    theirs = _theirs(path)
    theirs.compress(J2KI, j2k_cr=[20], generate_instance_uid=False)
    assert ds.PixelData == theirs.PixelData  # the same codestream as pydicom's
    back = pydicom.dcmread(io.BytesIO(dcmfast.dcmwrite_bytes(ds)))
    assert_same(_pydicom_array(back), ds.pixel_array)
    with pytest.raises(PixelDataError, match="j2k_cr or j2k_psnr"):
        _ours(path).compress(J2KI)
    with pytest.raises(PixelDataError, match="lossy"):
        _ours(path).compress(J2KR, j2k_psnr=[50])


# -- JPEG 2000 / HTJ2K decoding ------------------------------------------------------------
@needs_openjpeg
@pytest.mark.parametrize("path", HTJ2K_FILES, ids=lambda p: p.name)
def test_htj2k_decode_matches_pydicom(path):
    assert path.stat().st_size < 50_000
    assert_same(pixel_array(_ours(path)), _pydicom_array(_theirs(path)))
    ours = _ours(path)
    ours.decompress(generate_instance_uid=False)
    theirs = _theirs(path)
    theirs.decompress(generate_instance_uid=False)
    assert_same_elements(ours, theirs)


def test_htj2k_files_are_there():
    assert {p.name for p in HTJ2K_FILES} == {"htj2k_ct_3frames.dcm", "htj2k_rgb_rct.dcm",
                                             "htj2k_mono8_lossy.dcm"}


@needs_openjpeg
def test_htj2k_lossless_is_the_source_image():
    """OpenJPH encoded CT_small crops; OpenJPEG decodes them back exactly."""
    ct = _pydicom_array(_theirs(pydicom.data.get_testdata_file("CT_small.dcm")))
    arr = pixel_array(_ours(DATA / "htj2k_ct_3frames.dcm"))
    for frame, (y, x) in zip(arr, ((0, 0), (32, 48), (64, 64)), strict=True):
        assert_same(frame, ct[y:y + 64, x:x + 64])


@needs_openjpeg
@pytest.mark.skipif(shutil.which("ojph_expand") is None, reason="OpenJPH's ojph_expand is missing")
@pytest.mark.parametrize("name", ["htj2k_rgb_rct.dcm", "htj2k_mono8_lossy.dcm"])
def test_htj2k_decode_matches_openjph(name, tmp_path):
    """A second decoder: OpenJPH's ojph_expand on the same codestream."""
    ds = _theirs(DATA / name)
    cs = next(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1))
    (tmp_path / "in.j2c").write_bytes(cs)
    out = tmp_path / ("out.ppm" if ds.SamplesPerPixel == 3 else "out.pgm")
    subprocess.run(["ojph_expand", "-i", str(tmp_path / "in.j2c"), "-o", str(out)], check=True,
                   capture_output=True)
    raw = out.read_bytes()
    pixels = np.frombuffer(raw[len(raw) - ds.Rows * ds.Columns * ds.SamplesPerPixel:], np.uint8)
    ours = pixel_array(_ours(DATA / name)).reshape(-1).astype(int)
    if "lossy" in name:  # the 9/7 wavelet's floating point: decoders may round differently
        assert np.abs(ours - pixels).max() <= 1 and np.mean(ours == pixels) > 0.99
    else:
        np.testing.assert_array_equal(ours, pixels)


@pytest.mark.parametrize("path", [p for p in COMPRESSED if _syntax(p) not in (RLE,)
                                  and int(read(p).get("NumberOfFrames") or 1) > 1], ids=lambda p: p.name)
def test_pooled_frame_decoding_gives_the_same_arrays(path, monkeypatch):
    """The worker-pool path (used for codecs that release the GIL) equals the serial one."""
    monkeypatch.setattr(jpeg, "RELEASES_GIL", {"jpeg": True, "jpegls": True, "j2k": True})
    monkeypatch.setattr("dcmfast.pixels.rle.MIN_BYTES_PER_WORKER", 1)
    assert_same(pixel_array(_ours(path), threads=2), reference(path))


# -- errors: the dataset is left as it was ---------------------------------------------------
def _ct():
    return _ours(pydicom.data.get_testdata_file("CT_small.dcm"))


@pytest.mark.parametrize("change, arr, match", [
    (None, np.zeros((128, 127), np.int16), "shape"),
    (None, np.zeros((2, 128, 128), np.int16), "shape"),
    (None, np.zeros((128, 128), np.uint16), "Pixel Representation"),
    (None, np.zeros((128, 128), np.float32), "dtype"),
    (None, np.zeros((128, 128), np.int8), "too small"),
    (None, [[0]], "ndarray"),
    ({"BitsAllocated": 12}, None, "Bits Allocated"),
    ({"BitsAllocated": 1}, None, "1 bit"),
    ({"SamplesPerPixel": 2}, None, "Samples per Pixel"),
    ({"PhotometricInterpretation": "YBR_FULL_422"}, None, "Photometric"),
])
def test_bad_input_leaves_the_dataset(change, arr, match):
    ds = _ct()
    for keyword, value in (change or {}).items():
        setattr(ds, keyword, value)
    before = dcmfast.dcmwrite_bytes(ds)
    with pytest.raises(PixelDataError, match=match):
        ds.compress(RLE, arr)
    assert dcmfast.dcmwrite_bytes(ds) == before


@pytest.mark.parametrize("uid, match", [("1.2.840.10008.1.2.4.50", "No encoder"),
                                        ("1.2.840.10008.1.2.1", "not a compressed")])
def test_no_encoder(uid, match):
    ds = _ct()
    before = dcmfast.dcmwrite_bytes(ds)
    with pytest.raises(UnsupportedTransferSyntaxError, match=match):
        ds.compress(uid)
    assert dcmfast.dcmwrite_bytes(ds) == before


def test_missing_codec_is_named(monkeypatch):
    real = importlib.import_module

    def no_openjpeg(name, *args):
        if name.startswith("openjpeg"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_openjpeg)
    ds = _ct()
    before = dcmfast.dcmwrite_bytes(ds)
    with pytest.raises(UnsupportedTransferSyntaxError, match="pylibjpeg-openjpeg"):
        ds.compress(J2KR, encoding_plugin="pylibjpeg")
    assert dcmfast.dcmwrite_bytes(ds) == before


def test_compressed_source_is_refused():
    ds = _ct()
    ds.compress(RLE)
    before = dcmfast.dcmwrite_bytes(ds)
    with pytest.raises(PixelDataError, match="Only uncompressed"):
        ds.compress(RLE)
    assert dcmfast.dcmwrite_bytes(ds) == before


def test_failure_while_setting_undoes_everything(monkeypatch):
    ds = _ct()
    before = dcmfast.dcmwrite_bytes(ds)
    real, calls = codec._Changes.set, []

    def failing(self, target, keyword, tag, value, *args, **kwargs):
        calls.append(keyword)
        if keyword == "SOPInstanceUID":
            raise RuntimeError("injected")
        return real(self, target, keyword, tag, value, *args, **kwargs)

    monkeypatch.setattr(codec._Changes, "set", failing)
    with pytest.raises(RuntimeError, match="injected"):
        ds.compress(RLE)
    assert "TransferSyntaxUID" in calls and "PixelData" in calls
    assert dcmfast.dcmwrite_bytes(ds) == before
    assert_same(ds.pixel_array, reference(Path(pydicom.data.get_testdata_file("CT_small.dcm"))))
