"""Transfer syntaxes that carry pixel data: what each is and which decoder serves it.

Kept free of pydicom so ``dcmfast.pixels`` imports without it.
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["Syntax", "SYNTAXES", "lookup"]


class Syntax(NamedTuple):
    uid: str
    name: str
    kind: str  # "native", "rle", "jpeg", "jpegls" or "j2k": the decoder that serves it
    little_endian: bool = True

    @property
    def encapsulated(self) -> bool:
        return self.kind != "native"


_TABLE = [
    Syntax("1.2.840.10008.1.2", "Implicit VR Little Endian", "native"),
    Syntax("1.2.840.10008.1.2.1", "Explicit VR Little Endian", "native"),
    Syntax("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", "native"),
    Syntax("1.2.840.10008.1.2.2", "Explicit VR Big Endian", "native", False),
    Syntax("1.2.840.10008.1.2.5", "RLE Lossless", "rle"),
    Syntax("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", "jpeg"),
    Syntax("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 and 4)", "jpeg"),
    Syntax("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", "jpeg"),
    Syntax(
        "1.2.840.10008.1.2.4.70",
        "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
        "jpeg",
    ),
    Syntax("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression", "jpegls"),
    Syntax("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression", "jpegls"),
    Syntax("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)", "j2k"),
    Syntax("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", "j2k"),
    Syntax("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)", "j2k"),
    Syntax(
        "1.2.840.10008.1.2.4.202",
        "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
        "j2k",
    ),
    Syntax("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression", "j2k"),
]

SYNTAXES: dict[str, Syntax] = {s.uid: s for s in _TABLE}


def lookup(uid: str) -> Syntax | None:
    """The :class:`Syntax` for `uid`, or None for a syntax without pixel support."""
    return SYNTAXES.get(str(uid).strip("\0 "))
