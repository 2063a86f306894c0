"""A seeded fuzzer of list layouts: random typesettings of random lists, drawn by reportlab
(`tests/producers.py`), read by the list reader, and judged against what was drawn.

The only accepted outcomes are *exact* (every row's name and every count column's text as drawn,
the total row too) and *refused* (an ExtractionError). Anything else is *wrong*: the one outcome
the pipeline must never produce. `python -m tests.list_fuzz N` prints the tally and the first
wrong layouts for a person to look at.
"""

from __future__ import annotations

import random
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.producers import ListPage, ListTable, write_reportlab_pdf

ESP_NAMES = ["Facebook", "Google LLC", "Microsoft Corporation (Bing,\nXbox)", "X Corp.", "Snap Inc.", "TikTok Inc.",
             "Discord Inc.", "Dropbox, Inc.", "Yahoo! Inc", "WhatsApp Inc.", "Channel 4", "Roblox Corporation",
             "EasyOnlineSolutions/MojoHost/\nNorth Tone/Hosthead"]
NAMES = ["Chad", "Egypt", "Fiji", "Gabon", "India", "Kenya", "Mali", "Peru", "Togo", "Yemen", "Bosnia and\nHerzegovina",
         "Saint Kitts and\nNevis", "Congo, the Democratic\nRepublic of the", "Korea, Republic of", "United States",
         "Channel 4", "Turks and Caicos\nIslands", "Micronesia, Federated\nStates of", "Cote d'Ivoire"]
LABELS = {
    "esp": ["ESP", "Electronic Service\nProvider", "Company\nName", "ESP Name"],
    "name": ["Country", "Country / Territory", "Country\nName", "COUNTRY"],
    "referrals": ["Referrals", "Referral\nReports", "Number of\nReferrals", "REFERRALS"],
    "informational": ["Informational", "Informational\nReports", "INFORMATIONAL"],
    "reports": ["Reports", "Total", "Total\nReports", "Number of\nReports", "TOTAL"],
}
ROLE_SETS = [("reports",), ("referrals", "informational"), ("referrals", "informational", "reports"),
             ("reports", "referrals", "informational")]


@dataclass
class Case:
    seed: int
    pages: list[ListPage]
    roles: tuple[str, ...]
    family: str
    expected: list[tuple[str, tuple[str, ...]]]  # data rows then the total row: (name, counts by role order)


def _count(rng: random.Random) -> int:
    return rng.choice([0, 1, 7, 42, 999, 1000, 12345, 987654, 1234567, 24768903])


def _fmt(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def make_case(seed: int) -> Case:
    rng = random.Random(seed)
    family = rng.choice(["reports_by_country", "reports_by_esp"])
    roles = rng.choice(ROLE_SETS)
    n_rows = rng.randint(2, 9)
    names = rng.sample(NAMES if family == "reports_by_country" else ESP_NAMES, n_rows)
    rows, totals = [], Counter()
    for name in names:
        ref, inf = _count(rng), _count(rng)
        values = {"referrals": ref, "informational": inf, "reports": ref + inf}
        if roles == ("reports",) and rng.random() < 0.15:
            values["reports"] = None  # printed '-'
        for role in roles:
            totals[role] += values[role] or 0
        rows.append((name, tuple(_fmt(values[r]) for r in roles)))
    total = ("Total", tuple(_fmt(totals[r]) for r in roles))
    style = dict(
        rules=rng.choice(["lines", "rects", "paths", "zebra", "none", "booktabs", "sides"]),
        header_fill=rng.random() < 0.6,
        glyphs=rng.choice(["runs", "single"]),
        letter_spacing=rng.choice([0.0, 0.0, 0.5, 1.0]),
        count_align=rng.choice(["right", "right", "left", "center"]),
        count_line=rng.choice(["first", "last", "middle"]),
        header_valign=rng.choice(["middle", "top"]),
        font=rng.choice(["Helvetica", "Vera"]),
        size=rng.choice([8.0, 9.0, 9.0, 10.0, 11.0]),
    )
    labels = [rng.choice(LABELS["name" if family == "reports_by_country" else "esp"])] + [
        rng.choice(LABELS[r]) for r in roles]
    widths = [rng.choice([150.0, 170.0, 200.0])] + [rng.choice([70.0, 80.0, 95.0]) for _ in roles]
    side = rng.random() < 0.35 and sum(widths) < 300
    per_page = rng.choice([len(rows), max(1, len(rows) // 2)])
    chunks = [rows[i:i + per_page] for i in range(0, len(rows), per_page)]
    chunks[-1] = chunks[-1] + [total]
    repeat_header = rng.random() < 0.8
    pages = []
    if side and len(chunks) >= 2:
        chunks = [chunks[0], sum(chunks[1:], [])]
        # Two lists side by side on one page: the left ends, the right continues it, with its
        # header repeated or (a list wrapping into a second column) without one.
        wrapped = rng.random() < 0.5
        tables, x = [], 40.0
        # One set of column widths for both (fitted to every row): a list set again further right.
        widths = ListTable(labels, [[n, *c] for n, c in rows + [total]], widths=widths, **style).column_widths()
        for i, chunk in enumerate(chunks):
            table = ListTable(labels if i == 0 or not wrapped else [""] * len(labels), [[n, *c] for n, c in chunk],
                              x=x, widths=widths, **style)
            tables.append(table)
            x = table.right + 20  # the fitted width: lists never overlap
        pages.append(ListPage(tables))
    else:
        for i, chunk in enumerate(chunks):
            page_labels = labels if (i == 0 or repeat_header) else [""] * len(labels)
            table = ListTable(page_labels, [[n, *c] for n, c in chunk], widths=widths, **style)
            if not any(page_labels):
                table.header_fill = False
            pages.append(ListPage([table], title=rng.choice([None, "2024 CyberTipline Reports by Country"]),
                                  footer=rng.choice([None, f"Page {i + 1}", "Source: CyberTipline"])))
    expected = [(" ".join(n.split()), c) for n, c in rows] + [total]
    return Case(seed, pages, roles, family, expected)


def judge(case: Case, folder: Path) -> tuple[str, str]:
    """'exact', 'refused' or 'wrong', with a detail line."""
    from pipeline.extract import ExtractionError
    from pipeline.extract.cybertipline import extract_list

    pdf = write_reportlab_pdf(folder / f"fuzz_{case.seed}.pdf", case.pages)
    try:
        result = extract_list(pdf, case.family)
    except ExtractionError as err:
        return "refused", str(err)
    got = [(r.name, tuple(dict(r.counts).get(role, "?") for role in case.roles)) for r in result.rows]
    got.append((result.total.name, tuple(dict(result.total.counts).get(role, "?") for role in case.roles)))
    if got == case.expected and result.roles == tuple(sorted(case.roles, key=_drawn_order(case))):
        return "exact", ""
    return "wrong", f"expected {case.expected}, read {got} (roles {result.roles})"


def _drawn_order(case: Case):
    return lambda role: case.roles.index(role)


def run(n: int, start: int = 0) -> tuple[Counter, list[tuple[int, str]]]:
    tally: Counter = Counter()
    wrong: list[tuple[int, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(start, start + n):
            outcome, detail = judge(make_case(seed), Path(tmp))
            tally[outcome] += 1
            if outcome == "wrong":
                wrong.append((seed, detail))
    return tally, wrong


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    tally, wrong = run(count, int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    print(dict(tally))
    for seed, detail in wrong[:10]:
        print(seed, detail)
