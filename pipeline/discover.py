"""Discover: find the documents NCMEC links from its data pages, so a new edition needs no person.

Like pudl-archiver and warn-scraper, the index page is the source of truth for what exists. For
each index page (official URLs in `pipeline/data/index_pages.csv`, or `--index-url`):

  collect   every <a href> of the page (stdlib html.parser), resolved against the page (and its
            <base href>), fragment and query string dropped (a CMS adds `?v=3` cache busters:
            the same PDF), duplicates merged; only links to *.pdf are documents
  refuse    links to a host the manifest does not name, or not over https: never fetched
  classify  family and edition from the link text and the file name, by the reviewed patterns
            of `pipeline/data/discovery_patterns.csv` (first matching row wins)
  compare   with the manifest and the overlay: known (same URL, or the same family and edition
            at another URL), new (a family we read), unsupported (a family we have no reader
            for, or no pattern matches: recorded, never silently ignored)

New and unsupported documents go into the overlay `data/state/discovered.csv` (the manifest's
columns), which every later command reads with the manifest (`manifest.load_documents`).
Everything but `fetch_page` and the overlay file is a pure function over plain data.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from pipeline.manifest import (
    FAMILIES,
    MANIFEST_COLUMNS,
    SAFE_FILE_NAME,
    UNCLASSIFIED,
    Document,
    manifest_rows,
    url_problem,
)

STATUSES = ("new", "known", "unsupported", "refused")


# --- the reviewed data files ---------------------------------------------------------------------

@dataclass(frozen=True)
class Pattern:
    """One row of discovery_patterns.csv: which links belong to a family, and where the edition is."""

    family: str
    doc_prefix: str
    match: re.Pattern
    edition: re.Pattern
    note: str = ""


def _data_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("pipeline.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def load_patterns(rows: list[dict[str, str]] | None = None) -> list[Pattern]:
    """The classification rules, in file order (first match wins)."""
    patterns = []
    for line_no, row in enumerate(rows if rows is not None else _data_rows("discovery_patterns.csv"), start=2):
        where = f"discovery_patterns.csv line {line_no} ({row.get('family')})"
        try:
            match = re.compile(row["match"], re.IGNORECASE)
            edition = re.compile(row["edition"], re.IGNORECASE)
        except re.error as err:
            raise ValueError(f"{where}: bad regular expression: {err}") from None
        if not re.fullmatch(r"[a-z][a-z0-9-]*", row["doc_prefix"]):
            raise ValueError(f"{where}: doc_prefix must be lowercase letters, digits and '-', found {row['doc_prefix']!r}")
        patterns.append(Pattern(row["family"], row["doc_prefix"], match, edition, row.get("note", "")))
    return patterns


def official_index_urls() -> list[str]:
    """NCMEC's data pages, from pipeline/data/index_pages.csv."""
    return [row["url"].strip() for row in _data_rows("index_pages.csv") if row["url"].strip()]


# --- links on a page -----------------------------------------------------------------------------

class LinkCollector(HTMLParser):
    """Every <a href> of a page with its text (nested tags' text included; the title or
    aria-label attribute when the link has no text, as on icon links), and the <base href>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[str, str]] = []
        self._open: list[tuple[str, list[str], str]] = []  # (href, text parts, fallback text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "base" and attrs.get("href") and self.base is None:
            self.base = attrs["href"]
        elif tag == "a" and attrs.get("href"):
            self._open.append((attrs["href"], [], attrs.get("title") or attrs.get("aria-label") or ""))
        elif tag == "img" and self._open and attrs.get("alt"):
            self._open[-1][1].append(attrs["alt"])

    def handle_data(self, data):
        for _, parts, _ in self._open:
            parts.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            self._close()

    def close(self):
        super().close()
        while self._open:  # an <a> the page never closed
            self._close()

    def _close(self):
        href, parts, fallback = self._open.pop()
        self.links.append((href, " ".join(" ".join(parts).split()) or fallback.strip()))


def page_links(html: str, page_url: str) -> list[tuple[str, str]]:
    """(absolute URL, link text) for every link of the page, in page order."""
    collector = LinkCollector()
    collector.feed(html)
    collector.close()
    base = urljoin(page_url, collector.base) if collector.base else page_url
    return [(urljoin(base, href.strip()), text) for href, text in collector.links
            if not href.strip().lower().startswith(("mailto:", "javascript:", "tel:", "#"))]


def normalized_url(url: str) -> str:
    """A URL as documents are compared: scheme and host in lower case, no query, no fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


def is_pdf_link(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(".pdf")


@dataclass(frozen=True)
class Link:
    """One PDF linked from the index pages: where it points and what the page calls it."""

    url: str  # normalized
    text: str
    found_on: str
    times: int = 1  # how many times the pages link it


def pdf_links(pages: Sequence[tuple[str, list[tuple[str, str]]]]) -> list[Link]:
    """The PDF links of several pages, duplicates merged (first non-empty text kept)."""
    merged: dict[str, Link] = {}
    for page_url, links in pages:
        for url, text in links:
            if not is_pdf_link(url):
                continue
            key = normalized_url(url)
            if key in merged:
                seen = merged[key]
                merged[key] = replace(seen, text=seen.text or text, times=seen.times + 1)
            else:
                merged[key] = Link(key, text, page_url)
    return list(merged.values())


# --- classification ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Classification:
    family: str
    doc_prefix: str
    year: int | None
    why: str = ""  # when the edition could not be told


def file_name_of(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _edition(pattern: re.Pattern, text: str) -> int | None:
    found = pattern.search(text)
    if not found:
        return None
    return int(next(g for g in found.groups() if g) if found.groups() else found.group(0))


def classify(link: Link, patterns: Sequence[Pattern]) -> Classification:
    """Family by the first pattern matching the link text or the file name; edition from the file
    name and the link text, which must agree when both print one."""
    name = file_name_of(link.url)
    for pattern in patterns:
        if not (pattern.match.search(link.text) or pattern.match.search(name)):
            continue
        in_name, in_text = _edition(pattern.edition, name), _edition(pattern.edition, link.text)
        if in_name and in_text and in_name != in_text:
            return Classification(pattern.family, pattern.doc_prefix, None,
                                  f"the file name says {in_name}, the link text {link.text!r} says {in_text}")
        year = in_name or in_text
        return Classification(pattern.family, pattern.doc_prefix, year,
                              "" if year else "no edition year in the link text or the file name")
    return Classification(UNCLASSIFIED, UNCLASSIFIED, None,
                          "no pattern in pipeline/data/discovery_patterns.csv matches the link text or the file name")


def safe_file_name(url: str) -> str:
    """The link's file name made a plain PDF file name (data/raw/ never takes a name from a URL
    unchecked)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", file_name_of(url)[: -len(".pdf")]).strip("-.") or "document"
    return f"{stem}.pdf"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- comparison with the manifest ----------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """What discover made of one PDF link: status new | known | unsupported | refused, and why."""

    status: str
    url: str
    link_text: str
    found_on: str
    why: str
    doc_id: str = ""
    family: str = ""
    year: int | None = None
    document: Document | None = None  # the overlay entry, for new and newly unsupported links


def compare(links: Sequence[Link], documents: Sequence[Document], hosts: frozenset[str],
            patterns: Sequence[Pattern]) -> list[Finding]:
    """Each link against the documents the pipeline knows (manifest and overlay)."""
    by_url = {normalized_url(d.url): d for d in documents}
    by_edition = {(d.family, d.year): d for d in documents if d.supported}
    ids = {d.doc_id for d in documents}
    files = {d.file for d in documents}
    findings = []
    for link in links:
        base = {"url": link.url, "link_text": link.text, "found_on": link.found_on}
        twice = f" (linked {link.times} times)" if link.times > 1 else ""
        host = urlsplit(link.url).hostname or ""
        problem = (f"host {host!r} is not in the allow-list (hosts the manifest names: {', '.join(sorted(hosts))})"
                   if host not in hosts else url_problem(link.url))
        if problem:
            findings.append(Finding("refused", why=f"{problem}; not fetched{twice}", **base))
            continue
        known = by_url.get(link.url)
        if known is not None:
            where = "in the manifest" if known.origin == "manifest" else "discovered earlier"
            if known.supported:
                findings.append(Finding("known", why=where + twice, doc_id=known.doc_id, family=known.family,
                                        year=known.year, **base))
            else:
                findings.append(Finding("unsupported", why=f"{where}; {unsupported_reason(known)}{twice}",
                                        doc_id=known.doc_id, family=known.family, year=known.year, **base))
            continue
        kind = classify(link, patterns)
        same_edition = by_edition.get((kind.family, kind.year)) if kind.year else None
        if same_edition is not None:
            origin = "the manifest" if same_edition.origin == "manifest" else "the overlay"
            status = "known" if same_edition.origin == "manifest" else "refused"
            why = (f"{same_edition.doc_id} is in {origin} at another URL ({same_edition.url}); not added"
                   + ("" if status == "known" else ": two links for one edition, add the right one to the manifest"))
            findings.append(Finding(status, why=why + twice, doc_id=same_edition.doc_id, family=kind.family,
                                    year=kind.year, **base))
            continue
        supported = kind.family in FAMILIES and kind.year is not None
        doc_id = f"{kind.doc_prefix}-{kind.year}" if kind.year else f"{kind.doc_prefix}-{_slug(file_name_of(link.url)[:-4])}"
        if doc_id in ids:
            doc_id = f"{doc_id}-{_slug(file_name_of(link.url)[:-4])}"
        file = safe_file_name(link.url)
        if file in files:
            file = f"{doc_id}-{file}"
        if doc_id in ids or file in files or not SAFE_FILE_NAME.match(file):
            findings.append(Finding("refused", why=f"no unused id or file name for it (tried {doc_id}, {file})" + twice,
                                    **base))
            continue
        document = Document(doc_id, kind.family, kind.year, file, link.url, None, origin="discovered",
                            link_text=link.text, found_on=link.found_on)
        if kind.family in FAMILIES and kind.year is None:
            # A family we read, but no edition we could tell: recorded like a family we cannot
            # read, so a person sees it, never guessed.
            document = replace(document, family=UNCLASSIFIED)
        ids.add(doc_id)
        files.add(file)
        by_url[link.url] = document
        if supported:
            by_edition[(kind.family, kind.year)] = document
            findings.append(Finding("new", why=f"{kind.family} {kind.year}: not in the manifest{twice}", doc_id=doc_id,
                                    family=kind.family, year=kind.year, document=document, **base))
        else:
            findings.append(Finding("unsupported", why=f"new; {unsupported_reason(document, kind.why)}{twice}",
                                    doc_id=doc_id, family=document.family, year=kind.year, document=document, **base))
    return findings


def unsupported_reason(doc: Document, detail: str = "") -> str:
    """Why a document is recorded but not read, for the table, documents.parquet and the report."""
    if doc.family == UNCLASSIFIED:
        reason = detail or "no discovery pattern recognises it, or its edition could not be told"
    else:
        reason = f"no reader for the {doc.family} family"
    return reason + (f" (linked as {doc.link_text!r})" if doc.link_text else "")


# --- one discovery -------------------------------------------------------------------------------

@dataclass
class Discovery:
    """The outcome of reading the index pages: one finding per PDF link, one line per page."""

    findings: list[Finding] = field(default_factory=list)
    pages: list[tuple[str, str]] = field(default_factory=list)  # (url, "N links, M PDFs" or the error)
    pages_read: int = 0

    def added(self) -> list[Document]:
        return [f.document for f in self.findings if f.document is not None]

    def counts(self) -> dict[str, int]:
        return {s: sum(f.status == s for f in self.findings) for s in STATUSES}


def discover(index_urls: Sequence[str], documents: Sequence[Document], hosts: frozenset[str],
             get_page: Callable[[str, frozenset[str]], str], patterns: Sequence[Pattern] | None = None) -> Discovery:
    """Read every index page (`get_page(url, hosts)` returns its HTML or raises) and compare its
    PDF links with `documents`. A page that cannot be read is reported; the others still count."""
    from pipeline.fetch import FetchError

    result = Discovery()
    read: list[tuple[str, list[tuple[str, str]]]] = []
    for url in index_urls:
        try:
            html = get_page(url, hosts)
        except FetchError as err:
            result.pages.append((url, f"not read: {err}"))
            continue
        links = page_links(html, url)
        read.append((url, links))
        result.pages.append((url, f"{len(links)} links, {sum(is_pdf_link(u) for u, _ in links)} to PDFs"))
    result.pages_read = len(read)
    result.findings = compare(pdf_links(read), documents, hosts, patterns or load_patterns())
    return result


# --- the overlay ---------------------------------------------------------------------------------

def write_overlay(path: Path, overlay: Sequence[Document], added: Sequence[Document]) -> Path:
    """The overlay with `added` appended (atomically; the manifest's columns, sorted by doc_id)."""
    rows = sorted(manifest_rows([*overlay, *added]), key=lambda r: r["doc_id"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from pipeline.workspace import write_text_atomic

    return write_text_atomic(Path(path), out.getvalue())


def discover_and_record(paths, manifest_path: Path | None, documents, index_urls, *, dry_run: bool):
    """Read the index pages, compare with the manifest and the overlay, and (unless dry_run)
    append what is new or unsupported to the overlay (`paths`: the Workspace). Call under the
    run lock (`discover`, `run --discover`)."""
    import logging

    from pipeline.fetch import fetch_page
    from pipeline.manifest import allowed_hosts, load_manifest

    log = logging.getLogger("pipeline")
    manifest = load_manifest(manifest_path)
    result = discover(list(index_urls) or official_index_urls(), documents, allowed_hosts(manifest), fetch_page)
    for url, what in result.pages:
        if what.startswith("not read"):
            log.warning("discover: index page %s", what, extra={"stage": "discover"})
    for finding in result.findings:
        if finding.status == "refused":
            log.warning("discover: refused %s: %s", finding.url, finding.why, extra={"stage": "discover"})
    if result.added() and not dry_run:
        overlay = [d for d in documents if d.origin == "discovered"]
        write_overlay(paths.discovered, overlay, result.added())
    return result


def render_findings(result: Discovery) -> str:
    """The table `discover` prints: every PDF link with its status and why, then the counts."""
    lines = [f"index page {url}: {what}" for url, what in result.pages]
    order = {s: i for i, s in enumerate(STATUSES)}
    rows = sorted(result.findings, key=lambda f: (order[f.status], f.family, f.year or 0, f.url))
    header = ("status", "doc_id", "family", "year", "url", "why")
    table = [(f.status, f.doc_id or "—", f.family or "—", "—" if f.year is None else str(f.year), f.url, f.why)
             for f in rows]
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(header[:-1])]
    for r in [header, *table]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1])
    counts = result.counts()
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items()) + f" ({len(result.findings)} PDF links on "
                 f"{result.pages_read} of {len(result.pages)} index pages)")
    return "\n".join(lines) + "\n"
