"""The report's sections of record: documents, field presence and its evidence, validation
findings, cross-edition revisions, the data dictionary. Each takes the loaded frames (None when
the run has no such table) and returns the section's HTML body."""

from __future__ import annotations

import pandas as pd

from pipeline.report.data import check_counts, family_order, field_titles, readable_documents
from pipeline.report.markup import (
    doc_anchor,
    esc,
    fmt_int,
    fmt_printed_number,
    fmt_signed,
    generic_table,
    html_table,
    missing,
    not_available,
    presence_anchor,
    slug,
    status_badge,
)
from pipeline.validate.findings import KINDS, kind_counts, summary_phrase


PRESENCE_STYLE = {  # status -> (css class, mark shown in the cell, legend text)
    "present": ("st-present", "✓", "published that year"),
    "absent": ("st-absent", "✗", "not printed in that year's documents, which were read"),
    "not_covered": ("st-not-covered", "·", "no document that would print it was available for that year"),
}
KIND_HEADINGS = {"conflict": "Conflicts: two printed numbers that cannot both be right",
                 "rounding": "Rounding: a percent or rounded figure off at its printing precision",
                 "label": "Label quirks: a misprinted or mislabelled label or sentence, values unaffected",
                 "non_additive": "Non-additive totals: totals the document itself says are not a sum"}
RECONCILIATION_CHECKS = ("total_reconciles", "ojjdp_matches_", "ojjdp_same_figure")
PRESENCE_FIELDS = ("value", "values", "table", "page", "source_file", "evidence", "reason")


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


def year_verdict(record: dict, verdict) -> str:
    """`fields.one_line_verdict` over a presence row; a row it cannot read (a table written by
    another version) shows its value or reason as stored."""
    row = {**dict.fromkeys(PRESENCE_FIELDS), **record}
    try:
        return verdict(row)
    except (TypeError, ValueError, KeyError):
        return str(next((row[k] for k in ("values", "value", "reason") if row[k] is not None), ""))


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


def dictionary_section() -> str:
    from pipeline.dictionary import data_dictionary, render_html

    return ("<p>Every output table and column: type, nullability, key and description, generated from the "
            "field dictionary the files' schemas follow (<code>pipeline/data/columns.toml</code>; also "
            "<code>ncmec-pipeline datasets --format markdown</code>). <em>identity</em>: the columns that "
            "identify a row across runs; <em>sort</em>: further columns the file is sorted by.</p>"
            + render_html(data_dictionary()))
