"""Writing DICOM: ``dcmwrite``, ``dcmwrite_bytes`` and ``Dataset.save_as``.

The output is byte for byte what pydicom 3.0's writer gives for the same dataset
(``tests/write/`` compares the two over the corpora), with the exceptions listed in
``docs/pydicom-differences.md`` (pydicom does not byte-swap OB/OW/OF/OD/OL/OV values
when it changes endianness; dcmfast does).

How (see ``docs/architecture.md``, "The write flow"): a dataset read from a file keeps
its buffer and element index. Written in the encoding it was read in, an element whose
value was never converted nor replaced is pydicom's *raw* element: its original header
and value bytes are copied from the buffer (``_core/writer.pyx``: a whole level at a
time when nothing in it needs Python). Only elements that were converted, changed or
added, and the sequences and items around them, are encoded anew from their values,
with pydicom's rules (``_encode_value``). A change of encoding (transcoding) or of
character set encodes every element from its value, as pydicom does.
"""
from __future__ import annotations

import datetime
import logging
import os
import struct
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from ._atomic import atomic_file
from ._core import writer as _cw
from .charset import convert_encodings
from .dataset import FileMetaDataset
from .errors import DicomWriteError
from .tag import BaseTag, Tag
from .valuerep import UID, MultiValue

if TYPE_CHECKING:
    from ._core.element import View

__all__ = ["dcmwrite", "dcmwrite_bytes", "DCMFAST_IMPLEMENTATION_UID", "DCMFAST_IMPLEMENTATION_VERSION"]

logger = logging.getLogger("dcmfast.filewriter")

#: Implementation Class UID dcmfast writes into a File Meta it completes
#: (``enforce_file_format=True``): a UUID-derived UID (PS3.5 B.2), dcmfast's own.
DCMFAST_IMPLEMENTATION_UID = "2.25.297368412874624418532187446640364612371"


def _version_name() -> str:
    from ._version import __version__

    return ("DCMFAST " + __version__)[:16]


DCMFAST_IMPLEMENTATION_VERSION = _version_name()

_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_DEFLATED_LE = "1.2.840.10008.1.2.1.99"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"

# pydicom.valuerep.EXPLICIT_VR_LENGTH_32
_LENGTH_32 = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"])
_TEXT_VRS = frozenset(["LO", "LT", "SH", "ST", "UC", "UT"])
_STRING_VRS = frozenset(["AE", "AS", "CS", "UR"])
_NUMBER_FORMATS = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d", "SV": "q", "UV": "Q"}
_BYTES_VRS = frozenset(
    ["OB", "OD", "OF", "OL", "OW", "OV", "US or SS", "US or OW", "US or SS or OW", "OB or OW"]
)
# bytes per word of the VRs whose values are swapped on a change of endianness
_SWAP_SIZE = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8, "US or OW": 2, "US or SS or OW": 2}
_AMBIGUOUS = frozenset(["US or SS", "US or OW", "US or SS or OW", "OB or OW"])
_LUT_DESCRIPTOR_TAGS = frozenset([0x00281101, 0x00281102, 0x00281103, 0x00283002])
_PIXEL_DATA = 0x7FE00010
# raw values of this size and more at the top level are written from the file buffer
# without a copy (the output's peak memory stays the input's)
_BIG_VALUE = 1 << 20
_CHARSET = 0x00080005
_LATIN1 = (("iso8859",), ("latin_1",), ("iso_ir_100",))  # text encoded as latin-1 by pydicom


# -- values -------------------------------------------------------------------------


def _is_multi(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return True
    if isinstance(value, MultiValue):
        return True
    cls = type(value)
    return cls.__module__ == "numpy" and cls.__name__ == "ndarray"


def _pad(data: bytes, pad: bytes) -> bytes:
    return data + pad if len(data) % 2 else data


def _multi_string(value: Any) -> Any:
    return "\\".join(value) if _is_multi(value) else value


def _string(value: Any, pad: str) -> bytes:
    val = _multi_string(value)
    if val is None:
        return b""
    if len(val) % 2:
        val += pad
    if isinstance(val, str):
        val = val.encode("latin-1")
    return bytes(val)


def _encode_text(value: str, encodings: tuple[str, ...]) -> bytes:
    if encodings == ("iso8859",) or encodings == ("latin_1",):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            pass
    from pydicom.charset import encode_string

    return encode_string(value, list(encodings))


def _text(value: Any, encodings: tuple[str, ...]) -> bytes:
    if _is_multi(value):
        if value and isinstance(value[0], str):
            data = b"\\".join(_encode_text(v, encodings) for v in value)
        else:
            data = b"\\".join(value)
    elif isinstance(value, str):
        data = _encode_text(value, encodings)
    else:
        data = bytes(value)
    return _pad(data, b" ")


def _pn(elem: Any, value: Any, encodings: tuple[str, ...]) -> bytes:
    values = [value] if elem.VM == 1 else list(value)
    parts = []
    for pn in values:
        pn_enc = getattr(pn, "encodings", None)
        if pn_enc is not None and tuple(pn_enc) != tuple(encodings):
            from pydicom.valuerep import _encode_personname

            parts.append(_encode_personname(pn.components, list(encodings)))
        elif isinstance(pn, str):
            parts.append(_encode_text(pn, encodings))
        else:
            original = getattr(pn, "_original", None)
            if original is None:
                text = "=".join(pn.components)
                try:
                    if encodings not in _LATIN1:
                        raise UnicodeEncodeError("latin-1", text, 0, 0, "not latin-1 text")
                    pn._original = text.encode("latin-1")  # what pydicom's encoder gives here
                except UnicodeEncodeError:
                    from pydicom.valuerep import _encode_personname

                    pn._original = _encode_personname(pn.components, list(encodings or ("iso8859",)))
            parts.append(pn.original_string)
    return _pad(b"\\".join(parts), b" ")


def _number_string(value: Any, encodings: tuple[str, ...]) -> bytes:
    def one(x: Any) -> str:
        original = getattr(x, "original_string", None)
        return original if isinstance(original, str) else str(x)

    text = "\\".join(one(x) for x in value) if _is_multi(value) else one(value)
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:  # an invalid value read with its character set: written back with it
        data = _encode_text(text, encodings)
    return _pad(data, b" ")


def _format_date(value: Any, fmt_plain: str, fmt_micro: str | None) -> str:
    if value is None:
        return ""
    original = getattr(value, "original_string", None)
    if isinstance(original, str):
        return original
    if fmt_micro is not None and value.microsecond > 0:
        return value.strftime(fmt_micro)  # type: ignore[no-any-return]
    return value.strftime(fmt_plain)  # type: ignore[no-any-return]


_DATE_FORMATS = {
    "DA": ("%Y%m%d", None),
    "DT": ("%Y%m%d%H%M%S%z", "%Y%m%d%H%M%S.%f%z"),
    "TM": ("%H%M%S", "%H%M%S.%f"),
}


def _date(vr: str, value: Any) -> bytes:
    if isinstance(value, str):
        return _string(value, " ")
    plain, micro = _DATE_FORMATS[vr]
    if _is_multi(value):
        text = "\\".join(x if isinstance(x, str) else _format_date(x, plain, micro) for x in value)
    else:
        text = _format_date(value, plain, micro)
    if len(text) % 2:
        text += " "
    return text.encode("latin-1")


def _numbers(elem: Any, value: Any, fmt: str, little: bool) -> bytes:
    if value is None or value == "":
        return b""
    end = "<" if little else ">"
    try:
        if hasattr(value, "append"):
            values = list(value)
            head = b""
            if fmt == "h" and int(elem.tag) in _LUT_DESCRIPTOR_TAGS and values:
                head = struct.pack(end + "H", values[0])
                values = values[1:]
            return head + struct.pack(f"{end}{len(values)}{fmt}", *values)
        return struct.pack(end + fmt, value)
    except Exception as exc:  # pydicom raises OSError here too
        raise DicomWriteError(f"{exc}\nfor data_element:\n{elem}") from None


def _at(value: Any, little: bool) -> bytes:
    fmt = "<HH" if little else ">HH"
    try:
        iter(value)
    except TypeError:
        values = [value]
    else:
        values = list(value)
    out = bytearray()
    for v in values:
        t = Tag(v)
        out += struct.pack(fmt, t >> 16, t & 0xFFFF)
    return bytes(out)


def _swap(data: Any, size: int) -> bytes:
    """`data` with each `size`-byte word reversed (a trailing partial word as it is)."""
    import numpy as np

    buf = bytes(data)
    whole = len(buf) - len(buf) % size
    arr = np.frombuffer(buf, dtype=f"<u{size}", count=whole // size)
    swapped: bytes = arr.byteswap().tobytes()  # (typed: numpy's stubs for Python 3.10 give Any)
    return swapped + buf[whole:]


def _bytes_value(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if hasattr(value, "read"):
        raise DicomWriteError("Buffered (file-like) element values are not supported by dcmfast's writer yet")
    return bytes(value)


# -- the writer ---------------------------------------------------------------------

_PACKERS = {
    little: (struct.Struct(e + "HH").pack, struct.Struct(e + "H").pack, struct.Struct(e + "L").pack)
    for little, e in ((True, "<"), (False, ">"))
}


class _Writer:
    """One write: the target encoding and the output buffer."""

    def __init__(self, implicit: bool, little: bool) -> None:
        self.implicit = implicit
        self.little = little
        self.out = bytearray()
        self.parts: list[Any] = []  # finished parts before self.out (see big_value)
        # the big values among the parts: (position in parts, index buffer, its offset)
        self.ranges: list[tuple[int, Any, int]] = []
        self.depth = 0  # of sequence items
        self._tag, self._u16, self._u32 = _PACKERS[little]

    # headers ----------------------------------------------------------------------
    def header(self, tag: int, vr: str | None, length: int, undefined: bool) -> None:
        out = self.out
        out += self._tag(tag >> 16, tag & 0xFFFF)
        if self.implicit:
            out += self._u32(0xFFFFFFFF if undefined else length)
            return
        assert vr is not None
        out += vr.encode("latin-1")
        if vr in _LENGTH_32:
            out += b"\0\0"
            out += self._u32(0xFFFFFFFF if undefined else length)
        elif undefined:
            out += self._u32(0xFFFFFFFF)
        else:
            out += self._u16(length)

    def big_value(self, index: Any, entry: int) -> None:
        """A large raw value (pixel data) at the top level: its header is copied, its value
        becomes a part of its own, a view of the file buffer (written without a copy)."""
        _tag, _vr, _flags, _end, _parent, offset, value_offset, length = index.entry(entry)
        data = memoryview(index.buffer)
        self.out += data[offset:value_offset]
        self.parts.append(self.out)
        self.ranges.append((len(self.parts), index.buffer, value_offset))
        self.parts.append(data[value_offset:value_offset + length])
        self.out = bytearray()

    def chunks(self) -> list[Any]:
        return [*self.parts, self.out]

    def delimiter(self, tag: int) -> None:
        self.out += self._tag(0xFFFE, tag & 0xFFFF)
        self.out += b"\0\0\0\0"

    # datasets ---------------------------------------------------------------------
    def dataset(self, ds: Any, parent_encoding: tuple[str, ...]) -> None:
        """pydicom's write_dataset: `ds`'s elements in tag order, group lengths (of groups
        above 6) dropped, raw elements copied, the others encoded from their values."""
        view = ds._view
        encoding = (self.implicit, self.little)
        elements = ds._edict  # flushes the keyword slot
        convert = encoding != ds.original_encoding or _charset_changed(ds, view, elements)
        if view is not None and (view.index.implicit_vr, view.index.little_endian) != encoding:
            convert = True  # the data set was not in its declared encoding (read as it was)
        if convert:
            _correct_ambiguous_all(ds)  # loads every element (a new element dict)
            elements = ds._edict
        charset_elem = ds._lookup(_CHARSET)
        encodings = _encodings_of(charset_elem, parent_encoding)
        if view is not None and not convert:
            index = view.index
            top = ds.__class__.__name__ == "FileDataset" or "file_meta" in ds.__dict__

            def encode(tag: int, elem: Any) -> None:
                self.element(elem if elem is not None else ds[tag], encodings, ds)

            big = _BIG_VALUE if self.depth == 0 else -1
            if not view.loaded:
                first = view.first
                while True:
                    at = _cw.level_raw(self.out, index, first, view.stop, elements, view, top, encode, big)
                    if at < 0:
                        break  # not in tag order: the sorted walk below
                    if at >= view.stop:
                        return
                    self.big_value(index, at)
                    first = index.entry(at)[3]
            tags = _sorted_tags(ds, view, elements)
            if not view.loaded:
                ds._load_all()  # the level's tags are out of order: sort them as pydicom does
                elements = ds._edict
            at = 0
            while True:
                at = _cw.level_loaded(self.out, index, view, elements, tags, at, top, encode, big)
                if at >= len(tags):
                    return
                self.big_value(index, view.raw_entry(elements[tags[at]]))
                at += 1
        if convert:
            read_little = ds.original_encoding[1]
            swap = read_little is not None and read_little != self.little
            _cw.level_encode(
                self.out, elements, self.little, self.implicit, encodings in _LATIN1, swap,
                lambda elem: self.element(elem, encodings, ds),
            )
            return
        for tag in sorted(elements):
            if tag & 0xFFFF == 0 and tag >> 16 > 6:
                continue
            elem = elements[tag]
            if not convert:
                # an element moved here from a dataset read from a file: still raw?
                source = elem._source
                index = source.index if source is not None else None
                if index is not None and (index.implicit_vr, index.little_endian) == encoding:
                    entry = source.raw_entry(elem)
                    if entry >= 0 and _cw.raw_kind(source.index, entry, False) == _cw.RAW_COPY:
                        _cw.copy_entry(self.out, source.index, entry)
                        continue
            self.element(elem, encodings, ds)

    def element(self, elem: Any, encodings: tuple[str, ...] | None, ds: Any) -> None:
        if encodings is None:
            encodings = _encodings_of(ds._lookup(_CHARSET), _parent_encoding_of(ds))
        read_little = ds.original_encoding[1]
        swap = read_little is not None and read_little != self.little
        if _cw.element_fast(self.out, elem, self.little, self.implicit, encodings in _LATIN1, swap):
            return
        tag = int(elem.tag)
        vr = elem.VR
        if not self.implicit and vr and len(vr) != 2:
            raise DicomWriteError(
                f"Cannot write ambiguous VR of '{vr}' for data element with tag {elem.tag!r}.\n"
                "Set the correct VR before writing, or use an implicit VR transfer syntax"
            )
        undefined = bool(elem.is_undefined_length)
        if vr == "SQ":
            self.sequence(elem, tag, undefined, encodings)
            return
        value = b"" if elem.is_empty else self.value(elem, vr, encodings, ds)
        if undefined and tag == _PIXEL_DATA:
            item = b"\xfe\xff\x00\xe0" if self.little else b"\xff\xfe\xe0\x00"
            if not value[:4].startswith(item):
                raise DicomWriteError(
                    "The (7FE0,0010) 'Pixel Data' element value hasn't been encapsulated as required "
                    "for a compressed transfer syntax - see pydicom.encaps.encapsulate() for more "
                    "information"
                )
        if not self.implicit and vr not in _LENGTH_32 and not undefined and len(value) > 0xFFFF:
            msg = (
                f"The value for the data element {elem.tag} exceeds the size of 64 kByte and cannot "
                "be written in an explicit transfer syntax. The data element VR is changed from "
                f"'{vr}' to 'UN' to allow saving the data."
            )
            logger.warning(msg)
            warnings.warn(msg, UserWarning, stacklevel=4)
            vr = "UN"
        self.header(tag, vr, len(value), undefined)
        self.out += value
        if undefined:
            self.delimiter(0xFFFEE0DD)

    def value(self, elem: Any, vr: str, encodings: tuple[str, ...], ds: Any) -> bytes:
        value = elem.value
        if vr in _TEXT_VRS:
            return _text(value, encodings)
        if vr == "PN":
            return _pn(elem, value, encodings)
        if vr in _STRING_VRS:
            return _string(value, " ")
        if vr == "UI":
            return _string(value, "\0")
        if vr in ("DS", "IS"):
            return _number_string(value, encodings)
        if vr in _DATE_FORMATS:
            return _date(vr, value)
        fmt = _NUMBER_FORMATS.get(vr)
        if fmt is not None:
            return _numbers(elem, value, fmt, self.little)
        if vr in _BYTES_VRS:
            data = _bytes_value(value)
            size = _SWAP_SIZE.get(vr)
            if size and int(elem.tag) == _PIXEL_DATA:
                # pixel data is ordered by its Bits Allocated, not by the VR's word
                bits = ds.get("BitsAllocated")
                if isinstance(bits, int) and bits in (32, 64):
                    size = bits // 8
            if size and ds.original_encoding[1] is not None and ds.original_encoding[1] != self.little:
                data = _swap(data, size)
            return _pad(data, b"\0")
        if vr == "UN":
            return _bytes_value(value)
        if vr == "AT":
            return _at(value, self.little)
        raise DicomWriteError(f"write_data_element: unknown Value Representation '{vr}'")

    def sequence(self, elem: Any, tag: int, undefined: bool, encodings: tuple[str, ...]) -> None:
        start = len(self.out)
        self.header(tag, "SQ", 0, undefined)
        body = len(self.out)
        if not elem.is_empty:
            for item in elem.value:
                self.item(item, encodings)
        if undefined:
            self.delimiter(0xFFFEE0DD)
        else:
            self.patch_length(start, len(self.out) - body)

    def item(self, ds: Any, encodings: tuple[str, ...]) -> None:
        start = len(self.out)
        self.out += self._tag(0xFFFE, 0xE000)
        self.out += b"\xff\xff\xff\xff"
        self.depth += 1
        self.dataset(ds, encodings)
        self.depth -= 1
        if getattr(ds, "is_undefined_length_sequence_item", False):
            self.delimiter(0xFFFEE00D)
        else:
            self.out[start + 4:start + 8] = self._u32(len(self.out) - start - 8)

    def patch_length(self, start: int, length: int) -> None:
        pos = start + (4 if self.implicit else 8)  # implicit: tag, length; explicit SQ: tag, VR, 00
        self.out[pos:pos + 4] = self._u32(length)


def _parent_encoding_of(ds: Any) -> tuple[str, ...]:
    view = ds._view
    if view is not None:
        return tuple(view.parent_encoding)
    return tuple(ds._parent_encoding)


def _encodings_of(charset_elem: Any, parent: tuple[str, ...]) -> tuple[str, ...]:
    if charset_elem is None:
        return tuple(parent)
    value = charset_elem.value
    if not value:
        return tuple(parent)
    return tuple(convert_encodings(value))


def _charset_changed(ds: Any, view: View | None, elements: dict[Any, Any]) -> bool:
    """pydicom's ``original_character_set != _character_set``: (0008,0005) replaced."""
    elem = elements.get(_CHARSET)
    if view is None:
        return False
    if elem is None:
        if view.loaded:  # deleted
            return view.index.find(view.first, view.stop, _CHARSET) >= 0
        return False
    if view.raw_entry(elem) >= 0 or elem._source is view:
        return False
    entry = view.index.find(view.first, view.stop, _CHARSET)
    if entry < 0:
        return bool(elem.value)
    original = _cw.raw_charset(view.index, entry)
    return tuple(convert_encodings(original)) != tuple(convert_encodings(elem.value))


def _correct_ambiguous_all(ds: Any) -> None:
    """pydicom's correct_ambiguous_vr before a change of encoding (items included)."""
    for elem in ds:
        if elem.VR in _AMBIGUOUS:
            ds._correct_ambiguous(elem)


def _sorted_tags(ds: Any, view: Any, elements: dict[Any, Any]) -> list[int]:
    if view.loaded:
        return sorted(elements)
    return sorted(view.tags(elements))


# -- the file -------------------------------------------------------------------------


def _determine_encoding(
    ds: Any, tsyntax: Any, implicit_vr: bool | None, little_endian: bool | None, force_encoding: bool
) -> tuple[bool, bool]:
    """pydicom's rules: the Transfer Syntax UID, the arguments, ``is_implicit_VR`` /
    ``is_little_endian``, then the encoding the dataset was read in."""
    arg = (implicit_vr, little_endian)
    if force_encoding:
        if None in arg:
            raise DicomWriteError(
                "'implicit_vr' and 'little_endian' are required if 'force_encoding' is used"
            )
        return (bool(implicit_vr), bool(little_endian))
    if implicit_vr is not None and little_endian is None:
        arg = (implicit_vr, True)
    ds_enc = (ds.is_implicit_VR, ds.is_little_endian)
    fallback: tuple[Any, Any] = (None, None)
    if None not in arg:
        fallback = arg
    elif None not in ds_enc:
        fallback = ds_enc
    elif None not in ds.original_encoding:
        fallback = ds.original_encoding
    if tsyntax is None:
        if None not in fallback:
            return (bool(fallback[0]), bool(fallback[1]))
        raise DicomWriteError(
            "Unable to determine the encoding to use for writing the dataset, please set the file "
            "meta's Transfer Syntax UID or use the 'implicit_vr' and 'little_endian' arguments"
        )
    if tsyntax.is_private and not tsyntax.is_transfer_syntax:
        if None in fallback:
            raise DicomWriteError(
                "The 'implicit_vr' and 'little_endian' arguments are required when using a private "
                "transfer syntax"
            )
        return (bool(fallback[0]), bool(fallback[1]))
    if not tsyntax.is_transfer_syntax:
        raise DicomWriteError(f"The Transfer Syntax UID '{tsyntax.name}' is not a valid transfer syntax")
    if implicit_vr is not None and implicit_vr != tsyntax.is_implicit_VR:
        raise DicomWriteError(
            "The 'implicit_vr' value is not consistent with the required VR encoding for the "
            f"'{tsyntax.name}' transfer syntax"
        )
    if little_endian is not None and little_endian != tsyntax.is_little_endian:
        raise DicomWriteError(
            "The 'little_endian' value is not consistent with the required endianness for the "
            f"'{tsyntax.name}' transfer syntax"
        )
    return (tsyntax.is_implicit_VR, tsyntax.is_little_endian)


def _validate_file_meta(file_meta: Any, enforce_standard: bool) -> None:
    """pydicom's validate_file_meta (with dcmfast's implementation UID and name)."""
    for tag in file_meta._tags():  # (the tags only: an unread File Meta stays unread)
        if int(tag) >> 16 != 2:
            raise DicomWriteError(
                "Only File Meta Information group (0002,eeee) elements may be present in 'file_meta'."
            )
    if not enforce_standard:
        return
    if "FileMetaInformationVersion" not in file_meta or file_meta["FileMetaInformationVersion"].is_empty:
        _meta_set(file_meta, "FileMetaInformationVersion", b"\x00\x01")
    if "ImplementationClassUID" not in file_meta or file_meta["ImplementationClassUID"].is_empty:
        _meta_set(file_meta, "ImplementationClassUID", DCMFAST_IMPLEMENTATION_UID)
    if "ImplementationVersionName" not in file_meta:
        _meta_set(file_meta, "ImplementationVersionName", DCMFAST_IMPLEMENTATION_VERSION)
    from .datadict import dictionary_description

    invalid = [
        f"{Tag(tag)} {dictionary_description(tag)}"
        for tag in (0x00020002, 0x00020003, 0x00020010)
        if tag not in file_meta or file_meta[tag].is_empty
    ]
    if invalid:
        raise DicomWriteError(
            "Required File Meta Information elements are either missing or have an empty value: "
            + ", ".join(invalid)
        )


def _file_meta_bytes(file_meta: Any, enforce_standard: bool) -> bytes:
    _validate_file_meta(file_meta, enforce_standard)
    if enforce_standard and "FileMetaInformationGroupLength" not in file_meta:
        _meta_set(file_meta, "FileMetaInformationGroupLength", 0)
    w = _Writer(False, True)
    w.depth = 1  # one buffer (the group length is patched into it)
    w.dataset(file_meta, ("iso8859",))
    out = w.out
    if 0x00020000 in file_meta:
        # the group length: from the end of its own element to the end of the group
        # (its element is 12 bytes: tag, VR, 2-byte length, UL value)
        if bytes(out[:8]) != b"\x02\x00\x00\x00UL\x04\x00":
            raise DicomWriteError(
                "(0002,0000) File Meta Information Group Length must be a UL of one value to be "
                "written (it is recomputed): correct or delete it"
            )
        out[8:12] = struct.pack("<L", len(out) - 12)
    return bytes(out)


class _Syntax(str):
    """A Transfer Syntax UID with its properties looked up once (UID's are each a lookup)."""

    name: str
    is_private: bool
    is_transfer_syntax: bool
    is_implicit_VR: bool  # noqa: N815 (pydicom's name; set only when is_transfer_syntax)
    is_little_endian: bool
    is_compressed: bool

    def __new__(cls, value: str) -> _Syntax:
        self = str.__new__(cls, value)
        uid = UID(value)
        self.name = uid.name
        self.is_private = uid.is_private
        self.is_transfer_syntax = uid.is_transfer_syntax
        if self.is_transfer_syntax:
            self.is_implicit_VR = uid.is_implicit_VR
            self.is_little_endian = uid.is_little_endian
            self.is_compressed = uid.is_compressed
        return self


_SYNTAXES: dict[str, _Syntax] = {}


def _uid(value: Any) -> Any:
    if value is None:
        return None
    text = str(value)
    found = _SYNTAXES.get(text)
    if found is None:
        found = _Syntax(text)
        if len(_SYNTAXES) < 256:
            _SYNTAXES[text] = found
    return found


def _encode(
    dataset: Any,
    implicit_vr: bool | None,
    little_endian: bool | None,
    enforce_file_format: bool,
    force_encoding: bool,
    write_like_original: bool | None,
    ranges: list[tuple[int, Any, int]] | None = None,
) -> list[Any]:
    """The file's bytes, as a list of chunks (preamble, meta, data set). `ranges`, if
    given, gets (position in the chunks, buffer, offset in it) for each chunk that is a
    large value viewed from the dataset's buffer (see _write_atomic)."""
    if write_like_original is not None:
        warnings.warn(
            "'write_like_original' is deprecated and will be removed in v4.0, please use "
            "'enforce_file_format' instead",
            DeprecationWarning,
            stacklevel=3,
        )
        enforce_file_format = not write_like_original
    cls_name = type(dataset).__name__
    view = dataset._view
    elements = dataset._edict
    low = min(elements, default=0xFFFFFFFF)
    if view is not None and not view.loaded:  # (without making the elements)
        low = min(low, _cw.min_tag(view.index, view.first, view.stop))
    groups = {int(t) >> 16 for t in dataset._tags() if int(t) >> 16 in (0, 2)} if low < 0x00030000 else set()
    if 0 in groups:
        raise DicomWriteError(
            "Command Set elements (0000,eeee) are not allowed when using dcmwrite(), use "
            "write_dataset() instead"
        )
    if 2 in groups:
        raise DicomWriteError(
            "File Meta Information Group elements (0002,eeee) must be in a FileMetaDataset instance "
            f"in the '{cls_name}.file_meta' attribute"
        )
    if force_encoding and enforce_file_format:
        raise DicomWriteError("'force_encoding' cannot be used with 'enforce_file_format'")

    original_meta = dataset.__dict__.get("file_meta")
    # pydicom writes a deep copy of the File Meta (the dataset's own is left as it is);
    # a shallow copy of the elements is enough here: only whole elements are replaced
    # pydicom writes a deep copy of the File Meta; here the dataset's own is written
    # unless something must be set in it (enforce_file_format): then a copy
    file_meta = original_meta if original_meta is not None else FileMetaDataset()
    if enforce_file_format and original_meta is not None:
        file_meta = _meta_copy(original_meta)
    tsyntax = _uid(file_meta.get("TransferSyntaxUID", None))
    encoding = _determine_encoding(dataset, tsyntax, implicit_vr, little_endian, force_encoding)
    if not force_encoding and encoding == (True, False):
        raise DicomWriteError("Implicit VR and big endian is not a valid encoding combination")
    preamble = dataset.__dict__.get("preamble")
    if preamble and len(preamble) != 128:
        raise DicomWriteError(f"'{cls_name}.preamble' must be 128-bytes long")
    if enforce_file_format:
        if tsyntax is None:
            if encoding == (True, True):
                _meta_set(file_meta, "TransferSyntaxUID", _IMPLICIT_LE)
            elif encoding == (False, False):
                _meta_set(file_meta, "TransferSyntaxUID", _EXPLICIT_BE)
            tsyntax = _uid(file_meta.get("TransferSyntaxUID", None))
        meta_class = file_meta.get("MediaStorageSOPClassUID", None)
        ds_class = dataset.get("SOPClassUID", None)
        if meta_class is None or (ds_class and ds_class != meta_class):
            _meta_set(file_meta, "MediaStorageSOPClassUID", ds_class)
        meta_instance = file_meta.get("MediaStorageSOPInstanceUID", None)
        ds_instance = dataset.get("SOPInstanceUID", None)
        if meta_instance is None or (ds_instance and ds_instance != meta_instance):
            _meta_set(file_meta, "MediaStorageSOPInstanceUID", ds_instance)
        _validate_file_meta(file_meta, True)
        if not preamble:
            preamble = b"\x00" * 128
    if tsyntax is not None and not tsyntax.is_private and tsyntax.is_transfer_syntax:
        # PS3.5 A.4: encapsulated pixel data has an undefined length, native a defined one
        pixel = dataset.get(_PIXEL_DATA)
        if pixel is not None and bool(pixel.is_undefined_length) != bool(tsyntax.is_compressed):
            pixel.is_undefined_length = tsyntax.is_compressed
    chunks: list[Any] = []
    if preamble:
        chunks.append(bytes(preamble))
        chunks.append(b"DICM")
    if len(file_meta):
        chunks.append(_file_meta_bytes(file_meta, enforce_file_format))
    w = _Writer(*encoding)
    w.dataset(dataset, ("iso8859",))
    if tsyntax == _DEFLATED_LE:
        import zlib

        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        deflated = b"".join(compressor.compress(part) for part in w.chunks()) + compressor.flush()
        chunks.append(deflated)
        if len(deflated) % 2:
            chunks.append(b"\x00")
    else:
        if ranges is not None:
            ranges += [(len(chunks) + at, buffer, offset) for at, buffer, offset in w.ranges]
        chunks += w.chunks()
    return chunks


def _meta_copy(meta: Any) -> Any:
    """A new File Meta with the same element objects (pydicom writes a deep copy; dcmfast
    never changes an element of it in place: see _meta_set)."""
    new = FileMetaDataset()
    for elem in meta:
        new._edict[elem.tag] = elem
    new.set_original_encoding(False, True)
    new.__dict__["_source_view"] = meta._view
    return new


def _meta_set(meta: Any, keyword: str, value: Any) -> None:
    """Set a File Meta element to a new DataElement (the copy shares the others' objects)."""
    from .datadict import KEYWORD_TO_TAG, dictionary_VR
    from .dataelem import DataElement

    tag = KEYWORD_TO_TAG[keyword]
    meta._edict[BaseTag(tag)] = DataElement(tag, dictionary_VR(tag), value)


def dcmwrite_bytes(
    dataset: Any,
    /,
    *,
    implicit_vr: bool | None = None,
    little_endian: bool | None = None,
    enforce_file_format: bool = False,
    force_encoding: bool = False,
) -> bytes:
    """Encode `dataset` as :func:`dcmwrite` would and return the bytes.

    Parameters
    ----------
    dataset : Dataset
        The dataset (``FileDataset`` for the preamble and ``file_meta``).
    implicit_vr, little_endian : bool, optional
        The encoding when the File Meta has no Transfer Syntax UID (or with
        `force_encoding`).
    enforce_file_format : bool
        Write a conformant DICOM file: a preamble (zeros if none), ``DICM`` and a
        complete File Meta.
    force_encoding : bool
        Encode with `implicit_vr` and `little_endian` whatever the Transfer Syntax UID.

    Returns
    -------
    bytes
        What :func:`dcmwrite` would write: pydicom's bytes, elements not changed since
        the read copied from the file.

    Raises
    ------
    DicomWriteError
        Where pydicom's writer raises ``ValueError`` (same message).

    Examples
    --------
    >>> import dcmfast
    >>> from pydicom.data import get_testdata_file
    >>> ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    >>> data = dcmfast.dcmwrite_bytes(ds)
    >>> dcmfast.dcmread(data) == ds
    True
    """
    return b"".join(_encode(dataset, implicit_vr, little_endian, enforce_file_format, force_encoding, None))


def dcmwrite(
    filename: str | os.PathLike[str] | BinaryIO,
    dataset: Any,
    /,
    __write_like_original: bool | None = None,
    *,
    implicit_vr: bool | None = None,
    little_endian: bool | None = None,
    enforce_file_format: bool = False,
    force_encoding: bool = False,
    overwrite: bool = True,
    fsync: bool = False,
    **kwargs: Any,
) -> None:
    """Write `dataset` to `filename` with pydicom 3.0's ``dcmwrite`` semantics.

    Parameters
    ----------
    filename : str, PathLike or binary file-like
        A path is written atomically: to a temporary file in the same folder, flushed,
        then renamed over the target, so a crash leaves the old file whole (writing
        over the file a dataset was read from, memory-mapped or not, is safe). A
        file-like is written at its current position.
    dataset : Dataset
        The dataset (``FileDataset`` for the preamble and ``file_meta``).
    implicit_vr, little_endian : bool, optional
        The encoding when the File Meta has no Transfer Syntax UID (or with
        ``force_encoding``).
    enforce_file_format : bool
        Write a conformant DICOM file: a preamble (zeros if none), ``DICM`` and a
        complete File Meta (dcmfast's Implementation Class UID where none is given).
    force_encoding : bool
        Encode with `implicit_vr` and `little_endian` whatever the Transfer Syntax UID.
    overwrite : bool
        If False and `filename` is a path that exists, raise ``FileExistsError``.
    fsync : bool
        Flush the temporary file to the disk before the rename (a path only): the new
        file then survives a power failure too, at the cost of a disk round trip (about
        8 ms per file here). Without it the write is still atomic for every crash of the
        process: the rename happens only after every byte was written.
    **kwargs
        ``write_like_original`` only (pydicom 2's name for the third positional
        argument, which pydicom 3 deprecates); any other keyword raises ``TypeError``.

    Raises
    ------
    DicomWriteError
        (a ``ValueError``) for every case where pydicom raises ``ValueError``; the
        message is pydicom's.
    FileExistsError
        `overwrite` is False and the path exists.

    Notes
    -----
    Writing to a path differs from pydicom, which truncates the file and writes in place;
    see ``docs/pydicom-differences.md``.

    Examples
    --------
    >>> import os, tempfile
    >>> import dcmfast
    >>> from pydicom.data import get_testdata_file
    >>> ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    >>> ds.PatientName = "Anonymous"
    >>> path = os.path.join(tempfile.mkdtemp(), "out.dcm")
    >>> dcmfast.dcmwrite(path, ds)
    >>> str(dcmfast.dcmread(path).PatientName)
    'Anonymous'
    """
    write_like_original = kwargs.pop("write_like_original", None)
    if kwargs:
        raise TypeError(f"Invalid keyword argument(s) for dcmwrite(): {', '.join(kwargs)}")
    if __write_like_original is not None and write_like_original is not None:
        raise TypeError("'write_like_original' cannot be used as both a positional and keyword argument")
    if write_like_original is None:
        write_like_original = __write_like_original
    ranges: list[tuple[int, Any, int]] = []
    chunks = _encode(
        dataset, implicit_vr, little_endian, enforce_file_format, force_encoding, write_like_original,
        ranges,
    )
    if isinstance(filename, os.PathLike):
        filename = os.fspath(filename)
    if isinstance(filename, bytes):
        filename = os.fsdecode(filename)
    if isinstance(filename, str):
        _write_atomic(filename, chunks, overwrite, fsync, _file_ranges(dataset, ranges))
        return
    write: Callable[[Any], Any] | None = getattr(filename, "write", None)
    if write is None:
        raise TypeError(
            "dcmwrite: Expected a file path, file-like or writeable buffer, but got "
            f"{type(filename).__name__}"
        )
    for chunk in chunks:
        write(chunk)


def _write_atomic(
    path: str, chunks: list[Any], overwrite: bool, fsync: bool, source: _Source | None = None
) -> None:
    """Write `chunks` to `path` atomically (:func:`dcmfast._atomic.atomic_file`): a crash
    at any point leaves the old file whole, and the temporary file is removed on any error.
    `source`: chunks that are also ranges of an unchanged source file, copied by the
    kernel (see _Source). The chunks go straight to the descriptor (``writev``), never
    through the file object's buffer."""
    with atomic_file(path, overwrite=overwrite, fsync=fsync) as (f, _):
        fd = f.fileno()
        if source is None or not source.write(fd, chunks):
            _write_all(fd, chunks)


def _write_all(fd: int, chunks: list[Any]) -> None:
    """Write every chunk at the file position of `fd`: a few ``writev`` calls."""
    pending = [memoryview(c).cast("B") for c in chunks if len(c)]
    while pending:
        batch = pending[:_IOV_MAX]
        done = os.writev(fd, batch)
        # drop what was written (a partial write resumes inside a chunk)
        k = 0
        while k < len(batch) and done >= len(batch[k]):
            done -= len(batch[k])
            k += 1
        if k < len(batch) and done:
            batch[k] = batch[k][done:]
        pending = batch[k:] + pending[len(batch):]


_IOV_MAX = 512
_SAMPLE = 4096  # bytes compared at each end of a copied range


class _Source:
    """The file a dataset was read from, for copying its large unchanged values (pixel
    data) with ``os.copy_file_range`` (or ``os.sendfile``) into the new file: no pass of
    the bytes through this process. Used only when the file is the one that was read:
    the same size as the read buffer, the same modification time, and the bytes at both
    ends of each range equal to the buffer's (checked on the open descriptor before the
    copy; size and time checked again after it: if the file changed meanwhile, the new
    file is written again from the buffer). Any failure of the kernel copy (another file
    system, no support) falls back to writing the buffer."""

    def __init__(self, path: str, mtime: float, buffer: Any, ranges: dict[int, int]) -> None:
        self.path = path
        self.mtime = mtime
        self.buffer = buffer
        self.ranges = ranges  # chunk position -> offset in the file

    def _same(self, st: os.stat_result) -> bool:
        import stat

        return stat.S_ISREG(st.st_mode) and st.st_size == len(self.buffer) and st.st_mtime == self.mtime

    def write(self, fd: int, chunks: list[Any]) -> bool:
        """Write `chunks` to `fd`, the ranges from the source; False (having written
        nothing) where the source cannot be used."""
        try:
            src = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return False
        try:
            if not self._same(os.fstat(src)):
                return False
            view = memoryview(self.buffer).cast("B")
            for at, offset in self.ranges.items():
                length = len(chunks[at])
                for pos in (offset, offset + max(0, length - _SAMPLE)):
                    size = min(_SAMPLE, length)
                    if os.pread(src, size, pos) != view[pos:pos + size]:
                        return False
            start = os.lseek(fd, 0, os.SEEK_CUR)
            pending: list[Any] = []
            for at, chunk in enumerate(chunks):
                source_at = self.ranges.get(at)
                if source_at is None:
                    pending.append(chunk)
                    continue
                _write_all(fd, pending)
                pending = []
                if not _kernel_copy(src, fd, source_at, len(chunk)):
                    _write_all(fd, [chunk])
            _write_all(fd, pending)
            if not self._same(os.fstat(src)):  # changed while copying: write the buffer
                logger.debug("%s changed while it was copied: written from memory", self.path)
                os.lseek(fd, start, os.SEEK_SET)
                os.ftruncate(fd, start)
                _write_all(fd, chunks)
            return True
        finally:
            os.close(src)


def _kernel_copy(src: int, dst: int, offset: int, length: int) -> bool:
    """Copy `length` bytes of `src` from `offset` to the position of `dst` in the kernel;
    False (dst's position where it was) if neither copy_file_range nor sendfile can."""
    start = os.lseek(dst, 0, os.SEEK_CUR)
    done = 0
    for copy in (_copy_file_range, _sendfile):
        try:
            while done < length:
                n = copy(src, dst, offset + done, length - done)
                if n <= 0:
                    raise OSError("no progress")
                done += n
            return True
        except (OSError, AttributeError):
            os.lseek(dst, start, os.SEEK_SET)
            done = 0
    return False


def _copy_file_range(src: int, dst: int, offset: int, count: int) -> int:
    return os.copy_file_range(src, dst, count, offset_src=offset)


def _sendfile(src: int, dst: int, offset: int, count: int) -> int:
    return os.sendfile(dst, src, offset, count)


def _file_ranges(dataset: Any, ranges: list[tuple[int, Any, int]]) -> _Source | None:
    """The _Source for `ranges` if the dataset was read from a path (its buffer the
    whole file), else None."""
    if not ranges:
        return None
    d = dataset.__dict__
    path = d.get("filename")
    mtime = d.get("timestamp")
    buffer = ranges[0][1]
    if not isinstance(path, str) or not isinstance(mtime, float):
        return None
    if any(b is not buffer for _, b, _ in ranges) or not isinstance(buffer, (bytes, bytearray)):
        return None
    if not hasattr(os, "copy_file_range") and not hasattr(os, "sendfile"):
        return None
    return _Source(path, mtime, buffer, {at: offset for at, _, offset in ranges})


# keep flake-style linters quiet about names used only in annotations
_ = (BaseTag, datetime)
