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


MARKER = r"\^[\da-z,*]+"  # "^9", "^3,4", "^*", "^a" in a cell text: a raised footnote marker


def wrap(text: str, width: float, measure) -> list[str]:
    """Lines as Word wraps them: at spaces, so that no line is wider (by `measure`) than the cell."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and measure(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


class Page:
    """One letter page of a synthetic edition; `table` draws a Word-like ruled table on it."""

    def __init__(self, pdf: FPDF, note_size: float = NOTE):
        self.pdf = pdf
        self.note_size = note_size  # the size raised footnote markers are printed at
        pdf.add_page()

    def text(self, x: float, y: float, text: str) -> None:
        """Text at baseline y; "^9" (or "^3,4") after a word prints it as a raised footnote marker."""
        pdf = self.pdf
        for piece in re.split(f"({MARKER})", text):
            if not piece:
                continue
            if piece.startswith("^"):
                pdf.set_font_size(self.note_size)
                pdf.text(x, y - 4, piece[1:])
            else:
                pdf.set_font_size(BODY)
                pdf.text(x, y, piece)
            x += pdf.get_string_width(piece[1:] if piece.startswith("^") else piece)
        pdf.set_font_size(BODY)

    def _wrap(self, text: str, width: float) -> list[str]:
        return wrap(text, width, lambda line: self.pdf.get_string_width(re.sub(MARKER, "", line)))

    def table(self, x: float, y: float, widths: list[float], rows: list[list], *,
              merges: tuple[tuple[int, int, int, int], ...] = (), header_rows: int = 1,
              one_path: bool = False, bottom_border: float | None = BORDER, rules: str = "grid",
              header_align: str = "left", shade: bool = True) -> float:
        """Rows of cell texts ("\\n" between lines; None under a merge); `merges` are
        (row, col, rowspan, colspan). With `one_path` every border is one stroked path (which
        pdfplumber reports as a curve) instead of Word's rectangles. `bottom_border` is the
        thickness of the table's bottom border (None: not drawn). `rules`: "grid" (every cell
        border), "horizontal" (only the horizontal ones, full width), "booktabs" (above and below
        the table and under the header) or "none". `header_align`: "left" or "center" for header
        text; `shade` fills header cells. Returns the y below the table."""
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
            if r < header_rows and shade:
                pdf.set_fill_color(200, 220, 240)
                pdf.rect(x0 + 0.5, top + 0.5, x1 - x0 - 1, bottom - top - 1, style="F")
        pdf.set_fill_color(0, 0, 0)
        for r, c, x0, top, x1, bottom in boxes:
            text_lines = lines[r][c]
            for i, line in enumerate(text_lines):
                if not line:
                    continue
                plain = re.sub(MARKER, "", line)
                numeric = re.fullmatch(r"[\d,.%\-: A-Za-z]*\d[\d,.%]*", plain) and r >= header_rows
                tx = x1 - 4 - self._printed_width(line) if numeric else x0 + 4
                if header_align == "center" and r < header_rows:
                    tx = (x0 + x1 - self._printed_width(line)) / 2
                self.text(tx, top + 13 + 13.5 * i, line)
            if one_path or rules != "grid":
                continue
            half = BORDER / 2
            for (a, b) in ((x0, top), (x1, top)):  # corner squares
                pdf.rect(a - half, b - half, BORDER, BORDER, style="F")
            pdf.rect(x0 + half, top - half, x1 - x0 - BORDER, BORDER, style="F")
            low = bottom_border if bottom == ys[-1] else BORDER
            if low is not None:
                for a in (x0, x1):
                    pdf.rect(a - low / 2, bottom - low / 2, low, low, style="F")
                pdf.rect(x0 + low / 2, bottom - low / 2, x1 - x0 - low, low, style="F")
            pdf.rect(x0 - half, top + half, BORDER, bottom - top - BORDER, style="F")
            pdf.rect(x1 - half, top + half, BORDER, bottom - top - BORDER, style="F")
        if one_path:
            self._borders_as_one_path(boxes, xs, ys)
        rule_rows = {"horizontal": range(len(ys)), "booktabs": sorted({0, header_rows, len(ys) - 1}),
                     "grid": (), "none": ()}[rules]
        for i in rule_rows:
            pdf.rect(xs[0], ys[i] - BORDER / 2, xs[-1] - xs[0], BORDER, style="F")
        return ys[-1]

    def _printed_width(self, line: str) -> float:
        """The width of a line as `text` prints it, markers at their size (right-aligned
        numbers end at the cell's padding, marker included, as in Word)."""
        width = 0.0
        for piece in re.split(f"({MARKER})", line):
            if piece.startswith("^"):
                self.pdf.set_font_size(self.note_size)
                width += self.pdf.get_string_width(piece[1:])
                self.pdf.set_font_size(BODY)
            else:
                width += self.pdf.get_string_width(piece)
        return width

    def _borders_as_one_path(self, boxes, xs, ys) -> None:
        """Every cell side as one polyline, walking each border piece there and back (so the
        path only ever runs along borders)."""
        edges: set[frozenset] = set()
        for _, _, x0, top, x1, bottom in boxes:
            i0, i1, j0, j1 = xs.index(x0), xs.index(x1), ys.index(top), ys.index(bottom)
            for i in range(i0, i1):
                edges |= {frozenset({(i, j0), (i + 1, j0)}), frozenset({(i, j1), (i + 1, j1)})}
            for j in range(j0, j1):
                edges |= {frozenset({(i0, j), (i0, j + 1)}), frozenset({(i1, j), (i1, j + 1)})}
        neighbours: dict[tuple, set] = {}
        for edge in edges:
            a, b = tuple(edge)
            neighbours.setdefault(a, set()).add(b)
            neighbours.setdefault(b, set()).add(a)
        route, walked = [(0, 0)], set()

        def walk(node):
            for other in sorted(neighbours[node]):
                if frozenset({node, other}) not in walked:
                    walked.add(frozenset({node, other}))
                    route.append(other)
                    walk(other)
                    route.append(node)

        walk((0, 0))
        self.pdf.set_line_width(BORDER)
        self.pdf.polyline([(xs[i], ys[j]) for i, j in route], style="D")


def edition(tmp_path, *pages, name="OJJDP-CY-2024.pdf", note_size=NOTE):
    """A PDF with one page per drawing function (each takes a `Page`)."""
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_font("helvetica", "", BODY)
    for draw in pages:
        draw(Page(pdf, note_size))
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


def test_bare_year_headers_name_their_years(tmp_path):
    """Bare "2022" headers used to read as numbers, so the header band looked like data. A
    label that is just a year names that year (NCMEC prints counts of four digits with a
    thousands comma), in an unrecognised table and in one whose rule lists year columns."""
    header = ["Widgets Counted", "2022", "2023", "2024"]
    path = edition(tmp_path, lambda p: p.table(72, 100, WIDE, [header, ["Blue", "1", "2", "3"]]), name="bare.pdf")
    result = extract_ojjdp(path, edition=2024)
    assert [(c["table_id"], c["column_label"], c["year"], c["measure"], c["value"]) for c in result.cells] == [
        ("unknown_p1_1", "2022", 2022, "count", 1), ("unknown_p1_1", "2023", 2023, "count", 2),
        ("unknown_p1_1", "2024", 2024, "count", 3)]
    path = edition(tmp_path, lambda p: feedback_table(p, 100, FEEDBACK_ROWS, ["", "2022", "2023", "2024"]))
    cells = extract_ojjdp(path, edition=2024).cells
    assert {(c["column_label"], c["year"]) for c in cells} == {("2022", 2022), ("2023", 2023), ("2024", 2024)}
    assert {c["table_id"] for c in cells} == {"le_feedback_instances"}


def test_number_in_the_label_column_of_a_table_with_row_labels(tmp_path):
    """A hash table (no row labels) gains a labelled "Total" row: the first row's first number
    must not silently become a row label."""
    rows = [["NCMEC MD5 Hashes Added to Exploitative Hash-Sharing Initiative", None, None],
            YEARS, ["237,404", "70,870", "1,000"], ["Total", "308,274", "71,870"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [150, 150, 150], rows, merges=((0, 0, 1, 3),),
                                               header_rows=2))
    refused(path, "page 1")


def test_grid_repeating_only_the_column_header_is_another_table(tmp_path):
    """Word repeats header rows only from a table's first row, so a continuation repeats the
    title band too. A grid at the top of the next page with the same columns and year header but
    no title is another table (its caption, if any, a paragraph): it used to be glued onto the
    table above, its numbers published as that table's measure."""
    first, second = FEEDBACK_ROWS[:2], FEEDBACK_ROWS[2:]
    path = edition(tmp_path, lambda p: feedback_table(p, 640, first),
                   lambda p: feedback_table(p, 72, second, title=False))
    result = extract_ojjdp(path, edition=2024)
    assert [t["table_id"] for t in result.tables] == ["le_feedback_instances", "unknown_p2_1"]
    assert {(c["table_id"], c["measure"]) for c in result.cells if c["page"] == 2} == {("unknown_p2_1", "count")}


def test_grid_below_prose_on_the_next_page_is_not_a_continuation(tmp_path):
    """A table continued by Word starts the next page's body; a grid with prose printed above it
    is a table of its own. The repeated title makes it a second copy of the table: refused."""
    first, second = FEEDBACK_ROWS[:2], FEEDBACK_ROWS[2:]
    path = edition(tmp_path, lambda p: feedback_table(p, 640, first),
                   lambda p: (p.text(72, 80, "Prose between the two halves."), feedback_table(p, 120, second)))
    refused(path, "page 2", "expected one table matching le_feedback_instances, found another one")


def test_next_page_table_with_a_caption_paragraph_is_not_a_continuation(tmp_path):
    """A different table at the top of the next page, its caption printed as a paragraph just
    above a grid with the same columns and year header, used to be read as the rest of the
    feedback table ("instances"). With text above it, it is a table of its own."""
    other = [["Tribal Law Enforcement", "12", "15", "19"], ["Military Law Enforcement", "301", "322", "350"]]
    path = edition(tmp_path, lambda p: feedback_table(p, 560, FEEDBACK_ROWS),
                   lambda p: (p.text(72, 80, "Reports Referred to Tribal and Military Law Enforcement"),
                              p.table(72, 92, WIDE, [[""] + YEARS] + other)))
    result = extract_ojjdp(path, edition=2024)
    assert cells_of(result, "le_feedback_instances") == expected_feedback(FEEDBACK_ROWS)
    assert {(c["table_id"], c["measure"]) for c in result.cells if c["page"] == 2} == {("unknown_p2_1", "count")}


def test_running_header_above_a_continuation_is_page_furniture(tmp_path):
    """A running header printed at the same height on every page ("Page 1", "Page 2") is page
    furniture, not a caption: the table at the top of the next page still continues."""
    first, second = FEEDBACK_ROWS[:3], FEEDBACK_ROWS[3:]

    def running_header(page, number):
        page.text(72, 40, f"OJJDP-NCMEC Transparency Report, page {number}")

    path = edition(tmp_path, lambda p: (running_header(p, 1), feedback_table(p, 620, first)),
                   lambda p: (running_header(p, 2), p.table(72, 72, WIDE, second, header_rows=0)))
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
    rules: which measure it counts cannot be told (the first rule listed used to win). It is
    no label the rule's `columns` knows either, which refuses it first."""
    rows = [["Images and Videos Reviewed by CVIP Series Categories", "CY 2024", None],
            [None, "Total Images/Videos", "Total Unique Images/Videos"],
            ["Images/videos in identified series", "4,166,072", "1,590,435"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [200, 130, 130], rows,
                                               merges=((0, 0, 2, 1), (0, 1, 1, 2)), header_rows=2))
    refused(path, "page 1", "cvip_files_by_series_category", "'CY 2024 | Total Unique Images/Videos'")


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


# --- the reviewer's silent-wrong cases: each now read exactly or refused -----------------------------

def test_two_footnote_markers_after_a_count_are_not_joined_into_it(tmp_path):
    """Two raised markers "3,4" after "27" were not all digits, so they stayed in the cell and
    joined the count as a number broken across lines: 3,427 published for a printed 27."""
    rows = [["Local Law Enforcement", "27^3,4", "51", "30"], FEEDBACK_ROWS[2]]
    result = extract_ojjdp(edition(tmp_path, lambda p: feedback_table(p, 100, rows)), edition=2024)
    [cell] = [c for c in result.cells if c["row_label"] == "Local Law Enforcement" and c["year"] == 2022]
    assert (cell["value"], cell["value_text"], cell["footnote"]) == (27, "27", "3,4")


def test_raised_marker_at_nine_points_is_not_glued_onto_the_label(tmp_path):
    """A 9 pt marker beside 11.04 pt text (0.82 of it) is not under 0.8 of the text size, so it
    was read as text and, being raised, came first: row '3 Local Law Enforcement'. Raised above
    the baseline of the word beside it, it is a marker."""
    rows = [["Local Law Enforcement^3", "51", "27", "30"]]
    result = extract_ojjdp(edition(tmp_path, lambda p: feedback_table(p, 100, rows), note_size=9.0), edition=2024)
    assert {(c["row_label"], c["footnote"]) for c in result.cells} == {("Local Law Enforcement", "3")}


def test_star_marker_at_the_text_size_goes_to_the_footnote(tmp_path):
    """"CY 2024*" and "51*" printed at the text size: the star is a footnote marker (a count
    "51*" used to be refused and a header kept it in the column label)."""
    rows = [["Local Law Enforcement", "51*", "27", "30"]]
    header = ["", "CY 2022", "CY 2023", "CY 2024*"]
    result = extract_ojjdp(edition(tmp_path, lambda p: feedback_table(p, 100, rows, header)), edition=2024)
    assert [(c["column_label"], c["year"], c["value"], c["footnote"]) for c in result.cells] == [
        ("CY 2022", 2022, 51, "*"), ("CY 2023", 2023, 27, None), ("CY 2024", 2024, 30, "*")]


def test_calendar_year_column_labels_name_their_years(tmp_path):
    """"Calendar Year 2022" named no year (only "CY yyyy" did), so every column took the year of
    a title naming one: CY 2022 and CY 2023 numbers published as CY 2024."""
    title = "Widgets Counted through CY 2024"
    rows = [[title, None, None], ["Calendar Year 2022", "Calendar Year 2023", "Calendar Year 2024"],
            ["6,692", "7,000", "8,000"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [156, 156, 156], rows, merges=((0, 0, 1, 3),),
                                               header_rows=2))
    result = extract_ojjdp(path, edition=2024)
    assert [(c["column_label"], c["year"]) for c in result.cells] == [
        ("Calendar Year 2022", 2022), ("Calendar Year 2023", 2023), ("Calendar Year 2024", 2024)]


def test_half_year_column_label_is_refused_not_given_the_title_year(tmp_path):
    """"Jan-Jun 2023" is no calendar year: it used to take the title's CY 2024."""
    title = "Widgets Counted through CY 2024"
    rows = [[title, None, None], ["Jan-Jun 2023", "Jul-Dec 2023", "Jan-Jun 2024"], ["6,692", "7,000", "8,000"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [156, 156, 156], rows, merges=((0, 0, 1, 3),),
                                               header_rows=2))
    refused(path, "page 1", "'Jan-Jun 2023'", "6,692", "column header")


def test_calendar_year_columns_of_a_year_only_table_name_their_years(tmp_path):
    """The reviewer's case in a recognised table: "Calendar Year 2022" columns under a title
    naming CY 2024 gave every number the title's year; each column names its own."""
    title = "New Series of Unidentified Child Victims Added to NCMEC's CVIP Database of Victims through CY 2024"
    rows = [[title, None, None], ["Calendar Year 2022", "Calendar Year 2023", "Calendar Year 2024"],
            ["6,692", "7,000", "8,000"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [156, 156, 156], rows, merges=((0, 0, 1, 3),),
                                               header_rows=2))
    cells = extract_ojjdp(path, edition=2024).cells
    assert [(c["table_id"], c["year"], c["value"]) for c in cells] == [
        ("cvip_new_unidentified_series", 2022, 6692), ("cvip_new_unidentified_series", 2023, 7000),
        ("cvip_new_unidentified_series", 2024, 8000)]


def test_row_broken_across_pages_with_its_numbers_on_the_next_page_is_refused(tmp_path):
    """Page 1 ends with the label-only half of a broken row ("Local Law"), page 2 starts with
    "Enforcement 51 27 30": the numbers were published under row 'Enforcement' and "Local Law"
    dropped. A row label with no number beside it is refused."""
    path = edition(tmp_path, lambda p: feedback_table(p, 600, [FEEDBACK_ROWS[0], ["Local Law", "", "", ""]]),
                   lambda p: p.table(72, 72, WIDE, [["Enforcement", "51", "27", "30"]] + FEEDBACK_ROWS[2:],
                                     header_rows=0))
    refused(path, "page 1", "'Local Law'", "found none beside its label")


def test_row_broken_across_pages_with_its_label_tail_on_the_next_page_is_refused(tmp_path):
    """Page 1 ends with "Internet Crimes Against Children" and its numbers, page 2 starts with
    "(ICACs) Units" and empty cells: the tail was taken for a header and page 2 became an
    unknown table. A continuation whose first band has text only in the row-label column is
    refused."""
    path = edition(tmp_path,
                   lambda p: feedback_table(p, 620, [["Internet Crimes Against Children", "204,517", "312,343",
                                                      "350,001"]]),
                   lambda p: p.table(72, 72, WIDE, [["(ICACs) Units", "", "", ""]] + FEEDBACK_ROWS[1:],
                                     header_rows=0))
    refused(path, "page 2", "continued from page 1", "'(ICACs) Units'", "row broken across the page break")


def test_recognised_table_with_no_readable_number_band_is_refused(tmp_path):
    """Every count printed "0.2 million": no band reads as numbers, so the whole table was taken
    for header and published with n_cells 0 and no error."""
    rows = [[r[0], "0.2 million", "0.3 million", "0.4 million"] for r in FEEDBACK_ROWS]
    path = edition(tmp_path, lambda p: feedback_table(p, 100, rows))
    refused(path, "page 1", "le_feedback_instances", "'0.2'", "header")


def test_table_with_only_an_outer_frame_and_row_rules_is_refused(tmp_path):
    """No inner vertical borders: each row is one cell across the table ("Local Law
    Enforcement 51 27 30"), which is text, so the table was read as all header, 0 numbers."""
    def frame(page):
        body = [FEEDBACK, "CY 2022   CY 2023   CY 2024"] + [" ".join(r).replace("\n", " ") for r in FEEDBACK_ROWS]
        return page.table(72, 100, [468], [[line] for line in body], header_rows=2)

    refused(edition(tmp_path, frame), "page 1", "le_feedback_instances", "'204,517'")


def test_unreadable_first_data_row_is_not_taken_for_header(tmp_path):
    """Only the first data row unreadable ("0.3 million"): it became part of the header, its
    numbers column labels ('CY 2022 | 0.3 million') and the row vanished."""
    rows = [["Total Instances", "0.3 million", "0.4 million", "0.5 million"]] + FEEDBACK_ROWS[1:]
    refused(edition(tmp_path, lambda p: feedback_table(p, 100, rows)), "page 1", "'0.3'", "'0.3 million'")


def test_bordered_text_box_with_numbers_in_prose_is_kept_as_an_unknown_table(tmp_path):
    """A framed note whose prose holds numbers is no table of counts: it has no number band,
    so its numbers are not refused as a header's (that would sink the edition)."""
    note = [["Note: in 2024, 51 agencies gave feedback on 1,200 reports."], ["See page 12 for details."]]
    result = extract_ojjdp(edition(tmp_path, lambda p: p.table(72, 100, [400], note, header_rows=0)), edition=2024)
    assert [(t["table_id"], t["n_cells"], t["recognised"]) for t in result.tables] == [("unknown_p1_1", 0, False)]
    assert result.cells == []


def test_borders_drawn_as_one_path_are_read(tmp_path):
    """Borders stroked as one path come out of pdfplumber as a curve, not rects or lines; the
    table used to be invisible. Its straight pieces are borders."""
    path = edition(tmp_path, lambda p: p.table(72, 100, WIDE, [[FEEDBACK, None, None, None], [""] + YEARS]
                                               + FEEDBACK_ROWS, merges=((0, 0, 1, 4),), header_rows=2,
                                               one_path=True))
    result = extract_ojjdp(path, edition=2024)
    assert cells_of(result, "le_feedback_instances") == expected_feedback(FEEDBACK_ROWS)


def test_table_drawn_without_borders_fails_the_expected_tables_check(tmp_path):
    """A table the reader does not see (no rules, and its years not printed as column labels
    of their own: "CY 2022 to CY 2024" over the numbers) was silently missing. The
    expected-tables check fails the edition, naming the page whose text carries the table's
    caption. (Tables with rules only or none under year labels are read: test_ojjdp_borderless.)"""
    from pipeline.validate import blocking_failures
    from pipeline.validate.ojjdp import check_tables_expected

    def unruled(page):
        for i, row in enumerate([[FEEDBACK], ["", "CY 2022 to CY 2024"]] + FEEDBACK_ROWS):
            for j, text in enumerate(row):
                page.text(76 + 120 * j, 100 + 18 * i, text.replace("\n", " ")[:40] if j == 0 else text)

    submitter = [["CyberTipline Reports Submitted by Members of the Public and ESPs"] + YEARS,
                 ["Total CyberTipline Reports", "3", "5", "7"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, WIDE, submitter), unruled)
    result = extract_ojjdp(path, edition=2024, with_page_texts=True)
    assert [t["table_id"] for t in result.tables] == ["reports_by_submitter"]
    failures = {r.check: r for r in blocking_failures(
        check_tables_expected(result.cells, edition=2024, source_file=path.name, page_texts=result.page_texts))}
    missing = failures["ojjdp_table_found:le_feedback_instances"]
    assert missing.page == 2
    for fragment in ("le_feedback_instances", "CY 2024 edition", "editions 2022-", "page 2",
                     "no bordered table was read", "close the rule's editions range"):
        assert fragment in missing.message, fragment
    assert "ojjdp_table_found:reports_by_submitter" not in failures


def test_subcolumn_counting_another_quantity_is_refused(tmp_path):
    """Each year split into "Instances" | "Reports Receiving Feedback" under a rule with one
    measure: both sub-columns were published as instances. The rule's columns ("CY yyyy")
    refuse a label it does not know."""
    header = [["", "CY 2023", None, "CY 2024", None],
              ["", "Instances", "Reports Receiving Feedback", "Instances", "Reports Receiving Feedback"]]
    rows = [["Local Law Enforcement", "27", "20", "30", "22"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [160, 95, 95, 95, 95],
                                               [[FEEDBACK, None, None, None, None]] + header + rows,
                                               merges=((0, 0, 1, 5), (1, 1, 1, 2), (1, 3, 1, 2), (1, 0, 2, 1)),
                                               header_rows=3))
    refused(path, "page 1", "le_feedback_instances", "'CY 2023 | Instances'", r"(?:CY ?|Calendar Year )?\d{4}")


# --- Second review round: a CY 2024 edition drawn with heavier borders or other marker styles ----

def _feedback(page: Page, **table):
    body = [[FEEDBACK, None, None, None], [""] + YEARS] + FEEDBACK_ROWS
    return page.table(72, 100, WIDE, body, merges=((0, 0, 1, 4),), header_rows=2, **table)


def _values(path, row):
    return [c["value_text"] for c in extract_ojjdp(path, edition=2024).cells if c["row_label"] == row]


@pytest.mark.parametrize("thickness", [2.25, 3.0, 4.5, 6.0])
def test_heavy_bottom_border_closes_the_last_row(tmp_path, thickness):
    """A bottom border heavier than 2 pt (Word offers 2 1/4 to 6 pt) was taken for cell shading:
    the last row, 'International Law Enforcement', vanished with every check passing."""
    path = edition(tmp_path, lambda p: _feedback(p, bottom_border=thickness))
    assert _values(path, "International Law Enforcement") == ["56,689", "76,683", "80,000"]


def test_table_without_a_bottom_border_is_refused_not_shortened(tmp_path):
    """With no bottom border the last row lies outside every cell and was dropped silently."""
    path = edition(tmp_path, lambda p: _feedback(p, bottom_border=None))
    refused(path, "page 1", "outside the cells", "a border not drawn")


def test_count_merged_into_a_row_label_is_refused(tmp_path):
    """A column border that is not read merges the label column with the first year: the row
    label came out 'Local Law Enforcement 51' with CY 2022 missing."""
    body = [[FEEDBACK, None, None], ["", "CY 2023", "CY 2024"], ["Local Law Enforcement 51", "27", "30"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [310, 110, 110], body, merges=((0, 0, 1, 3),),
                                               header_rows=2))
    refused(path, "page 1", "expected a row label of words, found '51'")


def test_digit_run_into_a_row_label_is_refused(tmp_path):
    """A footnote digit printed at the text size ('Local Law Enforcement3') stayed in the label."""
    rows = [FEEDBACK_ROWS[0], ["Local Law Enforcement3", "51", "27", "30"]] + FEEDBACK_ROWS[2:]
    path = edition(tmp_path, lambda p: feedback_table(p, 100, rows))
    refused(path, "page 1", "'Enforcement3'")


def test_raised_small_letter_is_refused_as_an_unknown_marker(tmp_path):
    """A superscript letter ('Local Law Enforcement' + raised small 'a') was glued onto the label."""
    rows = [FEEDBACK_ROWS[0], ["Local Law Enforcement^a", "51", "27", "30"]] + FEEDBACK_ROWS[2:]
    path = edition(tmp_path, lambda p: feedback_table(p, 100, rows))
    refused(path, "page 1", "found 'a' printed small and raised")


def test_new_table_with_a_small_number_in_its_header_is_published_as_unknown(tmp_path):
    """A header holding a number was taken for an unreadable band of numbers and sank the whole
    edition; in a table no rule knows, "Top 5 ESPs" is words."""
    body = [["CyberTipline Reports Submitted by the Top 5 ESPs", "CY 2023", "CY 2024"], ["Meta", "100", "200"]]
    path = edition(tmp_path, lambda p: p.table(72, 100, [310, 110, 110], body))
    cells = extract_ojjdp(path, edition=2024).cells
    assert [(c["table_id"], c["row_label"], c["year"], c["value"]) for c in cells] == [
        ("unknown_p1_1", "Meta", 2023, 100), ("unknown_p1_1", "Meta", 2024, 200)]
