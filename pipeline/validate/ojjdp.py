"""Checks for one OJJDP-NCMEC Transparency edition: NCMEC's printed figures against each other.

Most tables print a total with its parts, or print the same figure as another table or another
document (the by-ESP and by-country PDFs, Appendix A). Each relation of
pipeline/data/ojjdp_relations.toml (`pipeline.validate.ojjdp_relations`) says which cells are
the total and which the parts, matched on printed labels; the relations are advisory
(`blocking=False`): when NCMEC's own figures disagree, the result is `passed=False,
in_source=True` with both numbers, a finding for auditors, not a pipeline failure.

A relation that cannot be evaluated because a cell it needs is missing means the extractor
(or a relabelled table) broke: that is a failed blocking check. A relation that finds no total
at all fails the same way, so a renamed total row can never pass by comparing nothing. So does a
table the rules file expects in the edition (its `editions` column) and the extractor did not
read: a table set in a way the reader does not find (neither a drawn grid nor borders or columns
aligned under year labels) is invisible to it, and most tables are in no relation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from pipeline.validate import CheckResult
from pipeline.validate.ojjdp_relations import RELATIONS_FILE, Relation, Relations, Select, load_relations

if TYPE_CHECKING:
    from pipeline.ojjdp_rules import TableRule


def _fmt(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _where(cell: dict) -> str:
    row = f", row {cell['row_label']!r}" if cell["row_label"] else ""
    column = f", column {cell['column_label']!r}" if cell["column_label"] else ""
    year = f", CY {cell['year']}" if cell["year"] is not None else ""
    return f"{cell['table_id']}{row}{column}{year} ({cell['measure']}), page {cell['page']}"


def _counts(cells: list[dict]) -> list[dict]:
    return [c for c in cells if c["measure"] != "percent"]


def check_relation(cells: list[dict], relation: Relation, *, source_file: str, check: str = "ojjdp_parts_sum") \
        -> list[CheckResult]:
    """One result per printed total: its parts add up to it (advisory), or a needed cell is
    missing (blocking)."""
    # Only the relation's tables can match (`Select.matches` compares the table first).
    tables = {relation.total.table_id, *(select.table_id for select in relation.parts)}
    counts = [c for c in _counts(cells) if c["table_id"] in tables]
    totals = [c for c in counts if relation.total.matches(c)]
    # Each part's candidates once, not once per total: the tables are small, the relations many.
    candidates = {select: [c for c in counts if select.matches(c)] for select in relation.parts}
    if not totals:
        return [CheckResult(
            source_file, f"{check}:{relation.name}", True, False, None, None,
            f"{source_file}: expected a total in {relation.total.table_id} with {relation.total.field} matching"
            f" {relation.total.pattern!r} ({relation.why}), found none: the table is missing or was relabelled",
        )]
    results = []
    for total in totals:
        key = tuple(total[f] for f in relation.match_on)
        parts: list[tuple[Select, dict]] = []
        problem = None
        for select in relation.parts:
            found = [c for c in candidates[select] if tuple(c[f] for f in relation.match_on) == key
                     and c is not total]
            if not found and not select.optional:
                problem = f"no cell in {select.table_id} with {select.field} matching {select.pattern!r}"
                break
            if len(found) > 1 and not select.every:
                problem = f"{len(found)} cells in {select.table_id} match {select.pattern!r}"
                break
            parts.extend((select, c) for c in found)
        if problem:
            results.append(CheckResult(
                source_file, f"{check}:{relation.name}", True, False, None, None,
                f"{source_file}: {_where(total)}: cannot check {relation.why}: {problem}"
                f" for {dict(zip(relation.match_on, key))}; the extractor missed a cell or a label changed",
                page=total["page"],
            ))
            continue
        results.append(_compare(total, parts, relation, source_file=source_file, check=check))
    return results


def _compare(total: dict, parts: list[tuple[Select, dict]], relation: Relation, *, source_file: str,
             check: str) -> CheckResult:
    name = f"{check}:{relation.name}"
    dashes = [c for c in [c for _, c in parts] + [total] if c["value"] is None]
    if dashes:
        return CheckResult(
            source_file, name, False, False, None, None,
            f"{source_file}: {_where(total)}: not compared ({relation.why}): NCMEC printed '-' for"
            f" {'; '.join(_where(c) for c in dashes)}", page=total["page"],
        )
    summed = sum(c["value"] for _, c in parts)
    passed = summed >= total["value"] if relation.at_least else summed == total["value"]
    if len(parts) > 6:
        terms = f"{len(parts)} {parts[0][1]['table_id']} rows (page {parts[0][1]['page']})"
    else:
        terms = " + ".join(f"{_part_name(select, c, relation)} {_fmt(c['value'])}" for select, c in parts)
    message = (
        f"{source_file}: {_where(total)}: {relation.why}: {terms} = {_fmt(summed)}; printed {_fmt(total['value'])}"
        + ("" if passed else f" (difference {summed - total['value']:+,})")
    )
    expected = f">= {total['value']}" if relation.at_least else str(total["value"])
    return CheckResult(source_file, name, False, passed, expected, str(summed), message,
                       in_source=not passed, page=total["page"])


def _part_name(select: Select, cell: dict, relation: Relation) -> str:
    name = str(cell[select.field])
    if cell["table_id"] != relation.total.table_id:
        return f"{cell['table_id']} {name!r} (page {cell['page']})"
    return name


PLACED_CHECK_NAMES = {"row_label": "ojjdp_rows_placed", "column_label": "ojjdp_columns_placed",
                      "measure": "ojjdp_measures_placed"}


def placed_labels(relations: Relations) -> dict[tuple[str, str], list[str]]:
    """(table_id, field) -> the label patterns the sum relations give a place in that table: the
    total and parts of every relation whose cells all lie in one table and are selected by one
    field, plus the labels the relations file names standalone."""
    placed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for relation in relations.sums:
        selects = (relation.total, *relation.parts)
        if len({(s.table_id, s.field) for s in selects}) == 1:
            placed[(relation.total.table_id, relation.total.field)].extend(s.pattern for s in selects)
    for select in relations.standalone:
        placed[(select.table_id, select.field)].append(select.pattern)
    return dict(placed)


def check_labels_placed(cells: list[dict], *, source_file: str, relations: Relations | None = None) \
        -> list[CheckResult]:
    """Blocking: in every table a sum relation covers label by label, each printed row (column,
    measure) label is that relation's total or one of its parts. A row or column a new edition
    adds (an age group, a location, an agency) would otherwise make the printed total look wrong
    and be reported as NCMEC's disagreement (`in_source`) instead of a label to place."""
    results = []
    for (table_id, field_name), patterns in sorted(placed_labels(relations or load_relations()).items()):
        labels = sorted({c[field_name] for c in cells if c["table_id"] == table_id and c[field_name]
                         and c["measure"] != "percent"})
        unplaced = [lab for lab in labels if not any(re.fullmatch(p, lab, re.IGNORECASE) for p in patterns)]
        kind = field_name.replace("_label", "")
        results.append(CheckResult(
            source_file, f"{PLACED_CHECK_NAMES[field_name]}:{table_id}", True, not unplaced, "0", str(len(unplaced)),
            f"{source_file}: every {kind} of {table_id} is a total or a part in a sum relation" if not unplaced else
            f"{source_file}: {table_id} {kind}s in no sum relation: {', '.join(map(repr, unplaced))};"
            f" place them in a relation (or [[standalone]]) of {RELATIONS_FILE}",
            page=None if not unplaced else min(c["page"] for c in cells if c["table_id"] == table_id
                                               and c[field_name] in unplaced),
        ))
    return results


def check_percents(cells: list[dict], *, source_file: str) -> list[CheckResult]:
    """Each printed percent of reports_by_user_location is its count over the year's total,
    rounded to the table's precision: the most decimals any of its percents prints. A whole
    percent is read at that precision, so "6%" for 5.99% passes (6.0 with the zero dropped)
    while "4%" for 4.06% does not (one decimal would print 4.1%). The year's percents add up
    to 100 at that precision too."""
    table = [c for c in cells if c["table_id"] == "reports_by_user_location"]
    percents = [c for c in table if c["measure"] == "percent" and c["percent"] is not None]
    if not percents:
        return []
    decimals = max(-c["percent"].as_tuple().exponent for c in percents)
    places = Decimal(1).scaleb(-decimals)
    counts: dict[tuple, list[dict]] = defaultdict(list)
    totals: dict[int, list[dict]] = defaultdict(list)
    for c in table:
        if c["measure"] != "percent":
            counts[(c["row_label"], c["year"])].append(c)
            if re.fullmatch(r"Total", c["row_label"] or "", re.IGNORECASE):
                totals[c["year"]].append(c)
    name = "ojjdp_percent_of_total:reports_by_user_location"
    results = []
    for percent in percents:
        found, of_total = counts.get((percent["row_label"], percent["year"]), []), totals.get(percent["year"], [])
        several = [cells for cells in (found, of_total) if len(cells) > 1]
        if several:
            # Two count columns for one year (a new sub-column): which count a percent is of, and
            # which total it is over, cannot be told from row and year.
            results.append(CheckResult(
                source_file, name, True, False, "1", str(len(several[0])),
                f"{source_file}: {_where(percent)}: expected one count and one total beside the printed"
                f" percent, found {len(several[0])}: {'; '.join(_where(c) for c in several[0])}",
                page=percent["page"]))
            continue
        count, total = (found or [None])[0], (of_total or [None])[0]
        if count is None or total is None or count["value"] is None or total["value"] in (None, 0):
            results.append(CheckResult(
                source_file, name, True, False, None, None,
                f"{source_file}: {_where(percent)}: expected the row's count and the year's total beside the"
                " printed percent, found none", page=percent["page"]))
            continue
        computed = (Decimal(count["value"]) * 100 / Decimal(total["value"])).quantize(places, ROUND_HALF_UP)
        passed = computed == percent["percent"].quantize(places)
        results.append(CheckResult(
            source_file, name, False, passed, str(percent["percent"]), str(computed),
            f"{source_file}: {_where(percent)}: printed {percent['value_text']}; {_fmt(count['value'])} of"
            f" {_fmt(total['value'])} is {computed}% at the {decimals} decimal(s) the table prints",
            in_source=not passed, page=percent["page"]))
    for year in sorted({c["year"] for c in percents if c["year"] is not None}):
        of_year = [c for c in percents if c["year"] == year]
        summed = sum(c["percent"] for c in of_year)
        passed = summed.quantize(places) == Decimal(100).quantize(places)
        results.append(CheckResult(
            source_file, "ojjdp_percents_sum_to_100:reports_by_user_location", False, passed, "100", str(summed),
            f"{source_file}: reports_by_user_location, CY {year}, page {of_year[0]['page']}: printed percents"
            f" {' + '.join(c['value_text'] for c in of_year)} = {summed}%", in_source=not passed,
            page=of_year[0]["page"]))
    return results


def check_unique_within_total(cells: list[dict], *, source_file: str) -> list[CheckResult]:
    """Unique files (by MD5) in a CVIP row cannot exceed that row's files in all."""
    pairs: dict[tuple, dict[str, dict]] = defaultdict(dict)
    results = []
    for c in cells:
        if c["table_id"].startswith("cvip_") and c["measure"] in ("unique", "total") and c["value"] is not None:
            pair = pairs[(c["table_id"], c["row_label"], c["year"])]
            if c["measure"] in pair:  # two unique (or total) columns for one year: which pairs up?
                results.append(CheckResult(
                    source_file, "ojjdp_unique_within_total", True, False, "1", "2",
                    f"{source_file}: {_where(c)}: expected one {c['measure']} count per row and year to compare,"
                    f" found another in column {pair[c['measure']]['column_label']!r}", page=c["page"]))
                continue
            pair[c["measure"]] = c
    for key in sorted(pairs, key=lambda k: (k[0], str(k[1]), k[2] or 0)):
        pair = pairs[key]
        if set(pair) != {"unique", "total"}:
            continue
        unique, total = pair["unique"], pair["total"]
        passed = unique["value"] <= total["value"]
        if not passed:
            results.append(CheckResult(
                source_file, "ojjdp_unique_within_total", False, False, f"<= {total['value']}", str(unique["value"]),
                f"{source_file}: {_where(unique)}: unique {_fmt(unique['value'])} exceeds the row's total"
                f" {_fmt(total['value'])}", in_source=True, page=unique["page"]))
    if not results:
        results.append(CheckResult(source_file, "ojjdp_unique_within_total", False, True, None, None,
                                   f"{source_file}: every CVIP unique count is within its total"))
    return results


def check_external_totals(cells: list[dict], printed: dict[int, int], *, row_pattern: str, document: str,
                          source_file: str) -> list[CheckResult]:
    """A reports_by_submitter row against the total another NCMEC document printed for the same
    year. Years the other document does not cover (absent from `printed`) get no check."""
    rows = [c for c in _counts(cells) if c["table_id"] == "reports_by_submitter"]
    years = sorted({c["year"] for c in rows if c["year"] is not None})
    name = f"ojjdp_matches_{document.replace(' ', '_').lower()}"
    results = []
    for year in years:
        if year not in printed:
            continue
        found = [c for c in rows if c["year"] == year and re.fullmatch(row_pattern, c["row_label"] or "", re.I)]
        if len(found) != 1:
            results.append(CheckResult(
                source_file, name, True, False, str(printed[year]), None,
                f"{source_file}: expected one reports_by_submitter row matching {row_pattern!r} for CY {year},"
                f" found {len(found)}; cannot compare with the {document} total"))
            continue
        cell = found[0]
        passed = cell["value"] == printed[year]
        results.append(CheckResult(
            source_file, name, False, passed, str(printed[year]), str(cell["value"]),
            f"{source_file}: {_where(cell)}: printed {_fmt(cell['value'])}; the {year} {document} PDF prints a"
            f" total of {_fmt(printed[year])}"
            + ("" if passed else f" (difference {(cell['value'] or 0) - printed[year]:+,})"),
            in_source=not passed, page=cell["page"]))
    return results


def check_tables_expected(cells: list[dict], *, edition: int, source_file: str,
                          page_texts: list[str] | None = None, rules: list[TableRule] | None = None) \
        -> list[CheckResult]:
    """Blocking: every table the rules file expects in this edition (its `editions` range) has
    numbers among the cells. A table the extractor does not find (no border grid, and no borders
    or year labels it derives a grid from) would be missing without an error; with the edition's
    `page_texts` the message names the page whose text matches the table's caption pattern."""
    from pipeline.ojjdp_rules import load_table_rules

    read = {c["table_id"] for c in cells}
    unknown = sorted({(c["page"], c["table_id"]) for c in cells if c["table_id"].startswith("unknown_")})
    unrecognised = (" tables no rule recognises were read: " + ", ".join(f"{t} (page {p})" for p, t in unknown)
                    + " (if one of them is it, NCMEC reworded its title: widen the rule's pattern);") if unknown else ""
    results = []
    for rule in rules if rules is not None else load_table_rules():
        if not rule.expected_in(edition):
            continue
        name = f"ojjdp_table_found:{rule.table_id}"
        if rule.table_id in read:
            results.append(CheckResult(source_file, name, True, True, "found", "found",
                                       f"{source_file}: {rule.table_id} read"))
            continue
        pages = caption_pages(rule.pattern, page_texts or [])
        seen = (f" its caption pattern {rule.pattern.pattern!r} appears in the text of page {pages[0]}, but no"
                f" bordered table was read there (drawn without borders, or as an image?);" if pages else "")
        closed = (f"to {rule.first_edition}-{edition - 1}" if edition > rule.first_edition
                  else "by removing the rule, which names this edition its first")
        results.append(CheckResult(
            source_file, name, True, False, "found", "missing",
            f"{source_file}: expected the table {rule.table_id} ({rule.description[:80]}) in the CY {edition}"
            f" edition, since pipeline/data/ojjdp_tables.csv says editions {rule.editions_text} print it;"
            f" found none of its numbers;{seen}{unrecognised} if NCMEC dropped the table, close the rule's editions range"
            f" ({closed})", page=pages[0] if pages else None))
    return results


def caption_pages(pattern: re.Pattern, page_texts: list[str]) -> list[int]:
    """Pages (from 1) whose text, whitespace normalised, matches a table's caption pattern."""
    return [number for number, text in enumerate(page_texts, start=1) if pattern.search(" ".join(text.split()))]


def check_ojjdp(cells: list[dict], *, source_file: str, esp_totals: dict[int, int],
                country_totals: dict[int, int], edition: int | None = None,
                page_texts: list[str] | None = None, relations: Relations | None = None) -> list[CheckResult]:
    """Every check for one edition's cells, in a fixed order. The expected-tables check runs when
    the edition is known (given, or the one the cells carry). `relations`: those of
    pipeline/data/ojjdp_relations.toml unless given."""
    relations = relations or load_relations()
    results: list[CheckResult] = []
    editions = {c["edition"] for c in cells}
    if edition is None and len(editions) == 1:
        edition = editions.pop()
    if edition is not None:
        results.extend(check_tables_expected(cells, edition=edition, source_file=source_file,
                                             page_texts=page_texts))
    for relation in relations.sums:
        results.extend(check_relation(cells, relation, source_file=source_file))
    for relation in relations.same_figures:
        results.extend(check_relation(cells, relation, source_file=source_file, check="ojjdp_same_figure"))
    results.extend(check_labels_placed(cells, source_file=source_file, relations=relations))
    results.extend(check_percents(cells, source_file=source_file))
    results.extend(check_unique_within_total(cells, source_file=source_file))
    results.extend(check_external_totals(cells, esp_totals, row_pattern=r"ESP CyberTipline Reports",
                                         document="reports by ESP", source_file=source_file))
    results.extend(check_external_totals(cells, country_totals, row_pattern=r"Total CyberTipline Reports",
                                         document="reports by country", source_file=source_file))
    return results
