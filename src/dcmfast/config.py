"""dcmfast's settings, as ``pydicom.config``: the validation modes of reading and writing.

``settings.reading_validation_mode`` (values read from a file, and values assigned to
elements, as in pydicom) and ``settings.writing_validation_mode`` (text that cannot be
encoded in the dataset's character set when writing) take :data:`IGNORE`, :data:`WARN`
(the default) or :data:`RAISE`. Once pydicom is imported the two are pydicom's own
settings (``pydicom.config.settings``): set through either module, both see it; a value
set here before pydicom was imported is handed over to pydicom when it is.
"""
from __future__ import annotations

import sys
from typing import Any

__all__ = ["IGNORE", "WARN", "RAISE", "Settings", "settings"]

IGNORE = 0
WARN = 1
RAISE = 2
_MODES = (IGNORE, WARN, RAISE)


def _pydicom_settings() -> Any:
    config = sys.modules.get("pydicom.config")
    return getattr(config, "settings", None)


class Settings:
    """The validation modes (see the module docstring); use the instance ``settings``.

    Attributes
    ----------
    reading_validation_mode : int
        IGNORE, WARN (default) or RAISE: what a value read from a file, or assigned to an
        element, that breaks its VR's rules does (nothing, a warning, an
        :class:`~dcmfast.errors.InvalidValueError`).
    writing_validation_mode : int
        IGNORE, WARN (default) or RAISE: what text the character set cannot encode does
        when writing (replaced, replaced with a warning, ``UnicodeEncodeError``).

    Examples
    --------
    >>> from dcmfast import config
    >>> config.settings.reading_validation_mode == config.WARN
    True
    """

    def __init__(self) -> None:
        self._reading: int | None = None
        self._writing: int | None = None

    @staticmethod
    def _check(value: int) -> int:
        if value not in _MODES:
            raise ValueError(f"A validation mode must be IGNORE (0), WARN (1) or RAISE (2), not {value!r}")
        return value

    @property
    def reading_validation_mode(self) -> int:
        """IGNORE, WARN or RAISE for values read or assigned (ValueError for another value)."""
        theirs = _pydicom_settings()
        if theirs is not None:
            return theirs.reading_validation_mode  # type: ignore[no-any-return]
        return WARN if self._reading is None else self._reading

    @reading_validation_mode.setter
    def reading_validation_mode(self, value: int) -> None:
        self._reading = self._check(value)
        theirs = _pydicom_settings()
        if theirs is not None:
            theirs.reading_validation_mode = value

    @property
    def writing_validation_mode(self) -> int:
        """IGNORE, WARN or RAISE for text that cannot be encoded when writing."""
        theirs = _pydicom_settings()
        if theirs is not None:
            return theirs.writing_validation_mode  # type: ignore[no-any-return]
        return WARN if self._writing is None else self._writing

    @writing_validation_mode.setter
    def writing_validation_mode(self, value: int) -> None:
        self._writing = self._check(value)
        theirs = _pydicom_settings()
        if theirs is not None:
            theirs.writing_validation_mode = value


settings = Settings()


def _pydicom_imported() -> None:
    """Hand the modes set here before pydicom was imported over to pydicom's settings."""
    theirs = _pydicom_settings()
    if theirs is None:
        return
    if settings._reading is not None:
        theirs.reading_validation_mode = settings._reading
    if settings._writing is not None:
        theirs.writing_validation_mode = settings._writing


def reading_validation_mode() -> int:
    """The current reading validation mode (the compiled reader asks on a finding only)."""
    return settings.reading_validation_mode
