"""The list extractor on small synthetic PDFs: each test reproduces one layout NCMEC has printed
(or may print) and would break a naive reader."""

from __future__ import annotations

import pytest

from pipeline.extract import ExtractionError
from pipeline.extract.cybertipline import extract_list
from pipeline.manifest import Document
from pipeline.run import EXIT_FAILED, run_pipeline
from pipeline.workspace import Workspace
from tests.synthetic import ListSpec, PageSpec, Text, row, write_list_pdf

COUNTRY = "reports_by_country"
UNRULED = {"ruled": False}
COUNT_RIGHT = 390.0  # right edge of the counts of a default ListSpec (x=100, widths 200 + 100, inset 10)


def names_and_counts(extraction):
    return [(r.name, r.count_text) for r in extraction.rows]


def test_wrapped_name_with_count_on_the_middle_line(tmp_path):
    """2022/2023 by-country p6: 'Saint Helena, Ascension' / '4' / 'and Tristan da Cunha'."""
    pdf = tmp_path / "wrapped.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([
        row("Romania/Rumania", "133,054"),
        row(["Saint Helena,", "Ascension and", "Tristan da Cunha"], "4", count_line=1),
        row(["Web.com/Network Solutions/", "Register/NameBargain"], "3", count_line=1),
        row(["Deluxe Corporation/", "HudsonValleyHost"], "14", count_line=0),
        row(["Hosting Services Inc/", "Autica/VPS"], "26", count_line=1),
        row("Total:", "133,101"),
    ])])])
    result = extract_list(pdf, COUNTRY)
    assert names_and_counts(result) == [
        ("Romania/Rumania", "133,054"),
        ("Saint Helena, Ascension and Tristan da Cunha", "4"),
        ("Web.com/Network Solutions/ Register/NameBargain", "3"),
        ("Deluxe Corporation/ HudsonValleyHost", "14"),
        ("Hosting Services Inc/ Autica/VPS", "26"),
    ]
    assert result.total.count_text == "133,101"


def test_two_lists_side_by_side_on_one_page(tmp_path):
    """The older layout: two Country | Count lists on one page, read left list first."""
    pdf = tmp_path / "side_by_side.pdf"
    left = ListSpec([row("Albania", "10"), row(["Bosnia and", "Herzegovina"], "20", 1), row("Chad", "30")],
                    x=40, name_width=150, count_width=90, header=("Country", "Count"))
    right = ListSpec([row("Denmark", "40"), row("Egypt", "-"), row("Total", "100")],
                     x=320, name_width=150, count_width=90, header=("Country", "Count"))
    write_list_pdf(pdf, [PageSpec([left, right])])
    result = extract_list(pdf, COUNTRY)
    assert names_and_counts(result) == [
        ("Albania", "10"), ("Bosnia and Herzegovina", "20"), ("Chad", "30"), ("Denmark", "40"), ("Egypt", "-")]
    assert result.total.count_text == "100"


def test_page_header_that_looks_like_a_row_is_not_read(tmp_path):
    """2023 by-country prints '2023 Reports by Country 2' above each page's list."""
    pdf = tmp_path / "page_header.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Afghanistan", "5"), row("Albania", "7")])],
                 prose=["The following is a breakdown of reports by country 12"]),
        PageSpec([ListSpec([row("Zambia", "8"), row("Total", "20")])], page_header="2023 Reports by Country 2",
                 footer_lines=["Copyright 2024 National Center for Missing & Exploited Children 2024"]),
    ])
    result = extract_list(pdf, COUNTRY)
    assert names_and_counts(result) == [("Afghanistan", "5"), ("Albania", "7"), ("Zambia", "8")]
    assert [r.page for r in result.rows] == [1, 1, 2]


def test_a_count_outside_the_ruled_rows_is_refused(tmp_path):
    """A row printed without rules under the list would otherwise vanish silently."""
    pdf = tmp_path / "stray.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "3"), row("Total", "3")])], stray_below="1,234")])
    with pytest.raises(ExtractionError, match=r"page 1: found '1,234' in the count column"):
        extract_list(pdf, COUNTRY)


def test_renamed_total_row_is_refused(tmp_path):
    pdf = tmp_path / "no_total.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "3"), row("Sum of all", "3")])])])
    with pytest.raises(ExtractionError, match=r"expected a printed total row .* found last row 'Sum of all' on page 1"):
        extract_list(pdf, COUNTRY)


def test_unruled_list_is_read_when_every_line_is_unambiguous(tmp_path):
    pdf = tmp_path / "unruled.pdf"
    spec = ListSpec([row("Chad", "3"), row(["Deluxe Corporation/", "HudsonValleyHost"], "14", 0),
                     row(["Saint Helena,", "Ascension"], "2", 1), row("Total", "19")], ruled=False)
    write_list_pdf(pdf, [PageSpec([spec])])
    result = extract_list(pdf, COUNTRY)
    assert names_and_counts(result) == [
        ("Chad", "3"), ("Deluxe Corporation/ HudsonValleyHost", "14"), ("Saint Helena, Ascension", "2")]


def test_unruled_wrapped_line_that_could_belong_to_two_rows_is_refused(tmp_path):
    """Without rules, a continuation line as near to the next row's count as to its own is a guess."""
    pdf = tmp_path / "ambiguous.pdf"
    spec = ListSpec([row(["Deluxe Corporation/", "HudsonValleyHost"], "14", 0), row("Egypt", "1"),
                     row("Total", "15")], ruled=False, pad=0)
    write_list_pdf(pdf, [PageSpec([spec])])
    with pytest.raises(ExtractionError, match="could belong to the row above or below"):
        extract_list(pdf, COUNTRY)


def test_total_that_does_not_reconcile_fails_the_document_loudly(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    write_list_pdf(mirror / "synthetic-by-country.pdf", [PageSpec([ListSpec([
        row("Chad", "3"), row("Egypt", "1,000"), row("Total:", "1,004")])])])
    doc = Document("country-2099", COUNTRY, 2099, "synthetic-by-country.pdf",
                   "https://www.missingkids.org/synthetic-by-country.pdf", None)
    paths = Workspace(tmp_path / "data")
    report = run_pipeline([doc], paths, mirror=mirror)
    assert report.exit_code == EXIT_FAILED
    [document] = report.documents
    assert document["status"] == "failed"
    assert document["rows"] == 0
    assert "synthetic-by-country.pdf" in document["message"]
    assert "sum to 1,003" in document["message"] and "page 1 is 1,004" in document["message"]
    # Nothing could be published: no output is written, the run manifest says what happened.
    assert not (paths.processed / "country_reports.parquet").exists()
    [manifest] = paths.runs.glob("*.json")
    assert "page 1 is 1,004" in manifest.read_text()


# --- Attacks: layouts not in the 2020-2023 corpus that a later edition may print ---------------
# Each test below failed before the change that makes it pass; its docstring says what went
# wrong. A wrong name on a right count reconciles with the printed total, so the reader itself
# must refuse what it cannot read for certain.


def _last_page(*rows_):
    return PageSpec([ListSpec([*rows_, row("Total", "10")], ruled=False)])


def test_note_in_a_smaller_font_under_an_unruled_list_is_not_glued_to_the_last_row(tmp_path):
    """A footnote one line under an unruled list on a page without the total was read as the
    continuation of the last row's name: ('Egypt *Reasons include no IP address', 5)."""
    pdf = tmp_path / "note.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")], **UNRULED)],
                 notes_below=[Text(110, 12, "*Reasons include no IP address", size=8)]),
        _last_page(row("Fiji", "2")),
    ])
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [("Chad", "3"), ("Egypt", "5"), ("Fiji", "2")]


def test_note_in_the_same_font_under_an_unruled_list_is_refused(tmp_path):
    """The same note in the row font at the row pitch is indistinguishable from a wrapped name
    whose count sits on its first line; it was glued onto 'Egypt'."""
    pdf = tmp_path / "note_same_font.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")], **UNRULED)],
                 notes_below=[Text(110, 14, "*Reasons include no IP")]),
        _last_page(row("Fiji", "2")),
    ])
    with pytest.raises(ExtractionError, match=r"page 1: the line '\*Reasons include no IP' .* could continue the row"
                                              r" 'Egypt' or be a note under the list"):
        extract_list(pdf, COUNTRY)


def test_footer_right_under_an_unruled_list_ends_the_list(tmp_path):
    """A copyright line close under an unruled list, running into the count column, was read as
    a row: 'expected a count in the count column ..., found 'Exploited''. It is not a row."""
    pdf = tmp_path / "footer.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")], **UNRULED)],
                 notes_below=[Text(100, 20, "Copyright 2021 National Center for Missing & Exploited Children")]),
        _last_page(row("Fiji", "2")),
    ])
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [("Chad", "3"), ("Egypt", "5"), ("Fiji", "2")]


def test_unruled_row_after_a_wide_gap_is_refused(tmp_path):
    """An unruled list ends at a wide vertical gap; a row printed further down ('Norfolk Island -')
    was dropped without a word, and a '-' row leaves the total reconciling."""
    pdf = tmp_path / "gap.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")], **UNRULED)],
                 texts=[Text(110, 300, "Norfolk Island"), Text(COUNT_RIGHT, 300, "-", align="right")]),
        _last_page(row("Fiji", "2")),
    ])
    with pytest.raises(ExtractionError, match=r"page 1: found the row 'Norfolk Island -' at y=\d+ outside the rows"):
        extract_list(pdf, COUNTRY)


def test_row_under_the_last_rule_with_an_unaligned_dash_is_refused(tmp_path):
    """Below the last rule only counts right-aligned with the column were looked for; a row whose
    '-' is printed centred in the count column vanished (and a '-' keeps the total reconciling)."""
    pdf = tmp_path / "dash.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")])],
                 notes_below=[Text(110, 14, "Norfolk Island"), Text(350, 14, "-")]),
        PageSpec([ListSpec([row("Fiji", "2"), row("Total", "10")])]),
    ])
    with pytest.raises(ExtractionError, match=r"page 1: found the row 'Norfolk Island -' at y=\d+ outside the rows"):
        extract_list(pdf, COUNTRY)


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
def test_side_by_side_lists_whose_counts_reach_past_the_count_header(tmp_path, ruled):
    """With a short count header ('Count' at the left of its column), the left list's wide counts
    lie right of it and were also read as part of the right list: ('1,234,567 Denmark', 40),
    which still reconciles with the total."""
    pdf = tmp_path / "side_by_side_wide.pdf"
    geometry = {"name_width": 120, "header": ("Country", "Count"), "header_count_align": "left", "ruled": ruled}
    left = ListSpec([row("Albania", "1,234,567")], x=40, count_width=120, **geometry)
    right = ListSpec([row("Denmark", "40"), row("Total", "1,234,607")], x=300, count_width=90, **geometry)
    write_list_pdf(pdf, [PageSpec([left, right])])
    result = extract_list(pdf, COUNTRY)
    assert names_and_counts(result) == [("Albania", "1,234,567"), ("Denmark", "40")]


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
def test_side_by_side_lists_with_headers_at_different_heights(tmp_path, ruled):
    """Lists were kept apart only when their headers shared a text line; with the right list set
    30 points lower, both lists were read as one: ('Bosnia and Fiji Herzegovina 2', 4)."""
    pdf = tmp_path / "side_by_side_offset.pdf"
    geometry = {"name_width": 150, "count_width": 90, "header": ("Country", "Count"), "ruled": ruled}
    left = ListSpec([row("Chad", "1"), row(["Bosnia and", "Herzegovina"], "2", 1), row("Egypt", "3")], x=40, **geometry)
    right = ListSpec([row("Fiji", "4"), row("Total", "10")], x=320, dy=30, **geometry)
    write_list_pdf(pdf, [PageSpec([left, right])])
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [
        ("Chad", "1"), ("Bosnia and Herzegovina", "2"), ("Egypt", "3"), ("Fiji", "4")]


def test_row_sharing_a_ruled_band_with_a_repeated_header_is_read(tmp_path):
    """A ruled band holding a repeated column header was skipped whole. When the header shares a
    text line with the list beside it (so it is not found as a header of the page), a row printed
    in the same band vanished, and with a '-' the total still reconciled."""
    pdf = tmp_path / "header_in_band.pdf"
    geometry = {"name_width": 150, "count_width": 90, "header": ("Country", "Count")}
    left = ListSpec([row("Chad", "1"), row("Egypt", "-")], x=40, pad=12, **geometry)
    right = ListSpec([row("Fiji", "2"), row("Gabon", "3"), row("Total", "6")], x=320, pad=25 / 3, **geometry)
    # The left list's header again, inside Egypt's band, on the text line of the right list's 'Gabon'.
    gabon_baseline = 80 + 10 + 23 + (2 * 25 / 3 + 13) + 25 / 3 + 9
    header = [Text(50, gabon_baseline, "Country", style="B"),
              Text(270, gabon_baseline, "Count", style="B", align="right")]
    write_list_pdf(pdf, [PageSpec([left, right], texts=header)])
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [
        ("Chad", "1"), ("Egypt", "-"), ("Fiji", "2"), ("Gabon", "3")]


def test_page_inside_the_list_with_an_unrecognised_header_is_refused(tmp_path):
    """A page whose header wording is not in list_layouts.csv ('Country (cont.)') was skipped;
    its rows vanished, and rows printed '-' leave the total reconciling."""
    pdf = tmp_path / "renamed_header.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "1")])]),
        PageSpec([ListSpec([row("Egypt", "-"), row("Fiji", "-")], header=("Country (cont.)", "Reports"))]),
        PageSpec([ListSpec([row("Gabon", "2"), row("Total", "3")])]),
    ])
    with pytest.raises(ExtractionError, match=r"page 2: expected list rows only under a header like .*, found 2 lines"
                                              r" printed like rows under no such header \('Egypt -', 'Fiji -'\).*; lines"
                                              r" that start like a header but are not one: page 2: 'Country \(cont.\) Reports'"):
        extract_list(pdf, COUNTRY)


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
def test_row_without_a_name_is_refused(tmp_path, ruled):
    """A count with no name beside it was published as a row named ''."""
    pdf = tmp_path / "no_name.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "3"), row("", "5"), row("Total", "8")], ruled=ruled)])])
    with pytest.raises(ExtractionError, match=r"page 1: expected a name for the count '5' at y=\d+, found none"):
        extract_list(pdf, COUNTRY)


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
def test_text_left_of_the_list_is_refused(tmp_path, ruled):
    """A margin note beside the list was glued to the name on its line: ('Note: Egypt', 5)."""
    pdf = tmp_path / "margin.pdf"
    spec = ListSpec([row("Chad", "3"), row("Egypt", "5"), row("Total", "8")], x=150, ruled=ruled)
    egypt_baseline = 80 + 10 + 23 + 23 + 14
    write_list_pdf(pdf, [PageSpec([spec], texts=[Text(40, egypt_baseline, "Note:")])])
    with pytest.raises(ExtractionError, match=r"page 1: found 'Note:' at y=\d+ left of the list"):
        extract_list(pdf, COUNTRY)


def test_unruled_line_in_another_font_is_not_joined_to_a_row(tmp_path):
    """Without rules a name-only line joins the nearer count line; an italic caption under the
    header was read as the start of the first row's name: ('(continued) Chad', 3)."""
    pdf = tmp_path / "caption.pdf"
    spec = ListSpec([row("Chad", "3"), row("Total", "3")], **UNRULED)
    write_list_pdf(pdf, [PageSpec([spec], texts=[Text(110, 80 + 10 + 23 + 4, "(continued)", style="I")])])
    with pytest.raises(ExtractionError, match=r"page 1: the line '\(continued\)' at y=\d+ is printed in another"
                                              r" font than the row 'Chad' it would join"):
        extract_list(pdf, COUNTRY)


def test_unruled_caption_in_the_row_font_under_the_header_is_refused(tmp_path):
    """A name-only line above the first count line was joined to the first row: a caption under
    the header in the rows' own font became part of a name ('(continued) Chad', 3). Such a line
    is taken as the start of a wrapped name only where rows on the page wrap the same way."""
    pdf = tmp_path / "caption_same_font.pdf"
    spec = ListSpec([row("Chad", "3"), row("Total", "3")], **UNRULED)
    write_list_pdf(pdf, [PageSpec([spec], texts=[Text(110, 80 + 10 + 23 + 4, "(continued)")])])
    with pytest.raises(ExtractionError, match=r"page 1: the line '\(continued\)' at y=\d+ could start the row 'Chad'"
                                              r" or be a caption under the header"):
        extract_list(pdf, COUNTRY)


def test_bold_group_heading_in_an_unruled_list_is_refused(tmp_path):
    """A heading set closer to the row below it than to the row above was joined to it:
    ('EUROPE Albania', 5)."""
    pdf = tmp_path / "heading.pdf"
    spec = ListSpec([row("Chad", "3"), row("Albania", "5"), row("Total", "8")], pad=8, **UNRULED)
    albania_baseline = 80 + 10 + 23 + 29 + 8 + 9
    write_list_pdf(pdf, [PageSpec([spec], texts=[Text(110, albania_baseline - 12, "EUROPE", style="B")])])
    with pytest.raises(ExtractionError, match=r"page 1: the line 'EUROPE' .* is printed in another font than the"
                                              r" row 'Albania'"):
        extract_list(pdf, COUNTRY)


def test_empty_list_beside_a_full_one_reads_no_rows(tmp_path):
    """The last page of a side-by-side layout may leave the right list empty under its header; it
    was refused as "expected a count for row '', found none"."""
    pdf = tmp_path / "empty_right.pdf"
    geometry = {"name_width": 150, "count_width": 90, "header": ("Country", "Count"), "ruled": False}
    left = ListSpec([row("Albania", "1"), row("Total", "1")], x=40, **geometry)
    write_list_pdf(pdf, [PageSpec([left, ListSpec([], x=320, **geometry)])])
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [("Albania", "1")]


@pytest.mark.parametrize("far_edge", [{"background": True}, {"rules_at": [720.0]}],
                         ids=["page_background", "rule_above_the_footer"])
def test_unruled_list_closed_by_an_edge_far_below_keeps_its_safeguards(tmp_path, far_edge):
    """The edges of a filled header and of a page-sized background (or of a rule above the page
    footer) were taken for two row rules, and the whole unruled list for one ruled band, read
    without the checks of an unruled list: a note under it was glued on ('Egypt *Reasons...', 5)."""
    pdf = tmp_path / "far_edge.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")], header_fill=True, **UNRULED)],
                 notes_below=[Text(110, 14, "*Reasons include no IP")], **far_edge),
        _last_page(row("Fiji", "2")),
    ])
    with pytest.raises(ExtractionError, match=r"page 1: the line '\*Reasons include no IP' .* could continue the row"
                                              r" 'Egypt' or be a note under the list"):
        extract_list(pdf, COUNTRY)


def test_ruled_list_on_a_page_background_ends_at_its_last_rule(tmp_path):
    """The bottom edge of a page-sized background rectangle closed a 'row' holding the page
    footer: 'expected a count in the count column ..., found '&''. A band whose rule lies far
    below its text is not a row; what it holds is checked like any text under the list."""
    pdf = tmp_path / "background_ruled.pdf"
    footer = ["Copyright 2024 National Center for Missing & Exploited Children"]
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")])], background=True, footer_lines=footer),
        PageSpec([ListSpec([row("Fiji", "2"), row("Total", "10")])], background=True, footer_lines=footer,
                 texts=[Text(110, 400, "Norfolk Island"), Text(COUNT_RIGHT, 400, "-", align="right")]),
    ])
    with pytest.raises(ExtractionError, match=r"page 2: found the row 'Norfolk Island -' at y=\d+ outside the rows"):
        extract_list(pdf, COUNTRY)
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")])], background=True, footer_lines=footer),
        PageSpec([ListSpec([row("Fiji", "2"), row("Total", "10")])], background=True, footer_lines=footer),
    ])
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [("Chad", "3"), ("Egypt", "5"), ("Fiji", "2")]


def test_footnote_digit_glued_to_a_count_is_refused(tmp_path):
    """A superscript footnote digit right after a count is one word for pdfplumber: '234' with
    mark '1' was read as 2341."""
    pdf = tmp_path / "count_mark.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "234", count_mark="1"), row("Total", "234")])])])
    with pytest.raises(ExtractionError, match=r"page 1: the count '2341' at y=\d+ has '1' printed smaller"):
        extract_list(pdf, COUNTRY)


def test_footnote_digit_glued_to_a_name_is_refused(tmp_path):
    """A superscript footnote digit after a name was read into it: ('Chad1', 3)."""
    pdf = tmp_path / "name_mark.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "3", name_mark="1"), row("Total", "3")])])])
    with pytest.raises(ExtractionError, match=r"page 1: the name 'Chad1' at y=\d+ has '1' printed smaller"):
        extract_list(pdf, COUNTRY)


def test_malformed_count_is_refused_by_the_reader(tmp_path):
    """A count with misplaced separators ('1,23') passed the reader as count text, to fail later
    in normalisation without the page; the reader now names file, page and row."""
    pdf = tmp_path / "malformed.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "1,23"), row("Total", "123")])])])
    with pytest.raises(ExtractionError, match=r"page 1: expected a count as NCMEC prints one \(1,234 or -\) for the"
                                              r" row 'Chad', found '1,23'"):
        extract_list(pdf, COUNTRY)


def test_page_printed_sideways_is_refused_saying_so(tmp_path):
    """A list drawn upright on a page marked /Rotate 90 reads sideways; pdfplumber gives its
    words running down the page. It was refused as 'found no such header', which sends the
    reader looking for a renamed header."""
    pdf = tmp_path / "sideways.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "3"), row("Total", "3")])], rotate=90, sideways=True)])
    with pytest.raises(ExtractionError, match=r"found no such header on any of 1 pages; the text of page\(s\) 1 runs"
                                              r" sideways"):
        extract_list(pdf, COUNTRY)


def test_rules_drawn_as_paths_are_rules(tmp_path):
    """Rules drawn as one path of cell segments come out of pdfplumber as curves, not lines, so
    the list was read as unruled and a name wrapped round its count was refused: 'the line
    'Saint Helena,' ... could belong to the row above or below it'."""
    pdf = tmp_path / "path_rules.pdf"
    spec = ListSpec([row("Chad", "1"), row(["Saint Helena,", "Ascension and", "Tristan da Cunha"], "4", 1),
                     row("Total", "5")], rules_as_paths=True, pad=2)
    write_list_pdf(pdf, [PageSpec([spec])])
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [
        ("Chad", "1"), ("Saint Helena, Ascension and Tristan da Cunha", "4")]


# --- Layouts the reader already handled; pinned so a change cannot quietly break them ----------

SIDE = {"name_width": 150, "count_width": 90, "header": ("Country", "Count")}


def _page(*rows_, **spec) -> list[PageSpec]:
    return [PageSpec([ListSpec(list(rows_), **spec)])]


READ_EXACTLY = [
    # Zebra stripes drawn as filled rectangles; the last row is striped, so every row is bounded.
    pytest.param(_page(row("Chad", "1"), row("Egypt", "2"), row("Total", "3"), ruled=False, zebra=True,
                       header_fill=True),
                 [("Chad", "1"), ("Egypt", "2")], id="zebra_stripes"),
    # Rules under some rows only: a band of two rows is read like an unruled list (the rule above
    # it tells the first row's wrapped name from a caption).
    pytest.param(_page(row("Chad", "1"), row(["Bosnia and", "Herzegovina"], "2", 1), row("Fiji", "3"),
                       row("Total", "6"), rule_after={0, 2, 3}),
                 [("Chad", "1"), ("Bosnia and Herzegovina", "2"), ("Fiji", "3")], id="rules_under_some_rows"),
    pytest.param(_page(row("Chad", "1"), row("Egypt", "2"), row("Total", "3"), header_again_before={1}),
                 [("Chad", "1"), ("Egypt", "2")], id="header_repeated_mid_page"),
    pytest.param(_page(row("Chad", "1"), row("Egypt", "2"), row("Total", "3"), header_again_before={1}, ruled=False),
                 [("Chad", "1"), ("Egypt", "2")], id="header_repeated_mid_page_unruled"),
    pytest.param([PageSpec([ListSpec([row("Chad", "1"), row("Total", "1")], name_width=450)], orientation="L")],
                 [("Chad", "1")], id="landscape_page"),
    # Drawn turned on a portrait media box and marked /Rotate 90, so it reads upright.
    pytest.param([PageSpec([ListSpec([row("Chad", "1"), row("Total", "1")], name_width=450)], orientation="L",
                           rotate=90)],
                 [("Chad", "1")], id="rotated_page"),
    # Side by side, the left list longer; the total closes the right list.
    pytest.param([PageSpec([ListSpec([row("Chad", "1"), row("Egypt", "2"), row("Fiji", "3")], x=40, **SIDE),
                            ListSpec([row("Gabon", "4"), row("Total", "10")], x=320, **SIDE)])],
                 [("Chad", "1"), ("Egypt", "2"), ("Fiji", "3"), ("Gabon", "4")], id="total_in_the_right_list"),
    pytest.param([PageSpec([ListSpec([row("Chad", "1"), row(["Bosnia and", "Herzegovina"], "2", 1)], x=40,
                                     ruled=False, **SIDE),
                            ListSpec([row("Egypt", "-"), row("Total", "3")], x=320, ruled=False, **SIDE)])],
                 [("Chad", "1"), ("Bosnia and Herzegovina", "2"), ("Egypt", "-")], id="side_by_side_unruled"),
    # Unruled, each count on a line of its own under its name, rows set apart by padding.
    pytest.param(_page(row("Chad", "1", 1), row("Egypt", "2", 1), row("Total", "3"), ruled=False),
                 [("Chad", "1"), ("Egypt", "2")], id="count_on_the_line_below"),
    pytest.param(_page(row("Chad", "1"), row("Egypt", "1,234,567"), row("Total", "1,234,568"), count_align="left"),
                 [("Chad", "1"), ("Egypt", "1,234,567")], id="counts_aligned_left"),
    # A name running past its cell border, but not as far as the counts (and no border drawn
    # between the columns): the count column starts where the counts start.
    pytest.param(_page(row("Chad", "1"), row("Congo, the Democratic Republic Kinshasa", "2"), row("Total", "3"),
                       name_width=150),
                 [("Chad", "1"), ("Congo, the Democratic Republic Kinshasa", "2")], id="name_running_past_its_cell"),
    pytest.param(_page(row("Chad", "1"), row("Total", "1"), header=("COUNTRY", "REPORTS")),
                 [("Chad", "1")], id="header_in_capitals"),
    pytest.param(_page(row("Chad", "1"), row("Total", "1"), header=("Country/Jurisdiction", "Total Reports")),
                 [("Chad", "1")], id="header_country_jurisdiction"),
    # Stripes on every other row, the total unstriped under the last stripe with no edge under it:
    # read because its label makes it the list's last row (was refused before the 2024 layouts).
    pytest.param(_page(row("Chad", "1"), row("Egypt", "2"), row("Fiji", "3"), row("Total", "6"), ruled=False,
                       zebra=True, header_fill=True),
                 [("Chad", "1"), ("Egypt", "2"), ("Fiji", "3")], id="zebra_stripes_with_the_total_unstriped"),
]


@pytest.mark.parametrize("pages,expected", READ_EXACTLY)
def test_unseen_layout_is_read_exactly(tmp_path, pages, expected):
    """Layouts a later edition may print that the reader reads exactly."""
    pdf = tmp_path / "layout.pdf"
    write_list_pdf(pdf, pages)
    assert names_and_counts(extract_list(pdf, COUNTRY)) == expected


REFUSED_PRECISELY = [
    pytest.param(_page(row("Chad", "1 234"), row("Total", "1 234")),
                 r"page 1: several numbers in one cell: 1 \| 234 in the row 'Chad'",
                 id="thousands_separated_by_spaces"),
    pytest.param(_page(row("Chad", "1.234"), row("Total", "1.234")),
                 r"page 1: expected a count in the count column at y=\d+, found '1.234'",
                 id="thousands_separated_by_periods"),
    # Small counts suppressed for privacy.
    pytest.param(_page(row("Chad", "<10"), row("Egypt", "12"), row("Total", "20")),
                 r"page 1: expected a count in the count column at y=\d+, found '<10'",
                 id="suppressed_small_count"),
    pytest.param(_page(row("Chad", "1", extra="5%"), row("Total", "1", extra="5%"), extra_header="% change"),
                 r"expected a list headed like .*, found no such header on any of 1 pages; lines that start like"
                 r" a header but are not one: page 1: 'Country / Territory Reports % change'",
                 id="third_column_with_a_header"),
    pytest.param(_page(row("Chad", "1", extra="12"), row("Total", "1", extra="12"), extra_header=""),
                 r"page 1: several numbers in one cell: 1 \| 12 in the row 'Chad'",
                 id="third_column_of_numbers_without_a_header"),
    pytest.param(_page(row("Chad", "1", extra="5%"), row("Total", "1", extra="5%"), extra_header=""),
                 r"page 1: expected a count in the count column at y=\d+, found '5%'",
                 id="third_column_of_percents_without_a_header"),
    pytest.param(_page(row("Chad", "1"), row("Total", "1"), header=("Nation", "CyberTips")),
                 r"expected a list headed like .*, found no such header on any of 1 pages",
                 id="header_wording_not_in_list_layouts"),
    pytest.param(_page(row("Chad", "1"), row("Egypt", "see note"), row("Total", "1")),
                 r"page 1: expected a count in the count column at y=\d+, found 'see'",
                 id="prose_in_the_count_column"),
    pytest.param(_page(row("Chad", "1"), row("Congo, the Democratic Republic of Kinshasa East", "2"),
                       row("Total", "3"), name_width=150),
                 r"page 1: expected a count in the count column at y=\d+, found 'East'",
                 id="name_running_into_the_count"),
    pytest.param(_page(row("Chad", "1"), row("Total", ""), row("", "1")),
                 r"page 1: expected a count for row 'Total', found none",
                 id="total_row_split_from_its_number"),
    pytest.param(_page(row("Chad", "1"), row("Total", "1", 1), ruled=False),
                 r"page 1: found '1' in the count column at y=\d+, outside the rows",
                 id="total_count_on_the_line_below_unruled"),
    pytest.param(_page(row("Chad", "1", 1), row("Egypt", "2", 1), row("Total", "3"), ruled=False, pad=0),
                 r"page 1: the line 'Egypt' at y=\d+ could belong to the row above or below",
                 id="count_on_the_line_below_without_padding"),
]


@pytest.mark.parametrize("pages,message", REFUSED_PRECISELY)
def test_unseen_layout_is_refused_precisely(tmp_path, pages, message):
    """Layouts a later edition may print that the reader cannot read for certain: refused with
    the file, the page, what was expected and what was found."""
    pdf = tmp_path / "layout.pdf"
    write_list_pdf(pdf, pages)
    with pytest.raises(ExtractionError, match=message) as refused:
        extract_list(pdf, COUNTRY)
    assert str(refused.value).startswith("layout.pdf")


# --- Found by an adversarial review of unseen layouts (each once read silently wrong) ----------

THREE_LINES = ["Saint Helena,", "Ascension and", "Tristan da Cunha"]


@pytest.mark.parametrize("count_line", [0, 2], ids=["count_on_first_line", "count_on_last_line"])
def test_unruled_three_line_name_at_the_row_pitch_is_refused(tmp_path, count_line):
    """Without rules and with rows set as close as the lines of a name, the outer line of a
    three-line name is nearer the next row's count than its own: ('Saint Helena, Ascension and',
    4), ('Tristan da Cunha Samoa', '-') reconciled with the printed total."""
    pdf = tmp_path / "three_lines.pdf"
    write_list_pdf(pdf, _page(row("Romania", "133,054"), row(THREE_LINES, "4", count_line), row("Samoa", "-"),
                              row("Total", "133,058"), ruled=False, pad=1))
    with pytest.raises(ExtractionError, match=r"page 1: the line '(Tristan da Cunha|Saint Helena,)' at y=\d+ could"
                                              r" belong to the row above or below it"):
        extract_list(pdf, COUNTRY)


@pytest.mark.parametrize("count_line", [0, 1, 2])
def test_unruled_three_line_name_set_apart_by_padding_is_read(tmp_path, count_line):
    pdf = tmp_path / "three_lines_padded.pdf"
    write_list_pdf(pdf, _page(row("Romania", "133,054"), row(THREE_LINES, "4", count_line), row("Samoa", "-"),
                              row("Total", "133,058"), ruled=False, pad=6))
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [
        ("Romania", "133,054"), ("Saint Helena, Ascension and Tristan da Cunha", "4"), ("Samoa", "-")]


def test_band_missing_its_rule_with_a_four_line_name_is_read(tmp_path):
    """One rule not drawn: a band holds 'Chad' and a four-line name with its count on the last
    line; the name's first line was glued to 'Chad'."""
    pdf = tmp_path / "missing_rule.pdf"
    name = ["Hosting Services Inc/", "Autica/VPS/", "Network Solutions/", "Register"]
    write_list_pdf(pdf, _page(row("Chad", "12"), row(name, "-", 3), row("Fiji", "7"), row("Total", "19"),
                              rule_after={1, 2, 3}))
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [
        ("Chad", "12"), ("Hosting Services Inc/ Autica/VPS/ Network Solutions/ Register", "-"), ("Fiji", "7")]


def test_hyphen_ending_a_wrapped_name_line_is_not_a_count(tmp_path):
    """With no border drawn between the columns the count column started halfway between the
    header phrases; a hyphen ending a wrapped name past that point was read as a '-' count and
    invented the row ('Microsoft Corporation (Bing, Xbox)', '-')."""
    pdf = tmp_path / "hyphen.pdf"
    geometry = {"name_width": 250, "count_width": 100, "header": ("ESP", "Number of Reports")}
    write_list_pdf(pdf, _page(row("Adobe", "1,207"), row(["Microsoft Corporation (Bing, Xbox) -", "LinkedIn"], "12,311", 1),
                              row("Total", "13,518"), **geometry))
    assert names_and_counts(extract_list(pdf, "reports_by_esp")) == [
        ("Adobe", "1,207"), ("Microsoft Corporation (Bing, Xbox) - LinkedIn", "12,311")]


def test_caption_in_another_font_inside_a_ruled_row_is_refused(tmp_path):
    """In a ruled band every name-only line joined the row whatever its font: an italic caption
    under the header became part of the first name, ('(continued) Chad', 3)."""
    pdf = tmp_path / "caption_in_band.pdf"
    spec = ListSpec([row("Chad", "3"), row("Egypt", "5"), row("Total", "8")], pad=10, header_fill=True)
    write_list_pdf(pdf, [PageSpec([spec], texts=[Text(110, 121, "(continued)", style="I", size=8)])])
    with pytest.raises(ExtractionError, match=r"page 1: the line '\(continued\)' at y=\d+ is printed in another font"
                                              r" than the row 'Chad' it would join"):
        extract_list(pdf, COUNTRY)


def test_caption_under_a_header_ruled_only_above_and_below_the_list_is_refused(tmp_path):
    """Rules under the header and at the bottom only ("booktabs"): the list is one band read as
    unruled lines, but as if a row closed above it, so a caption in the row font under the header
    was glued to the first row: ('(continued) Chad', 3)."""
    pdf = tmp_path / "booktabs.pdf"
    spec = ListSpec([row("Chad", "3"), row("Egypt", "5"), row("Total", "8")], rule_after={2}, pad=12)
    write_list_pdf(pdf, [PageSpec([spec], texts=[Text(110, 123, "(continued)")])])  # one line pitch above 'Chad'
    with pytest.raises(ExtractionError, match=r"page 1: the line '\(continued\)' at y=\d+ could start the row 'Chad'"
                                              r" or be a caption under the header"):
        extract_list(pdf, COUNTRY)


def test_superscript_letter_after_a_name_is_refused(tmp_path):
    """Only digit marks were refused: 'Chad' + superscript 'a' came out as the country 'Chada'."""
    pdf = tmp_path / "letter_mark.pdf"
    write_list_pdf(pdf, _page(row("Chad", "3", name_mark="a"), row("Total", "3")))
    with pytest.raises(ExtractionError, match=r"page 1: the name 'Chada' at y=\d+ has 'a' printed smaller or raised"):
        extract_list(pdf, COUNTRY)


def test_row_under_the_last_rule_with_a_dash_set_in_from_the_right_is_refused(tmp_path):
    """Below the last rule a row was looked for only where its name started at the header's edge
    or its count lined up with the others; a '-' set a few points in (Excel's accounting format)
    under an indented name vanished, and the total still reconciled."""
    pdf = tmp_path / "dash_set_in.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")])],
                 notes_below=[Text(116, 14, "Norfolk Island"), Text(COUNT_RIGHT - 7, 14, "-", align="right")]),
        PageSpec([ListSpec([row("Fiji", "2"), row("Total", "10")])]),
    ])
    with pytest.raises(ExtractionError, match=r"page 1: found the row 'Norfolk Island -' at y=\d+ outside the rows"):
        extract_list(pdf, COUNTRY)


def test_list_page_before_the_first_recognised_header_is_refused(tmp_path):
    """A first page whose header wording is not in list_layouts.csv was skipped whole (only
    pages between the first recognised header and the total were checked); its '-' rows
    vanished and the total reconciled."""
    pdf = tmp_path / "first_page_unrecognised.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Abkhazia", "-"), row("Akrotiri", "-"), row("Aland Islands", "-")],
                           header=("Nation", "CyberTipline Reports"))]),
        PageSpec([ListSpec([row("Fiji", "2"), row("Total", "2")])]),
    ])
    with pytest.raises(ExtractionError, match=r"page 1: expected list rows only under a header like .*, found 3 lines"
                                              r" printed like rows under no such header \('Abkhazia -', 'Akrotiri -',"
                                              r" 'Aland Islands -'\)"):
        extract_list(pdf, COUNTRY)


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
def test_header_printed_on_the_first_page_only_is_read_under_the_first_pages_columns(tmp_path, ruled):
    """A list whose header is printed on its first page only was refused; its later pages' rows
    sit in the first page's columns, so they are read under its header."""
    pdf = tmp_path / "header_once.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "1")], ruled=ruled)]),
                         PageSpec([ListSpec([row(["Bosnia and", "Herzegovina"], "4"), row("Egypt", "-")],
                                            header=("", ""), ruled=ruled)]),
                         PageSpec([ListSpec([row("Fiji", "2"), row("Total", "7")], header=("", ""), ruled=ruled)])])
    result = extract_list(pdf, COUNTRY)
    assert [(r.name, r.count_text, r.page) for r in result.rows] == [
        ("Chad", "1", 1), ("Bosnia and Herzegovina", "4", 2), ("Egypt", "-", 2), ("Fiji", "2", 3)]


def test_page_without_a_header_whose_first_row_may_wrap_above_is_refused(tmp_path):
    """Under a carried header with no rule, a line right above the first row could be its
    wrapped name or a heading: refused, not read as either."""
    pdf = tmp_path / "header_once_wrapped.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "1")], ruled=False)]),
                         PageSpec([ListSpec([row(["Bosnia and", "Herzegovina"], "4", 1), row("Total", "5")],
                                            header=("", ""), ruled=False)])])
    with pytest.raises(ExtractionError, match=r"page 2: the page prints no list header, and 'Bosnia' at y=\d+ sits"
                                              r" right above its first row 'Herzegovina 4'"):
        extract_list(pdf, COUNTRY)


# --- Second review round ---------------------------------------------------------------------------

MICROSOFT = row(["Microsoft Corporation (Bing, Xbox) -", "LinkedIn"], "12,311", 1)
ESP_GEOMETRY = {"name_width": 250, "count_width": 100, "header": ("ESP", "Number of Reports")}


def test_hyphen_ending_a_wrapped_name_on_a_page_of_one_row_is_not_a_count(tmp_path):
    """With fewer than two aligned counts on a page the count column fell back to halfway between
    the header phrases, and the hyphen past it invented ('Microsoft Corporation (Bing, Xbox)', '-')."""
    pdf = tmp_path / "one_row_page.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([MICROSOFT], **ESP_GEOMETRY)]),
                         PageSpec([ListSpec([row("Zoom", "5"), row("Total", "12,316")], **ESP_GEOMETRY)])])
    assert names_and_counts(extract_list(pdf, "reports_by_esp")) == [
        ("Microsoft Corporation (Bing, Xbox) - LinkedIn", "12,311"), ("Zoom", "5")]


def test_numbers_ending_wrapped_names_do_not_define_the_count_column(tmp_path):
    """'Channel 4' and 'Channel 5' ending wrapped names lined up better than two left-aligned
    counts and were taken for the count column: rows ('Channel', '4') were invented."""
    pdf = tmp_path / "channels.pdf"
    write_list_pdf(pdf, _page(row(["BBC Radio", "Channel 4"], "1,234", 0), row(["Sky UK", "Channel 5"], "56", 0),
                              row("Zoom", "10"), row("Total", "1,300"), count_align="left", **ESP_GEOMETRY))
    assert names_and_counts(extract_list(pdf, "reports_by_esp")) == [
        ("BBC Radio Channel 4", "1,234"), ("Sky UK Channel 5", "56"), ("Zoom", "10")]


def test_two_rows_under_a_reworded_header_on_the_first_page_are_refused(tmp_path):
    """A page under a header wording not in list_layouts.csv was caught only with three aligned
    rows; an intro page whose list starts at its foot with two '-' rows lost them silently."""
    pdf = tmp_path / "two_rows_reworded.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Abkhazia", "-"), row("Akrotiri", "-")],
                                            header=("Nation", "CyberTipline Reports"))]),
                         PageSpec([ListSpec([row("Fiji", "2"), row("Total", "2")])])])
    with pytest.raises(ExtractionError, match=r"page 1: expected list rows only under a header .*, found 2 lines printed"
                                              r" like rows under no such header \('Abkhazia -', 'Akrotiri -'\)"):
        extract_list(pdf, COUNTRY)


def test_row_under_the_last_rule_with_its_count_on_a_line_of_its_own_is_refused(tmp_path):
    """A two-line name under the last rule with its '-' centred between the lines (a line of its
    own, not aligned with the counts) vanished, and the total still reconciled."""
    pdf = tmp_path / "count_own_line.pdf"
    write_list_pdf(pdf, [
        PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5")])],
                 notes_below=[Text(110, 12, "Saint Helena, Ascension"), Text(340, 18, "-"),
                              Text(110, 24, "and Tristan da Cunha")]),
        PageSpec([ListSpec([row("Fiji", "2"), row("Total", "10")])]),
    ])
    with pytest.raises(ExtractionError, match=r"page 1: found '-' at y=\d+ right under the last row of the list"):
        extract_list(pdf, COUNTRY)


# --- Third review round ------------------------------------------------------------------------------

def test_first_row_under_a_header_without_a_rule_is_read(tmp_path):
    """Rules under every row but none under the header (a filled header band without its edges):
    the first row lay outside every ruled band and the list was refused."""
    pdf = tmp_path / "no_header_rule.pdf"
    write_list_pdf(pdf, _page(row("Chad", "3"), row(THREE_LINES, "2", 1), row("Total", "5"), header_rules=False))
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [
        ("Chad", "3"), ("Saint Helena, Ascension and Tristan da Cunha", "2")]


def test_caption_under_a_header_without_a_rule_is_refused(tmp_path):
    """With the header closing the first band, a caption in the row font under it was glued to the
    first row: ('(continued) Chad', 3)."""
    pdf = tmp_path / "caption_no_header_rule.pdf"
    spec = ListSpec([row("Chad", "3"), row("Egypt", "5"), row("Total", "8")], header_rules=False, pad=12)
    write_list_pdf(pdf, [PageSpec([spec], texts=[Text(110, 123, "(continued)")])])
    with pytest.raises(ExtractionError, match=r"page 1: the line '\(continued\)' at y=\d+ could start the row 'Chad'"):
        extract_list(pdf, COUNTRY)


def test_unruled_list_with_a_rule_above_its_total_only_is_read(tmp_path):
    """A single sum rule above the total made the header close a band holding every row, and the
    total under the rule was refused as a row outside the list."""
    pdf = tmp_path / "sum_rule.pdf"
    write_list_pdf(pdf, _page(row("Chad", "3"), row("Egypt", "5"), row("Fiji", "-"), row("Total", "8"),
                              header_rules=False, rule_after={2}, pad=3))
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [("Chad", "3"), ("Egypt", "5"), ("Fiji", "-")]


@pytest.mark.parametrize("note", [Text(COUNT_RIGHT - 25, 14, "2", align="right"), Text(240, 14, "- 2 -"),
                                  Text(110, 14, "*Figures as of December 31, 2023")],
                         ids=["page_number_right", "page_number_centred", "note_ending_in_a_year"])
def test_page_number_or_note_right_under_a_short_last_page_is_no_row(tmp_path, note):
    """A page number or a note ending in a year close under the last rule was refused as a count
    right under the last row."""
    pdf = tmp_path / "short_last_page.pdf"
    write_list_pdf(pdf, [PageSpec([ListSpec([row("Chad", "3"), row("Egypt", "5"), row("Total", "8")])],
                                  notes_below=[note])])
    assert names_and_counts(extract_list(pdf, COUNTRY)) == [("Chad", "3"), ("Egypt", "5")]
