"""The sections with figures: trends (charts with their captions) and year-over-year tables."""

from __future__ import annotations

import pandas as pd

from pipeline.report.charts import figure, line_chart, nice_ticks, stacked_bar_chart
from pipeline.report.data import (
    TOP_N,
    actionable_informational,
    appendix_a,
    countries,
    display_names,
    esp_shares,
    list_splits,
    reports_by_year,
    top_keys,
    yearly_totals,
)
from pipeline.report.markup import (
    esc,
    fmt_int,
    fmt_percent,
    fmt_signed,
    fmt_signed_percent,
    html_table,
    missing,
    not_available,
)


TOP_TABLE_N = 10


def trends_section(tables: dict[str, pd.DataFrame | None]) -> str:
    cells, esp, country = tables.get("ojjdp_cells"), tables.get("esp_reports"), tables.get("country_reports")
    parts = ["<h3>CyberTipline reports per year since 1998 (Appendix A)</h3>"]
    parts.append(appendix_a_figure(cells) if cells is not None else not_available("ojjdp_cells"))
    parts.append(f"<h3>Share of ESP reports: the {TOP_N} largest reporting providers</h3>")
    parts.append(esp_share_figure(esp) if esp is not None and not esp.empty else not_available("esp_reports"))
    parts.append(f"<h3>Reports by country: the {TOP_N} countries with the most reports</h3>")
    parts.append(country_figure(country) if country is not None and not country.empty else not_available("country_reports"))
    parts.append("<h3>Reports made available to law enforcement: actionable vs informational</h3>")
    parts.append(actionable_figure(cells) if cells is not None else not_available("ojjdp_cells"))
    parts.append("<h3>Referrals and informational reports in the lists by ESP and by country</h3>")
    parts.append(list_split_section(esp, country))
    return "".join(parts)


def list_split_section(esp: pd.DataFrame | None, country: pd.DataFrame | None) -> str:
    rows = []
    for what, frame, key in (("by ESP", esp, "esp"), ("by country", country, "country")):
        for r in list_splits(frame, key).itertuples(index=False):
            total = r.referrals + r.informational
            rows.append([what, str(int(r.year)), fmt_int(r.referrals), fmt_int(r.informational),
                         fmt_percent(r.referrals / total * 100) if total else "n/a",
                         fmt_int(r.reports) + (" (summed)" if r.summed else ""), str(int(r.rows))])
    if not rows:
        return ("<p>No list edition in this run prints referrals and informational reports apart. NCMEC splits"
                " them from its 2024 edition on; earlier editions print one count per row, and the split is"
                " recorded as not published for them (never as 0).</p>")
    return html_table(["list", "year", "referrals", "informational", "referral share", "reports", "rows"], rows,
                      numeric=frozenset({2, 3, 4, 5, 6})) + (
        "<p>Sums over the rows of each list. 'summed': the edition prints no total column, and reports is"
        " referrals + informational.</p>")


def unlisted_note(series: list[tuple[str, list]], years: list[int], what: str) -> str:
    """A caption's sentence naming the lines with no point in some year ('' when every line is whole):
    a provider or country the year's PDF does not list has no figure for it, not a zero."""
    gaps: dict[tuple[int, ...], list[str]] = {}
    for label, values in series:
        absent = tuple(y for y, v in zip(years, values) if missing(v))
        if absent:
            gaps.setdefault(absent, []).append(esc(label))
    if not gaps:
        return ""
    named = "; ".join(f"{' and '.join(labels)} in {', '.join(str(y) for y in absent)}"
                      for absent, labels in gaps.items())
    return f" No point where the year's PDF does not list the {what}: {named}."


def _sources(frame: pd.DataFrame) -> str:
    pairs = sorted({(int(e), int(p)) for e, p in zip(frame["edition"], frame["page"])})
    return "; ".join(f"{e} edition, page {p}" for e, p in pairs)


def appendix_a_figure(cells: pd.DataFrame) -> str:
    series = appendix_a(cells)
    if series.empty:
        return "<p>No Appendix A rows in this run's OJJDP tables.</p>"
    first, last = series.iloc[0], series.iloc[-1]
    svg = stacked_bar_chart([str(y) for y in series["year"]], [("reports", list(series["reports"]))],
                            title="CyberTipline reports per year")
    threshold = nice_ticks(series["reports"].max())[-1] / 100
    thin = []
    for year, reports in zip(series["year"], series["reports"]):
        if missing(reports) or reports >= threshold:
            break
        thin.append(int(year))
    thin_note = (f" The bars for {thin[0]}–{thin[-1]} (under {fmt_int(threshold)} reports a year) are too thin "
                 "to see at this scale." if len(thin) > 1 else "")
    caption = (f"{int(first.year)}: {fmt_int(first.reports)} reports; {int(last.year)}: {fmt_int(last.reports)} "
               "(every year's figure is in the <a href=\"#year-over-year\">year-over-year table</a>)."
               f"{thin_note} Source: OJJDP–NCMEC transparency report, Appendix A ({_sources(series)}); each year "
               "from the newest edition that prints it.")
    return figure(svg, caption)


def esp_share_figure(esp: pd.DataFrame) -> str:
    shares = esp_shares(esp)
    names = display_names(esp, "esp_key", "esp")
    years = [int(y) for y in shares.columns]
    series = [(names.get(k, k), list(shares.loc[k])) for k in shares.index]
    svg = line_chart([str(y) for y in years], series, title="Share of ESP reports per year",
                     y_title="share of the year's ESP reports", y_format=lambda v: f"{v:g}%",
                     value_format=fmt_percent)
    newest = years[-1]
    combined = shares[newest].sum()
    caption = (f"Providers ranked by reports in {newest}; together they made {fmt_percent(combined)} of that year's "
               "ESP reports. Share = the provider's reports / all reports on the year's by-ESP PDF."
               + unlisted_note(series, years, "provider"))
    return figure(svg, caption, [label for label, _ in series])


def country_figure(country: pd.DataFrame) -> str:
    rows = countries(country)
    keys = top_keys(rows, "iso3", TOP_N)
    table = reports_by_year(rows, "iso3", keys)
    names = display_names(rows, "iso3", "country")
    years = [int(y) for y in table.columns]
    series = [(names.get(k, k), list(table.loc[k])) for k in table.index]
    svg = line_chart([str(y) for y in years], series, title="Reports per year, top countries")
    caption = (f"Countries ranked by reports in {years[-1]} (country of the upload location as NCMEC resolved it; "
               "'No Country Listed' and regions excluded)." + unlisted_note(series, years, "country"))
    return figure(svg, caption, [label for label, _ in series])


def actionable_figure(cells: pd.DataFrame) -> str:
    frame = actionable_informational(cells)
    if frame.empty:
        return "<p>No law-enforcement recipient rows in this run's OJJDP tables.</p>"
    svg = stacked_bar_chart([str(y) for y in frame["year"]],
                            [("actionable", list(frame["actionable"])), ("informational", list(frame["informational"]))],
                            title="Reports made available to law enforcement, actionable vs informational")
    newest = frame.iloc[-1]
    share = newest["actionable"] / (newest["actionable"] + newest["informational"]) * 100
    rows = [[str(int(r.year)), fmt_int(r.actionable), fmt_int(r.informational),
             fmt_percent(r.actionable / (r.actionable + r.informational) * 100), str(int(r.editions))]
            for r in frame.itertuples(index=False)]
    table = html_table(["year", "actionable", "informational", "actionable share", "edition"], rows,
                       numeric=frozenset({1, 2, 3}))
    caption = (f"In {int(newest.year)}, {fmt_percent(share)} of the reports made available were actionable. "
               "Summed over federal, international, ICAC and local recipients (OJJDP table le_recipients).")
    return figure(svg, caption, ["actionable", "informational"]) + table


def year_over_year_section(tables: dict[str, pd.DataFrame | None]) -> str:
    documents = tables["documents"]
    totals = yearly_totals(tables.get("ojjdp_cells"), documents)
    rows = [[str(int(r.year)), fmt_int(r.appendix_a), fmt_signed(r.change), fmt_signed_percent(r.change_pct),
             fmt_int(r.esp_total), fmt_int(r.country_total)] for r in totals.itertuples(index=False)]
    parts = ["<h3>Reports per year</h3>",
             "<p>Appendix A of the newest OJJDP edition, with the totals printed on the year's by-ESP and "
             "by-country PDFs where this run has them.</p>" if tables.get("ojjdp_cells") is not None else
             not_available("ojjdp_cells"),
             html_table(["year", "reports (Appendix A)", "change", "change %", "by-ESP PDF total",
                         "by-country PDF total"], rows, numeric=frozenset(range(1, 6)), css_class="compact")]
    esp, country = tables.get("esp_reports"), tables.get("country_reports")
    parts.append(f"<h3>The {TOP_TABLE_N} largest reporting providers</h3>")
    parts.append("<p>Ranked by reports in the newest year; – where the year's PDF does not list the provider or "
                 "country.</p>")
    parts.append(top_table(esp, "esp_key", "esp", "provider") if esp is not None and not esp.empty
                 else not_available("esp_reports"))
    parts.append(f"<h3>The {TOP_TABLE_N} countries with the most reports</h3>")
    parts.append(top_table(countries(country), "iso3", "country", "country") if country is not None and not country.empty
                 else not_available("country_reports"))
    return "".join(parts)


def top_table(frame: pd.DataFrame, key: str, name: str, heading: str) -> str:
    keys = top_keys(frame, key, TOP_TABLE_N)
    table = reports_by_year(frame, key, keys)
    names = display_names(frame, key, name)
    years = [int(y) for y in table.columns]
    rows = []
    for k in keys:
        values = [table.loc[k, y] for y in years]
        last, previous = values[-1], values[-2] if len(values) > 1 else pd.NA
        change = pd.NA if missing(last) or missing(previous) else last - previous
        pct = pd.NA if missing(change) or not previous else change / previous * 100
        rows.append([esc(names.get(k, k)), *[fmt_int(v) for v in values], fmt_signed(change),
                     fmt_signed_percent(pct)])
    label = f"{years[-2]}→{years[-1]}" if len(years) > 1 else "change"
    return html_table([heading, *[str(y) for y in years], f"change {label}", "%"], rows,
                      numeric=frozenset(range(1, len(years) + 3)), css_class="compact")
