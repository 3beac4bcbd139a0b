from typing import Any, TypeAlias

from numpy import ndarray
from typing_extensions import Buffer as _PyBuffer

# what the buffer parameters take (numpy's stubs make ndarray a Buffer on Python 3.12+ only)
_Buffer: TypeAlias = _PyBuffer | ndarray[Any, Any]

def decode_frame(
    src: _Buffer,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    out: _Buffer,
    *,
    segment_order: str = ">",
    frame_index: int = 0,
    base_offset: int = 0,
) -> int: ...

def decode_frames(
    frames: list[_Buffer],
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    out: _Buffer,
    *,
    segment_order: str = ">",
    frame_indices: list[int] | None = None,
    base_offsets: list[int] | None = None,
    bits_stored: int = 0,
    signed: bool = False,
    claim: _Buffer | None = None,
    share: int = 0,
) -> int: ...
