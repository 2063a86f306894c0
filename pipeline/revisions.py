"""Revisions between OJJDP editions: each edition reprints the two calendar years before it, so
a figure NCMEC revised (or dropped, or added) shows up as the same cell printed differently.

Cells are matched on (table_id, row_label, column_label, year, measure) between each edition
and the next one present. Labels are matched ignoring case, spacing and punctuation: the 2022
edition prints "(based on MD5 hash" where the 2023 edition prints "(based on MD5 hash)" over the
same CY 2022 column, and that is not a revision. Any other wording change is reported as a cell
only in one edition ("Unknown" in 2022 became "Unknown Location" in 2023).

`only_in_old` / `only_in_new` are reported only for years both editions cover: the years at
least two tables of each edition print (Appendix A alone reaches back to 1998, which would make
every CY 2020 cell of the 2022 edition look dropped).
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.labels import label_key, label_kind

KEY = ["table_id", "row_label", "column_label", "year", "measure"]
NEEDED = KEY + ["edition", "value", "percent", "page"]
COLUMNS = KEY + ["old_edition", "new_edition", "old_value", "new_value", "old_percent", "new_percent",
                 "old_page", "new_page", "change"]


def covered_years(cells: Sequence[dict]) -> set[int]:
    """Years an edition reports on: those at least two of its tables print."""
    tables: dict[int, set[str]] = {}
    for cell in cells:
        if cell["year"] is not None:
            tables.setdefault(cell["year"], set()).add(cell["table_id"])
    return {year for year, ids in tables.items() if len(ids) >= 2}


def _index(cells: Sequence[dict], edition: int) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for row in cells:
        key = (row["table_id"], label_key(row["row_label"]), label_key(row["column_label"]), row["year"],
               row["measure"])
        if key in out:
            raise ValueError(
                f"edition {edition}: expected each (table, row, column, year, measure) once, found {key} twice"
                f" (pages {out[key]['page']} and {row['page']})"
            )
        out[key] = row
    return out


def _same(old: dict, new: dict) -> bool:
    return old["value"] == new["value"] and old["percent"] == new["percent"]


def _record(old: dict | None, new: dict | None, old_edition: int, new_edition: int, change: str) -> dict:
    shown = new if new is not None else old

    def get(row, field):
        return None if row is None else row[field]
    return {
        "table_id": shown["table_id"], "row_label": get(shown, "row_label"),
        "column_label": get(shown, "column_label"), "year": get(shown, "year"), "measure": shown["measure"],
        "old_edition": old_edition, "new_edition": new_edition,
        "old_value": get(old, "value"), "new_value": get(new, "value"),
        "old_percent": get(old, "percent"), "new_percent": get(new, "percent"),
        "old_page": get(old, "page"), "new_page": get(new, "page"), "change": change,
    }


def compare_editions(old_cells: Sequence[dict], new_cells: Sequence[dict], old_edition: int,
                     new_edition: int) -> list[dict]:
    """Revised cells and cells printed by only one of two editions (for years both cover)."""
    old, new = _index(old_cells, old_edition), _index(new_cells, new_edition)
    both_cover = covered_years(old_cells) & covered_years(new_cells)
    records = []
    for key in old.keys() | new.keys():
        o, n = old.get(key), new.get(key)
        if o is not None and n is not None:
            if not _same(o, n):
                records.append(_record(o, n, old_edition, new_edition, "revised"))
        elif key[3] in both_cover:
            records.append(_record(o, n, old_edition, new_edition, "only_in_old" if n is None else "only_in_new"))
    return records


def ojjdp_revisions(cells: Sequence[dict]) -> list[dict]:
    """Every cell whose value differs between an edition and the next, or that only one of them
    prints, for all editions in `cells` (rows of the ojjdp_cells table, several editions), as
    ojjdp_revisions rows (`COLUMNS`) in a fixed order. Plain rows, no data frame: a run builds
    this table without importing pandas."""
    missing = [c for c in NEEDED if any(c not in cell for cell in cells)]
    if missing:
        raise ValueError(f"ojjdp_revisions: expected columns {', '.join(NEEDED)}; missing {', '.join(missing)}")
    by_edition: dict[int, list[dict]] = {}
    for cell in cells:
        if cell["edition"] is not None:
            by_edition.setdefault(cell["edition"], []).append(cell)
    editions = sorted(by_edition)
    records: list[dict] = []
    for old_edition, new_edition in zip(editions, editions[1:]):
        records.extend(compare_editions(by_edition[old_edition], by_edition[new_edition], old_edition, new_edition))
    return sorted(records, key=lambda r: (r["old_edition"], r["table_id"], r["row_label"] or "",
                                          r["column_label"] or "", -1 if r["year"] is None else r["year"],
                                          r["measure"], r["change"]))


def relabellings(gone: Sequence[dict], came: Sequence[dict]) -> list[tuple[dict, dict]]:
    """Pairs (old, new) of one number printed under a new label ("Unknown" in the 2022 ed. p.4,
    "Unknown Location" in the 2023 ed. p.4): same table, year, measure, column (or row) and
    value, and no other candidate on either side. Rows are ojjdp_revisions records."""
    def slots(rows, side):
        found: dict[tuple, list[dict]] = {}
        for r in rows:
            for label in ("row_label", "column_label"):
                other = "column_label" if label == "row_label" else "row_label"
                found.setdefault((label, r["table_id"], r["year"], r["measure"], label_kind(r[other]),
                                  r[f"{side}_value"], r[f"{side}_percent"]), []).append(r)
        return found
    old_slots, new_slots = slots(gone, "old"), slots(came, "new")
    pairs, used = [], set()
    for slot, olds in old_slots.items():
        news = new_slots.get(slot, [])
        if len(olds) == 1 and len(news) == 1 and id(olds[0]) not in used and id(news[0]) not in used:
            pairs.append((olds[0], news[0]))
            used.update((id(olds[0]), id(news[0])))
    return pairs


def difference_counts(records) -> dict[str, int]:
    """The one count of differences between editions, used by `diff --editions`, the report and
    the notebook alike: a number restated, a number printed under a new label (one number,
    though ojjdp_revisions lists it twice: only_in_old under the old label, only_in_new under the
    new), and a number only one edition prints. `records`: ojjdp_revisions rows (dicts or a frame)."""
    if hasattr(records, "to_dict"):  # a data frame (the report, the notebook)
        records = records.astype(object).where(records.notna(), None).to_dict("records")
    records = list(records)
    pairs = []
    for old, new in sorted({(r["old_edition"], r["new_edition"]) for r in records}):
        mine = [r for r in records if (r["old_edition"], r["new_edition"]) == (old, new)]
        pairs += relabellings([r for r in mine if r["change"] == "only_in_old"],
                              [r for r in mine if r["change"] == "only_in_new"])
    kinds = {kind: sum(r["change"] == kind for r in records) for kind in ("revised", "only_in_old", "only_in_new")}
    counts = {"restated": kinds["revised"], "relabelled": len(pairs),
              "only_in_old": kinds["only_in_old"] - len(pairs), "only_in_new": kinds["only_in_new"] - len(pairs)}
    return {**counts, "differences": sum(counts.values())}
