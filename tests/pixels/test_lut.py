"""dcmfast.pixels.lut against pydicom.pixels.processing (the oracle): the corpus files
with a modality LUT, rescale, VOI LUT, windowing or palette; synthetic datasets for
each branch and each kind of bad input; hypothesis over windows and arrays; DCMTK's
dcm2pnm windowing when it is installed."""
from __future__ import annotations

import io
import logging
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from corpus import CORPUS, file_id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dcmfast
from dcmfast.pixels import lut as ours_lut
from dcmfast.pixels import pixel_array

from .conftest import EXPLICIT_BE, EXPLICIT_LE, decodable, read, reference

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.pixels import processing as pyproc  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402

FUNCTIONS = ["apply_modality_lut", "apply_voi_lut", "apply_windowing", "apply_voi",
             "apply_presentation_lut", "apply_color_lut"]
PROCESSING_KEYWORDS = ("RescaleSlope", "ModalityLUTSequence", "VOILUTSequence", "WindowCenter",
                       "WindowWidth", "RedPaletteColorLookupTableDescriptor",
                       "PresentationLUTSequence", "PresentationLUTShape")


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    finally:
        logging.disable(previous)


def _outcome(fn: Any, *args: Any, **kwargs: Any) -> np.ndarray | BaseException:
    try:
        return _quiet(fn, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the oracle's exception is data too
        return exc


def assert_identical(ours: np.ndarray, ref: np.ndarray) -> None:
    """Same shape, dtype, values; floats also the same sign bits (0.0 vs -0.0) and NaNs."""
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype.newbyteorder("=")
    np.testing.assert_array_equal(ours, ref)
    if ref.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(ref))


def compare(name: str, arr: np.ndarray, ds: Any, *args: Any, ours_ds: Any = None,
            check_out: bool = True, **kwargs: Any) -> np.ndarray | BaseException:
    """pydicom's `name` and ours on copies of `arr` with `ds`: the same array, or the
    same exception type (ours may be a dcmfast subclass)."""
    ref = _outcome(getattr(pyproc, name), arr.copy(), ds, *args, **kwargs)
    ours_ds = ds if ours_ds is None else ours_ds
    ours = _outcome(getattr(ours_lut, name), arr.copy(), ours_ds, *args, **kwargs)
    if isinstance(ref, BaseException):
        assert isinstance(ours, type(ref)), (ref, ours)
        return ref
    assert not isinstance(ours, BaseException), (ref, ours)
    assert_identical(ours, ref)
    if check_out and ours.size:
        out = np.full(ours.shape, 7, dtype=ours.dtype)
        got = _quiet(getattr(ours_lut, name), arr.copy(), ours_ds, *args, out=out, **kwargs)
        assert got is out
        assert_identical(out, ref)
        # split across 3 threads even when small (shares of a few pixels)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ours_lut, "MIN_BYTES_PER_WORKER", 1)
            mp.setattr(ours_lut._rle, "_cpus", lambda: 3)
            threaded = _quiet(getattr(ours_lut, name), arr.copy(), ours_ds, *args, threads=3,
                              **kwargs)
        assert_identical(threaded, ref)
    return ref


# --- the corpora ---------------------------------------------------------------------

def _processing_files() -> list[Path]:
    found = []
    for path in CORPUS:
        ds = read(path)
        if ds is not None and any(k in ds for k in PROCESSING_KEYWORDS) and decodable(path):
            found.append(path)
    return found


PROCESSING_FILES = _processing_files()


def test_corpus_has_each_kind() -> None:
    names = {p.name for p in PROCESSING_FILES}
    assert {"vlut_04.dcm", "mlut_18.dcm", "OBXXXX1A.dcm", "CT_small.dcm",
            "MR_small.dcm"} <= names
    assert len(PROCESSING_FILES) >= 40


@pytest.mark.parametrize("path", PROCESSING_FILES, ids=file_id)
def test_corpus(path: Path) -> None:
    pds = read(path)
    ref_arr = reference(path)
    fds = dcmfast.dcmread(path, force=True)
    arr = pixel_array(fds)
    applied = 0
    for name in FUNCTIONS:
        ref = _outcome(getattr(pyproc, name), ref_arr, pds)
        ours = _outcome(getattr(ours_lut, name), arr, fds)
        if isinstance(ref, BaseException):
            assert isinstance(ours, type(ref)), (name, ref, ours)
            continue
        assert not isinstance(ours, BaseException), (name, ours)
        if ref is ref_arr:  # nothing applied: the input comes back
            assert ours is arr, name
            continue
        applied += 1
        assert_identical(ours, ref)
        # chained as a viewer does: modality, then VOI on its float output
        if name == "apply_modality_lut":
            ref_voi = _outcome(pyproc.apply_voi_lut, ref, pds)
            ours_voi = _outcome(ours_lut.apply_voi_lut, ours, fds)
            if isinstance(ref_voi, BaseException):
                assert isinstance(ours_voi, type(ref_voi))
            else:
                assert_identical(ours_voi, ref_voi)
    assert applied or "PresentationLUTShape" in pds or "RescaleSlope" in pds or "WindowCenter" in pds


# --- synthetic datasets ----------------------------------------------------------------

def grey(bits_stored: int = 16, signed: int = 0, tsyntax: str = EXPLICIT_LE,
         photometric: str = "MONOCHROME2") -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = tsyntax
    ds.PhotometricInterpretation = photometric
    ds.BitsStored = bits_stored
    ds.PixelRepresentation = signed
    return ds


def lut_item(descriptor: list[int], data: Any, vr: str = "US") -> Dataset:
    item = Dataset()
    item.add_new(0x00283002, "SS" if descriptor[1] < 0 else "US", descriptor)
    if vr == "OW" and not isinstance(data, bytes):
        data = np.asarray(data, dtype="<u2").tobytes()
    item.add_new(0x00283006, vr, data)
    return item


def random_array(dtype: str, shape: tuple[int, ...] = (23, 17), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (rng.standard_normal(shape) * 3000).astype(dt)
    info = np.iinfo(dt)
    arr = rng.integers(info.min, info.max, size=shape, dtype=dt.newbyteorder("="), endpoint=True)
    arr.flat[:4] = [info.min, info.max, 0, 1]
    return arr.astype(dt)


INT_TYPES = ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"]
ALL_TYPES = INT_TYPES + ["f4", "f8"]


@pytest.mark.parametrize("dtype", ALL_TYPES + [">u2", ">i2", "bool"])
@pytest.mark.parametrize("slope,intercept", [(1.0, -1024.0), (0.5, 3.25), (-2.5, 0.0), (1e-7, 1e9)])
def test_rescale(dtype: str, slope: float, intercept: float) -> None:
    ds = grey()
    ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    arr = random_array(dtype) if dtype != "bool" else random_array("u1") > 100
    compare("apply_modality_lut", arr, ds)
    compare("apply_rescale", arr, ds)


def test_rescale_large_image_threads() -> None:
    ds = grey(signed=1)
    ds.RescaleSlope, ds.RescaleIntercept = 1.5, -1024
    compare("apply_modality_lut", random_array("i2", (1024, 1100)), ds)


def test_threads_split_the_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    gather = ours_lut._lut.gather

    def spy(*args: Any) -> int:
        calls.append(args[-2:])
        return gather(*args)

    monkeypatch.setattr(ours_lut._lut, "gather", spy)
    monkeypatch.setattr(ours_lut, "MIN_BYTES_PER_WORKER", 1)
    monkeypatch.setattr(ours_lut._rle, "_cpus", lambda: 3)
    ds = grey(16, 1)
    ds.WindowCenter, ds.WindowWidth = 40.0, 400.0
    arr = random_array("i2", (300, 301))
    assert_identical(ours_lut.apply_windowing(arr, ds, threads=3), pyproc.apply_windowing(arr, ds))
    assert sorted(calls) == [(0, 30100), (30100, 60200), (60200, 90300)]
    calls.clear()
    ours_lut.apply_windowing(arr, ds)  # threads=None: small outputs stay on one thread
    assert calls == [(0, 90300)]


def test_nothing_to_apply_returns_input() -> None:
    arr = random_array("i2")
    for name in FUNCTIONS[:-1]:
        assert getattr(ours_lut, name)(arr, grey()) is arr
    out = np.empty_like(arr)
    assert ours_lut.apply_modality_lut(arr, grey(), out=out) is out
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("dtype", INT_TYPES + ["f8"])
@pytest.mark.parametrize("descriptor", [[4096, 0, 16], [256, 0, 8], [4096, -2048, 16],
                                        [100, 10, 16], [0, 0, 16], [3000, -32768, 16]])
@pytest.mark.parametrize("vr", ["US", "OW"])
def test_modality_lut(dtype: str, descriptor: list[int], vr: str) -> None:
    nr = descriptor[0] or 65536
    top = 255 if descriptor[2] == 8 else 65535
    data = (np.arange(nr) * 7919 % (top + 1)).tolist()
    ds = grey(signed=int(dtype[0] == "i"))
    ds.ModalityLUTSequence = Sequence([lut_item(descriptor, data, vr)])
    fits = dtype == "f8" or np.iinfo(dtype).min <= descriptor[1] <= np.iinfo(dtype).max
    ref = compare("apply_modality_lut", random_array(dtype), ds)
    assert isinstance(ref, np.ndarray) == (fits and dtype != "f8")  # floats cannot index
    wide = random_array(dtype).astype(np.float64)
    small = wide % 300 if dtype[0] == "u" else wide // 1000
    compare("apply_modality_lut", small.astype(dtype), ds)


@pytest.mark.parametrize("tsyntax", [EXPLICIT_LE, EXPLICIT_BE])
def test_modality_lut_ow_byte_order_and_dcmfast_dataset(tsyntax: str) -> None:
    data = (np.arange(4096) * 13 % 65536).astype(">u2" if tsyntax == EXPLICIT_BE else "<u2")
    ds = grey(tsyntax=tsyntax)
    ds.ModalityLUTSequence = Sequence([lut_item([4096, 0, 16], data.tobytes(), "OW")])
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    fds = dcmfast.dcmread(buf.getvalue())
    assert fds.ModalityLUTSequence[0]["LUTData"].VR == "OW"
    arr = random_array("u2") % 5000
    compare("apply_modality_lut", arr, ds, ours_ds=fds)
    no_meta = grey()
    del no_meta.file_meta
    no_meta.ModalityLUTSequence = ds.ModalityLUTSequence
    compare("apply_modality_lut", arr, no_meta)  # endianness unknown: AttributeError


@pytest.mark.parametrize("dtype", INT_TYPES + ["f4"])
@pytest.mark.parametrize("descriptor", [[4096, 0, 12], [256, 0, 8], [2048, -1024, 16],
                                        [50, 5, 10], [0, 0, 16], [300, 250, 8]])
@pytest.mark.parametrize("vr", ["US", "OW"])
def test_voi_lut(dtype: str, descriptor: list[int], vr: str) -> None:
    nr = descriptor[0] or 65536
    top = (1 << descriptor[2]) - 1
    data = (np.arange(nr) * 31 % (top + 1)).tolist()
    ds = grey(signed=int(dtype[0] == "i"))
    other = lut_item([256, 0, 8], list(range(255, -1, -1)), vr)
    ds.VOILUTSequence = Sequence([lut_item(descriptor, data, vr), other])
    arr = random_array(dtype)
    ref = compare("apply_voi", arr, ds)
    fits = dtype == "f4" or np.iinfo(dtype).min <= descriptor[1] <= np.iinfo(dtype).max
    assert isinstance(ref, np.ndarray) == fits  # else numpy's OverflowError, both sides
    assert isinstance(compare("apply_voi", arr, ds, 1), np.ndarray) or dtype == "f4"
    compare("apply_voi_lut", arr, ds, index=1)
    ds.WindowCenter, ds.WindowWidth = 100.0, 50.0
    compare("apply_voi_lut", arr, ds, prefer_lut=True)
    compare("apply_voi_lut", arr, ds, prefer_lut=False)


def test_voi_lut_8bit_entries_in_16bit_words() -> None:
    ds = grey()
    ds.VOILUTSequence = Sequence([lut_item([256, 0, 8], list(range(256)), "OW")])
    compare("apply_voi", random_array("u2"), ds)
    ds.VOILUTSequence = Sequence([lut_item([256, 0, 8], [300] * 256, "OW")])  # too big for uint8
    compare("apply_voi", random_array("u2"), ds)


@pytest.mark.parametrize("dtype", ["u1", "u2", "i2", "i4", "f8"])
@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID", None])
@pytest.mark.parametrize("bits,signed", [(8, 0), (12, 0), (12, 1), (16, 1), (16, 0), (32, 1)])
def test_windowing(dtype: str, function: str | None, bits: int, signed: int) -> None:
    ds = grey(bits, signed)
    if function:
        ds.VOILUTFunction = function
    arr = random_array(dtype)
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    for center, width in [(40.0, 400.0), (lo, 1.0), (hi, 1.0), (lo, 2.0), (hi + 0.5, 3.0),
                          ((lo + hi) / 2, hi - lo), (0.5, 0.5), (-1e6, 1e12), (7.0, 1e-9)]:
        ds.WindowCenter, ds.WindowWidth = center, width
        ref = compare("apply_windowing", arr, ds)
        assert isinstance(ref, np.ndarray) or width < 1
        compare("apply_voi_lut", arr, ds)


def test_windowing_multi_valued_and_rescaled() -> None:
    ds = grey(12, 0)
    ds.WindowCenter, ds.WindowWidth = [40.0, 300.0, -600.0], [400.0, 1500.0, 1700.0]
    ds.RescaleSlope, ds.RescaleIntercept = 1.0, -1024.0
    arr = random_array("u2") % 4096
    rescaled = pyproc.apply_modality_lut(arr, ds)
    for index in range(3):
        compare("apply_windowing", rescaled, ds, index)
        compare("apply_windowing", arr, ds, index)
    compare("apply_windowing", arr, ds, 3)  # IndexError
    ds.ModalityLUTSequence = Sequence([lut_item([4096, 0, 16], list(range(4096)))])
    compare("apply_windowing", arr, ds, 1)  # output range from the modality LUT's depth


@pytest.mark.parametrize("bad", ["zero width", "narrow linear", "negative exact", "zero sigmoid",
                                 "function", "photometric", "no bits stored", "no center",
                                 "no photometric"])
def test_windowing_bad_input(bad: str) -> None:
    ds = grey(12, 0)
    ds.WindowCenter, ds.WindowWidth = 100.0, 50.0
    if bad == "zero width":
        ds.WindowWidth = 0.0
    elif bad == "narrow linear":
        ds.WindowWidth = 0.5
    elif bad == "negative exact":
        ds.VOILUTFunction, ds.WindowWidth = "LINEAR_EXACT", -3.0
    elif bad == "zero sigmoid":
        ds.VOILUTFunction, ds.WindowWidth = "SIGMOID", 0.0
    elif bad == "function":
        ds.VOILUTFunction = "CUBIC"
    elif bad == "photometric":
        ds.PhotometricInterpretation = "RGB"
    elif bad == "no bits stored":
        del ds.BitsStored
    elif bad == "no center":
        del ds.WindowCenter
    else:
        del ds.PhotometricInterpretation
    ref = compare("apply_windowing", random_array("u2"), ds)
    assert isinstance(ref, BaseException)


@pytest.mark.parametrize("bad", ["short", "depth", "voi depth", "ow length", "missing data",
                                 "missing descriptor", "single value", "first above type"])
def test_lut_bad_input(bad: str) -> None:
    ds = grey()
    item = lut_item([4096, 0, 16], list(range(4096)))
    if bad == "short":
        item = lut_item([4096, 0, 16], list(range(100)))
    elif bad == "depth":
        item = lut_item([4096, 0, 12], list(range(4096)))
    elif bad == "voi depth":
        item = lut_item([4096, 0, 9], list(range(4096)))
    elif bad == "ow length":
        item = lut_item([4096, 0, 16], list(range(4000)), "OW")
    elif bad == "missing data":
        del item.LUTData
    elif bad == "missing descriptor":
        del item.LUTDescriptor
    elif bad == "single value":
        item = lut_item([4096, 0, 16], 7)
    else:
        item = lut_item([4096, 300, 16], list(range(4096)))
    ds.ModalityLUTSequence = Sequence([item])
    ds.VOILUTSequence = Sequence([item])
    arr = random_array("u1" if bad == "first above type" else "u2")
    for name in ("apply_modality_lut", "apply_voi", "apply_voi_lut"):
        compare(name, arr, ds)


def _palette(depth: int, nr: int, first: int, alpha: bool = False) -> Dataset:
    ds = grey(photometric="PALETTE COLOR")
    top = (1 << depth) - 1
    dt = f"<u{depth // 8}"
    for i, colour in enumerate(("Red", "Green", "Blue") + (("Alpha",) if alpha else ())):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [nr % 65536, first, depth])
        values = (np.arange(nr) * (37 + i) % (top + 1)).astype(dt)
        ds.add_new(pydicom.datadict.tag_for_keyword(f"{colour}PaletteColorLookupTableData"),
                   "OW", values.tobytes())
    return ds


@pytest.mark.parametrize("dtype", ["u1", "u2", "i2", "u4", "f8"])
@pytest.mark.parametrize("depth,nr,first,alpha", [(8, 256, 0, False), (16, 65536, 0, False),
                                                  (16, 4096, 100, True), (8, 200, -50, False),
                                                  (16, 1000, 0, False)])
def test_palette(dtype: str, depth: int, nr: int, first: int, alpha: bool) -> None:
    ds = _palette(depth, nr, first, alpha)
    assert isinstance(compare("apply_color_lut", random_array(dtype), ds), np.ndarray)


def test_palette_8bit_entries_in_16bit_descriptor() -> None:
    ds = _palette(8, 256, 0)
    for colour in ("Red", "Green", "Blue"):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, 16])
    assert isinstance(compare("apply_color_lut", random_array("u1"), ds), np.ndarray)


def _segments(depth: int) -> list[int]:
    """Discrete, linear and indirect segments (the indirect one repeats the first two)."""
    top = (1 << depth) - 1
    segs = [0, 3, 0, top // 4, top // 3, 1, 50, top, 1, 20, top // 2, 0, 2, 7, 9]
    if depth == 8:
        segs += [2, 2, 0, 0, 0, 0]  # 8-bit: offset 0 as four bytes
    else:
        segs += [2, 2, 0, 0]
    return segs + [1, 150, 5]  # 278 entries in all


@pytest.mark.parametrize("depth", [8, 16])
@pytest.mark.parametrize("tsyntax", [EXPLICIT_LE, EXPLICIT_BE])
def test_segmented_palette(depth: int, tsyntax: str) -> None:
    ds = grey(tsyntax=tsyntax, photometric="PALETTE COLOR")
    fmt = "u1" if depth == 8 else (">u2" if tsyntax == EXPLICIT_BE else "<u2")
    for i, colour in enumerate(("Red", "Green", "Blue")):
        segs = _segments(depth)
        segs[3] += i
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, depth])
        ds.add_new(pydicom.datadict.tag_for_keyword(f"Segmented{colour}PaletteColorLookupTableData"),
                   "OW", np.asarray(segs, dtype=fmt).tobytes())
    assert isinstance(compare("apply_color_lut", random_array("u1"), ds), np.ndarray)
    assert isinstance(compare("apply_color_lut", random_array("u2") % 300, ds), np.ndarray)


@pytest.mark.parametrize("bad", ["linear first", "indirect first", "opcode", "lengths", "depth"])
def test_palette_bad_input(bad: str) -> None:
    ds = _palette(8, 256, 0)
    if bad in ("linear first", "indirect first", "opcode"):
        segs = {"linear first": [1, 5, 9], "indirect first": [2, 1, 0, 0], "opcode": [0, 1, 5, 7, 1]}[bad]
        for colour in ("Red", "Green", "Blue"):
            delattr(ds, f"{colour}PaletteColorLookupTableData")
            ds.add_new(pydicom.datadict.tag_for_keyword(
                f"Segmented{colour}PaletteColorLookupTableData"), "OW", bytes(segs))
    elif bad == "lengths":
        ds.BluePaletteColorLookupTableData = bytes(250)
    else:
        ds.RedPaletteColorLookupTableData = bytes(3 * 256)  # 24 bits per entry
    assert isinstance(compare("apply_color_lut", random_array("u1"), ds), BaseException)


def test_palette_self_referencing_indirect_segment_is_refused() -> None:
    ds = grey(photometric="PALETTE COLOR")
    for colour in ("Red", "Green", "Blue"):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, 16])
        ds.add_new(pydicom.datadict.tag_for_keyword(f"Segmented{colour}PaletteColorLookupTableData"),
                   "OW", np.asarray([0, 1, 5, 2, 2, 0, 0], dtype="<u2").tobytes())
    with pytest.raises(ValueError):
        ours_lut.apply_color_lut(random_array("u1"), ds)


@pytest.mark.parametrize("name", ["HOT_IRON", "PET", "FALL", "1.2.840.10008.1.5.4", "NOPE"])
def test_well_known_palettes(name: str) -> None:
    arr = random_array("u1")
    ref = _outcome(pyproc.apply_color_lut, arr, palette=name)
    ours = _outcome(ours_lut.apply_color_lut, arr, palette=name)
    if isinstance(ref, BaseException):
        assert isinstance(ours, type(ref))
    else:
        assert_identical(ours, ref)


@pytest.mark.parametrize("dtype", ["u1", "u2", "i2", "i4", "f4"])
@pytest.mark.parametrize("descriptor,vr", [([256, 0, 8], "OW"), ([4096, 0, 12], "OW"),
                                           ([4096, 0, 16], "US"), ([1024, 0, 10], "US")])
def test_presentation_lut(dtype: str, descriptor: list[int], vr: str) -> None:
    nr = descriptor[0]
    ds = grey()
    if vr == "US":
        data: Any = (np.arange(nr) * 3 % 65536).tolist()
    else:
        data = (np.arange(nr) * 3).astype("u1" if descriptor[2] <= 8 else "<u2").tobytes()
    item = Dataset()
    item.LUTDescriptor = descriptor
    item.add_new(0x00283006, vr, data)
    ds.PresentationLUTSequence = Sequence([item])
    compare("apply_presentation_lut", random_array(dtype), ds)
    compare("apply_presentation_lut", np.full((4, 4), 9, dtype=dtype), ds)  # max == min


@pytest.mark.parametrize("shape", ["IDENTITY", "INVERSE", "LOG"])
def test_presentation_lut_shape(shape: str) -> None:
    ds = grey()
    ds.PresentationLUTShape = shape
    compare("apply_presentation_lut", random_array("u2"), ds)


def test_convert_color_space_ybr_to_rgb_every_colour() -> None:
    every = np.arange(1 << 24, dtype=np.uint32)
    arr = np.stack([every >> 16, (every >> 8) & 0xFF, every & 0xFF], axis=-1).astype(np.uint8)
    arr = arr.reshape(4096, 4096, 3)
    for current in ("YBR_FULL", "YBR_FULL_422"):
        assert_identical(ours_lut.convert_color_space(arr, current, "RGB"),
                         pyproc.convert_color_space(arr, current, "RGB"))


@pytest.mark.parametrize("current,desired", [("RGB", "YBR_FULL"), ("RGB", "YBR_FULL_422"),
                                             ("YBR_FULL", "YBR_FULL_422"), ("RGB", "RGB"),
                                             ("YBR_FULL", "RGB"), ("RGB", "HSV")])
@pytest.mark.parametrize("per_frame", [False, True])
def test_convert_color_space(current: str, desired: str, per_frame: bool) -> None:
    arr = random_array("u1", (3, 9, 11, 3))
    ref = _outcome(pyproc.convert_color_space, arr.copy(), current, desired, per_frame)
    mine = arr.copy()
    ours = _outcome(ours_lut.convert_color_space, mine, current, desired, per_frame)
    if isinstance(ref, BaseException):
        assert isinstance(ours, type(ref))
        return
    assert_identical(ours, ref)
    if per_frame and current != desired and desired == "RGB":
        assert ours is mine  # in place, as pydicom
    with pytest.raises(ValueError):
        ours_lut.convert_color_space(arr.astype(np.uint16), current, desired)


def test_out_must_match() -> None:
    ds = grey()
    ds.RescaleSlope, ds.RescaleIntercept = 2.0, 1.0
    arr = random_array("u2")
    with pytest.raises(ValueError):
        ours_lut.apply_modality_lut(arr, ds, out=np.empty(arr.shape, np.float32))
    with pytest.raises(ValueError):
        ours_lut.apply_modality_lut(arr, ds, out=np.empty((3, 3), np.float64))
    with pytest.raises(ValueError):
        ours_lut.apply_modality_lut(arr, ds, threads=0)


def test_non_contiguous_input() -> None:
    ds = grey(16, 1)
    ds.WindowCenter, ds.WindowWidth = 40.0, 400.0
    arr = random_array("i2", (40, 60))[::3, 1::2]
    compare("apply_windowing", arr, ds)
    ds.VOILUTSequence = Sequence([lut_item([4096, -2048, 16], list(range(4096)))])
    compare("apply_voi", arr, ds)


# --- hypothesis ----------------------------------------------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dtype=st.sampled_from(["u1", "i1", "u2", "i2", "i4", "u4", "f4", "f8"]),
       values=st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=300),
       center=st.floats(-1e6, 1e6, allow_nan=False) | st.integers(-70000, 70000),
       width=st.floats(-10, 1e6, allow_nan=False) | st.integers(-3, 70000),
       function=st.sampled_from(["LINEAR", "LINEAR_EXACT", "SIGMOID"]),
       bits=st.integers(1, 32), signed=st.integers(0, 1),
       rescale=st.none() | st.tuples(st.floats(-10, 10, allow_nan=False),
                                     st.floats(-5000, 5000, allow_nan=False)))
def test_hypothesis_windowing(dtype: str, values: list[int], center: float, width: float,
                              function: str, bits: int, signed: int,
                              rescale: tuple[float, float] | None) -> None:
    arr = np.asarray(values, dtype=np.int64).astype(dtype)
    ds = grey(bits, signed)
    ds.VOILUTFunction = function
    ds.WindowCenter, ds.WindowWidth = center, width
    if rescale:
        ds.RescaleSlope, ds.RescaleIntercept = rescale
    compare("apply_windowing", arr, ds, check_out=False)
    if rescale:
        compare("apply_modality_lut", arr, ds, check_out=False)


@settings(max_examples=200, deadline=None)
@given(dtype=st.sampled_from(["u1", "i1", "u2", "i2", "i4", "u4"]),
       values=st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=200),
       nr=st.integers(1, 70000), first=st.integers(-40000, 40000), depth=st.sampled_from([8, 16]),
       vr=st.sampled_from(["US", "OW"]))
def test_hypothesis_luts(dtype: str, values: list[int], nr: int, first: int, depth: int,
                         vr: str) -> None:
    arr = np.asarray(values, dtype=np.int64).astype(dtype)
    nr %= 65536
    count = nr or 65536
    data = (np.arange(count) * 40503 % (1 << depth)).tolist()
    first = max(-32768, min(first, 32767 if first < 0 else 65535))
    item = lut_item([nr, first, depth], data, vr)
    ds = grey()
    ds.ModalityLUTSequence = Sequence([item])
    ds.VOILUTSequence = Sequence([item])
    compare("apply_modality_lut", arr, ds, check_out=False)
    compare("apply_voi", arr, ds, check_out=False)


# --- DCMTK -----------------------------------------------------------------------------

DCMTK_FILES = ["CT_small.dcm", "MR_small.dcm", "liver.dcm", "emri_small.dcm", "mlut_18.dcm"]


@pytest.mark.skipif(shutil.which("dcm2pnm") is None, reason="DCMTK's dcm2pnm is not installed")
@pytest.mark.parametrize("name", DCMTK_FILES)
@pytest.mark.parametrize("center,width", [(40, 400), (1000, 2500), (-600, 1700), (200, 60)])
def test_windowing_against_dcmtk(name: str, center: float, width: float, tmp_path: Path) -> None:
    matches = [p for p in CORPUS if p.name == name]
    if not matches:
        pytest.skip(f"{name} is not in the corpora")
    path = matches[0]
    out_file = tmp_path / "out.pgm"
    subprocess.run(["dcm2pnm", "+Ww", str(center), str(width), "+op", str(path), str(out_file)],
                   check=True, capture_output=True)
    shape, pixels = _pgm(out_file.read_bytes())
    fds = dcmfast.dcmread(path)
    arr = pixel_array(fds)
    if arr.ndim == 3:
        arr = arr[0]
    # DCMTK windows the modality values (rescaled, or through the modality LUT) onto
    # its 8-bit output: pydicom's windowing onto an unsigned 8-bit range does that
    values = ours_lut.apply_modality_lut(arr, fds)
    display = grey(8, 0, photometric="MONOCHROME2")
    display.WindowCenter, display.WindowWidth = float(center), float(width)
    ours = ours_lut.apply_windowing(values, display)
    expected = pixels.reshape(shape).astype(np.float64)
    if fds.PhotometricInterpretation == "MONOCHROME1":
        expected = 255 - expected
    assert np.abs(np.rint(ours) - expected).max() <= 1  # one grey level


def _pgm(data: bytes) -> tuple[tuple[int, int], np.ndarray]:
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5"
    width, height, maxval = (int(f) for f in fields[1:])
    dtype = np.uint8 if maxval < 256 else np.dtype(">u2")
    return (height, width), np.frombuffer(data[pos + 1:], dtype=dtype, count=width * height)
