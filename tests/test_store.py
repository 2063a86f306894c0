"""Parquet outputs: explicit schemas, deterministic bytes, atomic replacement."""

import pyarrow.parquet as pq
import pytest

from pipeline import store

RECORD = {"year": 2020, "esp": "A", "esp_key": "a", "footnote": None, "reports": 3, "page": 1,
          "source_file": "x.pdf", "source_sha256": "0" * 64}


def test_same_records_give_byte_identical_files_whatever_their_order(tmp_path):
    other = {**RECORD, "esp": "B", "esp_key": "b", "reports": 5}
    first = store.write_records("esp_reports", [RECORD, other], tmp_path / "one")
    second = store.write_records("esp_reports", [other, RECORD], tmp_path / "two")
    assert first.read_bytes() == second.read_bytes()


def test_schema_carries_descriptions_and_version(tmp_path):
    path = store.write_records("esp_reports", [RECORD], tmp_path)
    schema = pq.read_schema(path)
    assert schema.metadata[b"schema_version"] == store.SCHEMA_VERSION.encode()
    assert b"CyberTipline reports" in schema.field("reports").metadata[b"description"]
    assert str(schema.field("reports").type) == "int64"


def test_failed_write_keeps_the_last_good_file(tmp_path, monkeypatch):
    path = store.write_records("esp_reports", [RECORD], tmp_path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", crash)  # what store writes every file with
    with pytest.raises(OSError):
        store.write_records("esp_reports", [{**RECORD, "reports": 4}], tmp_path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["esp_reports.parquet"]
