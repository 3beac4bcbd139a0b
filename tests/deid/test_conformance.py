"""Table E.1-1 conformance: every attribute of the standard's table, under the Basic Profile
and under each option, at the top level and inside a nested sequence item.

The expected action comes from the standard's table (deid_standard.expected_code); the
combined codes are resolved as docs/deid.md states (X/Z -> Z; X/D, X/Z/D, Z/D -> D;
X/Z/U* -> keep the sequence, remap the UIDs in it). UIDs are checked against
HMAC-SHA256(key, UID) computed here.
"""
from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from deid_standard import expected_code, rows

from dcmfast import DataElement, Dataset, FileDataset, FileMetaDataset, Sequence
from dcmfast.datadict import dictionary_VM, dictionary_VR
from dcmfast.deid import Deidentifier

KEY = bytes(range(32))
NEST = 0x00289110  # Pixel Measures Sequence: an image description sequence, kept
REF_UID = 0x00081155  # Referenced SOP Instance UID (U in the table)
TEXT_VRS = {"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"}
BINARY_VRS = {"OB", "OW", "OF", "OD", "OL", "OV", "UN"}

OPTION_SETS = [
    (),
    ("retain_safe_private",),
    ("retain_uids",),
    ("retain_device_identity",),
    ("retain_institution_identity",),
    ("retain_patient_characteristics",),
    ("retain_long_full_dates",),
    ("retain_long_modified_dates",),
    ("clean_descriptors",),
    ("clean_structured_content",),
    ("clean_graphics",),
    ("retain_device_identity", "retain_long_modified_dates", "clean_descriptors",
     "retain_patient_characteristics", "clean_structured_content", "clean_graphics",
     "retain_institution_identity"),
]


def keyed_uid(uid: str) -> str:
    n = int.from_bytes(hmac.new(KEY, uid.encode(), hashlib.sha256).digest()[:16], "big")
    return f"2.25.{n}"


def concrete_tag(text: str) -> int:
    """A concrete tag for "(gggg,eeee)", x digits replaced (50xx -> 5002, 60xx -> 6002)."""
    g, e = text[1:5].upper(), text[6:10].upper()
    g = g.replace("XX", "02") if g.startswith(("50", "60")) else g.replace("X", "0")
    e = "3000" if e == "XXXX" else e  # (50xx,xxxx): Curve Data (50xx,3000)
    return int(g + e, 16)


def vr_for(tag: int) -> str:
    vr = dictionary_VR(tag)
    return {"US or SS": "US", "OB or OW": "OB", "US or OW": "US", "US or SS or OW": "US"}.get(vr, vr)


def sample(tag: int, vr: str, n: int):
    """A value valid for `vr`, unique per tag (text values hold a canary)."""
    canary = f"QZ{tag:08X}"
    if vr == "SQ":
        item = Dataset()
        item[REF_UID] = DataElement(REF_UID, "UI", f"1.2.826.0.1.3680043.99.{tag}")
        return Sequence([item])
    return {
        "AE": canary, "CS": canary, "SH": canary, "LO": canary, "LT": canary, "ST": canary, "UT": canary,
        "UC": canary, "UR": "http://example.invalid/" + canary, "PN": canary + "^PERSON",
        "AS": "045Y", "DA": "20200315", "DT": "20200315101010.5+0100", "TM": "101010",
        "DS": "12.5", "IS": "7", "UI": f"1.2.826.0.1.3680043.99.{tag}.{n}",
        "FL": 1.5, "FD": 1.5, "SL": 7, "SS": 7, "UL": 7, "US": 7, "SV": 7, "UV": 7, "AT": 0x00100010,
    }.get(vr, b"\x01\x02\x03\x04\x05\x06\x07\x08")


def build(table_rows):
    meta = FileMetaDataset()
    top = Dataset()
    inner = Dataset()
    originals = {}
    for row in table_rows:
        tag = concrete_tag(row["tag"])
        vr = vr_for(tag)
        if tag >> 16 == 0x0002:
            meta[tag] = DataElement(tag, vr, sample(tag, vr, 0))
            originals[tag] = (vr, sample(tag, vr, 0))
            continue
        top[tag] = DataElement(tag, vr, sample(tag, vr, 0))
        inner[tag] = DataElement(tag, vr, sample(tag, vr, 1))
        originals[tag] = (vr, sample(tag, vr, 0))
    top[NEST] = DataElement(NEST, "SQ", Sequence([inner]))
    ds = FileDataset("conformance.dcm", top, file_meta=meta)
    return ds, originals


def _is_empty(value) -> bool:
    return value is None or value == "" or value == b"" or (hasattr(value, "__len__") and len(value) == 0)


def check(ds, tag, vr, code, original, nested, offsets):
    where = f"({tag >> 16:04X},{tag & 0xFFFF:04X}) {vr} {code} {'nested' if nested else 'top'}"
    elem = ds.get(tag)
    if code == "X" or (code == "C" and tag >> 24 == 0x50) or (
        code == "C" and vr in BINARY_VRS and not tag & 0xFF00FFFF == 0x60003000
        and dictionary_row_basic(tag) == "X"
    ):
        assert elem is None, where
        return
    assert elem is not None, where
    value = elem.value
    if code in ("Z", "X/Z"):
        assert _is_empty(value), where
    elif code in ("D", "X/D", "X/Z/D", "Z/D") or (code == "C" and vr in BINARY_VRS
                                                 and not tag & 0xFF00FFFF == 0x60003000):
        assert not _is_empty(value), where
        assert elem.VR == vr, where
        if vr == "SQ":
            assert len(value) == 1, where
        elif vr == "UI":
            assert re.fullmatch(r"2\.25\.\d+", str(value)), where
        else:
            assert value != original, where
            if vr in TEXT_VRS | {"DA", "DT", "TM", "AS", "DS", "IS"}:
                vm_min = int(re.match(r"\d+", dictionary_VM(tag)).group(0))
                assert elem.VM == vm_min, where
    elif code == "K":
        if vr == "SQ":
            assert len(value) == 1, where
        else:
            assert value == original, where
    elif code == "U" or code == "X/Z/U*":
        if vr == "SQ":
            assert str(value[0][REF_UID].value) == keyed_uid(str(original[0][REF_UID].value)), where
        else:
            assert str(value) == keyed_uid(str(original)), where
    elif code == "C":
        if vr in ("DA", "DT"):
            offsets.add(str(value)[:8])
            assert str(value) != original and str(value)[8:] == original[8:], where
        elif vr == "TM":
            assert value == original, where
        elif vr == "SQ":
            assert len(value) == 1, where
        elif tag & 0xFF00FFFF == 0x60003000:
            assert value == bytes(len(original)), where
        elif vr in TEXT_VRS and "rtnLongModifDatesOpt" in dictionary_row_cleaners(tag) and \
                dictionary_row_cleaners(tag) == {"rtnLongModifDatesOpt"}:
            # Timezone Offset From UTC: a valid offset is unchanged by whole-day shifts, other text goes
            assert (value == original) if re.fullmatch(r"[+-]\d{4}", original) else _is_empty(value), where
        else:
            assert vr in TEXT_VRS, where
            assert "QZ" not in str(value) and not _is_empty(value), where
    else:  # pragma: no cover
        raise AssertionError(f"unexpected code {code}")


_ROWS = rows()
_BY_TAG = {concrete_tag(r["tag"]): r for r in _ROWS}
_CURRENT_OPTIONS: list[tuple[str, ...]] = [()]


def dictionary_row_basic(tag):
    return _BY_TAG[tag]["basicProfile"]


def dictionary_row_cleaners(tag):
    from deid_standard import OPTION_COLUMNS

    row = _BY_TAG[tag]
    return {OPTION_COLUMNS[o] for o in _CURRENT_OPTIONS[0] if row.get(OPTION_COLUMNS[o]) == "C"}


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: "+".join(o) or "basic")
def test_table_conformance(options):
    _CURRENT_OPTIONS[0] = options
    ds, originals = build(_ROWS)
    out = Deidentifier(options, key=KEY).deidentify(ds)
    nested = out[NEST].value[0]
    date_values: set[str] = set()
    checked = 0
    for tag, (vr, original) in originals.items():
        code = expected_code(_BY_TAG[tag], options)
        if tag >> 16 == 0x0002:
            check(out.file_meta, tag, vr, code, original, False, date_values)
            checked += 1
            continue
        check(out, tag, vr, code, original, False, date_values)
        inner_original = ds[NEST].value[0][tag].value
        check(nested, tag, vr, code, inner_original, True, date_values)
        checked += 2
    assert checked > 1200
    if "retain_long_modified_dates" in options:
        # one offset for every date of the patient: 2020-03-15 always becomes the same day
        assert len(date_values) == 1 and "20200315" not in date_values
