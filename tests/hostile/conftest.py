"""Counts for the hostile-input tests, reported at the end of the run."""
from __future__ import annotations

COUNTS: dict[str, int] = {}


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if COUNTS:
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(COUNTS.items()))
        terminalreporter.write_line(f"hostile inputs tried - {parts}")
