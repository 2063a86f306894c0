"""The output tables shaped for the report's sections: pure functions over the loaded frames."""

from __future__ import annotations

import pandas as pd

from pipeline.editions import newest_per
from pipeline.families import FAMILIES


TOP_N = 5
# The yearly totals table's column of each list family's printed total: esp_total, country_total.
TOTAL_COLUMNS = {family.name: f"{family.name_column}_total" for family in FAMILIES.values() if family.name_column}


def latest_edition_cells(cells: pd.DataFrame, table_id: str, measures: list[str]) -> pd.DataFrame:
    """The cells of one OJJDP table, each (year, row, column, measure) from the newest edition
    that prints it: later editions restate earlier years, and the newest figure is the one to plot."""
    chosen = cells[(cells["table_id"].astype("string") == table_id)
                   & cells["measure"].astype("string").isin(measures) & cells["value"].notna()]
    chosen = chosen.sort_values("edition")
    kept = newest_per(chosen.itertuples(), key=lambda r: (r.year, r.row_label, r.column_label, r.measure),
                      edition=lambda r: r.edition)
    return chosen.loc[[r.Index for r in kept]].sort_values(["year", "row_label", "measure"])


def appendix_a(cells: pd.DataFrame) -> pd.DataFrame:
    """Reports per year since 1998 (Appendix A): year, reports, edition, page."""
    rows = latest_edition_cells(cells, "appendix_a_reports_per_year", ["reports"])
    frame = rows[["year", "value", "edition", "page", "source_file"]].rename(columns={"value": "reports"})
    return frame.astype({"year": int, "reports": "Int64"}).reset_index(drop=True)


def actionable_informational(cells: pd.DataFrame) -> pd.DataFrame:
    """Reports made available to law enforcement per year, actionable vs informational, summed
    over recipient types (Federal, International, ICAC, Local)."""
    rows = latest_edition_cells(cells, "le_recipients", ["actionable", "informational"])
    if rows.empty:
        return pd.DataFrame(columns=["year", "actionable", "informational", "editions"])
    rows = rows.assign(measure=rows["measure"].astype("string"), year=rows["year"].astype(int))
    wide = rows.pivot_table(index="year", columns="measure", values="value", aggfunc="sum").reset_index()
    editions = rows.groupby("year")["edition"].max().rename("editions").reset_index()
    return wide.merge(editions, on="year")


def top_keys(frame: pd.DataFrame, key: str, top: int) -> list[str]:
    """The `top` keys by reports in the newest year of `frame` (ties broken by key, for stable output)."""
    newest = frame[frame["year"] == frame["year"].max()]
    ranked = newest.groupby(key, observed=True)["reports"].sum().reset_index()
    ranked = ranked.sort_values(["reports", key], ascending=[False, True])
    return [str(k) for k in ranked[key].head(top)]


def display_names(frame: pd.DataFrame, key: str, name: str) -> dict[str, str]:
    """The newest printed name for each key ('Meta Platforms, Inc.' rather than an older spelling)."""
    newest = frame.sort_values("year").drop_duplicates(key, keep="last")
    return {str(k): str(n) for k, n in zip(newest[key], newest[name])}


def reports_by_year(frame: pd.DataFrame, key: str, keys: list[str]) -> pd.DataFrame:
    """A key × year table of reports (summed when a key has several rows in one year)."""
    chosen = frame[frame[key].astype("string").isin(keys)]
    table = chosen.groupby([key, "year"], observed=True)["reports"].sum().unstack("year")
    table.index = table.index.astype(str)
    return table.reindex(keys)


def esp_shares(esp: pd.DataFrame, top: int = TOP_N) -> pd.DataFrame:
    """Share (%) of each year's ESP reports made by the `top` providers of the newest year."""
    keys = top_keys(esp, "esp_key", top)
    totals = esp.groupby("year")["reports"].sum()
    return reports_by_year(esp, "esp_key", keys).div(totals, axis="columns") * 100


def countries(country: pd.DataFrame) -> pd.DataFrame:
    """Rows that are countries (not 'No Country Listed', 'Europe', …), keyed by ISO code."""
    return country[country["iso3_status"].astype("string") == "country"]


def yearly_totals(cells: pd.DataFrame | None, documents: pd.DataFrame) -> pd.DataFrame:
    """Per year: Appendix A total, its change, and the totals printed on the by-ESP and by-country PDFs."""
    frames = []
    if cells is not None:
        frames.append(appendix_a(cells)[["year", "reports"]].rename(columns={"reports": "appendix_a"}))
    for family, column in TOTAL_COLUMNS.items():
        printed = documents[(documents["family"].astype("string") == family) & documents["printed_total"].notna()]
        frames.append(pd.DataFrame({"year": printed["year"].astype(int), column: printed["printed_total"].astype("Int64")}))
    merged = frames[0]
    for frame in frames[1:]:
        merged = merged.merge(frame, on="year", how="outer")
    merged = merged.sort_values("year").reset_index(drop=True)
    for column in ("appendix_a", *TOTAL_COLUMNS.values()):
        if column not in merged:
            merged[column] = pd.array([pd.NA] * len(merged), dtype="Int64")
    merged["change"] = merged["appendix_a"] - merged["appendix_a"].shift(1)
    previous = merged["appendix_a"].shift(1).astype("Float64")
    merged["change_pct"] = merged["change"].astype("Float64") / previous * 100
    return merged


def list_splits(frame: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """Per year, the referrals / informational totals of a list table, for the years whose
    edition prints the split (from 2024); years that do not are absent, not zeros."""
    columns = ["year", "referrals", "informational", "reports", "rows", "summed"]
    if frame is None or frame.empty or "referrals" not in frame:
        return pd.DataFrame(columns=columns)
    split = frame[frame["referrals"].notna() | frame["informational"].notna()]
    if split.empty:
        return pd.DataFrame(columns=columns)
    return (split.groupby("year", observed=True)
            .agg(referrals=("referrals", "sum"), informational=("informational", "sum"), reports=("reports", "sum"),
                 rows=(key, "size"), summed=("reports_source", lambda s: bool((s == "summed").any())))
            .reset_index())


def family_order(column: pd.Series) -> pd.Series:
    """Sort key: documents in the registry's family order (by ESP, by country, OJJDP; a family no
    reader reads after them), other columns as they are."""
    if column.name != "family":
        return column
    order = {name: i for i, name in enumerate(FAMILIES)}
    return column.astype(str).map(lambda family: order.get(family, len(order)))


def check_counts(checks: pd.DataFrame | None) -> dict[str, tuple[int, int]]:
    """source_file -> (checks passed, checks failed)."""
    if checks is None or checks.empty:
        return {}
    grouped = checks.groupby(checks["source_file"].astype(str))["passed"]
    return {name: (int(values.sum()), int((~values.astype(bool)).sum())) for name, values in grouped}


def readable_documents(documents: pd.DataFrame) -> pd.DataFrame:
    """The documents a reader read (or tried to): every status but `unsupported`."""
    return documents[documents["status"].astype(str) != "unsupported"]


def field_titles(presence: pd.DataFrame) -> dict[str, str]:
    """field_id -> its short name, when the presence table carries one."""
    if "title" not in presence.columns:
        return {}
    named = presence.dropna(subset=["title"]).drop_duplicates("field_id")
    return {str(f): str(t) for f, t in zip(named["field_id"], named["title"])}
