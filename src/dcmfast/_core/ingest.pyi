from collections.abc import Callable, Sequence
from typing import Any

from typing_extensions import disjoint_base

STATUS_OK: int
STATUS_FALLBACK: int
STATUS_IO_ERROR: int
STATUS_NOT_REGULAR: int
STATUS_NOT_DICOM: int
STATUS_BAD_PATH: int
HAVE_FD_IO: bool

def pack_vr(vr: str) -> int: ...
def compact_row(row: list[Any]) -> list[Any]: ...
def insert_groups(
    rows: list[Any], max_rows: int = ..., max_params: int = ...
) -> list[tuple[int, int, int, list[Any]]]: ...

@disjoint_base  # a Cython cdef class (mypy.stubtest checks this)
class Extractor:
    tags: tuple[int, ...]
    def __init__(
        self,
        tags: Sequence[int],
        vrs: Sequence[str],
        sq_tags: Any,
        *,
        stop_before_pixels: bool = ...,
        prefix: int = ...,
        charsets: dict[str, str] | None = ...,
        list_encoder: Callable[[list[Any]], str] | None = ...,
        keys: Sequence[str] | None = ...,
        compact: bool = ...,
    ) -> None: ...
    def read_rows(
        self, paths: list[Any]
    ) -> tuple[list[Any], list[tuple[int, int, int | None, int | None, Any]]]: ...
    def extract(self, buffer: Any) -> tuple[int, str | None, list[Any] | None]: ...
