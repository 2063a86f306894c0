"""The registry of document families: every kind of PDF the pipeline reads, one module each.

A family (warn-scraper's "one module per source") is everything that differs between kinds of
document, behind one small interface (`Family`):

  identity   name (the manifest's `family`), title, the output tables it fills, its field sources
  read       PDF -> a plain JSON-able extraction (runs in a bounded worker; cached by the caller)
  normalize  extraction -> typed rows per output table (and a printed total, where one is printed)
  check      the family's validation checks over those rows
  explain    the reading drawn over the page (`ncmec-pipeline explain`)

`run`, `validate`, `fields`, `report` and `cli` iterate over `FAMILIES` and never compare family
names. A new family is one new module here, one entry in `FAMILIES` (and its data files).
Importing the registry imports no PDF, table or dataframe library: `ncmec-pipeline --help` stays
fast, so each family imports its reader inside the method that runs it.
"""

from __future__ import annotations

from pipeline.families.base import Context, Family, Normalized, RunningText

__all__ = ["FAMILIES", "Context", "Family", "Normalized", "RunningText", "family_of", "output_tables",
           "publishing_order", "table_families"]


def _registry() -> dict[str, Family]:
    from pipeline.families import country, esp, ojjdp

    return {family.name: family for family in (esp.FAMILY, country.FAMILY, ojjdp.FAMILY)}


FAMILIES: dict[str, Family] = _registry()


def family_of(name: str) -> Family:
    """The family `name` (a manifest's `family`); KeyError for a family no reader reads."""
    return FAMILIES[name]


def table_families() -> dict[str, str]:
    """Output table -> the family whose documents fill it."""
    return {table: family.name for family in FAMILIES.values() for table in family.tables}


def output_tables() -> list[str]:
    """Every table the families fill, in registry order."""
    return list(dict.fromkeys(table for family in FAMILIES.values() for table in family.tables))


def publishing_order(family: str) -> bool:
    """Families whose checks compare with others' printed totals come after them (a family
    no reader reads is recorded among the first)."""
    return bool(FAMILIES[family].compares_with) if family in FAMILIES else False


def families_markdown() -> str:
    """The README's table of families (between its `families` markers; tests/test_families.py
    checks they agree): `python -m pipeline.families` prints it."""
    lines = ["| family | documents | output tables | module |", "|---|---|---|---|"]
    for family in FAMILIES.values():
        module = type(family).__module__.replace(".", "/") + ".py"
        tables = ", ".join(f"`{t}`" for t in family.tables)
        if family.derived:
            tables += "; across documents: " + ", ".join(f"`{t}`" for t in family.derived)
        lines.append(f"| `{family.name}` | {family.title} | {tables} | `{module}` |")
    return "\n".join(lines) + "\n"
