"""The compiled fast path of ``pixel_array`` / ``describe`` for datasets read by dcmfast.

``dcmfast._core.pixfast`` reads the Image Pixel values straight from the element
index and decodes native little-endian and RLE data in one call. Every test here
runs the same input twice, fast path on and off (``pixels._fast_pixel_array`` and
``description._fast_describe`` swapped for functions that serve nothing), and
requires the same array (shape, dtype, values, writability), or the same
exception and message, and the same warnings and log records; and, where pydicom
decodes the data, pydicom's array.
"""
from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import numpy as np
import pytest

import dcmfast
from dcmfast import pixels
from dcmfast._core import pixfast
from dcmfast.pixels import description, rle

from .conftest import (
    EXPLICIT_BE,
    EXPLICIT_LE,
    RLE,
    RLE_PLUGIN,
    assert_same,
    corpus_files,
    has_pixels,
    make_dataset,
    pydicom,
    pydicom_pixel_array,
    read,
    reference,
)

IMPLICIT_LE = "1.2.840.10008.1.2"
DEFLATED = "1.2.840.10008.1.2.1.99"


def _dcmfast_readable(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dcmfast.dcmread(path)
    except Exception:  # noqa: BLE001
        return False
    return True


PIXEL_FILES = [p for p in corpus_files() if has_pixels(p) and _dcmfast_readable(p)]
RLE_FILES = [p for p in PIXEL_FILES if read(p).file_meta.get("TransferSyntaxUID") == RLE]
SMALL = ["MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "CT_small.dcm", "SC_rgb_rle_16bit.dcm",
         "MR_small.dcm", "rtdose_rle.dcm", "SC_rgb_rle_32bit_2frame.dcm"]


def _path(name: str) -> Path:
    return next(p for p in PIXEL_FILES if p.name == name)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _outcome(fast: bool, source, action, monkeypatch=None):
    """(result, warnings, log records) of action(dataset read from `source`), with the
    fast path on or off. `source` is a path, bytes, or a function making a dataset."""
    saved = pixels._fast_pixel_array, description._fast_describe
    if not fast:
        pixels._fast_pixel_array = pixels._not_served
        description._fast_describe = pixels._not_served
    logger = logging.getLogger("dcmfast")
    handler = _Capture()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                ds = source() if callable(source) else dcmfast.dcmread(source)
                result = action(ds)
            except Exception as exc:  # noqa: BLE001 - the outcome to compare
                result = exc
    finally:
        pixels._fast_pixel_array, description._fast_describe = saved
        logger.removeHandler(handler)
        logger.setLevel(level)
    return result, [(w.category, str(w.message)) for w in caught], handler.records


def _same_outcome(source, action=lambda ds: ds.pixel_array):
    """The outcome with the fast path on equals the one with it off; returns it."""
    fast = _outcome(True, source, action)
    slow = _outcome(False, source, action)
    ours, theirs = fast[0], slow[0]
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs), (ours, theirs)
        assert str(ours) == str(theirs)
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), ours
        assert ours.shape == theirs.shape
        assert ours.dtype == theirs.dtype
        assert ours.flags.writeable == theirs.flags.writeable
        assert ours.flags.c_contiguous == theirs.flags.c_contiguous
        np.testing.assert_array_equal(ours, theirs)
    else:
        _same_description(ours, theirs)
    assert fast[1] == slow[1]
    assert fast[2] == slow[2]
    return ours


def _same_description(ours, theirs):
    ours, theirs = ours[0], theirs[0]  # (description, owner)
    assert type(ours) is type(theirs)
    for field in description.PixelDescription.__dataclass_fields__:
        a, b = getattr(ours, field), getattr(theirs, field)
        if field == "data":
            assert a.tobytes() == b.tobytes()
            assert (a.readonly, a.format, a.ndim) == (b.readonly, b.format, b.ndim)
        else:
            assert type(a) is type(b), field
            assert a == b, field


def _served(ds) -> bool:
    return pixfast.pixel_array(ds, True, rle.MIN_BYTES_PER_WORKER) is not None


# ----------------------------------------------------------------------------- corpus


def test_fast_path_serves_the_common_files():
    """Not vacuous: every RLE file of the corpus and the small native ones are served."""
    assert len(RLE_FILES) >= 10
    for path in RLE_FILES + [_path("CT_small.dcm"), _path("MR_small.dcm")]:
        assert _served(dcmfast.dcmread(path)), path.name
        assert pixfast.describe(dcmfast.dcmread(path), description.PixelDescription) is not None


@pytest.mark.parametrize("path", PIXEL_FILES, ids=lambda p: p.name)
def test_corpus_fast_equals_slow(path):
    ours = _same_outcome(path)
    ref = reference(path)
    if isinstance(ours, np.ndarray) and not isinstance(ref, Exception):
        assert_same(ours, ref)


@pytest.mark.parametrize("path", PIXEL_FILES, ids=lambda p: p.name)
def test_corpus_describe_fast_equals_slow(path):
    _same_outcome(path, lambda ds: description.describe(ds))


@pytest.mark.parametrize("path", RLE_FILES + [_path("CT_small.dcm")], ids=lambda p: p.name)
@pytest.mark.parametrize("options", [{"raw": True}, {"as_rgb": False}, {"index": 0},
                                     {"threads": 1}, {"number_of_frames": 1}])
def test_options_fast_equals_slow(path, options):
    _same_outcome(path, lambda ds: pixels.pixel_array(ds, **options))


@pytest.mark.parametrize("path", RLE_FILES, ids=lambda p: p.name)
def test_iter_pixels_fast_equals_slow(path):
    frames = _same_outcome(path, lambda ds: np.stack(list(pixels.iter_pixels(ds))))
    assert_same(frames.reshape(reference(path).shape), reference(path))


@pytest.mark.parametrize("source", ["path", "bytes", "bytearray", "mmap"])
def test_sources(source):
    path = _path("CT_small.dcm")
    read_it = {"path": lambda: dcmfast.dcmread(path),
               "bytes": lambda: dcmfast.dcmread(path.read_bytes()),
               "bytearray": lambda: dcmfast.dcmread(bytearray(path.read_bytes())),
               "mmap": lambda: dcmfast.dcmread(path, mmap=True)}[source]
    arr = _same_outcome(read_it)
    assert_same(arr, reference(path))
    # native little endian: a view of the file buffer
    assert arr.base is not None
    assert _served(read_it())


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("threads", [None, 1, 2])
def test_paths_and_bytes_fast_equals_slow(name, threads):
    """A path or bytes is read once, then served as a dataset read from it would be."""
    path = _path(name)
    ref = reference(path)
    for src in (str(path), path, path.read_bytes()):
        arr = _same_outcome(path, lambda ds, src=src: pixels.pixel_array(src, threads=threads))
        if not isinstance(ref, Exception):
            assert_same(arr, ref)


@pytest.mark.parametrize("threads,served", [(None, True), (1, True), (2, True), (0, False),
                                            (True, False)])
def test_a_path_is_read_once(monkeypatch, threads, served):
    reads, calls = [], []
    read = pixels._read_dataset

    def counting_read(src, threads=None):
        reads.append(threads)
        return read(src, threads)

    def spy(ds, as_rgb, min_bytes):
        calls.append(min_bytes)
        return pixfast.pixel_array(ds, as_rgb, min_bytes)

    monkeypatch.setattr(pixels, "_read_dataset", counting_read)
    monkeypatch.setattr(description, "_read_dataset", counting_read)
    monkeypatch.setattr(pixels, "_fast_pixel_array", spy)
    path = _path("MR_small_RLE.dcm")
    if threads == 0:
        with pytest.raises(ValueError, match="at least 1"):
            pixels.pixel_array(str(path), threads=threads)
    else:
        assert_same(pixels.pixel_array(str(path), threads=threads), reference(path))
    assert reads == [threads]
    if served:  # threads=1: no pool to leave work to, only outputs for reusable mappings
        assert calls == [rle.PAGES_BYTES // 2 if threads == 1 else rle.MIN_BYTES_PER_WORKER]
    else:
        assert calls == []
    # an option the compiled path does not take: the Python path reads the file
    reads.clear()
    if threads != 0:
        pixels.pixel_array(str(path), threads=threads, index=0)
        assert reads == [threads]


def test_native_view_writability():
    # a view of the file buffer is read-only whatever the buffer (the caller's
    # bytearray included), on the compiled path and on the Python path (index=0)
    path = _path("CT_small.dcm")
    for source in (path.read_bytes(), bytearray(path.read_bytes()), str(path)):
        for kwargs in ({}, {"index": 0}):
            arr = pixels.pixel_array(dcmfast.dcmread(source), **kwargs)
            assert not arr.flags.writeable
            assert arr.copy().flags.writeable


# ----------------------------------------------------------- datasets changed after reading


def _set(keyword, value):
    def change(ds):
        setattr(ds, keyword, value)
    return change


def _delete(keyword):
    def change(ds):
        delattr(ds, keyword)
    return change


def _element_value(keyword, value):
    def change(ds):
        ds[keyword].value = value
    return change


def _touch(*keywords):
    def change(ds):
        for keyword in keywords:
            getattr(ds, keyword)
    return change


def _load_all(ds):
    list(ds)


def _load_then(change):
    def both(ds):
        _load_all(ds)
        change(ds)
    return both


def _meta(keyword, value):
    def change(ds):
        if value is None:
            delattr(ds.file_meta, keyword)
        else:
            setattr(ds.file_meta, keyword, value)
    return change


def _reset_pixel_data(ds):
    ds.PixelData = bytes(ds.PixelData)


def _float_pixel_data(ds):
    ds.add_new(0x7FE00008, "OF", b"\0" * 16)


def _extended_offsets(ds):
    ds.add_new(0x7FE00001, "OV", b"\0" * 8)
    ds.add_new(0x7FE00002, "OV", b"\0" * 8)


CHANGES = {
    "rows-halved": lambda ds: setattr(ds, "Rows", ds.Rows // 2),
    "columns-plus-one": lambda ds: setattr(ds, "Columns", ds.Columns + 1),
    "rows-zero": _set("Rows", 0),
    "bits-stored-12": _set("BitsStored", 12),
    "bits-stored-7": _set("BitsStored", 7),
    "bits-stored-0": _set("BitsStored", 0),
    "bits-allocated-32": _set("BitsAllocated", 32),
    "bits-allocated-12": _set("BitsAllocated", 12),
    "signed": _set("PixelRepresentation", 1),
    "unsigned": _set("PixelRepresentation", 0),
    "pixel-representation-2": _set("PixelRepresentation", 2),
    "samples-3": _set("SamplesPerPixel", 3),
    "samples-1": _set("SamplesPerPixel", 1),
    "planar-1": _set("PlanarConfiguration", 1),
    "frames-2": _set("NumberOfFrames", 2),
    "frames-1": _set("NumberOfFrames", 1),
    "frames-0": _set("NumberOfFrames", 0),
    "frames-str": _set("NumberOfFrames", "2"),
    "photometric-rgb": _set("PhotometricInterpretation", "RGB"),
    "photometric-ybr": _set("PhotometricInterpretation", "YBR_FULL"),
    "photometric-ybr422": _set("PhotometricInterpretation", "YBR_FULL_422"),
    "photometric-bad": _set("PhotometricInterpretation", "NOPE"),
    "photometric-padded": _set("PhotometricInterpretation", " MONOCHROME1 "),
    "del-rows": _delete("Rows"),
    "del-photometric": _delete("PhotometricInterpretation"),
    "del-bits-stored": _delete("BitsStored"),
    "del-pixel-representation": _delete("PixelRepresentation"),
    "del-planar": _delete("PlanarConfiguration"),
    "del-frames": _delete("NumberOfFrames"),
    "del-pixel-data": _delete("PixelData"),
    "element-rows": _element_value("Rows", 8),
    "element-bits-stored": _element_value("BitsStored", 10),
    "touched": _touch("Rows", "Columns", "PixelData", "PhotometricInterpretation",
                      "BitsStored", "SpecificCharacterSet"),
    "touched-meta": lambda ds: ds.file_meta.TransferSyntaxUID,
    "elements-made": lambda ds: [ds[k] for k in ("Rows", "BitsStored", "PixelData",
                                                   "PhotometricInterpretation")],
    "element-vr-changed": lambda ds: setattr(ds["BitsStored"], "VR", "SS"),
    "pixel-vr-changed": lambda ds: setattr(ds["PixelData"], "VR", "OW"),
    "element-from-another": lambda ds: ds.__setitem__(
        "Rows", dcmfast.dcmread(_path("MR_small.dcm"))["Rows"]),
    "element-from-another-pixels": lambda ds: ds.__setitem__(
        "PixelData", dcmfast.dcmread(_path("MR_small.dcm"))["PixelData"]),
    "loaded": _load_all,
    "loaded-rows-halved": _load_then(lambda ds: setattr(ds, "Rows", ds.Rows // 2)),
    "loaded-del-rows": _load_then(_delete("Rows")),
    "pixel-data-reset": _reset_pixel_data,
    "pixel-data-cut": lambda ds: setattr(ds, "PixelData", bytes(ds.PixelData)[:-20]),
    "float-pixel-data": _float_pixel_data,
    "extended-offsets": _extended_offsets,
    "syntax-explicit": _meta("TransferSyntaxUID", EXPLICIT_LE),
    "syntax-rle": _meta("TransferSyntaxUID", RLE),
    "syntax-big-endian": _meta("TransferSyntaxUID", EXPLICIT_BE),
    "syntax-unknown": _meta("TransferSyntaxUID", "1.2.3.4"),
    "syntax-padded": _meta("TransferSyntaxUID", RLE + "\0"),
    "syntax-deleted": _meta("TransferSyntaxUID", None),
    "no-file-meta": lambda ds: ds.__dict__.pop("file_meta"),
    "charset": _set("SpecificCharacterSet", "ISO_IR 100"),
    "charset-unknown": _set("SpecificCharacterSet", "ISO_IR 999"),
    "max-bytes": lambda ds: ds.__dict__.update(_max_bytes=1000),
    "max-bytes-none": lambda ds: ds.__dict__.pop("_max_bytes"),
}


def _pydicom_changed(path, change):
    ds = pydicom.dcmread(path)
    try:
        change(ds)
    except (AttributeError, KeyError, TypeError):
        return None  # a change pydicom's Dataset does not take the same way
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom_pixel_array(ds)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - pylibjpeg-rle panics on some sizes
        return exc
    finally:
        logging.disable(previous)


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "CT_small.dcm"])
@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_changed_dataset_fast_equals_slow(name, change):
    """A change made after reading is what counts, never the index's stale value."""
    path = _path(name)
    fn = CHANGES[change]

    def changed():
        ds = dcmfast.dcmread(path)
        fn(ds)
        return ds

    ours = _same_outcome(changed)
    _same_outcome(changed, lambda ds: description.describe(ds))
    if change.startswith(("max-bytes", "no-file-meta", "touched", "loaded", "charset")):
        return
    ref = _pydicom_changed(path, fn)
    if isinstance(ours, np.ndarray) and isinstance(ref, np.ndarray):
        assert_same(ours, ref)


def test_changes_are_not_stale():
    """Spot checks that a changed value is used (not only that both paths agree)."""
    path = _path("CT_small.dcm")
    ds = dcmfast.dcmread(path)
    ds.Rows = 64  # the pixel data now holds two frames: excess frames are returned
    assert pixels.pixel_array(ds).shape == (2, 64, 128)
    ds = dcmfast.dcmread(path)
    ds["PixelRepresentation"].value = 0
    assert pixels.pixel_array(ds).dtype == np.uint16
    ds = dcmfast.dcmread(path)
    del ds.PhotometricInterpretation
    with pytest.raises(dcmfast.errors.PixelDataError, match="Missing required"):
        pixels.pixel_array(ds)
    ds = dcmfast.dcmread(_path("MR_small_RLE.dcm"))
    ds.file_meta.TransferSyntaxUID = EXPLICIT_LE
    with pytest.raises(dcmfast.errors.PixelDataError):
        pixels.pixel_array(ds)
    ds = dcmfast.dcmread(_path("SC_rgb_rle_2frame.dcm"))
    ds.NumberOfFrames = 1
    assert pixels.pixel_array(ds, allow_excess_frames=False).shape == (100, 100, 3)
    assert pixels.pixel_array(ds).shape == (2, 100, 100, 3)


def test_max_bytes_is_honoured():
    path = _path("MR_small_RLE.dcm")
    with pytest.raises(dcmfast.errors.ResourceLimitError):
        dcmfast.dcmread(path, max_bytes=64 * 64 * 2 - 1).pixel_array  # noqa: B018
    assert dcmfast.dcmread(path, max_bytes=64 * 64 * 2).pixel_array.nbytes == 64 * 64 * 2


# ------------------------------------------------------------ synthetic files, both paths


def _file_bytes(ds, tsyntax: str) -> bytes:
    ds.file_meta.TransferSyntaxUID = tsyntax
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4.5"
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def _random(rng, n: int) -> bytes:
    return rng.integers(0, 256, n, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("tsyntax", [EXPLICIT_LE, IMPLICIT_LE, DEFLATED, EXPLICIT_BE])
@pytest.mark.parametrize("bits_allocated,bits_stored", [(8, 8), (8, 6), (16, 16), (16, 12),
                                                        (32, 24), (64, 64), (64, 33)])
@pytest.mark.parametrize("signed", [0, 1])
@pytest.mark.parametrize("samples,planar,frames", [(1, 0, None), (1, 0, 3), (3, 0, 2), (3, 1, 1)])
@pytest.mark.parametrize("pad", [0, 1])
def test_synthetic_native(rng, tsyntax, bits_allocated, bits_stored, signed, samples, planar,
                          frames, pad):
    """Random samples: garbage in the unused bits, corrected into a copy."""
    n = 4 * 5 * samples * (frames or 1) * bits_allocated // 8
    data = _random(rng, n + pad)
    ds = make_dataset(data, samples=samples, planar=planar, frames=frames,
                      bits_allocated=bits_allocated, bits_stored=bits_stored, signed=signed)
    blob = _file_bytes(ds, tsyntax)
    ours = _same_outcome(blob)
    assert_same(ours, pydicom_pixel_array(pydicom.dcmread(io.BytesIO(blob))))


@pytest.mark.parametrize("dtype,samples,bits_stored", [("u1", 1, 8), ("u1", 3, 8), ("i1", 1, 5),
                                                       ("u2", 1, 16), ("i2", 1, 12),
                                                       ("u2", 3, 16)])
@pytest.mark.parametrize("frames", [1, 3])
@pytest.mark.parametrize("bot", [False, True])
@pytest.mark.parametrize("photometric", [None, "YBR_FULL"])
def test_synthetic_rle(rng, dtype, samples, bits_stored, frames, bot, photometric):
    if photometric and (samples != 3 or dtype != "u1"):
        pytest.skip("YBR is 8-bit colour")
    from pydicom.encaps import encapsulate, generate_frames

    info = np.iinfo(dtype)
    low, high = max(info.min, -(2 ** (bits_stored - 1)) if info.min else 0), \
        min(info.max, 2 ** (bits_stored - (1 if info.min else 0)) - 1)
    shape = (frames, 12, 10) + ((samples,) if samples > 1 else ())
    arr = rng.integers(low, high, shape, dtype=dtype, endpoint=True)
    arr[:, :4] = low  # runs
    ds = make_dataset(arr.tobytes(), rows=12, columns=10, samples=samples,
                      bits_allocated=arr.dtype.itemsize * 8, bits_stored=bits_stored,
                      signed=int(arr.dtype.kind == "i"), frames=frames if frames > 1 else None,
                      photometric=photometric)
    ds.compress(RLE, arr if frames > 1 else arr[0], encoding_plugin=RLE_PLUGIN,
                generate_instance_uid=False)
    if bot:
        encoded = list(generate_frames(ds.PixelData, number_of_frames=frames))
        ds.PixelData = encapsulate(encoded, has_bot=True)
    blob = _file_bytes(ds, RLE)
    ours = _same_outcome(blob)
    assert_same(ours, pydicom_pixel_array(pydicom.dcmread(io.BytesIO(blob))))
    assert _served(dcmfast.dcmread(blob))
    for options in ({"raw": True}, {"index": frames - 1}):
        _same_outcome(blob, lambda ds, options=options: pixels.pixel_array(ds, **options))


def test_rle_many_fragments_and_excess_frames():
    """Frames of several fragments, excess frames, fragments without a frame: the
    Python path decides (the fast path serves one fragment per frame only)."""
    from pydicom.encaps import encapsulate, generate_frames

    rng = np.random.default_rng(3)
    arr = rng.integers(0, 4096, (3, 16, 16), dtype=np.uint16)
    ds = make_dataset(arr.tobytes(), rows=16, columns=16, frames=3)
    ds.compress(RLE, arr, encoding_plugin=RLE_PLUGIN, generate_instance_uid=False)
    frames = list(generate_frames(ds.PixelData, number_of_frames=3))
    layouts = {
        "fragments": encapsulate(frames, fragments_per_frame=2, has_bot=True),
        "excess": encapsulate(frames + [frames[0]], has_bot=False),
        "fewer": encapsulate(frames[:2], has_bot=False),
        "one-of-two": encapsulate(frames[:1], has_bot=False),
    }
    for name, data in layouts.items():
        ds.PixelData = data
        blob = _file_bytes(ds, RLE)
        assert not _served(dcmfast.dcmread(blob)), name
        _same_outcome(blob)


def test_rle_threads_are_left_to_the_pool(monkeypatch):
    """Work worth more than one worker goes to the Python path and its pool."""
    path = _path("SC_rgb_rle_2frame.dcm")
    assert _served(dcmfast.dcmread(path))
    monkeypatch.setattr(rle, "MIN_BYTES_PER_WORKER", 1000)
    assert not _served(dcmfast.dcmread(path))
    assert_same(dcmfast.dcmread(path).pixel_array, reference(path))


# ------------------------------------------------------------------- mutated small files


def _targets(blob: bytes) -> list[int]:
    """Byte positions worth mutating: the headers and values of the Image Pixel and
    pixel data elements, the first bytes of the pixel data, the transfer syntax."""
    ds = dcmfast.dcmread(blob)
    positions: list[int] = []
    for view in (ds._view, ds.file_meta._view):
        index = view.index
        for i in index.children(view.first, view.stop):
            tag, _, _, _, _, offset, value_offset, length = index.entry(i)
            if tag >> 16 in (0x0028, 0x7FE0) or tag in (0x00020010, 0x00080005):
                positions += range(offset, value_offset + min(length, 160))
    return positions


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "CT_small.dcm",
                                  "SC_rgb_rle_16bit.dcm", "rtdose_rle_1frame.dcm"])
def test_mutated_files_fast_equals_slow(name):
    """Byte flips in the elements the fast path reads: it serves the same array or
    leaves the input to the Python path, which raises, warns and logs as before."""
    blob = _path(name).read_bytes()
    targets = _targets(blob)
    rng = np.random.default_rng(sum(map(ord, name)))
    special = [0x00, 0x01, 0x20, 0x30, 0x31, 0x5C, 0x7F, 0x80, 0xFF]
    for _ in range(150):
        mutated = bytearray(blob)
        for pos in rng.choice(targets, int(rng.integers(1, 4))):
            mutated[pos] = special[rng.integers(len(special))] if rng.random() < 0.5 \
                else int(rng.integers(0, 256))
        _same_outcome(bytes(mutated))


def _encapsulated(name: str, make) -> bytes:
    """The file `name` with its (undefined length) encapsulated Pixel Data value
    replaced by make(fragments) (bytes), the sequence delimiter kept after it."""
    import struct

    blob = _path(name).read_bytes()
    view = dcmfast.dcmread(blob)._view
    entry = view.index.find(view.first, view.stop, 0x7FE00010)
    _, _, _, _, _, _, start, length = view.index.entry(entry)
    value = blob[start : start + length]
    pos = 8 + struct.unpack_from("<I", value, 4)[0]
    fragments = []
    while pos < len(value):
        size = struct.unpack_from("<I", value, pos + 4)[0]
        fragments.append(value[pos + 8 : pos + 8 + size])
        pos += 8 + size
    return blob[:start] + make(fragments) + blob[start + length :]


def _item(data: bytes, tag: bytes = b"\xfe\xff\x00\xe0") -> bytes:
    import struct

    return tag + struct.pack("<I", len(data)) + data


def _bot(offsets) -> bytes:
    import struct

    return _item(struct.pack(f"<{len(offsets)}I", *offsets))


def _offsets(fragments) -> list[int]:
    out, pos = [], 0
    for fragment in fragments:
        out.append(pos)
        pos += 8 + len(fragment)
    return out


ENCAPSULATIONS = {
    "plain": lambda f: _bot([]) + b"".join(map(_item, f)),
    "with-bot": lambda f: _bot(_offsets(f)) + b"".join(map(_item, f)),
    "stray-bytes": lambda f: _bot([]) + b"".join(map(_item, f)) + b"\1\2\3\4",
    "stray-bytes-bot": lambda f: _bot(_offsets(f)) + b"".join(map(_item, f)) + b"\0\0",
    "bad-item-tag": lambda f: _bot([]) + b"".join(map(_item, f[:-1]))
    + _item(f[-1], b"\xfe\xff\x0d\xe0"),
    "bad-first-tag": lambda f: _item(b"", b"\xe0\x7f\x10\x00") + b"".join(map(_item, f)),
    "bot-off-by-two": lambda f: _bot([o + 2 * (i > 0) for i, o in enumerate(_offsets(f))])
    + b"".join(map(_item, f)),
    "bot-decreasing": lambda f: _bot(_offsets(f)[::-1]) + b"".join(map(_item, f)),
    "bot-too-short": lambda f: _bot(_offsets(f)[:1]) + b"".join(map(_item, f)),
    "bot-odd-length": lambda f: _item(b"\0\0\0\0\0\0") + b"".join(map(_item, f)),
    "bot-skips-first": lambda f: _bot([8 + len(f[0])] * len(f)) + b"".join(map(_item, f)),
    "extra-fragment": lambda f: _bot([]) + b"".join(map(_item, f + f[-1:])),
    "missing-fragment": lambda f: _bot([]) + b"".join(map(_item, f[:-1])),
    "empty-fragment": lambda f: _bot([]) + b"".join(map(_item, f[:-1] + [b""])),
    "short-fragment": lambda f: _bot([]) + b"".join(map(_item, f[:-1] + [f[-1][:70]])),
    "long-fragment": lambda f: _bot([]) + b"".join(map(_item, f[:-1] + [f[-1] + b"\0" * 64])),
    "header-only": lambda f: _bot([]) + b"".join(map(_item, f[:-1] + [f[-1][:64]])),
    "truncated-item": lambda f: _bot([]) + b"".join(map(_item, f))[:-9],
    "no-items": lambda f: _bot([]),
    "nothing": lambda f: b"",
}


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm"])
@pytest.mark.parametrize("layout", ENCAPSULATIONS, ids=str)
def test_encapsulation_fast_equals_slow(name, layout):
    blob = _encapsulated(name, ENCAPSULATIONS[layout])
    ours = _same_outcome(blob)
    _same_outcome(blob, lambda ds: description.describe(ds))
    if layout in ("plain", "with-bot"):
        assert _served(dcmfast.dcmread(blob))
        assert_same(ours, reference(_path(name)))


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "CT_small.dcm"])
def test_elements_already_read_are_served(name):
    """Reading the Image Pixel values first (common) keeps the fast path."""
    ds = dcmfast.dcmread(_path(name))
    ds["Columns"]  # noqa: B018 - made, not converted
    assert (ds.Rows, ds.BitsStored, ds.PhotometricInterpretation, len(ds.PixelData)) > (0,)
    assert ds.file_meta.TransferSyntaxUID
    assert _served(ds)
    ds.Rows = ds.Rows  # set: a value of the dict
    assert _served(ds)
    assert_same(ds.pixel_array, reference(_path(name)))


def test_replaced_decoders_are_used(monkeypatch):
    """pixels.DECODERS is public: a decoder put there is called, fast path or not."""
    calls = []
    for kind, name in (("rle", "MR_small_RLE.dcm"), ("native", "CT_small.dcm")):
        original = pixels.DECODERS[kind]

        def decode(desc, indices, original=original, **kw):
            calls.append(desc.transfer_syntax_uid)
            return original.decode(desc, indices, **kw)

        monkeypatch.setitem(pixels.DECODERS, kind, pixels.DecoderEntry(decode, original.correct_bits))
        assert_same(dcmfast.dcmread(_path(name)).pixel_array, reference(_path(name)))
        assert len(calls) == 1
        calls.clear()
        monkeypatch.undo()
