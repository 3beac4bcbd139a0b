"""Leak test over the corpus: every text-like element (private and nested included) gets a unique
canary; after de-identification no canary is left anywhere in the written bytes (or, where a
file cannot be written, in any value) unless the standard's table or the documented allow list
keeps that attribute; no original instance UID is left anywhere.
"""
from __future__ import annotations

import warnings

import pydicom
import pytest
from corpus import CORPUS, file_id
from deid_standard import expected_code, rows

import dcmfast
from dcmfast.deid import Deidentifier, allow
from dcmfast.deid.safe_private import safe_private_set

TEXT_VRS = {"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"}
NOT_KEPT_VRS = {"PN", "AS", "DA", "DT", "TM", "UI"}
CHARSET = 0x00080005
OPTION_SETS = [
    (),
    ("retain_safe_private", "clean_descriptors", "clean_structured_content", "clean_graphics",
     "retain_long_modified_dates"),
]


def _table_codes():
    out = {}
    for row in rows():
        t = row["tag"].upper()
        if "X" in t[1:5] + t[6:10]:
            continue
        out[int(t[1:5] + t[6:10], 16)] = row
    return out


TABLE = _table_codes()
SAFE = safe_private_set()


def permitted(tag: int, vr: str, creator: str | None, options: tuple[str, ...]) -> bool:
    """May this attribute's original text survive? (the table says K, or the allow list keeps it)"""
    group = tag >> 16
    if group & 1:
        if "retain_safe_private" not in options or creator is None:
            return False
        elem = tag & 0xFFFF
        if 0x10 <= elem <= 0xFF:
            return creator.strip() in {c for c, _, _ in SAFE}
        return (creator.strip(), group, elem & 0xFF) in SAFE
    if tag in TABLE:
        return expected_code(TABLE[tag], options) == "K"
    if group == 0x0002:
        return tag in allow.FILE_META_KEEP
    if tag in allow.ALLOW_TAGS:
        return True
    if vr in NOT_KEPT_VRS or tag & 0xFFFF == 0:
        return False
    if 0x6000 <= group <= 0x60FF:
        return False  # text in overlay groups is cleaned at best
    return group in allow.ALLOW_GROUPS


def _plant(ds, canaries, uids, path="") -> None:
    """Give every text-like element a canary (in place); collect instance UIDs."""
    for elem in list(ds):
        tag = int(elem.tag)
        vr = elem.VR
        if vr == "SQ":
            for i, item in enumerate(elem.value or ()):
                _plant(item, canaries, uids, f"{path}({tag:08X})[{i}].")
            continue
        if tag == CHARSET or (tag >> 16) == 0x0002 and tag != 0x00020013:
            if vr == "UI":
                _collect_uid(tag, elem.value, uids)
            continue
        creator = None
        if (tag >> 16) & 1:
            creator = elem.value if 0x10 <= tag & 0xFFFF <= 0xFF else elem.private_creator
            if 0x10 <= tag & 0xFFFF <= 0xFF:
                continue  # the private creator's own value decides the block: keep it
        if vr == "UI":
            _collect_uid(tag, elem.value, uids)
            continue
        if vr in TEXT_VRS or (vr == "UN" and (tag >> 16) & 1):
            canary = f"QZ{len(canaries):06d}Q"
            elem.value = canary if vr != "UN" else canary.encode()
            canaries[canary] = (tag, vr, creator if isinstance(creator, str) else None, path)


def _collect_uid(tag, value, uids) -> None:
    values = [value] if isinstance(value, str) else list(value or ())
    for v in values:
        s = str(v).strip(" \0")
        if tag in allow.CLASS_UID_TAGS or s in pydicom.uid.UID_dictionary:
            uids["class"].add(s)
        elif len(s) >= 8 and s.count(".") >= 3:
            uids["instance"].add(s)


def _all_text(ds, out) -> None:
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value or ():
                _all_text(item, out)
        else:
            out.append(str(elem.value) if not isinstance(elem.value, bytes) else elem.value.decode("latin-1"))


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return dcmfast.dcmread(path)
        except Exception:
            return None


@pytest.mark.parametrize("path", CORPUS, ids=file_id)
def test_no_canary_or_uid_leaks(path):
    for options in OPTION_SETS:
        ds = _read(path)
        if ds is None or len(ds) == 0:
            pytest.skip("not readable as DICOM")
        canaries: dict[str, tuple] = {}
        uids: dict[str, set[str]] = {"class": set(), "instance": set()}
        meta = getattr(ds, "file_meta", None)
        if meta is not None:
            _plant(meta, canaries, uids)
        _plant(ds, canaries, uids)
        out = Deidentifier(options, key=b"leak-test-key-0123456789").deidentify(ds)
        texts: list[str] = []
        if getattr(out, "file_meta", None) is not None:
            _all_text(out.file_meta, texts)
        _all_text(out, texts)
        haystack = "\n".join(texts)
        # the bytes dcmfast's writer gives (what a de-identification run stores)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            written = dcmfast.dcmwrite_bytes(out)
        haystack += "\n" + written.decode("latin-1")
        for canary, (tag, vr, creator, where) in canaries.items():
            if canary in haystack:
                assert permitted(tag, vr, creator, options), (
                    f"canary of {where}({tag >> 16:04X},{tag & 0xFFFF:04X}) {vr} survived with {options}")
        leaked = [u for u in uids["instance"] - uids["class"] if u in haystack]
        assert not leaked, f"{len(leaked)} original UIDs survived with {options}"
