"""CyberTipline reports by country of upload location: one PDF a year, one row per country."""

from __future__ import annotations

from pipeline.families.lists import ListFamily


class CountryList(ListFamily):
    name = "reports_by_country"
    title = "CyberTipline reports by country"
    tables = ("country_reports",)
    name_column, key_column = "country", "iso3"
    figure_key = ("country",)

    def records(self, rows, *, year, source_file, source_sha256):
        from pipeline.normalize import country_records

        return country_records(rows, year=year, source_file=source_file, source_sha256=source_sha256)

    def check(self, doc, extraction, normalized, context):
        """The list checks, and every printed country name mapped to an ISO code or a reviewed status."""
        from pipeline.validate.cybertipline import check_countries_mapped

        return [*super().check(doc, extraction, normalized, context),
                check_countries_mapped(normalized.tables[self.table], doc.file)]


FAMILY = CountryList()
