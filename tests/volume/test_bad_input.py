"""Bad input: a dcmfast error naming the file and the reason, never a wrong volume."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pydicom.data
import pytest

import dcmfast
from dcmfast import volume as vol_mod
from dcmfast.errors import DcmfastError, PixelDataError, ResourceLimitError, VolumeError

from .builders import build_series


def _edit(path: Path, **values) -> None:
    ds = dcmfast.dcmread(path)
    for kw, v in values.items():
        if v is None:
            delattr(ds, kw)
        else:
            setattr(ds, kw, v)
    dcmfast.dcmwrite(path, ds)


@pytest.mark.parametrize("kw,value,match", [
    ("ImageOrientationPatient", ["1", "0", "0", "0", "0.9", "0.43589"],
     r"inconsistent series: \(0020,0037\) Image Orientation \(Patient\) is .* in .*IM\d+\.dcm but"),
    ("PixelSpacing", ["0.7", "0.7"], r"inconsistent series: \(0028,0030\) Pixel Spacing is \[0\.7, 0\.7\]"),
    ("FrameOfReferenceUID", "1.2.3.4", r"inconsistent series: \(0020,0052\) Frame of Reference UID"),
    ("PixelSpacing", ["nan", "0.5"], r"IM\d+\.dcm: \(0028,0030\) Pixel Spacing \[nan, 0\.5\] is not finite"),
    ("PixelSpacing", ["0", "0"], r"IM\d+\.dcm: \(0028,0030\) Pixel Spacing \[0\.0, 0\.0\] is not positive"),
    ("ImagePositionPatient", None, r"IM\d+\.dcm: no \(0020,0032\) Image Position \(Patient\)"),
    ("ImagePositionPatient", ["1", "inf", "3"], r"IM\d+\.dcm: \(0020,0032\) .* is not finite"),
    ("ImagePositionPatient", ["1", "2"], r"IM\d+\.dcm: \(0020,0032\) .* has 2 values, 3 expected"),
    ("ImageOrientationPatient", None, r"IM\d+\.dcm: no \(0020,0037\) Image Orientation"),
])
def test_inconsistent_or_missing(tmp_path: Path, kw: str, value, match: str) -> None:
    paths = build_series(tmp_path, 5)
    _edit(paths[3], **{kw: value})
    with pytest.raises(VolumeError, match=match):
        vol_mod.read_series(tmp_path)


def test_size_differs(tmp_path: Path) -> None:
    build_series(tmp_path, 4)
    (mr,) = build_series(tmp_path / "mr", 1, source="MR_small.dcm",
                         series_uid="1.2.826.0.1.3680043.10.543.1.0", origin=(-120.5, -95.25, 43.0))
    _edit(mr, PixelSpacing=["0.661468", "0.661468"])
    with pytest.raises(VolumeError,
                       match=r"inconsistent series: .* is 64 x 64 in .*mr.*IM0000\.dcm but 128 x 128"):
        vol_mod.read_series(tmp_path)


def test_uneven_spacing(tmp_path: Path) -> None:
    paths = build_series(tmp_path, 5, order="forward")
    _edit(paths[2], ImagePositionPatient=["-120.5", "-95.25", "38.6"])
    with pytest.raises(VolumeError,
                       match=r"uneven slice spacing: .* mm between .*IM0001\.dcm and .*IM0002\.dcm"):
        vol_mod.read_series(tmp_path)


def test_not_on_a_line(tmp_path: Path) -> None:
    paths = build_series(tmp_path, 5, order="forward")
    _edit(paths[2], ImagePositionPatient=["-110.5", "-95.25", "38"])
    with pytest.raises(VolumeError, match=r"not on one line: .*IM0002\.dcm is .* mm"):
        vol_mod.read_series(tmp_path)


def test_bad_orientation(tmp_path: Path) -> None:
    build_series(tmp_path, 3, orientation=(1.0, 0.0, 0.0, 0.5, 0.5, 0.0))
    with pytest.raises(VolumeError, match="is not two orthogonal unit vectors"):
        vol_mod.read_series(tmp_path)


def test_memory_cap(tmp_path: Path) -> None:
    build_series(tmp_path, 4)
    with pytest.raises(ResourceLimitError, match=r"4 x 128 x 128 int32\), more than the limit of 1000 bytes"):
        vol_mod.read_series(tmp_path, max_bytes=1000)
    assert vol_mod.read_series(tmp_path, max_bytes=4 * 128 * 128 * 4).array.nbytes == 4 * 128 * 128 * 4


def test_truncated_pixel_data(tmp_path: Path) -> None:
    paths = build_series(tmp_path, 4)
    ds = dcmfast.dcmread(paths[1])
    ds.PixelData = bytes(ds.PixelData)[:1000]
    dcmfast.dcmwrite(paths[1], ds)
    with pytest.raises(PixelDataError, match=rf"{paths[1].name}: "):
        vol_mod.read_series(tmp_path)


@pytest.mark.filterwarnings("ignore:End of file reached before delimiter")
@pytest.mark.parametrize("threads", [1, 2])
def test_broken_rle_frame(tmp_path: Path, threads: int) -> None:
    paths = build_series(tmp_path, 6, rle=True, source="693_UNCI.dcm")
    data = bytearray(paths[4].read_bytes())
    cut = len(data) - 2000
    paths[4].write_bytes(bytes(data[:cut]) + bytes(2000))  # zeros over the last segment's tail
    with pytest.raises(DcmfastError, match=rf"{paths[4].name}: "):
        vol_mod.read_series(tmp_path, threads=threads)


def test_not_dicom_given_explicitly(tmp_path: Path) -> None:
    paths = build_series(tmp_path, 3)
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"hello" * 100)
    with pytest.raises(VolumeError, match=r"junk\.dcm: not readable as DICOM"):
        vol_mod.read_series([*paths, junk])
    with pytest.raises(VolumeError, match=r"nothere\.dcm: No such file"):
        vol_mod.read_series([*paths, tmp_path / "nothere.dcm"])
    # walked in a folder, it is left out
    assert vol_mod.read_series(tmp_path).array.shape[0] == 3


def test_multiframe_without_groups() -> None:
    path = pydicom.data.get_testdata_file("emri_small.dcm")
    with pytest.raises(VolumeError, match=r"emri_small\.dcm: 10 frames but no Per-frame Functional Groups"):
        vol_mod.read_series(path)


def test_no_image(tmp_path: Path) -> None:
    with pytest.raises(VolumeError, match="no image among the inputs"):
        vol_mod.read_series(tmp_path)


def _add_modality_lut(path: Any, descriptor: list[int], data: list[int]) -> None:
    pds = dcmfast.dcmread(path).to_pydicom()
    item = pydicom.Dataset()
    item.LUTDescriptor = descriptor
    item.add_new(0x00283006, "US", data)
    pds.ModalityLUTSequence = [item]
    pds.save_as(path)


def test_modality_lut_on_some_slices_refused(tmp_path: Path) -> None:
    """One slice mapped by a LUT (uint16 values), the other rescaled (float): no one type."""
    paths = build_series(tmp_path, 2)
    _add_modality_lut(paths[0], [2, 0, 16], [0, 1])
    with pytest.raises(VolumeError, match=r"has a \(0028,3000\) Modality LUT Sequence, .* has none"):
        vol_mod.read_series(tmp_path)
    assert vol_mod.read_series(tmp_path, rescale=False).array.dtype == np.int16


@pytest.mark.parametrize("depth,match", [(12, "a Modality LUT of 12 bits"),
                                         (None, "no valid \\(0028,3002\\) LUT Descriptor")])
def test_modality_lut_depth_refused(tmp_path: Path, depth: int | None, match: str) -> None:
    """pydicom's apply_modality_lut makes a 'uint<depth>' array: other depths than 8 and 16
    (and a descriptor without one) are an error naming the file."""
    paths = build_series(tmp_path, 2)
    for p in paths:
        _add_modality_lut(p, [2, 0] + ([depth] if depth else []), [0, 1])
    with pytest.raises(VolumeError, match=match):
        vol_mod.read_series(tmp_path)


def test_modality_lut_mixed_depths_refused(tmp_path: Path) -> None:
    paths = build_series(tmp_path, 2)
    _add_modality_lut(paths[0], [2, 0, 16], [0, 1])
    _add_modality_lut(paths[1], [2, 0, 8], [0, 1])
    with pytest.raises(VolumeError, match="16-bit Modality LUT, .* 8-bit one"):
        vol_mod.read_series(tmp_path)
