"""Small synthetic NCMEC-style list PDFs, drawn with fpdf2 in points so coordinates match pdfplumber's.

A list is a header line, then rows separated by drawn rules (unless ruled=False); a row's name
may wrap over several lines with its count on any one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fpdf import FPDF

LINE = 13.0  # line pitch inside a wrapped cell
PAD = 5.0    # space above and below a row's text


@dataclass
class Row:
    name_lines: list[str]
    count: str
    count_line: int = 0  # which of the name lines the count sits on


@dataclass
class ListSpec:
    rows: list[Row]
    x: float = 100.0
    name_width: float = 200.0
    count_width: float = 100.0
    header: tuple[str, str] = ("Country / Territory", "Reports")
    ruled: bool = True
    pad: float = PAD  # space above and below each row's text


@dataclass
class PageSpec:
    lists: list[ListSpec]
    page_header: str | None = None       # e.g. "2023 Reports by Country 2"
    prose: list[str] = field(default_factory=list)  # text above the first list
    footer_lines: list[str] = field(default_factory=list)  # text below the lists
    stray_below: str | None = None      # a number printed in the count column under the last rule
    top: float = 80.0


def row(name: str | list[str], count: str, count_line: int = 0) -> Row:
    return Row([name] if isinstance(name, str) else list(name), count, count_line)


def _draw_list(pdf: FPDF, spec: ListSpec, top: float) -> float:
    right = spec.x + spec.name_width + spec.count_width
    pdf.set_font("helvetica", "B", 10)
    y = top
    if spec.ruled:
        pdf.line(spec.x, y, right, y)
    pdf.text(spec.x + 10, y + PAD + 9, spec.header[0])
    pdf.text(right - 10 - pdf.get_string_width(spec.header[1]), y + PAD + 9, spec.header[1])
    y += 2 * PAD + LINE
    if spec.ruled:
        pdf.line(spec.x, y, right, y)
    pdf.set_font("helvetica", "", 10)
    for r in spec.rows:
        height = 2 * spec.pad + LINE * max(1, len(r.name_lines))
        for i, text in enumerate(r.name_lines):
            pdf.text(spec.x + 10, y + spec.pad + 9 + i * LINE, text)
        count_y = y + spec.pad + 9 + r.count_line * LINE
        pdf.text(right - 10 - pdf.get_string_width(r.count), count_y, r.count)
        y += height
        if spec.ruled:
            pdf.line(spec.x, y, right, y)
    return y


def write_list_pdf(path, pages: list[PageSpec]) -> None:
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_line_width(0.5)
    for page in pages:
        pdf.add_page()
        pdf.set_font("helvetica", "", 10)
        if page.page_header:
            pdf.text(300, 40, page.page_header)
        y = page.top
        for line in page.prose:
            pdf.text(100, y, line)
            y += LINE
        bottom = y + 10
        for spec in page.lists:
            end = _draw_list(pdf, spec, y + 10)
            bottom = max(bottom, end)
        pdf.set_font("helvetica", "", 10)
        if page.stray_below:
            spec = page.lists[-1]
            right = spec.x + spec.name_width + spec.count_width
            pdf.text(right - 10 - pdf.get_string_width(page.stray_below), bottom + 20, page.stray_below)
        for i, line in enumerate(page.footer_lines):
            pdf.text(100, 740 + i * LINE, line)
    pdf.output(str(path))
