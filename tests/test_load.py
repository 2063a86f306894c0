"""The loader: typed DataFrames in one line, and a listing read from the files' own metadata."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.load import datasets, describe, load
from pipeline.store import SCHEMA_VERSION, write_records

ESP_ROWS = [
    {"year": 2022, "esp": "Discord Inc.", "esp_key": "discord", "footnote": None, "reports": 1000,
     "page": 2, "source_file": "2022-reports-by-esp.pdf", "source_sha256": "d3" * 32},
    {"year": 2023, "esp": "Discord", "esp_key": "discord", "footnote": "*", "reports": 2000,
     "page": 2, "source_file": "2023-reports-by-esp.pdf", "source_sha256": "a3" * 32},
    {"year": 2023, "esp": "Dash Printed", "esp_key": "dash-printed", "footnote": None, "reports": None,
     "page": 3, "source_file": "2023-reports-by-esp.pdf", "source_sha256": "a3" * 32},
    {"year": 2021, "esp": "Discord", "esp_key": "discord", "footnote": None, "reports": 300,
     "page": 2, "source_file": "2021-reports-by-esp.pdf", "source_sha256": "a9" * 32},
]

CELL_ROWS = [
    {"edition": 2023, "table_id": "reports_by_user_location", "row_label": "International", "footnote": None,
     "column_label": "CY 2023", "year": 2023, "measure": "percent", "value": None, "percent": Decimal("91.7"),
     "value_text": "91.7%", "page": 4, "source_file": "ojjdp-2023.pdf", "source_sha256": "0f" * 32},
    {"edition": 2023, "table_id": "appendix_a_reports_per_year", "row_label": "CY1998", "footnote": None,
     "column_label": "Total", "year": 1998, "measure": "reports", "value": 4560, "percent": None,
     "value_text": "4,560", "page": 20, "source_file": "ojjdp-2023.pdf", "source_sha256": "0f" * 32},
    {"edition": 2022, "table_id": "appendix_a_reports_per_year", "row_label": "CY1998", "footnote": None,
     "column_label": "Total", "year": 1998, "measure": "reports", "value": 4560, "percent": None,
     "value_text": "4,560", "page": 19, "source_file": "ojjdp-2022.pdf", "source_sha256": "49" * 32},
]


@pytest.fixture
def data_dir(tmp_path):
    """A data folder holding two small tables written exactly as the pipeline writes them."""
    write_records("esp_reports", ESP_ROWS, tmp_path / "processed")
    write_records("ojjdp_cells", CELL_ROWS, tmp_path / "processed")
    return tmp_path


def test_counts_are_nullable_integers_and_a_dash_stays_missing(data_dir):
    esp = load("esp_reports", data_dir=data_dir)
    assert str(esp["reports"].dtype) == "Int64"
    assert str(esp["year"].dtype) == "Int16"
    assert str(esp["esp"].dtype) == "string"
    assert str(esp["source_file"].dtype) == "category"
    assert esp.loc[esp["esp"] == "Dash Printed", "reports"].isna().all()
    assert esp["reports"].sum() == 1000 + 2000 + 300


def test_years_keeps_only_those_years_in_key_order(data_dir):
    esp = load("esp_reports", years=[2022, 2023], data_dir=data_dir)
    assert sorted(set(esp["year"])) == [2022, 2023]
    assert list(esp.index) == list(range(len(esp)))


def test_ojjdp_cells_years_is_the_year_described_and_editions_the_report(data_dir):
    assert set(load("ojjdp_cells", years=[1998], data_dir=data_dir)["edition"]) == {2022, 2023}
    newest = load("ojjdp_cells", editions=[2023], data_dir=data_dir)
    assert set(newest["edition"]) == {2023}
    assert str(newest["percent"].dtype) == "Float64"
    assert newest["percent"].dropna().tolist() == [91.7]
    assert newest.loc[newest["measure"] == "percent", "value"].isna().all()


def test_years_on_a_table_without_years_says_so(data_dir):
    write_records("checks", [], data_dir / "processed")
    with pytest.raises(ValueError, match="checks has no 'year' column"):
        load("checks", years=[2023], data_dir=data_dir)


def test_a_missing_table_names_the_folder_and_what_is_there(data_dir, tmp_path_factory):
    with pytest.raises(FileNotFoundError, match=r"no table 'field_presence'.*available: esp_reports, ojjdp_cells"):
        load("field_presence", data_dir=data_dir)
    with pytest.raises(FileNotFoundError, match="run `ncmec-pipeline run`"):
        load("esp_reports", data_dir=tmp_path_factory.mktemp("empty"))


def test_the_data_dir_comes_from_the_environment(data_dir, monkeypatch):
    monkeypatch.setenv("NCMEC_DATA_DIR", str(data_dir))
    assert len(load("esp_reports")) == len(ESP_ROWS)
    assert list(datasets()["name"]) == ["esp_reports", "ojjdp_cells"]


def test_schema_metadata_travels_with_the_frame(data_dir):
    esp = load("esp_reports", data_dir=data_dir)
    assert esp.attrs["table"] == "esp_reports"
    assert esp.attrs["schema_version"] == SCHEMA_VERSION


def test_datasets_lists_name_description_version_and_rows(data_dir):
    listing = datasets(data_dir).set_index("name")
    assert list(listing.columns) == ["description", "schema_version", "rows"]
    assert listing.loc["esp_reports", "rows"] == len(ESP_ROWS)
    assert listing.loc["ojjdp_cells", "rows"] == len(CELL_ROWS)
    assert "electronic service provider" in listing.loc["esp_reports", "description"]
    assert set(listing["schema_version"]) == {SCHEMA_VERSION}


def test_datasets_of_an_empty_folder_is_an_empty_listing(tmp_path):
    assert datasets(tmp_path).empty


def test_describe_reads_each_columns_description_from_the_file(data_dir):
    columns = describe("esp_reports", data_dir).set_index("column")
    assert columns.loc["reports", "pandas_dtype"] == "Int64"
    assert "'-'" in columns.loc["reports", "description"]
    assert columns.loc["esp_key", "parquet_type"] == "string"


@pytest.mark.parametrize("first_import", ["import pipeline.load", "import pipeline.report", "import pipeline"])
def test_from_pipeline_import_load_is_callable_whatever_was_imported_first(data_dir, first_import):
    """`pipeline.load` is a module and the function analysts call; Python's import system binds
    the module on the package after any `import pipeline.load`, so the module must be callable."""
    code = (f"{first_import}\nfrom pipeline import load, datasets\n"
            f"print(len(load('esp_reports', years=[2023], data_dir={str(data_dir)!r})), len(datasets({str(data_dir)!r})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["2", "2"]


# --- on the real corpus's outputs ----------------------------------------------------------------

def test_real_esp_years_sum_to_the_totals_ncmec_printed(pipeline_run):
    paths, _ = pipeline_run
    esp = load("esp_reports", years=[2022, 2023], data_dir=paths.root)
    documents = load("documents", data_dir=paths.root)
    printed = documents[documents["family"] == "reports_by_esp"].set_index("year")["printed_total"]
    assert set(esp["year"]) == {2022, 2023}
    for year, reports in esp.groupby("year")["reports"].sum().items():
        assert reports == printed[year]


def test_real_outputs_are_listed_and_stand_alone(pipeline_run):
    """The files describe themselves: any Parquet reader sees the schema version and each column's
    description without this package."""
    paths, _ = pipeline_run
    listing = datasets(paths.root)
    assert {"esp_reports", "country_reports", "documents", "checks"} <= set(listing["name"])
    assert listing["description"].notna().all() and (listing["rows"] > 0).all()
    schema = pq.read_schema(paths.processed / "country_reports.parquet")
    assert schema.metadata[b"schema_version"] == SCHEMA_VERSION.encode()
    assert all(field.metadata and field.metadata.get(b"description") for field in schema)
    assert pd.read_parquet(paths.processed / "country_reports.parquet").shape[0] == listing.set_index("name").loc[
        "country_reports", "rows"]


def test_years_may_be_one_int_and_a_wrong_keyword_names_load(data_dir):
    """`years=2023` raised "'int' object is not iterable"; `year=` leaked `_CallableModule.__call__()`."""
    import pipeline

    assert sorted(pipeline.load("esp_reports", years=2023, data_dir=data_dir)["esp"]) == ["Dash Printed", "Discord"]
    assert set(load("ojjdp_cells", editions=2022, data_dir=data_dir)["edition"]) == {2022}
    with pytest.raises(TypeError, match=r"^load\(\) got an unexpected keyword argument 'year'"):
        pipeline.load("esp_reports", year=2023, data_dir=data_dir)


def test_a_year_with_no_rows_warns_naming_the_documents_status(data_dir):
    write_records("documents", [{"doc_id": "esp-2019", "family": "reports_by_esp", "year": 2019, "url": "u",
                                 "source_file": "2019-reports-by-esp.pdf", "status": "missing", "rows": 0,
                                 "message": "2019-reports-by-esp.pdf is not in the mirror", "origin": "manifest"}],
                  data_dir / "processed")
    with pytest.warns(UserWarning, match=r"esp_reports has no rows for year 2019: esp-2019 \(2019-reports-by-esp.pdf\)"
                                         r" is missing: 2019-reports-by-esp.pdf is not in the mirror"):
        frame = load("esp_reports", years=[2019], data_dir=data_dir)
    assert frame.empty
    with pytest.warns(UserWarning, match="no rows for year 2031: no document of this run covers it"):
        load("esp_reports", years=[2031, 2023], data_dir=data_dir)
