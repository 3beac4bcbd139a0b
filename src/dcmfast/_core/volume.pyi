# Typing stub for the compiled module dcmfast._core.volume (volume.pyx).
from typing_extensions import Buffer

def convert(
    src: Buffer,
    src_dtype: str,
    dst: Buffer,
    dst_dtype: str,
    *,
    bits_stored: int = 0,
    rescale: bool = False,
    slope: float = 1.0,
    intercept: float = 0.0,
) -> None: ...
