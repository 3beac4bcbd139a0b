# Typing stub for the compiled module dcmfast._core.writer (writer.pyx).
from collections.abc import Callable
from typing import Any

from dcmfast._core.element import View
from dcmfast._core.parse import Index

RAW_COPY: int
RAW_CONVERT: int

def raw_kind(index: Index, i: int, top: bool = False) -> int: ...
def copy_entry(out: bytearray, index: Index, i: int) -> None: ...
def level_raw(
    out: bytearray,
    index: Index,
    first: int,
    stop: int,
    elements: dict[Any, Any],
    view: View,
    top: bool,
    convert: Callable[[int, Any], None],
    big: int = -1,
) -> int: ...
def level_loaded(
    out: bytearray,
    index: Index,
    view: View,
    elements: dict[Any, Any],
    tags: list[Any],
    start: int,
    top: bool,
    convert: Callable[[int, Any], None],
    big: int = -1,
) -> int: ...
def raw_charset(index: Index, i: int) -> str | list[str]: ...
def element_fast(
    out: bytearray, elem: Any, little: bool, implicit: bool, text_default: bool, swap: bool
) -> bool: ...
def level_encode(
    out: bytearray,
    elements: dict[Any, Any],
    little: bool,
    implicit: bool,
    text_default: bool,
    swap: bool,
    fallback: Callable[[Any], None],
) -> None: ...
def min_tag(index: Index, first: int, stop: int) -> int: ...
def level_splice(
    out: bytearray,
    index: Index,
    first: int,
    stop: int,
    actions: dict[int, str],
    consts: dict[int, bytes],
    top: bool,
    private_dynamic: bool,
    inserts: list[tuple[int, bytes]] | None,
    plan: bytearray,
    level: Any,
    min_tag: int = 0,
    pixel_undefined: int = -1,
) -> bool: ...
def first_damaged(index: Index) -> int: ...
