"""Small HTML pieces of the report: values formatted as NCMEC prints them, escaped text, tables.

Every helper returns already-escaped HTML (or text safe to put in it), so the sections compose
strings without escaping twice.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from pipeline.display import percent


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


def status_badge(status) -> str:
    return f'<span class="badge st-{slug(status)}">{esc(status)}</span>'


def doc_anchor(doc_id) -> str:
    return f"doc-{slug(doc_id)}"


def presence_anchor(field_id, year) -> str:
    return f"ev-{slug(field_id)}-{int(year)}"


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


def generic_table(frame: pd.DataFrame) -> str:
    """Any table as printed: counts with thousands separators, years and pages as they are."""
    columns = list(frame.columns)
    numeric = frozenset(i for i, c in enumerate(columns) if pd.api.types.is_integer_dtype(frame[c]))
    counts = frozenset(i for i in numeric if not is_label_column(columns[i]))
    rows = [[fmt_int(v) if i in counts else esc(v) for i, v in enumerate(row)]
            for row in frame.itertuples(index=False)]
    return html_table(columns, rows, numeric=numeric, css_class="compact")
