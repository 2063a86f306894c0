"""The field dictionary (PUDL's habit): every output column defined once, every table a list of
its columns and its keys, in pipeline/data/columns.toml; and the data dictionary rendered from it.

`field_dictionary` reads and checks the file; `parquet_schema` turns one table into the pyarrow
schema `pipeline.store` writes it with (descriptions and keys in the schema metadata), so the
schemas, `datasets` / `load.describe` (which read the files' metadata) and the rendered data
dictionary cannot drift apart; a test holds the README's column tables to it.

One set of plain records (`data_dictionary`) and renderers over it: markdown for
`ncmec-pipeline datasets --format markdown` and the README, HTML for the report's section.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pyarrow is imported where a type is made: a run that writes nothing never loads it
    import pyarrow as pa

COLUMNS_FILE = "pipeline/data/columns.toml"
TYPES = ("int16", "int32", "int64", "float64", "bool", "string", "date32")
DECIMAL = re.compile(r"decimal128\((\d+), (\d+)\)")


@dataclass(frozen=True)
class Column:
    """One column as a table holds it: its file name, type, nullability and description."""

    id: str
    name: str
    type: pa.DataType
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """One output table: its columns in file order, its sort key and what identifies a row."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    identity: tuple[str, ...] | None  # None: the sort key identifies a row


@dataclass(frozen=True)
class FieldDictionary:
    schema_version: str
    columns: dict[str, Column]
    tables: dict[str, Table]


@cache
def field_dictionary() -> FieldDictionary:
    """The packaged pipeline/data/columns.toml, read once."""
    text = resources.files("pipeline.data").joinpath("columns.toml").read_text(encoding="utf-8")
    return parse_field_dictionary(text)


def parse_field_dictionary(text: str, source: str = COLUMNS_FILE) -> FieldDictionary:
    """The dictionary from the TOML text; anything malformed is a ValueError saying where."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{source}: expected TOML, found a syntax error: {err}") from None
    _keys(data, {"schema_version", "columns", "tables"}, set(), source)
    if not isinstance(data["schema_version"], str):
        raise ValueError(f"{source}: expected schema_version as a string, found {data['schema_version']!r}")
    columns = {cid: _column(cid, entry, f"{source}: [columns.{cid}]") for cid, entry in data["columns"].items()}
    tables = {name: _table(name, entry, columns, f"{source}: [tables.{name}]")
              for name, entry in data["tables"].items()}
    return FieldDictionary(data["schema_version"], columns, tables)


def _keys(entry, required: set[str], optional: set[str], where: str) -> None:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a table of keys, found {entry!r}")
    missing, unknown = sorted(required - set(entry)), sorted(set(entry) - required - optional)
    if missing or unknown:
        found = "; ".join(p for p in (f"missing {', '.join(missing)}" if missing else "",
                                      f"unknown {', '.join(unknown)}" if unknown else "") if p)
        expected = (f"the keys {', '.join(sorted(required))}" if required else "no keys but") + (
            f" (and optionally {', '.join(sorted(optional))})" if required and optional
            else f" {', '.join(sorted(optional))}" if optional else "")
        raise ValueError(f"{where}: expected {expected}, found {found}")


def _type(text, where: str) -> pa.DataType:
    import pyarrow as pa

    if text in TYPES:
        return {"bool": pa.bool_()}.get(text) or getattr(pa, text)()
    match = DECIMAL.fullmatch(text) if isinstance(text, str) else None
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"{where}: expected type as one of {', '.join(TYPES)} or decimal128(P, S), found {text!r}")


def _nullable_flag(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where}: expected nullable as true or false, found {value!r}")
    return value


def _column(cid: str, entry, where: str) -> Column:
    _keys(entry, {"type", "description"}, {"name", "nullable"}, where)
    name = entry.get("name", cid)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"{where}: expected name as a snake_case column name, found {name!r}")
    if not isinstance(entry["description"], str) or not entry["description"]:
        raise ValueError(f"{where}: expected a description, found {entry['description']!r}")
    return Column(cid, name, _type(entry["type"], where), entry["description"],
                  _nullable_flag(entry.get("nullable", True), where))


def _table(name: str, entry, columns: dict[str, Column], where: str) -> Table:
    _keys(entry, {"description", "columns", "key"}, {"identity", "refine"}, where)
    ids = entry["columns"]
    unknown = [c for c in ids if c not in columns] if isinstance(ids, list) else ids
    if not isinstance(ids, list) or unknown:
        raise ValueError(f"{where}: expected columns as a list of ids of [columns], found {unknown!r}")
    refine = entry.get("refine", {})
    _keys(refine, set(), set(ids), f"{where}.refine")
    chosen = []
    for cid in ids:
        column = columns[cid]
        if cid in refine:
            _keys(refine[cid], set(), {"description", "nullable"}, f"{where}.refine.{cid}")
            column = Column(cid, column.name, column.type, refine[cid].get("description", column.description),
                            _nullable_flag(refine[cid].get("nullable", column.nullable), f"{where}.refine.{cid}"))
        chosen.append(column)
    names = [c.name for c in chosen]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{where}: expected each column name once, found {', '.join(twice)} more than once")
    keys = {}
    for part in ("key", "identity"):
        value = entry.get(part, entry["key"])
        if not isinstance(value, list) or not value or any(k not in names for k in value):
            raise ValueError(f"{where}: expected {part} as a list of the table's column names, found {value!r}")
        keys[part] = tuple(value)
    return Table(name, entry["description"], tuple(chosen), keys["key"],
                 keys["identity"] if "identity" in entry else None)


def parquet_schema(table: Table, schema_version: str) -> pa.Schema:
    """The schema a table's file is written with: each column's description in its field
    metadata; the table's name, description, schema version and sort key in the schema's."""
    import pyarrow as pa

    fields = [pa.field(c.name, c.type, nullable=c.nullable, metadata={"description": c.description})
              for c in table.columns]
    return pa.schema(fields, metadata={
        "table": table.name,
        "description": table.description,
        "schema_version": schema_version,
        "primary_key": ",".join(table.key),
    })


def _type_name(dtype: pa.DataType) -> str:
    return str(dtype).replace("decimal128", "decimal")


def data_dictionary(tables: Mapping[str, tuple[pa.Schema, list[str]]] | None = None,
                    identity: Mapping[str, list[str]] | None = None) -> list[dict]:
    """One record per table: name, description, schema_version, sort key, row identity (what
    `diff --runs` matches rows on) and its columns (name, type, nullable, key, description)."""
    from pipeline.store import ROW_IDENTITY, TABLES

    tables = TABLES if tables is None else tables
    identity = ROW_IDENTITY if identity is None else identity
    out = []
    for name, (schema, key) in tables.items():
        metadata = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
        ids = identity.get(name, key)
        columns = [{"column": f.name, "type": _type_name(f.type), "nullable": f.nullable,
                    "key": "identity" if f.name in ids else "sort" if f.name in key else "",
                    "description": (f.metadata or {}).get(b"description", b"").decode()} for f in schema]
        out.append({"table": name, "description": metadata.get("description", ""),
                    "schema_version": metadata.get("schema_version"), "sort_key": key, "identity": ids,
                    "columns": columns})
    return out


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def observed_nulls(path) -> dict[str, int]:
    """Nulls per column of a written Parquet file, from its footer statistics (no data read):
    the schema declares which columns may hold nulls; this says how many do in practice."""
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    nulls: dict[str, int] = {}
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        for i in range(group.num_columns):
            column = group.column(i)
            stats = column.statistics
            if stats is not None and stats.has_null_count:
                nulls[column.path_in_schema] = nulls.get(column.path_in_schema, 0) + stats.null_count
    return nulls


def _nullable(column: dict, nulls: Mapping[str, int] | None) -> str:
    text = "yes" if column["nullable"] else "no"
    if nulls is not None and column["column"] in nulls:
        text += f" ({nulls[column['column']]:,} null)"
    return text


def render_markdown(dictionary: list[dict], rows: Mapping[str, int] | None = None,
                    nulls: Mapping[str, Mapping[str, int]] | None = None) -> str:
    """The dictionary as markdown: a section per table, a row per column (with the rows and
    nulls of the outputs at hand, where given)."""
    out = ["# Data dictionary", "",
           "Generated from the field dictionary `pipeline/data/columns.toml`, which the files' schemas follow"
           " (`ncmec-pipeline datasets --format markdown`). "
           "key: `identity` = the columns identifying a row across runs (`diff --runs` matches on them); "
           "`sort` = further columns the file is sorted by.", ""]
    for table in dictionary:
        count = (rows or {}).get(table["table"])
        out += [f"## `{table['table']}`", "", table["description"] + ".", "",
                f"Schema version {table['schema_version']}; identified by {', '.join(table['identity'])}; "
                f"sorted by {', '.join(table['sort_key'])}" + (f"; {count:,} rows in these outputs" if count is not None
                                                                  else "") + ".", "",
                "| column | type | nullable | key | description |", "|---|---|---|---|---|"]
        mine = (nulls or {}).get(table["table"])
        out += [f"| `{c['column']}` | {c['type']} | {_nullable(c, mine)} | {c['key']} | "
                f"{_md(c['description'])} |" for c in table["columns"]]
        out.append("")
    return "\n".join(out)


def render_html(dictionary: list[dict]) -> str:
    """The dictionary as HTML tables, one per output table (the report's section)."""
    esc = html.escape
    parts = []
    for table in dictionary:
        rows = "".join(f"<tr><td><code>{esc(c['column'])}</code></td><td>{esc(c['type'])}</td>"
                       f"<td>{'yes' if c['nullable'] else 'no'}</td><td>{esc(c['key'])}</td>"
                       f"<td>{esc(c['description'])}</td></tr>" for c in table["columns"])
        parts.append(f"<h3><code>{esc(table['table'])}</code></h3><p>{esc(table['description'])}. Identified by "
                     f"{esc(', '.join(table['identity']))}; sorted by {esc(', '.join(table['sort_key']))}.</p>"
                     f'<table class="dictionary"><thead><tr><th>column</th><th>type</th><th>nullable</th>'
                     f"<th>key</th><th>description</th></tr></thead><tbody>{rows}</tbody></table>")
    return "".join(parts)
