"""The OJJDP extractor against synthetic PDFs of plausible CY 2024 layouts.

The next edition covers CY 2022-2024 with the same kinds of tables, but pages move, rows are added
or relabelled and a table may split across pages. Each test below draws one such variation the
way Word draws the real editions (every cell side a 0.48 pt filled rectangle with corner squares,
header cells shaded with thick rectangles, 11.04 pt text, footnote markers at 6.48 pt raised) and
asserts that it is read exactly or refused with an `ExtractionError` naming file, page, what was
expected and what was found. A wrong number (wrong row, column, year or measure) is the one
outcome none of them may produce.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fpdf import FPDF

from pipeline.extract import ExtractionError
from pipeline.extract.ojjdp import extract_ojjdp

BODY, NOTE = 11.04, 6.48  # text and footnote-marker sizes of both real editions
BORDER = 0.48
FEEDBACK = "Instances of Law Enforcement Feedback Relating to CyberTipline Reports"
RECIPIENTS = "Law Enforcement Recipients of CyberTipline Reports"
VICTIMS = "Identified Victims Added to NCMEC's CVIP Database of Victims Separated by Age and Gender in CY {}"
SUBMISSIONS = "Image/Video Reviews Submitted by Law Enforcement Agencies"


class Page:
    """One letter page of a synthetic edition; `table` draws a Word-like ruled table on it."""

    def __init__(self, pdf: FPDF):
        self.pdf = pdf
        pdf.add_page()

    def text(self, x: float, y: float, text: str) -> None:
        """Text at baseline y; "^9" after a word prints 9 as a raised footnote marker."""
        pdf = self.pdf
        for piece in re.split(r"(\^\d+)", text):
            if not piece:
                continue
            if piece.startswith("^"):
                pdf.set_font_size(NOTE)
                pdf.text(x, y - 4, piece[1:])
            else:
                pdf.set_font_size(BODY)
                pdf.text(x, y, piece)
            x += pdf.get_string_width(piece[1:] if piece.startswith("^") else piece)
        pdf.set_font_size(BODY)

    def _wrap(self, text: str, width: float) -> list[str]:
        """Lines as Word wraps them: at spaces, so that no line is wider than the cell."""
        lines = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split(" "):
                candidate = f"{line} {word}" if line else word
                if line and self.pdf.get_string_width(re.sub(r"\^\d+", "", candidate)) > width:
                    lines.append(line)
                    line = word
                else:
                    line = candidate
            lines.append(line)
        return lines

    def table(self, x: float, y: float, widths: list[float], rows: list[list], *,
              merges: tuple[tuple[int, int, int, int], ...] = (), header_rows: int = 1) -> float:
        """Rows of cell texts ("\\n" between lines; None under a merge); `merges` are
        (row, col, rowspan, colspan). Returns the y below the table."""
        pdf = self.pdf
        lines = [[self._wrap(cell or "", widths[c] - 8) for c, cell in enumerate(row)] for row in rows]
        heights = [max(len(c) for c in row) * 13.5 + 5 for row in lines]
        xs = [x + sum(widths[:i]) for i in range(len(widths) + 1)]
        ys = [y + sum(heights[:i]) for i in range(len(heights) + 1)]
        span = {}
        for r, c, rs, cs in merges:
            for i in range(r, r + rs):
                for j in range(c, c + cs):
                    span[(i, j)] = (r, c, rs, cs)
        boxes = []
        for r, row in enumerate(rows):
            for c in range(len(widths)):
                r0, c0, rs, cs = span.get((r, c), (r, c, 1, 1))
                if (r0, c0) == (r, c):
                    boxes.append((r, c, xs[c], ys[r], xs[c + cs], ys[r + rs]))
        for r, c, x0, top, x1, bottom in boxes:  # shading first, as Word does
            if r < header_rows:
                pdf.set_fill_color(200, 220, 240)
                pdf.rect(x0 + 0.5, top + 0.5, x1 - x0 - 1, bottom - top - 1, style="F")
        pdf.set_fill_color(0, 0, 0)
        for r, c, x0, top, x1, bottom in boxes:
            text_lines = lines[r][c]
            for i, line in enumerate(text_lines):
                if not line:
                    continue
                plain = re.sub(r"\^\d+", "", line)
                numeric = re.fullmatch(r"[\d,.%\-: A-Za-z]*\d[\d,.%]*", plain) and r >= header_rows
                tx = x1 - 4 - self.pdf.get_string_width(plain) if numeric else x0 + 4
                self.text(tx, top + 13 + 13.5 * i, line)
            half = BORDER / 2
            for (a, b) in ((x0, top), (x1, top), (x0, bottom), (x1, bottom)):  # corner squares
                pdf.rect(a - half, b - half, BORDER, BORDER, style="F")
            pdf.rect(x0 + half, top - half, x1 - x0 - BORDER, BORDER, style="F")
            pdf.rect(x0 + half, bottom - half, x1 - x0 - BORDER, BORDER, style="F")
            pdf.rect(x0 - half, top + half, BORDER, bottom - top - BORDER, style="F")
            pdf.rect(x1 - half, top + half, BORDER, bottom - top - BORDER, style="F")
        return ys[-1]


def edition(tmp_path, *pages, name="OJJDP-CY-2024.pdf"):
    """A PDF with one page per drawing function (each takes a `Page`)."""
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_font("helvetica", "", BODY)
    for draw in pages:
        draw(Page(pdf))
    path = tmp_path / name
    pdf.output(str(path))
    return path


def cells_of(result, table_id):
    return [(c["row_label"], c["column_label"], c["year"], c["measure"], c["value_text"], c["page"])
            for c in result.cells if c["table_id"] == table_id]


YEARS = ["CY 2022", "CY 2023", "CY 2024"]
FEEDBACK_ROWS = [["Internet Crimes Against Children\n(ICACs) Units", "204,517", "312,343", "350,001"],
                 ["Local Law Enforcement", "51", "27", "30"],
                 ["Federal Law Enforcement", "478", "465", "500"],
                 ["International Law Enforcement", "56,689", "76,683", "80,000"]]
WIDE = [200, 110, 110, 110]


def feedback_table(page: Page, y: float, rows, header=None, title=True) -> float:
    header = header or [""] + YEARS
    body = ([[FEEDBACK, None, None, None]] if title else []) + [header] + rows
    return page.table(72, y, WIDE, body, merges=((0, 0, 1, 4),) if title else (),
                      header_rows=2 if title else 1)


def expected_feedback(rows, years=(2022, 2023, 2024), page=1):
    return [(row[0].replace("\n", " "), f"CY {year}", year, "instances", text, page)
            for row in rows for year, text in zip(years, row[1:])]


# --- read exactly ---------------------------------------------------------------------------------

def test_baseline_cy2024_table_reads_exactly(tmp_path):
    """The unchanged layout with CY 2022-2024 columns: every number on its row, column and year."""
    result = extract_ojjdp(edition(tmp_path, lambda p: feedback_table(p, 100, FEEDBACK_ROWS)), edition=2024)
    assert cells_of(result, "le_feedback_instances") == expected_feedback(FEEDBACK_ROWS)


def test_table_split_across_pages_with_repeated_header(tmp_path):
    """Word's "repeat header rows": the title and year header printed again on the next page
    must continue the table, not become a second table (refused as a duplicate) or an unknown one."""
    first, second = FEEDBACK_ROWS[:2], FEEDBACK_ROWS[2:]
    path = edition(tmp_path, lambda p: (p.text(72, 60, "Prose."), feedback_table(p, 640, first)),
                   lambda p: feedback_table(p, 72, second))
    result = extract_ojjdp(path, edition=2024)
    assert [t["table_id"] for t in result.tables] == ["le_feedback_instances"]
    assert cells_of(result, "le_feedback_instances") == \
        expected_feedback(first, page=1) + expected_feedback(second, page=2)


def test_table_split_across_pages_without_repeated_header(tmp_path):
    """The rest of the table at the top of the next page, numbers first, same column borders."""
    first, second = FEEDBACK_ROWS[:3], FEEDBACK_ROWS[3:]
    path = edition(tmp_path, lambda p: feedback_table(p, 620, first),
                   lambda p: p.table(72, 72, WIDE, second, header_rows=0))
    result = extract_ojjdp(path, edition=2024)
    assert cells_of(result, "le_feedback_instances") == \
        expected_feedback(first, page=1) + expected_feedback(second, page=2)


def test_new_row_added_in_the_middle(tmp_path):
    """A row CY 2024 adds ("Tribal Law Enforcement") is read like any other, in place."""
    rows = FEEDBACK_ROWS[:2] + [["Tribal Law Enforcement", "-", "-", "12"]] + FEEDBACK_ROWS[2:]
    result = extract_ojjdp(edition(tmp_path, lambda p: feedback_table(p, 100, rows)), edition=2024)
    assert cells_of(result, "le_feedback_instances") == expected_feedback(rows)
    tribal = [c for c in result.cells if c["row_label"] == "Tribal Law Enforcement"]
    assert [(c["year"], c["value"]) for c in tribal] == [(2022, None), (2023, None), (2024, 12)]


def test_columns_in_a_different_year_order(tmp_path):
    """Newest year first: each number takes the year printed above it, never its position or
    the edition's own year arithmetic (the edition passed in is deliberately unrelated)."""
    header = ["", "CY 2024", "CY 2022", "CY 2023"]
    result = extract_ojjdp(edition(tmp_path, lambda p: feedback_table(p, 100, FEEDBACK_ROWS, header)),
                           edition=1999)
    assert cells_of(result, "le_feedback_instances") == expected_feedback(FEEDBACK_ROWS, years=(2024, 2022, 2023))


def test_superscript_footnote_after_a_year_is_split_off(tmp_path):
    """"CY 2024" + raised 6.48 pt "11": the year is 2024 and "11" is the footnote."""
    header = ["", "CY 2022", "CY 2023", "CY 2024^11"]
    result = extract_ojjdp(edition(tmp_path, lambda p: feedback_table(p, 100, FEEDBACK_ROWS, header)), edition=2024)
    cells = [c for c in result.cells if c["year"] == 2024]
    assert len(cells) == 4 and {(c["column_label"], c["footnote"]) for c in cells} == {("CY 2024", "11")}


def test_percent_row_under_its_count_row(tmp_path):
    """Percents printed in their own band with an empty label cell belong to the row above;
    percents in the count's cell belong to that cell's row."""
    rows = [["U.S.", "1,920,963\n6%", "1,621,937\n4.5%", "1,700,000\n4.0%"],
            ["International", "28,825,411", "33,220,027", "34,000,000"],
            ["", "89.9%", "91.7%", "92.0%"]]
    title = "CyberTipline Reports Relating to U.S. and International Users"
    result = extract_ojjdp(edition(tmp_path, lambda p: p.table(72, 100, WIDE, [[title] + YEARS] + rows)),
                           edition=2024)
    got = [(c["row_label"], c["year"], c["measure"], c["value"], c["percent"])
           for c in result.cells if c["year"] == 2024]
    assert got == [("U.S.", 2024, "reports", 1_700_000, None), ("U.S.", 2024, "percent", None, Decimal("4.0")),
                   ("International", 2024, "reports", 34_000_000, None),
                   ("International", 2024, "percent", None, Decimal("92.0"))]


def test_identified_victims_tables_on_consecutive_pages_stay_apart(tmp_path):
    """Two per-year tables with identical column headers, one at the top of the next page: a
    different title year means a different table, not a continuation."""
    def victims(page, y, year, male):
        return page.table(72, y, [130, 90, 90, 90, 90], [
            [VICTIMS.format(year), None, None, None, None],
            ["Gender", "Pubescent", "Prepubescent", "Infant/Toddler", "Grand Total"],
            ["Male", male, "1", "1", "3"]], merges=((0, 0, 1, 5),), header_rows=2)

    result = extract_ojjdp(edition(tmp_path, lambda p: victims(p, 660, 2023, "1"),
                                   lambda p: victims(p, 72, 2024, "2")), edition=2024)
    got = [(c["year"], c["column_label"], c["value"], c["page"]) for c in result.cells
           if c["column_label"] == "Pubescent"]
    assert got == [(2023, "Pubescent", 1, 1), (2024, "Pubescent", 2, 2)]


# --- refused with a precise message ----------------------------------------------------------------

def refused(path, *fragments):
    with pytest.raises(ExtractionError) as err:
        extract_ojjdp(path, edition=2024)
    message = str(err.value)
    for fragment in (path.name,) + fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def test_footnote_digit_glued_to_the_year_at_text_size(tmp_path):
    """"CY 20249": a footnote printed at the text size reads as a 5-digit number; the column
    must not lose its year (or take another one): refused, naming the header."""
    header = ["", "CY 2022", "CY 2023", "CY 20249"]
    path = edition(tmp_path, lambda p: feedback_table(p, 100, FEEDBACK_ROWS, header))
    refused(path, "page 1", "CY 20249")


def test_merged_header_spanning_two_years(tmp_path):
    """One header "CY 2023-2024" over two number columns: which year each is cannot be told."""
    header = ["", "CY 2022", "CY 2023-2024", None]
    path = edition(tmp_path, lambda p: p.table(72, 100, WIDE, [[FEEDBACK, None, None, None], header] + FEEDBACK_ROWS,
                                               merges=((0, 0, 1, 4), (1, 2, 1, 2)), header_rows=2))
    refused(path, "page 1", "CY 2023-2024")


def test_merged_data_cell_spanning_two_years(tmp_path):
    """One number printed across the CY 2023 and CY 2024 columns: it belongs to neither alone."""
    rows = [list(r) for r in FEEDBACK_ROWS]
    rows[1][3] = None
    path = edition(tmp_path, lambda p: p.table(72, 100, WIDE, [[FEEDBACK, None, None, None], [""] + YEARS] + rows,
                                               merges=((0, 0, 1, 4), (3, 2, 1, 2)), header_rows=2))
    refused(path, "page 1", "Local Law Enforcement", "'27'", "CY 2023", "CY 2024")


def test_merged_data_cell_spanning_two_rows(tmp_path):
    """One number printed across the Local and Federal rows: it belongs to neither alone."""
    rows = [list(r) for r in FEEDBACK_ROWS]
    rows[2][1] = None
    path = edition(tmp_path, lambda p: p.table(72, 100, WIDE, [[FEEDBACK, None, None, None], [""] + YEARS] + rows,
                                               merges=((0, 0, 1, 4), (3, 1, 2, 1)), header_rows=2))
    refused(path, "page 1", "'51'", "Local Law Enforcement", "Federal Law Enforcement")


def test_unknown_in_cell_label(tmp_path):
    """A label CY 2024 might add inside a recipients cell ("Pending:") has no measure."""
    rows = [["Local Law Enforcement", "Actionable: 1,462\nInformational: 3\nTotal: 1,465",
             "Actionable: 1,962\nInformational: 16\nTotal: 1,978", "Actionable: 2,000\nPending: 5\nTotal: 2,005"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [150, 130, 130, 130], [[RECIPIENTS] + YEARS] + rows))
    refused(path, "page 1", "'pending'", "before 5", "Local Law Enforcement", "'CY 2024'")


def test_in_cell_label_in_a_table_without_cell_labels(tmp_path):
    """"Total: 51" in the feedback table: that table's rule names no in-cell labels, so the
    label cannot be trusted to mean the table's measure."""
    rows = [list(r) for r in FEEDBACK_ROWS]
    rows[1][1] = "Total: 51"
    path = edition(tmp_path, lambda p: feedback_table(p, 100, rows))
    refused(path, "page 1", "le_feedback_instances", "'total'")


def test_unlabelled_number_in_a_labelled_table(tmp_path):
    """A recipients cell with a bare number: actionable, informational or total? Refused."""
    rows = [["Local Law Enforcement", "Actionable: 1,462\nInformational: 3\nTotal: 1,465",
             "Actionable: 1,962\nInformational: 16\nTotal: 1,978", "2,005"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [150, 130, 130, 130], [[RECIPIENTS] + YEARS] + rows))
    refused(path, "page 1", "le_recipients", "2,005")


def test_misprinted_label_that_does_not_add_up_is_refused(tmp_path):
    """"International:" is read as "Informational:" only where actionable + it = the printed
    total (the 2022/2023 misprint); elsewhere it may be a new measure: refused."""
    good = "Actionable: 916,064\nInternational: 590,383\nTotal: 1,506,447"
    bad = "Actionable: 900\nInternational: 50\nTotal: 1,000"
    normal = "Actionable: 1\nInformational: 1\nTotal: 2"
    ok = edition(tmp_path, lambda p: p.table(72, 100, [150, 130, 130, 130],
                                             [[RECIPIENTS] + YEARS, ["Federal Law Enforcement", good, normal, normal]]),
                 name="ok.pdf")
    result = extract_ojjdp(ok, edition=2024)
    assert [(c["measure"], c["value"]) for c in result.cells if c["year"] == 2022] == \
        [("actionable", 916_064), ("informational", 590_383), ("total", 1_506_447)]
    assert len(result.notes) == 1
    rows = [[RECIPIENTS] + YEARS, ["Federal Law Enforcement", bad, normal, normal]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [150, 130, 130, 130], rows))
    refused(path, "page 1", "'International'", "Federal Law Enforcement", "total 1,000")


def test_caption_matching_two_rules(tmp_path):
    """A caption naming two tables' subjects matches two rules: which table it is cannot be told."""
    title = "Law Enforcement Recipients of CyberTipline Reports and Instances of Law Enforcement Feedback"
    path = edition(tmp_path, lambda p: feedback_table(p, 100, FEEDBACK_ROWS, [title] + YEARS, title=False))
    refused(path, "page 1", "found 2", "le_recipients", "le_feedback_instances")


def test_continuation_with_different_columns_is_refused(tmp_path):
    """Numbers at the top of a page under no header, not drawn like the table before them:
    no column can be named, so no year either."""
    path = edition(tmp_path, lambda p: feedback_table(p, 620, FEEDBACK_ROWS[:3]),
                   lambda p: p.table(72, 72, [200, 160, 160], [["International Law Enforcement", "56,689", "76,683"]],
                                     header_rows=0))
    refused(path, "page 2", "no header above 'International Law Enforcement | 56,689 | 76,683'")


def test_year_header_without_cy(tmp_path):
    """Bare "2024" headers read as numbers, so the header band looks like data: refused (no
    year for the numbers below), never published as a row of counts 2,022 / 2,023 / 2,024."""
    header = ["", "2022", "2023", "2024"]
    path = edition(tmp_path, lambda p: feedback_table(p, 100, FEEDBACK_ROWS, header))
    refused(path, "page 1", "found '2022'")


def test_number_in_the_label_column_of_a_table_with_row_labels(tmp_path):
    """A hash table (no row labels) gains a labelled "Total" row: the first row's first number
    must not silently become a row label."""
    rows = [["NCMEC MD5 Hashes Added to Exploitative Hash-Sharing Initiative", None, None],
            YEARS, ["237,404", "70,870", "1,000"], ["Total", "308,274", "71,870"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [150, 150, 150], rows, merges=((0, 0, 1, 3),),
                                               header_rows=2))
    refused(path, "page 1")


def test_table_split_with_only_the_column_header_repeated(tmp_path):
    """Only the year row marked to repeat: the continuation prints the column header without
    the title; it must continue the table, not become an unknown table of its own."""
    first, second = FEEDBACK_ROWS[:2], FEEDBACK_ROWS[2:]
    path = edition(tmp_path, lambda p: feedback_table(p, 640, first),
                   lambda p: feedback_table(p, 72, second, title=False))
    result = extract_ojjdp(path, edition=2024)
    assert [t["table_id"] for t in result.tables] == ["le_feedback_instances"]
    assert cells_of(result, "le_feedback_instances") == \
        expected_feedback(first, page=1) + expected_feedback(second, page=2)


def test_split_table_continued_below_prose(tmp_path):
    """The repeated title and header lower on the next page, a line of prose above it: the first
    table on that page with the same title, header and columns is the same table."""
    first, second = FEEDBACK_ROWS[:2], FEEDBACK_ROWS[2:]
    path = edition(tmp_path, lambda p: feedback_table(p, 640, first),
                   lambda p: (p.text(72, 80, "Prose between the two halves."), feedback_table(p, 120, second)))
    result = extract_ojjdp(path, edition=2024)
    assert cells_of(result, "le_feedback_instances") == \
        expected_feedback(first, page=1) + expected_feedback(second, page=2)


def test_second_copy_of_a_table_later_in_the_edition_is_refused(tmp_path):
    """The same title two pages later (not a continuation): two tables matching one rule are
    refused, never merged or renamed by guess."""
    path = edition(tmp_path, lambda p: feedback_table(p, 100, FEEDBACK_ROWS[:2]), lambda p: p.text(72, 80, "Prose."),
                   lambda p: feedback_table(p, 100, FEEDBACK_ROWS[2:]))
    refused(path, "page 3", "expected one table matching le_feedback_instances, found another one")


def test_column_header_naming_two_measures(tmp_path):
    """A CVIP header "Total Unique Images/Videos" matches both the Unique and the Total column
    rules: which measure it counts cannot be told (the first rule listed used to win)."""
    rows = [["Images and Videos Reviewed by CVIP Series Categories", "CY 2024", None],
            [None, "Total Images/Videos", "Total Unique Images/Videos"],
            ["Images/videos in identified series", "4,166,072", "1,590,435"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [200, 130, 130], rows,
                                               merges=((0, 0, 2, 1), (0, 1, 1, 2)), header_rows=2))
    refused(path, "page 1", "cvip_files_by_series_category", "'CY 2024 | Total Unique Images/Videos'",
            "naming total, unique")


def test_per_year_table_with_another_year_in_a_column(tmp_path):
    """An identified-victims table titled CY 2024 with a "CY 2023" column: title and column
    disagree about the year of its numbers."""
    rows = [[VICTIMS.format(2024), None, None], ["Gender", "Pubescent CY 2023", "Grand Total"],
            ["Male", "420", "674"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [200, 130, 130], rows, merges=((0, 0, 1, 3),),
                                               header_rows=2))
    refused(path, "page 1", "cvip_identified_victims", "CY 2024", "CY 2023")


def test_footnote_marker_after_a_number_is_kept(tmp_path):
    """A raised marker after a count ("27" + "12") is the footnote, not part of the number."""
    rows = [list(r) for r in FEEDBACK_ROWS]
    rows[1][2] = "27^12"
    result = extract_ojjdp(edition(tmp_path, lambda p: feedback_table(p, 100, rows)), edition=2024)
    [cell] = [c for c in result.cells if c["row_label"] == "Local Law Enforcement" and c["year"] == 2023]
    assert (cell["value"], cell["value_text"], cell["footnote"]) == (27, "27", "12")


def test_second_unlabelled_row_in_a_table_without_row_labels(tmp_path):
    """A hash table (one row, no row label) gains a second unlabelled row: two numbers would share
    one (table, row, column, year, measure); refused, naming the page and the numbers."""
    rows = [["NCMEC MD5 Hashes Added to Exploitative Hash-Sharing Initiative", None, None],
            YEARS, ["237,404", "70,870", "1,000"], ["1", "2", "3"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [150, 150, 150], rows, merges=((0, 0, 1, 3),),
                                               header_rows=2))
    refused(path, "page 1", "ncmec_md5_exploitative", "found 6 numbers sharing one", "237,404")
