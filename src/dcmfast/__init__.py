"""dcmfast: fast DICOM reading and writing with pydicom's interface and pydicom's results.

Reading
    ``ds = dcmfast.dcmread(path)`` (a path, bytes, a file-like or an mmap; pydicom's
    arguments, plus ``max_bytes`` and ``mmap``) returns a :class:`FileDataset`: elements by
    keyword (``ds.PatientName``), by tag (``ds[0x00100020].value``), ``ds.get(...)``,
    ``ds.iterall()``, as in pydicom. ``ds.pixel_array`` decodes native, RLE and (with
    pylibjpeg-libjpeg) JPEG pixel data into a numpy array; ``ds.to_pydicom()`` makes a
    pydicom dataset.
Writing
    :func:`dcmwrite`, :func:`dcmwrite_bytes` and ``Dataset.save_as``: pydicom's bytes,
    unchanged elements copied from the file read; a path is written atomically.
More
    :mod:`dcmfast.pixels` (decoders, RLE encoding, encapsulation, compress/decompress,
    transcoding, LUTs and windowing), :mod:`dcmfast.deid` (PS3.15 de-identification),
    :mod:`dcmfast.ingest` (the metadata of many files as records, Arrow/Parquet, an SQLite
    index), :mod:`dcmfast.volume` (series to 3D volumes, NIfTI, PNG), DICOM JSON
    (``Dataset.to_json``, :mod:`dcmfast.jsonrep`), :mod:`dcmfast.dask`, :mod:`dcmfast.uid`
    and :mod:`dcmfast.config` (as pydicom's), the ``dcmfast`` command (:mod:`dcmfast.cli`),
    :func:`register_pydicom` (dcmfast's RLE decoder inside pydicom).
Errors
    :class:`InvalidDicomError` (also pydicom's and a ValueError), and the other
    :mod:`dcmfast.errors`: each names the file, tag and offset.

Where dcmfast's results differ from pydicom's (a short list, each pinned by a test):
``docs/pydicom-differences.md``.

The parsing core is compiled (Cython); there is no pure-Python fallback: if the extension
modules are missing, importing dcmfast fails (``BACKEND`` is ``"cython"``). ``import
dcmfast`` imports neither numpy nor pydicom, and loads the data dictionary on first use.
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
