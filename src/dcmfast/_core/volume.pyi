# Typing stub for the compiled module dcmfast._core.volume (volume.pyx).
from typing import Any, TypeAlias

from numpy import ndarray
from typing_extensions import Buffer as _PyBuffer

# what the buffer parameters take (numpy's stubs make ndarray a Buffer on Python 3.12+ only)
_Buffer: TypeAlias = _PyBuffer | ndarray[Any, Any]

def convert(
    src: _Buffer,
    src_dtype: str,
    dst: _Buffer,
    dst_dtype: str,
    *,
    bits_stored: int = 0,
    rescale: bool = False,
    slope: float = 1.0,
    intercept: float = 0.0,
) -> None: ...
def rle_into(
    frame: _Buffer,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    src_dtype: str,
    dst: _Buffer,
    dst_dtype: str,
    *,
    bits_stored: int = 0,
    rescale: bool = False,
    slope: float = 1.0,
    intercept: float = 0.0,
    frame_index: int = 0,
    base_offset: int = 0,
) -> int: ...
