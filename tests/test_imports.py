"""What importing dcmfast costs, and which module may need which.

Each check runs in a fresh interpreter (``sys.executable``, the environment of the test
run: ``PYTHONPATH=src`` or an installed wheel), since this process has imported
everything already.
"""
from __future__ import annotations

import io
import logging
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pydicom
import pydicom.data


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_pixels_describe_a_dataset_without_the_reader():
    """The import circle dataset -> pixels -> reader -> dataset is broken: decoding the
    pixels of a dataset in memory (dcmfast's or pydicom's) never imports the file reader
    (only reading a path or bytes does)."""
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    out = _run(f"""
        import sys
        import numpy as np
        import pydicom
        import dcmfast
        import dcmfast.pixels

        ours = dcmfast.dcmread({path!r})
        theirs = pydicom.dcmread({path!r})
        sys.modules["dcmfast.reader"] = None  # any import of it from now on fails
        a = ours.pixel_array
        b = dcmfast.pixels.pixel_array(theirs)
        desc, _owner = dcmfast.pixels.describe(theirs)
        ref = theirs.pixel_array
        print(np.array_equal(a, ref), np.array_equal(b, ref), desc.max_bytes > 0)
    """)
    assert out.split() == ["True", "True", "True"]


# what `import dcmfast` may load besides dcmfast's own modules (python -S: nothing but the
# interpreter's core is loaded before). Private modules (C accelerators such as _bisect,
# helpers such as 3.14's _py_warnings) vary with the version and platform and are not
# pinned; the public ones are, and the heavy ones named in DENIED must never load
ALLOWED_STDLIB = {
    "__future__", "array", "bisect", "collections", "collections.abc", "copy", "copyreg",
    "cython_runtime", "genericpath", "itertools", "keyword", "mmap", "ntpath", "operator", "os",
    "os.path", "posixpath", "reprlib", "stat", "types", "warnings", "weakref", "zlib",
}
DENIED = {
    "typing", "logging", "re", "enum", "threading", "traceback", "string", "inspect", "dataclasses",
    "pathlib", "json", "datetime", "decimal", "tempfile", "shutil", "argparse", "numpy", "pydicom",
    "tqdm", "dcmfast.datadict._main", "dcmfast.datadict._private", "dcmfast.datadict._uids",
}
DCMFAST_MODULES = {
    "dcmfast", "dcmfast._core", "dcmfast._core.basetag", "dcmfast._core.dsfloat", "dcmfast._core.element",
    "dcmfast._core.facing", "dcmfast._pydicom_compat",  # (the watcher that meets pydicom's import)
    "dcmfast._core.fileio", "dcmfast._core.multivalue", "dcmfast._core.parse", "dcmfast._core.rle",
    "dcmfast._core.unpack", "dcmfast._core.values", "dcmfast._limits", "dcmfast._log", "dcmfast._version",
    "dcmfast.charset", "dcmfast.datadict", "dcmfast.datadict._tags", "dcmfast.dataelem", "dcmfast.dataset",
    "dcmfast.errors", "dcmfast.pydicom_plugin", "dcmfast.reader", "dcmfast.sequence", "dcmfast.tag",
    "dcmfast.valuerep",
}


def _isolated(code: str) -> str:
    """Run `code` with ``python -S`` (no site: no module that site or a .pth file imports is
    loaded before), dcmfast's folder first on sys.path."""
    import dcmfast

    parent = str(Path(dcmfast.__file__).resolve().parents[1])
    prelude = f"import sys\nsys.path.insert(0, {parent!r})\n"
    proc = subprocess.run([sys.executable, "-S", "-c", prelude + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_import_loads_only_the_pinned_modules():
    out = _isolated("""
        before = set(sys.modules)
        import dcmfast
        print(" ".join(sorted(set(sys.modules) - before)))
    """)
    new = set(out.split())
    ours = {m for m in new if m == "dcmfast" or m.startswith("dcmfast.")}
    public = {m for m in new - ours if not m.rsplit(".", 1)[-1].startswith("_")}
    assert ours == DCMFAST_MODULES
    assert public <= ALLOWED_STDLIB, sorted(public - ALLOWED_STDLIB)
    assert not new & DENIED, sorted(new & DENIED)


def test_the_dictionary_loads_on_the_first_keyword_lookup():
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    out = _isolated(f"""
        import dcmfast
        ds = dcmfast.dcmread({path!r})
        print("dcmfast.datadict._main" in sys.modules, "logging" in sys.modules, "typing" in sys.modules)
        name = ds.PatientName
        print("dcmfast.datadict._main" in sys.modules)
    """)
    assert out.split() == ["False", "False", "False", "True"]


def test_precomputed_tag_tables_match_the_dictionary():
    """datadict/_tags.py (generated with _main.py by tools/gen_datadict.py) holds the tables
    the reader gives the scanner: the same as computing them from the dictionary."""
    from array import array

    from dcmfast import datadict

    sq, known = datadict.tag_arrays()
    assert sq == array("I", sorted(t for t, e in datadict.MAIN.items() if e[0] == "SQ"))
    assert known == array("I", sorted(datadict.MAIN))
    assert len(sq) > 100 and known.itemsize == 4
    # and the dictionary is pydicom's
    from pydicom.datadict import DicomDictionary

    assert list(known) == sorted(DicomDictionary)


def _log_messages(caplog, logger: str, read) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=logger):
        read()
    return [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and r.name == logger]


def test_reader_log_records_as_pydicom(caplog):
    """The reader's INFO records (logging imported on first need) are pydicom's."""
    import dcmfast

    data = Path(pydicom.data.get_testdata_file("CT_small.dcm")).read_bytes()
    no_preamble = data[132:]
    meta_length = struct.unpack_from("<I", data, 140)[0]
    bad_length = data[:140] + struct.pack("<I", meta_length + 2) + data[144:]
    for blob, force in ((no_preamble, True), (bad_length, False)):
        ours = _log_messages(caplog, "dcmfast", lambda b=blob, f=force: dcmfast.dcmread(b, force=f))
        theirs = _log_messages(caplog, "pydicom",
                               lambda b=blob, f=force: pydicom.dcmread(io.BytesIO(b), force=f))
        assert len(ours) == len(theirs) == 1
        if force:
            assert ours == theirs
        else:  # pydicom's message names its function and the tag first: the same numbers
            tail = ("value doesn't match the actual File Meta Information length "
                    f"({meta_length + 2} vs {meta_length} bytes)")
            assert ours[0].endswith(tail) and theirs[0].endswith(tail)


def test_logging_is_not_imported_to_drop_info_records():
    """Nothing can have enabled INFO before logging is imported: reading a file that gives
    INFO records does not import it."""
    path = pydicom.data.get_testdata_file("CT_small.dcm")
    out = _isolated(f"""
        import dcmfast
        data = open({path!r}, "rb").read()
        dcmfast.dcmread(data[132:], force=True)
        print("logging" in sys.modules)
    """)
    assert out.split() == ["False"]


def test_version_does_not_build_the_parser():
    """``dcmfast --version`` answers before the parser imports every subcommand's module."""
    import dcmfast

    out = _isolated("""
        from dcmfast.cli import main
        code = main(["--version"])
        loaded = [m for m in sys.modules if m.startswith(("dcmfast.cli.", "dcmfast.ingest", "dcmfast.bench"))]
        print(code, ",".join(sorted(loaded)))
    """)
    lines = out.splitlines()
    assert lines[0] == f"dcmfast {dcmfast.__version__}"
    assert lines[1].split() == ["0", "dcmfast.cli._common"]
