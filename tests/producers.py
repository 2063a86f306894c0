"""Synthetic list PDFs from a second, independent PDF producer (reportlab), and the same lists as
HTML for headless Chromium (`tests/fixtures/make_chromium_fixtures.py`).

`tests/synthetic.py` draws with fpdf2 the way NCMEC's Word files are set. This module describes a
list once (`ListTable`: column labels, possibly stacked; rows with wrapped names; several count
columns) and typesets it with the habits of other producers: glyphs positioned one by one with
no space characters, words split into runs, letter-spacing, a TrueType font embedded as a subset,
rules drawn as lines, thin filled rectangles or paths, zebra stripes with no rules, borders on
some sides only, a shaded header band with labels stacked and vertically centred, two or three
lists side by side. The expected reading is the spec itself (`expected_rows`), so a test states
what was printed, never what the reader produced.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

PAD = 4.0    # space above and below a row's text


@dataclass
class ListTable:
    labels: list[str]                 # column labels; "\n" stacks a label over lines; [0] is the name column
    rows: list[list[str]]             # [name ("\n" wraps it), count, count, ...]; the last is the total row
    x: float = 50.0
    widths: list[float] | None = None  # column widths (default: 170 for names, 80 per count column)
    rules: str = "lines"              # lines | rects | paths | zebra | none | booktabs | sides
    header_fill: bool = True
    glyphs: str = "runs"              # runs (one text run per word) | single (one glyph at a time, no spaces)
    letter_spacing: float = 0.0
    count_align: str = "right"        # right | left | center
    count_line: str = "first"         # first | last | middle: the line of a wrapped name holding the counts
    header_valign: str = "middle"     # middle | top: a short label beside a stacked one
    font: str = "Helvetica"           # Helvetica | Vera (a TrueType font embedded as a subset)
    top: float = 90.0
    size: float = 9.0                 # type size

    @property
    def line(self) -> float:
        """Pitch of the lines inside a cell."""
        return round(self.size * 4 / 3, 2)

    def column_widths(self) -> list[float]:
        """The widths asked for, widened where a label or a count would not fit with 12 pt to
        spare: the producer sets a reasonable table, never one whose labels collide."""
        widths = self.widths or [170.0] + [80.0] * (len(self.labels) - 1)
        bold = "VeraBd" if self.font == "Vera" else "Helvetica-Bold"
        if self.font == "Vera":
            _register_vera()
        fitted = []
        for i, width in enumerate(widths):
            texts = [line for line in self.labels[i].split("\n")] + [
                line for row in self.rows for line in row[i].split("\n")]
            need = max(_width(bold, self.size, t, self.letter_spacing) for t in texts) + 12
            fitted.append(max(width, need))
        return fitted

    @property
    def right(self) -> float:
        return self.x + sum(self.column_widths())


@dataclass
class ListPage:
    tables: list[ListTable]
    title: str | None = "CyberTipline Reports"   # page furniture above the lists
    footer: str | None = None


@dataclass
class _Row:
    top: float
    bottom: float
    cells: list[str] = field(default_factory=list)


def expected_rows(pages: list[ListPage]) -> list[tuple[str, tuple[str, ...]]]:
    """(name, counts) of every data row as the spec prints it, page by page, left list first; the
    total rows excluded."""
    rows = []
    for page in pages:
        for table in sorted(page.tables, key=lambda t: t.x):
            for cells in table.rows:
                name = " ".join(cells[0].split())
                if name.lower().rstrip(":") not in ("total", "grand total", "totals"):
                    rows.append((name, tuple(cells[1:])))
    return rows


# --- reportlab -------------------------------------------------------------------------------

def write_reportlab_pdf(path: Path, pages: list[ListPage], *, page_size=(612.0, 792.0)) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=page_size, pageCompression=0)
    height = page_size[1]
    for page in pages:
        fonts = _register_fonts(page)
        if page.title:
            _text(c, fonts["bold"], 12, 50, 50, page.title, height)
        for table in page.tables:
            _draw_table(c, table, fonts, height)
        if page.footer:
            _text(c, fonts["regular"], 7, 50, height - 40, page.footer, height)
        c.showPage()
    c.save()
    return path


def _register_fonts(page: ListPage) -> dict[str, str]:
    if any(t.font == "Vera" for t in page.tables):
        _register_vera()
        return {"regular": "Vera", "bold": "VeraBd"}
    return {"regular": "Helvetica", "bold": "Helvetica-Bold"}


def _register_vera() -> None:
    """Bitstream Vera, shipped with reportlab: embedded as a TrueType subset ('AAAAAA+Vera')."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Vera", "Vera.ttf"))
        pdfmetrics.registerFont(TTFont("VeraBd", "VeraBd.ttf"))


def _width(font: str, size: float, text: str, spacing: float = 0.0) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, size) + spacing * len(text)


def _text(c, font: str, size: float, x: float, top: float, text: str, height: float, *,
          glyphs: str = "runs", spacing: float = 0.0) -> None:
    """Text whose box starts at `top` (pdfplumber's y, from the page top)."""
    baseline = height - top - 0.8 * size
    if glyphs == "single":
        # Each glyph its own text object at its own position; spaces are not drawn at all.
        for ch in text:
            if ch != " ":
                t = c.beginText(x, baseline)
                t.setFont(font, size)
                t.textOut(ch)
                c.drawText(t)
            x += _width(font, size, ch, spacing)
        return
    for i, word in enumerate(text.split(" ")):
        # One run per word, placed absolutely: no space characters between the runs.
        t = c.beginText(x, baseline)
        t.setFont(font, size)
        t.setCharSpace(spacing)
        t.textOut(word)
        c.drawText(t)
        x += _width(font, size, word + " ", spacing)


def _aligned_x(table: ListTable, font: str, text: str, left: float, width: float) -> float:
    w = _width(font, table.size, text, table.letter_spacing)
    if table.count_align == "left":
        return left + 6
    if table.count_align == "center":
        return left + (width - w) / 2
    return left + width - 6 - w


def _draw_table(c, table: ListTable, fonts: dict[str, str], height: float) -> None:
    widths = table.column_widths()
    lefts = [table.x + sum(widths[:i]) for i in range(len(widths))]
    stacked = [label.split("\n") for label in table.labels]
    header_lines = max(len(s) for s in stacked)
    header_bottom = table.top + 2 * PAD + header_lines * table.line
    if table.header_fill:
        c.setFillGray(0.82)
        c.rect(table.x, height - header_bottom, table.right - table.x, header_bottom - table.top, stroke=0, fill=1)
        c.setFillGray(0)
    for i, lines in enumerate(stacked):
        offset = (header_lines - len(lines)) * table.line / 2 if table.header_valign == "middle" else 0.0
        for k, text in enumerate(lines):
            top = table.top + PAD + offset + k * table.line
            x = lefts[i] + 6 if i == 0 else _aligned_x(table, fonts["bold"], text, lefts[i], widths[i])
            _text(c, fonts["bold"], table.size, x, top, text, height, glyphs=table.glyphs, spacing=table.letter_spacing)
    y = header_bottom
    bands = []
    for cells in table.rows:
        bands.append(_Row(y, y + 2 * PAD + len(cells[0].split("\n")) * table.line, cells))
        y = bands[-1].bottom
    if table.rules == "zebra":
        # Fills first, text over them: a stripe drawn after the text would hide it.
        c.setFillGray(0.93)
        for band in bands[::2]:
            c.rect(table.x, height - band.bottom, table.right - table.x, band.bottom - band.top, stroke=0, fill=1)
        c.setFillGray(0)
    for band in bands:
        cells, y = band.cells, band.top
        names = cells[0].split("\n")
        count_at = {"first": 0, "last": len(names) - 1, "middle": (len(names) - 1) // 2}[table.count_line]
        for k, text in enumerate(names):
            _text(c, fonts["regular"], table.size, lefts[0] + 6, y + PAD + k * table.line, text, height,
                  glyphs=table.glyphs, spacing=table.letter_spacing)
        for i, count in enumerate(cells[1:], start=1):
            x = _aligned_x(table, fonts["regular"], count, lefts[i], widths[i])
            _text(c, fonts["regular"], table.size, x, y + PAD + count_at * table.line, count, height,
                  glyphs=table.glyphs, spacing=table.letter_spacing)
    _draw_rules(c, table, bands, header_bottom, height)


def _draw_rules(c, table: ListTable, bands: list[_Row], header_bottom: float, height: float) -> None:
    x0, x1 = table.x, table.right
    if table.rules in ("zebra", "none"):
        return
    ys = [header_bottom] + [b.bottom for b in bands]
    if table.rules == "booktabs":
        ys = [table.top, header_bottom, bands[-1].bottom]
    c.setLineWidth(0.5)
    for y in ys:
        if table.rules == "rects":
            c.rect(x0, height - y - 0.25, x1 - x0, 0.5, stroke=0, fill=1)
        elif table.rules == "paths":
            path = c.beginPath()
            widths = table.column_widths()
            left = x0
            path.moveTo(left, height - y)
            for w in widths:
                left += w
                path.lineTo(left, height - y)
            c.drawPath(path, stroke=1, fill=0)
        elif table.rules == "sides":
            # A border under each row, and on the left of the name column only.
            c.line(x0, height - y, x1, height - y)
        else:
            c.line(x0, height - y, x1, height - y)
    if table.rules == "sides":
        c.line(x0, height - header_bottom, x0, height - bands[-1].bottom)


# --- HTML for headless Chromium ---------------------------------------------------------------

def list_html(pages: list[ListPage]) -> str:
    """The same lists as an HTML page of tables, one printed page each, for Chromium's
    --print-to-pdf (fixtures made once by tests/fixtures/make_chromium_fixtures.py)."""
    body = []
    for page in pages:
        parts = [f"<h1>{html.escape(page.title)}</h1>" if page.title else ""]
        parts.append('<div class="lists">')
        for table in page.tables:
            widths = table.column_widths()
            cls = f"rules-{table.rules} align-{table.count_align}" + (" fill" if table.header_fill else "")
            style = f"letter-spacing:{table.letter_spacing}pt"
            head = "".join(f'<th style="width:{w}pt">{"<br>".join(html.escape(x) for x in label.split(chr(10)))}</th>'
                           for w, label in zip(widths, table.labels))
            rows = "".join("<tr>" + "".join(f"<td>{'<br>'.join(html.escape(x) for x in cell.split(chr(10)))}</td>"
                                            for cell in cells) + "</tr>" for cells in table.rows)
            parts.append(f'<table class="{cls}" style="{style}"><thead><tr>{head}</tr></thead>'
                         f"<tbody>{rows}</tbody></table>")
        parts.append("</div>")
        if page.footer:
            parts.append(f'<p class="footer">{html.escape(page.footer)}</p>')
        body.append('<section class="page">' + "".join(parts) + "</section>")
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: letter; margin: 40pt; }}
body {{ font-family: "DejaVu Sans", sans-serif; font-size: 9pt; }}
.page {{ break-after: page; }}
h1 {{ font-size: 12pt; }}
.lists {{ display: flex; gap: 24pt; align-items: flex-start; }}
table {{ border-collapse: collapse; }}
th {{ vertical-align: middle; text-align: right; padding: 4pt 6pt; }}
th:first-child, td:first-child {{ text-align: left; }}
td {{ padding: 4pt 6pt; vertical-align: top; text-align: right; }}
.align-left td:not(:first-child), .align-left th:not(:first-child) {{ text-align: left; }}
.fill th {{ background: #cfd8dc; }}
.rules-lines td, .rules-lines th {{ border-bottom: 0.5pt solid #000; }}
.rules-sides td {{ border-bottom: 0.5pt solid #000; }}
.rules-sides td:first-child {{ border-left: 0.5pt solid #000; }}
.rules-zebra tbody tr:nth-child(odd) td {{ background: #eeeeee; }}
.footer {{ font-size: 7pt; }}
</style></head><body>{"".join(body)}</body></html>"""
