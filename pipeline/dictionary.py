"""The data dictionary: every output table and column, generated from the schemas in
`pipeline.store`, so it cannot drift from what the files hold (PUDL's habit).

One set of plain records (`data_dictionary`) and renderers over it: markdown for
`ncmec-pipeline datasets --format markdown` and the README, HTML for the report's section.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pyarrow as pa


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
    the schema declares every column nullable; this says which are null in practice."""
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
           "Generated from the schemas in `pipeline/store.py` (`ncmec-pipeline datasets --format markdown`). "
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
