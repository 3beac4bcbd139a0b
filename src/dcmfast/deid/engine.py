"""The de-identification engine: PS3.15 Annex E, Application Level Confidentiality Profile.

``Deidentifier(options).plan(ds)`` decides, for every element at every depth, one action;
``deidentify(ds)`` applies it. The action of an element depends only on its tag, its VR,
its private creator (private elements) and the options, never on its value, so a plan can
be made from an element index without converting values. Only applying U (UIDs) and C on
dates reads values.

Actions (the letters of PS3.15 Table E.1-1):

* ``X`` remove the element.
* ``Z`` replace with a zero-length value (an empty sequence for SQ).
* ``D`` replace with a dummy of the element's VR and VM (the VM is the smallest the data
  dictionary allows, 1 for private or unknown tags): AE/CS/LO/LT/PN/SH/ST/UC/UR/UT
  ``ANONYMIZED``, AS ``000Y``, DA ``19000101``, DT ``19000101000000``, TM ``000000``,
  DS/IS ``0``, binary numbers 0, AT (0000,0000), OB/OW/UN two zero bytes (OF/OL four,
  OD/OV eight), UI a keyed UID (as U). ``D`` on a sequence keeps the sequence and
  de-identifies its items (every element in them goes through these same rules), which
  leaves a non-empty sequence whose content is non-identifying.
* ``K`` keep. A kept sequence is still de-identified inside.
* ``C`` clean, by VR: DA and DT shifted by the patient's date offset (Retain Longitudinal
  Temporal Information with Modified Dates; the time of day and any UTC offset suffix are
  kept), TM kept as is (a shift by whole days leaves times of day unchanged), other text
  VRs replaced by ``CLEANED`` (VM as for D), sequences kept and de-identified inside,
  Overlay Data (60xx,3000) replaced by zero bits of the same length. Where no cleaning
  of a value is possible (Curve Data (50xx,xxxx); the binary values Maker Note, Device
  Setting Description, Certified Timestamp, Frame Origin Timestamp) the Basic Profile
  action is taken instead; a non-date text value cleaned by the Modified Dates option
  (Timezone Offset From UTC) is kept when it is a valid offset (+/-HHMM), since whole-day
  shifts do not change it, and emptied otherwise.
* ``U`` replace each UID by ``2.25.<128 bits of HMAC-SHA256(key, UID)>`` (or
  ``<uid_root>.<digits>``). UIDs registered in the standard (PS3.6 Annex A, e.g. SOP
  classes, transfer syntaxes, coding schemes) are left as they are. ``U`` on a sequence
  (X/Z/U*) keeps the sequence; the UIDs inside are remapped by their own rules.

Combined codes, chosen without the IOD's attribute Type (never leave a Type 1 attribute
empty, never remove a Type 2 one; a value that is kept must carry no identity):

* ``X/Z`` -> ``Z`` (the attribute is Type 2 or 3: empty is valid for both);
* ``X/D``, ``X/Z/D``, ``Z/D`` -> ``D`` (it may be Type 1: a dummy is valid for every Type);
* ``X/Z/U*`` -> ``U`` (keep the reference sequence, remap the UIDs inside).

Options change the action of the attributes whose option column has an entry; when
several chosen options have entries for one attribute, ``C`` wins over ``K`` (the more
protective). Retain Longitudinal ... Full Dates and ... Modified Dates exclude each other.

Elements not in Table E.1-1, in this order:

1. File Meta (group 0002): ``dcmfast.deid.allow.FILE_META_KEEP`` kept, others removed.
2. Group lengths (gggg,0000) outside the File Meta: removed (the writer recomputes them).
3. Private elements (odd groups): removed, except with Retain Safe Private the safe
   private attributes (``dcmfast.deid.safe_private``, PS3.15 Table E.3.10-1, plus the
   user's ``safe_private`` triples) and the private creator elements of their blocks.
4. ``dcmfast.deid.allow.ALLOW_TAGS``: kept.
5. By VR: PN removed; AS removed (kept with Retain Patient Characteristics); DA, DT, TM
   removed (kept with Full Dates, C with Modified Dates); UI kept for class UIDs
   (``allow.CLASS_UID_TAGS``), otherwise U.
6. Overlay groups (60xx): removed, or with Clean Graphics kept (text values C).
7. ``dcmfast.deid.allow.ALLOW_GROUPS``: kept.
8. Anything else (an attribute we know nothing about): removed.

Added at the top level: Patient Identity Removed ``YES``, De-identification Method, the
De-identification Method Code Sequence (PS3.16 CID 7050: 113100 and one code per option)
and Longitudinal Temporal Information Modified (``UNMODIFIED`` with Full Dates,
``MODIFIED`` with Modified Dates, ``REMOVED`` otherwise).

Nothing here logs or records a value: a plan holds tags, VRs and actions only.
"""
from __future__ import annotations

import copy
import datetime
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from .._version import __version__
from ..datadict import get_entry
from ..datadict._uids import UIDS
from ..dataelem import empty_value_for_VR
from ..dataset import Dataset, FileDataset
from ..errors import DeidentificationError
from ..sequence import Sequence
from . import allow
from ._table import MASKED, PRIVATE, TABLE
from .keys import check_key, new_key
from .safe_private import safe_private_set

if TYPE_CHECKING:
    from .pixels import PixelCleaner
    from .run import Summary

logger = logging.getLogger("dcmfast.deid")

__all__ = ["Deidentifier", "PlanEntry", "OPTIONS", "METHOD_CODES", "format_path"]

# option name -> Table E.1-1 column key
OPTIONS: dict[str, str] = {
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

# PS3.16 CID 7050 (De-identification Method), scheme DCM: code value and meaning
BASIC_PROFILE_CODE = ("113100", "Basic Application Confidentiality Profile")
METHOD_CODES: dict[str, tuple[str, str]] = {
    "retain_safe_private": ("113111", "Retain Safe Private Option"),
    "retain_uids": ("113110", "Retain UIDs Option"),
    "retain_device_identity": ("113109", "Retain Device Identity Option"),
    "retain_institution_identity": ("113112", "Retain Institution Identity Option"),
    "retain_patient_characteristics": ("113108", "Retain Patient Characteristics Option"),
    "retain_long_full_dates": ("113106", "Retain Longitudinal Temporal Information Full Dates Option"),
    "retain_long_modified_dates": (
        "113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    "clean_descriptors": ("113105", "Clean Descriptors Option"),
    "clean_structured_content": ("113104", "Clean Structured Content Option"),
    "clean_graphics": ("113103", "Clean Graphics Option"),
}

# (113101, DCM) for a dataset whose pixels were cleaned (PS3.15 E.3.1, Clean Pixel Data Option)
CLEAN_PIXEL_CODE = ("113101", "Clean Pixel Data Option")

# The values de-identification makes are valid by construction: elements are made without
# pydicom's value checks (which would import pydicom, ~0.5 s, in every worker process)
_VALID = 0  # config.IGNORE

_COMBINED = {"X/Z": "Z", "X/D": "D", "X/Z/D": "D", "Z/D": "D", "X/Z/U*": "U"}
_DATE_VRS = frozenset({"DA", "DT", "TM"})
_BINARY_VRS = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "UN", "OB or OW", "US or OW"})
_TEXT_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"})
_NUMBER_VRS = frozenset({"FL", "FD", "SL", "SS", "UL", "US", "SV", "UV", "US or SS", "US or SS or OW"})
_DUMMY_TEXT = "ANONYMIZED"
_CLEAN_TEXT = "CLEANED"
_DUMMY = {"AS": "000Y", "DA": "19000101", "DT": "19000101000000", "TM": "000000", "DS": "0", "IS": "0"}
_DUMMY_BYTES = {"OF": 4, "OL": 4, "OD": 8, "OV": 8}
_OVERLAY_DATA = (0x60003000, 0xFF00FFFF)
_CURVES = (0x50000000, 0xFF000000)
_MAX_SHIFT_DAYS = 3652  # date offsets are 1 .. 3652 days back
_UID_ROOT = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
_TAG_PATIENT_ID = 0x00100020
_TAG_TIMEZONE = 0x00080201
_TIMEZONE = re.compile(r"^[+-](0\d|1[0-4])[0-5]\d$")


class PlanEntry(NamedTuple):
    """One element's decision: where it is, its tag and VR, and the action (no value).

    Attributes
    ----------
    path : tuple of int
        (sequence tag, item index, sequence tag, item index, ...) of the enclosing items.
    tag : int
        The element's tag.
    VR : str
        Its VR.
    action : str
        X, Z, D, K, C or U (PS3.15 Table E.1-1).
    """

    path: tuple[int, ...]  # (seq tag, item index, seq tag, item index, ...) of the enclosing items
    tag: int
    VR: str  # noqa: N815 (pydicom's name)
    action: str  # X, Z, D, K, C or U


def format_path(entry: PlanEntry) -> str:
    """``(0008,1140)[0].(0008,1155)`` style text of an entry's place (tags only).

    Parameters
    ----------
    entry : PlanEntry
        The entry.

    Returns
    -------
    str
    """
    parts = []
    p = entry.path
    for i in range(0, len(p), 2):
        parts.append(f"({p[i] >> 16:04X},{p[i] & 0xFFFF:04X})[{p[i + 1]}]")
    parts.append(f"({entry.tag >> 16:04X},{entry.tag & 0xFFFF:04X})")
    return ".".join(parts)


def _vm_min(tag: int) -> int:
    try:
        vm = get_entry(tag)[1]
    except KeyError:
        return 1
    m = re.match(r"\d+", vm)
    return max(1, int(m.group(0))) if m else 1


def _table_entry(tag: int) -> tuple[str, dict[str, str]] | None:
    entry = TABLE.get(tag)
    if entry is None and not (tag >> 16) & 1:
        for value, mask, basic, opts in MASKED:
            if tag & mask == value:
                return basic, opts
    return entry


class Deidentifier:
    """De-identify datasets by PS3.15 Annex E (see this module's docstring for the rules).

    Parameters
    ----------
    options : iterable of str
        Profile options, names from ``OPTIONS`` (e.g. ``"retain_long_modified_dates"``).
    key : bytes, optional
        The secret for UIDs and date offsets (at least 16 bytes); a new random key when
        None, exposed as ``.key`` (save it with ``save_key`` to get the same mapping later).
    uid_root : str, optional
        Remapped UIDs as ``<uid_root>.<digits>`` (<= 64 characters) instead of
        ``2.25.<digits>``.
    safe_private : iterable of (str, int, int)
        Extra (creator, group, element offset) triples kept by Retain Safe Private.
    pixel_cleaning : str, os.PathLike, list of dict, optional
        Rectangles to fill on the pixels of quarantined datasets by Manufacturer / Model
        / size (a JSON or TOML file, or a list of rules; see ``dcmfast.deid.pixels``):
        ``process`` then cleans the files a rule matches instead of quarantining them.

    Raises
    ------
    DeidentificationError
        An unknown or contradictory option, a bad key or UID root.

    Examples
    --------
    >>> import dcmfast
    >>> from dcmfast.deid import Deidentifier
    >>> from pydicom.data import get_testdata_file
    >>> ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    >>> clean = Deidentifier(key=bytes(32)).deidentify(ds)
    >>> "PatientBirthDate" in clean and clean.PatientBirthDate, clean.PatientIdentityRemoved
    ('', 'YES')
    """

    def __init__(
        self,
        options: Iterable[str] = (),
        key: bytes | None = None,
        uid_root: str | None = None,
        safe_private: Iterable[tuple[str, int, int]] = (),
        pixel_cleaning: Any = None,
    ) -> None:
        if isinstance(options, str):
            options = (options,)
        opts = tuple(dict.fromkeys(options))
        unknown = [o for o in opts if o not in OPTIONS]
        if unknown:
            raise DeidentificationError(
                f"unknown de-identification option(s) {unknown}; known: {sorted(OPTIONS)}"
            )
        if "retain_long_full_dates" in opts and "retain_long_modified_dates" in opts:
            raise DeidentificationError(
                "retain_long_full_dates and retain_long_modified_dates exclude each other"
            )
        self.options: tuple[str, ...] = opts
        self._columns = frozenset(OPTIONS[o] for o in opts)
        self.key: bytes = new_key() if key is None else check_key(key)
        if uid_root is not None:
            uid_root = str(uid_root).strip().rstrip(".")
            if not _UID_ROOT.match(uid_root) or len(uid_root) > 32:
                raise DeidentificationError(
                    "uid_root must be a valid UID prefix (digits and dots, no leading zeros) "
                    "of at most 32 characters"
                )
        self.uid_root = uid_root
        self._extra_safe = tuple((str(c), int(g), int(e)) for c, g, e in safe_private)
        self._safe = safe_private_set(self._extra_safe)
        self._safe_creators = frozenset(c for c, _, _ in self._safe)
        self.pixel_cleaner: PixelCleaner | None = None
        if pixel_cleaning is not None:
            from .pixels import PixelCleaner

            self.pixel_cleaner = PixelCleaner(pixel_cleaning)
        self._cache: dict[tuple[int, str], str] = {}
        self._uids: dict[str, str] = {}
        self._full_dates = "rtnLongFullDatesOpt" in self._columns
        self._modified_dates = "rtnLongModifDatesOpt" in self._columns
        # the splice fast path (deid/splice.py): actions by index key, encoded constants
        self._private_dynamic = bool(self._columns.intersection(PRIVATE[1]))
        self._splice_actions: dict[int, str] = {}
        self._splice_bytes: dict[tuple[Any, ...], bytes] = {}
        self._method_bytes: dict[tuple[Any, ...], list[tuple[int, bytes]]] = {}
        self._uid_bytes: dict[tuple[int, bytes, bool], bytes] = {}  # remapped UI elements

    # -- decisions (tag, VR, creator and options only) ------------------------------
    def action(self, tag: int, vr: str, private_creator: str | None = None) -> str:
        """The action (X, Z, D, K, C or U) for an element.

        Parameters
        ----------
        tag : int
            The element's tag.
        vr : str
            Its VR.
        private_creator : str, optional
            For a private tag, its creator (for a private creator element (gggg,00xx):
            the creator it reserves).

        Returns
        -------
        str
        """
        tag = int(tag)
        if (tag >> 16) & 1:
            return self._private_action(tag, private_creator)
        key = (tag, vr)
        act = self._cache.get(key)
        if act is None:
            act = self._cache[key] = self._public_action(tag, vr)
        return act

    def _private_action(self, tag: int, creator: str | None) -> str:
        basic, opts = PRIVATE  # Table E.1-1: X, or C (keep the safe ones) with Retain Safe Private
        if not self._columns.intersection(opts) or creator is None:
            return basic
        creator = creator.strip()
        elem = tag & 0xFFFF
        if 0x0010 <= elem <= 0x00FF:
            return "K" if creator in self._safe_creators else "X"
        if elem < 0x1000:
            return "X"
        return "K" if (creator, tag >> 16, elem & 0xFF) in self._safe else "X"

    def _public_action(self, tag: int, vr: str) -> str:
        entry = _table_entry(tag)
        if entry is not None:
            basic, opts = entry
            chosen = {col: act for col, act in opts.items() if col in self._columns}
            if not chosen:
                return _COMBINED.get(basic, basic)
            if "C" not in chosen.values():
                return "K"
            return self._clean_action(tag, vr, basic, chosen)
        group = tag >> 16
        if group == 0x0002:
            return "K" if tag in allow.FILE_META_KEEP else "X"
        if tag & 0xFFFF == 0:
            return "X"
        if tag in allow.ALLOW_TAGS:
            return "K"
        if vr == "PN":
            return "X"
        if vr == "AS":
            return "K" if "rtnPatCharsOpt" in self._columns else "X"
        if vr in _DATE_VRS:
            return "K" if self._full_dates else ("C" if self._modified_dates else "X")
        if vr == "UI":
            return "K" if tag in allow.CLASS_UID_TAGS else "U"
        if 0x6000 <= group <= 0x60FF:
            if "cleanGraphOpt" not in self._columns:
                return "X"
            return "C" if vr in _TEXT_VRS else "K"
        if group in allow.ALLOW_GROUPS:
            return "K"
        return "X"

    def _clean_action(self, tag: int, vr: str, basic: str, chosen: dict[str, str]) -> str:
        fallback = _COMBINED.get(basic, basic)
        cleaners = {col for col, act in chosen.items() if act == "C"}
        if vr in _DATE_VRS and "rtnLongModifDatesOpt" in cleaners:
            return "C"
        if cleaners == {"rtnLongModifDatesOpt"}:
            # a non-date value cleaned by the Modified Dates option (Timezone Offset From UTC)
            return fallback if vr in _BINARY_VRS else "C"
        if vr == "SQ" or vr in _TEXT_VRS:
            return "C"
        if vr in _BINARY_VRS and tag & _OVERLAY_DATA[1] == _OVERLAY_DATA[0]:
            return "C"
        return fallback  # Curve Data, binary descriptors: nothing to clean in place

    # -- plan ------------------------------------------------------------------------
    def plan(self, ds: Dataset) -> list[PlanEntry]:
        """Every element's action, File Meta first, then the dataset in tag order, items
        after their sequence; elements inside removed or emptied sequences are not listed.

        Parameters
        ----------
        ds : Dataset
            The dataset (not changed).

        Returns
        -------
        list of PlanEntry
        """
        out: list[PlanEntry] = []
        meta = getattr(ds, "file_meta", None) if isinstance(ds, FileDataset) else None
        if meta is not None:
            self._walk(meta, (), out, None)
        self._walk(ds, (), out, None)
        return out

    def _element_action(self, elem: Any) -> str:
        tag = int(elem.tag)
        if (tag >> 16) & 1:
            if 0x0010 <= tag & 0xFFFF <= 0x00FF:
                creator = elem.value if isinstance(elem.value, str) else None
            else:
                creator = elem.private_creator
            return self._private_action(tag, creator)
        return self.action(tag, elem.VR)

    def _walk(self, ds: Dataset, path: tuple[int, ...], out: list[PlanEntry] | None,
              ctx: _Apply | None) -> None:
        for elem in list(ds):
            tag = int(elem.tag)
            vr = elem.VR
            act = self._element_action(elem)
            if out is not None:
                out.append(PlanEntry(path, tag, vr, act))
            if vr == "SQ" and act in "KCDU":
                for i, item in enumerate(elem.value or ()):
                    self._walk(item, (*path, tag, i), out, ctx)
            elif ctx is not None and act != "K":
                ctx.apply(ds, elem, tag, vr, act)

    # -- applying ----------------------------------------------------------------------
    def deidentify(self, ds: Dataset, in_place: bool = False, plan: list[PlanEntry] | None = None,
                   *, pixels_cleaned: bool = False) -> Dataset:
        """The de-identified dataset.

        Parameters
        ----------
        ds : Dataset
            The dataset (its File Meta too).
        in_place : bool
            Change `ds` itself instead of a deep copy.
        plan : list, optional
            A list to which the :class:`PlanEntry` of every element is appended (for an
            audit log).
        pixels_cleaned : bool
            The caller cleaned the pixel data (``clean_pixels``): the Clean Pixel Data
            Option code (113101) is added to the De-identification Method.

        Returns
        -------
        Dataset
        """
        if not isinstance(ds, Dataset):
            raise DeidentificationError(f"deidentify needs a dcmfast Dataset, not {type(ds).__name__}")
        if not in_place:
            ds = copy.deepcopy(ds)
        pid = ds.get(_TAG_PATIENT_ID)
        pid_text = str(pid.value) if pid is not None and pid.value is not None else ""
        ctx = _Apply(self, self.date_offset(pid_text))
        meta = getattr(ds, "file_meta", None) if isinstance(ds, FileDataset) else None
        if meta is not None:
            self._walk(meta, (), plan, ctx)
        self._walk(ds, (), plan, ctx)
        self._add_method(ds, pixels_cleaned)
        logger.debug("de-identified a dataset (%d UIDs mapped so far)", len(self._uids))
        return ds

    def process(
        self,
        inputs: Any,
        out_dir: str | os.PathLike[str],
        *,
        workers: int | None = None,
        pool: str = "process",
        layout: str = "mirror",
        quarantine_dir: str | os.PathLike[str] | None = None,
        audit_log: str | os.PathLike[str] | None = None,
        resume: bool = True,
        clean_pixels: Callable[[Dataset, str], Dataset | None] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Summary:
        """De-identify the files of `inputs` (files and folders, walked recursively) into
        `out_dir`; returns a :class:`~dcmfast.deid.run.Summary`.

        * ``layout="mirror"``: the input tree under `out_dir` (file names kept: they may
          identify); ``"uids"``: ``PatientID/StudyUID/SeriesUID/SOPUID.dcm`` of the new
          identities.
        * ``workers``: parallel workers (default: the CPU count), processes or threads
          (``pool``), this process being one of them; the outputs, the audit log and the
          journal are the same whatever the number.
        * With ``pixel_cleaning`` rules (see the constructor), a file to quarantine that a
          rule matches is cleaned first (``dcmfast.deid.pixels``).
        * Inputs whose pixels need review (``quarantine_reason``) are de-identified into
          `quarantine_dir` (with ``quarantine.jsonl``: output and reason), or written
          nowhere without one; ``clean_pixels(ds, reason)`` may return a cleaned dataset
          (it then goes to `out_dir`; the callable answers for the pixels) or None.
        * Unreadable or damaged inputs are reported in the summary, never written.
        * ``audit_log``: a JSONL file, one line per input: the SHA-256 of its path, status,
          output path, profile, options and every element's action by tag (no values).
        * ``resume``: skip the inputs a previous run into `out_dir` finished (its journal,
          ``.dcmfast-deid-journal.jsonl``); a run with another key, options or layout
          into the same folder is refused. ``resume=False`` starts the journal over.

        Parameters
        ----------
        inputs : str, PathLike or iterable of them
            Files and folders.
        out_dir : str or PathLike
            The output folder (created).
        workers : int, optional
            Parallel workers (default: the CPU count).
        pool : str
            ``"process"`` or ``"thread"``.
        layout : str
            ``"mirror"`` or ``"uids"``.
        quarantine_dir : str or PathLike, optional
            Where inputs whose pixels need review go.
        audit_log : str or PathLike, optional
            The JSONL audit log (appended to).
        resume : bool
            Skip the inputs a previous run finished.
        clean_pixels : callable, optional
            ``clean_pixels(ds, reason)``: a cleaned dataset, or None.
        progress : callable, optional
            Called with (finished, total) as inputs finish.

        Returns
        -------
        Summary

        Raises
        ------
        DeidentificationError
            A bad option, or a journal of another key, options or layout in `out_dir`.
        """
        from .run import process

        return process(self, inputs, out_dir, workers=workers, pool=pool, layout=layout,
                       quarantine_dir=quarantine_dir, audit_log=audit_log, resume=resume,
                       clean_pixels=clean_pixels, progress=progress)

    def map_uid(self, uid: str) -> str:
        """The keyed replacement of a UID.

        Parameters
        ----------
        uid : str
            The UID; registered standard UIDs are returned unchanged.

        Returns
        -------
        str
            The same UID gives the same replacement with the same key.
        """
        s = str(uid).strip(" \0")
        if not s or s in UIDS:
            return s
        new = self._uids.get(s)
        if new is None:
            digest = hmac.new(self.key, s.encode("ascii", "backslashreplace"), hashlib.sha256).digest()
            n = int.from_bytes(digest[:16], "big")
            if self.uid_root is None:
                new = f"2.25.{n}"
            else:
                n %= 10 ** (64 - len(self.uid_root) - 1)
                new = f"{self.uid_root}.{n}"
            if len(self._uids) < 1_000_000:
                self._uids[s] = new
        return new

    def date_offset(self, patient_id: str) -> int:
        """Days (1 .. 3652) by which Modified Dates moves this patient's dates back.

        Parameters
        ----------
        patient_id : str
            The Patient ID (the offset is keyed by it and the key).

        Returns
        -------
        int
        """
        msg = b"dcmfast-date-offset\0" + patient_id.strip(" \0").encode("utf-8", "backslashreplace")
        digest = hmac.new(self.key, msg, hashlib.sha256).digest()
        return 1 + int.from_bytes(digest[:8], "big") % _MAX_SHIFT_DAYS

    def clean_pixels(self, ds: Dataset) -> list[int]:
        """Clean the pixel data of `ds` in place by the matching ``pixel_cleaning`` rules.

        Parameters
        ----------
        ds : Dataset
            The dataset whose pixel data is cleaned (decoded, the rules' rectangles
            filled in every frame and sample, re-encoded without new loss).

        Returns
        -------
        list of int
            The indices of the rules applied (empty: no rule matches, nothing changed).

        Raises
        ------
        DeidentificationError
            A rule cannot be applied (a rectangle outside the image, no lossless encoder
            for the source syntax); `ds` is then unchanged.
        """
        if self.pixel_cleaner is None:
            return []
        return self.pixel_cleaner.clean(ds)

    def _add_method(self, ds: Dataset, pixels_cleaned: bool = False) -> None:
        for elem in self._method_elements(pixels_cleaned):
            ds[elem.tag] = elem

    def _method_elements(self, pixels_cleaned: bool = False) -> list[Any]:
        """The elements added at the top level (new objects each call), in tag order."""
        from ..dataelem import DataElement

        codes = [BASIC_PROFILE_CODE] + [METHOD_CODES[o] for o in OPTIONS if o in self.options]
        if pixels_cleaned:
            codes.append(CLEAN_PIXEL_CODE)
        items = []
        for value, meaning in codes:
            item = Dataset()
            item[0x00080100] = DataElement(0x00080100, "SH", value, validation_mode=_VALID)
            item[0x00080102] = DataElement(0x00080102, "SH", "DCM", validation_mode=_VALID)
            item[0x00080104] = DataElement(0x00080104, "LO", meaning, validation_mode=_VALID)
            items.append(item)
        state = "UNMODIFIED" if self._full_dates else ("MODIFIED" if self._modified_dates else "REMOVED")
        return [
            DataElement(0x00120062, "CS", "YES", validation_mode=_VALID),
            DataElement(0x00120063, "LO", [f"dcmfast {__version__} PS3.15 Annex E"]
                        + [meaning[:64] for _, meaning in codes], validation_mode=_VALID),
            DataElement(0x00120064, "SQ", Sequence(items), validation_mode=_VALID),
            DataElement(0x00280303, "CS", state, validation_mode=_VALID),
        ]


class _Apply:
    """Applies one dataset's actions (holds that dataset's date offset)."""

    def __init__(self, deid: Deidentifier, offset: int) -> None:
        self.deid = deid
        self.offset = offset

    def apply(self, ds: Dataset, elem: Any, tag: int, vr: str, act: str) -> None:
        from ..dataelem import DataElement

        if act == "X":
            del ds[tag]
            return
        ds[tag] = DataElement(tag, vr, self.value(elem, tag, vr, act), validation_mode=_VALID)

    def value(self, elem: Any, tag: int, vr: str, act: str) -> Any:
        """The new value of an element whose action is Z, D, U or C."""
        if act == "Z":
            value: Any = Sequence() if vr == "SQ" else empty_value_for_VR(vr)
        elif act == "D":
            value = self._dummy(tag, vr, elem)
        elif act == "U":
            value = self._uids(elem.value)
        elif act == "C":
            value = self._clean(tag, vr, elem)
        else:  # pragma: no cover - actions are X Z D K C U
            raise DeidentificationError(f"unknown action {act!r}")
        return value

    def _dummy(self, tag: int, vr: str, elem: Any) -> Any:
        n = _vm_min(tag)
        if vr == "UI":
            orig = elem.value
            seed = str(orig[0] if isinstance(orig, list) else orig) if orig else f"dummy-{tag:08X}"
            one: Any = self.deid.map_uid(seed if seed not in UIDS else f"dummy-{tag:08X}")
        elif vr in _DUMMY:
            one = _DUMMY[vr]
        elif vr in _TEXT_VRS:
            one = _DUMMY_TEXT
        elif vr in _NUMBER_VRS or vr == "AT":
            one = 0
        elif vr in ("FL", "FD"):
            one = 0.0
        else:
            return bytes(_DUMMY_BYTES.get(vr, 2))
        return one if n == 1 else [one] * n

    def _uids(self, value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, (list, tuple)) or (not isinstance(value, str) and hasattr(value, "__iter__")):
            return [self.deid.map_uid(v) for v in value]
        return self.deid.map_uid(value)

    def _clean(self, tag: int, vr: str, elem: Any) -> Any:
        if vr == "DA" or vr == "DT":
            value = elem.value
            if value is None or value == "":
                return value
            if isinstance(value, str):
                return self._shift(value, vr)
            return [self._shift(str(v), vr) for v in value]
        if vr == "TM":
            return elem.value
        if tag == _TAG_TIMEZONE:  # kept when it is an offset (+/-HHMM), emptied otherwise
            value = elem.value
            return value if isinstance(value, str) and _TIMEZONE.match(value.strip()) else ""
        if vr in _BINARY_VRS:  # Overlay Data: every bit cleared
            return bytes(len(elem.value or b""))
        n = _vm_min(tag)
        return _CLEAN_TEXT if n == 1 else [_CLEAN_TEXT] * n

    def _shift(self, text: str, vr: str) -> str:
        text = text.strip()
        if "-" in text and vr == "DA":  # a range
            return "-".join(self._shift(part, vr) if part else part for part in text.split("-"))
        digits = len(text) - len(text.lstrip("0123456789"))
        n = min(digits, 8)
        if n not in (4, 6, 8):
            return _DUMMY[vr]
        head = text[:n] + "0101"[n - 4:] if n < 8 else text[:8]
        try:
            day = datetime.date(int(head[:4]), int(head[4:6]), int(head[6:8]))
            shifted = (day - datetime.timedelta(days=self.offset)).strftime("%Y%m%d")
        except (ValueError, OverflowError):
            return _DUMMY[vr]
        if len(shifted) != 8:
            return _DUMMY[vr]
        return shifted[:n] + text[n:]
