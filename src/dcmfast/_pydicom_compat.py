"""pydicom interoperability: dcmfast objects pass pydicom's isinstance checks.

Imported (and :func:`activate` run) only once pydicom is imported, whatever the order:
``import dcmfast`` never imports pydicom. Activation

* makes, for each dcmfast class (``Dataset``, ``FileDataset``, ``FileMetaDataset``,
  ``DataElement``, ``Sequence``, ``MultiValue``, ``DSfloat``, ``IS``, ``ISfloat``,
  ``PersonName``, ``UID``, ``BaseTag``, and users' subclasses of them on first need), a
  "facing" class deriving from both it and pydicom's class of the same name, which
  dcmfast objects report as their ``__class__`` (``dcmfast._core.facing``). Python's
  ``isinstance(obj, cls)``, when ``type(obj)`` is not a subclass of ``cls``, consults
  ``obj.__class__``: so ``isinstance(ds, pydicom.Dataset)`` is true, while the objects
  themselves are still made as fast, by the compiled core, as without pydicom;
* adds pydicom's exception classes as bases of dcmfast's (``InvalidDicomError``,
  ``BytesLengthException``), so ``except pydicom.errors.InvalidDicomError`` catches them.
"""
from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["activate", "is_active"]

_ACTIVE = False
_PAIRS: dict[type, type] = {}


def is_active() -> bool:
    return _ACTIVE


def _facing(ours: type, theirs: type) -> type:
    """A class deriving from `ours` and `theirs`, named as `ours`."""
    namespace = {"__module__": ours.__module__, "__doc__": ours.__doc__, "__qualname__": ours.__qualname__}
    try:
        return type(ours)(ours.__name__, (ours, theirs), namespace)
    except TypeError:  # an instance lay-out conflict: pydicom's class alone still answers isinstance
        import logging  # (not at import: import dcmfast stays light)

        logging.getLogger("dcmfast").debug("pydicom interop: %s reports pydicom's %s only", ours, theirs)
        return type(theirs)(ours.__name__, (theirs,), namespace)


def _maker(t: type) -> type:
    """The facing class of `t`, a type not recorded yet (a user's subclass)."""
    from ._core import facing

    made = t
    for base in t.__mro__:
        theirs = _PAIRS.get(base)
        if theirs is not None:
            made = t if issubclass(t, theirs) else _facing(t, theirs)
            break
    facing.install({t: made}, _maker)
    return made


def activate() -> None:
    """Make dcmfast's objects pass pydicom's type checks (pydicom must be imported)."""
    global _ACTIVE
    if _ACTIVE:
        return
    import pydicom.dataelem
    import pydicom.dataset
    import pydicom.errors
    import pydicom.multival
    import pydicom.sequence
    import pydicom.tag
    import pydicom.uid
    import pydicom.valuerep

    from . import errors
    from ._core import facing
    from .dataelem import DataElement
    from .dataset import Dataset, FileDataset, FileMetaDataset
    from .sequence import Sequence
    from .tag import BaseTag
    from .valuerep import IS, UID, DSfloat, ISfloat, MultiValue, PersonName

    _PAIRS.update({
        Dataset: pydicom.dataset.Dataset,
        FileDataset: pydicom.dataset.FileDataset,
        FileMetaDataset: pydicom.dataset.FileMetaDataset,
        DataElement: pydicom.dataelem.DataElement,
        Sequence: pydicom.sequence.Sequence,
        MultiValue: pydicom.multival.MultiValue,
        DSfloat: pydicom.valuerep.DSfloat,
        IS: pydicom.valuerep.IS,
        ISfloat: pydicom.valuerep.ISfloat,
        PersonName: pydicom.valuerep.PersonName,
        UID: pydicom.uid.UID,
        BaseTag: pydicom.tag.BaseTag,
    })
    facing.install({ours: _facing(ours, theirs) for ours, theirs in _PAIRS.items()}, _maker)
    for ours_err, theirs_err in (
        (errors.InvalidDicomError, pydicom.errors.InvalidDicomError),
        (errors.BytesLengthException, pydicom.errors.BytesLengthException),
    ):
        if not issubclass(ours_err, theirs_err):
            ours_err.__bases__ = (*ours_err.__bases__, theirs_err)
    _ACTIVE = True
    config = sys.modules.get("dcmfast.config")
    if config is not None:
        config._pydicom_imported()


class _PydicomWatcher:
    """A ``sys.meta_path`` entry that runs :func:`activate` right after pydicom is imported."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "pydicom":
            return None
        import importlib.util

        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_then_activate(module: Any) -> None:
            try:
                exec_module(module)
            except BaseException:
                install_watcher()  # a failed import may be retried
                raise
            activate()

        loader.exec_module = exec_then_activate
        return spec


def install_watcher() -> None:
    if not any(isinstance(f, _PydicomWatcher) for f in sys.meta_path):
        sys.meta_path.insert(0, _PydicomWatcher())
