"""How numbers are shown to people: one rounding, at display, the same way everywhere.

The builders (`diff`, `report`) keep numbers exact: counts as integers, ratios unrounded (the
JSON of `diff` carries them so). Only the text a person reads is rounded, here, half up on the
number's decimal digits, so `diff --years 2022 2023` and the HTML report both print a change of
4,151,339 on 32,059,029 (12.949 %) as "+12.9%", never one "+13.0%" from a ratio rounded twice.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

PERCENT_DIGITS = 1


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))  # the shortest digits that are the float: 0.1225, not 0.12249999…


def percent(points, digits: int = PERCENT_DIGITS, signed: bool = False) -> str:
    """Percentage points as text: 12.949 -> '12.9%' ('+12.9%' when signed)."""
    rounded = _decimal(points).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no '-0.0%'
    return f"{rounded:+}%" if signed else f"{rounded}%"


def ratio_percent(ratio, digits: int = PERCENT_DIGITS, signed: bool = False) -> str:
    """A ratio as a percentage: 0.12949 -> '12.9%' (the ratio times 100 in decimal, exactly)."""
    return percent(_decimal(ratio) * 100, digits, signed)
