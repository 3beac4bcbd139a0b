from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    import dcmfast.pixels  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

pytest.importorskip("pydicom")
