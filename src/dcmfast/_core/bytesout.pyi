from typing import Any, TypeAlias

from numpy import ndarray
from typing_extensions import Buffer as _PyBuffer

# what the buffer parameters take (numpy's stubs make ndarray a Buffer on Python 3.12+ only)
_Buffer: TypeAlias = _PyBuffer | ndarray[Any, Any]

def to_bytes(src: _Buffer, pad_even: bool = False) -> bytes: ...
