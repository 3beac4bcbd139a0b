# Typing stub for the compiled module dcmfast._core.pages (pages.pyx).
# Keep in step with pages.pyx: tests/test_typing.py runs mypy.stubtest on it.
from typing import Any

from typing_extensions import disjoint_base

__all__ = ["alloc", "release_cached", "cached_bytes", "MIN_BYTES"]

MIN_BYTES: int

@disjoint_base
class Pages:
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def __len__(self) -> int: ...

def alloc(nbytes: int) -> Pages | None: ...
def release_cached() -> None: ...
def cached_bytes() -> int: ...
