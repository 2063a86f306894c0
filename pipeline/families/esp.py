"""CyberTipline reports by electronic service provider: one PDF a year, one row per provider."""

from __future__ import annotations

from pipeline.families.lists import ListFamily


class EspList(ListFamily):
    name = "reports_by_esp"
    title = "CyberTipline reports by electronic service provider"
    tables = ("esp_reports",)
    name_column, key_column = "esp", "esp_key"
    figure_key = ("esp_key", "esp")

    def records(self, rows, *, year, source_file, source_sha256):
        from pipeline.normalize import esp_records

        return esp_records(rows, year=year, source_file=source_file, source_sha256=source_sha256)


FAMILY = EspList()
