"""The grey-scale and palette pipeline of ``pydicom.pixels.processing``, compiled.

Each function gives pydicom 3's result bit for bit (same dtype, same values, same
exception type for bad input) and reads the dataset only (pydicom's versions
assign a few attributes back); a pydicom or a dcmfast dataset may be passed.

How the pixels are processed:

* A LUT (modality, VOI, palette, presentation) or a SIGMOID window maps each
  pixel value on its own. Its result for every value the input can hold (8/16-bit
  input), or for every value between the input's minimum and maximum, is computed
  once with pydicom's numpy arithmetic into a table, and
  :func:`dcmfast._core.lut.gather` copies table rows to the output without the GIL.
  Any input the table cannot serve (floats, a wide range, an error while building
  the table) is processed by that same numpy arithmetic on the array itself, so the
  result - or the exception - is pydicom's.
* LINEAR / LINEAR_EXACT windowing and Rescale Slope / Intercept are computed per
  pixel in C in pydicom's order of operations (each rounded to double as numpy does).

Every function takes ``out=`` (a C-contiguous, writable array of the result's shape
and dtype; the result is written there and returned) and ``threads=`` (n: split the
pixels across up to n threads of the shared pixel pool, in shares of at least 4 MiB
of output; None: only outputs of 128 MiB or more are split; 1: the calling thread).
"""
from __future__ import annotations

import logging
import struct
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dcmfast._core import colour as _colour
from dcmfast._core import lut as _lut
from dcmfast._core import pages as _pages

from . import rle as _rle

#: the parameters of LINEAR windowing (lut.window_linear): lo, hi, center, width, y_min, y_max, y_range
_Params = tuple[float, float, float, float, float, float, float]

__all__ = [
    "apply_color_lut",
    "apply_modality_lut",
    "apply_presentation_lut",
    "apply_rescale",
    "apply_voi",
    "apply_voi_lut",
    "apply_windowing",
    "convert_color_space",
]

LOGGER = logging.getLogger(__name__)

# output bytes per thread below which splitting an image costs more than it saves
MIN_BYTES_PER_WORKER = 4 * 1024 * 1024
# threads=None splits only outputs this large: the kernels are memory-bound and take
# a few ms for a 2048 x 2048 image, where a second thread on a busy 2-CPU machine
# was measured to cost as much as it saved (benchmarks/scripts/lut_bench.py)
AUTO_THREADS_BYTES = 128 * 1024 * 1024
# a table over the input's value range is built when the range has at most this
# many values, or no more values than the array has pixels
_MAX_TABLE_ROWS = 1 << 20
_CODES = {"u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"}
_FLOAT_CODES = {"f4", "f8"}
_TABLE_CODES = {"u1", "i1", "u2", "i2"}


# --- helpers ---------------------------------------------------------------------------


def _code(dtype: np.dtype[Any]) -> str | None:
    """'u2', 'i4', 'f8' ... for a native-order integer or float dtype, else None."""
    if not dtype.isnative:
        return None
    code = f"{dtype.kind}{dtype.itemsize}"
    return code if code in _CODES or code in _FLOAT_CODES else None


def _flat_bytes(arr: np.ndarray) -> np.ndarray:
    """A flat uint8 view of `arr` (a C-contiguous copy first if it is not)."""
    return np.ascontiguousarray(arr).reshape(-1).view(np.uint8)


def _out_array(out: np.ndarray | None, shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
    """`out` checked against the result's shape and dtype, or a new array (a large
    one in a mapping the next large output reuses: :mod:`dcmfast._core.pages`)."""
    if out is None:
        count = int(np.prod(shape, dtype=np.int64))
        pages = _pages.alloc(count * dtype.itemsize) if count * dtype.itemsize >= _pages.MIN_BYTES else None
        if pages is None:
            return np.empty(shape, dtype=dtype)
        # (Pages has the buffer protocol: numpy's stubs list concrete types before Python 3.12)
        return np.frombuffer(pages, dtype=dtype, count=count).reshape(shape)  # type: ignore[call-overload, no-any-return]
    if not isinstance(out, np.ndarray):
        raise TypeError(f"'out' must be a numpy.ndarray, not {type(out).__name__}")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(f"'out' must have shape {shape} and dtype {dtype}, "
                         f"not {out.shape} and {out.dtype}")
    if not (out.flags.c_contiguous and out.flags.writeable):
        raise ValueError("'out' must be C-contiguous and writable")
    return out


def _deliver(result: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """`result`, or `result` copied into `out`."""
    if out is None:
        return result
    target = _out_array(out, result.shape, result.dtype)
    if target is not result:
        np.copyto(target, result, casting="no")
    return target


def _workers(threads: int | None, pixels: int, out_bytes: int) -> int:
    """Threads for one call: 1 unless asked for (None), or for an output of at least
    AUTO_THREADS_BYTES; never a share of less than MIN_BYTES_PER_WORKER."""
    if threads is not None and (type(threads) is not int or threads < 1):
        raise ValueError(f"'threads' must be None or an int >= 1, not {threads!r}")
    if threads == 1 or pixels < 2 or (threads is None and out_bytes < AUTO_THREADS_BYTES):
        return 1
    workers = min(out_bytes // MIN_BYTES_PER_WORKER, _rle.resolve_threads(threads, pixels),
                  _rle._cpus())
    return max(1, min(workers, pixels))


def _split(work: Callable[[int, int], Any], pixels: int, workers: int) -> list[Any]:
    """work(start, stop) over `pixels` in `workers` contiguous shares (the calling
    thread takes the first); the results in order, after every share is done."""
    if workers <= 1:
        return [work(0, pixels)]
    bounds = [pixels * w // workers for w in range(workers + 1)]
    pool = _rle._shared_pool()
    futures = [pool.submit(work, bounds[w], bounds[w + 1]) for w in range(1, workers)]
    results: list[Any] = []
    try:
        results.append(work(bounds[0], bounds[1]))
    finally:
        for future in futures:  # none may still write into the output
            try:
                results.append(future.result())
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                results.append(exc)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def _elementwise(arr: np.ndarray, ref: Callable[[np.ndarray], np.ndarray], out: np.ndarray | None,
                 threads: int | None, *, span: tuple[Any, Any] | None = None) -> np.ndarray:
    """ref(arr) for a `ref` whose result for a pixel depends on that pixel only (its
    result has shape arr.shape + row shape): through a table of ref's results and
    the compiled gather when the input is integer, else ref(arr) itself."""
    code = _code(arr.dtype)
    if code is None or code in _FLOAT_CODES or arr.size == 0:
        return _deliver(ref(arr), out)
    bits = 8 * arr.dtype.itemsize
    if span is None and bits <= 16 and arr.size >= 4 << bits:
        # every value the type holds, in unsigned bit-pattern order
        values = np.arange(1 << bits, dtype=f"u{bits // 8}").view(arr.dtype)
        index_code, offset = f"u{bits // 8}", 0
    else:
        lo, hi = span if span is not None else (arr.min(), arr.max())
        lo, hi = int(lo), int(hi)
        if hi - lo >= max(min(arr.size, _MAX_TABLE_ROWS), 1024):
            return _deliver(ref(arr), out)
        values = (lo + np.arange(hi - lo + 1, dtype=np.uint64)).astype(arr.dtype) if lo >= 0 else \
            np.arange(lo, hi + 1, dtype=np.int64).astype(arr.dtype)
        # the kernel subtracts modulo 2**64
        index_code, offset = code, lo if lo < 2**63 else lo - 2**64
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = ref(values)
    except Exception:  # noqa: BLE001 - the array itself decides (pydicom's error, or none)
        return _deliver(ref(arr), out)
    if not isinstance(table, np.ndarray) or table.shape[:1] != values.shape or table.dtype.hasobject:
        return _deliver(ref(arr), out)
    table = np.ascontiguousarray(table)
    row_shape = table.shape[1:]
    rowbytes = table.itemsize * int(np.prod(row_shape, dtype=np.int64))
    result = _out_array(out, arr.shape + row_shape, table.dtype)
    if result.size == 0:
        return result
    src = _flat_bytes(arr)
    dst = result.reshape(-1).view(np.uint8)
    tbytes = table.reshape(-1).view(np.uint8)
    pixels = arr.size

    def work(start: int, stop: int) -> int:
        return _lut.gather(src, index_code, tbytes, rowbytes, dst, offset, start, stop)

    bad = [b for b in _split(work, pixels, _workers(threads, pixels, result.nbytes)) if b >= 0]
    if bad:  # pragma: no cover - the table covers every value of the input
        raise IndexError(f"pixel {min(bad)} is outside the lookup table")
    return result


def _little_endian(ds: Any) -> bool:
    """The byte order of ``ds``'s OW values as pydicom finds it: the File Meta's
    transfer syntax when there is a ``file_meta``, else the original encoding."""
    if hasattr(ds, "file_meta"):
        meta = ds.file_meta
        encoding = getattr(meta, "_tsyntax_encoding", None)
        if encoding is not None:  # pydicom's FileMetaDataset
            little = encoding[1]
        else:
            from pydicom.uid import UID

            tsyntax = meta.get("TransferSyntaxUID", None)
            tsyntax = UID(str(tsyntax)) if tsyntax else None
            if not tsyntax or tsyntax.is_private or not tsyntax.is_transfer_syntax:
                little = None
            else:
                little = tsyntax.is_little_endian
    else:
        little = ds.original_encoding[1]
    if little is None:
        raise AttributeError(
            "Unable to determine the endianness of the dataset, please set an appropriate "
            f"Transfer Syntax UID in '{type(ds).__name__}.file_meta'")
    return bool(little)


def _lut_data(ds: Any, item: Any, nr_entries: Any, dtype: str, exact: bool) -> np.ndarray:
    """An item's LUT Data (US: the values; OW: `nr_entries` words in the dataset's
    byte order, exactly that many bytes if `exact`, else at least) as `dtype`."""
    if item["LUTData"].VR == "OW":
        little = _little_endian(ds)
        raw = item.LUTData
        if (dtype in ("uint8", "uint16") and type(nr_entries) is int and nr_entries >= 0
                and isinstance(raw, (bytes, bytearray, memoryview))
                and (len(raw) == 2 * nr_entries or (not exact and len(raw) >= 2 * nr_entries))):
            words = np.frombuffer(raw, dtype="<u2" if little else ">u2", count=nr_entries)
            if dtype == "uint8" and words.size and int(words.max()) > 0xFF:
                raise OverflowError(f"Python integer {int(words.max())} out of bounds for uint8")
            return words.astype(dtype)
        fmt = f"{'><'[little]}{nr_entries}H"
        data = struct.unpack(fmt, raw) if exact else struct.unpack_from(fmt, raw)
        return np.asarray(data, dtype=dtype)
    return np.asarray(item.LUTData, dtype=dtype)


def _map_lut(arr: np.ndarray, luts: list[np.ndarray], first_map: Any, nr_entries: Any,
             iv_dtype: Any, out_dtype: Any = None, subtrahend: Any = None) -> np.ndarray:
    """pydicom's LUT indexing: values below `first_map` take entry 0, the others
    entry ``value - first_map`` (`subtrahend` if given: pydicom's palette subtracts an
    int32), cast to `iv_dtype` and clipped to the last entry. One LUT: its values;
    several (palette, `out_dtype` given): the channels along a last axis."""
    iv = np.zeros(arr.shape, dtype=iv_dtype)
    mapped = arr >= first_map
    iv[mapped] = arr[mapped] - (first_map if subtrahend is None else subtrahend)
    np.clip(iv, 0, nr_entries - 1, out=iv)
    if out_dtype is None:
        return luts[0][iv]
    result = np.empty(arr.shape + (len(luts),), dtype=out_dtype)
    for channel, lut in enumerate(luts):
        result[..., channel] = lut[iv]
    return result


# --- modality LUT / rescale ------------------------------------------------------------


def apply_modality_lut(arr: np.ndarray, ds: Any, *, out: np.ndarray | None = None,
                       threads: int | None = None) -> np.ndarray:
    """pydicom's ``apply_modality_lut``: the Modality LUT Sequence's first LUT (an
    array of its uint8/uint16 type) or Rescale Slope / Intercept (float64); `arr`
    unchanged when neither is present.

    Parameters
    ----------
    arr : numpy.ndarray
        The stored values.
    ds : Dataset
        The dataset (or a Modality LUT Sequence item).
    out : numpy.ndarray, optional
        An array to write the result into (the result's shape and dtype; ValueError or
        TypeError otherwise); default: a new array.
    threads : int, optional
        Threads sharing the work: by default one, or several for an output of many
        megabytes; 1 keeps it on the calling thread.

    Returns
    -------
    numpy.ndarray
    """
    if ds.get("ModalityLUTSequence"):
        item = ds.ModalityLUTSequence[0]
        nr_entries = item.LUTDescriptor[0] or 2**16
        first_map = item.LUTDescriptor[1]
        nominal_depth = item.LUTDescriptor[2]
        lut = _lut_data(ds, item, nr_entries, f"uint{nominal_depth}", exact=True)

        def ref(a: np.ndarray) -> np.ndarray:
            return _map_lut(a, [lut], first_map, nr_entries, a.dtype)

        return _elementwise(arr, ref, out, threads)
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        slope, intercept = ds.RescaleSlope, ds.RescaleIntercept
        code = _code(arr.dtype)
        if code is not None and _is_real(slope) and _is_real(intercept):
            result = _out_array(out, arr.shape, np.dtype(np.float64))
            src, dst = _flat_bytes(arr), result.reshape(-1)
            s, i = float(slope), float(intercept)
            _split(lambda start, stop: _lut.rescale(src, code, dst, s, i, start, stop),
                   arr.size, _workers(threads, arr.size, result.nbytes))
            return result
        rescaled = arr.astype(np.float64) * slope
        rescaled += intercept
        return _deliver(rescaled, out)
    return _deliver(arr, out)


apply_rescale = apply_modality_lut


def _is_real(value: Any) -> bool:
    """A Python float (DSfloat, numpy float64) or an int a double holds exactly:
    numpy's arithmetic with it is the C kernels' double arithmetic."""
    if isinstance(value, float):
        return True
    return type(value) is int and -(2**53) <= value <= 2**53


# --- VOI LUT / windowing ---------------------------------------------------------------


def apply_voi_lut(arr: np.ndarray, ds: Any, index: int = 0, prefer_lut: bool = True, *,
                  out: np.ndarray | None = None, threads: int | None = None) -> np.ndarray:
    """pydicom's ``apply_voi_lut``: the VOI LUT Sequence's LUT `index` or the
    windowing of Window Center / Width `index` (the LUT when both are present and
    `prefer_lut`); `arr` unchanged when neither is present.

    Parameters
    ----------
    arr : numpy.ndarray
        The values after the modality transformation.
    ds : Dataset
        The dataset.
    index : int
        Which LUT or window (several may be given).
    prefer_lut : bool
        Use the LUT when both a LUT and a window are present.
    out : numpy.ndarray, optional
        An array to write the result into (the result's shape and dtype; ValueError or
        TypeError otherwise); default: a new array.
    threads : int, optional
        Threads sharing the work: by default one, or several for an output of many
        megabytes; 1 keeps it on the calling thread.

    Returns
    -------
    numpy.ndarray
    """
    valid_voi = False
    if ds.get("VOILUTSequence"):
        first = ds.VOILUTSequence[0]
        valid_voi = None not in [first.get("LUTDescriptor", None), first.get("LUTData", None)]
    valid_windowing = None not in [ds.get("WindowCenter", None), ds.get("WindowWidth", None)]
    if valid_voi and (prefer_lut or not valid_windowing):
        return apply_voi(arr, ds, index, out=out, threads=threads)
    if valid_windowing:
        return apply_windowing(arr, ds, index, out=out, threads=threads)
    return _deliver(arr, out)


def apply_voi(arr: np.ndarray, ds: Any, index: int = 0, *, out: np.ndarray | None = None,
              threads: int | None = None) -> np.ndarray:
    """pydicom's ``apply_voi``: the VOI LUT Sequence's LUT `index` (uint8 or uint16
    output); `arr` unchanged without a VOI LUT Sequence.

    Parameters
    ----------
    arr : numpy.ndarray
        The values after the modality transformation.
    ds : Dataset
        The dataset with the VOI LUT Sequence.
    index : int
        The item of the VOI LUT Sequence.
    out : numpy.ndarray, optional
        An array to write the result into (the result's shape and dtype; ValueError or
        TypeError otherwise); default: a new array.
    threads : int, optional
        Threads sharing the work: by default one, or several for an output of many
        megabytes; 1 keeps it on the calling thread.

    Returns
    -------
    numpy.ndarray
    """
    if not ds.get("VOILUTSequence"):
        return _deliver(arr, out)
    if not np.issubdtype(arr.dtype, np.integer):
        msg = "Applying a VOI LUT on a float input array may give incorrect results"
        LOGGER.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=2)
    item = ds.VOILUTSequence[index]
    descriptor = item.LUTDescriptor
    nr_entries = descriptor[0] or 2**16
    first_map = descriptor[1]
    nominal_depth = descriptor[2]
    if nominal_depth in range(10, 17):
        dtype = "uint16"
    elif nominal_depth == 8:
        dtype = "uint8"
    else:
        raise NotImplementedError(f"'{nominal_depth}' bits per LUT entry is not supported")
    lut = _lut_data(ds, item, nr_entries, dtype, exact=False)

    def ref(a: np.ndarray) -> np.ndarray:
        return _map_lut(a, [lut], first_map, nr_entries, dtype)

    return _elementwise(arr, ref, out, threads)


def apply_windowing(arr: np.ndarray, ds: Any, index: int = 0, *, out: np.ndarray | None = None,
                    threads: int | None = None) -> np.ndarray:
    """pydicom's ``apply_windowing`` (float64 output): LINEAR (the default),
    LINEAR_EXACT or SIGMOID with Window Center / Width `index`, onto the range of
    the stored values (Bits Stored, Pixel Representation, or the Modality LUT's
    depth), rescaled when Rescale Slope and Intercept are present.

    Parameters
    ----------
    arr : numpy.ndarray
        The values after the modality transformation.
    ds : Dataset
        The dataset with Window Center and Window Width.
    index : int
        Which window, when several are given.
    out : numpy.ndarray, optional
        An array to write the result into (the result's shape and dtype; ValueError or
        TypeError otherwise); default: a new array.
    threads : int, optional
        Threads sharing the work: by default one, or several for an output of many
        megabytes; 1 keeps it on the calling thread.

    Returns
    -------
    numpy.ndarray
        float64.

    Examples
    --------
    >>> import dcmfast
    >>> from dcmfast.pixels import apply_windowing
    >>> from pydicom.data import get_testdata_file
    >>> ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    >>> ds.WindowCenter, ds.WindowWidth = 40, 400
    >>> apply_windowing(ds.pixel_array, ds).dtype.name
    'float64'
    """
    if "WindowWidth" not in ds and "WindowCenter" not in ds:
        return _deliver(arr, out)
    if ds.PhotometricInterpretation not in ["MONOCHROME1", "MONOCHROME2"]:
        raise ValueError(
            "When performing a windowing operation only 'MONOCHROME1' and 'MONOCHROME2' "
            "are allowed for (0028,0004) Photometric Interpretation")
    function = getattr(ds, "VOILUTFunction", "LINEAR").upper()
    elem = ds["WindowCenter"]
    center = elem.value[index] if elem.VM > 1 else elem.value
    elem = ds["WindowWidth"]
    width = elem.value[index] if elem.VM > 1 else elem.value

    bits_stored = ds.BitsStored
    y_min: Any
    y_max: Any
    if ds.get("ModalityLUTSequence"):
        y_min = 0
        y_max = 2 ** ds.ModalityLUTSequence[0].LUTDescriptor[2] - 1
    elif ds.PixelRepresentation == 0:
        y_min = 0
        y_max = 2**bits_stored - 1
    else:
        y_min = -(2 ** (bits_stored - 1))
        y_max = 2 ** (bits_stored - 1) - 1
    slope = ds.get("RescaleSlope", None)
    intercept = ds.get("RescaleIntercept", None)
    if slope is not None and intercept is not None:
        slope, intercept = ds.RescaleSlope, ds.RescaleIntercept
        y_min = y_min * slope + intercept
        y_max = y_max * slope + intercept
    y_range = y_max - y_min

    if function in ("LINEAR", "LINEAR_EXACT"):
        if function == "LINEAR":
            if width < 1:
                raise ValueError(
                    "The (0028,1051) Window Width must be greater than or equal to 1 "
                    "for a 'LINEAR' windowing operation")
            center -= 0.5
            width -= 1
        elif width <= 0:
            raise ValueError("The (0028,1051) Window Width must be greater than 0 for a "
                             "'LINEAR_EXACT' windowing operation")
        lo, hi = center - width / 2, center + width / 2
        params = (lo, hi, center, width, y_min, y_max, y_range)
        code = _code(arr.dtype)
        doubles = _as_doubles(params)
        if doubles is not None and code in _TABLE_CODES:
            # 8/16-bit input: the kernel's results for the possible values, gathered

            def kernel(a: np.ndarray) -> np.ndarray:
                values = np.empty(a.shape, dtype=np.float64)
                _lut.window_linear(_flat_bytes(a), a.dtype.str[1:], values.reshape(-1), *doubles)
                return values

            return _elementwise(arr, kernel, out, threads)
        if code is not None and doubles is not None:
            result = _out_array(out, arr.shape, np.dtype(np.float64))
            src, dst = _flat_bytes(arr), result.reshape(-1)
            _split(lambda start, stop: _lut.window_linear(src, code, dst, *doubles, start, stop),
                   arr.size, _workers(threads, arr.size, result.nbytes))
            return result
        return _deliver(_window_linear_ref(arr, *params), out)
    if function == "SIGMOID":
        if width <= 0:
            raise ValueError("The (0028,1051) Window Width must be greater than 0 for a "
                             "'SIGMOID' windowing operation")

        def sigmoid(a: np.ndarray) -> np.ndarray:
            a = a.astype("float64")
            return y_range / (1 + np.exp(-4 * (a - center) / width)) + y_min  # type: ignore[no-any-return]

        return _elementwise(arr, sigmoid, out, threads)
    raise ValueError(f"Unsupported (0028,1056) VOI LUT Function value '{function}'")


def _as_doubles(values: _Params) -> _Params | None:
    """`values` as floats when numpy would use each as that same double (Python
    floats and ints), else None (the numpy path then does what pydicom does)."""
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    try:
        return tuple(float(v) for v in values)  # type: ignore[return-value]  # (as many as given)
    except OverflowError:
        return None


def _window_linear_ref(arr: np.ndarray, lo: Any, hi: Any, center: Any, width: Any, y_min: Any,
                       y_max: Any, y_range: Any) -> np.ndarray:
    """LINEAR windowing in numpy, in pydicom's order of operations."""
    result = arr.astype("float64")
    below = result <= lo
    above = result > hi
    between = ~below & ~above
    result[below] = y_min
    result[above] = y_max
    if between.any():
        result[between] = ((result[between] - center) / width + 0.5) * y_range + y_min
    return result


# --- presentation LUT ------------------------------------------------------------------


def apply_presentation_lut(arr: np.ndarray, ds: Any, *, out: np.ndarray | None = None,
                           threads: int | None = None) -> np.ndarray:
    """pydicom's ``apply_presentation_lut``: P-values through the Presentation LUT
    Sequence's LUT (the input scaled linearly from its minimum and maximum onto the
    LUT's entries), or Presentation LUT Shape INVERSE / IDENTITY.

    Parameters
    ----------
    arr : numpy.ndarray
        The values after the VOI transformation.
    ds : Dataset
        The dataset with the Presentation LUT Sequence or Presentation LUT Shape.
    out : numpy.ndarray, optional
        An array to write the result into (the result's shape and dtype; ValueError or
        TypeError otherwise); default: a new array.
    threads : int, optional
        Threads sharing the work: by default one, or several for an output of many
        megabytes; 1 keeps it on the calling thread.

    Returns
    -------
    numpy.ndarray
    """
    if "PresentationLUTSequence" in ds:
        item = ds.PresentationLUTSequence[0]
        nr_entries, _first_map, bit_depth = item.LUTDescriptor
        nr_entries = 2**16 if nr_entries == 0 else nr_entries
        itemsize = 8 if bit_depth <= 8 else 16
        nr_bytes = nr_entries * (itemsize // 8)
        elem = item["LUTData"]
        if elem.VR == "US":
            lut = np.asarray(elem.value, dtype="u2")
        else:
            lut = np.frombuffer(item.LUTData[:nr_bytes], dtype=f"uint{itemsize}")
        if shift := itemsize - bit_depth:
            if not lut.flags.writeable:
                lut = lut.copy()
            np.left_shift(lut, shift, out=lut)
            np.right_shift(lut, shift, out=lut)

        def scale(a: np.ndarray, lo: Any, step: Any) -> np.ndarray:
            a = a.astype("float32")
            a -= lo
            a /= step
            return lut[a.astype("uint16")]  # type: ignore[no-any-return]

        code = _code(arr.dtype)
        if code is None or code in _FLOAT_CODES or arr.size == 0:
            return _deliver(_presentation_ref(arr, lut, nr_entries), out)
        lo_hi = np.array([arr.min(), arr.max()], dtype=arr.dtype).astype("float32")
        lo = lo_hi[0]
        with np.errstate(all="ignore"):
            step = (lo_hi[1] - lo) / (nr_entries - 1)
        if not np.isfinite(step) or step == 0:  # numpy's warnings and casts decide
            return _deliver(_presentation_ref(arr, lut, nr_entries), out)
        return _elementwise(arr, lambda a: scale(a, lo, step), out, threads,
                            span=(arr.min(), arr.max()))
    if "PresentationLUTShape" in ds:
        transform = ds.PresentationLUTShape.strip().upper()
        if transform not in ("IDENTITY", "INVERSE"):
            raise NotImplementedError(
                "A (2050,0020) 'Presentation LUT Shape' value of "
                f"'{ds.PresentationLUTShape}' is not supported")
        if transform == "INVERSE":
            return _deliver(arr.max() - arr, out)
    return _deliver(arr, out)


def _presentation_ref(arr: np.ndarray, lut: np.ndarray, nr_entries: Any) -> np.ndarray:
    a = arr.astype("float32")
    a -= a.min()
    a /= a.max() / (nr_entries - 1)
    return lut[a.astype("uint16")]  # type: ignore[no-any-return]


# --- palette colour --------------------------------------------------------------------

# pydicom's well-known palettes (PS3.6 Annex B) as pydicom names them
_PALETTE_FILES = {
    "1.2.840.10008.1.5.1": "hotiron.dcm",
    "1.2.840.10008.1.5.2": "pet.dcm",
    "1.2.840.10008.1.5.3": "hotmetalblue.dcm",
    "1.2.840.10008.1.5.4": "pet20step.dcm",
    "1.2.840.10008.1.5.5": "spring.dcm",
    "1.2.840.10008.1.5.6": "summer.dcm",
    "1.2.840.10008.1.5.7": "fall.dcm",
    "1.2.840.10008.1.5.8": "winter.dcm",
}
_PALETTE_UIDS = {
    "HOT_IRON": "1.2.840.10008.1.5.1",
    "PET": "1.2.840.10008.1.5.2",
    "HOT_METAL_BLUE": "1.2.840.10008.1.5.3",
    "PET_20_STEP": "1.2.840.10008.1.5.4",
    "SPRING": "1.2.840.10008.1.5.5",
    "SUMMER": "1.2.840.10008.1.5.6",
    "FALL": "1.2.840.10008.1.5.8",  # as pydicom 3.0 maps them
    "WINTER": "1.2.840.10008.1.5.7",
}
# a segmented LUT expanding past this many entries is refused (valid ones have at
# most 65536; indirect segments can otherwise describe gigabytes in a few bytes)
_MAX_SEGMENTED_ENTRIES = 1 << 20
_MAX_INDIRECTION = 64


def _palette_dataset(palette: str) -> Any:
    from pydicom.uid import UID

    import dcmfast

    if not UID(palette).is_valid:
        try:
            palette = _PALETTE_UIDS[palette]
        except KeyError:
            raise ValueError(f"Unknown palette '{palette}'") from None
    try:
        name = _PALETTE_FILES[palette]
    except KeyError:
        raise ValueError(f"Unknown palette '{palette}'") from None
    import pydicom.data

    return dcmfast.dcmread(Path(pydicom.data.__file__).parent / "palettes" / name)


def apply_color_lut(arr: np.ndarray, ds: Any = None, palette: str | None = None, *,
                    out: np.ndarray | None = None, threads: int | None = None) -> np.ndarray:
    """pydicom's ``apply_color_lut``: RGB(A) through the Palette Color LUTs of `ds`
    (normal or segmented, 8 or 16 bits per entry) or of a well-known `palette`.

    Parameters
    ----------
    arr : numpy.ndarray
        The stored values (PALETTE COLOR).
    ds : Dataset, optional
        The dataset with the Palette Color LUT elements.
    palette : str, optional
        A well-known palette name or UID (``"HOT_IRON"``, ...) instead of `ds`'s.
    out : numpy.ndarray, optional
        An array to write the result into (the result's shape and dtype; ValueError or
        TypeError otherwise); default: a new array.
    threads : int, optional
        Threads sharing the work: by default one, or several for an output of many
        megabytes; 1 keeps it on the calling thread.

    Returns
    -------
    numpy.ndarray
        The last axis holds R, G, B (and alpha when the LUT has it).

    Raises
    ------
    ValueError
        Neither `ds` nor `palette`, no usable Palette Color LUT, or LUT data pydicom
        rejects too (pydicom's messages).
    """
    if not ds and not palette:
        raise ValueError("Either 'ds' or 'palette' is required")
    if palette:
        ds = _palette_dataset(palette)
    if getattr(ds, "PixelPresentation", None) in ["MIXED", "COLOR"]:
        raise ValueError("Use of this function with the Supplemental Palette Color Lookup "
                         "Table Module is not currently supported")
    if "RedPaletteColorLookupTableDescriptor" not in ds:
        raise ValueError("No suitable Palette Color Lookup Table Module found")
    descriptor = ds.RedPaletteColorLookupTableDescriptor
    nr_entries = descriptor[0] or 2**16
    first_map = descriptor[1]
    nominal_depth = descriptor[2]
    dtype = np.dtype(f"uint{nominal_depth:.0f}")

    luts: list[np.ndarray] = []
    if "RedPaletteColorLookupTableData" in ds:
        channels = [ds.RedPaletteColorLookupTableData, ds.GreenPaletteColorLookupTableData,
                    ds.BluePaletteColorLookupTableData,
                    getattr(ds, "AlphaPaletteColorLookupTableData", None)]
        actual_depth = len(channels[0]) / nr_entries * 8
        dtype = np.dtype(f"uint{actual_depth:.0f}")
        luts = [np.frombuffer(data, dtype=dtype) for data in channels if data]
    elif "SegmentedRedPaletteColorLookupTableData" in ds:
        channels = [ds.SegmentedRedPaletteColorLookupTableData,
                    ds.SegmentedGreenPaletteColorLookupTableData,
                    ds.SegmentedBluePaletteColorLookupTableData,
                    getattr(ds, "SegmentedAlphaPaletteColorLookupTableData", None)]
        little = _little_endian(ds)
        byte_depth = nominal_depth // 8
        fmt = "B" if byte_depth == 1 else "H"
        actual_depth = nominal_depth
        for data in channels:
            if data:
                words = struct.unpack(f"{'><'[little]}{len(data) // byte_depth}{fmt}", data)
                luts.append(np.asarray(_expand_segmented(words, fmt == "B", little), dtype=dtype))
    else:
        raise ValueError("No suitable Palette Color Lookup Table Module found")
    if actual_depth not in [8, 16]:
        raise ValueError(f"The bit depth of the LUT data '{actual_depth:.1f}' is invalid "
                         "(only 8 or 16 bits per entry allowed)")
    if any(len(lut) != len(luts[0]) for lut in luts[1:]):
        raise ValueError("LUT data must be the same length")
    int32_first = np.int32(first_map)

    def ref(a: np.ndarray) -> np.ndarray:
        return _map_lut(a, luts, first_map, nr_entries, dtype, dtype, int32_first)

    return _elementwise(arr, ref, out, threads)


def _expand_segmented(words: tuple[int, ...], eight_bit: bool, little: bool,
                      nr_segments: int | None = None, previous: int | None = None,
                      depth: int = 0, total: int = 0) -> list[int]:
    """The entries of segmented LUT data (PS3.3 C.7.9.2): discrete, linear and
    indirect segments, expanded as pydicom does (linear segments rounded by
    numpy.around of a linspace); at most `nr_segments` segments when given."""
    if depth > _MAX_INDIRECTION:
        from dcmfast.errors import PixelDataError

        raise PixelDataError("Segmented palette LUT: indirect segments nested too deeply")
    entries: list[int] = []
    pos = 0
    segments = 0
    while pos + 1 < len(words):  # a trailing pad word holds no segment
        opcode, length = words[pos], words[pos + 1]
        pos += 2
        if opcode == 0:  # discrete
            entries.extend(words[pos:pos + length])
            pos += length
        elif opcode == 1:  # linear, from the previous entry to the next word
            if entries:
                start = entries[-1]
            elif previous:
                start = previous
            else:
                raise ValueError("Error expanding a segmented palette color lookup table: "
                                 "the first segment cannot be a linear segment")
            end = words[pos]
            pos += 1
            if start == end:
                entries.extend([end] * length)
            else:
                step = (end - start) / length
                entries.extend(int(v) for v in np.around(np.linspace(start + step, end, length)))
        elif opcode == 2:  # indirect: `length` segments from a word offset
            if not entries:
                raise ValueError("Error expanding a segmented palette color lookup table: "
                                 "the first segment cannot be an indirect segment")
            if eight_bit:
                order = (3, 2, 1, 0) if little else (2, 3, 0, 1)
                b = [words[pos + k] for k in order]
                offset = (b[0] << 8 | b[1]) << 16 | (b[2] << 8 | b[3])
                pos += 4
            else:
                offset = words[pos + 1] << 16 | words[pos]
                pos += 2
            entries.extend(_expand_segmented(words[offset:], eight_bit, little, length,
                                             entries[-1], depth + 1, total + len(entries)))
        else:
            raise ValueError("Error expanding a segmented palette lookup table: "
                             f"unknown segment type '{opcode}'")
        if total + len(entries) > _MAX_SEGMENTED_ENTRIES:
            from dcmfast.errors import PixelDataError

            raise PixelDataError(f"Segmented palette LUT: more than {_MAX_SEGMENTED_ENTRIES} entries")
        segments += 1
        if segments == nr_segments:
            break
    return entries


# --- colour space ----------------------------------------------------------------------


def convert_color_space(arr: np.ndarray, current: str, desired: str, per_frame: bool = False, *,
                        out: np.ndarray | None = None) -> np.ndarray:
    """pydicom's ``convert_color_space`` (uint8 RGB, YBR_FULL, YBR_FULL_422).
    YBR to RGB runs in C (with ``per_frame``, in place in `arr` as pydicom does);
    RGB to YBR is pydicom's own function.

    Parameters
    ----------
    arr : numpy.ndarray
        uint8 samples, the last axis of 3.
    current, desired : str
        ``"RGB"``, ``"YBR_FULL"`` or ``"YBR_FULL_422"``.
    per_frame : bool
        Convert frame by frame (in place in `arr`, as pydicom).
    out : numpy.ndarray, optional
        An array to write the result into.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        `arr` is not uint8.
    NotImplementedError
        A conversion pydicom does not have either.
    """
    if arr.dtype != np.dtype("u1"):
        raise ValueError(f"Invalid ndarray.dtype '{arr.dtype}' for color space conversion, "
                         "must be 'uint8' or an equivalent")
    ybr = ("YBR_FULL", "YBR_FULL_422")
    names = ("RGB",) + ybr
    if current not in names or desired not in names:
        raise NotImplementedError(f"Conversion from {current} to {desired} is not supported.")
    if current == desired or (current in ybr and desired in ybr):
        return _deliver(arr, out)
    if current == "RGB" or arr.ndim < 1 or arr.shape[-1] != 3:
        from pydicom.pixels.processing import convert_color_space as pydicom_convert

        return _deliver(pydicom_convert(arr, current, desired, per_frame), out)
    if per_frame and arr.ndim == 4 and out is None:
        if arr.flags.c_contiguous and arr.flags.writeable:
            flat = arr.reshape(-1)
            _colour.ybr_full_to_rgb(flat, flat)
        else:
            for frame in arr:
                frame[...] = convert_color_space(frame, current, desired)
        return arr
    result = _out_array(out, arr.shape, arr.dtype)
    _colour.ybr_full_to_rgb(_flat_bytes(arr), result.reshape(-1))
    return result
