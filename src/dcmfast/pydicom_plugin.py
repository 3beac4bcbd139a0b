"""dcmfast's RLE Lossless decoder as a pydicom 3 decoding plugin.

The module follows pydicom's decoder plugin contract (``DECODER_DEPENDENCIES``,
``is_available(uid)`` and ``_decode_frame(src, runner)``).
:func:`register_pydicom` adds it to pydicom's RLE Lossless decoder, so that::

    dcmfast.register_pydicom()
    pydicom.dcmread(path).pixel_array_options(decoding_plugin="dcmfast")

decodes with dcmfast. With ``prefer=True`` dcmfast is tried before pydicom's
other plugins even when no plugin is named.
"""
from __future__ import annotations

from dcmfast._core import rle as _rle

TYPE_CHECKING = False  # (not typing.TYPE_CHECKING: `import dcmfast` does not import typing)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DECODER_DEPENDENCIES", "PLUGIN_NAME", "is_available", "register_pydicom"]

PLUGIN_NAME = "dcmfast"
_RLE_LOSSLESS = "1.2.840.10008.1.2.5"

DECODER_DEPENDENCIES: dict[str, tuple[str, ...]] = {_RLE_LOSSLESS: ("dcmfast",)}


def is_available(uid: str) -> bool:
    """True if dcmfast can decode pixel data of transfer syntax `uid`."""
    return uid in DECODER_DEPENDENCIES


def _decode_frame(src: bytes, runner: Any) -> bytearray:
    """Decode one RLE Lossless frame for pydicom's ``DecodeRunner``.

    Returns little-endian samples in colour-by-pixel order and tells the runner
    so (planar configuration 0).
    """
    frame = bytearray(runner.rows * runner.columns * runner.samples_per_pixel
                      * (runner.bits_allocated // 8))
    _rle.decode_frame(src, runner.rows, runner.columns, runner.samples_per_pixel,
                      runner.bits_allocated, frame,
                      segment_order=runner.get_option("rle_segment_order", ">"))
    runner.set_option("planar_configuration", 0)
    return frame


def register_pydicom(prefer: bool = False) -> None:
    """Add dcmfast to pydicom's RLE Lossless decoding plugins (idempotent).

    pydicom then decodes RLE Lossless pixel data with dcmfast's compiled decoder (plugin
    name ``"dcmfast"``). Imports pydicom.

    Parameters
    ----------
    prefer : bool
        True: dcmfast becomes the first plugin pydicom tries. False: it is tried after
        pydicom's own plugins, and used when asked for by name
        (``ds.pixel_array_options(decoding_plugin="dcmfast")`` in pydicom).
    """
    from pydicom.pixels.decoders.base import RLELosslessDecoder

    available = RLELosslessDecoder._available
    if PLUGIN_NAME not in available:
        RLELosslessDecoder.add_plugin(PLUGIN_NAME, (__name__, "_decode_frame"))
    ours = available.pop(PLUGIN_NAME)
    others = dict(available)
    available.clear()
    if prefer:
        available[PLUGIN_NAME] = ours
    available.update(others)
    if not prefer:
        available[PLUGIN_NAME] = ours
