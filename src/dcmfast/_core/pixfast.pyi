from typing import Any

import numpy as np

__all__ = ["pixel_array", "describe"]

def pixel_array(ds: Any, as_rgb: bool, min_bytes_per_worker: int) -> np.ndarray | None: ...
def describe(ds: Any, cls: type) -> Any: ...
