"""Findings: every failed in-source check, by kind, so an auditor can tell a finding from a footnote.

A check that finds NCMEC's printed figures disagreeing (`in_source=True, passed=False`) is one of:

  conflict      two printed numbers that cannot both be right
  rounding      a printed percent or rounded figure off by the precision it is printed at
  label         a misprint or mislabel (a label, a header, a sentence naming years); the value
                is unaffected
  non_additive  a total the document itself says is not a sum of what it lists

A check may set its kind (a stated figure off by its printing precision is `rounding`); otherwise
the kind comes from the check's name in `pipeline/data/finding_kinds.csv`. An in-source failure
of a check the file does not name is refused, so a new check cannot publish an unclassified
finding. This module also turns checks into typed `checks.parquet` records and renders the
`findings` command's output.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields, replace
from importlib import resources

from pipeline.validate import CheckResult

KINDS = ("conflict", "rounding", "label", "non_additive")
# How the run summary names each kind: "2 conflicts, 2 rounding, 2 label quirks".
KIND_PHRASES = {"conflict": ("conflict", "conflicts"), "rounding": ("rounding", "rounding"),
                "label": ("label quirk", "label quirks"), "non_additive": ("non-additive total", "non-additive totals")}


@functools.lru_cache(maxsize=1)
def check_kinds() -> dict[str, str]:
    """check name (before any ':') -> kind, from pipeline/data/finding_kinds.csv."""
    text = resources.files("pipeline.data").joinpath("finding_kinds.csv").read_text(encoding="utf-8")
    kinds = {}
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        if row["kind"] not in KINDS:
            raise ValueError(f"pipeline/data/finding_kinds.csv, line {line}: kind must be one of {', '.join(KINDS)},"
                             f" found {row['kind']!r}")
        kinds[row["check"]] = row["kind"]
    return kinds


def is_finding(check: CheckResult | Mapping) -> bool:
    get = check.get if isinstance(check, Mapping) else lambda k: getattr(check, k)
    return bool(get("in_source")) and not bool(get("passed"))


def with_kind(check: CheckResult) -> CheckResult:
    """The check with its kind when it is a finding (kept when the check set one)."""
    if not is_finding(check):
        return check
    if check.kind is not None:
        if check.kind not in KINDS:
            raise ValueError(f"{check.source_file}: check {check.check} set kind {check.kind!r}; expected one of"
                             f" {', '.join(KINDS)}")
        return check
    name = check.check.split(":", 1)[0]
    kind = check_kinds().get(name)
    if kind is None:
        raise ValueError(f"{check.source_file}: check {check.check} found a disagreement in NCMEC's figures but"
                         f" pipeline/data/finding_kinds.csv gives {name!r} no kind; add a line for it")
    return replace(check, kind=kind)


NUMBER_TEXT = re.compile(r"^\s*(>=|<=)?\s*(-?\d+(?:\.\d+)?)\s*$")


def typed_number(value) -> tuple[float | None, str | None]:
    """(number, relation) from a check's expected/actual: numbers stay numbers; text such as
    '1241723' or '>= 1241723' becomes 1241723.0 with relation '>='; words ('found') are no
    number."""
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, (int, float)):
        return float(value), None
    match = NUMBER_TEXT.match(str(value).replace(",", ""))
    if not match:
        return None, None
    return float(match.group(2)), match.group(1)


_CHECK_FIELDS = tuple(f.name for f in fields(CheckResult))


def check_record(check: CheckResult) -> dict:
    """A checks.parquet row: expected/actual as float64 numbers (null when a check compares no
    numbers) and `relation` saying how actual must relate to expected. (Every field is a plain
    value: copied by name, not by `asdict`'s recursive deep copy, a tenth of a run's store.)"""
    record = {name: getattr(check, name) for name in _CHECK_FIELDS}
    record["expected"], relation = typed_number(check.expected)
    record["actual"], _ = typed_number(check.actual)
    record["relation"] = check.relation or relation or ("=" if record["expected"] is not None else None)
    return record


def kind_counts(checks: Iterable[CheckResult | Mapping]) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for check in checks:
        if is_finding(check):
            kind = check.get("kind") if isinstance(check, Mapping) else check.kind
            kind = kind if isinstance(kind, str) else "conflict"  # outputs written before kinds existed
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def summary_phrase(counts: Mapping[str, int]) -> str:
    """'2 conflicts, 2 rounding, 2 label quirks in NCMEC's figures' (kinds with none left out)."""
    parts = [f"{n} {KIND_PHRASES[k][n != 1]}" for k in KINDS if (n := counts.get(k, 0))]
    return (", ".join(parts) if parts else "no findings") + " in NCMEC's figures"


# --- the `findings` command ----------------------------------------------------------------------

FINDING_COLUMNS = ("kind", "edition", "check", "source_file", "page", "other_source_file", "other_page",
                   "expected", "actual", "relation", "sentence", "message")


def finding_rows(checks: Sequence[Mapping], editions: Mapping[str, int], *, kind: str | None = None,
                 edition: int | None = None) -> list[dict]:
    """The findings among checks.parquet rows, conflicts first, then by kind, edition, page.
    `editions` maps a source file to its document's edition year."""
    rows = []
    for check in checks:
        if not is_finding(check) or (kind and check.get("kind") != kind):
            continue
        year = editions.get(check["source_file"])
        if edition is not None and year != edition:
            continue
        rows.append({**{c: check.get(c) for c in FINDING_COLUMNS if c != "edition"}, "edition": year})
    rank = {k: i for i, k in enumerate(KINDS)}
    rows.sort(key=lambda r: (rank.get(r["kind"], len(rank)), r["edition"] or 0, r["source_file"], r["page"] or 0,
                             r["check"], r["message"]))
    return [{c: r.get(c) for c in FINDING_COLUMNS} for r in rows]


def _number(value) -> str:
    if value is None:
        return "-"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _pages(row: Mapping) -> str:
    here = f"{row['source_file']} p.{row['page']}" if row.get("page") else row["source_file"]
    if row.get("other_page") is None or (row["other_page"] == row.get("page")
                                         and (row.get("other_source_file") or row["source_file"]) == row["source_file"]):
        return here
    other = row.get("other_source_file") or row["source_file"]
    return here + (f"; p.{row['other_page']}" if other == row["source_file"] else f"; {other} p.{row['other_page']}")


def render_findings(rows: Sequence[Mapping], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(list(rows), indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FINDING_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: "" if r.get(k) is None else r[k] for k in FINDING_COLUMNS})
        return out.getvalue()
    summary = summary_phrase(kind_counts([{**r, "in_source": True, "passed": False} for r in rows]))
    if fmt == "markdown":
        lines = [f"{summary}.", "", "| kind | edition | check | pages | expected | found | sentence / detail |",
                 "|---|---|---|---|---|---|---|"]
        for r in rows:
            detail = (f"«{r['sentence']}» — " if r.get("sentence") else "") + r["message"]
            lines.append(f"| {r['kind']} | {r['edition'] or ''} | `{r['check']}` | {_pages(r)} | {_number(r['expected'])}"
                         f" | {_number(r['actual'])} | {detail.replace('|', chr(92) + '|')} |")
        return "\n".join(lines) + "\n"
    lines = [summary]
    current = None
    for r in rows:
        if r["kind"] != current:
            current = r["kind"]
            lines.append(f"\n{current}:")
        lines.append(f"  [{r['edition'] or '-'}] {r['check']}  {_pages(r)}  expected {_number(r['expected'])},"
                     f" found {_number(r['actual'])}")
        if r.get("sentence"):
            lines.append(f"      «{r['sentence']}»")
        lines.append(f"      {r['message']}")
    return "\n".join(lines) + "\n"


def findings_report(workspace, *, kind: str | None = None, edition: int | None = None, fmt: str = "text") -> str:
    """`ncmec-pipeline findings`: the findings in the published checks.parquet of `workspace`
    (a `pipeline.workspace.Workspace`), rendered; ValueError when there is none to read."""
    import pyarrow.parquet as pq

    path = workspace.table("checks")
    if not path.is_file():
        raise ValueError(f"{path} does not exist: run `ncmec-pipeline run` first")
    checks = pq.read_table(path).to_pylist()
    if "kind" not in (checks[0] if checks else {"kind": None}):
        raise ValueError(f"{path} was written by an older version (no kind column): run `ncmec-pipeline run` again")
    documents = pq.read_table(workspace.table("documents")).to_pylist()
    editions = {d["source_file"]: d["year"] for d in documents}
    return render_findings(finding_rows(checks, editions, kind=kind, edition=edition), fmt)
