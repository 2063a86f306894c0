"""One rounding, at display: the terminal and the report print the same percentages."""

from fractions import Fraction

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.display import percent, ratio_percent


def test_a_ratio_is_rounded_once_half_up_on_its_decimal_digits():
    assert ratio_percent(4_151_339 / 32_059_029, signed=True) == "+12.9%"   # 12.949%: a 4-digit ratio gave +13.0%
    assert ratio_percent(0.1225) == "12.3%"                               # half up, not the float's 12.2499…
    assert ratio_percent(Fraction(1, 8)) == "12.5%" and ratio_percent(-0.00001, signed=True) == "+0.0%"
    assert percent(132, signed=True) == "+132.0%" and percent(5.55, digits=0) == "6%"


def test_diff_and_report_print_the_same_change(pipeline_run, tmp_path):
    paths, _ = pipeline_run
    diff = CliRunner().invoke(main, ["diff", "--years", "2022", "2023", "--data-dir", str(paths.root)])
    assert diff.exit_code == 0, diff.output
    assert "+4,151,339 (+12.9%)" in diff.output
    report = CliRunner().invoke(main, ["report", "--data-dir", str(paths.root), "-o", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    row = page[page.index('<td class="num">+4,151,339</td>'):].split("</tr>")[0]   # reports per year, 2023
    assert '<td class="num">+12.9%</td>' in row
