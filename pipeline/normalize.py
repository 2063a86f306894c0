"""Normalize: from printed text to typed, keyed values, keeping what was printed.

- counts: '1,234' -> 1234, '-' -> None (the row is kept);
- names: whitespace-normalised, footnote markers ('*') split into their own column;
- countries: ISO 3166 alpha-3 from pycountry, after a reviewed alias file for NCMEC's own
  spellings (`pipeline/data/country_aliases.csv`); the no-country row and non-countries get a
  null code and a status saying why;
- ESPs: a stable `esp_key` grouping the same provider across editions, from rules (case,
  punctuation, legal suffixes, "dba") plus a reviewed alias file for what rules cannot decide
  (`pipeline/data/esp_aliases.csv`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pycountry

FOOTNOTE_MARKERS = re.compile(r"^(?P<name>.*?)\s*(?P<marker>[*\u2020\u2021]+)$")


def normalize_space(text: str) -> str:
    return " ".join(text.split())


def split_footnote(printed: str) -> tuple[str, str | None]:
    """'Facebook*' -> ('Facebook', '*'); a name without a trailing marker is returned as is."""
    text = normalize_space(printed)
    match = FOOTNOTE_MARKERS.match(text)
    if match and match.group("name"):
        return match.group("name"), match.group("marker")
    return text, None


def _data_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("pipeline.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


# --- countries -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountryCode:
    iso3: str | None
    status: str  # country | no_country | not_a_country | no_iso_code | unmapped


@lru_cache(maxsize=1)
def country_aliases() -> dict[str, CountryCode]:
    aliases = {}
    for row in _data_rows("country_aliases.csv"):
        aliases[row["printed_name"].casefold()] = CountryCode(row["iso3"] or None, row["status"])
    return aliases


def country_code(name: str) -> CountryCode:
    """ISO alpha-3 for a printed country name (footnote marker already split off).

    The alias file wins over pycountry so that a reviewed decision is never overridden by a
    library update. Names neither knows are `unmapped`: a validation check lists them.
    """
    alias = country_aliases().get(normalize_space(name).casefold())
    if alias:
        return alias
    try:
        return CountryCode(pycountry.countries.lookup(name).alpha_3, "country")
    except LookupError:
        return CountryCode(None, "unmapped")


# --- ESPs ------------------------------------------------------------------------------------

# Tokens that name a company's legal form, not the company: dropped at the end of each part.
LEGAL_SUFFIXES = {
    "inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company",
    "gmbh", "ggmbh", "pbc", "plc", "pte", "sa", "as", "ab", "bv", "kft", "sro", "lp", "llp",
}
# Multi-character forms that contain a separator, removed before splitting into parts.
LEGAL_FORMS_WITH_SEPARATORS = re.compile(r"\b(a/s|s/a|s\.r\.o\.?)(?=\W|$)")
# "doing business as" / "formerly known as" start a new part: 'X, LLC d/b/a Y' -> 'X' + 'Y'.
TRADE_NAME_MARKERS = re.compile(r"\b(d/b/a|d\.b\.a\.?|dba|fka)(?=\W|$)")
PART_SEPARATORS = re.compile(r"[/(),]| - ")


def _fold(text: str) -> str:
    """Lower case, accents and curly quotes folded to ASCII."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'").casefold()


def _key_part(part: str) -> str:
    words = re.sub(r"[^a-z0-9&.+ ]", " ", part).split()
    words = [w.strip(".") for w in words]
    words = [w for w in words if w]
    while words and words[-1].replace(".", "") in LEGAL_SUFFIXES:
        words.pop()
    if len(words) == 1 and re.fullmatch(r"[a-z0-9-]+\.(com|net)", words[0]):
        words = [words[0].rsplit(".", 1)[0]]  # "Giphy.com" and "Giphy" are one provider
    return "-".join(w.replace("&", "and").replace(".", "-") for w in words)


def esp_rule_key(name: str) -> str:
    """The rule-based key: 'Alpha Exploration Co, Inc (d/b/a “Clubhouse)' -> 'alpha-exploration--clubhouse'."""
    text = LEGAL_FORMS_WITH_SEPARATORS.sub(" ", _fold(split_footnote(name)[0]))
    text = TRADE_NAME_MARKERS.sub("/", text)
    parts = [_key_part(p) for p in PART_SEPARATORS.split(text)]
    return "--".join(p for p in parts if p)


@lru_cache(maxsize=1)
def esp_aliases() -> dict[str, str]:
    return {row["rule_key"]: row["esp_key"] for row in _data_rows("esp_aliases.csv")}


def esp_key(name: str) -> str:
    key = esp_rule_key(name)
    return esp_aliases().get(key, key)


# --- rows ------------------------------------------------------------------------------------

def parse_printed_count(text: str, *, where: str) -> int | None:
    """A printed count as an integer ('-' -> None), or a ValueError naming where it was."""
    from pipeline.layout import parse_count

    try:
        return parse_count(text)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None


def list_counts(raw: dict, *, where: str) -> dict:
    """A list row's counts, typed: `referrals` and `informational` where the edition prints them
    (null where it does not), and `reports`, the total: the printed total column where there is
    one (`reports_source` 'printed'), else the sum of the printed parts ('summed'; null when a part
    is printed '-'). A cached extraction from before the split columns holds `count_text`."""
    texts = raw.get("counts") or {"reports": raw["count_text"]}
    parsed = {role: parse_printed_count(text, where=f"{where} ({role})") for role, text in texts.items()}
    if "reports" in parsed:
        reports, source = parsed["reports"], "printed"
    else:
        parts = [parsed.get("referrals"), parsed.get("informational")]
        reports, source = (None if None in parts else sum(parts)), "summed"
    return {"reports": reports, "referrals": parsed.get("referrals"), "informational": parsed.get("informational"),
            "reports_source": source}


def esp_records(raw_rows: list[dict], *, year: int, source_file: str, source_sha256: str) -> list[dict]:
    """Typed rows of `esp_reports` from extracted rows ({name, count_text, page})."""
    records = []
    for raw in raw_rows:
        esp, footnote = split_footnote(raw["name"])
        records.append({
            "year": year,
            "esp": esp,
            "esp_key": esp_key(esp),
            "footnote": footnote,
            **list_counts(raw, where=f"{source_file}, page {raw['page']}, {esp!r}"),
            "page": raw["page"],
            "source_file": source_file,
            "source_sha256": source_sha256,
        })
    return records


def country_records(raw_rows: list[dict], *, year: int, source_file: str, source_sha256: str) -> list[dict]:
    """Typed rows of `country_reports`; `iso3_duplicate` marks rows sharing an ISO code in one edition."""
    records = []
    for raw in raw_rows:
        country, footnote = split_footnote(raw["name"])
        code = country_code(country)
        records.append({
            "year": year,
            "country": country,
            "footnote": footnote,
            "iso3": code.iso3,
            "iso3_status": code.status,
            "iso3_duplicate": False,
            **list_counts(raw, where=f"{source_file}, page {raw['page']}, {country!r}"),
            "page": raw["page"],
            "source_file": source_file,
            "source_sha256": source_sha256,
        })
    counts: dict[str, int] = {}
    for record in records:
        if record["iso3"]:
            counts[record["iso3"]] = counts.get(record["iso3"], 0) + 1
    for record in records:
        record["iso3_duplicate"] = bool(record["iso3"]) and counts[record["iso3"]] > 1
    return records
