"""pdfplumber's word and text algorithms, exact, for the options the readers use, without its
generic per-character machinery.

pdfplumber 0.11's `extract_words` and `chars_to_textmap` are pure functions of the characters,
but written for every reading direction and option: each character goes through a lambda key,
a method call with keyword arguments and tuples built only to be taken apart again (some
0.45 s of the 2.9 s of worker CPU a run spent on the corpus). Here the same steps run as plain
loops over the characters, with the same comparisons and the same arithmetic in the same
order, so the words (their dicts, keys in pdfplumber's order, floats bit for bit, their order)
and the text are pdfplumber's: `tests/test_words.py` holds the two equal on every page of the
corpus, of the synthetic producers, and on seeded random pages built to sit on every boundary.

What is reproduced is pdfplumber's behaviour with its default directions: upright characters
read left to right in lines from the top; the others (its "rotated" text) top to bottom in
lines from the left. Options this module does not implement (`use_text_flow`, other
directions, `split_at_punctuation`, `expand_ligatures=False`, ...) are handed to pdfplumber's
own function, so the API stays pdfplumber's.
"""

from __future__ import annotations

import re
from itertools import groupby
from operator import itemgetter

# pdfplumber.utils.text.LIGATURES: expanded in a word's text (`expand_ligatures=True`).
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
_ANY_LIGATURE = re.compile("[" + "".join(LIGATURES) + "]")

_TEXT = itemgetter("text")
_X0 = itemgetter("x0")
_TOP_BOTTOM = itemgetter("top", "bottom")

DEFAULT_X_TOLERANCE = 3
DEFAULT_Y_TOLERANCE = 3


def extract_words(chars: list[dict], *, x_tolerance: float = DEFAULT_X_TOLERANCE,
                  y_tolerance: float = DEFAULT_Y_TOLERANCE, x_tolerance_ratio: float | None = None,
                  y_tolerance_ratio: float | None = None, keep_blank_chars: bool = False,
                  use_text_flow: bool = False, extra_attrs: list[str] | None = None,
                  return_chars: bool = False, **options) -> list[dict]:
    """`pdfplumber.utils.extract_words(chars, ...)`: the same words, in the same order.

    With `use_text_flow` or any other option of pdfplumber's, its own function does the work."""
    if use_text_flow or options:
        from pdfplumber.utils import extract_words as pdfplumbers

        return pdfplumbers(chars, x_tolerance=x_tolerance, y_tolerance=y_tolerance,
                           x_tolerance_ratio=x_tolerance_ratio, y_tolerance_ratio=y_tolerance_ratio,
                           keep_blank_chars=keep_blank_chars, use_text_flow=use_text_flow,
                           extra_attrs=extra_attrs, return_chars=return_chars, **options)
    attrs = [] if extra_attrs is None else extra_attrs
    words = []
    for word_chars, x0, top, x1, bottom, direction in _words(chars, x_tolerance, y_tolerance, x_tolerance_ratio,
                                                             y_tolerance_ratio, keep_blank_chars, attrs):
        first = word_chars[0]
        word = {"text": _text(word_chars), "x0": x0, "x1": x1, "top": top,
                "doctop": top + (first["doctop"] - first["top"]), "bottom": bottom,
                "upright": first["upright"], "height": bottom - top, "width": x1 - x0,
                "direction": direction}
        for key in attrs:
            word[key] = first[key]
        if return_chars:
            word["chars"] = word_chars
        words.append(word)
    return words


def page_text(chars: list[dict]) -> str:
    """pdfplumber's page text (`Page.extract_text()`, that is `chars_to_textmap(chars,
    layout_bbox=..., ...).as_string` without `layout`): its words with the default options, in
    their order; one line for each run of consecutive words whose tops fall in one cluster
    (tolerance 3: a cluster's words that are not consecutive make lines of their own), lines
    joined by one newline, a word preceded by one space once the line holds a character (so a
    word of an empty character adds nothing at the start of a line, and its space after that).
    Without `layout` the page's box and size change nothing, so they are not asked for."""
    words = _words(chars, DEFAULT_X_TOLERANCE, DEFAULT_Y_TOLERANCE, None, None, False, [])
    if not words:
        return ""
    cluster_of = _cluster_numbers([word[2] for word in words], DEFAULT_Y_TOLERANCE)
    lines = []
    line: list[str] = []
    current = None
    for word_chars, _, top, *_ in words:
        cluster = cluster_of[top]
        if cluster != current:
            if current is not None:
                lines.append(" ".join(line))
            line, current = [], cluster
        text = _text(word_chars)
        if text or line:
            line.append(text)
    lines.append(" ".join(line))
    return "\n".join(lines)


def clusters(items: list[dict], field: str, tolerance: float) -> list[list[dict]]:
    """pdfplumber's `cluster_objects(items, itemgetter(field), tolerance)`: the distinct values
    sorted, a new cluster where a value exceeds the one before by more than `tolerance` (every
    value its own cluster at tolerance 0); the clusters in value order, each holding its items
    in their input order."""
    if len(items) < 2:
        return [items] if items else []
    values = list(map(itemgetter(field), items))
    cluster_of = _cluster_numbers(values, tolerance)
    grouped: list[list[dict]] = [[] for _ in range(max(cluster_of.values()) + 1)]
    for item, value in zip(items, values):
        grouped[cluster_of[value]].append(item)
    return grouped


def _cluster_numbers(values: list, tolerance: float) -> dict:
    """pdfplumber's `make_cluster_dict`: each distinct value's cluster number."""
    distinct = sorted(set(values))
    last = distinct[0]
    cluster_of = {last: 0}
    number = 0
    for value in distinct[1:]:
        if tolerance == 0 or not value <= last + tolerance:
            number += 1
        cluster_of[value] = number
        last = value
    return cluster_of


def _text(word_chars: list[dict]) -> str:
    """A word's text: its characters' texts, a ligature written out (pdfplumber's LIGATURES,
    looked up for each character's whole text, so a text holding a ligature among other letters
    stays as it is)."""
    text = "".join(map(_TEXT, word_chars))
    if _ANY_LIGATURE.search(text) is None:
        return text
    return "".join([LIGATURES.get(t, t) for t in map(_TEXT, word_chars)])


def _words(chars: list[dict], x_tolerance: float, y_tolerance: float, x_ratio: float | None,
           y_ratio: float | None, keep_blank_chars: bool, attrs: list[str]) -> list[tuple]:
    """Each word as (its characters, x0, top, x1, bottom, direction: "ltr" upright, "ttb" not),
    in pdfplumber's order (`WordExtractor.iter_extract_tuples` with its default directions).

    The characters are taken in consecutive runs of the same `upright` and `attrs` values; a
    run's upright characters are clustered into lines by top (`y_tolerance`), each line sorted
    by x0; the others into lines by x0 (`x_tolerance`, never its ratio: pdfplumber's
    line clustering takes the plain tolerance), each sorted by (top, bottom). Along a line a
    blank character ends the word (unless `keep_blank_chars`), an empty one is a word of its own
    (pdfplumber tests `text in ""` when not splitting at punctuation), and a character starts a
    new word when it begins before the previous one, or more than the tolerance after its end,
    or more than the other tolerance across from it; a ratio makes a tolerance that share of the
    previous character's size. A word's box is pdfplumber's `objects_to_bbox`, min() and max()
    over its characters in reading order, kept as they are read: a value replaces the one kept
    only when strictly smaller (larger), so the first of equal values stays (-0.0 against 0.0),
    and NaN as min() and max() treat it."""
    words: list[tuple] = []
    blank_ends_word = not keep_blank_chars
    sized = x_ratio is not None or y_ratio is not None
    for _, run in groupby(chars, itemgetter("upright", *attrs)):
        run = list(run)
        # Along the line a character spans low..high; across it, side..far.
        if run[0]["upright"]:
            lines = clusters(run, "top", y_tolerance)
            order, direction, low, high, side_key, far_key = _X0, "ltr", "x0", "x1", "top", "bottom"
            along_tolerance, along_ratio, across_tolerance, across_ratio = x_tolerance, x_ratio, y_tolerance, y_ratio
        else:
            lines = clusters(run, "x0", x_tolerance)
            order, direction, low, high, side_key, far_key = _TOP_BOTTOM, "ttb", "top", "bottom", "x0", "x1"
            along_tolerance, along_ratio, across_tolerance, across_ratio = y_tolerance, y_ratio, x_tolerance, x_ratio
        found = []  # (characters, least low, least side, greatest high, greatest far) of each word
        along, off_line = along_tolerance, across_tolerance
        for line in lines:
            line.sort(key=order)
            start = None  # where the word being read starts in the line
            for i, char in enumerate(line):
                text = char["text"]
                if blank_ends_word and text.isspace():
                    if start is not None:
                        found.append((line[start:i], least_low, least_side, most_high, most_far))
                        start = None
                    continue
                if not text:
                    if start is not None:
                        found.append((line[start:i], least_low, least_side, most_high, most_far))
                        start = None
                    found.append(([char], char[low], char[side_key], char[high], char[far_key]))
                    continue
                position, side, end, far = char[low], char[side_key], char[high], char[far_key]
                if start is not None:
                    if sized:
                        along = along_tolerance if along_ratio is None else along_ratio * size
                        off_line = across_tolerance if across_ratio is None else across_ratio * size
                    if position < last_low or position > last_high + along or abs(side - last_side) > off_line:
                        found.append((line[start:i], least_low, least_side, most_high, most_far))
                        start = None
                if start is None:
                    start = i
                    least_low, least_side, most_high, most_far = position, side, end, far
                else:
                    if position < least_low:
                        least_low = position
                    if side < least_side:
                        least_side = side
                    if end > most_high:
                        most_high = end
                    if far > most_far:
                        most_far = far
                last_low, last_high, last_side = position, end, side
                if sized:
                    size = char["size"]
            if start is not None:
                found.append((line[start:], least_low, least_side, most_high, most_far))
        if direction == "ltr":
            words.extend((word_chars, x0, top, x1, bottom, "ltr") for word_chars, x0, top, x1, bottom in found)
        else:
            words.extend((word_chars, x0, top, x1, bottom, "ttb") for word_chars, top, x0, bottom, x1 in found)
    return words
