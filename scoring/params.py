"""Typed building blocks for rule parameters: numbers, calendar windows, thresholds.

Everything here is validated once when a ruleset is loaded; rules then only read attributes,
so scoring 40,000 sites never re-parses YAML. Numbers are ``Decimal`` (0.1-point deductions must
add up exactly: 40 vs 40.1) and comparisons with ratios go through ``Fraction`` (exact too).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property
from typing import Annotated, Any, Literal

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from scoring.facts import Category


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
    try:
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - Decimal accepts every int/float text
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


def _to_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {type(value).__name__} {value!r}")
    return value


Num = Annotated[Decimal, BeforeValidator(_to_decimal)]
Count = Annotated[int, BeforeValidator(_to_int), Field(ge=0)]
Points = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0)]
Text = Annotated[str, Field(strict=True)]
# A column category named in a ruleset: one of ``scoring.facts.Category``'s values.
CategoryName = Annotated[Category, Field(strict=False)]


class Model(BaseModel):
    """Strict, frozen, no unknown keys: a typo in a ruleset is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Period(Model):
    """A calendar length: weeks are 7 days, months and years are calendar ones (relativedelta)."""

    days: Count = 0
    weeks: Count = 0
    months: Count = 0
    years: Count = 0

    @model_validator(mode="after")
    def _one_unit(self) -> Period:
        units = [n for n in (self.days, self.weeks, self.months, self.years) if n]
        if len(units) != 1:
            raise ValueError("give exactly one of days, weeks, months, years (non-zero)")
        return self

    @cached_property
    def _delta(self) -> relativedelta | timedelta:
        # Plain timedelta where the calendar plays no part: much cheaper than relativedelta.
        if self.months or self.years:
            return relativedelta(months=self.months, years=self.years)
        return timedelta(days=self.days, weeks=self.weeks)

    def start(self, at: date) -> date:
        """First day of the closed window [at − period, at] (3月1日 − 2个月 = 1月1日)."""
        result: date = at - self._delta
        return result

    def after(self, day: date) -> date:
        """``day`` + period, e.g. the last day a message may wait for its answer."""
        result: date = day + self._delta
        return result

    def label(self) -> str:
        for n, unit in (
            (self.years, "年"),
            (self.months, "个月"),
            (self.weeks, "周"),
            (self.days, "天"),
        ):
            if n:
                return f"{n} {unit}"
        return ""  # pragma: no cover - validator forbids


_OPS = {"ge": "超过（含）", "gt": "超过", "le": "不超过", "lt": "少于"}


class Threshold(Model):
    """One comparison as the table words it: ``{ge: 5}`` 超过（含）5, ``{gt: 40}`` 超过40."""

    ge: Num | None = None
    gt: Num | None = None
    le: Num | None = None
    lt: Num | None = None

    @model_validator(mode="after")
    def _one_op(self) -> Threshold:
        if sum(getattr(self, k) is not None for k in _OPS) != 1:
            raise ValueError("give exactly one of ge, gt, le, lt")
        return self

    @cached_property
    def _op(self) -> str:
        return next(k for k in _OPS if getattr(self, k) is not None)

    @cached_property
    def value(self) -> Fraction:
        return Fraction(getattr(self, self._op))

    def holds(self, x: int | Fraction | Decimal) -> bool:
        """Exact: Decimal points and Fraction ratios are compared without floats."""
        v = x if isinstance(x, int | Fraction) else Fraction(x)
        op = self._op
        if op == "ge":
            return v >= self.value
        if op == "gt":
            return v > self.value
        if op == "le":
            return v <= self.value
        return v < self.value

    def label(self) -> str:
        value = getattr(self, self._op)
        return f"{_OPS[self._op]}{value}"


Rounding = Literal["floor", "ceil", "half_up"]
