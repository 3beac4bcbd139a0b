"""Non-dcmfast exceptions known to escape from the lead's files on hostile input.

Each (exception type, file) pair has a reproducer in tests/hostile/regressions/ and
a strict-xfail test in test_regressions.py; the mutation test tolerates exactly
these, so a *new* kind of escape fails it. Remove an entry once the lead's fix
lands (its xfail then fails, as a reminder).
"""
from __future__ import annotations

KNOWN_LEAD_ESCAPES: frozenset[tuple[str, str]] = frozenset()  # all fixed: see regressions/fixed-*


def tolerated(escape) -> bool:
    return escape.key in KNOWN_LEAD_ESCAPES
