"""dcmfast: a fast, trustworthy DICOM reader with a pydicom-compatible interface.

The parsing core is compiled (Cython); there is no pure-Python fallback: if
the extension modules are missing, importing dcmfast fails.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors
from ._core import parse as _parse  # noqa: F401  (fails loudly when the build is missing)
from ._version import __version__
from .dataelem import DataElement
from .dataset import Dataset, FileDataset, FileMetaDataset
from .errors import DcmfastError, DicomWriteError, InvalidDicomError, UnsupportedTransferSyntaxError
from .pydicom_plugin import register_pydicom
from .reader import dcmread, read_file_meta_info
from .sequence import Sequence
from .tag import BaseTag, Tag
from .valuerep import UID, MultiValue, PersonName

if TYPE_CHECKING:
    from .filewriter import dcmwrite, dcmwrite_bytes

BACKEND = "cython" if _parse.__file__.endswith((".so", ".pyd")) else "unknown"

__all__ = [
    "BACKEND",
    "BaseTag",
    "DataElement",
    "Dataset",
    "DcmfastError",
    "DicomWriteError",
    "FileDataset",
    "FileMetaDataset",
    "InvalidDicomError",
    "MultiValue",
    "PersonName",
    "Sequence",
    "Tag",
    "UID",
    "UnsupportedTransferSyntaxError",
    "__version__",
    "dcmread",
    "dcmwrite",
    "dcmwrite_bytes",
    "errors",
    "read_file_meta_info",
    "register_pydicom",
]


def _watch_pydicom() -> None:
    # with pydicom imported (before or after dcmfast), dcmfast's objects pass its
    # isinstance checks and its exception classes catch dcmfast's (_pydicom_compat)
    import sys

    from . import _pydicom_compat

    pydicom = sys.modules.get("pydicom")
    if pydicom is not None and not getattr(getattr(pydicom, "__spec__", None), "_initializing", False):
        _pydicom_compat.activate()
    else:
        _pydicom_compat.install_watcher()


_watch_pydicom()


def __getattr__(name: str) -> object:
    # the writer is imported on first use (import dcmfast stays light)
    if name in ("dcmwrite", "dcmwrite_bytes"):
        from . import filewriter

        return getattr(filewriter, name)
    if name in ("config", "uid", "examples"):  # pydicom's submodules, imported on first use
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'dcmfast' has no attribute {name!r}")
