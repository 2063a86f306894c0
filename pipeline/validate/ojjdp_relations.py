"""The sum relations of the OJJDP editions, read from pipeline/data/ojjdp_relations.toml.

A relation says which printed cells are a total and which its parts, matched on printed labels
(`pipeline.validate.ojjdp` checks them). They live in a reviewed data file like the table rules
(`ojjdp_tables.csv`), so a row a new edition prints is placed by a data diff, and a refusal
names the file to edit. The file is read whole and checked before any relation is used: a
malformed entry is a ValueError naming the file, the entry and what was expected and found.
"""

from __future__ import annotations

import functools

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

RELATIONS_FILE = "pipeline/data/ojjdp_relations.toml"
# Fields that, with table_id, identify a cell within an edition.
CELL_FIELDS = ("row_label", "column_label", "year", "measure")
LABEL_FIELDS = ("row_label", "column_label", "measure")  # what a selection may match
SNAKE_CASE = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Select:
    """Cells of `table_id` whose `field` (row_label, column_label or measure) fully matches
    `pattern` (case-insensitive). As a part: `optional` may be absent (a row one edition added);
    `every` takes all matching cells (every category), otherwise exactly one must match."""

    table_id: str
    field: str
    pattern: str
    optional: bool = False
    every: bool = False

    def matches(self, cell: dict) -> bool:
        value = cell.get(self.field)
        return cell["table_id"] == self.table_id and value is not None and \
            re.fullmatch(self.pattern, value, re.IGNORECASE) is not None


@dataclass(frozen=True)
class Relation:
    """Each total cell equals the sum of its parts: the part cells agreeing with the total on
    `match_on` (the other coordinates). `why` says where the table says so. With `at_least`
    the parts may overlap (one file, several series), so they add up to at least the total."""

    name: str
    total: Select
    parts: tuple[Select, ...]
    match_on: tuple[str, ...]
    why: str
    at_least: bool = False


@dataclass(frozen=True)
class Relations:
    """The whole file: sums, figures printed twice, and the labels in no relation on purpose."""

    sums: tuple[Relation, ...]
    same_figures: tuple[Relation, ...]
    standalone: tuple[Select, ...]


def load_relations(path: str | Path | None = None, *, table_ids: set[str] | None = None) -> Relations:
    """The relations of `path` (default: the packaged pipeline/data/ojjdp_relations.toml, read
    once a process: every OJJDP edition's checks ask for it), every table checked against
    `table_ids` (default: the table ids of pipeline/data/ojjdp_tables.csv)."""
    if path is None and table_ids is None:
        return _packaged_relations()
    return _parsed(*_relations_text(path), table_ids)


@functools.lru_cache(maxsize=1)
def _packaged_relations() -> Relations:
    return _parsed(*_relations_text(None), None)


def _relations_text(path: str | Path | None) -> tuple[str, str]:
    if path is None:
        return resources.files("pipeline.data").joinpath("ojjdp_relations.toml").read_text(encoding="utf-8"), \
            RELATIONS_FILE
    return Path(path).read_text(encoding="utf-8"), str(path)


def _parsed(text: str, source: str, table_ids: set[str] | None) -> Relations:
    if table_ids is None:
        from pipeline.ojjdp_rules import load_table_rules

        table_ids = {rule.table_id for rule in load_table_rules()}
    return parse_relations(text, source=source, table_ids=table_ids)


def parse_relations(text: str, *, source: str = RELATIONS_FILE, table_ids: set[str] | None = None) -> Relations:
    """Relations from the TOML text; anything malformed is a ValueError saying where."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{source}: expected TOML, found a syntax error: {err}") from None
    _only_keys(data, {"sum", "same_figure", "standalone"}, set(), source)
    sections = {}
    names: dict[str, str] = {}
    for section in ("sum", "same_figure"):
        relations = []
        for number, entry in enumerate(_entries(data, section, source), start=1):
            where = f"{source}: [[{section}]] number {number}"
            relation = _relation(entry, where, table_ids, one_part=section == "same_figure")
            if relation.name in names:
                raise ValueError(f"{where} ({relation.name}): expected a name used once, found"
                                 f" {relation.name!r}, already the name of a [[{names[relation.name]}]] relation")
            names[relation.name] = section
            relations.append(relation)
        sections[section] = tuple(relations)
    standalone = tuple(_select(entry, f"{source}: [[standalone]] number {number}", table_ids, as_part=False)
                       for number, entry in enumerate(_entries(data, "standalone", source), start=1))
    return Relations(sections["sum"], sections["same_figure"], standalone)


def _entries(data: dict, section: str, source: str) -> list[dict]:
    entries = data.get(section, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{source}: expected {section} as an array of tables ([[{section}]]), found"
                         f" {type(entries).__name__}")
    return entries


def _only_keys(entry: dict, required: set[str], optional: set[str], where: str) -> None:
    missing = sorted(required - set(entry))
    unknown = sorted(set(entry) - required - optional)
    if missing or unknown:
        also = f" (and optionally {', '.join(sorted(optional))})" if optional else ""
        expected = ", ".join(sorted(required)) + also
        found = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                            f"unknown {', '.join(unknown)}" if unknown else "") if part)
        raise ValueError(f"{where}: expected the keys {expected}, found {found}")


def _relation(entry: dict, where: str, table_ids: set[str] | None, *, one_part: bool) -> Relation:
    name = entry.get("name")
    if isinstance(name, str):
        where = f"{where} ({name})"
    _only_keys(entry, {"name", "why", "total", "parts", "match_on"}, {"at_least"}, where)
    if not isinstance(name, str) or not SNAKE_CASE.fullmatch(name):
        raise ValueError(f"{where}: expected name as a snake_case string, found {name!r}")
    why = entry["why"]
    if not isinstance(why, str) or not why.strip():
        raise ValueError(f"{where}: expected why as a sentence saying where the document says so, found {why!r}")
    parts = entry["parts"]
    if not isinstance(parts, list) or not parts or (one_part and len(parts) != 1):
        raise ValueError(f"{where}: expected parts as a list of {'one selection' if one_part else 'selections'},"
                         f" found {parts!r}")
    match_on = entry["match_on"]
    if (not isinstance(match_on, list) or not match_on or len(set(match_on)) != len(match_on)
            or any(f not in CELL_FIELDS for f in match_on)):
        raise ValueError(f"{where}: expected match_on as a list of distinct fields of {', '.join(CELL_FIELDS)},"
                         f" found {match_on!r}")
    at_least = entry.get("at_least", False)
    if not isinstance(at_least, bool):
        raise ValueError(f"{where}: expected at_least as true or false, found {at_least!r}")
    total = _select(entry["total"], f"{where}: total", table_ids, as_part=False)
    selects = tuple(_select(part, f"{where}: part {i}", table_ids, as_part=True) for i, part in enumerate(parts, 1))
    return Relation(name, total, selects, tuple(match_on), " ".join(why.split()), at_least)


def _select(entry, where: str, table_ids: set[str] | None, *, as_part: bool) -> Select:
    """One selection: a table and exactly one label pattern (and, as a part, optional/every)."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a selection {{ table = ..., row_label = ... }}, found {entry!r}")
    fields = [f for f in LABEL_FIELDS if f in entry]
    flags = {"optional", "every"} if as_part else set()
    if len(fields) != 1:
        raise ValueError(f"{where}: expected exactly one of {', '.join(LABEL_FIELDS)} beside table,"
                         f" found {', '.join(fields) or 'none'}")
    _only_keys(entry, {"table", fields[0]}, flags, where)
    table, pattern = entry["table"], entry[fields[0]]
    if not isinstance(table, str) or not SNAKE_CASE.fullmatch(table) or (table_ids is not None
                                                                        and table not in table_ids):
        raise ValueError(f"{where}: expected table as a table_id of pipeline/data/ojjdp_tables.csv, found {table!r}")
    try:
        re.compile(pattern)
    except (re.error, TypeError) as err:
        raise ValueError(f"{where}: expected {fields[0]} as a regular expression, found {pattern!r}: {err}") from None
    for flag in flags & set(entry):
        if not isinstance(entry[flag], bool):
            raise ValueError(f"{where}: expected {flag} as true or false, found {entry[flag]!r}")
    return Select(table, fields[0], pattern, entry.get("optional", False), entry.get("every", False))
