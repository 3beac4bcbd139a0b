"""What the subcommands share: error lines, exit codes, argument types, progress bars.

Every user error is reported as one line on stderr, ``dcmfast: <what>: <reason>``;
a traceback is shown only with the global ``--debug`` flag.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

#: exit codes (documented in ``dcmfast --help`` and docs/cli.md)
EXIT_OK = 0
EXIT_FAILED = 1  # some inputs could not be read (or an internal error)
EXIT_USAGE = 2  # the command line is wrong

_NOT_DICOM = "File is missing DICOM File Meta Information header"


class CliError(Exception):
    """A user error the command cannot go on after: printed as ``dcmfast: <message>``."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors and the help layout written in the source."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def say(text: str) -> None:
    """One line on stderr, prefixed with ``dcmfast: ``."""
    sys.stderr.write(f"dcmfast: {text}\n")
    sys.stderr.flush()


def is_not_dicom(exc: BaseException) -> bool:
    """Whether `exc` is dcmread's "no DICOM header" error (the one ``--force`` gets past)."""
    from ..errors import InvalidDicomError

    return isinstance(exc, InvalidDicomError) and str(exc).startswith(_NOT_DICOM)


def reason(exc: BaseException, path: str | os.PathLike[str] | None = None, *, empty: bool = False) -> str:
    """Why reading failed, in words for the command line (no ``force=True``: ``--force``)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if is_not_dicom(exc):
        if empty or (path is not None and _is_empty(path)):
            return "empty file"
        return "not a DICOM file (no 'DICM' at byte 128); use --force to read it anyway"
    text = str(exc).replace("force=True", "--force") or type(exc).__name__
    return " ".join(text.split())  # one line


def _is_empty(path: str | os.PathLike[str]) -> bool:
    try:
        return os.path.getsize(path) == 0
    except OSError:
        return False


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def progress_bar(*, total: int | None = None, desc: str = "", unit: str = "file",
                 enabled: bool = True) -> Any:
    """A tqdm progress bar on stderr, shown only when stderr is a terminal.

    tqdm is imported here, never by ``import dcmfast``.
    """
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                dynamic_ncols=True, disable=None if enabled else True)
