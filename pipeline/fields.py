"""Field presence: for every figure people ask about and every year, is it published, and where?

The question that started the project ("how many CyberTips led to arrests?") took researchers
days because the answer is an absence: the OJJDP editions describe a feedback form whose Case
Status options include Arrest and Conviction, but print only feedback *instances* per agency
type. An absence is a fact worth recording with its proof, so each (field, year) gets one of:

  present      a number is printed: its value, table, page and file
  absent       the documents covering that year were read and none prints such a figure; the
               evidence is the closest mentions (file, page, sentence) and the figures printed
               nearby instead
  not_covered  no document that would print it was available for that year (missing or failed
               editions, or none in the manifest), with the reason; an `unsupported` document
               (a family no reader reads) never covers a year, and the verdict names it

"Not published" is never written as 0. What counts as the figure, and as a mention of it, lives
in `pipeline/data/fields.toml` (a reviewed data file); this module only applies it. Everything
here is a pure function over plain records (rows of the processed tables) and page texts, except
`presence_records`, the I/O edge used by `run`/`store` (page texts: `pipeline.extract.cache`).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pipeline.families import FAMILIES as READERS
from pipeline.manifest import FAMILIES

log = logging.getLogger("pipeline.fields")

STATUSES = ("present", "absent", "not_covered")
SHAPES = ("figure", "breakdown")
# The processed tables a source can read (each family's table of printed figures), and the
# document family whose PDFs fill each one.
TABLE_FAMILIES = {family.table: family.name for family in READERS.values()}
SOURCE_TABLES = (*TABLE_FAMILIES, "documents")
SOURCE_KEYS = {"table", "family", "table_id", "row", "column", "label", "measure", "count"}
# The lists' tables: one figure per printed name; `count` says which count column holds it.
LIST_TABLES = tuple(family.table for family in READERS.values() if family.name_column)
NAME_COLUMNS = {family.table: family.name_column for family in READERS.values() if family.name_column}
LIST_COUNTS = ("reports", "referrals", "informational")
FIELD_KEYS = {"id", "title", "description", "shape", "aliases", "mentions", "related", "sources"}
FIELD_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# A breakdown with more numbers than this is summarised in `values` by its largest ones.
MAX_LISTED_VALUES = 12
# Sentences longer than this are cut to a window around the mention.
MAX_SENTENCE_CHARS = 300


class CatalogError(ValueError):
    """The field catalog itself is malformed."""


# --- the catalog -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """One place a field is printed: a processed table and the patterns its rows must match."""

    table: str
    family: str | None = None
    table_id: re.Pattern | None = None
    row: re.Pattern | None = None
    column: re.Pattern | None = None
    label: re.Pattern | None = None
    measures: tuple[str, ...] = ()
    # esp_reports / country_reports only: which count column holds the figure (the split
    # NCMEC prints from 2024 is `referrals` / `informational`; a null there is not printed).
    count: str = "reports"

    @property
    def document_family(self) -> str:
        return self.family if self.table == "documents" else TABLE_FAMILIES[self.table]

    def describe(self) -> str:
        if self.table == "documents":
            return f"the total row printed in the {self.family} PDF"
        if self.table != "ojjdp_cells":
            return f"{self.table} (every printed row)" if self.count == "reports" else \
                f"{self.table}, the {self.count} column of every printed row"
        table = self.table_id.pattern if self.table_id else None
        parts = [f"OJJDP table {table}" if table and FIELD_ID.match(table) else
                 f"an OJJDP table (id {pattern_in_words(table)})" if table else "any OJJDP table"]
        for name, pattern in (("row", self.row), ("column", self.column), ("row or column", self.label)):
            if pattern is not None:
                parts.append(f"a {name} label {pattern_in_words(pattern.pattern)}")
        if self.measures:
            parts.append(f"counting {' or '.join(self.measures)}")
        return ", ".join(parts)


def _top_level_alternatives(pattern: str) -> list[str]:
    """`a|b(c|d)` -> ['a', 'b(c|d)']: the alternatives outside any group."""
    parts, depth, current, escaped = [], 0, "", False
    for char in pattern:
        if escaped:
            current, escaped = current + char, False
            continue
        if char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    return [*parts, current]


def pattern_in_words(pattern: str) -> str:
    """A catalog pattern said in words, for the people who read the evidence ('\\barrest' ->
    'with a word starting “arrest”', '^total' -> 'starting “total”'); a pattern with more
    regular-expression syntax than anchors, word boundaries and alternatives is quoted as is."""
    alternatives = _top_level_alternatives(pattern)
    if len(alternatives) > 1:
        return " or ".join(pattern_in_words(a) for a in alternatives)
    negative = re.fullmatch(r"\(\?!([\w ]+)\)\.\*", pattern)
    if negative:
        return f"not starting “{negative.group(1)}”"
    group = re.fullmatch(r"(.*?)\(([\w ]+(?:\|[\w ]+)+)\)(.*)", pattern)
    if group and "(" not in group.group(1) + group.group(3):  # charg(ed|es) -> charged or charges
        return " or ".join(pattern_in_words(group.group(1) + a + group.group(3)) for a in group.group(2).split("|"))
    text = pattern
    starts, ends = text.startswith("^"), text.endswith("$") and not text.endswith("\\$")
    text = text[1 if starts else 0:len(text) - 1 if ends else None]
    word_start, word_end = text.startswith("\\b"), text.endswith("\\b") and len(text) > 2
    text = text[2 if word_start else 0:len(text) - 2 if word_end else None]
    if re.search(r"(?<!\\)[()\[\]{}*+?.|^$]|\\[a-zA-Z]", text):
        return f"matching the pattern /{pattern}/"
    literal = "“" + re.sub(r"\\(.)", r"\1", text) + "”"
    if starts and ends:
        return f"reading {literal}"
    if starts:
        return f"starting {literal}"
    if word_start and word_end:
        return f"with the word {literal}"
    if word_start:
        return f"with a word starting {literal}"
    return f"containing {literal}"


@dataclass(frozen=True)
class Field:
    id: str
    title: str
    description: str
    shape: str
    aliases: tuple[str, ...]
    mentions: tuple[re.Pattern, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]

    @property
    def families(self) -> tuple[str, ...]:
        """Document families that would print this field, in catalog order."""
        return tuple(dict.fromkeys(s.document_family for s in self.sources))


@dataclass(frozen=True)
class Catalog:
    fields: tuple[Field, ...]
    coverage: Mapping[str, tuple[int, ...]]
    ignore_lines: tuple[re.Pattern, ...]
    max_mentions_per_document: int

    def field(self, field_id: str) -> Field:
        for item in self.fields:
            if item.id == field_id:
                return item
        raise KeyError(field_id)


def _pattern(text, where: str) -> re.Pattern:
    if not isinstance(text, str) or not text:
        raise CatalogError(f"{where}: expected a non-empty regular expression, found {text!r}")
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as err:
        raise CatalogError(f"{where}: bad regular expression {text!r}: {err}") from None


def _strings(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{where}: expected a list of strings, found {value!r}")
    return tuple(value)


def parse_source(raw: dict, where: str) -> Source:
    unknown = sorted(set(raw) - SOURCE_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(SOURCE_KEYS))}")
    table = raw.get("table")
    if table not in SOURCE_TABLES:
        raise CatalogError(f"{where}: table must be one of {', '.join(SOURCE_TABLES)}, found {table!r}")
    family = raw.get("family")
    if table == "documents" and family not in FAMILIES:
        raise CatalogError(f"{where}: a documents source needs family = one of {', '.join(FAMILIES)}, found {family!r}")
    if table != "documents" and family is not None:
        raise CatalogError(f"{where}: family is only for table = \"documents\", found it with table {table!r}")
    patterns = {k: _pattern(raw[k], f"{where}, {k}") for k in ("table_id", "row", "column", "label") if k in raw}
    if table != "ojjdp_cells" and patterns:
        raise CatalogError(f"{where}: {', '.join(patterns)} only apply to table = \"ojjdp_cells\", found them with {table!r}")
    measures = _strings(raw.get("measure"), f"{where}, measure")
    if table != "ojjdp_cells" and measures:
        raise CatalogError(f"{where}: measure only applies to table = \"ojjdp_cells\", found it with {table!r}")
    count = raw.get("count", "reports")
    if count != "reports" and table not in LIST_TABLES:
        raise CatalogError(f"{where}: count only applies to tables {', '.join(LIST_TABLES)}, found it with {table!r}")
    if count not in LIST_COUNTS:
        raise CatalogError(f"{where}: count must be one of {', '.join(LIST_COUNTS)}, found {count!r}")
    return Source(table=table, family=family, measures=measures, count=count, **patterns)


def parse_field(raw: dict, where: str) -> Field:
    unknown = sorted(set(raw) - FIELD_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(FIELD_KEYS))}")
    field_id = raw.get("id")
    if not isinstance(field_id, str) or not FIELD_ID.match(field_id):
        raise CatalogError(f"{where}: id must be lowercase letters, digits and underscores, found {field_id!r}")
    where = f"{where} ({field_id})"
    for key in ("title", "description"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CatalogError(f"{where}: {key} must be a non-empty string, found {raw.get(key)!r}")
    if raw.get("shape") not in SHAPES:
        raise CatalogError(f"{where}: shape must be one of {', '.join(SHAPES)}, found {raw.get('shape')!r}")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        raise CatalogError(f"{where}: expected at least one [[fields.sources]], found none")
    return Field(
        id=field_id,
        title=raw["title"].strip(),
        description=" ".join(raw["description"].split()),
        shape=raw["shape"],
        aliases=_strings(raw.get("aliases"), f"{where}, aliases"),
        mentions=tuple(_pattern(p, f"{where}, mentions") for p in _strings(raw.get("mentions"), f"{where}, mentions")),
        related=_strings(raw.get("related"), f"{where}, related"),
        sources=tuple(parse_source(s, f"{where}, source {i}") for i, s in enumerate(sources, start=1)),
    )


def parse_catalog(data: dict, where: str = "fields.toml") -> Catalog:
    """A Catalog from the parsed TOML, refusing anything the presence builder would misread."""
    coverage_raw = data.get("coverage") or {}
    coverage = {}
    for family, offsets in coverage_raw.items():
        if family not in FAMILIES:
            raise CatalogError(f"{where}, [coverage]: family {family!r} is not one of {', '.join(FAMILIES)}")
        if not isinstance(offsets, list) or not offsets or not all(isinstance(o, int) and o <= 0 for o in offsets):
            raise CatalogError(f"{where}, [coverage] {family}: expected a list of year offsets <= 0, found {offsets!r}")
        coverage[family] = tuple(sorted(offsets))
    missing = [f for f in FAMILIES if f not in coverage]
    if missing:
        raise CatalogError(f"{where}, [coverage]: expected every family, missing {', '.join(missing)}")
    text = data.get("text") or {}
    ignore = tuple(_pattern(p, f"{where}, [text] ignore_lines") for p in _strings(text.get("ignore_lines"), f"{where}, [text]"))
    max_mentions = text.get("max_mentions_per_document", 6)
    if not isinstance(max_mentions, int) or max_mentions < 1:
        raise CatalogError(f"{where}, [text] max_mentions_per_document: expected a positive integer, found {max_mentions!r}")
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise CatalogError(f"{where}: expected [[fields]] entries, found none")
    fields = tuple(parse_field(raw, f"{where}, field {i}") for i, raw in enumerate(raw_fields, start=1))
    ids = [f.id for f in fields]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise CatalogError(f"{where}: field ids must be unique, found {', '.join(repeated)} more than once")
    for item in fields:
        unknown = [r for r in item.related if r not in ids]
        if unknown:
            raise CatalogError(f"{where}, field {item.id}: related names unknown field(s) {', '.join(unknown)}")
    return Catalog(fields, coverage, ignore, max_mentions)


def load_catalog(path: Path | None = None) -> Catalog:
    """The catalog shipped in the package (read once a process: a run asks for it as each
    document publishes, 16 ms a reading), or the TOML file at `path`."""
    if path is None:
        return _packaged_catalog()
    return _catalog_from(Path(path).read_text(encoding="utf-8"), str(path))


@functools.lru_cache(maxsize=1)
def _packaged_catalog() -> Catalog:
    text = resources.files("pipeline.data").joinpath("fields.toml").read_text(encoding="utf-8")
    return _catalog_from(text, "pipeline/data/fields.toml")


def _catalog_from(text: str, where: str) -> Catalog:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CatalogError(f"{where}: not valid TOML: {err}") from None
    return parse_catalog(data, where)


def find_fields(catalog: Catalog, query: str) -> list[Field]:
    """The field whose id is `query`, else every field whose id, title, aliases or description
    contain it as a word (case-insensitive; a trailing plural 's' is optional)."""
    query = query.strip().lower()
    exact = [f for f in catalog.fields if f.id == query]
    if exact:
        return exact
    stem = re.escape(query[:-1] if query.endswith("s") and len(query) > 3 else query)
    word = re.compile(rf"(?<![a-z0-9]){stem}(s|es)?(?![a-z0-9])", re.IGNORECASE)
    def haystacks(f: Field):
        return (f.id.replace("_", " "), f.title, *f.aliases)
    strong = [f for f in catalog.fields if any(word.search(h) for h in haystacks(f))]
    return strong or [f for f in catalog.fields if word.search(f.description)]


# --- where a field is printed: matches in the processed tables ---------------------------------

@dataclass(frozen=True)
class Match:
    """One printed number that a field's source selects."""

    source_index: int
    year: int
    label: str
    value: int | None
    value_text: str
    table: str
    page: int | None
    source_file: str
    source_sha256: str | None
    document_year: int


def _count_text(value) -> str:
    return "-" if value is None else f"{int(value):,}"


def source_matches(source: Source, index: int, tables: Mapping[str, Sequence[dict]]) -> list[Match]:
    """Every printed number `source` selects in `tables` (rows of the processed tables)."""
    matches = []
    if source.table == "documents":
        for doc in tables.get("documents", ()):
            if doc["family"] == source.family and doc["status"] == "ok" and doc.get("printed_total") is not None:
                matches.append(Match(index, doc["year"], "printed total", doc["printed_total"],
                                     _count_text(doc["printed_total"]), f"documents:{source.family}", None,
                                     doc["source_file"], doc.get("sha256"), doc["year"]))
        return matches
    if source.table in LIST_TABLES:
        name = NAME_COLUMNS[source.table]
        rows = tables.get(source.table, ())
        # An edition prints a count column when some row of it has a number there: the split
        # NCMEC prints from 2024 is not published before, and never 0 ('-' rows of an edition
        # that prints it are kept, as for reports).
        printing = {row["source_file"] for row in rows if row.get(source.count) is not None}
        for row in rows:
            if row["source_file"] not in printing and source.count != "reports":
                continue
            matches.append(Match(index, row["year"], row[name], row.get(source.count), _count_text(row.get(source.count)),
                                 source.table, row["page"], row["source_file"], row.get("source_sha256"), row["year"]))
        return matches
    for cell in tables.get("ojjdp_cells", ()):
        if cell["measure"] == "percent" or cell["year"] is None:
            continue  # a percent restates a count printed beside it; it is never the figure
        row_label, column_label = cell.get("row_label") or "", cell.get("column_label") or ""
        if source.table_id is not None and not source.table_id.fullmatch(cell["table_id"]):
            continue
        if source.measures and cell["measure"] not in source.measures:
            continue
        if source.row is not None and not source.row.search(row_label):
            continue
        if source.column is not None and not source.column.search(column_label):
            continue
        if source.label is not None and not (source.label.search(row_label) or source.label.search(column_label)):
            continue
        matches.append(Match(index, cell["year"], row_label or column_label or cell["table_id"], cell["value"],
                             cell["value_text"], f"ojjdp_cells:{cell['table_id']}", cell["page"], cell["source_file"],
                             cell.get("source_sha256"), cell["edition"]))
    return matches


def field_matches(field: Field, tables: Mapping[str, Sequence[dict]]) -> list[Match]:
    return [m for i, s in enumerate(field.sources) for m in source_matches(s, i, tables)]


def chosen_matches(matches: Sequence[Match]) -> list[Match]:
    """The numbers that give a year's value: the first source (catalog order) that prints any,
    from its latest edition, because a later edition is NCMEC's latest word on a year."""
    from pipeline.editions import newest

    first = min(m.source_index for m in matches)
    return newest([m for m in matches if m.source_index == first], lambda m: (m.document_year, m.source_file))


# --- page texts: sentences and mentions --------------------------------------------------------

# A line that ends like this closes a sentence or a form entry ("Case Status (…; Closed)").
LINE_END = re.compile(r"[.!?:;)]['’”\"]?\d?$")
# A printed number: a table row holds two or more.
NUMBER = re.compile(r"(?<![\w,.])\d{1,3}(?:,\d{3})+(?![\w,])|(?<![\w,.])\d+(?:\.\d+)?%?(?![\w,])")
# Split inside a joined chunk after . ! ? followed by a capital, but not after "U.S." or a
# section number ("E. Law Enforcement Feedback…", "ii. CyberTipline Reports…").
SENTENCE_SPLIT = re.compile(r"(?<!\b[A-Z]\.[A-Z]\.)(?<!\b[A-Z]\.)(?<!\b[ivx]\.)(?<!\b[ivx]{2}\.)(?<!\b[ivx]{3}\.)"
                            r"(?<=[.!?])\s+(?=[A-Z“\"(])")


def page_sentences(text: str, ignore_lines: Sequence[re.Pattern] = ()) -> list[str]:
    """The sentences of one page's text, line breaks inside a sentence joined (memoized: every
    field searches the same pages)."""
    return list(_page_sentences(text, tuple(ignore_lines)))


@functools.lru_cache(maxsize=4096)
def _page_sentences(text: str, ignore_lines: tuple[re.Pattern, ...]) -> tuple[str, ...]:
    chunks, current = [], ""
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or any(p.search(line) for p in ignore_lines):
            continue
        if len(NUMBER.findall(line)) >= 2:  # a table row ("Male 209 255 16 480") stands alone
            chunks.extend([current, line] if current else [line])
            current = ""
            continue
        current = current + line if current.endswith("-") and not current.endswith(" -") else \
            (f"{current} {line}" if current else line)
        if LINE_END.search(line):
            chunks.append(current)
            current = ""
    if current:
        chunks.append(current)
    return tuple(s.strip() for chunk in chunks for s in SENTENCE_SPLIT.split(chunk) if s.strip())


def clip(sentence: str, start: int, end: int) -> str:
    """A long sentence cut to a window around the mention at [start, end)."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return sentence
    half = (MAX_SENTENCE_CHARS - (end - start)) // 2
    left, right = max(0, start - half), min(len(sentence), end + half)
    return ("…" if left else "") + sentence[left:right].strip() + ("…" if right < len(sentence) else "")


@dataclass(frozen=True)
class Mention:
    source_file: str
    page: int
    sentence: str

    def evidence(self) -> str:
        return f"{self.source_file} p.{self.page}: «{self.sentence}»"


def find_mentions(patterns: Sequence[re.Pattern], pages: Sequence[str], source_file: str,
                  ignore_lines: Sequence[re.Pattern] = ()) -> list[Mention]:
    """Sentences of `pages` (page 1 first) that match any pattern, once each, in reading order."""
    mentions = []
    for number, text in enumerate(pages, start=1):
        for sentence in page_sentences(text, ignore_lines):
            hits = [m for m in (p.search(sentence) for p in patterns) if m]
            if hits:
                first = min(hits, key=lambda m: m.start())
                mentions.append(Mention(source_file, number, clip(sentence, first.start(), first.end())))
    return mentions


# --- presence ----------------------------------------------------------------------------------

def covered_years(documents: Iterable[dict], coverage: Mapping[str, Sequence[int]]) -> list[int]:
    """Every calendar year some document of the run covers (an OJJDP edition covers three), an
    `unsupported` one included: its year is listed, and its verdicts say it was not read."""
    return sorted({doc["year"] + offset for doc in documents if doc["year"] is not None
                   for offset in coverage.get(doc["family"], (0,))})


def covering_documents(documents: Iterable[dict], families: Sequence[str], year: int,
                       coverage: Mapping[str, Sequence[int]]) -> list[dict]:
    """Documents of `families` whose edition covers `year`, latest edition first."""
    found = [d for d in documents if d["family"] in families and d["year"] is not None
             and any(d["year"] + o == year for o in coverage.get(d["family"], (0,)))]
    return sorted(found, key=lambda d: (-d["year"], d["family"], d["doc_id"]))


def unsupported_note(documents: Iterable[dict], year: int, coverage: Mapping[str, Sequence[int]]) -> str:
    """'; not read for YEAR: …' naming the `unsupported` documents of a year (a family no reader
    reads, such as the lists by U.S. state): they cover nothing, and a verdict says so."""
    found = [d for d in documents if d["status"] == "unsupported" and d["year"] is not None
             and any(d["year"] + o == year for o in coverage.get(d["family"], (0,)))]
    if not found:
        return ""
    return f"; published for {year} but not read: " + "; ".join(_unavailable(d) for d in found)


def was_read(doc: dict) -> bool:
    """A document counts as read when its numbers are in the outputs: it published this run, or
    it failed but the rows of its last good copy were kept."""
    return doc["status"] == "ok" or bool(doc.get("rows"))


def _describe_document(doc: dict) -> str:
    return f"{doc['doc_id']} ({doc['source_file']})"


def _unavailable(doc: dict) -> str:
    return f"{_describe_document(doc)} is {doc['status']}" + (f": {doc['message']}" if doc.get("message") else "")


def _location(matches: Sequence[Match]) -> str:
    pages = sorted({m.page for m in matches if m.page is not None})
    where = "" if not pages else f" p.{pages[0]}" if len(pages) == 1 else f" pp.{pages[0]}–{pages[-1]}"
    return f"{matches[0].source_file}{where} ({matches[0].table})"


def list_values(matches: Sequence[Match]) -> str:
    """'label: number; …' for a breakdown: every number when few, else the largest ones."""
    if len(matches) <= MAX_LISTED_VALUES:
        shown = sorted(matches, key=lambda m: (m.label, m.value_text))
        return "; ".join(f"{m.label}: {m.value_text}" for m in shown)
    ranked = sorted(matches, key=lambda m: (m.value is None, -(m.value or 0), m.label))
    shown = ranked[:MAX_LISTED_VALUES - 2]
    return "; ".join(f"{m.label}: {m.value_text}" for m in shown) + f"; … and {len(matches) - len(shown)} more"


def _grouped(matches: Sequence[Match]) -> list[list[Match]]:
    """Matches grouped by (file, table), latest edition first, for evidence lines."""
    groups: dict[tuple, list[Match]] = {}
    for m in sorted(matches, key=lambda m: (m.source_index, -m.document_year, m.source_file, m.table, m.page or 0)):
        groups.setdefault((m.source_index, m.source_file, m.table), []).append(m)
    return list(groups.values())


def _present(field: Field, year: int, matches: Sequence[Match]) -> dict:
    chosen = chosen_matches(matches)
    notes = []
    value = None
    if field.shape == "figure" and len(chosen) == 1:
        value = chosen[0].value
        if value is None:
            notes.append(f"printed as {chosen[0].value_text!r}: no number")
        differing = sorted({(m.source_file, m.page or 0, m.value_text) for m in matches
                            if m.value != value and m not in chosen})
        if differing:
            notes.append("printed differently elsewhere (the value above is from the latest edition of the first "
                         "source): " + "; ".join(f"{f} p.{p}: {t}" for f, p, t in differing))
    elif field.shape == "figure":
        notes.append(f"ambiguous: {len(chosen)} printed numbers match in {_location(chosen)}; the catalog's "
                     f"patterns for {field.id} must select one (pipeline/data/fields.toml)")
    evidence = []
    for group in _grouped(matches):
        text = group[0].value_text if len(group) == 1 else f"{len(group)} numbers"
        evidence.append(f"{_location(group)}: {text}")
    pages = [m.page for m in chosen if m.page is not None]
    return {"status": "present", "value": value, "values": list_values(chosen), "n_values": len(chosen),
            "table": chosen[0].table, "page": min(pages) if pages else None,
            "source_file": chosen[0].source_file, "source_sha256": chosen[0].source_sha256,
            "evidence": "\n".join(evidence), "reason": "; ".join(notes) or None}


def _absent(field: Field, year: int, read: Sequence[dict], unread: Sequence[dict], catalog: Catalog,
            related: Mapping[str, Sequence[Match]], page_texts: Mapping[str, Sequence[str]],
            searched: dict[tuple[str, str], list[Mention]]) -> dict:
    """`searched`: (field id, source file) -> its mentions there, found once for every year the
    document covers (an OJJDP edition covers three)."""
    evidence, first = [], None
    for doc in read:
        related_pages = [m.page for r in field.related for m in related.get(r, ())
                         if m.year == year and m.source_file == doc["source_file"] and m.page is not None]
        pages = page_texts.get(doc["source_file"])
        if pages is None:
            evidence.append(f"{doc['source_file']}: page texts not available, mentions not searched")
            continue
        key = (field.id, doc["source_file"])
        if key not in searched:
            searched[key] = find_mentions(field.mentions, pages, doc["source_file"], catalog.ignore_lines)
        mentions = searched[key]
        # Closest first: on or near the pages where the related figures are printed.
        ranked = sorted(enumerate(mentions), key=lambda im: (
            min((abs(im[1].page - p) for p in related_pages), default=0), im[0]))
        kept = sorted(ranked[:catalog.max_mentions_per_document])
        if kept and first is None:
            first = ranked[0][1]
        evidence.extend(m.evidence() for _, m in kept)
        if not mentions:
            evidence.append(f"{doc['source_file']}: no sentence mentions it")
    for related_id in field.related:
        here = [m for m in related.get(related_id, ()) if m.year == year]
        if here:
            chosen = chosen_matches(here)
            evidence.append(f"printed instead: {related_id} {_location(chosen)}: {list_values(chosen)}")
    names = ", ".join(_describe_document(d) for d in read)
    reason = (f"read {names}: no table prints this figure for {year} "
              f"(looked for: {'; '.join(s.describe() for s in field.sources)})")
    if unread:
        reason += "; also covering " + str(year) + " but not available: " + "; ".join(_unavailable(d) for d in unread)
    where = first.source_file if first else read[0]["source_file"]
    return {"status": "absent", "value": None, "values": None, "n_values": 0, "table": None,
            "page": first.page if first else None, "source_file": where,
            "source_sha256": next(d.get("sha256") for d in read if d["source_file"] == where),
            "evidence": "\n".join(evidence) or None, "reason": reason}


def _not_covered(field: Field, year: int, unread: Sequence[dict]) -> dict:
    if unread:
        reason = ("no document that would print it was available for " + str(year) + ": "
                  + "; ".join(_unavailable(d) for d in unread))
    else:
        reason = f"no {' or '.join(field.families)} document among this run's documents covers {year}"
    return {"status": "not_covered", "value": None, "values": None, "n_values": 0, "table": None, "page": None,
            "source_file": unread[0]["source_file"] if unread else None, "source_sha256": None,
            "evidence": None, "reason": reason}


def field_presence(catalog: Catalog, documents: Sequence[dict], tables: Mapping[str, Sequence[dict]],
                   page_texts: Mapping[str, Sequence[str]]) -> list[dict]:
    """One record per (field, year) for every year the run's documents cover (field_presence).

    `documents` are rows of documents.parquet, `tables` the rows of the other processed tables
    (ojjdp_cells, esp_reports, country_reports), `page_texts` maps a source file to its page
    texts (page 1 first). Only the documents an absent field needs are looked up in it.
    """
    tables = {**tables, "documents": documents}
    years = covered_years(documents, catalog.coverage)
    matches = {f.id: field_matches(f, tables) for f in catalog.fields}
    searched: dict[tuple[str, str], list[Mention]] = {}
    records = []
    for field in catalog.fields:
        for year in years:
            here = [m for m in matches[field.id] if m.year == year]
            covering = covering_documents(documents, field.families, year, catalog.coverage)
            read = [d for d in covering if was_read(d)]
            unread = [d for d in covering if not was_read(d)]
            if here:
                record = _present(field, year, here)
            else:
                if read:
                    record = _absent(field, year, read, unread, catalog, matches, page_texts, searched)
                else:
                    record = _not_covered(field, year, unread)
                record["reason"] += unsupported_note(documents, year, catalog.coverage)
            records.append({"field_id": field.id, "year": year, "title": field.title, **record})
    return records


# --- I/O edge: page texts from the raw PDFs, cached by sha256 ----------------------------------

def presence_records(tables: Mapping[str, Sequence[dict]], documents: Sequence[dict], raw_dir: Path,
                     cache_dir: Path, catalog: Catalog | None = None) -> list[dict]:
    """field_presence rows for one run's outputs, page texts read from `raw_dir`."""
    from pipeline.extract.cache import PageTexts

    catalog = catalog or load_catalog()
    return field_presence(catalog, documents, tables, PageTexts(documents, raw_dir, cache_dir))


# --- reading and rendering field_presence ------------------------------------------------------

STATUS_MARKS = {"present": ("present", "green"), "absent": ("absent", "red"), "not_covered": ("n/c", "yellow")}


def ordered(records: Iterable[dict], catalog: Catalog) -> list[dict]:
    """Records in catalog order, then by year (the file itself is sorted by field id)."""
    rank = {f.id: i for i, f in enumerate(catalog.fields)}
    return sorted(records, key=lambda r: (rank.get(r["field_id"], len(rank)), r["field_id"], r["year"]))


def status_counts(records: Iterable[dict]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def _style(text: str, status: str, color: bool) -> str:
    if not color:
        return text
    import click

    return click.style(text, fg=STATUS_MARKS.get(status, ("", None))[1])


def render_matrix(records: Sequence[dict], catalog: Catalog, fmt: str = "text", color: bool = False) -> str:
    """The field × year matrix in text, markdown, json or csv."""
    records = ordered(records, catalog)
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "csv":
        return records_csv(records)
    years = sorted({r["year"] for r in records})
    by_field: dict[str, dict[int, dict]] = {}
    for r in records:
        by_field.setdefault(r["field_id"], {})[r["year"]] = r
    counts = status_counts(records)
    summary = (f"{len(by_field)} fields × {len(years)} years: present {counts['present']}, "
               f"absent {counts['absent']}, not_covered {counts['not_covered']}")
    legend = ("present = a number is printed; absent = the documents covering the year were read and print "
              "no such figure; n/c = not covered: no document that would print it was available")
    if fmt == "markdown":
        lines = ["| field | " + " | ".join(map(str, years)) + " |", "|---|" + "---|" * len(years)]
        for field_id, cells in by_field.items():
            marks = [STATUS_MARKS[cells[y]["status"]][0] if y in cells else "" for y in years]
            lines.append(f"| `{field_id}` | " + " | ".join(marks) + " |")
        return "\n".join(lines) + f"\n\n{summary}.\n\n{legend}.\n"
    width = max([len(f) for f in by_field] + [5]) + 2
    lines = [("field".ljust(width) + "".join(f"{y:<9}" for y in years)).rstrip()]
    for field_id, cells in by_field.items():
        marks = []
        for y in years:
            status = cells[y]["status"] if y in cells else ""
            mark = STATUS_MARKS.get(status, ("", None))[0]
            marks.append((_style(mark, status, color), " " * (9 - len(mark))))
        lines.append(field_id.ljust(width) + "".join(m + pad for m, pad in marks[:-1]) + (marks[-1][0] if marks else ""))
    return "\n".join(lines) + f"\n\n{summary}\n{legend}\n"


def records_csv(records: Sequence[dict]) -> str:
    out = io.StringIO()
    columns = list(records[0]) if records else ["field_id", "year", "status"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow({k: "" if r.get(k) is None else r[k] for k in columns})
    return out.getvalue()


def _verdict(r: dict) -> str:
    if r["status"] == "present":
        value = r["values"] if r["value"] is None else f"{r['value']:,}"
        where = f"{r['table']}, {r['source_file']}" + (f" p.{r['page']}" if r["page"] else "")
        return f"{value} ({where})" + (f"; {r['reason']}" if r["reason"] else "")
    return r["reason"] or ""


def suggest_fields(catalog: Catalog, query: str, n: int = 3) -> list[str]:
    """Field ids close to a misspelt query ("arests" -> arrests), by difflib's ratio, over the ids
    and the words of titles and aliases."""
    import difflib

    words: dict[str, str] = {}
    for f in catalog.fields:
        for name in (f.id, *f.id.split("_"), *re.findall(r"[a-z]+", " ".join((f.title, *f.aliases)).lower())):
            words.setdefault(name, f.id)
    close = difflib.get_close_matches(query.strip().lower(), list(words), n=n * 3, cutoff=0.75)
    return list(dict.fromkeys(words[w] if w not in {f.id for f in catalog.fields} else w for w in close))[:n]


def one_line_verdict(r: dict) -> str:
    """A year's answer in one line: the value and where it is printed, or what was read and
    what is printed instead, or which document was not available (the evidence comes apart)."""
    if r["status"] == "present":
        return _verdict({**r, "reason": None})
    if r["status"] == "absent":
        read = re.match(r"read (.*?): no table prints", r["reason"] or "")
        docs = re.sub(r" \([^()]*\)", "", read.group(1)) if read else ""
        instead = sorted({line.split()[2] for line in (r["evidence"] or "").splitlines()
                          if line.startswith("printed instead: ")})
        return (f"not printed in {docs or 'the documents read'}"
                + (f"; printed instead: {', '.join(instead)}" if instead else ""))
    return re.sub(r" \([^()]*\.pdf\)", "", r["reason"] or "")


def compact_evidence(rows: Sequence[dict]) -> list[str]:
    """Every evidence line once, in first-seen order: the same mention of a 2023 edition proves
    three years' absence, and was printed three times."""
    seen = dict.fromkeys(line for r in rows for line in (r["evidence"] or "").splitlines()
                         if not line.startswith("printed instead: "))
    return list(seen)


def render_field_report(records: Sequence[dict], fields: Sequence[Field], fmt: str = "text",
                        color: bool = False, evidence: bool = False) -> str:
    """Per field, the verdict for every year with its evidence. Text is compact unless
    `evidence`: one line per year, then each proof once (not repeated per year)."""
    chosen = {f.id for f in fields}
    rows = [r for r in records if r["field_id"] in chosen]
    rank = {f.id: i for i, f in enumerate(fields)}
    rows.sort(key=lambda r: (rank[r["field_id"]], r["year"]))
    if fmt == "csv":
        return records_csv(rows)
    if fmt == "json":
        payload = [{"id": f.id, "title": f.title, "description": f.description,
                    "published_in": [s.describe() for s in f.sources],
                    "years": [r for r in rows if r["field_id"] == f.id]} for f in fields]
        return json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n"
    out = []
    for f in fields:
        mine = [r for r in rows if r["field_id"] == f.id]
        if fmt == "markdown":
            out.append(f"### `{f.id}`: {f.title}\n\n{f.description}\n\nWould be printed in: "
                       + "; ".join(s.describe() for s in f.sources) + "\n")
            out.append("| year | status | value or reason | evidence |\n|---|---|---|---|")
            for r in mine:
                evidence = "<br>".join((r["evidence"] or "").splitlines()).replace("|", "\\|")
                out.append(f"| {r['year']} | {r['status']} | {_verdict(r).replace('|', chr(92) + '|')} | {evidence} |")
            out.append("")
            continue
        out.append(f"{f.id}: {f.title}")
        out.append(f"  {f.description}")
        out.append("  would be printed in: " + "; ".join(s.describe() for s in f.sources))
        if not evidence:
            for r in mine:
                out.append(f"  {r['year']}  " + _style(f"{r['status']:<13}", r["status"], color) + one_line_verdict(r))
            proofs = compact_evidence(mine)
            if proofs:
                out.append("  evidence (each once; --evidence lists every year's):")
                out += [f"    {line}" for line in proofs]
            out.append("")
            continue
        for r in mine:
            out.append(f"  {r['year']}  " + _style(f"{r['status']:<13}", r["status"], color) + _verdict(r))
            for line in (r["evidence"] or "").splitlines():
                out.append(f"{'':21}{line}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


class UnknownYears(ValueError):
    """`fields --year` names a year no document of the run covers."""


class UnknownField(ValueError):
    """`fields QUERY` matches no field id, title or alias."""


def fields_report(workspace, query: str | None = None, *, fmt: str = "text", styled: bool = False,
                  years: Sequence[int] = (), evidence: bool = False) -> str:
    """`ncmec-pipeline fields`: the field x year matrix, or with `query` each matching field's
    verdict per year with its evidence and the statements of the running text that mention it,
    read from the published field_presence.parquet (and statements.parquet) of `workspace`."""
    import pyarrow.parquet as pq

    from pipeline.store import read_consistent

    catalog = load_catalog()
    path = workspace.table("field_presence")
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run `ncmec-pipeline run --data-dir {workspace.root}` first "
                                "(it writes field_presence.parquet)")
    records = read_consistent(path.parent, lambda _: pq.read_table(path).to_pylist())
    if years:
        covered = sorted({r["year"] for r in records})
        unknown = sorted(set(years) - set(covered))
        if unknown:
            raise UnknownYears(f"no document of this run covers {', '.join(map(str, unknown))}; covered years:"
                               f" {', '.join(map(str, covered))}")
        records = [r for r in records if r["year"] in years]
    if not query:
        return render_matrix(records, catalog, fmt, styled)
    matched = find_fields(catalog, query)
    if not matched:
        close = suggest_fields(catalog, query)
        raise UnknownField(f"no field id, title or alias matches {query!r}; "
                           + (f"did you mean {' or '.join(close)}? " if close else "")
                           + f"`ncmec-pipeline fields` lists the ids ({', '.join(f.id for f in catalog.fields[:4])}, …)")
    text = render_field_report(records, matched, fmt, styled, evidence=evidence)
    statements_path = workspace.table("statements")
    if not statements_path.is_file():
        return text
    from pipeline.statements import mentioning, render_mentions

    found = mentioning(pq.read_table(statements_path).to_pylist(), matched)
    if fmt == "json":  # each field's entry lists its statements
        payload = json.loads(text)
        for entry in payload:
            entry["statements"] = found.get(entry["id"], [])
        return json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt in ("text", "markdown") and found:
        text += "\n" + render_mentions(found, fmt)
    return text
