"""De-identification keys: the secret behind UID remapping and date offsets.

A key file holds the key as hexadecimal text (one line). Keep it secret: whoever has
the key can check a guessed original UID or patient ID against the output.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..errors import DeidentificationError

MIN_KEY_BYTES = 16
KEY_BYTES = 32


def new_key() -> bytes:
    """A new random key (32 bytes, from ``secrets``)."""
    return secrets.token_bytes(KEY_BYTES)


def check_key(key: object) -> bytes:
    """`key` as bytes, or DeidentificationError if it is not bytes of at least 16 bytes."""
    if not isinstance(key, (bytes, bytearray)):
        raise DeidentificationError(f"de-identification key must be bytes, not {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise DeidentificationError(
            f"de-identification key is {len(key)} bytes; at least {MIN_KEY_BYTES} are needed"
        )
    return bytes(key)


def load_key(path: str | os.PathLike[str]) -> bytes:
    """The key stored in a file (hexadecimal text, as :func:`save_key` writes it).

    Parameters
    ----------
    path : str or PathLike
        The key file.

    Returns
    -------
    bytes

    Raises
    ------
    DeidentificationError
        The file is missing, unreadable, or does not hold a key.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise DeidentificationError(f"key file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeidentificationError(f"key file {p} cannot be read: {type(exc).__name__}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise DeidentificationError(f"key file {p} does not hold a hexadecimal key") from None
    try:
        return check_key(key)
    except DeidentificationError as exc:
        raise DeidentificationError(f"key file {p}: {exc}") from None


def save_key(path: str | os.PathLike[str], key: bytes) -> None:
    """Write a key to a file as hexadecimal text, readable by its owner only.

    Parameters
    ----------
    path : str or PathLike
        The key file (created or replaced).
    key : bytes
        The key (at least 16 bytes).

    Raises
    ------
    DeidentificationError
        `key` is not bytes of at least 16 bytes.
    """
    key = check_key(key)
    from .._atomic import atomic_file

    with atomic_file(path, mode=0o600) as (f, _):  # a crash never leaves a truncated key file
        f.write((key.hex() + "\n").encode("ascii"))
