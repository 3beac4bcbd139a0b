"""Mistakes a type checker must catch in a user of dcmfast (tests/test_typing.py runs mypy
on this file and expects exactly the errors marked ``# error: <code>``)."""
from __future__ import annotations

from typing import Any

import numpy as np

import dcmfast


def mistakes(path: str) -> None:
    dcmfast.dcmread(123)  # error: arg-type
    ds = dcmfast.dcmread(path)
    ds.save_ass("out.dcm")  # error: attr-defined
    ds.iterall_elements()  # error: attr-defined
    ds.pixel_array.no_such_array_method()  # error: attr-defined


def fine(path: str) -> None:
    ds = dcmfast.dcmread(path)
    name: Any = ds.PatientName  # keyword attributes are Any
    ds.PatientID = "12345"
    arr: np.ndarray = ds.pixel_array
    ds.save_as("out.dcm")
    del name, arr
