"""`ncmec-pipeline explain`: the reading drawn over the page, and the refusal shown where it is."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from pipeline.cli import main
from pipeline.explain import explain_list
from tests.producers import ListPage, ListTable, write_reportlab_pdf

ROOT = Path(__file__).resolve().parents[1]
SPLIT = [["Chad", "10", "5", "15"], ["Egypt", "1", "2", "3"], ["Total", "11", "7", "18"]]
LABELS = ["Country", "Referrals", "Informational", "Total\nReports"]


def example_pdfs(folder: Path) -> tuple[Path, Path]:
    """A split list read exactly, and one refused for a column no role matches: the README's
    example page is drawn from the second (`tests/fixtures/make_explain_example.py`)."""
    read = write_reportlab_pdf(folder / "split.pdf", [ListPage([ListTable(LABELS, SPLIT)])])
    refused = write_reportlab_pdf(folder / "refused.pdf", [
        ListPage([ListTable(LABELS, SPLIT[:2])]),
        ListPage([ListTable(["Country", "Referrals", "Informational", "% Referred"],
                            [["Fiji", "3", "4", "43%"], ["Total", "14", "11", "56%"]])])])
    return read, refused


def test_explain_prints_the_reading_and_draws_every_page(tmp_path):
    read, _ = example_pdfs(tmp_path)
    result = CliRunner().invoke(main, ["explain", str(read), "--family", "reports_by_country",
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "split: read 2 rows and the total row (11 | 7 | 18) on page 1; count columns: Referrals | Informational |" \
           " Total Reports (roles referrals, informational, reports)" in result.output
    assert "referrals 'Referrals' x=" in result.output and "reports 'Total Reports' x=" in result.output
    assert "3 rows: 'Chad' 10 | 5 | 15 ... 'Total' 11 | 7 | 18" in result.output
    image = tmp_path / "out" / "split-p1.png"
    assert f"wrote {image}" in result.output
    with Image.open(image) as png:
        assert png.size == (850, 1100)  # letter at 100 dpi


def test_explain_shows_a_refusal_on_its_page_and_exits_3(tmp_path):
    _, refused = example_pdfs(tmp_path)
    result = CliRunner().invoke(main, ["explain", str(refused), "--family", "reports_by_country", "--page", "2",
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "refused: REFUSED on page 2" in result.output
    assert "starts like a header but is none: 'Country Referrals Informational % Referred' ('% Referred' is no count" \
           " column role of pipeline/data/list_layouts.csv)" in result.output
    assert "  REFUSED here: refused.pdf, page 2:" in result.output
    assert (tmp_path / "out" / "refused-p2.png").is_file() and not (tmp_path / "out" / "refused-p1.png").exists()


def test_the_refused_page_is_drawn_in_red(tmp_path):
    """The refusal is drawn over the page: red pixels where nothing red is printed."""
    _, refused = example_pdfs(tmp_path)
    explanation = explain_list(refused, "reports_by_country", pages=[1, 2], output=tmp_path / "out")
    reds = []
    for path in explanation.images:
        with Image.open(path) as png:
            colours = png.convert("RGB").getcolors(maxcolors=1 << 24)
            reds.append(sum(n for n, (r, g, b) in colours if r > 180 and g < 60 and b < 60))
    assert reds[0] == 0 and reds[1] > 500


def test_explain_names_what_it_cannot_find(tmp_path):
    runner = CliRunner(env={"NCMEC_MIRROR": None})  # no mirror: only the data directory is looked in
    missing = runner.invoke(main, ["explain", "esp-2023", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1
    assert "no copy of 2023-reports-by-esp.pdf for esp-2023" in missing.output and "--mirror DIR" in missing.output
    ojjdp = runner.invoke(main, ["explain", "ojjdp-2023", "--data-dir", str(tmp_path)])
    assert "no copy of OJJDP-NCMEC-Transparency-CY-2023-Report.pdf for ojjdp-2023" in ojjdp.output
    unknown = runner.invoke(main, ["explain", "esp-2030", "--data-dir", str(tmp_path)])
    assert "neither a manifest DOC_ID nor a PDF file" in unknown.output and "esp-2023" in unknown.output
    read, _ = example_pdfs(tmp_path)
    no_family = runner.invoke(main, ["explain", str(read)])
    assert "--family" in no_family.output and no_family.exit_code == 1
    page = runner.invoke(main, ["explain", str(read), "--family", "reports_by_country", "--page", "9",
                                "-o", str(tmp_path / "x")])
    assert "has 1 pages; there is no page 9" in page.output


def test_the_readme_shows_an_explain_page_drawn_from_a_synthetic_pdf():
    image = ROOT / "docs" / "explain-example.png"
    assert "docs/explain-example.png" in (ROOT / "README.md").read_text(encoding="utf-8")
    with Image.open(image) as png:
        assert png.size[0] > 400


# --- OJJDP editions --------------------------------------------------------------------------------

def explain_feedback_table(tmp_path, rows):
    """`explain` of a synthetic 2024 edition holding one feedback table of `rows`: (pdf, result)."""
    from tests.test_ojjdp_synthetic import edition, feedback_table

    pdf = edition(tmp_path, lambda p: feedback_table(p, 100, rows))
    return pdf, CliRunner().invoke(main, ["explain", str(pdf), "--family", "ojjdp_transparency", "--edition", "2024",
                                          "-o", str(tmp_path / "out")])


def test_explain_draws_an_ojjdp_editions_table_grids_and_names_its_tables(tmp_path):
    from tests.test_ojjdp_synthetic import FEEDBACK_ROWS

    _, result = explain_feedback_table(tmp_path, FEEDBACK_ROWS)
    assert result.exit_code == 0, result.output
    assert "read 12 numbers in 1 tables" in result.output
    assert "page 1: 1 table grid(s); le_feedback_instances (12 numbers)" in result.output
    image = tmp_path / "out" / "OJJDP-CY-2024-p1.png"
    with Image.open(image) as png:
        colours = png.convert("RGB").getcolors(maxcolors=1 << 24)
    assert sum(n for n, (r, g, b) in colours if (r, g, b) == (30, 140, 60)) > 100  # data cells outlined


def test_explain_shows_an_ojjdp_refusal_on_its_page(tmp_path):
    from tests.test_ojjdp_synthetic import FEEDBACK_ROWS

    rows = [FEEDBACK_ROWS[0], ["Local Law Enforcement", "51", "see note", "30"]] + FEEDBACK_ROWS[2:]
    pdf, result = explain_feedback_table(tmp_path, rows)
    assert result.exit_code == 3, result.output
    assert "REFUSED on page 1: OJJDP-CY-2024.pdf, page 1:" in result.output
    assert "  REFUSED here:" in result.output
    missing_edition = CliRunner().invoke(main, ["explain", str(pdf), "--family", "ojjdp_transparency"])
    assert "--edition YYYY" in missing_edition.output
