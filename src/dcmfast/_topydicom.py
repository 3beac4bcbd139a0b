"""Conversion of dcmfast datasets into genuine pydicom datasets (``Dataset.to_pydicom``)."""
from __future__ import annotations

from typing import Any

from .dataset import Dataset, FileDataset
from .sequence import Sequence
from .tag import BaseTag
from .valuerep import IS, UID, DSfloat, ISfloat, MultiValue, PersonName


def _value(value: Any) -> Any:
    import pydicom.uid
    import pydicom.valuerep as pvr

    if isinstance(value, Sequence):
        return pydicom.Sequence([_dataset(item, pydicom.Dataset()) for item in value])
    if isinstance(value, MultiValue):
        return [_value(v) for v in value]
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, PersonName):
        return pvr.PersonName(str(value), encodings=list(value.encodings) if value.encodings else None)
    if isinstance(value, DSfloat):
        return pvr.DSfloat(str(value))
    if isinstance(value, ISfloat):
        return pvr.ISfloat(str(value))
    if isinstance(value, IS):
        return pvr.IS(str(value))
    if isinstance(value, UID):
        return pydicom.uid.UID(str(value))
    if isinstance(value, BaseTag):
        return pydicom.tag.BaseTag(int(value))
    return value


def _element(elem: Any) -> Any:
    import warnings

    import pydicom

    with warnings.catch_warnings():
        # values were validated (and warned about) when read
        warnings.simplefilter("ignore")
        value = _value(elem.value)
        new = pydicom.DataElement(
            int(elem.tag), elem.VR, value, elem.file_tell, elem.is_undefined_length, already_converted=True
        )
        if isinstance(value, list) and elem.VR != "SQ":
            # what pydicom's value setter makes of a list (a MultiValue of its own
            # types), except where the original was a plain list of numbers
            if isinstance(elem.value, MultiValue):
                new.value = value
    new.private_creator = elem.private_creator
    return new


def _dataset(ds: Dataset, target: Any) -> Any:
    for elem in ds:
        target._dict[elem.tag] = _element(elem)
    target.set_original_encoding(*ds.original_encoding, ds.original_character_set)
    target.is_undefined_length_sequence_item = ds.is_undefined_length_sequence_item
    for name in ("file_tell", "seq_item_tell"):
        if hasattr(ds, name):
            setattr(target, name, getattr(ds, name))
    return target


def to_pydicom(ds: Dataset) -> Any:
    """A genuine pydicom Dataset (FileDataset for files) equal to pydicom's own read."""
    import pydicom
    from pydicom.dataset import FileMetaDataset

    if isinstance(ds, FileDataset):
        meta = _dataset(ds.file_meta, FileMetaDataset())
        source = ds.filename if ds.filename else ds.buffer
        out = pydicom.FileDataset(
            source, pydicom.Dataset(), preamble=ds.preamble, file_meta=meta,
            is_implicit_VR=bool(ds.original_encoding[0]), is_little_endian=bool(ds.original_encoding[1]),
        )
        return _dataset(ds, out)
    return _dataset(ds, pydicom.Dataset())
