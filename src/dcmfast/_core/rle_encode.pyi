# Typing stub for the compiled module dcmfast._core.rle_encode (rle_encode.pyx).
# Keep in step with rle_encode.pyx: tests/test_typing.py runs mypy.stubtest on it.
from typing import Any, TypeAlias

from numpy import ndarray
from typing_extensions import Buffer as _PyBuffer
from typing_extensions import disjoint_base

# what the buffer parameters take (numpy's stubs make ndarray a Buffer on Python 3.12+ only)
_Buffer: TypeAlias = _PyBuffer | ndarray[Any, Any]

@disjoint_base  # a Cython cdef class (mypy.stubtest checks this)
class FrameEncoder:
    def __init__(
        self,
        src: _Buffer,
        nr_frames: int,
        rows: int,
        columns: int,
        samples_per_pixel: int,
        bits_allocated: int,
    ) -> None: ...
    @property
    def capacity(self) -> int: ...
    def run(self) -> int: ...
    def frames(self) -> list[bytes]: ...

def encoded_bound(rows: int, columns: int, nr_segments: int) -> int: ...
