#!/usr/bin/env bash
# Coverage-guided fuzzing of dcmfast with atheris (libFuzzer) under ASan + UBSan.
#
#   tools/fuzz.sh [SECONDS] [extra libFuzzer flags...]     (default: 3600 s)
#   e.g. a night:  tools/fuzz.sh 28800 -jobs=2 -workers=2
#   TARGET=scan tools/fuzz.sh 3600    the scanner alone (tests/fuzz/fuzz_scan.py), ~10x faster
#   TARGET=roundtrip tools/fuzz.sh 3600    the write side (tests/fuzz/fuzz_roundtrip.py): read,
#     write, read, equal; JSON; transcode and back; edits against pydicom's writer. Its
#     failures go to $DCMFAST_FUZZ_FINDINGS and the run goes on (DCMFAST_FUZZ_STOP=1: stop)
#
# Needs: clang (apt-get install clang) and atheris built from source against it so
# its sanitizer runtimes exist (CLANG_BIN=/usr/bin/clang pip install --no-binary
# atheris atheris). The build is a copy in $FUZZ_DIR (default /tmp/dcmfast-fuzz),
# never the in-place build. Crashers land in $FUZZ_DIR/artifacts: copy each one to
# tests/fuzz/regressions/ (the normal tests replay that folder). Non-dcmfast
# exceptions from the lead's files go to $DCMFAST_FUZZ_FINDINGS.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_TO_RUN="${1:-3600}"; shift || true
FUZZ_DIR="${FUZZ_DIR:-/tmp/dcmfast-fuzz}"
PY="${PYTHON:-python3}"
ATHERIS_DIR="$("$PY" -c 'import atheris; print(atheris.path())')"
ASAN_RT="$ATHERIS_DIR/asan_with_fuzzer.so"
[ -f "$ASAN_RT" ] || { echo "no $ASAN_RT: build atheris from source with clang (see header)" >&2; exit 2; }

TARGET="${TARGET:-dcmread}"
mkdir -p "$FUZZ_DIR"/{corpus,artifacts}
# 1. an instrumented copy: -fsanitize=fuzzer-no-link for coverage, ASan + UBSan, Cython bounds checks
rsync -a --delete --exclude '*.so' --exclude '__pycache__' "$ROOT/src" "$ROOT/setup.py" "$ROOT/pyproject.toml" "$FUZZ_DIR/tree/" 2>/dev/null \
  || { mkdir -p "$FUZZ_DIR/tree"; rm -rf "$FUZZ_DIR/tree/src"; cp -r "$ROOT/src" "$ROOT/setup.py" "$ROOT/pyproject.toml" "$FUZZ_DIR/tree/"; find "$FUZZ_DIR/tree/src" -name '*.so' -delete; }
( cd "$FUZZ_DIR/tree" && CC=clang LDSHARED="clang -shared" \
    CFLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" \
    LDFLAGS="-fsanitize=fuzzer-no-link" DCMFAST_SANITIZE=1 \
    "$PY" setup.py build_ext --inplace > "$FUZZ_DIR/build.log" 2>&1 ) || { tail -30 "$FUZZ_DIR/build.log"; exit 1; }

# 2. seeds: every corpus file up to 64 KiB, plus the regression inputs
if [ -z "$(ls -A "$FUZZ_DIR/corpus")" ]; then
  "$PY" - "$FUZZ_DIR/corpus" "$ROOT" <<'PYEOF'
import shutil, sys
from pathlib import Path
sys.path.insert(0, str(Path(sys.argv[2]) / "tests"))
from corpus import CORPUS
out = Path(sys.argv[1])
for p in CORPUS:
    if p.stat().st_size <= 65536:
        shutil.copy(p, out / f"seed-{p.parent.name}-{p.name}")
for p in (Path(sys.argv[2]) / "tests" / "fuzz" / "regressions").glob("*"):
    if p.is_file() and p.suffix != ".md":
        shutil.copy(p, out / p.name)
PYEOF
fi

# 3. fuzz
export PYTHONPATH="$FUZZ_DIR/tree/src"
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export PYTHONDONTWRITEBYTECODE=1
CORPUS_DIR="$FUZZ_DIR/corpus"
if [ "$TARGET" = scan ]; then
  # the scanner target reads a flags byte first: its own corpus, seeded from the main one
  mkdir -p "$FUZZ_DIR/corpus-scan"
  if [ -z "$(ls -A "$FUZZ_DIR/corpus-scan")" ]; then
    for f in "$FUZZ_DIR"/corpus/*; do
      { printf '\000'; tail -c +133 "$f"; } > "$FUZZ_DIR/corpus-scan/$(basename "$f")"
    done
  fi
  CORPUS_DIR="$FUZZ_DIR/corpus-scan"
fi
LD_PRELOAD="$ASAN_RT" exec "$PY" "$ROOT/tests/fuzz/fuzz_$TARGET.py" \
  "$CORPUS_DIR" -max_total_time="$SECONDS_TO_RUN" -timeout=20 -rss_limit_mb=4096 \
  -malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$FUZZ_DIR/artifacts/" "$@"
