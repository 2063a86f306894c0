"""The layout toolkit on plain data."""

import pytest

from pipeline.layout import Word, group_lines, join_count_pieces, parse_count, rules_across


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


def test_rules_across_joins_cell_segments_and_ignores_partial_rules():
    segments = [(100.0, 109.2, 347.5), (100.0, 347.5, 502.8),   # one rule drawn as two cell segments
                (120.0, 109.2, 347.5),                          # only under the name column
                (140.0, 40.0, 280.0), (140.0, 320.0, 560.0)]    # two lists side by side
    assert rules_across(segments, 122.0, 490.0) == [100.0]
    assert rules_across(segments, 330.0, 550.0) == [140.0]


def test_group_lines_keeps_a_middle_count_on_its_own_line():
    words = [Word("Saint", 10, 30, 320.6, 331.6), Word("4", 480, 486, 327.2, 338.2),
             Word("and", 10, 25, 333.8, 344.8)]
    assert [line.text for line in group_lines(words)] == ["Saint", "4", "and"]
