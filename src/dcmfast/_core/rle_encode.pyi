from typing_extensions import Buffer

class FrameEncoder:
    def __init__(
        self,
        src: Buffer,
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
