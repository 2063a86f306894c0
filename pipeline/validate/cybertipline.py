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


def check_total_reconciles(records, printed_total: int | None, total_page: int, source_file: str,
                           column: str = "reports") -> CheckResult:
    """A count column's rows add up to the total row's number in that column (blocking): the
    guard against a row read twice, dropped, or given another row's count."""
    name = "total_reconciles" if column == "reports" else f"{column}_total_reconciles"
    label = "" if column == "reports" else f" {column}"
    parts = sum(r[column] for r in records if r[column] is not None)
    if printed_total is None:
        return CheckResult(source_file, name, True, False, None, str(parts),
                           f"{source_file}, page {total_page}: the total row prints no{label} number", page=total_page)
    passed = parts == printed_total
    message = (
        f"{source_file}: {len(records)} rows{label} sum to {parts:,}, the{label} total printed on page {total_page}"
        f" is {printed_total:,}"
        + ("" if passed else f" (difference {parts - printed_total:+,})")
    )
    return CheckResult(source_file, name, True, passed, str(printed_total), str(parts), message,
                       page=total_page)


def check_parts_add_up(records, total: dict, total_page: int, source_file: str) -> CheckResult:
    """Where an edition prints referrals, informational and a total, each row's parts add up to
    its printed total (blocking). Column totals alone cannot see two rows' counts swapped within
    one column; this can, and it sees a count read under the wrong column."""
    rows = [*records, {**total, "page": total_page, "_name": "the total row"}]
    off = [r for r in rows if None not in (r["referrals"], r["informational"], r["reports"])
           and r["referrals"] + r["informational"] != r["reports"]]
    if not off:
        return CheckResult(source_file, "parts_add_up", True, True, "0", "0",
                           f"{source_file}: on every row referrals + informational = the printed total")
    shown = "; ".join(f"{r.get('_name') or r.get('esp') or r.get('country')!r} p{r['page']}:"
                      f" {r['referrals']:,} + {r['informational']:,} = {r['referrals'] + r['informational']:,},"
                      f" printed {r['reports']:,}" for r in off[:3])
    return CheckResult(source_file, "parts_add_up", True, False, "0", str(len(off)),
                       f"{source_file}: {len(off)} row(s) whose referrals + informational differ from the printed"
                       f" total: {shown}", page=off[0]["page"])


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


def check_list_document(records, *, family: str, year: int, printed_total: dict, total_page: int,
                        source_file: str, name_column: str, key_column: str,
                        roles: tuple[str, ...] = ("reports",)) -> list[CheckResult]:
    """The checks every list document gets. `printed_total` holds the total row's counts by role
    (`normalize.list_counts`); `roles` are the count columns the edition prints; `name_column`
    and `key_column` are the family's printed name and the key that groups its rows (a family
    adds its own checks after these: `pipeline.families`)."""
    return [
        check_total_reconciles(records, printed_total["reports"], total_page, source_file),
        *(check_total_reconciles(records, printed_total[role], total_page, source_file, role)
          for role in ("referrals", "informational") if role in roles),
        *([check_parts_add_up(records, printed_total, total_page, source_file)]
          if {"referrals", "informational", "reports"} <= set(roles) else []),
        check_names_present(records, name_column, source_file),
        check_counts_non_negative(records, source_file),
        check_row_count(records, family, year, source_file),
        check_duplicate_keys(records, key_column, source_file),
    ]
