"""imagecodecs' codecs (``dcmfast[codecs]``): JPEG-LS and JPEG 2000 / HTJ2K decoding
without the GIL, on the worker pool, against pydicom's pixel_array with its default
plugins (pylibjpeg-libjpeg, pylibjpeg-openjpeg) as the oracle."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

import dcmfast
from dcmfast.pixels import _imagecodecs, codec_backends, jpeg, pixel_array

from .conftest import assert_same, corpus_files, has_pixels, read, reference

pytest.importorskip("imagecodecs")

DATA = Path(__file__).resolve().parents[1] / "data"
KINDS = {"1.2.840.10008.1.2.4.80": "jpegls", "1.2.840.10008.1.2.4.81": "jpegls",
         "1.2.840.10008.1.2.4.90": "j2k", "1.2.840.10008.1.2.4.91": "j2k",
         "1.2.840.10008.1.2.4.201": "j2k", "1.2.840.10008.1.2.4.202": "j2k",
         "1.2.840.10008.1.2.4.203": "j2k"}


def _syntax(path):
    ds = read(path)
    return "" if ds is None else str(ds.file_meta.get("TransferSyntaxUID", ""))


FILES = [p for p in [*corpus_files(), *sorted(DATA.glob("htj2k_*.dcm"))]
         if _syntax(p) in KINDS and has_pixels(p)]


def _ours(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmfast.dcmread(path, force=True)


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL)


def test_corpus_has_every_kind():
    kinds = {KINDS[_syntax(p)] for p in FILES}
    assert kinds == {"jpegls", "j2k"}
    assert len(FILES) >= 20


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_decode_matches_pydicom(path, threads, monkeypatch):
    """Every JPEG-LS / JPEG 2000 / HTJ2K file of the corpora: the imagecodecs path gives
    pydicom's array (or fails where pydicom fails)."""
    monkeypatch.setattr("dcmfast.pixels.rle.MIN_BYTES_PER_WORKER", 1)  # pool even when small
    calls = []
    for name in ("j2k_decode", "jpegls_decode"):
        real = getattr(_imagecodecs, name)
        monkeypatch.setattr(_imagecodecs, name, lambda src, _f=real: calls.append(1) or _f(src))
    ref = reference(path)
    if isinstance(ref, Exception):
        with pytest.raises(Exception):  # noqa: B017,PT011 - pydicom's failure is the oracle
            pixel_array(_ours(path), threads=threads)
        return
    assert_same(pixel_array(_ours(path), threads=threads), ref)
    assert calls, "imagecodecs was not used"


def test_codec_backends_names_imagecodecs(monkeypatch):
    backends = codec_backends()
    for uid, kind in KINDS.items():
        assert backends[uid].startswith("imagecodecs ("), (uid, backends[uid])
        assert ("openjpeg" if kind == "j2k" else "charls") in backends[uid]
    assert backends["1.2.840.10008.1.2.4.50"] == "pylibjpeg-libjpeg"
    assert backends["1.2.840.10008.1.2.5"] == "dcmfast"
    monkeypatch.setattr(jpeg, "USE_IMAGECODECS", False)
    assert codec_backends()["1.2.840.10008.1.2.4.90"] == "pylibjpeg-openjpeg"


def test_backend_is_logged(caplog):
    path = next(p for p in FILES if KINDS[_syntax(p)] == "j2k")
    caplog.set_level(logging.DEBUG, logger="dcmfast.pixels.jpeg")
    pixel_array(_ours(path))
    assert any("imagecodecs" in r.getMessage() for r in caplog.records)


def test_imagecodecs_error_is_not_hidden(monkeypatch):
    """No silent fallback to pylibjpeg: a failing backend's error is raised."""
    from dcmfast.errors import PixelDataError

    def broken(src):
        raise RuntimeError("boom")

    monkeypatch.setattr(_imagecodecs, "j2k_decode", broken)
    path = next(p for p in FILES if KINDS[_syntax(p)] == "j2k" and not isinstance(reference(p), Exception))
    with pytest.raises(PixelDataError, match="imagecodecs failed.*boom"):
        pixel_array(_ours(path))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pylibjpeg_path_still_matches(path, monkeypatch):
    """With imagecodecs switched off, the pylibjpeg bindings decode the same arrays."""
    pytest.importorskip("openjpeg")
    pytest.importorskip("libjpeg")
    monkeypatch.setattr(jpeg, "USE_IMAGECODECS", False)
    monkeypatch.setattr(_imagecodecs, "module", lambda: pytest.fail("imagecodecs used"))
    ref = reference(path)
    if isinstance(ref, Exception):
        return
    assert_same(pixel_array(_ours(path)), ref)


_FUZZ = """
import logging, sys, warnings
import numpy as np
import dcmfast
from dcmfast.errors import DcmfastError
from dcmfast.pixels import pixel_array
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
rng = np.random.default_rng(20261204)
odd = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    start = max(data.find(b"\\xff\\x4f\\xff\\x51"), data.find(b"\\xff\\xd8\\xff"), data.find(b"jP  "))
    for k in range(60):
        b = bytearray(data)
        if k % 3 == 2:
            b = b[:int(rng.integers(start, len(b)))]
        else:
            stop = min(len(b), start + 400) if k % 3 == 0 else len(b)
            for _ in range(int(rng.integers(1, 12))):
                b[int(rng.integers(start, stop))] = int(rng.integers(0, 256))
        try:
            pixel_array(dcmfast.dcmread(bytes(b), force=True), threads=2)
        except DcmfastError:
            pass
        except Exception as exc:
            odd += 1
            print(path, k, type(exc).__name__, exc)
print("done", odd)
"""


def test_corrupt_codestreams_raise_dcmfast_errors():
    """Mutated JPEG-LS / J2K / HTJ2K codestreams through imagecodecs: a dcmfast error or
    an array, never another exception or a crash (in a subprocess, so a crash fails the
    test instead of killing pytest)."""
    import subprocess
    import sys

    files = []
    for kind in ("jpegls", "j2k"):
        files += [str(p) for p in FILES if KINDS[_syntax(p)] == kind][:4]
    proc = subprocess.run([sys.executable, "-c", _FUZZ, *files], capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("done 0"), proc.stdout[-2000:]
