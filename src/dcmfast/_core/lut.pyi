from typing import Any, TypeAlias

from numpy import ndarray
from typing_extensions import Buffer as _PyBuffer

# what the buffer parameters take (numpy's stubs make ndarray a Buffer on Python 3.12+ only)
_Buffer: TypeAlias = _PyBuffer | ndarray[Any, Any]

def gather(
    src: _Buffer,
    code: str,
    table: _Buffer,
    rowbytes: int,
    out: _Buffer,
    offset: int = 0,
    start: int = 0,
    stop: int = -1,
) -> int: ...
def window_linear(
    src: _Buffer,
    code: str,
    out: _Buffer,
    lo: float,
    hi: float,
    center: float,
    width: float,
    y_min: float,
    y_max: float,
    y_range: float,
    start: int = 0,
    stop: int = -1,
) -> None: ...
def rescale(
    src: _Buffer,
    code: str,
    out: _Buffer,
    slope: float,
    intercept: float,
    start: int = 0,
    stop: int = -1,
) -> None: ...
