"""File level reading: input kinds, preamble, File Meta, transfer syntax, deflate.

The whole input is read once into a bytearray (``readinto``), or memory-mapped
on request, or used as given when it already is a buffer; everything after
that (the index, element values, pixel views) refers into that one buffer.
"""
from __future__ import annotations

import mmap as _mmap
import os
import warnings
import zlib

from . import _log
from ._core import fileio as _fileio
from ._core import parse as _parse
from ._core.values import new_buffer
from ._limits import MAX_BYTES_FLOOR, MAX_BYTES_RATIO, default_max_bytes  # noqa: F401 (the cap, see _limits)
from .datadict import tag_arrays
from .dataset import FileDataset, FileMetaDataset
from .errors import InvalidDicomError, ResourceLimitError
from .tag import Tag

TYPE_CHECKING = False  # (not typing.TYPE_CHECKING: `import dcmfast` does not import typing)
if TYPE_CHECKING:
    from typing import Any, Literal, Protocol

    class _BinaryReadable(Protocol):
        def read(self, size: int = ..., /) -> bytes: ...

    #: what dcmread reads: a path, the bytes of a file, a binary file-like, an mmap
    DicomSource = str | os.PathLike[str] | bytes | bytearray | memoryview | _mmap.mmap | _BinaryReadable

__all__ = ["dcmread", "read_file_meta_info", "default_max_bytes"]

_ENTRY_SIZE = 40  # sizeof(Entry) in _core/parse.pxd

_parse.set_dictionary(*tag_arrays())  # precomputed: the dictionary itself loads on first use

IMPLICIT_VR_LE = "1.2.840.10008.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
EXPLICIT_VR_BE = "1.2.840.10008.1.2.2"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
_VALID_VRS = frozenset(
    "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN "
    "UR US UT UV".split()
) | {"OB or OW", "US or SS", "US or OW", "US or SS or OW"}


class _PrefixTooShortError(Exception):
    """A read of a file's first bytes cannot answer: read more of it."""


# stop_before_pixels / specific_tags on a path read its first bytes only, growing
# them (8x each time) until the element stream stops inside them: a header-only
# read of a 50 MB image then reads its header, not the image.
PREFIX_BYTES = 64 << 10
PREFIX_GROWTH = 8


def _load(fp: Any, use_mmap: bool, read_threads: int = 0) -> tuple[Any, Any, bool, float | None]:
    """(buffer, source for FileDataset, caller owns file, st_mtime of a path if known).

    `read_threads` 1 reads a path on the calling thread alone; 0 lets a large file
    be read by two threads."""
    if isinstance(fp, os.PathLike):
        fp = os.fspath(fp)
    if isinstance(fp, str):
        if not use_mmap:
            found = _fileio.read_path(fp, read_threads)
            if found is not None:
                return found[0], fp, False, found[1]
        with open(fp, "rb") as f:
            if use_mmap:
                size = os.fstat(f.fileno()).st_size
                if size == 0:
                    return bytearray(), fp, False, None
                return _mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_READ), fp, False, None
            return _read_all(f), fp, False, None
    if isinstance(fp, (bytes, bytearray, _mmap.mmap)):
        return fp, fp, True, None
    if isinstance(fp, memoryview):
        if not fp.c_contiguous:
            raise TypeError("dcmread: a memoryview input must be C-contiguous")
        return (fp.cast("B") if fp.format != "B" or fp.ndim != 1 else fp), fp, True, None
    if fp is None or not hasattr(fp, "read"):
        raise TypeError(
            f"dcmread: Expected a file path, file-like or readable buffer, but got {type(fp).__name__}"
        )
    return _read_all(fp), fp, True, None


def _read_all(f: Any) -> bytearray:
    """Read the rest of a binary file-like into one bytearray, with readinto when possible."""
    size = None
    try:
        pos = f.tell()
        size = os.fstat(f.fileno()).st_size - pos
    except (OSError, AttributeError, ValueError, io_unsupported()):
        try:
            pos = f.tell()
            end = f.seek(0, 2)
            f.seek(pos)
            size = end - pos
        except (OSError, AttributeError, ValueError):
            size = None
    if size is not None and size >= 0 and hasattr(f, "readinto"):
        buf = new_buffer(size)  # not zeroed: readinto fills it, the rest is cut
        view = memoryview(buf)
        got = 0
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                break
            got += n
        view.release()
        if got < size:
            del buf[got:]
        extra = f.read()
        if extra:
            buf += extra
        return buf
    data = f.read()
    if isinstance(data, str):
        raise TypeError("dcmread: the file-like must be opened in binary mode")
    return bytearray(data)


def io_unsupported() -> type[Exception]:
    import io

    return io.UnsupportedOperation


def _scan(buffer: Any, start: int, implicit: bool, little: bool, max_bytes: int | None = None,
          prefix: bool = False, **stops: Any) -> _parse.Index:
    max_entries = -1 if max_bytes is None else max(max_bytes // _ENTRY_SIZE, 1)
    try:
        return _parse.scan(buffer, start, implicit, little, max_entries=max_entries, **stops)
    except ValueError as exc:
        if prefix:
            raise _PrefixTooShortError from None  # the whole file decides
        message, tag, offset = exc.args
        if message == _parse.TOO_MANY_MESSAGE:
            raise ResourceLimitError(
                f"The element index would exceed max_bytes={max_bytes} ({max_entries} entries) "
                f"[at byte offset {offset}]") from None
        raise InvalidDicomError(message, tag=tag or None, offset=offset) from None


def _decided(index: _parse.Index) -> bool:
    """Whether a scan of a file's first bytes is the scan of the whole file: it stopped
    at a stop condition inside them, with no value cut short and nothing truncated."""
    return bool(index.stopped_early) and index.truncation is None and not index.warnings


def _inflate(buffer: Any, pos: int, max_bytes: int) -> bytearray:
    """Inflate the raw deflate stream at buffer[pos:], refusing to produce more than
    `max_bytes` (a deflate bomb expands 1000 times)."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        out = inflater.decompress(bytes(buffer[pos:]), max_bytes + 1)
        if len(out) <= max_bytes and not inflater.unconsumed_tail:
            out += inflater.flush()
    except zlib.error as exc:
        raise InvalidDicomError(f"Unable to inflate the deflated dataset: {exc}", offset=pos) from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise ResourceLimitError(
            f"The deflated dataset inflates to more than max_bytes={max_bytes} bytes "
            f"[at byte offset {pos}]")
    if not inflater.eof:
        # as zlib.decompress (and so pydicom): a stream without its end is an error
        raise InvalidDicomError(
            "Unable to inflate the deflated dataset: Error -5 while decompressing data: "
            "incomplete or truncated stream", offset=pos)
    return bytearray(out)


def _first_tag(buffer: Any, pos: int, little: bool) -> int | None:
    if pos + 4 > len(buffer):
        return None
    b = bytes(buffer[pos : pos + 4])
    order: Literal["little", "big"] = "little" if little else "big"
    return int.from_bytes(b[0:2], order) << 16 | int.from_bytes(b[2:4], order)


def _check_vr_switch(buffer: Any, pos: int, implicit: bool, little: bool, stop_group: int = -1,
                     prefix: bool = False) -> bool:
    """pydicom's check of the first element: switch implicit/explicit with a warning."""
    if pos + 6 > len(buffer):
        if prefix:
            raise _PrefixTooShortError
        return implicit
    found_implicit = _parse.looks_implicit_at(buffer, pos)
    if found_implicit == implicit:
        return implicit
    tag = _first_tag(buffer, pos, little)
    if stop_group >= 0 and tag is not None and tag >> 16 != stop_group:
        return found_implicit
    if prefix:
        raise _PrefixTooShortError  # warns: read as a whole
    found = "implicit" if found_implicit else "explicit"
    expected = "explicit" if found_implicit else "implicit"
    warnings.warn(f"Expected {expected} VR, but found {found} VR - using {found} VR for reading",
                  UserWarning, stacklevel=4)
    return found_implicit


def _uid_value(index: _parse.Index, entry: int) -> str:
    raw = bytes(index.value_view(entry))
    return raw.decode("latin-1").rstrip("\x00 ").strip()


def dcmread(
    fp: DicomSource,
    defer_size: Any = None,
    stop_before_pixels: bool = False,
    force: bool = False,
    specific_tags: Any = None,
    *,
    mmap: bool = False,
    max_bytes: int | None = None,
    read_threads: int | None = None,
) -> FileDataset:
    """Read a DICOM file (pydicom's ``dcmread`` signature) and return a :class:`FileDataset`.

    The input is read once into memory (or memory-mapped) and indexed in one compiled
    pass; element values are converted when first accessed. The result compares equal,
    element for element, to what ``pydicom.dcmread`` returns (the exceptions are listed
    in ``docs/pydicom-differences.md``).

    Parameters
    ----------
    fp : str, PathLike, bytes, bytearray, memoryview, mmap or binary file-like
        The file: a path, the bytes of a file, a C-contiguous memoryview, an mmap, or a
        file-like opened in binary mode (read from its current position).
    defer_size : int, str or float, optional
        Accepted for pydicom compatibility and ignored: values are always read lazily
        from the one buffer, so there is nothing to defer.
    stop_before_pixels : bool
        Stop before the first (7FE0,0010) Pixel Data (or Float/Double Float Pixel
        Data) element. A path is then read only as far as needed (from 64 KiB on).
    force : bool
        Read a file without the 128-byte preamble and ``DICM`` prefix (or without a
        File Meta) as a bare data set, as pydicom does; without it such input raises
        :class:`InvalidDicomError`.
    specific_tags : list of int, str or tuple, optional
        Keep only these elements (tags or keywords) of the top-level dataset, plus
        (0008,0005) Specific Character Set, as pydicom does.
    mmap : bool
        Memory-map a path instead of reading it (keyword only; dcmfast's own).
    max_bytes : int, optional
        Cap on what this read may allocate beyond the input itself: the inflated data of
        a deflated file, the element index, and the arrays ``pixel_array`` decodes into.
        The default (None) is ``max(2 GiB, 256 x the input size)``, which no real file
        reaches (keyword only; dcmfast's own).
    read_threads : int, optional
        Threads that read a path: by default a path of 8 MiB or more is read by two
        when the process may use two CPUs; 1 keeps the read on the calling thread.

    Returns
    -------
    FileDataset
        The dataset, with ``preamble``, ``file_meta``, ``filename`` and ``timestamp``.

    Raises
    ------
    InvalidDicomError
        The input is not DICOM (no ``DICM`` prefix and not `force`), or is damaged
        where it cannot be read (a ``ValueError``; pydicom's ``InvalidDicomError`` too
        once pydicom is imported). The message names the file, tag and offset.
    ResourceLimitError
        Reading would allocate more than `max_bytes` (raised before the allocation).
    TypeError
        `fp` is not one of the types above (or a text-mode file).
    ValueError
        `read_threads` is less than 1, or `max_bytes` is negative.

    See Also
    --------
    dcmfast.dcmwrite : write a dataset back.

    Examples
    --------
    >>> import dcmfast
    >>> from pydicom.data import get_testdata_file
    >>> ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    >>> ds.Modality
    'CT'
    >>> ds.pixel_array.shape
    (128, 128)
    """
    if read_threads is not None and read_threads < 1:
        raise ValueError("'read_threads' must be at least 1")
    if (stop_before_pixels or specific_tags) and not mmap:
        path = os.fspath(fp) if isinstance(fp, os.PathLike) else fp
        if isinstance(path, str):
            limit = PREFIX_BYTES
            while True:
                found = _fileio.read_path_prefix(path, limit)
                if found is None or len(found[0]) >= found[2]:
                    break  # not a regular file (open() reads it below), or all of it
                try:
                    return read_buffer(found[0], path, stop_before_pixels=stop_before_pixels,
                                       force=force, specific_tags=specific_tags, max_bytes=max_bytes,
                                       _mtime=found[1], _prefix_of=found[2])
                except _PrefixTooShortError:
                    limit *= PREFIX_GROWTH
            if found is not None:
                return read_buffer(found[0], path, stop_before_pixels=stop_before_pixels,
                                   force=force, specific_tags=specific_tags, max_bytes=max_bytes,
                                   _mtime=found[1])
    buffer, source, _owned, mtime = _load(fp, mmap, 1 if read_threads == 1 else 0)
    return read_buffer(buffer, source, stop_before_pixels=stop_before_pixels, force=force,
                       specific_tags=specific_tags, max_bytes=max_bytes, _mtime=mtime)


def read_buffer(
    buffer: Any,
    source: Any = None,
    *,
    stop_before_pixels: bool = False,
    force: bool = False,
    specific_tags: Any = None,
    max_bytes: int | None = None,
    _mtime: float | None = None,
    _prefix_of: int | None = None,
) -> FileDataset:
    """dcmread of a buffer. `_prefix_of`: the buffer holds only the first bytes of a
    file of that size; _PrefixTooShortError is raised (before any warning or log) where they do
    not decide the result, or that result would warn."""
    size = len(buffer)
    prefix = _prefix_of is not None
    if max_bytes is None:
        max_bytes = default_max_bytes(size if _prefix_of is None else _prefix_of)
    elif max_bytes < 0:
        raise ValueError(f"max_bytes must not be negative, not {max_bytes}")
    # preamble and prefix
    if size >= 132 and buffer[128:132] == b"DICM":
        preamble: bytes | None = bytes(buffer[:128])
        pos = 132
    elif prefix and (force or size < 132):
        raise _PrefixTooShortError  # force logs, and reads what follows: read as a whole
    elif force:
        if _log.enabled(_log.INFO):
            _log.logger().info(
                "File is not conformant with the DICOM File Format: 'DICM' prefix is missing from the "
                "File Meta Information header or the header itself is missing. Assuming no header and "
                "continuing."
            )
        preamble = None
        pos = 0
    else:
        raise InvalidDicomError(
            "File is missing DICOM File Meta Information header or the 'DICM' prefix is missing "
            "from the header. Use force=True to force reading."
        )

    # File Meta Information: group 0002, explicit VR little endian
    meta_implicit = _check_vr_switch(buffer, pos, False, True, stop_group=2, prefix=prefix)
    meta_index = _scan(buffer, pos, meta_implicit, True, max_bytes, prefix, stop_group=2)
    if prefix and not _decided(meta_index):
        raise _PrefixTooShortError
    file_meta = FileMetaDataset._from_index(meta_index, 0, len(meta_index), meta_implicit, ("iso8859",), None)
    file_meta.__dict__["_read_charset"] = "iso8859"
    meta_end = meta_index.stop_offset
    gl = meta_index.find(0, len(meta_index), 0x00020000)
    if gl >= 0 and _log.enabled(_log.INFO):
        try:
            declared = file_meta[0x00020000].value
            if declared != meta_end - (pos + 12):
                if prefix:
                    raise _PrefixTooShortError
                _log.logger().info(
                    "File Meta Information Group Length value doesn't match the actual File Meta "
                    "Information length (%s vs %s bytes)", declared, meta_end - (pos + 12),
                )
        except _PrefixTooShortError:
            raise
        except Exception:  # noqa: BLE001 - a broken group length is only informational
            pass
    pos = meta_end

    # transfer syntax
    implicit, little = True, True
    ts_entry = meta_index.find(0, len(meta_index), 0x00020010)
    transfer_syntax = _uid_value(meta_index, ts_entry) if ts_entry >= 0 else None
    data_buffer = buffer
    if pos >= size:
        pass
    elif transfer_syntax is None:
        if pos + 6 <= size:
            group = int.from_bytes(bytes(buffer[pos : pos + 2]), "little")
            vr = bytes(buffer[pos + 4 : pos + 6]).decode("latin-1")
            if vr in _VALID_VRS:
                implicit = False
                if group >= 1024:
                    little = False
    elif transfer_syntax == IMPLICIT_VR_LE:
        pass
    elif transfer_syntax == EXPLICIT_VR_BE:
        implicit, little = False, False
    elif transfer_syntax == DEFLATED_LE:
        if prefix:
            raise _PrefixTooShortError  # the stream is inflated whole
        implicit = False
        data_buffer = _inflate(buffer, pos, max_bytes)
        pos = 0
    else:
        implicit = False

    stops: dict[str, Any] = {}
    tag_filter = None
    if stop_before_pixels:
        stops["stop_pixels"] = True
    if specific_tags:
        tag_filter = {Tag(t) for t in specific_tags}
        tag_filter.add(Tag(0x00080005))
        stops["stop_after"] = max(tag_filter)
    parse_implicit = _check_vr_switch(data_buffer, pos, implicit, little, prefix=prefix)
    index = _scan(data_buffer, pos, parse_implicit, little, max_bytes, prefix, **stops)
    if prefix and not _decided(index):
        raise _PrefixTooShortError
    if index.truncation is not None:
        message, tag, offset = index.truncation
        where = InvalidDicomError(message, tag=tag or None, offset=offset)
        warnings.warn(
            f"End of file reached before delimiter (FFFE,E0DD) found: {where}; the elements "
            "before it were read",
            UserWarning,
            stacklevel=3,
        )
    ds = FileDataset._from_index(index, 0, len(index), parse_implicit, ("iso8859",), None)
    # as pydicom, original_encoding follows the transfer syntax even where the
    # data had to be parsed with the other VR encoding
    ds._init_file(source, preamble, file_meta, implicit, little, _mtime)
    ds.__dict__["_buffer"] = data_buffer
    ds.__dict__["_max_bytes"] = max_bytes
    if index.warnings and _log.enabled(_log.DEBUG):
        _log.logger().debug("%d value(s) ran past the end of the data and were clipped", index.warnings)
    if tag_filter is not None:
        ds._keep_only(tag_filter)
    return ds


def read_file_meta_info(filename: Any) -> FileMetaDataset:
    """Read only the File Meta Information (group 0002) of a file.

    Parameters
    ----------
    filename : str, PathLike, bytes or binary file-like
        The file, as :func:`dcmread` takes it. Only the first bytes of a path are read.

    Returns
    -------
    FileMetaDataset
        The File Meta elements (empty when the file has none).

    Raises
    ------
    InvalidDicomError
        The input is not a DICOM file (no ``DICM`` prefix).
    """
    ds = dcmread(filename, specific_tags=[0x00020000])
    return ds.file_meta
