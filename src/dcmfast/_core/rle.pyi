from typing_extensions import Buffer

def decode_frame(
    src: Buffer,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    out: Buffer,
    *,
    segment_order: str = ">",
    frame_index: int = 0,
    base_offset: int = 0,
) -> int: ...

def decode_frames(
    frames: list[Buffer],
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    out: Buffer,
    *,
    segment_order: str = ">",
    frame_indices: list[int] | None = None,
    base_offsets: list[int] | None = None,
    bits_stored: int = 0,
    signed: bool = False,
    claim: Buffer | None = None,
    share: int = 0,
) -> int: ...
