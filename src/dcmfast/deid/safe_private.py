"""Safe private attributes (PS3.15 E.3.10, Retain Safe Private Option): reviewed data.

PS3.15 Table E.3.10-1 ("Safe Private Attributes") lists private data elements, by
private creator, group and element offset within the creator's block, that carry no
identifying information. The standard's own table was not reachable from our
reference library when this file was written; the entries below are those on which
two independent public transcriptions of Table E.3.10-1 agree (PixelMed's
``ClinicalTrialsAttributes.isSafePrivateAttribute``, by the editor of PS3.15, and a
second, Python, transcription). Entries found in only one of them were left out
(conservative: an element left out is removed, never kept by mistake). Review this
list against the current PS3.15 Table E.3.10-1 before relying on it; users add their
own entries with ``Deidentifier(safe_private=[(creator, group, offset), ...])``.

Check against the standard (2026-12-04, for issue 18): PS3.15 Table E.3.10-1 itself was
again not reachable. Searched: the reference library's documentation corpus (queries
"PS3.15 Table E.3.10-1 Safe Private Attributes", "Retain Safe Private Option safe private
attributes table", and for a row's own words) finds only a DCMTK feature request that
names the table and CP-1672 ("more safe private attributes"), no edition of the table;
``/work/shared/standard/`` holds Table E.1-1 only. No edition was checked, so nothing here
is confirmed by the standard. A third public transcription was found (a 2026 JavaScript
port of the same PixelMed method): every entry above is in it too; it has more (perhaps
rows added by later corrections such as CP-1672: not verified), left out here until
someone checks them in the current PS3.15 (add them with ``safe_private=`` meanwhile):
ELSCINT1 (00E1,xx50); Eigen Artemis (1129,xx04-xx82, 45 elements); GEIIS PACS
(0903,xx01/02); GEMS_IDI_01 (0073,xx20/21/30/31/32/40/50); GEMS_SENO_02
(0045,xx62/63/AB/AC/AD); NQLeft / NQRight (0199/0299,xx17-xx3A); "PHILIPS MR IMAGING
DD 001" in capitals (2005,xx0D/0E); SIEMENS SYNGO ULTRA-SOUND TOYON DATA STREAMING
(7FD1,xx01/09/10/11); SIEMENS Ultrasound SC2000 (0119, 0129, 0139, 0149, 7FD1 blocks).

Format: private creator -> group -> element offsets (the low byte of the element
number, i.e. ``xx`` in ``(gggg,00xx)`` blocks ``(gggg,xxee)`` -> ``ee``).
"""
from __future__ import annotations


def _r(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


SAFE_PRIVATE: dict[str, dict[int, tuple[int, ...]]] = {
    "ELSCINT1": {0x00E1: (0x21,), 0x01E1: (0x26,), 0x01F1: (0x01, 0x07, 0x26, 0x27)},
    "GEIIS PACS": {0x0903: (0x10, 0x11, 0x12)},
    "GEMS_ACQU_01": {0x0019: (0x23, 0x24, 0x27, 0x9E)},
    "GEMS_HELIOS_01": {0x0045: (0x01, 0x02)},
    "GEMS_PARM_01": {0x0043: (0x27, 0x6F)},
    "GEMS_SENO_02": {
        0x0045: (0x06, 0x1B, 0x20, 0x27, 0x29, 0x2A, 0x2B, 0x49, 0x58, 0x59, 0x60, 0x61, 0x64, 0x71,
                 0x72, 0x90, 0xA0, 0xA1, 0xA2, 0xA4, 0xA7, 0xA8),
    },
    "GEMS_SERS_01": {0x0025: (0x07,)},
    "HOLOGIC, Inc.": {
        0x0019: (0x06, 0x07, 0x08, 0x16, 0x25, 0x26, 0x27, 0x28, 0x29, 0x30, 0x31, 0x32, 0x33, 0x34,
                 0x35, 0x37, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x50, 0x51, 0x52, 0x53, 0x60,
                 0x61, 0x62, 0x70, 0x71, 0x80, 0x85, 0x87, 0x89, 0x8A, 0x90, 0x97, 0x98),
    },
    "LORAD Selenia": {
        0x0019: (0x06, 0x07, 0x08, 0x16, 0x26, 0x27, 0x28, 0x29, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
                 0x37, 0x40, 0x41, 0x50, 0x51, 0x52, 0x53, 0x60, 0x70, 0x71, 0x80, 0x90),
    },
    "NQHeader": {0x0099: (0x01, 0x04, 0x05, 0x10, 0x20, 0x21)},
    "NQLeft": {0x0199: _r(0x01, 0x16)},
    "NQRight": {0x0299: _r(0x01, 0x16)},
    "Philips MR Imaging DD 001": {0x2005: (0x0D, 0x0E)},
    "Philips PET Private Group": {0x7053: (0x00, 0x09)},
    "Philips US Imaging DD 023": {0x200D: (0x45,)},
    "Philips US Imaging DD 033": {
        0x200D: (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0D, 0x0F, 0x10, 0x11, 0x14, 0x21),
    },
    "Philips US Imaging DD 034": {
        0x200D: (0x01, 0x02, 0x03, 0x04, 0x05, *_r(0x08, 0x14), 0x17, 0x18, *_r(0x1B, 0x28)),
    },
    "Philips US Imaging DD 035": {0x200D: (0x01, 0x03, 0x04, 0x07, 0x08, 0x09, 0x0A, 0x0C, 0x0D)},
    "Philips US Imaging DD 036": {0x200D: _r(0x15, 0x20)},
    "Philips US Imaging DD 038": {0x200D: _r(0x01, 0x04)},
    "Philips US Imaging DD 039": {0x200D: (*_r(0x01, 0x0D), 0x15)},
    "Philips US Imaging DD 040": {0x200D: (*_r(0x01, 0x07), 0x20)},
    "Philips US Imaging DD 042": {
        0x200D: (0x15, 0x16, 0x20, 0x30, 0x31, 0x40, *_r(0x50, 0x60), *_r(0x70, 0x78), 0x8C),
    },
    "Philips US Imaging DD 045": {0x200D: (0xF1, 0xF3, 0xF4, 0xF5, 0xF6, 0xF8, 0xFA, 0xFB)},
    "Philips US Imaging DD 046": {0x200D: (0x17,)},
    "Philips US Imaging DD 048": {0x200D: (0x01,)},
    "Philips US Imaging DD 065": {0x200D: (0x07,)},
    "Philips US Imaging DD 066": {0x200D: (0x00, 0x01, 0x03, 0x04)},
}


def safe_private_set(extra: object = ()) -> frozenset[tuple[str, int, int]]:
    """The (creator, group, offset) triples of SAFE_PRIVATE plus the user's `extra` triples."""
    out = {(creator, group, off) for creator, groups in SAFE_PRIVATE.items()
           for group, offs in groups.items() for off in offs}
    for entry in extra:  # type: ignore[attr-defined]
        creator, group, off = entry
        out.add((str(creator).strip(), int(group), int(off) & 0xFF))
    return frozenset(out)
