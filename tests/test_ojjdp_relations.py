"""The sum relations file (pipeline/data/ojjdp_relations.toml): a relation added to the file is
checked without touching Python, a row it places is no longer refused, and a malformed file is
refused with a message naming the file, the entry, what was expected and what was found."""

from __future__ import annotations

from importlib import resources

import pytest

from pipeline.validate.ojjdp import check_labels_placed, check_ojjdp
from pipeline.validate.ojjdp_relations import RELATIONS_FILE, load_relations

SOURCE = "ojjdp-test.pdf"
TABLE, COLUMN = "cvip_le_submissions", "CY 2024 | Reviews Submitted"
PACKAGED = resources.files("pipeline.data").joinpath("ojjdp_relations.toml").read_text(encoding="utf-8")
SPACE_RELATION = """
[[sum]]
name = "cvip_le_submissions_space_parts"
why = "space agencies = Total Space Agencies"
total = { table = "cvip_le_submissions", row_label = 'Total Space Agencies' }
parts = [
    { table = "cvip_le_submissions", row_label = 'Space Force OSI' },
    { table = "cvip_le_submissions", row_label = 'Space Command CID' },
]
match_on = ["column_label", "year", "measure"]
"""


def agency(row, value, page=19):
    return {"edition": 2024, "table_id": TABLE, "row_label": row, "footnote": None, "column_label": COLUMN,
            "year": 2024, "measure": "reviews", "value": value, "percent": None, "value_text": f"{value:,}",
            "page": page}


SPACE_CELLS = [agency("Space Force OSI", 3), agency("Space Command CID", 4), agency("Total Space Agencies", 8)]


def copy_with(tmp_path, text: str):
    path = tmp_path / "ojjdp_relations.toml"
    path.write_text(text, encoding="utf-8")
    return path


def by_name(results, name):
    [result] = [r for r in results if r.check == name]
    return result


def test_a_row_in_no_relation_is_refused_naming_the_relations_file():
    placed = by_name(check_labels_placed(SPACE_CELLS, source_file=SOURCE), f"ojjdp_rows_placed:{TABLE}")
    assert (placed.passed, placed.blocking) == (False, True)
    assert "'Space Force OSI'" in placed.message
    assert placed.message.endswith(f"place them in a relation (or [[standalone]]) of {RELATIONS_FILE}")


def test_a_relation_added_to_a_copy_of_the_file_is_checked_and_places_its_rows(tmp_path):
    relations = load_relations(copy_with(tmp_path, PACKAGED + SPACE_RELATION))
    assert [r.name for r in relations.sums][-1] == "cvip_le_submissions_space_parts"
    results = check_ojjdp(SPACE_CELLS, source_file=SOURCE, esp_totals={}, country_totals={}, relations=relations)
    space = by_name(results, "ojjdp_parts_sum:cvip_le_submissions_space_parts")
    assert (space.passed, space.blocking, space.in_source) == (False, False, True)
    assert (space.expected, space.actual, space.page) == ("8", "7", 19)
    assert "space agencies = Total Space Agencies: Space Force OSI 3 + Space Command CID 4 = 7" in space.message
    assert by_name(results, f"ojjdp_rows_placed:{TABLE}").passed


def test_a_standalone_row_added_to_a_copy_of_the_file_is_placed(tmp_path):
    standalone = '\n[[standalone]]\ntable = "cvip_le_submissions"\nrow_label = \'Space Force OSI\'\n'
    relations = load_relations(copy_with(tmp_path, PACKAGED + standalone))
    cells = [agency("Space Force OSI", 3)]
    assert not by_name(check_labels_placed(cells, source_file=SOURCE), f"ojjdp_rows_placed:{TABLE}").passed
    assert by_name(check_labels_placed(cells, source_file=SOURCE, relations=relations),
                   f"ojjdp_rows_placed:{TABLE}").passed


FIRST = "[[sum]] number 1 (reports_by_submitter_parts)"


@pytest.mark.parametrize("old, new, message", [
    ('match_on = ["column_label", "year", "measure"]\n\n[[sum]]\nname = "reports_by_user_location_parts"',
     'match_on = ["column_label", "yeer", "measure"]\n\n[[sum]]\nname = "reports_by_user_location_parts"',
     f"{FIRST}: expected match_on as a list of distinct fields of row_label, column_label, year, measure,"
     " found ['column_label', 'yeer', 'measure']"),
    ('total reports"\ntotal = { table = "reports_by_submitter"', 'total reports"\ntotal = { table = "reports_by_submiter"',
     f"{FIRST}: total: expected table as a table_id of pipeline/data/ojjdp_tables.csv,"
     " found 'reports_by_submiter'"),
    ("row_label = 'Public CyberTipline Reports' }", "row_label = 'Public CyberTipline Reports', measure = 'x' }",
     f"{FIRST}: part 1: expected exactly one of row_label, column_label, measure beside table,"
     " found row_label, measure"),
    ("row_label = 'ESP CyberTipline Reports' }", "row_label = 'ESP CyberTipline (Reports' }",
     f"{FIRST}: part 2: expected row_label as a regular expression, found 'ESP CyberTipline (Reports':"
     " missing ), unterminated subpattern at position 17"),
    ('why = "public + ESP reports = total reports"', 'why = "public + ESP reports = total reports"\nat_lest = true',
     f"{FIRST}: expected the keys match_on, name, parts, total, why (and optionally at_least), found unknown at_lest"),
    ('name = "reports_by_user_location_parts"', 'name = "reports_by_submitter_parts"',
     "[[sum]] number 2 (reports_by_submitter_parts): expected a name used once, found"
     " 'reports_by_submitter_parts', already the name of a [[sum]] relation"),
    ("parts = [{ table = \"reports_by_user_location\", row_label = 'Total' }]",
     "parts = [{ table = \"reports_by_user_location\", row_label = 'Total' }, { table = \"files_by_type\","
     " row_label = 'Total' }]",
     "[[same_figure]] number 1 (total_reports_in_user_location): expected parts as a list of one selection, found"
     " [{'table': 'reports_by_user_location', 'row_label': 'Total'}, {'table': 'files_by_type', 'row_label':"
     " 'Total'}]"),
    ('[[standalone]]\ntable = "cvip_le_submissions"\nrow_label = \'Total International Agencies\'',
     '[[standalone]]\ntable = "cvip_le_submissions"\nrow_label = \'Total International Agencies\'\nevery = true',
     "[[standalone]] number 2: expected the keys row_label, table, found unknown every"),
])
def test_a_malformed_relations_file_is_refused_saying_where_and_what(tmp_path, old, new, message):
    assert PACKAGED.count(old) == 1, old
    path = copy_with(tmp_path, PACKAGED.replace(old, new))
    with pytest.raises(ValueError) as refused:
        load_relations(path)
    assert str(refused.value) == f"{path}: {message}"


def test_a_relations_file_that_is_no_toml_is_refused_naming_its_line(tmp_path):
    path = copy_with(tmp_path, PACKAGED.replace('why = "male + female = total victims"', 'why = male + female'))
    with pytest.raises(ValueError, match=rf"^{path}: expected TOML, found a syntax error: .*\(at line \d+, column"):
        load_relations(path)


def test_the_packaged_relations_are_read_once_a_process(monkeypatch):
    """Every OJJDP edition's checks ask for the relations: the file is parsed once, not each time."""
    from pipeline.validate import ojjdp_relations

    parsed, real_parse = [], ojjdp_relations.parse_relations
    monkeypatch.setattr(ojjdp_relations, "parse_relations", lambda *a, **k: parsed.append(1) or real_parse(*a, **k))
    ojjdp_relations._packaged_relations.cache_clear()
    try:
        assert load_relations() is load_relations()
        assert len(parsed) == 1
    finally:
        ojjdp_relations._packaged_relations.cache_clear()
