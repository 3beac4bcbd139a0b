"""Pixel cleaning: fill the user's rectangles where a device burns text into its images.

A quarantined dataset (``quarantine_reason``) whose Manufacturer (0008,0070), Manufacturer's
Model Name (0008,1090), Rows and Columns match a rule of the user's list gets its pixels
decoded (every frame, every sample), the rule's rectangles filled, and the pixel data
written back without a new loss; Burned In Annotation (0028,0301) is then ``NO``.

Rules (a JSON file, a ``.toml`` file of ``[[rule]]`` tables, or a list of dicts)::

    [{"manufacturer": "ACME", "model": "Scan 3000", "rows": 480, "columns": 640,
      "rectangles": [[0, 0, 640, 40], [500, 440, 140, 40]]}]

* ``manufacturer`` and ``model``: compared with the dataset's values case-insensitively,
  after stripping spaces at both ends, as whole strings (no substrings, no patterns);
  ``"*"`` matches any value, an absent attribute included.
* ``rows``, ``columns``: the image size, exactly.
* ``rectangles``: ``[x, y, width, height]`` in pixels, x along a row (0 = the left column),
  y down the columns (0 = the top row); non-negative integers, width and height > 0.

Every rule that matches is applied (the rectangles of all of them). A rectangle reaching
outside the image is an error for that dataset (``DeidentificationError``): nothing is
written for it.

Fill value, per sample: 0 for unsigned data (Pixel Representation 0); for signed data
(Pixel Representation 1) the minimum of the stored range, -2**(Bits Stored - 1). For
YBR_FULL and YBR_FULL_422 the fill is done on the stored (not RGB-converted) samples and is
black: Y = 0 (the minimum as above), Cb = Cr = 2**(Bits Stored - 1), the zero of the colour
difference, which converts to RGB (0, 0, 0).

Writing back, by the dataset's transfer syntax:

* native (Implicit / Explicit VR Little Endian, Explicit VR Big Endian, Deflated): the
  cleaned samples in the same layout (byte order, planar configuration); YBR_FULL_422 is
  written as YBR_FULL (full chroma: the decoded samples; sub-sampling again would mix
  cleaned and uncleaned chroma at a rectangle's edge);
* RLE Lossless, JPEG 2000 Lossless, JPEG-LS Lossless, HTJ2K Lossless: decoded, cleaned and
  encoded again in the same syntax by ``dcmfast.pixels.codec.compress`` (where there is no
  encoder, ``compress`` raises and the dataset fails: nothing written);
* any other encapsulated syntax (JPEG baseline / extended, JPEG 2000, JPEG-LS near-lossless,
  HTJ2K, JPEG Lossless without an encoder, ...): decoded (YBR converted to RGB), cleaned and
  written as Explicit VR Little Endian: never encoded again with a new loss (Lossy Image
  Compression stays as it was, "01" for a lossy source).

The result says which rules were applied (their indices in the list): the audit log records
``"pixels": "pixels cleaned"`` with those indices, and the de-identification adds the code
(113101, DCM, "Clean Pixel Data Option") of PS3.16 CID 7050 to the De-identification
Method Code Sequence of that dataset only.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import DeidentificationError

__all__ = ["PixelRule", "PixelCleaner", "load_rules"]

_NATIVE = {
    "1.2.840.10008.1.2": "<",
    "1.2.840.10008.1.2.1": "<",
    "1.2.840.10008.1.2.1.99": "<",
    "1.2.840.10008.1.2.2": ">",
}
# encapsulated lossless syntaxes written again in the same syntax
_LOSSLESS = frozenset({
    "1.2.840.10008.1.2.5",  # RLE Lossless
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 Image Compression (Lossless Only)
    "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.201",  # HTJ2K (Lossless Only)
    "1.2.840.10008.1.2.4.202",  # HTJ2K with RPCL Options (Lossless Only)
    "1.2.840.10008.1.2.4.57",  # JPEG Lossless, Non-Hierarchical (Process 14)
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless, Non-Hierarchical, First-Order Prediction
})
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_KEYS = ("manufacturer", "model", "rows", "columns", "rectangles")


@dataclass(frozen=True)
class PixelRule:
    """One device's burned-in text: where it is, for images of one size."""

    manufacturer: str
    model: str
    rows: int
    columns: int
    rectangles: tuple[tuple[int, int, int, int], ...]

    def matches(self, manufacturer: str, model: str, rows: int, columns: int) -> bool:
        return (rows == self.rows and columns == self.columns
                and self.manufacturer in ("*", manufacturer) and self.model in ("*", model))


def _norm(text: Any) -> str:
    return str(text).strip(" \0").casefold()


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DeidentificationError(f"pixel cleaning rule: {what} must be an integer, not {value!r}")
    return value


def _rule(raw: Any, i: int) -> PixelRule:
    if not isinstance(raw, dict):
        raise DeidentificationError(f"pixel cleaning rule {i}: must be an object, not {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_KEYS))
    missing = [k for k in _KEYS if k not in raw]
    if unknown or missing:
        problems = [f"unknown key(s) {unknown}"] if unknown else []
        problems += [f"missing {missing}"] if missing else []
        raise DeidentificationError(
            f"pixel cleaning rule {i}: {'; '.join(problems)} (keys: {', '.join(_KEYS)})")
    for k in ("manufacturer", "model"):
        if not isinstance(raw[k], str):
            raise DeidentificationError(f"pixel cleaning rule {i}: {k} must be a string")
    rows = _int(raw["rows"], f"rule {i} rows")
    cols = _int(raw["columns"], f"rule {i} columns")
    if rows < 1 or cols < 1:
        raise DeidentificationError(f"pixel cleaning rule {i}: rows and columns must be at least 1")
    rects = raw["rectangles"]
    if not isinstance(rects, list) or not rects:
        raise DeidentificationError(f"pixel cleaning rule {i}: rectangles must be a non-empty list")
    out = []
    for r in rects:
        if not isinstance(r, (list, tuple)) or len(r) != 4:
            raise DeidentificationError(f"pixel cleaning rule {i}: a rectangle is [x, y, width, height]")
        x, y, w, h = (_int(v, f"rule {i} rectangle") for v in r)
        if x < 0 or y < 0 or w < 1 or h < 1:
            raise DeidentificationError(
                f"pixel cleaning rule {i}: rectangle {list(r)}: x, y must be >= 0, width, height >= 1")
        out.append((x, y, w, h))
    return PixelRule(_norm(raw["manufacturer"]), _norm(raw["model"]), rows, cols, tuple(out))


def load_rules(source: str | os.PathLike[str] | Iterable[Any]) -> list[PixelRule]:
    """The rules of a file (TOML if its name ends with ``.toml``, else JSON; a JSON object
    or a TOML document holds them under ``rule``), or of a list of dicts / :class:`PixelRule`.
    Malformed rules raise ``DeidentificationError``."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise DeidentificationError(f"{path}: {exc.strerror or exc}") from exc
        text = data.decode("utf-8", "replace").lstrip("\ufeff")
        try:
            if path.lower().endswith(".toml"):
                parsed: Any = _toml().loads(text)
            else:
                parsed = json.loads(text)
        except ValueError as exc:
            raise DeidentificationError(f"{path}: not a JSON or TOML rule file ({exc})") from exc
        if isinstance(parsed, dict):
            parsed = parsed.get("rule", None)
        if not isinstance(parsed, list):
            raise DeidentificationError(f"{path}: the rules must be a list (JSON) or [[rule]] tables (TOML)")
        source = parsed
    rules: list[PixelRule] = []
    for i, raw in enumerate(source):
        rules.append(raw if isinstance(raw, PixelRule) else _rule(raw, i))
    return rules


def _toml() -> Any:
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]
        except ImportError:
            raise DeidentificationError("TOML rule files need Python 3.11 or the tomli package; "
                                        "use a JSON file") from None
    return tomllib


def _text(ds: Any, tag: int) -> str:
    elem = ds.get(tag)
    if elem is None or elem.value is None:
        return ""
    value = elem.value
    if not isinstance(value, str):
        value = value[0] if len(value) else ""
    return _norm(value)


class PixelCleaner:
    """Applies a rule list (see this module's docstring)."""

    def __init__(self, rules: str | os.PathLike[str] | Iterable[Any]) -> None:
        self.rules = load_rules(rules)

    def matching(self, ds: Any) -> list[int]:
        """The indices of the rules that match `ds` (no rule: an empty list)."""
        rows, cols = ds.get(0x00280010), ds.get(0x00280011)
        if rows is None or cols is None or rows.value is None or cols.value is None:
            return []
        man, model = _text(ds, 0x00080070), _text(ds, 0x00081090)
        r, c = int(rows.value), int(cols.value)
        return [i for i, rule in enumerate(self.rules) if rule.matches(man, model, r, c)]

    def clean(self, ds: Any) -> list[int]:
        """Clean `ds` in place by every matching rule; their indices (empty: nothing done).
        Raises DeidentificationError (a rectangle outside the image, pixel data that cannot
        be decoded or encoded again), leaving `ds`'s pixel data as it was."""
        found = self.matching(ds)
        if not found:
            return found
        rects = [r for i in found for r in self.rules[i].rectangles]
        try:
            _clean(ds, rects)
        except DeidentificationError:
            raise
        except Exception as exc:
            raise DeidentificationError(f"pixel cleaning failed: {type(exc).__name__}: {exc}") from exc
        return found


def _fill_values(ds: Any, spp: int) -> list[int]:
    bits = int(ds.get(0x00280101).value if ds.get(0x00280101) is not None else ds.BitsAllocated)
    signed = int(ds.get(0x00280103).value or 0) == 1 if ds.get(0x00280103) is not None else False
    low = -(1 << (bits - 1)) if signed else 0
    pi = str(ds.get(0x00280004).value if ds.get(0x00280004) is not None else "").strip().upper()
    if spp == 3 and pi.startswith("YBR_FULL"):
        mid = 0 if signed else 1 << (bits - 1)
        return [low, mid, mid]
    return [low] * spp


def _clean(ds: Any, rects: Sequence[tuple[int, int, int, int]]) -> None:
    import numpy as np

    from ..pixels import codec

    meta = getattr(ds, "file_meta", None)
    ts = str(meta.get(0x00020010).value).strip(" \0") if meta is not None and meta.get(0x00020010) else ""
    if ts not in _NATIVE and not ts:
        raise DeidentificationError("pixel cleaning: the dataset has no Transfer Syntax UID")
    if ds.get(0x7FE00010) is None:
        raise DeidentificationError("pixel cleaning: no Pixel Data (7FE0,0010) (float pixel data is not "
                                    "cleaned)")
    rows, cols = int(ds.Rows), int(ds.Columns)
    for x, y, w, h in rects:
        if x + w > cols or y + h > rows:
            raise DeidentificationError(
                f"pixel cleaning: rectangle [{x}, {y}, {w}, {h}] reaches outside the {cols} x {rows} image")
    if int(ds.BitsAllocated) not in (8, 16, 32):
        raise DeidentificationError(f"pixel cleaning: Bits Allocated {ds.BitsAllocated} is not supported")
    encapsulated = ts not in _NATIVE
    lossless = ts in _LOSSLESS
    snapshot = {t: ds[t] for t in (0x7FE00010, 0x00280004, 0x00280006, 0x00280008, 0x7FE00001, 0x7FE00002)
                if t in ds}
    old_ts = meta[0x00020010] if meta is not None else None
    try:
        if encapsulated:
            # native Explicit VR Little Endian first; YBR kept as stored for a lossless source
            codec.decompress(ds, as_rgb=not lossless, generate_instance_uid=False)
        spp = int(ds.get(0x00280002).value or 1) if ds.get(0x00280002) is not None else 1
        pi = str(ds.PhotometricInterpretation).strip().upper()
        arr = np.array(_stored(ds), copy=True)
        frames = arr.reshape((-1, rows, cols, spp))
        fills = _fill_values(ds, spp)
        for x, y, w, h in rects:
            for s in range(spp):
                frames[:, y:y + h, x:x + w, s] = fills[s]
        _write_native(ds, frames, ts if not encapsulated else _EXPLICIT_LE, spp, pi)
        if encapsulated and lossless:
            codec.compress(ds, ts, generate_instance_uid=False)
    except BaseException:
        for tag in (0x7FE00010, 0x00280004, 0x00280006, 0x00280008, 0x7FE00001, 0x7FE00002):
            if tag in snapshot:
                ds[tag] = snapshot[tag]
            elif tag in ds:
                del ds[tag]
        if old_ts is not None and meta is not None:
            meta[0x00020010] = old_ts
        ds.__dict__.pop("_pixel_array", None)
        raise
    _set(ds, 0x00280301, "CS", "NO")  # Burned In Annotation


def _set(ds: Any, tag: int, vr: str, value: Any) -> None:
    from ..dataelem import DataElement

    # valid by construction: no pydicom value checks (they import pydicom in a worker)
    ds[tag] = DataElement(tag, vr, value, validation_mode=0)


def _stored(ds: Any) -> Any:
    """Every frame's samples as stored (YBR not converted), frames first."""
    from ..pixels import pixel_array

    return pixel_array(ds, as_rgb=False)


def _write_native(ds: Any, frames: Any, ts: str, spp: int, pi: str) -> None:
    from ..dataelem import DataElement

    order = _NATIVE.get(ts, "<")
    bits = int(ds.BitsAllocated)
    signed = int(ds.get(0x00280103).value or 0) == 1 if ds.get(0x00280103) is not None else False
    dtype = f"{order}{'i' if signed else 'u'}{bits // 8}"
    data = frames.astype(dtype, copy=False)
    if spp > 1 and int(ds.get(0x00280006).value or 0 if ds.get(0x00280006) is not None else 0) == 1:
        data = data.transpose(0, 3, 1, 2)  # planar configuration 1: one plane per sample
    raw = data.tobytes()
    if len(raw) % 2:
        raw += b"\0"
    old = ds.get(0x7FE00010)
    vr = old.VR if old is not None and old.VR in ("OB", "OW") else ("OB" if bits == 8 else "OW")
    ds[0x7FE00010] = DataElement(0x7FE00010, vr, raw, validation_mode=0)
    if pi == "YBR_FULL_422":
        _set(ds, 0x00280004, "CS", "YBR_FULL")
    ds.__dict__.pop("_pixel_array", None)
