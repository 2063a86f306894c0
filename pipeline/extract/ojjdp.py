"""Extractor for the OJJDP-NCMEC Transparency reports: every table, read cell by cell.

Each edition prints about twenty small tables (three calendar years side by side) wherever the
prose leaves room, so nothing here depends on page numbers or coordinates. A table is found from
what Word draws: every cell border is a thin filled rectangle, so the borders that touch each
other form one table's grid (a border drawn as one stroked path, which pdfplumber reports as a
curve, counts by its straight pieces). The grid gives the cells, including merged ones (a
missing border between two grid cells merges them); the page's words are placed into the cell
holding their letters (`_ink_middle`).
`extract_tables()` defaults are not used: they split multi-line headers, wrapped labels and
numbers broken across lines in narrow cells. A table set without cell borders (horizontal borders
only, or none, its columns aligned under year labels; shaded header bands are no borders)
gets the same grid derived from where its words are (`pipeline.extract.ojjdp_text_grid`), or is
refused where that is ambiguous. A table neither way finds is not seen:
`pipeline.validate.ojjdp.check_tables_expected` fails the edition when a table the rules file
expects is missing.

How a table is read:
1. bands (grid rows) before the first band holding a number are the header; a first band that
   is one cell across the whole table is the title. A grid with no header is the rest of the
   table on the previous page when it is the first on its page, has no text printed above it
   (a caption paragraph there starts a new table; text repeated at the same height on other
   pages is page furniture and does not count) and is drawn with the same columns; so is one
   that repeats that table's whole header, title included (Word repeats header rows only from
   a table's first row). Otherwise a grid without header is refused, since nothing names its
   columns; so is such a continuation starting with a band holding text only in the row-label
   column (a row broken across the page break: which half the numbers belong to is a guess);
2. in the data bands the first cell is the row label when it holds text (tables such as the
   hash-sharing counts have no row labels); a number must lie under one column and on one row
   (a merged cell across two years or two rows is refused); a row label with no number beside
   it is refused (the other half of a row broken across pages, or numbers the reader cannot
   see);
3. a data cell holds one count, optionally a percent under it ("887,252" / "4.1%"), or several
   labelled counts ("Actionable: 491,655 Informational: 400,715 Total: 892,370", the labels are
   the rule's `cell_labels`); pieces of one
   number broken across lines ("24,768,90" / "3") are joined only when the pieces alone are not
   well-formed counts and the joined text is one (`pipeline.layout.join_count_pieces`);
4. footnote markers are split off into `footnote`: digits, commas and the symbols * † ‡ §
   printed smaller than the text they follow ("Unknown Location" + superscript "3", "27" +
   superscript "3,4"; not "1,234", a count), at under 0.8 of the cell's text size or, at 0.8-0.9
   of it, raised above the baseline of the word beside them; and * † ‡ printed at the text size
   at the end of a word ("CY 2024*", "51*"). A digit marker printed at the text size runs into
   the year ("CY 20229") and is refused;
5. the table id comes from the one rule in `pipeline/data/ojjdp_tables.csv` whose pattern
   matches the table's header text (title, row-label header, column headers); a table no rule
   matches is kept as `unknown_p{page}_{n}` (n counts tables down the page); two rules matching
   one table, or one rule matching two tables, is an error. Every column label of a recognised
   table must fully match the rule's `columns` pattern (a sub-column a new edition adds may
   count something else than the rule's measure).

Anything the reader cannot place (text among the numbers, two counts in one cell, an unknown
in-cell label, a rule matching two tables, a number with no year or two, a recognised table with
no number the reader accepts, a number-like word in a header) raises `ExtractionError`: never a
guessed number. Quirks it does correct (a misprinted in-cell label, only where the cell then adds
up) are listed in `OjjdpExtraction.notes`.

All wording that may change between editions (table titles, column headers naming a measure,
in-cell labels and their misprints, the column labels each table may print, the editions each
table is printed in) lives in the rules file, not here; years come from the printed labels,
never from the edition's own year.

Cell vocabulary, one dict per printed number (keys exactly as in `CELL_KEYS`):
  row_label, column_label  as printed, lines joined, whitespace normalised; a column under a
           spanning header is labelled top-down, levels joined by " | " ("CY 2021 | Total
           Images/Videos"); None where the table has no row labels.
  footnote the footnote markers split off the row and column labels and the number ("3", "9"),
           comma-joined.
  year     the calendar year the number describes: from the column header, else the row label
           (Appendix A), else the table title (identified victims, one table per year; there a
           column naming another year is refused). A label names a year as "CY yyyy",
           "Calendar Year yyyy" or as a bare year (a label, or a level of a spanning header,
           that is just "2022"); a label holding a year-like number any other way ("Jan-Jun
           2023") is refused, as is one naming two years ("CY 2023-2024") or column and row
           naming different ones; so is a number of a recognised table with no year at all.
  measure  what the number counts. Units (the table's `default_measure` in the rules file):
           reports, files, esps (newly registered ESPs), instances (feedback instances), hashes,
           signatures (PhotoDNA signatures), victims, series, reviews, count (tables no rule
           recognises). Kinds, from a column header (the rule's `column_measures`) or an in-cell
           label: total, unique (MD5-unique files), similar (visually similar files),
           actionable, informational. And `percent` for a printed percentage (value is None,
           percent holds the number).
  value    the count, exact; None for "-" and for percents.  percent: Decimal as printed.
  value_text  the number exactly as printed ("24,768,903" for the broken one, "-" for none).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipeline.extract import ExtractionError
from pipeline.extract.ojjdp_cells import OjjdpExtraction, tables_to_cells
from pipeline.extract.ojjdp_table import continue_across_pages, read_table, text_above_first_grids
from pipeline.grid import Grid, SizedWord, borders_from_shapes, build_grid, group_borders, shapes_from_curves
from pipeline.layout import TextLine, group_lines
from pipeline.ojjdp_rules import load_table_rules


# A page whose content stream draws fewer rectangles and line segments than this cannot hold a
# bordered table (two rows by two columns already need 3 + 3 borders). Such a page is not parsed:
# nearly all of the extraction time is pdfminer interpreting pages.
MIN_SHAPES_FOR_A_TABLE = 6
# A table set with horizontal borders only needs two of them (`pipeline.extract.ojjdp_text_grid`);
# a table with no borders at all is looked for on every page.
MIN_SHAPES_FOR_A_BORDERED_TABLE = 2


def _sized_words(page) -> list[SizedWord]:
    return rejoin_split_words([
        SizedWord(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]),
                  float(w["size"]))
        for w in page.words(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"])
    ])


def rejoin_split_words(words: list[SizedWord]) -> list[SizedWord]:
    """Words that touch (no gap at all) on the same line in the same size are one word.

    Word sometimes prints stray space characters on top of letters: 2022 ed. p.8, CY 2022 ICAC
    cell, where "Informational:" comes out of pdfplumber as "I", "n", "formational:". A real
    space leaves a gap of a few points; these pieces touch. A smaller footnote digit right after
    a word is not joined (its size differs).
    """
    out: list[SizedWord] = []
    for word in sorted(words, key=lambda w: (round(w.top, 1), w.x0)):
        last = out[-1] if out else None
        if (last is not None and abs(last.top - word.top) < 0.5 and abs(last.size - word.size) < 0.01
                and -1.0 < word.x0 - last.x1 < 0.1):
            out[-1] = SizedWord(last.text + word.text, last.x0, word.x1, last.top, max(last.bottom, word.bottom),
                                last.size)
        else:
            out.append(word)
    return out


def page_grids(page, number: int, source: str) -> tuple[list[Grid], list[SizedWord]]:
    """The table grids of one page, top to bottom (drawn border grids, and grids derived from the
    text where no border is drawn), and the page's words. Shared with `explain`, which draws them."""
    from pipeline.extract.ojjdp_text_grid import derived_grids

    shapes = page.drawn_operator_count()  # 're' and 'l' operators, counted without parsing
    borders = borders_from_shapes(page.rects + page.lines + shapes_from_curves(page.curves)) \
        if shapes >= MIN_SHAPES_FOR_A_BORDERED_TABLE else []
    groups = group_borders(borders) if shapes >= MIN_SHAPES_FOR_A_TABLE else []
    words = _sized_words(page)
    drawn = [build_grid(group, words, page=number, source=source) for group in groups]
    derived = derived_grids(words, borders, drawn, page=number, source=source)
    return (sorted(drawn + derived, key=lambda g: (g.top, g.x0)) if derived else drawn), words


def extract_ojjdp(pdf_path, *, edition: int, with_page_texts: bool = False) -> OjjdpExtraction:
    """Every number in every table of one OJJDP-NCMEC Transparency edition.

    `with_page_texts` also returns each page's plain text (for the field catalog's mention
    search): reading it from pages already parsed here costs far less than a second pass.
    """
    from pipeline.pages import open_pages

    source = Path(pdf_path).name
    grids: list[Grid] = []
    page_texts: list[str] = []
    lines_by_page: dict[int, list[TextLine]] = {}
    page_count = 0
    for page in open_pages(pdf_path):
        number = page_count = page.number
        found, words = page_grids(page, number, source)
        if found:
            lines_by_page[number] = group_lines(words)
            grids.extend(found)
        if with_page_texts:
            page_texts.append(page.text)
    grids = text_above_first_grids(grids, lines_by_page)
    read = [read_table(grids_of_table, source=source)
            for grids_of_table in continue_across_pages(grids, source=source)]
    if not read:
        raise ExtractionError(f"{source}: expected tables (bordered, or aligned under year labels), found none"
                              f" on any of its {page_count} pages")
    result = tables_to_cells(read, load_table_rules(), edition=edition, source=source)
    return replace(result, pages=page_count, page_texts=page_texts)
