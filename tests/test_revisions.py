"""Revisions between OJJDP editions, on tiny editions (and once on the real corpus)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.revisions import COLUMNS, ojjdp_revisions


def cell(edition, table_id, row, column, year, measure, value=None, *, percent=None, page=4):
    return {"edition": edition, "table_id": table_id, "row_label": row, "footnote": None, "column_label": column,
            "year": year, "measure": measure, "value": value, "percent": percent, "value_text": "x", "page": page}


def edition(ed, values, *, extra=()):
    """A small edition: a three-year submitter table and a location table with percents, plus
    Appendix A back to 1998 (which must not widen the years compared for only_in_*)."""
    years = range(ed - 2, ed + 1)
    cells = [cell(ed, "reports_by_submitter", "Total CyberTipline Reports", f"CY {y}", y, "reports",
                  values.get(("total", y), 100 * y)) for y in years]
    cells += [cell(ed, "reports_by_user_location", "U.S.", f"CY {y}", y, "percent",
                   percent=values.get(("pct", y), Decimal("4.1"))) for y in years]
    cells += [cell(ed, "appendix_a_reports_per_year", f"CY{y}", "Total Number", y, "reports", y, page=20)
              for y in range(1998, ed + 1)]
    return cells + list(extra)


def revisions(*cells):
    return ojjdp_revisions([c for group in cells for c in group])


def shown(rows: list[dict], columns: list[str]) -> list[list]:
    return [[row[c] for c in columns] for row in rows]


def test_identical_editions_have_no_revisions():
    assert revisions(edition(2022, {}), edition(2023, {})) == []


def test_revised_value_and_percent():
    result = revisions(edition(2022, {("total", 2021): 5}), edition(2023, {("pct", 2022): Decimal("4.2")}))
    assert all(list(row) == COLUMNS for row in result)
    assert shown(result, ["table_id", "year", "measure", "old_value", "new_value", "old_percent", "new_percent",
                          "change"]) == [
        ["reports_by_submitter", 2021, "reports", 5, 202100, None, None, "revised"],
        ["reports_by_user_location", 2022, "percent", None, None, Decimal("4.1"), Decimal("4.2"), "revised"],
    ]
    assert shown(result, ["old_edition", "new_edition", "old_page", "new_page"]) == [[2022, 2023, 4, 4]] * 2


def test_same_percent_printed_with_fewer_decimals_is_not_a_revision():
    assert revisions(edition(2022, {("pct", 2022): Decimal("6")}), edition(2023, {("pct", 2022): Decimal("6.0")})) == []


def test_dash_replaced_by_a_number_is_a_revision():
    result = revisions(edition(2022, {("total", 2022): None}), edition(2023, {}))
    assert shown(result, ["year", "old_value", "new_value", "change"]) == [[2022, None, 202200, "revised"]]


def test_rows_in_one_edition_only_for_years_both_cover():
    dod_old = [cell(2022, "cvip_le_submissions", "Total Military Agencies", "CY 2021 | Reviews", 2021, "reviews", 9)]
    dod_new = [cell(2023, "cvip_le_submissions", "Total Military Agencies", "CY 2021 | Reviews", 2021, "reviews", 9),
               cell(2023, "cvip_le_submissions", "Department of Defense", "CY 2021 | Reviews", 2021, "reviews", 0),
               cell(2023, "cvip_le_submissions", "Department of Defense", "CY 2023 | Reviews", 2023, "reviews", 1)]
    dropped = [cell(2022, "cvip_le_submissions", "Retired Agency", "CY 2022 | Reviews", 2022, "reviews", 3),
               cell(2022, "cvip_le_submissions", "Retired Agency", "CY 2020 | Reviews", 2020, "reviews", 3)]
    result = revisions(edition(2022, {}, extra=dod_old + dropped), edition(2023, {}, extra=dod_new))
    assert shown(result, ["row_label", "year", "old_value", "new_value", "old_page", "new_page", "change"]) == [
        ["Department of Defense", 2021, None, 0, None, 4, "only_in_new"],
        ["Retired Agency", 2022, 3, None, 4, None, "only_in_old"],
    ]


def test_labels_match_ignoring_punctuation_and_spacing():
    """2022 prints "(based on MD5 hash" over the CY 2022 column that 2023 prints "(based on MD5 hash)"."""
    old = [cell(2022, "cvip_unique_by_relationship_type", "Aunt", "CY 2022 | Unique Images/ Videos (based on MD5 hash",
                2022, "unique", 1905)]
    new = [cell(2023, "cvip_unique_by_relationship_type", "Aunt", "CY 2022 | Unique Images/Videos (based on MD5 hash)",
                2022, "unique", 1906)]
    result = revisions(edition(2022, {}, extra=old), edition(2023, {}, extra=new))
    assert shown(result, ["column_label", "old_value", "new_value", "change"]) == [
        ["CY 2022 | Unique Images/Videos (based on MD5 hash)", 1905, 1906, "revised"]]


def test_three_editions_compare_each_with_the_next_in_a_fixed_order():
    result = revisions(edition(2024, {("total", 2023): 1}), edition(2022, {}), edition(2023, {("total", 2022): 7}))
    assert shown(result, ["old_edition", "new_edition", "year", "change"]) == [
        [2022, 2023, 2022, "revised"], [2023, 2024, 2022, "revised"], [2023, 2024, 2023, "revised"]]
    again = revisions(edition(2023, {("total", 2022): 7}), edition(2024, {("total", 2023): 1}), edition(2022, {}))
    assert again == result


def test_duplicate_cell_in_an_edition_is_refused():
    twice = [cell(2022, "files_by_type", "Images", "CY 2021", 2021, "files", 1)] * 2
    with pytest.raises(ValueError, match="edition 2022"):
        revisions(edition(2022, {}, extra=twice), edition(2023, {}))


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="missing .*page"):
        row = cell(2022, "t", "r", "c", 2021, "m", 1)
        ojjdp_revisions([{k: v for k, v in row.items() if k != "page"}])


def test_real_editions(corpus_dir):
    """The 2022 and 2023 editions reprint CY 2021 and CY 2022 without changing a number; only a
    relabelled row (Unknown -> Unknown Location) and a new row (Department of Defense) differ."""
    from pipeline.extract.ojjdp import extract_ojjdp

    cells = extract_ojjdp(corpus_dir / "OJJDP-NCMEC-Transparency_2022-Calendar-Year.pdf", edition=2022).cells + \
        extract_ojjdp(corpus_dir / "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf", edition=2023).cells
    from collections import Counter

    result = ojjdp_revisions(cells)
    assert sum(row["change"] == "revised" for row in result) == 0
    assert sorted(Counter((row["row_label"], row["change"]) for row in result).items()) == [
        (("Department of Defense", "only_in_new"), 4), (("Unknown", "only_in_old"), 4),
        (("Unknown Location", "only_in_new"), 4)]
