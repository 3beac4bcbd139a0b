"""Differential tests: dcmfast's arrays equal pydicom's over the whole corpus."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from dcmfast.errors import DcmfastError
from dcmfast.pixels import iter_pixels, pixel_array

from .conftest import RLE, assert_same, corpus_files, decodable, has_pixels, read, reference

PIXEL_FILES = [p for p in corpus_files() if has_pixels(p)]
DECODABLE = [p for p in PIXEL_FILES if decodable(p)]
FAILING = [p for p in PIXEL_FILES if not decodable(p) and isinstance(reference(p), ValueError)]


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL)


def test_corpus_is_there():
    assert len(DECODABLE) > 60  # 80 without the optional codecs, more with them
    assert YBR and FAILING


@pytest.mark.parametrize("path", DECODABLE, ids=lambda p: p.name)
def test_whole_array_matches_pydicom(path):
    assert_same(pixel_array(read(path)), reference(path))


YBR = [p for p in DECODABLE if read(p).get("PhotometricInterpretation") in ("YBR_FULL", "YBR_FULL_422")]


@pytest.mark.parametrize("path", YBR, ids=lambda p: p.name)
def test_raw_matches_pydicom(path):
    ds = read(path)
    assert_same(pixel_array(ds, raw=True), reference(path, raw=True))
    assert_same(pixel_array(ds, as_rgb=False), reference(path, raw=True))


@pytest.mark.parametrize("path", DECODABLE, ids=lambda p: p.name)
def test_frames_by_index_match_pydicom(path):
    ds = read(path)
    frames = int(ds.get("NumberOfFrames") or 1)
    for index in sorted({0, frames // 2, frames - 1}):
        assert_same(pixel_array(ds, index=index), reference(path, index=index))


@pytest.mark.parametrize("path", [p for p in DECODABLE if int(read(p).get("NumberOfFrames") or 1) > 1],
                         ids=lambda p: p.name)
def test_iter_pixels_matches_pydicom(path):
    ds = read(path)
    ours = list(iter_pixels(ds))
    assert len(ours) == int(ds.NumberOfFrames)
    for i, frame in enumerate(ours):
        assert_same(frame, reference(path, index=i))
    picked = list(iter_pixels(ds, indices=[len(ours) - 1, 0]))
    assert_same(picked[0], reference(path, index=len(ours) - 1))


@pytest.mark.parametrize("path", DECODABLE[::7], ids=lambda p: p.name)
def test_paths_and_bytes_match_pydicom(path):
    assert_same(pixel_array(path), reference(path))
    assert_same(pixel_array(str(path)), reference(path))
    assert_same(pixel_array(path.read_bytes()), reference(path))


@pytest.mark.parametrize("path", FAILING, ids=lambda p: p.name)
def test_pydicom_value_errors_are_dcmfast_errors(path):
    """Where pydicom finds the pixel data invalid (e.g. truncated), dcmfast raises too."""
    with pytest.raises(DcmfastError):
        pixel_array(read(path))


@pytest.mark.parametrize("path", [p for p in DECODABLE if read(p).file_meta.TransferSyntaxUID == RLE],
                         ids=lambda p: p.name)
def test_one_and_many_threads_agree(path):
    ds = read(path)
    one = pixel_array(ds, threads=1)
    np.testing.assert_array_equal(one, pixel_array(ds, threads=2))
    np.testing.assert_array_equal(one, pixel_array(ds, threads=7))
