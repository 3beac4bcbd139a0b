"""The splice fast path: a de-identified file's bytes from the read file's index.

``splice_file(deid, ds)`` gives the same bytes as ``dcmwrite_bytes(deid.deidentify(ds))``
(``tests/deid/test_splice.py`` compares the two over the corpus and every option set)
without changing `ds` or making a DataElement per element:

* the action of an element depends on its tag, VR (and private creator) only, so it is
  looked up per index entry in a dict keyed by tag, VR code and "is a sequence"
  (``Deidentifier._splice_actions``), filled on the first sight of each key from the
  facade element (``_Level.resolve``), whose VR decides as in ``deidentify``;
* ``_core/writer.pyx`` ``level_splice`` walks one dataset level: kept elements are copied
  from the file buffer (consecutive ones in one copy), removed ones skipped, and only the
  others come back here (``_Level.handle``) to be encoded by the writer from their new
  value; a value that does not depend on the original (Z, most D and C) is encoded once
  per Deidentifier and reused;
* kept sequences are written item by item as the writer writes them, each item level
  spliced the same way.

Anything this path does not reproduce exactly (a level whose tags do not ascend, a
transcode, a File Meta or transfer syntax the writer would complete or change, a
deflated data set, items read in another encoding) returns None: the caller takes the
facade path.
"""
from __future__ import annotations

from typing import Any

from .._core import writer as _cw
from ..datadict import dictionary_VR
from ..dataelem import DataElement
from ..dataset import FileDataset
from ..filewriter import _CHARSET, _encodings_of, _Writer
from .engine import _BINARY_VRS, _DATE_VRS, _TAG_PATIENT_ID, _TAG_TIMEZONE, _Apply

__all__ = ["splice_file", "plan_records"]

_DEFLATED = "1.2.840.10008.1.2.1.99"
_UI = 0x5549  # the VR code of "UI" in index keys
_ITEM = b"\x00\xe0\xfe\xff"  # (FFFE,E000) in plan records: an item starts
_ITEM_END = b"\x0d\xe0\xfe\xff"  # (FFFE,E00D): an item ends


class _FallbackError(Exception):
    """The fast path cannot give the facade path's exact bytes for this file."""


def _constant(tag: int, vr: str, act: str) -> bool:
    """Whether the new value of this element is the same whatever its original value."""
    if act == "Z":
        return True
    if act == "D":
        return vr != "UI"
    if act == "C":
        return vr not in _DATE_VRS and vr not in _BINARY_VRS and tag != _TAG_TIMEZONE and vr != "SQ"
    return False


def _raw_vr(key: int) -> str | None:
    code = key & 0xFFFF
    if code == 0:
        return None
    return chr(code >> 8) + chr(code & 0xFF)


class _Level:
    """One dataset level being spliced: the callbacks of ``level_splice``."""

    __slots__ = ("f", "ds", "encodings", "view", "consts")

    def __init__(self, f: _File, ds: Any, encodings: tuple[str, ...], consts: dict[int, bytes]) -> None:
        self.f = f
        self.ds = ds
        self.encodings = encodings
        self.view = ds._view
        self.consts = consts

    def resolve(self, i: int, tag: int, key: int | None) -> str:
        f = self.f
        elem = self.ds[tag]
        vr = elem.VR
        act: str = f.deid._element_action(elem)
        if vr == "SQ" and act in "KCDU":
            act = "S" + act  # kept, de-identified inside
        elif act == "K" and self.view.raw_entry(elem) < 0:
            act = "EK"  # kept, but encoded from its value (as the writer does)
        elif act != "K" and act != "X" and _constant(tag, vr, act):
            act = "R" + act  # replaced by a value that does not depend on the original
        if key is None:
            return act
        if (tag >> 16) & 1:  # private, without Retain Safe Private: removed whatever the VR
            f.deid._splice_actions[key] = act
        else:
            raw = _raw_vr(key)
            if raw is None:
                try:
                    same = dictionary_VR(tag) == vr
                except KeyError:
                    same = False
            else:
                same = raw == vr
            if same:
                f.deid._splice_actions[key] = act
        return act

    def handle(self, i: int, tag: int, act: str, key: int | None) -> None:
        f = self.f
        ds = self.ds
        w = f.w
        if act == "U" and key is not None and key & 0xFFFF == _UI and not w.implicit:
            # an explicit UI element to remap: its encoding depends on its value bytes only
            raw = bytes(self.view.index.value_view(i))
            cache = f.deid._uid_bytes
            data = cache.get((tag, raw, w.little))
            if data is None:
                start = len(w.out)
                self.handle(i, tag, act, None)
                if len(cache) >= 100_000:
                    cache.clear()
                cache[(tag, raw, w.little)] = bytes(w.out[start:])
            else:
                w.out += data
            return
        elem = ds[tag]
        action = act[-1]
        if act[0] == "S" or (action in "KCDU" and elem.VR == "SQ"):
            # (a sequence, also when the cached key's VR was not: an undefined-length UN)
            self.sequence(elem, tag)
            return
        if action == "K":
            view = self.view
            entry = view.raw_entry(elem)
            if entry >= 0 and _cw.raw_kind(view.index, entry, f.top) == _cw.RAW_COPY:
                _cw.copy_entry(w.out, view.index, entry)
            else:
                w.element(elem, self.encodings, ds)
            return
        vr = elem.VR
        if action == "U" and vr == "UI":
            value = elem.value
            if isinstance(value, str):  # one UID: the writer's UI encoding, without its checks
                data = f.deid.map_uid(value).encode("latin-1")
                if len(data) & 1:
                    data += b"\0"
                w.header(tag, "UI", len(data), False)
                w.out += data
                return
        if act[0] == "R" and _constant(tag, vr, action):
            scratch = _Writer(w.implicit, w.little)
            new = DataElement(tag, vr, f.apply.value(elem, tag, vr, action), validation_mode=0)
            scratch.element(new, self.encodings, ds)
            data = bytes(scratch.out)
            if key is not None:
                self.consts[key] = data
            w.out += data
            return
        # made valid: no pydicom value checks (they would import pydicom in every worker)
        new = DataElement(tag, vr, f.apply.value(elem, tag, vr, action), validation_mode=0)
        w.element(new, self.encodings, ds)

    def sequence(self, elem: Any, tag: int) -> None:
        """The writer's ``sequence``/``item``, each item's level spliced."""
        f = self.f
        w = f.w
        out = w.out
        undefined = bool(elem.is_undefined_length)
        start = len(out)
        w.header(tag, "SQ", 0, undefined)
        body = len(out)
        if not elem.is_empty:
            for item in elem.value:
                istart = len(out)
                out += w._tag(0xFFFE, 0xE000)
                out += b"\xff\xff\xff\xff"
                f.plan += _ITEM
                f.plan.append(0x5B)  # "["
                f.level(item, self.encodings, False, None, None)
                f.plan += _ITEM_END
                f.plan.append(0x5D)  # "]"
                if getattr(item, "is_undefined_length_sequence_item", False):
                    w.delimiter(0xFFFEE00D)
                else:
                    out[istart + 4:istart + 8] = w._u32(len(out) - istart - 8)
        if undefined:
            w.delimiter(0xFFFEE0DD)
        else:
            w.patch_length(start, len(out) - body)


class _File:
    """One file's splice: the writer, the plan records, the date offset."""

    __slots__ = ("deid", "ds", "w", "plan", "_apply", "top", "encoding")

    def __init__(self, deid: Any, ds: Any, implicit: bool, little: bool, out: bytearray | None = None,
                 plan: bytearray | None = None) -> None:
        self.deid = deid
        self.ds = ds
        self.encoding = (implicit, little)
        self.w = _Writer(implicit, little)
        if out is not None:
            self.w.out = out
        self.plan = bytearray() if plan is None else plan
        self.top = False
        self._apply: _Apply | None = None

    @property
    def apply(self) -> _Apply:
        """The engine's value rules, with this file's date offset (made when first needed)."""
        if self._apply is None:
            deid = self.deid
            offset = 0
            if deid._modified_dates:
                pid = self.ds.get(_TAG_PATIENT_ID)
                pid_text = str(pid.value) if pid is not None and pid.value is not None else ""
                offset = deid.date_offset(pid_text)
            self._apply = _Apply(deid, offset)
        return self._apply

    def level(self, ds: Any, parent_encodings: tuple[str, ...], top: bool,
              inserts: list[tuple[int, bytes]] | None, encodings: tuple[str, ...] | None,
              pixel_undefined: int = -1) -> None:
        view = ds._view
        if view is None or view.loaded:
            raise _FallbackError("a level changed since it was read")
        for elem in ds._edict.values():
            if view.raw_entry(elem) < 0:
                raise _FallbackError("a level changed since it was read")
        index = view.index
        if (index.implicit_vr, index.little_endian) != self.encoding or ds.original_encoding != self.encoding:
            raise _FallbackError("a level in another encoding")
        if encodings is None:
            encodings = _level_encodings(ds, parent_encodings)
        deid = self.deid
        ckey = (self.encoding, encodings)
        consts = deid._splice_bytes.get(ckey)
        if consts is None:
            consts = deid._splice_bytes[ckey] = {}
        saved = self.top
        self.top = top
        try:
            if not _cw.level_splice(self.w.out, index, view.first, view.stop, deid._splice_actions, consts,
                                    top, deid._private_dynamic, inserts, self.plan,
                                    _Level(self, ds, encodings, consts),
                                    0x00030000 if top else 0, pixel_undefined):
                raise _FallbackError("tags out of order, or the writer would change something")
        finally:
            self.top = saved


def _method_inserts(deid: Any, ds: Any, implicit: bool, little: bool,
                    encodings: tuple[str, ...]) -> list[tuple[int, bytes]]:
    key = (implicit, little, encodings)
    found = deid._method_bytes.get(key)
    if found is None:
        found = []
        for elem in deid._method_elements():
            w = _Writer(implicit, little)
            w.element(elem, encodings, ds)
            found.append((int(elem.tag), bytes(w.out)))
        deid._method_bytes[key] = found
    return found  # type: ignore[no-any-return]


_TSYNTAX: dict[str, tuple[bool, bool, bool] | None] = {}


def _transfer_syntax(value: Any) -> tuple[bool, bool, bool] | None:
    """(implicit VR, little endian, compressed) of a transfer syntax the fast path writes."""
    text = str(value)
    if text in _TSYNTAX:
        return _TSYNTAX[text]
    from ..valuerep import UID

    uid = UID(text)
    found = None
    if not uid.is_private and uid.is_transfer_syntax and uid != _DEFLATED:
        found = (bool(uid.is_implicit_VR), bool(uid.is_little_endian), bool(uid.is_compressed))
    if len(_TSYNTAX) < 256:
        _TSYNTAX[text] = found
    return found


_ENCODINGS: dict[tuple[Any, ...], tuple[str, ...]] = {}


def _level_encodings(ds: Any, parent: tuple[str, ...]) -> tuple[str, ...]:
    """The writer's encodings of a level (``_encodings_of``), remembered per character set."""
    elem = ds._lookup(_CHARSET)
    if elem is None:
        return parent
    value = elem.value
    key = (value if isinstance(value, str) else tuple(value or ()), parent)
    found = _ENCODINGS.get(key)
    if found is None:
        found = _encodings_of(elem, parent)
        if len(_ENCODINGS) < 256:
            _ENCODINGS[key] = found
    return found


def splice_file(deid: Any, ds: Any) -> tuple[list[Any], bytearray] | None:
    """The bytes of ``dcmwrite_bytes(deid.deidentify(ds))`` (as a list of one bytearray) and
    the plan records, or None when only the facade path gives them exactly. `ds` is not
    changed."""
    if type(ds) is not FileDataset:
        return None
    d = ds.__dict__
    meta = d.get("file_meta")
    view = ds._view
    if meta is None or view is None or meta._view is None:
        return None
    ts = meta._lookup(0x00020010)
    if ts is None:
        return None
    kind = _transfer_syntax(ts.value)
    if kind is None:
        return None
    implicit, little, compressed = kind
    if ds.is_implicit_VR is not None and (ds.is_implicit_VR, ds.is_little_endian) != (implicit, little):
        return None
    preamble = d.get("preamble")
    if preamble and len(preamble) != 128:
        return None
    out = bytearray()
    try:
        mf = _File(deid, ds, False, True)
        mf.level(meta, ("iso8859",), False, None, None)
        meta_out = mf.w.out
        if preamble:
            out += preamble
            out += b"DICM"
        if meta_out:
            if meta_out[:4] == b"\x02\x00\x00\x00":  # the group length: recomputed
                meta_out[8:12] = (len(meta_out) - 12).to_bytes(4, "little")
            out += meta_out
        encodings = _level_encodings(ds, ("iso8859",))
        f = _File(deid, ds, implicit, little, out, mf.plan)
        f.level(ds, ("iso8859",), True, _method_inserts(deid, ds, implicit, little, encodings), encodings,
                int(compressed))
    except _FallbackError:
        return None
    return [out], f.plan


def plan_records(plan: bytes) -> list[tuple[str, str]]:
    """(place, action) of each element in the plan records of ``splice_file``:
    ``("(0008,1140)[0].(0008,1155)", "U")``."""
    out: list[tuple[str, str]] = []
    prefixes = [""]
    last: list[str] = [""]  # the last element's place at each depth (the sequence of an item)
    counts: dict[str, int] = {}
    for k in range(0, len(plan) - 4, 5):
        tag = int.from_bytes(plan[k:k + 4], "little")
        if tag == 0xFFFEE000:
            seq = last[-1]
            n = counts.get(seq, 0)
            counts[seq] = n + 1
            prefixes.append(f"{seq}[{n}].")
            last.append("")
        elif tag == 0xFFFEE00D:
            if len(prefixes) > 1:
                prefixes.pop()
                last.pop()
        else:
            place = f"{prefixes[-1]}({tag >> 16:04X},{tag & 0xFFFF:04X})"
            out.append((place, chr(plan[k + 4])))
            last[-1] = place
    return out
