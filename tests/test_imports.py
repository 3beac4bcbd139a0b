"""What importing dcmfast costs, and which module may need which.

Each check runs in a fresh interpreter (``sys.executable``, the environment of the test
run: ``PYTHONPATH=src`` or an installed wheel), since this process has imported
everything already.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

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
