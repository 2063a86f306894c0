"""Regression cases from an adversarial review of the list reader (2024 layouts): each once read
silently wrong, or refused although it is a reasonable typesetting. Pages are drawn op by op
(`tests/canvas.py`); the docstring says what went wrong."""

from __future__ import annotations

import pytest

from pipeline.extract import ExtractionError
from pipeline.extract.cybertipline import extract_list
from tests.canvas import Page, simple_list, write

COUNTRY, ESP = "reports_by_country", "reports_by_esp"


def rows_of(pdf, family=COUNTRY):
    result = extract_list(pdf, family)
    return [(r.name, dict(r.counts)) for r in [*result.rows, result.total]]


def stacked_header(page: Page, upper: str, lower: str, beside: str, valign: str, *, pitch: float = 10.8,
                   top: float = 80) -> float:
    """'upper' over 'lower' right-aligned at x=330, 'Country' and 'beside' on one line."""
    page.text(330, top, upper, "Helvetica-Bold", right=True)
    page.text(330, top + pitch, lower, "Helvetica-Bold", right=True)
    single = top + {"top": 0, "middle": pitch / 2, "bottom": pitch}[valign]
    page.text(64, single, "Country", "Helvetica-Bold")
    page.text(430, single, beside, "Helvetica-Bold", right=True)
    return top + 2 * pitch + 4


def two_count_rows(page: Page, y: float, rows, first_right: float = 330) -> None:
    """Ruled rows of a name and two counts, the first set right at `first_right`."""
    page.hline(y, 60, 434)
    for name, a, b in rows:
        page.text(64, y + 4, name)
        page.text(first_right, y + 4, a, right=True)
        page.text(430, y + 4, b, right=True)
        y += 17
        page.hline(y, 60, 434)


ROWS = [("Chad", "1,000", "234"), ("Egypt", "50", "6"), ("Total", "1,050", "240")]


@pytest.mark.parametrize("upper,lower,valign", [
    ("Total", "Referrals", "top"), ("Total", "Referrals", "middle"), ("Total", "Referrals", "bottom"),
    ("Actionable", "Reports", "bottom"), ("Referred", "Reports", "middle")])
def test_a_label_stacked_outside_the_header_band_is_refused_not_given_a_role(tmp_path, upper, lower, valign):
    """'Total' over 'Referrals' beside 'Informational': the band without one of the label's lines
    parsed as Country | Total | Informational, and the referrals were published as the total."""
    page = Page()
    two_count_rows(page, stacked_header(page, upper, lower, "Informational", valign), ROWS)
    with pytest.raises(ExtractionError, match=r"page 1: the header '\w+' has '\w+' printed right (above|under) it"
                                              r" \(y=\d+\), as close as a stacked label's next line"):
        extract_list(write(tmp_path / "stacked.pdf", [page]), COUNTRY)


def test_a_known_stacked_label_beside_a_single_one_is_read(tmp_path):
    page = Page()
    two_count_rows(page, stacked_header(page, "Referral", "Reports", "Informational", "middle"), ROWS)
    assert rows_of(write(tmp_path / "known.pdf", [page])) == [
        (name, {"referrals": a, "informational": b}) for name, a, b in ROWS]


def test_a_monospaced_header_is_one_label_per_column(tmp_path):
    """Courier's word space is 0.6 em: 'Country / Territory' fell apart into labels."""
    page = Page()
    simple_list(page, [("Chad", ["12"]), ("Total", ["12"])], labels=("Country / Territory", "Reports"),
                font="Courier", bold="Courier-Bold")
    assert rows_of(write(tmp_path / "courier.pdf", [page])) == [("Chad", {"reports": "12"})] + \
        [("Total", {"reports": "12"})]


@pytest.mark.parametrize("count_too", [False, True], ids=["name", "row"])
def test_a_row_drawn_twice_for_fake_bold_is_read_once(tmp_path, count_too):
    """A name drawn again 0.3 pt to the side read 'GGooooggllee'; its count '5566'."""
    rows = [("Facebook", ["1,234"]), ("Google", ["56"]), ("Total", ["1,290"])]
    page = Page()
    simple_list(page, rows, labels=("ESP", "Reports"))
    page.text(64.3, 80 + 16 * 2 + 3, "Google")
    if count_too:
        page.text(60 + 270 - 4 + 0.3, 80 + 16 * 2 + 3, "56", right=True)
    assert rows_of(write(tmp_path / "bold.pdf", [page]), ESP) == [(n, {"reports": c[0]}) for n, c in rows]


@pytest.mark.parametrize("leader", ["........", " . . . . .", " ......."])
def test_dot_leaders_are_not_part_of_the_name(tmp_path, leader):
    """Leaders were read into every name ('Facebook ......'). Set against the name with no
    space, they take a name's own final period with them, so the case here has none."""
    rows = [("Facebook", ["1,234"]), ("Snap Inc" + ("." if leader[0] == " " else ""), ["56"]), ("Total", ["1,290"])]
    page = Page()
    simple_list(page, [(n + leader, c) for n, c in rows[:-1]] + rows[-1:], labels=("ESP", "Reports"))
    assert rows_of(write(tmp_path / "leaders.pdf", [page]), ESP) == [(n, {"reports": c[0]}) for n, c in rows]


def test_a_stamp_over_a_row_is_refused(tmp_path):
    """A 60 pt 'DRAFT' on a row's line was read into the name: 'Peru DRAFT'."""
    rows = [("Chad", ["1"]), ("Peru", ["2"]), ("Total", ["3"])]
    page = Page()
    simple_list(page, rows)
    page.text(140, 80 + 16 * 2 + 3 - 20, "DRAFT", "Helvetica", 60)
    with pytest.raises(ExtractionError, match=r"page 1: .*'DRAFT' at y=\d+ is printed (at 60 pt on a row line|in another"
                                              r" font than the row)"):
        extract_list(write(tmp_path / "stamp.pdf", [page]), COUNTRY)


def test_a_heading_set_apart_inside_an_unruled_list_is_refused(tmp_path):
    """'ASIA' with extra space above it, in the row font, was read as the start of 'ASIA India'."""
    page = Page()
    y = 80
    page.text(64, y + 3, "Country", "Helvetica-Bold")
    page.text(326, y + 3, "Reports", "Helvetica-Bold", right=True)
    y += 18
    for name, count in [("Chad", "1,234"), ("Egypt", "56")]:
        page.text(64, y, name)
        page.text(326, y, count, right=True)
        y += 13
    page.text(64, y + 8, "ASIA")
    y += 21
    for name, count in [("India", "7,890"), ("Japan", "12"), ("Total", "9,192")]:
        page.text(64, y, name)
        page.text(326, y, count, right=True)
        y += 13
    with pytest.raises(ExtractionError, match=r"the line 'ASIA' at y=\d+ is set further below the row above than the"
                                              r" rows are, above the row 'India'"):
        extract_list(write(tmp_path / "heading.pdf", [page]), COUNTRY)


@pytest.mark.parametrize("align", ["left", "centre"])
def test_labels_not_over_their_counts_are_matched_in_order(tmp_path, align):
    """Labels set left or centred over counts set right (the spreadsheet default) were refused:
    the labels' x-ranges do not overlap the counts', so label and count spans did not pair."""
    page = Page()
    lefts, width = [220, 320, 420], 100
    for left, label in zip(lefts, ["Referrals", "Informational", "Total"]):
        x = left + 4 if align == "left" else left + width / 2 - len(label) * 2.5
        page.text(x, 83, label, "Helvetica-Bold")
    page.text(64, 83, "Country", "Helvetica-Bold")
    rows = [("Chad", ["1", "2", "3"]), ("Egypt", ["10", "20", "30"]), ("Total", ["11", "22", "33"])]
    y = 96
    page.hline(y, 60, 520)
    for name, counts in rows:
        page.text(64, y + 4, name)
        for left, count in zip(lefts, counts):
            page.text(left + width - 4, y + 4, count, right=True)
        y += 17
        page.hline(y, 60, 520)
    assert rows_of(write(tmp_path / "aligned.pdf", [page])) == [
        (n, dict(zip(("referrals", "informational", "reports"), c))) for n, c in rows]


def test_a_page_footer_flush_with_the_counts_is_no_row(tmp_path):
    """'Page 1' right-aligned with the counts at the foot of the page was refused as a count
    outside the rows; it is text ending in a number."""
    rows = [("Chad", ["1"]), ("Egypt", ["2"]), ("Total", ["3"])]
    page = Page()
    simple_list(page, rows)
    page.text(60 + 270 - 4, 750, "Page 1", right=True)
    assert rows_of(write(tmp_path / "footer.pdf", [page])) == [(n, {"reports": c[0]}) for n, c in rows]


@pytest.mark.parametrize("mark", ["*", "1"])
def test_a_footnote_mark_on_a_header_label_is_not_part_of_it(tmp_path, mark):
    page = Page()
    simple_list(page, [("Chad", ["1"]), ("Total", ["1"])])
    page.text(60 + 270 - 4 + 0.5, 82, mark, "Helvetica", 5.5)  # raised and small after 'Reports'
    assert rows_of(write(tmp_path / "mark.pdf", [page])) == [("Chad", {"reports": "1"}), ("Total", {"reports": "1"})]


def test_a_total_row_labelled_total_reports_is_the_total(tmp_path):
    page = Page()
    simple_list(page, [("Chad", ["1"]), ("Total Reports", ["1"])])
    result = extract_list(write(tmp_path / "total_reports.pdf", [page]), COUNTRY)
    assert [r.name for r in result.rows] == ["Chad"] and result.total.name == "Total Reports"


def test_a_stamp_on_a_rows_line_is_refused(tmp_path):
    rows = [("Chad", ["1"]), ("Peru", ["2"]), ("Total", ["3"])]
    page = Page()
    simple_list(page, rows)
    page.text(140, 80 + 16 * 2 + 3 - 18, "DRAFT", "Helvetica", 45)
    with pytest.raises(ExtractionError, match=r"page 1: 'DRAFT' at y=\d+ is printed at 45 pt on a row line set at 9 pt"
                                              r" \('Peru DRAFT 2'\)"):
        extract_list(write(tmp_path / "stamp_on_line.pdf", [page]), COUNTRY)


def test_a_first_row_of_dashes_right_under_the_header_is_a_row_not_a_label(tmp_path):
    """Found by a Chromium fuzz: 'Egypt -' set tightly under the header was taken for a label
    line stacked under 'Total', and the page refused."""
    page = Page()
    page.text(64, 80, "Country", "Helvetica-Bold")
    page.text(326, 80, "Total", "Helvetica-Bold", right=True)
    for i, (name, count) in enumerate([("Egypt", "-"), ("Chad", "4"), ("Total", "4")]):
        page.text(64, 91 + 11 * i, name)
        page.text(326, 91 + 11 * i, count, right=True)
    assert rows_of(write(tmp_path / "dash.pdf", [page])) == [
        ("Egypt", {"reports": "-"}), ("Chad", {"reports": "4"}), ("Total", {"reports": "4"})]


# --- Second review round -----------------------------------------------------------------------

def test_a_row_broken_across_the_page_break_is_refused_not_named_by_one_part(tmp_path):
    """A ruled row whose name runs on over the page break: the part without a count was dropped
    and the row named by the other part only ('(and its dependencies)')."""
    first, second = Page(), Page()
    y = simple_list(first, [("Chad", ["1,234"]), ("Saint Helena, Ascension", ["7"])])
    second.text(64, 63, "(and its dependencies)")
    simple_list(second, [("Fiji", ["7,890"]), ("Total", ["9,131"])], top=60, header=False)
    with pytest.raises(ExtractionError, match=r"page 2: the page prints no list header, and '\(and' at y=\d+ sits in"
                                              r" the name column right above the border over its first row"):
        extract_list(write(tmp_path / "broken_a.pdf", [first, second]), COUNTRY)
    first, second = Page(), Page()
    y = simple_list(first, [("Chad", ["1,234"])])
    first.text(64, y + 3, "Saint Helena, Ascension")
    simple_list(second, [("(and its dependencies)", ["7"]), ("Fiji", ["7,890"]), ("Total", ["9,131"])])
    with pytest.raises(ExtractionError, match=r"page 1: 'Saint Helena, Ascension' at y=\d+ is printed in the name column"
                                              r" right under the last row of the list, before its total"):
        extract_list(write(tmp_path / "broken_b.pdf", [first, second]), COUNTRY)


def test_a_footnote_mark_does_not_hide_a_label_stacked_outside_the_band(tmp_path):
    """'Referral' + a superscript '1' over 'Reports', set a little apart: the digit made the line
    look like a row, so 'Reports' was taken alone and the referrals published as the total."""
    page = Page()
    page.text(256, 64, "Referral", "Helvetica-Bold")
    page.text(292, 63, "1", "Helvetica-Bold", 5)
    page.text(64, 80, "Country", "Helvetica-Bold")
    page.text(326, 80, "Reports", "Helvetica-Bold", right=True)
    page.text(430, 80, "Informational", "Helvetica-Bold", right=True)
    two_count_rows(page, 96, ROWS, first_right=326)
    with pytest.raises(ExtractionError, match=r"page 1: the header 'Reports' has 'Referral"):
        extract_list(write(tmp_path / "mark_over.pdf", [page]), COUNTRY)
