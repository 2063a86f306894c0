"""Document versions: NCMEC replaces a PDF at the same URL; the run warns, publishes the new
version, records both in document_versions.parquet, and `diff --versions` lists the changed figures."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.versions import version_records
from tests.cms_site import DAM, Server, esp_list_pdf, over_http  # noqa: F401 (autouse fixture)

PATH = f"{DAM}/cybertiplinedata2025/2025-reports-by-esp.pdf"
FIRST = {"Facebook": 600, "Google": 130, "Snapchat": 40}
REVISED = {"Facebook": 650, "Google": 130, "TikTok": 7}  # Facebook restated, Snapchat gone, TikTok added



@pytest.fixture
def site(tmp_path):
    server = Server("127.0.0.1")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("doc_id,family,year,file,url,sha256\n"
                        f"esp-2025,reports_by_esp,2025,2025-reports-by-esp.pdf,{server.site.base}{PATH},\n")
    server.site.manifest = manifest
    yield server.site
    server.close()


def run(site, tmp_path, *args):
    return CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path / "data"), "--manifest", str(site.manifest)])


def versions(tmp_path) -> list[dict]:
    return pq.read_table(tmp_path / "data" / "processed" / "document_versions.parquet").to_pylist()


def test_a_changed_pdf_at_the_same_url_is_a_new_version_a_warning_and_a_diff(site, tmp_path):
    site.serve(PATH, esp_list_pdf(tmp_path / "v1.pdf", FIRST))
    first = run(site, tmp_path, "run", "--jobs", "1")
    assert first.exit_code == 0, first.output
    (v1,) = versions(tmp_path)
    assert (v1["doc_id"], v1["first_run"], v1["last_run"]) == ("esp-2025", 1, 1)
    assert v1["bytes"] == (tmp_path / "v1.pdf").stat().st_size and v1["pages"] == 1
    assert v1["etag"] and v1["last_modified"] == "Mon, 01 Dec 2026 04:00:00 GMT"
    assert "changed since" not in first.output

    shutil.copytree(tmp_path / "data" / "processed", tmp_path / "yesterday")
    site.serve(PATH, esp_list_pdf(tmp_path / "v2.pdf", REVISED))
    second = run(site, tmp_path, "run", "--jobs", "1")
    assert second.exit_code == 0, second.output
    warning = [line for line in second.output.splitlines() if line.startswith("WARNING esp-2025")]
    assert len(warning) == 1 and f"the file at {site.base}{PATH} changed since publishing run 1" in warning[0]
    rows = sorted(versions(tmp_path), key=lambda v: v["first_run"])
    assert [(v["sha256"], v["first_run"], v["last_run"]) for v in rows] == [
        (v1["sha256"], 1, 1), (rows[1]["sha256"], 2, 2)]
    assert rows[1]["sha256"] != v1["sha256"] and rows[1]["bytes"] == (tmp_path / "v2.pdf").stat().st_size
    document = pq.read_table(tmp_path / "data" / "processed" / "documents.parquet").to_pylist()[0]
    assert "changed since publishing run 1" in document["message"]
    esp = pq.read_table(tmp_path / "data" / "processed" / "esp_reports.parquet").to_pylist()
    assert {r["esp"]: r["reports"] for r in esp} == REVISED  # the new version is published

    diff = CliRunner().invoke(main, ["diff", "--versions", "esp-2025", "--data-dir", str(tmp_path / "data"),
                                     "--format", "json"])
    assert diff.exit_code == 0, diff.output
    result = json.loads(diff.output)
    assert [(c["esp"], c["column"], c["old"], c["new"], c["absolute"]) for c in result["changed"]] == [
        ("Facebook", "reports", 600, 650, 50)]
    assert [(x["esp"], x["old"]) for x in result["only_old"]] == [("Snapchat", 40)]
    assert [(x["esp"], x["new"]) for x in result["only_new"]] == [("TikTok", 7)]
    assert (result["old"]["sha256"], result["new"]["sha256"]) == (v1["sha256"], rows[1]["sha256"])
    text = CliRunner().invoke(main, ["diff", "--versions", "esp-2025", "--data-dir", str(tmp_path / "data")]).output
    assert "1 figures changed, 1 added, 1 removed" in text and "600 (p.1)" in text and "650 (p.1)" in text

    # diff --runs shows the same: the changed figure apart from the rows only re-read.
    runs = CliRunner().invoke(main, ["diff", "--runs", str(tmp_path / "yesterday"), str(tmp_path / "data"),
                                     "--format", "json"])
    esp_table = next(t for t in json.loads(runs.output)["tables"] if t["table"] == "esp_reports")
    assert [(c["key"]["esp"], c["columns"]["reports"]) for c in esp_table["changed"]] == [("Facebook", [600, 650])]
    assert [k["esp"] for k in esp_table["restamped"]] == ["Google"]
    assert [k["esp"] for k in esp_table["added"]] == ["TikTok"] and [k["esp"] for k in esp_table["removed"]] == ["Snapchat"]

    # Nothing changes: the outputs stay as they are (the document's note with them), no third
    # version, no new warning.
    third = run(site, tmp_path, "run", "--jobs", "1")
    assert third.exit_code == 0 and "WARNING esp-2025" not in third.output
    assert len(versions(tmp_path)) == 2


def test_diff_versions_of_a_document_with_one_version_is_an_error(site, tmp_path):
    site.serve(PATH, esp_list_pdf(tmp_path / "v1.pdf", FIRST))
    assert run(site, tmp_path, "run", "--jobs", "1").exit_code == 0
    result = CliRunner().invoke(main, ["diff", "--versions", "esp-2025", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "expected two published versions of esp-2025, found 1" in result.output


def _published(sha, url="https://www.missingkids.org/a.pdf", status="ok"):
    return {"doc_id": "esp-2025", "family": "reports_by_esp", "year": 2025, "url": url, "source_file": "a.pdf",
            "sha256": sha, "bytes": 10, "pages": 2, "status": status}


def test_version_records_keep_every_version_and_warn_only_for_new_bytes_at_the_same_url():
    rows, changed = version_records([], [_published("a" * 64)], {"esp-2025": ('"e1"', None)}, 1)
    assert [(r["sha256"][0], r["first_run"], r["last_run"], r["etag"]) for r in rows] == [("a", 1, 1, '"e1"')]
    assert changed == {}
    rows, changed = version_records(rows, [_published("a" * 64)], {}, 2)  # same bytes: last_run moves
    assert [(r["first_run"], r["last_run"], r["etag"]) for r in rows] == [(1, 2, '"e1"')]
    rows, changed = version_records(rows, [_published("b" * 64)], {}, 3)
    assert sorted((r["sha256"][0], r["first_run"], r["last_run"]) for r in rows) == [("a", 1, 2), ("b", 3, 3)]
    assert "changed since publishing run 2" in changed["esp-2025"]
    moved, changed = version_records(rows, [_published("c" * 64, url="https://www.missingkids.org/b.pdf")], {}, 4)
    assert changed == {} and len(moved) == 3  # another URL: a new version, but not "changed under the same link"
    failed, changed = version_records(rows, [_published(None, status="failed")], {}, 4)
    assert failed == rows and changed == {}
