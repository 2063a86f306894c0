"""Normalization rules: footnotes, ISO codes, ESP keys."""

import pytest

from pipeline.normalize import country_code, country_records, esp_key, esp_rule_key, split_footnote


def test_footnote_marker_goes_to_its_own_column():
    assert split_footnote("Facebook*") == ("Facebook", "*")
    assert split_footnote("No Country  Listed*") == ("No Country Listed", "*")
    assert split_footnote("4chan") == ("4chan", None)


@pytest.mark.parametrize("printed,iso3,status", [
    ("Bahrain/Bahrein", "BHR", "country"),
    ("Burma/Myanmar", "MMR", "country"),
    ("Eretria", "ERI", "country"),
    ("Sierre Leone", "SLE", "country"),
    ("Turks and Calcos Islands", "TCA", "country"),
    ("Caribbean Netherlands", "BES", "country"),
    ("Guiana, French", "GUF", "country"),
    ("Macao/Macao", "MAC", "country"),
    ("Germany", "DEU", "country"),
    ("South Korea", "KOR", "country"),
    ("No Country Listed", None, "no_country"),
    ("Null", None, "no_country"),
    ("null", None, "no_country"),
    ("Europe", None, "not_a_country"),
    ("Atlantis", None, "unmapped"),
])
def test_country_codes(printed, iso3, status):
    code = country_code(printed)
    assert (code.iso3, code.status) == (iso3, status)


def test_rows_sharing_an_iso_code_are_flagged():
    raw = [{"name": "French Guiana", "count_text": "593", "page": 3},
           {"name": "Guiana, French", "count_text": "1", "page": 4},
           {"name": "Chad", "count_text": "-", "page": 4}]
    records = country_records(raw, year=2020, source_file="f.pdf", source_sha256="0" * 64)
    assert [r["iso3_duplicate"] for r in records] == [True, True, False]
    assert records[2]["reports"] is None


@pytest.mark.parametrize("a,b", [
    ("Discord Inc.", "Discord"),
    ("Yahoo! Inc", "Yahoo!"),
    ("CloudFlare, Inc", "Cloudflare"),
    ("MG Freesites Ltd (dba Pornhub)", "MG Freesites (Pornhub)"),
    ("Alpha Exploration Co, Inc (d/b/a \u201cClubhouse)", "Alpha Exploration Co (Clubhouse)"),
    ("Multi Media, LLC/Zmedianow, LLC/ Chaturbate", "Multi Media/Zmedianow/Chaturbate"),
    ("Giphy.com", "Giphy"),
    ("LEGO System A/S", "LEGO System"),
    ("Adobe Systems Incorporated", "Adobe"),          # decided by the alias file
])
def test_same_provider_gets_one_key(a, b):
    assert esp_key(a) == esp_key(b)


@pytest.mark.parametrize("a,b", [
    ("X Corp", "Twitter, Inc."),
    ("Microsoft - Xbox", "Microsoft"),
    ("Amazon Photos", "Amazon"),
    ("Aylo Freesites Ltd (dba Pornhub)", "MG Freesites Ltd (dba Pornhub)"),  # both printed in 2023
])
def test_different_entities_keep_different_keys(a, b):
    assert esp_key(a) != esp_key(b)


def test_rule_key_is_plain_ascii_slug():
    assert esp_rule_key("The Rocket Science Group, LLC d/b/a MailChimp") == "the-rocket-science-group--mailchimp"
