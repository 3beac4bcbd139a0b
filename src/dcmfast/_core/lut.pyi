from typing_extensions import Buffer

def gather(
    src: Buffer,
    code: str,
    table: Buffer,
    rowbytes: int,
    out: Buffer,
    offset: int = 0,
    start: int = 0,
    stop: int = -1,
) -> int: ...
def window_linear(
    src: Buffer,
    code: str,
    out: Buffer,
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
    src: Buffer,
    code: str,
    out: Buffer,
    slope: float,
    intercept: float,
    start: int = 0,
    stop: int = -1,
) -> None: ...
