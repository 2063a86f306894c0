"""Store: one Parquet file per table, explicit pyarrow schemas, atomic and deterministic writes.

Deterministic: same records -> byte-identical file (rows sorted by key, no timestamps in the
file; run-level facts live in the run manifest). Atomic: written to a temporary file in the same
folder, fsynced, then renamed over the old one, so a crash never leaves a partial file and never
replaces the last good one with garbage.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


# Every table's columns, types, descriptions and keys are defined once, in the field dictionary
# (pipeline/data/columns.toml, read by pipeline/dictionary.py); the schemas follow from it.
# SCHEMA_VERSION, TABLES (name -> schema, sort key) and ROW_IDENTITY are made the first time
# they are asked for (module `__getattr__`), so a run that publishes nothing new (the nightly
# no-change run) never imports pyarrow. ROW_IDENTITY: what identifies a row from one run to the
# next, the key `diff --runs` matches rows on. The sort keys add tie-breakers (the page a row is
# printed on, a check's message, a number's printed text) that change while the row stays the
# same row; matched on those, a row that moved page, or a check whose message changed, would
# show as removed + added instead of changed.
@cache
def _schemas() -> dict:
    from pipeline.dictionary import field_dictionary, parquet_schema

    dictionary = field_dictionary()
    version = dictionary.schema_version
    return {
        "SCHEMA_VERSION": version,
        "TABLES": {name: (parquet_schema(table, version), list(table.key)) for name, table in dictionary.tables.items()},
        "ROW_IDENTITY": {name: list(table.identity) for name, table in dictionary.tables.items()
                         if table.identity is not None},
    }


def load_for_writing() -> None:
    """Import what writing the tables needs and build the schemas (about 0.15 s of this 2-core
    machine), which a run does while its workers extract (`run.extract_all`)."""
    import pyarrow.parquet  # noqa: F401

    arrow()
    _schemas()


_WITHOUT_PANDAS = False  # set by `without_pandas()`: this process writes tables and converts no pandas object


def without_pandas() -> None:
    """Declare that this process converts no pandas object to Arrow (the CLI's `run` and
    `store`): its first conversion of a list is then done without importing pandas (`arrow`)."""
    global _WITHOUT_PANDAS
    _WITHOUT_PANDAS = True


@cache
def arrow():
    """pyarrow, ready to convert rows.

    pyarrow imports pandas the first time it converts a Python list (0.3 s of CPU and 40 MB a
    run), only to ask whether the list is a pandas object. In a process that has declared it
    converts none (`without_pandas`) and has not imported pandas, that first attempt is
    refused: pyarrow then converts lists as it does without pandas, and the bytes written are
    the same. (For the rest of such a process, `pa.array` takes a pandas object for a plain
    sequence until something asks pyarrow for pandas itself, `to_pandas` or `from_pandas`,
    which imports it as usual: hence the declaration, made only where nothing of the kind runs.)"""
    import sys

    import pyarrow as pa

    if not _WITHOUT_PANDAS or "pandas" in sys.modules:
        pa.array([0])
        return pa
    refusal = _RefusedImport("pandas")
    sys.meta_path.insert(0, refusal)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(refusal)
    return pa


class _RefusedImport:
    """A meta path finder that makes `import <name>` (and its submodules) fail while installed."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname == self.name or fullname.startswith(self.name + "."):
            raise ImportError(f"{fullname} is not imported to write tables (pipeline.store.arrow)")
        return None


def load_in_background() -> threading.Thread:
    """`load_for_writing` in a thread: a run calls it while it waits for its last extractions,
    and does not wait for it later. Imports are thread-safe: the run's own `import pyarrow`
    waits for this one to finish."""
    thread = threading.Thread(target=load_for_writing, name="load-pyarrow", daemon=True)
    thread.start()
    return thread


def __getattr__(name: str):
    if name in ("SCHEMA_VERSION", "TABLES", "ROW_IDENTITY"):
        return _schemas()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _sort_value(value):
    """Nulls sort first; (False, 0) never meets a real value because the flags differ."""
    return (False, 0) if value is None else (True, value)


def sort_records(records: list[dict], key: list[str]) -> list[dict]:
    """Rows sorted by key, so the file never depends on the order documents were processed."""
    return sorted(records, key=lambda r: tuple(_sort_value(r.get(k)) for k in key))


def to_table(name: str, records: list[dict]) -> pa.Table:
    """The records as table `name`, sorted by its key. A row without a value in a column the
    dictionary declares non-null is a ValueError naming the table, column and row (pyarrow would
    only refuse it when the file is written, without saying which row)."""
    pa = arrow()
    schema, key = _schemas()["TABLES"][name]
    rows = sort_records(records, key)
    columns = {field.name: [row.get(field.name) for row in rows] for field in schema}
    for field in schema:
        if not field.nullable and None in columns[field.name]:
            row = rows[columns[field.name].index(None)]
            shown = {k: row.get(k) for k in key if k != field.name}
            raise ValueError(f"{name}: expected a value in every row of {field.name} (declared non-null in"
                             f" pipeline/data/columns.toml), found none in {columns[field.name].count(None)}"
                             f" row(s), the first {shown}")
    return pa.Table.from_pydict(columns, schema=schema)


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write `table` to `path` so that readers see the old file or the new one, never a part."""
    from pipeline.workspace import write_atomic as write_file

    write_file(path, lambda handle: _write_parquet(table, handle))


def _stage(table: pa.Table, directory: Path, name: str) -> Path:
    """Write `table` under a temporary name in `directory` (see `workspace.stage`)."""
    from pipeline.workspace import stage

    return stage(directory, name, lambda handle: _write_parquet(table, handle))


def _write_parquet(table: pa.Table, handle) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, handle, compression="zstd", write_statistics=True)


JOURNAL = ".commit.json"
SET_FILE = ".set.json"  # the committed set: each output file's sha256, and the set's id


class OutputsUnavailable(Exception):
    """The processed folder does not hold one consistent output set right now."""


def write_tables(tables: dict[str, pa.Table], directory: Path, *, built_from: list[str] | None = None) -> list[Path]:
    """Replace several files as one: all or none, even if the process is killed midway.

    Each new file is written and fsynced under a temporary name first, and so is the set file
    (`.set.json`: every file's sha256, the set's id, and `built_from`, the fingerprints of the
    inputs it was built from: see `run.publish`); then a journal listing the renames is
    written (fsynced, renamed into place, folder fsynced); then the renames happen and the
    journal is removed. A run killed before the journal exists leaves the old files untouched
    (the temporaries are swept by the next run); one killed after it is completed by `recover`
    at the start of the next run. Readers (`read_consistent`) refuse while a journal is pending
    and never return tables of two sets. The Parquet bytes carry nothing of the set, so a table
    whose rows did not change keeps its bytes.
    """
    import json

    from pipeline.workspace import stage, write_json_atomic

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    recover(directory)
    staged: dict[str, str] = {}
    try:
        for name, table in tables.items():
            staged[_stage(table, directory, name).name] = f"{name}.parquet"
        files = {**_recorded_files(directory), **{final: _sha256(directory / tmp) for tmp, final in staged.items()}}
        record = json.dumps({"files": files, "set_id": _set_id(files), "built_from": sorted(set(built_from or []))},
                            indent=2, sort_keys=True)
        staged[stage(directory, SET_FILE, lambda handle: handle.write(record.encode("utf-8"))).name] = SET_FILE
    except BaseException:
        for tmp in staged:
            (directory / tmp).unlink(missing_ok=True)
        raise
    write_json_atomic(directory / JOURNAL, staged)
    recover(directory)
    return [directory / final for final in staged.values() if final != SET_FILE]


def set_built_from(directory: Path) -> list[str]:
    """The fingerprints of the inputs the committed set was built from ([] for a set written
    before they were recorded, or none)."""
    import json

    try:
        built_from = json.loads((Path(directory) / SET_FILE).read_text(encoding="utf-8")).get("built_from")
    except (OSError, ValueError, AttributeError):
        return []
    return [f for f in built_from if isinstance(f, str)] if isinstance(built_from, list) else []


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
    from pipeline.state import read_json_state
    from pipeline.workspace import fsync_dir

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
    from pipeline.workspace import table_file

    path = table_file(directory, name)
    if (Path(directory) / SET_FILE).is_file():
        write_tables({name: to_table(name, records)}, directory)
    else:
        write_atomic(to_table(name, records), path)
    return path
