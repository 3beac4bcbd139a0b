"""The result every decoder hands back to the shared post-processing."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .description import PixelDescription


class Decoded(NamedTuple):
    """Samples of one or more frames, before shaping and colour processing.

    ``flat`` is 1-D and C-contiguous, laid out as ``desc.planar_configuration``
    says; ``owned`` is False when it views the caller's buffer (and so must not
    be changed in place); ``desc`` describes the samples as decoded (e.g. its
    photometric interpretation after YBR_FULL_422 upsampling).
    """

    flat: np.ndarray
    desc: PixelDescription
    frames: int
    owned: bool
