"""What changed: between two years, between two OJJDP editions, between two nightly runs.

Auditors ask three questions of the outputs, and each has a builder returning plain data (dicts
and lists, JSON-ready) and renderers for the terminal, markdown and JSON:

  year_diff     year A against year B: every catalog field side by side (status, value, absolute
                and relative change), every OJJDP table number, ESPs and countries that appear
                or disappear, fields whose status changed
  edition_diff  numbers an OJJDP edition restates for a year an earlier edition already printed
                (each edition covers three years, so consecutive editions overlap by two)
  run_diff      two processed/ folders (yesterday's and tonight's) table by table, rows matched
                on each table's primary key (from the Parquet schema metadata), like pudl_diff
                and csv-diff: schema changes, rows added, removed and changed
  version_diff  two published versions of one document (NCMEC replaced the PDF at the same
                URL): every figure whose printed value changed, appeared or disappeared

Each result carries `differences` (a count); the CLI's `--exit-code` turns it into 0 or 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.display import ratio_percent
from pipeline.labels import YEAR_IN_LABEL, fold, label_kind  # noqa: F401 (label_kind: pipeline.diff.label_kind)
from pipeline.workspace import table_file

# How many rows of each kind the text and markdown renderers print (JSON has them all).
SHOWN = 12
# Characters of a cell the text renderer prints before cutting it with "…" (`diff --full`: all).
CELL_WIDTH = 60
# Numbers printed for only one of two years that `diff --years` lists in text (JSON: all).
ONLY_SHOWN = 5
# Width the text output fits in when the terminal's is unknown (piped, cron).
TEXT_WIDTH = 100


class DiffError(Exception):
    """The inputs cannot be compared (missing folder or table, unreadable file)."""


# --- the one entry point (`ncmec-pipeline diff`) ----------------------------------------------------

def diff_outputs(data_dir: Path, *, years: tuple[int, int] | None = None, editions: bool = False,
                 runs: str | None = None, new_run: str | None = None, versions_of: str | None = None) -> dict:
    """One comparison of the outputs of `data_dir`, each side read from one committed set
    (`store.read_consistent`): two years (`years`), consecutive OJJDP editions (`editions`),
    two runs (`runs` OLD, `new_run` NEW or the current outputs), or the last two versions of
    one document (`versions_of`)."""
    from pipeline.store import read_consistent

    def within_one_set(directory, compute):
        return read_consistent(outputs_folder(directory), lambda _: compute())

    if runs:
        from pipeline.history import NoSuchRun, resolve_runs

        try:
            old, new = resolve_runs(data_dir, runs, new_run)
        except NoSuchRun as err:
            raise DiffError(str(err)) from None
        return within_one_set(old, lambda: within_one_set(new, lambda: run_diff(old, new)))
    if versions_of:
        return within_one_set(data_dir, lambda: versions_diff(data_dir, versions_of))
    processed = outputs_folder(data_dir)
    if editions:
        return within_one_set(processed, lambda: edition_diff(read_records(processed, "ojjdp_cells"),
                                                              read_records(processed, "ojjdp_revisions")))

    def two_years():
        from pipeline.fields import load_catalog

        return year_diff(read_records(processed, "field_presence"), read_records(processed, "ojjdp_cells"),
                         read_records(processed, "esp_reports"), read_records(processed, "country_reports"),
                         years[0], years[1], [f.id for f in load_catalog().fields])
    return within_one_set(processed, two_years)


def versions_diff(data_dir: Path, doc_id: str) -> dict:
    """The last two versions of `doc_id` and the figures each published, normalized again from
    their cached extractions (the cache is keyed by sha256, so an earlier version's figures
    outlive its bytes in raw/)."""
    from pipeline import versions
    from pipeline.extract.cache import extraction_path
    from pipeline.workspace import Workspace

    workspace = Workspace(data_dir)
    old, new = versions.two_latest(read_records(outputs_folder(data_dir), versions.TABLE), doc_id)
    figures = [versions.version_figures(extraction_path(workspace, versions.version_document(v), v["sha256"]), v)
               for v in (old, new)]
    return version_diff(old, new, *figures)


# --- reading the processed outputs ---------------------------------------------------------------

def outputs_folder(path: Path) -> Path:
    """The folder of Parquet outputs `path` names: a processed/ folder or a kept run's set
    itself, or a data dir's processed/ folder (`Workspace.processed`)."""
    from pipeline.workspace import Workspace

    path = Path(path)
    if Workspace(path).processed.is_dir():
        path = Workspace(path).processed
    if not path.is_dir():
        raise DiffError(f"{path}: expected a folder of Parquet outputs (or a data dir with processed/), found nothing")
    if not any(path.glob("*.parquet")):
        raise DiffError(f"{path}: expected Parquet outputs (*.parquet), found none; run `ncmec-pipeline run` first")
    return path


def read_table(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except Exception as err:
        raise DiffError(f"{path}: could not read it as Parquet: {type(err).__name__}: {err}") from None


def read_records(directory: Path, name: str) -> list[dict]:
    path = table_file(directory, name)
    if not path.is_file():
        raise DiffError(f"{directory}: expected {name}.parquet, found no such file; run `ncmec-pipeline run` first")
    return read_table(path).to_pylist()


def change(old: int | None, new: int | None) -> dict:
    """Absolute and relative change, unrounded (rounding is for display: `pipeline.display`);
    None where either side has no number (never 0)."""
    if old is None or new is None:
        return {"absolute": None, "relative": None}
    return {"absolute": new - old, "relative": None if old == 0 else (new - old) / old}


# --- two years -----------------------------------------------------------------------------------

def _latest_edition_cells(cells: Sequence[dict], year: int) -> tuple[int | None, dict[tuple, dict]]:
    """The numbers printed for `year` by the latest edition that prints it, keyed by
    (table_id, row, column kind, measure). Percents are left out: they restate counts."""
    from pipeline.editions import newest

    printed = newest([c for c in cells if c["year"] == year], lambda c: c["edition"])
    if not printed:
        return None, {}
    keyed = {}
    for c in printed:
        if c["measure"] != "percent":
            keyed[(c["table_id"], label_kind(c["row_label"]), label_kind(c["column_label"]), c["measure"])] = c
    return printed[0]["edition"], keyed


def _keyed_side_by_side(a: Mapping[tuple, dict], b: Mapping[tuple, dict], describe) -> dict:
    """Rows in both (with change), only in A, only in B."""
    both = []
    for key in sorted(set(a) & set(b)):
        va, vb = a[key]["value"], b[key]["value"]
        both.append({**describe(key, b[key]), "a": va, "b": vb, **change(va, vb)})
    return {
        "compared": both,
        "changed": [r for r in both if r["a"] != r["b"]],
        "only_a": [{**describe(k, a[k]), "a": a[k]["value"]} for k in sorted(set(a) - set(b))],
        "only_b": [{**describe(k, b[k]), "b": b[k]["value"]} for k in sorted(set(b) - set(a))],
    }


def _compared(years: tuple[int, int], a: Mapping[tuple, dict], b: Mapping[tuple, dict], describe) -> dict:
    """`_keyed_side_by_side`, unless a year has no rows in the table at all: its document is
    missing or failed (or no edition prints the year), and every row of the other year would
    otherwise be reported as appeared or disappeared. `unavailable` names such years."""
    unavailable = [year for year, rows in zip(years, (a, b)) if not rows]
    if unavailable:
        return {"compared": [], "changed": [], "only_a": [], "only_b": [], "unavailable": unavailable}
    return {**_keyed_side_by_side(a, b, describe), "unavailable": []}


def _esp_rows(rows: Iterable[dict], year: int) -> dict[tuple, dict]:
    return {(r["esp_key"],): {**r, "value": r["reports"]} for r in rows if r["year"] == year}


NO_COUNTRY = "(no country listed)"


def _country_key(row: dict) -> str:
    if row["iso3_status"] == "no_country":
        return NO_COUNTRY
    return row.get("iso3") or fold(row["country"])


def _country_rows(rows: Iterable[dict], year: int) -> dict[tuple, dict]:
    """A year's countries keyed by ISO code (else the name). NCMEC prints some countries twice in
    one edition ("French Guiana" and "Guiana, French", 2020 and 2021): one country, its rows
    summed and both names shown, so it is never both 'appeared' and 'disappeared' against a year
    printing it once. The no-country row ("No Country Listed", "Null", "null") is no country
    named "null": it is shown as what it is, with the label NCMEC printed."""
    grouped: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["year"] == year:
            grouped.setdefault((_country_key(r),), []).append(r)
    keyed = {}
    for key, group in grouped.items():
        names = " / ".join(dict.fromkeys(r["country"] for r in group))
        counts = [r["reports"] for r in group]
        keyed[key] = {**group[0], "country": f"{NO_COUNTRY[:-1]}: printed {names!r})" if key[0] == NO_COUNTRY else names,
                      "value": None if None in counts else sum(counts), "printed_rows": len(group)}
    return keyed


def split_totals(rows: Iterable[dict], year: int) -> dict | None:
    """A year's referrals and informational totals over a list table, where the edition prints
    the split (from 2024); None where it does not (never zeros for 'not printed')."""
    rows = [r for r in rows if r["year"] == year]
    if not any(r.get("referrals") is not None or r.get("informational") is not None for r in rows):
        return None
    return {part: sum(r[part] for r in rows if r.get(part) is not None)
            for part in ("referrals", "informational", "reports")}


def year_diff(presence: Sequence[dict], cells: Sequence[dict], esp: Sequence[dict], countries: Sequence[dict],
              year_a: int, year_b: int, field_order: Sequence[str] = ()) -> dict:
    """Year A against year B over the processed outputs (field_presence, ojjdp_cells, esp_reports,
    country_reports). OJJDP numbers come from the latest edition printing each year."""
    known = {r["year"] for r in presence}
    for year in (year_a, year_b):
        if year not in known:
            raise DiffError(f"field_presence.parquet: expected year {year} among the covered years "
                            f"{', '.join(map(str, sorted(known)))}, found none")
    by_key = {(r["field_id"], r["year"]): r for r in presence}
    rank = {f: i for i, f in enumerate(field_order)}
    field_ids = sorted({r["field_id"] for r in presence}, key=lambda f: (rank.get(f, len(rank)), f))
    fields = []
    for field_id in field_ids:
        ra, rb = by_key.get((field_id, year_a)), by_key.get((field_id, year_b))
        entry = {"field_id": field_id, "title": (rb or ra)["title"],
                 "status_a": ra["status"] if ra else None, "status_b": rb["status"] if rb else None,
                 "a": ra["value"] if ra else None, "b": rb["value"] if rb else None,
                 "values_a": ra["values"] if ra else None, "values_b": rb["values"] if rb else None,
                 "n_values_a": ra["n_values"] if ra else None, "n_values_b": rb["n_values"] if rb else None}
        entry.update(change(entry["a"], entry["b"]))
        fields.append(entry)
    edition_a, cells_a = _latest_edition_cells(cells, year_a)
    edition_b, cells_b = _latest_edition_cells(cells, year_b)
    years = (year_a, year_b)
    ojjdp = _compared(years, cells_a, cells_b, lambda k, c: {
        "table_id": k[0], "row_label": c["row_label"], "column": k[2], "measure": k[3],
        "column_label": c["column_label"]})
    for entry in ojjdp["compared"]:  # the labels as year A's edition printed them, beside year B's
        old = cells_a[(entry["table_id"], label_kind(entry["row_label"]), entry["column"], entry["measure"])]
        entry.update(row_label_a=old["row_label"], column_label_a=old["column_label"])
    esps = _compared(years, _esp_rows(esp, year_a), _esp_rows(esp, year_b),
                     lambda k, r: {"esp_key": k[0], "esp": r["esp"]})
    country = _compared(years, _country_rows(countries, year_a), _country_rows(countries, year_b),
                        lambda k, r: {"key": k[0], "country": r["country"]})
    status_changed = [f for f in fields if f["status_a"] != f["status_b"]]
    field_changes = [f for f in fields if f["status_a"] != f["status_b"] or f["a"] != f["b"]
                     or f["values_a"] != f["values_b"]]
    for table, rows in (("esp_reports", esp), ("country_reports", countries)):
        (esps if table == "esp_reports" else country)["split"] = {
            str(year): totals for year in years if (totals := split_totals(rows, year)) is not None}
    tables = {"ojjdp_cells": {"edition_a": edition_a, "edition_b": edition_b, **ojjdp},
              "esp_reports": esps, "country_reports": country}
    differences = len(field_changes) + sum(len(t["changed"]) + len(t["only_a"]) + len(t["only_b"])
                                           for t in tables.values())
    return {"kind": "years", "year_a": year_a, "year_b": year_b, "fields": fields,
            "status_changed": status_changed, "tables": tables, "differences": differences}


# --- OJJDP editions ------------------------------------------------------------------------------

def _printed_value(value, percent) -> str:
    if value is not None:
        return f"{value:,}"
    return "-" if percent is None else f"{percent.normalize() if isinstance(percent, Decimal) else percent}%"


def edition_diff(cells: Sequence[dict], revisions: Sequence[dict]) -> dict:
    """Numbers restated between consecutive OJJDP editions, numbers printed under a new label,
    and numbers one edition prints for a year both cover that the other does not. `revisions`
    are the rows of ojjdp_revisions as `run` stored them (`pipeline.revisions`, the same rules the
    report uses), never matched again here; `cells` give each edition's size and file."""
    from pipeline.revisions import difference_counts, relabellings

    editions = sorted({c["edition"] for c in cells})
    sizes = {e: sum(1 for c in cells if c["edition"] == e) for e in editions}
    pairs = []
    for old, new in zip(editions, editions[1:]):
        mine = [r for r in revisions if r["old_edition"] == old and r["new_edition"] == new]
        restated = [{**r, "old": _printed_value(r["old_value"], r["old_percent"]),
                     "new": _printed_value(r["new_value"], r["new_percent"]), **change(r["old_value"], r["new_value"])}
                    for r in mine if r["change"] == "revised"]
        gone = [r for r in mine if r["change"] == "only_in_old"]
        came = [r for r in mine if r["change"] == "only_in_new"]
        relabelled = []
        for o, n in relabellings(gone, came):
            relabelled.append({"table_id": o["table_id"], "year": o["year"], "measure": o["measure"],
                               "old_row_label": o["row_label"], "new_row_label": n["row_label"],
                               "old_column_label": o["column_label"], "new_column_label": n["column_label"],
                               "printed": _printed_value(n["new_value"], n["new_percent"]),
                               "old_page": o["old_page"], "new_page": n["new_page"]})
            gone.remove(o)
            came.remove(n)
        pairs.append({
            "old": old, "new": new, "old_file": _file_of(cells, old), "new_file": _file_of(cells, new),
            "old_cells": sizes[old], "new_cells": sizes[new], "restated": restated, "relabelled": relabelled,
            "only_in_old": [{**r, "printed": _printed_value(r["old_value"], r["old_percent"]), "page": r["old_page"]}
                            for r in gone],
            "only_in_new": [{**r, "printed": _printed_value(r["new_value"], r["new_percent"]), "page": r["new_page"]}
                            for r in came]})
    # One definition with the report and the notebook: a relabelled number counts once.
    counts = difference_counts(revisions)
    return {"kind": "editions", "editions": editions, "pairs": pairs, "differences": counts["differences"],
            "counts": counts}


def _file_of(cells: Sequence[dict], edition: int) -> str | None:
    return next((c["source_file"] for c in cells if c["edition"] == edition), None)


# --- two runs ------------------------------------------------------------------------------------

def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and value != value:
        return None
    return value


def _primary_key(schema: pa.Schema) -> list[str]:
    raw = (schema.metadata or {}).get(b"primary_key", b"").decode()
    return [k for k in raw.split(",") if k]


def row_identity(name: str, *schemas: pa.Schema) -> list[str]:
    """The columns identifying a row of table `name` across runs: `store.ROW_IDENTITY` for the
    pipeline's tables, else the primary key in the file's schema metadata."""
    from pipeline.store import ROW_IDENTITY

    return ROW_IDENTITY.get(name) or next((k for k in map(_primary_key, schemas) if k), [])


def _keyed_rows(rows: list[dict], key: list[str]) -> dict[tuple, dict]:
    """Rows by key; a key seen twice gets an occurrence number, so no row is silently lost."""
    keyed: dict[tuple, dict] = {}
    for row in rows:
        base = tuple(_jsonable(row.get(k)) for k in key)
        n = 0
        while (*base, n) in keyed:
            n += 1
        keyed[(*base, n)] = row
    return keyed


# A row whose only change is here was read again, same figures, from a new version of its PDF
# (NCMEC replaced the file): counted apart, so the figures that did change stand out.
RESTAMP_COLUMNS = frozenset({"source_sha256"})


def compare_tables(name: str, old: pa.Table, new: pa.Table) -> dict:
    """One table of two runs: schema changes, then rows matched on the primary key."""
    old_types = {f.name: str(f.type) for f in old.schema}
    new_types = {f.name: str(f.type) for f in new.schema}
    schema = {"columns_added": [c for c in new_types if c not in old_types],
              "columns_removed": [c for c in old_types if c not in new_types],
              "types_changed": {c: [old_types[c], new_types[c]] for c in old_types
                                if c in new_types and old_types[c] != new_types[c]}}
    common = [c for c in new_types if c in old_types]
    key = row_identity(name, new.schema, old.schema)
    if not key or not all(k in common for k in key):
        key = common  # no usable key: a row is its values
    a, b = _keyed_rows(old.to_pylist(), key), _keyed_rows(new.to_pylist(), key)

    def key_dict(k: tuple) -> dict:
        return {**dict(zip(key, k)), **({"occurrence": k[-1]} if k[-1] else {})}

    changed, restamped = [], []
    for k in sorted(set(a) & set(b), key=_sort_key):
        columns = {c: [_jsonable(a[k].get(c)), _jsonable(b[k].get(c))] for c in common
                   if _jsonable(a[k].get(c)) != _jsonable(b[k].get(c))}
        if columns and set(columns) <= RESTAMP_COLUMNS:
            restamped.append(key_dict(k))
        elif columns:
            changed.append({"key": key_dict(k), "columns": columns})
    added = [key_dict(k) for k in sorted(set(b) - set(a), key=_sort_key)]
    removed = [key_dict(k) for k in sorted(set(a) - set(b), key=_sort_key)]
    differences = len(added) + len(removed) + len(changed) + len(restamped) + sum(map(len, schema.values()))
    return {"table": name, "status": "changed" if differences else "identical", "key": key,
            "rows_old": old.num_rows, "rows_new": new.num_rows, "schema": schema,
            "added": added, "removed": removed, "changed": changed, "restamped": restamped,
            "differences": differences}


def _sort_key(k: tuple) -> tuple:
    return tuple((v is not None, str(type(v).__name__), v if v is not None else 0) for v in k)


def run_diff(old_dir: Path, new_dir: Path) -> dict:
    """Two processed/ folders table by table (the nightly 'what changed since yesterday')."""
    old, new = outputs_folder(old_dir), outputs_folder(new_dir)
    names = sorted({p.stem for p in old.glob("*.parquet")} | {p.stem for p in new.glob("*.parquet")})
    tables = []
    for name in names:
        a, b = table_file(old, name), table_file(new, name)
        if not b.is_file():
            tables.append({"table": name, "status": "removed", "rows_old": read_table(a).num_rows, "differences": 1})
        elif not a.is_file():
            tables.append({"table": name, "status": "added", "rows_new": read_table(b).num_rows, "differences": 1})
        else:
            tables.append(compare_tables(name, read_table(a), read_table(b)))
    return {"kind": "runs", "old": str(old), "new": str(new), "tables": tables,
            "differences": sum(t["differences"] for t in tables)}


# --- two versions of one document ----------------------------------------------------------------

def version_diff(old_version: dict, new_version: dict, old_rows: Sequence[dict], new_rows: Sequence[dict]) -> dict:
    """The figures of two versions of one document (document_versions rows and the rows each
    published), matched on what names a figure: changed values, figures only in one version."""
    from pipeline.families import FAMILIES

    # What names a printed figure in the family's rows, and its numbers. The page is not part of
    # it: a revised PDF may move a row to another page without changing the figure.
    family = FAMILIES[new_version["family"]]
    key_columns, value_columns = family.figure_key, family.figure_values
    a, b = _keyed_rows(list(old_rows), list(key_columns)), _keyed_rows(list(new_rows), list(key_columns))

    def figure(k: tuple) -> dict:
        return {**dict(zip(key_columns, k)), **({"occurrence": k[-1]} if k[-1] else {})}

    def value(row: dict):
        return next((_jsonable(row[c]) for c in value_columns if row.get(c) is not None), None)

    changed = []
    for k in sorted(set(a) & set(b), key=_sort_key):
        for column in value_columns:  # each printed number of the row (reports, referrals, …)
            old, new = _jsonable(a[k].get(column)), _jsonable(b[k].get(column))
            if old != new:
                numbers = change(old, new) if all(isinstance(v, int) for v in (old, new)) else change(None, None)
                changed.append({**figure(k), "column": column, "old": old, "new": new,
                                "old_page": a[k].get("page"), "new_page": b[k].get("page"), **numbers})
    only_old = [{**figure(k), "old": value(a[k]), "old_page": a[k].get("page")} for k in sorted(set(a) - set(b), key=_sort_key)]
    only_new = [{**figure(k), "new": value(b[k]), "new_page": b[k].get("page")} for k in sorted(set(b) - set(a), key=_sort_key)]
    describe = ("doc_id", "sha256", "url", "first_run", "last_run", "bytes", "pages", "etag", "last_modified")
    return {"kind": "versions", "doc_id": new_version["doc_id"], "key": list(key_columns),
            "old": {k: old_version.get(k) for k in describe}, "new": {k: new_version.get(k) for k in describe},
            "figures_old": len(a), "figures_new": len(b), "changed": changed, "only_old": only_old,
            "only_new": only_new, "differences": len(changed) + len(only_old) + len(only_new)}


# --- rendering -----------------------------------------------------------------------------------

def _n(value) -> str:
    return "—" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _delta(entry: dict) -> str:
    if entry.get("absolute") is None:
        return ""
    rel = "" if entry.get("relative") is None else f" ({ratio_percent(entry['relative'], signed=True)})"
    return f"{entry['absolute']:+,}{rel}"


def _more(items: Sequence, shown: int = SHOWN) -> str:
    return f"… and {len(items) - shown} more (--format json lists all)" if len(items) > shown else ""


def _biggest(rows: Sequence[dict]) -> list[dict]:
    """Changed rows, the largest absolute changes first (ties by label, so output is stable)."""
    return sorted(rows, key=lambda r: (-(abs(r["absolute"]) if r.get("absolute") is not None else -1), str(r)))


def _field_cell(status: str | None, value, values, n_values) -> str:
    if status != "present":
        return {"absent": "absent", "not_covered": "not covered", None: "—"}.get(status, status)
    if value is not None:
        return _n(value)
    if n_values == 1:  # one printed non-number, e.g. "-"
        return f"printed {(values or '').rpartition(': ')[2]!r}"
    return f"({n_values} values)"


def render(result: dict, fmt: str = "text", full: bool = False, width: int = TEXT_WIDTH) -> str:
    """Text, markdown or JSON for any diff result. Text cuts long cells (a runs diff's cells at
    CELL_WIDTH, a years diff's labels to fit `width`) unless `full`; JSON holds everything."""
    if fmt == "json":
        return json.dumps(result, indent=2, ensure_ascii=False, default=_jsonable) + "\n"
    markdown = fmt == "markdown"
    if result["kind"] == "runs":
        lines = _run_lines(result, markdown, full)
    elif result["kind"] == "years":
        lines = _years_lines(result, markdown, None if full else width)
    else:
        lines = {"editions": _edition_lines, "versions": _version_lines}[result["kind"]](result, markdown)
    return "\n".join(lines).rstrip("\n") + "\n"


def _table(rows: Sequence[Sequence[str]], header: Sequence[str], markdown: bool) -> list[str]:
    if markdown:
        esc = [[str(c).replace("|", "\\|") for c in r] for r in rows]
        return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                + ["| " + " | ".join(r) + " |" for r in esc] + [""])
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(header)]
    def fmt(r):
        return "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return ["  " + fmt(header)] + ["  " + fmt(r) for r in rows] + [""]


def _heading(text: str, markdown: bool, level: int = 2) -> list[str]:
    return [f"{'#' * level} {text}", ""] if markdown else [text]


def _years_lines(r: dict, markdown: bool, width: int | None = TEXT_WIDTH) -> list[str]:
    a, b = r["year_a"], r["year_b"]
    out = _heading(f"Differences {a} → {b}: {r['differences']}", markdown, 1)
    out += _heading(f"Fields ({a} vs {b})", markdown)
    out += _table([(f["field_id"], _field_cell(f["status_a"], f["a"], f["values_a"], f["n_values_a"]),
                    _field_cell(f["status_b"], f["b"], f["values_b"], f["n_values_b"]), _delta(f))
                   for f in r["fields"]],
                  ("field", str(a), str(b), "change"), markdown)
    out += _heading("Fields whose status changed", markdown)
    out += [f"  {f['field_id']}: {f['status_a']} → {f['status_b']}" for f in r["status_changed"]] or ["  (none)"]
    out.append("")
    t = r["tables"]["ojjdp_cells"]
    if t["unavailable"]:
        out += _heading("OJJDP tables: not compared", markdown)
        out += [f"  {_unavailable(t['unavailable'], 'OJJDP edition')}", ""]
    else:
        out += _heading(f"OJJDP tables ({a} from the {t['edition_a']} edition, {b} from the {t['edition_b']}"
                        " edition)", markdown)
        out.append(f"  {_ojjdp_summary(t)}")
        changed = _biggest(t["changed"])[:SHOWN]
        if markdown:
            out += _table([(c["table_id"], _printed_label(c, "row_label"), _printed_label(c, "column_label"),
                            _n(c["a"]), _n(c["b"]), _delta(c)) for c in changed],
                          ("table", "row", "column", str(a), str(b), "change"), markdown)
        else:
            out += wrapped_table([(_n(c["a"]), _n(c["b"]), _delta(c), " · ".join(filter(None, (
                c["table_id"], _printed_label(c, "row_label"), _printed_label(c, "column_label")))))
                for c in changed], (str(a), str(b), "change", "table · row · column"), width)
    if _more(t["changed"]):
        out += [f"  {_more(t['changed'])}", ""]
    for only, year in (("only_a", a), ("only_b", b)):
        if t[only]:
            out.append(f"  printed only for {year} ({len(t[only])}):")
            out += [_cut(f"    {c['table_id']}: {' | '.join(filter(None, (c['row_label'], c.get('column_label'))))}",
                         width, markdown) for c in t[only][:ONLY_SHOWN]]
            if len(t[only]) > ONLY_SHOWN:
                out.append(f"    … and {len(t[only]) - ONLY_SHOWN} more (--format json lists all)")
    for name, label, what in (("esp_reports", "esp", "ESPs"), ("country_reports", "country", "Countries")):
        t = r["tables"][name]
        if t["unavailable"]:
            out += _heading(f"{what}: not compared", markdown)
            out += [f"  {_unavailable(t['unavailable'], f'{name} rows')}", ""]
            continue
        out += _heading(f"{what}: {len(t['only_b'])} appeared, {len(t['only_a'])} disappeared, "
                        f"{len(t['changed'])} changed", markdown)
        for year, totals in t.get("split", {}).items():
            out.append(f"  {year} splits its reports: referrals {_n(totals['referrals'])}"
                       f" ({_share(totals['referrals'], totals['reports'])}), informational"
                       f" {_n(totals['informational'])} ({_share(totals['informational'], totals['reports'])})"
                       f" of {_n(totals['reports'])}")
        for what_, side, items in (("appeared", "b", t["only_b"]), ("disappeared", "a", t["only_a"])):
            line = f"  {what_} in {b}: " + (", ".join(f"{x[label]} ({_n(x[side])})" for x in items) or "(none)")
            out += [line] if markdown or width is None else _wrap(line, width, "      ")
        out.append("")
        rows = _biggest(t["changed"])[:SHOWN]
        if rows:
            out.append(f"  largest changes:" if not markdown else "")
            out += _table([(x[label], _n(x["a"]), _n(x["b"]), _delta(x)) for x in rows],
                          (label, str(a), str(b), "change"), markdown)
    return out


def _ojjdp_summary(t: dict) -> str:
    """'157 numbers printed for both years: 149 up, 8 down, 0 equal' (a changed count is the
    normal case between two years, so 'N compared, N changed' said nothing)."""
    up = sum(1 for c in t["changed"] if c["absolute"] is not None and c["absolute"] > 0)
    down = sum(1 for c in t["changed"] if c["absolute"] is not None and c["absolute"] < 0)
    other = len(t["changed"]) - up - down
    return (f"{len(t['compared'])} number{'s' if len(t['compared']) != 1 else ''} printed for both years:"
            f" {up} up, {down} down, "
            f"{len(t['compared']) - len(t['changed'])} equal" + (f", {other} printed as '-' in one year" if other else ""))


def _printed_label(entry: dict, label: str) -> str:
    """A row or column label as printed, without the year it names ("CY 2023 | Total
    Images/Videos" → "Total Images/Videos"; Appendix A's "CY2023 (1/1/23-12/31/23)" → ""), so
    a label printed for year B is never shown beside year A's number. Where the two editions
    print the rest of the label differently, both are shown."""
    def bare(text):
        return " ".join(YEAR_IN_LABEL.sub(" ", text or "").split()).strip(" |–—-")
    old, new = bare(entry.get(f"{label}_a", entry.get(label))), bare(entry.get(label))
    return new if old == new else f"{old} / {new}"


def _cut(line: str, width: int | None, markdown: bool) -> str:
    return line if markdown or width is None else clip(line, width)


def _wrap(line: str, width: int, indent: str) -> list[str]:
    import textwrap

    return textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False) or [line]


def wrapped_table(rows: Sequence[Sequence[str]], header: Sequence[str], width: int | None) -> list[str]:
    """A text table whose last column (a label) wraps onto indented lines to fit `width`, the
    numbers before it aligned and never cut."""
    import textwrap

    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header[:-1])]
    lead = 2 + sum(w + 2 for w in widths)
    room = max((width or 10_000) - lead, 30)
    out = ["  " + "".join(f"{h:<{w}}  " for h, w in zip(header, widths)) + header[-1]]
    for r in rows:
        label = textwrap.wrap(r[-1], room, break_long_words=True, break_on_hyphens=False) or [""]
        out.append("  " + "".join(f"{c:<{w}}  " for c, w in zip(r, widths)) + label[0])
        out += [" " * lead + more for more in label[1:]]
    return out + [""]


def _share(part: int, whole: int) -> str:
    return ratio_percent(Fraction(part, whole)) if whole else "n/a"


def _edition_lines(r: dict, markdown: bool) -> list[str]:
    counts = r.get("counts") or {}
    out = _heading(f"OJJDP editions {', '.join(map(str, r['editions'])) or '(none)'}: {r['differences']} differences"
                   + (f" ({counts['restated']} restated, {counts['relabelled']} relabelled, "
                      f"{counts['only_in_old'] + counts['only_in_new']} printed by one edition only)" if counts else ""),
                   markdown, 1)
    if len(r["editions"]) < 2:
        out.append("  fewer than two editions in ojjdp_cells: nothing to compare")
    for p in r["pairs"]:
        out += _heading(f"{p['old']} edition ({p['old_file']}, {p['old_cells']} numbers) → {p['new']} edition "
                        f"({p['new_file']}, {p['new_cells']} numbers): {len(p['restated'])} restated", markdown)
        out += _table([(x["table_id"], str(x["year"]), x["row_label"] or "", x["column_label"] or "", x["measure"],
                        f"{x['old']} (p.{x['old_page']})", f"{x['new']} (p.{x['new_page']})", _delta(x))
                       for x in p["restated"]],
                      ("table", "year", "row", "column", "measure", f"{p['old']} ed.", f"{p['new']} ed.", "change"),
                      markdown) if p["restated"] else ["  no number restated", ""]
        if p["relabelled"]:
            out.append(f"  same number, new label ({len(p['relabelled'])}):")
            out += [f"    {x['table_id']} {x['year']} {x['measure']}: {x['old_row_label'] or ''} | "
                    f"{x['old_column_label'] or ''} (p.{x['old_page']}) → {x['new_row_label'] or ''} | "
                    f"{x['new_column_label'] or ''} (p.{x['new_page']}): {x['printed']}"
                    for x in p["relabelled"][:SHOWN]]
            if _more(p["relabelled"]):
                out.append(f"    {_more(p['relabelled'])}")
            out.append("")
        for key, edition in (("only_in_old", p["old"]), ("only_in_new", p["new"])):
            items = p[key]
            if items:
                out.append(f"  printed only by the {edition} edition for a year both cover ({len(items)}):")
                out += [f"    {x['table_id']} {x['year']} {x['row_label'] or ''} | {x['column_label'] or ''}: "
                        f"{x['printed']} (p.{x['page']})" for x in items[:SHOWN]]
                if _more(items):
                    out.append(f"    {_more(items)}")
                out.append("")
    return out


def _unavailable(years: Sequence[int], what: str) -> str:
    return (f"no {what} for {' or '.join(map(str, years))} in these outputs: the document is missing or"
            " failed, or none covers the year (see documents.parquet, or `fields`)")


def _key_text(key: dict) -> str:
    return " ".join(f"{k}={'—' if v is None else v}" for k, v in key.items())  # keys as stored: year=2023


def _run_lines(r: dict, markdown: bool, full: bool = False) -> list[str]:
    differing = [t for t in r["tables"] if t["status"] != "identical"]
    out = _heading(f"{r['old']} → {r['new']}: {len(differing)} of {len(r['tables'])} tables differ", markdown, 1)
    rows = []
    for t in r["tables"]:
        if t["status"] in ("added", "removed"):
            rows.append((t["table"], t["status"], _n(t.get("rows_old")), _n(t.get("rows_new")), "", "", ""))
        else:
            rows.append((t["table"], t["status"], _n(t["rows_old"]), _n(t["rows_new"]), f"+{len(t['added'])}",
                         f"-{len(t['removed'])}", f"~{len(t['changed'])}"))
    out += _table(rows, ("table", "status", "rows before", "rows after", "added", "removed", "changed"), markdown)
    for t in differing:
        if t["status"] in ("added", "removed"):
            continue
        out += _heading(f"{t['table']} (key: {', '.join(t['key'])})", markdown)
        s = t["schema"]
        for label, items in (("columns added", s["columns_added"]), ("columns removed", s["columns_removed"])):
            if items:
                out.append(f"  {label}: {', '.join(items)}")
        for column, (was, now) in s["types_changed"].items():
            out.append(f"  type of {column}: {was} → {now}")
        for mark, items in (("+", t["added"]), ("-", t["removed"])):
            out += [f"  {mark} {_key_text(k)}" for k in items[:SHOWN]]
            if _more(items):
                out.append(f"    {_more(items)}")
        for c in t["changed"][:SHOWN]:
            out += _changed_row_lines(c, markdown, full)
        if _more(t["changed"]):
            out.append(f"    {_more(t['changed'])}")
        if t.get("restamped"):
            out.append(f"  {len(t['restamped'])} rows differ only in source_sha256: the same figures, read from "
                       "a new version of their PDF (`diff --versions DOC_ID`)")
        out.append("")
    if not full and any(_clipped(t) for t in differing):
        out.append(f"(cells longer than {CELL_WIDTH} characters are cut with …; --full shows them whole,"
                   " --format json has every row and cell)")
    return out


def clip(text: str, width: int = CELL_WIDTH) -> str:
    """One line of a cell cut to `width` characters, the cut marked with an ellipsis."""
    return text if len(text) <= width else text[:width - 1] + "…"


def _cell_text(value) -> str:
    return _n(value) if not isinstance(value, str) else value


def _clipped(table: dict) -> bool:
    return any(len(line) > CELL_WIDTH for c in table.get("changed", ())[:SHOWN] for pair in c["columns"].values()
               for value in pair for line in _cell_text(value).splitlines())


def line_changes(old: str, new: str) -> list[str]:
    """The lines of a multi-line cell that differ, '- ' before and '+ ' after (the lines both
    sides share are left out: one changed line of a 20-line evidence cell is one line pair)."""
    import difflib

    a, b = old.splitlines(), new.splitlines()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            out += [f"- {line}" for line in a[i1:i2]] + [f"+ {line}" for line in b[j1:j2]]
    return out


def _changed_row_lines(change_: dict, markdown: bool, full: bool) -> list[str]:
    """One changed row: its key, then each changed column with the value before and after side
    by side; a multi-line cell (evidence, reasons) as the lines that differ."""
    width = None if full else CELL_WIDTH
    cut = (lambda text: text) if full else clip
    single, multi = [], []
    for column, (was, now) in change_["columns"].items():
        was_text, now_text = _cell_text(was), _cell_text(now)
        if "\n" in was_text or "\n" in now_text:
            multi.append((column, was_text, now_text))
        else:
            single.append((column, cut(was_text), cut(now_text)))
    if markdown:
        rows = list(single)
        for column, was_text, now_text in multi:
            lines = line_changes(was_text, now_text)
            rows.append((column, *("<br>".join(cut(line[2:]) for line in lines if line[0] == mark) for mark in "-+")))
        return [f"- `{_key_text(change_['key'])}`", ""] + _table(rows, ("column", "before", "after"), True)
    out = [f"  ~ {_key_text(change_['key'])}"]
    labels = [column for column, *_ in single + multi]
    pad = max(map(len, labels + ["column"]))
    if single:
        before = max(len(w) for _, w, _ in single + [("", "before", "")])
        out.append(f"      {'column':<{pad}}  {'before':<{before}}  after")
        out += [f"      {column:<{pad}}  {w:<{before}}  {n}".rstrip() for column, w, n in single]
    for column, was_text, now_text in multi:
        lines = line_changes(was_text, now_text)
        total = max(len(was_text.splitlines()), len(now_text.splitlines()))
        out.append(f"      {column:<{pad}}  the lines that differ (- before, + after; {total} lines in all):")
        shown = lines if full else lines[:SHOWN]
        out += [f"      {'':<{pad}}  {line if width is None else clip(line, width + 2)}" for line in shown]
        if len(shown) < len(lines):
            out.append(f"      {'':<{pad}}  … and {len(lines) - len(shown)} more lines (--full shows them)")
    return out


def _version_text(v: dict) -> str:
    runs = f"run {v['first_run']}" if v["first_run"] == v["last_run"] else f"runs {v['first_run']}–{v['last_run']}"
    return f"{v['sha256'][:12]}… ({runs}, {_n(v['bytes'])} bytes, {_n(v['pages'])} pages)"


def _version_lines(r: dict, markdown: bool) -> list[str]:
    out = _heading(f"{r['doc_id']}: {_version_text(r['old'])} → {_version_text(r['new'])}: "
                   f"{len(r['changed'])} figures changed, {len(r['only_new'])} added, {len(r['only_old'])} removed",
                   markdown, 1)
    out += [f"  URL: {r['old']['url']}" + ("" if r["old"]["url"] == r["new"]["url"] else f" → {r['new']['url']}"), ""]

    def name(x: dict) -> str:
        return " | ".join(str(x[k]) for k in r["key"] if x.get(k) is not None)
    if r["changed"]:
        out += _table([(name(x), x["column"], f"{_n(x['old'])} (p.{x['old_page']})",
                        f"{_n(x['new'])} (p.{x['new_page']})", _delta(x)) for x in _biggest(r["changed"])[:SHOWN]],
                      (" | ".join(r["key"]), "number", "old version", "new version", "change"), markdown)
        if _more(r["changed"]):
            out += [f"  {_more(r['changed'])}", ""]
    else:
        out += ["  no printed figure changed", ""]
    for key, label, side in (("only_new", "only in the new version", "new"), ("only_old", "only in the old version", "old")):
        if r[key]:
            out.append(f"  {label} ({len(r[key])}): " + "; ".join(
                f"{name(x)}: {_n(x[side])} (p.{x[f'{side}_page']})" for x in r[key][:SHOWN])
                + (f" {_more(r[key])}" if _more(r[key]) else ""))
    return out
