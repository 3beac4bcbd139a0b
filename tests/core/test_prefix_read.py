"""``stop_before_pixels`` and ``specific_tags`` on a path read the file's first bytes
only (growing them until the element stream stops inside them): the result, its
warnings and its errors are those of a read of the whole file."""
from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest
from builders import encode, rich_dataset
from corpus import CORPUS, file_id

import dcmfast
from dcmfast import reader
from dcmfast._core import fileio
from dcmfast.errors import DcmfastError

KWARGS = [
    {"stop_before_pixels": True},
    {"specific_tags": ["PatientName", "Rows", 0x00280011, "ReferencedImageSequence"]},
    {"specific_tags": [0x00020010]},  # read_file_meta_info's read
]


def _outcome(read):
    """What a read gives: its elements at every depth (values or the errors reading
    them raise), its warnings, or the error it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = read()
        except DcmfastError as exc:
            return ("error", type(exc), str(exc)), []
        elements = []
        for elem in ds.iterall():
            try:
                value = repr(elem.value)
            except Exception as exc:  # noqa: BLE001 - compared as it is
                value = f"{type(exc).__name__}: {exc}"
            elements.append((elem.tag, elem.VR, value))
        meta = [(e.tag, e.VR, repr(e.value)) for e in ds.file_meta]
    return (elements, meta, ds.preamble, ds.is_implicit_VR, ds.is_little_endian), [
        str(w.message) for w in caught]


@pytest.fixture
def tiny_prefix(monkeypatch):
    """Prefixes of 200 bytes, doubled: every stopping point is met by a retry."""
    monkeypatch.setattr(reader, "PREFIX_BYTES", 200)
    monkeypatch.setattr(reader, "PREFIX_GROWTH", 2)


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
@pytest.mark.parametrize("force", [False, True], ids=["strict", "force"])
def test_prefix_reads_equal_whole_reads(path, force, tiny_prefix):
    data = path.read_bytes()
    for kwargs in KWARGS:
        whole = _outcome(lambda: dcmfast.dcmread(data, force=force, **kwargs))  # noqa: B023
        prefix = _outcome(lambda: dcmfast.dcmread(str(path), force=force, **kwargs))  # noqa: B023
        assert prefix == whole, kwargs


def _image(tmp_path, rows=1024):
    ds = rich_dataset()
    ds.Rows = ds.Columns = rows
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = np.arange(rows * rows, dtype="<u2").tobytes()
    path = tmp_path / "image.dcm"
    path.write_bytes(encode(ds, "explicit_le"))
    return path


@pytest.fixture
def prefix_limits(monkeypatch):
    """The limits of every prefix read, in order."""
    limits = []
    read = fileio.read_path_prefix

    def spy(p, limit):
        limits.append(limit)
        return read(p, limit)

    monkeypatch.setattr(reader._fileio, "read_path_prefix", spy)
    return limits


def test_header_only_read_reads_the_header(tmp_path, prefix_limits):
    limits = prefix_limits
    path = _image(tmp_path)
    size = path.stat().st_size
    ds = dcmfast.dcmread(path, stop_before_pixels=True)
    assert limits == [reader.PREFIX_BYTES] and reader.PREFIX_BYTES < size // 16
    assert len(ds._buffer) == reader.PREFIX_BYTES
    assert "PixelData" not in ds
    whole = _outcome(lambda: dcmfast.dcmread(path.read_bytes(), stop_before_pixels=True))
    assert _outcome(lambda: ds) == whole
    assert ds.filename == str(path)
    assert ds.timestamp == path.stat().st_mtime
    # pixel data asked for by specific_tags: the whole file is read
    limits.clear()
    ds = dcmfast.dcmread(path, specific_tags=["PixelData", "Rows"])
    assert ds.PixelData == dcmfast.dcmread(path).PixelData
    assert limits[-1] >= size  # grown until the whole file came in


def test_prefix_read_of_a_file_without_pixels_reads_it_all(tmp_path, tiny_prefix):
    path = tmp_path / "plain.dcm"
    path.write_bytes(encode(rich_dataset(), "explicit_le"))
    assert _outcome(lambda: dcmfast.dcmread(path, stop_before_pixels=True)) == _outcome(
        lambda: dcmfast.dcmread(path.read_bytes(), stop_before_pixels=True))


@pytest.mark.parametrize("syntax", ["implicit_le", "explicit_be", "deflated"])
def test_prefix_reads_of_every_encoding(tmp_path, tiny_prefix, syntax):
    path = tmp_path / f"{syntax}.dcm"
    path.write_bytes(encode(rich_dataset(undefined_length=True), syntax))
    for kwargs in KWARGS:
        assert _outcome(lambda: dcmfast.dcmread(path, **kwargs)) == _outcome(  # noqa: B023
            lambda: dcmfast.dcmread(path.read_bytes(), **kwargs))  # noqa: B023


def test_log_records_once(tmp_path, tiny_prefix, caplog):
    """A file without preamble read with force logs once, not once per attempt."""
    path = tmp_path / "bare.dcm"
    path.write_bytes(encode(rich_dataset(), "explicit_le", preamble=False, meta=False))
    with caplog.at_level(logging.INFO, logger="dcmfast"):
        dcmfast.dcmread(path, force=True, stop_before_pixels=True)
    assert sum("'DICM' prefix is missing" in r.getMessage() for r in caplog.records) == 1


def test_not_dicom_is_refused_from_the_first_bytes(tmp_path, prefix_limits):
    """Without force, a large file that is not DICOM is refused after its first bytes."""
    limits = prefix_limits
    path = tmp_path / "notdicom.bin"
    path.write_bytes(b"\x00" * 128 + b"NOPE" + b"\x01" * (4 << 20))
    with pytest.raises(dcmfast.InvalidDicomError) as prefix_error:
        dcmfast.dcmread(path, stop_before_pixels=True)
    assert limits == [reader.PREFIX_BYTES]
    with pytest.raises(dcmfast.InvalidDicomError) as whole_error:
        dcmfast.dcmread(path.read_bytes(), stop_before_pixels=True)
    assert str(prefix_error.value) == str(whole_error.value)
