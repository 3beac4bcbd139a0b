"""The write side's round trip (read, write, read, equal; DICOM JSON; a transcode and
back; an edit with pydicom's writer as the byte oracle) on the regression inputs and on
mutated corpus bytes: what ``fuzz_roundtrip.py`` checks under atheris, bounded and
derandomized so the normal suite runs it in a few seconds. See roundtrip_harness.py."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import roundtrip_harness as harness  # noqa: E402

REGRESSIONS = sorted(
    p for d in (HERE / "regressions", HERE.parent / "hostile" / "regressions") if d.is_dir()
    for p in d.iterdir() if p.is_file() and p.suffix != ".md" and not p.name.startswith("scan-")
)


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.name)
@pytest.mark.parametrize("edit", [None, 0, 1, 2], ids=["plain", "edit0", "edit1", "edit2"])
def test_regression_inputs_round_trip(path, edit):
    data = path.read_bytes()
    if len(data) > 1 << 20:
        pytest.skip("large input: the hostile tests replay it")
    failures = harness.check(data, edit=edit)
    assert not failures, [str(f) for f in failures]


OPEN = sorted((HERE / "open").glob("*.dcm"))


@pytest.mark.parametrize("path", OPEN, ids=lambda p: p.name)
@pytest.mark.xfail(strict=True, reason="open round-trip finds: tests/fuzz/open/README.md")
def test_open_finds_still_fail(path):
    data = path.read_bytes()
    failures = harness.check(data, edit=len(data) // 2 if len(data) % 2 else None)
    assert not failures, [str(f) for f in failures]


def test_the_harness_sees_a_writer_that_loses_a_value(monkeypatch):
    """The property can fail: a writer that drops the last element is caught."""
    import dcmfast
    from dcmfast import filewriter

    data = (HERE / "regressions" / "roundtrip-number-string-charset.dcm").read_bytes()
    real = filewriter.dcmwrite_bytes

    def lossy(ds, **kwargs):
        ds = dcmfast.dcmread(real(ds, **kwargs))
        del ds[list(ds.keys())[-1]]
        return real(ds, **kwargs)

    monkeypatch.setattr(dcmfast, "dcmwrite_bytes", lossy)
    failures = harness.check(data)
    assert any(f.stage == "equal" for f in failures), failures


def test_number_string_read_with_its_character_set_is_written_back():
    """A DS value that is not a number, read with an ISO 2022 character set, holds text
    latin-1 cannot encode: it is written with the dataset's character set (before: a
    UnicodeEncodeError) and reads back the same."""
    import dcmfast

    data = (HERE / "regressions" / "roundtrip-number-string-charset.dcm").read_bytes()
    ds = dcmfast.dcmread(data)
    before = list(ds.PatientSize)
    again = dcmfast.dcmread(dcmfast.dcmwrite_bytes(ds))
    assert list(again.PatientSize) == before
    assert any(not v.isascii() for v in before)  # the case is the one it claims


def test_damaged_meta_group_length_is_a_write_error():
    """(0002,0000) that is not one UL (here a 1-byte value) cannot be recomputed in place:
    DicomWriteError (before: struct.error from the length patch)."""
    import dcmfast

    data = (HERE / "regressions" / "roundtrip-meta-group-length-not-ul.dcm").read_bytes()
    ds = dcmfast.dcmread(data, force=True)
    with pytest.raises(dcmfast.DicomWriteError, match="0002,0000"):
        dcmfast.dcmwrite_bytes(ds)


@pytest.mark.parametrize("edit", [False, True])
def test_nonzero_reserved_bytes_are_written_as_pydicom_writes_them(edit):
    """Explicit VR OB/UT/SQ headers whose 2 reserved bytes are not zero: the raw copy
    wrote them as they were; pydicom writes zeros (the oracle), edited dataset or not."""
    import io

    import pydicom

    import dcmfast

    data = (HERE / "regressions" / "roundtrip-nonzero-reserved-bytes.dcm").read_bytes()
    ours, theirs = dcmfast.dcmread(data), pydicom.dcmread(io.BytesIO(data))
    if edit:
        ours.PatientName = theirs.PatientName = "Edited^Name"
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, theirs)
    assert dcmfast.dcmwrite_bytes(ours) == buf.getvalue()


@pytest.mark.parametrize("vr", ["M\x02", "U\xa3", 'A"', "X\\"])
def test_a_damaged_vr_is_escaped_in_dicom_json_as_pydicom_does(vr):
    """The compiled JSON writer copied a 2-character VR as raw bytes: a control character
    made text json.loads refuses (fuzz_roundtrip: JSONDecodeError in from_json)."""
    import json

    import pydicom

    import dcmfast

    texts = []
    for module in (dcmfast, pydicom):
        ds = module.Dataset()
        ds.add(module.DataElement(0x00091001, vr, None))
        texts.append(ds.to_json())
    assert texts[0] == texts[1]
    assert json.loads(texts[0])["00091001"]["vr"] == vr


# -- hypothesis: mutated corpus bytes ---------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SEED_NAMES = ["CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "rtplan.dcm",
              "nested_priv_SQ.dcm", "chrH31.dcm", "SC_rgb_rle_2frame.dcm", "image_dfl.dcm"]


def _seeds() -> dict[str, bytes]:
    from pydicom.data import get_testdata_file

    out = {}
    for name in SEED_NAMES:
        path = get_testdata_file(name)
        if path is not None:
            out[name] = Path(path).read_bytes()
    return out


_SEEDS = _seeds()
TOKENS = [b"\xfe\xff\x00\xe0", b"\xfe\xff\xdd\xe0", b"\xff\xff\xff\xff", b"\x00\x00\x00\x00",
          b"SQ\x00\x00", b"UN\x00\x00", b"OB\x00\x00", b"US\x02\x00", b"\x08\x00\x05\x00"]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(_SEEDS)), seed=st.integers(0, 2**32 - 1), edits=st.integers(0, 6),
       edit=st.one_of(st.none(), st.integers(0, 2**16)))
def test_mutated_corpus_bytes_round_trip(name, seed, edits, edit):
    rng = random.Random(seed)
    buf = bytearray(_SEEDS[name])
    for _ in range(edits):
        at = rng.randrange(132, len(buf))
        choice = rng.random()
        if choice < 0.7:
            buf[at] = rng.randrange(256)
        elif choice < 0.85:
            buf[at:at + 4] = rng.choice(TOKENS)
        else:
            del buf[at:at + rng.randrange(1, 32)]
    failures = harness.check(bytes(buf), edit=edit)
    assert not failures, [str(f) for f in failures]
