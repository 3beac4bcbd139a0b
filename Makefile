# dcmfast's one task runner: each target is the command CI runs (.github/workflows/).
#
#   make build        compile the Cython core in place (src/dcmfast/_core/*.so)
#   make test         the whole test suite against the in-place build
#   make lint         ruff + cython-lint (tests/test_lint.py; needs pip install -e ".[lint]")
#   make typecheck    mypy.stubtest on every compiled module + mypy --strict on a client
#   make bench        the pytest-benchmark suites (dcmfast and its installed peers)
#   make sanitize     the test suite on an ASan/UBSan build (tools/sanitize.sh)
#   make fuzz         atheris fuzzing for FUZZ_SECONDS (tools/fuzz.sh; needs clang + atheris)
#   make wheel-check  sdist -> wheel from the sdist -> auditwheel -> full suite on the
#                     installed wheel (tools/check_wheel.sh; WHEEL_CHECK_ARGS=--worktree to
#                     use the working tree instead of a clone of HEAD)
#
# INSTALLED=1 makes test and typecheck use the installed dcmfast (pip install ., a wheel)
# from outside the source tree instead of the in-place build, as CI's test jobs do.

PYTHON ?= python
PYTEST_ARGS ?= -q
FUZZ_SECONDS ?= 60
WHEEL_CHECK_ARGS ?=
INSTALLED ?=
# tools/*.sh take the interpreter from $PYTHON too
export PYTHON

ifeq ($(INSTALLED),1)
PYTEST = cd "$$(mktemp -d)" && $(PYTHON) -m pytest -p no:cacheprovider --dcmfast-installed
TESTS = "$(CURDIR)/tests"
NEEDS_BUILD =
else
PYTEST = PYTHONPATH=src $(PYTHON) -m pytest
TESTS = tests
NEEDS_BUILD = build
endif

.PHONY: build test lint typecheck bench sanitize fuzz wheel-check

build:
	$(PYTHON) setup.py build_ext --inplace

test: $(NEEDS_BUILD)
	$(PYTEST) $(TESTS) $(PYTEST_ARGS)

lint:
	$(PYTHON) -m ruff --version && $(PYTHON) -c "import cython_lint"
	$(PYTHON) -m pytest -p no:cacheprovider tests/test_lint.py $(PYTEST_ARGS)

typecheck: $(NEEDS_BUILD)
	$(PYTHON) -m mypy --version
	$(PYTEST) $(TESTS)/test_typing.py $(PYTEST_ARGS)

bench: build
	PYTHONPATH=src $(PYTHON) -m pytest benchmarks --benchmark-only $(PYTEST_ARGS)

sanitize:
	tools/sanitize.sh

fuzz:
	tools/fuzz.sh $(FUZZ_SECONDS)

wheel-check:
	tools/check_wheel.sh $(WHEEL_CHECK_ARGS)
