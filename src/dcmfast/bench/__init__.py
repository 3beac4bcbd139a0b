"""``dcmfast bench``: time dcmfast against its peers on the same inputs, and check them.

Every case runs dcmfast and each installed peer (pydicom always; pydicom with
pylibjpeg-rle for RLE; fastdicom, dicomsdl and python-gdcm where installed) on
the same input in the same run, interleaving them round by round so that the
noise of a shared machine falls on all alike. Each output is compared with
pydicom's (the oracle) outside the timed calls, and each table carries floors:
the cost of ``open()+read()+close()`` of the same files and of a numpy memory
copy of the same number of bytes.

The default run uses pydicom's bundled test files (found by listing the folder,
never through ``pydicom.data``'s network-aware helpers); ``--full`` adds a
generated corpus (built once, with pydicom, into ``DCMFAST_BENCH_CACHE`` or
``~/.cache/dcmfast-bench``). The pytest-benchmark suites in the repository's
``benchmarks/`` folder reuse the cases and the corpus builder defined here.

Only the stdlib is imported at module level: the CLI imports every subcommand's
module to build its parser.

The package: ``peers`` (who is installed, canonical values), ``cases`` (a case: dcmfast
and its peers on one input, each output checked), ``corpus`` (the generated corpus),
``measure`` (interleaved samples), ``report`` (tables, summary, targets) and ``run``
(a whole run); ``dcmfast.cli.bench`` is the subcommand's entry point.
"""
from __future__ import annotations

from .cases import Case, Impl, bundled_cases
from .corpus import build_corpus, corpus_cases, corpus_dir
from .measure import Result, measure
from .peers import PEERS, installed_peers
from .run import run_bench

__all__ = [
    "PEERS",
    "Case",
    "Impl",
    "Result",
    "build_corpus",
    "bundled_cases",
    "corpus_cases",
    "corpus_dir",
    "installed_peers",
    "measure",
    "run_bench",
]
