"""Load the pipeline's Parquet outputs into pandas with the right types, in one line.

    from pipeline import load, datasets
    datasets()                                    # what is there, with descriptions and row counts
    esp = load("esp_reports", years=[2022, 2023])  # nullable Int64 counts, string names, categories
    load.describe("esp_reports")                  # each column's description, from the file itself

Everything is read from the files' own schema metadata (written by `pipeline.store`), so the
loader never disagrees with what the files say about themselves. The data folder is the one the
command line uses: `data_dir`, else `$NCMEC_DATA_DIR`, else `./data`; the tables are in its
`processed/` folder.

This module is callable (`load("esp_reports")`): `pipeline.load` is both this module and the
function analysts call, and Python's import system would otherwise make `from pipeline import load`
return the module or the function depending on what was imported first.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.families import table_families
from pipeline.workspace import Workspace

# Few distinct values repeated on every row: a category is smaller and sorts/groups faster.
CATEGORY_COLUMNS = frozenset({
    "family", "status", "iso3_status", "measure", "table_id", "footnote",
    "source_file", "source_sha256", "check",
})

# The column `years=` filters on. ojjdp_cells has both: `year` (the year a number describes,
# e.g. 1998 in Appendix A) and `edition` (which report printed it; see `editions=`).
YEAR_COLUMN = "year"
EDITION_COLUMN = "edition"


def processed_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The published outputs of `data_dir`, else of $NCMEC_DATA_DIR, else of ./data (as the CLI)."""
    return Workspace.default(data_dir).processed


def available_names(data_dir: str | os.PathLike | None = None) -> list[str]:
    """Names of the tables present in the processed folder, sorted."""
    folder = processed_dir(data_dir)
    return sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []


def table_path(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The file of table `name`, or a FileNotFoundError that says what is there instead."""
    path = Workspace.default(data_dir).table(name)
    if not path.is_file():
        present = available_names(data_dir)
        hint = (f"available: {', '.join(present)}" if present else
                "no outputs there yet: run `ncmec-pipeline run` or set NCMEC_DATA_DIR")
        raise FileNotFoundError(f"no table {name!r} in {path.parent} ({hint})")
    return path


def _metadata_text(metadata: dict | None, key: str) -> str | None:
    value = (metadata or {}).get(key.encode())
    return value.decode() if value is not None else None


def pandas_dtype(field: pa.Field):
    """The pandas dtype an analyst wants for one Parquet column.

    Integers stay nullable at their width (a count NCMEC printed as '-' stays missing, never NaN
    in a float column); decimals (printed percents) become nullable Float64 for arithmetic, the
    exact printed text being in `value_text`.
    """
    if field.name in CATEGORY_COLUMNS and pa.types.is_string(field.type):
        return "category"
    kind = field.type
    if pa.types.is_integer(kind):
        return {8: "Int8", 16: "Int16", 32: "Int32", 64: "Int64"}[kind.bit_width]
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_decimal(kind) or pa.types.is_floating(kind):
        return "Float64"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "string"
    return None


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A pyarrow table as a DataFrame with `pandas_dtype` types; the schema metadata goes to `.attrs`."""
    frame = table.to_pandas(types_mapper={pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(),
                                          pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(),
                                          pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}.get)
    for field in table.schema:
        dtype = pandas_dtype(field)
        if dtype is not None and str(frame[field.name].dtype) != dtype:
            frame[field.name] = frame[field.name].astype(dtype)
    metadata = table.schema.metadata or {}
    frame.attrs = {key.decode(): value.decode() for key, value in metadata.items()}
    return frame


def _filters(schema: pa.Schema, name: str, years, editions) -> list[tuple] | None:
    filters = []
    for column, values, argument in ((YEAR_COLUMN, years, "years"), (EDITION_COLUMN, editions, "editions")):
        if values is None:
            continue
        if column not in schema.names:
            raise ValueError(f"{name} has no {column!r} column, so {argument}= does not apply "
                             f"(its columns: {', '.join(schema.names)})")
        filters.append((column, "in", _years(values)))
    return filters or None


def _years(values) -> list[int]:
    """`years=2023` or `years=[2022, 2023]` (a bare int was 'int object is not iterable')."""
    return [int(values)] if isinstance(values, (int, str)) else [int(v) for v in values]


# The document family whose editions feed a table, to say why a year asked for has no rows.
TABLE_FAMILIES = table_families()


def _warn_empty_years(name: str, frame: pd.DataFrame, column: str, asked, data_dir) -> None:
    """Warn for each year asked for that has no rows, naming the document and its status (an
    empty frame for a missing edition looked like 'no reports that year')."""
    import warnings

    missing = [y for y in _years(asked) if column not in frame or not (frame[column] == y).any()]
    if not missing:
        return
    try:
        documents = pq.read_table(table_path("documents", data_dir)).to_pylist()
    except FileNotFoundError:
        documents = []
    family = TABLE_FAMILIES.get(name)
    for year in missing:
        docs = [d for d in documents if d["family"] == family and d["year"] == year]
        why = "; ".join(f"{d['doc_id']} ({d['source_file']}) is {d['status']}" + (f": {d['message']}" if d["message"] else "")
                        for d in docs if d["status"] != "ok")
        warnings.warn(f"{name} has no rows for {column} {year}: " + (why or "no document of this run covers it"
                      " (see documents.parquet, or `ncmec-pipeline fields`)"), UserWarning, stacklevel=3)


def load(name: str, years=None, data_dir: str | os.PathLike | None = None, *, editions=None) -> pd.DataFrame:
    """One output table as a typed DataFrame, optionally only some years.

    `years` keeps rows whose `year` is listed (for ojjdp_cells that is the year a number
    describes; `editions` selects by the report edition that printed it). The table's own
    description and schema version are in `frame.attrs`.
    """
    from pipeline.store import read_consistent

    path = table_path(name, data_dir)

    def read(_):
        schema = pq.read_schema(path)
        return pq.read_table(path, filters=_filters(schema, name, years, editions))
    # Never a table of a set being replaced: refused while a commit is pending (OutputsUnavailable).
    frame = to_frame(read_consistent(path.parent, read)).reset_index(drop=True)
    for column, asked in ((YEAR_COLUMN, years), (EDITION_COLUMN, editions)):
        if asked is not None:
            _warn_empty_years(name, frame, column, asked, data_dir)
    return frame


def datasets(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The tables present, one row each: name, description, schema_version, rows.

    Read from each file's footer only (schema metadata and row count), so listing is instant.
    """
    from pipeline.store import read_consistent

    return read_consistent(processed_dir(data_dir), lambda _: _datasets(data_dir))


def _datasets(data_dir) -> pd.DataFrame:
    rows = []
    for name in available_names(data_dir):
        path = table_path(name, data_dir)
        metadata = pq.read_metadata(path)
        schema_metadata = metadata.schema.to_arrow_schema().metadata
        rows.append({
            "name": name,
            "description": _metadata_text(schema_metadata, "description"),
            "schema_version": _metadata_text(schema_metadata, "schema_version"),
            "rows": metadata.num_rows,
        })
    frame = pd.DataFrame(rows, columns=["name", "description", "schema_version", "rows"])
    return frame.astype({"name": "string", "description": "string", "schema_version": "string", "rows": "Int64"})


def describe(name: str, data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Each column of table `name`: its Parquet type, the dtype `load` gives it, its description."""
    schema = pq.read_schema(table_path(name, data_dir))
    rows = [{
        "column": field.name,
        "parquet_type": str(field.type),
        "pandas_dtype": str(pandas_dtype(field) or "object"),
        "description": _metadata_text(field.metadata, "description"),
    } for field in schema]
    return pd.DataFrame(rows, columns=["column", "parquet_type", "pandas_dtype", "description"]).astype("string")


class _CallableModule(types.ModuleType):
    """Lets `pipeline.load` the module be called as `load(...)` (see the module docstring)."""

    # `load` itself, so a wrong keyword is reported by `load()` with its own signature, not by
    # this class's `__call__()`.
    __call__ = staticmethod(load)


sys.modules[__name__].__class__ = _CallableModule


def dictionary_markdown(data_dir: str | os.PathLike | None = None, name: str | None = None) -> str:
    """`datasets --format markdown`: the data dictionary (every table, or `name`, with its
    columns' types, nullability, keys and descriptions, from pipeline/data/columns.toml), with the
    rows and nulls counted in the outputs of `data_dir`."""
    from pipeline.dictionary import data_dictionary, observed_nulls, render_markdown

    tables = [t for t in data_dictionary() if name is None or t["table"] == name]
    rows = {r.name: int(r.rows) for r in datasets(data_dir).itertuples(index=False)}
    nulls = {t: observed_nulls(Workspace.default(data_dir).table(t)) for t in available_names(data_dir)}
    return render_markdown(tables, rows, nulls)
