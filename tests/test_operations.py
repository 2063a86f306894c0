"""Nightly-grade operations against a local HTTP server on 127.0.0.1: bad bodies, retries,
conditional requests, quarantine, last good outputs kept, locking, and SIGKILL safety."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import textwrap
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.fetch import fetch_over_http
from pipeline.manifest import Document
from pipeline.run import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, run_pipeline
from pipeline.workspace import LockHeld, Workspace
from pipeline.store import recover

ESP_2021 = "2021-reports-by-esp.pdf"
COUNTRY_2021 = "2021-reports-by-country.pdf"


class Routes:
    """What the server answers per path; tests change it between runs."""

    def __init__(self):
        self.bodies: dict[str, tuple[int, bytes, str]] = {}
        self.fail_first: dict[str, int] = {}   # path -> number of 500s before the body
        self.requests: list[tuple[str, dict]] = []


def make_handler(routes: Routes):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            routes.requests.append((self.path, dict(self.headers)))
            if routes.fail_first.get(self.path, 0) > 0:
                routes.fail_first[self.path] -= 1
                self.send_response(500)
                self.end_headers()
                return
            if self.path not in routes.bodies:
                self.send_response(404)
                self.end_headers()
                return
            status, body, content_type = routes.bodies[self.path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def server():
    routes = Routes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(routes))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    routes.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield routes
    httpd.shutdown()
    httpd.server_close()


def doc_for(server: Routes, doc_id: str, family: str, year: int, file: str) -> Document:
    return Document(doc_id, family, year, file, f"{server.base}/{file}", None)


def serve_pdf(server: Routes, corpus_dir: Path, file: str, body: bytes | None = None, status: int = 200,
              content_type: str = "application/pdf") -> None:
    server.bodies[f"/{file}"] = (status, (corpus_dir / file).read_bytes() if body is None else body, content_type)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def two_documents(server):
    return [doc_for(server, "esp-2021", "reports_by_esp", 2021, ESP_2021),
            doc_for(server, "country-2021", "reports_by_country", 2021, COUNTRY_2021)]


def test_good_pdfs_over_http_then_conditional_request_is_not_modified(server, corpus_dir, tmp_path):
    serve_pdf(server, corpus_dir, ESP_2021)
    serve_pdf(server, corpus_dir, COUNTRY_2021)
    paths = Workspace(tmp_path)
    assert run_pipeline(two_documents(server), paths, mirror=None).exit_code == EXIT_OK
    server.requests.clear()
    second = run_pipeline(two_documents(server), paths, mirror=None)
    assert second.exit_code == EXIT_OK
    assert all("If-None-Match" in headers for _, headers in server.requests)
    assert all(d["message"] == "not modified since the last fetch" for d in second.documents)


def good_first_run(server, corpus_dir, tmp_path) -> tuple[list[Document], Workspace, dict[str, bytes]]:
    """Both 2021 lists served well and published: the state a bad night starts from."""
    docs = two_documents(server)
    serve_pdf(server, corpus_dir, ESP_2021)
    serve_pdf(server, corpus_dir, COUNTRY_2021)
    paths = Workspace(tmp_path)
    assert run_pipeline(docs, paths, mirror=None).exit_code == EXIT_OK
    return docs, paths, snapshot(paths.processed)


def test_html_page_with_status_200_is_refused_quarantined_and_last_good_rows_stay(server, corpus_dir, tmp_path):
    docs, paths, before = good_first_run(server, corpus_dir, tmp_path)
    raw_before = (paths.raw / ESP_2021).read_bytes()

    serve_pdf(server, corpus_dir, ESP_2021, body=b"<!DOCTYPE html><html><body>Maintenance</body></html>",
              content_type="text/html")
    report = run_pipeline(docs, paths, mirror=None)
    assert report.exit_code == EXIT_PARTIAL
    esp = next(d for d in report.documents if d["doc_id"] == "esp-2021")
    assert esp["status"] == "failed"
    assert "expected a PDF (starting %PDF-), found an HTML page" in esp["message"]
    assert "kept the 230 rows published from the last good copy" in esp["message"]
    after = snapshot(paths.processed)
    assert after["esp_reports.parquet"] == before["esp_reports.parquet"]
    assert after["country_reports.parquet"] == before["country_reports.parquet"]
    assert (paths.raw / ESP_2021).read_bytes() == raw_before
    quarantined = list(paths.quarantine.glob("esp-2021-*.json"))
    assert len(quarantined) == 1 and "HTML page" in quarantined[0].read_text()


def test_run_where_every_document_fails_leaves_processed_byte_identical(server, corpus_dir, tmp_path):
    docs, paths, before = good_first_run(server, corpus_dir, tmp_path)
    whole = (corpus_dir / COUNTRY_2021).read_bytes()
    serve_pdf(server, corpus_dir, ESP_2021, body=b"")                        # empty body
    serve_pdf(server, corpus_dir, COUNTRY_2021, body=whole[: len(whole) // 2])  # truncated PDF
    report = run_pipeline(docs, paths, mirror=None)
    assert report.exit_code == EXIT_FAILED
    messages = {d["doc_id"]: d["message"] for d in report.documents}
    assert "found an empty body" in messages["esp-2021"]
    assert "truncated or corrupt" in messages["country-2021"]
    assert snapshot(paths.processed) == before


def test_first_run_with_only_bad_input_publishes_nothing_and_exits_failed(server, corpus_dir, tmp_path):
    serve_pdf(server, corpus_dir, ESP_2021, body=b"<html>oops</html>", content_type="text/html")
    paths = Workspace(tmp_path)
    report = run_pipeline([two_documents(server)[0]], paths, mirror=None)
    assert report.exit_code == EXIT_FAILED
    assert not paths.processed.exists() or not any(paths.processed.iterdir())


def test_encrypted_pdf_is_refused_with_a_clear_message(server, corpus_dir, tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "", 12)
    pdf.text(20, 20, "ESP Reports")
    pdf.set_encryption(owner_password="owner", user_password="user")
    encrypted = tmp_path / "encrypted.pdf"
    pdf.output(str(encrypted))
    serve_pdf(server, corpus_dir, ESP_2021, body=encrypted.read_bytes())
    result = fetch_over_http(two_documents(server)[0], tmp_path / "raw", frozenset({"127.0.0.1"}),
                             quarantine_dir=tmp_path / "quarantine")
    assert result.status == "failed"
    assert "expected an unencrypted PDF, found an encrypted one" in result.message
    assert not (tmp_path / "raw" / ESP_2021).exists()
    assert list((tmp_path / "quarantine").glob("esp-2021-*.bin"))


def test_pdf_of_another_kind_fails_its_document_and_is_quarantined(server, corpus_dir, tmp_path):
    """A by-country PDF served where the by-ESP one should be: no ESP list header, refused."""
    serve_pdf(server, corpus_dir, ESP_2021, body=(corpus_dir / COUNTRY_2021).read_bytes())
    serve_pdf(server, corpus_dir, COUNTRY_2021)
    paths = Workspace(tmp_path)
    report = run_pipeline(two_documents(server), paths, mirror=None)
    assert report.exit_code == EXIT_PARTIAL
    esp = next(d for d in report.documents if d["doc_id"] == "esp-2021")
    assert esp["status"] == "failed" and esp["rows"] == 0
    assert "expected a list headed like" in esp["message"] and "found no such header on any of 8 pages" in esp["message"]
    assert "quarantined as esp-2021-" in esp["message"]
    assert list(paths.quarantine.glob("esp-2021-*.json"))


def test_server_error_then_success_is_retried(server, corpus_dir, tmp_path):
    serve_pdf(server, corpus_dir, ESP_2021)
    server.fail_first[f"/{ESP_2021}"] = 1
    doc = two_documents(server)[0]
    result = fetch_over_http(doc, tmp_path, frozenset({"127.0.0.1"}), backoff=0.01)
    assert result.status == "ok"
    assert [path for path, _ in server.requests] == [f"/{ESP_2021}", f"/{ESP_2021}"]


def test_persistent_server_error_is_reported_missing_and_others_go_on(server, corpus_dir, tmp_path):
    serve_pdf(server, corpus_dir, COUNTRY_2021)
    server.bodies[f"/{ESP_2021}"] = (200, b"", "application/pdf")
    server.fail_first[f"/{ESP_2021}"] = 10
    paths = Workspace(tmp_path)
    import pipeline.fetch as fetch

    original = fetch.BACKOFF_SECONDS
    fetch.BACKOFF_SECONDS = 0.01
    try:
        report = run_pipeline(two_documents(server), paths, mirror=None)
    finally:
        fetch.BACKOFF_SECONDS = original
    statuses = {d["doc_id"]: (d["status"], d["message"]) for d in report.documents}
    assert statuses["esp-2021"][0] == "missing" and "HTTP 500" in statuses["esp-2021"][1]
    assert statuses["country-2021"][0] == "ok"
    assert report.exit_code == EXIT_PARTIAL


def test_redirect_to_a_host_outside_the_manifest_is_refused(server, tmp_path):
    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", "http://elsewhere.invalid/file.pdf")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        doc = Document("esp-2021", "reports_by_esp", 2021, ESP_2021,
                       f"http://127.0.0.1:{httpd.server_address[1]}/{ESP_2021}", None)
        result = fetch_over_http(doc, tmp_path, frozenset({"127.0.0.1"}), backoff=0.01)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.status == "failed"
    assert "a host not in the manifest" in result.message


def test_second_run_cannot_take_the_lock(tmp_path):
    paths = Workspace(tmp_path)
    with paths.lock():
        with pytest.raises(LockHeld, match="another run holds the lock"):
            with paths.lock():
                pass


def test_lock_held_exit_code_from_the_cli(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import main

    with Workspace(tmp_path).lock():
        result = CliRunner().invoke(main, ["run", "--data-dir", str(tmp_path), "--only", "esp-2021",
                                           "--mirror", str(tmp_path)])
    assert result.exit_code == 4
    assert "another run holds the lock" in result.output


def parser_that_runs_away(seconds, path, source_file):
    time.sleep(seconds)
    return {}


def test_runaway_extraction_is_stopped_at_the_time_limit():
    from pipeline.run import run_with_time_limit

    started = time.monotonic()
    [result] = run_with_time_limit(parser_that_runs_away, [(30, "x", "slow.pdf")], jobs=1, time_limit=0.5)
    assert time.monotonic() - started < 10
    assert "longer than the 0.5s limit" in result["error"]


def test_parallel_output_is_byte_identical_to_serial(corpus_dir, tmp_path):
    from pipeline.manifest import load_manifest

    documents = [d for d in load_manifest() if d.family != "ojjdp_transparency"]
    serial, parallel = Workspace(tmp_path / "serial"), Workspace(tmp_path / "parallel")
    run_pipeline(documents, serial, mirror=corpus_dir, jobs=1)
    run_pipeline(documents, parallel, mirror=corpus_dir, jobs=2)
    assert snapshot(serial.processed) == snapshot(parallel.processed)


def test_no_change_run_reuses_the_cache_and_writes_identical_bytes(corpus_dir, tmp_path):
    from pipeline.manifest import load_manifest

    documents = [d for d in load_manifest() if d.doc_id in ("esp-2022", "country-2022")]
    paths = Workspace(tmp_path)
    first = run_pipeline(documents, paths, mirror=corpus_dir)
    before = snapshot(paths.processed)
    again = run_pipeline(documents, paths, mirror=corpus_dir)
    assert again.extract_seconds == {}          # nothing re-extracted
    assert again.written == []                  # nothing rebuilt: the inputs are the same
    assert again.documents == first.documents and again.exit_code == first.exit_code == 0
    assert snapshot(paths.processed) == before
    (paths.processed / "esp_reports.parquet").unlink()   # an output went missing: rebuild it
    rebuilt = run_pipeline(documents, paths, mirror=corpus_dir)
    assert rebuilt.written and snapshot(paths.processed) == before


def test_a_no_change_run_loads_neither_the_writer_nor_the_parser(corpus_dir, tmp_path):
    """The nightly case costs a fraction of a second: with nothing new, a run neither extracts
    nor writes, so it must not import pyarrow and pandas (0.3 s) or the parser."""
    from pipeline.manifest import load_manifest

    documents = [d for d in load_manifest() if d.doc_id in ("esp-2022", "country-2022")]
    run_pipeline(documents, Workspace(tmp_path), mirror=corpus_dir)
    warm = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from pipeline.manifest import load_manifest
        from pipeline.run import run_pipeline
        from pipeline.workspace import Workspace
        documents = [d for d in load_manifest() if d.doc_id in ("esp-2022", "country-2022")]
        report = run_pipeline(documents, Workspace(Path({str(tmp_path)!r})), mirror=Path({str(corpus_dir)!r}), jobs=2)
        assert report.written == [] and report.extract_seconds == {{}}
        print(sorted(m for m in ("pandas", "pyarrow", "playa", "pdfplumber") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", warm], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_run_command_writes_its_tables_without_importing_pandas(corpus_dir, tmp_path):
    """pyarrow imports pandas on its first conversion of a list, only to ask whether the list is
    a pandas object (0.3 s, 40 MB). `run` converts none, so it declares it (store.without_pandas)
    and writes the same bytes without it; pandas still loads afterwards for whoever needs it. A
    library caller who has not declared it gets pyarrow's usual behaviour."""
    data = tmp_path / "cli"
    command = textwrap.dedent(f"""
        import sys
        from pipeline.cli import main
        try:
            main(["run", "-q", "--only", "esp-2022", "--data-dir", {str(data)!r}, "--mirror", {str(corpus_dir)!r}],
                 standalone_mode=False)
        except SystemExit:
            pass
        print("pandas" in sys.modules)
        import pyarrow.parquet as pq
        print(len(pq.read_table({str(data / "processed" / "esp_reports.parquet")!r}).to_pandas()) > 0)
    """)
    out = subprocess.run([sys.executable, "-c", command], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"], out.stderr
    library = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from pipeline.manifest import load_manifest
        from pipeline.run import run_pipeline
        from pipeline.workspace import Workspace
        documents = [d for d in load_manifest() if d.doc_id == "esp-2022"]
        run_pipeline(documents, Workspace(Path({str(tmp_path / "library")!r})), mirror=Path({str(corpus_dir)!r}))
        print("pandas" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", library], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"], out.stderr
    esp_reports = "processed/esp_reports.parquet"  # the same rows, written with and without pandas
    assert (data / esp_reports).read_bytes() == (tmp_path / "library" / esp_reports).read_bytes()


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5, 2.5])
def test_sigkill_at_any_moment_leaves_processed_as_a_completed_run_left_it(corpus_dir, tmp_path, delay):
    """Kill `run` mid-flight: processed/ holds the previous run's files or the new run's, never a mix."""
    old_mirror, new_mirror = tmp_path / "old", tmp_path / "new"
    old_mirror.mkdir()
    new_mirror.mkdir()
    for name in (ESP_2021,):
        (old_mirror / name).write_bytes((corpus_dir / name).read_bytes())
    for name in (ESP_2021, COUNTRY_2021, "2022-reports-by-esp.pdf", "2022-reports-by-country.pdf"):
        (new_mirror / name).write_bytes((corpus_dir / name).read_bytes())
    only = ["--only", "esp-2021", "--only", "country-2021", "--only", "esp-2022", "--only", "country-2022"]
    command = [sys.executable, "-m", "pipeline.cli", "run", "-q", *only]

    def run(data: Path, mirror: Path, kill_after: float | None = None) -> None:
        process = subprocess.Popen([*command, "--data-dir", str(data), "--mirror", str(mirror)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if kill_after is None:
            process.wait(timeout=300)
            return
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)

    reference = tmp_path / "reference"
    run(reference, old_mirror)
    old_state = snapshot(reference / "processed")
    run(reference, new_mirror)
    new_state = snapshot(reference / "processed")
    assert old_state != new_state

    data = tmp_path / "data"
    run(data, old_mirror)
    assert snapshot(data / "processed") == old_state
    run(data, new_mirror, kill_after=delay)
    recover(data / "processed")  # what the next run does first
    state = snapshot(data / "processed")
    assert state in (old_state, new_state), f"killed after {delay}s: a mix of two runs"


class _Killed(BaseException):
    """The run dying at a given moment (a SIGKILL, deterministically: raised, never caught)."""


@pytest.mark.parametrize("dies_at", ["last_good_state", "outputs_state"],
                         ids=["before-the-last-good-copies", "before-the-outputs-record"])
def test_a_run_killed_after_committing_its_set_is_republished_under_the_same_number(corpus_dir, tmp_path,
                                                                                    monkeypatch, dies_at):
    """The set is committed first; the records that follow it (the last good copies, the outputs
    record) may be lost with the run. The next run must see that these inputs are already
    published (the set records them), republish them under the same publishing number, and leave
    exactly what a run that was never killed leaves (document_versions included)."""
    from pipeline import run as run_module
    from pipeline.manifest import load_manifest

    documents = [d for d in load_manifest() if d.doc_id in ("esp-2021", "esp-2022")]
    old_mirror, new_mirror = tmp_path / "old", tmp_path / "new"
    old_mirror.mkdir()
    new_mirror.mkdir()
    (old_mirror / ESP_2021).write_bytes((corpus_dir / ESP_2021).read_bytes())
    for name in (ESP_2021, "2022-reports-by-esp.pdf"):
        (new_mirror / name).write_bytes((corpus_dir / name).read_bytes())

    clean = Workspace(tmp_path / "clean")
    run_pipeline(documents, clean, mirror=old_mirror)
    run_pipeline(documents, clean, mirror=new_mirror)

    paths = Workspace(tmp_path / "killed")
    run_pipeline(documents, paths, mirror=old_mirror)
    before = snapshot(paths.processed)
    real_write = run_module._write_derived_state

    def dies(write, path_or_paths, *args):
        if path_or_paths == getattr(paths, dies_at):  # the run dies as it would write this record
            raise _Killed
        return real_write(write, path_or_paths, *args)

    monkeypatch.setattr(run_module, "_write_derived_state", dies)
    with pytest.raises(_Killed):
        run_pipeline(documents, paths, mirror=new_mirror)
    monkeypatch.setattr(run_module, "_write_derived_state", real_write)
    assert snapshot(paths.processed) != before  # the new set was committed before the run died
    run_pipeline(documents, paths, mirror=new_mirror)
    assert snapshot(paths.processed) == snapshot(clean.processed)  # the set file included


def _rows(paths: Workspace, name: str) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(paths.processed / f"{name}.parquet").num_rows


def _two_from_manifest():
    from pipeline.manifest import load_manifest

    return [d for d in load_manifest() if d.doc_id in ("esp-2022", "country-2022")]


def test_run_for_one_document_keeps_every_other_documents_rows(corpus_dir, tmp_path):
    """`run --only esp-2022` rewrote every table from that one document: country_reports,
    the OJJDP tables and field_presence came out empty, with exit 0."""
    documents, paths = _two_from_manifest(), Workspace(tmp_path)
    run_pipeline(documents, paths, mirror=corpus_dir)
    countries = _rows(paths, "country_reports")
    report = run_pipeline(documents, paths, mirror=corpus_dir, only={"esp-2022"})
    assert report.exit_code == EXIT_OK
    assert _rows(paths, "country_reports") == countries == 247
    assert _rows(paths, "esp_reports") == 236
    assert {d["doc_id"]: d["status"] for d in report.documents} == {"esp-2022": "ok", "country-2022": "ok"}


def test_exit_code_of_a_no_change_run_speaks_for_the_documents_it_was_asked_for(corpus_dir, tmp_path):
    """A run whose inputs had not changed returned the exit code stored by the last writing run:
    `run --only esp-2022` exited 3 (another document missing), `--only esp-2024` (missing) 0."""
    from pipeline.manifest import load_manifest

    documents = [d for d in load_manifest() if d.doc_id in ("esp-2022", "country-2022", "esp-2024")]
    paths = Workspace(tmp_path)
    assert run_pipeline(documents, paths, mirror=corpus_dir).exit_code == EXIT_PARTIAL
    assert run_pipeline(documents, paths, mirror=corpus_dir, only={"esp-2022"}).exit_code == EXIT_OK
    assert run_pipeline(documents, paths, mirror=corpus_dir, only={"esp-2024"}).exit_code == EXIT_FAILED
    assert run_pipeline(documents, paths, mirror=corpus_dir).exit_code == EXIT_PARTIAL


def test_file_gone_from_the_mirror_keeps_the_copy_fetched_earlier(corpus_dir, tmp_path):
    """A file the mirror no longer holds became `missing` and its published rows vanished, while
    an unreachable URL keeps the copy fetched earlier; the mirror now does the same."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for doc in _two_from_manifest():
        (mirror / doc.file).write_bytes((corpus_dir / doc.file).read_bytes())
    paths = Workspace(tmp_path / "data")
    run_pipeline(_two_from_manifest(), paths, mirror=mirror)
    (mirror / "2022-reports-by-esp.pdf").unlink()
    report = run_pipeline(_two_from_manifest(), paths, mirror=mirror)
    esp = next(d for d in report.documents if d["doc_id"] == "esp-2022")
    assert esp["status"] == "ok" and "using the copy fetched earlier" in esp["message"]
    assert _rows(paths, "esp_reports") == 236
    from pipeline.run import plan_run

    plan = {step["doc_id"]: step for step in plan_run(_two_from_manifest(), paths, mirror)}
    assert plan["esp-2022"]["fetch"].endswith("use the copy fetched earlier")
    assert plan["esp-2022"]["extract"].startswith("cached")


def test_outputs_are_readable_by_other_accounts(corpus_dir, tmp_path):
    """The Parquet files came out 0600 (tempfile.mkstemp's mode): analysts on another account
    could not read the public outputs."""
    old = os.umask(0o022)
    try:
        paths = Workspace(tmp_path)
        run_pipeline(_two_from_manifest(), paths, mirror=corpus_dir)
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in paths.processed.glob("*.parquet")}
    assert modes and set(modes.values()) == {0o644}, modes
    assert {p.stat().st_mode & 0o777 for p in paths.raw.glob("*.pdf")} == {0o644}
