"""Shared helpers of the writer tests: the corpus, pydicom's writer as the oracle."""
from __future__ import annotations

import io
import warnings
from typing import Any

import pydicom

import dcmfast

# Files whose *read* differs from pydicom's by design (docs/pydicom-differences.md):
# pydicom returns an empty dataset where the data ends inside an undefined-length value;
# dcmfast keeps the elements before it. Their writes cannot be compared.
READ_DIFFERS = {"data/emri_small_jpeg_2k_lossless_too_short.dcm"}

SYNTAXES = {
    "implicit": "1.2.840.10008.1.2",
    "explicit": "1.2.840.10008.1.2.1",
    "deflated": "1.2.840.10008.1.2.1.99",
    "big": "1.2.840.10008.1.2.2",
}


def pydicom_bytes(ds: Any, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    pydicom.dcmwrite(out, ds, **kwargs)
    return out.getvalue()


def quiet_read(module: Any, path: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return module.dcmread(path, force=True, **kwargs)


def both(path: Any, action: Any) -> tuple[Any, Any]:
    """`action(module, dataset)` on pydicom's and dcmfast's read of `path`: (result or
    exception) for each."""
    out = []
    for module in (pydicom, dcmfast):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = quiet_read(module, path)
                out.append(action(module, ds))
        except Exception as exc:  # noqa: BLE001 - compared below
            out.append(exc)
    return out[0], out[1]


def write_with(module: Any, ds: Any, **kwargs: Any) -> bytes:
    if module is pydicom:
        return pydicom_bytes(ds, **kwargs)
    return dcmfast.dcmwrite_bytes(ds, **kwargs)
