"""The LUT functions the exports use, behind one small wrapper.

They are dcmfast's compiled equivalents of pydicom's (``dcmfast.pixels.lut``: the same
results, tested against pydicom's functions).
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["apply_modality_lut", "apply_voi_lut", "apply_windowing", "as_pydicom", "window"]

# the header elements the LUT functions read
_KEYWORDS = ("PhotometricInterpretation", "BitsAllocated", "BitsStored", "PixelRepresentation",
             "RescaleSlope", "RescaleIntercept", "RescaleType", "ModalityLUTSequence",
             "VOILUTSequence", "WindowCenter", "WindowWidth", "VOILUTFunction")


def _impl() -> Any:
    from dcmfast.pixels import lut

    return lut


def apply_modality_lut(arr: np.ndarray, ds: Any) -> np.ndarray:
    return _impl().apply_modality_lut(arr, ds)  # type: ignore[no-any-return]


def apply_voi_lut(arr: np.ndarray, ds: Any, index: int = 0) -> np.ndarray:
    return _impl().apply_voi_lut(arr, ds, index=index)  # type: ignore[no-any-return]


def apply_windowing(arr: np.ndarray, ds: Any, index: int = 0) -> np.ndarray:
    return _impl().apply_windowing(arr, ds, index=index)  # type: ignore[no-any-return]


def as_pydicom(ds: Any) -> Any:
    """A new pydicom Dataset holding `ds`'s LUT-related elements (and its transfer
    syntax, which an OW Modality LUT needs): the exports may change it freely."""
    import pydicom

    src = ds.to_pydicom() if hasattr(ds, "to_pydicom") else ds
    out = pydicom.Dataset()
    for kw in _KEYWORDS:
        if kw in src:
            out[kw] = src[kw]
    meta = getattr(src, "file_meta", None)
    if meta is not None and "TransferSyntaxUID" in meta:
        out.file_meta = pydicom.dataset.FileMetaDataset()
        out.file_meta.TransferSyntaxUID = meta.TransferSyntaxUID
    return out


def window(values: np.ndarray, pds: Any) -> tuple[np.ndarray, float, float]:
    """The first VOI transform of `pds` applied to `values` (modality values), and the
    output range it maps onto (lowest, highest)."""
    if "VOILUTSequence" in pds and pds.VOILUTSequence:
        out = apply_voi_lut(values, pds, index=0)
        bits = int(pds.VOILUTSequence[0].LUTDescriptor[2])
        return out, 0.0, float((1 << bits) - 1)
    out = apply_windowing(values.astype(np.float64), pds, index=0)
    ends = apply_windowing(np.array([-1e300, 1e300]), pds, index=0)
    return out, float(ends[0]), float(ends[1])
