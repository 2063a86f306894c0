"""Fault injection: every fault is injected deterministically (a failing call via monkeypatch,
a setrlimit, a corrupt file, a local server on 127.0.0.1), never by a timer that may miss."""

from __future__ import annotations

import dataclasses
import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent


def lock_is_free(path: Path) -> bool:
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def wait_until(condition, seconds: float) -> bool:
    """Poll `condition` for at most `seconds` (a bound on the test, not the fault's trigger)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


PARENT_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from pipeline.run import run_with_time_limit
    from pipeline.workspace import Workspace

    def result_after_the_parent_dies(_, path, source_file):
        parent = os.getppid()
        print(os.getpid(), flush=True)          # the child is running: the test may kill the parent
        while os.getppid() == parent:
            time.sleep(0.01)
        return {"blob": "x" * (1 << 22)}         # more than a pipe buffer: a blocking write

    from pathlib import Path
    with Workspace(Path(sys.argv[1])).lock():
        run_with_time_limit(result_after_the_parent_dies, [(0, "x", "big.pdf")], jobs=1, time_limit=600)
""")


def test_sigkilled_parent_leaves_no_child_holding_the_lock(tmp_path):
    """kill -9 of `run` (not its group) left the extractor alive, blocked writing its result to
    a pipe nobody read and still holding data/.lock: every later run exited 4, forever."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT_SCRIPT)
    # PYTHONPATH: a script's own folder comes first on sys.path, not the cwd; this tree's pipeline
    # must be the one imported, not the one the venv has installed.
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path / "data")], cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    assert not lock_is_free(tmp_path / "data" / ".lock")
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    try:
        assert wait_until(lambda: lock_is_free(tmp_path / "data" / ".lock"), 10), \
            "the lock is still held 10 s after the parent was killed"
        assert wait_until(lambda: not _alive(child_pid), 10), "the child outlived its parent"
    finally:
        if _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] not in "ZX"
    except FileNotFoundError:
        return False


def allocate_a_lot(megabytes, path, source_file):
    blob = bytearray(megabytes * 1024 * 1024)  # what a Flate bomb does to the parser
    return {"size": len(blob)}


def test_after_last_fork_runs_once_when_every_child_is_started_and_none_after(monkeypatch):
    """The run loads pyarrow in a thread while it waits for its last workers; that thread must
    start only once no child is left to fork (a fork while another thread imports could copy a
    held lock into the child), and on a core no worker needs. With one job on two cores, the
    third child is forked as soon as the second has finished, before the parent's share of the
    second's result, and leaves a core free."""
    from pipeline.run import run_with_time_limit

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    finished, seen = [], []
    results = run_with_time_limit(allocate_a_lot, [(1, "x", f"{i}.pdf") for i in range(3)], jobs=1, time_limit=60,
                                  progress=lambda done, total, name: finished.append(name),
                                  after_last_fork=lambda: seen.append(list(finished)))
    assert seen == [["0.pdf"]]
    assert finished == ["0.pdf", "1.pdf", "2.pdf"] and all("size" in r for r in results)


def _run_when_told(directory, name, source_file):
    """A worker that starts its work only once the test creates <directory>/<name> (a handshake,
    not a timer): the order in which workers finish is the test's."""
    while not (Path(directory) / name).exists():
        time.sleep(0.005)
    return {"done": name}


def test_after_last_fork_waits_for_a_core_the_workers_leave_free(monkeypatch, tmp_path):
    """Two jobs on two cores: both cores are taken until the second-to-last worker finishes (the
    hook runs then, before the parent's share of its result). Each worker is let go when the one
    before it has finished, so the order is fixed."""
    from pipeline.run import run_with_time_limit

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    (tmp_path / "0").touch()
    finished, seen = [], []

    def progress(done, total, name):
        finished.append(name)
        (tmp_path / str(done)).touch()  # the next worker may finish now

    run_with_time_limit(_run_when_told, [(str(tmp_path), str(i), f"{i}.pdf") for i in range(3)], jobs=2,
                        time_limit=60, progress=progress, after_last_fork=lambda: seen.append(list(finished)))
    assert seen == [["0.pdf"]]


def test_with_nothing_to_run_neither_hook_runs():
    """A night with nothing new extracts nothing: the run must not load the writer for it (a
    no-change run stops before writing anything)."""
    from pipeline.run import run_with_time_limit

    seen = []
    assert run_with_time_limit(allocate_a_lot, [], jobs=2, time_limit=60, after_first_forks=lambda: seen.append(1),
                               after_last_fork=lambda: seen.append(2)) == []
    assert seen == []


def test_with_one_job_the_next_child_runs_while_the_parent_takes_its_share_of_a_result(tmp_path):
    """The parent's share of a result (caching it, publishing the document) is done while the
    next document is extracted, not before its child is forked: the worker never waits for it."""
    import multiprocessing

    from pipeline.run import run_with_time_limit

    (tmp_path / "0").touch()
    running_beside = []

    def on_result(index, result):
        running_beside.append(len(multiprocessing.active_children()))
        (tmp_path / str(index + 1)).touch()  # the next worker may finish now

    run_with_time_limit(_run_when_told, [(str(tmp_path), str(i), f"{i}.pdf") for i in range(3)], jobs=1,
                        time_limit=60, on_result=on_result)
    assert running_beside == [1, 1, 0]


def test_after_first_forks_runs_once_the_first_children_are_started_and_before_any_result(tmp_path):
    """When the workers take every core, the run loads pyarrow in its own thread while the first
    (longest) workers run: after they are forked, before anything is collected or forked again."""
    import multiprocessing

    from pipeline.run import run_with_time_limit

    finished, seen = [], []

    def progress(done, total, name):
        finished.append(name)
        (tmp_path / str(done)).touch()  # the next worker may finish now

    def first_forks():
        seen.append((len(multiprocessing.active_children()), list(finished)))
        (tmp_path / "0").touch()  # the first worker may finish now

    run_with_time_limit(_run_when_told, [(str(tmp_path), str(i), f"{i}.pdf") for i in range(3)], jobs=2,
                        time_limit=60, progress=progress, after_first_forks=first_forks)
    assert seen == [(2, [])]
    assert finished == ["0.pdf", "1.pdf", "2.pdf"]


@pytest.mark.parametrize("jobs, cores, hook", [(2, 2, "after_first_forks"), (1, 2, "after_last_fork"),
                                               (4, 2, "after_first_forks")])
def test_the_writer_loads_beside_the_workers_where_a_core_is_free_for_it(monkeypatch, tmp_path, jobs, cores, hook):
    """With a core the workers leave free, pyarrow loads in a thread beside the last; with every
    core taken, at once while the first run (`extract_all`)."""
    from pipeline import run
    from pipeline.fetch import FetchResult
    from pipeline.manifest import load_manifest
    from pipeline.workspace import Workspace

    monkeypatch.setattr("os.cpu_count", lambda: cores)
    used = []

    def run_bounded(func, args, **kw):
        used.extend(k for k in ("after_first_forks", "after_last_fork") if k in kw)
        for index in range(len(args)):
            kw["on_result"](index, {"error": "not read"})

    monkeypatch.setattr(run, "run_bounded", run_bounded)
    doc = next(d for d in load_manifest() if d.doc_id == "esp-2022")
    pdf = tmp_path / doc.file
    pdf.write_bytes(b"%PDF-1.4")
    run.extract_all([doc], {doc.doc_id: FetchResult(doc.doc_id, "ok", path=str(pdf), sha256="0" * 64)},
                    Workspace(tmp_path / "data"), jobs=jobs)
    assert used == [hook]


def test_extraction_that_needs_more_memory_than_the_limit_fails_its_document():
    """A 1 MB Flate bomb drove the extractor to 2.1 GB RSS: nothing capped the child's memory."""
    from pipeline.run import run_with_time_limit

    [result] = run_with_time_limit(allocate_a_lot, [(4096, "x", "bomb.pdf")], jobs=1, time_limit=60, memory_mb=512)
    assert result.get("error", "").startswith("bomb.pdf: the extraction needed more than the 512 MB memory limit"), result
    assert "(--memory-limit)" in result["error"]
    [fine] = run_with_time_limit(allocate_a_lot, [(64, "x", "small.pdf")], jobs=1, time_limit=60, memory_mb=512)
    assert fine["size"] == 64 * 1024 * 1024


# --- the wrong edition in a document's slot -----------------------------------------------------

def _manifest(*doc_ids):
    from pipeline.manifest import load_manifest

    return [d for d in load_manifest() if d.doc_id in doc_ids]


def _mirror(tmp_path: Path, corpus_dir: Path, files: dict[str, str]) -> Path:
    """A mirror holding, under each manifest name (key), the bytes of a corpus file (value)."""
    mirror = tmp_path / "mirror"
    mirror.mkdir(exist_ok=True)
    for name, source in files.items():
        (mirror / name).write_bytes((corpus_dir / source).read_bytes())
    return mirror


def test_a_by_country_pdf_of_2020_in_the_2021_slot_is_not_published_as_2021(corpus_dir, tmp_path):
    """The 2020 PDF saved as 2021-reports-by-country.pdf published 2020's figures labelled 2021
    (India 2,725,518 instead of 4,699,515), with only a note that the sha256 differed."""
    import pyarrow.parquet as pq

    from pipeline.run import run_pipeline

    mirror = _mirror(tmp_path, corpus_dir, {"2021-reports-by-country.pdf": "2020-reports-by-country.pdf",
                                            "2022-reports-by-country.pdf": "2022-reports-by-country.pdf"})
    paths = Workspace(tmp_path / "data")
    report = run_pipeline(_manifest("country-2021", "country-2022"), paths, mirror=mirror)
    doc = {d["doc_id"]: d for d in report.documents}["country-2021"]
    assert doc["status"] == "failed" and doc["rows"] == 0
    assert "the manifest says reports_by_country 2021" in doc["message"]
    assert "prints reports_by_country 2020 (page 1: '2020 CyberTipline Reports by Country')" in doc["message"]
    rows = pq.read_table(paths.processed / "country_reports.parquet").to_pylist()
    assert {r["year"] for r in rows} == {2022}
    assert report.exit_code == 3
    check = [c for c in report.checks if c.check == "edition_identity" and c.source_file == "2022-reports-by-country.pdf"]
    assert check and check[0].passed


def test_an_ojjdp_2022_edition_in_the_2023_slot_fails_cold_and_warm(corpus_dir, tmp_path):
    """The 2022 edition served as the 2023 one was published as edition 2023 (cold) or, with a
    warm cache, as edition 2022 twice."""
    import pyarrow.parquet as pq

    from pipeline.run import run_pipeline

    name_2022 = "OJJDP-NCMEC-Transparency_2022-Calendar-Year.pdf"
    mirror = _mirror(tmp_path, corpus_dir, {name_2022: name_2022, "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf": name_2022})
    paths = Workspace(tmp_path / "data")
    for attempt in ("cold", "warm"):
        report = run_pipeline(_manifest("ojjdp-2022", "ojjdp-2023"), paths, mirror=mirror)
        status = {d["doc_id"]: d for d in report.documents}
        assert status["ojjdp-2022"]["status"] == "ok", attempt
        assert status["ojjdp-2023"]["status"] == "failed", attempt
        message = status["ojjdp-2023"]["message"]
        assert "the manifest says ojjdp_transparency 2023" in message, (attempt, message)
        assert "ojjdp_transparency 2022 (page 1: 'CY 2022 Report to the Committees on Appropriations')" in message
        assert "its tables cover 1998-2022" in message
        editions = {r["edition"] for r in pq.read_table(paths.processed / "ojjdp_cells.parquet").to_pylist()}
        assert editions == {2022}, attempt


def test_the_extraction_cache_is_keyed_by_the_document_not_only_the_bytes(corpus_dir, tmp_path):
    """The cache was keyed by sha256 alone: the same bytes gave one document's cells to another."""
    from pipeline.fetch import FetchResult
    from pipeline.manifest import Document
    from pipeline.run import extract_all

    paths = Workspace(tmp_path)
    esp_2022 = _manifest("esp-2022")[0]
    same_bytes = Document("esp-2023", "reports_by_esp", 2023, esp_2022.file, esp_2022.url, None)
    fetched = FetchResult(esp_2022.doc_id, "ok", str(corpus_dir / esp_2022.file), "d31430fb" * 8)
    first = extract_all([esp_2022], {"esp-2022": fetched}, paths)
    second = extract_all([same_bytes], {"esp-2023": FetchResult("esp-2023", **{
        k: getattr(fetched, k) for k in ("status", "path", "sha256")})}, paths)
    assert first["esp-2022"].get("fresh") and second["esp-2023"].get("fresh")
    assert extract_all([esp_2022], {"esp-2022": fetched}, paths)["esp-2022"].get("fresh") is None


# --- state files: missing, corrupt, torn ----------------------------------------------------------

def test_304_with_no_fetch_state_keeps_the_copy_and_does_not_crash(tmp_path):
    """A 304 while data/state/fetch.json was missing (but a raw copy existed) crashed the run:
    AttributeError: 'NoneType' object has no attribute 'get'."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    from pipeline.fetch import fetch_over_http
    from pipeline.manifest import Document

    class AlwaysNotModified(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(304)
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), AlwaysNotModified)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "2022-reports-by-esp.pdf").write_bytes(b"%PDF-1.4 earlier copy\n%%EOF\n")
    doc = Document("esp-2022", "reports_by_esp", 2022, "2022-reports-by-esp.pdf",
                   f"http://127.0.0.1:{httpd.server_address[1]}/2022-reports-by-esp.pdf", None)
    try:
        result = fetch_over_http(doc, raw, frozenset({"127.0.0.1"}), None, backoff=0.01)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.status == "ok" and result.origin == "not-modified"


def test_one_documents_unexpected_fetch_error_fails_that_document_only(corpus_dir, tmp_path, monkeypatch):
    import pipeline.run as run

    real = run.fetch_from_mirror

    def odd(doc, *args, **kwargs):
        if doc.doc_id == "esp-2022":
            raise RuntimeError("an oddity nobody foresaw")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(run, "fetch_from_mirror", odd)
    report = run.run_pipeline(_manifest("esp-2022", "country-2022"), Workspace(tmp_path), mirror=corpus_dir)
    status = {d["doc_id"]: d for d in report.documents}
    assert status["esp-2022"]["status"] == "failed"
    assert "RuntimeError: an oddity nobody foresaw" in status["esp-2022"]["message"]
    assert status["country-2022"]["status"] == "ok" and report.exit_code == 3


def _corrupt_fetch(paths):
    (paths.state / "fetch.json").write_text("{not json")


def _corrupt_last_good(paths):
    (paths.state / "last_good.json").write_bytes(b"\xff\xfe garbage")


def _corrupt_outputs(paths):
    (paths.state / "outputs.json").write_text('["a list, not the record"]')


def _empty_journal(paths):
    (paths.processed / ".commit.json").write_text("")


def _truncated_cache(paths):
    entry = next(paths.cache.glob("esp-2022-*.json"))
    entry.write_text(entry.read_text()[:100])


def _truncated_page_texts(paths):
    entry = next(paths.page_texts.glob("*.json"))
    entry.write_text(entry.read_text()[:10])


@pytest.mark.parametrize("corrupt", [_corrupt_fetch, _corrupt_last_good, _corrupt_outputs, _empty_journal,
                                     _truncated_cache, _truncated_page_texts])
def test_a_corrupt_state_file_is_moved_aside_and_rebuilt(corpus_dir, tmp_path, corrupt):
    """Garbage in a state file, an empty journal or a truncated cache entry gave a JSONDecodeError
    traceback on every later run: state is derived data, rebuilt."""
    from pipeline.run import run_pipeline

    paths = Workspace(tmp_path)
    documents = _manifest("esp-2022", "country-2022")
    # document_versions counts publishing runs: a rebuild after lost state may count as one
    # (its run numbers), every other table must come back byte for byte.
    def tables():
        return {p.name: p.read_bytes() for p in paths.processed.glob("*.parquet") if p.stem != "document_versions"}

    assert run_pipeline(documents, paths, mirror=corpus_dir).exit_code == 0
    before = tables()
    corrupt(paths)
    report = run_pipeline(documents, paths, mirror=corpus_dir)
    assert report.exit_code == 0
    assert tables() == before
    aside = list(paths.root.rglob("*.corrupt-1"))
    assert len(aside) == 1, aside
    assert run_pipeline(documents, paths, mirror=corpus_dir).exit_code == 0  # and it stays healthy


# --- a commit that fails after any rename: readers never see a mix ---------------------------------

def _set(year: int, reports: int) -> dict:
    from pipeline.store import to_table

    return {"documents": to_table("documents", [{"doc_id": f"esp-{year}", "family": "reports_by_esp", "year": year,
                                                  "url": f"https://example.org/{year}.pdf", "source_file": f"{year}.pdf",
                                                  "status": "ok", "rows": 1, "origin": "manifest"}]),
            "esp_reports": to_table("esp_reports", [{"year": year, "esp": "Provider", "esp_key": "provider",
                                                      "reports": reports, "page": 2, "source_file": f"{year}.pdf",
                                                      "source_sha256": "0" * 64}]),
            "checks": to_table("checks", []), "field_presence": to_table("field_presence", [])}


def _years_seen(data_dir: Path) -> set:
    from pipeline.report import read_tables

    tables = read_tables(data_dir)
    return {*tables["documents"]["year"].tolist(), *tables["esp_reports"]["year"].tolist()}


def _commit_failing_after(monkeypatch, folder: Path, tables: dict, k: int) -> list:
    """Commit `tables`, with os.replace failing after the commit's k-th rename; return what the
    readers saw at the moment of the failure."""
    from pipeline import store

    real, done, seen = os.replace, [0], []

    def replace(src, dst):
        name = Path(dst).name
        if Path(dst).parent == folder and name != store.JOURNAL and not name.endswith(".tmp"):
            if done[0] == k:
                seen.append(_what_readers_see(folder.parent))
                raise OSError(5, "injected failure", str(dst))
            done[0] += 1
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    try:
        with pytest.raises(OSError, match="injected failure"):
            store.write_tables(tables, folder)
    finally:
        monkeypatch.setattr(os, "replace", real)
    return seen


def _what_readers_see(data_dir: Path):
    from pipeline.load import load
    from pipeline.store import OutputsUnavailable

    try:
        return {"report": _years_seen(data_dir), "load": set(load("esp_reports", data_dir=data_dir)["year"])}
    except OutputsUnavailable as err:
        return str(err)


def test_readers_never_see_a_mixed_set_whatever_rename_the_commit_fails_after(tmp_path, monkeypatch):
    """SIGKILL between two renames of a commit left a new documents.parquet beside an old
    esp_reports.parquet; load, report, diff and fields read it without noticing (report exit 0).
    Here the failure is injected after each rename in turn."""
    from click.testing import CliRunner

    from pipeline.cli import main
    from pipeline.store import recover, write_tables

    renames = len(_set(2023, 1)) + 1  # the tables and the set file
    for k in range(renames):
        data_dir = tmp_path / f"after-{k}"
        folder = data_dir / "processed"
        write_tables(_set(2022, 5), folder)
        assert _years_seen(data_dir) == {2022}
        [seen] = _commit_failing_after(monkeypatch, folder, _set(2023, 7), k)
        assert "a new output set is being published" in seen, (k, seen)
        assert _what_readers_see(data_dir) == seen                    # still refused after the failure
        for command in (["fields"], ["datasets"], ["diff", "--runs", str(data_dir), str(data_dir)]):
            result = CliRunner().invoke(main, [*command, "--data-dir", str(data_dir)] if command[0] != "diff"
                                        else command)
            assert result.exit_code != 0 and "being published" in result.output, (k, command, result.output)
        result = CliRunner().invoke(main, ["report", "--data-dir", str(data_dir)])  # under the lock: completes it
        assert result.exit_code == 0, result.output
        assert _years_seen(data_dir) == {2023}
        recover(folder)
        assert _what_readers_see(data_dir) == {"report": {2023}, "load": {2023}}


def test_a_reader_racing_a_whole_commit_reads_again(tmp_path):
    from pipeline.store import read_consistent, write_tables

    folder = tmp_path / "processed"
    write_tables(_set(2022, 5), folder)
    import pyarrow.parquet as pq

    def read(directory):
        documents = pq.read_table(directory / "documents.parquet").to_pylist()
        if not hasattr(read, "raced"):
            read.raced = True
            write_tables(_set(2023, 7), directory)   # a whole commit between the reader's two reads
        return documents[0]["year"], pq.read_table(directory / "esp_reports.parquet").to_pylist()[0]["year"]

    assert read_consistent(folder, read) == (2023, 2023)


def test_files_of_two_sets_without_a_journal_are_refused_and_the_next_run_rebuilds(corpus_dir, tmp_path):
    """A torn journal is discarded (see store.recover); were the files then of two sets, readers
    refuse them and the next run does not take them for its unchanged outputs."""
    from pipeline.load import load
    from pipeline.run import run_pipeline
    from pipeline.store import OutputsUnavailable, write_tables

    paths = Workspace(tmp_path)
    documents = _manifest("esp-2022", "country-2022")
    run_pipeline(documents, paths, mirror=corpus_dir)
    good = (paths.processed / "esp_reports.parquet").read_bytes()
    other = tmp_path / "other"
    write_tables(_set(2023, 7), other)
    os.replace(other / "esp_reports.parquet", paths.processed / "esp_reports.parquet")   # a mixed folder
    with pytest.raises(OutputsUnavailable, match="esp_reports.parquet differing from it"):
        load("documents", data_dir=tmp_path)
    report = run_pipeline(documents, paths, mirror=corpus_dir)
    assert report.written and (paths.processed / "esp_reports.parquet").read_bytes() == good
    assert len(load("esp_reports", data_dir=tmp_path)) == 236


# --- full and read-only disks ------------------------------------------------------------------------

def test_disk_full_after_the_commit_still_exits_for_what_was_published(corpus_dir, tmp_path, monkeypatch, caplog):
    """With 100 KB free the new set was committed but the run exited 1 (a state file could not
    be written after the commit)."""
    import errno

    import pipeline.run as run

    real = run.write_json_atomic

    def full_disk(path, *args, **kwargs):
        if Path(path).parent.name in ("state", "runs"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(run, "write_json_atomic", full_disk)
    paths = Workspace(tmp_path)
    report = run.run_pipeline(_manifest("esp-2022", "country-2022"), paths, mirror=corpus_dir)
    assert report.exit_code == 0 and report.written
    assert "could not be written" in caplog.text and "No space left on device" in caplog.text
    monkeypatch.setattr(run, "write_json_atomic", real)
    again = run.run_pipeline(_manifest("esp-2022", "country-2022"), paths, mirror=corpus_dir)
    assert again.exit_code == 0 and again.written     # no outputs.json: rebuilt, same bytes


def test_temporaries_a_failed_run_left_are_swept_by_the_next(corpus_dir, tmp_path):
    """raw/.*.part and state/.outputs.json.PID.tmp files survived every later run."""
    from pipeline.run import run_pipeline

    paths = Workspace(tmp_path)
    left = [paths.raw / ".2022-reports-by-esp.pdf.x1y2.part", paths.state / ".outputs.json.4242.tmp",
            paths.cache / ".entry.json.4242.tmp", paths.runs / ".20260101T000000Z-1.json.4242.tmp"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    run_pipeline(_manifest("esp-2022"), paths, mirror=corpus_dir)
    assert [p for p in left if p.exists()] == []


def test_a_full_disk_while_staging_is_one_sentence_and_exit_1(corpus_dir, tmp_path, monkeypatch):
    import errno

    from click.testing import CliRunner

    import pyarrow.parquet as pq

    from pipeline.cli import main

    def full(table, handle, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "processed"))

    monkeypatch.setattr(pq, "write_table", full)  # what pipeline.store writes every file with
    result = CliRunner().invoke(main, ["run", "-q", "--only", "esp-2022", "--data-dir", str(tmp_path),
                                       "--mirror", str(corpus_dir)])
    assert result.exit_code == 1
    assert f"Error: could not write {tmp_path / 'processed'}: No space left on device (errno 28, ENOSPC)" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "processed" / "esp_reports.parquet").exists()


# --- smaller items -------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value,expected", [
    ("doc_id", "../../x", "doc_id '../../x' is not lower-case letters"),
    ("doc_id", "", "doc_id '' is not"),
    ("year", "20x1", "expected a year such as 2024, found '20x1'"),
    ("sha256", "abc", "sha256 'abc' is not 64 hexadecimal digits"),
    ("url", "https:///no-host.pdf", "url 'https:///no-host.pdf' is not https"),
])
def test_every_manifest_field_is_validated(field, value, expected):
    """`../../x` as doc_id wrote quarantine files outside data/quarantine; an empty id was accepted."""
    from pipeline.manifest import ManifestError, parse_manifest

    row = {"doc_id": "esp-2022", "family": "reports_by_esp", "year": "2022", "file": "2022-reports-by-esp.pdf",
           "url": "https://www.missingkids.org/2022-reports-by-esp.pdf", "sha256": ""}
    with pytest.raises(ManifestError, match="manifest line 2"):
        parse_manifest([{**row, field: value}])
    with pytest.raises(ManifestError) as err:
        parse_manifest([{**row, field: value}])
    assert expected in str(err.value)


def test_outputs_do_not_depend_on_where_the_mirror_lives(corpus_dir, tmp_path):
    """The mirror path inside messages made documents.parquet differ between two mirrors holding
    the same files."""
    from pipeline.run import run_pipeline

    documents = _manifest("esp-2022", "country-2022")
    outputs = []
    for where in ("one", "elsewhere/two"):
        mirror = tmp_path / where / "mirror"
        mirror.mkdir(parents=True)
        (mirror / "2022-reports-by-esp.pdf").write_bytes((corpus_dir / "2022-reports-by-esp.pdf").read_bytes())
        (mirror / "2022-reports-by-country.pdf").write_bytes(b"<html>not a pdf</html>")
        paths = Workspace(tmp_path / where / "data")
        report = run_pipeline(documents, paths, mirror=mirror)
        assert str(mirror) not in str(report.documents)
        outputs.append((paths.processed / "documents.parquet").read_bytes())
    assert outputs[0] == outputs[1]


def test_the_newest_run_is_the_highest_sequence_not_the_latest_clock(corpus_dir, tmp_path):
    """A run manifest dated in the future (clock skew) was taken as the newest run by `report`."""
    import json

    from pipeline.report import latest_run
    from pipeline.run import run_pipeline

    paths = Workspace(tmp_path)
    run_pipeline(_manifest("esp-2022"), paths, mirror=corpus_dir)
    skewed = paths.runs / "29991231T235959Z-1.json"
    skewed.write_text(json.dumps({**json.loads(next(paths.runs.glob("2*.json")).read_text()), "run_id": "skewed"}))
    run_pipeline(_manifest("esp-2022", "country-2022"), paths, mirror=corpus_dir)
    newest = latest_run(tmp_path)
    assert newest["run_id"] != "skewed" and newest["sequence"] == 2
    assert {d["doc_id"] for d in newest["documents"]} == {"esp-2022", "country-2022"}


# --- what a failed document keeps ------------------------------------------------------------------

OJJDP_2022 = "OJJDP-NCMEC-Transparency_2022-Calendar-Year.pdf"
OJJDP_2023 = "OJJDP-NCMEC-Transparency-CY-2023-Report.pdf"


def test_two_runs_in_the_same_second_keep_two_manifests_and_two_output_sets(corpus_dir, tmp_path, monkeypatch):
    """The run id was the second and the process id: two runs of one process within a second
    (fast once the parser was) shared it, and the second overwrote the first's manifest and kept
    outputs, so `diff --runs last` found one run. The clock is held still to make it certain."""
    import time as clock

    from pipeline.run import run_pipeline

    frozen = clock.gmtime()
    monkeypatch.setattr(clock, "gmtime", lambda *_: frozen)
    paths = Workspace(tmp_path)
    run_pipeline(_manifest("esp-2022"), paths, mirror=corpus_dir)
    run_pipeline(_manifest("esp-2022", "country-2022"), paths, mirror=corpus_dir)
    manifests = sorted(paths.runs.glob("*.json"))
    assert len(manifests) == 2
    assert len({p.stem for p in manifests}) == 2
    assert sorted(p.name for p in paths.runs.iterdir() if p.is_dir()) == sorted(p.stem for p in manifests)


def test_a_failed_ojjdp_edition_keeps_its_ojjdp_tables_rows(corpus_dir, tmp_path):
    """A failed OJJDP edition lost its ojjdp_tables rows while its last good cells were kept."""
    import pyarrow.parquet as pq

    from pipeline.run import run_pipeline

    mirror = _mirror(tmp_path, corpus_dir, {OJJDP_2022: OJJDP_2022, "2022-reports-by-esp.pdf": "2022-reports-by-esp.pdf"})
    paths = Workspace(tmp_path / "data")
    documents = _manifest("ojjdp-2022", "esp-2022")   # esp-2022 stays good: the outputs are rewritten
    assert run_pipeline(documents, paths, mirror=mirror).exit_code == 0
    before = {name: pq.read_table(paths.processed / f"{name}.parquet").to_pylist() for name in ("ojjdp_cells", "ojjdp_tables")}
    assert before["ojjdp_tables"]
    _mirror(tmp_path, corpus_dir, {OJJDP_2022: OJJDP_2023})       # passes the fetch checks, then fails
    report = run_pipeline(documents, paths, mirror=mirror)
    doc = {d["doc_id"]: d for d in report.documents}["ojjdp-2022"]
    assert doc["status"] == "failed" and "kept the" in doc["message"] and report.written
    after = {name: pq.read_table(paths.processed / f"{name}.parquet").to_pylist() for name in ("ojjdp_cells", "ojjdp_tables")}
    assert after == before


def test_the_last_good_raw_file_is_kept_until_a_new_one_is_published(corpus_dir, tmp_path):
    """A PDF that passed the fetch checks but then failed replaced the good raw copy, so the
    last good rows lived only in the cache."""
    from pipeline.run import run_pipeline

    name = "2022-reports-by-country.pdf"
    mirror = _mirror(tmp_path, corpus_dir, {name: name})
    paths = Workspace(tmp_path / "data")
    documents = _manifest("country-2022")
    run_pipeline(documents, paths, mirror=mirror)
    good = (corpus_dir / name).read_bytes()
    _mirror(tmp_path, corpus_dir, {name: "2020-reports-by-country.pdf"})   # the wrong edition: fails
    assert run_pipeline(documents, paths, mirror=mirror).documents[0]["status"] == "failed"
    assert (paths.last_good_raw / name).read_bytes() == good
    assert run_pipeline(documents, paths, mirror=mirror).documents[0]["status"] == "failed"   # and stays
    assert (paths.last_good_raw / name).read_bytes() == good
    _mirror(tmp_path, corpus_dir, {name: name})
    assert run_pipeline(documents, paths, mirror=mirror).exit_code == 0
    assert not (paths.last_good_raw / name).exists() and (paths.raw / name).read_bytes() == good


# --- hostile servers (127.0.0.1 only) ------------------------------------------------------------------

class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 answering GET with `handler(request)`."""

    def __init__(self, do_get):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import threading

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                do_get(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/2022-reports-by-esp.pdf"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _http_doc(url):
    from pipeline.manifest import Document

    return Document("esp-2022", "reports_by_esp", 2022, "2022-reports-by-esp.pdf", url, None)


def test_a_server_dripping_bytes_meets_the_whole_download_deadline(tmp_path):
    """The timeout was per read: one byte every few seconds held the run indefinitely."""
    from pipeline.fetch import fetch_over_http

    stop = []

    def drip(request):
        request.send_response(200)
        request.send_header("Content-Length", "1000000")
        request.end_headers()
        request.wfile.write(b"%PDF-")
        while not stop:            # one byte at a time, forever: only a deadline ends it
            try:
                request.wfile.write(b"x")
                request.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)

    with _Server(drip) as server:
        started = time.monotonic()
        result = fetch_over_http(_http_doc(server.url), tmp_path, frozenset({"127.0.0.1"}), timeout=5, deadline=1)
        stop.append(True)
    assert time.monotonic() - started < 10
    assert result.status == "missing"
    assert "the download took longer than its 1s deadline" in result.message
    assert list(tmp_path.iterdir()) == []            # no .part left behind


def test_429_with_retry_after_is_retried(corpus_dir, tmp_path):
    from pipeline.fetch import fetch_over_http

    body, asked = (corpus_dir / "2022-reports-by-esp.pdf").read_bytes(), []

    def busy_then_fine(request):
        asked.append(request.path)
        if len(asked) == 1:
            request.send_response(429)
            request.send_header("Retry-After", "0")
            request.end_headers()
            return
        request.send_response(200)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    with _Server(busy_then_fine) as server:
        result = fetch_over_http(_http_doc(server.url), tmp_path, frozenset({"127.0.0.1"}), backoff=0.01)
    assert result.status == "ok" and len(asked) == 2


def test_an_https_to_http_redirect_on_the_same_host_is_refused():
    import urllib.request

    from pipeline.fetch import FetchError, _AllowListRedirects

    handler = _AllowListRedirects(frozenset({"www.missingkids.org"}))
    request = urllib.request.Request("https://www.missingkids.org/x.pdf")
    with pytest.raises(FetchError, match="from https to http \\(a downgrade\\); refused"):
        handler.redirect_request(request, None, 302, "Found", {}, "http://www.missingkids.org/x.pdf")
    assert handler.redirect_request(request, None, 302, "Found", {}, "https://www.missingkids.org/y.pdf")


def test_a_mirror_file_over_the_size_limit_is_refused_before_any_check(corpus_dir, tmp_path):
    """A 300 MB mirror file kept the fetch stage at 98% CPU for over 6 minutes: no size limit."""
    from pipeline.fetch import fetch_from_mirror

    doc = _manifest("esp-2022")[0]
    result = fetch_from_mirror(doc, corpus_dir, tmp_path / "raw", tmp_path / "quarantine", max_bytes=100_000)
    assert result.status == "failed"
    assert result.message == "2022-reports-by-esp.pdf in the mirror: 134,135 bytes, more than the 100,000 byte limit"
    assert not (tmp_path / "raw" / doc.file).exists()


def _check_that_runs_away(path, what):
    time.sleep(60)


def _check_that_allocates(path, what):
    bytearray(4096 * 1024 * 1024)


@pytest.mark.parametrize("check,expected", [
    (_check_that_runs_away, "PDF check took longer than the 1s limit"),
    (_check_that_allocates, "the PDF check needed more than the 256 MB memory limit"),
])
def test_the_fetch_stage_pdf_check_is_bounded_in_time_and_memory(corpus_dir, tmp_path, monkeypatch, check, expected):
    """A 1.3 MB PDF with 150,000 pages took 25 s and 572 MB in the fetch stage even with
    --time-limit 5: the structure check ran in the parent, unbounded."""
    import pipeline.fetch as fetch

    monkeypatch.setattr(fetch, "check_pdf_structure", check)   # the forked child runs it
    started = time.monotonic()
    # Bytes the manifest does not record (a revised edition, say): the only ones checked.
    unrecorded = dataclasses.replace(_manifest("esp-2022")[0], sha256=None)
    result = fetch.fetch_from_mirror(unrecorded, corpus_dir, tmp_path / "raw", None,
                                     time_limit=1, memory_mb=256)
    assert time.monotonic() - started < 30
    assert result.status == "failed" and expected in result.message, result.message


def test_edition_check_blocks_a_contradiction_and_only_notes_a_missing_title():
    from pipeline.identify import check_edition

    wrong = check_edition("reports_by_esp", 2024, "x.pdf", ["2023 CyberTipline Reports by\nElectronic Service Providers (ESP)"])
    assert wrong.blocking and not wrong.passed and "prints reports_by_esp 2023 (page 1:" in wrong.message
    other = check_edition("reports_by_esp", 2023, "x.pdf", ["2023 CyberTipline Reports\nby Country"])
    assert other.blocking and not other.passed and "prints reports_by_country 2023" in other.message
    untitled = check_edition("reports_by_esp", 2024, "x.pdf", ["ESP Reports\nSomeone 12"])
    assert not untitled.blocking and not untitled.passed and "unconfirmed" in untitled.message
    right = check_edition("ojjdp_transparency", 2023, "x.pdf", ["CY 2023 Report to the Committees on Appropriations"],
                          [2021, 2022, 2023])
    assert right.passed
    stale_tables = check_edition("ojjdp_transparency", 2023, "x.pdf",
                                 ["CY 2023 Report to the Committees on Appropriations"], [2020, 2022])
    assert stale_tables.blocking and "its tables cover 2020-2022" in stale_tables.message


def test_the_structure_check_is_skipped_only_for_the_manifests_own_bytes(corpus_dir, tmp_path, monkeypatch):
    """A file whose sha256 is the manifest's is the edition the readers were built on: its PDF
    structure check (a forked child per file) is skipped. The same bytes under a document whose
    manifest records no sha256, or other bytes, are still checked."""
    from dataclasses import replace

    from pipeline import fetch

    checked = []
    monkeypatch.setattr(fetch, "check_pdf_structure_bounded", lambda path, what, **_: checked.append(what) or 6)
    known = _manifest("esp-2022")[0]
    assert known.sha256
    assert fetch.fetch_from_mirror(known, corpus_dir, tmp_path / "a").status == "ok"
    assert checked == []
    unknown = replace(known, sha256=None)
    assert fetch.fetch_from_mirror(unknown, corpus_dir, tmp_path / "b").status == "ok"
    assert checked == ["2022-reports-by-esp.pdf in the mirror"]
    other = _mirror(tmp_path, corpus_dir, {"2022-reports-by-esp.pdf": "2021-reports-by-esp.pdf"})
    assert fetch.fetch_from_mirror(known, other, tmp_path / "c").status == "ok"
    assert checked == ["2022-reports-by-esp.pdf in the mirror"] * 2


def test_an_error_handling_one_result_stops_the_other_workers(tmp_path):
    """A document's result is cached as it arrives, while other workers run: an error there (a
    full disk) must not leave them running behind the failed run. The second worker is held
    until the test's handshake file appears, which never happens: it is still running when the
    first result fails, and must be gone when the error comes out."""
    import errno

    from pipeline.run import run_with_time_limit

    (tmp_path / "0").touch()
    started = []

    def fail(index, result):
        started.extend(multiprocessing_children())
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        run_with_time_limit(_run_when_told, [(str(tmp_path), str(i), f"{i}.pdf") for i in range(2)], jobs=2,
                            time_limit=60, on_result=fail)
    assert started  # the held worker was running when the error came
    assert multiprocessing_children() == []


def multiprocessing_children() -> list:
    import multiprocessing

    return [p for p in multiprocessing.active_children() if p.is_alive()]


def test_a_night_with_nothing_new_links_no_last_good_copy_and_rewrites_no_fetch_state(corpus_dir, tmp_path,
                                                                                         monkeypatch):
    """Every run linked the last good copy of each unchanged raw file (an fsync each), then
    released it at the end, and rewrote the same fetch state: ten fsyncs a night for nothing.
    Now the copy is kept only just before a fetch replaces the file."""
    from pipeline import last_good
    from pipeline.run import run_pipeline

    documents = _manifest("esp-2022", "country-2022")
    paths = Workspace(tmp_path)
    run_pipeline(documents, paths, mirror=corpus_dir)
    state = paths.fetch_state.stat().st_ino  # an atomic rewrite renames a new file (inode) into place
    kept = []
    monkeypatch.setattr(last_good, "keep_copy", lambda source, target: kept.append(target))
    assert run_pipeline(documents, paths, mirror=corpus_dir).exit_code == 0
    assert kept == []
    assert paths.fetch_state.stat().st_ino == state


def test_caches_are_written_without_fsync_and_state_and_kept_sets_with_it(tmp_path, monkeypatch):
    """A cache (extraction, page texts) may be lost or torn by a power loss and is then redone:
    it costs no fsync (a cold run wrote 20 of them, 40 fsyncs). State files stay durable, and a
    kept output set's links cost one folder fsync, not one per file."""
    from pipeline.extract.cache import cache_page_texts, cached_page_texts
    from pipeline.history import keep_output_set
    from pipeline.workspace import Workspace, write_json_atomic

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    paths = Workspace(tmp_path / "data")
    cache_page_texts(paths.page_texts, "a" * 64, ["page one", "page two"])
    assert synced == [] and cached_page_texts(paths, "a" * 64) == ["page one", "page two"]
    write_json_atomic(tmp_path / "state.json", {"x": 1})
    assert len(synced) == 2  # the file, then its folder
    outputs = [tmp_path / f"{name}.parquet" for name in "abc"]
    for path in outputs:
        path.write_bytes(b"PAR1")
    synced.clear()
    kept = keep_output_set(tmp_path / "runs", "run-1", [str(p) for p in outputs])
    assert len(synced) == 1 and sorted(p.name for p in kept.iterdir()) == ["a.parquet", "b.parquet", "c.parquet"]
