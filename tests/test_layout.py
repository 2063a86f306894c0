"""The layout toolkit on plain data."""

import pytest

from pipeline.layout import (
    Word,
    borders_across,
    font_and_marks,
    group_lines,
    join_count_pieces,
    parse_count,
    path_segments,
)


def test_parse_count_reads_printed_counts_and_dash():
    assert parse_count("1,234,567") == 1_234_567
    assert parse_count("7") == 7
    assert parse_count("-") is None


@pytest.mark.parametrize("text", ["1,23", "12,3456", "1.234", "abc", ""])
def test_parse_count_refuses_malformed_numbers(text):
    with pytest.raises(ValueError):
        parse_count(text)


def test_number_broken_across_lines_is_joined():
    """OJJDP CY2023: '24,768,90' then '3' in a narrow cell."""
    assert join_count_pieces(["24,768,90", "3"]) == "24,768,903"


def test_two_whole_numbers_in_one_cell_are_refused():
    with pytest.raises(ValueError, match="several numbers"):
        join_count_pieces(["1,234", "5"])


def test_borders_across_joins_cell_segments_and_ignores_partial_borders():
    segments = [(100.0, 109.2, 347.5), (100.0, 347.5, 502.8),   # one border drawn as two cell segments
                (120.0, 109.2, 347.5),                          # only under the name column
                (140.0, 40.0, 280.0), (140.0, 320.0, 560.0)]    # two lists side by side
    assert borders_across(segments, 122.0, 490.0) == [100.0]
    assert borders_across(segments, 330.0, 550.0) == [140.0]


def test_group_lines_keeps_a_middle_count_on_its_own_line():
    words = [Word("Saint", 10, 30, 320.6, 331.6), Word("4", 480, 486, 327.2, 338.2),
             Word("and", 10, 25, 333.8, 344.8)]
    assert [line.text for line in group_lines(words)] == ["Saint", "4", "and"]


def test_path_segments_are_the_straight_horizontal_pieces_of_a_path():
    """A border drawn as one path of cell segments is a pdfplumber curve, not a line."""
    border = [("m", (100.0, 200.0)), ("l", (300.0, 200.0)), ("l", (400.0, 200.0))]
    box = [("m", (100.0, 120.0)), ("l", (400.0, 120.0)), ("l", (400.0, 140.0)), ("l", (100.0, 140.0)), ("h",)]
    curve = [("m", (10.0, 50.0)), ("c", (20.0, 50.0), (30.0, 50.0), (40.0, 50.0))]  # a flat Bezier is no border
    assert path_segments(border) == [(200.0, 100.0, 300.0), (200.0, 300.0, 400.0)]
    assert path_segments(box) == [(120.0, 100.0, 400.0), (140.0, 100.0, 400.0)]
    assert path_segments(curve) == []


def test_font_and_marks_name_a_superscript_glued_to_a_word():
    """pdfplumber reads '234' followed by a smaller footnote '1' as one word '2341'."""
    chars = [{"text": t, "fontname": "Avenir-Book", "size": 11.0, "bottom": 100.0} for t in "234"]
    chars.append({"text": "1", "fontname": "Avenir-Book", "size": 6.5, "bottom": 96.0})
    assert font_and_marks(chars) == {"font": "Avenir-Book 11.0", "marks": "1"}
    assert font_and_marks(chars[:3]) == {"font": "Avenir-Book 11.0", "marks": ""}


def test_font_and_marks_name_a_raised_mark_printed_at_full_size():
    """A footnote digit set at the text size but raised above the baseline ('Facebook' + raised
    '1') came out as the name 'Facebook1' with no mark to refuse it by."""
    chars = [{"text": t, "fontname": "Avenir-Book", "size": 10.0, "bottom": 100.0} for t in "Facebook"]
    chars.append({"text": "1", "fontname": "Avenir-Book", "size": 10.0, "bottom": 97.0})
    assert font_and_marks(chars)["marks"] == "1"
    chars[-1] = {**chars[-1], "bottom": 99.5}  # half a point: the same line
    assert font_and_marks(chars)["marks"] == ""


def test_font_and_marks_a_mark_longer_than_the_word_it_follows():
    """The body size was the most common size, so '5' + superscript '12' took the mark for the
    text and read the count 512 with no mark."""
    chars = [{"text": "5", "fontname": "Avenir-Book", "size": 10.0, "bottom": 100.0}]
    chars += [{"text": t, "fontname": "Avenir-Book", "size": 6.0, "bottom": 96.0} for t in "12"]
    assert font_and_marks(chars) == {"font": "Avenir-Book 10.0", "marks": "12"}


def test_font_and_marks_a_raised_mark_after_a_one_character_word():
    """The baseline was the median of the characters' bottoms: with one letter and one raised
    digit that is halfway between them, and 'X' + raised '1' came out as 'X1'."""
    chars = [{"text": "X", "fontname": "Avenir-Book", "size": 10.0, "bottom": 100.0},
             {"text": "1", "fontname": "Avenir-Book", "size": 10.0, "bottom": 98.0}]
    assert font_and_marks(chars)["marks"] == "1"


def test_font_and_marks_small_capitals_are_no_marks():
    """'TOTAL' set as a capital T and smaller capitals OTAL on the same baseline (faux small caps)
    was read as 'T' with the marks 'OTAL', and the total row refused."""
    chars = [{"text": "T", "fontname": "Avenir-Book", "size": 10.0, "bottom": 100.0}]
    chars += [{"text": t, "fontname": "Avenir-Book", "size": 8.0, "bottom": 100.0} for t in "OTAL"]
    assert font_and_marks(chars)["marks"] == ""
