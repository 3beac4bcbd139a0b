"""Run one input through everything dcmfast promises to survive, and classify what escapes.

The guarantee (issue 7): for any bytes, ``dcmread`` (every option), a value walk at
every depth, ``str(ds)`` and ``ds.pixel_array`` either succeed or raise a
:class:`dcmfast.errors.DcmfastError`. :func:`exercise` runs that walk and returns
the exceptions that were *not* DcmfastErrors, each with the dcmfast source file it
came from, so the mutation test, the hypothesis properties and the atheris fuzz
target all judge inputs the same way.
"""
from __future__ import annotations

import logging
import os
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
if "dcmfast" not in sys.modules and SRC.is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

import dcmfast  # noqa: E402
from dcmfast.errors import DcmfastError  # noqa: E402

DCMFAST_DIR = Path(dcmfast.__file__).resolve().parent

# The option sets of dcmread the guarantee covers (defer_size is accepted and ignored).
OPTION_SETS: list[dict] = [
    {"force": True},
    {"force": False},
    {"force": True, "stop_before_pixels": True},
    {"force": True, "specific_tags": [0x00100010, 0x00280010, "PatientID", 0x7FE00010]},
    {"force": True, "defer_size": 64},
]

# Files whose escapes are the lead's to fix (reported with reproducers, see
# tests/hostile/regressions/README.md); every other file is owned by this work.
LEAD_FILES = frozenset(
    ["values.pyx", "element.pyx", "dataset.py", "dataelem.py", "valuerep.py", "charset.py",
     "sequence.py", "tag.py"]
)

# Test-time cap on what one read may allocate: far above what the mutated seeds
# need, far below what a hostile header could ask for.
TEST_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Escape:
    """A non-dcmfast exception that escaped, and where it was raised."""

    stage: str  # read / walk / str / pixels
    exc_type: str
    origin: str  # innermost dcmfast source file in the traceback ('' when none)
    message: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.exc_type, self.origin)

    @property
    def lead_owned(self) -> bool:
        return self.origin in LEAD_FILES


def _origin(exc: BaseException) -> str:
    origin = ""
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        try:
            inside = Path(filename).resolve().is_relative_to(DCMFAST_DIR)
        except (OSError, ValueError):
            inside = False
        if inside or filename.endswith((".pyx", ".pxd")):
            origin = os.path.basename(filename)
    return origin


def walk(ds) -> int:
    """Read every element's value at every depth; return how many were read."""
    n = 0
    for elem in ds.iterall():
        elem.value  # noqa: B018
        n += 1
    return n


# Read by keyword before anything else reads the dataset: that path converts values
# straight from the index (no DataElement) and keeps them in the dataset's C slot.
KEYWORDS = ("SpecificCharacterSet", "PatientName", "PatientID", "StudyDate", "Modality", "Rows",
            "Columns", "BitsAllocated", "PixelSpacing", "ImagePositionPatient", "WindowCenter",
            "SOPInstanceUID", "LUTDescriptor", "SmallestImagePixelValue", "ReferencedImageSequence",
            "PerFrameFunctionalGroupsSequence", "PlanePositionSequence", "BeamSequence",
            "ControlPointSequence", "ContentSequence", "PixelData", "Rows")


def keywords(ds, depth: int = 0) -> int:
    """Read KEYWORDS from `ds` and the first items of the sequences among them."""
    n = 0
    for name in KEYWORDS:
        value = getattr(ds, name, None)
        n += 1
        if depth < 4 and isinstance(value, dcmfast.Sequence):
            for item in list(value)[:2]:
                n += keywords(item, depth + 1)
    return n


def _stage(stage: str, fn, escapes: list[Escape]):
    try:
        return fn()
    except DcmfastError:
        return None
    except RecursionError as exc:  # always a failure: the scanner caps depth
        escapes.append(Escape(stage, "RecursionError", _origin(exc), str(exc)[:200]))
    except MemoryError as exc:
        escapes.append(Escape(stage, "MemoryError", _origin(exc), str(exc)[:200]))
    except Exception as exc:  # noqa: BLE001 - classifying is the point
        escapes.append(Escape(stage, type(exc).__name__, _origin(exc), str(exc)[:200]))
    return None


def exercise(data: bytes, options: dict | None = None, *, pixels: bool = True,
             max_bytes: int | None = TEST_MAX_BYTES) -> list[Escape]:
    """dcmread(data, **options), the full walk, str(ds) and pixel_array; the escapes."""
    options = dict(OPTION_SETS[0] if options is None else options)
    if max_bytes is not None:
        options.setdefault("max_bytes", max_bytes)
    escapes: list[Escape] = []
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = _stage("read", lambda: dcmfast.dcmread(bytes(data), **options), escapes)
            if ds is None:
                return escapes
            _stage("keywords", lambda: keywords(ds), escapes)
            _stage("walk", lambda: walk(ds), escapes)
            _stage("str", lambda: str(ds), escapes)
            if pixels and not options.get("stop_before_pixels"):
                _stage("pixels", lambda: ds.pixel_array, escapes)
    finally:
        logging.disable(previous)
    return escapes


def exercise_all(data: bytes, *, pixels: bool = True) -> list[Escape]:
    """:func:`exercise` under every option set."""
    out: list[Escape] = []
    for opts in OPTION_SETS:
        out += exercise(data, opts, pixels=pixels)
    return out
