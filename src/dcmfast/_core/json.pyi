# Typing stub for the compiled module dcmfast._core.json (json.pyx).
# Keep in step with json.pyx: tests/test_typing.py runs mypy.stubtest on it.
import logging
from typing import Any

logger: logging.Logger

def dumps(ds: Any, bulk_data_threshold: Any, bulk_data_element_handler: Any) -> str | None: ...
def load(cls: type, mapping: Any, bulk_data_uri_handler: Any) -> Any: ...
def element_from_json(
    dataset_class: type, tag: Any, vr: Any, value: Any, value_key: Any, bulk_data_uri_handler: Any
) -> Any: ...
