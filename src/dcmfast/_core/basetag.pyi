# Typing stub for the compiled module dcmfast._core.basetag (basetag.pyx).
# Keep in step with basetag.pyx: tests/test_typing.py runs mypy.stubtest on it.
from typing import Any

from typing_extensions import disjoint_base

@disjoint_base
class BaseTag(int):
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __lt__(self, value: Any, /) -> bool: ...
    def __le__(self, value: Any, /) -> bool: ...
    def __gt__(self, value: Any, /) -> bool: ...
    def __ge__(self, value: Any, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    @property
    def json_key(self) -> str:
        """The tag as DICOM JSON names it: eight upper-case hex digits, ``"00100010"``."""
    @property
    def group(self) -> int:
        """The group number (the upper 16 bits)."""
    @property
    def element(self) -> int:
        """The element number (the lower 16 bits)."""
    @property
    def elem(self) -> int:
        """The element number (the lower 16 bits; pydicom's short name)."""
    @property
    def is_private(self) -> bool:
        """True for a tag of an odd group (a private element)."""
    @property
    def is_private_creator(self) -> bool:
        """True for a private creator tag: odd group, element 0x0010-0x00FF."""
    @property
    def private_creator(self) -> BaseTag:
        """The tag of the private creator element that reserves this private tag's block."""
