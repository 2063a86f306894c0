"""The layout debugger: what the list reader found on each page, drawn over the page.

For the day NCMEC's newest edition is refused: `ncmec-pipeline explain DOC_ID` renders each page
with pdfplumber's `page.to_image` and draws what the reader found over it, the way pdfplumber's own
visual debugging does: the header band and its label cells with their roles, the name column
and the count columns' boundaries, the row bounds, every row read (the total row in its own
colour), and, in red, the near-miss headers and the refusal with its reason. It also prints the
reading as text. A maintainer sees in a minute which label, column or row stopped the reader,
and which line of `pipeline/data/list_layouts.csv` to edit.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.extract import ExtractionError

# Colours (RGB) of what is drawn; a legend is written at the foot of each page.
HEADER = (40, 90, 200)
NAME = (30, 140, 60)
SPLIT = (230, 120, 0)
ROW = (30, 140, 60)
TOTAL = (140, 40, 170)
BOUND = (120, 120, 120)
REFUSED = (210, 20, 20)


@dataclass
class Explanation:
    """The reading as text lines, the PNG files written, and the refusal (None when read)."""

    lines: list[str] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    refusal: str | None = None
    refused_page: int | None = None


def explain_list(pdf_path: Path, family: str, *, pages: list[int] | None = None, output: Path | None = None,
                 name: str | None = None, resolution: int = 100) -> Explanation:
    """Read a list PDF with a trace, describe every page (or `pages`), and draw them into `output`."""
    import pdfplumber

    from pipeline.extract.cybertipline import ListTrace, extract_list

    trace = ListTrace()
    result = None
    try:
        result = extract_list(pdf_path, family, trace=trace)
    except ExtractionError:
        pass
    stem = name or Path(pdf_path).stem
    out = Explanation(refusal=trace.refusal, refused_page=trace.refused_page)
    if result is not None:
        out.lines.append(f"{stem}: read {len(result.rows)} rows and the total row ({_counts(result.total)}) on page"
                         f" {result.total.page}; count columns: {' | '.join(result.labels)}"
                         f" (roles {', '.join(result.roles)})")
    else:
        out.lines.append(f"{stem}: REFUSED" + (f" on page {trace.refused_page}" if trace.refused_page else "")
                         + f": {trace.refusal}")
    with pdfplumber.open(pdf_path) as pdf:
        for number in wanted_pages(pdf, pages, stem):
            reading = trace.pages.get(number)
            out.lines.extend(describe_page(number, reading, trace))
            if output is not None:
                output.mkdir(parents=True, exist_ok=True)
                path = output / f"{stem}-p{number}.png"
                draw_page(pdf.pages[number - 1], reading, trace, resolution).save(path)
                out.images.append(path)
    return out


def wanted_pages(pdf, pages: list[int] | None, stem: str) -> list[int]:
    """The pages asked for (all by default); a ValueError names a page the PDF does not have."""
    for number in pages or ():
        if not 1 <= number <= len(pdf.pages):
            raise ValueError(f"{stem} has {len(pdf.pages)} pages; there is no page {number}")
    return list(pages or range(1, len(pdf.pages) + 1))


def _counts(row) -> str:
    return " | ".join(text for _, text in row.counts)


def describe_page(number: int, reading, trace) -> list[str]:
    """The page's reading in words: headers and their columns, rows, near misses, refusal."""
    lines = []
    if reading is None:
        lines.append(f"page {number}: not read (the reader stopped before it)")
    elif not reading.headers:
        lines.append(f"page {number}: no list header")
    for region, columns, bounds in (reading.lists if reading else []):
        header = region.header
        cells = " | ".join(f"{c.role} {c.label!r} x={c.x0:.0f}-{c.x1:.0f}" for c in header.columns)
        how = ("no header printed: the columns of the list before" if header.carried
               else f"header band y={header.top:.0f}-{header.bottom:.0f}")
        lines.append(f"page {number}: {how}: name {header.name_label or '(carried)'!r}"
                     f" x={header.name_x0:.0f}-{header.name_x1:.0f} | {cells}")
        edges = [columns.divider, *columns.splits]
        lines.append(f"  names left of x={columns.divider:.0f}; count columns start at "
                     + ", ".join(f"x={x:.0f} ({role})" for x, role in zip(edges, columns.roles))
                     + f"; {len(bounds)} row bounds" + (f" y={bounds[0]:.0f}..{bounds[-1]:.0f}" if bounds else ""))
    if reading and reading.rows:
        first, last = reading.rows[0], reading.rows[-1]
        lines.append(f"  {len(reading.rows)} rows: {first.name!r} {_counts(first)} ... {last.name!r} {_counts(last)}")
    for miss in (reading.near_misses if reading else []):
        lines.append(f"  starts like a header but is none: {miss}")
    if trace.refused_page == number:
        lines.append(f"  REFUSED here: {trace.refusal}")
    return lines


def _total_of(reading, trace):
    """The total row, when this page holds it: the last row read of the document."""
    last = max((n for n, r in trace.pages.items() if r.rows), default=None)
    return reading.rows[-1] if reading and reading.rows and reading.page == last and trace.refusal is None else None


def draw_page(page, reading, trace, resolution: int):
    """The page rendered with the reading drawn over it (a pdfplumber PageImage)."""
    from PIL import ImageDraw

    image = page.to_image(resolution=resolution)
    for region, columns, bounds in (reading.lists if reading else []):
        header = region.header
        bottom = max(bounds) if bounds else header.bottom
        image.draw_rect((header.name_x0, header.top, header.count_x1, header.bottom),
                        fill=(*HEADER, 40), stroke=HEADER, stroke_width=1)
        image.draw_rect((header.name_x0, header.top, header.name_x1, header.bottom), fill=(0, 0, 0, 0), stroke=NAME)
        for column in header.columns:
            image.draw_rect((column.x0, header.top, column.x1, header.bottom), fill=(0, 0, 0, 0), stroke=SPLIT)
        image.draw_line([(columns.divider, header.top), (columns.divider, bottom)], stroke=NAME, stroke_width=2)
        for x in columns.splits:
            image.draw_line([(x, header.top), (x, bottom)], stroke=SPLIT, stroke_width=2)
        for y in bounds:
            image.draw_line([(header.name_x0, y), (header.count_x1, y)], stroke=BOUND, stroke_width=1)
    for row in (reading.rows if reading else []):
        colour = TOTAL if row is _total_of(reading, trace) else ROW
        if row.box:
            image.draw_rect(row.box, fill=(0, 0, 0, 0), stroke=colour, stroke_width=1)
        for cell in row.count_boxes:
            image.draw_rect(cell, fill=(*colour, 35), stroke=colour, stroke_width=1)
    draw = ImageDraw.Draw(image.annotated)
    scale = image.scale
    for region, columns, _ in (reading.lists if reading else []):
        header = region.header
        draw.text((header.name_x0 * scale, max(0, header.top * scale - 11)), "name", fill=NAME)
        for column in header.columns:
            draw.text((column.x0 * scale, max(0, header.top * scale - 11)), column.role, fill=SPLIT)
    for box in (reading.near_miss_boxes if reading else []):
        image.draw_rect(box, fill=(*REFUSED, 50), stroke=REFUSED, stroke_width=2)
    if trace.refused_page == page.page_number and trace.refusal:
        # The y a refusal names ('at y=114') is marked across the page; its reason at the foot.
        for y in {float(m) for m in re.findall(r"\by=(\d+)", trace.refusal)}:
            image.draw_rect((0, y - 1, page.width, y + 12), fill=(*REFUSED, 60), stroke=REFUSED)
        wrapped = textwrap.wrap("REFUSED: " + trace.refusal, width=int(page.width * scale / 6.2))
        draw.multiline_text((4, page.height * scale - 30 - 11 * len(wrapped)), "\n".join(wrapped), fill=REFUSED)
    legend = ("blue: header band | green: name column, rows and count cells read | orange: count columns"
              " | grey: row bounds | purple: the total row | red: refused")
    draw.text((4, page.height * scale - 14), legend, fill=(60, 60, 60))
    return image


# --- OJJDP editions ----------------------------------------------------------------------------

def explain_ojjdp(pdf_path: Path, edition: int, *, pages: list[int] | None = None, output: Path | None = None,
                  name: str | None = None, resolution: int = 100) -> Explanation:
    """The OJJDP reader's tables page by page: each table grid (drawn borders, or derived from the
    text where none is drawn) with its header bands and cells, the table ids read on the page,
    and the refusal on its page."""
    import pdfplumber

    from pipeline.extract.ojjdp import extract_ojjdp
    from pipeline.pages import open_pages

    stem = name or Path(pdf_path).stem
    tables: list[dict] = []
    out = Explanation()
    try:
        result = extract_ojjdp(pdf_path, edition=edition)
        tables = result.tables
        out.lines.append(f"{stem}: read {len(result.cells)} numbers in {len(tables)} tables"
                         f" ({sum(not t['recognised'] for t in tables)} not recognised by pipeline/data/ojjdp_tables.csv)")
    except ExtractionError as err:
        out.refusal = str(err)
        out.refused_page = err.page
        out.lines.append(f"{stem}: REFUSED" + (f" on page {out.refused_page}" if out.refused_page else "")
                         + f": {out.refusal}")
    with pdfplumber.open(pdf_path) as pdf:
        wanted = set(wanted_pages(pdf, pages, stem))
        for content in open_pages(pdf_path):
            number = content.number
            if number not in wanted:
                continue
            page = pdf.pages[number - 1]  # pdfplumber draws the page; the reader reads `content`
            grids, refusal = _page_grids(content, number, Path(pdf_path).name)
            here = [t for t in tables if t["page"] == number]
            out.lines.append(f"page {number}: {len(grids)} table grid(s)" + "".join(
                f"; {t['table_id']} ({t['n_cells']} numbers) {t['caption'][:60]!r}" for t in here))
            if refusal:
                out.lines.append(f"  the page's grids cannot be built: {refusal}")
            if out.refused_page == number:
                out.lines.append(f"  REFUSED here: {out.refusal}")
            if output is not None:
                output.mkdir(parents=True, exist_ok=True)
                path = output / f"{stem}-p{number}.png"
                _draw_grids(page, grids, here, out if out.refused_page == number else None, resolution).save(path)
                out.images.append(path)
    return out


def _page_grids(page, number: int, source: str):
    from pipeline.extract.ojjdp import page_grids

    try:
        return page_grids(page, number, source)[0], None
    except ExtractionError as err:
        return [], str(err)


def _draw_grids(page, grids, tables: list[dict], refused: Explanation | None, resolution: int):
    from PIL import ImageDraw

    from pipeline.extract.ojjdp_table import header_band_count

    image = page.to_image(resolution=resolution)
    for grid in grids:
        image.draw_rect((grid.x0, grid.top, grid.x1, grid.bottom), fill=(0, 0, 0, 0), stroke=HEADER, stroke_width=2)
        header = header_band_count(grid)
        for index, band in enumerate(grid.bands):
            for cell in band:
                colour = HEADER if index < header else ROW
                image.draw_rect((cell.x0, cell.top, cell.x1, cell.bottom), fill=(*colour, 25), stroke=colour)
    draw = ImageDraw.Draw(image.annotated)
    for grid, table in zip(grids, tables):
        draw.text((grid.x0 * image.scale, max(0, grid.top * image.scale - 11)), table["table_id"], fill=HEADER)
    if refused is not None:
        for y in {float(m) for m in re.findall(r"\by=(\d+)", refused.refusal or "")}:
            image.draw_rect((0, y - 1, page.width, y + 12), fill=(*REFUSED, 60), stroke=REFUSED)
        wrapped = textwrap.wrap("REFUSED: " + refused.refusal, width=int(page.width * image.scale / 6.2))
        draw.multiline_text((4, page.height * image.scale - 30 - 11 * len(wrapped)), "\n".join(wrapped), fill=REFUSED)
    draw.text((4, page.height * image.scale - 14), "blue: table grid, header cells | green: data cells | red: refused",
              fill=(60, 60, 60))
    return image


def explain_document(target: str, documents, workspace, *, family: str | None = None, edition: int | None = None,
                     mirror: Path | None = None, pages: list[int] | None = None, output: Path | None = None):
    """`ncmec-pipeline explain`: the reading of a DOC_ID of `documents` (its fetched copy in the
    workspace's raw/, else the mirror's) or of a PDF path (`family`, and the `edition` where its
    reader needs one), drawn into `output` (default the workspace's explain/). ValueError says
    what is missing."""
    from pipeline.families import FAMILIES

    pdf, family, name, year = _target(target, {d.doc_id: d for d in documents}, workspace, family, edition, mirror)
    return FAMILIES[family].explain(pdf, year, pages=pages, output=output or workspace.explain, name=name)


def _target(target: str, documents: dict, workspace, family: str | None, edition: int | None,
            mirror: Path | None) -> tuple[Path, str, str, int | None]:
    """The PDF, family, display name and edition to read for a DOC_ID or a PDF path."""
    from pipeline.families import FAMILIES

    readers = ", ".join(FAMILIES)
    if target in documents:
        doc = documents[target]
        if doc.family not in FAMILIES:
            raise ValueError(f"{target} is a {doc.family} document, which no reader reads"
                             f" (explain draws the readers of {readers})")
        copies = [workspace.raw / doc.file] + ([Path(mirror) / doc.file] if mirror else [])
        found = next((p for p in copies if p.is_file()), None)
        if found is None:
            raise ValueError(f"no copy of {doc.file} for {target}: looked in {', '.join(map(str, copies))};"
                             f" fetch it (ncmec-pipeline fetch --only {target}) or pass --mirror DIR")
        return found, doc.family, target, doc.year
    path = Path(target)
    if not path.is_file():
        raise ValueError(f"{target!r} is neither a manifest DOC_ID nor a PDF file (ids: {', '.join(sorted(documents))})")
    if family is None:
        raise ValueError(f"{target}: say which family the PDF is with --family ({readers})")
    if FAMILIES[family].reader_needs_edition and edition is None:
        raise ValueError(f"{target}: the {FAMILIES[family].title} reader needs the edition year: --edition YYYY")
    return path, family, path.stem, edition
