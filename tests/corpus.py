"""The test corpora: pydicom's bundled test files and the pydicom-data package's files.

Files are found by listing the installed folders (pydicom's get_testdata_files
with a pattern tries the network, so it is never called).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def corpus_files() -> list[Path]:
    """Every DICOM-ish file of the corpora (sorted, stable ids)."""
    files: list[Path] = []
    pyd = _package_dir("pydicom")
    if pyd is not None:
        for sub in ("test_files", "charset_files"):
            folder = pyd / "data" / sub
            if folder.is_dir():
                files += [p for p in folder.rglob("*") if p.is_file()]  # dicomdirtests/ too
    store = _package_dir("data_store")
    if store is not None and (store / "data").is_dir():
        files += [p for p in (store / "data").iterdir() if p.is_file()]
    skip_suffix = {".txt", ".json", ".dump", ".gz", ".icc", ".py"}
    return sorted((p for p in files if p.suffix not in skip_suffix), key=file_id)


def file_id(path: Path) -> str:
    parts = path.parts
    start = max(i for i, part in enumerate(parts) if part in ("test_files", "charset_files", "data"))
    return "/".join(parts[start:])


CORPUS = corpus_files()
