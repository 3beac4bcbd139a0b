"""Encapsulated pixel data (PS3.5 A.4): items, fragments and frames.

Fragments are returned as zero-copy memoryview slices of the Pixel Data value;
a frame made of one fragment is that slice, a frame spread over several
fragments is their concatenation. Every item length and table offset is
checked against the bytes that exist before it is used. Frames are located as
pydicom 3 does: Extended Offset Table, else Basic Offset Table, else one frame
per fragment, all fragments for one frame, or JPEG end-of-image markers.

:func:`encapsulate` and :func:`encapsulate_extended` go the other way: encoded
frames to a Pixel Data value (and Extended Offset Table values), byte for byte
what ``pydicom.encaps`` gives for the same frames.
"""
from __future__ import annotations

import bisect
import logging
import struct
from collections.abc import Iterator
from typing import Any, NamedTuple

from dcmfast.errors import PixelDataError

__all__ = ["Fragment", "Frame", "parse_fragments", "locate_frames", "select_frames",
           "encapsulate", "encapsulate_extended", "encapsulate_frames", "generate_frames",
           "get_frame"]

LOGGER = logging.getLogger(__name__)

_ITEM = 0xE000FFFE  # (FFFE,E000) read as a little-endian uint32
_SEQUENCE_DELIMITER = 0xE0DDFFFE
_HEADER = struct.Struct("<II")


class Fragment(NamedTuple):
    offset: int  # of the item header, relative to the first fragment's item header
    value_offset: int  # of the fragment bytes inside the Pixel Data value
    data: memoryview


class Frame(NamedTuple):
    data: Any  # memoryview (one fragment) or bytes (joined fragments)
    offset: int  # where the frame's first byte sits in the Pixel Data value


def _where(offset: int) -> str:
    return f"[at byte offset {offset} of the Pixel Data value]"


def parse_fragments(data: memoryview) -> tuple[list[int], list[Fragment]]:
    """The Basic Offset Table entries and the fragments of encapsulated `data`."""
    size = len(data)
    if size < 8:
        raise PixelDataError(f"Encapsulated pixel data of {size} bytes has no Basic Offset Table item")
    tag, length = _HEADER.unpack_from(data, 0)
    if tag != _ITEM:
        raise PixelDataError(
            f"Encapsulated pixel data must start with an item tag (FFFE,E000), found "
            f"({tag & 0xFFFF:04X},{tag >> 16:04X}) {_where(0)}")
    if length % 4 or 8 + length > size:
        raise PixelDataError(
            f"Basic Offset Table length {length} is not a multiple of 4 or runs past the "
            f"{size}-byte pixel data {_where(4)}")
    basic = list(struct.unpack_from(f"<{length // 4}I", data, 8))
    first = pos = 8 + length
    fragments: list[Fragment] = []
    while pos + 8 <= size:
        tag, length = _HEADER.unpack_from(data, pos)
        if tag == _SEQUENCE_DELIMITER:
            break
        if tag != _ITEM:
            raise PixelDataError(
                f"Unexpected tag ({tag & 0xFFFF:04X},{tag >> 16:04X}) where a fragment item "
                f"was expected {_where(pos)}")
        if pos + 8 + length > size:
            raise PixelDataError(
                f"Fragment {len(fragments)} of {length} bytes is truncated: only "
                f"{size - pos - 8} bytes remain {_where(pos + 4)}")
        fragments.append(Fragment(pos - first, pos + 8, data[pos + 8 : pos + 8 + length]))
        pos += 8 + length
    else:
        if pos != size:
            raise PixelDataError(f"{size - pos} stray bytes after the last fragment {_where(pos)}")
    return basic, fragments


def _extended_frames(eot: tuple[Any, Any], data: memoryview, first: int) -> list[Frame] | None:
    offsets_raw, lengths_raw = (memoryview(v).cast("B") for v in eot)
    if len(offsets_raw) % 8 or len(lengths_raw) % 8 or len(offsets_raw) != len(lengths_raw):
        LOGGER.warning(
            "The (7FE0,0001) 'Extended Offset Table' and (7FE0,0002) 'Extended Offset "
            "Table Lengths' don't match - the extended offset table will be ignored")
        return None
    n = len(offsets_raw) // 8
    offsets = struct.unpack(f"<{n}Q", offsets_raw)
    lengths = struct.unpack(f"<{n}Q", lengths_raw)
    frames = []
    for i, (offset, length) in enumerate(zip(offsets, lengths, strict=True)):
        start = first + offset + 8
        if start + length > len(data):
            raise PixelDataError(
                f"Extended Offset Table entry {i} (offset {offset}, length {length}) runs "
                f"past the {len(data)}-byte pixel data")
        frames.append(Frame(data[start : start + length], start))
    return frames


def _join(fragments: list[Fragment]) -> Frame:
    if len(fragments) == 1:
        return Frame(fragments[0].data, fragments[0].value_offset)
    return Frame(b"".join(f.data for f in fragments), fragments[0].value_offset)


def locate_frames(data: memoryview, number_of_frames: int,
                  extended_offsets: tuple[Any, Any] | None = None) -> list[Frame]:
    """Every frame of the encapsulated pixel data `data`, in order.

    May return more frames than `number_of_frames` (pydicom's excess frames),
    never fewer without raising when the tables make that certain.
    """
    basic, fragments = parse_fragments(data)
    first = 8 + 4 * len(basic)
    if extended_offsets:
        frames = _extended_frames(extended_offsets, data, first)
        if frames is not None:
            return frames

    if basic:
        if any(b < a for a, b in zip(basic, basic[1:], strict=False)):
            raise PixelDataError(f"The Basic Offset Table offsets decrease: {basic[:8]}...")
        groups: list[list[Fragment]] = [[] for _ in basic]
        for fragment in fragments:
            index = bisect.bisect_right(basic, fragment.offset) - 1
            if index < 0:
                raise PixelDataError(
                    f"The Basic Offset Table's first offset {basic[0]} skips fragment data")
            groups[index].append(fragment)
        for i, group in enumerate(groups):
            if not group:
                raise PixelDataError(
                    f"Basic Offset Table entry {i} (offset {basic[i]}) points to no fragment")
        return [_join(group) for group in groups]

    if not fragments:
        raise PixelDataError("The encapsulated pixel data contains no fragments")
    if len(fragments) == number_of_frames or len(fragments) == 1:
        return [_join([f]) for f in fragments]
    if number_of_frames == 1:
        return [_join(fragments)]
    if len(fragments) > number_of_frames:
        # several fragments per frame, no table: a JPEG EOI marker ends a frame
        frames, current = [], []
        for fragment in fragments:
            current.append(fragment)
            if b"\xff\xd9" in bytes(fragment.data[-10:]):
                frames.append(_join(current))
                current = []
        if current:
            LOGGER.warning("The end of the encapsulated pixel data has been reached without a "
                           "JPEG EOI/EOC marker ending the last frame")
            frames.append(_join(current))
        return frames
    raise PixelDataError(
        f"Unable to locate {number_of_frames} frames in the encapsulated pixel data: there "
        f"are only {len(fragments)} fragments and no offset table; the dataset may be corrupt "
        "or (0028,0008) 'Number of Frames' may be incorrect")


def select_frames(frames: list[Frame], number_of_frames: int, indices: list[int] | None) -> list[int]:
    """The indices of the frames to decode (all `number_of_frames` when None), each
    checked to exist, so no output is sized for frames that are not there."""
    if indices is None:
        if len(frames) < number_of_frames:
            raise PixelDataError(
                f"The encapsulated pixel data holds {len(frames)} frames, (0028,0008) 'Number "
                f"of Frames' says {number_of_frames}")
        return list(range(number_of_frames))
    for i in indices:
        if not 0 <= i < len(frames):
            raise PixelDataError(f"Frame index {i} is out of range: {len(frames)} frames found")
    return list(indices)


_ITEM_TAG = b"\xfe\xff\x00\xe0"
_TRIM_BYTES = 4 << 20  # encapsulate_frames gives freed frames back every this many bytes
_MAX_OFFSET = 2**32 - 1


def _fragment_lengths(frame_length: int, nr_fragments: int) -> tuple[int, int]:
    """(length of each of the first nr_fragments - 1 fragments, the last one's
    unpadded length) for a frame of frame_length bytes, as pydicom splits it."""
    if nr_fragments < 1 or nr_fragments > (frame_length + 1) / 2.0:
        raise ValueError("Too many fragments requested (the minimum fragment size is 2 bytes)")
    length = int(frame_length / nr_fragments)
    length += length % 2  # every item is of even length
    return length, frame_length - length * (nr_fragments - 1)


def encapsulate(frames: list[Any], fragments_per_frame: int = 1, has_bot: bool = True) -> bytes:
    """The encapsulated Pixel Data value (PS3.5 A.4) of the encoded `frames`.

    A Basic Offset Table item (holding each frame's offset when `has_bot`), then
    each frame as `fragments_per_frame` fragment items of even length (the last
    padded with a zero byte if needed). Byte for byte ``pydicom.encaps.encapsulate``
    (same arguments, same errors), written straight into the bytes it returns.

    Parameters
    ----------
    frames : list of bytes-like
        The encoded frames.
    fragments_per_frame : int
        Fragments each frame is split into (pydicom's rules).
    has_bot : bool
        Fill the Basic Offset Table (else it is empty).

    Returns
    -------
    bytes
        The Pixel Data value (to be written with an undefined length).

    Raises
    ------
    ValueError
        As pydicom's: too many fragments for a frame, or an offset beyond 32 bits
        (use :func:`encapsulate_extended`).
    """
    return _encapsulate(frames, fragments_per_frame, has_bot, consume=False)


def encapsulate_frames(frames: list[Any], *, extended: bool = False) -> Any:
    """:func:`encapsulate` (``extended``: :func:`encapsulate_extended`) that takes the
    frames out of the list as it copies them (each entry becomes None): a frame no one
    else holds is freed once copied, so the peak memory is the frames plus one frame,
    not twice them."""
    if extended:
        return _encapsulate_extended(frames, consume=True)
    return _encapsulate(frames, 1, True, consume=True)


def _encapsulate(frames: list[Any], fragments_per_frame: int, has_bot: bool,
                 consume: bool) -> bytes:
    from dcmfast._core.bytesout import BytesBuilder, trim_heap

    nr_frames = len(frames)
    sizes = []
    for f in frames:
        with memoryview(f) as view:
            sizes.append(view.nbytes)
    if has_bot:
        total = (nr_frames - 1) * 8 + sum(sizes[:-1])
        if total > _MAX_OFFSET:
            raise ValueError(
                f"The total length of the encapsulated frame data ({total} bytes) will be "
                f"greater than the maximum allowed by the Basic Offset Table ({_MAX_OFFSET} "
                "bytes): use encapsulate_extended() and the Extended Offset Table instead")
    splits = [_fragment_lengths(size, fragments_per_frame) for size in sizes]
    items = [8 * fragments_per_frame + length * (fragments_per_frame - 1) + last + last % 2
             for length, last in splits]
    bot = 4 * nr_frames if has_bot else 0
    offsets: list[int] = []
    if has_bot:
        offset = 0
        for size in items:
            if offset > _MAX_OFFSET:  # padding pushed a frame past what the table holds
                raise ValueError(f"A frame's Basic Offset Table offset {offset} is larger than "
                                 f"{_MAX_OFFSET}: use encapsulate_extended()")
            offsets.append(offset)
            offset += size
    if consume:  # the frames' spare memory (e.g. the encoder's worst-case tails) back first
        trim_heap()
    freed = 0
    builder = BytesBuilder(8 + bot + sum(items))
    with memoryview(builder) as out:  # type: ignore[arg-type]  # a Cython buffer exporter
        _HEADER.pack_into(out, 0, _ITEM, bot)
        if has_bot:
            struct.pack_into(f"<{nr_frames}I", out, 8, *offsets)
        pos = 8 + bot
        for k, (length, last) in enumerate(splits):
            with memoryview(frames[k]) as raw, raw.cast("B") as view:
                start = 0
                for i in range(fragments_per_frame):
                    size = length if i < fragments_per_frame - 1 else last
                    padded = size + size % 2
                    _HEADER.pack_into(out, pos, _ITEM, padded)
                    out[pos + 8 : pos + 8 + size] = view[start : start + size]
                    if padded != size:
                        out[pos + 8 + size] = 0
                    pos += 8 + padded
                    start += size
            if consume:
                frames[k] = None
                freed += sizes[k]
                if freed >= _TRIM_BYTES:  # freed frames back, so the output takes their place
                    trim_heap()
                    freed = 0
    return builder.value


def encapsulate_extended(frames: list[Any]) -> tuple[bytes, bytes, bytes]:
    """(Pixel Data value, Extended Offset Table, Extended Offset Table Lengths) for
    the encoded `frames`: one fragment per frame, an empty Basic Offset Table, and
    each frame's offset and (padded) length as 64-bit values. Byte for byte
    ``pydicom.encaps.encapsulate_extended``.

    Parameters
    ----------
    frames : list of bytes-like
        The encoded frames.

    Returns
    -------
    tuple of (bytes, bytes, bytes)
    """
    return _encapsulate_extended(frames, consume=False)


def _encapsulate_extended(frames: list[Any], *, consume: bool) -> tuple[bytes, bytes, bytes]:
    """encapsulate_extended; with `consume` the frames are taken out of the list as
    they are copied (see :func:`encapsulate_frames`)."""
    if not frames:
        raise ValueError("No frames to encapsulate")
    lengths = []
    for f in frames:
        with memoryview(f) as view:
            lengths.append(view.nbytes + view.nbytes % 2)
    offsets, offset = [], 0
    for n in lengths:
        offsets.append(offset)
        offset += n + 8
    nr_frames = len(frames)
    return (_encapsulate(frames, 1, False, consume), struct.pack(f"<{nr_frames}Q", *offsets),
            struct.pack(f"<{nr_frames}Q", *lengths))


def _frames_of(buffer: Any, number_of_frames: int | None,
               extended_offsets: tuple[Any, Any] | None) -> list[Frame]:
    data = memoryview(buffer).cast("B")
    if extended_offsets:  # pydicom also takes lists of ints
        offsets, lengths = (v if not isinstance(v, list) else struct.pack(f"<{len(v)}Q", *v)
                            for v in extended_offsets)
        extended_offsets = (offsets, lengths)
    if number_of_frames is None:
        basic, fragments = parse_fragments(data)
        if not basic and not extended_offsets and len(fragments) > 1:
            raise ValueError(
                "Unable to determine the frame boundaries for the encapsulated pixel data as "
                "there is no Basic or Extended Offset Table and the number of frames has not "
                "been supplied")
        number_of_frames = 1
    return locate_frames(data, number_of_frames, extended_offsets)


def generate_frames(buffer: Any, *, number_of_frames: int | None = None,
                    extended_offsets: tuple[Any, Any] | None = None) -> Iterator[bytes]:
    """Each frame of the encapsulated Pixel Data value `buffer`, as bytes (its
    fragments joined), as ``pydicom.encaps.generate_frames`` gives them for
    well-formed data: frames found by the Extended Offset Table (bytes or lists of
    ints), else the Basic Offset Table, else one per fragment (`number_of_frames`
    needed when there are several fragments and no table).

    Parameters
    ----------
    buffer : bytes-like
        The encapsulated Pixel Data value.
    number_of_frames : int, optional
        The dataset's Number of Frames.
    extended_offsets : tuple, optional
        (Extended Offset Table, Extended Offset Table Lengths).

    Yields
    ------
    bytes
        Each frame.

    Raises
    ------
    PixelDataError
        The value is not well-formed encapsulated data.
    """
    for frame in _frames_of(buffer, number_of_frames, extended_offsets):
        yield bytes(frame.data)


def get_frame(buffer: Any, index: int, *, extended_offsets: tuple[Any, Any] | None = None,
              number_of_frames: int | None = None) -> bytes:
    """Frame `index` of the encapsulated Pixel Data value `buffer` (see
    :func:`generate_frames`); a missing frame raises :class:`PixelDataError`.

    Parameters
    ----------
    buffer : bytes-like
        The encapsulated Pixel Data value.
    index : int
        The frame (0-based).
    extended_offsets : tuple, optional
        (Extended Offset Table, Extended Offset Table Lengths).
    number_of_frames : int, optional
        The dataset's Number of Frames.

    Returns
    -------
    bytes
    """
    frames = _frames_of(buffer, number_of_frames, extended_offsets)
    if not 0 <= index < len(frames):
        raise PixelDataError(f"There is no frame {index}: {len(frames)} frames found")
    return bytes(frames[index].data)
