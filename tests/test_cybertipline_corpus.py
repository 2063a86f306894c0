"""The by-ESP and by-country editions of the shared corpus, read end to end.

Every edition must reconcile with the total NCMEC printed; spot values pin the hard rows
(wrapped names, footnote markers, '-' counts) to what is printed on the page.
"""

from __future__ import annotations

import pandas as pd
import pytest

# (family, year) -> rows, printed total
EDITIONS = {
    ("reports_by_esp", 2020): (168, 21_447_786),
    ("reports_by_esp", 2021): (230, 29_157_083),
    ("reports_by_esp", 2022): (236, 31_802_525),
    ("reports_by_esp", 2023): (247, 35_944_826),
    ("reports_by_country", 2020): (245, 21_751_085),
    ("reports_by_country", 2021): (245, 29_397_681),
    ("reports_by_country", 2022): (247, 32_059_029),
    ("reports_by_country", 2023): (244, 36_210_368),
}


@pytest.fixture(scope="module")
def outputs(pipeline_run):
    paths, _ = pipeline_run
    read = lambda name: pd.read_parquet(paths.processed / f"{name}.parquet")  # noqa: E731
    return {name: read(name) for name in ("esp_reports", "country_reports", "documents", "checks")}


@pytest.mark.parametrize("family,year", sorted(EDITIONS))
def test_edition_reconciles_with_printed_total(outputs, family, year):
    rows, total = EDITIONS[(family, year)]
    doc = outputs["documents"].query("family == @family and year == @year").iloc[0]
    assert doc.status == "ok", doc.message
    assert doc.rows == rows
    assert doc.printed_total == total
    table = outputs["esp_reports" if family == "reports_by_esp" else "country_reports"]
    assert int(table[table.year == year].reports.sum()) == total
    check = outputs["checks"].query("source_file == @doc.source_file and check == 'total_reconciles'").iloc[0]
    assert check.passed and check.expected == total  # a float64 number since schema version 2


def _row(table: pd.DataFrame, year: int, column: str, name: str) -> pd.Series:
    found = table[(table.year == year) & (table[column] == name)]
    assert len(found) == 1, f"{name!r} {year}: {len(found)} rows"
    return found.iloc[0]


@pytest.mark.parametrize("year,name,reports,page,footnote", [
    (2020, "4chan", 1_143, 1, None),                                                   # first row
    (2020, "Zoom Video Communications", 499, 6, None),                                 # last row
    (2020, "Deluxe Corporation/ColoCrossing/ HudsonValleyHost", 14, 2, None),          # count on first line
    (2020, "Facebook", 20_307_216, 2, "*"),                                            # footnoted
    (2021, "4chan", 973, 1, None),
    (2021, "Zvelo", 1, 7, None),
    (2021, "Web.com/Network Solutions/ Register/NameBargain", 3, 7, None),             # count on middle line
    (2021, "EasyOnlineSolutions/MojoHost/ North Tone/Hosthead", 41, 2, None),
    (2022, "4chan", 1_374, 1, None),
    (2022, "Zvelo", 1, 7, None),
    (2022, "Alpha Exploration Co, Inc (d/b/a \u201cClubhouse)", 1_355, 1, None),
    (2023, "4chan community support LLC", 1_657, 1, None),
    (2023, "Zvelo", 6, 8, None),
    (2023, "Box , Inc. / Box.com", 1_002, 2, None),
])
def test_esp_spot_values(outputs, year, name, reports, page, footnote):
    row = _row(outputs["esp_reports"], year, "esp", name)
    assert row.reports == reports
    assert row.page == page
    assert (None if pd.isna(row.footnote) else row.footnote) == footnote
    assert row.source_file == f"{year}-reports-by-esp.pdf"
    assert len(row.source_sha256) == 64


@pytest.mark.parametrize("year,name,reports,page,iso3", [
    (2020, "Afghanistan", 115_259, 1, "AFG"),                                          # first row
    (2020, "No Country Listed", 641_874, 8, None),                                     # footnoted, last row
    (2020, "Norfolk Island", None, 5, "NFK"),                                          # printed '-'
    (2020, "Saint Helena, Ascension and Tristan da Cunha", None, 6, "SHN"),           # wrapped and '-'
    (2020, "Eretria", 615, 3, "ERI"),                                                  # NCMEC typo
    (2021, "No Country Listed", 1_193_266, 8, None),
    (2021, "Burma/Myanmar", 540_301, 2, "MMR"),
    (2022, "Saint Helena, Ascension and Tristan da Cunha", 1, 6, "SHN"),              # count on middle line
    (2022, "Null", 1_662_916, 8, None),
    (2023, "Saint Helena, Ascension and Tristan da Cunha", 4, 6, "SHN"),
    (2023, "null", 1_851_762, 8, None),
    (2023, "Afghanistan", 197_048, 1, "AFG"),
])
def test_country_spot_values(outputs, year, name, reports, page, iso3):
    row = _row(outputs["country_reports"], year, "country", name)
    assert (None if pd.isna(row.reports) else row.reports) == reports
    assert row.page == page
    assert (None if pd.isna(row.iso3) else row.iso3) == iso3


def test_no_country_rows_are_flagged_not_coded(outputs):
    table = outputs["country_reports"]
    no_country = table[table.iso3_status == "no_country"]
    assert sorted(no_country.year) == [2020, 2021, 2022, 2023]
    assert no_country.iso3.isna().all()
    assert (table[table.iso3_status == "unmapped"]).empty


def test_french_guiana_printed_twice_is_kept_and_flagged(outputs):
    table = outputs["country_reports"]
    guiana = table[(table.year == 2020) & (table.iso3 == "GUF")]
    assert sorted(guiana.country) == ["French Guiana", "Guiana, French"]
    assert guiana.iso3_duplicate.all()
    check = outputs["checks"].query("source_file == '2020-reports-by-country.pdf' and check == 'duplicate_iso3'").iloc[0]
    assert not check.passed and not check.blocking


def test_esp_key_groups_the_same_provider_across_editions(outputs):
    table = outputs["esp_reports"]
    discord = table[table.esp_key == "discord"]
    assert sorted(zip(discord.year, discord.esp)) == [
        (2020, "Discord"), (2021, "Discord"), (2022, "Discord Inc."), (2023, "Discord Inc.")]
    yahoo = table[table.esp_key == "yahoo"]
    assert set(yahoo.esp) == {"Yahoo!", "Yahoo! Inc"}
    # X Corp is printed beside Twitter in 2023: a different reporting entity keeps its own key.
    assert set(table[table.year == 2023].esp_key) >= {"x", "twitter"}


def test_outputs_are_sorted_by_key_and_typed(outputs):
    esp = outputs["esp_reports"]
    assert list(esp.columns) == ["year", "esp", "esp_key", "footnote", "reports", "referrals", "informational",
                                 "reports_source", "page", "source_file", "source_sha256"]
    assert esp.reports.dtype == "int64"
    # 2020-2023 print one count column: no split is invented, and the total is the printed one.
    for table in (esp, outputs["country_reports"]):
        assert table.referrals.isna().all() and table.informational.isna().all()
        assert set(table.reports_source) == {"printed"}
    keys = list(zip(esp.year, esp.esp_key, esp.esp))
    assert keys == sorted(keys)


def test_missing_editions_are_reported_missing(pipeline_run):
    _, report = pipeline_run
    missing = {d["doc_id"]: d for d in report.documents if d["status"] == "missing"}
    assert {"esp-2019", "esp-2024", "country-2019", "country-2024", "ojjdp-2024"} <= set(missing)
    assert "not in the mirror" in missing["esp-2024"]["message"]
    assert report.exit_code == 3
