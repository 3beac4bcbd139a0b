"""Pixel quarantine: does a dataset's pixel data need a person (or a pixel cleaner) first?

The Basic Profile de-identifies attributes only; identifying text burned into the pixels
and recognizable features (a face in a photograph or a head CT's surface) are untouched.
``quarantine_reason(ds)`` says whether a dataset must be set aside before release and why
(the reason names attributes and rules, never a value of the dataset).

A dataset with no pixel data is never quarantined. Otherwise, in this order:

* Burned In Annotation (0028,0301) is ``YES``;
* Recognizable Visual Features (0028,0302) is ``YES``;
* Burned In Annotation is absent and the SOP Class is one known to carry burned-in
  text: the Secondary Capture image storage classes (single frame, and the four
  multi-frame ones), or Ultrasound (single and multi-frame, including the retired
  classes), or the Modality is ``US``, ``SC`` or ``OT`` (other), ``XC`` (external-camera
  photography), ``ES`` (endoscopy) or ``DOC`` (a scanned document).

Burned In Annotation ``NO`` is trusted: the creator of the instance said so.
"""
from __future__ import annotations

from ..dataset import Dataset

# PS3.4 Annex B storage SOP classes whose images commonly carry burned-in text
BURN_IN_SOP_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.7": "Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.7.1": "Multi-frame Single Bit Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.7.2": "Multi-frame Grayscale Byte Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.7.3": "Multi-frame Grayscale Word Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.7.4": "Multi-frame True Color Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.6.1": "Ultrasound Image Storage",
    "1.2.840.10008.5.1.4.1.1.6": "Ultrasound Image Storage (Retired)",
    "1.2.840.10008.5.1.4.1.1.3.1": "Ultrasound Multi-frame Image Storage",
    "1.2.840.10008.5.1.4.1.1.3": "Ultrasound Multi-frame Image Storage (Retired)",
}
BURN_IN_MODALITIES: frozenset[str] = frozenset({"US", "SC", "OT", "XC", "ES", "DOC"})
_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)


def _text(ds: Dataset, tag: int) -> str | None:
    elem = ds._lookup(tag)
    if elem is None or elem.value is None:
        return None
    value = elem.value
    if not isinstance(value, str):
        value = value[0] if len(value) else ""
    return str(value).strip().upper()


def quarantine_reason(ds: Dataset) -> str | None:
    """Why a dataset must be quarantined before release, or None when its pixels may go.

    Burned In Annotation or Recognizable Visual Features YES; or Burned In Annotation
    absent and a SOP Class or Modality that often has text in its pixels.

    Parameters
    ----------
    ds : Dataset
        The (original) dataset.

    Returns
    -------
    str or None
    """
    if all(ds._lookup(t) is None for t in _PIXEL_TAGS):
        return None
    burned = _text(ds, 0x00280301)
    if burned == "YES":
        return "Burned In Annotation (0028,0301) is YES"
    if _text(ds, 0x00280302) == "YES":
        return "Recognizable Visual Features (0028,0302) is YES"
    if burned is None or burned == "":
        sop = _text(ds, 0x00080016)
        if sop in BURN_IN_SOP_CLASSES:
            return f"Burned In Annotation (0028,0301) absent and SOP Class is {BURN_IN_SOP_CLASSES[sop]}"
        modality = _text(ds, 0x00080060)
        if modality in BURN_IN_MODALITIES:
            return f"Burned In Annotation (0028,0301) absent and Modality is {modality}"
    return None


def needs_quarantine(ds: Dataset) -> bool:
    """True when ``quarantine_reason(ds)`` gives a reason.

    Parameters
    ----------
    ds : Dataset
        The dataset.

    Returns
    -------
    bool
    """
    return quarantine_reason(ds) is not None
