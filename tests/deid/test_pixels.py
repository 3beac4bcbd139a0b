"""Pixel cleaning (dcmfast.deid.pixels): rectangles filled, every other pixel unchanged.

The oracle is pydicom: the input's ``pixel_array`` (pydicom's decoders) against the
output's, written by dcmfast and read back by pydicom. Inputs are corpus files; copies get
Burned In Annotation YES (with pydicom) where the run has to find them quarantined.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

import dcmfast
from dcmfast.deid import Deidentifier
from dcmfast.deid.pixels import PixelCleaner, load_rules
from dcmfast.errors import DeidentificationError

KEY = b"pixel-cleaning-test-key-0123456789"
RECTS = [[2, 3, 20, 7], [30, 40, 9, 11]]


def _rule(ds, rects=RECTS, **over):
    rule = {"manufacturer": str(ds.get("Manufacturer", "") or "*"),
            "model": str(ds.get("ManufacturerModelName", "") or "*"),
            "rows": int(ds.Rows), "columns": int(ds.Columns), "rectangles": rects}
    rule.update(over)
    return rule


def _mask(ds, rects=RECTS) -> np.ndarray:
    mask = np.zeros((int(ds.Rows), int(ds.Columns)), bool)
    for x, y, w, h in rects:
        mask[y:y + h, x:x + w] = True
    return mask


def _frames(arr: np.ndarray, ds) -> np.ndarray:
    spp = int(ds.get("SamplesPerPixel", 1))
    return arr.reshape((-1, int(ds.Rows), int(ds.Columns), spp))


def _ybr_rle(tmp_path: Path) -> Path:
    ds = pydicom.dcmread(get_testdata_file("SC_ybr_full_uncompressed.dcm"))
    ds.compress(pydicom.uid.RLELossless, encoding_plugin="pydicom")
    path = tmp_path / "ybr_rle.dcm"
    ds.save_as(path)
    return path


CASES = [
    "CT_small.dcm",  # signed 16-bit, Explicit VR Little Endian
    "MR_small_implicit.dcm",  # Implicit VR Little Endian
    "MR_small_bigendian.dcm",  # Explicit VR Big Endian
    "emri_small.dcm",  # 10 frames native
    "emri_small_RLE.dcm",  # 10 frames RLE
    "MR_small_RLE.dcm",  # signed RLE
    "SC_rgb.dcm",  # RGB native
    "SC_rgb_expb_16bit_2frame.dcm",  # RGB 16-bit big endian, 2 frames
    "SC_rgb_rle_2frame.dcm",  # RGB RLE, 2 frames
    "SC_ybr_full_uncompressed.dcm",  # YBR_FULL native
    "SC_ybr_full_422_uncompressed.dcm",  # YBR_FULL_422 native: written as YBR_FULL
    "US1_J2KR.dcm",  # JPEG 2000 lossless, YBR_RCT colour
    "ybr_rle",  # YBR_FULL RLE (made with pydicom's encoder)
    "OBXXXX1A_rle_2frame.dcm",  # palette colour RLE, 2 frames
    "MR_small_jp2klossless.dcm",  # JPEG 2000 lossless
    "SC_rgb_dcmtk_+eb+cy+n1.dcm",  # lossy JPEG baseline, YBR_FULL: written as Explicit VR LE
]


@pytest.mark.parametrize("name", CASES)
def test_cleaned_region_and_the_rest(name, tmp_path):
    path = _ybr_rle(tmp_path) if name == "ybr_rle" else Path(get_testdata_file(name))
    ref = pydicom.dcmread(path)
    before = _frames(ref.pixel_array, ref)  # pydicom: YBR converted to RGB
    ds = dcmfast.dcmread(path)
    ts = str(ds.file_meta.TransferSyntaxUID)
    assert PixelCleaner([_rule(ref)]).clean(ds) == [0]
    out_path = tmp_path / "out.dcm"
    dcmfast.dcmwrite(out_path, ds)
    out = pydicom.dcmread(out_path)
    after = _frames(out.pixel_array, out)
    assert after.shape == before.shape
    mask = _mask(ref)
    lossy = ts in ("1.2.840.10008.1.2.4.50",)
    if lossy:
        # dcmfast's JPEG baseline decode differs from pydicom's by up to 2 on this file (not
        # the cleaner's doing): the rest is the input as dcmfast decodes it, and near pydicom's
        mine = _frames(dcmfast.dcmread(path).pixel_array, ref)
        assert np.array_equal(after[:, ~mask], mine[:, ~mask])
        assert np.abs(after[:, ~mask].astype(int) - before[:, ~mask]).max() <= 2
    else:
        # every pixel outside the rectangles, every frame and sample: as pydicom decodes the input
        assert np.array_equal(after[:, ~mask], before[:, ~mask])
    signed = int(ref.PixelRepresentation) == 1
    fill = -(1 << (int(ref.BitsStored) - 1)) if signed else 0
    # YBR_FULL is filled with Y=0, Cb=Cr=mid: black, which pydicom converts to RGB 0
    assert (after[:, mask] == fill).all()
    assert out.BurnedInAnnotation == "NO"
    expect_ts = "1.2.840.10008.1.2.1" if lossy else ts
    assert str(out.file_meta.TransferSyntaxUID) == expect_ts
    if lossy:
        assert out.PhotometricInterpretation == "RGB"
    elif ref.PhotometricInterpretation == "YBR_FULL_422":
        assert out.PhotometricInterpretation == "YBR_FULL"


def test_jpeg_ls_lossless_reencoded_or_refused(tmp_path):
    """JPEG-LS lossless: encoded again when the codec has an encoder, else that file fails
    (never written another way)."""
    path = get_testdata_file("MR_small_jpeg_ls_lossless.dcm")
    ref = pydicom.dcmread(path)
    ds = dcmfast.dcmread(path)
    try:
        PixelCleaner([_rule(ref)]).clean(ds)
    except DeidentificationError as exc:
        assert "JPEG-LS" in str(exc) or "encoder" in str(exc)
        assert str(ds.file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.4.80"
        assert np.array_equal(dcmfast.dcmread(path).pixel_array, ref.pixel_array)
        return
    out = pydicom.dcmread(_save(ds, tmp_path))
    assert str(out.file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.4.80"
    mask = _mask(ref)
    assert np.array_equal(out.pixel_array[~mask], ref.pixel_array[~mask])


def _save(ds, tmp_path: Path) -> Path:
    p = tmp_path / "o.dcm"
    dcmfast.dcmwrite(p, ds)
    return p


def test_matching_rules():
    ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))  # GE MEDICAL SYSTEMS, 128 x 128
    model = str(ds.ManufacturerModelName)
    rules = [
        {"manufacturer": "ge medical systems", "model": model.upper(), "rows": 128, "columns": 128,
         "rectangles": [[0, 0, 1, 1]]},
        {"manufacturer": "GE MEDICAL", "model": "*", "rows": 128, "columns": 128,
         "rectangles": [[0, 0, 1, 1]]},
        {"manufacturer": "*", "model": "*", "rows": 128, "columns": 127, "rectangles": [[0, 0, 1, 1]]},
        {"manufacturer": " GE Medical Systems ", "model": "*", "rows": 128, "columns": 128,
         "rectangles": [[0, 0, 1, 1]]},
    ]
    assert PixelCleaner(rules).matching(ds) == [0, 3]  # whole strings, any case, no substrings


@pytest.mark.parametrize("bad", [
    {"manufacturer": "x", "model": "y", "rows": 1, "columns": 1},
    {"manufacturer": "x", "model": "y", "rows": 1, "columns": 1, "rectangles": [[0, 0, 0, 1]]},
    {"manufacturer": "x", "model": "y", "rows": 1, "columns": 1, "rectangles": [[-1, 0, 1, 1]]},
    {"manufacturer": "x", "model": "y", "rows": "1", "columns": 1, "rectangles": [[0, 0, 1, 1]]},
    {"manufacturer": "x", "model": "y", "rows": 1, "columns": 1, "rectangles": [[0, 0, 1]], "extra": 1},
])
def test_malformed_rules(bad):
    with pytest.raises(DeidentificationError, match="rule 0"):
        load_rules([bad])


def test_rule_files(tmp_path):
    rules = [{"manufacturer": "A", "model": "B", "rows": 2, "columns": 3, "rectangles": [[0, 0, 1, 1]]}]
    (tmp_path / "r.json").write_text(json.dumps(rules))
    (tmp_path / "r.toml").write_text('[[rule]]\nmanufacturer = "A"\nmodel = "B"\nrows = 2\ncolumns = 3\n'
                                     'rectangles = [[0, 0, 1, 1]]\n')
    assert load_rules(tmp_path / "r.json") == load_rules(tmp_path / "r.toml") == load_rules(rules)
    (tmp_path / "bad.json").write_text("[{")
    with pytest.raises(DeidentificationError, match="bad.json"):
        load_rules(tmp_path / "bad.json")
    with pytest.raises(DeidentificationError, match="missing.json"):
        load_rules(tmp_path / "missing.json")


def test_rectangle_outside_the_image_leaves_the_dataset():
    path = get_testdata_file("emri_small_RLE.dcm")
    ds = dcmfast.dcmread(path)
    raw, burned = bytes(ds.PixelData), ds.get("BurnedInAnnotation")
    with pytest.raises(DeidentificationError, match="outside"):
        PixelCleaner([_rule(ds, rects=[[60, 0, 5, 5]])]).clean(ds)
    assert bytes(ds.PixelData) == raw and ds.get("BurnedInAnnotation") == burned


def _burned(src: str, folder: Path, name: str) -> Path:
    ds = pydicom.dcmread(get_testdata_file(src))
    ds.BurnedInAnnotation = "YES"
    folder.mkdir(parents=True, exist_ok=True)
    ds.save_as(folder / name)
    return folder / name


def test_process_cleans_quarantined_files(tmp_path):
    src = tmp_path / "in"
    a = _burned("SC_rgb_rle_2frame.dcm", src, "a.dcm")  # matches rule 1
    _burned("CT_small.dcm", src, "b.dcm")  # no rule: quarantined
    c = _burned("emri_small.dcm", src, "c.dcm")  # rule 2 reaches outside: fails
    ref_a = pydicom.dcmread(a)
    rules = [
        _rule(ref_a, rows=99),
        _rule(ref_a),
        _rule(pydicom.dcmread(c), rects=[[0, 60, 4, 5]]),
    ]
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    deid = Deidentifier(key=KEY, pixel_cleaning=tmp_path / "rules.json")
    out, review, audit = tmp_path / "out", tmp_path / "review", tmp_path / "audit.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = deid.process(src, out, workers=1, quarantine_dir=review, audit_log=audit)
    assert (s.written, s.quarantined, s.failed, s.cleaned) == (1, 1, 1, 1), s
    assert "outside" in s.failures[0][1]
    assert sorted(p.name for p in out.rglob("*.dcm")) == ["a.dcm"]
    assert sorted(p.name for p in review.rglob("*.dcm")) == ["b.dcm"]
    got = pydicom.dcmread(out / "a.dcm")
    assert got.BurnedInAnnotation == "NO"
    codes = [item.CodeValue for item in got.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113101"]
    mask = _mask(ref_a)
    before, after = _frames(ref_a.pixel_array, ref_a), _frames(got.pixel_array, got)
    assert np.array_equal(after[:, ~mask], before[:, ~mask]) and (after[:, mask] == 0).all()
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(rec["status"], rec.get("pixels"), rec.get("rules")) for rec in lines] == [
        ("written", "pixels cleaned", [1]), ("quarantined", None, None), ("failed", None, None)]
    # a quarantined file (no rule) keeps its codes: no 113101
    q = pydicom.dcmread(review / "b.dcm")
    assert [i.CodeValue for i in q.DeidentificationMethodCodeSequence] == ["113100"]


def test_recognizable_features_stay_quarantined(tmp_path):
    src = tmp_path / "in"
    ds = pydicom.dcmread(get_testdata_file("SC_rgb.dcm"))
    ds.BurnedInAnnotation = "YES"
    ds.RecognizableVisualFeatures = "YES"
    src.mkdir()
    ds.save_as(src / "f.dcm")
    deid = Deidentifier(key=KEY, pixel_cleaning=[_rule(ds)])
    s = deid.process(src, tmp_path / "out", workers=1, quarantine_dir=tmp_path / "q")
    assert (s.written, s.quarantined, s.cleaned) == (0, 1, 1)
    assert "Recognizable" in s.quarantined_files[0][1]


def test_resume_with_other_rules_is_refused(tmp_path):
    src = tmp_path / "in"
    _burned("SC_rgb.dcm", src, "a.dcm")
    rule = _rule(pydicom.dcmread(src / "a.dcm"))
    out = tmp_path / "out"
    assert Deidentifier(key=KEY, pixel_cleaning=[rule]).process(src, out, workers=1).written == 1
    again = Deidentifier(key=KEY, pixel_cleaning=[rule]).process(src, out, workers=1)
    assert again.skipped == 1
    other = dict(rule, rectangles=[[0, 0, 5, 5]])
    with pytest.raises(DeidentificationError, match="pixel_rules"):
        Deidentifier(key=KEY, pixel_cleaning=[other]).process(src, out, workers=1)
    with pytest.raises(DeidentificationError, match="pixel_rules"):
        Deidentifier(key=KEY).process(src, out, workers=1)
