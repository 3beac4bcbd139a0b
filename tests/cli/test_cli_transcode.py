"""``dcmfast transcode``: every syntax checked by pydicom reading the outputs; errors one
line each; a lossless output that does not decode back is never written."""
from __future__ import annotations

import importlib.util
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from .conftest import data_file, one_error_line, run

pydicom = pytest.importorskip("pydicom")
needs_openjpeg = pytest.mark.skipif(importlib.util.find_spec("openjpeg") is None,
                                    reason="pylibjpeg-openjpeg is not installed")

SYNTAX = {
    "rle": "1.2.840.10008.1.2.5",
    "j2k": "1.2.840.10008.1.2.4.90",
    "j2k-lossy": "1.2.840.10008.1.2.4.91",
    "explicit": "1.2.840.10008.1.2.1",
    "implicit": "1.2.840.10008.1.2",
    "deflated": "1.2.840.10008.1.2.1.99",
    "big": "1.2.840.10008.1.2.2",
}
# native, RLE, JPEG 2000 and colour inputs (the JPEG one is lossy: decoded once, then kept)
INPUTS = ["CT_small.dcm", "MR_small_RLE.dcm", "SC_rgb.dcm", "emri_small_jpeg_2k_lossless.dcm"]


def _array(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        return ds, ds.pixel_array


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for i, name in enumerate(INPUTS):
        shutil.copy(data_file(name), (src / "sub" if i % 2 else src) / name)
    return src


@pytest.mark.parametrize("syntax", ["rle", "explicit", "implicit", "deflated", "big",
                                    pytest.param("j2k", marks=needs_openjpeg)])
def test_lossless_syntaxes_keep_the_pixels(folder, tmp_path, syntax):
    out = tmp_path / "out"
    proc = run("transcode", folder, "--out", out, "--syntax", syntax, "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    for rel in written:
        src_ds, src_arr = _array(folder / rel)
        dst_ds, dst_arr = _array(out / rel)
        assert dst_ds.file_meta.TransferSyntaxUID == SYNTAX[syntax], rel
        assert dst_ds.SOPInstanceUID == src_ds.SOPInstanceUID  # lossless: the same instance
        np.testing.assert_array_equal(dst_arr, src_arr, err_msg=rel)
        assert dst_arr.dtype.newbyteorder("=") == src_arr.dtype.newbyteorder("=")


@needs_openjpeg
def test_lossy_j2k_gets_a_new_instance_and_lossy_elements(tmp_path):
    src = data_file("CT_small.dcm")
    proc = run("transcode", src, "--out", tmp_path, "--syntax", "j2k-lossy", "--j2k-cr", "15")
    assert proc.returncode == 0, proc.stderr
    ds, arr = _array(tmp_path / "CT_small.dcm")
    src_ds, src_arr = _array(src)
    assert ds.file_meta.TransferSyntaxUID == SYNTAX["j2k-lossy"]
    assert ds.LossyImageCompression == "01" and ds.LossyImageCompressionMethod == "ISO_15444_1"
    assert ds.SOPInstanceUID != src_ds.SOPInstanceUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert np.abs(arr.astype(int) - src_arr).mean() < 20  # lossy, but the same image


def test_bad_inputs_one_line_each_and_exit_1(tmp_path, bad_files):
    good = data_file("CT_small.dcm")
    out = tmp_path / "out"
    proc = run("transcode", good, bad_files["text"], tmp_path / "missing.dcm", "--out", out,
               "--syntax", "rle")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, proc.stderr
    assert any(line.startswith(f"dcmfast: {bad_files['text']}: not a DICOM file") for line in lines)
    assert any("missing.dcm: No such file or directory" in line for line in lines)
    assert (out / "CT_small.dcm").is_file()  # the good file was still transcoded
    assert not (out / bad_files["text"].name).exists()


@pytest.mark.parametrize("syntax, uid", [("htj2k", "1.2.840.10008.1.2.4.201"),
                                         ("htj2k-rpcl", "1.2.840.10008.1.2.4.202"),
                                         ("jpegls", "1.2.840.10008.1.2.4.80")])
def test_htj2k_and_jpegls(tmp_path, syntax, uid):
    pytest.importorskip("imagecodecs")
    pytest.importorskip("jpeg_ls")
    pytest.importorskip("openjpeg")  # pydicom's HTJ2K decoder, the oracle
    src = data_file("CT_small.dcm")
    proc = run("transcode", src, "--out", tmp_path / "o", "--syntax", syntax)
    assert proc.returncode == 0, proc.stderr
    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pydicom.dcmread(tmp_path / "o" / "CT_small.dcm")
        assert out.file_meta.TransferSyntaxUID == uid
        np.testing.assert_array_equal(out.pixel_array, pydicom.dcmread(src).pixel_array)


def test_missing_encoder_is_refused_in_one_line(tmp_path, monkeypatch):
    """Without imagecodecs (a stand-in package that fails to import) htj2k is refused
    before any file is touched."""
    fake = tmp_path / "fake" / "imagecodecs"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "fake"))
    proc = run("transcode", data_file("CT_small.dcm"), "--out", tmp_path / "o", "--syntax", "htj2k")
    assert proc.returncode == 1
    assert "dcmfast[codecs]" in one_error_line(proc)
    assert not (tmp_path / "o").exists()


def test_usage_errors(tmp_path):
    proc = run("transcode", data_file("CT_small.dcm"), "--out", tmp_path, "--syntax", "nope")
    assert proc.returncode == 2
    proc = run("transcode", data_file("CT_small.dcm"), "--out", tmp_path, "--syntax", "j2k",
               "--j2k-cr", "10")
    assert proc.returncode == 2 and "j2k-lossy" in one_error_line(proc)


def test_a_lossless_output_that_differs_is_not_written(tmp_path, monkeypatch):
    """The check before the rename: a broken encoder leaves the old output in place."""
    import dcmfast.pixels.transcoding as transcode_mod
    from dcmfast.errors import PixelDataError

    real = transcode_mod.compress

    def corrupting(ds, uid, **kwargs):
        real(ds, uid, **kwargs)
        arr = ds.pixel_array.copy()
        arr[0, 0] += 1
        ds.PixelData = None
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
        real(ds, uid, arr, **kwargs)

    monkeypatch.setattr(transcode_mod, "compress", corrupting)
    dst = tmp_path / "out.dcm"
    dst.write_bytes(b"old")
    with pytest.raises(PixelDataError, match="same pixels"):
        transcode_mod.transcode(data_file("CT_small.dcm"), dst, "rle")
    assert dst.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.dcm"]  # no temporary left
    monkeypatch.setattr(transcode_mod, "compress", real)
    transcode_mod.transcode(data_file("CT_small.dcm"), dst, "rle")
    _, arr = _array(dst)
    np.testing.assert_array_equal(arr, _array(data_file("CT_small.dcm"))[1])
