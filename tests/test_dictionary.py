"""The field dictionary (pipeline/data/columns.toml): the schemas the files are written with, the
README's column tables and `load.describe` all agree with it, and a malformed file is refused
with a message naming the file, the entry, what was expected and what was found."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from pipeline.dictionary import field_dictionary, parse_field_dictionary
from pipeline.load import describe
from pipeline.store import TABLES, write_records

README = Path(__file__).resolve().parents[1] / "README.md"
PACKAGED = resources.files("pipeline.data").joinpath("columns.toml").read_text(encoding="utf-8")


def readme_column_tables() -> dict[str, list[tuple[list[str], str]]]:
    """Each `NAME.parquet` section's table of | column | type | meaning |: its rows as (the
    column names of the row, the type cell)."""
    tables: dict[str, list[tuple[list[str], str]]] = {}
    current = None
    for line in README.read_text(encoding="utf-8").splitlines():
        opened = re.match(r"^`(\w+)\.parquet`", line)
        if opened:
            current = opened.group(1)
        elif current and line.startswith("| column | type |"):
            tables[current] = []
        elif current in tables and line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            tables[current].append(([c.strip() for c in cells[0].split(",")], cells[1]))
        elif current in tables and tables[current] and not line.startswith("|"):
            current = None
    return tables


def readme_types(columns: list[str], cell: str) -> dict[str, tuple[str, bool]]:
    """'int64, nullable' -> every column (int64, nullable); 'int64, int32' -> one type per column,
    none nullable; '' -> nothing said."""
    parts = [p.strip() for p in re.split(r",(?![^()]*\))", cell) if p.strip()]  # not inside decimal128(9,4)
    nullable = bool(parts) and parts[-1] == "nullable"
    parts = parts[:-1] if nullable else parts
    if not parts:
        return {}
    if len(parts) == 1:
        return dict.fromkeys(columns, (parts[0], nullable))
    assert len(parts) == len(columns), (columns, cell)
    return {column: (part, nullable) for column, part in zip(columns, parts)}


def test_the_readme_documents_every_column_of_its_tables_with_the_dictionarys_type_and_nullability():
    documented = readme_column_tables()
    assert {"esp_reports", "country_reports", "ojjdp_cells", "document_versions"} <= set(documented)
    for name, rows in documented.items():
        table = field_dictionary().tables[name]
        columns = {c.name: c for c in table.columns}
        named = [column for names, _ in rows for column in names]
        assert sorted(named) == sorted(columns), name
        for names, cell in rows:
            for column, (written, nullable) in readme_types(names, cell).items():
                assert written.replace(" ", "") == str(columns[column].type).replace(" ", ""), (name, column)
                assert nullable == columns[column].nullable, (name, column)


def test_the_schemas_are_the_dictionarys():
    dictionary = field_dictionary()
    assert list(TABLES) == list(dictionary.tables)
    for name, table in dictionary.tables.items():
        schema, key = TABLES[name]
        assert key == list(table.key)
        assert [(f.name, f.type, f.nullable, f.metadata[b"description"].decode()) for f in schema] == \
            [(c.name, c.type, c.nullable, c.description) for c in table.columns]
        assert schema.metadata[b"schema_version"].decode() == dictionary.schema_version


def test_describe_gives_the_dictionarys_types_and_descriptions(tmp_path):
    table = field_dictionary().tables["ojjdp_cells"]
    write_records("ojjdp_cells", [], tmp_path / "processed")
    described = describe("ojjdp_cells", tmp_path)
    assert list(described["column"]) == [c.name for c in table.columns]
    assert list(described["description"]) == [c.description for c in table.columns]
    assert list(described["parquet_type"]) == [str(c.type) for c in table.columns]


def test_a_column_is_defined_once_and_shared():
    """The provenance columns are one definition each, used by every table that carries them."""
    uses = {name: [t for t in field_dictionary().tables.values() if any(c.id == name for c in t.columns)]
            for name in ("page", "source_file", "source_sha256", "year", "footnote")}
    assert all(len(tables) >= 3 for tables in uses.values())
    assert PACKAGED.count("[columns.source_sha256]") == 1


@pytest.mark.parametrize("old, new, message", [
    ('[columns.iso3]\ntype = "string"', '[columns.iso3]\ntype = "text"',
     "[columns.iso3]: expected type as one of int16, int32, int64, float64, bool, string, date32 or"
     " decimal128(P, S), found 'text'"),
    ('"year", "country", "footnote", "iso3",', '"year", "country", "footnote", "iso_3",',
     "[tables.country_reports]: expected columns as a list of ids of [columns], found ['iso_3']"),
    ('key = ["year", "country", "page"]', 'key = ["year", "country_name", "page"]',
     "[tables.country_reports]: expected key as a list of the table's column names, found"
     " ['year', 'country_name', 'page']"),
    ('[tables.documents.refine]\nyear = {', '[tables.documents.refine]\nesp = { description = "x" }\nyear = {',
     "[tables.documents].refine: expected no keys but bytes, doc_id, family, message, origin, pages,"
     " printed_total, rows, sha256, source_file, status, url, year, found unknown esp"),
    ('[columns.iso3]\ntype = "string"', '[columns.iso3]\nname = "country"\ntype = "string"',
     "[tables.country_reports]: expected each column name once, found country more than once"),
])
def test_a_malformed_dictionary_is_refused_saying_where_and_what(old, new, message):
    assert PACKAGED.count(old) == 1, old
    with pytest.raises(ValueError) as refused:
        parse_field_dictionary(PACKAGED.replace(old, new), source="columns.toml")
    assert str(refused.value) == f"columns.toml: {message}"


def test_a_row_without_a_value_in_a_non_null_column_is_refused_naming_table_column_and_row(tmp_path):
    from pipeline.store import to_table

    row = {"year": 2023, "esp": "Chad Inc.", "esp_key": None, "page": 4, "source_file": "esp.pdf",
           "source_sha256": "0" * 64, "reports": 3, "reports_source": "printed"}
    assert not field_dictionary().tables["esp_reports"].columns[2].nullable
    with pytest.raises(ValueError) as refused:
        to_table("esp_reports", [row, {**row, "esp": "Egypt Inc.", "esp_key": "egypt"}])
    assert str(refused.value) == (
        "esp_reports: expected a value in every row of esp_key (declared non-null in pipeline/data/columns.toml),"
        " found none in 1 row(s), the first {'year': 2023, 'esp': 'Chad Inc.', 'page': 4}")
    assert to_table("esp_reports", [{**row, "esp_key": "chad"}]).schema.field("esp_key").nullable is False
