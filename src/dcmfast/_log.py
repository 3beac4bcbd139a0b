"""The "dcmfast" logger, without importing :mod:`logging` at ``import dcmfast``.

Until some code imports :mod:`logging`, no handler or level can have been set, so no
logger is enabled below WARNING: :func:`enabled` answers that without the import, and
the INFO and DEBUG records dcmfast's reader gives are dropped just as logging would
drop them. Anything at WARNING or above must go through :func:`logger`.
"""
from __future__ import annotations

import sys

TYPE_CHECKING = False  # (not typing.TYPE_CHECKING: `import dcmfast` does not import typing)
if TYPE_CHECKING:
    import logging

__all__ = ["DEBUG", "INFO", "enabled", "logger"]

DEBUG = 10  # logging.DEBUG
INFO = 20  # logging.INFO


_LOGGER: logging.Logger | None = None  # getLogger takes logging's lock on every call


def enabled(level: int) -> bool:
    """``logging.getLogger("dcmfast").isEnabledFor(level)`` for a level below WARNING."""
    global _LOGGER
    if _LOGGER is None:
        logging = sys.modules.get("logging")
        if logging is None:
            return False
        _LOGGER = logging.getLogger("dcmfast")
    return _LOGGER.isEnabledFor(level)


def logger() -> logging.Logger:
    """The "dcmfast" logger (imports logging)."""
    import logging

    return logging.getLogger("dcmfast")
