"""De-identification by DICOM PS3.15 Annex E (Application Level Confidentiality Profile).

``Deidentifier(options, key=...)`` turns a dataset into its de-identified form in memory;
``plan(ds)`` lists each element's action (tag, VR, action: never a value) for an audit
log; ``process(inputs, out_dir)`` de-identifies many files into a folder (``run.py``,
through the splice fast path of ``splice.py``). The rules are in ``dcmfast.deid.engine``'s
docstring and docs/deid.md.
"""
from __future__ import annotations

from .engine import METHOD_CODES, OPTIONS, Deidentifier, PlanEntry, format_path
from .keys import load_key, new_key, save_key
from .quarantine import needs_quarantine, quarantine_reason
from .run import Summary

__all__ = [
    "Deidentifier",
    "PlanEntry",
    "OPTIONS",
    "METHOD_CODES",
    "format_path",
    "load_key",
    "save_key",
    "new_key",
    "quarantine_reason",
    "needs_quarantine",
    "Summary",
]
