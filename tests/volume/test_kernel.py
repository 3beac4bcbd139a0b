"""_core.volume.convert against numpy: every source and output type, pydicom's unused-bit
correction, the rescale computed in float64, float to integer clipped."""
from __future__ import annotations

import numpy as np
import pytest
from pydicom.pixels.processing import apply_modality_lut

from dcmfast._core import volume as cvol
from dcmfast.pixels.processing import clear_high_bits

TYPES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]


def _src(dtype: str, n: int = 999) -> np.ndarray:
    rng = np.random.default_rng(5)
    if dtype.startswith("float"):
        return (rng.standard_normal(n) * 1000).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype)


def _run(src: np.ndarray, dst_dtype: str, **kw) -> np.ndarray:
    out = np.empty(src.size, dtype=dst_dtype)
    cvol.convert(src.view(np.uint8), src.dtype.name, out.view(np.uint8), dst_dtype, **kw)
    return out


@pytest.mark.parametrize("src_dtype", TYPES)
@pytest.mark.parametrize("dst_dtype", ["int32", "float32", "float64"])
def test_rescale_like_pydicom(src_dtype: str, dst_dtype: str) -> None:
    import pydicom

    src = _src(src_dtype)
    ds = pydicom.Dataset()
    ds.RescaleSlope, ds.RescaleIntercept = 0.37, -1024.5
    ref = apply_modality_lut(src, ds)  # float64
    got = _run(src, dst_dtype, rescale=True, slope=0.37, intercept=-1024.5)
    if dst_dtype.startswith("float"):
        assert np.array_equal(got, ref.astype(dst_dtype))
    else:
        info = np.iinfo(dst_dtype)
        assert np.array_equal(got, np.clip(ref, info.min, info.max).astype(dst_dtype))


@pytest.mark.parametrize("src_dtype", TYPES)
@pytest.mark.parametrize("dst_dtype", TYPES)
def test_plain_copy(src_dtype: str, dst_dtype: str) -> None:
    src = _src(src_dtype)
    got = _run(src, dst_dtype)
    if src_dtype.startswith("float") and not dst_dtype.startswith("float"):
        info = np.iinfo(dst_dtype)
        ref = np.clip(src.astype(np.float64), info.min, info.max).astype(dst_dtype)
    else:
        ref = src.astype(dst_dtype)
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("src_dtype,bits", [
    (t, b) for t in ("uint8", "int8", "uint16", "int16", "uint32", "int32")
    for b in (1, 5, 7, 12, 15, 31) if b < 8 * np.dtype(t).itemsize])
def test_unused_bits_like_pydicom(src_dtype: str, bits: int) -> None:
    src = _src(src_dtype)
    ref = clear_high_bits(src.copy(), bits, src_dtype.startswith("int"), True)
    got = _run(src, "float64", bits_stored=bits)
    assert np.array_equal(got, ref.astype(np.float64))
    got = _run(src, src_dtype, bits_stored=bits)
    assert np.array_equal(got, ref)


def test_nan_to_int_and_sizes() -> None:
    src = np.array([np.nan, np.inf, -np.inf, 1e20, -3.7], dtype=np.float64)
    assert _run(src, "int16").tolist() == [0, 32767, -32768, 32767, -3]
    with pytest.raises(ValueError, match="'dst' holds"):
        cvol.convert(src.view(np.uint8), "float64", np.empty(3, np.uint8), "int16")
    with pytest.raises(ValueError, match="not a whole number"):
        cvol.convert(np.empty(3, np.uint8), "int16", np.empty(2, np.uint8), "int16")
    with pytest.raises(ValueError, match="unsupported sample type"):
        cvol.convert(np.empty(8, np.uint8), "int64", np.empty(8, np.uint8), "int64")


@pytest.mark.parametrize("src_dtype,bits", [("int16", 12), ("int16", 16), ("uint16", 12), ("uint16", 16),
                                            ("int8", 7), ("uint8", 8), ("int32", 20), ("uint32", 32)])
@pytest.mark.parametrize("dst_dtype", ["uint8", "int16", "int32", "uint16"])
@pytest.mark.parametrize("intercept", [-1024.0, 0.0, 3.0])
def test_integer_shift_like_pydicom(src_dtype: str, bits: int, dst_dtype: str, intercept: float) -> None:
    """Slope 1 and an integer intercept into an integer type: the integer path (with and
    without a clip) gives pydicom's values, clipped to the type."""
    import pydicom

    src = _src(src_dtype)
    fixed = clear_high_bits(src.copy(), bits, src_dtype.startswith("int"), True)
    ds = pydicom.Dataset()
    ds.RescaleSlope, ds.RescaleIntercept = 1, intercept
    ref = apply_modality_lut(fixed, ds)
    info = np.iinfo(dst_dtype)
    got = _run(src, dst_dtype, bits_stored=bits, rescale=True, slope=1.0, intercept=intercept)
    assert np.array_equal(got, np.clip(ref, info.min, info.max).astype(dst_dtype))
