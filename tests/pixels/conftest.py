"""Shared fixtures for the pixel tests: the corpus, pydicom's reference arrays and
synthetic datasets. pydicom (with pylibjpeg, -libjpeg, -rle) is the oracle."""
from __future__ import annotations

import importlib.util
import logging
import sys
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pytest

try:
    import dcmfast.pixels  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.pixels import get_decoder  # noqa: E402
from pydicom.pixels import pixel_array as pydicom_pixel_array  # noqa: E402
from pydicom.uid import AllTransferSyntaxes  # noqa: E402

# The oracle is pydicom with the plugins of the test extra (pylibjpeg, -libjpeg, -rle).
# python-gdcm (a benchmark peer, `dcmfast[bench]`) decodes lossy JPEG a little
# differently and decodes JPEG 2000, which dcmfast leaves to a codec it does not
# ship: when it is installed, it is taken out of pydicom's decoders here.
# Without pylibjpeg-rle (the suite must also run without the optional codecs), pydicom's
# own RLE plugin encodes and decodes the references instead.
RLE_PLUGIN = ("pylibjpeg" if importlib.util.find_spec("pylibjpeg") and importlib.util.find_spec("rle")
              else "pydicom")

for _uid in AllTransferSyntaxes:
    try:
        get_decoder(_uid).remove_plugin("gdcm")
    except (NotImplementedError, ValueError):  # no decoder for this syntax, or no gdcm plugin
        pass


def corpus_files() -> list[Path]:
    """Every .dcm in pydicom's test files and pydicom-data's data store (listed, never
    fetched: get_testdata_files(pattern) would go to the network)."""
    import pydicom.data

    dirs = [Path(pydicom.data.__file__).parent / "test_files"]
    try:
        import data_store

        dirs.append(Path(data_store.__file__).parent / "data")
    except ImportError:
        pass
    return sorted(p for d in dirs if d.is_dir() for p in d.glob("*.dcm"))


@cache
def read(path: Path) -> Dataset | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(path, force=True)
    except Exception:
        return None


@cache
def reference(path: Path, index: int | None = None, raw: bool = False) -> np.ndarray | Exception:
    """pydicom's pixel_array for `path` (or the exception it raises)."""
    ds = read(path)
    if ds is None:
        return ValueError("unreadable")
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom_pixel_array(ds, index=index, raw=raw)
    except Exception as exc:  # noqa: BLE001 - the oracle's failure is data too
        return exc
    finally:
        logging.disable(previous)


def has_pixels(path: Path) -> bool:
    ds = read(path)
    return ds is not None and any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"))


def decodable(path: Path) -> bool:
    return has_pixels(path) and not isinstance(reference(path), Exception)


def assert_same(ours: np.ndarray, ref: np.ndarray) -> None:
    """Same shape, dtype (pydicom's big-endian dtypes compare in native order) and values."""
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype.newbyteorder("=")
    np.testing.assert_array_equal(ours, ref)


EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
RLE = "1.2.840.10008.1.2.5"


def make_dataset(data: bytes, *, tsyntax: str = EXPLICIT_LE, rows: int = 4, columns: int = 5,
                 samples: int = 1, bits_allocated: int = 16, bits_stored: int | None = None,
                 signed: int = 0, frames: int | None = None, planar: int = 0,
                 photometric: str | None = None, keyword: str = "PixelData",
                 vr: str | None = None) -> Dataset:
    """A pydicom Dataset holding `data` as its pixel data, described by the arguments."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = tsyntax
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, columns, samples
    ds.BitsAllocated = bits_allocated
    if keyword == "PixelData":
        ds.BitsStored = bits_allocated if bits_stored is None else bits_stored
        ds.HighBit = ds.BitsStored - 1
        ds.PixelRepresentation = signed
    ds.PhotometricInterpretation = photometric or ("RGB" if samples == 3 else "MONOCHROME2")
    if samples == 3:
        ds.PlanarConfiguration = planar
    if frames is not None:
        ds.NumberOfFrames = frames
    default_vr = {"PixelData": "OB" if bits_allocated <= 8 else "OW", "FloatPixelData": "OF",
                  "DoubleFloatPixelData": "OD"}[keyword]
    ds.add_new({"PixelData": 0x7FE00010, "FloatPixelData": 0x7FE00008,
                "DoubleFloatPixelData": 0x7FE00009}[keyword], vr or default_vr, data)
    return ds


@pytest.fixture(scope="session")
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)
