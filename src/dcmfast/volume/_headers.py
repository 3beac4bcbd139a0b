"""What the volume code needs to know about each slice: one :class:`SliceInfo` per
single-frame file, or per frame of an enhanced multi-frame file (its Shared and
Per-frame Functional Groups: Plane Position, Plane Orientation, Pixel Measures, Pixel
Value Transformation).
"""
from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

from dcmfast.errors import DcmfastError, VolumeError

__all__ = ["SliceInfo", "read_headers", "source_name", "learn_luts"]


@dataclasses.dataclass(slots=True)
class SliceInfo:
    """One slice: where it comes from and the values that place and describe it."""

    source: Any  # a path (str) or a dataset given by the caller
    name: str  # the file name or "dataset #i" in messages
    frame: int | None  # frame index in a multi-frame source, None for a single frame
    series_uid: str | None
    frame_of_reference: str | None
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    pixel_spacing: tuple[float, float] | None
    rows: int | None
    columns: int | None
    samples_per_pixel: int
    bits_allocated: int | None
    bits_stored: int | None
    pixel_representation: int
    photometric: str
    slope: float | None  # None: no Rescale Slope / Intercept pair (pydicom then rescales nothing)
    intercept: float | None
    modality_lut: bool  # a Modality LUT Sequence (applied by pydicom, not by the fused path)
    instance_number: int | None
    number_of_frames: int
    has_pixels: bool
    window: tuple[float, float] | None = None
    # with a Modality LUT: the type apply_modality_lut gives ("uint" + the LUT Descriptor's
    # bit depth), or why there is none
    lut_dtype: str | None = None
    # False: read from an ingest record (no sequences): a Modality LUT may be unseen
    lut_known: bool = True


def source_name(source: Any, index: int) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "filename", None)
    return name if isinstance(name, str) and name else f"dataset #{index}"


def _floats(value: Any, count: int, what: str, name: str) -> tuple[float, ...] | None:
    """`count` finite floats from a DS value, None when absent; VolumeError when there
    are not `count` of them or one is not finite."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float, str)):
            numbers: tuple[float, ...] = (float(value),)
        else:
            numbers = tuple(map(float, value))
    except (TypeError, ValueError) as exc:
        raise VolumeError(f"{name}: {what} {value!r} is not numeric ({exc})") from None
    if len(numbers) != count:
        raise VolumeError(f"{name}: {what} has {len(numbers)} values, {count} expected")
    if not all(map(math.isfinite, numbers)):
        raise VolumeError(f"{name}: {what} {list(numbers)} is not finite")
    return numbers


def _int(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


def _first_item(ds: Any, keyword: str) -> Any:
    seq = ds.get(keyword) if ds is not None else None
    try:
        return seq[0] if seq else None
    except (IndexError, TypeError):
        return None


def _group_value(per_frame: Any, shared: Any, macro: str, keyword: str) -> Any:
    """`keyword` of the functional group `macro`, per frame first, then shared."""
    for groups in (per_frame, shared):
        item = _first_item(groups, macro)
        if item is not None and item.get(keyword) is not None:
            return item.get(keyword)
    return None


def _rescale(slope: Any, intercept: Any, name: str) -> tuple[float | None, float | None]:
    if slope is None or intercept is None or slope == "" or intercept == "":
        return None, None  # pydicom's apply_modality_lut needs both
    s = _floats(slope, 1, "(0028,1053) Rescale Slope", name)
    i = _floats(intercept, 1, "(0028,1052) Rescale Intercept", name)
    return (s[0] if s else None), (i[0] if i else None)


def _window(ds: Any) -> tuple[float, float] | None:
    try:
        c, w = ds.get("WindowCenter"), ds.get("WindowWidth")
        if c is None or w is None:
            return None
        c = c[0] if not isinstance(c, (int, float, str)) else c
        w = w[0] if not isinstance(w, (int, float, str)) else w
        return float(c), float(w)
    except (TypeError, ValueError, IndexError):
        return None


def _lut_dtype(ds: Any, name: str) -> str | None:
    """The type pydicom's apply_modality_lut gives with the dataset's Modality LUT
    Sequence (``uint`` + the LUT Descriptor's bit depth), or None without one."""
    seq = ds.get("ModalityLUTSequence")
    if not seq:
        return None
    try:
        return f"uint{int(seq[0].LUTDescriptor[2])}"
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return f"{name}: no valid (0028,3002) LUT Descriptor in the Modality LUT Sequence"


def slices_of(ds: Any, source: Any, name: str) -> list[SliceInfo]:
    """The slices of one dataset (read up to its pixel data)."""
    # an ingest record: its dict directly (missing and None both give None, as _Record.get)
    get = ds.values.get if isinstance(ds, _Record) else ds.get
    has_pixels = any(t in ds for t in (0x7FE00010, 0x7FE00008, 0x7FE00009))
    frames = _int(get("NumberOfFrames")) or 1
    common = dict(
        source=source, name=name,
        series_uid=_str(get("SeriesInstanceUID")),
        frame_of_reference=_str(get("FrameOfReferenceUID")),
        rows=_int(get("Rows")), columns=_int(get("Columns")),
        samples_per_pixel=_int(get("SamplesPerPixel")) or 1,
        bits_allocated=_int(get("BitsAllocated")), bits_stored=_int(get("BitsStored")),
        pixel_representation=_int(get("PixelRepresentation")) or 0,
        photometric=str(get("PhotometricInterpretation") or "").strip(),
        modality_lut=bool(get("ModalityLUTSequence")),
        lut_dtype=_lut_dtype(ds, name), lut_known=not isinstance(ds, _Record),
        instance_number=_int(get("InstanceNumber")),
        number_of_frames=frames, has_pixels=has_pixels, window=_window(ds),
    )
    per_frame: Any = get("PerFrameFunctionalGroupsSequence")
    shared = _first_item(ds, "SharedFunctionalGroupsSequence")
    if per_frame is None and shared is None:
        slope, intercept = _rescale(get("RescaleSlope"), get("RescaleIntercept"), name)
        info = SliceInfo(
            frame=None if frames == 1 else 0,
            position=_floats(get("ImagePositionPatient"), 3, "(0020,0032) Image Position (Patient)",
                             name),  # type: ignore[arg-type]
            orientation=_floats(get("ImageOrientationPatient"), 6,
                                "(0020,0037) Image Orientation (Patient)", name),
            pixel_spacing=_floats(get("PixelSpacing"), 2, "(0028,0030) Pixel Spacing",
                                  name),  # type: ignore[arg-type]
            slope=slope, intercept=intercept, **common)
        if frames == 1:
            return [info]
        # a multi-frame image without functional groups has one position for all frames
        raise VolumeError(f"{name}: {frames} frames but no Per-frame Functional Groups "
                          "Sequence placing them")
    nr = len(per_frame) if per_frame is not None else 0
    if nr != frames:
        raise VolumeError(f"{name}: the Per-frame Functional Groups Sequence has {nr} items "
                          f"for {frames} frames")
    out = []
    for f in range(frames):
        item = per_frame[f]
        where = f"{name} frame {f}"
        slope, intercept = _rescale(
            _group_value(item, shared, "PixelValueTransformationSequence", "RescaleSlope"),
            _group_value(item, shared, "PixelValueTransformationSequence", "RescaleIntercept"), where)
        if slope is None:  # the top-level pair when the functional groups have none
            slope, intercept = _rescale(get("RescaleSlope"), get("RescaleIntercept"), where)
        out.append(SliceInfo(
            frame=f,
            position=_floats(_group_value(item, shared, "PlanePositionSequence", "ImagePositionPatient"),
                             3, "(0020,0032) Image Position (Patient)", where),  # type: ignore[arg-type]
            orientation=_floats(
                _group_value(item, shared, "PlaneOrientationSequence", "ImageOrientationPatient"), 6,
                "(0020,0037) Image Orientation (Patient)", where),
            pixel_spacing=_floats(_group_value(item, shared, "PixelMeasuresSequence", "PixelSpacing"),
                                  2, "(0028,0030) Pixel Spacing", where),  # type: ignore[arg-type]
            slope=slope, intercept=intercept, **common))
    return out


def _str(value: Any) -> str | None:
    return None if value is None else str(value).strip("\0 ") or None


def read_header(source: Any, index: int) -> tuple[Any, str]:
    """The dataset of `source` up to its pixel data (a path is read that far), and its name."""
    name = source_name(source, index)
    if not isinstance(source, (str, os.PathLike)):
        return source, name
    from dcmfast.reader import dcmread

    try:
        return dcmread(source, stop_before_pixels=True), name
    except DcmfastError as exc:
        raise VolumeError(f"{name}: not readable as DICOM: {exc}") from exc
    except OSError as exc:
        raise VolumeError(f"{name}: {exc.strerror or exc}") from exc


# the top-level values read_headers asks dcmfast.ingest for
_TAGS = ("SeriesInstanceUID", "FrameOfReferenceUID", "ImagePositionPatient",
         "ImageOrientationPatient", "PixelSpacing", "Rows", "Columns", "SamplesPerPixel",
         "BitsAllocated", "BitsStored", "PixelRepresentation", "PhotometricInterpretation",
         "RescaleSlope", "RescaleIntercept", "NumberOfFrames", "InstanceNumber", "WindowCenter",
         "WindowWidth")  # no sequences: a Modality LUT Sequence is found by the assembly


class _Record:
    """An ingest record seen as the dataset ``slices_of`` reads (``get`` by keyword)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get(self, keyword: str, default: Any = None) -> Any:
        value = self.values.get(keyword)
        return default if value is None else value

    def __contains__(self, tag: Any) -> bool:
        return True  # pixel data: not looked at here (the assembly reads it)


def read_headers(sources: list[Any], threads: int | None = None) -> list[tuple[Any, str] | Exception]:
    """(dataset or record, name) of each source, or the VolumeError reading it raised.

    Paths are read by :func:`dcmfast.ingest.read_many` (compiled, a few KiB of each file,
    on `threads` threads); a file it could not read, a multi-frame file (its functional
    groups are sequences) or one without a top-level position is read by ``dcmread``.
    """
    paths = [i for i, s in enumerate(sources) if isinstance(s, (str, os.PathLike))]
    records: dict[int, Any] = {}
    if len(paths) > 1:
        from dcmfast.ingest import read_many

        for i, rec in zip(paths, read_many([os.fspath(sources[i]) for i in paths], tags=_TAGS,
                                           workers=threads), strict=True):
            frames = rec.get("NumberOfFrames")
            if (rec.get("error_type") is None and rec.get("ImagePositionPatient") is not None
                    and frames in (None, 1)):
                records[i] = _Record(rec)
    out: list[tuple[Any, str] | Exception] = []
    for i, src in enumerate(sources):
        if i in records:
            out.append((records[i], source_name(src, i)))
            continue
        try:
            out.append(read_header(src, i))
        except VolumeError as exc:
            out.append(exc)
    return out


def learn_luts(slices: list[SliceInfo]) -> None:
    """Fill in the Modality LUT of the slices read from ingest records (which hold no
    sequences), by reading their headers."""
    for i, s in enumerate(slices):
        if s.lut_known:
            continue
        ds, _name = read_header(s.source, i)
        s.modality_lut = bool(ds.get("ModalityLUTSequence"))
        s.lut_dtype = _lut_dtype(ds, s.name)
        s.lut_known = True
