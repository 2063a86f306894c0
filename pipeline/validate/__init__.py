"""Validation: small named checks, each returning a `CheckResult`.

A blocking check that fails stops a document from publishing rows. An advisory check is recorded
(in `checks.parquet`) and never stops anything; checks that find NCMEC's own printed figures
disagreeing with each other are advisory with `in_source=True`: a finding for auditors, not a
pipeline failure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    source_file: str
    check: str
    blocking: bool
    passed: bool
    expected: str | None = None
    actual: str | None = None
    message: str = ""
    in_source: bool = False  # True when the disagreement is inside NCMEC's printed figures
    page: int | None = None


def blocking_failures(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.blocking and not r.passed]
