"""Checks for a by-ESP or by-country document (typed records plus its printed total).

The one that matters most: the rows add up to the total NCMEC printed. `extract` already
refuses a document whose total row it cannot find, so a renamed total row fails loudly here
instead of passing an empty comparison.
"""

from __future__ import annotations

import csv
from collections import Counter
from functools import lru_cache
from importlib import resources

from pipeline.validate import CheckResult


@lru_cache(maxsize=1)
def expected_row_counts() -> dict[tuple[str, int], int]:
    text = resources.files("pipeline.data").joinpath("expected_rows.csv").read_text(encoding="utf-8")
    return {(r["family"], int(r["year"])): int(r["rows"]) for r in csv.DictReader(text.splitlines())}


def check_total_reconciles(records, printed_total: int | None, total_page: int, source_file: str) -> CheckResult:
    parts = sum(r["reports"] for r in records if r["reports"] is not None)
    if printed_total is None:
        return CheckResult(source_file, "total_reconciles", True, False, None, str(parts),
                           f"{source_file}, page {total_page}: the total row prints no number", page=total_page)
    passed = parts == printed_total
    message = (
        f"{source_file}: {len(records)} rows sum to {parts:,}, the total printed on page {total_page} is {printed_total:,}"
        + ("" if passed else f" (difference {parts - printed_total:+,})")
    )
    return CheckResult(source_file, "total_reconciles", True, passed, str(printed_total), str(parts), message,
                       page=total_page)


def check_names_present(records, name_column: str, source_file: str) -> CheckResult:
    empty = [r for r in records if not r[name_column]]
    pages = sorted({r["page"] for r in empty})
    return CheckResult(source_file, "names_present", True, not empty, "0", str(len(empty)),
                       "every row has a name" if not empty else f"{len(empty)} row(s) without a name on pages {pages}")


def check_counts_non_negative(records, source_file: str) -> CheckResult:
    negative = [r for r in records if r["reports"] is not None and r["reports"] < 0]
    return CheckResult(source_file, "counts_non_negative", True, not negative, "0", str(len(negative)),
                       "no negative counts" if not negative else f"{len(negative)} negative count(s)")


def check_row_count(records, family: str, year: int, source_file: str) -> CheckResult:
    """Rows per edition against `expected_rows.csv` (reviewed with git diff). An edition without
    an expectation passes with a note: the total check still guards it."""
    expected = expected_row_counts().get((family, year))
    if expected is None:
        return CheckResult(source_file, "row_count", False, True, None, str(len(records)),
                           f"no expected row count recorded for {family} {year}; {len(records)} rows read")
    passed = expected == len(records)
    return CheckResult(source_file, "row_count", True, passed, str(expected), str(len(records)),
                       f"expected {expected} rows for {family} {year} (pipeline/data/expected_rows.csv), read {len(records)}")


def check_duplicate_keys(records, key_column: str, source_file: str) -> CheckResult:
    """Advisory: two printed rows for one key (e.g. 'French Guiana' and 'Guiana, French')."""
    counts = Counter(r[key_column] for r in records if r[key_column])
    duplicates = sorted(k for k, n in counts.items() if n > 1)
    detail = "; ".join(
        f"{k}: " + " / ".join(f"{r[_name_column(r)]!r} p{r['page']}" for r in records if r[key_column] == k)
        for k in duplicates
    )
    return CheckResult(source_file, f"duplicate_{key_column}", False, not duplicates, "0", str(len(duplicates)),
                       detail or f"every {key_column} appears once")


def check_countries_mapped(records, source_file: str) -> CheckResult:
    """Advisory: printed country names that neither the alias file nor pycountry knows."""
    unmapped = [r for r in records if r["iso3_status"] == "unmapped"]
    names = ", ".join(f"{r['country']!r} (page {r['page']})" for r in unmapped)
    return CheckResult(source_file, "countries_mapped", False, not unmapped, "0", str(len(unmapped)),
                       f"no ISO code for {names}; add them to pipeline/data/country_aliases.csv" if unmapped
                       else "every country name has an ISO code or a reviewed status")


def _name_column(record) -> str:
    return "esp" if "esp" in record else "country"


def check_list_document(records, *, family: str, year: int, printed_total: int | None, total_page: int,
                        source_file: str) -> list[CheckResult]:
    name_column = "esp" if family == "reports_by_esp" else "country"
    key_column = "esp_key" if family == "reports_by_esp" else "iso3"
    results = [
        check_total_reconciles(records, printed_total, total_page, source_file),
        check_names_present(records, name_column, source_file),
        check_counts_non_negative(records, source_file),
        check_row_count(records, family, year, source_file),
        check_duplicate_keys(records, key_column, source_file),
    ]
    if family == "reports_by_country":
        results.append(check_countries_mapped(records, source_file))
    return results
