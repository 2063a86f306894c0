"""Extractors, one module per document family, over the shared layout toolkit (`pipeline.layout`)."""

import re

# Every reader's message names where it is: "<file>, page N: expected ..., found ...".
_PAGE = re.compile(r", page (\d+)")


class ExtractionError(Exception):
    """A table could not be read reliably; the message names file, page, expected and found."""

    @property
    def page(self) -> int | None:
        """The page the message names first (None for a refusal of the whole document)."""
        return refused_page(str(self))


def refused_page(message: str) -> int | None:
    """The page a refusal message names first ('<file>, page N: ...'), or None."""
    found = _PAGE.search(message)
    return int(found.group(1)) if found else None
