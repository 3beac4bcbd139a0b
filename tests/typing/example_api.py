"""A small user of dcmfast's public API, type-checked with ``mypy --strict``.

tests/test_typing.py checks this file against the installed (or in-tree) package, so
the package's ``py.typed``, annotations and ``.pyi`` stubs have to be usable by a
strict client; the same test also runs it on a real file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import dcmfast
from dcmfast import DataElement, Dataset, FileDataset, InvalidDicomError, Sequence, Tag


def summarize(path: Path) -> dict[str, object]:
    ds: FileDataset = dcmfast.dcmread(path)
    name = str(ds.PatientName)                      # keyword attribute access
    rows: int = ds[0x00280010].value                # item access by tag
    elem: DataElement = ds["PatientID"]
    assert elem.tag == Tag(0x0010, 0x0020)
    vr: str = elem.VR
    keyword: str = elem.keyword
    manufacturer = ds.get("Manufacturer", "")
    tags = [int(e.tag) for e in ds.iterall()]
    pixels: np.ndarray = ds.pixel_array
    return {
        "name": name,
        "rows": rows,
        "id": (keyword, vr, elem.value),
        "manufacturer": manufacturer,
        "elements": len(tags),
        "shape": pixels.shape,
        "backend": dcmfast.BACKEND,
        "version": dcmfast.__version__,
    }


def build_sequence() -> Sequence:
    item = Dataset()
    item.PatientName = "Doe^Jane"
    seq = Sequence([item])
    seq.append(Dataset())
    return seq


def read_or_none(data: bytes) -> FileDataset | None:
    try:
        return dcmfast.dcmread(data)
    except InvalidDicomError as exc:
        print(exc)
        return None
