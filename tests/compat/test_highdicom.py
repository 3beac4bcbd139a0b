"""highdicom (built on pydicom) accepts dcmfast datasets and builds the same derived
object from them as from pydicom's datasets of the same files (issue 15)."""
from __future__ import annotations

import io
import warnings

import pydicom
import pytest
from pydicom.data import get_testdata_file

import dcmfast

hd = pytest.importorskip("highdicom")
from highdicom.ko import KeyObjectSelection, KeyObjectSelectionDocument  # noqa: E402
from pydicom.sr.codedict import codes  # noqa: E402

_FILES = ["CT_small.dcm", "MR_small.dcm"]


def _kos(read):
    evidence = [read(get_testdata_file(name)) for name in _FILES]
    content = KeyObjectSelection(
        document_title=codes.DCM.Manifest,
        referenced_objects=evidence,
        description="dcmfast interop",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc = KeyObjectSelectionDocument(
            evidence=evidence,
            content=content,
            series_instance_uid="1.2.3.4.5",
            series_number=7,
            sop_instance_uid="1.2.3.4.5.6",
            instance_number=1,
            manufacturer="dcmfast",
        )
    return doc


_CLOCK_TAGS = {0x00080012, 0x00080013, 0x00080023, 0x00080033, 0x0018A002}  # when it was made


def _without_clock(doc):
    def blank(ds, elem):
        if elem.tag in _CLOCK_TAGS:
            elem.value = ""

    doc.walk(blank)
    return doc


def _written(doc):
    out = io.BytesIO()
    doc.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_key_object_selection_from_dcmfast_datasets_is_pydicoms():
    theirs = _without_clock(_kos(pydicom.dcmread))
    ours = _without_clock(_kos(dcmfast.dcmread))
    assert ours == theirs
    assert _written(ours) == _written(theirs)
    # the references really are the files' UIDs
    refs = ours.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence
    assert {r.ReferencedSOPSequence[0].ReferencedSOPInstanceUID for r in refs} <= {
        dcmfast.dcmread(get_testdata_file(n)).SOPInstanceUID for n in _FILES}
