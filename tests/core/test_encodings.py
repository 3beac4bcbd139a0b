"""Each transfer syntax and structure, on files the tests build: dcmfast equals pydicom."""
from __future__ import annotations

import io
import mmap
import os
import warnings

import pydicom
import pytest
from builders import SYNTAXES, encode, rich_dataset
from compare import assert_datasets_equal

import dcmfast


def _both(data: bytes, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom.dcmread(io.BytesIO(data), **kwargs)
        ours = dcmfast.dcmread(data, **kwargs)
    return ours, theirs


@pytest.mark.parametrize("syntax", sorted(SYNTAXES))
@pytest.mark.parametrize("undefined", [False, True], ids=["defined", "undefined"])
def test_syntax_and_sequence_lengths(syntax, undefined):
    data = encode(rich_dataset(undefined_length=undefined), syntax)
    ours, theirs = _both(data)
    assert ours.original_encoding == theirs.original_encoding
    assert ours.file_meta.TransferSyntaxUID == SYNTAXES[syntax]
    assert_datasets_equal(ours.file_meta, theirs.file_meta, "meta")
    assert_datasets_equal(ours, theirs, syntax)
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("syntax", ["explicit_le", "implicit_le", "explicit_be"])
def test_no_preamble_no_meta_needs_force(syntax):
    data = encode(rich_dataset(), syntax, meta=False)
    with pytest.raises(dcmfast.InvalidDicomError):
        dcmfast.dcmread(data)
    ours, theirs = _both(data, force=True)
    assert ours.preamble is None and theirs.preamble is None
    assert ours.original_encoding == theirs.original_encoding
    assert_datasets_equal(ours, theirs, syntax)


@pytest.mark.parametrize("syntax", sorted(SYNTAXES))
def test_stop_before_pixels_and_specific_tags(syntax):
    data = encode(rich_dataset(), syntax)
    ours, theirs = _both(data, stop_before_pixels=True)
    assert "PixelData" not in ours
    assert_datasets_equal(ours, theirs, syntax)
    tags = ["PatientName", 0x00200013, (0x0028, 0x0010)]
    ours, theirs = _both(data, specific_tags=tags)
    assert sorted(ours.keys()) == sorted(theirs.keys())
    assert_datasets_equal(ours, theirs, syntax)


def test_input_kinds(tmp_path):
    data = encode(rich_dataset(), "explicit_le")
    path = tmp_path / "f.dcm"
    path.write_bytes(data)
    expected = str(pydicom.dcmread(path))
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        sources = [str(path), path, data, bytearray(data), memoryview(data), io.BytesIO(data), mm]
        for src in sources:
            assert str(dcmfast.dcmread(src)) == expected, type(src)
    with open(path, "rb") as f:
        ds = dcmfast.dcmread(f)
        assert ds.filename == str(path)
    assert str(dcmfast.dcmread(path, mmap=True)) == expected
    ds = dcmfast.dcmread(str(path))
    assert ds.filename == str(path) and ds.timestamp == os.stat(path).st_mtime


def test_read_threads_reach_the_file_read(tmp_path, monkeypatch):
    """dcmread(read_threads=1) and pixel_array(threads=1) read on the calling thread."""
    from types import SimpleNamespace

    from dcmfast import pixels, reader
    from dcmfast._core import fileio

    path = tmp_path / "f.dcm"
    path.write_bytes(encode(rich_dataset(), "explicit_le"))
    seen = []

    def spy(p, threads=0):
        seen.append(threads)
        return fileio.read_path(p, threads)

    monkeypatch.setattr(reader, "_fileio", SimpleNamespace(read_path=spy))
    expected = dcmfast.dcmread(path)
    assert dcmfast.dcmread(path, read_threads=1) == expected
    assert dcmfast.dcmread(path, read_threads=2) == expected
    with pytest.raises(ValueError, match="read_threads"):
        dcmfast.dcmread(path, read_threads=0)
    with pytest.raises(dcmfast.errors.PixelDataError, match="Missing"):  # read first
        pixels.pixel_array(str(path), threads=1)
    assert seen == [0, 1, 0, 1]


def test_path_reads_match_open(tmp_path):
    """Paths are read by the C reader (open + fstat + read): same bytes and mtime as Python's,
    the same OSError subclasses, and anything but a regular file left to open()."""
    from dcmfast._core import fileio

    data = encode(rich_dataset(), "explicit_le")
    for size in (0, 1, 4095, 4096, 4097, len(data)):
        path = tmp_path / f"f{size}.dcm"
        path.write_bytes(data[:size])
        got, mtime = fileio.read_path(str(path))
        assert type(got) is bytearray and got == data[:size]
        assert mtime == os.stat(path).st_mtime
    big = tmp_path / "big.dcm"  # above 32 MiB the buffer is advised to use huge pages
    blob = os.urandom(1 << 16) * 520 + b"end"
    big.write_bytes(blob)
    assert fileio.read_path(str(big))[0] == blob  # 8 MiB and more: two threads
    assert fileio.read_path(str(big), 1)[0] == blob  # the calling thread alone
    big.write_bytes(blob[: (8 << 20) + 12345])
    assert fileio.read_path(str(big))[0] == blob[: (8 << 20) + 12345]
    big.unlink()
    os.utime(path, ns=(0, -1_500_000_000))  # before 1970: seconds and nanoseconds both count
    assert fileio.read_path(str(path))[1] == os.stat(path).st_mtime
    missing = tmp_path / "missing.dcm"
    with pytest.raises(FileNotFoundError) as theirs:
        open(missing, "rb")
    with pytest.raises(FileNotFoundError) as ours:
        dcmfast.dcmread(missing)
    assert (ours.value.errno, ours.value.filename) == (theirs.value.errno, theirs.value.filename)
    assert fileio.read_path(str(tmp_path)) is None
    with pytest.raises(IsADirectoryError):
        dcmfast.dcmread(tmp_path)
    with pytest.raises(ValueError):
        fileio.read_path(str(tmp_path) + "\0x")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        assert fileio.read_path(str(fifo)) is None  # not opened blocking, not read


def test_file_like_read_from_current_position():
    data = encode(rich_dataset(), "explicit_le")
    buf = io.BytesIO(b"JUNK" + data)
    buf.seek(4)
    assert str(dcmfast.dcmread(buf)) == str(pydicom.dcmread(io.BytesIO(data)))


def test_rejects_bad_types():
    with pytest.raises(TypeError):
        dcmfast.dcmread(None)
    with pytest.raises(TypeError):
        dcmfast.dcmread(12)


def test_undefined_length_un_holding_a_sequence():
    """An explicit VR file with a private sequence written as UN of undefined length."""
    ds = rich_dataset()
    ds[0x00091003].is_undefined_length = True
    data = encode(ds, "explicit_le")
    header = b"\x09\x00\x03\x10SQ\x00\x00\xff\xff\xff\xff"
    assert data.count(header) == 1
    data = data.replace(header, b"\x09\x00\x03\x10UN\x00\x00\xff\xff\xff\xff")
    ours, theirs = _both(data)
    assert theirs[0x00091003].VR == "SQ"
    assert_datasets_equal(ours, theirs, "UN-SQ")


def test_implicit_private_sequence_known_and_unknown():
    """Implicit VR: a private tag is a sequence only if the private dictionary says so."""
    ds = pydicom.Dataset()
    ds.PatientName = "X"
    # a known private sequence (GEMS_ACQU_01? use pydicom's dictionary to find one)
    from pydicom._private_dict import private_dictionaries

    creator, entry = next(
        (c, k) for c, d in private_dictionaries.items() for k, v in d.items() if v[0] == "SQ" and "xx" in k
    )
    group = int(entry[:4], 16)
    block = ds.private_block(group, creator, create=True)
    block.add_new(int(entry[-2:], 16), "SQ", pydicom.Sequence([pydicom.Dataset()]))
    block.add_new(0xF0, "SQ", pydicom.Sequence([rich_dataset()[0x00081111] if False else pydicom.Dataset()]))
    ds[block.get_tag(0xF0)].value[0].PatientID = "inner"
    data = encode(ds, "implicit_le")
    ours, theirs = _both(data)
    assert_datasets_equal(ours, theirs, "private")


@pytest.mark.parametrize("vr", ["OB", "OW", "UN"])
def test_large_bytes_values(vr):
    """Values from 32 MiB on are copied into huge pages: the bytes are pydicom's."""
    from dcmfast._core import values

    size = (32 << 20) + 4098  # past the threshold, not a whole number of pages
    ds = rich_dataset()
    blob = bytes(range(256)) * (size // 256) + b"\x01\x02"
    ds.add_new(0x00091010, vr, blob)  # a private element holding it
    ds.add_new(0x00090010, "LO", "dcmfast test")
    data = encode(ds, "explicit_le")
    ours, theirs = _both(data)
    assert ours[0x00091010].value == theirs[0x00091010].value == blob
    index = ours._view.index
    entry = next(i for i in range(len(index)) if index.entry(i)[0] == 0x00091010)
    assert values.raw_bytes(index, entry) == blob


def _tag_with_vr(vr: str) -> int:
    """A dictionary tag of this VR after (0010,0020), not retired, not a repeater."""
    from pydicom.datadict import DicomDictionary

    return min(t for t, entry in DicomDictionary.items()
               if entry[0] == vr and t > 0x00100020 and entry[3] != "Retired" and t >> 16 != 0x7FE0)


CLIPPED_VRS = ["AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD",
               "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SS", "ST", "SV", "TM", "UC", "UI", "UL",
               "UN", "UR", "US", "UT", "UV"]


_LONG_HEADER = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}


@pytest.mark.parametrize("vr", CLIPPED_VRS)
def test_value_cut_to_nothing_by_the_end_of_the_file(vr):
    """The last element has a length but no bytes left: pydicom converts its short read
    (b"" for bytes VRs, "" for numbers), which differs from a length of 0."""
    ds = rich_dataset()
    for tag in [t for t in ds.keys() if t > 0x00100020]:
        del ds[tag]
    tag = _tag_with_vr(vr) if vr != "UN" else 0x00111010
    value = {"AT": 0x00100010, "FD": 1.5, "FL": 1.5, "SL": 3, "SS": 3, "SV": 3, "UL": 3, "US": 3,
             "UV": 3, "DS": "1.5", "IS": "3", "UI": "1.2.3", "PN": "A^B", "DA": "20240101",
             "TM": "101010", "DT": "20240101", "AS": "010Y", "UR": "http://a"}.get(vr)
    if value is None:
        value = b"\x01\x02\x03\x04" if vr.startswith("O") or vr == "UN" else "ABCD"
    without = encode(ds, "explicit_le")
    ds.add_new(tag, vr, value)
    data = encode(ds, "explicit_le")
    value_length = len(data) - len(without) - (12 if vr in _LONG_HEADER else 8)
    assert value_length > 0
    cut = data[: len(data) - value_length]  # the header stays, its value bytes are gone
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom.dcmread(io.BytesIO(cut))
        ours = dcmfast.dcmread(cut)
    assert tag in theirs and tag in ours
    assert repr(ours[tag].value) == repr(theirs[tag].value)
    assert type(ours[tag].value).__name__ == type(theirs[tag].value).__name__
