"""Report: one self-contained HTML page an auditor can read, print and attach to a finding.

`build_report` is pure: DataFrames in (as `pipeline.load` returns them), one HTML string out.
Charts are hand-written SVG and the styles are inline, so the file opens without a network and
references nothing outside itself; the same outputs always give the same bytes. Reading the
tables and writing the file are the two small edges at the bottom (`read_tables`, `write_report`).

A table the run did not produce (the OJJDP tables, field presence, revisions while those stages
are being built) is not an error: its section says it is not available in this run.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from pipeline import __version__
from pipeline.validate.findings import KINDS, kind_counts, summary_phrase
from pipeline.display import percent

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

# Okabe-Ito: distinguishable with the common colour-vision deficiencies and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"]
PRESENCE_STYLE = {  # status -> (css class, mark shown in the cell, legend text)
    "present": ("st-present", "✓", "published that year"),
    "absent": ("st-absent", "✗", "not printed in that year's documents, which were read"),
    "not_covered": ("st-not-covered", "·", "no document that would print it was available for that year"),
}
TOP_N = 5
TOP_TABLE_N = 10
KIND_HEADINGS = {"conflict": "Conflicts: two printed numbers that cannot both be right",
                 "rounding": "Rounding: a percent or rounded figure off at its printing precision",
                 "label": "Label quirks: a misprinted or mislabelled label or sentence, values unaffected",
                 "non_additive": "Non-additive totals: totals the document itself says are not a sum"}
RECONCILIATION_CHECKS = ("total_reconciles", "ojjdp_matches_", "ojjdp_same_figure")
CHART_WIDTH, CHART_HEIGHT = 760, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 14, 34


# --- values and small HTML pieces -------------------------------------------------------------

def missing(value) -> bool:
    """None, NaN and pd.NA alike (a scalar only)."""
    return value is None or (not isinstance(value, (list, tuple, dict)) and bool(pd.isna(value)))


def esc(value) -> str:
    return "" if missing(value) else html.escape(str(value))


def fmt_int(value) -> str:
    """A count as NCMEC prints it (thousands separators); an en dash where there is none."""
    return "–" if missing(value) else f"{int(value):,}"


def fmt_signed(value) -> str:
    return "–" if missing(value) else f"{int(value):+,}"


def fmt_percent(value, digits: int = 1) -> str:
    """Percentage points rounded once, as `diff` rounds them (`pipeline.display`)."""
    return "–" if missing(value) else percent(value, digits)


def fmt_signed_percent(value, digits: int = 1) -> str:
    """A change in percent, signed like the change beside it: '+12.9%', '-8.0%'."""
    return "–" if missing(value) else percent(value, digits, signed=True)


def fmt_compact(value: float) -> str:
    """Axis labels: 36,210,368 -> '36.2M'."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:g}"


def fmt_printed_number(text) -> str:
    """A check's expected/actual with thousands separators in its whole numbers (1241723.0 or
    '>= 1241723' -> 1,241,723)."""
    if missing(text):
        return "–"
    if isinstance(text, (int, float)):
        return fmt_int(text) if float(text).is_integer() else esc(f"{text:g}")
    return esc(re.sub(r"(?<![\d.,])\d{4,}(?![\d.,])", lambda m: f"{int(m.group()):,}", str(text)))


def is_label_column(name: str) -> bool:
    """Integer columns that name a year, an edition or a page: printed as 2023, never 2,023."""
    return re.search(r"(year|edition|page)", str(name)) is not None


def slug(text) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def not_available(table: str) -> str:
    return f'<p class="unavailable"><code>{esc(table)}</code> is not available in this run.</p>'


def html_table(headers: list[str], rows: list[list[str]], *, numeric: frozenset[int] = frozenset(),
               css_class: str = "", notes: list[str] | None = None) -> str:
    """A table from already-escaped cell HTML; columns in `numeric` are right-aligned. With `notes`
    (one per row: a long text such as a check's message, or ''), each row is followed by its note
    across the whole width, the two kept together in one <tbody>, so the other columns keep their width
    on a narrow screen and on A4."""
    def cell(tag: str, index: int, content: str) -> str:
        return f'<{tag} class="num">{content}</{tag}>' if index in numeric else f"<{tag}>{content}</{tag}>"

    head = "".join(cell("th", i, esc(h)) for i, h in enumerate(headers))
    lines = ["<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows]
    attribute = f' class="{css_class}"' if css_class else ""
    if notes is not None:
        span = len(headers)
        body = "\n".join(f'<tbody class="entry">{line}'
                         + (f'<tr class="note"><td colspan="{span}"><div>{note}</div></td></tr>' if note else "")
                         + "</tbody>" for line, note in zip(lines, notes))
        return f"<table{attribute}><thead><tr>{head}</tr></thead>\n{body}\n</table>"
    body = "\n".join(lines)
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def legend(labels: list[str]) -> str:
    items = "".join(f'<li><span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>{esc(label)}</li>'
                    for i, label in enumerate(labels))
    return f'<ul class="legend">{items}</ul>'


def figure(svg: str, caption: str, labels: list[str] | None = None) -> str:
    return f"<figure>{svg}{legend(labels) if labels else ''}<figcaption>{caption}</figcaption></figure>"


# --- SVG charts ---------------------------------------------------------------------------------

def nice_ticks(max_value: float, target: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least `max_value` (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if not max_value or max_value <= 0:
        return [0.0, 1.0]
    raw = max_value / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude)
    count = math.ceil(max_value / step - 1e-9)
    return [i * step for i in range(count + 1)]


def _svg_open(title: str, height: int = CHART_HEIGHT) -> str:
    return (f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
            f'preserveAspectRatio="xMidYMid meet"><title>{esc(title)}</title>')


def _y_axis(ticks: list[float], y_of, y_format, y_title: str) -> str:
    """Grid lines with their tick labels, and the axis's unit written up its left edge."""
    middle = MARGIN_TOP + (CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM) / 2
    parts = [f'<text class="axis-title" x="{-middle:.1f}" y="13" transform="rotate(-90)" '
             f'text-anchor="middle">{esc(y_title)}</text>']
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line class="grid" x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(y_format(tick))}</text>')
    return "".join(parts)


def _x_labels(labels: list[str], x_of) -> str:
    """Every label that fits (about 14 across), counted back from the last so the newest is shown."""
    every = max(1, math.ceil(len(labels) / 14))
    baseline = CHART_HEIGHT - MARGIN_BOTTOM + 16
    return "".join(f'<text class="tick" x="{x_of(i):.1f}" y="{baseline}" text-anchor="middle">{esc(label)}</text>'
                   for i, label in enumerate(labels) if (len(labels) - 1 - i) % every == 0)


def _scale(top: float):
    plot_height = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    return lambda v: MARGIN_TOP + plot_height * (1 - (v / top if top else 0))


def _band(count: int):
    width = (CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(count, 1)
    return width, (lambda i: MARGIN_LEFT + width * (i + 0.5))


def stacked_bar_chart(categories: list[str], stacks: list[tuple[str, list]], *, title: str,
                      y_title: str = "reports", y_format=fmt_compact, value_format=fmt_int) -> str:
    """Vertical bars, one per category, each split into the `stacks` (one colour per stack).
    A single stack is an ordinary bar chart. Each piece carries a tooltip with its exact value."""
    totals = [sum(0 if missing(values[i]) else values[i] for _, values in stacks) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    y_of = _scale(ticks[-1])
    width, x_of = _band(len(categories))
    bar = width * 0.72
    parts = [_svg_open(title), _y_axis(ticks, y_of, y_format, y_title)]
    for i, category in enumerate(categories):
        base = 0.0
        for s, (label, values) in enumerate(stacks):
            value = values[i]
            if missing(value) or value <= 0:
                continue
            top, bottom = y_of(base + value), y_of(base)
            tip = f"{category}: {value_format(value)}" + (f" {label}" if len(stacks) > 1 else "")
            parts.append(f'<rect x="{x_of(i) - bar / 2:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                         f'height="{max(bottom - top, 0.5):.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                         f'<title>{esc(tip)}</title></rect>')
            base += value
    parts.append(_x_labels(categories, x_of))
    parts.append(f'<line class="axis" x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" '
                 f'y1="{y_of(0):.1f}" y2="{y_of(0):.1f}"/></svg>')
    return "".join(parts)


def line_chart(categories: list[str], series: list[tuple[str, list]], *, title: str,
               y_title: str = "reports", y_format=fmt_compact, value_format=fmt_int) -> str:
    """One line per series over shared categories; a missing value breaks the line."""
    values = [v for _, vs in series for v in vs if not missing(v)]
    ticks = nice_ticks(max(values, default=0))
    y_of = _scale(ticks[-1])
    _, x_of = _band(len(categories))
    parts = [_svg_open(title), _y_axis(ticks, y_of, y_format, y_title)]
    for s, (label, points) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        run: list[str] = []
        for i, value in enumerate(points + [None]):
            if missing(value):
                if len(run) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.2" points="{" ".join(run)}"/>')
                run = []
                continue
            run.append(f"{x_of(i):.1f},{y_of(value):.1f}")
        for i, value in enumerate(points):
            if not missing(value):
                parts.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="3.2" fill="{colour}">'
                             f'<title>{esc(f"{label}, {categories[i]}: {value_format(value)}")}</title></circle>')
    parts.append(_x_labels(categories, x_of))
    parts.append(f'<line class="axis" x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" '
                 f'y1="{y_of(0):.1f}" y2="{y_of(0):.1f}"/></svg>')
    return "".join(parts)


# --- data shaped for the sections (pure, over the loaded frames) --------------------------------

def latest_edition_cells(cells: pd.DataFrame, table_id: str, measures: list[str]) -> pd.DataFrame:
    """The cells of one OJJDP table, each (year, row, column, measure) from the newest edition
    that prints it: later editions restate earlier years, and the newest figure is the one to plot."""
    chosen = cells[(cells["table_id"].astype("string") == table_id)
                   & cells["measure"].astype("string").isin(measures) & cells["value"].notna()]
    chosen = chosen.sort_values("edition").drop_duplicates(["year", "row_label", "column_label", "measure"], keep="last")
    return chosen.sort_values(["year", "row_label", "measure"])


def appendix_a(cells: pd.DataFrame) -> pd.DataFrame:
    """Reports per year since 1998 (Appendix A): year, reports, edition, page."""
    rows = latest_edition_cells(cells, "appendix_a_reports_per_year", ["reports"])
    frame = rows[["year", "value", "edition", "page", "source_file"]].rename(columns={"value": "reports"})
    return frame.astype({"year": int, "reports": "Int64"}).reset_index(drop=True)


def actionable_informational(cells: pd.DataFrame) -> pd.DataFrame:
    """Reports made available to law enforcement per year, actionable vs informational, summed
    over recipient types (Federal, International, ICAC, Local)."""
    rows = latest_edition_cells(cells, "le_recipients", ["actionable", "informational"])
    if rows.empty:
        return pd.DataFrame(columns=["year", "actionable", "informational", "editions"])
    rows = rows.assign(measure=rows["measure"].astype("string"), year=rows["year"].astype(int))
    wide = rows.pivot_table(index="year", columns="measure", values="value", aggfunc="sum").reset_index()
    editions = rows.groupby("year")["edition"].max().rename("editions").reset_index()
    return wide.merge(editions, on="year")


def top_keys(frame: pd.DataFrame, key: str, top: int) -> list[str]:
    """The `top` keys by reports in the newest year of `frame` (ties broken by key, for stable output)."""
    newest = frame[frame["year"] == frame["year"].max()]
    ranked = newest.groupby(key, observed=True)["reports"].sum().reset_index()
    ranked = ranked.sort_values(["reports", key], ascending=[False, True])
    return [str(k) for k in ranked[key].head(top)]


def display_names(frame: pd.DataFrame, key: str, name: str) -> dict[str, str]:
    """The newest printed name for each key ('Meta Platforms, Inc.' rather than an older spelling)."""
    newest = frame.sort_values("year").drop_duplicates(key, keep="last")
    return {str(k): str(n) for k, n in zip(newest[key], newest[name])}


def reports_by_year(frame: pd.DataFrame, key: str, keys: list[str]) -> pd.DataFrame:
    """A key × year table of reports (summed when a key has several rows in one year)."""
    chosen = frame[frame[key].astype("string").isin(keys)]
    table = chosen.groupby([key, "year"], observed=True)["reports"].sum().unstack("year")
    table.index = table.index.astype(str)
    return table.reindex(keys)


def esp_shares(esp: pd.DataFrame, top: int = TOP_N) -> pd.DataFrame:
    """Share (%) of each year's ESP reports made by the `top` providers of the newest year."""
    keys = top_keys(esp, "esp_key", top)
    totals = esp.groupby("year")["reports"].sum()
    return reports_by_year(esp, "esp_key", keys).div(totals, axis="columns") * 100


def countries(country: pd.DataFrame) -> pd.DataFrame:
    """Rows that are countries (not 'No Country Listed', 'Europe', …), keyed by ISO code."""
    return country[country["iso3_status"].astype("string") == "country"]


def yearly_totals(cells: pd.DataFrame | None, documents: pd.DataFrame) -> pd.DataFrame:
    """Per year: Appendix A total, its change, and the totals printed on the by-ESP and by-country PDFs."""
    frames = []
    if cells is not None:
        frames.append(appendix_a(cells)[["year", "reports"]].rename(columns={"reports": "appendix_a"}))
    for family, column in (("reports_by_esp", "esp_total"), ("reports_by_country", "country_total")):
        printed = documents[(documents["family"].astype("string") == family) & documents["printed_total"].notna()]
        frames.append(pd.DataFrame({"year": printed["year"].astype(int), column: printed["printed_total"].astype("Int64")}))
    merged = frames[0]
    for frame in frames[1:]:
        merged = merged.merge(frame, on="year", how="outer")
    merged = merged.sort_values("year").reset_index(drop=True)
    for column in ("appendix_a", "esp_total", "country_total"):
        if column not in merged:
            merged[column] = pd.array([pd.NA] * len(merged), dtype="Int64")
    merged["change"] = merged["appendix_a"] - merged["appendix_a"].shift(1)
    previous = merged["appendix_a"].shift(1).astype("Float64")
    merged["change_pct"] = merged["change"].astype("Float64") / previous * 100
    return merged


# --- sections ------------------------------------------------------------------------------------

def family_order(column: pd.Series) -> pd.Series:
    """Sort key: documents in manifest family order (by ESP, by country, OJJDP), other columns as they are."""
    if column.name != "family":
        return column
    order = {"reports_by_esp": 0, "reports_by_country": 1, "ojjdp_transparency": 2}
    return column.astype(str).map(lambda family: order.get(family, len(order)))


def doc_anchor(doc_id) -> str:
    return f"doc-{slug(doc_id)}"


def check_counts(checks: pd.DataFrame | None) -> dict[str, tuple[int, int]]:
    """source_file -> (checks passed, checks failed)."""
    if checks is None or checks.empty:
        return {}
    grouped = checks.groupby(checks["source_file"].astype(str))["passed"]
    return {name: (int(values.sum()), int((~values.astype(bool)).sum())) for name, values in grouped}


def status_badge(status) -> str:
    return f'<span class="badge st-{slug(status)}">{esc(status)}</span>'


def readable_documents(documents: pd.DataFrame) -> pd.DataFrame:
    """The documents a reader read (or tried to): every status but `unsupported`."""
    return documents[documents["status"].astype(str) != "unsupported"]


def unsupported_section(documents: pd.DataFrame) -> str:
    """The PDFs discovery found on NCMEC's pages whose family has no reader (by U.S. state,
    notifications per ESP, …): listed with their URL and link text, never silently left out."""
    unsupported = documents[documents["status"].astype(str) == "unsupported"]
    if unsupported.empty:
        return "<p>None: every document in the manifest and the overlay has a reader.</p>"
    ordered = unsupported.sort_values(["family", "year", "doc_id"], key=family_order)
    rows = [[esc(doc.doc_id), esc(doc.family), fmt_int(doc.year),
             f'<b>{esc(doc.source_file)}</b><div class="url">{esc(doc.url)}</div>', esc(getattr(doc, "origin", ""))]
            for doc in ordered.itertuples(index=False)]
    table = html_table(["document", "family", "year", "file and URL (as text)", "from"], rows,
                       numeric=frozenset({2}), css_class="unsupported", notes=[esc(m) for m in ordered["message"]])
    return (f"<p>{len(unsupported)} PDF(s) linked from NCMEC's data pages belong to a family no reader reads "
            "(pipeline/data/discovery_patterns.csv names them). They are recorded, not fetched; no figure of "
            "theirs is in this report, and the field presence verdicts of their years say so.</p>" + table)


def documents_section(documents: pd.DataFrame, checks: pd.DataFrame | None) -> str:
    counts = check_counts(checks)
    rows, notes = [], []
    documents = readable_documents(documents)
    for doc in documents.sort_values(["family", "year", "doc_id"], key=family_order).itertuples(index=False):
        passed, failed = counts.get(str(doc.source_file), (0, 0))
        check_text = f"{passed} passed" + (f', <a href="#findings">{failed} not passed</a>' if failed else "")
        rows.append([
            f'<span id="{doc_anchor(doc.doc_id)}">{esc(doc.doc_id)}</span>',
            status_badge(doc.status),
            f'<b>{esc(doc.source_file)}</b><div class="url">{esc(doc.url)}</div>'
            f'<div class="sha">sha256 <code>{esc(doc.sha256) or "– (not read)"}</code></div>',
            fmt_int(doc.pages), fmt_int(doc.rows), fmt_int(doc.printed_total),
            check_text if passed or failed else "–",
        ])
        notes.append(esc(doc.message))
    table = html_table(["document", "status", "file, official URL (as text) and sha256 of the copy read",
                        "pages", "rows", "printed total", "checks"], rows, numeric=frozenset({3, 4, 5}),
                       css_class="documents", notes=notes)
    return ('<p>Every document in the manifest, what this run made of it, and the sha256 of the exact file '
            'read: a figure in this report can be traced to its page in that file. <em>missing</em> means '
            'the file was not available to this run; <em>failed</em> means it was read but refused (its '
            'rows are not published, or are the last good copy\'s, as the note says).</p>' + table)


def presence_anchor(field_id, year) -> str:
    return f"ev-{slug(field_id)}-{int(year)}"


def presence_section(presence: pd.DataFrame | None) -> str:
    if presence is None:
        return not_available("field_presence")
    if presence.empty:
        return "<p>The field presence table is empty in this run.</p>"
    years = sorted({int(y) for y in presence["year"].dropna()})
    titles = field_titles(presence)
    # Sorted by what a row shows (its title), not by the id printed small beside it.
    fields = sorted({str(f) for f in presence["field_id"].dropna()}, key=lambda f: (titles.get(f, f).casefold(), f))
    by_cell = {(str(r["field_id"]), int(r["year"])): r for r in presence.to_dict("records") if not missing(r["year"])}
    header = "<tr><th>field</th>" + "".join(f'<th class="num">{y}</th>' for y in years) + "</tr>"
    body = []
    for field in fields:
        cells = []
        for year in years:
            row = by_cell.get((field, year))
            if row is None:
                cells.append('<td class="st-none" title="no row">&nbsp;</td>')
                continue
            css, mark, meaning = PRESENCE_STYLE.get(str(row["status"]), ("st-unknown", "?", "unknown status"))
            cells.append(f'<td class="{css}"><a href="#{presence_anchor(field, year)}" '
                         f'title="{esc(field)} {year}: {esc(row["status"])} ({meaning})">{mark}</a></td>')
        label = f'{esc(titles[field])} <code>{esc(field)}</code>' if titles.get(field) else f"<code>{esc(field)}</code>"
        body.append(f'<tr><th class="field">{label}</th>{"".join(cells)}</tr>')
    key = "".join(f'<li><span class="cell {css}">{mark}</span>{esc(status)}: {esc(meaning)}</li>'
                  for status, (css, mark, meaning) in PRESENCE_STYLE.items())
    counts = presence["status"].astype(str).value_counts()
    tally = ", ".join(f"{int(counts.get(status, 0))} {status}" for status in PRESENCE_STYLE)
    return (f'<p>Which of the catalog\'s {len(fields)} fields NCMEC published in which year ({tally}). '
            'Each cell links to its evidence in the <a href="#evidence">appendix</a>: where the value was '
            'printed, or what was read and why the field counts as absent or not covered.</p>'
            f'<ul class="legend">{key}</ul>'
            f'<table class="heatmap"><thead>{header}</thead><tbody>{"".join(body)}</tbody></table>')


def evidence_section(presence: pd.DataFrame | None) -> str:
    """Kept apart from the matrix, at the end, so a printout reads the findings before the
    pages of proof (one entry per field and year: 264 for the 2020-2023 corpus)."""
    if presence is None:
        return not_available("field_presence")
    if presence.empty:
        return "<p>The field presence table is empty in this run.</p>"
    return ('<p>One entry per field of the <a href="#presence">presence matrix</a>, in its order: what was looked '
            'for, in words; one line per year (the value and where it is printed, or what was read and what is '
            'printed instead, or which document was not available); then, for the years it is absent, each '
            'sentence that mentions it once, since one edition proves several years. '
            '<code>ncmec-pipeline fields FIELD --evidence</code> prints every year\'s evidence in full.</p>'
            + compact_evidence_list(presence, field_titles(presence)))


def compact_evidence_list(presence: pd.DataFrame, titles: dict[str, str]) -> str:
    """The evidence appendix, one entry per field (it was one per field and year: 42 of the 59
    printed pages, the same sentences repeated for each year an edition covers)."""
    from pipeline.fields import compact_evidence, load_catalog, one_line_verdict

    try:
        sources = {f.id: "; ".join(s.describe() for s in f.sources) for f in load_catalog().fields}
    except ValueError:  # a catalog that does not parse: the report still shows the evidence
        sources = {}
    records = [{k: (None if missing(v) else v) for k, v in r.items()}
               for r in presence.dropna(subset=["year"]).to_dict("records")]
    items = []
    for field in sorted({str(r["field_id"]) for r in records}, key=lambda f: (titles.get(f, f).casefold(), f)):
        mine = sorted((r for r in records if str(r["field_id"]) == field), key=lambda r: int(r["year"]))
        name = f"{esc(titles[field])} <code>{esc(field)}</code>" if titles.get(field) else f"<code>{esc(field)}</code>"
        looked = f'<div class="k">looked for: {esc(sources[field])}</div>' if field in sources else ""
        years = "".join(f'<div class="year" id="{presence_anchor(field, r["year"])}"><b>{int(r["year"])}</b> '
                        f'{status_badge(r["status"])} {esc(year_verdict(r, one_line_verdict))}</div>'
                        for r in mine)
        # A present year's line already says where its value is printed; the other places it is
        # printed (every edition covering the year) are in `fields FIELD --evidence`.
        proofs = compact_evidence([r for r in mine if r["status"] != "present"])
        proof = ('<div class="proof">' + "<br>".join(esc(line) for line in proofs) + "</div>") if proofs else ""
        items.append(f'<li><b>{name}</b> <a class="back" href="#presence" title="back to the matrix">↑ matrix</a>'
                     f'{looked}{years}{proof}</li>')
    return f'<ol class="evidence">{"".join(items)}</ol>'


def field_titles(presence: pd.DataFrame) -> dict[str, str]:
    """field_id -> its short name, when the presence table carries one."""
    if "title" not in presence.columns:
        return {}
    named = presence.dropna(subset=["title"]).drop_duplicates("field_id")
    return {str(f): str(t) for f, t in zip(named["field_id"], named["title"])}


def fmt_evidence(column: str, value) -> str:
    if column.endswith("sha256"):
        return f"{str(value)[:12]}…"  # the full hash is in the documents table
    if isinstance(value, int) and not is_label_column(column):
        return f"{value:,}"
    return str(value)


def trends_section(tables: dict[str, pd.DataFrame | None]) -> str:
    cells, esp, country = tables.get("ojjdp_cells"), tables.get("esp_reports"), tables.get("country_reports")
    parts = ["<h3>CyberTipline reports per year since 1998 (Appendix A)</h3>"]
    parts.append(appendix_a_figure(cells) if cells is not None else not_available("ojjdp_cells"))
    parts.append(f"<h3>Share of ESP reports: the {TOP_N} largest reporting providers</h3>")
    parts.append(esp_share_figure(esp) if esp is not None and not esp.empty else not_available("esp_reports"))
    parts.append(f"<h3>Reports by country: the {TOP_N} countries with the most reports</h3>")
    parts.append(country_figure(country) if country is not None and not country.empty else not_available("country_reports"))
    parts.append("<h3>Reports made available to law enforcement: actionable vs informational</h3>")
    parts.append(actionable_figure(cells) if cells is not None else not_available("ojjdp_cells"))
    parts.append("<h3>Referrals and informational reports in the lists by ESP and by country</h3>")
    parts.append(list_split_section(esp, country))
    return "".join(parts)


def list_splits(frame: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """Per year, the referrals / informational totals of a list table, for the years whose
    edition prints the split (from 2024); years that do not are absent, not zeros."""
    columns = ["year", "referrals", "informational", "reports", "rows", "summed"]
    if frame is None or frame.empty or "referrals" not in frame:
        return pd.DataFrame(columns=columns)
    split = frame[frame["referrals"].notna() | frame["informational"].notna()]
    if split.empty:
        return pd.DataFrame(columns=columns)
    return (split.groupby("year", observed=True)
            .agg(referrals=("referrals", "sum"), informational=("informational", "sum"), reports=("reports", "sum"),
                 rows=(key, "size"), summed=("reports_source", lambda s: bool((s == "summed").any())))
            .reset_index())


def list_split_section(esp: pd.DataFrame | None, country: pd.DataFrame | None) -> str:
    rows = []
    for what, frame, key in (("by ESP", esp, "esp"), ("by country", country, "country")):
        for r in list_splits(frame, key).itertuples(index=False):
            total = r.referrals + r.informational
            rows.append([what, str(int(r.year)), fmt_int(r.referrals), fmt_int(r.informational),
                         fmt_percent(r.referrals / total * 100) if total else "n/a",
                         fmt_int(r.reports) + (" (summed)" if r.summed else ""), str(int(r.rows))])
    if not rows:
        return ("<p>No list edition in this run prints referrals and informational reports apart. NCMEC splits"
                " them from its 2024 edition on; earlier editions print one count per row, and the split is"
                " recorded as not published for them (never as 0).</p>")
    return html_table(["list", "year", "referrals", "informational", "referral share", "reports", "rows"], rows,
                      numeric=frozenset({2, 3, 4, 5, 6})) + (
        "<p>Sums over the rows of each list. 'summed': the edition prints no total column, and reports is"
        " referrals + informational.</p>")


def unlisted_note(series: list[tuple[str, list]], years: list[int], what: str) -> str:
    """A caption's sentence naming the lines with no point in some year ('' when every line is whole):
    a provider or country the year's PDF does not list has no figure for it, not a zero."""
    gaps: dict[tuple[int, ...], list[str]] = {}
    for label, values in series:
        absent = tuple(y for y, v in zip(years, values) if missing(v))
        if absent:
            gaps.setdefault(absent, []).append(esc(label))
    if not gaps:
        return ""
    named = "; ".join(f"{' and '.join(labels)} in {', '.join(str(y) for y in absent)}"
                      for absent, labels in gaps.items())
    return f" No point where the year's PDF does not list the {what}: {named}."


def _sources(frame: pd.DataFrame) -> str:
    pairs = sorted({(int(e), int(p)) for e, p in zip(frame["edition"], frame["page"])})
    return "; ".join(f"{e} edition, page {p}" for e, p in pairs)


def appendix_a_figure(cells: pd.DataFrame) -> str:
    series = appendix_a(cells)
    if series.empty:
        return "<p>No Appendix A rows in this run's OJJDP tables.</p>"
    first, last = series.iloc[0], series.iloc[-1]
    svg = stacked_bar_chart([str(y) for y in series["year"]], [("reports", list(series["reports"]))],
                            title="CyberTipline reports per year")
    threshold = nice_ticks(series["reports"].max())[-1] / 100
    thin = []
    for year, reports in zip(series["year"], series["reports"]):
        if missing(reports) or reports >= threshold:
            break
        thin.append(int(year))
    thin_note = (f" The bars for {thin[0]}–{thin[-1]} (under {fmt_int(threshold)} reports a year) are too thin "
                 "to see at this scale." if len(thin) > 1 else "")
    caption = (f"{int(first.year)}: {fmt_int(first.reports)} reports; {int(last.year)}: {fmt_int(last.reports)} "
               "(every year's figure is in the <a href=\"#year-over-year\">year-over-year table</a>)."
               f"{thin_note} Source: OJJDP–NCMEC transparency report, Appendix A ({_sources(series)}); each year "
               "from the newest edition that prints it.")
    return figure(svg, caption)


def esp_share_figure(esp: pd.DataFrame) -> str:
    shares = esp_shares(esp)
    names = display_names(esp, "esp_key", "esp")
    years = [int(y) for y in shares.columns]
    series = [(names.get(k, k), list(shares.loc[k])) for k in shares.index]
    svg = line_chart([str(y) for y in years], series, title="Share of ESP reports per year",
                     y_title="share of the year's ESP reports", y_format=lambda v: f"{v:g}%",
                     value_format=fmt_percent)
    newest = years[-1]
    combined = shares[newest].sum()
    caption = (f"Providers ranked by reports in {newest}; together they made {fmt_percent(combined)} of that year's "
               "ESP reports. Share = the provider's reports / all reports on the year's by-ESP PDF."
               + unlisted_note(series, years, "provider"))
    return figure(svg, caption, [label for label, _ in series])


def country_figure(country: pd.DataFrame) -> str:
    rows = countries(country)
    keys = top_keys(rows, "iso3", TOP_N)
    table = reports_by_year(rows, "iso3", keys)
    names = display_names(rows, "iso3", "country")
    years = [int(y) for y in table.columns]
    series = [(names.get(k, k), list(table.loc[k])) for k in table.index]
    svg = line_chart([str(y) for y in years], series, title="Reports per year, top countries")
    caption = (f"Countries ranked by reports in {years[-1]} (country of the upload location as NCMEC resolved it; "
               "'No Country Listed' and regions excluded)." + unlisted_note(series, years, "country"))
    return figure(svg, caption, [label for label, _ in series])


def actionable_figure(cells: pd.DataFrame) -> str:
    frame = actionable_informational(cells)
    if frame.empty:
        return "<p>No law-enforcement recipient rows in this run's OJJDP tables.</p>"
    svg = stacked_bar_chart([str(y) for y in frame["year"]],
                            [("actionable", list(frame["actionable"])), ("informational", list(frame["informational"]))],
                            title="Reports made available to law enforcement, actionable vs informational")
    newest = frame.iloc[-1]
    share = newest["actionable"] / (newest["actionable"] + newest["informational"]) * 100
    rows = [[str(int(r.year)), fmt_int(r.actionable), fmt_int(r.informational),
             fmt_percent(r.actionable / (r.actionable + r.informational) * 100), str(int(r.editions))]
            for r in frame.itertuples(index=False)]
    table = html_table(["year", "actionable", "informational", "actionable share", "edition"], rows,
                       numeric=frozenset({1, 2, 3}))
    caption = (f"In {int(newest.year)}, {fmt_percent(share)} of the reports made available were actionable. "
               "Summed over federal, international, ICAC and local recipients (OJJDP table le_recipients).")
    return figure(svg, caption, ["actionable", "informational"]) + table


def findings_section(checks: pd.DataFrame | None, documents: pd.DataFrame) -> str:
    if checks is None:
        return not_available("checks")
    doc_of = {str(f): str(d) for f, d in zip(documents["source_file"], documents["doc_id"])}
    passed = checks["passed"].astype(bool)
    in_source = checks["in_source"].astype(bool) & ~passed
    blocking = checks["blocking"].astype(bool) & ~passed
    advisory = ~checks["blocking"].astype(bool) & ~passed & ~checks["in_source"].astype(bool)
    counts = kind_counts(checks.to_dict("records"))
    parts = [f"<p>{len(checks)} checks ran; {int(passed.sum())} passed. {esc(summary_phrase(counts))}; "
             f"{int(blocking.sum())} refused a document; {int(advisory.sum())} advisory notes (not failures).</p>"]
    parts.append("<h3>Findings in NCMEC's own figures, by kind</h3>")
    if not in_source.any():
        parts.append("<p>None: no check found two of NCMEC's printed figures that should agree and do not.</p>")
    kinds = checks["kind"].astype("string").fillna("conflict") if "kind" in checks else pd.Series("conflict", checks.index)
    for kind in KINDS:  # conflicts first
        chosen = in_source & (kinds == kind)
        if chosen.any():
            parts.append(f"<h4>{esc(KIND_HEADINGS[kind])} ({int(chosen.sum())})</h4>")
            parts.append(check_rows(checks[chosen], doc_of))
    parts.append("<h3>Documents refused (blocking checks that failed)</h3>")
    parts.append(check_rows(checks[blocking], doc_of) if blocking.any() else "<p>None.</p>")
    parts.append("<h3>Advisory notes</h3>")
    parts.append(check_rows(checks[advisory], doc_of) if advisory.any() else "<p>None.</p>")
    reconciliations = checks[checks["check"].astype(str).str.startswith(RECONCILIATION_CHECKS)]
    parts.append("<h3>Totals reconciled: each printed total against the figures it should equal</h3>")
    parts.append(check_rows(reconciliations, doc_of) if not reconciliations.empty else "<p>None in this run.</p>")
    parts.append("<h3>Every check, by name</h3>" + check_summary(checks))
    return "".join(parts)


def check_rows(checks: pd.DataFrame, doc_of: dict[str, str]) -> str:
    """One check per entry: its figures on a line, its message under them across the table."""
    rows, messages = [], []
    for c in checks.sort_values(["source_file", "check", "message"]).itertuples(index=False):
        doc = doc_of.get(str(c.source_file))
        where = f'<a href="#{doc_anchor(doc)}">{esc(doc)}</a>' if doc else esc(c.source_file)
        kind = getattr(c, "kind", None)
        result = "passed" if c.passed else (
            (kind if isinstance(kind, str) else "finding in source") if c.in_source else "failed" if c.blocking else "note")
        rows.append([where, esc(c.check).replace(":", ":<wbr>"), "–" if missing(c.page) else str(int(c.page)),
                     fmt_printed_number(c.expected), fmt_printed_number(c.actual),
                     f'<span class="badge st-{slug(result)}">{result}</span>'])
        sentence = getattr(c, "sentence", None)
        other = getattr(c, "other_page", None)
        pages = "" if missing(other) else f" (compared with page {int(other)}" + (
            f" of {esc(c.other_source_file)})" if isinstance(getattr(c, "other_source_file", None), str)
            and c.other_source_file != c.source_file else ")")
        messages.append((f"«{esc(sentence)}» " if isinstance(sentence, str) else "") + esc(c.message) + pages)
    return html_table(["document", "check", "page", "expected", "found", "result"], rows,
                      numeric=frozenset({2, 3, 4}), css_class="checks", notes=messages)


def check_summary(checks: pd.DataFrame) -> str:
    name = checks["check"].astype(str).str.split(":").str[0]
    frame = checks.assign(name=name, passed=checks["passed"].astype(bool), blocking=checks["blocking"].astype(bool))
    grouped = frame.groupby("name").agg(documents=("source_file", "nunique"), runs=("passed", "size"),
                                        passed=("passed", "sum"), blocking=("blocking", "max")).reset_index()
    rows = [[esc(r.name), "blocking" if r.blocking else "advisory", str(r.documents), str(r.runs), str(int(r.passed)),
             str(int(r.runs - r.passed))] for r in grouped.itertuples(index=False)]
    return html_table(["check", "kind", "documents", "times run", "passed", "not passed"], rows,
                      numeric=frozenset({2, 3, 4, 5}), css_class="compact")


def year_over_year_section(tables: dict[str, pd.DataFrame | None]) -> str:
    documents = tables["documents"]
    totals = yearly_totals(tables.get("ojjdp_cells"), documents)
    rows = [[str(int(r.year)), fmt_int(r.appendix_a), fmt_signed(r.change), fmt_signed_percent(r.change_pct),
             fmt_int(r.esp_total), fmt_int(r.country_total)] for r in totals.itertuples(index=False)]
    parts = ["<h3>Reports per year</h3>",
             "<p>Appendix A of the newest OJJDP edition, with the totals printed on the year's by-ESP and "
             "by-country PDFs where this run has them.</p>" if tables.get("ojjdp_cells") is not None else
             not_available("ojjdp_cells"),
             html_table(["year", "reports (Appendix A)", "change", "change %", "by-ESP PDF total",
                         "by-country PDF total"], rows, numeric=frozenset(range(1, 6)), css_class="compact")]
    esp, country = tables.get("esp_reports"), tables.get("country_reports")
    parts.append(f"<h3>The {TOP_TABLE_N} largest reporting providers</h3>")
    parts.append("<p>Ranked by reports in the newest year; – where the year's PDF does not list the provider or "
                 "country.</p>")
    parts.append(top_table(esp, "esp_key", "esp", "provider") if esp is not None and not esp.empty
                 else not_available("esp_reports"))
    parts.append(f"<h3>The {TOP_TABLE_N} countries with the most reports</h3>")
    parts.append(top_table(countries(country), "iso3", "country", "country") if country is not None and not country.empty
                 else not_available("country_reports"))
    return "".join(parts)


def top_table(frame: pd.DataFrame, key: str, name: str, heading: str) -> str:
    keys = top_keys(frame, key, TOP_TABLE_N)
    table = reports_by_year(frame, key, keys)
    names = display_names(frame, key, name)
    years = [int(y) for y in table.columns]
    rows = []
    for k in keys:
        values = [table.loc[k, y] for y in years]
        last, previous = values[-1], values[-2] if len(values) > 1 else pd.NA
        change = pd.NA if missing(last) or missing(previous) else last - previous
        pct = pd.NA if missing(change) or not previous else change / previous * 100
        rows.append([esc(names.get(k, k)), *[fmt_int(v) for v in values], fmt_signed(change),
                     fmt_signed_percent(pct)])
    label = f"{years[-2]}→{years[-1]}" if len(years) > 1 else "change"
    return html_table([heading, *[str(y) for y in years], f"change {label}", "%"], rows,
                      numeric=frozenset(range(1, len(years) + 3)), css_class="compact")


REVISION_COLUMNS = {"table_id", "row_label", "column_label", "year", "measure", "old_edition", "new_edition",
                    "old_value", "new_value", "change"}
REVISION_KINDS = [  # change -> heading
    ("revised", "Restated: the same cell printed with a different number"),
    ("only_in_old", "Printed by the older edition only (for a year both editions cover)"),
    ("only_in_new", "Printed by the newer edition only (for a year both editions cover)"),
]


def revisions_section(revisions: pd.DataFrame | None) -> str:
    if revisions is None:
        return not_available("ojjdp_revisions")
    intro = ("<p>Each OJJDP edition reprints the years before it. Here is every figure an edition prints "
             "differently from the edition before it, and every figure only one of the two prints; a "
             "reworded label shows as one cell in each list.</p>")
    if revisions.empty:
        return intro + "<p>None: every figure printed by more than one edition is printed the same.</p>"
    if not REVISION_COLUMNS <= set(revisions.columns):
        return intro + generic_table(revisions)
    from pipeline.revisions import difference_counts

    counts = difference_counts(revisions)
    parts = [intro, f"<p><b>{counts['differences']}</b> differences: {counts['restated']} restated, "
                    f"{counts['relabelled']} printed under a new label (each one number, listed once under each "
                    f"label below), {counts['only_in_old'] + counts['only_in_new']} printed by one edition only "
                    f"({len(revisions)} rows of <code>ojjdp_revisions</code>; the same count as "
                    f"<code>diff --editions</code>).</p>"]
    kinds = revisions["change"].astype(str)
    for kind, heading in REVISION_KINDS:
        chosen = revisions[kinds == kind]
        parts.append(f"<h3>{esc(heading)}</h3>")
        parts.append(revision_rows(chosen, with_difference=kind == "revised") if not chosen.empty else "<p>None.</p>")
    other = revisions[~kinds.isin([k for k, _ in REVISION_KINDS])]
    if not other.empty:
        parts.append("<h3>Other</h3>" + generic_table(other))
    return "".join(parts)


def printed_figure(row: dict, side: str) -> str:
    """The figure one edition printed: a count, or a percent when the cell is one."""
    value, percent = row.get(f"{side}_value"), row.get(f"{side}_percent")
    if not missing(value):
        return fmt_int(value)
    if not missing(percent):
        return f"{float(percent):g}%"  # as printed: '4%', '4.1%'
    return "–"


def revision_rows(revisions: pd.DataFrame, *, with_difference: bool) -> str:
    """One table per pair of consecutive editions compared (2022 → 2023, 2023 → 2024, …)."""
    pairs = revisions.groupby(["old_edition", "new_edition"], sort=True, observed=True)
    return "".join(revision_pair_table(frame, with_difference) for _, frame in pairs)


def revision_pair_table(revisions: pd.DataFrame, with_difference: bool) -> str:
    rows = []
    for r in revisions.to_dict("records"):
        difference = (fmt_signed(r["new_value"] - r["old_value"])
                      if not missing(r["old_value"]) and not missing(r["new_value"]) else "–")
        old_page = "" if missing(r.get("old_page")) else f" <small>p.{int(r['old_page'])}</small>"
        new_page = "" if missing(r.get("new_page")) else f" <small>p.{int(r['new_page'])}</small>"
        rows.append([esc(r["table_id"]), esc(r["row_label"]), esc(r["column_label"]),
                     "–" if missing(r["year"]) else str(int(r["year"])), esc(r["measure"]),
                     f"{printed_figure(r, 'old')}{old_page}", f"{printed_figure(r, 'new')}{new_page}", difference])
    first = revisions.iloc[0]
    headers = ["table", "row", "column", "year", "measure", f"{int(first['old_edition'])} edition",
               f"{int(first['new_edition'])} edition", "difference"]
    if not with_difference:
        headers, rows = headers[:-1], [row[:-1] for row in rows]
    return html_table(headers, rows, numeric=frozenset({3, 5, 6, 7}), css_class="compact")


def generic_table(frame: pd.DataFrame) -> str:
    """Any table as printed: counts with thousands separators, years and pages as they are."""
    columns = list(frame.columns)
    numeric = frozenset(i for i, c in enumerate(columns) if pd.api.types.is_integer_dtype(frame[c]))
    counts = frozenset(i for i in numeric if not is_label_column(columns[i]))
    rows = [[fmt_int(v) if i in counts else esc(v) for i, v in enumerate(row)]
            for row in frame.itertuples(index=False)]
    return html_table(columns, rows, numeric=numeric, css_class="compact")


# --- the page ------------------------------------------------------------------------------------

STYLE = """
:root { --ink:#1b1b1b; --muted:#5a5a5a; --rule:#d0d0d0; --zebra:#f6f6f6; --accent:#0b5394; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0; background: #fff; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; border-bottom: 3px solid var(--accent); }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.3em; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.05em; margin: 22px 0 6px; }
p { max-width: 60em; }
a { color: var(--accent); }
.summary { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 10px 0 12px; padding: 0; list-style: none; }
.summary b { font-size: 1.25em; }
nav ol { columns: 2; margin: 6px 0 16px; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #999; background: #fafafa; }
tbody tr:nth-child(even) { background: var(--zebra); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { white-space: normal; }
table.documents { width: 100%; }
table.documents td:nth-child(3) { min-width: 14em; }
@media screen and (min-width: 1100px) { table.documents td:nth-child(3) { min-width: 37em; } }
.url { color: var(--muted); font-size: 11px; word-break: break-all; }
.sha { color: var(--muted); font-size: 11px; }
.sha code { font-size: 10.5px; color: var(--ink); word-break: break-all; }
table.checks td:first-child, table.documents td:first-child { white-space: nowrap; }
table.documents td:nth-child(7) { min-width: 7.5em; }
tbody.entry tr:nth-child(even) { background: none; }
tbody.entry:nth-of-type(even) { background: var(--zebra); }
tbody.entry tr:first-child:not(:last-child) td { border-bottom: none; padding-bottom: 1px; }
tbody.entry tr.note td { white-space: normal; overflow-wrap: anywhere; font-size: 12px; color: #333;
                         padding: 0 8px 6px 2.2em; }
tbody.entry tr.note td > div { width: 0; min-width: 100%; }  /* as wide as the row, never widening a column */
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600;
         border: 1px solid currentColor; white-space: nowrap; }
.st-ok, .st-passed, .st-present { color: #005a9c; }
.st-missing, .st-unreachable, .st-not-covered { color: #666; }
.st-failed, .st-finding-in-source, .st-conflict, .st-non-additive, .st-absent { color: #b34700; }
.st-rounding, .st-label, .st-note { color: #6b5a00; }
.unavailable { color: var(--muted); font-style: italic; border-left: 3px solid var(--rule); padding-left: 10px; }
figure { margin: 8px 0 18px; break-inside: avoid; }
svg.chart { width: 100%; max-width: 900px; height: auto; display: block; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #333; }
svg.chart .grid { stroke: #e3e3e3; stroke-width: 1; }
svg.chart .axis { stroke: #555; stroke-width: 1; }
svg.chart .axis-title { fill: var(--muted); }
figcaption { color: var(--muted); font-size: 13px; max-width: 60em; }
.legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; }
.legend .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; }
.legend .cell { display: inline-block; width: 22px; text-align: center; margin-right: 6px; }
table.heatmap td { text-align: center; min-width: 3.2em; padding: 0; border: 1px solid #fff; }
table.heatmap td a { display: block; padding: 3px 0; color: inherit; text-decoration: none; font-weight: 700; }
table.heatmap tbody tr:nth-child(even) { background: none; }
td.st-present, .cell.st-present { background: #0072B2; color: #fff; }
td.st-absent, .cell.st-absent { background: #E69F00; color: #000; }
td.st-not-covered, .cell.st-not-covered { background: #e4e4e4; color: #555; }
td.st-unknown { background: #fff; color: #000; outline: 1px dashed #999; }
td.st-none { background: #fff; }
ol.evidence { font-size: 12.5px; padding-left: 2.2em; overflow-wrap: anywhere; }
ol.evidence li:target { background: #fff3c4; }
ol.evidence .k { color: var(--muted); }
ol.evidence li { margin: 0 0 6px; }
ol.evidence .year { margin: 1px 0 0 0.5em; }
table.dictionary { font-size: 12px; margin-bottom: 10px; }
table.dictionary td:first-child { white-space: nowrap; }
ol.evidence .proof { margin: 2px 0 0 1em; padding-left: 8px; border-left: 2px solid var(--rule); color: #333; }
table.heatmap th.field { font-family: inherit; font-weight: 500; font-size: 12.5px; }
table.heatmap th.field code, ol.evidence code { font-size: 11px; color: var(--muted); }
a.back { font-size: 11px; margin-left: 6px; }
footer { color: var(--muted); font-size: 12px; margin-top: 36px; padding-bottom: 28px; border-top: 1px solid var(--rule); }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10.5pt; }
  header, main, footer { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
  a.back, nav { display: none; }
  section#evidence, section#dictionary { break-before: page; }  /* others flow on: no near-blank pages */
  h2 { break-after: avoid; }
  h2, h3, h3 + p { break-after: avoid; }
  table.compact { break-inside: avoid; }  /* a short table on one page; a longer one still breaks */
  tr, li, figure { break-inside: avoid; }
  thead { display: table-header-group; }
  table { font-size: 8.5pt; }
  table.documents td:nth-child(3) { min-width: 20em; }
  table.documents td:nth-child(7) { min-width: 6em; }
  tbody.entry { break-inside: avoid; }
  tbody.entry tr.note td { font-size: 8pt; }
  table.heatmap { line-height: 1.2; }
  table.heatmap th.field { font-size: 8pt; padding: 1px 6px; }
  table.heatmap th.field code { font-size: 6.5pt; }
  table.heatmap td { width: 3em; min-width: 0; }
  table.heatmap th.num { padding: 4px 2px; text-align: center; }
  table.heatmap td a { padding: 1px 0; }
  svg.chart { max-width: 100%; }
}
"""


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


PRESENCE_FIELDS = ("value", "values", "table", "page", "source_file", "evidence", "reason")


def year_verdict(record: dict, verdict) -> str:
    """`fields.one_line_verdict` over a presence row; a row it cannot read (a table written by
    another version) shows its value or reason as stored."""
    row = {**dict.fromkeys(PRESENCE_FIELDS), **record}
    try:
        return verdict(row)
    except (TypeError, ValueError, KeyError):
        return str(next((row[k] for k in ("values", "value", "reason") if row[k] is not None), ""))


def print_margins(run: dict | None) -> str:
    """Page margins of the printout: the run id at the foot of every page, 'page N of M' beside it
    (CSS page-margin boxes), so a loose page still names its run and its place."""
    run_id = str(run.get("run_id")) if run and run.get("run_id") else "no run manifest"
    quoted = json.dumps(f"NCMEC pipeline report · run {run_id}", ensure_ascii=False)
    return ("@page { @bottom-left { content: " + quoted + "; font: 8pt system-ui, sans-serif; color: #555; }"
            ' @bottom-right { content: "page " counter(page) " of " counter(pages);'
            " font: 8pt system-ui, sans-serif; color: #555; } }")


def dictionary_section() -> str:
    from pipeline.dictionary import data_dictionary, render_html

    return ("<p>Every output table and column: type, nullability, key and description, generated from the "
            "schemas the files are written with (<code>pipeline/store.py</code>; also "
            "<code>ncmec-pipeline datasets --format markdown</code>). <em>identity</em>: the columns that "
            "identify a row across runs; <em>sort</em>: further columns the file is sorted by.</p>"
            + render_html(data_dictionary()))


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
<style>{STYLE}</style>
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


# --- edges: reading the outputs, writing the file ------------------------------------------------

REQUIRED_TABLES = ("documents",)
REPORT_TABLES = ("documents", "checks", "esp_reports", "country_reports", "ojjdp_cells",
                 "ojjdp_revisions", "field_presence")


def read_tables(data_dir) -> dict[str, pd.DataFrame | None]:
    """Every table the report uses, None for those this run did not produce.
    Raises FileNotFoundError when even `documents` is missing (nothing has run there)."""
    from pipeline.load import available_names, load, processed_dir
    from pipeline.store import read_consistent

    present = set(available_names(data_dir))
    for name in REQUIRED_TABLES:
        if name not in present:
            load(name, data_dir=data_dir)  # raises with a message naming the folder and what is there
    # All tables of one output set (store.read_consistent): never a documents table beside
    # another run's rows.
    return read_consistent(processed_dir(data_dir), lambda _: {
        name: load(name, data_dir=data_dir) if name in present else None for name in REPORT_TABLES})


def latest_run(data_dir) -> dict | None:
    """The newest run manifest that wrote outputs (runs that published nothing are skipped).
    Newest by the run's sequence number, not its clock time (manifests from before sequences
    count as 0, then by name)."""
    runs_dir = Path(data_dir) / "runs"
    manifests = []
    for path in runs_dir.glob("*.json") if runs_dir.is_dir() else []:
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and manifest.get("written"):
            sequence = manifest.get("sequence")
            manifests.append((sequence if isinstance(sequence, int) else 0, path.name, manifest))
    return max(manifests, key=lambda m: m[:2])[2] if manifests else None


def write_report(text: str, path: Path) -> Path:
    """Write atomically (temp file + rename), so a reader never opens half a report."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
