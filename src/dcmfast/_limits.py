"""The default cap on what one read may allocate (inflated dataset, element index,
decoded pixel arrays): 2 GiB, or 256 times the input's size if that is more.

No real file gets near it: an element index is at most 5 bytes per input byte, and
an image decoding to more than 256 times its file size is a blank one. Shared by the
reader and the pixel decoders (which must not need the reader to describe a dataset).
"""
from __future__ import annotations

__all__ = ["MAX_BYTES_FLOOR", "MAX_BYTES_RATIO", "default_max_bytes"]

MAX_BYTES_FLOOR = 2 << 30
MAX_BYTES_RATIO = 256


def default_max_bytes(size: int) -> int:
    """The ``max_bytes`` a read of `size` input bytes gets when none is given.

    ``max(2 GiB, 256 x size)``.

    Parameters
    ----------
    size : int
        The input's size in bytes.

    Returns
    -------
    int
    """
    return max(MAX_BYTES_FLOOR, MAX_BYTES_RATIO * size)
