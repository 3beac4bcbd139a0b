"""DICOM JSON (PS3.18 Annex F) for dcmfast datasets, with pydicom 3's output and semantics.

Entry points: ``Dataset.to_json`` / ``to_json_dict`` / ``Dataset.from_json``, which call
:func:`dataset_to_json`, :func:`dataset_to_json_dict` and :func:`dataset_from_json`;
:func:`element_to_json_dict` and :func:`element_from_json` for one element.

``to_json`` writes the text in one compiled pass (``_core/json.pyx``): elements that
were never read go straight from the file buffer (numbers formatted from their binary
values, text converted by the compiled value converters), elements that exist as
objects are written from their values. ``to_json_dict`` is that text read back by
``json.loads`` (the same dict pydicom builds). What the compiled writer does not
cover -- a value of a type JSON has no form for, ``suppress_invalid_tags`` -- goes
through the element-by-element functions of this module, which follow pydicom's
``DataElement.to_json_dict`` rule by rule.

``from_json`` reads the text with :func:`json.loads` and builds the dataset's
elements with pydicom's conversions (numbers to ``int``/``float``, ``AT`` from hex,
``PN`` from its component groups, ``InlineBinary`` from base64, ``BulkDataURI``
through a handler).
"""
from __future__ import annotations

import base64
import json
import logging
import warnings
from collections.abc import Callable
from inspect import signature
from typing import Any

from .dataelem import DataElement

__all__ = [
    "JSON_VALUE_KEYS",
    "dataset_from_json",
    "dataset_to_json",
    "dataset_to_json_dict",
    "element_from_json",
    "element_to_json_dict",
]

logger = logging.getLogger("dcmfast")

JSON_VALUE_KEYS = ("Value", "BulkDataURI", "InlineBinary")

BYTES_VR = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "UN"])
AMBIGUOUS_VR = frozenset(["US or SS or OW", "US or SS", "US or OW", "OB or OW"])
_INLINE_VR = (BYTES_VR | AMBIGUOUS_VR) - {"US or SS"}
_INT_VR = frozenset(["IS", "SL", "SS", "SV", "UL", "US", "UV", "US or SS"])
_FLOAT_VR = frozenset(["DS", "FD", "FL"])
_STR_VR = frozenset([
    "AE", "AS", "CS", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT",
])
_VALUE_KEYS = frozenset(JSON_VALUE_KEYS)
_LUT_DESCRIPTOR_TAGS = frozenset([0x00281101, 0x00281102, 0x00281103, 0x00283002])

BulkDataHandler = Callable[..., Any]


def _empty_value(vr: str) -> Any:
    """pydicom's ``empty_value_for_VR`` (with the default configuration)."""
    from ._core import values as _values

    return _values.empty_value(vr)


def _vm(elem: DataElement, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (str, bytes)) or type(value).__name__ == "PersonName":
        return 1 if value else 0
    try:
        iter(value)
    except TypeError:
        return 1
    return len(value)


def _to_number(values: list[Any], vr: str) -> list[Any]:
    """pydicom's ``convert_to_python_number`` applied to a "Value" list."""
    if vr in _INT_VR:
        return [int(v) if v is not None else None for v in values]
    if vr in _FLOAT_VR:
        return [float(v) if v is not None else None for v in values]
    return values


# -- to JSON: the element-by-element path (pydicom's rules) ---------------------------


def element_to_json_dict(
    elem: DataElement,
    bulk_data_element_handler: Callable[[DataElement], Any] | None,
    bulk_data_threshold: int,
) -> dict[str, Any]:
    """The JSON model dict of one element (pydicom's ``DataElement.to_json_dict``).

    Parameters
    ----------
    elem : DataElement
        The element.
    bulk_data_element_handler : callable or None
        Called with a binary element over the threshold; returns its BulkDataURI.
    bulk_data_threshold : int
        As :func:`dataset_to_json_dict`.

    Returns
    -------
    dict
    """
    vr = elem.VR
    json_element: dict[str, Any] = {"vr": vr}
    if vr == "SQ":
        json_element["Value"] = [
            dataset_to_json_dict(item, bulk_data_threshold, bulk_data_element_handler, nested=True)
            for item in elem.value
        ]
        return json_element
    value = elem.value
    vm = _vm(elem, value)
    if vm == 0:
        return json_element
    if vr in _INLINE_VR:
        if bulk_data_element_handler is not None and len(value) > (bulk_data_threshold // 4) * 3:
            json_element["BulkDataURI"] = bulk_data_element_handler(elem)
        else:
            json_element["InlineBinary"] = base64.b64encode(value).decode("utf-8")
        return json_element
    values = value if vm > 1 else [value]
    if vr == "PN":
        out = []
        for v in values:
            comps = v.components
            pn = {"Alphabetic": comps[0]}
            if len(comps) > 1:
                pn["Ideographic"] = comps[1]
            if len(comps) > 2:
                pn["Phonetic"] = comps[2]
            out.append(pn)
        json_element["Value"] = out
    elif vr == "AT":
        json_element["Value"] = [format(v, "08X") for v in values]
    else:
        json_element["Value"] = _to_number(list(values), vr)
    return json_element


def _python_to_json_dict(
    ds: Any,
    bulk_data_threshold: int,
    bulk_data_element_handler: Callable[[DataElement], Any] | None,
    suppress_invalid_tags: bool,
) -> dict[str, Any]:
    json_dataset: dict[str, Any] = {}
    for tag in ds._tags():
        json_key = f"{tag:08X}"
        try:
            json_dataset[json_key] = element_to_json_dict(
                ds[tag], bulk_data_element_handler, bulk_data_threshold
            )
        except Exception as exc:
            if not suppress_invalid_tags:
                logger.error("Error while processing tag %s", json_key)
                raise
            logger.warning("Error while processing tag %s: %s", json_key, exc)
    return json_dataset


def dataset_to_json_dict(
    ds: Any,
    bulk_data_threshold: int = 1024,
    bulk_data_element_handler: Callable[[DataElement], Any] | None = None,
    suppress_invalid_tags: bool = False,
    *,
    nested: bool = False,
) -> dict[str, Any]:
    """pydicom's ``Dataset.to_json_dict`` for a dcmfast dataset.

    Parameters
    ----------
    ds : Dataset
        The dataset.
    bulk_data_threshold : int
        Binary values whose base64 text would be longer than this go to
        `bulk_data_element_handler` when it is given.
    bulk_data_element_handler : callable, optional
        Called with such an element; returns its BulkDataURI. Without it binary values are
        inline (InlineBinary).
    suppress_invalid_tags : bool
        Leave out (and log) elements whose value pydicom's strict reading rejects, instead
        of raising.
    nested : bool
        Internal: the dataset is a sequence item (keyword only).

    Returns
    -------
    dict
        ``{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "..."}]}, ...}``.

    Examples
    --------
    >>> from dcmfast import Dataset
    >>> from dcmfast.jsonrep import dataset_to_json_dict
    >>> ds = Dataset()
    >>> ds.PatientName = "Doe^John"
    >>> dataset_to_json_dict(ds) == {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^John"}]}}
    True
    """
    if suppress_invalid_tags:
        # pydicom converts the values under strict reading, where a value that would
        # warn on reading raises: such elements are dropped (and logged)
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            return _python_to_json_dict(ds, bulk_data_threshold, bulk_data_element_handler, True)
    if not nested:
        text = _compiled_text(ds, bulk_data_threshold, bulk_data_element_handler)
        if text is not None:
            return json.loads(text)  # type: ignore[no-any-return]
    return _python_to_json_dict(ds, bulk_data_threshold, bulk_data_element_handler, False)


def dataset_to_json(
    ds: Any,
    bulk_data_threshold: int = 1024,
    bulk_data_element_handler: Callable[[DataElement], Any] | None = None,
    dump_handler: Callable[[dict[str, Any]], Any] | None = None,
    suppress_invalid_tags: bool = False,
) -> Any:
    """pydicom's ``Dataset.to_json``: by default ``json.dumps(..., sort_keys=True)``'s text.

    Parameters
    ----------
    ds : Dataset
        The dataset.
    bulk_data_threshold : int
        Binary values whose base64 text would be longer than this go to
        `bulk_data_element_handler` when it is given.
    bulk_data_element_handler : callable, optional
        Called with such an element; returns its BulkDataURI. Without it binary values are
        inline (InlineBinary).
    dump_handler : callable, optional
        Turns the dict into the result instead of ``json.dumps``.
    suppress_invalid_tags : bool
        As :func:`dataset_to_json_dict`.

    Returns
    -------
    str (or what `dump_handler` returns)
    """
    if dump_handler is None and not suppress_invalid_tags:
        text = _compiled_text(ds, bulk_data_threshold, bulk_data_element_handler)
        if text is not None:
            return text
    d = dataset_to_json_dict(ds, bulk_data_threshold, bulk_data_element_handler, suppress_invalid_tags)
    if dump_handler is None:
        return json.dumps(d, sort_keys=True)
    return dump_handler(d)


def _compiled_text(
    ds: Any, bulk_data_threshold: int, bulk_data_element_handler: Callable[[DataElement], Any] | None
) -> str | None:
    """The JSON text from the compiled writer, or None where it leaves the work to Python."""
    from ._core import json as _cjson

    return _cjson.dumps(ds, bulk_data_threshold, bulk_data_element_handler)


# -- from JSON -----------------------------------------------------------------------


def _wrap_handler(handler: BulkDataHandler | None) -> BulkDataHandler | None:
    """A handler of (tag, vr, uri): a one-argument handler is called with the URI only."""
    if handler is not None and len(signature(handler).parameters) == 1:
        one = handler

        def wrapper(tag: str, vr: str, value: str) -> Any:
            return one(value)

        return wrapper
    return handler


def element_from_json(
    dataset_class: type,
    tag: str,
    vr: str,
    value: Any,
    value_key: str | None,
    bulk_data_uri_handler: BulkDataHandler | None = None,
) -> DataElement:
    """A DataElement from one JSON model attribute (pydicom's ``DataElement.from_json``).

    Parameters
    ----------
    dataset_class : type
        The class of the items of a sequence.
    tag : str
        The attribute's key (``"00100010"``).
    vr : str
        Its VR.
    value : object
        The value of its `value_key`.
    value_key : str or None
        ``"Value"``, ``"InlineBinary"`` or ``"BulkDataURI"`` (None: no value).
    bulk_data_uri_handler : callable, optional
        Returns the bytes of a BulkDataURI (called with tag, VR and URI, or the URI only).

    Returns
    -------
    DataElement
    """
    from ._core import json as _cjson

    return _cjson.element_from_json(  # type: ignore[no-any-return]
        dataset_class, tag, vr, value, value_key, _wrap_handler(bulk_data_uri_handler)
    )


def dataset_from_json(
    cls: type, json_dataset: dict[str, Any] | str | bytes | bytearray,
    bulk_data_uri_handler: BulkDataHandler | None = None,
) -> Any:
    """pydicom's ``Dataset.from_json``: a `cls` dataset from a JSON model object or text.

    Parameters
    ----------
    cls : type
        The Dataset class to make.
    json_dataset : dict, str, bytes or bytearray
        The JSON model object, or its text.
    bulk_data_uri_handler : callable, optional
        As :func:`element_from_json`.

    Returns
    -------
    Dataset
    """
    if isinstance(json_dataset, (str, bytes, bytearray)):
        json_dataset = json.loads(json_dataset)
    from ._core import json as _cjson

    return _cjson.load(cls, json_dataset, _wrap_handler(bulk_data_uri_handler))
