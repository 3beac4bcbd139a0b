"""Seed files and deterministic mutations of them.

Seeds are listed from the installed corpora (pydicom's ``data/test_files`` and
pydicom-data's ``data_store/data``), never fetched. Mutations are generated from
each seed's element layout (found with dcmfast's own scanner) so they hit the
fields that matter: truncations, length fields, VRs, delimiters, the Image Pixel
values, RLE headers and encapsulated fragments; plus seeded random byte edits.
Everything is deterministic: the same seeds give the same inputs in the same order.
"""
from __future__ import annotations

import importlib.util
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dcmfast import reader as _reader  # noqa: F401  (installs the dictionary tables)
from dcmfast._core import parse as _parse


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _dirs() -> list[Path]:
    out = []
    pyd = _package_dir("pydicom")
    if pyd is not None:
        out.append(pyd / "data" / "test_files")
    store = _package_dir("data_store")
    if store is not None:
        out.append(store / "data")
    return out


# One seed per encoding and pixel path (small files: the mutation count is per seed).
SEED_NAMES = [
    "CT_small.dcm",                 # explicit VR LE, 16-bit native
    "MR_small_implicit.dcm",        # implicit VR LE
    "MR_small_bigendian.dcm",       # explicit VR BE, 16-bit
    "image_dfl.dcm",                # deflated explicit VR LE
    "no_meta.dcm",                  # no preamble, no meta (implicit)
    "ExplVR_BigEndNoMeta.dcm",      # no meta, explicit BE
    "ExplVR_LitEndNoMeta.dcm",      # no meta, explicit LE
    "meta_missing_tsyntax.dcm",
    "nested_priv_SQ.dcm",           # nested private sequences
    "priv_SQ.dcm",
    "UN_sequence.dcm",              # a sequence stored as UN
    "rtplan.dcm",                   # nested, undefined-length sequences
    "reportsi.dcm",                 # SR: deep nesting
    "badVR.dcm",
    "empty_charset_LEI.dcm",
    "JPEG-lossy.dcm",               # JPEG baseline/extended (encapsulated)
    "SC_rgb_jpeg_dcmtk.dcm",        # JPEG RGB
    "JPEGLSNearLossless_08.dcm",    # JPEG-LS
    "MR_small_RLE.dcm",             # RLE 16-bit
    "SC_rgb_rle_2frame.dcm",        # RLE RGB multi-frame
    "SC_rgb_rle_32bit.dcm",         # RLE 32-bit
    "rtdose_1frame.dcm",            # native 32-bit
    "rtdose.dcm",                   # native 32-bit multi-frame
    "rtdose_rle_1frame.dcm",
    "SC_rgb_small_odd.dcm",         # odd sizes, RGB
    "SC_rgb_small_odd_big_endian.dcm",
    "liver_1frame.dcm",             # 1-bit
    "SC_ybr_full_422_uncompressed.dcm",
    "OBXXXX1A_rle.dcm",             # RLE 8-bit palette
]


def seed_paths() -> list[Path]:
    found = {}
    for d in _dirs():
        if d.is_dir():
            for name in SEED_NAMES:
                p = d / name
                if p.is_file() and name not in found:
                    found[name] = p
    return [found[n] for n in SEED_NAMES if n in found]


@dataclass(frozen=True)
class Header:
    """One indexed element or item header in a seed's bytes."""

    tag: int
    offset: int        # header start (absolute)
    value_offset: int  # value start (absolute)
    length: int        # indexed value length
    vr: str            # '' for implicit / items
    little: bool
    len_offset: int    # where the length field is
    len_size: int      # 2 or 4


ITEM_TAGS = {0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD}


def _headers_of(buf: bytes, start: int, implicit: bool, little: bool, base: int = 0,
                **stops) -> tuple[list[Header], int]:
    try:
        index = _parse.scan(buf, start, implicit, little, **stops)
    except ValueError:
        return [], start
    out = []
    for i in range(len(index)):
        tag, vr, flags, _end, _parent, offset, voff, length = index.entry(i)
        vrs = (chr(vr >> 8) + chr(vr & 0xFF)) if vr else ""
        hlen = voff - offset
        if hlen == 12:
            len_off, len_size = offset + 8, 4
        elif hlen == 8 and vrs and not (flags & 2):
            len_off, len_size = offset + 6, 2
        else:
            len_off, len_size = offset + 4, 4
        out.append(Header(tag, base + offset, base + voff, length, vrs, little, base + len_off, len_size))
    return out, index.stop_offset


def layout(data: bytes) -> tuple[list[Header], dict]:
    """The element headers of `data` (meta and dataset) and facts about it."""
    info: dict = {"deflated": False, "data_start": 0, "little": True}
    pos = 132 if data[128:132] == b"DICM" else 0
    meta, meta_end = _headers_of(data, pos, False, True, stop_group=2)
    ts = None
    for h in meta:
        if h.tag == 0x00020010:
            ts = data[h.value_offset:h.value_offset + h.length].rstrip(b"\0 ").decode("latin-1")
            info["ts_header"] = h
    implicit, little = ts in (None, "1.2.840.10008.1.2"), ts != "1.2.840.10008.1.2.2"
    if ts is None and pos + 6 <= len(data[meta_end:]):
        implicit = not data[meta_end + 4:meta_end + 6].isalpha()
        little = not (implicit is False and int.from_bytes(data[meta_end:meta_end + 2], "little") >= 1024)
    info.update(ts=ts, data_start=meta_end, little=little, implicit=implicit)
    if ts == "1.2.840.10008.1.2.1.99":
        info["deflated"] = True
        return meta, info
    body, _ = _headers_of(data, meta_end, implicit, little)
    return meta + body, info


# -------------------------------------------------------------------------- mutations

def _put(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value):]


def _pack(value: int, size: int, little: bool) -> bytes:
    return value.to_bytes(size, "little" if little else "big")


_PIXEL_US = {
    0x00280002: [0, 2, 3, 4, 0xFFFF],           # SamplesPerPixel
    0x00280006: [1, 2, 0xFFFF],                  # PlanarConfiguration
    0x00280010: [0, 1, 3, 0x8000, 0xFFFF],       # Rows
    0x00280011: [0, 1, 7, 0x8000, 0xFFFF],       # Columns
    0x00280100: [0, 1, 7, 12, 16, 32, 64, 0xFF, 0xFFFF],  # BitsAllocated
    0x00280101: [0, 1, 17, 33, 0xFFFF],          # BitsStored
    0x00280102: [0, 0xFFFF],                     # HighBit
    0x00280103: [1, 2, 0xFFFF],                  # PixelRepresentation
}
_FRAMES = [b"0", b"-1", b"2", b"3", b"99999999", b"1e9", b"abc", b"4294967296", b"",
           b"2\\3"]
_PHOTOMETRIC = [b"YBR_FULL_422", b"YBR_FULL", b"RGB", b"MONOCHROME1", b"PALETTE COLOR", b"XYZ",
                b"\xff\xfe"]
_SYNTAXES = [b"1.2.840.10008.1.2", b"1.2.840.10008.1.2.1", b"1.2.840.10008.1.2.2",
             b"1.2.840.10008.1.2.5", b"1.2.840.10008.1.2.4.50", b"1.2.840.10008.1.2.4.80",
             b"1.2.840.10008.1.2.4.90", b"1.2.840.10008.1.2.1.99", b"9.9"]
_VRS = [b"SQ", b"UN", b"OB", b"OW", b"US", b"UT", b"AT", b"FD", b"PN", b"DS", b"XX", b"\0\0",
        b"ox"]


def _str_value(data: bytes, h: Header, new: bytes) -> bytes:
    """Replace a string value in place, padded or cut to its stored length."""
    value = (new + b" " * h.length)[: h.length]
    return _put(data, h.value_offset, value)


def _fragments(data: bytes, h: Header) -> list[tuple[int, int]]:
    """(item header offset, length) of the items of an encapsulated Pixel Data value."""
    out = []
    pos, end = h.value_offset, h.value_offset + h.length
    while pos + 8 <= end:
        tag, length = struct.unpack_from("<II", data, pos)
        if tag != 0xE000FFFE:
            break
        out.append((pos, length))
        pos += 8 + length
    return out


def mutations(data: bytes, seed: int = 0, n_random: int = 60) -> Iterator[tuple[str, bytes]]:
    """(description, mutated bytes) for `data`."""
    headers, info = layout(data)
    size = len(data)
    little = info["little"]

    # truncation: at every header boundary (and just inside it), and at even steps
    cuts = set()
    for h in headers:
        cuts.update((h.offset, h.offset + 3, h.value_offset, h.value_offset + max(h.length // 2, 1)))
    cuts.update(range(0, size, max(size // 48, 1)))
    cuts.update((1, 127, 128, 131, 132, 136, 140, 144, size - 1))
    for c in sorted(x for x in cuts if 0 <= x < size):
        yield f"truncate@{c}", data[:c]

    for h in headers:
        lit = h.little if h.offset >= info["data_start"] or h.offset < 132 else True
        lit = True if h.offset < info["data_start"] else little
        full = (1 << (8 * h.len_size)) - 1
        for value in sorted({0, h.length | 1, h.length + 1, full, full - 1, 0x7FFFFFFF & full,
                             max(h.length - 8, 0), h.length * 2}):
            if value == h.length:
                continue
            yield (f"len({h.tag:08X}@{h.offset})={value:#x}",
                   _put(data, h.len_offset, _pack(value, h.len_size, lit)))

    # VR bytes replaced (explicit elements only)
    for k, h in enumerate(h for h in headers if h.vr):
        for vr in (_VRS[k % len(_VRS)], _VRS[(k * 7 + 3) % len(_VRS)]):
            if vr != h.vr.encode("latin-1"):
                yield f"vr({h.tag:08X}@{h.offset})={vr!r}", _put(data, h.offset + 4, vr)

    # tags replaced with item / delimiter tags and vice versa
    for h in headers[:: max(len(headers) // 25, 1)]:
        lit = True if h.offset < info["data_start"] else little
        for tag in (0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD, 0x7FE00010, 0x00080005):
            raw = _pack(tag >> 16, 2, lit) + _pack(tag & 0xFFFF, 2, lit)
            yield f"tag({h.tag:08X}@{h.offset})={tag:08X}", _put(data, h.offset, raw)

    # delimiters removed or duplicated
    for pattern in (b"\xfe\xff\x0d\xe0", b"\xfe\xff\xdd\xe0", b"\xff\xfe\xe0\x0d", b"\xff\xfe\xe0\xdd"):
        start, n = 0, 0
        while n < 12:
            at = data.find(pattern, start)
            if at < 0:
                break
            yield f"delim-remove@{at}", data[:at] + data[at + 8:]
            yield f"delim-dup@{at}", data[:at] + data[at:at + 8] + data[at:]
            yield f"delim-zero@{at}", _put(data, at, b"\0\0\0\0")
            start, n = at + 1, n + 1

    # Image Pixel values and transfer syntax set to extreme or wrong values
    for h in headers:
        lit = True if h.offset < info["data_start"] else little
        if h.tag in _PIXEL_US and h.length == 2:
            for v in _PIXEL_US[h.tag]:
                yield f"pixel({h.tag:08X})={v}", _put(data, h.value_offset, _pack(v, 2, lit))
        elif h.tag == 0x00280008 and h.length:
            for v in _FRAMES:
                yield f"frames={v!r}", _str_value(data, h, v)
        elif h.tag == 0x00280004 and h.length:
            for v in _PHOTOMETRIC:
                yield f"photometric={v!r}", _str_value(data, h, v)
        elif h.tag == 0x00020010 and h.length:
            for v in _SYNTAXES:
                value = (v + b"\0" * h.length)[: h.length]
                yield f"tsyntax={v!r}", _put(data, h.value_offset, value)

    # encapsulated pixel data: fragments cut, BOT and RLE headers corrupted
    for h in headers:
        if h.tag != 0x7FE00010 or h.length < 16:
            continue
        frags = _fragments(data, h)
        for k, (pos, length) in enumerate(frags[:6]):
            for v in (0, 1, 3, length // 2, length + 8, 0xFFFFFFFF):
                yield f"frag{k}.len={v}", _put(data, pos + 4, struct.pack("<I", v))
            yield f"frag{k}.cut", data[: pos + 8 + length // 2] + data[pos + 8 + length:]
            yield f"frag{k}.drop", data[:pos] + data[pos + 8 + length:]
            yield f"frag{k}.tag", _put(data, pos, b"\xfe\xff\xdd\xe0")
            if k == 0 and length >= 4:
                for v in (0xFFFFFFFF, 0x7FFFFFFF, 1, 4):
                    yield f"bot[0]={v:#x}", _put(data, pos + 8, struct.pack("<I", v))
            if k >= 1 and length >= 64 and info.get("ts") == "1.2.840.10008.1.2.5":
                body = pos + 8
                nseg = struct.unpack_from("<I", data, body)[0]
                for v in (0, 2, 15, 16, 0xFFFFFFFF):
                    yield f"rle{k}.nseg={v}", _put(data, body, struct.pack("<I", v))
                for s in range(1, min(nseg, 15) + 1):
                    for v in (0, 63, 64, length, length - 1, 0xFFFFFFFF):
                        yield f"rle{k}.off[{s}]={v}", _put(data, body + 4 * s, struct.pack("<I", v))
                if nseg >= 2:
                    a, b = struct.unpack_from("<II", data, body + 4)
                    yield f"rle{k}.swap", _put(data, body + 4, struct.pack("<II", b, a))
                # segment data: runs that overflow / underflow
                seg = struct.unpack_from("<I", data, body + 4)[0]
                if seg < length:
                    for v in (b"\x7f", b"\x80", b"\x81\x00", b"\xff" * 16):
                        yield f"rle{k}.run={v!r}", _put(data, body + seg, v)
            if k >= 1 and length >= 4 and info.get("ts", "").startswith("1.2.840.10008.1.2.4"):
                body = pos + 8
                # JPEG: SOF dimensions and markers
                sof = data.find(b"\xff\xc0", body, body + length)
                if sof < 0:
                    sof = data.find(b"\xff\xc1", body, body + length)
                if sof < 0:
                    sof = data.find(b"\xff\xf7", body, body + length)
                if sof > 0:
                    for v in (0, 1, 0xFFFF):
                        yield f"jpeg{k}.rows={v}", _put(data, sof + 5, struct.pack(">H", v))
                        yield f"jpeg{k}.cols={v}", _put(data, sof + 7, struct.pack(">H", v))
                    yield f"jpeg{k}.ncomp=0", _put(data, sof + 9, b"\0")
                    yield f"jpeg{k}.ncomp=255", _put(data, sof + 9, b"\xff")
                    yield f"jpeg{k}.prec=0", _put(data, sof + 4, b"\0")
                    yield f"jpeg{k}.prec=255", _put(data, sof + 4, b"\xff")
                for cut in (4, length // 3, length - 2):
                    tail = data[body + length:]
                    zeroed = data[body + cut: body + length].replace(b"\xff", b"\x00")
                    yield f"jpeg{k}.trunc{cut}", data[:body + cut] + zeroed + tail

    # random byte edits (seeded)
    rng = random.Random(seed * 7919 + size)
    for k in range(n_random):
        buf = bytearray(data)
        for _ in range(rng.choice((1, 1, 2, 4, 16))):
            at = rng.randrange(len(buf))
            op = rng.random()
            if op < 0.6:
                buf[at] = rng.randrange(256)
            elif op < 0.8:
                buf[at:at + 4] = rng.choice((b"\xff\xff\xff\xff", b"\0\0\0\0", b"\xfe\xff\x00\xe0",
                                            b"\xfe\xff\xdd\xe0"))
            else:
                n = rng.randrange(1, 64)
                if rng.random() < 0.5:
                    del buf[at:at + n]
                else:
                    buf[at:at] = bytes(buf[at:at + n])
        yield f"random{k}", bytes(buf)

    # deflated seeds: the same structural mutations on the inflated dataset, re-deflated
    if info["deflated"]:
        start = info["data_start"]
        try:
            inflated = zlib.decompress(data[start:], -zlib.MAX_WBITS)
        except zlib.error:
            return
        plain = data[:start] + inflated
        body, _ = _headers_of(plain, start, False, True)
        for h in body:
            for value in (0, h.length | 1, (1 << (8 * h.len_size)) - 1):
                m = _put(plain, h.len_offset, _pack(value, h.len_size, True))
                c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
                yield (f"deflated-len({h.tag:08X})={value:#x}",
                       data[:start] + c.compress(m[start:]) + c.flush())
        c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        bomb = c.compress(b"\0" * (1 << 20)) + c.flush()
        yield "deflate-bomb", data[:start] + bomb
        yield "deflate-garbage", data[:start] + b"\x00garbage" * 8


def synthetic() -> Iterator[tuple[str, bytes]]:
    """Hand-built hostile inputs: deep nesting, huge declared sizes, empty and tiny files."""
    pre = b"\0" * 128 + b"DICM"

    def meta(ts: bytes) -> bytes:
        ts = ts + b"\0" * (len(ts) % 2)
        el = b"\x02\x00\x10\x00UI" + struct.pack("<H", len(ts)) + ts
        return pre + b"\x02\x00\x00\x00UL\x04\x00" + struct.pack("<I", len(el)) + el

    ex = meta(b"1.2.840.10008.1.2.1")
    im = meta(b"1.2.840.10008.1.2")
    yield "empty", b""
    yield "one-byte", b"\0"
    yield "preamble-only", pre
    for depth in (127, 128, 129, 200, 5000):
        # undefined-length sequences nested `depth` deep (explicit and implicit)
        body = (b"\x08\x00\x15\x11SQ\0\0\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff") * depth
        tail = (b"\xfe\xff\x0d\xe0\0\0\0\0" + b"\xfe\xff\xdd\xe0\0\0\0\0") * depth
        yield f"nested-explicit-{depth}", ex + body + tail
        yield f"nested-explicit-open-{depth}", ex + body
        body = (b"\x08\x00\x15\x11\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff") * depth
        yield f"nested-implicit-{depth}", im + body + tail
        # defined-length nesting
        inner = b""
        for _ in range(min(depth, 1000)):
            item = b"\xfe\xff\x00\xe0" + struct.pack("<I", len(inner)) + inner
            inner = b"\x08\x00\x15\x11SQ\0\0" + struct.pack("<I", len(item)) + item
        yield f"nested-defined-{depth}", ex + inner
        # private (tentative) nesting
        inner = b""
        for _ in range(min(depth, 1000)):
            item = b"\xfe\xff\x00\xe0" + struct.pack("<I", len(inner)) + inner
            inner = b"\x09\x00\x10\x10UN\0\0" + struct.pack("<I", len(item)) + item
        yield f"nested-private-{depth}", ex + inner
    # many tiny elements (index size) and many empty items
    yield "many-elements", ex + b"\x09\x00\x10\x10UN\0\0\0\0\0\0" * 20000
    yield "many-items", ex + b"\x08\x00\x15\x11SQ\0\0\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\0\0\0\0" * 20000
    yield "many-undef-no-delim", ex + b"\x09\x00\x10\x10OB\0\0\xff\xff\xff\xff" * 2000
    yield "encaps-search", ex + b"\x09\x00\x10\x10OB\0\0\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0" * 50000
    # huge image described by a tiny file, native and encapsulated
    image = (b"\x28\x00\x02\x00US\x02\x00\x03\x00"
             b"\x28\x00\x04\x00CS\x04\x00RGB "
             b"\x28\x00\x06\x00US\x02\x00\x00\x00"
             b"\x28\x00\x08\x00IS\x08\x0099999999"
             b"\x28\x00\x10\x00US\x02\x00\xff\xff"
             b"\x28\x00\x11\x00US\x02\x00\xff\xff"
             b"\x28\x00\x00\x01US\x02\x00\x10\x00"
             b"\x28\x00\x01\x01US\x02\x00\x10\x00"
             b"\x28\x00\x03\x01US\x02\x00\x00\x00")
    yield "huge-native", ex + image + b"\xe0\x7f\x10\x00OW\0\0\x10\x00\x00\x00" + b"\0" * 16
    for ts in (b"1.2.840.10008.1.2.5", b"1.2.840.10008.1.2.4.50", b"1.2.840.10008.1.2.4.80",
               b"1.2.840.10008.1.2.4.90"):
        frag = b"\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9"
        if ts.endswith(b".5"):
            frag = struct.pack("<16I", 6, 64, 65, 66, 67, 68, 69, 0, 0, 0, 0, 0, 0, 0, 0, 0) + b"\x81\x00" * 8
        frag += b"\0" * (len(frag) % 2)
        pix = (b"\xe0\x7f\x10\x00OB\0\0\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\0\0\0\0"
               + b"\xfe\xff\x00\xe0" + struct.pack("<I", len(frag)) + frag + b"\xfe\xff\xdd\xe0\0\0\0\0")
        yield f"huge-encaps-{ts.decode()}", meta(ts) + image + pix
