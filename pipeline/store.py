"""Store: one Parquet file per table, explicit pyarrow schemas, atomic and deterministic writes.

Deterministic: same records -> byte-identical file (rows sorted by key, no timestamps in the
file; run-level facts live in the run manifest). Atomic: written to a temporary file in the same
folder, fsynced, then renamed over the old one, so a crash never leaves a partial file and never
replaces the last good one with garbage.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA_VERSION = "2"  # 2: checks.expected/actual typed numbers, kinds; statements

PROVENANCE = [
    ("page", pa.int32(), "1-based page of the source PDF the number was printed on"),
    ("source_file", pa.string(), "published file name of the source PDF"),
    ("source_sha256", pa.string(), "sha256 of the source PDF the row was read from"),
]


def _schema(table: str, description: str, columns: list[tuple], key: list[str]) -> pa.Schema:
    fields = [
        pa.field(name, dtype, nullable=True, metadata={"description": text})
        for name, dtype, text in columns
    ]
    return pa.schema(fields, metadata={
        "table": table,
        "description": description,
        "schema_version": SCHEMA_VERSION,
        "primary_key": ",".join(key),
    })


TABLES: dict[str, tuple[pa.Schema, list[str]]] = {}


def _register(table: str, description: str, columns: list[tuple], key: list[str]) -> None:
    TABLES[table] = (_schema(table, description, columns, key), key)


# The count columns of both lists: from 2024 NCMEC splits reports into referrals and informational.
LIST_COUNTS = [
    ("reports", pa.int64(), "number of CyberTipline reports: the printed total, or the sum of the printed parts"
                            " where the edition prints only referrals and informational (see reports_source);"
                            " null where NCMEC printed '-'"),
    ("referrals", pa.int64(), "reports with enough information for law enforcement to act, as printed; null for"
                              " editions that do not split (never 0 for 'not printed')"),
    ("informational", pa.int64(), "informational reports, as printed; null for editions that do not split"),
    ("reports_source", pa.string(), "printed (reports is a printed number) | summed (referrals + informational,"
                                    " no total column printed)"),
]

_register("esp_reports", "CyberTipline reports by electronic service provider, one row per printed row", [
    ("year", pa.int16(), "calendar year the report counts describe"),
    ("esp", pa.string(), "provider name as printed (wrapped lines joined with one space, footnote marker removed)"),
    ("esp_key", pa.string(), "stable key grouping the same provider across editions (rules + pipeline/data/esp_aliases.csv)"),
    ("footnote", pa.string(), "footnote marker printed after the name (e.g. '*'), null when none"),
    *LIST_COUNTS,
    *PROVENANCE,
], ["year", "esp_key", "esp", "page"])

_register("country_reports", "CyberTipline reports by country of upload location, one row per printed row", [
    ("year", pa.int16(), "calendar year the report counts describe"),
    ("country", pa.string(), "country or territory as printed (footnote marker removed)"),
    ("footnote", pa.string(), "footnote marker printed after the name (e.g. '*'), null when none"),
    ("iso3", pa.string(), "ISO 3166-1 alpha-3 code; null for the no-country row and non-countries"),
    ("iso3_status", pa.string(), "country | no_country | not_a_country | no_iso_code | unmapped"),
    ("iso3_duplicate", pa.bool_(), "true when another row of the same edition has the same iso3 (NCMEC printed it twice)"),
    *LIST_COUNTS,
    *PROVENANCE,
], ["year", "country", "page"])

_register("documents", "One row per manifest or discovered document and what this run made of it", [
    ("doc_id", pa.string(), "manifest id, e.g. esp-2023"),
    ("family", pa.string(), "reports_by_esp | reports_by_country | ojjdp_transparency, or a family with no reader "
                            "(pipeline/data/discovery_patterns.csv, unclassified)"),
    ("year", pa.int16(), "edition year; null for an unsupported link that names none"),
    ("url", pa.string(), "official URL"),
    ("source_file", pa.string(), "published file name"),
    ("sha256", pa.string(), "sha256 of the file read; null when missing"),
    ("bytes", pa.int64(), "size of the file read; null when missing"),
    ("pages", pa.int32(), "page count; null when not read"),
    ("status", pa.string(), "ok | failed | missing (the source answered: not there) | unreachable (the source did not"
                            " answer) | unsupported (a family no reader reads: recorded, not fetched)"),
    ("message", pa.string(), "why a document failed or is missing, or notes on an ok one"),
    ("rows", pa.int64(), "rows (or cells) published from this document"),
    ("printed_total", pa.int64(), "the total NCMEC printed (list documents)"),
    ("origin", pa.string(), "manifest (pipeline/data/manifest.csv or --manifest) | discovered (data/state/discovered.csv)"),
], ["family", "year", "doc_id"])

_register("checks", "One row per validation check run on a document", [
    ("source_file", pa.string(), "published file name the check ran on"),
    ("check", pa.string(), "check name"),
    ("blocking", pa.bool_(), "a failed blocking check stops the document from publishing rows"),
    ("passed", pa.bool_(), "whether the check passed"),
    ("in_source", pa.bool_(), "true when a failure is a disagreement inside NCMEC's own printed figures"),
    ("kind", pa.string(), "a failed in-source check's kind: conflict | rounding | label | non_additive; null otherwise"),
    ("expected", pa.float64(), "the number the check expected (null when it compares no numbers)"),
    ("actual", pa.float64(), "the number it found"),
    ("relation", pa.string(), "how actual must relate to expected: '=', '>=', '<=', or '~' (within the stated number's printing precision and qualifier); null when no numbers"),
    ("page", pa.int32(), "page the check points at, when one"),
    ("other_source_file", pa.string(), "the file of the other printed place the check compares with"),
    ("other_page", pa.int32(), "the page of the other printed place (a table cell, an earlier edition's sentence)"),
    ("sentence", pa.string(), "the sentence of running text the check quotes, as printed"),
    ("message", pa.string(), "human-readable result naming the document, page and numbers"),
], ["source_file", "check", "message"])

_register("statements", "Every number NCMEC states in the running text of its documents, one row per number", [
    ("edition", pa.int16(), "the document's edition year"),
    ("family", pa.string(), "ojjdp_transparency | reports_by_esp | reports_by_country"),
    ("sentence_index", pa.int32(), "the sentence's order on its page, from 0"),
    ("location", pa.string(), "body | footnote"),
    ("sentence", pa.string(), "the sentence as printed, whitespace-normalised, line-break hyphens joined"),
    ("position", pa.int32(), "character offset of the number in the sentence"),
    ("number_text", pa.string(), "the number as printed ('21.7 million', '4,560', '80%')"),
    ("value", pa.float64(), "its value (21700000 for '21.7 million'; 80 for '80%'); exact for every count"),
    ("precision", pa.float64(), "the unit of its last printed digit (100000 for '21.7 million'); 1 for an exact count"),
    ("unit", pa.string(), "what it counts, from the words after it (pipeline/data/statements.toml [[units]]); null when the sentence does not say"),
    ("qualifier", pa.string(), "'over', 'more than', 'approximately', 'up to', … printed before it"),
    ("bound", pa.string(), "lower | upper | approximate (from the qualifier); null for a plain figure"),
    ("year", pa.int16(), "the calendar year it describes; null for a period or a running total"),
    ("period", pa.string(), "'CY 2020', or 'CY 2020–CY 2022' when the clause names several years"),
    ("as_of", pa.date32(), "the date of an 'as of DATE' running total"),
    ("figure", pa.string(), "the [[figures]] or [[cumulative]] id of pipeline/data/statements.toml it restates"),
    ("cumulative", pa.bool_(), "true for a running total 'as of DATE'"),
    ("adjusted_by", pa.string(), "a sentence after a running total saying the total was adjusted"),
    ("table_id", pa.string(), "the table cell of the same document printing the same figure for the same year"),
    ("row_label", pa.string(), "that cell's row label"),
    ("column_label", pa.string(), "that cell's column label"),
    ("cell_page", pa.int32(), "that cell's page"),
    *PROVENANCE,
], ["source_file", "page", "sentence_index", "position"])

_register("ojjdp_cells", "Every number printed in the tables of the OJJDP-NCMEC transparency reports", [
    ("edition", pa.int16(), "calendar year of the report edition"),
    ("table_id", pa.string(), "stable table id (pipeline/data/ojjdp_tables.csv); unknown_p<page>_<n> if unrecognised"),
    ("row_label", pa.string(), "row label as printed, whitespace-normalised, footnote digits split off"),
    ("footnote", pa.string(), "footnote marker split from the row or column label"),
    ("column_label", pa.string(), "column label as printed, whitespace-normalised"),
    ("year", pa.int16(), "calendar year the number describes; null when none"),
    ("measure", pa.string(), "what the number counts (see README vocabulary)"),
    ("value", pa.int64(), "the count, exact; null for '-' and for percents"),
    ("percent", pa.decimal128(9, 4), "percent exactly as printed (12.5 for '12.5%'); null for counts"),
    ("value_text", pa.string(), "the number exactly as printed"),
    *PROVENANCE,
], ["edition", "table_id", "year", "row_label", "column_label", "measure", "page", "value_text"])

_register("field_presence", "Whether each catalog field (pipeline/data/fields.toml) is published for each covered year, with proof", [
    ("field_id", pa.string(), "field id from pipeline/data/fields.toml"),
    ("year", pa.int16(), "calendar year; every year some document of the run covers"),
    ("title", pa.string(), "the field's short name"),
    ("status", pa.string(), "present (a number is printed) | absent (the covering documents were read and print no such figure) | not_covered (no document that would print it was available)"),
    ("value", pa.int64(), "the number, for a present one-number field; null otherwise (never 0 for 'not published')"),
    ("values", pa.string(), "the printed numbers as 'label: number; ...' (a breakdown lists its largest when long)"),
    ("n_values", pa.int32(), "how many printed numbers the value comes from (0 unless present)"),
    ("table", pa.string(), "where the value is printed: processed table, and ojjdp table id after ':'"),
    ("page", pa.int32(), "present: page of the value; absent: page of the closest mention"),
    ("source_file", pa.string(), "present: file of the value; absent: file of the closest mention; not_covered: the unavailable document"),
    ("source_sha256", pa.string(), "sha256 of source_file as read"),
    ("evidence", pa.string(), "one line per proof: where the value is printed, or 'file p.N: «sentence»' mentions and the figures printed instead"),
    ("reason", pa.string(), "absent / not_covered: which documents were read or missing and why; present: notes (restated, '-', ambiguous)"),
], ["field_id", "year"])

_register("ojjdp_tables", "Every table found in an OJJDP edition and the rule that named it", [
    ("edition", pa.int16(), "calendar year of the report edition"),
    ("table_id", pa.string(), "stable id from pipeline/data/ojjdp_tables.csv; unknown_p<page>_<n> when no rule matched"),
    ("page", pa.int32(), "page the table starts on"),
    ("caption", pa.string(), "caption or header text the id was matched on"),
    ("n_cells", pa.int32(), "numbers read from the table"),
    ("recognised", pa.bool_(), "false when no rule matched (the table is still published, as unknown_*)"),
    ("source_file", pa.string(), "published file name"),
    ("source_sha256", pa.string(), "sha256 of the file read"),
], ["edition", "page", "table_id"])

_register("ojjdp_revisions", "Values NCMEC restated between OJJDP editions, or printed in only one of two editions covering the year", [
    ("table_id", pa.string(), "stable table id"),
    ("row_label", pa.string(), "row label as printed"),
    ("column_label", pa.string(), "column label as printed"),
    ("year", pa.int16(), "calendar year the number describes"),
    ("measure", pa.string(), "what the number counts"),
    ("old_edition", pa.int16(), "the earlier edition"),
    ("new_edition", pa.int16(), "the later edition"),
    ("old_value", pa.int64(), "count in the earlier edition"),
    ("new_value", pa.int64(), "count in the later edition"),
    ("old_percent", pa.decimal128(9, 4), "percent in the earlier edition"),
    ("new_percent", pa.decimal128(9, 4), "percent in the later edition"),
    ("old_page", pa.int32(), "page in the earlier edition"),
    ("new_page", pa.int32(), "page in the later edition"),
    ("change", pa.string(), "revised | only_in_old | only_in_new"),
], ["old_edition", "table_id", "row_label", "column_label", "year", "measure", "change"])


_register("document_versions", "Every version (doc_id, sha256) of a document ever published, with the runs that published it", [
    ("doc_id", pa.string(), "document id (manifest or overlay)"),
    ("sha256", pa.string(), "sha256 of the version's bytes"),
    ("family", pa.string(), "document family"),
    ("year", pa.int16(), "edition year"),
    ("url", pa.string(), "URL the version was fetched from"),
    ("source_file", pa.string(), "published file name"),
    ("first_run", pa.int32(), "publishing run that first published this version (1 = the data directory's first; "
                              "data/runs/*.json record each run's publish_number and time)"),
    ("last_run", pa.int32(), "latest publishing run that published this version"),
    ("bytes", pa.int64(), "size of the version"),
    ("pages", pa.int32(), "page count of the version"),
    ("etag", pa.string(), "the URL's ETag when the version was last fetched over HTTP; null from a mirror"),
    ("last_modified", pa.string(), "the URL's Last-Modified when the version was last fetched over HTTP; null from a mirror"),
], ["doc_id", "first_run", "sha256"])
# What identifies a row from one run to the next: the key `diff --runs` matches rows on. The
# sort keys registered above add tie-breakers (the page a row is printed on, a check's message, a
# number's printed text) that change while the row stays the same row; matched on those, a row that
# moved page, or a check whose message changed, would show as removed + added instead of changed.
ROW_IDENTITY: dict[str, list[str]] = {
    "esp_reports": ["year", "esp_key", "esp"],
    "country_reports": ["year", "country"],
    "documents": ["doc_id"],
    "checks": ["source_file", "check"],
    "ojjdp_cells": ["edition", "table_id", "year", "row_label", "column_label", "measure"],
    "field_presence": ["field_id", "year"],
    "ojjdp_tables": ["edition", "table_id"],
    "ojjdp_revisions": ["old_edition", "new_edition", "table_id", "row_label", "column_label", "year", "measure"],
    "document_versions": ["doc_id", "sha256"],
}


def _sort_value(value):
    """Nulls sort first; (False, 0) never meets a real value because the flags differ."""
    return (False, 0) if value is None else (True, value)


def sort_records(records: list[dict], key: list[str]) -> list[dict]:
    """Rows sorted by key, so the file never depends on the order documents were processed."""
    return sorted(records, key=lambda r: tuple(_sort_value(r.get(k)) for k in key))


def to_table(name: str, records: list[dict]) -> pa.Table:
    schema, key = TABLES[name]
    rows = sort_records(records, key)
    columns = {field.name: [row.get(field.name) for row in rows] for field in schema}
    return pa.Table.from_pydict(columns, schema=schema)


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write `table` to `path` so that readers see the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_name = _stage(table, path.parent, path.name)
    try:
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _stage(table: pa.Table, directory: Path, name: str) -> str:
    """Write `table` under a temporary name in `directory`, fsynced, readable like any file the
    user creates (mkstemp makes it private: analysts on other accounts could not read it)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            pq.write_table(table, handle, compression="zstd", write_statistics=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, public_mode())
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return tmp_name


def public_mode() -> int:
    """0o666 less the process umask: the mode `open()` would give a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


JOURNAL = ".commit.json"
SET_FILE = ".set.json"  # the committed set: each output file's sha256, and the set's id


class OutputsUnavailable(Exception):
    """The processed folder does not hold one consistent output set right now."""


def write_tables(tables: dict[str, pa.Table], directory: Path) -> list[Path]:
    """Replace several files as one: all or none, even if the process is killed midway.

    Each new file is written and fsynced under a temporary name first, and so is the set file
    (`.set.json`: every file's sha256 and the set's id); then a journal listing the renames is
    written (fsynced, renamed into place, folder fsynced); then the renames happen and the
    journal is removed. A run killed before the journal exists leaves the old files untouched
    (the temporaries are swept by the next run); one killed after it is completed by `recover`
    at the start of the next run. Readers (`read_consistent`) refuse while a journal is pending
    and never return tables of two sets. The Parquet bytes carry nothing of the set, so a table
    whose rows did not change keeps its bytes.
    """
    from pipeline.state import write_json_atomic

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    recover(directory)
    staged: dict[str, str] = {}
    try:
        for name, table in tables.items():
            staged[Path(_stage(table, directory, name)).name] = f"{name}.parquet"
        files = {**_recorded_files(directory), **{final: _sha256(directory / tmp) for tmp, final in staged.items()}}
        set_tmp = directory / f".{SET_FILE}.{os.getpid()}.tmp"
        write_json_atomic(set_tmp, {"files": files, "set_id": _set_id(files)})
        staged[set_tmp.name] = SET_FILE
    except BaseException:
        for tmp in staged:
            (directory / tmp).unlink(missing_ok=True)
        raise
    write_json_atomic(directory / JOURNAL, staged)
    recover(directory)
    return [directory / final for final in staged.values() if final != SET_FILE]


def _recorded_files(directory: Path) -> dict[str, str]:
    """The files the current set file records (those a commit does not replace stay in the set)."""
    import json

    try:
        files = json.loads((directory / SET_FILE).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {k: v for k, v in files.items() if (directory / k).is_file()} if isinstance(files, dict) else {}


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _set_id(files: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in sorted(files.items())).encode()).hexdigest()


def recover(directory: Path) -> None:
    """Finish a committed set of renames (see `write_tables`) and sweep uncommitted temporaries.

    A journal that cannot be read (empty, torn, garbage) is moved aside and discarded: it is
    fsynced before the first rename, so an unreadable one means no rename was made and the old
    set is whole. (Were the files on disk ever not the set `.set.json` records, readers refuse
    them and the next run rebuilds the set: `unchanged_outputs` checks.)
    """
    from pipeline.state import fsync_dir, read_json_state

    directory = Path(directory)
    journal = directory / JOURNAL
    if journal.exists():
        renames = read_json_state(journal)  # None: moved aside
        for tmp, final in (renames or {}).items():
            if (directory / tmp).is_file():
                os.replace(directory / tmp, directory / final)
        fsync_dir(directory)
        journal.unlink(missing_ok=True)
    for leftover in directory.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def current_set_id(directory: Path) -> str | None:
    """The id of the one set the folder holds (None: outputs written before set files).
    OutputsUnavailable while a commit is pending, or when the files are not the set recorded."""
    import json

    directory = Path(directory)
    if (directory / JOURNAL).exists():
        raise OutputsUnavailable(
            f"{directory}: a new output set is being published (journal {JOURNAL} pending), or a run was killed"
            " while publishing it; try again when the run ends (the next `ncmec-pipeline run` completes it)")
    try:
        recorded = json.loads((directory / SET_FILE).read_text(encoding="utf-8"))
        files = recorded["files"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as err:
        raise OutputsUnavailable(f"{directory / SET_FILE}: expected the output set's record, found an unreadable"
                                 f" file ({err}); `ncmec-pipeline run` rebuilds it") from None
    differ = sorted(name for name, sha in files.items()
                    if not (directory / name).is_file() or _sha256(directory / name) != sha)
    if differ:
        raise OutputsUnavailable(f"{directory}: expected the output set {SET_FILE} records, found {', '.join(differ)}"
                                 " differing from it (files of two sets?); `ncmec-pipeline run` rebuilds the set")
    return recorded.get("set_id")


def read_consistent(directory: Path, read, attempts: int = 3):
    """`read(directory)`, seen to have read one committed set: the set is whole before and the
    same after (a commit that lands in between makes it read again)."""
    for _ in range(attempts):
        before = current_set_id(directory)
        result = read(directory)
        if current_set_id(directory) == before:
            return result
    raise OutputsUnavailable(f"{directory}: the outputs changed {attempts} times while being read; try again")


def write_records(name: str, records: list[dict], directory: Path) -> Path:
    """Replace one table; in a folder holding a committed set, as a commit of that set (so
    readers never see the table beside a set file that does not record it)."""
    path = Path(directory) / f"{name}.parquet"
    if (Path(directory) / SET_FILE).is_file():
        write_tables({name: to_table(name, records)}, directory)
    else:
        write_atomic(to_table(name, records), path)
    return path
