"""Example datasets, as ``pydicom.examples``: ``dcmfast.examples.ct`` is pydicom's
CT_small.dcm read by dcmfast, loaded on first use (from pydicom's bundled test files).

Each access returns a fresh dataset, as pydicom's does, so changing one leaves the next
untouched.
"""
from __future__ import annotations

from typing import Any

__all__ = ["get_path", *sorted(["ct", "dicomdir", "jpeg2k", "mr", "no_meta", "overlay", "palette_color",
                                "rgb_color", "rt_dose", "rt_plan", "rt_ss", "waveform", "ybr_color"])]


def _paths() -> dict[str, str]:
    from pydicom.examples import _DATASETS

    return dict(_DATASETS)


def get_path(name: str) -> Any:
    """The path of the example dataset `name` (pydicom's ``examples.get_path``)."""
    from pydicom.examples import get_path as pydicom_get_path

    return pydicom_get_path(name)


def __getattr__(name: str) -> Any:
    if name in _paths():
        from .reader import dcmread

        return dcmread(get_path(name), force=True)
    raise AttributeError(f"module 'dcmfast.examples' has no attribute {name!r}")
