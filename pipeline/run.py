"""Orchestration: the stages over every manifest document, with caching and run records.

fetch -> extract (cached by sha256 + extractor version) -> normalize + validate -> store.
A document that fails publishes no new rows; if an earlier run published it, its last good
rows stay (served from the extraction cache) and its status says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path

from pipeline import __version__
from pipeline.fetch import (FetchResult, fetch_from_mirror, fetch_over_http, load_fetch_state, not_tried, offline_hint,
                            quarantine)
from pipeline.extract.cache import (EXTRACTOR_VERSION, cache_extraction, cache_page_texts, cached_extraction,
                                    cached_page_texts, extraction_path)
from pipeline import last_good as last_good_copies
from pipeline.identify import check_edition
from pipeline.manifest import Document, allowed_hosts
from pipeline.exits import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL
from pipeline.sandbox import DOCUMENT_TIME_LIMIT, MEMORY_LIMIT_MB, run_bounded
from pipeline.state import read_json_state
from pipeline.workspace import Workspace, write_json_atomic
from pipeline.store import OutputsUnavailable, current_set_id, recover, to_table, write_tables
from pipeline.families import FAMILIES, Context, Normalized, output_tables, publishing_order
from pipeline.validate import CheckResult, blocking_failures, extraction_failed
from pipeline.validate.findings import check_record

log = logging.getLogger("pipeline")



run_with_time_limit = run_bounded  # the name tests and callers knew


# --- fetch -----------------------------------------------------------------------------------

def fetch_all(documents: list[Document], paths: Workspace, mirror: Path | None,
              keep: dict[str, FetchResult] | None = None, *, time_limit: float = DOCUMENT_TIME_LIMIT,
              memory_mb: int = MEMORY_LIMIT_MB) -> dict[str, FetchResult]:
    """Fetch `documents`; the state file then records them and, from `keep`, the documents this
    fetch left alone (`run --only`). Each file's PDF check runs bounded like an extraction."""
    bounds = {"time_limit": time_limit, "memory_mb": memory_mb}
    state_path = paths.fetch_state
    previous = load_fetch_state(state_path)
    hosts = allowed_hosts(documents)
    last_good = last_good_copies.load(paths)
    results = {}
    unresolved: set[str] = set()  # hosts whose name did not resolve: their other documents are not tried
    for doc in documents:
        # Only a fetch that replaces raw/<file> keeps the last good copy first: an unchanged
        # file (every night but the one an edition changes) costs no link and no fsync.
        keep_last_good = partial(last_good_copies.keep_raw, paths, doc, last_good)
        try:
            if mirror is not None:
                result = fetch_from_mirror(doc, mirror, paths.raw, paths.quarantine, before_replace=keep_last_good, **bounds)
            elif doc.host in unresolved:
                result = not_tried(doc, paths.raw, previous.get(doc.doc_id), doc.host)
            else:
                result = fetch_over_http(doc, paths.raw, hosts, previous.get(doc.doc_id),
                                         quarantine_dir=paths.quarantine, before_replace=keep_last_good, **bounds)
                unresolved.update([result.unresolved] if result.unresolved else [])
        except Exception as err:  # one document's oddity never takes the run down
            log.exception("fetch %s: unexpected error", doc.doc_id)
            result = FetchResult(doc.doc_id, "failed", message=f"{doc.file}: fetch failed: {type(err).__name__}: {err}")
        if result.status == "ok" and doc.sha256 and result.sha256 != doc.sha256:
            result = FetchResult(**{**asdict(result), "message": (result.message + "; " if result.message else "")
                                    + f"sha256 differs from the manifest's {doc.sha256[:12]}… (a revised edition?)"})
        # An earlier copy used in place of the file is a warning too: the source did not answer.
        # A document not tried on an unresolved host is not: the first failure and the hint say it.
        level = logging.INFO if (result.status == "ok" and result.origin != "cached") or (
            result.unresolved and "not tried" in result.message) else logging.WARNING
        log.log(level, "fetch %s: %s%s", doc.doc_id, result.status, f" ({result.message})" if result.message else "",
                extra={"stage": "fetch", "doc_id": doc.doc_id, "status": result.status, "sha256": result.sha256})
        if result.path:
            log.debug("fetch %s: %s from %s, sha256 %s", doc.doc_id, result.path, result.origin, result.sha256)
        results[doc.doc_id] = result
    if unresolved:
        log.warning(offline_hint(unresolved), extra={"stage": "fetch", "status": "unreachable"})
    state = {k: asdict(v) for k, v in (keep or {}).items() if k not in results}
    state.update({k: asdict(v) for k, v in results.items()})
    if state != previous or not state_path.is_file():  # the same state is not written again
        _write_derived_state(write_json_atomic, state_path, dict(sorted(state.items())))
    return results


def load_fetched(paths: Workspace) -> dict[str, FetchResult]:
    return {k: FetchResult(**v) for k, v in load_fetch_state(paths.fetch_state).items()}


# --- extract ---------------------------------------------------------------------------------

def extract_document(family: str, pdf_path: str, source_file: str, year: int) -> dict:
    """Read one PDF into plain JSON-able data, or {'error': message}. Runs in a worker process."""
    logging.getLogger("pdfminer").setLevel(logging.WARNING)
    from pipeline.extract import ExtractionError

    try:
        return FAMILIES[family].read(Path(pdf_path), source_file, year)
    except ExtractionError as err:
        return {"error": str(err), "refused": True}
    except Exception as err:  # a PDF the parser cannot open (truncated, encrypted, not a PDF)
        return {"error": f"{source_file}: could not read the PDF: {type(err).__name__}: {err}"}


def explain_hint(doc_id: str, message: str) -> str:
    """The sentence ending a reader's refusal: the command that shows it on the page."""
    from pipeline.extract import refused_page

    page = refused_page(message)
    return f"; see it on the page: ncmec-pipeline explain {doc_id}" + (f" --page {page}" if page else "")


def cached_extractions(documents: list[Document], fetched: dict[str, FetchResult], paths: Workspace) -> dict[str, dict]:
    """The cached extractions of fetched documents; nothing is extracted (`run --only` leaves the
    other documents as earlier runs made them)."""
    found = {doc.doc_id: _cached_extraction(paths, doc, fetched.get(doc.doc_id)) for doc in documents}
    return {doc_id: extraction for doc_id, extraction in found.items() if extraction is not None}


def _cached_extraction(paths: Workspace, doc: Document, result: FetchResult | None) -> dict | None:
    """The cached extraction of a fetched file, or None (not fetched, or not extracted yet, or its
    page texts, which identify the edition, are gone)."""
    if not result or result.status != "ok" or not result.sha256:
        return None
    if cached_page_texts(paths, result.sha256) is None:
        return None
    return cached_extraction(paths, doc, result.sha256)


def selected_documents(documents: list[Document], only: set[str] | None) -> list[Document]:
    """The documents `--only` names (all without it)."""
    return [d for d in documents if only is None or d.doc_id in only]


def selected_records(records: list[dict], only: set[str] | None) -> list[dict]:
    """The documents.parquet records of the documents `--only` names (all without it)."""
    return [r for r in records if only is None or r["doc_id"] in only]


def extract_all(documents: list[Document], fetched: dict[str, FetchResult], paths: Workspace,
                jobs: int = 1, time_limit: float = DOCUMENT_TIME_LIMIT, progress=None,
                memory_mb: int = MEMORY_LIMIT_MB, on_extracted=None) -> dict[str, dict]:
    """Extractions for every fetched document: from the cache when the file was seen before.
    `on_extracted(doc_id, extraction)` is called as each new extraction arrives, once it is
    cached, while the other workers run (`OutputsBuilder.offer`)."""
    extractions: dict[str, dict] = {}
    todo = []
    for doc in documents:
        result = fetched.get(doc.doc_id)
        if not result or result.status != "ok":
            continue
        cached = _cached_extraction(paths, doc, result)
        if cached is not None:
            extractions[doc.doc_id] = cached
            log.debug("extract %s: from the cache (sha256 %s)", doc.doc_id, result.sha256)
            continue
        todo.append((doc, result))
    order = {doc.doc_id: i for i, doc in enumerate(extraction_order([doc for doc, _ in todo], jobs))}
    todo.sort(key=lambda pair: order[pair[0].doc_id])  # outputs still land in manifest order
    args = [(doc.family, result.path, doc.file, doc.year) for doc, result in todo]
    if todo:  # the readers imported once here, inherited by every forked worker
        from pipeline.pages import import_parser

        import_parser()
        for family in {doc.family for doc, _ in todo}:
            FAMILIES[family].import_reader()
    from pipeline.store import load_for_writing, load_in_background

    settled: dict[int, dict] = {}

    def settle(index: int, output: dict) -> None:
        """One document's result cached (or its file quarantined) as soon as it arrives, while
        the other workers run."""
        doc, result = todo[index]
        output = {**output, "sha256": result.sha256, "extractor_version": EXTRACTOR_VERSION}
        if "page_texts" in output:  # kept apart: the edition check and the mention search read them
            cache_page_texts(paths.page_texts, result.sha256, output.pop("page_texts"))
        if "error" not in output:
            cache_extraction(paths, doc, result.sha256, output)
        else:  # keep the file that failed, with its reason, before a later fetch replaces it
            kept = quarantine(Path(result.path), paths.quarantine, doc.doc_id, output["error"])
            output["error"] += f"; quarantined as {kept.name}"
            if output.pop("refused", False):
                output["error"] += explain_hint(doc.doc_id, output["error"])
        settled[index] = output
        if on_extracted is not None:
            on_extracted(doc.doc_id, {**output, "fresh": True})

    # The parent loads what writing the tables needs (pyarrow, the schemas) beside its workers:
    # in a thread on the core they leave free, once the last is forked; when they take every
    # core, at once, while the first (the longest) run, rather than after the last, when it
    # would delay the store.
    if jobs >= (os.cpu_count() or 1):
        loads = {"after_first_forks": load_for_writing}
    else:
        loads = {"after_last_fork": load_in_background}
    run_bounded(extract_document, args, jobs=jobs, time_limit=time_limit, memory_mb=memory_mb,
                progress=progress, on_result=settle, **loads)
    for index, (doc, _) in enumerate(todo):  # in manifest order, whatever order they finished in
        output = settled[index]
        extractions[doc.doc_id] = {**output, "fresh": True}
        log.log(logging.WARNING if "error" in output else logging.INFO, "extract %s: %s (%.2fs)", doc.doc_id,
                output.get("error", "ok"), output.get("seconds", 0),
                extra={"stage": "extract", "doc_id": doc.doc_id, "status": "failed" if "error" in output else "ok",
                       "seconds": output.get("seconds")})
    return extractions


# --- normalize + validate --------------------------------------------------------------------

@dataclass
class Outputs:
    tables: dict[str, list[dict]] = field(default_factory=lambda: {name: [] for name in output_tables()})
    documents: list[dict] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    versions: list[dict] = field(default_factory=list)  # document_versions rows (see pipeline/versions.py)
    publish_number: int = 1
    total_pages: dict[str, int] = field(default_factory=dict)  # source_file -> page of its printed total


def publishing_key(doc: Document) -> tuple:
    """The order documents publish in: families whose checks compare with other families'
    printed totals after those families."""
    return (publishing_order(doc.family), doc.family, doc.year or 0)


def extraction_order(documents: list[Document], jobs: int) -> list[Document]:
    """The order a run hands documents to its workers: in publishing order, so the parent can
    publish each as it arrives (`OutputsBuilder`); with more than one worker, the longest first
    (an OJJDP edition takes several times a list's time), so the last worker to finish is not
    left alone with a long document. With one worker the order changes nothing of the total,
    and publishing order lets the parent publish each document while the next is extracted."""
    def cost(doc: Document) -> int:
        return -FAMILIES[doc.family].relative_cost if jobs > 1 else 0

    return sorted(documents, key=lambda doc: (cost(doc), publishing_key(doc)))


class OutputsBuilder:
    """The outputs built one document at a time in publishing order, each as soon as its
    extraction is offered and every document before it is published: a run offers each
    extraction as its worker returns it, so the parent normalizes and checks documents while
    its workers still read others, and only the part across documents (the statements' checks,
    field presence, versions) waits for the last. The outputs are the same whatever order the
    extractions come in: each document is published with the same inputs, in the same order."""

    def __init__(self, documents: list[Document], fetched: dict[str, FetchResult], last_good: dict[str, str],
                 paths: Workspace, *, read_only: bool = False) -> None:
        """`read_only`: page texts missing from the cache are read but not cached (`validate`)."""
        self.out = Outputs()
        self._statements: list = []  # each published document's `RunStatements`
        self._read_only = read_only
        self.new_last_good = dict(last_good)
        self._fetched, self._last_good, self._paths = fetched, last_good, paths
        self._context = Context(printed_totals={name: {} for name in FAMILIES})
        self._queue = deque(sorted(documents, key=publishing_key))
        self._extractions: dict[str, dict] = {}

    def offer(self, doc_id: str, extraction: dict) -> None:
        """A document's extraction is in: publish every document it no longer holds up."""
        self._extractions[doc_id] = extraction
        self._publish_ready()

    def finish(self, extractions: dict[str, dict], *, new_run: bool = False) -> tuple[Outputs, dict[str, str]]:
        """Every document published (with `extractions`; one without is 'not extracted yet'),
        then the statements' checks and the versions. `new_run`: see `build_outputs`."""
        self._extractions.update(extractions)
        self._publish_ready(every=True)
        add_statements(self.out, self._statements)
        record_versions(self.out, self._fetched, self._paths, new_run)
        return self.out, self.new_last_good

    def _publish_ready(self, every: bool = False) -> None:
        while self._queue and (every or self._ready(self._queue[0])):
            self._publish(self._queue.popleft())

    def _ready(self, doc: Document) -> bool:
        """Whether `doc` can publish now: it needs no extraction, or its extraction is in."""
        fetch = self._fetched.get(doc.doc_id)
        return not doc.supported or fetch is None or fetch.status != "ok" or doc.doc_id in self._extractions

    def _publish(self, doc: Document) -> None:
        out = self.out
        if not doc.supported:
            out.documents.append(unsupported_record(doc))
            return
        row, published = publish_document(doc, self._fetched.get(doc.doc_id), self._extractions.get(doc.doc_id),
                                          self._last_good, self._paths, self._context, out)
        if row["status"] == "ok":
            self.new_last_good[doc.doc_id] = row["sha256"]
            if published.printed_total is not None:
                self._context.printed_totals[doc.family][doc.year] = published.printed_total
        out.documents.append(row)
        self._statements.append(published_statements(row, out, self._paths, cache_page_texts=not self._read_only))


def build_outputs(documents: list[Document], fetched: dict[str, FetchResult], extractions: dict[str, dict],
                  last_good: dict[str, str], paths: Workspace, *, new_run: bool = False,
                  read_only: bool = False) -> tuple[Outputs, dict[str, str]]:
    """Every table's records, the documents table and the checks; plus the new last-good map.
    `new_run`: a `run` publishing new inputs, under a new number in document_versions (`store`
    alone, or a run rebuilding the same inputs, republishes under the last one: same bytes).
    `read_only`: page texts missing from the cache are read but not cached (`validate`)."""
    return OutputsBuilder(documents, fetched, last_good, paths, read_only=read_only).finish(extractions,
                                                                                            new_run=new_run)


def publish_document(doc: Document, fetch: FetchResult | None, extraction: dict | None, last_good: dict[str, str],
                     paths: Workspace, context: Context, out: Outputs) -> tuple[dict, Normalized]:
    """One document's documents.parquet row; its rows and checks go into `out`. A document
    that fails publishes the rows of its last good copy, if an earlier run published one."""
    family = FAMILIES[doc.family]
    fetch = fetch or FetchResult(doc.doc_id, "missing", message="not fetched yet")
    row = {"doc_id": doc.doc_id, "family": doc.family, "year": doc.year, "url": doc.url,
           "source_file": doc.file, "sha256": fetch.sha256, "bytes": fetch.bytes, "pages": None,
           "status": fetch.status, "message": fetch.message or None, "rows": 0, "printed_total": None,
           "origin": doc.origin}
    published, error = Normalized({}), None
    if fetch.status != "ok":
        if fetch.status == "failed":
            published = last_good_copy(doc, last_good, paths, None)
    else:
        extraction = extraction or {"error": f"{doc.file}: not extracted yet (run extract)"}
        published, checks, error = validated(doc, family, extraction, cached_page_texts(paths, fetch.sha256), context)
        if not extraction.get("error"):
            row["pages"] = extraction["pages"]
        out.checks.extend(checks)
        row["printed_total"] = published.printed_total
        if error:
            row["status"], row["message"] = "failed", error
            published = last_good_copy(doc, last_good, paths, fetch.sha256)
    rows = published.tables.get(family.table, [])
    if rows and row["status"] != "ok":
        row["message"] += f"; kept the {len(rows)} rows published from the last good copy (sha256 {last_good[doc.doc_id][:12]}…)"
    out.tables[family.table].extend(rows)
    if rows:  # every table of a kept or published edition keeps its rows (ojjdp_tables)
        for table in family.tables[1:]:
            out.tables[table].extend(published.tables.get(table, []))
    if published.total_page is not None and row["status"] == "ok":
        out.total_pages[doc.file] = published.total_page
    row["rows"] = len(rows)
    return row, published


def validated(doc: Document, family, extraction: dict, page_texts: list[str] | None,
              context: Context) -> tuple[Normalized, list[CheckResult], str | None]:
    """The document normalized and checked: its rows, its checks, and the error that stops it
    from publishing (an extraction error, an unreadable number or the blocking failures)."""
    if extraction.get("error"):
        return Normalized({}), [extraction_failed(doc.file, extraction["error"])], extraction["error"]
    # Blocking, and first among the failures: a document of another edition fails, whatever else passes.
    identity = check_edition(doc.family, doc.year, doc.file, page_texts, family.printed_years(extraction))
    published, checks, error = Normalized({}), [], None
    try:
        published = family.normalize(doc, extraction)
        checks = family.check(doc, extraction, published, replace(context, page_texts=page_texts))
    except ValueError as err:  # nothing of the document is published, nor its total compared
        published, checks, error = Normalized({}), [], str(err)
    checks.insert(0, identity)
    failures = blocking_failures(checks)
    if failures:
        error = "; ".join([f.message for f in failures] + ([error] if error else []))
    return published, checks, error


def record_versions(out: Outputs, fetched: dict[str, FetchResult], paths: Workspace, new_run: bool) -> None:
    """The document_versions rows after this run publishes, and a warning (in the log and the
    document's message) for each document whose bytes changed at the same URL."""
    from pipeline.versions import next_publish_number, read_versions, version_records

    previous = read_versions(paths.processed)
    out.publish_number = next_publish_number(previous) - (0 if new_run or not previous else 1)
    validators = {doc_id: (r.etag, r.last_modified) for doc_id, r in fetched.items()}
    out.versions, changed = version_records(previous, out.documents, validators, out.publish_number)
    for row in out.documents:
        if row["doc_id"] in changed:
            log.warning("%s: %s", row["doc_id"], changed[row["doc_id"]],
                        extra={"stage": "validate", "doc_id": row["doc_id"], "status": "changed", "sha256": row["sha256"]})
            row["message"] = (row["message"] + "; " if row["message"] else "") + changed[row["doc_id"]]


def unsupported_record(doc: Document) -> dict:
    """The documents.parquet row of a document no reader reads: recorded with its URL and link
    text, never fetched, never counted as a failure."""
    from pipeline.discover import unsupported_reason

    return {"doc_id": doc.doc_id, "family": doc.family, "year": doc.year, "url": doc.url, "source_file": doc.file,
            "sha256": None, "bytes": None, "pages": None, "status": "unsupported",
            "message": unsupported_reason(doc) + (f"; found on {doc.found_on}" if doc.found_on else ""),
            "rows": 0, "printed_total": None, "origin": doc.origin}


def add_statements(out: Outputs, shares: list) -> None:
    """The numbers stated in the published documents' running text (statements.parquet; `shares`:
    each document's `RunStatements`) and the prose–table checks over them; then every finding in
    NCMEC's figures gets its kind."""
    from pipeline.statements import RunStatements
    from pipeline.validate.findings import with_kind
    from pipeline.validate.statements import check_statements

    found = RunStatements([], [], [])
    for share in shares:
        found.extend(share)
    out.tables["statements"] = found.statements
    out.checks.extend(check_statements(found.statements, found.sentences, found.cells, tables=found.tables))
    out.checks = [with_kind(c) for c in out.checks]


def published_statements(row: dict, out: Outputs, paths: Workspace, *, cache_page_texts: bool = True):
    """The statements of a document just published (`row`, its documents.parquet record): its
    running text's numbers, with the cells and tables of its own rows they may restate."""
    from pipeline.extract.cache import PageTexts
    from pipeline.fields import load_catalog
    from pipeline.statements import RunStatements, document_share

    if row.get("status") != "ok":
        return RunStatements([], [], [])
    try:
        pages = PageTexts([row], paths.raw, paths.page_texts, write=cache_page_texts)[row["source_file"]]
    except KeyError:
        return RunStatements([], [], [])
    return document_share(row, out.tables, pages, load_catalog().ignore_lines, out.total_pages.get(row["source_file"]))


def last_good_copy(doc: Document, last_good: dict[str, str], paths: Workspace, current_sha: str | None) -> Normalized:
    """The rows published from the document's last good copy, as kept when it published
    (`pipeline.last_good`), else normalized again from its cached extraction; none when the
    copy that failed is that copy, or nothing of it is kept."""
    sha = last_good.get(doc.doc_id)
    if not sha or sha == current_sha:
        return Normalized({})
    family = FAMILIES[doc.family]
    kept = last_good_copies.kept_rows(paths, doc, sha, code_digest(), family.tables)
    if kept is not None:
        return Normalized(kept)
    extraction = cached_extraction(paths, doc, sha)
    if extraction is None:
        return Normalized({})
    return family.normalize(doc, extraction)


def keep_published_rows(paths: Workspace, out: Outputs, documents: list[Document]) -> None:
    """Keep the rows and checks of every document published from a new copy (see
    `pipeline.last_good`), so a later failed copy takes them as they were published."""
    code = code_digest()
    by_id = {doc.doc_id: doc for doc in documents}
    checks = [check_record(c) for c in out.checks]
    for row in out.documents:
        if row["status"] != "ok":
            continue
        doc = by_id[row["doc_id"]]
        tables = {name: [r for r in out.tables[name] if r["source_file"] == doc.file and r["source_sha256"] == row["sha256"]]
                  for name in FAMILIES[doc.family].tables}
        last_good_copies.keep_rows(paths, doc, row["sha256"], code, tables,
                                   [c for c in checks if c["source_file"] == doc.file])


# --- store -----------------------------------------------------------------------------------

def store_outputs(out: Outputs, paths: Workspace, built_from: list[str] | None = None) -> list[Path]:
    """Every output table replaced as one set (see `store.write_tables`; `built_from`: see `publish`)."""
    tables = {name: to_table(name, records) for name, records in out.tables.items()}
    tables["documents"] = to_table("documents", out.documents)
    tables["checks"] = to_table("checks", [check_record(c) for c in out.checks])
    tables["document_versions"] = to_table("document_versions", out.versions)
    for family in FAMILIES.values():  # tables derived from a family's rows across documents
        tables.update({name: to_table(name, rows) for name, rows in family.derived_tables(out.tables).items()})
    # Field presence is derived from the tables above (and the PDFs' page texts), so it is
    # replaced in the same set and always describes the outputs beside it.
    from pipeline.fields import presence_records

    tables["field_presence"] = to_table("field_presence", presence_records(
        out.tables, out.documents, paths.raw, paths.page_texts))
    return write_tables(tables, paths.processed, built_from=built_from)


def exit_code_for(documents: list[dict]) -> int:
    """0 all ok, 3 some ok, 1 none. Unsupported documents are recorded facts, not failures: a
    by-state list on NCMEC's page does not make every night partial."""
    statuses = [d["status"] for d in documents if d["status"] != "unsupported"]
    if statuses and all(s == "ok" for s in statuses):
        return EXIT_OK
    if any(s == "ok" for s in statuses):
        return EXIT_PARTIAL
    return EXIT_FAILED


@dataclass
class RunResult:
    exit_code: int
    documents: list[dict]
    checks: list[CheckResult]
    timings: dict[str, float]
    written: list[str]
    extract_seconds: dict[str, float] = field(default_factory=dict)
    publish_number: int | None = None  # the run's number in document_versions; None when it wrote nothing


def run_pipeline(documents: list[Document], paths: Workspace, *, mirror: Path | None, jobs: int = 1,
                 do_fetch: bool = True, progress=None, time_limit: float = DOCUMENT_TIME_LIMIT,
                 only: set[str] | None = None, memory_mb: int = MEMORY_LIMIT_MB) -> RunResult:
    """Fetch, extract, validate and store. With `only` (doc ids), just those documents are
    fetched and extracted; the others keep what earlier runs fetched and extracted, so the
    outputs still hold every document (a run for one document never empties the others'
    tables). The exit code then speaks for the selected documents."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    recover(paths.processed)  # finish a set of renames a killed run had committed
    paths.sweep_temporaries()
    selected = [d for d in selected_documents(documents, only) if d.supported]
    fetched = load_fetched(paths) if only is not None or not do_fetch else {}
    if do_fetch:
        fetched.update(fetch_all(selected, paths, mirror, keep=fetched, time_limit=time_limit, memory_mb=memory_mb))
    timings["fetch"] = time.perf_counter() - started
    t = time.perf_counter()
    last_good = last_good_copies.load(paths)
    builder = OutputsBuilder(documents, fetched, last_good, paths)  # publishes as extractions arrive
    extractions = extract_all(selected, fetched, paths, jobs=jobs, progress=progress, time_limit=time_limit,
                              memory_mb=memory_mb, on_extracted=builder.offer)
    extractions.update(cached_extractions([d for d in documents if d not in selected], fetched, paths))
    timings["extract"] = time.perf_counter() - t
    t = time.perf_counter()
    fingerprint = inputs_fingerprint(documents, fetched, last_good)
    unchanged = unchanged_outputs(paths, fingerprint)
    if unchanged is not None:
        # Same files, same code, same data rules as the outputs on disk: they would be rebuilt
        # byte for byte, so the run stops here (the nightly no-change case).
        timings.update(validate=0.0, store=0.0, total=time.perf_counter() - started)
        checks = [CheckResult(**c) for c in unchanged["checks"]]
        exit_code = exit_code_for(selected_records(unchanged["documents"], only))
        report = RunResult(exit_code, unchanged["documents"], checks, timings, [], {})
        last_good_copies.release_raw(paths, documents, last_good)
        _write_derived_state(_write_run_manifest, paths, report, "inputs unchanged since the last run: outputs kept as they are")
        return report
    # Republishing the same inputs (an output file went missing) keeps the publishing number, so
    # the rebuilt files are byte-identical; new inputs take the next one (document_versions).
    out, new_last_good = builder.finish(extractions, new_run=fingerprint not in published_fingerprints(paths))
    timings["validate"] = time.perf_counter() - t
    t = time.perf_counter()
    exit_code = exit_code_for(selected_records(out.documents, only))
    # A run in which no document could be published leaves the last outputs as they are; what
    # went wrong is in the run manifest and the command's output.
    written = publish(out, new_last_good, documents, fetched, paths, built_from=fingerprint) \
        if exit_code != EXIT_FAILED else []
    timings["store"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    report = RunResult(exit_code, out.documents, out.checks, timings, [str(p) for p in written],
                       {k: v["seconds"] for k, v in extractions.items() if "seconds" in v and v.get("fresh")},
                       out.publish_number if written else None)
    _write_derived_state(_write_run_manifest, paths, report)
    return report


def publish(out: Outputs, new_last_good: dict[str, str], documents: list[Document], fetched: dict[str, FetchResult],
            paths: Workspace, *, built_from: str) -> list[Path]:
    """Replace the output set with `out`, then record what was published: the last good copy
    of each document, the kept raw copies released, and the outputs record (the inputs'
    fingerprint, so an unchanged night stops early). Returns the files written.

    The set itself records the fingerprints of its inputs before this publication (`built_from`)
    and after it (its own last good copies): a run killed after the set is committed, before the
    records that follow it, is then known by the next run to have published these inputs, which
    it republishes under the same number (`published_fingerprints`)."""
    from pipeline.store import set_built_from

    after = inputs_fingerprint(documents, fetched, new_last_good)
    inputs = {built_from, after}
    earlier = set_built_from(paths.processed)
    if built_from in earlier:  # the same inputs republished: the set records what it recorded
        inputs.update(earlier)
    written = store_outputs(out, paths, built_from=sorted(inputs))
    # The set is published: from here a failure (a full disk) only loses derived state, which
    # the next run rebuilds; the exit code still says what was published.
    _write_derived_state(write_json_atomic, paths.last_good_state, new_last_good)
    _write_derived_state(keep_published_rows, paths, out, documents)
    last_good_copies.release_raw(paths, documents, new_last_good)
    _write_derived_state(write_json_atomic, paths.outputs_state, {
        "fingerprint": after,
        "exit_code": exit_code_for(out.documents), "files": sorted(p.name for p in written),
        "set_id": current_set_id(paths.processed),
        "documents": out.documents, "checks": [asdict(c) for c in out.checks]})
    return written


# --- each stage alone (the commands fetch, extract, validate, store) ---------------------------

def fetch_documents(documents: list[Document], paths: Workspace, mirror: Path | None) -> dict[str, FetchResult]:
    """`fetch`: the supported documents fetched; the fetch state keeps what earlier fetches
    recorded of the others."""
    return fetch_all([d for d in documents if d.supported], paths, mirror, keep=load_fetched(paths))


def fetch_exit_code(results: dict[str, FetchResult]) -> int:
    statuses = [r.status for r in results.values()]
    return EXIT_OK if all(s == "ok" for s in statuses) else EXIT_PARTIAL if "ok" in statuses else EXIT_FAILED


def extract_documents(documents: list[Document], paths: Workspace, *, jobs: int = 1,
                      time_limit: float = DOCUMENT_TIME_LIMIT, memory_mb: int = MEMORY_LIMIT_MB,
                      progress=None) -> dict[str, dict]:
    """`extract`: the fetched supported documents extracted into the cache (cached ones read from it)."""
    return extract_all([d for d in documents if d.supported], load_fetched(paths), paths, jobs=jobs,
                       time_limit=time_limit, memory_mb=memory_mb, progress=progress)


def extract_exit_code(documents: list[Document], extractions: dict[str, dict]) -> int:
    """0 every supported document extracted, 3 some, 1 none (a document not fetched counts as not extracted)."""
    wanted = [d for d in documents if d.supported]
    failed = sum(bool(extractions[d.doc_id].get("error")) for d in wanted if d.doc_id in extractions)
    if not failed and len(extractions) == len(wanted):
        return EXIT_OK
    return EXIT_PARTIAL if len(extractions) > failed else EXIT_FAILED


def validate_documents(documents: list[Document], paths: Workspace) -> Outputs:
    """`validate`: every document normalized and checked from what is already fetched and
    extracted; nothing is extracted and nothing is written (a document not extracted yet says
    so), so it takes no lock: every file it reads is replaced atomically."""
    fetched = load_fetched(paths)
    out, _ = build_outputs(documents, fetched, cached_extractions(documents, fetched, paths), last_good_copies.load(paths),
                           paths, read_only=True)
    return out


def store_documents(documents: list[Document], paths: Workspace) -> Outputs:
    """`store`: the outputs published from what is already fetched and extracted, as `run`
    publishes them (the last good copies recorded, the outputs record written), unless no
    document could be published."""
    fetched = load_fetched(paths)
    last_good = last_good_copies.load(paths)
    out, new_last_good = build_outputs(documents, fetched, cached_extractions(documents, fetched, paths), last_good,
                                       paths)
    if exit_code_for(out.documents) != EXIT_FAILED:
        publish(out, new_last_good, documents, fetched, paths, built_from=inputs_fingerprint(documents, fetched, last_good))
    return out


def planned_exit_code(steps: list[dict]) -> int:
    """The exit code `run` would have after `plan_run`: a document the mirror does not hold would be missing."""
    return exit_code_for([{"status": "missing" if s["fetch"].startswith("missing") else "ok"} for s in steps])


def _write_derived_state(write, path_or_paths, *args) -> None:
    """Write derived state (fetch state, last good copies, the outputs record, the run manifest);
    an OSError (disk full, read-only) is a warning, not a failure of the run: the exit code
    speaks for the outputs, and the next run rebuilds the state."""
    try:
        write(path_or_paths, *args)
    except OSError as err:
        log.warning("state %s could not be written (%s): the next run rebuilds it; the exit code speaks for the outputs",
                    getattr(err, "filename", None) or path_or_paths, err.strerror or err,
                    extra={"stage": "store", "status": "state_not_written"})


_CODE_DIGESTS: dict[tuple, str] = {}  # (path, mtime, size) of every file -> their digest


def code_digest() -> str:
    """sha256 over the package's code and data files: a change to any rule or alias file, or to
    the code, makes the next run rebuild the outputs. A run asks for it once per document: the
    files are read again only when one of them has changed since (by its mtime and size)."""
    package = Path(__file__).resolve().parent
    files = sorted(path for path in package.rglob("*")
                   if path.suffix in (".py", ".csv", ".toml") and "__pycache__" not in path.parts)
    stats = [path.stat() for path in files]
    key = tuple((str(path), stat.st_mtime_ns, stat.st_size) for path, stat in zip(files, stats))
    if key not in _CODE_DIGESTS:
        digest = hashlib.sha256()
        for path in files:
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
        _CODE_DIGESTS.clear()
        _CODE_DIGESTS[key] = digest.hexdigest()
    return _CODE_DIGESTS[key]


def inputs_fingerprint(documents: list[Document], fetched: dict[str, FetchResult], last_good: dict[str, str]) -> str:
    """Everything the outputs are a function of: each document's fetch outcome and file, the
    last good copies kept for failed ones, and the code and data rules."""
    payload = {
        "code": code_digest(),
        "extractor_version": EXTRACTOR_VERSION,
        "documents": [(d.doc_id, d.family, d.year, d.file, d.url, d.origin, d.link_text, d.found_on,
                       *(lambda r: (r.status, r.sha256, r.message))(fetched.get(d.doc_id) or FetchResult(d.doc_id, "none")))
                      for d in documents],
        "last_good": sorted(last_good.items()),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def published_fingerprints(paths: Workspace) -> set[str]:
    """The fingerprints of the inputs the outputs on disk were published from (`publish`): the
    outputs record's, and the committed set's own (the record may be older than the set, if the
    run that committed it was killed before writing it); none before the first publication."""
    from pipeline.store import set_built_from

    recorded = (read_json_state(paths.outputs_state) or {}).get("fingerprint")
    return {*set_built_from(paths.processed), *([recorded] if recorded else [])}


def unchanged_outputs(paths: Workspace, fingerprint: str) -> dict | None:
    """The recorded outputs when they were built from exactly these inputs and are all on disk."""
    state_path = paths.outputs_state
    state = read_json_state(state_path)
    if state is None:
        return None
    if not {"fingerprint", "files", "documents", "checks"} <= set(state):
        from pipeline.state import move_aside

        move_aside(state_path, "expected fingerprint, files, documents and checks")
        return None
    if state["fingerprint"] != fingerprint:
        return None
    if not all((paths.processed / name).is_file() for name in state["files"]):
        return None
    try:  # the files on disk must be the one set recorded (not a mix, not another set)
        if current_set_id(paths.processed) != state.get("set_id"):
            return None
    except OutputsUnavailable:
        return None
    return state


def _write_run_manifest(paths: Workspace, report: RunResult, note: str = "") -> None:
    # The sequence makes the id unique: two runs of one process within a second (a library
    # caller, a warm run after a cold one) would otherwise share it and the second overwrite
    # the first's manifest and kept outputs.
    sequence = next_run_sequence(paths.runs)
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}-{sequence}"
    write_json_atomic(paths.run_manifest(run_id), {
        "run_id": run_id,
        "sequence": sequence,
        "note": note,
        "pipeline_version": __version__,
        "extractor_version": EXTRACTOR_VERSION,
        "exit_code": report.exit_code,
        "timings_seconds": {k: round(v, 4) for k, v in report.timings.items()},
        "documents": report.documents,
        "extract_seconds": report.extract_seconds,
        "written": report.written,
        "publish_number": report.publish_number,
    })
    if report.written:  # `diff --runs last` compares this set with the previous one
        from pipeline.history import keep_output_set

        keep_output_set(paths.runs, run_id, report.written)


def next_run_sequence(runs_dir: Path) -> int:
    """1 + the highest sequence of the run manifests: runs are ordered by it, never by the clock
    (a clock set ahead once would make an old run look newest for ever)."""
    sequences = [0]
    for path in runs_dir.glob("*.json") if runs_dir.is_dir() else []:
        manifest = read_json_state(path)
        if manifest is not None and isinstance(manifest.get("sequence"), int):
            sequences.append(manifest["sequence"])
    return max(sequences) + 1


def plan_run(documents: list[Document], paths: Workspace, mirror: Path | None) -> list[dict]:
    """What `run` would do, without doing it (`--dry-run`): where each document would come from
    and whether its extraction would be redone or taken from the cache."""
    from pipeline.fetch import sha256_of

    previous = load_fetched(paths)
    plan = []
    for doc in documents:
        raw = paths.raw / doc.file
        if not doc.supported:
            plan.append({"doc_id": doc.doc_id, "fetch": "unsupported: not fetched", "extract": "nothing to extract"})
            continue
        if mirror is not None:
            source = Path(mirror) / doc.file
            if source.is_file():
                fetch, sha = f"copy {source}", sha256_of(source)
            elif raw.is_file():  # as `fetch_from_mirror` does: the copy fetched earlier stays
                fetch, sha = f"{doc.file} is not in the mirror: use the copy fetched earlier", sha256_of(raw)
            else:
                fetch, sha = f"missing: {doc.file} is not in the mirror", None
        else:
            fetch = f"GET {doc.url}" + (" (conditional)" if raw.is_file() and doc.doc_id in previous else "")
            sha = previous[doc.doc_id].sha256 if doc.doc_id in previous else None
        if sha is None:
            extract = "extract after fetch" if mirror is None else "nothing to extract"
        elif extraction_path(paths, doc, sha).is_file():
            extract = "cached (unchanged since the last run)"
        else:
            extract = "extract (new or changed file)"
        plan.append({"doc_id": doc.doc_id, "fetch": fetch, "extract": extract})
    return plan
