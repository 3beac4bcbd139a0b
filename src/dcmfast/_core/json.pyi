# Typing stub for the compiled module dcmfast._core.json (json.pyx).
# Keep in step with json.pyx: tests/test_typing.py runs mypy.stubtest on it.
import logging
from typing import Any

logger: logging.Logger

def dumps(ds: Any, bulk_data_threshold: Any, bulk_data_element_handler: Any) -> str | None: ...
