"""OJJDP tables printed without drawn cell borders, against their bordered twins.

A later edition may set a table with horizontal rules only (between every row, or booktabs
style above, under the header and below), or with no rules at all, its columns aligned by
whitespace under a header naming years, header cells shaded. The reader derives the grid from
the text (`pipeline.extract.ojjdp_text_grid`); the strongest check is that the same table drawn
with every border and without gives exactly the same cells and table list. What it cannot tell
apart is refused naming the file, the page and what was ambiguous.
"""

from __future__ import annotations

import pytest

from pipeline.extract import ExtractionError
from pipeline.extract.ojjdp import extract_ojjdp
from tests.test_ojjdp_synthetic import (
    FEEDBACK,
    FEEDBACK_ROWS,
    RECIPIENTS,
    WIDE,
    YEARS,
    cells_of,
    edition,
    expected_feedback,
    wrap,
)

LAYOUTS = ("horizontal", "booktabs", "none")
USERS = "CyberTipline Reports Relating to U.S. and International Users"
CVIP = "Images and Videos Reviewed by CVIP Series Categories"

# table shape -> (x, widths, rows, merges, header_rows) as `Page.table` takes them
SHAPES = {
    "title_and_wrapped_label": (72, WIDE, [[FEEDBACK, None, None, None], [""] + YEARS] + FEEDBACK_ROWS,
                                ((0, 0, 1, 4),), 2),
    "stacked_labelled_counts": (72, [150, 130, 130, 130], [[RECIPIENTS] + YEARS] + [
        ["Local Law Enforcement", "Actionable: 1,462\nInformational: 3\nTotal: 1,465",
         "Actionable: 1,962\nInformational: 16\nTotal: 1,978", "Actionable: 2,000\nInformational: 5\nTotal: 2,005"],
        ["Federal Law Enforcement", "Actionable: 91\nInformational: 7\nTotal: 98",
         "Actionable: 120\nInformational: 1\nTotal: 121", "Actionable: 99\nInformational: 2\nTotal: 101"]], (), 1),
    "percents_and_percent_row": (72, WIDE, [[USERS] + YEARS] + [
        ["U.S.", "1,920,963\n6%", "1,621,937\n4.5%", "1,700,000\n4.0%"],
        ["International", "28,825,411", "33,220,027", "34,000,000"],
        ["", "89.9%", "91.7%", "92.0%"]], (), 1),
    "spanning_year_headers": (40, [170, 100, 100, 100, 100], [
        [CVIP, "CY 2023", None, "CY 2024", None],
        [None, "Total Images/Videos", "Unique Images/Videos (based on MD5 hash)",
         "Total Images/Videos", "Unique Images/Videos (based on MD5 hash)"],
        ["Images/videos in identified series", "4,166,072", "1,590,435", "4,200,000", "1,600,000"],
        ["Images/videos in unidentified series", "966,072", "590,435", "1,000,000", "600,000"]],
        ((0, 0, 2, 1), (0, 1, 1, 2), (0, 3, 1, 2)), 2),
    "footnote_markers": (72, WIDE, [[FEEDBACK, None, None, None], ["", "CY 2022", "CY 2023^9", "CY 2024^3,4"],
                                    ["Local Law Enforcement^7", "51", "27^12", "30"],
                                    ["Federal Law Enforcement", "478", "465", "500^*"]], ((0, 0, 1, 4),), 2),
    "unrecognised_table": (72, WIDE, [["Reports Escalated by Platform Type", None, None, None], [""] + YEARS,
                                      ["Messaging", "1,204", "2,312", "3,350"],
                                      ["Gaming\nplatforms", "51", "27", "30"]], ((0, 0, 1, 4),), 2),
}


def read(tmp_path, shape: str, rules: str, **options):
    x, widths, rows, merges, header_rows = SHAPES[shape]
    path = edition(tmp_path, lambda p: p.table(x, 100, widths, rows, merges=merges, header_rows=header_rows,
                                               rules=rules, header_align="center", **options),
                   name=f"OJJDP-{shape}-{rules}.pdf")
    return extract_ojjdp(path, edition=2024)


@pytest.mark.parametrize("rules", LAYOUTS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_borderless_table_reads_like_its_bordered_twin(tmp_path, shape, rules):
    """Same cells (row, column, year, measure, value, footnote, page) and the same table entry
    (id, caption, number of cells) as the table drawn with every border."""
    bordered = read(tmp_path, shape, "grid")
    borderless = read(tmp_path, shape, rules)
    assert bordered.cells and borderless.cells == bordered.cells
    assert borderless.tables == bordered.tables


def test_bordered_twins_are_read_as_the_tables_they_are(tmp_path):
    """The twins compared above are read right in the first place, so the comparison is not of
    two equally wrong readings."""
    feedback = read(tmp_path, "title_and_wrapped_label", "none")
    assert cells_of(feedback, "le_feedback_instances") == expected_feedback(FEEDBACK_ROWS)
    cvip = read(tmp_path, "spanning_year_headers", "none")
    assert [(c["column_label"], c["year"], c["measure"], c["value"]) for c in cvip.cells][:4] == [
        ("CY 2023 | Total Images/Videos", 2023, "total", 4_166_072),
        ("CY 2023 | Unique Images/Videos (based on MD5 hash)", 2023, "unique", 1_590_435),
        ("CY 2024 | Total Images/Videos", 2024, "total", 4_200_000),
        ("CY 2024 | Unique Images/Videos (based on MD5 hash)", 2024, "unique", 1_600_000)]
    recipients = read(tmp_path, "stacked_labelled_counts", "horizontal")
    assert [(c["measure"], c["value"]) for c in recipients.cells][:3] == [
        ("actionable", 1462), ("informational", 3), ("total", 1465)]


def test_unrecognised_borderless_table_is_published_as_unknown(tmp_path):
    """A table no rule knows, set without rules, is still published under unknown_p<page>_<n>."""
    result = read(tmp_path, "unrecognised_table", "none")
    assert [(t["table_id"], t["recognised"], t["n_cells"]) for t in result.tables] == [("unknown_p1_1", False, 6)]
    assert [(c["row_label"], c["year"], c["value"]) for c in result.cells if c["year"] == 2024] == [
        ("Messaging", 2024, 3350), ("Gaming platforms", 2024, 30)]


def test_shaded_header_bands_are_no_borders(tmp_path):
    """Shaded header cells (thick filled rectangles) with the rules gone: still read, the
    same as without shading."""
    shaded = read(tmp_path, "spanning_year_headers", "none", shade=True)
    plain = read(tmp_path, "spanning_year_headers", "none", shade=False)
    assert shaded.cells and shaded.cells == plain.cells


def test_borderless_table_below_prose_and_a_bordered_table(tmp_path):
    """A page with prose, a bordered table, then a table without rules: both are read, in page
    order, and the prose stays out of either."""
    x, widths, rows, merges, header_rows = SHAPES["percents_and_percent_row"]

    def draw(page):
        page.text(72, 70, "In CY 2024 NCMEC received 20,500,000 reports, a rise of 12% over CY 2023.")
        below = page.table(72, 100, WIDE, [[FEEDBACK, None, None, None], [""] + YEARS] + FEEDBACK_ROWS,
                           merges=((0, 0, 1, 4),), header_rows=2)
        page.table(x, below + 60, widths, rows, header_rows=header_rows, rules="none", header_align="center")

    result = extract_ojjdp(edition(tmp_path, draw), edition=2024)
    assert [t["table_id"] for t in result.tables] == ["le_feedback_instances", "reports_by_user_location"]
    assert len(cells_of(result, "reports_by_user_location")) == 12


# --- refused, naming the page and the ambiguity ---------------------------------------------------

def refused(path, *fragments):
    with pytest.raises(ExtractionError) as err:
        extract_ojjdp(path, edition=2024)
    message = str(err.value)
    for fragment in (f"{path.name}, page 1",) + fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def aligned(page, lines, *, step=18.5, y=120, label_x=76, right_edges=(378, 488, 598)):
    """Lines of a table without rules, typeset by hand: a row label left, numbers right-aligned
    on the columns' right edges, one line every `step` points (a list of steps: one per line)."""
    pdf = page.pdf
    steps = step if isinstance(step, list) else [step] * len(lines)
    for (label, *numbers), gap in zip(lines, steps):
        if label:
            page.text(label_x, y, label)
        for number, right in zip(numbers, right_edges):
            if number:
                page.text(right - pdf.get_string_width(number), y, number)
        y += gap


HEADER = [("", "CY 2022", "CY 2023", "CY 2024")]


def test_wrapped_row_label_between_evenly_spaced_rows(tmp_path):
    """All lines one step apart: "Against Children" may end the row above or start the next."""
    path = edition(tmp_path, lambda p: aligned(p, HEADER + [("Internet Crimes", "204,517", "312,343", "350,001"),
                                                            ("Against Children", None, None, None),
                                                            ("Local Law Enforcement", "51", "27", "30")]))
    refused(path, "'Against Children'", "could belong to either")


def test_line_gaps_neither_within_nor_between_rows(tmp_path):
    """Three different line gaps: which lines make one row is a guess."""
    rows = [("Internet Crimes", "204,517", "312,343", "350,001"), ("Against Children", None, None, None),
            ("Local Law Enforcement", "51", "27", "30"), ("Federal", "478", "465", "500")]
    path = edition(tmp_path, lambda p: aligned(p, HEADER + rows, step=[18.5, 13.5, 23.5, 18.5, 18.5]))
    refused(path, "where its row starts is ambiguous")


@pytest.mark.parametrize("x", [370, 395])
def test_number_straddling_a_column_gutter(tmp_path, x):
    """One number printed across the gap between the CY 2022 and CY 2023 columns (over the
    numbers of both, or of CY 2023 only): it is in line with neither column. (Ending on the
    CY 2023 numbers' right edge, it would be a wide CY 2023 number.)"""
    def draw(page):
        aligned(page, HEADER + [("Internet Crimes", "204,517", "312,343", "350,001"),
                                ("Federal", None, None, "500")])
        page.text(x, 120 + 2 * 18.5, "478,000,000,000")
    refused(edition(tmp_path, draw), "'478,000,000,000'", "a number straddling a gutter")


def test_row_label_running_under_a_column_of_numbers(tmp_path):
    """A label long enough to reach under the CY 2022 numbers: the gutter is on some rows only."""
    path = edition(tmp_path, lambda p: aligned(p, HEADER + [
        ("Internet Crimes", "204,517", "312,343", "350,001"),
        ("International Law Enforcement Agencies of All Kinds Combined", None, "465", "500")]))
    refused(path, "'International Law Enforcement Agencies of All Kinds Combined'", "a gutter on some rows only")


def test_text_under_a_table_that_may_be_a_row_or_a_caption(tmp_path):
    """A line in the row-label column at the table's row spacing under its last row."""
    path = edition(tmp_path, lambda p: aligned(p, HEADER + [("Internet Crimes", "204,517", "312,343", "350,001"),
                                                            ("Local Law Enforcement", "51", "27", "30"),
                                                            ("Table 7 continues", None, None, None)]))
    refused(path, "'Table 7 continues'", "a wrapped row label or a caption")


def test_header_label_over_no_column(tmp_path):
    """Year labels set left in their cells, far from right-aligned numbers, with no rule
    between: which column each names cannot be told."""
    x, widths, rows, merges, header_rows = SHAPES["title_and_wrapped_label"]
    path = edition(tmp_path, lambda p: p.table(x, 100, widths, rows, merges=merges, header_rows=header_rows,
                                               rules="none", header_align="left"))
    refused(path, "'CY 2022'", "over none")


def test_spanning_header_with_unclear_reach(tmp_path):
    """"CY 2023" printed over a pair of columns, "CY 2024" over one column of its pair: whether
    the last column is under CY 2024 is a guess."""
    x, widths, rows, merges, header_rows = SHAPES["spanning_year_headers"]
    rows = [list(r) for r in rows]
    rows[0][4] = ""
    merges = merges[:2]
    path = edition(tmp_path, lambda p: p.table(x, 100, widths, rows, merges=merges, header_rows=header_rows,
                                               rules="none", header_align="center"))
    refused(path, "CY 2024", "how far it reaches is ambiguous")


# --- a second producer -------------------------------------------------------------------------------

def reportlab_table(path, widths, rows, *, header_rows, spans=(), rules="horizontal", x=72.0, y=100.0):
    """The table typeset by reportlab: rules drawn as stroked lines (not Word's rectangles),
    labels wrapped at spaces, headers centred, numbers right-aligned; `spans` are
    (row, col, colspan) header cells centred over several columns. `rules`: "horizontal" (one
    line under every row and above the first) or "none"."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    def lines_of(text, width):
        return wrap(text or "", width, lambda line: stringWidth(line, "Helvetica", 11.04))

    page = canvas.Canvas(str(path), pagesize=(612, 792), pageCompression=0)
    page.setFont("Helvetica", 11.04)
    span_of = {(r, c): n for r, c, n in spans}
    xs = [x + sum(widths[:i]) for i in range(len(widths) + 1)]
    top = y
    for r, row in enumerate(rows):
        cells = [(c, lines_of(text, xs[c + span_of.get((r, c), 1)] - xs[c] - 8)) for c, text in enumerate(row)
                 if text is not None]
        height = max(len(lines) for _, lines in cells) * 13.5 + 5
        for c, lines in cells:
            x0, x1 = xs[c], xs[c + span_of.get((r, c), 1)]
            for i, line in enumerate(lines):
                baseline = 792 - (top + 13 + 13.5 * i)
                if r < header_rows:
                    page.drawCentredString((x0 + x1) / 2, baseline, line)
                elif c > 0:
                    page.drawRightString(x1 - 4, baseline, line)
                else:
                    page.drawString(x0 + 4, baseline, line)
        if rules == "horizontal":
            page.setLineWidth(0.75)
            if r == 0:
                page.line(xs[0], 792 - top, xs[-1], 792 - top)
            page.line(xs[0], 792 - top - height, xs[-1], 792 - top - height)
        top += height
    page.showPage()
    page.save()
    return path


@pytest.mark.parametrize("rules", ["horizontal", "none"])
def test_reportlab_borderless_table_reads_like_the_word_bordered_one(tmp_path, rules):
    """Another producer, rules drawn as stroked lines: the same cells as the fpdf2 (Word-like)
    table with every border, spanning year headers included."""
    x, widths, rows, merges, header_rows = SHAPES["spanning_year_headers"]
    bordered = read(tmp_path, "spanning_year_headers", "grid")
    spans = tuple((r, c, cs) for r, c, rs, cs in merges if cs > 1)
    path = reportlab_table(tmp_path / "OJJDP-reportlab.pdf", widths, rows, header_rows=header_rows, spans=spans,
                           rules=rules, x=x)
    assert extract_ojjdp(path, edition=2024).cells == bordered.cells


@pytest.mark.parametrize("rules", ["horizontal", "booktabs"])
def test_two_ruled_tables_of_one_width_stay_apart(tmp_path, rules):
    """Two tables set with the same rule width one under the other: the rules of both stack up
    with the same ends, and the second table's header band (no numbers) starts a table of its
    own, as with borders."""
    def draw(rules):
        def page(p):
            for index, shape in enumerate(("title_and_wrapped_label", "percents_and_percent_row")):
                x, widths, rows, merges, header_rows = SHAPES[shape]
                y = p.table(x, 100 if index == 0 else y + 30, widths, rows, merges=merges, header_rows=header_rows,
                            rules=rules, header_align="center")
        return page

    bordered = extract_ojjdp(edition(tmp_path, draw("grid"), name="OJJDP-grid.pdf"), edition=2024)
    ruled = extract_ojjdp(edition(tmp_path, draw(rules), name=f"OJJDP-{rules}.pdf"), edition=2024)
    assert [t["table_id"] for t in ruled.tables] == ["le_feedback_instances", "reports_by_user_location"]
    assert ruled.cells == bordered.cells and ruled.tables == bordered.tables


ROWS = [("Internet Crimes", "204,517", "312,343", "350,001"), ("Local Law Enforcement", "51", "27", "30")]


def test_two_header_labels_over_one_column(tmp_path):
    """"Jan" and "CY 2022" a gutter apart, both over the CY 2022 numbers: one label or two is a
    guess."""
    def draw(page):
        aligned(page, HEADER + [("Internet Crimes", "204,517,000", "312,343", "350,001")] + ROWS[1:])
        page.text(303, 120, "Jan")
    refused(edition(tmp_path, draw), "'Jan'", "'CY 2022'", "one header label over a column")


def test_spanning_header_below_column_labels(tmp_path):
    """A label across the CY 2022 and CY 2023 columns printed under their year labels: a
    spanning level below the column level has no place in a header."""
    def draw(page):
        aligned(page, HEADER + [("", None, None, None)] + ROWS)
        page.text(330, 120 + 18.5, "Reports of both years together")
    refused(edition(tmp_path, draw), "'Reports of both years together'", "spanning columns below a line of column labels")
