"""Typed building blocks for rule parameters: numbers, calendar windows, thresholds.

Everything here is validated once when a ruleset is loaded; rules then only read attributes,
so scoring 40,000 sites never re-parses YAML. Numbers are ``Decimal`` (0.1-point deductions must
add up exactly: 40 vs 40.1) and comparisons with ratios go through ``Fraction`` (exact too).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Annotated, Any, Literal

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator


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


class Model(BaseModel):
    """Strict, frozen, no unknown keys: a typo in a ruleset is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Period(Model):
    """A calendar length: weeks are 7 days, months and years are calendar ones (relativedelta)."""

    days: Count = 0
    weeks: Count = 0
    months: Count = 0
    years: Count = 0
    _delta: relativedelta = PrivateAttr(default_factory=relativedelta)

    @model_validator(mode="after")
    def _one_unit(self) -> Period:
        units = [n for n in (self.days, self.weeks, self.months, self.years) if n]
        if len(units) != 1:
            raise ValueError("give exactly one of days, weeks, months, years (non-zero)")
        self._delta = relativedelta(
            days=self.days, weeks=self.weeks, months=self.months, years=self.years
        )
        return self

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
    _op: str = PrivateAttr(default="")
    _value: Fraction = PrivateAttr(default=Fraction(0))

    @model_validator(mode="after")
    def _one_op(self) -> Threshold:
        given = [(k, getattr(self, k)) for k in _OPS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of ge, gt, le, lt")
        self._op, value = given[0]
        self._value = Fraction(value)
        return self

    @property
    def value(self) -> Fraction:
        return self._value

    def holds(self, x: int | Fraction | Decimal) -> bool:
        v = x if isinstance(x, int | Fraction) else Fraction(x)
        op = self._op
        if op == "ge":
            return v >= self._value
        if op == "gt":
            return v > self._value
        if op == "le":
            return v <= self._value
        return v < self._value

    def label(self) -> str:
        value = getattr(self, self._op)
        return f"{_OPS[self._op]}{value}"


Rounding = Literal["floor", "ceil", "half_up"]
