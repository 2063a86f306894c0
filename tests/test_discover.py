"""Discovery: index pages served on 127.0.0.1 as a CMS writes them; what `discover` reports and
writes, what `run --discover` then publishes, and that no other host is ever asked."""

from __future__ import annotations

import csv

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.discover import Link, classify, load_patterns, page_links, pdf_links
from pipeline.manifest import MANIFEST_COLUMNS, load_manifest
from tests.cms_site import DAM, Server, data_page, esp_list_pdf, over_http  # noqa: F401 (autouse fixture)

INDEX = "/gethelpnow/cybertipline/cybertiplinedata"



@pytest.fixture
def site(tmp_path):
    """NCMEC's site on 127.0.0.1 and another host on 127.0.0.2; a manifest naming only the first."""
    ncmec, other = Server("127.0.0.1"), Server("127.0.0.2")
    s = ncmec.site
    s.serve(INDEX, data_page(other.site.base).encode(), "text/html; charset=utf-8")
    s.serve(f"{DAM}/cybertiplinedata2024/2024-reports-by-esp.pdf",
            esp_list_pdf(tmp_path / "esp-2024.pdf", {"Facebook": 500, "Google": 120}))
    s.serve(f"{DAM}/cybertiplinedata2025/2025-reports-by-esp.pdf",
            esp_list_pdf(tmp_path / "esp-2025.pdf", {"Facebook": 600, "Google": 130, "Snapchat": 40}))
    s.serve(f"{DAM}/cybertiplinedata2025/2025-reports-by-country.pdf",
            b"<!DOCTYPE html><html><body>Page not found</body></html>", "text/html")
    s.serve(f"{DAM}/cybertiplinedata2025/2025-reports-by-state.pdf",
            esp_list_pdf(tmp_path / "state.pdf", {"Alabama": 3}))
    # A list where the OJJDP edition should be: the OJJDP reader finds none of its tables.
    s.serve(f"{DAM}/cybertiplinedata2025/OJJDP-NCMEC-Transparency-CY-2025.pdf",
            esp_list_pdf(tmp_path / "ojjdp.pdf", {"Facebook": 1}))
    other.site.serve(f"{DAM}/2025-notifications-by-esp.pdf", esp_list_pdf(tmp_path / "n.pdf", {"X": 1}))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("doc_id,family,year,file,url,sha256\n"
                        f"esp-2024,reports_by_esp,2024,2024-reports-by-esp.pdf,"
                        f"{s.base}{DAM}/cybertiplinedata2024/2024-reports-by-esp.pdf,\n")
    s.manifest, s.other = manifest, other.site
    yield s
    ncmec.close()
    other.close()


def cli(site, tmp_path, *args):
    return CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path / "data"), "--manifest", str(site.manifest),
                                     "--index-url", site.base + INDEX])


def overlay_rows(tmp_path) -> list[dict]:
    with open(tmp_path / "data" / "state" / "discovered.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def table_lines(output: str) -> dict[str, str]:
    """The printed table's line of each URL's file name."""
    return {line.split()[4].rsplit("/", 1)[-1]: line for line in output.splitlines()
            if line.split() and line.split()[0] in ("new", "known", "unsupported", "refused")}


# --- links and classification (pure functions) ----------------------------------------------------

def test_links_are_resolved_against_the_base_href_and_duplicates_with_query_strings_merge():
    html = data_page("http://127.0.0.2:9")
    links = page_links(html, "http://127.0.0.1:8000" + INDEX)
    urls = [u for u, _ in links]
    assert "http://127.0.0.1:8000/gethelpnow" in urls  # a root-relative link ignores <base>
    assert "http://127.0.0.1:8000/content/dam/missingkids/pdfs/cybertiplinedata2025/2025-reports-by-esp.pdf?la=en&v=3" in urls
    assert not any(u.endswith("#main") for u in urls)
    pdfs = pdf_links([("http://127.0.0.1:8000" + INDEX, links)])
    esp = [p for p in pdfs if p.url.endswith("2025-reports-by-esp.pdf")]
    assert len(esp) == 1 and esp[0].times == 2
    assert esp[0].text == "2025 CyberTipline Reports by Electronic Service Providers (ESP)"
    assert len(pdfs) == 6


def test_every_manifest_file_name_classifies_to_its_own_family_and_edition():
    patterns = load_patterns()
    for doc in load_manifest():
        kind = classify(Link(doc.url, "", ""), patterns)
        assert (kind.family, kind.year) == (doc.family, doc.year), doc.file


@pytest.mark.parametrize(("text", "file", "family", "year"), [
    ("2025 CyberTipline Reports by Electronic Service Providers (ESP)", "a.pdf", "reports_by_esp", 2025),
    ("OJJDP NCMEC Transparency Report CY 2025", "report.pdf", "ojjdp_transparency", 2025),
    ("2025 CyberTipline Reports by U.S. State", "2025-state.pdf", "reports_by_state", 2025),
    ("2023 Notifications Sent to ESPs", "2023-notifications-by-esp.pdf", "notifications_by_esp", 2023),
    ("2025 CyberTipline Report", "2025-cybertipline-report.pdf", "cybertipline_report", 2025),
    ("Volunteer flyer", "flyer.pdf", "unclassified", None),
])
def test_link_text_and_file_name_classify_by_the_reviewed_patterns(text, file, family, year):
    kind = classify(Link(f"https://www.missingkids.org/x/{file}", text, ""), load_patterns())
    assert (kind.family, kind.year) == (family, year)


def test_a_file_name_and_link_text_naming_different_years_give_no_edition():
    kind = classify(Link("https://www.missingkids.org/x/2024-reports-by-esp.pdf", "2025 Reports by ESP", ""),
                    load_patterns())
    assert kind.year is None and "the file name says 2024" in kind.why


# --- discover ---------------------------------------------------------------------------------------

def test_discover_reports_new_known_unsupported_and_refused_and_writes_the_overlay(site, tmp_path):
    result = cli(site, tmp_path, "discover")
    assert result.exit_code == 0, result.output
    lines = table_lines(result.output)
    assert lines["2025-reports-by-esp.pdf"].split()[:4] == ["new", "esp-2025", "reports_by_esp", "2025"]
    assert "linked 2 times" in lines["2025-reports-by-esp.pdf"]
    assert lines["2025-reports-by-country.pdf"].split()[:2] == ["new", "country-2025"]
    assert lines["OJJDP-NCMEC-Transparency-CY-2025.pdf"].split()[:4] == ["new", "ojjdp-2025", "ojjdp_transparency", "2025"]
    assert lines["2024-reports-by-esp.pdf"].split()[:2] == ["known", "esp-2024"]
    assert lines["2025-reports-by-state.pdf"].split()[:3] == ["unsupported", "state-2025", "reports_by_state"]
    assert "no reader for the reports_by_state family" in lines["2025-reports-by-state.pdf"]
    refused = lines["2025-notifications-by-esp.pdf"]
    assert refused.startswith("refused") and "host '127.0.0.2' is not in the allow-list" in refused
    assert "3 new, 1 known, 1 unsupported, 1 refused" in result.output

    rows = overlay_rows(tmp_path)
    assert list(rows[0]) == list(MANIFEST_COLUMNS)
    assert {r["doc_id"]: r["family"] for r in rows} == {
        "esp-2025": "reports_by_esp", "country-2025": "reports_by_country", "ojjdp-2025": "ojjdp_transparency",
        "state-2025": "reports_by_state"}
    esp = next(r for r in rows if r["doc_id"] == "esp-2025")
    assert esp["url"] == f"{site.base}{DAM}/cybertiplinedata2025/2025-reports-by-esp.pdf"  # no query string
    assert esp["file"] == "2025-reports-by-esp.pdf" and esp["found_on"] == site.base + INDEX
    assert site.other.requests == []
    assert site.requests == [INDEX]  # discover reads the page only, never the PDFs


def test_discover_again_finds_everything_known_and_leaves_the_overlay_as_it_is(site, tmp_path):
    assert cli(site, tmp_path, "discover").exit_code == 0
    before = (tmp_path / "data" / "state" / "discovered.csv").read_bytes()
    again = cli(site, tmp_path, "discover")
    assert "0 new, 4 known, 1 unsupported, 1 refused" in again.output
    assert "discovered earlier" in table_lines(again.output)["2025-reports-by-esp.pdf"]
    assert (tmp_path / "data" / "state" / "discovered.csv").read_bytes() == before


def test_discover_dry_run_prints_the_table_and_writes_nothing(site, tmp_path):
    result = cli(site, tmp_path, "discover", "--dry-run")
    assert result.exit_code == 0
    assert "3 new, 1 known, 1 unsupported, 1 refused" in result.output and "nothing written" in result.output
    assert not (tmp_path / "data" / "state" / "discovered.csv").exists()


def test_an_index_page_on_a_host_outside_the_allow_list_is_not_read(site, tmp_path):
    result = CliRunner().invoke(main, ["discover", "--data-dir", str(tmp_path / "data"), "--manifest",
                                       str(site.manifest), "--index-url", site.other.base + INDEX])
    assert result.exit_code == 1
    assert "host '127.0.0.2' is not in the allow-list" in result.output
    assert site.other.requests == []


# --- run --discover ---------------------------------------------------------------------------------

def documents_table(tmp_path) -> dict[str, dict]:
    rows = pq.read_table(tmp_path / "data" / "processed" / "documents.parquet").to_pylist()
    return {r["doc_id"]: r for r in rows}


def test_run_discover_publishes_new_editions_and_records_the_unsupported_ones(site, tmp_path):
    result = cli(site, tmp_path, "run", "--discover", "--jobs", "1")
    assert result.exit_code == 3, result.output
    docs = documents_table(tmp_path)
    assert {k: (d["status"], d["origin"]) for k, d in docs.items()} == {
        "esp-2024": ("ok", "manifest"), "esp-2025": ("ok", "discovered"), "country-2025": ("failed", "discovered"),
        "ojjdp-2025": ("failed", "discovered"), "state-2025": ("unsupported", "discovered")}
    assert "expected a PDF (starting %PDF-), found an HTML page" in docs["country-2025"]["message"]
    assert docs["ojjdp-2025"]["message"]  # the OJJDP reader says why it refused the edition
    assert "2025 CyberTipline Reports by U.S. State" in docs["state-2025"]["message"]
    assert docs["state-2025"]["url"].endswith("/2025-reports-by-state.pdf")
    esp = pq.read_table(tmp_path / "data" / "processed" / "esp_reports.parquet").to_pylist()
    assert sorted((r["year"], r["esp"], r["reports"]) for r in esp if r["year"] == 2025) == [
        (2025, "Facebook", 600), (2025, "Google", 130), (2025, "Snapchat", 40)]
    assert site.other.requests == []
    assert not any("reports-by-state" in path for path in site.requests)  # unsupported: never fetched


def test_later_commands_use_the_overlay(site, tmp_path):
    assert cli(site, tmp_path, "run", "--discover", "--jobs", "1").exit_code == 3
    result = CliRunner().invoke(main, ["validate", "--data-dir", str(tmp_path / "data"), "--manifest",
                                       str(site.manifest), "--only", "esp-2025"])
    assert result.exit_code == 0, result.output
    assert "ok       esp-2025" in result.output


def test_the_report_lists_unsupported_documents_in_their_own_section(site, tmp_path):
    assert cli(site, tmp_path, "run", "--discover", "--jobs", "1").exit_code == 3
    report = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--data-dir", str(tmp_path / "data"), "-o", str(report)])
    assert result.exit_code == 0, result.output
    html = report.read_text()
    section = html[html.index('<section id="unsupported">'):]
    section = section[:section.index("</section>")]
    assert "state-2025" in section and "2025 CyberTipline Reports by U.S. State" in section
    assert "esp-2025" not in section
    documents = html[html.index('<section id="documents">'):html.index('<section id="unsupported">')]
    assert "esp-2025" in documents and "state-2025" not in documents


def test_the_manifest_can_come_from_the_environment(site, tmp_path, monkeypatch):
    monkeypatch.setenv("NCMEC_MANIFEST", str(site.manifest))
    result = CliRunner().invoke(main, ["discover", "--dry-run", "--data-dir", str(tmp_path / "data"),
                                       "--index-url", site.base + INDEX])
    assert result.exit_code == 0, result.output
    assert "known        esp-2024" in result.output  # the test manifest's entry, not the packaged one
    monkeypatch.setenv("NCMEC_MANIFEST", str(tmp_path / "nowhere.csv"))
    result = CliRunner().invoke(main, ["fetch", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1 and "nowhere.csv: expected a CSV file, found nothing there" in result.output


def test_an_overlay_entry_on_a_host_the_manifest_does_not_name_is_refused(site, tmp_path):
    state = tmp_path / "data" / "state"
    state.mkdir(parents=True)
    (state / "discovered.csv").write_text(",".join(MANIFEST_COLUMNS) + "\n"
                                          "esp-2025,reports_by_esp,2025,x.pdf,https://evil.example/x.pdf,,,\n")
    result = cli(site, tmp_path, "discover", "--dry-run")
    assert result.exit_code == 1
    assert "esp-2025: host 'evil.example' is not one the manifest names (127.0.0.1)" in result.output


def test_run_discover_goes_on_with_the_known_documents_when_no_index_page_answers(site, tmp_path):
    result = CliRunner().invoke(main, ["run", "--discover", "--jobs", "1", "--data-dir", str(tmp_path / "data"),
                                       "--manifest", str(site.manifest), "--index-url", site.base + "/gone"])
    assert result.exit_code == 0, result.output
    assert f"WARNING discover: index page not read: HTTP 404 from {site.base}/gone" in result.output
    assert set(documents_table(tmp_path)) == {"esp-2024"}


def test_run_discover_dry_run_shows_the_plan_for_new_documents_and_writes_nothing(site, tmp_path):
    result = cli(site, tmp_path, "run", "--discover", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"esp-2025       GET {site.base}{DAM}/cybertiplinedata2025/2025-reports-by-esp.pdf" in result.output
    assert "state-2025     unsupported: not fetched" in result.output
    assert not (tmp_path / "data" / "state" / "discovered.csv").exists()
    assert site.requests == [INDEX]


def test_a_discovered_document_the_manifest_later_lists_is_the_manifests(site, tmp_path):
    assert cli(site, tmp_path, "discover").exit_code == 0
    row = next(r for r in overlay_rows(tmp_path) if r["doc_id"] == "esp-2025")
    with open(site.manifest, "a") as handle:
        handle.write(f"esp-2025,reports_by_esp,2025,2025-reports-by-esp.pdf,{row['url']},\n")
    assert cli(site, tmp_path, "run", "--jobs", "1", "--only", "esp-2025").exit_code == 0
    assert documents_table(tmp_path)["esp-2025"]["origin"] == "manifest"
