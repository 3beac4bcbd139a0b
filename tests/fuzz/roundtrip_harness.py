"""The write side's guarantee on any bytes, judged the same way by the atheris target
(``fuzz_roundtrip.py``), the hypothesis property (``test_roundtrip.py``) and the
replay of ``tests/fuzz/regressions/``.

For any input that ``dcmread(force=True)`` reads:

1. touching every value at every depth raises nothing but dcmfast errors;
2. ``dcmwrite_bytes`` succeeds or raises a dcmfast error (``DicomWriteError`` and the
   read errors of values it has to encode);
3. ``dcmread`` of the output succeeds and gives the same dataset, element by element
   (tags, VRs, values or the error reading them, sequence lengths);
4. the DICOM JSON round trip is a fixed point: ``to_json_dict`` of
   ``from_json(to_json_dict(ds))`` is ``to_json_dict(ds)``;
5. a dataset in an uncompressed syntax, written in another uncompressed one and back,
   reads as the same dataset;

and, with an ``edit`` (set a text element, delete one, add a private one) applied to a
fresh read before writing, the bytes are pydicom's for the same edit on pydicom's read
of the same input (when pydicom reads the same elements and can write them), and they
read back as the edited dataset.

:func:`check` returns the failures as :class:`Failure`; an empty list is a pass.
"""
from __future__ import annotations

import io
import logging
import math
import random
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
try:  # the dcmfast Python imports (PYTHONPATH, an install), else this tree's
    import dcmfast
except ImportError:
    sys.path.insert(0, str(SRC))
    import dcmfast
from dcmfast.errors import DcmfastError, UnknownVRError  # noqa: E402

# the lead's files: a non-dcmfast exception raised by them while *reading* is the
# dcmread target's finding (tests/hostile/harness.py), reported, not a round-trip failure
LEAD_FILES = frozenset(
    ["values.pyx", "element.pyx", "dataset.py", "dataelem.py", "valuerep.py", "charset.py",
     "sequence.py", "tag.py"]
)
MAX_BYTES = 64 * 1024 * 1024

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
# an uncompressed syntax -> the one it is transcoded to and back
TRANSCODE = {EXPLICIT_LE: EXPLICIT_BE, EXPLICIT_BE: EXPLICIT_LE, IMPLICIT_LE: EXPLICIT_LE,
             DEFLATED_LE: EXPLICIT_BE}
EDIT_CREATOR = "DCMFAST FUZZ"


@dataclass(frozen=True)
class Failure:
    stage: str  # walk / write / reread / equal / json / transcode / edit-write / edit-oracle ...
    kind: str  # the exception type, or 'differs'
    origin: str  # innermost dcmfast source file of the traceback ('' for a difference)
    message: str
    path: tuple[Any, ...] | None = field(default=None, compare=False)

    @property
    def lead_read_escape(self) -> bool:
        """A non-dcmfast exception from the lead's files while reading values."""
        return self.stage in ("walk", "json") and self.origin in LEAD_FILES

    def __str__(self) -> str:
        return f"{self.stage}: {self.kind} [{self.origin}] {self.message}"


def _origin(exc: BaseException) -> str:
    origin = ""
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if "dcmfast" in name or name.endswith((".pyx", ".pxd")):
            origin = Path(name).name
    return origin


def _escape(stage: str, exc: BaseException) -> Failure:
    return Failure(stage, type(exc).__name__, _origin(exc), str(exc)[:300])


# -- comparing two dcmfast datasets ---------------------------------------------------


def _value_of(elem: Any) -> tuple[Any, BaseException | None]:
    try:
        return elem.value, None
    except DcmfastError as exc:
        return None, exc


# A difference: (path, message). The path is a tuple of tags and item indexes from the
# dataset ('meta' first for the File Meta) to the element (or the dataset whose tags
# differ), so pydicom's own round trip can be asked about the same place.
Diff = tuple[tuple[Any, ...], str]


def _where(path: tuple[Any, ...]) -> str:
    head = [p for p in path if isinstance(p, str)]
    rest = [p for p in path if not isinstance(p, str)]
    parts = [f" {h}" for h in head]
    parts += [f" ({p >> 16:04X},{p & 0xFFFF:04X})" if i % 2 == 0 else f"[{p}]" for i, p in enumerate(rest)]
    return "".join(parts)


def _diff_values(a: Any, b: Any, path: tuple[Any, ...]) -> Diff | None:
    if isinstance(a, dcmfast.Sequence) or isinstance(b, dcmfast.Sequence):
        if not (isinstance(a, dcmfast.Sequence) and isinstance(b, dcmfast.Sequence)):
            return path, f"{type(a).__name__} vs {type(b).__name__}"
        if len(a) != len(b):
            return path, f"{len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = diff_datasets(x, y, (*path, i))
            if d:
                return d
        return None
    if isinstance(a, (list, dcmfast.MultiValue)) and isinstance(b, (list, dcmfast.MultiValue)):
        if type(a) is not type(b) or len(a) != len(b):
            return path, f"{a!r:.80} vs {b!r:.80}"
        for x, y in zip(a, b, strict=True):
            d = _diff_values(x, y, path)
            if d:
                return d
        return None
    if type(a) is not type(b):
        return path, f"{type(a).__name__} {a!r:.80} vs {type(b).__name__} {b!r:.80}"
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return None
    if isinstance(a, (str, dcmfast.PersonName)) and "\ufffd" in str(a):
        return None  # text its character set cannot decode: re-encoded with replacements, as pydicom
    if isinstance(a, dcmfast.PersonName):
        return None if str(a) == str(b) else (path, f"{a!r:.80} vs {b!r:.80}")
    if isinstance(a, float) and type(a).__name__ in ("DSfloat", "ISfloat") and str(a) != str(b):
        return path, f"{a!r:.80} vs {b!r:.80}"
    if isinstance(a, bytes) and len(a) % 2 and b == a + b"\0":
        return None  # an odd length value is written padded to an even length (PS3.5 7.1.1)
    if a != b:
        if isinstance(a, bytes) and len(a) == len(b):
            at = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
            return path, f"{len(a)} bytes differ at {at}"
        return path, f"{a!r:.80} vs {b!r:.80}"
    return None


def _long_value(elem: Any) -> bool:
    try:
        value = elem.value
    except DcmfastError:
        return False
    return isinstance(value, bytes) and len(value) > 0xFFFF


def _tags(ds: Any) -> list[int]:
    # the writer drops group lengths past the command groups, as pydicom's does
    return sorted(t for t in map(int, ds.keys()) if t & 0xFFFF or t >> 16 <= 6)


# values the writer computes (pydicom's write_file_meta_info recomputes the group length)
_COMPUTED = {("meta", 0x00020000)}


def diff_datasets(a: Any, b: Any, path: tuple[Any, ...] = ()) -> Diff | None:
    """The first difference between two dcmfast datasets, or None."""
    try:
        ta = _tags(a)
    except DcmfastError as exc:  # e.g. a private creator with an unknown VR
        try:
            _tags(b)
        except DcmfastError as exc_b:
            return None if type(exc) is type(exc_b) else (path, f"{exc!r:.80} vs {exc_b!r:.80}")
        return path, f"{exc!r:.80} vs the tags"
    try:
        tb = _tags(b)
    except DcmfastError as exc:
        return path, f"the tags vs {exc!r:.80}"
    if ta != tb:
        only_a = sorted(set(ta) - set(tb))[:4]
        only_b = sorted(set(tb) - set(ta))[:4]
        return path, f"tags differ: only first {[f'{t:08X}' for t in only_a]}, " \
                     f"only second {[f'{t:08X}' for t in only_b]}"
    for tag in ta:
        at = (*path, tag)
        if at in _COMPUTED:
            continue
        ea, eb = a[tag], b[tag]
        if ea.VR != eb.VR:
            if eb.VR == "UN" and _long_value(eb):
                continue  # over 64 KiB in a 2-byte length VR: written as UN, with pydicom's warning
            return at, f"VR {ea.VR} vs {eb.VR}"
        va, xa = _value_of(ea)
        vb, xb = _value_of(eb)
        if (xa is None) != (xb is None):
            return at, f"{xa or va!r:.80} vs {xb or vb!r:.80}"
        if xa is not None:
            if type(xa) is not type(xb):
                return at, f"{xa!r:.80} vs {xb!r:.80}"
            continue
        d = _diff_values(va, vb, at)
        if d:
            return d
        if ea.VR == "SQ" and ea.is_undefined_length != eb.is_undefined_length:
            return at, f"undefined length {ea.is_undefined_length} vs {eb.is_undefined_length}"
    return None


def _diff_files(a: Any, b: Any) -> Diff | None:
    meta_a, meta_b = getattr(a, "file_meta", None), getattr(b, "file_meta", None)
    if (meta_a is None) != (meta_b is None):
        return ("meta",), f"file_meta {meta_a is None} vs {meta_b is None}"
    if meta_a is not None:
        d = diff_datasets(meta_a, meta_b, ("meta",))
        if d:
            return d
    if getattr(a, "preamble", None) != getattr(b, "preamble", None):
        return ("preamble",), "preamble differs"
    return diff_datasets(a, b)


# -- pydicom's own round trip: where it changes a dataset, ours may too ---------------


def _pydicom_at(ds: Any, path: tuple[Any, ...]) -> Any:
    """What pydicom's dataset holds at `path`: a comparable summary, or an exception."""
    try:
        node = ds
        if path and path[0] == "meta":
            node, path = ds.file_meta, path[1:]
        if path and path[0] == "preamble":
            return ds.preamble
        for i, p in enumerate(path):
            if i % 2 == 0:
                if p not in node:
                    return "absent"
                node = node[p]
                if i == len(path) - 1:
                    value = node.value
                    if node.VR == "SQ":
                        return ("SQ", len(value), node.is_undefined_length)
                    return (node.VR, type(value).__name__, repr(value))
                node = node.value
            else:
                node = node[p]
        return sorted(t for t in map(int, node.keys()) if t & 0xFFFF or t >> 16 <= 6)
    except Exception as exc:  # noqa: BLE001 - compared as it is
        return type(exc).__name__


def _pydicom_write(ds: Any, uid: str | None) -> bytes:
    import pydicom

    buf = io.BytesIO()
    if uid is None:
        pydicom.dcmwrite(buf, ds)
    else:
        ds.file_meta.TransferSyntaxUID = uid
        pydicom.dcmwrite(buf, ds, implicit_vr=uid == IMPLICIT_LE, little_endian=uid != EXPLICIT_BE)
    return buf.getvalue()


def pydicom_transcode_changes_it(data: bytes, path: tuple[Any, ...], source: str, target: str) -> bool:
    """pydicom's read, write in `target`, read, write in `source`, read of `data` changes
    what is at `path` too (False when pydicom cannot)."""
    import pydicom

    try:
        first = pydicom.dcmread(io.BytesIO(_pydicom_write(pydicom.dcmread(io.BytesIO(data), force=True),
                                                          None)), force=True)
        mid = pydicom.dcmread(io.BytesIO(_pydicom_write(first, target)), force=True)
        back = pydicom.dcmread(io.BytesIO(_pydicom_write(mid, source)), force=True)
        return bool(_pydicom_at(first, path) != _pydicom_at(back, path))
    except Exception:  # noqa: BLE001 - no oracle
        return False


def pydicom_changes_it(data: bytes, path: tuple[Any, ...], edit: int | None = None) -> bool:
    """pydicom's read, (edit,) write and read of `data` changes what is at `path` too: a
    difference there is pydicom's semantics (e.g. recomputed group lengths, stripped
    padding), kept by design. False when pydicom cannot read or write it."""
    import pydicom

    try:
        first = pydicom.dcmread(io.BytesIO(data), force=True)
        if edit is not None:
            apply_edit(first, edit, pydicom)
    except Exception:  # noqa: BLE001 - no oracle
        return False
    try:
        buf = io.BytesIO()
        pydicom.dcmwrite(buf, first)
        again = pydicom.dcmread(io.BytesIO(buf.getvalue()), force=True)
        return bool(_pydicom_at(first, path) != _pydicom_at(again, path))
    except Exception:  # noqa: BLE001 - pydicom cannot write it all: the element alone
        pass
    if not path or isinstance(path[0], str):
        return False
    try:
        from pydicom.filereader import read_dataset

        alone = pydicom.Dataset()
        for tag in (0x00080005, path[0]):
            if tag in first:
                alone.add(first[tag])
        implicit, little = first.original_encoding
        buf = io.BytesIO()
        pydicom.dcmwrite(buf, alone, implicit_vr=bool(implicit), little_endian=little is not False)
        again = read_dataset(io.BytesIO(buf.getvalue()), bool(implicit), little is not False)
        return bool(_pydicom_at(alone, path) != _pydicom_at(again, path))
    except Exception:  # noqa: BLE001 - no oracle
        return False


# -- the stages -----------------------------------------------------------------------


def _read(data: bytes) -> Any:
    return dcmfast.dcmread(data, force=True, max_bytes=MAX_BYTES)


def touch(ds: Any) -> bool:
    """Read every value at every depth (a value that cannot be read raises a dcmfast
    error and stays unread); non-dcmfast exceptions propagate. True when no element has
    a VR dcmfast does not know (a damaged header, copied as it is)."""
    known = True
    try:
        elements = list(ds.values())
    except DcmfastError:
        return False
    for elem in elements:
        try:
            value = elem.value
        except UnknownVRError:
            known = False
            continue
        except DcmfastError:
            continue
        if isinstance(value, dcmfast.Sequence):
            for item in value:
                known = touch(item) and known
    return known


_CONVERSION_ERRORS = ("invalid literal for int() with base 10", "could not convert string to float")


def _odd_undefined(ds: Any) -> bool:
    """An undefined length on a value that is neither a sequence nor pixel data (damaged):
    another encoding cannot carry it (a 2-byte length in explicit VR)."""
    try:
        return any(e.is_undefined_length and e.VR != "SQ" and int(e.tag) != 0x7FE00010
                   for e in ds.iterall())
    except DcmfastError:
        return True


def _json_fixed_point(ds: Any) -> str | None:
    first = ds.to_json_dict(bulk_data_threshold=1 << 30)
    back = dcmfast.Dataset.from_json(first)
    second = back.to_json_dict(bulk_data_threshold=1 << 30)
    if first != second:
        keys = sorted(set(first) | set(second))
        for k in keys:
            if first.get(k) != second.get(k):
                return f"{k}: {str(first.get(k))[:100]} vs {str(second.get(k))[:100]}"
    return None


def _syntax(ds: Any) -> str:
    meta = getattr(ds, "file_meta", None)
    if meta is None:
        return ""
    try:
        return str(meta.get("TransferSyntaxUID", "") or "")
    except DcmfastError:
        return ""


def _write_as(ds: Any, uid: str) -> bytes:
    ds.file_meta.TransferSyntaxUID = uid
    return dcmfast.dcmwrite_bytes(ds, implicit_vr=uid == IMPLICIT_LE, little_endian=uid != EXPLICIT_BE)


def _quiet(fn: Any) -> Any:
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    finally:
        logging.disable(previous)


def check(data: bytes, *, edit: int | None = None, oracle: bool = True) -> list[Failure]:
    """Run `data` through the round trip (and, with `edit`, the edit + oracle check)."""
    return _quiet(lambda: _check(bytes(data), edit, oracle))


def _check(data: bytes, edit: int | None, oracle: bool) -> list[Failure]:
    out: list[Failure] = []
    try:
        ds = _read(data)
    except DcmfastError:
        return out
    except Exception:  # noqa: BLE001 - a read escape is fuzz_dcmread's finding
        return out
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            known_vrs = touch(ds)
    except Exception as exc:  # noqa: BLE001
        return [_escape("walk", exc)]
    # transcoding re-encodes every value: only values that read cleanly (no warning:
    # valid for their VR, decodable with their character set) must come back the same
    odd = _odd_undefined(ds)
    clean = not caught and not odd
    # a damaged VR is copied as it is (as pydicom's writer does); sorted first in a
    # dataset it makes the re-read guess another encoding (as pydicom's reader does). An
    # undefined length on a short-VR value is written as pydicom writes it (0xFFFFFFFF
    # after the VR), which reads back otherwise. No equality to expect for either.
    comparable = known_vrs and not odd

    # write, read back, equal
    try:
        written = dcmfast.dcmwrite_bytes(ds)
    except DcmfastError:
        written = None
    except Exception as exc:  # noqa: BLE001
        return [_escape("write", exc)]
    again = None
    if written is not None:
        try:
            again = _read(written)
            touch(again)
        except Exception as exc:  # noqa: BLE001 - what we wrote must read back
            return [_escape("reread", exc)]
        d = _diff_files(ds, again) if comparable else None
        if d and not pydicom_changes_it(data, d[0]):
            out.append(Failure("equal", "differs", "", f"{_where(d[0])}: {d[1]}"))
        else:
            try:
                if comparable and dcmfast.dcmwrite_bytes(again) != written:
                    out.append(Failure("stable", "differs", "", "writing the re-read gives other bytes"))
            except Exception as exc:  # noqa: BLE001
                out.append(_escape("stable", exc))

    # DICOM JSON
    try:
        d = _json_fixed_point(ds)
        if d:
            out.append(Failure("json", "differs", "", d))
    except DcmfastError:
        pass
    except ValueError as exc:
        # pydicom's to_json converts IS/DS text with int()/float() and raises their
        # ValueError on an invalid value: dcmfast does the same (tests/json compares)
        if not (str(exc).startswith(_CONVERSION_ERRORS) or _pydicom_json_raises(data, type(exc))):
            out.append(_escape("json", exc))
    except Exception as exc:  # noqa: BLE001
        if not _pydicom_json_raises(data, type(exc)):
            out.append(_escape("json", exc))

    # another uncompressed syntax and back
    if again is not None and not out and clean:
        source = _syntax(again)
        target = TRANSCODE.get(source)
        if target is not None:
            out += [f for f in _transcode(again, written, source, target)
                    if f.path is None or not pydicom_transcode_changes_it(data, f.path, source, target)]

    if edit is not None:
        out += _edit_check(data, edit, oracle)
    return out


def _transcode(again: Any, written: bytes, source: str, target: str) -> list[Failure]:
    try:
        ds = _read(written)
        other = _write_as(ds, target)
    except DcmfastError:
        return []
    except Exception as exc:  # noqa: BLE001
        return [_escape("transcode-write", exc)]
    try:
        mid = _read(other)
        touch(mid)
        back = _read(_write_as(mid, source))
        touch(back)
    except DcmfastError as exc:
        return [Failure("transcode-reread", type(exc).__name__, _origin(exc), str(exc)[:300])]
    except Exception as exc:  # noqa: BLE001
        return [_escape("transcode-reread", exc)]
    d = diff_datasets(again, back)
    if d is None:
        return []
    return [Failure("transcode", "differs", "", f"{source} -> {target} -> back:{_where(d[0])}: {d[1]}",
                    d[0])]


# -- edits, with pydicom's writer as the oracle ---------------------------------------

_TEXT = {"PatientName": "Fuzz^Edit", "StudyDescription": "round trip", "InstitutionName": "X",
         "PatientID": "ID 7"}


def apply_edit(ds: Any, seed: int, module: Any) -> str:
    """A random edit chosen by `seed` (the same on pydicom's and dcmfast's datasets)."""
    rng = random.Random(seed)
    kind = rng.randrange(3)
    tags = sorted(int(t) for t in ds.keys())
    if kind == 0:
        keyword = rng.choice(sorted(_TEXT))
        value = _TEXT[keyword] + "x" * rng.randrange(3)
        setattr(ds, keyword, value)
        return f"set {keyword}={value!r}"
    if kind == 1 and tags:
        tag = tags[rng.randrange(len(tags))]
        del ds[tag]
        return f"delete {tag:08X}"
    element = rng.randrange(0x10, 0x100)
    block = ds.private_block(0x0041, EDIT_CREATOR, create=True)
    value = "priv" + "y" * rng.randrange(4)
    block.add_new(element, "LO", value)
    return f"private (0041,xx{element:02X})={value!r}"


def _edit_check(data: bytes, seed: int, oracle: bool) -> list[Failure]:
    try:
        ds = _read(data)
        what = apply_edit(ds, seed, dcmfast)
    except DcmfastError:
        return []
    except Exception as exc:  # noqa: BLE001
        return [_escape("edit", exc)]
    try:
        ours = dcmfast.dcmwrite_bytes(ds)
    except DcmfastError:
        return []
    except Exception as exc:  # noqa: BLE001
        return [_escape("edit-write", exc)]
    out = []
    try:
        again = _read(ours)
        touch(again)
        comparable = touch(ds) and not _odd_undefined(ds)
    except Exception as exc:  # noqa: BLE001
        return [_escape("edit-reread", exc)]
    d = _diff_files(ds, again) if comparable else None
    if d and again.original_encoding[0] and d[1].endswith(" vs UN") and len(d[0]) == 1 \
            and isinstance(d[0][0], int) and d[0][0] >> 16 == 0x0041:
        d = None  # the private element added to an implicit VR dataset: its VR is not stored
    if d and not pydicom_changes_it(data, d[0], seed):
        out.append(Failure("edit-equal", "differs", "", f"{what}:{_where(d[0])}: {d[1]}"))
    if oracle:
        theirs = _pydicom_bytes(data, seed)
        if theirs is not None and theirs != ours:
            at = next((i for i, (x, y) in enumerate(zip(ours, theirs, strict=False)) if x != y),
                      min(len(ours), len(theirs)))
            out.append(Failure("edit-oracle", "differs", "",
                               f"{what}: {len(ours)} vs pydicom {len(theirs)} bytes, first difference "
                               f"at {at}"))
    return out


def _pydicom_json_raises(data: bytes, kind: type) -> bool:
    """pydicom's to_json of its read of `data` raises `kind` too (its behaviour, kept)."""
    import pydicom

    try:
        pydicom.dcmread(io.BytesIO(data), force=True).to_json_dict(bulk_data_threshold=1 << 30)
    except kind:
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


def _pydicom_bytes(data: bytes, seed: int) -> bytes | None:
    """pydicom's bytes for the same edit, or None when pydicom cannot give a comparable
    write (it raises, or its read has other elements than dcmfast's)."""
    import pydicom

    try:
        theirs = pydicom.dcmread(io.BytesIO(data), force=True)
        ours = _read(data)
        if [int(t) for t in theirs.keys()] != [int(t) for t in ours.keys()]:
            return None
        meta_t, meta_o = getattr(theirs, "file_meta", None), getattr(ours, "file_meta", None)
        if [int(t) for t in (meta_t or {}).keys()] != [int(t) for t in (meta_o or {}).keys()]:
            return None
        apply_edit(theirs, seed, pydicom)
        buf = io.BytesIO()
        pydicom.dcmwrite(buf, theirs)
        return buf.getvalue()
    except Exception:  # noqa: BLE001 - pydicom cannot: no oracle
        return None
