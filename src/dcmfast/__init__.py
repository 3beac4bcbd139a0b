"""dcmfast: a fast, trustworthy DICOM reader with a pydicom-compatible interface.

The parsing core is compiled (Cython); there is no pure-Python fallback: if
the extension modules are missing, importing dcmfast fails.
"""
from __future__ import annotations

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

TYPE_CHECKING = False  # (not typing.TYPE_CHECKING: `import dcmfast` does not import typing)
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


def __getattr__(name: str) -> object:
    # the writer is imported on first use (import dcmfast stays light)
    if name in ("dcmwrite", "dcmwrite_bytes"):
        from . import filewriter

        return getattr(filewriter, name)
    raise AttributeError(f"module 'dcmfast' has no attribute {name!r}")
