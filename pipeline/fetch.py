"""Fetch: put each manifest document into `data/raw/`, from a local mirror or the official URL.

- Mirror (`--mirror DIR` or `NCMEC_MIRROR`): the file of the same name in DIR; no network.
- HTTP: conditional requests (ETag / If-Modified-Since from the last fetch), retries with
  backoff on 5xx and timeouts, a timeout per request, a size limit, and redirects followed only
  to hosts the manifest names.
Every body is checked to be a PDF before it replaces anything in `data/raw/`. File names there
come from the manifest's `file` column (validated in `manifest.py`), never from a URL.
"""

from __future__ import annotations

import hashlib
import http.client
import shutil
import socket
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from pipeline.manifest import Document
from pipeline.state import move_aside, read_json_state
from pipeline.workspace import DOWNLOAD, install, keep_copy, stage, write_json_atomic

PDF_MAGIC = b"%PDF-"
MAX_BYTES = 200 * 1024 * 1024
TIMEOUT_SECONDS = 60  # per read: a server silent this long is given up on
DEADLINE_SECONDS = 900  # per document, every attempt included: a server dripping bytes is given up on
MAX_RETRY_AFTER_SECONDS = 120  # the longest Retry-After (429, 503) honoured before the next try
CHECK_TIME_LIMIT = 60.0  # seconds the PDF structure check of one file may take (a child process)
RETRIES = 3
BACKOFF_SECONDS = 1.0
USER_AGENT = "ncmec-pipeline (+https://github.com/; research data pipeline)"


@dataclass(frozen=True)
class FetchResult:
    """What fetch made of one document. `status` is ok, missing (the source answered: not there),
    unreachable (the source did not answer: no name resolution, no connection, timeouts, 5xx) or
    failed (something arrived but it is not a usable PDF). `unresolved` names a host whose name
    did not resolve (offline, or DNS down): `fetch_all` then tries no other document on it."""

    doc_id: str
    status: str
    path: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    origin: str | None = None  # mirror | http | not-modified | cached
    message: str = ""
    etag: str | None = None
    last_modified: str | None = None
    unresolved: str | None = None


class FetchError(Exception):
    """A body that is not a usable PDF, or a transfer that broke a rule (size, host, scheme)."""


class DeadlinePassed(Exception):
    """The download of one document took longer than its whole deadline."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_pdf_bytes(head: bytes, size: int, what: str) -> None:
    """Refuse an empty body, an HTML page served with status 200, or anything else not a PDF."""
    if size == 0:
        raise FetchError(f"{what}: expected a PDF, found an empty body")
    if not head.lstrip()[:5].startswith(PDF_MAGIC):
        shown = head[:40].decode("latin-1", errors="replace").strip()
        kind = "an HTML page" if b"<html" in head.lower() or b"<!doctype" in head.lower() else "not a PDF"
        raise FetchError(f"{what}: expected a PDF (starting %PDF-), found {kind} starting {shown!r}")


def check_pdf_structure(path: Path, what: str) -> int:
    """Refuse a truncated, corrupt or encrypted PDF before it replaces a good copy; return pages.

    A truncated download still starts with %PDF-, so the body check alone would let it through;
    pdfminer then "recovers" zero pages. NCMEC publishes unencrypted PDFs: an encrypted one is
    not something the extractors can read.
    """
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 2048))
        tail = handle.read()
    if b"%%EOF" not in tail:
        raise FetchError(f"{what}: expected a complete PDF ending with %%EOF, found a truncated or corrupt file")
    try:
        with pdfplumber.open(path) as pdf:
            if pdf.doc.encryption:
                raise FetchError(f"{what}: expected an unencrypted PDF, found an encrypted one")
            pages = len(pdf.pages)
    except FetchError:
        raise
    except Exception as err:
        # pdfplumber wraps pdfminer's errors: look inside for the password/encryption ones.
        causes = (err, *err.args)
        if any(isinstance(c, (PDFEncryptionError, PDFPasswordIncorrect)) for c in causes):
            raise FetchError(f"{what}: expected an unencrypted PDF, found an encrypted one") from None
        raise FetchError(f"{what}: expected a readable PDF, found a corrupt one ({type(err).__name__}: {err})") from None
    if pages == 0:
        raise FetchError(f"{what}: expected a PDF with pages, found none (truncated or corrupt)")
    return pages


def is_manifest_bytes(doc: Document, path: Path) -> bool:
    """The file is exactly the edition the manifest records (its sha256): the document the
    readers were built and tested on, whose structure was checked when it entered the manifest.
    Its structure check (a forked child opening the PDF, some 50-80 ms a file) is skipped; any
    other bytes, a revised edition or a damaged copy, are checked."""
    return bool(doc.sha256) and sha256_of(path) == doc.sha256


def check_pdf_structure_bounded(path: Path, what: str, time_limit: float = CHECK_TIME_LIMIT,
                                memory_mb: int | None = None) -> int:
    """`check_pdf_structure` in a child process bounded like an extraction (time and memory):
    a small PDF declaring 150,000 pages, or a huge file, must not hold the fetch stage."""
    import pdfplumber  # noqa: F401  (imported once here, inherited by every forked check)

    from pipeline.sandbox import MEMORY_LIMIT_MB, run_bounded

    [result] = run_bounded(_structure_check, [(str(path), what, what)], jobs=1, time_limit=time_limit,
                           memory_mb=MEMORY_LIMIT_MB if memory_mb is None else memory_mb)
    if "error" in result:
        raise FetchError(result["error"].replace("extraction", "PDF check", 1))
    return result["pages"]


def _structure_check(path: str, what: str, _name: str) -> dict:
    try:
        return {"pages": check_pdf_structure(Path(path), what)}
    except FetchError as err:
        return {"error": str(err)}


def quarantine(path: Path, quarantine_dir: Path, doc_id: str, reason: str) -> Path:
    """Keep a refused body with its reason, for a person to look at; nothing reads it again."""
    kept = Path(quarantine_dir) / f"{doc_id}-{sha256_of(path)[:12]}.bin"
    keep_copy(path, kept)
    write_json_atomic(kept.with_suffix(".json"), {"doc_id": doc_id, "reason": reason})
    return kept


def _install(tmp: Path, target: Path) -> tuple[str, int]:
    """Move a checked temporary file into place atomically; return its sha256 and size."""
    digest, size = sha256_of(tmp), tmp.stat().st_size
    install(tmp, target)
    return digest, size


def fetch_from_mirror(doc: Document, mirror: Path, raw_dir: Path, quarantine_dir: Path | None = None, *,
                      max_bytes: int = MAX_BYTES, before_replace: Callable[[], None] = lambda: None,
                      **bounds) -> FetchResult:
    """Copy the mirror's file into raw/ after the same checks as a download (`bounds`: the
    time_limit and memory_mb of the structure check). `before_replace` runs just before new
    bytes replace raw/<file>, and only then (the run keeps the last good copy there)."""
    source = Path(mirror) / doc.file
    if not source.is_file():
        # The message names no folder: the same files through another mirror path make the same
        # outputs. Like an unreachable URL, a file the mirror no longer holds keeps the copy
        # fetched earlier (and so its published rows).
        target = raw_dir / doc.file
        if target.is_file():
            return FetchResult(doc.doc_id, "ok", str(target), sha256_of(target), target.stat().st_size, "cached",
                               f"{doc.file} is not in the mirror; using the copy fetched earlier")
        return FetchResult(doc.doc_id, "missing", message=f"{doc.file} is not in the mirror")
    target = raw_dir / doc.file
    size = source.stat().st_size
    if target.is_file() and target.stat().st_size == size:
        digest = sha256_of(source)
        if digest == sha256_of(target):  # unchanged since it was checked and installed
            return FetchResult(doc.doc_id, "ok", str(target), digest, size, "mirror")
    with open(source, "rb") as handle:
        head = handle.read(1024)
    try:  # messages name the file, not the mirror folder: outputs must not depend on where it lives
        check_pdf_bytes(head, size, f"{doc.file} in the mirror")
        if size > max_bytes:  # the same size limit as a download: the check must stay bounded
            raise FetchError(f"{doc.file} in the mirror: {size:,} bytes, more than the {max_bytes:,} byte limit")
        if not is_manifest_bytes(doc, source):
            check_pdf_structure_bounded(source, f"{doc.file} in the mirror", **bounds)
    except FetchError as err:
        message = str(err)
        if quarantine_dir is not None and size <= max_bytes:
            message += f"; quarantined as {quarantine(source, quarantine_dir, doc.doc_id, message).name}"
        return FetchResult(doc.doc_id, "failed", message=message, origin="mirror")
    def copy(handle):
        with open(source, "rb") as src:
            shutil.copyfileobj(src, handle)
    staged = stage(raw_dir, doc.file, copy, suffix=DOWNLOAD)
    before_replace()
    digest, size = _install(staged, target)
    return FetchResult(doc.doc_id, "ok", str(target), digest, size, "mirror")


class _AllowListRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a host the manifest names, and only over https (or to loopback
    http in tests, when the original URL was loopback http)."""

    def __init__(self, allowed_hosts: frozenset[str]):
        self.allowed_hosts = allowed_hosts

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        host = urlparse(newurl).hostname or ""
        if host not in self.allowed_hosts:
            raise FetchError(f"{req.full_url}: redirected to {newurl}, a host not in the manifest")
        if urlparse(req.full_url).scheme == "https" and urlparse(newurl).scheme != "https":
            raise FetchError(f"{req.full_url}: redirected to {newurl}, from https to {urlparse(newurl).scheme}"
                             " (a downgrade); refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _open(url: str, headers: dict[str, str], allowed_hosts: frozenset[str], timeout: float):
    opener = urllib.request.build_opener(_AllowListRedirects(allowed_hosts))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    return opener.open(request, timeout=timeout)


def fetch_over_http(doc: Document, raw_dir: Path, allowed_hosts: frozenset[str], previous: dict | None = None,
                    *, quarantine_dir: Path | None = None, timeout: float = TIMEOUT_SECONDS, retries: int = RETRIES,
                    backoff: float = BACKOFF_SECONDS, max_bytes: int = MAX_BYTES,
                    deadline: float = DEADLINE_SECONDS, before_replace: Callable[[], None] = lambda: None,
                    **bounds) -> FetchResult:
    """GET the document's URL; 304 keeps the copy we have. Never replaces a good copy with a bad body.
    Every attempt together may take `deadline` seconds (and one more read `timeout`).
    `before_replace` runs just before a checked body replaces raw/<file>."""
    target = raw_dir / doc.file
    if doc.host not in allowed_hosts:
        return FetchResult(doc.doc_id, "failed", message=f"{doc.url}: host not in the allow-list")
    headers = {}
    if previous and target.is_file():
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = previous["last_modified"]
    last_error, status, unresolved = "", "missing", None
    ends = time.monotonic() + deadline
    wait = 0.0
    for attempt in range(retries):
        if attempt:
            wait = wait or backoff * 2 ** (attempt - 1)
            if time.monotonic() + wait > ends:
                break
            time.sleep(wait)
            wait = 0.0
        try:
            with _open(doc.url, headers, allowed_hosts, min(timeout, max(0.1, ends - time.monotonic()))) as response:
                return _save_response(doc, response, raw_dir, max_bytes, quarantine_dir, ends, deadline, bounds,
                                      before_replace)
        except DeadlinePassed as err:
            last_error = str(err)
            break
        except urllib.error.HTTPError as err:
            if err.code == 304 and target.is_file():
                return FetchResult(doc.doc_id, "ok", str(target), sha256_of(target), target.stat().st_size,
                                   "not-modified", "not modified since the last fetch",
                                   (previous or {}).get("etag"), (previous or {}).get("last_modified"))
            last_error, status = f"HTTP {err.code} from {doc.url}", "missing"  # the server answered
            wait = retry_after(err.headers.get("Retry-After") if err.headers else None)
            if err.code == 429 or (err.code == 503 and wait):
                wait = min(wait or backoff * 2 ** attempt, MAX_RETRY_AFTER_SECONDS)
                last_error += f" (asked to retry after {wait:g}s)"
                continue
            wait = 0.0
            if err.code < 500:
                break
        except FetchError as err:
            return FetchResult(doc.doc_id, "failed", message=str(err), origin="http")
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException, OSError) as err:
            reason = getattr(err, "reason", err)
            last_error, status = f"{doc.url} unreachable: {reason}", "unreachable"
            if isinstance(reason, socket.gaierror):  # no name resolution: a retry a second later will not help
                last_error = f"{doc.url} unreachable: cannot resolve {doc.host} ({reason.strerror or reason})"
                unresolved = doc.host
                break
    return _kept_or(doc, raw_dir, previous, last_error,
                    FetchResult(doc.doc_id, status, message=last_error, unresolved=unresolved))


def _kept_or(doc: Document, raw_dir: Path, previous: dict | None, error: str, otherwise: FetchResult) -> FetchResult:
    """The copy fetched earlier, when there is one (its message says why), else `otherwise`."""
    target = raw_dir / doc.file
    if target.is_file():
        return FetchResult(doc.doc_id, "ok", str(target), sha256_of(target), target.stat().st_size, "cached",
                           f"{error}; using the copy fetched earlier",
                           (previous or {}).get("etag"), (previous or {}).get("last_modified"),
                           unresolved=otherwise.unresolved)
    return otherwise


def not_tried(doc: Document, raw_dir: Path, previous: dict | None, host: str) -> FetchResult:
    """A document on a host whose name did not resolve for an earlier document of this fetch:
    not tried (offline, 15 documents x 3 tries took 47 s for nothing), `unreachable`, or the
    copy fetched earlier."""
    error = f"{doc.url} not tried: {host} did not resolve for an earlier document"
    return _kept_or(doc, raw_dir, previous, error, FetchResult(doc.doc_id, "unreachable", message=error,
                                                               unresolved=host))


def offline_hint(hosts) -> str:
    """What to do when the official hosts do not resolve: run from a local copy of the PDFs."""
    return (f"cannot resolve {', '.join(sorted(hosts))}: offline or no DNS? The other documents on it were not"
            " tried. Run from a local copy of the PDFs: --mirror DIR or NCMEC_MIRROR=DIR")


def retry_after(value: str | None) -> float:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); 0 when none."""
    if not value:
        return 0.0
    if value.strip().isdigit():
        return float(value.strip())
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return 0.0


def _save_response(doc: Document, response, raw_dir: Path, max_bytes: int, quarantine_dir: Path | None,
                   ends: float, deadline: float, bounds: dict, before_replace: Callable[[], None]) -> FetchResult:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"{doc.url}: {int(length):,} bytes announced, more than the {max_bytes:,} byte limit")
    size, head = 0, b""

    def receive(handle):
        nonlocal size, head
        # read1: return what has arrived, so a server dripping a byte at a time meets the deadline
        while block := response.read1(1 << 16):
            if time.monotonic() > ends:
                raise DeadlinePassed(f"{doc.url}: the download took longer than its {deadline:g}s deadline"
                                     f" ({size:,} bytes received); stopped (a server sending too slowly?)")
            size += len(block)
            if size > max_bytes:
                raise FetchError(f"{doc.url}: body exceeds the {max_bytes:,} byte limit")
            if len(head) < 1024:
                head += block[: 1024 - len(head)]
            handle.write(block)
    tmp = stage(raw_dir, doc.file, receive, suffix=DOWNLOAD)
    try:
        try:
            if length and length.isdigit() and size != int(length):
                raise FetchError(f"{doc.url}: expected {int(length):,} bytes, received {size:,} (truncated transfer)")
            check_pdf_bytes(head, size, doc.url)
            if not is_manifest_bytes(doc, tmp):
                check_pdf_structure_bounded(tmp, doc.url, **bounds)
        except FetchError as err:
            if quarantine_dir is not None and size:
                raise FetchError(f"{err}; quarantined as {quarantine(tmp, quarantine_dir, doc.doc_id, str(err)).name}") from None
            raise
        before_replace()
        digest, size = _install(tmp, raw_dir / doc.file)
    finally:
        tmp.unlink(missing_ok=True)
    return FetchResult(doc.doc_id, "ok", str(raw_dir / doc.file), digest, size, "http", "",
                       response.headers.get("ETag"), response.headers.get("Last-Modified"))


def load_fetch_state(path: Path) -> dict[str, dict]:
    """doc_id -> the last FetchResult as a dict; {} when absent or unreadable (moved aside: the
    next fetch is then unconditional, see pipeline/state.py)."""
    state = read_json_state(path) or {}
    known = set(FetchResult.__dataclass_fields__)
    if not all(isinstance(v, dict) and {"doc_id", "status"} <= set(v) <= known for v in state.values()):
        move_aside(path, "expected doc_id -> fetch result entries")
        return {}
    return state


def fetch_state_entry(result: FetchResult) -> dict:
    return asdict(result)


MAX_PAGE_BYTES = 10 * 1024 * 1024


def fetch_page(url: str, allowed_hosts: frozenset[str], *, timeout: float = TIMEOUT_SECONDS, retries: int = RETRIES,
               backoff: float = BACKOFF_SECONDS, max_bytes: int = MAX_PAGE_BYTES) -> str:
    """GET an HTML index page (`discover`) under the same rules as a PDF: only hosts the manifest
    names, redirects only to them, retries on 5xx and timeouts, a size limit. Raises FetchError
    with a sentence saying what went wrong."""
    host = urlparse(url).hostname or ""
    if host not in allowed_hosts:
        raise FetchError(f"{url}: host {host!r} is not in the allow-list (hosts the manifest names: "
                         f"{', '.join(sorted(allowed_hosts))})")
    last_error = ""
    for attempt in range(retries):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            with _open(url, {"Accept": "text/html"}, allowed_hosts, timeout) as response:
                body = response.read(max_bytes + 1)
                if len(body) > max_bytes:
                    raise FetchError(f"{url}: page exceeds the {max_bytes:,} byte limit")
                charset = response.headers.get_content_charset() or "utf-8"
                return body.decode(charset, errors="replace")
        except urllib.error.HTTPError as err:
            last_error = f"HTTP {err.code} from {url}"
            if err.code < 500:
                break
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException, OSError) as err:
            last_error = f"{url} unreachable: {getattr(err, 'reason', err)}"
    raise FetchError(last_error)
