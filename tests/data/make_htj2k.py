"""Make the small HTJ2K test files in this folder with OpenJPH's ``ojph_compress``
(Debian package openjph-tools) from pydicom's CT_small and a synthetic RGB image:

  htj2k_ct_3frames.dcm   3 frames of 64 x 64 signed 16-bit MONOCHROME2, lossless (.4.201)
  htj2k_rgb_rct.dcm      64 x 48 RGB 8-bit with the reversible colour transform, YBR_RCT,
                         lossless, RPCL progression (.4.202)
  htj2k_mono8_lossy.dcm  64 x 64 unsigned 8-bit, irreversible 9/7 (.4.203)

Run from the repository root: ``python tests/data/make_htj2k.py``. The codestreams come
from OpenJPH, so decoding them with OpenJPEG (pylibjpeg-openjpeg, what dcmfast and
pydicom use) is checked against a second decoder (tests/pixels/test_codec.py also runs
OpenJPH's ``ojph_expand`` on them when it is installed).
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import generate_uid

HERE = Path(__file__).resolve().parent


def _ojph(raw: bytes, suffix: str, args: list[str]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / f"in{suffix}", Path(tmp) / "out.j2c"
        src.write_bytes(raw)
        subprocess.run(["ojph_compress", "-i", str(src), "-o", str(dst), *args], check=True,
                       capture_output=True)
        return dst.read_bytes()


def _dataset(uid: str, frames: list[bytes], *, rows: int, columns: int, spp: int, bits: int,
             signed: int, pi: str, lossy: bool) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.Modality = "OT"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, columns, spp
    ds.BitsAllocated = 8 if bits <= 8 else 16
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits - 1, signed
    ds.PhotometricInterpretation = pi
    if spp > 1:
        ds.PlanarConfiguration = 0
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    if lossy:
        ds.LossyImageCompression = "01"
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def main() -> None:
    ct = pydicom.dcmread(get_testdata_file("CT_small.dcm")).pixel_array  # int16, 128 x 128
    frames = []
    for y, x in ((0, 0), (32, 48), (64, 64)):
        crop = np.ascontiguousarray(ct[y:y + 64, x:x + 64]).astype("<i2")
        frames.append(_ojph(crop.tobytes(), ".yuv", [
            "-dims", "{64,64}", "-num_comps", "1", "-signed", "true", "-bit_depth", "16",
            "-downsamp", "{1,1}", "-reversible", "true"]))
    _dataset("1.2.840.10008.1.2.4.201", frames, rows=64, columns=64, spp=1, bits=16, signed=1,
             pi="MONOCHROME2", lossy=False).save_as(HERE / "htj2k_ct_3frames.dcm",
                                                    enforce_file_format=True)

    yy, xx = np.mgrid[0:64, 0:48]
    rgb = np.stack([(yy * 4) % 256, (xx * 5) % 256, ((yy + xx) * 3) % 256], axis=-1).astype(np.uint8)
    ppm = b"P6\n48 64\n255\n" + rgb.tobytes()
    cs = _ojph(ppm, ".ppm", ["-reversible", "true", "-colour_trans", "true", "-prog_order", "RPCL"])
    _dataset("1.2.840.10008.1.2.4.202", [cs], rows=64, columns=48, spp=3, bits=8, signed=0,
             pi="YBR_RCT", lossy=False).save_as(HERE / "htj2k_rgb_rct.dcm", enforce_file_format=True)

    mono = np.ascontiguousarray((ct[32:96, 32:96].astype(np.int32) // 8 % 256).astype(np.uint8))
    pgm = b"P5\n64 64\n255\n" + mono.tobytes()
    cs = _ojph(pgm, ".pgm", ["-qstep", "0.01"])
    _dataset("1.2.840.10008.1.2.4.203", [cs], rows=64, columns=64, spp=1, bits=8, signed=0,
             pi="MONOCHROME2", lossy=True).save_as(HERE / "htj2k_mono8_lossy.dcm",
                                                   enforce_file_format=True)


if __name__ == "__main__":
    main()
