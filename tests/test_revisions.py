"""Revisions between OJJDP editions, on tiny DataFrames (and once on the real corpus)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
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
    return ojjdp_revisions(pd.DataFrame([c for group in cells for c in group]))


def test_identical_editions_have_no_revisions():
    result = revisions(edition(2022, {}), edition(2023, {}))
    assert list(result.columns) == COLUMNS
    assert result.empty


def test_revised_value_and_percent():
    result = revisions(edition(2022, {("total", 2021): 5}), edition(2023, {("pct", 2022): Decimal("4.2")}))
    assert result[["table_id", "year", "measure", "old_value", "new_value", "old_percent", "new_percent",
                   "change"]].values.tolist() == [
        ["reports_by_submitter", 2021, "reports", 5, 202100, None, None, "revised"],
        ["reports_by_user_location", 2022, "percent", pd.NA, pd.NA, Decimal("4.1"), Decimal("4.2"), "revised"],
    ]
    assert result[["old_edition", "new_edition", "old_page", "new_page"]].values.tolist() == \
        [[2022, 2023, 4, 4], [2022, 2023, 4, 4]]


def test_same_percent_printed_with_fewer_decimals_is_not_a_revision():
    result = revisions(edition(2022, {("pct", 2022): Decimal("6")}), edition(2023, {("pct", 2022): Decimal("6.0")}))
    assert result.empty


def test_dash_replaced_by_a_number_is_a_revision():
    result = revisions(edition(2022, {("total", 2022): None}), edition(2023, {}))
    assert result[["year", "old_value", "new_value", "change"]].values.tolist() == [[2022, pd.NA, 202200, "revised"]]


def test_rows_in_one_edition_only_for_years_both_cover():
    dod_old = [cell(2022, "cvip_le_submissions", "Total Military Agencies", "CY 2021 | Reviews", 2021, "reviews", 9)]
    dod_new = [cell(2023, "cvip_le_submissions", "Total Military Agencies", "CY 2021 | Reviews", 2021, "reviews", 9),
               cell(2023, "cvip_le_submissions", "Department of Defense", "CY 2021 | Reviews", 2021, "reviews", 0),
               cell(2023, "cvip_le_submissions", "Department of Defense", "CY 2023 | Reviews", 2023, "reviews", 1)]
    dropped = [cell(2022, "cvip_le_submissions", "Retired Agency", "CY 2022 | Reviews", 2022, "reviews", 3),
               cell(2022, "cvip_le_submissions", "Retired Agency", "CY 2020 | Reviews", 2020, "reviews", 3)]
    result = revisions(edition(2022, {}, extra=dod_old + dropped), edition(2023, {}, extra=dod_new))
    shown = result[["row_label", "year", "old_value", "new_value", "old_page", "new_page", "change"]]
    assert shown.values.tolist() == [
        ["Department of Defense", 2021, pd.NA, 0, pd.NA, 4, "only_in_new"],
        ["Retired Agency", 2022, 3, pd.NA, 4, pd.NA, "only_in_old"],
    ]


def test_labels_match_ignoring_punctuation_and_spacing():
    """2022 prints "(based on MD5 hash" over the CY 2022 column that 2023 prints "(based on MD5 hash)"."""
    old = [cell(2022, "cvip_unique_by_relationship_type", "Aunt", "CY 2022 | Unique Images/ Videos (based on MD5 hash",
                2022, "unique", 1905)]
    new = [cell(2023, "cvip_unique_by_relationship_type", "Aunt", "CY 2022 | Unique Images/Videos (based on MD5 hash)",
                2022, "unique", 1906)]
    result = revisions(edition(2022, {}, extra=old), edition(2023, {}, extra=new))
    assert result[["column_label", "old_value", "new_value", "change"]].values.tolist() == [
        ["CY 2022 | Unique Images/Videos (based on MD5 hash)", 1905, 1906, "revised"]]


def test_three_editions_compare_each_with_the_next_in_a_fixed_order():
    result = revisions(edition(2024, {("total", 2023): 1}), edition(2022, {}), edition(2023, {("total", 2022): 7}))
    assert result[["old_edition", "new_edition", "year", "change"]].values.tolist() == [
        [2022, 2023, 2022, "revised"], [2023, 2024, 2022, "revised"], [2023, 2024, 2023, "revised"]]
    again = revisions(edition(2023, {("total", 2022): 7}), edition(2024, {("total", 2023): 1}), edition(2022, {}))
    pd.testing.assert_frame_equal(result, again)


def test_duplicate_cell_in_an_edition_is_refused():
    twice = [cell(2022, "files_by_type", "Images", "CY 2021", 2021, "files", 1)] * 2
    with pytest.raises(ValueError, match="edition 2022"):
        revisions(edition(2022, {}, extra=twice), edition(2023, {}))


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="missing .*page"):
        row = cell(2022, "t", "r", "c", 2021, "m", 1)
        ojjdp_revisions(pd.DataFrame([{k: v for k, v in row.items() if k != "page"}]))


def test_real_editions(corpus_dir):
    """The 2022 and 2023 editions reprint CY 2021 and CY 2022 without changing a number; only a
    relabelled row (Unknown -> Unknown Location) and a new row (Department of Defense) differ."""
    from pipeline.extract.ojjdp import extract_ojjdp

    cells = extract_ojjdp(corpus_dir / "OJJDP-NCMEC-Transparency_2022-Calendar-Year.pdf", edition=2022).cells + \
        extract_ojjdp(corpus_dir / "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf", edition=2023).cells
    result = ojjdp_revisions(pd.DataFrame(cells))
    assert (result.change == "revised").sum() == 0
    assert sorted(result.groupby(["row_label", "change"]).size().items()) == [
        (("Department of Defense", "only_in_new"), 4), (("Unknown", "only_in_old"), 4),
        (("Unknown Location", "only_in_new"), 4)]
