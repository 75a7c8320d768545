"""Number and date wording for figures, so every rule writes them the same way."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def percent(part: int, whole: int) -> Fraction:
    """Exact percentage; 0 when there is nothing to divide by."""
    return Fraction(part * 100, whole) if whole else Fraction(0)


def pct_text(value: Fraction) -> str:
    """4.166… → "4.17%" (half up, two decimals), never float-rounded."""
    d = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{d.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def pts(value: Decimal) -> str:
    """Points as the table writes them: 5, 0.1, 40.1 (no trailing zeros)."""
    text = format(value.normalize(), "f")
    return text


def day(d: date | None) -> str:
    return d.isoformat() if d else "无日期"


def span(start: date, end: date) -> str:
    return f"{start.isoformat()} 至 {end.isoformat()}"
