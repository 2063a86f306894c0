"""Which edition a PDF is, from what it prints: a file of the wrong edition never publishes.

A by-country PDF of 2020 saved under the 2021 name, or the OJJDP 2022 edition in the 2023 slot,
reads cleanly and reconciles with its own totals: only what the document prints says which
edition it is. The marks that identify an edition live in `pipeline/data/edition_marks.csv`
(reviewed like the other rules): a `title` mark is a pattern searched in the whitespace-joined
text of the first pages, capturing the year; a `table_years` mark says the newest year the
edition's tables cover is the edition. The page texts are those the extraction cached; the
check is pure and runs on every document before its rows are published.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pipeline.validate import CheckResult

CHECK = "edition_identity"


@dataclass(frozen=True)
class EditionMark:
    family: str
    mark: str  # title | table_years
    pattern: re.Pattern | None
    first_pages: int
    why: str


@lru_cache(maxsize=1)
def load_marks() -> tuple[EditionMark, ...]:
    text = resources.files("pipeline.data").joinpath("edition_marks.csv").read_text(encoding="utf-8")
    marks = []
    for line_no, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        if row["mark"] not in ("title", "table_years"):
            raise ValueError(f"edition_marks.csv line {line_no}: mark {row['mark']!r} is not title or table_years")
        pattern = re.compile(row["pattern"], re.IGNORECASE) if row["pattern"] else None
        if row["mark"] == "title" and (pattern is None or "year" not in pattern.groupindex):
            raise ValueError(f"edition_marks.csv line {line_no}: a title pattern must capture (?P<year>...)")
        marks.append(EditionMark(row["family"], row["mark"], pattern, int(row["first_pages"] or 0), row["why"]))
    return tuple(marks)


@dataclass(frozen=True)
class Printed:
    """An edition a document prints: family, year, and where it says so."""

    family: str
    year: int
    page: int | None
    text: str

    def __str__(self) -> str:
        where = f"page {self.page}: {self.text!r}" if self.page else self.text
        return f"{self.family} {self.year} ({where})"


def printed_titles(page_texts: list[str], marks=None) -> list[Printed]:
    """Every edition title of any family printed on the first pages (in page order)."""
    found = []
    for mark in marks or load_marks():
        if mark.mark != "title":
            continue
        for number, text in enumerate(page_texts[: mark.first_pages], start=1):
            match = mark.pattern.search(" ".join(text.split()))
            if match:
                found.append(Printed(mark.family, int(match["year"]), number, match.group(0)))
                break
    return sorted(found, key=lambda p: (p.page or 0, p.family))


def newest_table_year(family: str, cell_years: list[int | None]) -> Printed | None:
    """The edition a family's tables name by the newest year they cover (a `table_years` mark)."""
    years = [y for y in cell_years if y is not None]
    return Printed(family, max(years), None, f"its tables cover {min(years)}-{max(years)}") if years else None


def check_edition(family: str, year: int, source_file: str, page_texts: list[str] | None,
                  cell_years: list[int | None] | None = None, marks=None) -> CheckResult:
    """Blocking when the document prints another family or year than the manifest gives (its
    title, or for OJJDP the years its tables cover); advisory when it prints no title the marks
    know (nothing contradicts the manifest, nothing confirms it)."""
    marks = marks or load_marks()
    expected = f"{family} {year}"
    if page_texts is None:  # advisory: nothing printed contradicts the manifest
        return CheckResult(source_file, CHECK, False, False, expected, None,
                           f"{source_file}: expected {expected}; its page texts are not available to confirm it")
    titles = printed_titles(page_texts, marks)
    evidence = list(titles)
    if any(m.family == family and m.mark == "table_years" for m in marks):
        table = newest_table_year(family, cell_years or [])
        if table is not None:
            evidence.append(table)
    wrong = [p for p in evidence if (p.family, p.year) != (family, year)]
    own_title = any(p.family == family for p in titles)
    if not wrong and own_title:
        return CheckResult(source_file, CHECK, True, True, expected, expected,
                           f"{source_file}: prints {'; '.join(map(str, evidence))}")
    if not wrong:  # advisory: a title in a wording the marks do not know yet (a one-line CSV diff)
        return CheckResult(source_file, CHECK, False, False, expected, None,
                           f"{source_file}: expected {expected}; the document prints no title the marks in"
                           " pipeline/data/edition_marks.csv know on its first pages, so its edition is unconfirmed")
    actual = "; ".join(map(str, wrong))
    return CheckResult(source_file, CHECK, True, False, expected, actual,
                       f"{source_file}: the manifest says {expected}, the document prints {actual};"
                       f" not published as {expected}", page=next((p.page for p in wrong if p.page), None))
