"""Validation: small named checks, each returning a `CheckResult`.

A blocking check that fails stops a document from publishing rows. An advisory check is recorded
(in `checks.parquet`) and never stops anything; checks that find NCMEC's own printed figures
disagreeing with each other are advisory with `in_source=True`: a finding for auditors, not a
pipeline failure. Each such finding has a `kind` (see `pipeline.validate.findings`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    source_file: str
    check: str
    blocking: bool
    passed: bool
    expected: str | float | None = None  # a number (legacy checks print it as text, '>= 100')
    actual: str | float | None = None
    message: str = ""
    in_source: bool = False  # True when the disagreement is inside NCMEC's printed figures
    page: int | None = None
    # What kind of finding a failed in-source check is (conflict | rounding | label |
    # non_additive; pipeline/validate/findings.py): set by the check or from its name.
    kind: str | None = None
    # The other printed place a check compares with (a table cell, an earlier edition's sentence).
    other_source_file: str | None = None
    other_page: int | None = None
    sentence: str | None = None  # the sentence of running text the check quotes
    relation: str | None = None  # how actual must relate to expected: = >= <= ~ (default from the text)


def blocking_failures(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.blocking and not r.passed]


def extraction_failed(source_file: str, error: str) -> CheckResult:
    """Blocking: the reader refused the document or could not open it (`error` says why)."""
    return CheckResult(source_file, "extraction", True, False, None, None, error)
