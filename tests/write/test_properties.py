"""Hypothesis: random edits to datasets read from files, applied to pydicom's and dcmfast's
reads alike; the bytes written must be pydicom's, and reading them back gives the edited
dataset (read, write, read, equal)."""
from __future__ import annotations

import io
import warnings

import pydicom
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file

import dcmfast

from .write_helpers import write_with

FILES = ["CT_small.dcm", "rtplan.dcm", "MR_small.dcm", "SC_rgb_rle_2frame.dcm", "nested_priv_SQ.dcm"]

text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\"), max_size=20)
SETTERS = [
    ("PatientName", st.one_of(text, st.lists(text, min_size=1, max_size=3))),
    ("StudyDescription", text),
    ("InstitutionName", text),
    ("SliceThickness", st.sampled_from(["1.5", "0.25", "3", "-2.0", "1e3"])),
    ("InstanceNumber", st.integers(-(2**31), 2**31 - 1)),
    ("Rows", st.integers(0, 65535)),
    ("ImageType", st.lists(st.sampled_from(["ORIGINAL", "DERIVED", "PRIMARY", "AXIAL", ""]), max_size=4)),
    ("PixelSpacing", st.lists(st.sampled_from(["0.5", "0.25", "1", "2.5"]), min_size=2, max_size=2)),
    ("StudyDate", st.sampled_from(["20240101", "", "19991231"])),
    ("SOPInstanceUID", st.sampled_from(["1.2.3", "1.2.840.10008.1.2.3.4", "2.25.1234567"])),
    ("WindowCenter", st.lists(st.integers(-2000, 2000).map(str), min_size=1, max_size=3)),
]

op = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(range(len(SETTERS))), st.data()),
    st.tuples(st.just("del"), st.integers(0, 1000), st.none()),
    st.tuples(st.just("private"), st.integers(1, 0xFF), text),
    st.tuples(st.just("item"), st.integers(0, 1000), text),
)


def _apply(module, ds, ops, draws):
    for (kind, arg, extra), drawn in zip(ops, draws, strict=True):
        if kind == "set":
            setattr(ds, SETTERS[arg][0], drawn)
        elif kind == "del":
            tags = [t for t in ds.keys() if t != 0x7FE00010]
            if tags:
                del ds[tags[arg % len(tags)]]
        elif kind == "private":
            block = ds.private_block(0x0041, "DCMFAST HYPOTHESIS", create=True)
            block.add_new(arg, "LO", extra)
        elif kind == "item":
            seqs = [t for t in ds.keys() if not t.is_private and pydicom.datadict.dictionary_VR(t) == "SQ"]
            for tag in seqs:
                items = ds[tag].value
                if items:
                    items[arg % len(items)].add_new(0x00081030, "LO", extra)
                    break


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FILES), ops=st.lists(op, max_size=6), data=st.data())
def test_random_edits_write_pydicoms_bytes_and_read_back(name, ops, data):
    draws = [data.draw(SETTERS[arg][1]) if kind == "set" else None for kind, arg, _ in ops]
    path = get_testdata_file(name)
    outs = []
    for module in (pydicom, dcmfast):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = module.dcmread(path)
            _apply(module, ds, ops, draws)
            outs.append(write_with(module, ds))
    assert outs[0] == outs[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = dcmfast.dcmread(io.BytesIO(outs[1]))
        theirs = pydicom.dcmread(io.BytesIO(outs[0]))
        assert [int(t) for t in again.keys()] == [int(t) for t in theirs.keys()]
        assert dcmfast.dcmwrite_bytes(again) == outs[0]  # and writing the re-read is stable
