"""The oracle of the de-identification tests: PS3.15 Table E.1-1 as the standard publishes it.

From the JSON beside the repository (``../shared/standard/``) when present, otherwise from
the generated ``dcmfast.deid._table`` (which tests/deid/test_table.py checks against the
JSON wherever the JSON is present).
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JSON_PATH = ROOT.parent / "shared" / "standard" / "ps3.15-table-e.1-1.json"

OPTION_COLUMNS = {
    "retain_safe_private": "rtnSafePrivOpt",
    "retain_uids": "rtnUIDsOpt",
    "retain_device_identity": "rtnDevIdOpt",
    "retain_institution_identity": "rtnInstIdOpt",
    "retain_patient_characteristics": "rtnPatCharsOpt",
    "retain_long_full_dates": "rtnLongFullDatesOpt",
    "retain_long_modified_dates": "rtnLongModifDatesOpt",
    "clean_descriptors": "cleanDescOpt",
    "clean_structured_content": "cleanStructContOpt",
    "clean_graphics": "cleanGraphOpt",
}


def rows() -> list[dict[str, str]]:
    """One dict per attribute: tag text "(gggg,eeee)" (x for repeating groups), basicProfile,
    option columns."""
    if JSON_PATH.is_file():
        return [r for r in json.loads(JSON_PATH.read_bytes()) if "GGGG" not in r["tag"].upper()]
    from dcmfast.deid._table import MASKED, TABLE

    out = []
    for tag, (basic, opts) in TABLE.items():
        out.append({"tag": f"({tag >> 16:04X},{tag & 0xFFFF:04X})", "basicProfile": basic, **opts})
    for value, mask, basic, opts in MASKED:
        text = "".join("X" if (mask >> s) & 0xF == 0 else f"{(value >> s) & 0xF:X}"
                       for s in range(28, -4, -4))
        out.append({"tag": f"({text[:4]},{text[4:]})", "basicProfile": basic, **opts})
    return out


def expected_code(row: dict[str, str], options: tuple[str, ...]) -> str:
    """The table's action for `row` under `options`: an option's entry when a chosen option has
    one (C over K when several do), else the Basic Profile code."""
    codes = {row[OPTION_COLUMNS[o]] for o in options if row.get(OPTION_COLUMNS[o])}
    if codes:
        return "C" if "C" in codes else "K"
    return row["basicProfile"]
