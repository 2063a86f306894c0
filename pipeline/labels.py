"""Printed labels made comparable: one home for how a row or column label is normalised.

Two questions, two keys, both built on `fold` (whitespace collapsed, case folded):

  label_key   the same cell in two editions: letters and digits only ("(based on MD5 hash" in the
              2022 edition and "(based on MD5 hash)" in 2023 are one label; "Unknown" and
              "Unknown Location" are not). ojjdp_revisions matches on it.
  label_kind  the same row or column in two *years*: also without the years a label prints ("CY
              2021 | Unique Images/Videos" and "CY 2022 | Unique Images/Videos" are one column),
              punctuation as spaces, so what is shown stays readable. `diff --years` and the
              relabelling of one number under a new label match on it.
"""

from __future__ import annotations

import re

# Years printed inside labels: "CY 2021–" column headers, Appendix A's "CY2022 (1/1/22-12/31/22)".
YEAR_IN_LABEL = re.compile(r"\bCY ?(?:19|20)\d\d\b|\(\d{1,2}/\d{1,2}/\d{2,4}\s*[–—-]\s*\d{1,2}/\d{1,2}/\d{2,4}\)")
PUNCTUATION = re.compile(r"[^\w/#%&]+")
NOT_LETTER_OR_DIGIT = re.compile(r"[^0-9a-z]")


def fold(text: str | None) -> str:
    """Whitespace collapsed to one space, case folded."""
    return " ".join((text or "").split()).casefold()


def label_key(label) -> str | None:
    """A label as compared between editions: letters and digits only, lower case (None stays None)."""
    if label is None or (isinstance(label, float) and label != label):
        return None
    return NOT_LETTER_OR_DIGIT.sub("", str(label).lower())


def label_kind(label: str | None) -> str:
    """A row or column label without its years and punctuation, so the same row or column of two
    years or two editions is recognised: "CY 2021 | Unique Images/Videos (based on MD5 hash)"
    and "CY 2022 | Unique Images/Videos (based on MD5 hash" (2023 ed. p.17 drops the parenthesis)
    both become "unique images/videos based on md5 hash"."""
    return fold(PUNCTUATION.sub(" ", YEAR_IN_LABEL.sub(" ", label or "")))
