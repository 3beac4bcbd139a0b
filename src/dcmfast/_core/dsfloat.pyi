# Typing stub for the compiled module dcmfast._core.dsfloat (dsfloat.pyx).
# Keep in step with dsfloat.pyx / dsfloat.pxd: tests/test_typing.py runs mypy.stubtest on it.
from typing import Any

from typing_extensions import disjoint_base

@disjoint_base
class DSfloat(float):
    """Decimal String value: a float that keeps the string it was read from.

    Parameters
    ----------
    val : str, float or DSfloat
        The value (a string is kept, stripped, as :attr:`original_string`).
    auto_format : bool
        Keep a string valid as DS: format the number in at most 16 characters where the
        string is missing or invalid (pydicom's rules).
    validation_mode : int, optional
        Accepted for pydicom compatibility (checks happen on assignment).
    """
    def __init__(self, val: Any, auto_format: bool = False, validation_mode: int | None = None) -> None: ...
    @property
    def original_string(self) -> str:
        """The string the value was read from (AttributeError when made from a number)."""
    @original_string.setter
    def original_string(self, value: str) -> None: ...
    @property
    def auto_format(self) -> bool:
        """Whether str() gives a valid DS string made from the number."""
    @auto_format.setter
    def auto_format(self, value: bool) -> None: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
