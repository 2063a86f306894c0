"""Command line: `ncmec-pipeline run` nightly; each stage also runs alone.

A thin layer over the library (sqlite-utils style): each command parses its options, calls one
function of the pipeline (`pipeline.run`, `pipeline.discover`, `pipeline.diff`, ...) and prints
what it returns. Errors are `click.ClickException`s with the exit codes of `pipeline.exits`.
Only click and the light modules are imported here: pandas, pyarrow and pdfplumber load inside
the commands that use them, so `--help` and `--version` answer at once.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import click

from pipeline import __version__
from pipeline.exits import EXIT_DIFFERENT, EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from pipeline.families import FAMILIES
from pipeline.logs import iso_time, log_run_summary
from pipeline.manifest import ManifestError, load_documents
from pipeline.sandbox import DOCUMENT_TIME_LIMIT, MEMORY_LIMIT_MB
from pipeline.workspace import LockHeld, Workspace

log = logging.getLogger("pipeline")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the structured fields a stage attaches (stage, doc_id, status,
    sha256, seconds) are kept as keys so a log collector can filter on them."""

    FIELDS = ("stage", "doc_id", "status", "sha256", "seconds", "event", "command", "exit_code", "documents",
              "blocking_failures", "findings")

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": iso_time(record.created), "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        entry.update({k: getattr(record, k) for k in self.FIELDS if getattr(record, k, None) is not None})
        return json.dumps(entry)


def configure_logging(quiet: bool, verbose: bool, log_format: str) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("pdfminer").setLevel(logging.WARNING)


manifest_option = click.option(
    "--manifest", "manifest_path", type=click.Path(dir_okay=False, path_type=Path), envvar="NCMEC_MANIFEST",
    default=None, help="Manifest CSV to use instead of the packaged pipeline/data/manifest.csv (env NCMEC_MANIFEST); "
                       "the hosts it names are the only ones contacted.")


def read_documents(manifest_path: Path | None, paths: Workspace):
    """The manifest and the overlay of discovered documents, or a sentence saying what is wrong."""
    try:
        return load_documents(manifest_path, paths.discovered)
    except ManifestError as err:
        raise click.ClickException(str(err)) from None


def data_options(func):
    """--data-dir, --manifest, logging and selection options shared by every command that touches data."""
    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"),
                  show_default=True, envvar="NCMEC_DATA_DIR",
                  help="Folder holding raw/, processed/, cache/, state/ (env NCMEC_DATA_DIR).")
    @manifest_option
    @click.option("--only", multiple=True, metavar="DOC_ID",
                  help="Limit to these documents of the manifest or the overlay (e.g. esp-2023); repeatable.")
    @click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
    @click.option("--verbose", "-v", is_flag=True, help="Debug logging.")
    @click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @functools.wraps(func)
    def wrapper(*args, data_dir, manifest_path, only, quiet, verbose, log_format, **kwargs):
        if quiet and verbose:
            raise click.UsageError("--quiet and --verbose contradict each other: choose one")
        configure_logging(quiet, verbose, log_format)
        context = click.get_current_context()
        context.meta.update(quiet=quiet, started=time.perf_counter(), command=context.info_name)
        paths = Workspace(data_dir)
        documents = read_documents(manifest_path, paths)
        if only:
            unknown = sorted(set(only) - {d.doc_id for d in documents})
            if unknown:
                raise click.BadParameter(f"not in the manifest: {', '.join(unknown)} (nor in the overlay "
                                         f"{paths.discovered}); valid ids: {', '.join(d.doc_id for d in documents)}",
                                         param_hint="--only")
        return func(*args, paths=paths, documents=documents, only=set(only) or None,
                    manifest_path=manifest_path, **kwargs)
    return wrapper



mirror_option = click.option(
    "--mirror", type=click.Path(file_okay=False, path_type=Path), envvar="NCMEC_MIRROR", default=None,
    help="Read the PDFs from this folder instead of the official URLs (env NCMEC_MIRROR).")
jobs_option = click.option("--jobs", "-j", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
                           show_default="number of cores", help="Documents extracted in parallel.")
index_url_option = click.option(
    "--index-url", "index_urls", multiple=True, metavar="URL",
    help="Index page to read instead of those in pipeline/data/index_pages.csv; repeatable.")
time_limit_option = click.option("--time-limit", type=click.FloatRange(1, 3600), default=DOCUMENT_TIME_LIMIT,
                                 show_default=True, metavar="SECONDS",
                                 help="Stop a document's extraction after this long (a runaway parse).")
memory_limit_option = click.option("--memory-limit", "memory_mb", type=click.IntRange(0, 1 << 20),
                                   default=MEMORY_LIMIT_MB, show_default=True, metavar="MB",
                                   help="Address space one document's extraction may use (0: no limit).")



def echo_records(records: list[dict], fmt: str) -> None:
    """Plain records as JSON (a list) or CSV (a header row), for the machine formats."""
    if fmt == "json":
        click.echo(json.dumps(records, indent=2, ensure_ascii=False, default=str))
        return
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records[0]) if records else [], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in records)
    click.echo(out.getvalue(), nl=False)


format_option = click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "markdown"]),
                             default="text", show_default=True, help="Output format.")


def terminal_progress(done: int, total: int, source_file: str) -> None:
    """A one-line progress display, only when stderr is a terminal and logging is not quiet."""
    if sys.stderr.isatty() and logging.getLogger().level <= logging.INFO:
        end = "\n" if done == total else ""
        click.echo(f"\rextracted {done}/{total}: {source_file[:50]:<50}", err=True, nl=False)
        click.echo(end, err=True, nl=False)


def quiet() -> bool:
    """`--quiet`: warnings only, and no table on stdout (cron mails stdout)."""
    context = click.get_current_context(silent=True)
    return bool(context and context.meta.get("quiet"))


def summarise(statuses, code: int, seconds: float | None = None, **counts) -> None:
    """The closing `run_summary` log event of a data command (see `pipeline.logs`)."""
    meta = click.get_current_context().meta
    log_run_summary(meta.get("command", "?"), statuses, code,
                    seconds if seconds is not None else time.perf_counter() - meta.get("started", time.perf_counter()),
                    **counts)


def print_documents(records: list[dict], documents) -> None:
    """One line per document, in manifest order (then the overlay's); nothing with --quiet."""
    if quiet():
        return
    order = {doc.doc_id: i for i, doc in enumerate(documents)}
    for doc in sorted(records, key=lambda d: order.get(d["doc_id"], len(order))):
        line = f"{doc['status']:<8} {doc['doc_id']:<14} rows={doc['rows']:<5}"
        if doc.get("message"):
            line += f" {doc['message']}"
        click.echo(line)


class Locked(click.ClickException):
    """Another run holds the lock on the data directory: nothing was done (exit 4)."""

    exit_code = EXIT_LOCKED


class CouldNotWrite(click.ClickException):
    """A read-only or full disk: one sentence naming the path and errno, not a traceback (exit 1)."""

    exit_code = EXIT_FAILED


class DiffFailed(click.ClickException):
    """A diff that could not be made exits 2, like `git diff --exit-code` on an error."""

    exit_code = EXIT_USAGE


def finish(code: int):
    """End the command with `code` (pipeline.exits): the outcome, not an error."""
    click.get_current_context().exit(code)


def readable(read):
    """`read()`, with an output set being replaced (store.OutputsUnavailable) said in a sentence."""
    from pipeline.store import OutputsUnavailable

    try:
        return read()
    except OutputsUnavailable as err:
        raise click.ClickException(str(err)) from None


def with_lock(paths: Workspace, action):
    """`action()` under the data directory's lock."""
    try:
        with paths.lock():
            return action()
    except LockHeld as err:
        raise Locked(str(err)) from None
    except OSError as err:
        raise CouldNotWrite(os_error_sentence(err)) from None


def os_error_sentence(err: OSError) -> str:
    """What failed, where, and the errno, e.g. 'could not write data/raw/x.pdf: No space left on
    device (errno 28, ENOSPC)'; a commit cut short is completed by the next run."""
    import errno as errnos

    name = errnos.errorcode.get(err.errno, "?") if err.errno else None
    where = f" {err.filename}" if err.filename else ""
    return (f"could not write{where}: {err.strerror or err}" + (f" (errno {err.errno}, {name})" if name else "")
            + "; outputs already published stay as they are (a commit cut short is completed by the next run)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]},
             epilog="\b\nExample: ncmec-pipeline run --mirror ../shared/ncmec")
@click.version_option(__version__, prog_name="ncmec-pipeline")
def main():
    """Turn NCMEC's CyberTipline and OJJDP transparency PDFs into validated Parquet."""


@main.command(epilog="\b\nExample: ncmec-pipeline run --mirror ../shared/ncmec --jobs 2")
@data_options
@mirror_option
@jobs_option
@time_limit_option
@memory_limit_option
@click.option("--dry-run", is_flag=True, help="Show what would be fetched and rebuilt; change nothing.")
@click.option("--discover", "do_discover", is_flag=True,
              help="First read NCMEC's data pages for new editions (as `discover`), then run over them too.")
@index_url_option
def run(paths, documents, only, manifest_path, mirror, jobs, time_limit, memory_mb, dry_run, do_discover, index_urls):
    """Fetch, extract, validate and store every document of the manifest and the overlay.

    With --discover, `discover` runs first (under the same lock) and the documents it finds are
    fetched, extracted, validated and published like the others. With --only, just those
    documents are fetched and extracted; the outputs keep every other document as earlier runs
    left it, and the exit code speaks for the selected ones."""
    from pipeline.discover import discover_and_record, render_findings
    from pipeline.run import plan_run, planned_exit_code, run_pipeline, selected_documents, selected_records
    from pipeline.store import without_pandas
    from pipeline.validate.findings import kind_counts, summary_phrase

    without_pandas()  # this command writes tables and converts no pandas object (store.arrow)

    if do_discover:
        discovery = with_lock(paths, lambda: discover_and_record(paths, manifest_path, documents, index_urls,
                                                                 dry_run=dry_run))
        click.echo(render_findings(discovery), nl=False)
        documents = read_documents(manifest_path, paths) if not dry_run else [*documents, *discovery.added()]
    if dry_run:
        steps = plan_run(selected_documents(documents, only), paths, mirror)
        for step in steps:
            click.echo(f"{step['doc_id']:<14} {step['fetch']}; {step['extract']}")
        finish(planned_exit_code(steps))
    report = with_lock(paths, lambda: run_pipeline(documents, paths, mirror=mirror, jobs=jobs, time_limit=time_limit,
                                                   progress=terminal_progress, only=only, memory_mb=memory_mb))
    shown = selected_records(report.documents, only)
    print_documents(shown, documents)
    files = {d["source_file"] for d in shown}
    blocking = [c for c in report.checks if c.blocking and not c.passed and c.source_file in files]
    findings = [c for c in report.checks if c.in_source and not c.passed and c.source_file in files]
    others = len(report.documents) - len(shown)
    summarise([d["status"] for d in shown], report.exit_code, report.timings["total"],
              blocking_failures=len(blocking), findings=len(findings))
    if quiet():
        finish(report.exit_code)
    unsupported = sum(d["status"] == "unsupported" for d in shown)
    click.echo(f"{sum(d['status'] == 'ok' for d in shown)}/{len(shown) - unsupported} documents ok; "
               + (f"{unsupported} unsupported (recorded, not read); " if unsupported else "") +
               f"{len(blocking)} blocking check failure(s); {summary_phrase(kind_counts(findings))}; "
               f"{report.timings['total']:.1f}s"
               + (f" ({others} other documents not re-run: as earlier runs left them, see documents.parquet)"
                  if others else ""))
    finish(report.exit_code)


@main.command(epilog="\b\nExample: ncmec-pipeline fetch --only esp-2023 --mirror ../shared/ncmec")
@data_options
@mirror_option
def fetch(paths, documents, only, manifest_path, mirror):
    """Download (or copy from --mirror) every document into data/raw/ (unsupported ones are not fetched)."""
    from pipeline.run import fetch_documents, fetch_exit_code, selected_documents

    documents = [d for d in selected_documents(documents, only) if d.supported]
    results = with_lock(paths, lambda: fetch_documents(documents, paths, mirror))
    for doc in documents if not quiet() else ():
        r = results[doc.doc_id]
        click.echo(f"{r.status:<8} {doc.doc_id:<14} {r.bytes or '':>9} {(r.sha256 or '')[:12]} {r.message}")
    code = fetch_exit_code(results)
    summarise([r.status for r in results.values()], code)
    finish(code)


@main.command(epilog="\b\nExample: ncmec-pipeline extract --only ojjdp-2023")
@data_options
@jobs_option
@time_limit_option
@memory_limit_option
def extract(paths, documents, only, manifest_path, jobs, time_limit, memory_mb):
    """Extract every fetched document (cached by sha256) into data/cache/."""
    from pipeline.run import extract_documents, extract_exit_code, selected_documents

    documents = [d for d in selected_documents(documents, only) if d.supported]
    extractions = with_lock(paths, lambda: extract_documents(documents, paths, jobs=jobs, time_limit=time_limit,
                                                             memory_mb=memory_mb))
    statuses = []
    for doc in documents:
        if doc.doc_id not in extractions:
            statuses.append("skipped")
            if not quiet():
                click.echo(f"{'skipped':<8} {doc.doc_id:<14} not fetched")
            continue
        error = extractions[doc.doc_id].get("error")
        statuses.append("failed" if error else "ok")
        size = 0 if error else FAMILIES[doc.family].rows_read(extractions[doc.doc_id])
        if not quiet():
            click.echo(f"{'failed' if error else 'ok':<8} {doc.doc_id:<14} {error or f'{size} rows'}")
    code = extract_exit_code(documents, extractions)
    summarise(statuses, code)
    finish(code)


def check_mark(check) -> str:
    return "PASS" if check.passed else ("FAIL" if check.blocking else
                                        (check.kind or "finding").upper() if check.in_source else "NOTE")


@main.command(epilog="\b\nExample: ncmec-pipeline validate --only ojjdp-2023 --failures-only")
@data_options
@format_option
@click.option("--failures-only", is_flag=True, help="Only the checks that did not pass.")
def validate(paths, documents, only, manifest_path, fmt, failures_only):
    """Normalize and validate the extracted documents; print every check.

    Writes nothing: it reads what `fetch` and `extract` left (a document not extracted yet says
    so) and takes no lock."""
    from dataclasses import asdict

    from pipeline.run import exit_code_for, selected_documents, selected_records, validate_documents

    try:
        out = validate_documents(documents, paths)
    except OSError as err:
        raise CouldNotWrite(os_error_sentence(err)) from None
    files = {d.file for d in selected_documents(documents, only)}
    checks = [c for c in out.checks if c.source_file in files and not (failures_only and c.passed)]
    shown = selected_records(out.documents, only)
    if fmt in ("json", "csv"):
        echo_records([asdict(c) for c in checks], fmt)
    elif fmt == "markdown":
        click.echo("| result | document | check | page | expected | found | message |\n|---|---|---|---|---|---|---|")
        for c in checks:
            cells = (check_mark(c), c.source_file, c.check, c.page or "", c.expected or "", c.actual or "", c.message)
            click.echo("| " + " | ".join(str(x).replace("|", "\\|") for x in cells) + " |")
    else:
        for check in checks:
            click.echo(f"{check_mark(check)} {check.source_file} {check.check}: {check.message}")
        print_documents(shown, documents)
    summarise([d["status"] for d in shown], exit_code_for(shown))
    finish(exit_code_for(shown))


@main.command(epilog="\b\nExample: ncmec-pipeline store --data-dir data")
@data_options
def store(paths, documents, only, manifest_path):
    """Write the Parquet outputs from the extracted documents, as `run` publishes them (every
    document: --only selects what is printed and what the exit code speaks for, never what the
    outputs hold); when no document can be published the outputs stay as they are."""
    from pipeline.run import exit_code_for, selected_records, store_documents
    from pipeline.store import without_pandas

    without_pandas()  # this command writes tables and converts no pandas object (store.arrow)
    out = with_lock(paths, lambda: store_documents(documents, paths))
    shown = selected_records(out.documents, only)
    print_documents(shown, documents)
    summarise([d["status"] for d in shown], exit_code_for(shown))
    finish(exit_code_for(shown))


@main.command(epilog="\b\nExample: ncmec-pipeline discover --dry-run")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"),
              show_default=True, envvar="NCMEC_DATA_DIR", help="Folder whose state/discovered.csv is the overlay.")
@manifest_option
@index_url_option
@click.option("--dry-run", is_flag=True, help="Print what was found; write nothing.")
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--verbose", "-v", is_flag=True, help="Debug logging.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def discover(data_dir, manifest_path, index_urls, dry_run, quiet, verbose, log_format):
    """Find new editions on NCMEC's data pages and record them in data/state/discovered.csv.

    Every PDF link of the index pages (pipeline/data/index_pages.csv, or --index-url) is
    classified by pipeline/data/discovery_patterns.csv and printed as new (a family we read, not
    in the manifest), known, unsupported (a family we have no reader for: recorded too) or refused
    (a host the manifest does not name: never fetched). Exit 0, or 1 when no index page could be read."""
    from pipeline.discover import discover_and_record, render_findings

    configure_logging(quiet, verbose, log_format)
    paths = Workspace(data_dir)
    documents = read_documents(manifest_path, paths)
    result = with_lock(paths, lambda: discover_and_record(paths, manifest_path, documents, index_urls,
                                                          dry_run=dry_run))
    click.echo(render_findings(result), nl=False)
    if dry_run:
        click.echo("dry run: nothing written")
    elif result.added():
        click.echo(f"wrote {len(result.added())} document(s) to {paths.discovered}")
    finish(EXIT_OK if result.pages_read else EXIT_FAILED)


# --- reading the outputs: report, datasets ----------------------------------------------------

outputs_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"), show_default=True,
    envvar="NCMEC_DATA_DIR", help="Folder holding processed/ (env NCMEC_DATA_DIR).")


EXPLAINED_FAMILIES = tuple(FAMILIES)  # every family's reader draws its reading


@main.command(epilog="\b\nExample: ncmec-pipeline explain country-2024 --page 3")
@click.argument("target")
@click.option("--page", "pages", type=int, multiple=True, metavar="N", help="Only this page; repeatable.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the drawn pages (default: DATA_DIR/explain/).")
@click.option("--family", type=click.Choice(EXPLAINED_FAMILIES), default=None,
              help="The family of a PDF path (a DOC_ID's family comes from the manifest).")
@click.option("--edition", type=int, default=None,
              help="The edition year of an OJJDP PDF path (a DOC_ID's comes from the manifest).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"),
              show_default=True, envvar="NCMEC_DATA_DIR", help="Folder holding raw/ (the fetched PDFs).")
@manifest_option
@mirror_option
def explain(target, pages, output, family, edition, data_dir, manifest_path, mirror):
    """Show on the page how a reader reads a document, or why it refuses it.

    TARGET is a DOC_ID of the manifest or the overlay (its fetched copy in DATA_DIR/raw/, else the
    mirror's) or the path of a PDF (with --family; an OJJDP one with --edition too). For a list,
    prints the reading page by page (header bands, column roles, row bounds, rows, near-miss
    headers, the refusal); for an OJJDP edition, the table grids and the table ids read on each
    page. Writes each page as a PNG with all of it drawn over the page. Exits 0 when the document
    is read, 3 when the reader refuses it.
    """
    from pipeline.explain import explain_document

    documents = read_documents(manifest_path, Workspace(data_dir))
    try:
        result = explain_document(target, documents, Workspace(data_dir), family=family, edition=edition,
                                  mirror=mirror, pages=list(pages) or None, output=output)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    click.echo("\n".join(result.lines))
    for image in result.images:
        click.echo(f"wrote {image}")
    finish(EXIT_REFUSED if result.refusal else EXIT_OK)


def _require_outputs(data_dir: Path) -> None:
    if not Workspace(data_dir).table("documents").is_file():
        raise click.ClickException(f"no pipeline outputs in {Workspace(data_dir).processed}: "
                                   "run `ncmec-pipeline run` first, or pass --data-dir")


@main.command(epilog="\b\nExample: ncmec-pipeline report -o report.html")
@outputs_dir_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write.  [default: DATA_DIR/processed/report.html]")
def report(data_dir, output):
    """Write one self-contained HTML report (documents, presence, trends, findings, revisions)."""
    from pipeline.report import make_report

    _require_outputs(data_dir)
    if output is not None and not output.parent.is_dir():
        raise click.BadParameter(f"expected an existing folder for {output.name}, found no folder {output.parent}"
                                 " (create it first)", param_hint="--output")
    path, absent = with_lock(Workspace(data_dir), lambda: readable(lambda: make_report(data_dir, output)))
    click.echo(f"wrote {path} ({path.stat().st_size // 1024} KiB)"
               + (f"; not available in this run: {', '.join(absent)}" if absent else ""))


@main.command(epilog="\b\nExample: ncmec-pipeline datasets esp_reports --format csv")
@outputs_dir_option
@click.argument("name", required=False)
@format_option
def datasets(data_dir, name, fmt):
    """List the output tables (name, rows, schema version, description); with NAME, its columns.

    --format markdown prints the data dictionary (every table and column with type, nullability,
    key and description, generated from the schemas; nulls and rows counted in these outputs)."""
    from pipeline.load import available_names, datasets as list_datasets, describe

    _require_outputs(data_dir)
    if name and name not in available_names(data_dir):
        raise click.BadParameter(f"no table {name!r}; available: {', '.join(available_names(data_dir))}",
                                 param_hint="NAME")
    if fmt == "markdown":
        from pipeline.load import dictionary_markdown

        click.echo(dictionary_markdown(data_dir, name), nl=False)
        return
    frame = readable(lambda: describe(name, data_dir) if name else list_datasets(data_dir))
    if fmt != "text":
        echo_records(frame.astype(object).where(frame.notna(), None).to_dict("records"), fmt)
        return
    if name:
        for column in frame.itertuples(index=False):
            click.echo(f"{column.column:<16} {column.parquet_type:<14} {column.description}")
        return
    for table in frame.itertuples(index=False):
        click.echo(f"{table.name:<18} {table.rows:>7} rows  v{table.schema_version}  {table.description}")



# --- field presence and diffs (read the processed outputs; write nothing) -------------------------

@main.command(epilog="\b\nExample: ncmec-pipeline fields arrests --year 2023")
@outputs_dir_option
@click.argument("query", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "markdown"]), default="text",
              show_default=True, help="Output format.")
@click.option("--color/--no-color", default=None, help="Colour the statuses (default: only on a terminal;"
              " never with NO_COLOR set).")
@click.option("--year", "years", type=int, multiple=True, metavar="YEAR", help="Only this year; repeatable.")
@click.option("--evidence", is_flag=True, help="With QUERY: every year's evidence in full (default: each proof once).")
def fields(data_dir, query, fmt, color, years, evidence):
    """Which figures are published, year by year (present / absent / not covered).

    Without QUERY: the field x year matrix. With QUERY (a field id such as `arrests`, or a search
    word such as `feedback`): the verdict for each year with its evidence, the pages that prove it.
    Reads data/processed/field_presence.parquet, which `run` writes.
    """
    from pipeline import fields as presence

    if color is None and os.environ.get("NO_COLOR"):
        color = False
    try:
        text = readable(lambda: presence.fields_report(Workspace(data_dir), query, fmt=fmt, styled=fmt == "text"
                                                       and color is not False, years=years, evidence=evidence))
    except presence.UnknownYears as err:
        raise click.BadParameter(str(err), param_hint="--year") from None
    except presence.UnknownField as err:
        raise click.BadParameter(str(err), param_hint="QUERY") from None
    except FileNotFoundError as err:
        raise click.ClickException(str(err)) from None
    click.echo(text, nl=False, color=color)


@main.command(epilog="\b\nExample: ncmec-pipeline findings --kind conflict --edition 2023")
@outputs_dir_option
@click.option("--kind", type=click.Choice(["conflict", "rounding", "label", "non_additive"]), default=None,
              help="Only findings of this kind.")
@click.option("--edition", type=int, default=None, metavar="YEAR", help="Only findings in documents of this edition year.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "markdown"]), default="text",
              show_default=True, help="Output format.")
def findings(data_dir, kind, edition, fmt):
    """Where NCMEC's own figures disagree, by kind: conflicts first, then rounding, label quirks
    and non-additive totals, each with both numbers, both pages and the sentence quoted.

    Reads data/processed/checks.parquet, which `run` writes. Exit codes: 0 done, 1 no outputs
    yet, 2 bad option."""
    from pipeline.validate.findings import findings_report

    _require_outputs(data_dir)
    try:
        click.echo(findings_report(Workspace(data_dir), kind=kind, edition=edition, fmt=fmt), nl=False)
    except ValueError as err:
        raise click.ClickException(str(err)) from None


@main.command(epilog="\b\nExample: ncmec-pipeline diff --years 2022 2023 --exit-code")
@outputs_dir_option
@click.option("--years", nargs=2, type=int, metavar="A B", default=None,
              help="Year A against year B: fields, OJJDP tables, ESPs and countries side by side.")
@click.option("--editions", is_flag=True, help="Numbers restated (or relabelled, added, dropped) between OJJDP editions.")
@click.option("--runs", metavar="OLD [NEW]", default=None,
              help="Two runs' outputs table by table, rows matched on what identifies them: `last` (the previous"
                   " run against the newest), a kept RUN_ID or a processed/ folder (or data dir); without NEW,"
                   " against DATA_DIR/processed.")
@click.option("--versions", "versions_of", metavar="DOC_ID", default=None,
              help="The figures that changed between the last two published versions of one document "
                   "(NCMEC replaced the PDF at its URL; see document_versions.parquet).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format.")
@click.option("--exit-code", is_flag=True,
              help="Exit 1 when there are differences and 0 when there are none (errors exit 2).")
@click.option("--full", is_flag=True, help="Print long cells and labels whole (text cuts them with … to fit"
              " the terminal; --runs: cells at 60 characters).")
@click.argument("new_run", required=False, metavar="[NEW]")
def diff(data_dir, years, editions, runs, versions_of, fmt, exit_code, full, new_run):
    """What appeared, disappeared or changed: between two years, OJJDP editions, two runs, or two
    versions of one document.

    Exactly one of --years A B, --editions, --runs OLD_DIR NEW_DIR, --versions DOC_ID. Exit codes:
    0 done (with --exit-code: no differences), 1 differences (only with --exit-code), 2 error or
    bad usage.
    """
    from pipeline import diff as diffs
    from pipeline.store import OutputsUnavailable

    if sum(bool(m) for m in (years, editions, runs, versions_of)) != 1:
        raise click.UsageError("choose exactly one of --years A B, --editions, --runs OLD [NEW], "
                               "--versions DOC_ID")
    if new_run is not None and not runs:
        raise click.UsageError(f"unexpected argument {new_run!r}: only --runs OLD NEW takes a second value")
    try:
        result = diffs.diff_outputs(data_dir, years=years, editions=editions, runs=runs, new_run=new_run,
                                    versions_of=versions_of)
    except (diffs.DiffError, OutputsUnavailable, ValueError, OSError) as err:
        raise DiffFailed(str(err)) from None
    width = shutil.get_terminal_size((diffs.TEXT_WIDTH, 24)).columns
    click.echo(diffs.render(result, fmt, full=full, width=width), nl=False)
    finish(EXIT_DIFFERENT if exit_code and result["differences"] else EXIT_OK)


if __name__ == "__main__":
    main()
