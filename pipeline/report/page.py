"""The whole page: head, summary, table of contents, the sections in order, footer."""

from __future__ import annotations

import json
from importlib import resources

import pandas as pd

from pipeline import __version__
from pipeline.report.markup import esc
from pipeline.report.sections import (
    dictionary_section,
    documents_section,
    evidence_section,
    findings_section,
    presence_section,
    revisions_section,
    unsupported_section,
)
from pipeline.report.trends import trends_section, year_over_year_section
from pipeline.validate.findings import kind_counts, summary_phrase


SECTIONS = [
    ("documents", "Documents and validation status"),
    ("unsupported", "Documents NCMEC publishes that the pipeline cannot read"),
    ("presence", "Which fields NCMEC published, year by year"),
    ("trends", "Trends"),
    ("findings", "Validation findings, in NCMEC's own numbers"),
    ("year-over-year", "Year-over-year changes"),
    ("revisions", "Cross-edition revisions"),
    ("evidence", "Appendix: the evidence behind each cell of the presence matrix"),
    ("dictionary", "Appendix: data dictionary"),
]


def stylesheet() -> str:
    """The page's styles, from report.css beside this module (package data, so an installed copy
    has it too), inlined in the page so the file references nothing outside itself."""
    return resources.files("pipeline.report").joinpath("report.css").read_text(encoding="utf-8")


def summary_items(documents: pd.DataFrame, checks: pd.DataFrame | None) -> str:
    statuses = documents["status"].astype(str).value_counts()
    readable = len(documents) - int(statuses.get("unsupported", 0))
    items = [f"<li><b>{int(statuses.get('ok', 0))}</b> of {readable} documents ok</li>",
             f"<li><b>{int(statuses.get('missing', 0))}</b> missing</li>",
             *([f"<li><b>{int(statuses['unreachable'])}</b> unreachable</li>"] if statuses.get("unreachable") else []),
             f"<li><b>{int(statuses.get('failed', 0))}</b> failed</li>"]
    if statuses.get("unsupported", 0):
        items.append(f'<li><b><a href="#unsupported">{int(statuses["unsupported"])}</a></b> unsupported</li>')
    if checks is not None:
        items.append(f"<li><b>{int(checks['passed'].astype(bool).sum())}</b> of {len(checks)} checks passed</li>")
        items.append(f"<li>{esc(summary_phrase(kind_counts(checks.to_dict('records'))))}</li>")
    return f'<ul class="summary">{"".join(items)}</ul>'


def run_line(run: dict | None, schema_version: str | None) -> str:
    facts = [f"pipeline {esc(run.get('pipeline_version', __version__) if run else __version__)}"]
    if run:
        facts.insert(0, f"run <code>{esc(run.get('run_id'))}</code>")
        if run.get("extractor_version"):
            facts.append(f"extractor v{esc(run['extractor_version'])}")
    if schema_version:
        facts.append(f"output schema v{esc(schema_version)}")
    return "<p>Built from the outputs of " + ", ".join(facts) + ".</p>"


def print_margins(run: dict | None) -> str:
    """Page margins of the printout: the run id at the foot of every page, 'page N of M' beside it
    (CSS page-margin boxes), so a loose page still names its run and its place."""
    run_id = str(run.get("run_id")) if run and run.get("run_id") else "no run manifest"
    quoted = json.dumps(f"NCMEC pipeline report · run {run_id}", ensure_ascii=False)
    return ("@page { @bottom-left { content: " + quoted + "; font: 8pt system-ui, sans-serif; color: #555; }"
            ' @bottom-right { content: "page " counter(page) " of " counter(pages);'
            " font: 8pt system-ui, sans-serif; color: #555; } }")


def build_report(tables: dict[str, pd.DataFrame | None], *, run: dict | None = None) -> str:
    """The whole report as one HTML string. `tables` maps output names to DataFrames (None or
    absent when this run has no such table); `documents` is required. `run` is the run manifest
    the outputs came from (its id and versions are printed so a printout names its run)."""
    documents = tables["documents"]
    checks = tables.get("checks")
    bodies = {
        "documents": documents_section(documents, checks),
        "unsupported": unsupported_section(documents),
        "presence": presence_section(tables.get("field_presence")),
        "trends": trends_section(tables),
        "findings": findings_section(checks, documents),
        "year-over-year": year_over_year_section(tables),
        "revisions": revisions_section(tables.get("ojjdp_revisions")),
        "evidence": evidence_section(tables.get("field_presence")),
        "dictionary": dictionary_section(),
    }
    toc = "".join(f'<li><a href="#{key}">{esc(title)}</a></li>' for key, title in SECTIONS)
    sections = "\n".join(f'<section id="{key}"><h2>{esc(title)}</h2>\n{bodies[key]}\n</section>'
                         for key, title in SECTIONS)
    schema_version = documents.attrs.get("schema_version")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NCMEC CyberTipline data: extraction and validation report</title>
<style>
{stylesheet()}</style>
<style>{print_margins(run)}</style>
</head>
<body>
<header>
<h1>NCMEC CyberTipline data: extraction and validation report</h1>
<p>What the pipeline read from NCMEC's published PDFs (CyberTipline reports by ESP and by country, and
the OJJDP–NCMEC transparency reports), how each document was validated, and what the figures show.
Every number is as NCMEC printed it; each traces to a file (by sha256) and a page.</p>
{run_line(run, schema_version)}
{summary_items(documents, checks)}
<nav><ol>{toc}</ol></nav>
</header>
<main>
{sections}
</main>
<footer>
<p>Generated by <code>ncmec-pipeline report</code> from the Parquet outputs in <code>processed/</code>.
Self-contained: no scripts, no fonts or images fetched; the official URLs are printed as text only.
Rebuild with <code>ncmec-pipeline run</code> then <code>ncmec-pipeline report</code>.</p>
</footer>
</body>
</html>
"""
