"""Report: one self-contained HTML page an auditor can read, print and attach to a finding.

`build_report` is pure: DataFrames in (as `pipeline.load` returns them), one HTML string out.
Charts are hand-written SVG and the styles are inlined, so the file opens without a network and
references nothing outside itself; the same outputs always give the same bytes. Reading the
tables and writing the file are the two small edges (`read_tables`, `write_report`;
`make_report` does both for the command).

A table the run did not produce (the OJJDP tables, field presence, revisions while those stages
are being built) is not an error: its section says it is not available in this run.

Where things live:
    markup.py    values formatted as NCMEC prints them, escaping, HTML tables
    charts.py    SVG bar and line charts, legends, figures
    data.py      the output tables shaped for the sections (pure pandas)
    sections.py  documents, field presence and evidence, findings, revisions, data dictionary
    trends.py    the charted trends and the year-over-year tables
    page.py      the whole page: head, summary, contents, sections in order, footer
    report.css   the page's styles (package data, inlined by page.py)
    files.py     reading the output tables, writing the HTML file atomically
"""

from pipeline.report.files import latest_run, make_report, read_tables, write_report
from pipeline.report.page import SECTIONS, build_report

__all__ = ["SECTIONS", "build_report", "latest_run", "make_report", "read_tables", "write_report"]
