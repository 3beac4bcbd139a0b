"""Build the compiled core of dcmfast.

Environment switches:
  DCMFAST_DEBUG=1     Cython bounds/wraparound checks on, -O0 -g
  DCMFAST_SANITIZE=1  -fsanitize=address,undefined (run with LD_PRELOAD=$(gcc -print-file-name=libasan.so))
Wheels use portable flags only (no -march=native).
"""
import glob
import os
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("DCMFAST_DEBUG") == "1"
SANITIZE = os.environ.get("DCMFAST_SANITIZE") == "1"

compile_args: list[str] = []
link_args: list[str] = []
# gcc/clang only; MSVC (Windows wheels) keeps setuptools' portable defaults (/O2 /GL /MD)
if sys.platform != "win32":
    compile_args += ["-O0", "-g"] if (DEBUG or SANITIZE) else ["-O3"]
    # no fused multiply-add: results equal pydicom's numpy arithmetic on every CPU
    # (GCC contracts a*b+c by default where the target has FMA, e.g. aarch64 wheels)
    compile_args += ["-ffp-contract=off"]
    if SANITIZE:
        flags = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
        compile_args += flags
        link_args += flags

extensions = [
    Extension(
        "dcmfast._core." + os.path.splitext(os.path.basename(path))[0],
        [path],
        extra_compile_args=compile_args,
        extra_link_args=link_args,
    )
    for path in sorted(glob.glob("src/dcmfast/_core/*.pyx"))
]

directives = {
    "language_level": 3,
    "boundscheck": DEBUG or SANITIZE,
    "wraparound": False,
    "initializedcheck": DEBUG or SANITIZE,
    "cdivision": True,
    "embedsignature": True,
}

setup(
    ext_modules=cythonize(
        extensions, compiler_directives=directives, build_dir="build/cython", include_path=["src"]
    )
)
