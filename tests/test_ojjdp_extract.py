"""The OJJDP extractor: both editions of the shared corpus read end to end, and the small pure
functions it is built from on synthetic inputs (each named after the problem it guards against).

Real-corpus expectations (table ids, cells per table, spot values) were read off the rendered
pages; the PDFs themselves stay in the corpus directory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest
from fpdf import FPDF

from pipeline.extract import ExtractionError
from pipeline.extract.ojjdp import extract_ojjdp, rejoin_split_words
from pipeline.extract.ojjdp_cell_text import CellText, PrintedValue, read_text, read_values
from pipeline.extract.ojjdp_cells import CELL_KEYS, match_rule, measure_of, tables_to_cells, year_of, years_in
from pipeline.extract.ojjdp_table import ReadTable, continue_across_pages, read_table, text_above_first_grids
from pipeline.grid import Cell, Grid, SizedWord, borders_from_shapes, build_grid, group_borders, shapes_from_curves
from pipeline.layout import group_lines
from pipeline.ojjdp_rules import parse_table_rules

FILES = {
    2022: "OJJDP-NCMEC-Transparency_2022-Calendar-Year.pdf",
    2023: "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf",
}

# table_id -> cells (every printed number), per edition
CELLS_PER_TABLE = {
    2022: {
        "reports_by_submitter": 9, "reports_by_user_location": 21, "reports_by_incident_type": 24,
        "files_by_type": 12, "reports_unique_similar": 9, "files_unique_similar": 18, "new_esps_registered": 3,
        "le_recipients": 36, "le_feedback_instances": 12, "ncmec_md5_ngo": 3, "ncmec_md5_exploitative": 3,
        "esp_md5_industry": 3, "esp_photodna_industry": 3, "cvip_files_by_series_category": 30,
        "cvip_files_by_relationship_info": 12, "cvip_unique_by_relationship_type": 156,
        "cvip_identified_victims": 36, "cvip_new_unidentified_series": 3, "cvip_le_submissions": 78,
        "appendix_a_reports_per_year": 25,
    },
    2023: {
        "reports_by_submitter": 9, "reports_by_user_location": 21, "reports_by_incident_type": 24,
        "files_by_type": 12, "reports_unique_similar": 9, "files_unique_similar": 18, "new_esps_registered": 3,
        "le_recipients": 36, "le_feedback_instances": 12, "ncmec_md5_ngo": 3, "ncmec_md5_exploitative": 3,
        "esp_md5_industry": 3, "esp_photodna_industry": 3, "cvip_files_by_series_category": 30,
        "cvip_files_by_relationship_info": 12, "cvip_unique_by_relationship_type": 156,
        "cvip_identified_victims": 36, "cvip_new_unidentified_series": 3, "cvip_le_submissions": 84,
        "appendix_a_reports_per_year": 26,
    },
}

MD5_UNIQUE = "Unique Images/Videos (based on MD5 hash)"
RELATIONSHIP_GIVEN = "Images/videos in series where law enforcement has provided relationship information to NCMEC"
RELATIONSHIP_NOT_GIVEN = "Images/videos where law enforcement has not provided relationship information to NCMEC"

# (edition, table_id, row_label, column_label, year, measure) -> (value_text, value, percent, footnote, page)
SPOT_CELLS = {
    # 2022 edition
    (2022, "reports_by_submitter", "ESP CyberTipline Reports", "CY 2020", 2020, "reports"):
        ("21,447,786", 21_447_786, None, None, 4),
    (2022, "reports_by_user_location", "U.S.", "CY 2020", 2020, "percent"): ("4.1%", None, Decimal("4.1"), None, 4),
    (2022, "reports_by_user_location", "U.S.", "CY 2022", 2022, "percent"): ("6%", None, Decimal("6"), None, 4),
    (2022, "reports_by_user_location", "Unknown", "CY 2020", 2020, "reports"): ("261,304", 261_304, None, None, 4),
    (2022, "reports_by_incident_type", "Child Pornography (possession, manufacture, distribution)", "CY 2020",
     2020, "reports"): ("21,669,264", 21_669_264, None, None, 5),
    (2022, "files_by_type", "Other Content", "CY 2022", 2022, "files"): ("1,197,394", 1_197_394, None, None, 5),
    (2022, "reports_unique_similar",
     "CyberTipline reports disaggregated by reports containing unique images based on MD5 hash values", "CY 2020",
     2020, "reports"): ("14,269,712", 14_269_712, None, None, 6),
    # "Technology", the header's last line, straddles the border above the first data row
    (2022, "files_unique_similar", "Images",
     "CY 2020– Visually Similar Images and Videos Determined by PhotoDNA and Videntifier Technology", 2020,
     "similar"): ("10,416,996", 10_416_996, None, None, 7),
    (2022, "new_esps_registered", "New ESPs Registered by NCMEC", "CY 2020", 2020, "esps"): ("42", 42, None, None, 8),
    # pdfplumber splits this "Informational:" into "I", "n", "formational:" (stray overlapping spaces)
    (2022, "le_recipients", "Internet Crimes Against Children (ICACs) Units", "CY 2022", 2022, "informational"):
        ("400,715", 400_715, None, None, 8),
    (2022, "le_recipients", "Local Law Enforcement", "CY 2020", 2020, "informational"): ("0", 0, None, None, 8),
    # "International: 590,383", misprinted for "Informational:"
    (2022, "le_recipients", "Federal Law Enforcement", "CY 2021", 2021, "informational"):
        ("590,383", 590_383, None, None, 8),
    (2022, "le_recipients", "International Law Enforcement", "CY 2020", 2020, "total"):
        ("20,623,499", 20_623_499, None, None, 8),
    (2022, "le_feedback_instances", "Local Law Enforcement", "CY 2020", 2020, "instances"):
        ("816", 816, None, None, 10),
    (2022, "ncmec_md5_ngo", None, "CY 2020", 2020, "hashes"): ("2,099,252", 2_099_252, None, None, 11),
    (2022, "ncmec_md5_exploitative", None, "CY 2020", 2020, "hashes"): ("56", 56, None, None, 12),
    (2022, "esp_md5_industry", None, "CY 2021", 2021, "hashes"): ("7,130", 7_130, None, None, 12),
    (2022, "esp_photodna_industry", None, "CY 2022", 2022, "signatures"): ("1,266,429", 1_266_429, None, None, 12),
    (2022, "cvip_files_by_series_category", "Images/videos in identified series", "CY 2022 | Total Images/Videos",
     2022, "total"): ("3,152,534", 3_152_534, None, "7", 14),
    (2022, "cvip_files_by_relationship_info", RELATIONSHIP_NOT_GIVEN, "CY 2021 | Total Images/Videos", 2021,
     "total"): ("24,768,903", 24_768_903, None, None, 15),
    (2022, "cvip_unique_by_relationship_type", "Babysitter, Mentor, Coach, Teacher", "CY 2020 | " + MD5_UNIQUE, 2020,
     "unique"): ("74,510", 74_510, None, None, 16),
    # the 2022 edition prints this header without its closing parenthesis
    (2022, "cvip_unique_by_relationship_type", "Uncle", "CY 2022 | Unique Images/Videos (based on MD5 hash", 2022,
     "unique"): ("99,164", 99_164, None, None, 16),
    (2022, "cvip_identified_victims", "Female", "Pubescent", 2022, "victims"): ("1,984", 1_984, None, None, 17),
    (2022, "cvip_identified_victims", "Total", "Grand Total", 2020, "victims"): ("773", 773, None, None, 17),
    (2022, "cvip_new_unidentified_series", None, "CY 2020", 2020, "series"): ("2,394", 2_394, None, None, 17),
    (2022, "cvip_le_submissions", "Total Local/State/ICAC Agencies", "CY 2020 | # of Files Submitted", 2020,
     "files"): ("3,583,801", 3_583_801, None, None, 18),
    (2022, "cvip_le_submissions", "U.S. Marine Corps CID", "CY 2020 | Reviews Submitted", 2020, "reviews"):
        ("0", 0, None, None, 18),
    (2022, "appendix_a_reports_per_year", "CY1998 (1/1/98-12/31/98)",
     "Total Number of CyberTipline Reports Received by NCMEC", 1998, "reports"): ("4,560", 4_560, None, None, 19),
    # 2023 edition
    (2023, "reports_by_submitter", "Total CyberTipline Reports", "CY 2023", 2023, "reports"):
        ("36,210,368", 36_210_368, None, None, 4),
    (2023, "reports_by_user_location", "Unknown Location", "CY 2021", 2021, "percent"):
        ("4%", None, Decimal("4"), "3", 4),
    (2023, "reports_by_user_location", "Unknown Location", "CY 2023", 2023, "reports"):
        ("1,368,404", 1_368_404, None, "3", 4),
    (2023, "reports_by_incident_type", "Online Enticement of Children for Sexual Acts", "CY 2023", 2023, "reports"):
        ("186,819", 186_819, None, None, 5),
    (2023, "files_by_type", "Total", "CY 2023", 2023, "files"): ("105,653,162", 105_653_162, None, None, 5),
    (2023, "reports_unique_similar",
     "CyberTipline reports disaggregated by reports containing visually similar images/videos determined by "
     "PhotoDNA and Videntifier technology", "CY 2023", 2023, "reports"): ("22,330,009", 22_330_009, None, None, 7),
    # printed "Unique" over a PhotoDNA count: similar by its technology
    (2023, "files_unique_similar", "Total",
     "CY 2023– Unique Images and Videos Determined by PhotoDNA and Videntifier Technology", 2023, "similar"):
        ("33,640,168", 33_640_168, None, None, 7),
    (2023, "new_esps_registered", "New ESPs Registered by NCMEC", "CY 2023", 2023, "esps"): ("192", 192, None, None, 8),
    # "Informational:" / "400,715 Total:" / "892,370": labels and numbers wrap independently
    (2023, "le_recipients", "Internet Crimes Against Children (ICACs) Units", "CY 2022", 2022, "total"):
        ("892,370", 892_370, None, None, 9),
    (2023, "le_recipients", "Internet Crimes Against Children (ICACs) Units", "CY 2022", 2022, "actionable"):
        ("491,655", 491_655, None, None, 9),
    (2023, "le_recipients", "Federal Law Enforcement", "CY 2021", 2021, "informational"):
        ("590,383", 590_383, None, None, 9),
    (2023, "le_feedback_instances", "Internet Crimes Against Children (ICACs) Units", "CY 2023", 2023, "instances"):
        ("312,343", 312_343, None, None, 10),
    (2023, "ncmec_md5_ngo", None, "CY 2023", 2023, "hashes"): ("1,391,033", 1_391_033, None, None, 11),
    (2023, "ncmec_md5_exploitative", None, "CY 2023", 2023, "hashes"): ("-", None, None, None, 12),
    (2023, "esp_md5_industry", None, "CY 2023", 2023, "hashes"): ("25,266", 25_266, None, None, 13),
    (2023, "esp_photodna_industry", None, "CY 2023", 2023, "signatures"): ("427,139", 427_139, None, None, 13),
    # "CY 2022" carries footnote 9 (superscript, glued to the year by default word extraction)
    (2023, "cvip_files_by_series_category", "Images/videos for which a series has not yet been created",
     "CY 2022 | " + MD5_UNIQUE, 2022, "unique"): ("11,931,236", 11_931_236, None, "9", 15),
    # numbers broken across lines in narrow cells: "24,768,90" / "3", "17,692,60" / "6"
    (2023, "cvip_files_by_relationship_info", RELATIONSHIP_NOT_GIVEN, "CY 2021 | Total Images/Videos", 2021, "total"):
        ("24,768,903", 24_768_903, None, None, 16),
    (2023, "cvip_files_by_relationship_info", RELATIONSHIP_NOT_GIVEN, "CY 2023 | " + MD5_UNIQUE, 2023, "unique"):
        ("17,692,606", 17_692_606, None, None, 16),
    (2023, "cvip_files_by_relationship_info", RELATIONSHIP_GIVEN, "CY 2023 | Total Images/Videos", 2023, "total"):
        ("2,753,800", 2_753_800, None, None, 16),
    (2023, "cvip_unique_by_relationship_type", "Online Enticement/Self & Offender Produced",
     "CY 2023 | Total Images/Videos", 2023, "total"): ("115,531", 115_531, None, None, 17),
    (2023, "cvip_identified_victims", "Male", "Infant/Toddler", 2023, "victims"): ("20", 20, None, None, 18),
    (2023, "cvip_new_unidentified_series", None, "CY 2023", 2023, "series"): ("8,160", 8_160, None, None, 18),
    (2023, "cvip_le_submissions", "Department of Defense", "CY 2023 | # of Files Submitted", 2023, "files"):
        ("1,839", 1_839, None, None, 19),
    (2023, "appendix_a_reports_per_year", "CY1998 (1/1/98-12/31/98)",
     "Total Number of CyberTipline Reports Received by NCMEC", 1998, "reports"): ("4,560", 4_560, None, None, 20),
    (2023, "appendix_a_reports_per_year", "CY2023 (1/1/23-12/31/23)",
     "Total Number of CyberTipline Reports Received by NCMEC", 2023, "reports"):
        ("36,210,368", 36_210_368, None, None, 20),
}


@pytest.fixture(scope="module")
def editions(corpus_dir):
    return {edition: extract_ojjdp(corpus_dir / name, edition=edition) for edition, name in FILES.items()}


def _cell(extraction, key):
    edition, table_id, row_label, column_label, year, measure = key
    found = [c for c in extraction.cells if (c["edition"], c["table_id"], c["row_label"], c["column_label"],
                                             c["year"], c["measure"]) == key]
    assert len(found) == 1, f"expected one cell {key}, found {len(found)}"
    return found[0]


# --- the real corpus ----------------------------------------------------------------------------

@pytest.mark.parametrize("edition", sorted(FILES))
def test_every_table_found_and_recognised(editions, edition):
    result = editions[edition]
    assert {t["table_id"] for t in result.tables} == set(CELLS_PER_TABLE[edition])
    assert all(t["recognised"] for t in result.tables)
    assert [t["table_id"] for t in result.tables].count("cvip_identified_victims") == 3


@pytest.mark.parametrize("edition", sorted(FILES))
def test_cells_per_table(editions, edition):
    result = editions[edition]
    assert Counter(c["table_id"] for c in result.cells) == CELLS_PER_TABLE[edition]
    assert sum(t["n_cells"] for t in result.tables) == len(result.cells)
    assert result.pages == {2022: 19, 2023: 20}[edition]


@pytest.mark.parametrize("edition", sorted(FILES))
def test_cells_have_exactly_the_published_keys_and_types(editions, edition):
    for cell in editions[edition].cells:
        assert tuple(cell) == CELL_KEYS
        assert cell["edition"] == edition
        assert (cell["value"] is None) or isinstance(cell["value"], int)
        assert (cell["percent"] is None) or isinstance(cell["percent"], Decimal)
        assert (cell["value"] is None) != (cell["percent"] is None) or cell["value_text"] == "-"


@pytest.mark.parametrize("key", sorted(SPOT_CELLS, key=str), ids=lambda k: f"{k[0]}-{k[1]}-{k[2]}-{k[4]}-{k[5]}")
def test_spot_values(editions, key):
    value_text, value, percent, footnote, page = SPOT_CELLS[key]
    cell = _cell(editions[key[0]], key)
    assert (cell["value_text"], cell["value"], cell["percent"], cell["footnote"], cell["page"]) == \
        (value_text, value, percent, footnote, page)


@pytest.mark.parametrize("edition", sorted(FILES))
def test_every_table_has_a_spot_value(edition):
    """Guards the test itself: each table of each edition is pinned by at least one value."""
    assert {k[1] for k in SPOT_CELLS if k[0] == edition} == set(CELLS_PER_TABLE[edition])


@pytest.mark.parametrize("edition,page", [(2022, 8), (2023, 9)])
def test_misprinted_international_label_is_read_as_informational_with_a_note(editions, edition, page):
    notes = editions[edition].notes
    assert len(notes) == 1
    note = notes[0]
    assert (note["table_id"], note["page"], note["row_label"], note["year"], note["measure"], note["value_text"]) == \
        ("le_recipients", page, "Federal Law Enforcement", 2021, "informational", "590,383")
    assert "International" in note["note"]


@pytest.mark.parametrize("edition", sorted(FILES))
def test_identified_victims_take_their_year_from_each_title(editions, edition):
    years = sorted({c["year"] for c in editions[edition].cells if c["table_id"] == "cvip_identified_victims"})
    assert years == [edition - 2, edition - 1, edition]


@pytest.mark.parametrize("edition", sorted(FILES))
def test_appendix_a_reaches_back_to_1998(editions, edition):
    years = [c["year"] for c in editions[edition].cells if c["table_id"] == "appendix_a_reports_per_year"]
    assert years == list(range(edition, 1997, -1))


# --- synthetic: borders, grids, cells -------------------------------------------------------------

def _rect(x0, top, x1, bottom):
    return {"x0": x0, "top": top, "x1": x1, "bottom": bottom}


def _grid_shapes(xs, ys, thickness=0.48, skip_vertical=()):
    """Borders of a grid as Word draws them: one thin rectangle per cell side."""
    shapes = []
    for y in ys:
        for a, b in zip(xs, xs[1:]):
            shapes.append(_rect(a, y - thickness / 2, b, y + thickness / 2))
    for x in xs:
        for i, (a, b) in enumerate(zip(ys, ys[1:])):
            if (x, i) not in skip_vertical:
                shapes.append(_rect(x - thickness / 2, a, x + thickness / 2, b))
    return shapes


def _word(text, x0, top, size=10.0):
    return SizedWord(text, x0, x0 + 5.5 * len(text), top, top + size, size)


def test_underlines_and_footnote_separators_are_not_tables():
    """A hyperlink underline touches no vertical border, so it never becomes a table."""
    shapes = _grid_shapes([100, 200, 300], [100, 120, 140]) + [_rect(100, 300, 250, 300.5)]
    groups = group_borders(borders_from_shapes(shapes))
    assert len(groups) == 1


def test_thick_borders_with_corner_squares_join_into_one_border():
    """2022 ed. p.18 draws 1.5 pt borders with 1.5 pt corner squares between the pieces."""
    pieces = [_rect(74.7, 286.8, 163.5, 288.3), _rect(163.5, 286.8, 165.0, 288.3), _rect(165.0, 286.8, 218.4, 288.3)]
    horizontal = [r for r in borders_from_shapes(pieces) if r.horizontal]
    assert [(round(r.start, 1), round(r.end, 1)) for r in horizontal] == [(74.7, 218.4)]


def test_missing_border_merges_cells():
    shapes = _grid_shapes([100, 200, 300, 400], [100, 120, 140], skip_vertical={(300, 0)})
    grid = build_grid(group_borders(borders_from_shapes(shapes))[0], [], page=1, source="t.pdf")
    assert [len(band) for band in grid.bands] == [2, 3]
    assert (grid.bands[0][1].x0, grid.bands[0][1].x1) == (200, 400)


def test_header_word_straddling_a_border_stays_in_its_header_cell():
    """2022 ed. p.7: the box of "Technology" has its middle just below the header's border."""
    shapes = _grid_shapes([100, 200], [100, 140, 160])
    technology = SizedWord("Technology", 110, 160, 135.2, 145.2, 10.0)
    grid = build_grid(group_borders(borders_from_shapes(shapes))[0], [technology], page=1, source="t.pdf")
    assert [w.text for w in grid.bands[0][0].words] == ["Technology"]
    assert grid.bands[1][0].words == ()


def test_touching_word_pieces_are_rejoined_but_footnotes_are_not():
    words = [SizedWord("I", 440.16, 442.77, 490.18, 500.2, 10.02), SizedWord("n", 442.74, 448.31, 490.18, 500.2, 10.02),
             SizedWord("formational:", 448.32, 502.4, 490.18, 500.2, 10.02),
             SizedWord("Location", 127.07, 169.33, 589.32, 600.36, 11.04),
             SizedWord("3", 169.68, 173.28, 589.32, 595.8, 6.48)]
    assert [w.text for w in rejoin_split_words(words)] == ["Informational:", "Location", "3"]


def _cell_of(*words):
    return Cell(0, 0, 1000, 1000, 0, 0, tuple(words))


def test_footnote_digits_printed_small_are_split_off_labels():
    text = read_text(_cell_of(_word("Unknown", 10, 10, 11.04), _word("Location", 60, 10, 11.04),
                              SizedWord("3", 104.5, 108, 9.5, 16, 6.48)))
    assert (text.text, text.footnotes) == ("Unknown Location", ("3",))


def test_small_marker_group_with_a_comma_is_split_off_not_joined_into_the_count():
    """"27" + small "3,4": the markers used to stay (not all digits) and join the count as 3,427."""
    text = read_text(_cell_of(_word("27", 10, 10, 11.04), SizedWord("3,4", 21.5, 31, 7.5, 14, 6.48)))
    assert (text.text, text.footnotes, text.tokens) == ("27", ("3,4",), ("27",))
    # a count printed small and raised is no list of notes: not a marker, and refused as a mark
    # the reader does not know (the table reader raises on `unknown_marks`)
    count = read_text(_cell_of(_word("Total", 10, 10, 11.04), SizedWord("1,234", 45, 60, 12, 18.5, 6.48)))
    assert (count.tokens, count.footnotes, count.unknown_marks) == (("Total",), (), ("1,234",))


def test_marker_at_nine_points_is_one_only_when_raised():
    """9 pt beside 11.04 pt (0.82): raised above the baseline of the word beside it it is a
    marker; printed on the baseline it is text (the number rules then decide)."""
    raised = read_text(_cell_of(_word("Location", 10, 10, 11.04), SizedWord("3", 54.5, 59.5, 6, 15, 9.0)))
    assert (raised.text, raised.footnotes) == ("Location", ("3",))
    level = read_text(_cell_of(_word("Location", 10, 10, 11.04), SizedWord("3", 54.5, 59.5, 11.6, 20.6, 9.0)))
    assert (level.text, level.footnotes) == ("Location 3", ())


def test_star_at_the_text_size_ending_a_word_is_a_footnote():
    text = read_text(_cell_of(_word("CY", 10, 10, 11.04), _word("2024*", 30, 10, 11.04)))
    assert (text.text, text.footnotes) == ("CY 2024", ("*",))
    alone = read_text(_cell_of(_word("51", 10, 10, 11.04), _word("*", 24, 10, 11.04)))
    assert (alone.text, alone.footnotes) == ("51", ("*",))


def test_wrapped_label_lines_join_without_space_after_a_slash():
    text = read_text(_cell_of(_word("Total", 10, 10), _word("Local/State/", 45, 10), _word("ICAC", 10, 24),
                              _word("Agencies", 40, 24)))
    assert text.text == "Total Local/State/ICAC Agencies"


def _values(*tokens):
    return read_values(CellText(" ".join(tokens), (), tokens))


def test_labelled_values_in_one_cell():
    values = _values("Actionable:", "491,655", "Informational:", "400,715", "Total:", "892,370")
    assert [(v.label, v.value) for v in values] == \
        [("actionable", 491_655), ("informational", 400_715), ("total", 892_370)]


def test_number_broken_across_lines_is_joined():
    [value] = _values("24,768,90", "3")
    assert (value.text, value.value) == ("24,768,903", 24_768_903)


def test_two_whole_numbers_in_one_cell_are_refused():
    """A missing border between two columns must not be read as one number."""
    with pytest.raises(ValueError):
        _values("421", "3,852,702")


def test_count_with_percent_under_it():
    count, percent = _values("887,252", "4.1%")
    assert (count.value, count.percent, percent.value, percent.percent) == (887_252, None, None, Decimal("4.1"))


def test_dash_is_no_value():
    [value] = _values("-")
    assert (value.text, value.value, value.percent) == ("-", None, None)


def test_text_cells_are_not_values():
    assert _values("CY", "2020") is None
    assert _values("#", "of", "Files", "Submitted") is None


def test_a_bare_year_is_a_label_not_a_count():
    """"2022" alone: NCMEC prints four-digit counts with a comma, so this names a year."""
    assert _values("2022") is None
    with pytest.raises(ValueError):
        _values("2022", "51")


def test_years_are_read_from_cy_calendar_year_and_bare_year_labels_only():
    assert years_in("CY 2022") == {2022} and years_in("CY2019 (1/1/19-12/31/19)") == {2019}
    assert years_in("Calendar Year 2022") == {2022}
    assert years_in("2022") == {2022} and years_in("2022 | Instances") == {2022}
    assert years_in("Total Images/Videos") == set()
    assert years_in("CY 2023-2024") == {2023, 2024}
    for label in ("Jan-Jun 2023", "FY 2023", "Reports in 2023"):
        with pytest.raises(ValueError, match="not printed as"):
            years_in(label)


def test_title_year_is_read_only_where_it_is_used():
    """A title with a year-like number printed another way does not sink a table whose columns
    name their years; where the title's year would be used, it is refused."""
    [value] = _values("56")
    entry = {"row_label": None, "column_label": "CY 2022", "printed": value}
    assert year_of(entry, "Hashes Added Jan-Jun 2023", RULES[0], where="t.pdf, page 3") == 2022
    with pytest.raises(ExtractionError, match="table's title.*Jan-Jun 2023"):
        year_of({**entry, "column_label": "Hashes"}, "Hashes Added Jan-Jun 2023", RULES[0], where="t.pdf, page 3")


def test_column_header_naming_two_measures_is_refused():
    rule = next(r for r in parse_table_rules(
        "table_id,pattern,default_measure,column_measures,one_per_year,editions,description\n"
        "cvip,CVIP,files,Unique=>unique;Total=>total,false,2022-,x\n"))
    with pytest.raises(ExtractionError, match="naming total, unique"):
        measure_of(PrintedValue(None, "5", 5, None), "CY 2024 | Total Unique Images/Videos", rule, where="t.pdf")


def test_stroked_path_pieces_are_borders_and_filled_paths_count_by_their_box():
    """A table drawn as one stroked path is a pdfplumber curve: its straight pieces are borders.
    A thick filled path is a shaded background, no border."""
    path = [("m", (100, 100)), ("l", (300, 100)), ("l", (300, 140)), ("l", (100, 140)), ("l", (100, 100)),
            ("m", (200, 100)), ("l", (200, 140)), ("m", (100, 120)), ("l", (300, 120))]
    stroked = {"stroke": True, "fill": False, "path": path, "x0": 100, "x1": 300, "top": 100, "bottom": 140}
    shaded = {"stroke": False, "fill": True, "path": [], "x0": 100, "x1": 300, "top": 100, "bottom": 120}
    [group] = group_borders(borders_from_shapes(shapes_from_curves([stroked, shaded])))
    grid = build_grid(group, [], page=1, source="t.pdf")
    assert [len(band) for band in grid.bands] == [2, 2]


# --- synthetic: tables, rules file ----------------------------------------------------------------

RULES = parse_table_rules(
    "table_id,pattern,default_measure,column_measures,one_per_year,cell_labels,misprinted_cell_labels,editions,"
    "description\n"
    "hashes,^Hashes Added,hashes,,false,,,2022-,test\n"
    "victims,^Victims in CY,victims,,true,,,2022-,test\n"
    "le,^Recipients,reports,,false,Actionable=>actionable;Informational=>informational;Total=>total,"
    "International=>informational,2022-,test\n"
)


def _read(entries, header="Hashes Added", title="", page=3):
    return ReadTable(page, header, header, title, tuple(entries))


def _entry(printed, row=None, column="CY 2021", page=3, cell=None):
    entry = {"row_label": row, "footnote": None, "column_label": column, "printed": printed, "page": page}
    return entry if cell is None else {**entry, "cell": cell}


def test_unrecognised_table_is_kept_as_unknown_with_page_and_position():
    [known] = _values("56")
    [other] = _values("1,234")
    result = tables_to_cells([_read([_entry(known)]), _read([_entry(other)], header="Something New")],
                             RULES, edition=2030, source="t.pdf")
    assert [(t["table_id"], t["recognised"], t["n_cells"]) for t in result.tables] == \
        [("hashes", True, 1), ("unknown_p3_2", False, 1)]
    assert [(c["table_id"], c["measure"], c["year"], c["value"]) for c in result.cells] == \
        [("hashes", "hashes", 2021, 56), ("unknown_p3_2", "count", 2021, 1_234)]


def test_per_year_series_takes_the_year_from_the_title():
    tables = [_read([_entry(_values("5")[0], row="Male", column="Pubescent")], header=f"Victims in CY {y}",
                    title=f"Victims in CY {y}") for y in (2021, 2022)]
    result = tables_to_cells(tables, RULES, edition=2030, source="t.pdf")
    assert [c["year"] for c in result.cells] == [2021, 2022]


def test_same_table_twice_is_refused():
    one = _read([_entry(_values("5")[0])])
    with pytest.raises(ExtractionError, match="expected one table matching hashes"):
        tables_to_cells([one, one], RULES, edition=2030, source="t.pdf")


def test_misprinted_label_is_noted_and_unknown_label_refused():
    values = _values("Actionable:", "5", "International:", "3", "Total:", "8")
    result = tables_to_cells([_read([_entry(v, row="Federal", cell=1) for v in values], header="Recipients")], RULES,
                             edition=2030, source="t.pdf")
    assert [c["measure"] for c in result.cells] == ["actionable", "informational", "total"]
    assert len(result.notes) == 1 and result.notes[0]["value_text"] == "3"
    odd = _values("Pending:", "3")
    with pytest.raises(ExtractionError, match="in-cell label"):
        tables_to_cells([_read([_entry(v) for v in odd], header="Recipients")], RULES, edition=2030, source="t.pdf")


def test_ambiguous_rules_are_refused():
    rules = parse_table_rules("table_id,pattern,default_measure,column_measures,one_per_year,editions,description\n"
                              "a,Hashes,hashes,,false,2022-,x\nb,Added,hashes,,false,2022-,x\n")
    with pytest.raises(ExtractionError, match="found 2: a, b"):
        match_rule("Hashes Added", rules, where="t.pdf, page 1")


def test_rules_file_rejects_bad_rows():
    with pytest.raises(ValueError, match="line 2"):
        parse_table_rules("table_id,pattern,default_measure,column_measures,one_per_year,editions,description\n"
                          "ok,(unclosed,hashes,,false,2022-,x\n")
    with pytest.raises(ValueError, match="appears twice"):
        parse_table_rules("table_id,pattern,default_measure,column_measures,one_per_year,editions,description\n"
                          "a,x,hashes,,false,2022-,x\na,y,hashes,,false,2022-,x\n")


def test_rules_file_reads_and_rejects_editions_and_columns():
    """`editions` (required): "2022-" open-ended or "2022-2023" closed; `columns`: a regular
    expression every column label must fully match, empty for any label."""
    header = "table_id,pattern,default_measure,column_measures,one_per_year,editions,columns,description\n"
    [open_ended, closed] = parse_table_rules(header + "a,x,hashes,,false,2022-,CY \\d{4},x\n"
                                             "b,y,hashes,,false,2022-2023,,x\n")
    assert (open_ended.first_edition, open_ended.last_edition, open_ended.columns.pattern) == (2022, None, r"CY \d{4}")
    assert open_ended.expected_in(2031) and not open_ended.expected_in(2021)
    assert (closed.expected_in(2023), closed.expected_in(2024), closed.columns) == (True, False, None)
    for editions in ("", "2022", "2023-2022", "22-"):
        with pytest.raises(ValueError, match="line 2: expected editions"):
            parse_table_rules(header + f"a,x,hashes,,false,{editions},,x\n")
    with pytest.raises(ValueError, match="line 2: expected columns"):
        parse_table_rules(header + "a,x,hashes,,false,2022-,(CY,x\n")


def test_shipped_rules_file_names_editions_and_columns():
    """Every table printed from the 2022 edition on; every rule but the identified victims'
    (whose age-group columns all count victims) lists the column labels it knows."""
    from pipeline.ojjdp_rules import load_table_rules

    rules = load_table_rules()
    assert all((r.first_edition, r.last_edition) == (2022, None) for r in rules)
    assert [r.table_id for r in rules if r.columns is None] == ["cvip_identified_victims"]


def test_rules_file_rejects_bad_cell_labels():
    """In-cell labels are data now: a malformed one, or a misprint standing for a measure the
    table's labels do not name, is refused when the rules file is read."""
    header = ("table_id,pattern,default_measure,column_measures,one_per_year,cell_labels,misprinted_cell_labels,"
              "description\n")
    with pytest.raises(ValueError, match="line 2: expected cell_labels"):
        parse_table_rules(header + "a,x,reports,,false,Actionable:actionable,,x\n")
    with pytest.raises(ValueError, match="line 2: misprinted_cell_labels must stand for"):
        parse_table_rules(header + "a,x,reports,,false,Total=>total,International=>informational,x\n")


def test_shipped_rules_file_keeps_the_in_cell_labels():
    from pipeline.ojjdp_rules import load_table_rules

    rules = {r.table_id: r for r in load_table_rules()}
    assert dict(rules["le_recipients"].cell_labels) == \
        {"actionable": "actionable", "informational": "informational", "total": "total"}
    assert dict(rules["le_recipients"].misprinted_cell_labels) == {"international": "informational"}
    assert all(not r.cell_labels for r in rules.values() if r.table_id != "le_recipients")


def test_shipped_rules_file_loads_with_every_id():
    from pipeline.ojjdp_rules import load_table_rules

    assert {r.table_id for r in load_table_rules()} == set(CELLS_PER_TABLE[2023])


def _table_grid(page, top, rows, header=True, xs=(100, 250, 400, 550)):
    """A Grid of bordered bands: an optional header ("Agency | CY 2021 | CY 2022"), then the rows."""
    bands = ([("Agency", "CY 2021", "CY 2022")] if header else []) + list(rows)
    ys = [top + 20 * i for i in range(len(bands) + 1)]
    words = [_word(text, x + 5, y + 5) for (cells, y) in zip(bands, ys) for text, x in zip(cells, xs) if text]
    shapes = _grid_shapes(list(xs), ys)
    return build_grid(group_borders(borders_from_shapes(shapes))[0], words, page=page, source="t.pdf")


def test_table_continued_on_the_next_page_keeps_its_header():
    first = _table_grid(5, 600, [("FBI", "1", "2")])
    second = _table_grid(6, 72, [("DHS", "3", "4")], header=False)
    [table] = continue_across_pages([first, second])
    read = read_table(table, source="t.pdf")
    assert [(e["row_label"], e["column_label"], e["printed"].value, e["page"]) for e in read.entries] == [
        ("FBI", "CY 2021", 1, 5), ("FBI", "CY 2022", 2, 5), ("DHS", "CY 2021", 3, 6), ("DHS", "CY 2022", 4, 6)]


def test_grid_with_text_above_it_does_not_continue_the_table_before():
    """A caption paragraph above the first grid of a page makes it a table of its own."""
    first = _table_grid(5, 600, [("FBI", "1", "2")])
    second = replace(_table_grid(6, 72, [("DHS", "3", "4")], header=False), text_above="Reports by Agency")
    assert continue_across_pages([first, second]) == [[first], [second]]


def test_grid_repeating_the_header_without_its_title_does_not_continue():
    """Word repeats header rows from a table's first row only: a repeat of the year header
    without the title band belongs to another table; with the title band it continues."""
    first = _titled(_table_grid(5, 600, [("FBI", "1", "2")]))
    untitled = _table_grid(6, 72, [("DHS", "3", "4")])
    assert continue_across_pages([first, untitled]) == [[first], [untitled]]
    repeated = _titled(_table_grid(6, 92, [("DHS", "3", "4")]))
    assert continue_across_pages([first, repeated]) == [[first, repeated]]


def _titled(grid: Grid) -> Grid:
    """The grid with a title band (one cell across the table) on top."""
    cell = Cell(grid.x0, grid.top - 20, grid.x1, grid.top, 0, 0,
                (SizedWord("Hashes", grid.x0 + 5, grid.x0 + 40, grid.top - 15, grid.top - 5, 10.0),))
    return replace(grid, top=grid.top - 20, bands=((cell,),) + grid.bands)


def test_continuation_starting_with_the_tail_of_a_broken_row_is_refused():
    first = _table_grid(5, 600, [("Internet Crimes", "1", "2")])
    second = _table_grid(6, 72, [("(ICACs) Units", None, None), ("DHS", "3", "4")], header=False)
    with pytest.raises(ExtractionError, match=r"t\.pdf, page 6: .*continued from page 5.*'\(ICACs\) Units'"):
        continue_across_pages([first, second], source="t.pdf")


def test_running_header_is_furniture_and_a_caption_is_not():
    """Lines repeated at the same height on another page, digits aside, are page furniture."""
    def words(page_text_lines):
        return group_lines([_word(text, 72, top) for text, top in page_text_lines])

    first = _table_grid(5, 600, [("FBI", "1", "2")])
    second = _table_grid(6, 100, [("DHS", "3", "4")], header=False)
    lines = {5: words([("Report page 5", 40)]), 6: words([("Report page 6", 40), ("Reports by Agency", 80)])}
    [_, continued] = text_above_first_grids([first, second], {5: lines[5], 6: lines[6][:1]})
    assert continued.text_above == ""
    [_, captioned] = text_above_first_grids([first, second], lines)
    assert captioned.text_above == "Reports by Agency"


def test_row_label_with_no_numbers_is_refused():
    """A label-only band (one half of a row broken across pages) is refused, not dropped."""
    grid = _table_grid(5, 80, [("FBI", "1", "2"), ("Local Law", None, None)])
    with pytest.raises(ExtractionError, match="page 5.*row 'Local Law', found none beside its label"):
        read_table([grid], source="t.pdf")


def test_text_among_the_numbers_is_refused():
    grid = _table_grid(5, 80, [("FBI", "1", "n/a")])
    assert continue_across_pages([grid]) == [[grid]]
    with pytest.raises(ExtractionError, match="page 5.*found text 'n/a'"):
        read_table([grid], source="t.pdf")


# --- synthetic PDF, end to end ---------------------------------------------------------------------

def _draw_table(pdf: FPDF, x, y, widths, rows, title=None, height=18.0):
    """A Word-like table: text in cells, every border a thin filled rectangle; an optional title
    row spans the whole width."""
    right = x + sum(widths)
    bands = ([title] if title else []) + list(rows)
    for r, cells in enumerate(bands):
        texts = [cells] if r == 0 and title else cells
        cx = x
        for width, text in zip(widths, texts):
            if text:
                pdf.text(cx + 4, y + r * height + 12, text)
            cx += width
    for r in range(len(bands) + 1):
        pdf.rect(x, y + r * height - 0.24, right - x, 0.48, style="F")
    for r in range(len(bands)):
        edges = [x, right] if r == 0 and title else [x + sum(widths[:i]) for i in range(len(widths) + 1)]
        for edge in edges:
            pdf.rect(edge - 0.24, y + r * height, 0.48, height, style="F")


def test_synthetic_edition_end_to_end(tmp_path):
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_font("helvetica", "", 10)
    pdf.add_page()
    pdf.text(72, 60, "Prose about hashes, CY 2021 and CY 2022, is not a table.")
    _draw_table(pdf, 72, 100, [200, 200], [("CY 2021", "CY 2022"), ("237,404", "-")],
                title="NCMEC MD5 Hashes Added to Exploitative Hash-Sharing Initiative")
    _draw_table(pdf, 72, 200, [150, 100, 100], [("Widgets Counted", "CY 2021", "CY 2022"), ("Blue", "1,234", "0")])
    pdf.add_page()
    pdf.text(72, 60, "A page with text only.")
    path = tmp_path / "synthetic.pdf"
    pdf.output(str(path))

    result = extract_ojjdp(path, edition=2022)
    assert [(t["table_id"], t["page"], t["caption"], t["n_cells"], t["recognised"]) for t in result.tables] == [
        ("ncmec_md5_exploitative", 1, "NCMEC MD5 Hashes Added to Exploitative Hash-Sharing Initiative", 2, True),
        ("unknown_p1_2", 1, "Widgets Counted", 2, False)]
    assert [(c["table_id"], c["row_label"], c["column_label"], c["year"], c["measure"], c["value"], c["value_text"])
            for c in result.cells] == [
        ("ncmec_md5_exploitative", None, "CY 2021", 2021, "hashes", 237_404, "237,404"),
        ("ncmec_md5_exploitative", None, "CY 2022", 2022, "hashes", None, "-"),
        ("unknown_p1_2", "Blue", "CY 2021", 2021, "count", 1_234, "1,234"),
        ("unknown_p1_2", "Blue", "CY 2022", 2022, "count", 0, "0")]


def test_unreadable_cell_error_names_file_page_expected_and_found(tmp_path):
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_font("helvetica", "", 10)
    pdf.add_page()
    _draw_table(pdf, 72, 200, [150, 100, 100], [("Widgets", "CY 2021", "CY 2022"), ("Blue", "12", "3,4")])
    path = tmp_path / "broken.pdf"
    pdf.output(str(path))
    with pytest.raises(ExtractionError, match=r"broken\.pdf, page 1: .*expected one number.*'3,4'"):
        extract_ojjdp(path, edition=2022)
