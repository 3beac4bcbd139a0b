from typing import Any, TypeAlias

from numpy import ndarray
from typing_extensions import Buffer as _PyBuffer
from typing_extensions import Self, disjoint_base

# what the buffer parameters take (numpy's stubs make ndarray a Buffer on Python 3.12+ only)
_Buffer: TypeAlias = _PyBuffer | ndarray[Any, Any]

def to_bytes(src: _Buffer, pad_even: bool = False) -> bytes: ...
def trim_heap() -> bool: ...

@disjoint_base  # a Cython cdef class (mypy.stubtest checks this)
class BytesBuilder:
    def __new__(cls, size: int, pad_even: bool = False) -> Self: ...
    def __len__(self) -> int: ...
    @property
    def value(self) -> bytes: ...
