"""Build the benchmark corpus (once) into the cache folder.

    python benchmarks/corpus.py [--cache DIR]

Writes, with pydicom, from pydicom's bundled CT_small.dcm and a fixed seed:
2,000 CT slices with distinct UIDs and positions; a 100-frame Enhanced CT with
per-frame functional groups, uncompressed and RLE; a 5,000-item per-frame
functional groups file; a 2048x2048 16-bit image, uncompressed and RLE. Files
already there are kept. The folder is ``--cache``, else ``$DCMFAST_BENCH_CACHE``,
else ``~/.cache/dcmfast-bench`` (a ``v1/`` subfolder: a change to the corpus
bumps it).

The builder itself is ``dcmfast.bench.corpus.build_corpus`` so that ``dcmfast bench
--full`` can build the same corpus from an installed package; this file is its
entry point for the pytest-benchmark suites and for people.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

try:
    import dcmfast  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dcmfast.bench.corpus import build_corpus, corpus_dir, corpus_files

__all__ = ["build", "corpus_dir", "corpus_files"]


def build(root: str | None = None, verbose: bool = False) -> dict[str, Any]:
    """The corpus's paths (see ``corpus_files``), building what is missing."""
    report = (lambda msg: print(f"building {msg}", file=sys.stderr)) if verbose else (lambda msg: None)
    return build_corpus(root, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache",
                        help="cache folder (default $DCMFAST_BENCH_CACHE or ~/.cache/dcmfast-bench)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    files = build(args.cache, verbose=True)
    size = sum(p.stat().st_size for v in files.values() for p in (v if isinstance(v, list) else [v]))
    print(f"corpus in {corpus_dir(args.cache)}: {size / 2**20:.0f} MiB "
          f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
